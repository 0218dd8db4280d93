//! `cargo xtask init`: set a repository up for xtask-release.
//!
//! Without `--into`, it writes `xtask-release.toml` for the repository the
//! xtask is in. With `--into DIR` it also copies this xtask's own source into
//! `DIR/xtask` (the template), makes it a member of DIR's Cargo workspace (or
//! gives it a workspace of its own at DIR), adds the `xtask` alias to
//! `DIR/.cargo/config.toml` and has git ignore `/target`.
//!
//! The configuration is inferred from what is there (`look` gathers, with
//! `manifests` reading the roots and registries; `infer` decides, pure;
//! `report` says what was found). Every change is computed first, as whole
//! files (`changes`, `cargo_setup`); unchanged ones are dropped, so a second
//! run finds nothing to do. Then the refusals (uncommitted changes; someone's
//! file replaced without `--yes`), then a dry run prints the changes as
//! diffs, and everything is written through `Ctx`.

mod cargo_setup;
mod change;
mod changes;
mod diff;
pub mod infer;
mod lock;
mod look;
mod manifests;
mod report;

use std::path::{Path, PathBuf};

use xshell::{cmd, Shell};

use crate::config::{Config, FILE_NAME};
use crate::error::{fail, Code};
use crate::repo::Repo;
use crate::shell::{self, Ctx, Mode};
use change::Change;
use look::Look;

pub use cargo_setup::{add_alias, add_member, Alias};
pub use diff::unified;

#[derive(Debug)]
pub struct Options {
    pub into: Option<PathBuf>,
    pub mode: Mode,
    pub yes: bool,
}

/// The alias every repository gets: the cargo-xtask convention, which works
/// from any folder of the workspace the xtask is a member of.
pub const ALIAS: &str = "run --package xtask --";

/// The root manifest of a repository without a Cargo workspace.
pub const OWN_WORKSPACE: &str = "\
# The xtask's own workspace: this repository has no other Rust code, and
# `cargo xtask` (the alias in .cargo/config.toml) runs the member `xtask`.
[workspace]
resolver = \"2\"
members = [\"xtask\"]
";

pub fn run(sh: &Shell, root: Option<&Path>, opts: &Options) -> anyhow::Result<()> {
    let target = match &opts.into {
        Some(dir) => top_of_repository(dir)?,
        None => Repo::locate(root)?,
    };
    let look = look::look(sh, &target)?;
    let inferred = infer::infer(&look.found);
    let text = infer::render(&look.found, &inferred);
    let config = read_back(&text, &look)?;
    println!("init: {}", target.display());
    print!("{}", report::report(&look, &inferred, &config));

    let mut notes: Vec<String> = vec![];
    let changes = changes::changes(sh, &target, opts.into.is_some(), text, &mut notes)?;
    for n in &notes {
        println!("note: {n}");
    }
    if changes.is_empty() {
        println!("nothing to change: {} is set up", target.display());
        return Ok(());
    }
    println!("changes:");
    print!("{}", changes::summary(&changes));

    let refusals = refusals(sh, &target, &changes, opts.yes)?;
    let ctx = Ctx::new(opts.mode, target.clone());
    // a dry run shows each change as a diff, then what it would write
    print!("{}", ctx.mode.pick_with(|| changes::diffs(&changes), String::new));
    for r in ctx.stops(refusals)? {
        println!("note: without --dry-run, init would stop: {}", crate::error::render(&r).1.trim_end());
    }
    changes::write(&ctx, &target, &changes)?;
    println!(
        "{}",
        ctx.mode.pick(
            "dry run: nothing was written",
            "done. Commit these files, then run `cargo xtask check` and `cargo xtask plan`"
        )
    );
    Ok(())
}

/// The configuration `text` as `plan` will read it (with the umbrellas' groups).
fn read_back(text: &str, look: &Look) -> anyhow::Result<Config> {
    let mut config = Config::parse(text).map_err(|e| {
        fail(Code::Internal, format!("init wrote a configuration it cannot read: {e:#}"), "report this")
    })?;
    if let Some(ws) = &look.ws {
        crate::tags::add_umbrella_groups(&mut config, ws);
    }
    Ok(config)
}

/// Why init should not write `changes`: someone's file replaced without
/// `--yes`, uncommitted changes in `target`.
fn refusals(sh: &Shell, target: &Path, changes: &[Change], yes: bool) -> anyhow::Result<Vec<anyhow::Error>> {
    let mut refusals = vec![];
    if !yes {
        refusals.extend(overwrite_refusal(changes));
    }
    refusals.extend(dirty_refusal(sh, target)?);
    Ok(refusals)
}

/// The refusal to replace the copied xtask's files or the configuration with different content.
fn overwrite_refusal(changes: &[Change]) -> Option<anyhow::Error> {
    let replaced: Vec<&str> = changes
        .iter()
        .filter(|c| c.old.is_some() && (c.template || c.rel == FILE_NAME))
        .map(|c| c.rel.as_str())
        .collect();
    let first = replaced.first()?;
    Some(fail(
        Code::InitOverwrite,
        format!(
            "init would replace {first} with different content{}",
            if replaced.len() > 1 { format!(" (and {} more)", replaced.len() - 1) } else { String::new() }
        ),
        "see the changes with `cargo xtask init --dry-run`, then run again with --yes to replace them",
    ))
}

/// The refusal to write into a work tree with uncommitted changes.
fn dirty_refusal(sh: &Shell, target: &Path) -> anyhow::Result<Option<anyhow::Error>> {
    let status = shell::output(
        cmd!(sh, "git --no-optional-locks -C {target} status --porcelain --untracked-files=normal"),
        Code::Git,
        "check that the folder is a working git repository",
    )?;
    let status = String::from_utf8_lossy(&status);
    let Some(first) = status.lines().next() else { return Ok(None) };
    Ok(Some(fail(
        Code::InitDirty,
        format!(
            "{} has uncommitted changes ({} path(s), e.g. `{}`)",
            target.display(),
            status.lines().count(),
            first.get(3..).unwrap_or(first)
        ),
        "commit or stash them first, so that what init writes is a change of its own",
    )))
}
/// `dir`, which must be the top of a git work tree.
fn top_of_repository(dir: &Path) -> anyhow::Result<PathBuf> {
    let top = dir.canonicalize().map_err(|e| {
        fail(Code::NotARepo, format!("--into {}: {e}", dir.display()), "give the folder of an existing git repository")
    })?;
    if !top.join(".git").exists() {
        return Err(fail(
            Code::NotARepo,
            format!("--into {}: not the top of a git repository", dir.display()),
            "run `git init` there first (init commits nothing), or give the repository's top folder",
        ));
    }
    Ok(top)
}

#[cfg(test)]
mod tests;
