//! The write step: versions and internal requirements in the manifests,
//! lockfiles, the release commit and the tags. Every write goes through `Ctx`.

use std::collections::HashMap;

use xshell::{cmd, Shell};

use super::edit;
use crate::error::{fail, Code};
use crate::git;
use crate::plan::Plan;
use crate::repo::Repo;
use crate::shell::{self, Ctx};
use crate::version::{Ecosystem, Version};
use crate::workspace::{join_rel, pep508::normalize, VersionSource};

/// The tags of a release, each checked against git's ref rules.
pub fn tags(plan: &Plan) -> anyhow::Result<Vec<String>> {
    let tags = plan.tags();
    for t in &tags {
        crate::config::check_ref_name(t)
            .map_err(|why| fail(Code::TagFormat, format!("tag `{t}` {why}"), "change [tags] in xtask-release.toml"))?;
    }
    Ok(tags)
}

/// The new text of every file the release changes (relative path, text).
/// Pure apart from reading the files; prints what changes.
pub fn compute_edits(repo: &Repo, plan: &Plan, print: bool) -> anyhow::Result<Vec<(String, String)>> {
    let root = &repo.root;
    let ws = &repo.ws;
    let mut files: HashMap<String, String> = HashMap::new();
    let mut load = |rel: &str| -> anyhow::Result<String> {
        if let Some(t) = files.get(rel) {
            return Ok(t.clone());
        }
        let t = shell::fs::read_to_string(&root.join(rel))?;
        files.insert(rel.to_string(), t.clone());
        Ok(t)
    };
    let mut edits: Vec<(String, String)> = vec![];
    let store = |edits: &mut Vec<(String, String)>, rel: &str, text: String| {
        edits.retain(|(r, _)| r != rel);
        edits.push((rel.to_string(), text));
    };
    let current =
        |edits: &Vec<(String, String)>, load: &mut dyn FnMut(&str) -> anyhow::Result<String>, rel: &str| match edits
            .iter()
            .find(|(r, _)| r == rel)
        {
            Some((_, t)) => Ok(t.clone()),
            None => load(rel),
        };
    let edit_err = |e: anyhow::Error| {
        fail(Code::ManifestSyntax, format!("cannot edit a manifest: {e:#}"), "fix the manifest; nothing was written")
    };

    // versions
    let mut workspace_version_done = false;
    for e in plan.releases() {
        let p = &ws.packages[ws.index_in(e.ecosystem, &e.name).expect("planned packages exist")];
        let new = e.next_version.clone().expect("released entries have a version");
        if e.next == p.version {
            continue; // an initial release of the version already written
        }
        match &p.version_source {
            VersionSource::Manifest => {
                let text = current(&edits, &mut load, &p.manifest)?;
                let out = edit::set_package_version(&text, &p.manifest, p.ecosystem, &new).map_err(edit_err)?;
                store(&mut edits, &p.manifest, out);
                if print {
                    println!("  {} {} -> {new} in {}", p.name, p.version_text, p.manifest);
                }
            }
            VersionSource::CargoWorkspace => {
                if !workspace_version_done {
                    let rel = join_rel(ws.cargo_root.as_deref().unwrap_or("."), "Cargo.toml");
                    let text = current(&edits, &mut load, &rel)?;
                    let out = edit::set_workspace_version(&text, &rel, &new).map_err(edit_err)?;
                    store(&mut edits, &rel, out);
                    if print {
                        println!("  [workspace.package] version {} -> {new} in {rel}", p.version_text);
                    }
                    workspace_version_done = true;
                }
            }
            VersionSource::File(rel) => {
                let text = current(&edits, &mut load, rel)?;
                let out = edit::set_file_version(&text, &p.version_text, &new).ok_or_else(|| {
                    fail(
                        Code::DynamicVersion,
                        format!("{rel} does not contain the version {}", p.version_text),
                        "make the version static",
                    )
                })?;
                store(&mut edits, rel, out);
                if print {
                    println!("  {} {} -> {new} in {rel}", p.name, p.version_text);
                }
            }
            VersionSource::Missing => unreachable!("packages without a version are never released"),
        }
    }

    // internal requirements that no longer admit the new versions
    let mut cargo_released: HashMap<String, (String, Version)> = HashMap::new();
    let mut py_released: HashMap<String, Version> = HashMap::new();
    for e in plan.releases() {
        let next = e.next.clone().expect("released entries have a version");
        match e.ecosystem {
            Ecosystem::Cargo => {
                cargo_released.insert(e.path.clone(), (e.name.clone(), next));
            }
            Ecosystem::Python => {
                py_released.insert(normalize(&e.name), next);
            }
        }
    }
    let mut manifests: Vec<(String, String, Ecosystem)> =
        ws.packages.iter().map(|p| (p.manifest.clone(), p.dir.clone(), p.ecosystem)).collect();
    if let Some(dir) = &ws.cargo_root {
        let rel = join_rel(dir, "Cargo.toml");
        if !manifests.iter().any(|(m, _, _)| *m == rel) {
            manifests.push((rel, dir.clone(), Ecosystem::Cargo));
        }
    }
    for (rel, dir, eco) in manifests {
        let text = current(&edits, &mut load, &rel)?;
        let (out, changes) = match eco {
            Ecosystem::Cargo if !cargo_released.is_empty() => {
                edit::update_cargo_requirements(&text, &rel, &dir, &cargo_released).map_err(edit_err)?
            }
            Ecosystem::Python if !py_released.is_empty() => {
                edit::update_python_requirements(&text, &rel, &py_released).map_err(edit_err)?
            }
            _ => continue,
        };
        for c in &changes {
            if print {
                println!("  requirement on {} `{}` -> `{}` in {rel}", c.dependency, c.from, c.to);
            }
        }
        if !changes.is_empty() {
            store(&mut edits, &rel, out);
        }
    }
    Ok(edits)
}

/// The lockfiles the release updates: tracked ones of the ecosystems it releases.
pub fn lockfiles(repo: &Repo, plan: &Plan) -> Vec<String> {
    let ws = &repo.ws;
    let mut out = vec![];
    if let Some(dir) = &ws.cargo_root {
        let rel = join_rel(dir, "Cargo.lock");
        if plan.releases().any(|e| e.ecosystem == Ecosystem::Cargo) && repo.root.join(&rel).is_file() {
            out.push(rel);
        }
    }
    if let Some(dir) = &ws.python_root {
        let rel = join_rel(dir, "uv.lock");
        if plan.releases().any(|e| e.ecosystem == Ecosystem::Python) && repo.root.join(&rel).is_file() {
            out.push(rel);
        }
    }
    out
}

/// Writes the edits and updates the lockfiles.
pub fn apply(sh: &Shell, ctx: &Ctx, repo: &Repo, plan: &Plan, edits: &[(String, String)]) -> anyhow::Result<()> {
    let root = &repo.root;
    for (rel, text) in edits {
        ctx.write(&root.join(rel), text.as_bytes(), "version bump")?;
    }
    for rel in lockfiles(repo, plan) {
        let path = root.join(&rel);
        let dir = path.parent().expect("a lockfile is in a folder");
        if rel.ends_with("Cargo.lock") {
            ctx.exec(
                cmd!(sh, "cargo update --workspace --quiet --manifest-path {dir}/Cargo.toml"),
                Code::LockfileUpdate,
                "fix what cargo reports, then `cargo xtask release --resume` (it restores the files first)",
            )?;
        } else {
            ctx.exec(
                cmd!(sh, "uv lock --quiet --directory {dir}"),
                Code::LockfileUpdate,
                "fix what uv reports, then `cargo xtask release --resume` (it restores the files first)",
            )?;
        }
    }
    Ok(())
}

/// The release commit: everything written, hooks skipped. When nothing changed
/// (first releases of the versions already written) HEAD is the release commit.
pub fn commit(sh: &Shell, ctx: &Ctx, repo: &Repo, plan: &Plan) -> anyhow::Result<String> {
    let root = &repo.root;
    let names: Vec<String> =
        plan.releases().map(|e| format!("{}@{}", e.name, e.next_version.as_deref().unwrap_or(""))).collect();
    let subject = format!("chore(release): {}", names.join(", "));
    let body: String = plan.releases().map(|e| format!("- {}: {}\n", e.name, e.reason)).collect();
    let message = format!("{subject}\n\n{body}");
    // Hooks are skipped on purpose: the release commit only bumps versions, and a
    // hook that hangs or rewrites files must not stall or alter a release.
    ctx.exec(cmd!(sh, "git -C {root} add -u"), Code::Git, "check the work tree")?;
    // initial releases of the versions already in the manifests change nothing:
    // then HEAD itself is the release commit
    let staged = ctx.dry_run || !shell::succeeds(cmd!(sh, "git -C {root} diff --cached --quiet"));
    let write = git::WRITE;
    if staged {
        ctx.exec(
            cmd!(sh, "git -C {root} {write...} commit --quiet --no-verify -m {message}"),
            Code::Git,
            "check your git identity (user.name, user.email) and signing configuration",
        )?;
    } else {
        println!("  no file changed (initial releases of the current versions): tagging HEAD");
    }
    let commit = if ctx.dry_run { "RELEASE_COMMIT".to_string() } else { git::head(sh, root)? };
    Ok(commit)
}

/// Creates each tag on `commit`; a tag already there is kept, a tag on another
/// commit is an error. Safe to run again after a crash.
pub fn ensure_tags(sh: &Shell, ctx: &Ctx, repo: &Repo, tags: &[String], commit: &str) -> anyhow::Result<()> {
    let root = &repo.root;
    for t in tags {
        match git::tag_commit(sh, root, t) {
            None => {}
            Some(at) if at == commit => continue,
            Some(at) => {
                return Err(fail(
                    Code::TagConflict,
                    format!("tag {t} exists and points at {at}, not the release commit {commit}"),
                    format!("delete it if it is stale (git tag -d {t}), then --resume"),
                ));
            }
        }
        let msg = format!("Release {t}");
        let write = git::WRITE;
        ctx.exec(
            cmd!(sh, "git -C {root} {write...} tag -a {t} -m {msg} {commit}"),
            Code::Git,
            "check that the tag does not exist yet",
        )?;
    }
    Ok(())
}
