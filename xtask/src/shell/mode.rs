//! The effect switch: `Mode` decides, `Ctx` describes each effect once.

use std::path::{Path, PathBuf};

use xshell::Cmd;

use crate::error::Code;

use super::*;

/// What a run does with its effects: `Write` makes them, `DryRun` prints
/// what it would do and makes none. The only place the mode is branched on
/// (a unit test keeps it so): everywhere else a step describes its effect once
/// (`Ctx::effect`) and this decides whether it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Write,
    DryRun,
}

impl Mode {
    /// `--dry-run` given or not.
    pub fn dry_run_if(dry_run: bool) -> Mode {
        if dry_run {
            Mode::DryRun
        } else {
            Mode::Write
        }
    }

    /// A value that differs by mode (a banner, a label, what stands for a
    /// commit a dry run does not make).
    pub fn pick<T>(self, dry: T, write: T) -> T {
        match self {
            Mode::DryRun => dry,
            Mode::Write => write,
        }
    }

    /// Like `pick`, computing only the value of this mode.
    pub fn pick_with<T>(self, dry: impl FnOnce() -> T, write: impl FnOnce() -> T) -> T {
        match self {
            Mode::DryRun => dry(),
            Mode::Write => write(),
        }
    }
}

/// The effect switch: runs commands and changes files, or, in a dry run, prints
/// what it would do. Everything a release, rollback or init changes goes
/// through it.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub mode: Mode,
    /// The repository, shown as a relative prefix in printed commands.
    pub root: PathBuf,
}

impl Ctx {
    pub fn new(mode: Mode, root: PathBuf) -> Ctx {
        Ctx { mode, root }
    }

    /// A step with an effect, described once: a real run traces `what`
    /// (under `--verbose`) and runs `act`; a dry run prints `  would {what}`
    /// and returns `T::default()`. Steps that only make sense after an
    /// effect (verifying what was built, polling for what was uploaded) are
    /// effects too.
    pub fn effect<T: Default>(
        &self,
        what: impl std::fmt::Display,
        act: impl FnOnce() -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.effect_or(what, T::default(), act)
    }

    /// `effect`, where a dry run's result is `dry` (what a real run is
    /// expected to find, e.g. what the journal says was uploaded).
    pub fn effect_or<T>(
        &self,
        what: impl std::fmt::Display,
        dry: T,
        act: impl FnOnce() -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.switch(Some(&what), true, dry, act)
    }

    /// An effect a dry run skips without a word: a folder (the write into it
    /// is printed), the removal of a record of the tool's own, a question to
    /// the person, instructions for after a real run.
    pub fn quietly<T: Default>(&self, act: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
        self.switch(None, false, T::default(), act)
    }

    /// Reasons a real run stops at: it stops at the first; a dry run keeps
    /// them all, to report them, and goes on to show the rest.
    pub fn stops(&self, reasons: Vec<anyhow::Error>) -> anyhow::Result<Vec<anyhow::Error>> {
        let mut reasons = reasons.into_iter();
        match self.mode {
            Mode::Write => reasons.next().map_or(Ok(vec![]), Err),
            Mode::DryRun => Ok(reasons.collect()),
        }
    }

    /// The mode switch itself. `traced`: a command traces itself when it runs.
    fn switch<T>(
        &self,
        what: Option<&dyn std::fmt::Display>,
        traced: bool,
        dry: T,
        act: impl FnOnce() -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        match (self.mode, what) {
            (Mode::DryRun, Some(what)) => {
                println!("  would {what}");
                Ok(dry)
            }
            (Mode::DryRun, None) => Ok(dry),
            (Mode::Write, what) => {
                if let (true, Some(what)) = (traced, what) {
                    trace(&what.to_string());
                }
                act()
            }
        }
    }

    /// Effect: runs `cmd` (or prints it in a dry run) and returns its stdout.
    pub fn exec(&self, cmd: Cmd<'_>, code: Code, help: &str) -> anyhow::Result<Vec<u8>> {
        let what = format!("run: {}", self.show(&cmd.to_string()));
        self.switch(Some(&what), false, vec![], || output(cmd, code, help))
    }

    /// Effect: like `exec`, with environment variables the command needs (not
    /// secrets: they are shown, in a dry run and in the trace, before the command).
    pub fn exec_env(&self, cmd: Cmd<'_>, env: &[(String, String)], code: Code, help: &str) -> anyhow::Result<Vec<u8>> {
        let what = format!("run: {}{}", shown_env(env), self.show(&cmd.to_string()));
        self.switch(Some(&what), false, vec![], || output(with_env(cmd, env), code, help))
    }

    /// Effect: a build, like `exec_env`; its failure shows all the build printed (`output_whole`).
    pub fn exec_build(
        &self,
        cmd: Cmd<'_>,
        env: &[(String, String)],
        code: Code,
        help: &str,
    ) -> anyhow::Result<Vec<u8>> {
        let what = format!("run: {}{}", shown_env(env), self.show(&cmd.to_string()));
        self.switch(Some(&what), false, vec![], || output_whole(with_env(cmd, env), code, help))
    }

    /// Effect: writes a file atomically (temp file, fsync, rename).
    pub fn write(&self, path: &Path, bytes: &[u8], what: &str) -> anyhow::Result<()> {
        self.effect(format_args!("write: {} ({what})", self.show_path(path)), || write_atomic(path, bytes))
    }

    /// Effect: like `write`, with bytes computed only when the file is
    /// written (from files a dry run has not made).
    pub fn write_with(
        &self,
        path: &Path,
        what: &str,
        bytes: impl FnOnce() -> anyhow::Result<Vec<u8>>,
    ) -> anyhow::Result<()> {
        self.effect(format_args!("write: {} ({what})", self.show_path(path)), || write_atomic(path, &bytes()?))
    }

    /// Effect: writes many files under `dir` (a copied folder), each
    /// atomically, creating folders as needed; a dry run prints one line.
    pub fn write_files(&self, dir: &Path, files: &[(PathBuf, Vec<u8>)], what: &str) -> anyhow::Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        let shown = format!("write: {} file(s) under {}/ ({what})", files.len(), self.show_path(dir));
        self.effect(shown, || {
            for (path, bytes) in files {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)?;
                }
                write_atomic(path, bytes)?;
            }
            Ok(())
        })
    }

    pub fn create_dir_all(&self, path: &Path) -> anyhow::Result<()> {
        self.quietly(|| fs::create_dir_all(path))
    }

    pub fn remove_dir_all(&self, path: &Path, what: &str) -> anyhow::Result<()> {
        self.effect(format_args!("remove: {} ({what})", self.show_path(path)), || fs::remove_dir_all(path))
    }

    pub fn remove_file(&self, path: &Path, what: &str) -> anyhow::Result<()> {
        self.effect(format_args!("remove: {} ({what})", self.show_path(path)), || fs::remove_file(path))
    }

    pub fn rename(&self, from: &Path, to: &Path, what: &str) -> anyhow::Result<()> {
        let shown = format!("move: {} -> {} ({what})", self.show_path(from), self.show_path(to));
        self.effect(shown, || fs::rename(from, to))
    }

    /// Paths relative to the repository read better.
    pub fn show(&self, s: &str) -> String {
        s.replace(&format!("{}/", self.root.display()), "")
    }

    pub fn show_path(&self, p: &Path) -> String {
        self.show(&p.display().to_string())
    }
}

/// Environment variables as a command line shows them: `K=V ` each.
fn shown_env(env: &[(String, String)]) -> String {
    env.iter().map(|(k, v)| format!("{k}={v} ")).collect()
}

/// `cmd` with `env` set, traced before the command (not secrets: they are shown).
fn with_env<'a>(cmd: Cmd<'a>, env: &[(String, String)]) -> Cmd<'a> {
    if !env.is_empty() {
        trace(&format!("environment: {}", shown_env(env).trim_end()));
    }
    env.iter().fold(cmd, |c, (k, v)| c.env(k, v))
}
