//! xtask-release: release automation for Cargo and uv workspaces, kept in the
//! repository as a `cargo xtask`. This file only dispatches; see ARCHITECTURE.md.
//! The crate is a library with a thin binary (`main.rs`) so that fuzz targets
//! and benchmarks can call the pure parts directly.

pub mod changelog;
pub mod check;
pub mod commits;
pub mod config;
pub mod demo;
pub mod error;
pub mod flags;
pub mod forge;
pub mod git;
pub mod graph;
pub mod history;
pub mod init;
pub mod plan;
pub mod registry;
pub mod release;
pub mod repo;
pub mod shell;
pub mod tls;
pub mod version;
pub mod version_files;
pub mod workspace;

#[cfg(test)]
mod test_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use xshell::Shell;

use crate::error::{fail, Code};
use crate::flags::{ChangelogFormat, CheckFormat, Command, PlanFormat};
use crate::repo::Repo;

/// The command line: parse, run, print the error with its code, exit 1 (2 for usage).
pub fn cli() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let result = Shell::new().map_err(anyhow::Error::from).and_then(|sh| {
        let (global, command) = flags::parse(args)?;
        if global.verbose {
            shell::set_trace();
        }
        run_command(&sh, global.root.as_deref(), global.config.as_deref(), command)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let (code, text) = error::render(&err);
            eprint!("{text}");
            ExitCode::from(if code == Code::Usage { 2 } else { 1 })
        }
    }
}

pub fn run_command(sh: &Shell, root: Option<&Path>, config: Option<&Path>, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Help(text) => print!("{text}"),
        Command::Explain { code: None } => {
            for c in Code::ALL {
                println!("{}  {}", c.id(), c.title());
            }
        }
        Command::Explain { code: Some(code) } => {
            let c = Code::parse(&code).ok_or_else(|| {
                fail(Code::Usage, format!("unknown error code `{code}`"), "`cargo xtask explain --list` lists them")
            })?;
            println!("{}: {}\n\n{}", c.id(), c.title(), c.text());
        }
        Command::Demo { keep } => demo::run(sh, keep)?,
        Command::Init(opts) => init::run(sh, root, &opts)?,
        Command::Plan { format, opts } => {
            let repo = Repo::load(root, config)?;
            let (_, plan) = repo.plan(sh, &opts)?;
            let out = match format {
                PlanFormat::Json => plan::render_json(&plan),
                PlanFormat::Csv => plan::render_csv(&plan),
                PlanFormat::Table => plan::render_table(&plan),
            };
            print!("{out}");
        }
        Command::Changelog { format, opts } => {
            let repo = Repo::load(root, config)?;
            let (_, plan) = repo.plan(sh, &opts)?;
            let sections = repo.changelog(sh, &plan)?;
            let styles = repo.changelog_styles(&sections);
            let out = match format {
                ChangelogFormat::Markdown if sections.is_empty() => "nothing to release: no changelog section\n".into(),
                ChangelogFormat::Markdown => changelog::render_markdown(&sections, &styles),
                ChangelogFormat::Json => changelog::render_json(&sections, &styles),
            };
            print!("{out}");
        }
        Command::Release(opts) => {
            release::run(sh, root, config, &opts)?;
        }
        Command::Rollback(opts) => release::rollback::run(sh, root, config, &opts)?,
        Command::Graph { format, deps, rdeps } => {
            let repo = Repo::load(root, config)?;
            // a version plan cannot read is no blank in the graph either: both fail alike
            repo.ws.require_plannable()?;
            let graph = repo.graph()?;
            let pick = |name: &str, flag: &str| repo.ws.lookup(name, flag);
            let show: BTreeSet<usize> = match (deps, rdeps) {
                (Some(n), _) => graph.deps_closure(pick(&n, "--deps")?),
                (_, Some(n)) => graph.rdeps_closure(pick(&n, "--rdeps")?),
                _ => (0..repo.ws.packages.len()).collect(),
            };
            print!("{}", graph::render(&repo.ws, &graph, &show, format));
        }
        Command::Check { format } => {
            let repo = Repo::load(root, config)?;
            let checks = check::run(&repo);
            let out = match format {
                CheckFormat::Json => check::render_json(&checks),
                CheckFormat::Text => check::render_text(&checks),
            };
            print!("{out}");
            let failed: Vec<&str> = checks.iter().filter(|c| !c.ok).map(|c| c.name).collect();
            if !failed.is_empty() {
                return Err(fail(
                    Code::CheckFailed,
                    format!("{} check(s) failed: {}", failed.len(), failed.join(", ")),
                    "fix the problems listed above, then run `cargo xtask check` again",
                ));
            }
        }
    }
    Ok(())
}
