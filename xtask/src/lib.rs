//! xtask-release: release automation for Cargo and uv workspaces, kept in the
//! repository as a `cargo xtask`. This file only dispatches (the read-only commands are in
//! `commands`); see ARCHITECTURE.md.
//! The crate is a library with a thin binary (`main.rs`) so that fuzz targets
//! and benchmarks can call the pure parts directly.

pub mod changelog;
pub mod check;
pub mod commands;
pub mod commits;
pub mod config;
pub mod demo;
pub mod edits;
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
pub mod tags;
pub mod tls;
pub mod version;
pub mod version_files;
pub mod workspace;

#[cfg(test)]
mod test_support;

use std::path::Path;
use std::process::ExitCode;

use xshell::Shell;

use crate::error::Code;
use crate::flags::Command;
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

/// One line per command; each command's steps are in the module named.
pub fn run_command(sh: &Shell, root: Option<&Path>, config: Option<&Path>, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Help(text) => commands::help(text),
        Command::Explain { code } => commands::explain(code.as_deref()),
        Command::Demo { keep } => demo::run(sh, keep),
        Command::Init(opts) => init::run(sh, root, &opts),
        Command::Plan { format, opts } => commands::plan(sh, &Repo::load(root, config)?, format, &opts),
        Command::Changelog { format, opts } => commands::changelog(sh, &Repo::load(root, config)?, format, &opts),
        Command::Release(opts) => release::run(sh, root, config, &opts),
        Command::Rollback(opts) => release::rollback::run(sh, root, config, &opts),
        Command::Graph { format, deps, rdeps } => commands::graph(&Repo::load(root, config)?, format, deps, rdeps),
        Command::Check { format } => commands::check(&Repo::load(root, config)?, format),
    }
}
