//! Publishing, package by package, from the release commit.
//!
//! The release commit is exported into `.git/xtask-release/<commit>/tree` (a
//! temporary index and `git checkout-index`: the work tree and the real index
//! are untouched). Each package starts as soon as the packages it depends on
//! are published (not level by level), at most `jobs` at a time on std threads:
//! build → verify → checksum → publish (unless already there with our
//! checksum) → poll the registry → compare checksums → smoke test.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use xshell::{cmd, Shell};

use super::journal::{self, ArtifactRecord, Step};
use super::progress::{Progress, State};
use super::{edit, preflight::normalize_dist, release_versions, Ctx, Release};
use crate::error::{fail, Code};
use crate::graph::Graph;
use crate::plan::{Entry, Plan};
use crate::registry::{self, CargoIndex};
use crate::repo::Repo;
use crate::version::{Ecosystem, Version};
use crate::workspace::pep508::normalize;

/// How long to wait for a registry to serve a new version (`XTASK_POLL_TIMEOUT`, seconds).
fn poll_timeout() -> Duration {
    let secs = std::env::var("XTASK_POLL_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    Duration::from_secs(secs)
}

pub fn run(
    ctx: &Ctx,
    repo: &Repo,
    graph: &Graph,
    plan: &Plan,
    release: &Release,
    jobs: usize,
    journal: Option<&journal::Handle>,
) -> anyhow::Result<Vec<String>> {
    let sh = Shell::new()?;
    let tree = release.work.join("tree");
    export(&sh, ctx, repo, release, &tree)?;

    let entries: Vec<&Entry> = plan.releases().collect();
    let pos: HashMap<&str, usize> = entries.iter().enumerate().map(|(i, e)| (e.name.as_str(), i)).collect();
    // dependencies among the packages of this release (the rest are already published)
    let deps: Vec<Vec<usize>> = entries
        .iter()
        .map(|e| {
            let i = repo.ws.index_of(&e.name).expect("planned packages exist");
            graph.deps(i).into_iter().filter_map(|d| pos.get(graph.name(d)).copied()).collect()
        })
        .collect();
    let versions = release_versions(repo, plan);
    let index = if entries.iter().any(|e| e.ecosystem == Ecosystem::Cargo) {
        Some(CargoIndex::resolve(&repo.root, repo.config.cargo_registry.as_deref())?)
    } else {
        None
    };
    let snapshot = journal.map(journal::Handle::get);
    let slots = Slots(Mutex::new((0..jobs.max(1)).collect()));
    let progress = Progress::new(entries.iter().map(|e| e.name.clone()).collect(), !ctx.dry_run);
    let job = Job {
        ctx,
        repo,
        release,
        tree: &tree,
        versions: &versions,
        index: index.as_ref(),
        progress: &progress,
        slots: &slots,
        journal,
        snapshot: snapshot.as_ref(),
    };
    // a dry run prints its commands in order: one at a time
    let jobs = if ctx.dry_run { 1 } else { jobs };
    let finished = std::sync::atomic::AtomicBool::new(false);
    let results = std::thread::scope(|scope| {
        // the live table's clock
        scope.spawn(|| {
            while !finished.load(std::sync::atomic::Ordering::Relaxed) {
                progress.tick();
                std::thread::sleep(Duration::from_millis(250));
            }
        });
        let r = schedule(&deps, jobs, |i| {
            let e = entries[i];
            if let Some(outcome) = job.record(&e.name).filter(|r| r.done).and_then(|r| r.outcome) {
                progress.set(i, State::Done);
                return Ok(outcome);
            }
            progress.set(i, State::Building);
            let r = job.publish(e, i);
            progress.set(
                i,
                match &r {
                    Ok(o) if o == ALREADY => State::AlreadyPublished,
                    Ok(_) => State::Done,
                    Err(_) => State::Failed,
                },
            );
            let outcome = r?;
            job.done(&e.name, &outcome)?;
            Ok(outcome)
        });
        finished.store(true, std::sync::atomic::Ordering::Relaxed);
        r
    });
    let mut outcomes = vec![];
    let mut published = vec![];
    let mut first_error = None;
    for (e, r) in entries.iter().zip(results) {
        match r {
            Some(Ok(outcome)) => {
                published.push(e.name.as_str());
                outcomes.push(outcome);
            }
            Some(Err(err)) => {
                first_error.get_or_insert((e.name.clone(), err));
            }
            None => {}
        }
    }
    if let Some((name, err)) = first_error {
        eprintln!(
            "release stopped at {name}; published so far: {}",
            if published.is_empty() { "nothing".to_string() } else { published.join(", ") }
        );
        return Err(err);
    }
    Ok(outcomes)
}

/// Exports the release commit into `tree` through a temporary index.
fn export(sh: &Shell, ctx: &Ctx, repo: &Repo, release: &Release, tree: &Path) -> anyhow::Result<()> {
    let root = &repo.root;
    let commit = &release.commit;
    let index = release.work.join("index");
    let prefix = format!("{}/", tree.display());
    if !ctx.dry_run {
        let _ = std::fs::remove_dir_all(tree);
        std::fs::create_dir_all(tree)?;
    }
    ctx.exec(
        cmd!(sh, "git -C {root} read-tree {commit}").env("GIT_INDEX_FILE", &index),
        Code::Git,
        "check the release commit",
    )?;
    ctx.exec(
        cmd!(sh, "git -C {root} checkout-index --all --force --prefix={prefix}").env("GIT_INDEX_FILE", &index),
        Code::Git,
        "check free disk space",
    )?;
    Ok(())
}

struct Job<'a> {
    ctx: &'a Ctx,
    repo: &'a Repo,
    release: &'a Release,
    tree: &'a Path,
    versions: &'a HashMap<String, Version>,
    index: Option<&'a CargoIndex>,
    progress: &'a Progress,
    slots: &'a Slots,
    journal: Option<&'a journal::Handle>,
    /// The journal as it was when this run started (what a resume skips).
    snapshot: Option<&'a journal::Journal>,
}

/// Numbered places to build in, one per concurrent job.
struct Slots(Mutex<Vec<usize>>);

/// A slot taken; given back on drop.
struct Slot<'a>(usize, &'a Slots);

impl Slots {
    fn take(&self) -> Slot<'_> {
        let n = self.0.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or(0);
        Slot(n, self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.1 .0.lock().unwrap_or_else(|e| e.into_inner()).push(self.0);
    }
}

/// An artifact and its SHA-256.
struct Artifact {
    path: PathBuf,
    name: String,
    sha256: String,
}

const ALREADY: &str = "already published with the same checksum";

impl Job<'_> {
    fn record(&self, name: &str) -> Option<journal::PackageRecord> {
        self.snapshot.and_then(|j| j.packages.get(name).cloned())
    }

    fn stage_done(&self, name: &str, stage: &str) -> bool {
        self.snapshot.and_then(|j| j.stage(name, stage)) == Some(Step::Done)
    }

    /// Runs `work` as the journaled stage `stage` of package `name`, shown as
    /// `state`, unless the journal says an earlier run finished it.
    fn stage(
        &self,
        name: &str,
        i: usize,
        state: State,
        stage: &str,
        work: impl FnOnce() -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if self.stage_done(name, stage) {
            return Ok(());
        }
        self.progress.set(i, state);
        self.mark(name, stage, Step::Started)?;
        work()?;
        self.mark(name, stage, Step::Done)
    }

    fn mark(&self, name: &str, stage: &str, step: Step) -> anyhow::Result<()> {
        match self.journal {
            Some(h) => h.stage(name, stage, step),
            None => Ok(()),
        }
    }

    fn done(&self, name: &str, outcome: &str) -> anyhow::Result<()> {
        match self.journal {
            Some(h) => h.transition(&format!("{name} done"), |j| {
                let r = j.packages.entry(name.to_string()).or_default();
                r.done = true;
                r.outcome = Some(outcome.to_string());
            }),
            None => Ok(()),
        }
    }

    /// Records the build's artifacts; a rebuild after a resume must produce the
    /// very same files as the first build, or nothing is published.
    fn record_artifacts(&self, name: &str, artifacts: &[Artifact]) -> anyhow::Result<()> {
        let records: Vec<ArtifactRecord> =
            artifacts.iter().map(|a| ArtifactRecord { file: a.name.clone(), sha256: a.sha256.clone() }).collect();
        if let Some(earlier) = self.record(name).map(|r| r.artifacts).filter(|a| !a.is_empty()) {
            if earlier != records {
                return Err(fail(
                    Code::ArtifactInvalid,
                    format!("{name}: the rebuilt artifacts differ from the first build's ({earlier:?} vs {records:?})"),
                    "the build is not reproducible; nothing was published from the new build. Investigate, or --abandon",
                ));
            }
        }
        match self.journal {
            Some(h) => h.transition(&format!("{name} build Done"), |j| {
                let r = j.packages.entry(name.to_string()).or_default();
                r.artifacts = records;
                r.stages.insert("build".into(), Step::Done);
            }),
            None => Ok(()),
        }
    }

    /// Artifacts from an earlier run, when every recorded file is still there unchanged.
    fn reusable(&self, name: &str, dir: &Path) -> Option<Vec<Artifact>> {
        if !self.stage_done(name, "build") {
            return None;
        }
        let recorded = self.record(name)?.artifacts;
        let mut out = vec![];
        for r in &recorded {
            let path = dir.join(&r.file);
            let sha256 = sha256_hex(&std::fs::read(&path).ok()?);
            if sha256 != r.sha256 {
                return None;
            }
            out.push(Artifact { path, name: r.file.clone(), sha256 });
        }
        (!out.is_empty()).then_some(out)
    }

    fn publish(&self, e: &Entry, i: usize) -> anyhow::Result<String> {
        let sh = Shell::new()?;
        match e.ecosystem {
            Ecosystem::Python => self.python(&sh, e, i),
            Ecosystem::Cargo => self.cargo(&sh, e, i),
        }
    }

    fn python(&self, sh: &Shell, e: &Entry, i: usize) -> anyhow::Result<String> {
        let config = &self.repo.config;
        let name = &e.name;
        let version = e.next_version.clone().expect("released");
        let pkg_dir = self.tree.join(&e.path);
        let dist = self.release.work.join("dist").join(name);
        let stem = format!("{}-{version}", normalize_dist(name));
        let by_name: HashMap<String, Version> = self
            .repo
            .ws
            .packages
            .iter()
            .filter(|p| p.ecosystem == Ecosystem::Python)
            .filter_map(|p| Some((normalize(&p.name), self.versions.get(&p.name)?.clone())))
            .collect();

        let artifacts = match self.reusable(name, &dist) {
            Some(a) => {
                println!("  {name}: reusing the artifacts built before the interruption");
                a
            }
            None => {
                self.mark(name, "build", Step::Started)?;
                // pin internal requirements to the exact versions of this release
                let manifest = self.tree.join(&e.manifest);
                if self.ctx.dry_run {
                    println!(
                        "  would write: {} (internal requirements pinned with ==, extras and markers kept)",
                        self.ctx.show(&manifest.display().to_string())
                    );
                } else {
                    let text = std::fs::read_to_string(&manifest)?;
                    let pinned = edit::pin_python_requirements(&text, &e.manifest, &by_name)?;
                    super::write_atomic(&manifest, pinned.as_bytes())?;
                    let _ = std::fs::remove_dir_all(&dist);
                }
                self.ctx.exec(
                    cmd!(sh, "uv build --quiet --no-sources --out-dir {dist} {pkg_dir}"),
                    Code::BuildFailed,
                    "fix the build (nothing of this package was published), then `cargo xtask release --resume`",
                )?;
                if self.ctx.dry_run {
                    println!("  would verify {stem}.tar.gz and {stem}-*.whl (names, PKG-INFO version and pins) and compute SHA-256");
                    vec![]
                } else {
                    let artifacts = self.verify_python(sh, e, &dist, &stem, &by_name)?;
                    self.record_artifacts(name, &artifacts)?;
                    artifacts
                }
            }
        };

        // already on the index? same checksum: nothing to upload; another checksum: stop
        let index_url = &config.python_index_url;
        let mut outcome = "published and verified";
        // files our own upload left different when it was interrupted (an index
        // that writes uploads non-atomically can keep a truncated file)
        let mut repair: Vec<PathBuf> = vec![];
        let interrupted = self.snapshot.and_then(|j| j.stage(name, "publish")) == Some(Step::Started);
        if !self.ctx.dry_run {
            if let Some(remote) = registry::pypi_files(index_url, name)? {
                let mut all_there = true;
                for a in &artifacts {
                    match remote.iter().find(|r| r.filename == a.name) {
                        Some(r) if interrupted && r.sha256.as_deref().is_some_and(|h| h != a.sha256) => {
                            println!(
                                "  {name}: {} on the index differs after our interrupted upload: uploading it again",
                                a.name
                            );
                            repair.push(a.path.clone());
                            all_there = false;
                        }
                        Some(r) if r.sha256.as_deref().is_some_and(|h| h != a.sha256) => {
                            return Err(fail(
                                Code::ChecksumMismatch,
                                format!(
                                    "{} on {index_url} has sha256 {} but ours is {}",
                                    a.name,
                                    r.sha256.as_deref().unwrap_or(""),
                                    a.sha256
                                ),
                                "this version was published from another build: release a new version",
                            ));
                        }
                        Some(_) => {}
                        None => all_there = false,
                    }
                }
                if all_there {
                    outcome = ALREADY;
                }
            }
        } else {
            outcome = "would be published";
        }

        if outcome != ALREADY {
            self.progress.set(i, State::Publishing);
            self.mark(name, "publish", Step::Started)?;
            let publish_url = &config.python_publish_url;
            let files: Vec<PathBuf> = if self.ctx.dry_run {
                vec![dist.join(format!("{stem}*"))]
            } else {
                artifacts.iter().map(|a| a.path.clone()).collect()
            };
            if !repair.is_empty() {
                self.ctx.exec(
                    cmd!(sh, "uv publish --publish-url {publish_url} {repair...}"),
                    Code::ChecksumMismatch,
                    "the index keeps a partial file from the interrupted upload and refuses to replace it: delete that file on the index, then `cargo xtask release --resume`",
                )?;
            }
            self.ctx.exec(
                cmd!(sh, "uv publish --publish-url {publish_url} --check-url {index_url} {files...}"),
                Code::PublishFailed,
                "fix what uv reports (credentials, index URL), then `cargo xtask release --resume`",
            )?;
            self.mark(name, "publish", Step::Done)?;
        }

        self.stage(name, i, State::Polling, "verify", || {
            if self.ctx.dry_run {
                println!(
                    "  would poll {index_url}{}/ until it lists every file, then compare each #sha256",
                    normalize(name)
                );
            } else {
                let served = registry::poll(poll_timeout(), || {
                    let remote = registry::pypi_files(index_url, name)?.unwrap_or_default();
                    let all = artifacts.iter().all(|a| remote.iter().any(|r| r.filename == a.name));
                    Ok(all.then_some(remote))
                })?
                .ok_or_else(|| {
                    fail(
                        Code::RegistryTimeout,
                        format!("{name} {version} did not appear on {index_url} within {}s", poll_timeout().as_secs()),
                        "`cargo xtask release --resume` checks again",
                    )
                })?;
                self.progress.set(i, State::Verifying);
                for a in &artifacts {
                    let remote = served.iter().find(|r| r.filename == a.name).and_then(|r| r.sha256.clone());
                    if remote.as_deref() != Some(a.sha256.as_str()) {
                        return Err(fail(
                            Code::ChecksumMismatch,
                            format!(
                                "{} on {index_url} has sha256 {}, ours is {}",
                                a.name,
                                remote.unwrap_or_else(|| "(none)".into()),
                                a.sha256
                            ),
                            "the upload was altered or replaced: investigate before releasing again",
                        ));
                    }
                }
            }
            Ok(())
        })?;

        if config.smoke_test {
            self.stage(name, i, State::SmokeTesting, "smoke", || {
                let venv = self.release.work.join("smoke").join(name);
                let python = venv.join("bin/python");
                let spec = format!("{name}=={version}");
                let module = module_name(&self.tree.join(&e.manifest), name);
                let import = format!("import {module}");
                let help = "the version is public: fix it and release a patch (consider yanking)";
                self.ctx.exec(cmd!(sh, "uv venv --quiet --allow-existing {venv}"), Code::SmokeTestFailed, help)?;
                self.ctx.exec(
                    cmd!(
                        sh,
                        "uv pip install --quiet --python {python} --index-url {index_url} --refresh-package {name} {spec}"
                    ),
                    Code::SmokeTestFailed,
                    help,
                )?;
                self.ctx.exec(cmd!(sh, "{python} -c {import}"), Code::SmokeTestFailed, help)?;
                Ok(())
            })?;
        }
        Ok(outcome.to_string())
    }

    /// The sdist and wheel exist with the planned names, the sdist's PKG-INFO
    /// carries the planned version, and internal requirements are pinned.
    fn verify_python(
        &self,
        sh: &Shell,
        e: &Entry,
        dist: &Path,
        stem: &str,
        by_name: &HashMap<String, Version>,
    ) -> anyhow::Result<Vec<Artifact>> {
        let name = &e.name;
        let artifacts = list_artifacts(dist)?;
        let sdist = artifacts.iter().find(|a| a.name == format!("{stem}.tar.gz"));
        let wheel = artifacts.iter().find(|a| a.name.starts_with(&format!("{stem}-")) && a.name.ends_with(".whl"));
        let (Some(sdist), Some(_)) = (sdist, wheel) else {
            let names: Vec<&str> = artifacts.iter().map(|a| a.name.as_str()).collect();
            return Err(fail(
                Code::ArtifactInvalid,
                format!("{name}: expected {stem}.tar.gz and a {stem}-*.whl, the build made: {}", names.join(", ")),
                "check the package's name and version configuration",
            ));
        };
        let member = format!("{stem}/PKG-INFO");
        let sdist_path = &sdist.path;
        let pkg_info = crate::shell::read(
            cmd!(sh, "tar -xzOf {sdist_path} {member}"),
            Code::ArtifactInvalid,
            "the sdist has no PKG-INFO",
        )?;
        let inside = pkg_info.lines().find_map(|l| l.strip_prefix("Version: ")).unwrap_or("").trim().to_string();
        if Version::parse(Ecosystem::Python, &inside).ok().as_ref() != e.next.as_ref() {
            return Err(fail(
                Code::ArtifactInvalid,
                format!(
                    "{name}: the sdist says version `{inside}`, the plan says {}",
                    e.next_version.as_deref().unwrap_or("")
                ),
                "check where the package's version comes from",
            ));
        }
        for line in pkg_info.lines().filter_map(|l| l.strip_prefix("Requires-Dist: ")) {
            let Ok(req) = crate::workspace::pep508::parse(line) else { continue };
            if by_name.contains_key(&normalize(&req.name)) && !req.specifier.starts_with("==") {
                return Err(fail(
                    Code::ArtifactInvalid,
                    format!("{name}: internal requirement `{line}` is not pinned"),
                    "check the build backend keeps [project] dependencies",
                ));
            }
        }
        Ok(artifacts)
    }

    fn cargo(&self, sh: &Shell, e: &Entry, i: usize) -> anyhow::Result<String> {
        let config = &self.repo.config;
        let name = &e.name;
        let version = e.next_version.clone().expect("released");
        let ws_dir = match self.repo.ws.cargo_root.as_deref() {
            None | Some(".") => self.tree.to_path_buf(),
            Some(dir) => self.tree.join(dir),
        };
        let manifest = ws_dir.join("Cargo.toml");
        // one cargo target folder per job slot: cargo locks a target folder, so
        // packages in parallel need their own, and a slot reuses what it built
        let slot = self.slots.take();
        let target = self.release.work.join(format!("target-{}", slot.0));
        let package_dir = target.join("package");
        let dist = self.release.work.join("dist").join(name);
        let registry: Vec<String> =
            config.cargo_registry.iter().flat_map(|r| ["--registry".to_string(), r.clone()]).collect();
        let crate_file = package_dir.join(format!("{name}-{version}.crate"));

        let ours = match self.reusable(name, &dist) {
            Some(a) => {
                println!("  {name}: reusing the .crate built before the interruption");
                a[0].sha256.clone()
            }
            None => {
                self.mark(name, "build", Step::Started)?;
                // `cargo package` builds the crate as it will be published (path
                // dependencies replaced by registry versions) and writes the .crate
                let registry_args = registry.clone();
                self.ctx.exec(
                    cmd!(sh, "cargo package --quiet --no-metadata -p {name} {registry_args...} --manifest-path {manifest} --target-dir {target}"),
                    Code::BuildFailed,
                    "fix the build (nothing of this crate was published), then `cargo xtask release --resume`",
                )?;
                if self.ctx.dry_run {
                    println!(
                        "  would verify {} (name, version inside) and compute its SHA-256",
                        self.ctx.show(&crate_file.display().to_string())
                    );
                    String::new()
                } else {
                    let bytes = std::fs::read(&crate_file).map_err(|err| {
                        fail(
                            Code::ArtifactInvalid,
                            format!("{name}: cargo package made no {}: {err}", crate_file.display()),
                            "check the crate's name and version",
                        )
                    })?;
                    let member = format!("{name}-{version}/Cargo.toml");
                    let inside = crate::shell::read(
                        cmd!(sh, "tar -xzOf {crate_file} {member}"),
                        Code::ArtifactInvalid,
                        "the .crate has no Cargo.toml",
                    )?;
                    if !inside.lines().any(|l| l.trim() == format!("version = \"{version}\"")) {
                        return Err(fail(
                            Code::ArtifactInvalid,
                            format!("{name}: the .crate's Cargo.toml does not say version = \"{version}\""),
                            "check the crate's version",
                        ));
                    }
                    // kept beside the Python artifacts, where a resume finds it
                    std::fs::create_dir_all(&dist)?;
                    let kept = dist.join(format!("{name}-{version}.crate"));
                    super::write_atomic(&kept, &bytes)?;
                    let a =
                        Artifact { path: kept, name: format!("{name}-{version}.crate"), sha256: sha256_hex(&bytes) };
                    self.record_artifacts(name, std::slice::from_ref(&a))?;
                    a.sha256
                }
            }
        };

        let mut outcome = if self.ctx.dry_run { "would be published" } else { "published and verified" };
        let index = self.index.expect("resolved for cargo releases");
        if !self.ctx.dry_run {
            if let Some(cksum) = index.cksum(sh, name, &version)? {
                if cksum != ours {
                    return Err(fail(
                        Code::ChecksumMismatch,
                        format!("{name} {version} is on the registry with cksum {cksum}, ours is {ours}"),
                        "this version was published from another build: release a new version",
                    ));
                }
                outcome = ALREADY;
            }
        }

        if outcome != ALREADY {
            self.progress.set(i, State::Publishing);
            self.mark(name, "publish", Step::Started)?;
            self.ctx.exec(
                cmd!(sh, "cargo publish --quiet --no-verify -p {name} {registry...} --manifest-path {manifest} --target-dir {target}"),
                Code::PublishFailed,
                "fix what cargo reports (token, registry), then `cargo xtask release --resume`",
            )?;
            self.mark(name, "publish", Step::Done)?;
        }

        self.stage(name, i, State::Polling, "verify", || {
            if self.ctx.dry_run {
                println!("  would poll the cargo index until it lists {name} {version}, then compare its cksum");
            } else {
                let cksum = registry::poll(poll_timeout(), || index.cksum(sh, name, &version))?.ok_or_else(|| {
                    fail(
                        Code::RegistryTimeout,
                        format!("{name} {version} did not appear in the index within {}s", poll_timeout().as_secs()),
                        "`cargo xtask release --resume` checks again",
                    )
                })?;
                self.progress.set(i, State::Verifying);
                if cksum != ours {
                    return Err(fail(
                        Code::ChecksumMismatch,
                        format!("{name} {version}: the index says cksum {cksum}, ours is {ours}"),
                        "the upload was altered or replaced: investigate before releasing again",
                    ));
                }
            }
            Ok(())
        })?;

        if config.smoke_test {
            self.stage(name, i, State::SmokeTesting, "smoke", || {
                let dir = self.release.work.join("smoke").join(name);
                let registry_key =
                    config.cargo_registry.as_ref().map(|r| format!(", registry = \"{r}\"")).unwrap_or_default();
                let smoke_manifest = format!(
                    "[package]\nname = \"smoke-{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{name} = {{ version = \"={version}\"{registry_key} }}\n\n[workspace]\n"
                );
                if !self.ctx.dry_run {
                    std::fs::create_dir_all(dir.join("src"))?;
                    std::fs::write(dir.join("src/lib.rs"), "")?;
                }
                self.ctx.write(
                    &dir.join("Cargo.toml"),
                    &smoke_manifest,
                    "a throwaway crate that depends on the exact version",
                )?;
                let smoke_target = self.release.work.join(format!("smoke-target-{}", slot.0));
                let path = dir.join("Cargo.toml");
                self.ctx.exec(
                    cmd!(sh, "cargo build --quiet --manifest-path {path} --target-dir {smoke_target}"),
                    Code::SmokeTestFailed,
                    "the version is public: fix it and release a patch (consider `cargo yank`)",
                )?;
                Ok(())
            })?;
        }
        Ok(outcome.to_string())
    }
}

fn list_artifacts(dir: &Path) -> anyhow::Result<Vec<Artifact>> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if name.ends_with(".whl") || name.ends_with(".tar.gz") {
            let sha256 = sha256_hex(&std::fs::read(&path)?);
            out.push(Artifact { path, name, sha256 });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The import name: `[tool.uv.build-backend] module-name`, else the
/// normalized distribution name with underscores.
fn module_name(manifest: &Path, name: &str) -> String {
    let configured = std::fs::read_to_string(manifest).ok().and_then(|t| {
        let doc: toml_edit::DocumentMut = t.parse().ok()?;
        doc.get("tool")?.get("uv")?.get("build-backend")?.get("module-name")?.as_str().map(str::to_string)
    });
    configured.unwrap_or_else(|| normalize_dist(name))
}

/// Runs `work(i)` for every node once all of `deps[i]` succeeded, on at most
/// `jobs` threads. After a failure nothing new starts; running work finishes.
/// Returns each node's result (`None`: never started).
pub fn schedule<T: Send>(
    deps: &[Vec<usize>],
    jobs: usize,
    work: impl Fn(usize) -> anyhow::Result<T> + Sync,
) -> Vec<Option<anyhow::Result<T>>> {
    struct S<T> {
        waiting_on: Vec<usize>,
        ready: VecDeque<usize>,
        running: usize,
        failed: bool,
        results: Vec<Option<anyhow::Result<T>>>,
    }
    let n = deps.len();
    let mut dependents = vec![vec![]; n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(i);
        }
    }
    let waiting_on: Vec<usize> = deps.iter().map(Vec::len).collect();
    let ready: VecDeque<usize> = (0..n).filter(|&i| waiting_on[i] == 0).collect();
    let state = Mutex::new(S { waiting_on, ready, running: 0, failed: false, results: (0..n).map(|_| None).collect() });
    let wake = Condvar::new();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, n.max(1)) {
            scope.spawn(|| loop {
                let i = {
                    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                    loop {
                        if s.failed || (s.ready.is_empty() && s.running == 0) {
                            wake.notify_all();
                            return;
                        }
                        if let Some(i) = s.ready.pop_front() {
                            s.running += 1;
                            break i;
                        }
                        s = wake.wait(s).unwrap_or_else(|e| e.into_inner());
                    }
                };
                let result = work(i);
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                s.running -= 1;
                if result.is_ok() {
                    for &d in &dependents[i] {
                        s.waiting_on[d] -= 1;
                        if s.waiting_on[d] == 0 {
                            s.ready.push_back(d);
                        }
                    }
                } else {
                    s.failed = true;
                }
                s.results[i] = Some(result);
                wake.notify_all();
            });
        }
    });
    state.into_inner().unwrap_or_else(|e| e.into_inner()).results
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    #[test]
    fn starts_each_node_when_its_own_dependencies_finish() {
        // a(slow) ; b(fast) ; c needs b ; d needs a. c must not wait for a.
        let deps = vec![vec![], vec![], vec![1], vec![0]];
        let start = Instant::now();
        let finished: Mutex<Vec<(usize, Duration)>> = Mutex::new(vec![]);
        let results = schedule(&deps, 2, |i| {
            std::thread::sleep(Duration::from_millis(if i == 0 { 300 } else { 20 }));
            finished.lock().unwrap().push((i, start.elapsed()));
            Ok(i)
        });
        assert!(results.iter().all(|r| matches!(r, Some(Ok(_)))));
        let f = finished.into_inner().unwrap();
        let at = |n: usize| f.iter().find(|(i, _)| *i == n).unwrap().1;
        assert!(at(2) < at(0), "c finished after a: {f:?}");
        assert!(at(3) > at(0));
    }

    #[test]
    fn a_failure_stops_new_work() {
        let deps = vec![vec![], vec![0], vec![1]];
        let ran = AtomicUsize::new(0);
        let results = schedule(&deps, 3, |i| {
            ran.fetch_add(1, Ordering::SeqCst);
            if i == 1 {
                anyhow::bail!("boom")
            }
            Ok(())
        });
        assert_eq!(ran.load(Ordering::SeqCst), 2);
        assert!(results[1].as_ref().unwrap().is_err());
        assert!(results[2].is_none());
    }

    #[test]
    fn respects_the_job_limit() {
        let deps = vec![vec![]; 8];
        let now = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        schedule(&deps, 3, |_| {
            let c = now.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(c, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            now.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        });
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
