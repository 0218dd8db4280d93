//! `release-pr`: for a branch that only takes pull requests. It computes the
//! plan, makes the release commit (versions, requirements, lockfiles,
//! changelogs, and the plan recorded in `.xtask-release/plan.json`) on HEAD in
//! a temporary worktree (`worktree.rs`: the checkout stays as it is),
//! force-pushes it with a lease to the release branch (`[release] pr-branch`,
//! `release/next`) and opens, or updates, the one pull request of that branch
//! (`body.rs`: the plan and the notes). Run again after new commits, it
//! rebuilds the branch on them and updates the same pull request. After the
//! merge, `release` finds the record and publishes it (`release/recorded.rs`).

mod body;
mod branch;
pub mod stage;
mod worktree;

use std::path::Path;

use xshell::{cmd, Shell};

use crate::error::{fail, Code};
use crate::forge::{self, Client, Connection, ForgeTarget, NewPull};
use crate::git;
use crate::plan::{self, Plan};
use crate::release::{record, write};
use crate::repo::Repo;
use crate::shell::{self, Ctx, Mode};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub plan: plan::Options,
    pub mode: Mode,
}

pub fn run(sh: &Shell, root: Option<&Path>, config: Option<&Path>, opts: &Options) -> anyhow::Result<()> {
    let repo = Repo::load(root, config)?;
    let ctx = Ctx::new(opts.mode, repo.root.clone());
    let recorded = |a: &record::Active| {
        format!(
            "HEAD carries the recorded release of {} (commit {}), not tagged yet: publish it with \
             `cargo xtask release`; no release pull request is opened",
            a.names(),
            a.short()
        )
    };
    let nothing = "no release pull request is opened or updated";
    let Some(plan) = plan_to_record(sh, &repo, &opts.plan, recorded, nothing)? else { return Ok(()) };
    let (target, client) = forge_client(sh, &repo)?;
    clean_checkout(sh, &repo.root)?;
    let base_branch = git::require_branch(sh, &repo.root)?;
    let banner = "\ndry run: nothing is written, pushed or opened; these are the commands and files of a real run\n";
    print!("{}", ctx.mode.pick(banner, ""));
    let branch = &repo.config.pr_branch;
    let base = git::head(sh, &repo.root)?;
    let lease = branch::remote_branch(sh, &repo, branch)?;
    let changelog = repo.changelog(sh, &plan)?;
    let record = record::Record::new(&plan, &changelog, record::expected(&repo, &plan)?)?;
    println!("\n== release commit for {branch}, on {base_branch} at {}", &base[..12.min(base.len())]);
    let commit = worktree::release_commit(sh, &ctx, &repo, &plan, &changelog, &record, &base)?;
    println!("\n== push");
    let held = match &lease {
        Some(remote) => branch::holds(sh, &ctx, &repo, remote, &commit, &base)?,
        None => false,
    };
    if held {
        println!("  {branch} is up to date with {base_branch} at {}: nothing to push", &base[..12.min(base.len())]);
    } else {
        branch::push(sh, &ctx, &repo, &commit, branch, lease.as_deref())?;
    }
    println!("\n== {}", target.pull_word());
    let new = NewPull {
        title: title(&plan),
        body: body::render(&plan, &changelog, &base_branch),
        head: branch.clone(),
        base: base_branch,
    };
    open_or_update(&ctx, &target, &client, &new)
}

/// The plan a release commit would record and its table, or `None` (said
/// why): HEAD already carries a recorded release, or nothing is to release.
pub(crate) fn plan_to_record(
    sh: &Shell,
    repo: &Repo,
    opts: &plan::Options,
    recorded: impl Fn(&record::Active) -> String,
    nothing: &str,
) -> anyhow::Result<Option<Plan>> {
    if let Some(active) = record::active(sh, repo)? {
        println!("{}", recorded(&active));
        return Ok(None);
    }
    let (_, plan) = repo.plan(sh, opts)?;
    print!("{}", plan::render_table(&plan));
    if plan.releases().count() == 0 {
        println!("\nnothing to release: {nothing}");
        return Ok(None);
    }
    Ok(Some(plan))
}

/// The forge and a client with its token: a release pull request needs both.
fn forge_client(sh: &Shell, repo: &Repo) -> anyhow::Result<(ForgeTarget, Client)> {
    let Some(target) = repo.forge(sh)? else {
        return Err(fail(
            Code::ReleasePrForge,
            format!(
                "no forge for remote `{}`: its URL names no known forge and [forge] names none",
                repo.config.remote
            ),
            "set [forge] kind and repository in xtask-release.toml",
        ));
    };
    match forge::connect_env(target.clone()) {
        Connection::Ready(c) => Ok((target, c)),
        Connection::NoToken(m) => Err(fail(
            Code::ReleasePrForge,
            format!(
                "no token in {} to open the {} {}",
                m.variables.join(" or "),
                target.kind.title(),
                target.pull_word()
            ),
            "set one (a token that may push and write pull requests), then run it again",
        )),
    }
}

/// The checkout is clean: the edits are computed from its files.
pub(crate) fn clean_checkout(sh: &Shell, root: &Path) -> anyhow::Result<()> {
    let status = shell::read(
        cmd!(sh, "git --no-optional-locks -C {root} status --porcelain --untracked-files=normal"),
        Code::Git,
        "check the repository",
    )?;
    if status.is_empty() {
        return Ok(());
    }
    let files: Vec<&str> = status.lines().take(5).map(|l| l.get(3..).unwrap_or(l)).collect();
    Err(fail(
        Code::ReleasePrDirty,
        format!("the work tree has uncommitted changes ({} file(s): {})", status.lines().count(), files.join(", ")),
        "commit or stash them: the release pull request is made from HEAD",
    ))
}

/// The title: the release commit's subject, shortened for a long release.
fn title(plan: &Plan) -> String {
    let subject = write::subject(plan);
    if subject.chars().count() <= 200 {
        return subject;
    }
    format!("chore(release): {} packages", plan.releases().count())
}

/// Updates the open pull request of the branch, or opens one. Finding it is a
/// read (a dry run does it too); opening and updating are effects.
fn open_or_update(ctx: &Ctx, target: &ForgeTarget, client: &Client, new: &NewPull) -> anyhow::Result<()> {
    let word = target.pull_word();
    match client.find_pull(&new.head)? {
        Some(open) if open.shows(target.kind, new) => {
            println!("  {word} #{} is up to date: {}", open.number, open.url.as_deref().unwrap_or(""));
            Ok(())
        }
        Some(open) => ctx.effect(format_args!("{} (title and body)", target.update_pull_call(open.number)), || {
            let p = client.update_pull(open.number, new)?;
            println!("  updated {word} #{}: {}", p.number, p.url.as_deref().unwrap_or(""));
            Ok(())
        }),
        None => ctx.effect(format_args!("{} ({} into {})", target.open_pull_call(), new.head, new.base), || {
            let p = client.open_pull(new)?;
            println!("  opened {word} #{}: {}", p.number, p.url.as_deref().unwrap_or(""));
            Ok(())
        }),
    }
}
