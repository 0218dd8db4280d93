//! The push: the branch and the tags in one `git push --atomic`, then a check
//! with `git ls-remote` that every tag arrived at the release commit.

use xshell::{cmd, Shell};

use super::Release;
use crate::error::{fail, Code};
use crate::git;
use crate::repo::Repo;
use crate::shell::Ctx;

pub fn push(sh: &Shell, ctx: &Ctx, repo: &Repo, release: &Release, no_push: bool) -> anyhow::Result<()> {
    let root = &repo.root;
    let remote = &repo.config.remote;
    let branch = &release.branch;
    let refs: Vec<String> = std::iter::once(format!("refs/heads/{branch}"))
        .chain(release.tags.iter().map(|t| format!("refs/tags/{t}")))
        .collect();
    if no_push {
        println!("  not pushing (--no-push); push later with: git push --atomic {remote} {}", refs.join(" "));
        return Ok(());
    }
    let write = git::WRITE;
    ctx.exec(
        cmd!(sh, "git -C {root} {write...} push --atomic --no-verify --quiet {remote} {refs...}"),
        Code::PushFailed,
        "the packages are published; merge the remote branch (git pull --no-rebase, which keeps the tagged release commit), then `cargo xtask release --resume` pushes the branch and tags",
    )?;
    ctx.effect(format_args!("check with `git ls-remote --tags {remote}` that every tag arrived"), || {
        check_remote_tags(sh, repo, release)?;
        println!(
            "  pushed {branch} and {} tag(s) to {remote}; every tag points at {}",
            release.tags.len(),
            &release.commit[..12.min(release.commit.len())]
        );
        Ok(())
    })
}

fn check_remote_tags(sh: &Shell, repo: &Repo, release: &Release) -> anyhow::Result<()> {
    let remote = &repo.config.remote;
    let on_remote = git::remote_tags(sh, &repo.root, remote)?;
    for t in &release.tags {
        match on_remote.get(t) {
            Some(sha) if *sha == release.commit => {}
            Some(sha) => {
                return Err(fail(
                    Code::PushFailed,
                    format!("tag {t} on {remote} points at {sha}, not the release commit {}", release.commit),
                    "delete the remote tag if it is wrong, then push again",
                ))
            }
            None => {
                return Err(fail(
                    Code::PushFailed,
                    format!("tag {t} did not arrive on {remote}"),
                    "push the tags: git push --atomic REMOTE TAGS",
                ))
            }
        }
    }
    Ok(())
}
