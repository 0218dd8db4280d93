//! The advisory lock: one release (or rollback) per repository at a time.
//!
//! `.git/xtask-release/lock.json` holds the PID, host and start time of its
//! holder, and the holder keeps an OS-level lock (`flock`) on the open file.
//! That OS lock dies with the process, however it dies (SIGKILL, power loss),
//! so after a crash the next `release --resume` takes the lock over by itself,
//! saying so. A lock is only left for a person to judge when it comes from
//! another host (a shared file system), or when its PID still runs an xtask.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::journal::{hostname, now_unix};
use crate::error::{fail, Code};
use crate::shell::fs;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub host: String,
    pub started_unix: u64,
}

/// Who holds the lock, as far as can be told without taking it.
#[derive(Debug)]
pub enum Holder {
    Free,
    /// A live process holds it (its OS lock is held, or its PID runs an xtask).
    Live(LockInfo),
    /// The process that took it is gone: it is taken over without a flag.
    Gone(LockInfo),
    /// Taken on another host: only `--clear-stale-lock` takes it over.
    OtherHost(LockInfo),
    /// The file exists but cannot be read.
    Unreadable,
}

pub struct Lock {
    path: PathBuf,
    _file: File,
}

fn path(dir: &Path) -> PathBuf {
    dir.join("lock.json")
}

/// Who holds the lock. Changes nothing (a dry run uses this).
pub fn inspect(dir: &Path) -> anyhow::Result<Holder> {
    let path = path(dir);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Holder::Free),
        Err(e) => return Err(fs::error("open", &path, e)),
    };
    let os_locked = matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock));
    Ok(judge(&file, os_locked))
}

fn judge(mut file: &File, os_locked: bool) -> Holder {
    let mut text = String::new();
    let _ = file.rewind();
    if file.read_to_string(&mut text).is_err() {
        return Holder::Unreadable;
    }
    if text.trim().is_empty() {
        return if os_locked { Holder::Unreadable } else { Holder::Free };
    }
    let Ok(info) = serde_json::from_str::<LockInfo>(&text) else { return Holder::Unreadable };
    if os_locked {
        Holder::Live(info)
    } else if info.host != hostname() {
        Holder::OtherHost(info)
    } else if runs_an_xtask(info.pid) {
        Holder::Live(info)
    } else {
        Holder::Gone(info)
    }
}

/// Does `pid` run an xtask? Without `/proc`, the OS lock (not held, or we would
/// not ask) already says its holder is gone.
fn runs_an_xtask(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if !Path::new("/proc/self").exists() {
        return false;
    }
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        // a PID reused by another program after a crash or reboot is not the holder
        Ok(cmdline) => String::from_utf8_lossy(&cmdline).contains("xtask"),
        Err(_) => false,
    }
}

/// Removes the lock file of a holder that is gone on this host (a release
/// killed after its journal was finished, before it removed its lock), so a
/// run that takes no lock ("nothing to release") leaves none behind.
pub fn clear_if_gone(ctx: &crate::shell::Ctx, dir: &Path) -> anyhow::Result<()> {
    if let Holder::Gone(_) = inspect(dir)? {
        ctx.remove_file(&path(dir), "the lock of a release whose process is gone")?;
    }
    Ok(())
}

pub fn describe(holder: &Holder) -> String {
    match holder {
        Holder::Free => "no release holds the lock".into(),
        Holder::Live(i) => {
            format!("a release is running: PID {} on {} since unix time {}", i.pid, i.host, i.started_unix)
        }
        Holder::Gone(i) => format!("the lock was left by PID {}, which is no longer running", i.pid),
        Holder::OtherHost(i) => {
            format!("the lock was taken on host {} by PID {} at unix time {}", i.host, i.pid, i.started_unix)
        }
        Holder::Unreadable => "the lock file exists but cannot be read (or is being written)".into(),
    }
}

impl Lock {
    /// Takes the lock. A live holder is an error naming it; a holder that is
    /// gone is replaced with a note; a lock from another host (or one that
    /// cannot be read) needs `clear_stale`.
    pub fn acquire(dir: &Path, clear_stale: bool) -> anyhow::Result<Lock> {
        fs::create_dir_all(dir)?;
        let path = path(dir);
        let io = |e: std::io::Error| fs::error("lock", &path, e);
        for _ in 0..5 {
            let file =
                OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
            let os_locked = match file.try_lock() {
                Ok(()) => false,
                Err(TryLockError::WouldBlock) => true,
                Err(TryLockError::Error(e)) => return Err(io(e)),
            };
            if !os_locked && !same_file(&file, &path) {
                continue; // the holder finished and removed the file meanwhile: open it again
            }
            let holder = judge(&file, os_locked);
            if os_locked {
                // a live process holds the OS lock: never taken over, whatever the flags
                return Err(fail(Code::Locked, describe(&holder), "wait for it to finish"));
            }
            match &holder {
                Holder::Free => {}
                Holder::Gone(_) => eprintln!("note: {}; taking it over", describe(&holder)),
                Holder::Live(_) if !clear_stale => {
                    return Err(fail(
                        Code::Locked,
                        describe(&holder),
                        "wait for it to finish; if that process is not a release, add --clear-stale-lock",
                    ))
                }
                Holder::OtherHost(_) | Holder::Unreadable if !clear_stale => {
                    return Err(fail(
                        Code::Locked,
                        describe(&holder),
                        "if no release runs there any more, add --clear-stale-lock (with --resume to continue it)",
                    ))
                }
                _ => eprintln!("note: {}; cleared (--clear-stale-lock)", describe(&holder)),
            }
            let info = LockInfo { pid: std::process::id(), host: hostname(), started_unix: now_unix() };
            let mut f = &file;
            f.set_len(0).map_err(io)?;
            f.rewind().map_err(io)?;
            f.write_all(serde_json::to_string(&info).expect("plain data").as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
            return Ok(Lock { path, _file: file });
        }
        Err(fail(Code::Locked, "could not take the release lock: it changed hands repeatedly", "retry"))
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for Lock {
    fn drop(&mut self) {
        // the children's records are gone with them: no empty folder stays
        // (`remove_dir` keeps one that still names a child, for the next holder)
        if let Some(state) = self.path.parent() {
            let _ = std::fs::remove_dir(state.join("children"));
        }
        // removed while still locked; the OS lock goes with the file handle
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::TempDir;

    #[test]
    fn a_held_lock_keeps_a_second_one_out_and_goes_with_its_holder() {
        let tmp = TempDir::new("lock-held");
        let d = tmp.0.clone();
        let first = Lock::acquire(&d, false).unwrap();
        assert!(matches!(inspect(&d).unwrap(), Holder::Live(_)));
        let err = Lock::acquire(&d, true).err().expect("a live OS lock is never cleared");
        assert!(format!("{err}").contains("XR112"), "{err}");
        drop(first);
        assert!(!d.join("lock.json").exists());
        assert!(matches!(inspect(&d).unwrap(), Holder::Free));
        drop(Lock::acquire(&d, false).unwrap());
    }

    #[test]
    fn a_finished_release_leaves_no_empty_children_folder() {
        // found releasing thiserror: `.git/xtask-release/children/` stayed, empty
        let tmp = TempDir::new("lock-children");
        let d = tmp.0.clone();
        let lock = Lock::acquire(&d, false).unwrap();
        std::fs::create_dir(d.join("children")).unwrap();
        drop(lock);
        assert!(!d.join("children").exists(), "an empty children folder was left");
        // a record left by a child that still runs is kept, for `stop_left_behind`
        let lock = Lock::acquire(&d, false).unwrap();
        std::fs::create_dir(d.join("children")).unwrap();
        std::fs::write(d.join("children/4194305"), "1").unwrap();
        drop(lock);
        assert!(d.join("children/4194305").exists());
    }

    #[test]
    fn a_dead_holder_on_this_host_is_taken_over_without_a_flag() {
        let tmp = TempDir::new("lock-dead");
        let d = tmp.0.clone();
        // PID 2^22 + 1 is above Linux's pid_max: no such process
        let info = LockInfo { pid: 4_194_305, host: hostname(), started_unix: 1 };
        std::fs::write(d.join("lock.json"), serde_json::to_string(&info).unwrap()).unwrap();
        assert!(matches!(inspect(&d).unwrap(), Holder::Gone(_)));
        let lock = Lock::acquire(&d, false).unwrap();
        let now: LockInfo = serde_json::from_str(&std::fs::read_to_string(d.join("lock.json")).unwrap()).unwrap();
        assert_eq!(now.pid, std::process::id());
        drop(lock);
    }

    #[test]
    fn a_dead_holders_lock_is_cleared_by_a_run_that_takes_none() {
        let tmp = TempDir::new("lock-cleared");
        let d = tmp.0.clone();
        let info = LockInfo { pid: 4_194_305, host: hostname(), started_unix: 1 };
        std::fs::write(d.join("lock.json"), serde_json::to_string(&info).unwrap()).unwrap();
        let dry = crate::shell::Ctx::new(crate::shell::Mode::DryRun, d.clone());
        clear_if_gone(&dry, &d).unwrap();
        assert!(d.join("lock.json").exists(), "a dry run removed the lock");
        let real = crate::shell::Ctx::new(crate::shell::Mode::Write, d.clone());
        clear_if_gone(&real, &d).unwrap();
        assert!(!d.join("lock.json").exists());
        // a live holder's lock stays
        let held = Lock::acquire(&d, false).unwrap();
        clear_if_gone(&real, &d).unwrap();
        assert!(d.join("lock.json").exists());
        drop(held);
    }

    #[test]
    fn a_lock_from_another_host_needs_the_flag() {
        let tmp = TempDir::new("lock-other");
        let d = tmp.0.clone();
        let info = LockInfo { pid: 1, host: "elsewhere.invalid".into(), started_unix: 1 };
        std::fs::write(d.join("lock.json"), serde_json::to_string(&info).unwrap()).unwrap();
        let err = Lock::acquire(&d, false).err().expect("another host's lock needs --clear-stale-lock");
        assert!(format!("{err:#}").contains("elsewhere.invalid"));
        assert!(d.join("lock.json").exists(), "a refused lock is left as it was");
        drop(Lock::acquire(&d, true).unwrap());
    }
}
