//! Atomic writes, failpoints for the crash tests, and `fs`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

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

pub(super) fn failpoint(what: impl FnOnce() -> String) {
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
