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

use xshell::{cmd, Shell};

use super::edit;
use super::journal::{Outcome, Stage, Step};
use super::preflight::normalize_dist;
use super::progress::State;
use super::publish::{poll_timeout, read_from_tar, Artifact, Job};
use super::wheel;
use super::zip;
use crate::config::SmokeTest;
use crate::error::{fail, Code};
use crate::plan::Entry;
use crate::registry::{self, RemoteFile};
use crate::shell;
use crate::version::{Ecosystem, Version};
use crate::version_files;
use crate::workspace::pep508::normalize;
use crate::workspace::VersionSource;

/// What one Python package is released as.
struct Py<'a> {
    name: &'a str,
    /// The journal's key (`python:NAME` when a crate has the same name).
    key: &'a str,
    version: String,
    dist: PathBuf,
    /// `name-version` as distribution file names spell it.
    stem: String,
    /// Python packages of the repository → their versions in this release.
    pins: HashMap<String, Version>,
}

impl Job<'_> {
    pub fn python(&self, sh: &Shell, e: &Entry, i: usize) -> anyhow::Result<Outcome> {
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
                        self.versions.get(&format!("python:{}", p.name))?.to_ecosystem(Ecosystem::Python),
                    ))
                })
                .collect(),
        };
        let artifacts = match self.reusable(py.key, &py.dist) {
            Some(a) => {
                println!("  {}: reusing the artifacts built before the interruption", py.name);
                a
            }
            None => self.python_build(sh, e, &py)?,
        };
        let outcome = self.python_upload(sh, &py, &artifacts, i)?;
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
        if self.ctx.dry_run {
            println!(
                "  would write: {} (internal requirements pinned with ==, extras and markers kept)",
                self.ctx.show_path(&manifest)
            );
        } else {
            let text = shell::fs::read_to_string(&manifest)?;
            let pinned = edit::pin_python_requirements(&text, &e.manifest, &py.pins)?;
            self.ctx.write(&manifest, pinned.as_bytes(), "internal requirements pinned")?;
            shell::fs::remove_dir_all(dist)?;
        }
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
        if self.ctx.dry_run {
            let stem = &py.stem;
            println!(
                "  would verify {stem}.tar.gz and {stem}-*.whl (names, PKG-INFO version and pins, version literals in the wheel, platform tags, smoke test imports) and compute SHA-256"
            );
            return Ok(vec![]);
        }
        let artifacts = self.verify_python(sh, e, py)?;
        self.record_artifacts(py.key, &artifacts)?;
        Ok(artifacts)
    }

    /// Uploads what the index does not have. Same checksum there: nothing to
    /// upload; another checksum: stop, unless our own upload was interrupted
    /// (an index that writes uploads non-atomically can keep a truncated file).
    fn python_upload(&self, sh: &Shell, py: &Py, artifacts: &[Artifact], i: usize) -> anyhow::Result<Outcome> {
        let config = &self.repo.config;
        let index_url = &config.python_index_url;
        let name = py.name;
        if self.ctx.dry_run {
            if self.stage_state(py.key, Stage::Publish) == Some(Step::Done) {
                println!("  {name}: uploaded before the interruption (journal); the index is asked again");
                return Ok(Outcome::Published);
            }
            let publish_url = &config.python_publish_url;
            let files = py.dist.join(format!("{}*", py.stem));
            self.ctx.exec(
                cmd!(sh, "uv publish --publish-url {publish_url} --check-url {index_url} {files}"),
                Code::PublishFailed,
                "",
            )?;
            return Ok(Outcome::WouldPublish);
        }
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
            return Ok(Outcome::AlreadyPublished);
        }
        self.progress.set(i, State::Publishing);
        self.mark(py.key, Stage::Publish, Step::Started)?;
        let publish_url = &config.python_publish_url;
        if !repair.is_empty() {
            self.ctx.exec(
                cmd!(sh, "uv publish --publish-url {publish_url} {repair...}"),
                Code::PublishFailed,
                "the index keeps a partial file from the interrupted upload and refuses to replace it: delete that file on the index, then `cargo xtask release --resume`",
            )?;
        }
        let files: Vec<&Path> = artifacts.iter().map(|a| a.path.as_path()).collect();
        self.ctx.exec(
            cmd!(sh, "uv publish --publish-url {publish_url} --check-url {index_url} {files...}"),
            Code::PublishFailed,
            "fix what uv reports (credentials, index URL), then `cargo xtask release --resume`",
        )?;
        self.mark(py.key, Stage::Publish, Step::Done)?;
        Ok(Outcome::Published)
    }

    /// Polls the index until it lists every file, then compares each hash.
    fn python_verify(&self, py: &Py, artifacts: &[Artifact], i: usize) -> anyhow::Result<()> {
        let index_url = &self.repo.config.python_index_url;
        let name = py.name;
        if self.ctx.dry_run {
            println!(
                "  would poll {index_url}{}/ until it lists every file, then compare each #sha256",
                normalize(name)
            );
            return Ok(());
        }
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

    /// A fresh venv, the exact version installed from the index, the imports and the command of
    /// `smoke_of`. Run in `smoke/<package>/`, whose empty uv.toml and .python-version end uv's search
    /// up the folders (into the repository) for settings: the user's own uv settings apply, as to
    /// anyone installing the package, and no project's (an `exclude-newer` would hide the upload).
    fn python_smoke(&self, e: &Entry, py: &Py, artifacts: &[Artifact]) -> anyhow::Result<()> {
        let index_url = &self.repo.config.python_index_url;
        let name = py.name;
        let folder = self.release.work.join("smoke").join(py.key.replace(':', "-"));
        let venv = folder.join("venv");
        let python = venv_python(&venv);
        let spec = format!("{name}=={}", py.version);
        let wheel = artifacts.iter().find(|a| a.name.ends_with(".whl")).map(|a| a.path.as_path());
        let smoke = self.smoke_of(e, wheel)?;
        let help = "the version is public: fix it and release a patch (consider yanking); [[smoke-tests]] in xtask-release.toml sets what the smoke test imports or runs";
        self.ctx.create_dir_all(&folder)?;
        for file in ["uv.toml", ".python-version"] {
            self.ctx.write(&folder.join(file), b"", "empty: no project's uv settings reach the smoke test")?;
        }
        let sh = Shell::new()?;
        sh.change_dir(&folder);
        self.ctx.exec(cmd!(sh, "uv venv --quiet --no-project --allow-existing {venv}"), Code::SmokeTestFailed, help)?;
        self.ctx.exec(
            cmd!(
                sh,
                "uv pip install --quiet --python {python} --index-url {index_url} --refresh-package {name} {spec}"
            ),
            Code::SmokeTestFailed,
            help,
        )?;
        if self.ctx.dry_run {
            println!("  would import {}", smoke.describe());
        }
        if !smoke.imports.is_empty() {
            // -I: the installed package, never a folder or PYTHONPATH of the caller's
            let import = format!("import {}", smoke.imports.join(", "));
            self.ctx.exec(cmd!(sh, "{python} -I -c {import}"), Code::SmokeTestFailed, help)?;
        }
        if let Some((program, args)) = smoke.run.as_ref().and_then(|r| r.split_first()) {
            // the environment's own programs first (python, the package's console scripts)
            let bin = python.parent().map(Path::to_path_buf).unwrap_or_default();
            let local = bin.join(program);
            let program = if local.exists() || program == "python" { local } else { PathBuf::from(program) };
            let path = std::env::join_paths(
                std::iter::once(bin.clone())
                    .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
            )
            .unwrap_or_default();
            self.ctx.exec(
                cmd!(sh, "{program} {args...}").env("PATH", path).env("VIRTUAL_ENV", &venv),
                Code::SmokeTestFailed,
                help,
            )?;
        }
        Ok(())
    }

    /// What the smoke test of `e` imports and runs: its `[[smoke-tests]]` entry, else the modules
    /// its wheel ships (none known in a dry run, which builds nothing).
    fn smoke_of(&self, e: &Entry, wheel: Option<&Path>) -> anyhow::Result<Smoke> {
        let configured = self.smoke_config(e)?;
        let (imports, source) = match configured.and_then(|c| c.import.clone()) {
            Some(imports) => (imports, SmokeSource::Configured),
            None => match wheel {
                Some(w) => (wheel::modules(&wheel::files(w)?), SmokeSource::Wheel),
                None => (vec![], SmokeSource::Wheel),
            },
        };
        Ok(Smoke { imports, source, run: configured.and_then(|c| c.run.clone()) })
    }

    /// The `[[smoke-tests]]` entry of `e`.
    fn smoke_config(&self, e: &Entry) -> anyhow::Result<Option<&SmokeTest>> {
        let ws = &self.repo.ws;
        let me = ws.index_in(Ecosystem::Python, &e.name);
        for s in &self.repo.config.smoke_tests {
            if Some(smoke_package(ws, s)?) == me {
                return Ok(Some(s));
            }
        }
        Ok(None)
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
        if smoke.source == SmokeSource::Configured {
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
    /// carries the planned version, and internal requirements are pinned.
    fn verify_python(&self, sh: &Shell, e: &Entry, py: &Py) -> anyhow::Result<Vec<Artifact>> {
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
        let pkg_info = read_from_tar(sh, &sdist.path, &format!("{stem}/PKG-INFO"), "the sdist has no PKG-INFO")?;
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
            if py.pins.contains_key(&normalize(&req.name)) && !req.specifier.starts_with("==") {
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
fn venv_python(venv: &Path) -> PathBuf {
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

/// The package a `[[smoke-tests]]` entry names: a bare name is the Python package of that name
/// (a maturin crate may share it).
pub fn smoke_package(ws: &crate::workspace::Workspace, s: &SmokeTest) -> anyhow::Result<usize> {
    let qualified = if s.package.contains(':') { s.package.clone() } else { format!("python:{}", s.package) };
    ws.lookup(&qualified, "[[smoke-tests]] package")
}

/// What a smoke test imports and runs (`Job::smoke_of`).
struct Smoke {
    imports: Vec<String>,
    source: SmokeSource,
    run: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SmokeSource {
    /// `[[smoke-tests]] import`.
    Configured,
    /// The modules the wheel's RECORD lists.
    Wheel,
}

impl Smoke {
    /// For the dry run: what would be imported and run.
    fn describe(&self) -> String {
        let what = match (self.source, self.imports.is_empty()) {
            (SmokeSource::Configured, true) => "nothing ([[smoke-tests]] import = [])".to_string(),
            (SmokeSource::Configured, false) => format!("{} ([[smoke-tests]])", self.imports.join(", ")),
            (SmokeSource::Wheel, _) => "the modules the wheel ships (its RECORD)".to_string(),
        };
        match &self.run {
            Some(run) => format!("{what}, then run `{}`", run.join(" ")),
            None => what,
        }
    }
}
