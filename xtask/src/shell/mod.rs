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
//!
//! `mode` holds `Mode` and `Ctx` (the effect switch), `files` the atomic
//! writes, the failpoints and `fs` (file access with the path in its errors).

use std::io::{Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use xshell::Cmd;

use crate::error::{fail, Code, Failure};

mod children;
mod files;
mod mode;
#[cfg(test)]
mod tests;

pub use children::{on_interrupt, stop_left_behind, track as track_children, Interrupt};
use files::failpoint;
pub use files::{failpoints, fs, temp_file, write_atomic, Armed, TEMP_MARK};
pub use mode::{Ctx, Mode};

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
