//! The one way to run a program, and the effect switch.
//!
//! Every subprocess the tool starts goes through this module (a unit test scans
//! the sources for any that does not):
//!
//! - **Queries** (`read`, `output`, `probe`, `succeeds`, `stream`) only look:
//!   `git rev-parse`, `git ls-remote`, `cargo metadata --locked`. They run in
//!   every mode, a dry run included.
//! - **Effects** go through `Ctx` (`exec`, `write`, `create_dir_all`, ...,
//!   and `effect` for any other step): each is described once, and the
//!   `Mode` decides whether it happens; in a dry run the description is
//!   printed (`  would ...`) instead.
//!
//! All of them print `+ COMMAND` to stderr under `--verbose` (or
//! `XTASK_TRACE=1`), and turn a failure into a coded error that shows the
//! command and the tail of what it printed.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use xshell::Cmd;

use crate::error::{fail, Code, Failure};

mod children;
pub use children::{stop_left_behind, track as track_children};

static TRACE: AtomicBool = AtomicBool::new(false);

/// `--verbose`: trace every command from now on.
pub fn set_trace() {
    TRACE.store(true, Ordering::Relaxed);
}

pub fn trace_enabled() -> bool {
    TRACE.load(Ordering::Relaxed) || std::env::var_os("XTASK_TRACE").is_some_and(|v| !v.is_empty() && v != "0")
}

fn trace(shown: &str) {
    if trace_enabled() {
        eprintln!("+ {shown}");
    }
}

/// Traces an HTTP request the tool makes (registries, forges): they are not
/// programs, but `--verbose` promises to show everything the tool asks of the
/// outside world.
pub fn trace_http(method: &str, url: &str) {
    trace(&format!("{method} {url}"));
}

/// Query: runs `cmd` (in every mode) and returns its stdout; a non-zero exit is a `code` error.
pub fn output(cmd: Cmd<'_>, code: Code, help: &str) -> anyhow::Result<Vec<u8>> {
    let shown = cmd.to_string();
    trace(&shown);
    let out = run(cmd, &shown, true).map_err(|e| cannot_run(&shown, e))?;
    if !out.status.success() {
        return Err(failed(&shown, &out.status.to_string(), &out.stdout, &out.stderr, code, help));
    }
    Ok(out.stdout)
}

/// Like `output`, but a failure shows the program's whole output, stdout and stderr, not its tail:
/// a build backend's own error (a traceback) sits above the builder's summary of it.
fn output_whole(cmd: Cmd<'_>, code: Code, help: &str) -> anyhow::Result<Vec<u8>> {
    let shown = cmd.to_string();
    trace(&shown);
    let out = cmd.quiet().ignore_status().output().map_err(|e| cannot_run(&shown, e))?;
    if !out.status.success() {
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        for l in &lines {
            eprintln!("  | {l}");
        }
        // uv's and cargo's own verdict, else the last line
        let cause = lines.iter().find(|l| l.starts_with("error")).or(lines.last()).map_or("", |l| l.trim());
        return Err(fail(code, format!("`{shown}` failed ({}): {cause}", out.status), help));
    }
    Ok(out.stdout)
}

/// Query: like `output`, as trimmed UTF-8 text (lossy).
pub fn read(cmd: Cmd<'_>, code: Code, help: &str) -> anyhow::Result<String> {
    let out = output(cmd, code, help)?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// Query whose failure is an answer, not an error (`git rev-parse --verify`,
/// `gh --version`): trimmed stdout on success, `None` otherwise.
pub fn probe(cmd: Cmd<'_>) -> Option<String> {
    let shown = cmd.to_string();
    trace(&shown);
    let out = run(cmd, &shown, true).ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Query: did `cmd` exit 0? Its output is discarded.
pub fn succeeds(cmd: Cmd<'_>) -> bool {
    let shown = cmd.to_string();
    trace(&shown);
    run(cmd, &shown, false).is_ok_and(|o| o.status.success())
}

/// Query fed on stdin: like `output`, with `input` written to the program's
/// stdin (`git cat-file --batch`). `Cmd::stdin` is not used: the process
/// starts in `start`, which takes a `std::process::Command`, and that drops
/// xshell's stdin contents.
pub fn output_with_input(cmd: Cmd<'_>, input: String, code: Code, help: &str) -> anyhow::Result<Vec<u8>> {
    let shown = cmd.to_string();
    trace(&shown);
    let out = run_with(cmd, &shown, true, Some(input)).map_err(|e| cannot_run(&shown, e))?;
    if !out.status.success() {
        return Err(failed(&shown, &out.status.to_string(), &out.stdout, &out.stderr, code, help));
    }
    Ok(out.stdout)
}

/// Runs `cmd` to its end, stdin closed, stdout and stderr captured (or
/// discarded), through `start`.
fn run(cmd: Cmd<'_>, shown: &str, capture: bool) -> std::io::Result<Output> {
    run_with(cmd, shown, capture, None)
}

/// `run`, with `input` (if any) written to stdin from a thread of its own, so
/// that a program that answers as it reads cannot block on a full pipe.
fn run_with(cmd: Cmd<'_>, shown: &str, capture: bool, input: Option<String>) -> std::io::Result<Output> {
    let mut command = Command::from(cmd);
    let out = || if capture { Stdio::piped() } else { Stdio::null() };
    let stdin = if input.is_some() { Stdio::piped() } else { Stdio::null() };
    command.stdin(stdin).stdout(out()).stderr(out());
    let (mut child, _running) = start(command, shown)?;
    let writer = match (child.stdin.take(), input) {
        (Some(mut pipe), Some(text)) => Some(std::thread::spawn(move || pipe.write_all(text.as_bytes()))),
        _ => None,
    };
    let out = child.wait_with_output()?;
    if let Some(w) = writer {
        // a program that exits before reading everything closes the pipe: its status says why
        let _ = w.join();
    }
    Ok(out)
}

/// The one place a child process starts: in its own process group, never
/// outliving the xtask, recorded while it runs (`children`). Keep the returned
/// record until the child has been waited for.
fn start(mut command: Command, shown: &str) -> std::io::Result<(Child, children::Running)> {
    children::configure(&mut command);
    let group = children::leads_group(&command);
    let child = command.spawn()?;
    let running = children::started(child.id(), group);
    failpoint(|| format!("aborting while `{shown}` runs (PID {})", child.id()));
    Ok((child, running))
}

/// Query with streamed output: `feed` sees stdout chunk by chunk, so that a
/// large `git log` is never held in memory whole (xshell cannot stream).
pub fn stream(program: &str, args: &[&str], code: Code, help: &str, mut feed: impl FnMut(&[u8])) -> anyhow::Result<()> {
    let shown = format!("{program} {}", args.join(" "));
    trace(&shown);
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let (mut child, _running) = start(command, &shown).map_err(|e| cannot_run(&shown, e))?;
    let mut stdout = child.stdout.take().expect("piped");
    // stderr is drained on its own thread so that a chatty program cannot block
    let mut stderr = child.stderr.take().expect("piped");
    let err_reader = std::thread::spawn(move || {
        let mut buf = vec![];
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        let n = stdout.read(&mut chunk).map_err(|e| cannot_run(&shown, e))?;
        if n == 0 {
            break;
        }
        feed(&chunk[..n]);
    }
    let status = child.wait().map_err(|e| cannot_run(&shown, e))?;
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(failed(&shown, &status.to_string(), &[], &err, code, help));
    }
    Ok(())
}

fn cannot_run(shown: &str, e: impl std::fmt::Display) -> anyhow::Error {
    fail(Code::Tool, format!("cannot run `{shown}`: {e}"), "install the program and make sure it is on PATH")
}

fn failed(shown: &str, status: &str, stdout: &[u8], stderr: &[u8], code: Code, help: &str) -> anyhow::Error {
    let text = if stderr.iter().any(|b| !b.is_ascii_whitespace()) { stderr } else { stdout };
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let last = lines.last().map_or("", |l| l.trim()).to_string();
    // the tail of the program's own output says what went wrong
    if lines.len() > 1 {
        for l in &lines[lines.len().saturating_sub(20)..] {
            eprintln!("  | {l}");
        }
    }
    let mut f = Failure::new(code, format!("`{shown}` failed ({status}): {last}"), help);
    f.output = Some(text.into_owned());
    anyhow::Error::new(f)
}

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

/// The temporary file `write_atomic` writes `path` through: `STEM.xtask-tmp-PID`
/// beside it (a resume after a kill removes those of the files it restores).
pub fn temp_file(path: &Path, pid: u32) -> PathBuf {
    path.with_extension(format!("{TEMP_MARK}{pid}"))
}

/// What every temporary file name of the tool holds after the file's stem.
pub const TEMP_MARK: &str = "xtask-tmp-";

/// Writes a file atomically: temp file, fsync, rename, fsync of the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = temp_file(path, std::process::id());
    let io = |e: std::io::Error| fs::error("write", path, e);
    {
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    failpoint(|| format!("aborting after writing {}, before moving it into place", tmp.display()));
    std::fs::rename(&tmp, path).map_err(io)?;
    failpoint(|| format!("aborting after writing {}", path.display()));
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Failpoints inside a step (the write step and its commit): with
/// `XTASK_FAILPOINT=write:N` the process aborts at the Nth point while the
/// step's `Armed` guard lives: a temporary file written but not yet moved into
/// place, a file written, a child running. The crash tests kill at each.
static POINTS: std::sync::Mutex<Option<(&'static str, usize)>> = std::sync::Mutex::new(None);
static POINTS_PASSED: AtomicUsize = AtomicUsize::new(0);

/// Counts the failpoints of step `name` until the guard is dropped.
pub fn failpoints(name: &'static str) -> Armed {
    let target = std::env::var("XTASK_FAILPOINT").ok();
    let wanted = target.as_deref().and_then(|t| t.strip_prefix(name)?.strip_prefix(':')?.parse::<usize>().ok());
    if let Some(n) = wanted {
        *POINTS.lock().unwrap_or_else(|e| e.into_inner()) = Some((name, n));
    }
    Armed
}

/// While it lives, the failpoints of its step count.
pub struct Armed;

impl Drop for Armed {
    fn drop(&mut self) {
        *POINTS.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

fn failpoint(what: impl FnOnce() -> String) {
    let Some((name, target)) = *POINTS.lock().unwrap_or_else(|e| e.into_inner()) else { return };
    let n = POINTS_PASSED.fetch_add(1, Ordering::SeqCst) + 1;
    if n == target {
        eprintln!("failpoint {name}:{n}: {}", what());
        std::process::abort();
    }
}

/// File system calls whose failures carry a code, the path and the next step.
pub mod fs {
    use std::path::Path;

    use crate::error::{fail, Code};

    pub fn error(what: &str, path: &Path, e: std::io::Error) -> anyhow::Error {
        let help = match e.kind() {
            std::io::ErrorKind::NotFound => "check that the path exists",
            std::io::ErrorKind::PermissionDenied => "check the permissions of the path",
            _ => "check the permissions of the path and the free disk space",
        };
        fail(Code::Io, format!("cannot {what} {}: {e}", path.display()), help)
    }

    pub fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
        std::fs::read(path).map_err(|e| error("read", path, e))
    }

    pub fn read_to_string(path: &Path) -> anyhow::Result<String> {
        std::fs::read_to_string(path).map_err(|e| error("read", path, e))
    }

    pub fn create_dir_all(path: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(path).map_err(|e| error("create the folder", path, e))
    }

    pub fn remove_dir_all(path: &Path) -> anyhow::Result<()> {
        match std::fs::remove_dir_all(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(error("remove", path, e)),
            _ => Ok(()),
        }
    }

    pub fn remove_file(path: &Path) -> anyhow::Result<()> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(error("remove", path, e)),
            _ => Ok(()),
        }
    }

    pub fn rename(from: &Path, to: &Path) -> anyhow::Result<()> {
        std::fs::rename(from, to).map_err(|e| error(&format!("move to {} the file", to.display()), from, e))
    }

    pub fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
        std::fs::write(path, bytes).map_err(|e| error("write", path, e))
    }
}

#[cfg(test)]
mod tests {
    /// Every subprocess goes through this module: no other source file may
    /// start one on its own (`.run()`, `.read()`, `.output()` on an xshell
    /// command, or `std::process::Command`).
    #[test]
    fn no_subprocess_bypasses_the_runner() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = vec![];
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                // the runner: shell.rs and its submodules (shell/children.rs configures each child)
                let runner = path.ends_with("shell.rs") || path.parent().is_some_and(|d| d.ends_with("src/shell"));
                if path.extension().is_none_or(|e| e != "rs") || runner {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    // `.stdin(TEXT)` on an xshell command is lost in `start`: `output_with_input` feeds stdin
                    let bypass = [
                        "process::Command",
                        ".run()",
                        ".read()",
                        ".output()",
                        ".read_stderr()",
                        ".spawn()",
                        ").stdin(",
                    ]
                    .iter()
                    .any(|m| line.contains(m));
                    if bypass {
                        offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "subprocesses outside shell.rs:\n{}", offenders.join("\n"));
    }

    /// The dry run is one switch: only this module (the mode switch) and
    /// flags.rs (which parses `--dry-run`) may branch on the mode. Anywhere
    /// else a step describes its effect once (`Ctx::effect`) and the mode
    /// decides whether it happens; a value that differs by mode is picked
    /// here (`Mode::pick`), never by an `if` of the caller's.
    #[test]
    fn no_dry_run_branch_outside_the_mode_switch() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = vec![];
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let switch = path.ends_with("shell.rs")
                    || path.ends_with("flags.rs")
                    || path.parent().is_some_and(|d| d.ends_with("src/shell"));
                if path.extension().is_none_or(|e| e != "rs") || switch {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    let code = line.trim_start();
                    if code.starts_with("//") {
                        continue;
                    }
                    if branches_on_mode(code) {
                        offenders.push(format!("{}:{}: {}", path.display(), n + 1, code));
                    }
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "{} dry-run branch(es) outside the mode switch (shell.rs):\n{}",
            offenders.len(),
            offenders.join("\n")
        );
    }

    /// A line that reads the mode as a flag (`dry_run`, the identifier) or
    /// branches on a `Mode` (`if`/`match`/`==` with `Mode::` or `.mode`).
    fn branches_on_mode(code: &str) -> bool {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let flag = code
            .match_indices("dry_run")
            .any(|(at, m)| !code[..at].ends_with(ident) && !code[at + m.len()..].starts_with(ident));
        let branch = ["if ", "match ", "=>", "==", "!=", "matches!"].iter().any(|b| code.contains(b));
        flag || (branch && (code.contains("Mode::") || code.contains(".mode ") || code.contains(".mode)")))
    }

    #[test]
    fn the_tidy_check_sees_a_branch() {
        assert!(branches_on_mode("if ctx.dry_run {"));
        assert!(branches_on_mode("let jobs = if opts.mode == Mode::DryRun { 1 } else { jobs };"));
        assert!(branches_on_mode("match self.ctx.mode {"));
        assert!(!branches_on_mode("fn dry_run_banner(ctx: &Ctx) {"));
        assert!(!branches_on_mode("let ctx = Ctx::new(Mode::DryRun, root);"));
    }

    /// What a query is fed reaches the program's stdin (`git cat-file --batch` reads its requests there).
    #[test]
    fn a_query_is_fed_its_input() {
        let sh = xshell::Shell::new().unwrap();
        let input = "one\n".repeat(100_000); // more than a pipe holds
        let out =
            super::output_with_input(xshell::cmd!(sh, "cat"), input.clone(), crate::error::Code::Git, "").unwrap();
        assert_eq!(out.len(), input.len());
    }
}
