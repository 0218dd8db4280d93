//! The Python steps of a package: pin internal requirements in the exported
//! tree → `uv build` → verify (names, PKG-INFO version and pins) → checksum →
//! `uv publish` unless the index has our files → poll the simple index and
//! compare its hashes → smoke test (fresh venv, install from the index, import
//! the modules the wheel ships, or what `[[smoke-tests]]` says).
//!
//! uv reads its settings from the folder it runs in: builds run in the release
//! tree's uv workspace (the project's build constraints and indexes apply),
//! smoke tests in a folder of their own where no project's settings do.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use xshell::{cmd, Shell};

use super::journal::{Outcome, Stage, Step};
use super::pace;
use super::progress::State;
use super::publish::{poll_timeout, read_from_tar, Artifact, Job};
use super::schedule::Slot as Turn;
use super::wheel;
use super::wheel::normalize_dist;
use super::zip;
use crate::edits::manifest as edit;
use crate::error::{fail, Code};
use crate::plan::Entry;
use crate::rate::Action;
use crate::registry::{self, RemoteFile};
use crate::shell;
use crate::version::{Ecosystem, Req, Version};
use crate::version_files;
use crate::workspace::pep508::normalize;
use crate::workspace::{PackageId, VersionSource};

/// What one Python package is released as.
pub(super) struct Py<'a> {
    pub name: &'a str,
    /// The journal's key (`python:NAME` when a crate has the same name).
    pub key: &'a str,
    pub version: String,
    dist: PathBuf,
    /// `name-version` as distribution file names spell it.
    stem: String,
    /// Python packages of the repository → their versions in this release.
    pins: HashMap<String, Version>,
}

/// What the index has of a package's files (`Job::python_on_index`).
struct IndexAnswer {
    /// Every file there with our checksum: nothing to upload.
    done: Option<Outcome>,
    /// Files our interrupted upload left different on the index.
    repair: Vec<PathBuf>,
}

/// The question to the index, as a dry run shows it.
struct IndexCheck<'a> {
    index: String,
    files: &'a str,
    /// The journal says the upload finished before an interruption.
    uploaded: bool,
}

impl std::fmt::Display for IndexCheck<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ask {} which of the files {}* it has, with which sha256", self.index, self.files)?;
        if self.uploaded {
            write!(f, " (uploaded before the interruption, says the journal)")?;
        }
        Ok(())
    }
}

impl Job<'_> {
    pub fn python(&self, sh: &Shell, e: &Entry, i: usize, turn: &Turn) -> anyhow::Result<Outcome> {
        let version = e.next_version.clone().expect("released");
        let py = Py {
            name: &e.name,
            key: e.key(),
            stem: format!("{}-{version}", normalize_dist(&e.name)),
            version,
            dist: self.dist(e.key()),
            pins: self
                .repo
                .ws
                .packages
                .iter()
                .filter(|p| p.ecosystem == Ecosystem::Python)
                .filter_map(|p| {
                    Some((
                        normalize(&p.name),
                        self.versions
                            .get(&PackageId { ecosystem: Ecosystem::Python, name: p.name.clone() })?
                            .to_ecosystem(Ecosystem::Python),
                    ))
                })
                .collect(),
        };
        let artifacts = match self.reusable(py.key, &py.dist) {
            Some(a) => {
                println!("  {}: reusing the artifacts built before the interruption", py.name);
                a
            }
            None => match self.release.prebuilt.get(py.key) {
                Some(files) => self.python_take(e, &py, files)?,
                None => self.python_build(sh, e, &py)?,
            },
        };
        let outcome = self.python_upload(sh, &py, &artifacts, (i, turn))?;
        self.on_index(i, outcome);
        self.stage(py.key, i, State::Polling, Stage::Verify, || self.python_verify(&py, &artifacts, i))?;
        if self.repo.config.smoke_test {
            self.stage(py.key, i, State::SmokeTesting, Stage::Smoke, || self.python_smoke(e, &py, &artifacts))?;
        }
        Ok(outcome)
    }

    /// Pins internal requirements to this release's versions, builds, verifies.
    fn python_build(&self, sh: &Shell, e: &Entry, py: &Py) -> anyhow::Result<Vec<Artifact>> {
        self.mark(py.key, Stage::Build, Step::Started)?;
        let manifest = self.tree.join(&e.manifest);
        let pkg_dir = self.tree.join(&e.path);
        let dist = &py.dist;
        self.ctx.write_with(&manifest, "internal requirements pinned with ==, extras and markers kept", || {
            let text = shell::fs::read_to_string(&manifest)?;
            Ok(edit::pin_python_requirements(&text, &e.manifest, &py.pins)?.into_bytes())
        })?;
        // what an earlier, interrupted build left
        self.ctx.quietly(|| shell::fs::remove_dir_all(dist))?;
        // a version from git tags: the exported tree has no .git, so the plugin is told the version
        let env =
            match self.repo.ws.index_in(Ecosystem::Python, &e.name).map(|k| &self.repo.ws.packages[k].version_source) {
                Some(VersionSource::Vcs(vcs)) => vcs.env(&e.name, &py.version),
                _ => vec![],
            };
        // in the release tree's uv workspace, whatever folder the tool was started from: uv reads the
        // project's settings (build constraints, indexes) from the folder it runs in. Not --quiet: a
        // failure shows the build backend's own output
        let workspace = self.tree.join(self.repo.ws.python_root.as_deref().unwrap_or("."));
        self.ctx.exec_build(
            cmd!(sh, "uv build --directory {workspace} --no-sources --out-dir {dist} {pkg_dir}"),
            &env,
            Code::BuildFailed,
            &self.build_failed_help(py.name),
        )?;
        let stem = &py.stem;
        let what = format!("verify {stem}.tar.gz and {stem}-*.whl (names, PKG-INFO version and pins, version literals in the wheel, platform tags, smoke test imports) and compute SHA-256");
        // a dry run built nothing: no artifacts
        self.ctx.effect(what, || {
            let artifacts = self.verify_python(e, py, false)?;
            self.record_artifacts(py.key, &artifacts)?;
            Ok(artifacts)
        })
    }

    /// The build step of a package built on the CI matrix (`release
    /// --artifacts`): its checked files are copied into its dist folder and
    /// verified as a local build's are, but that internal requirements need
    /// only admit this release's versions (the matrix builds the release
    /// commit as it is; a local build pins them with ==).
    fn python_take(&self, e: &Entry, py: &Py, files: &[PathBuf]) -> anyhow::Result<Vec<Artifact>> {
        self.mark(py.key, Stage::Build, Step::Started)?;
        let dist = &py.dist;
        self.ctx.quietly(|| shell::fs::remove_dir_all(dist))?;
        let copies = files
            .iter()
            .map(|f| Ok((dist.join(f.file_name().unwrap_or_default()), shell::fs::read(f)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        self.ctx.write_files(dist, &copies, "the files the CI matrix built")?;
        let what = format!("verify {} (names, PKG-INFO version, requirements, version literals, platform tags, smoke test imports) and compute SHA-256", py.stem);
        self.ctx.effect(what, || {
            let artifacts = self.verify_python(e, py, true)?;
            self.record_artifacts(py.key, &artifacts)?;
            Ok(artifacts)
        })
    }

    /// Uploads what the index does not have. Same checksum there: nothing to
    /// upload; another checksum: stop, unless our own upload was interrupted
    /// (an index that writes uploads non-atomically can keep a truncated file).
    fn python_upload(
        &self,
        sh: &Shell,
        py: &Py,
        artifacts: &[Artifact],
        (i, turn): (usize, &Turn),
    ) -> anyhow::Result<Outcome> {
        let config = &self.repo.config;
        let index_url = &config.python_index_url;
        let name = py.name;
        // a dry run built nothing to compare with the index: the journal's word stands for the answer
        let uploaded = self.stage_state(py.key, Stage::Publish) == Some(Step::Done);
        let expected = IndexAnswer { done: uploaded.then_some(Outcome::Published), repair: vec![] };
        let ask = IndexCheck { index: format!("{index_url}{}/", normalize(name)), files: &py.stem, uploaded };
        let answer = self.ctx.effect_or(ask, expected, || self.python_on_index(py, artifacts))?;
        if let Some(outcome) = answer.done {
            return Ok(outcome);
        }
        let repair = answer.repair;
        // PyPI limits new projects, not new versions
        let new = self.ctx.quietly(|| Ok(registry::pypi_versions(index_url, name)?.is_empty()))?;
        if new {
            let waited =
                self.pacer.take(Ecosystem::Python, Action::New, (i, turn.priority), turn, |n| self.progress.note(i, n));
            self.rate_waited(i, waited);
        }
        self.progress.set(i, State::Publishing);
        self.mark(py.key, Stage::Publish, Step::Started)?;
        let publish_url = &config.python_publish_url;
        if !repair.is_empty() {
            self.ctx.exec(
                self.with_python_token(cmd!(sh, "uv publish --publish-url {publish_url} {repair...}"))?,
                Code::PublishFailed,
                "the index keeps a partial file from the interrupted upload and refuses to replace it: delete that file on the index, then `cargo xtask release --resume`",
            )?;
        }
        // a dry run has no files yet: it names them as uv would find them
        let files: Vec<PathBuf> = self.ctx.mode.pick_with(
            || vec![py.dist.join(format!("{}*", py.stem))],
            || artifacts.iter().map(|a| a.path.clone()).collect(),
        );
        let files = &files;
        // uv does not retry a refusal (429, PyPI's "Too many new projects created", sent without a
        // Retry-After): waited out here for the limit's period, like cargo's
        let publish = || {
            let publish = cmd!(sh, "uv publish --publish-url {publish_url} --check-url {index_url} {files...}");
            self.ctx.exec(
                self.with_python_token(publish)?,
                Code::PublishFailed,
                "fix what uv reports (credentials, index URL), then `cargo xtask release --resume`",
            )
        };
        let action = if new { Action::New } else { Action::Update };
        let every = config.rate_limits(Ecosystem::Python).of(action).map_or(Duration::from_secs(60), |l| l.every);
        pace::while_refused(publish, every, self.refusal_waiter(i, turn))?
            .map_err(|until| pace::refused_until(name, until))?;
        self.mark(py.key, Stage::Publish, Step::Done)?;
        Ok(self.ctx.mode.pick(Outcome::WouldPublish, Outcome::Published))
    }

    /// `uv publish` with a trusted-publishing token (user `__token__`) instead of any configured credential.
    fn with_python_token<'c>(&self, publish: xshell::Cmd<'c>) -> anyhow::Result<xshell::Cmd<'c>> {
        let Some(h) = self.holders.python.as_ref() else { return Ok(publish) };
        let publish = publish.env_remove("UV_PUBLISH_USERNAME").env_remove("UV_PUBLISH_PASSWORD");
        self.with_token(publish, Some(h))
    }

    /// What the index has of `artifacts`: all of them with our checksums
    /// (nothing to upload: `done`), or what to upload, with the files an
    /// interrupted upload of ours left different (`repair`).
    fn python_on_index(&self, py: &Py, artifacts: &[Artifact]) -> anyhow::Result<IndexAnswer> {
        let index_url = &self.repo.config.python_index_url;
        let name = py.name;
        let interrupted = self.stage_state(py.key, Stage::Publish) == Some(Step::Started);
        let remote = registry::pypi_files(index_url, name)?.unwrap_or_default();
        let mut missing = false;
        let mut repair: Vec<PathBuf> = vec![];
        for a in artifacts {
            match remote.iter().find(|r| r.filename == a.name).map(|r| r.sha256.as_deref()) {
                None => missing = true,
                Some(Some(h)) if h != a.sha256 && interrupted => {
                    println!(
                        "  {name}: {} on the index differs after our interrupted upload: uploading it again",
                        a.name
                    );
                    repair.push(a.path.clone());
                }
                Some(Some(h)) if h != a.sha256 => {
                    return Err(fail(
                        Code::ChecksumMismatch,
                        format!("{} on {index_url} has sha256 {h} but ours is {}", a.name, a.sha256),
                        "this version was published from another build: release a new version",
                    ));
                }
                Some(_) => {}
            }
        }
        if !missing && repair.is_empty() {
            // every file there with our checksum: ours when this release
            // started the upload (some file was missing then), else someone's
            let done = match self.stage_state(py.key, Stage::Publish) {
                Some(Step::Done) => Outcome::Published,
                Some(Step::Started) => self.mark(py.key, Stage::Publish, Step::Done).map(|()| Outcome::Published)?,
                None => Outcome::AlreadyPublished,
            };
            return Ok(IndexAnswer { done: Some(done), repair });
        }
        Ok(IndexAnswer { done: None, repair })
    }

    /// Polls the index until it lists every file, then compares each hash.
    fn python_verify(&self, py: &Py, artifacts: &[Artifact], i: usize) -> anyhow::Result<()> {
        let index_url = &self.repo.config.python_index_url;
        let what =
            format!("poll {index_url}{}/ until it lists every file, then compare each #sha256", normalize(py.name));
        self.ctx.effect(what, || self.python_compare(py, artifacts, i))
    }

    fn python_compare(&self, py: &Py, artifacts: &[Artifact], i: usize) -> anyhow::Result<()> {
        let index_url = &self.repo.config.python_index_url;
        let name = py.name;
        let served: Vec<RemoteFile> = registry::poll(poll_timeout(), || {
            let remote = registry::pypi_files(index_url, name)?.unwrap_or_default();
            let all = artifacts.iter().all(|a| remote.iter().any(|r| r.filename == a.name));
            Ok(all.then_some(remote))
        })?
        .ok_or_else(|| {
            fail(
                Code::RegistryTimeout,
                format!("{name} {} did not appear on {index_url} within {}s", py.version, poll_timeout().as_secs()),
                "`cargo xtask release --resume` checks again",
            )
        })?;
        self.progress.set(i, State::Verifying);
        for a in artifacts {
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
        Ok(())
    }

    /// Before anything is uploaded: every wheel's platform tags are ones the index takes, and the
    /// smoke test imports modules the wheel ships (they are checked once the package is public).
    fn verify_wheels(&self, e: &Entry, py: &Py, artifacts: &[Artifact], wheel: &Artifact) -> anyhow::Result<()> {
        let config = &self.repo.config;
        let rule = config.platform_rule();
        for a in artifacts.iter().filter(|a| a.name.ends_with(".whl")) {
            if let Some(tag) = wheel::platforms(&a.name).into_iter().find(|t| !wheel::accepts(rule, t)) {
                return Err(fail(
                    Code::PlatformRefused,
                    format!(
                        "{}: {} has the platform tag `{tag}`, which PyPI's rule refuses (the rule for {}: [python] platform-tags)",
                        py.name, a.name, config.python_publish_url
                    ),
                    format!(
                        "nothing of {} was uploaded. PyPI takes manylinux/musllinux wheels, not `linux_*`: build them \
                         in a manylinux container or with `maturin build --release --manylinux 2_28 --zig`, usually in \
                         the CI matrix release (maturin-action or cibuildwheel, one job per platform), or pure \
                         `py3-none-any` ones; `cargo xtask release --abandon` this release if it cannot build them. \
                         An index that takes every platform: [python] platform-tags = \"any\"",
                        py.name
                    ),
                ));
            }
        }
        if !config.smoke_test {
            return Ok(());
        }
        let smoke = self.smoke_of(e, Some(&wheel.path))?;
        if smoke.configured() {
            let files = wheel::files(&wheel.path)?;
            if let Some(missing) = smoke.imports.iter().find(|m| !wheel::ships(&files, m)) {
                let ships = wheel::modules(&files);
                return Err(fail(
                    Code::SmokeImportMissing,
                    format!(
                        "{}: the smoke test imports `{missing}`, which the wheel does not ship (it ships: {})",
                        py.name,
                        if ships.is_empty() { "no module".to_string() } else { ships.join(", ") }
                    ),
                    format!(
                        "nothing of {} was uploaded: fix `import` of its [[smoke-tests]] entry in xtask-release.toml, \
                         or the modules the build packages",
                        py.name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// XR102's next step. The build ran from the release commit, which a resume builds again.
    pub fn build_failed_help(&self, name: &str) -> String {
        let commit = &self.release.commit[..12.min(self.release.commit.len())];
        format!(
            "nothing of {name} was published. `--resume` rebuilds the same commit ({commit}): a bug in the \
             source fails there again, while the packages that do not wait for {name} go on publishing each \
             time. A bug in the source: `cargo xtask release --abandon`, fix it, commit, release again. A cause \
             outside the source (a missing tool, the network): fix it, then `cargo xtask release --resume`"
        )
    }

    /// The sdist and wheel exist with the planned names, the sdist's PKG-INFO
    /// carries the planned version, and internal requirements are pinned (or,
    /// `prebuilt` on the CI matrix, admit this release's versions).
    fn verify_python(&self, e: &Entry, py: &Py, prebuilt: bool) -> anyhow::Result<Vec<Artifact>> {
        let (name, stem) = (py.name, &py.stem);
        let artifacts = list_artifacts(&py.dist)?;
        let sdist = artifacts.iter().find(|a| a.name == format!("{stem}.tar.gz"));
        let wheel = artifacts.iter().find(|a| a.name.starts_with(&format!("{stem}-")) && a.name.ends_with(".whl"));
        let (Some(sdist), Some(wheel)) = (sdist, wheel) else {
            let names: Vec<&str> = artifacts.iter().map(|a| a.name.as_str()).collect();
            return Err(fail(
                Code::ArtifactInvalid,
                format!("{name}: expected {stem}.tar.gz and a {stem}-*.whl, the build made: {}", names.join(", ")),
                "check the package's name and version configuration",
            ));
        };
        let pkg_info = read_from_tar(
            &sdist.path,
            &format!("{stem}/PKG-INFO"),
            "check that the build backend writes PKG-INFO into the sdist; nothing was published",
        )?;
        let inside = pkg_info.lines().find_map(|l| l.strip_prefix("Version: ")).unwrap_or("").trim().to_string();
        if Version::parse(Ecosystem::Python, &inside).ok().as_ref() != e.next.as_ref() {
            return Err(fail(
                Code::ArtifactInvalid,
                format!("{name}: the sdist says version `{inside}`, the plan says {}", py.version),
                "check where the package's version comes from",
            ));
        }
        for line in pkg_info.lines().filter_map(|l| l.strip_prefix("Requires-Dist: ")) {
            let Ok(req) = crate::workspace::pep508::parse(line) else { continue };
            let Some(pin) = py.pins.get(&normalize(&req.name)) else { continue };
            let admits = || Req::parse(Ecosystem::Python, &req.specifier).is_ok_and(|r| r.admits(pin));
            if prebuilt && !admits() {
                return Err(fail(
                    Code::ArtifactInvalid,
                    format!("{name}: internal requirement `{line}` does not admit {} {pin}, which this release publishes", req.name),
                    "build the artifacts from the staged release commit (its requirements admit the released versions); nothing was published",
                ));
            }
            if !prebuilt && !req.specifier.starts_with("==") {
                return Err(fail(
                    Code::ArtifactInvalid,
                    format!("{name}: internal requirement `{line}` is not pinned"),
                    "check the build backend keeps [project] dependencies",
                ));
            }
        }
        self.verify_literals(e, py, wheel)?;
        self.verify_wheels(e, py, &artifacts, wheel)?;
        Ok(artifacts)
    }

    /// Each version literal the release moved (`__version__ = "…"` equal to the
    /// new version in the release tree) is in the wheel with that version.
    fn verify_literals(&self, e: &Entry, py: &Py, wheel: &Artifact) -> anyhow::Result<()> {
        let moved = version_files::literals_in(self.tree, &e.path, &e.name)
            .into_iter()
            .filter(|l| Version::parse(Ecosystem::Python, &l.value).ok().as_ref() == e.next.as_ref());
        for l in moved {
            let in_pkg = match e.path.as_str() {
                "." | "" => l.path.as_str(),
                dir => l.path.strip_prefix(dir).and_then(|p| p.strip_prefix('/')).unwrap_or(&l.path),
            };
            let member = in_pkg.strip_prefix("src/").unwrap_or(in_pkg);
            let found = zip::read(&wheel.path, member)?.is_some_and(|bytes| {
                String::from_utf8_lossy(&bytes).lines().any(|line| {
                    version_files::parse_literal(line).is_some_and(|(n, v, _)| {
                        n == l.name && Version::parse(Ecosystem::Python, v).ok().as_ref() == e.next.as_ref()
                    })
                })
            });
            if !found {
                return Err(fail(
                    Code::ArtifactInvalid,
                    format!(
                        "{}: the wheel's {member} does not set {} = \"{}\" ({} does)",
                        py.name, l.name, py.version, l.path
                    ),
                    "check that the build backend packages that file from the source tree; nothing was published",
                ));
            }
        }
        Ok(())
    }
}

/// The interpreter of a venv: `bin/python`, or `Scripts/python.exe` on Windows.
pub(super) fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

fn list_artifacts(dir: &Path) -> anyhow::Result<Vec<Artifact>> {
    let mut out = vec![];
    let entries = std::fs::read_dir(dir).map_err(|e| shell::fs::error("list", dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| shell::fs::error("list", dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.ends_with(".whl") || name.ends_with(".tar.gz") {
            out.push(Artifact::read(path)?);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
