//! Running programs. Every subprocess goes through xshell's `cmd!` (no shell
//! strings); this module adds the trace (`XTASK_TRACE=1` prints each command to
//! stderr, which is how tests count git invocations) and turns failures into
//! coded errors that show the command and what it printed.

use xshell::Cmd;

use crate::error::{fail, Code};

static TRACE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--verbose`: trace every command from now on.
pub fn set_trace() {
    TRACE.store(true, std::sync::atomic::Ordering::Relaxed);
}

pub fn trace_enabled() -> bool {
    TRACE.load(std::sync::atomic::Ordering::Relaxed)
        || std::env::var_os("XTASK_TRACE").is_some_and(|v| !v.is_empty() && v != "0")
}

fn trace(cmd: &Cmd<'_>) {
    if trace_enabled() {
        eprintln!("+ {cmd}");
    }
}

/// Runs `cmd` and returns its stdout as bytes; a non-zero exit is a `code` error.
pub fn output(cmd: Cmd<'_>, code: Code, help: &str) -> anyhow::Result<Vec<u8>> {
    trace(&cmd);
    let shown = cmd.to_string();
    let out = cmd.quiet().ignore_status().output().map_err(|e| {
        fail(Code::Tool, format!("cannot run `{shown}`: {e}"), "install the program and make sure it is on PATH")
    })?;
    if !out.status.success() {
        let text = if out.stderr.iter().any(|b| !b.is_ascii_whitespace()) { &out.stderr } else { &out.stdout };
        let text = String::from_utf8_lossy(text);
        let last = text.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
        // the tail of the program's own output says what went wrong
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.len() > 1 {
            for l in &lines[lines.len().saturating_sub(20)..] {
                eprintln!("  | {l}");
            }
        }
        return Err(fail(code, format!("`{shown}` failed ({}): {last}", out.status), help));
    }
    Ok(out.stdout)
}

/// Like `output`, as trimmed UTF-8 text (lossy).
pub fn read(cmd: Cmd<'_>, code: Code, help: &str) -> anyhow::Result<String> {
    let out = output(cmd, code, help)?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}
