//! The write step: versions and internal requirements in the manifests,
//! lockfiles, the release commit and the tags. Every write goes through `Ctx`.

use std::collections::HashMap;

use xshell::{cmd, Shell};

use super::edit;
use crate::changelog::{self, Section};
use crate::error::{fail, Code};
use crate::git;
use crate::plan::Plan;
use crate::repo::Repo;
use crate::shell::{self, Ctx};
use crate::version::{Ecosystem, Version};
use crate::version_files::{self, Place};
use crate::workspace::{join_rel, pep508::normalize, VersionPattern, VersionSource};

/// The tags of a release, each checked against git's ref rules.
pub fn tags(plan: &Plan) -> anyhow::Result<Vec<String>> {
    let tags = plan.tags();
    for t in &tags {
        crate::config::check_ref_name(t)
            .map_err(|why| fail(Code::TagFormat, format!("tag `{t}` {why}"), "change [tags] in xtask-release.toml"))?;
    }
    Ok(tags)
}

/// What `compute_edits` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Nothing,
    /// A line per change.
    Changes,
    /// A line per change, and each changelog section in full (dry runs).
    Sections,
}

/// What a release writes: the new text of every file it changes, and the
/// changelogs that have no place for their section.
#[derive(Debug, Default)]
pub struct Edits {
    /// (relative path, text).
    pub files: Vec<(String, String)>,
    /// Nothing is written while there is one: preflight lists them, the write step refuses.
    pub unplaced: Vec<Unplaced>,
}

/// A changelog the release cannot put its section into (`changelog::insert`).
#[derive(Debug, Clone)]
pub struct Unplaced {
    pub path: String,
    pub why: changelog::ParseError,
}

impl Unplaced {
    pub const HELP: &'static str = "make the file newest first with a heading per version (`cargo xtask check` \
        reads it), or point [changelog] path at another file; nothing was written";

    pub fn problem(&self) -> String {
        format!("{} has no place for the new section: {}", self.path, self.why)
    }
}

impl Edits {
    /// The files to write; XR137 when a changelog has no place for its section.
    pub fn placed(self) -> anyhow::Result<Vec<(String, String)>> {
        match self.unplaced.first() {
            None => Ok(self.files),
            Some(u) => Err(fail(Code::ChangelogUnplaceable, u.problem(), Unplaced::HELP)),
        }
    }
}

/// The new text of every file the release changes (relative path, text):
/// versions, internal requirements, changelogs (`sections`, as journaled).
/// Pure apart from reading the files.
pub fn compute_edits(repo: &Repo, plan: &Plan, sections: &[Section], show: Show) -> anyhow::Result<Edits> {
    let print = show != Show::Nothing;
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
            VersionSource::File { path: rel, pattern } => {
                let text = current(&edits, &mut load, rel)?;
                // the span the pattern reads (hatch's default one too: `v1.0` keeps its `v`)
                let pat = match pattern {
                    Some(pat) => VersionPattern::parse(pat).ok(),
                    None => Some(VersionPattern::hatch_default()),
                };
                let span = pat.and_then(|pat| pat.find(&text)).filter(|&(a, b)| text[a..b] == p.version_text);
                let out = match span {
                    Some((a, b)) => Some(format!("{}{new}{}", &text[..a], &text[b..])),
                    None => edit::set_file_version(&text, &p.version_text, &new),
                }
                .ok_or_else(|| {
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
            VersionSource::Crate { manifest, workspace } => {
                // maturin: the crate's version is the Python package's (written in SemVer form)
                let semver = e.next.as_ref().expect("released").to_ecosystem(Ecosystem::Cargo).to_string();
                let (rel, out) = match workspace {
                    Some(rel) => {
                        let text = current(&edits, &mut load, rel)?;
                        (rel, edit::set_workspace_version(&text, rel, &semver).map_err(edit_err)?)
                    }
                    None => {
                        let text = current(&edits, &mut load, manifest)?;
                        (
                            manifest,
                            edit::set_package_version(&text, manifest, Ecosystem::Cargo, &semver).map_err(edit_err)?,
                        )
                    }
                };
                store(&mut edits, rel, out);
                if print {
                    println!("  {} {} -> {new} in {rel} (maturin builds it from {manifest})", p.name, p.version_text);
                }
            }
            VersionSource::Vcs(vcs) => {
                if print {
                    println!("  {} {new}: no file to write ({} takes it from the tag)", p.name, vcs.plugin());
                }
            }
            VersionSource::Missing => unreachable!("packages without a version are never released"),
        }
    }

    // the version where else it is written: Python literals, [[version-files]]
    let config = &repo.config;
    let mut matched = vec![false; config.version_files.len()];
    for e in plan.releases() {
        let p = &ws.packages[ws.index_in(e.ecosystem, &e.name).expect("planned packages exist")];
        if e.next == p.version {
            continue;
        }
        let new = e.next_version.clone().expect("released entries have a version");
        let places = version_files::places(root, config, ws, p)?;
        for (i, f) in config.version_files.iter().enumerate() {
            let mine = f.package.is_some()
                && !places.iter().any(|pl| matches!(pl, Place::Configured { entry, .. } if *entry == i));
            if mine && version_files::applies(ws, f, p)? {
                return Err(no_match(&f.path, "matches no file"));
            }
        }
        for place in &places {
            let text = current(&edits, &mut load, place.path())?;
            match version_files::rewrite(&text, place, config, &p.name, &p.version_text, &new) {
                Some(out) => {
                    store(&mut edits, place.path(), out);
                    if let Place::Configured { entry, .. } = place {
                        matched[*entry] = true;
                    }
                    if print {
                        println!("  {} {} -> {new} in {}", p.name, p.version_text, place.path());
                    }
                }
                None => match place {
                    Place::Configured { entry, path } if config.version_files[*entry].package.is_some() => {
                        return Err(no_match(path, "does not hold the text its template or pattern describes"));
                    }
                    _ => {}
                },
            }
        }
    }
    // an entry for every package must find some package's version in each file
    for (i, f) in config.version_files.iter().enumerate().filter(|(i, f)| f.package.is_none() && !matched[*i]) {
        let paths = version_files::glob_files(root, &f.path)?;
        if paths.is_empty() {
            return Err(no_match(&f.path, "matches no file"));
        }
        for path in paths {
            let text = current(&edits, &mut load, &path)?;
            let place = Place::Configured { path: path.clone(), entry: i };
            let any = ws.packages.iter().any(|q| {
                version_files::rewrite(&text, &place, config, &q.name, &q.version_text, &q.version_text).is_some()
            });
            if !any {
                return Err(no_match(
                    &path,
                    "does not hold any package's version as its template or pattern describes",
                ));
            }
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

    // changelogs: a section per released package, and the workspace file
    let config = &repo.config.changelog;
    let mut unplaced = vec![];
    if config.enabled {
        for s in sections {
            let existing = if root.join(&s.path).is_file() { Some(current(&edits, &mut load, &s.path)?) } else { None };
            let out = match changelog::insert(existing.as_deref(), s) {
                Ok(Some(out)) => out,
                Ok(None) => {
                    if print {
                        println!("  changelog {} has {} already", s.path, s.version);
                    }
                    continue;
                }
                Err(why) => {
                    unplaced.push(Unplaced { path: s.path.clone(), why });
                    continue;
                }
            };
            let heading = s.heading_in(&changelog::style_of(existing.as_deref()));
            store(&mut edits, &s.path, out);
            if print {
                println!("  changelog {}: {heading}", s.path);
            }
            if show == Show::Sections {
                for line in s.body().lines() {
                    println!("  | {line}");
                }
            }
        }
        if let (Some(rel), Some(first)) = (&config.workspace, sections.first()) {
            let existing = if root.join(rel).is_file() { Some(current(&edits, &mut load, rel)?) } else { None };
            let heading = changelog::workspace_heading(plan, &first.date);
            if let Some(out) = changelog::workspace_insert(existing.as_deref(), &heading, sections) {
                store(&mut edits, rel, out);
                if print {
                    println!("  workspace changelog {rel}: {heading}");
                }
            }
        }
    }
    Ok(Edits { files: edits, unplaced })
}

/// The lockfiles the release updates: every one that holds a package it
/// bumps (the Cargo root's, a maturin crate's own, the uv workspace's).
pub fn lockfiles(repo: &Repo, plan: &Plan) -> Vec<String> {
    let ws = &repo.ws;
    let mut out = vec![];
    if let Some(dir) = &ws.cargo_root {
        let rel = join_rel(dir, "Cargo.lock");
        if plan.releases().any(|e| e.ecosystem == Ecosystem::Cargo) && repo.root.join(&rel).is_file() {
            out.push(rel);
        }
    }
    // a maturin package's crate outside the Cargo root (pydantic-core) has a
    // lockfile of its own, at its workspace root, which holds its version too
    for e in plan.releases().filter(|e| e.ecosystem == Ecosystem::Python) {
        let Some(p) = ws.index_in(e.ecosystem, &e.name).map(|k| &ws.packages[k]) else { continue };
        let VersionSource::Crate { manifest, workspace } = &p.version_source else { continue };
        let crate_root = workspace.as_deref().unwrap_or(manifest);
        let dir = crate_root.rsplit_once('/').map_or(".", |(dir, _)| dir);
        let rel = join_rel(dir, "Cargo.lock");
        if !out.contains(&rel) && repo.root.join(&rel).is_file() {
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
    let changelogs = &repo.config.changelog;
    for (rel, text) in edits {
        let changelog = rel.ends_with(&changelogs.path) || changelogs.workspace.as_deref() == Some(rel.as_str());
        ctx.write(&root.join(rel), text.as_bytes(), if changelog { "changelog section" } else { "version bump" })?;
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

/// The release commit: everything written (`created`: files the write step
/// made, such as a first changelog), hooks skipped. When nothing changed
/// (first releases of the versions already written) HEAD is the release commit.
pub fn commit(sh: &Shell, ctx: &Ctx, repo: &Repo, plan: &Plan, created: &[String]) -> anyhow::Result<String> {
    let root = &repo.root;
    let names: Vec<String> =
        plan.releases().map(|e| format!("{}@{}", e.name, e.next_version.as_deref().unwrap_or(""))).collect();
    let subject = format!("chore(release): {}", names.join(", "));
    let body: String = plan.releases().map(|e| format!("- {}: {}\n", e.name, e.reason)).collect();
    let message = format!("{subject}\n\n{body}");
    // Hooks are skipped on purpose: the release commit only bumps versions, and a
    // hook that hangs or rewrites files must not stall or alter a release.
    ctx.exec(cmd!(sh, "git -C {root} add -u"), Code::Git, "check the work tree")?;
    if !created.is_empty() {
        ctx.exec(cmd!(sh, "git -C {root} add -- {created...}"), Code::Git, "check that .gitignore does not hide them")?;
    }
    // initial releases of the versions already in the manifests change nothing:
    // then HEAD itself is the release commit
    // (a dry run staged nothing: it shows the commit a release makes)
    let staged = ctx.mode.pick_with(|| true, || !shell::succeeds(cmd!(sh, "git -C {root} diff --cached --quiet")));
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
    ctx.mode.pick_with(|| Ok("RELEASE_COMMIT".to_string()), || git::head(sh, root))
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

/// XR135: a `[[version-files]]` place that cannot be moved.
fn no_match(path: &str, what: &str) -> anyhow::Error {
    fail(
        Code::VersionFileNoMatch,
        format!("[[version-files]] {path} {what}"),
        "fix the entry's path, template or pattern in xtask-release.toml; nothing was written",
    )
}
