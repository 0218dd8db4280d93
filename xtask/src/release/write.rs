//! The write step: versions and internal requirements in the manifests,
//! lockfiles, the release commit and the tags. Every write goes through `Ctx`.

use xshell::{cmd, Shell};

use crate::error::{fail, Code};
use crate::git;
use crate::plan::Plan;
use crate::repo::Repo;
use crate::shell::{self, Ctx};

/// The tags of a release, each checked against git's ref rules.
pub fn tags(plan: &Plan) -> anyhow::Result<Vec<String>> {
    let tags = plan.tags();
    for t in &tags {
        crate::config::check_ref_name(t)
            .map_err(|why| fail(Code::TagFormat, format!("tag `{t}` {why}"), "change [tags] in xtask-release.toml"))?;
    }
    Ok(tags)
}

/// Writes the edits and updates the lockfiles.
pub fn apply(sh: &Shell, ctx: &Ctx, repo: &Repo, plan: &Plan, edits: &[(String, String)]) -> anyhow::Result<()> {
    apply_in(sh, ctx, &repo.root, repo, plan, edits)
}

/// `apply` into the work tree `root` (a worktree of the repository at its
/// HEAD: `release-pr`'s), with the edits computed from `repo`.
pub fn apply_in(
    sh: &Shell,
    ctx: &Ctx,
    root: &std::path::Path,
    repo: &Repo,
    plan: &Plan,
    edits: &[(String, String)],
) -> anyhow::Result<()> {
    let changelogs = &repo.config.changelog;
    for (rel, text) in edits {
        let changelog = rel.ends_with(&changelogs.path) || changelogs.workspace.as_deref() == Some(rel.as_str());
        ctx.write(&root.join(rel), text.as_bytes(), if changelog { "changelog section" } else { "version bump" })?;
    }
    for rel in crate::edits::lockfiles(sh, repo.tree(), plan)? {
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
    let message = message(plan);
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

/// The release commit's subject: `chore(release): core@1.1.0, models@1.2.1`.
pub fn subject(plan: &Plan) -> String {
    let mut names: Vec<String> = vec![];
    for e in plan.releases() {
        // a crate and the Python package built from it often share name and version (jiter@0.16.1)
        let name = format!("{}@{}", e.name, e.next_version.as_deref().unwrap_or(""));
        if !names.contains(&name) {
            names.push(name);
        }
    }
    format!("chore(release): {}", names.join(", "))
}

/// The release commit's message: the subject, then each package's reason
/// (by its key: `python:jiter` beside the crate `jiter`).
pub fn message(plan: &Plan) -> String {
    let body: String = plan.releases().map(|e| format!("- {}: {}\n", e.key(), e.reason)).collect();
    format!("{}\n\n{body}", subject(plan))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// jiter's crate and the Python package maturin builds from it: one name in the subject, each by
    /// its key in the body.
    #[test]
    fn a_crate_and_a_python_package_of_one_name_and_version_are_named_once() {
        let entry = |eco: &str, key: &str| -> crate::plan::Entry {
            serde_json::from_value(serde_json::json!({
                "name": "jiter", "ecosystem": eco, "path": "crates/jiter", "manifest": "crates/jiter/Cargo.toml",
                "version": "0.16.0", "next_version": "0.16.1", "bump": "patch", "status": "release",
                "reason": "commits", "level": 0, "order": 1, "dependencies": [], "tag": "v0.16.1",
                "last_tag": "v0.16.0", "commits": 1, "key": key,
            }))
            .unwrap()
        };
        let plan = Plan {
            packages: vec![entry("cargo", ""), entry("python", "python:jiter")],
            umbrella_tag: None,
            files: vec![],
            warnings: vec![],
        };
        assert_eq!(subject(&plan), "chore(release): jiter@0.16.1");
        assert!(message(&plan).ends_with("- jiter: commits\n- python:jiter: commits\n"), "{}", message(&plan));
    }
}
