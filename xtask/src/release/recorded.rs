//! `release` on a commit that carries a recorded release (`record.rs`: a
//! merged release pull request): the tree is checked against the record, then
//! the usual flow runs from the tag step on, with the record's plan and
//! changelog sections, the merged commit as the release commit. Nothing is
//! bumped or committed again. A partial publish resumes from the journal
//! (`--resume`) or, on a fresh clone without one, by running this again: a
//! version on a registry with our checksum is skipped.

use std::collections::BTreeMap;
use std::path::Path;

use xshell::Shell;

use super::artifacts;
use super::journal::{self, GlobalStep, Handle, Journal, Step};
use super::record::{self, Active};
use super::{confirm, dry_run_banner, execute, finish, preflight, take_lock, write, Options};
use crate::error::{fail, Code};
use crate::git;
use crate::plan;
use crate::repo::Repo;
use crate::shell::Ctx;

pub(super) fn run(
    sh: &Shell,
    ctx: &Ctx,
    state: &Path,
    repo: &Repo,
    active: Active,
    opts: &Options,
) -> anyhow::Result<()> {
    refuse_plan_flags(opts)?;
    println!(
        "recorded release: {} in commit {} ({}), made by `cargo xtask release-pr` or `release --stage`; released as recorded: no bump, no new commit\n",
        record::PATH,
        active.short(),
        active.names()
    );
    let Active { record, commit } = active;
    let plan = record.plan;
    print!("{}", plan::render_table(&plan));
    record::check(repo, &plan)?;
    let prebuilt = prebuilt(&record.artifacts, &plan, opts)?;
    dry_run_banner(ctx, "a real release");
    println!("== preflight");
    let problems = preflight::recorded(sh, repo, &plan, opts);
    let mut stop = preflight::report(ctx, &problems)?;
    ctx.quietly(|| confirm(opts.yes, plan.releases().count()))?;
    let lock = take_lock(ctx, state, opts.clear_stale_lock, &mut stop)?;
    let root = &repo.root;
    let journal = Journal {
        format: journal::FORMAT,
        started_unix: journal::now_unix(),
        base_commit: commit.clone(),
        // a detached HEAD is a preflight problem; a dry run goes on to show the rest
        branch: ctx.mode.pick_with(
            || Ok(git::branch(sh, root).unwrap_or_else(|| "HEAD".into())),
            || git::require_branch(sh, root),
        )?,
        tags: write::tags(&plan)?,
        plan: plan.clone(),
        no_push: opts.no_push,
        touched: vec![],
        // the merged commit is the release commit: written and committed in the pull request
        release_commit: Some(commit),
        changelog: record.changelog,
        forge_releases: vec![],
        prebuilt,
        steps: BTreeMap::from([(GlobalStep::Write, Step::Done), (GlobalStep::Commit, Step::Done)]),
        packages: Default::default(),
        finished: false,
    };
    let handle = Handle::create(ctx.mode.pick(None, Some(state)), journal)?;
    let result = execute(sh, ctx, state, repo, &plan, &handle, opts);
    drop(lock);
    finish(ctx, result, stop)
}

/// The files the CI matrix built, checked before anything else happens
/// (`--artifacts DIR`); without it, every package is built here.
fn prebuilt(expected: &[record::Expected], plan: &plan::Plan, opts: &Options) -> anyhow::Result<artifacts::Taken> {
    let Some(dir) = &opts.artifacts else {
        if !expected.is_empty() {
            println!(
                "the record expects {} artifact(s) from a CI matrix; without --artifacts DIR every package is built here\n",
                expected.len()
            );
        }
        return Ok(Default::default());
    };
    println!("== artifacts built on the CI matrix, in {}", dir.display());
    if expected.is_empty() {
        println!("  no package of this release is built on the CI matrix: the folder is not read\n");
        return Ok(Default::default());
    }
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
    let taken = artifacts::take(&dir, expected, plan)?;
    for (key, files) in &taken {
        let names: Vec<String> =
            files.iter().filter_map(|f| Some(f.file_name()?.to_string_lossy().into_owned())).collect();
        println!("  {key}: {}", names.join(", "));
    }
    println!();
    Ok(taken)
}

/// A recorded release is executed as recorded: flags that change a plan have
/// no meaning on it.
fn refuse_plan_flags(opts: &Options) -> anyhow::Result<()> {
    let p = &opts.plan;
    let given = [
        ("--package", !p.packages.is_empty()),
        ("--exclude", !p.exclude.is_empty()),
        ("--force-unchanged", p.force_unchanged),
        ("--bump", p.bump.is_some()),
        ("--pre", p.pre.is_some()),
    ];
    match given.iter().find(|(_, on)| *on) {
        Some((flag, _)) => Err(fail(
            Code::Usage,
            format!(
                "{flag} cannot be combined with the recorded release in {}: it is released as recorded",
                record::PATH
            ),
            "leave it out; to release something else, run `cargo xtask release-pr` with it first",
        )),
        None => Ok(()),
    }
}
