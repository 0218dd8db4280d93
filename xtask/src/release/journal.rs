//! The journal: every step of a release is recorded before and after it runs,
//! in `.git/xtask-release/journal.json`, written atomically (temp file, fsync,
//! rename, fsync of the folder). `release --resume` reads it to continue; the
//! lock (`lock.json`, same folder) keeps a second release out.
//!
//! Failpoints: with `XTASK_FAILPOINT=N` the process aborts right after the Nth
//! journal write, which is how the crash tests stop a release at every step
//! boundary. `XTASK_JOURNAL_TRACE=1` prints each transition to stderr.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::write_atomic;
use crate::error::{fail, Code};
use crate::plan::Plan;

pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Started,
    Done,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ArtifactRecord {
    pub file: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PackageRecord {
    /// Stage → state: `build`, `publish`, `verify`, `smoke`.
    pub stages: BTreeMap<String, Step>,
    /// What the build produced, recorded once: a resume reuses these files and
    /// never publishes anything whose checksum differs.
    pub artifacts: Vec<ArtifactRecord>,
    pub done: bool,
    /// "published and verified", "already published with the same checksum" ...
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Journal {
    pub format: u32,
    pub started_unix: u64,
    /// HEAD before the release wrote anything.
    pub base_commit: String,
    pub branch: String,
    /// The plan being executed, exactly as it was shown.
    pub plan: Plan,
    pub no_push: bool,
    /// Files the write step may change (restored from HEAD if a crash interrupts it).
    pub touched: Vec<String>,
    pub release_commit: Option<String>,
    pub tags: Vec<String>,
    /// Global steps: `write`, `commit`, `tags`, `push`.
    pub steps: BTreeMap<String, Step>,
    pub packages: BTreeMap<String, PackageRecord>,
    pub finished: bool,
}

impl Journal {
    pub fn step(&self, name: &str) -> Option<Step> {
        self.steps.get(name).copied()
    }
    pub fn stage(&self, pkg: &str, stage: &str) -> Option<Step> {
        self.packages.get(pkg).and_then(|p| p.stages.get(stage)).copied()
    }
    /// One line per package: what is public already.
    pub fn public_summary(&self) -> Vec<String> {
        let mut out = vec![];
        for e in self.plan.releases() {
            let rec = self.packages.get(&e.name).cloned().unwrap_or_default();
            let state = if rec.done {
                "published and verified".to_string()
            } else {
                match rec.stages.get("publish") {
                    Some(Step::Done) => "published (not yet verified)".to_string(),
                    Some(Step::Started) => "publishing was interrupted: it may be public".to_string(),
                    None => "not published".to_string(),
                }
            };
            out.push(format!("{} {}: {state}", e.name, e.next_version.as_deref().unwrap_or("")));
        }
        let tags = match self.step("push") {
            Some(Step::Done) => "pushed to the remote",
            Some(Step::Started) => "push was interrupted: they may be on the remote",
            None if self.step("tags") == Some(Step::Done) => "created locally, not pushed",
            None => "not created (or not all)",
        };
        out.push(format!("tags ({}): {tags}", self.tags.join(", ")));
        out
    }
}

/// The folder of the tool's own bookkeeping, inside `.git`.
pub fn state_dir(git_dir: &Path) -> PathBuf {
    git_dir.join("xtask-release")
}

/// The journal of a running release; a dry run has none.
pub struct Handle {
    path: PathBuf,
    state: Mutex<Journal>,
    writes: AtomicUsize,
    failpoint: Option<usize>,
    trace: bool,
}

impl Handle {
    pub fn create(dir: &Path, journal: Journal) -> anyhow::Result<Handle> {
        std::fs::create_dir_all(dir)?;
        let h = Handle::new(dir.join("journal.json"), journal);
        h.transition("release started", |_| {})?;
        Ok(h)
    }

    pub fn resume(dir: &Path, journal: Journal) -> Handle {
        Handle::new(dir.join("journal.json"), journal)
    }

    fn new(path: PathBuf, journal: Journal) -> Handle {
        let failpoint = std::env::var("XTASK_FAILPOINT").ok().and_then(|v| v.parse().ok());
        let trace = std::env::var_os("XTASK_JOURNAL_TRACE").is_some_and(|v| !v.is_empty() && v != "0");
        Handle { path, state: Mutex::new(journal), writes: AtomicUsize::new(0), failpoint, trace }
    }

    /// Reads the unfinished journal, if there is one.
    pub fn load(dir: &Path) -> anyhow::Result<Option<Journal>> {
        let path = dir.join("journal.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fail(Code::Io, format!("cannot read {}: {e}", path.display()), "check permissions")),
        };
        let mut j: Journal = serde_json::from_str(&text).map_err(|e| {
            fail(
                Code::JournalInvalid,
                format!("{} is not a journal this version can read: {e}", path.display()),
                "finish or abandon the release with the xtask version that started it",
            )
        })?;
        if j.format != FORMAT {
            return Err(fail(
                Code::JournalInvalid,
                format!("{} has format {}, this version reads {FORMAT}", path.display(), j.format),
                "finish the release with the xtask version that started it",
            ));
        }
        j.plan.reparse();
        Ok(Some(j))
    }

    pub fn get(&self) -> Journal {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes the journal and writes it; aborts here when the failpoint says so.
    pub fn transition(&self, label: &str, change: impl FnOnce(&mut Journal)) -> anyhow::Result<()> {
        let mut j = self.state.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut j);
        let text = serde_json::to_string_pretty(&*j).expect("journal is plain data");
        write_atomic(&self.path, text.as_bytes())?;
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if self.trace {
            eprintln!("journal {n}: {label}");
        }
        if self.failpoint == Some(n) {
            eprintln!("failpoint {n}: aborting after `{label}`");
            std::process::abort();
        }
        Ok(())
    }

    pub fn step(&self, name: &str, state: Step) -> anyhow::Result<()> {
        self.transition(&format!("{name} {state:?}"), |j| {
            j.steps.insert(name.to_string(), state);
        })
    }

    pub fn stage(&self, pkg: &str, stage: &str, state: Step) -> anyhow::Result<()> {
        self.transition(&format!("{pkg} {stage} {state:?}"), |j| {
            j.packages.entry(pkg.to_string()).or_default().stages.insert(stage.to_string(), state);
        })
    }

    /// Marks the journal finished and keeps it as `last-release.json` (what
    /// `rollback` reads); the unfinished journal is gone after this.
    pub fn finish(&self) -> anyhow::Result<()> {
        self.transition("release finished", |j| j.finished = true)?;
        let last = self.path.with_file_name("last-release.json");
        std::fs::rename(&self.path, &last)?;
        Ok(())
    }
}

/// An advisory lock: one release per repository at a time.
pub struct Lock {
    path: PathBuf,
}

#[derive(Debug, Serialize, Deserialize)]
struct LockInfo {
    pid: u32,
    host: String,
    started_unix: u64,
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

fn pid_alive(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        return Path::new(&format!("/proc/{pid}")).exists();
    }
    // without /proc: assume alive, the safe answer
    true
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Lock {
    /// Takes the lock. A lock of a live process is an error naming it; a lock of
    /// a dead process on this host is stale: an error unless `clear_stale`.
    pub fn acquire(dir: &Path, clear_stale: bool) -> anyhow::Result<Lock> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("lock.json");
        let info = LockInfo { pid: std::process::id(), host: hostname(), started_unix: now_unix() };
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    use std::io::Write;
                    f.write_all(serde_json::to_string(&info).expect("plain data").as_bytes())?;
                    f.sync_all()?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held: Option<LockInfo> =
                        std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str(&t).ok());
                    let Some(held) = held else {
                        return Err(fail(
                            Code::Locked,
                            format!("{} exists but cannot be read", path.display()),
                            "if no release is running, delete the file",
                        ));
                    };
                    let stale = held.host == info.host && !pid_alive(held.pid);
                    if !stale {
                        return Err(fail(
                            Code::Locked,
                            format!(
                                "another release is running: PID {} on {} since {} (unix time)",
                                held.pid, held.host, held.started_unix
                            ),
                            "wait for it to finish; if that host's process is gone, delete .git/xtask-release/lock.json",
                        ));
                    }
                    if !clear_stale {
                        return Err(fail(
                            Code::Locked,
                            format!(
                                "a stale lock is left by PID {}, which is no longer running (started at unix time {})",
                                held.pid, held.started_unix
                            ),
                            "the release it guarded was interrupted: add --clear-stale-lock (with --resume to continue it)",
                        ));
                    }
                    eprintln!("note: cleared a stale lock left by PID {}", held.pid);
                    std::fs::remove_file(&path)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(fail(Code::Locked, "could not take the release lock", "retry"))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
