//! Publishing, package by package, from the release commit.
//!
//! The release commit is checked out into `.git/xtask-release/<commit>/tree`, a
//! detached worktree (the checkout, its index and branch are untouched; cargo
//! records the commit and each crate's path in the repository from it, and
//! `forget_worktree` removes it at the end or before a resume checks it out again). `schedule` starts each package as soon as every package of
//! this release it reaches through internal dependencies is published, at most
//! `jobs` at a time. The steps of each ecosystem are in `python.rs` and
//! `cargo.rs`; every stage of a package is journaled through `Job::stage`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};
use xshell::{cmd, Shell};

use super::journal::{self, ArtifactRecord, Handle, Outcome, Stage, Step};
use super::pace::Pacer;
use super::progress::{Progress, State};
use super::schedule::{schedule, Slot as Turn};
use super::{release_versions, Release};
use crate::error::{fail, Code};
use crate::graph::Graph;
use crate::plan::{Entry, Plan};
use crate::registry::CargoIndex;
use crate::repo::Repo;
use crate::shell::{self, Ctx};
use crate::version::{Ecosystem, Version};
use crate::workspace::PackageId;

/// How long to wait for a registry to serve a new version (`XTASK_POLL_TIMEOUT`, seconds).
pub fn poll_timeout() -> Duration {
    let secs = std::env::var("XTASK_POLL_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    Duration::from_secs(secs)
}

/// For each released package, the released packages it must wait for: every
/// one it reaches through any chain of internal dependencies, also through
/// packages this release skips (their published versions depend on ours).
pub fn waits_for(repo: &Repo, graph: &Graph, entries: &[&Entry]) -> Vec<Vec<usize>> {
    // keyed by workspace index: a crate and a Python package may share a name
    let index = |e: &Entry| repo.ws.index_in(e.ecosystem, &e.name).expect("planned packages exist");
    let pos: HashMap<usize, usize> = entries.iter().enumerate().map(|(k, e)| (index(e), k)).collect();
    entries
        .iter()
        .enumerate()
        .map(|(me, e)| {
            graph.deps_closure(index(e)).into_iter().filter_map(|d| pos.get(&d).copied()).filter(|&d| d != me).collect()
        })
        .collect()
}

pub fn run(
    ctx: &Ctx,
    repo: &Repo,
    graph: &Graph,
    plan: &Plan,
    release: &Release,
    jobs: usize,
    journal: &Handle,
) -> anyhow::Result<Vec<Outcome>> {
    let sh = Shell::new()?;
    let tree = release.work.join("tree");
    export(&sh, ctx, repo, release, &tree)?;

    let entries: Vec<&Entry> = plan.releases().collect();
    let deps = waits_for(repo, graph, &entries);
    let versions = release_versions(repo, plan);
    let index = if entries.iter().any(|e| e.ecosystem == Ecosystem::Cargo) {
        Some(CargoIndex::resolve(&repo.root, repo.config.cargo_registry.as_deref())?)
    } else {
        None
    };
    // a registry whose config.json names no API is left to `cargo publish` (which then says why)
    let crates_io = repo.config.cargo_registry.is_none();
    let cargo_api = index.as_ref().and_then(|i| crate::cargo_api::api_of(&sh, i, crates_io).ok());
    // dropped when the publish ends, however it ends: every minted token is revoked
    let holders = super::credentials::Holders::new(repo, plan)?;
    let snapshot = journal.get();
    let on_index = Mutex::new(vec![false; entries.len()]);
    let waited = Mutex::new(vec![Duration::ZERO; entries.len()]);
    let progress = Progress::new(entries.iter().map(|e| e.key().to_string()).collect(), ctx.mode.pick(false, true));
    let job = Job {
        ctx,
        repo,
        release,
        tree: &tree,
        versions: &versions,
        index: index.as_ref(),
        cargo_api: cargo_api.as_deref(),
        progress: &progress,
        pacer: &Pacer::new(&repo.config, ctx.mode.pick(false, true)),
        journal,
        snapshot: &snapshot,
        on_index: &on_index,
        holders: &holders,
        waited: &waited,
    };
    // a dry run prints its commands in order: one at a time
    let jobs = ctx.mode.pick(1, jobs);
    let results = std::thread::scope(|scope| {
        // the live table's clock, stopped at once when the scheduler ends (the sender is dropped)
        let (finished, stopped) = std::sync::mpsc::channel::<()>();
        let progress = &progress;
        scope.spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_millis(250)) {
                progress.tick();
            }
        });
        let r = schedule(&deps, jobs, |i, turn| job.package(entries[i], i, turn));
        drop(finished);
        r
    });
    let on_index = on_index.into_inner().unwrap_or_else(|e| e.into_inner());
    collect(&entries, results, &journal.get(), &on_index)
}

/// The outcomes in release order, or the first failure with what is public:
/// every package on its registry at this release's version, whether its own
/// work finished or not (seen on the index in this run, or uploaded in any run
/// of this release), and the uploads an interruption cut short.
fn collect(
    entries: &[&Entry],
    results: Vec<Option<anyhow::Result<Outcome>>>,
    journal: &journal::Journal,
    on_index: &[bool],
) -> anyhow::Result<Vec<Outcome>> {
    let mut outcomes = vec![];
    let mut first_error = None;
    for (e, r) in entries.iter().zip(results) {
        match r {
            Some(Ok(outcome)) => outcomes.push(outcome),
            Some(Err(err)) => {
                first_error.get_or_insert((e.name.clone(), err));
            }
            None => {}
        }
    }
    let Some((name, err)) = first_error else { return Ok(outcomes) };
    let (mut published, mut cut_short) = (vec![], vec![]);
    for (i, e) in entries.iter().enumerate() {
        let done = journal.packages.get(e.key()).is_some_and(|r| r.done);
        match journal.stage(e.key(), Stage::Publish) {
            _ if on_index[i] || done => published.push(e.name.as_str()),
            Some(Step::Done) => published.push(e.name.as_str()),
            Some(Step::Started) => cut_short.push(e.name.as_str()),
            None => {}
        }
    }
    let list = |names: &[&str]| if names.is_empty() { "nothing".to_string() } else { names.join(", ") };
    let mut line = format!("release stopped at {name}; published so far: {}", list(&published));
    if !cut_short.is_empty() {
        line.push_str(&format!("; upload interrupted, may be public: {}", list(&cut_short)));
    }
    eprintln!("{line}");
    Err(err)
}

/// Exports the release commit into `tree` through a temporary index.
fn export(sh: &Shell, ctx: &Ctx, repo: &Repo, release: &Release, tree: &Path) -> anyhow::Result<()> {
    // a worktree of the release commit, not a bare copy of its files: cargo finds the repository
    // there and records the commit and each crate's path in it (`.cargo_vcs_info.json`) as a
    // `cargo publish` from the checkout does; the checkout, its index and its branch stay as they are
    add_worktree(sh, ctx, &repo.root, tree, &release.commit)
}

/// A detached worktree of `commit` at `path` (hooks off: a post-checkout hook
/// must not hang or alter a release), after whatever an earlier run left there.
pub fn add_worktree(sh: &Shell, ctx: &Ctx, root: &Path, path: &Path, commit: &str) -> anyhow::Result<()> {
    forget_worktree(sh, ctx, root, path)?;
    let write = crate::git::WRITE;
    ctx.exec(
        cmd!(sh, "git -C {root} {write...} worktree add --detach --force --quiet {path} {commit}"),
        Code::Git,
        "check free disk space, and that `git worktree add` works in this repository",
    )?;
    Ok(())
}

/// Removes the worktree at `path` (one an earlier run left, or this run's at
/// the end) and git's note of any whose folder is gone.
pub fn forget_worktree(sh: &Shell, ctx: &Ctx, root: &Path, path: &Path) -> anyhow::Result<()> {
    if path.join(".git").is_file() {
        // a worktree git no longer knows (pruned) is a plain folder: removed below
        let _ = ctx.exec(cmd!(sh, "git -C {root} worktree remove --force {path}"), Code::Git, "");
    }
    if path.exists() {
        ctx.remove_dir_all(path, "a worktree of the release's")?;
    }
    ctx.exec(cmd!(sh, "git -C {root} worktree prune"), Code::Git, "run `git worktree prune` by hand")?;
    Ok(())
}

/// What every package's work shares.
pub struct Job<'a> {
    pub ctx: &'a Ctx,
    pub repo: &'a Repo,
    pub release: &'a Release,
    pub tree: &'a Path,
    pub versions: &'a HashMap<PackageId, Version>,
    pub index: Option<&'a CargoIndex>,
    /// The cargo registry's web API, where verified `.crate`s are uploaded
    /// (`cargo_upload::Route`); `None`: every crate goes by `cargo publish`.
    pub cargo_api: Option<&'a str>,
    pub progress: &'a Progress,
    pub pacer: &'a Pacer,
    pub journal: &'a Handle,
    /// The journal as it was when this run started (what a resume skips).
    pub snapshot: &'a journal::Journal,
    /// Which packages this run found on their registry at the release's
    /// version (uploaded now, earlier, or by someone): "published so far".
    pub on_index: &'a Mutex<Vec<bool>>,
    /// Trusted publishing's token holders (`None`: the configured credential is used).
    pub holders: &'a super::credentials::Holders,
    /// How long each package waited for the registries' rate limits (left out of its recorded work).
    pub waited: &'a Mutex<Vec<Duration>>,
}

/// An artifact and its SHA-256.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub path: PathBuf,
    pub name: String,
    pub sha256: String,
}

impl Artifact {
    pub fn read(path: PathBuf) -> anyhow::Result<Artifact> {
        let sha256 = sha256_hex(&shell::fs::read(&path)?);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        Ok(Artifact { path, name, sha256 })
    }

    pub fn record(&self) -> ArtifactRecord {
        ArtifactRecord { file: self.name.clone(), sha256: self.sha256.clone() }
    }
}

impl Job<'_> {
    /// One package, start to end, unless the journal says it is done.
    fn package(&self, e: &Entry, i: usize, turn: &Turn) -> anyhow::Result<Outcome> {
        if let Some(outcome) = self.record(e.key()).filter(|r| r.done).and_then(|r| r.outcome) {
            self.progress.set(i, State::Done);
            return Ok(outcome);
        }
        self.progress.set(i, State::Building);
        // one run that does all of a package's work measures it
        let whole = self.record(e.key()).is_none_or(|r| r.stages.is_empty());
        let start = std::time::Instant::now();
        let sh = Shell::new()?;
        let r = match e.ecosystem {
            Ecosystem::Python => self.python(&sh, e, i, turn),
            Ecosystem::Cargo => self.cargo(&sh, e, i, turn),
        };
        self.progress.set(
            i,
            match &r {
                Ok(Outcome::AlreadyPublished) => State::AlreadyPublished,
                Ok(_) => State::Done,
                Err(_) => State::Failed,
            },
        );
        let outcome = r?;
        let waited = self.waited.lock().map_or(Duration::ZERO, |w| w[i]);
        let seconds = whole.then(|| start.elapsed().saturating_sub(waited).as_secs_f64());
        self.journal.transition(&format!("{} done", e.key()), |j| {
            let r = j.packages.entry(e.key().to_string()).or_default();
            r.done = true;
            r.outcome = Some(outcome);
            r.seconds = seconds;
        })?;
        Ok(outcome)
    }

    /// Package `i` is on its registry (a dry run's "would publish" is not).
    pub fn on_index(&self, i: usize, outcome: Outcome) {
        if outcome != Outcome::WouldPublish {
            self.on_index.lock().unwrap_or_else(|e| e.into_inner())[i] = true;
        }
    }

    pub fn record(&self, name: &str) -> Option<journal::PackageRecord> {
        self.snapshot.packages.get(name).cloned()
    }

    pub fn stage_state(&self, name: &str, stage: Stage) -> Option<Step> {
        self.snapshot.stage(name, stage)
    }

    /// Runs `work` as the journaled stage `stage` of package `name`, shown as
    /// `state`, unless the journal says an earlier run finished it.
    pub fn stage(
        &self,
        name: &str,
        i: usize,
        state: State,
        stage: Stage,
        work: impl FnOnce() -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if self.stage_state(name, stage) == Some(Step::Done) {
            return Ok(());
        }
        self.progress.set(i, state);
        self.mark(name, stage, Step::Started)?;
        work()?;
        self.mark(name, stage, Step::Done)
    }

    /// How package `i` waits out a registry's refusal (429): idle, with a note.
    pub fn refusal_waiter<'t>(&'t self, i: usize, turn: &'t Turn) -> impl FnMut(Duration) + 't {
        move |wait| {
            let note =
                format!("refused by the registry's rate limit (429); trying again in {}", crate::rate::human(wait));
            self.progress.note(i, &note);
            turn.idle(|| std::thread::sleep(wait));
            self.rate_waited(i, wait);
        }
    }

    /// Package `i` waited `d` for a rate limit: not its own work.
    pub fn rate_waited(&self, i: usize, d: Duration) {
        if let Ok(mut w) = self.waited.lock() {
            w[i] += d;
        }
    }

    pub fn mark(&self, name: &str, stage: Stage, step: Step) -> anyhow::Result<()> {
        self.journal.stage(name, stage, step)
    }

    /// Records the build's artifacts; a rebuild after a resume must produce the
    /// very same files as the first build, or nothing is published.
    pub fn record_artifacts(&self, name: &str, artifacts: &[Artifact]) -> anyhow::Result<()> {
        let records: Vec<ArtifactRecord> = artifacts.iter().map(Artifact::record).collect();
        if let Some(earlier) = self.record(name).map(|r| r.artifacts).filter(|a| !a.is_empty()) {
            if earlier != records {
                return Err(fail(
                    Code::ArtifactInvalid,
                    format!("{name}: the rebuilt artifacts differ from the first build's ({earlier:?} vs {records:?})"),
                    "the build is not reproducible; nothing was published from the new build. Investigate, or --abandon",
                ));
            }
        }
        self.journal.transition(&format!("{name} build Done"), |j| {
            let r = j.packages.entry(name.to_string()).or_default();
            r.artifacts = records;
            r.stages.insert(Stage::Build, Step::Done);
        })
    }

    /// Artifacts from an earlier run, when every recorded file is still there unchanged.
    pub fn reusable(&self, name: &str, dir: &Path) -> Option<Vec<Artifact>> {
        if self.stage_state(name, Stage::Build) != Some(Step::Done) {
            return None;
        }
        let recorded = self.record(name)?.artifacts;
        let mut out = vec![];
        for r in &recorded {
            let a = Artifact::read(dir.join(&r.file)).ok()?;
            if a.sha256 != r.sha256 {
                return None;
            }
            out.push(a);
        }
        (!out.is_empty()).then_some(out)
    }

    /// `cmd` with the token `holder` leases in its environment (trusted
    /// publishing), never in its argv: the command as shown and traced has no
    /// token. A dry run mints nothing and says what it would exchange.
    pub fn with_token<'c>(
        &self,
        cmd: xshell::Cmd<'c>,
        holder: Option<&crate::trusted::Holder>,
    ) -> anyhow::Result<xshell::Cmd<'c>> {
        let Some(h) = holder else { return Ok(cmd) };
        let token = self.ctx.effect(h.describe(), || h.lease().map(Some))?;
        Ok(match token {
            Some(t) => cmd.env(&h.variable, t.expose()),
            None => cmd,
        })
    }

    /// `.git/xtask-release/<commit>/dist/<name>`: where a package's artifacts are kept.
    pub fn dist(&self, key: &str) -> PathBuf {
        self.release.work.join("dist").join(key.replace(':', "-"))
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads one file out of a `.tar.gz` (a `.crate` or an sdist), in-process;
/// `missing` is the help when the archive has no such member.
pub fn read_from_tar(archive: &Path, member: &str, missing: &str) -> anyhow::Result<String> {
    let bad = |why: String| {
        fail(
            Code::ArtifactInvalid,
            format!("{} is not a readable .tar.gz: {why}", archive.display()),
            "rebuild it; the release does not publish an archive it cannot read",
        )
    };
    let file = std::fs::File::open(archive).map_err(|e| shell::fs::error("read", archive, e))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    for entry in tar.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        if entry.path().map_err(|e| bad(e.to_string()))?.as_ref() != Path::new(member) {
            continue;
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).map_err(|e| bad(format!("{member}: {e}")))?;
        return Ok(text);
    }
    Err(fail(Code::ArtifactInvalid, format!("{} has no {member}", archive.display()), missing))
}
