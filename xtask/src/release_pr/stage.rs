//! `release --stage`: the first half of a release whose native packages are
//! built on a CI matrix. It makes the release commit with its record
//! (`.xtask-release/plan.json`, listing the artifacts the matrix must build,
//! `record::expected`) the way `release-pr` does, moves the branch onto it
//! and pushes it: the branch is then as a merged release pull request leaves
//! it. Nothing is tagged or published; `release --artifacts DIR` does that,
//! from the files the matrix built (`release/artifacts.rs`). `--no-push`
//! keeps the commit local (a matrix of local processes, the tests).

use std::path::Path;

use xshell::{cmd, Shell};

use super::{clean_checkout, plan_to_record, worktree};
use crate::error::Code;
use crate::git;
use crate::release::{self, record};
use crate::repo::Repo;
use crate::shell::Ctx;

pub fn run(sh: &Shell, root: Option<&Path>, config: Option<&Path>, opts: &release::Options) -> anyhow::Result<()> {
    let repo = Repo::load(root, config)?;
    let ctx = Ctx::new(opts.mode, repo.root.clone());
    let recorded = |a: &record::Active| {
        format!(
            "HEAD is already the staged release of {} (commit {}): build its artifacts, then publish it with \
             `cargo xtask release --artifacts DIR`",
            a.names(),
            a.short()
        )
    };
    let Some(plan) = plan_to_record(sh, &repo, &opts.plan, recorded, "nothing is staged")? else { return Ok(()) };
    clean_checkout(sh, &repo.root)?;
    let banner =
        "\ndry run: nothing is written, committed or pushed; these are the commands and files of a real run\n\n";
    print!("{}", ctx.mode.pick(banner, ""));
    let stop = release::preflight_stage(sh, &ctx, &repo, &plan, opts)?;
    let branch = git::branch(sh, &repo.root).unwrap_or_else(|| "HEAD".into());
    let base = git::head(sh, &repo.root)?;
    let changelog = repo.changelog(sh, &plan)?;
    let record = record::Record::new(&plan, &changelog, record::expected(&repo, &plan)?)?;
    println!("\n== release commit on {branch} at {}", &base[..12.min(base.len())]);
    let commit = worktree::release_commit(sh, &ctx, &repo, &plan, &changelog, &record, &base)?;
    advance(sh, &ctx, &repo, &commit)?;
    println!("\n== push");
    if opts.no_push {
        println!("  --no-push: the staged commit stays local");
    } else {
        push(sh, &ctx, &repo, &commit, &branch)?;
    }
    tell_next(&record, &commit);
    match stop {
        Some(err) => {
            println!("\ndry run complete; a real run would have stopped earlier, for this reason:");
            Err(err)
        }
        None => Ok(()),
    }
}

/// Moves the checkout's branch onto the release commit (a fast-forward: the
/// commit's parent is HEAD, and the checkout is clean).
fn advance(sh: &Shell, ctx: &Ctx, repo: &Repo, commit: &str) -> anyhow::Result<()> {
    let root = &repo.root;
    let write = git::WRITE;
    ctx.exec(
        cmd!(sh, "git -C {root} {write...} merge --ff-only --quiet {commit}"),
        Code::Git,
        "the checkout changed while the release commit was made: check it, then stage again",
    )?;
    Ok(())
}

/// Pushes the staged commit to the branch on the remote: a fast-forward, or nothing.
fn push(sh: &Shell, ctx: &Ctx, repo: &Repo, commit: &str, branch: &str) -> anyhow::Result<()> {
    let (root, remote) = (&repo.root, &repo.config.remote);
    let refspec = format!("{commit}:refs/heads/{branch}");
    let write = git::WRITE;
    ctx.exec(
        cmd!(sh, "git -C {root} {write...} push --no-verify --quiet {remote} {refspec}"),
        Code::Git,
        "the branch moved on the remote, or refuses pushes (then stage through `cargo xtask release-pr`). The \
         commit is staged locally: push it yourself, or `git reset --keep HEAD~1`, pull, and stage again",
    )?;
    ctx.quietly(|| {
        println!("  pushed {} to {remote} {branch}", &commit[..12.min(commit.len())]);
        Ok(())
    })
}

/// What the matrix builds from the staged commit, and the command after it.
fn tell_next(record: &record::Record, commit: &str) {
    // a dry run's placeholder is shown whole
    let short = if commit.bytes().all(|b| b.is_ascii_hexdigit()) { &commit[..12.min(commit.len())] } else { commit };
    println!("\nstaged {short}: {}", record.tags.join(", "));
    if record.artifacts.is_empty() {
        println!("no package is built on the CI matrix: publish with `cargo xtask release`");
        return;
    }
    println!("the CI matrix builds from {short} ({}):", record::PATH);
    for x in &record.artifacts {
        println!("  {} ({} in {}, {})", x.file, x.package, x.dir, x.platform);
    }
    println!("then: cargo xtask release --artifacts DIR (the folder holding them)");
}
