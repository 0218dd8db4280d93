//! `rollback`: undo what can be undone of the last release. Its tags go,
//! locally and on the remote; the forge releases it made go (REST API); with
//! `--yank`, crates are yanked (`cargo yank`), and for what a registry cannot
//! yank the person is told what to do. The release commit stays in history:
//! `git revert` it if the version bumps must go too.

use std::path::Path;
use std::time::{Duration, SystemTime};

use xshell::{cmd, Shell};

use super::journal::{self, Journal};
use super::lock::Lock;
use super::pace::{self, Pacer};
use crate::error::{fail, Code};
use crate::forge::{self, Connection};
use crate::git;
use crate::rate::{human, Action};
use crate::repo::Repo;
use crate::shell::{Ctx, Mode};
use crate::version::Ecosystem;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub mode: Mode,
    pub yank: bool,
}

pub fn run(sh: &Shell, root: Option<&Path>, config: Option<&Path>, opts: &Options) -> anyhow::Result<()> {
    let repo = Repo::load(root, config)?;
    let root = &repo.root;
    let state = journal::state_dir(&git::git_dir(sh, root)?);
    let j = recorded_release(&state)?;
    let ctx = Ctx::new(opts.mode, root.clone());
    // a dry run takes no lock
    let _lock = ctx.quietly(|| Lock::acquire(&state, false).map(Some))?;
    let mut manual: Vec<String> = vec![];
    println!("rolling back the release of {}", j.tags.join(", "));
    print!("{}", ctx.mode.pick("dry run: nothing is deleted or yanked\n\n", ""));

    // forge releases first: a release whose tag is gone turns into a draft
    forge_delete(sh, &ctx, &repo, &j, &mut manual)?;
    delete_tags(sh, &ctx, &repo, &j)?;
    if opts.yank {
        yank(sh, &ctx, &repo, &j, &mut manual);
    } else {
        println!("versions stay on their registries (pass --yank to yank what can be yanked)");
    }
    if let Some(c) = &j.release_commit {
        println!("the release commit {c} stays in history: `git revert {c}` undoes its version bumps");
    }
    record_rolled_back(&ctx, &state)?;
    left_for_the_person(&manual)?;
    println!("rollback {}", ctx.mode.pick("dry run complete", "complete"));
    Ok(())
}

/// The release to roll back; fails (NoRelease) when none is recorded.
fn recorded_release(state: &Path) -> anyhow::Result<Journal> {
    let Some(j) = last_release(state)? else {
        return Err(fail(
            Code::NoRelease,
            "no release is recorded in .git/xtask-release (last-release.json or journal.json)",
            "delete tags by hand: git tag -d TAG && git push REMOTE --delete refs/tags/TAG",
        ));
    };
    Ok(j)
}

/// Deletes the release's tags: local, then remote (only those that are there).
fn delete_tags(sh: &Shell, ctx: &Ctx, repo: &Repo, j: &Journal) -> anyhow::Result<()> {
    let root = &repo.root;
    let remote = &repo.config.remote;
    let local: Vec<String> = j.tags.iter().filter(|t| git::tag_commit(sh, root, t).is_some()).cloned().collect();
    if !local.is_empty() {
        ctx.exec(cmd!(sh, "git -C {root} tag -d {local...}"), Code::Git, "delete the tags by hand")?;
    }
    if git::remote_url(sh, root, remote).is_some() {
        let listed = git::remote_tags(sh, root, remote)?;
        let on_remote: Vec<String> =
            j.tags.iter().filter(|t| listed.contains_key(*t)).map(|t| format!("refs/tags/{t}")).collect();
        let write = git::WRITE;
        if !on_remote.is_empty() {
            ctx.exec(
                cmd!(sh, "git -C {root} {write...} push --atomic --no-verify --quiet {remote} --delete {on_remote...}"),
                Code::PushFailed,
                "delete the remote tags by hand: git push REMOTE --delete refs/tags/TAG",
            )?;
        }
    }
    Ok(())
}

/// `--yank`: yanks the released crates (`cargo yank`), each after a token of
/// the registry's yank limit (`Pacer`), a refusal (429) waited out; what a
/// registry refuses otherwise, and every Python upload (no yank API), is left
/// for the person.
fn yank(sh: &Shell, ctx: &Ctx, repo: &Repo, j: &Journal, manual: &mut Vec<String>) {
    let pacer = Pacer::new(&repo.config, ctx.mode.pick(false, true));
    for e in j.plan.releases() {
        let version = e.next_version.clone().unwrap_or_default();
        let name = &e.name;
        match e.ecosystem {
            Ecosystem::Cargo => {
                // the first note of each wait: the countdown goes on in the pacer, one line is enough here
                let shown = std::cell::Cell::new(false);
                pacer.take_here(Ecosystem::Cargo, Action::Yank, |note| {
                    if !shown.replace(true) {
                        println!("  {name} {version}: waiting: {note}");
                    }
                });
                match cargo_yank(sh, ctx, repo, name, &version) {
                    Ok(Ok(_)) => {}
                    Ok(Err(until)) => manual.push(format!(
                        "{name} {version}: the registry refuses yanks (rate limit, 429) until {}; run `cargo yank --version {version} {name}` after that",
                        crate::rate::http_date_text(until.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()))
                    )),
                    Err(err) => manual.push(format!(
                        "{name} {version}: the cargo registry refused the yank ({}); yank it where the registry allows, or ask its operators",
                        crate::config::one_line(&format!("{err}"))
                    )),
                }
            }
            Ecosystem::Python => manual.push(format!(
                "{name} {version}: Python indexes have no yank API for uploads; yank it (PEP 592) in {}'s web interface, or delete the files where the index allows",
                repo.config.python_index_url
            )),
        }
    }
}

/// `cargo yank`, a refusal by the registry's rate limit (429) waited out
/// (`Ok(Err(until))`: for longer than `XTASK_MAX_RATE_WAIT`).
fn cargo_yank(
    sh: &Shell,
    ctx: &Ctx,
    repo: &Repo,
    name: &str,
    version: &str,
) -> anyhow::Result<Result<Vec<u8>, SystemTime>> {
    let registry = &repo.config.cargo_registry_args();
    let every = repo.config.rate_limits(Ecosystem::Cargo).yank.map_or(Duration::from_secs(60), |l| l.every);
    let attempt = || {
        ctx.exec(
            cmd!(sh, "cargo yank --quiet --version {version} {registry...} {name}"),
            Code::YankFailed,
            "yank by hand",
        )
    };
    pace::while_refused(attempt, every, |wait| {
        println!("  {name} {version}: refused by the registry's rate limit (429); trying again in {}", human(wait));
        std::thread::sleep(wait);
    })
}

/// Renames the release's record to `rolled-back-TIME.json`.
fn record_rolled_back(ctx: &Ctx, state: &Path) -> anyhow::Result<()> {
    let from = if state.join("journal.json").exists() { "journal.json" } else { "last-release.json" };
    let to = state.join(format!("rolled-back-{}.json", journal::now_unix()));
    ctx.rename(&state.join(from), &to, "the release is recorded as rolled back")
}

/// Lists the steps only a person can do; fails (RollbackIncomplete) when there are any.
fn left_for_the_person(manual: &[String]) -> anyhow::Result<()> {
    if manual.is_empty() {
        return Ok(());
    }
    eprintln!("left for you to do:");
    for m in manual {
        eprintln!("  - {m}");
    }
    Err(fail(
        Code::RollbackIncomplete,
        format!("rollback done except {} step(s) only a person can do (listed above)", manual.len()),
        "do them by hand; the tags are already gone",
    ))
}

/// The last release: an unfinished journal, else `last-release.json`.
fn last_release(state: &Path) -> anyhow::Result<Option<Journal>> {
    if let Some(j) = journal::Handle::load(state)? {
        return Ok(Some(j));
    }
    journal::read(&state.join("last-release.json"))
}

/// Deletes the forge releases this release created (journaled by the forge
/// step; the tags stay until the next step deletes them). Anything that fails
/// is left for the person.
fn forge_delete(sh: &Shell, ctx: &Ctx, repo: &Repo, j: &Journal, manual: &mut Vec<String>) -> anyhow::Result<()> {
    if j.forge_releases.is_empty() {
        return Ok(());
    }
    let Some(target) = repo.forge(sh)? else {
        manual.push(format!(
            "delete the forge releases of {} ([forge] no longer names the forge)",
            j.forge_releases.join(", ")
        ));
        return Ok(());
    };
    let kind = target.kind.title();
    let calls: Vec<String> = j
        .forge_releases
        .iter()
        .flat_map(|t| target.delete_calls(t).into_iter().map(move |call| format!("{call} (the {kind} release of {t})")))
        .collect();
    // one `would` line per call
    ctx.effect(calls.join("\n  would "), || forge_delete_each(target, j, manual))
}

/// `forge_delete`'s calls, or what is left for the person.
fn forge_delete_each(target: forge::ForgeTarget, j: &Journal, manual: &mut Vec<String>) -> anyhow::Result<()> {
    let kind = target.kind.title();
    let client = match forge::connect_env(target) {
        Connection::Ready(c) => c,
        Connection::NoToken(m) => {
            manual.push(format!(
                "delete the {kind} releases of {} (no token in {})",
                j.forge_releases.join(", "),
                m.variables.join(" or ")
            ));
            return Ok(());
        }
    };
    for t in &j.forge_releases {
        match client.delete(t) {
            Ok(true) => println!("  deleted the {kind} release of {t}"),
            Ok(false) => println!("  the {kind} release of {t} is already gone"),
            Err(e) => {
                manual.push(format!("delete the {kind} release of {t}: {}", crate::config::one_line(&format!("{e}"))))
            }
        }
    }
    Ok(())
}
