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

use crate::error::{fail, Code};
use crate::plan::Plan;
use crate::shell::{fs, write_atomic};

pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Started,
    Done,
}

/// The release's global steps, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GlobalStep {
    Write,
    Commit,
    Tags,
    Push,
    /// The forge releases (after the push: they need the tags on the remote).
    Forge,
}

/// A package's stages, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Build,
    Publish,
    Verify,
    Smoke,
}

impl GlobalStep {
    pub fn as_str(self) -> &'static str {
        match self {
            GlobalStep::Write => "write",
            GlobalStep::Commit => "commit",
            GlobalStep::Tags => "tags",
            GlobalStep::Push => "push",
            GlobalStep::Forge => "forge",
        }
    }
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Build => "build",
            Stage::Publish => "publish",
            Stage::Verify => "verify",
            Stage::Smoke => "smoke",
        }
    }
}

/// How a package's publication ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    #[serde(rename = "published and verified")]
    Published,
    #[serde(rename = "already published with the same checksum")]
    AlreadyPublished,
    #[serde(rename = "would be published")]
    WouldPublish,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Published => "published and verified",
            Outcome::AlreadyPublished => "already published with the same checksum",
            Outcome::WouldPublish => "would be published",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ArtifactRecord {
    pub file: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PackageRecord {
    pub stages: BTreeMap<Stage, Step>,
    /// What the build produced, recorded once: a resume reuses these files and
    /// never publishes anything whose checksum differs.
    pub artifacts: Vec<ArtifactRecord>,
    /// What was uploaded: the built `.crate` through the registry's API, or what
    /// `cargo publish` packaged again (its `Cargo.lock` can differ if the
    /// registry changed in between). The registry's checksum is compared with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploaded: Option<ArtifactRecord>,
    pub done: bool,
    pub outcome: Option<Outcome>,
    /// How long its own work took, in seconds, rate-limit waits left out, when
    /// one run did all of it: `plan`'s estimate of the next release reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
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
    /// The changelog sections, rendered once when the release started (the
    /// plan's commit notes are not journaled): a resume writes the same text,
    /// and the forge releases use them as notes.
    #[serde(default)]
    pub changelog: Vec<crate::changelog::Section>,
    /// Tags whose forge release this release created (`rollback` deletes those).
    #[serde(default)]
    pub forge_releases: Vec<String>,
    /// `release --artifacts`: the checked files the CI matrix built, by
    /// package key; their build step takes these.
    #[serde(default)]
    pub prebuilt: BTreeMap<String, Vec<std::path::PathBuf>>,
    pub steps: BTreeMap<GlobalStep, Step>,
    pub packages: BTreeMap<String, PackageRecord>,
    pub finished: bool,
}

impl Journal {
    pub fn step(&self, step: GlobalStep) -> Option<Step> {
        self.steps.get(&step).copied()
    }
    pub fn stage(&self, pkg: &str, stage: Stage) -> Option<Step> {
        self.packages.get(pkg).and_then(|p| p.stages.get(&stage)).copied()
    }
    /// One line per package: what is public already.
    pub fn public_summary(&self) -> Vec<String> {
        let mut out = vec![];
        for e in self.plan.releases() {
            let rec = self.packages.get(e.key()).cloned().unwrap_or_default();
            let state = if rec.done {
                "published and verified".to_string()
            } else {
                match rec.stages.get(&Stage::Publish) {
                    Some(Step::Done) => "published (not yet verified)".to_string(),
                    Some(Step::Started) => "publishing was interrupted: it may be public".to_string(),
                    None => "not published".to_string(),
                }
            };
            out.push(format!("{} {}: {state}", e.name, e.next_version.as_deref().unwrap_or("")));
        }
        let tags = match self.step(GlobalStep::Push) {
            Some(Step::Done) => "pushed to the remote",
            Some(Step::Started) => "push was interrupted: they may be on the remote",
            None if self.step(GlobalStep::Tags) == Some(Step::Done) => "created locally, not pushed",
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

/// The journal of a running release. A dry run has one too, kept in memory
/// only (its folder `None`, which `Mode::pick` chooses): the same code decides
/// what to skip, and nothing is written.
pub struct Handle {
    /// `None` in a dry run.
    path: Option<PathBuf>,
    state: Mutex<Journal>,
    writes: AtomicUsize,
    failpoint: Option<usize>,
    trace: bool,
}

impl Handle {
    /// A new journal in `dir`, written at once; with no folder (a dry run),
    /// one that records in memory and never touches the disk.
    pub fn create(dir: Option<&Path>, journal: Journal) -> anyhow::Result<Handle> {
        if let Some(dir) = dir {
            fs::create_dir_all(dir)?;
        }
        let h = Handle::new(dir.map(|d| d.join("journal.json")), journal);
        h.transition("release started", |_| {})?;
        Ok(h)
    }

    /// The journal `dir` holds, to continue; in memory only with no folder.
    pub fn resume(dir: Option<&Path>, journal: Journal) -> Handle {
        Handle::new(dir.map(|d| d.join("journal.json")), journal)
    }

    fn new(path: Option<PathBuf>, journal: Journal) -> Handle {
        let failpoint = std::env::var("XTASK_FAILPOINT").ok().and_then(|v| v.parse().ok());
        let trace = std::env::var_os("XTASK_JOURNAL_TRACE").is_some_and(|v| !v.is_empty() && v != "0");
        Handle { path, state: Mutex::new(journal), writes: AtomicUsize::new(0), failpoint, trace }
    }

    /// Each package's own work in the last finished release (`last-release.json`
    /// in `dir`), for the estimate; empty when there is none or it cannot be read.
    pub fn last_durations(dir: &Path) -> crate::plan::Measured {
        let Ok(Some(j)) = read(&dir.join("last-release.json")) else { return Default::default() };
        j.packages
            .into_iter()
            .filter_map(|(k, r)| {
                Some((k, std::time::Duration::from_secs_f64(r.seconds.filter(|s| s.is_finite() && *s >= 0.0)?)))
            })
            .collect()
    }

    /// Reads the unfinished journal, if there is one.
    pub fn load(dir: &Path) -> anyhow::Result<Option<Journal>> {
        read(&dir.join("journal.json"))
    }

    pub fn get(&self) -> Journal {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes the journal and writes it; aborts here when the failpoint says so.
    pub fn transition(&self, label: &str, change: impl FnOnce(&mut Journal)) -> anyhow::Result<()> {
        let mut j = self.state.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut j);
        let Some(path) = &self.path else { return Ok(()) };
        let text = serde_json::to_string_pretty(&*j).expect("journal is plain data");
        write_atomic(path, text.as_bytes())?;
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

    pub fn step(&self, step: GlobalStep, state: Step) -> anyhow::Result<()> {
        self.transition(&format!("{} {state:?}", step.as_str()), |j| {
            j.steps.insert(step, state);
        })
    }

    pub fn stage(&self, pkg: &str, stage: Stage, state: Step) -> anyhow::Result<()> {
        self.transition(&format!("{pkg} {} {state:?}", stage.as_str()), |j| {
            j.packages.entry(pkg.to_string()).or_default().stages.insert(stage, state);
        })
    }

    /// Marks the journal finished and keeps it as `last-release.json` (what
    /// `rollback` reads); the unfinished journal is gone after this.
    pub fn finish(&self) -> anyhow::Result<()> {
        self.transition("release finished", |j| j.finished = true)?;
        if let Some(path) = &self.path {
            fs::rename(path, &path.with_file_name("last-release.json"))?;
        }
        Ok(())
    }
}

/// Reads a journal file; `None` when there is none.
pub fn read(path: &Path) -> anyhow::Result<Option<Journal>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(fs::error("read", path, e)),
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

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
