//! xtask-release: release automation for Cargo and uv workspaces, kept in the
//! repository as a `cargo xtask`. This file only dispatches (the read-only commands are in
//! `commands`); see ARCHITECTURE.md.
//! The crate is a library with a thin binary (`main.rs`) so that fuzz targets
//! and benchmarks can call the pure parts directly.

pub mod cargo_api;
pub mod changelog;
pub mod check;
pub mod ci;
pub mod commands;
pub mod commits;
pub mod completions;
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
pub mod matrix;
pub mod plan;
pub mod rate;
pub mod registry;
pub mod release;
pub mod release_pr;
pub mod repo;
pub mod shell;
pub mod tags;
pub mod tls;
pub mod trusted;
pub mod version;
pub mod version_files;
pub mod workflow;
pub mod workspace;

#[cfg(test)]
mod stand_in_http;
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
            if ci::github_actions() {
                println!("{}", error::annotation(&err));
            }
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
        Command::Completions(shell) => completions::run(shell),
        Command::Plan { format, opts } => commands::plan(sh, &Repo::load(root, config)?, format, &opts),
        Command::Changelog { format, opts } => commands::changelog(sh, &Repo::load(root, config)?, format, &opts),
        Command::Release(opts) if opts.stage => release_pr::stage::run(sh, root, config, &opts),
        Command::Release(opts) => release::run(sh, root, config, &opts),
        Command::ReleasePr(opts) => release_pr::run(sh, root, config, &opts),
        Command::Rollback(opts) => release::rollback::run(sh, root, config, &opts),
        Command::Graph { format, deps, rdeps } => commands::graph(&Repo::load(root, config)?, format, deps, rdeps),
        Command::Check { format } => commands::check(&Repo::load(root, config)?, format),
        Command::Ci(opts) => workflow::run(sh, &Repo::load(root, config)?, &opts),
    }
}

#[cfg(test)]
mod tidy {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// The crate's modules import one another without a circle: each
    /// top-level module (`plan`, `release`, `edits`, ...) uses only modules on
    /// floors below it, read from the `crate::NAME` paths of its non-test code
    /// (ARCHITECTURE.md, "Codemap"). A new arrow that closes a circle names it here.
    #[test]
    fn modules_import_without_a_circle() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
        let modules: BTreeSet<String> = lib
            .lines()
            .filter_map(|l| l.strip_prefix("pub mod ").or_else(|| l.strip_prefix("mod ")))
            .map(|l| l.trim_end_matches(';').to_string())
            .collect();
        let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for m in &modules {
            let mut files = vec![];
            let (file, dir) = (src.join(format!("{m}.rs")), src.join(m));
            files.extend(file.is_file().then_some(file));
            if dir.is_dir() {
                let mut stack = vec![dir];
                while let Some(d) = stack.pop() {
                    for e in std::fs::read_dir(d).unwrap() {
                        let p = e.unwrap().path();
                        // unit tests (`tests.rs`, or a `tests/` folder of them) are no arrows
                        if p.is_dir() && !p.ends_with("tests") {
                            stack.push(p);
                        } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("tests.rs") {
                            files.push(p);
                        }
                    }
                }
            }
            for f in files {
                let text = std::fs::read_to_string(&f).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or("");
                for (at, _) in code.match_indices("crate::") {
                    let rest = &code[at + 7..];
                    // `crate::plan::Plan`, or `crate::{changelog, plan::Plan}`
                    let names: Vec<&str> = match rest.strip_prefix('{') {
                        Some(list) => list.split('}').next().unwrap_or("").split(',').collect(),
                        None => vec![rest],
                    };
                    for n in names {
                        let name: String = n.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        if name != *m && modules.contains(&name) {
                            uses.entry(m.clone()).or_default().insert(name);
                        }
                    }
                }
            }
        }
        // a circle: a module that reaches itself
        let reaches = |from: &str| {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<&str> = uses.get(from).into_iter().flatten().map(String::as_str).collect();
            while let Some(m) = stack.pop() {
                if seen.insert(m.to_string()) {
                    stack.extend(uses.get(m).into_iter().flatten().map(String::as_str));
                }
            }
            seen
        };
        let circles: Vec<String> = modules
            .iter()
            .filter(|m| reaches(m).contains(*m))
            .map(|m| format!("{m} -> {:?}", uses.get(m).cloned().unwrap_or_default()))
            .collect();
        assert!(circles.is_empty(), "modules in an import circle:\n{}", circles.join("\n"));
    }
}
