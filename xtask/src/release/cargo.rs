//! The cargo steps of a crate: `cargo package` → verify (name, version inside)
//! → checksum → upload unless the index has it → poll the index and compare
//! its `cksum` with the bytes uploaded → smoke test (a throwaway crate that
//! depends on the exact version builds).
//!
//! The upload (`cargo_upload::Route`) is the verified `.crate` itself, through
//! the registry's web API, when the release holds the token (trusted
//! publishing, or a token in the environment): the registry gets the bytes
//! that were verified. Otherwise `cargo publish` uploads, and it packages the
//! crate again: the `Cargo.lock` inside a `.crate` is resolved against the
//! registry at that moment, so those bytes may differ from the verified
//! build; the release then records the `.crate` that `cargo publish` itself
//! wrote (`target/package/tmp-crate/`) and compares the registry with those
//! exact bytes. A resume decides "already published by us" from what it
//! recorded, never from a rebuild.

use std::path::PathBuf;
use std::time::Duration;

use xshell::{cmd, Shell};

use super::cargo_upload::{Named, Route};
use super::journal::{Outcome, Stage, Step};
use super::pace;
use super::progress::State;
use super::publish::{poll_timeout, read_from_tar, Artifact, Job};
use super::schedule::Slot as Turn;
use crate::error::{fail, Code};
use crate::plan::Entry;
use crate::rate::Action;
use crate::registry;
use crate::version::Ecosystem;

/// What one crate is released as, and where cargo works on it.
struct Crate<'a> {
    name: &'a str,
    version: String,
    /// The workspace manifest in the exported tree.
    manifest: PathBuf,
    /// The release's cargo target folder, one for every crate (as `cargo
    /// publish --workspace` has one): what crates share is built once.
    target: PathBuf,
    /// `NAME-VERSION.crate`, as cargo names it.
    file: String,
}

impl Crate<'_> {
    /// Where `cargo package` writes the `.crate`.
    fn packaged(&self) -> PathBuf {
        self.target.join("package").join(&self.file)
    }

    /// Where `cargo publish` writes the `.crate` it uploads: `package/tmp-crate/`
    /// (cargo ≥ 1.84) of the release's target folder, or of a job slot's
    /// (`target-N`: an upload interrupted under a version that had one per slot).
    fn uploaded_candidates(&self, work: &std::path::Path) -> Vec<PathBuf> {
        let pattern = format!("{}/target*/package/tmp-crate/{}", work.display(), self.file);
        glob::glob(&pattern).into_iter().flatten().flatten().collect()
    }
}

/// The question to the cargo index, as a dry run shows it.
struct CksumCheck<'a> {
    name: &'a str,
    version: &'a str,
    /// The journal says the upload finished before an interruption.
    uploaded: bool,
}

impl std::fmt::Display for CksumCheck<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ask the cargo index whether it has {} {}, with which cksum", self.name, self.version)?;
        if self.uploaded {
            write!(f, " (uploaded before the interruption, says the journal)")?;
        }
        Ok(())
    }
}

impl Job<'_> {
    pub fn cargo(&self, sh: &Shell, e: &Entry, i: usize, turn: &Turn) -> anyhow::Result<Outcome> {
        let ws_dir = match self.repo.ws.cargo_root.as_deref() {
            None | Some(".") => self.tree.to_path_buf(),
            Some(dir) => self.tree.join(dir),
        };
        let version = e.next_version.clone().expect("released");
        let c = Crate {
            name: &e.name,
            file: format!("{}-{version}.crate", e.name),
            version,
            manifest: ws_dir.join("Cargo.toml"),
            target: self.release.work.join("target"),
        };
        let built = match self.reusable(c.name, &self.dist(c.name)) {
            Some(a) => {
                println!("  {}: reusing the .crate built before the interruption", c.name);
                Some(a[0].clone())
            }
            None => self.cargo_build(sh, &c)?,
        };
        let (outcome, uploaded) = self.cargo_upload(sh, &c, built.as_ref(), (i, turn))?;
        self.on_index(i, outcome);
        self.stage(c.name, i, State::Polling, Stage::Verify, || self.cargo_verify(sh, &c, uploaded.as_deref(), i))?;
        if self.repo.config.smoke_test {
            // the packaging's: the crates.io dependencies the verification built are reused
            let smoke_target = c.target.clone();
            self.stage(c.name, i, State::SmokeTesting, Stage::Smoke, || self.cargo_smoke(sh, &c, smoke_target))?;
        }
        Ok(outcome)
    }

    /// `cargo package`, then the `.crate` checked and kept in `dist` (`None` in a dry run).
    fn cargo_build(&self, sh: &Shell, c: &Crate) -> anyhow::Result<Option<Artifact>> {
        self.mark(c.name, Stage::Build, Step::Started)?;
        let (name, manifest, target) = (c.name, &c.manifest, &c.target);
        let registry = self.repo.config.cargo_registry_args();
        // `cargo package` builds the crate as it will be published (path
        // dependencies replaced by registry versions) and writes the .crate
        self.ctx.exec(
            cmd!(sh, "cargo package --quiet --no-metadata -p {name} {registry...} --manifest-path {manifest} --target-dir {target}"),
            Code::BuildFailed,
            &self.build_failed_help(c.name),
        )?;
        let what =
            format!("verify {} (name, version inside) and compute its SHA-256", self.ctx.show_path(&c.packaged()));
        // a dry run built nothing: `None`
        self.ctx.effect(what, || self.cargo_keep(c).map(Some))
    }

    /// The `.crate` cargo packaged, checked, kept in `dist` and recorded.
    fn cargo_keep(&self, c: &Crate) -> anyhow::Result<Artifact> {
        let name = c.name;
        let a = self.checked_crate(c, c.packaged())?;
        let dist = self.dist(name);
        self.ctx.create_dir_all(&dist)?;
        let kept = dist.join(&c.file);
        self.ctx.write(&kept, &crate::shell::fs::read(&a.path)?, "the .crate, kept for a resume")?;
        let kept = Artifact { path: kept, ..a };
        self.record_artifacts(name, std::slice::from_ref(&kept))?;
        Ok(kept)
    }

    /// The `.crate` `cargo publish` just uploaded, checked.
    fn uploaded_crate(&self, c: &Crate) -> anyhow::Result<Artifact> {
        let fresh = c.target.join("package/tmp-crate").join(&c.file);
        self.checked_crate(c, if fresh.is_file() { fresh } else { c.packaged() })
    }

    /// A `.crate` cargo wrote, with the name and version the plan says.
    fn checked_crate(&self, c: &Crate, path: PathBuf) -> anyhow::Result<Artifact> {
        let a = Artifact::read(path.clone()).map_err(|err| {
            fail(
                Code::ArtifactInvalid,
                format!("{}: cargo made no {}: {err:#}", c.name, path.display()),
                "check the crate's name and version",
            )
        })?;
        let member = format!("{}-{}/Cargo.toml", c.name, c.version);
        let inside = read_from_tar(&path, &member, "check that cargo packaged the crate; nothing was published")?;
        if !inside.lines().any(|l| l.trim() == format!("version = \"{}\"", c.version)) {
            return Err(fail(
                Code::ArtifactInvalid,
                format!("{}: the .crate's Cargo.toml does not say version = \"{}\"", c.name, c.version),
                "check the crate's version",
            ));
        }
        Ok(a)
    }

    /// Publishes unless the registry has it; returns the outcome and the
    /// SHA-256 of the bytes on the registry that are ours.
    fn cargo_upload(
        &self,
        sh: &Shell,
        c: &Crate,
        built: Option<&Artifact>,
        (i, turn): (usize, &Turn),
    ) -> anyhow::Result<(Outcome, Option<String>)> {
        let name = c.name;
        let publish = self.stage_state(name, Stage::Publish);
        // a dry run built nothing to compare with the registry: the journal's word stands for the answer
        let uploaded = publish == Some(Step::Done);
        let ask = CksumCheck { name, version: &c.version, uploaded };
        let expected = uploaded.then_some((Outcome::Published, None));
        let known = self.ctx.effect_or(ask, expected, || self.cargo_on_registry(sh, c, built, publish))?;
        if let Some(known) = known {
            return Ok(known);
        }
        let new = self.ctx.quietly(|| Ok(!self.index.expect("resolved").has_crate(sh, name)?))?;
        let action = if new { Action::New } else { Action::Update };
        let waited = self.pacer.take(Ecosystem::Cargo, action, (i, turn.priority), turn, |n| self.progress.note(i, n));
        self.rate_waited(i, waited);
        self.progress.set(i, State::Publishing);
        self.mark(name, Stage::Publish, Step::Started)?;
        let via_api = self.cargo_publish(sh, c, built, (i, turn), action)?;
        // the checksum the verify step compares with: a dry run uploaded nothing
        let sha = self.ctx.quietly(|| self.cargo_record_upload(c, built, via_api).map(Some))?;
        Ok((self.ctx.mode.pick(Outcome::WouldPublish, Outcome::Published), sha))
    }

    /// Whether the registry has `c`: ours (an upload of this release's,
    /// finished or interrupted), someone's with our checksum, or another
    /// build (an error); `None` when it is not there.
    fn cargo_on_registry(
        &self,
        sh: &Shell,
        c: &Crate,
        built: Option<&Artifact>,
        publish: Option<Step>,
    ) -> anyhow::Result<Option<(Outcome, Option<String>)>> {
        let name = c.name;
        let record = self.record(name).unwrap_or_default();
        let built = built.expect("a real run has built the crate");
        let index = self.index.expect("resolved for cargo releases");
        if let Some(cksum) = index.cksum(sh, name, &c.version)? {
            // ours: what the journal says we uploaded, what our own interrupted
            // `cargo publish` packaged (not yet recorded), or what we built
            // when the journal says we started uploading; someone else's
            // (already published): what we built, with no upload of ours
            let recorded = record.uploaded.as_ref().map(|u| u.sha256.as_str());
            let interrupted = (publish == Some(Step::Started))
                .then(|| {
                    c.uploaded_candidates(&self.release.work)
                        .into_iter()
                        .filter_map(|p| Artifact::read(p).ok())
                        .find(|a| a.sha256 == cksum)
                })
                .flatten();
            // this release started the upload, so the version was not there before it
            let ours = recorded == Some(cksum.as_str())
                || interrupted.is_some()
                || (publish.is_some() && cksum == built.sha256);
            if ours {
                if publish == Some(Step::Started) {
                    self.record_upload(name, interrupted.as_ref().unwrap_or(built))?;
                }
                return Ok(Some((Outcome::Published, Some(cksum))));
            }
            if cksum == built.sha256 {
                return Ok(Some((Outcome::AlreadyPublished, Some(cksum))));
            }
            return Err(fail(
                Code::ChecksumMismatch,
                format!("{name} {} is on the registry with cksum {cksum}, ours is {}", c.version, built.sha256),
                "this version was published from another build: release a new version",
            ));
        }
        Ok(None)
    }

    /// The `.crate` uploaded (the verified one through the API, else the one
    /// `cargo publish` packaged again), recorded; its SHA-256.
    fn cargo_record_upload(&self, c: &Crate, built: Option<&Artifact>, via_api: bool) -> anyhow::Result<String> {
        let built = built.expect("a real run has built the crate");
        let uploaded = if via_api { built.clone() } else { self.uploaded_crate(c)? };
        if uploaded.sha256 != built.sha256 {
            println!(
                "  {}: cargo packaged the crate again for the upload (its Cargo.lock was resolved anew); \
                 the registry is checked against the uploaded bytes",
                c.name
            );
        }
        self.record_upload(c.name, &uploaded)?;
        Ok(uploaded.sha256)
    }

    /// The upload, through the registry's API (the verified `.crate`) or by
    /// `cargo publish` (`Route`); whether it went through the API. A refusal by
    /// the registry's rate limit (429) is waited out, idle, until the time it
    /// names (at most `pace::max_refusal_wait`; beyond it the release stops, resumably).
    fn cargo_publish(
        &self,
        sh: &Shell,
        c: &Crate,
        built: Option<&Artifact>,
        (i, turn): (usize, &Turn),
        action: Action,
    ) -> anyhow::Result<bool> {
        let (name, manifest, target) = (c.name, &c.manifest, &c.target);
        let every =
            self.repo.config.rate_limits(Ecosystem::Cargo).of(action).map_or(Duration::from_secs(60), |l| l.every);
        let named = Named { name, version: &c.version, file: &c.file };
        let route = self.cargo_route(&named, built)?;
        let publish = || match &route {
            Route::Api(upload) => self.cargo_api_publish(&named, upload),
            Route::Cargo => {
                let registry = self.repo.config.cargo_registry_args();
                let publish = cmd!(sh, "cargo publish --quiet --no-verify -p {name} {registry...} --manifest-path {manifest} --target-dir {target}");
                self.ctx.exec(
                    self.with_token(publish, self.holders.cargo.as_ref())?,
                    Code::PublishFailed,
                    "fix what cargo reports (token, registry), then `cargo xtask release --resume`",
                )?;
                Ok(())
            }
        };
        pace::while_refused(publish, every, self.refusal_waiter(i, turn))?
            .map_err(|until| pace::refused_until(name, until))?;
        Ok(matches!(route, Route::Api(_)))
    }

    /// The uploaded bytes' checksum and the end of the publish stage, in one journal write.
    fn record_upload(&self, name: &str, uploaded: &Artifact) -> anyhow::Result<()> {
        self.journal.transition(&format!("{name} publish Done"), |j| {
            let r = j.packages.entry(name.to_string()).or_default();
            r.uploaded = Some(uploaded.record());
            r.stages.insert(Stage::Publish, Step::Done);
        })
    }

    /// Polls the index until it lists the version, then compares its `cksum`
    /// with the uploaded bytes.
    fn cargo_verify(&self, sh: &Shell, c: &Crate, ours: Option<&str>, i: usize) -> anyhow::Result<()> {
        let (name, version) = (c.name, &c.version);
        let what = format!("poll the cargo index until it lists {name} {version}, then compare its cksum");
        self.ctx.effect(what, || self.cargo_compare(sh, c, ours, i))
    }

    fn cargo_compare(&self, sh: &Shell, c: &Crate, ours: Option<&str>, i: usize) -> anyhow::Result<()> {
        let (name, version) = (c.name, &c.version);
        let ours = match ours {
            Some(o) => o.to_string(),
            None => self.record(name).and_then(|r| r.uploaded).map(|u| u.sha256).unwrap_or_default(),
        };
        let index = self.index.expect("resolved for cargo releases");
        let cksum = registry::poll(poll_timeout(), || index.cksum(sh, name, version))?.ok_or_else(|| {
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
                format!("{name} {version}: the index says cksum {cksum}, the uploaded .crate has {ours}"),
                "the upload was altered or replaced: investigate before releasing again",
            ));
        }
        Ok(())
    }

    fn cargo_smoke(&self, sh: &Shell, c: &Crate, smoke_target: PathBuf) -> anyhow::Result<()> {
        let (name, version) = (c.name, &c.version);
        let dir = self.release.work.join("smoke").join(name);
        let registry_key =
            self.repo.config.cargo_registry.as_ref().map(|r| format!(", registry = \"{r}\"")).unwrap_or_default();
        let smoke_manifest = format!(
            "[package]\nname = \"smoke-{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{name} = {{ version = \"={version}\"{registry_key} }}\n\n[workspace]\n"
        );
        self.ctx.create_dir_all(&dir.join("src"))?;
        self.ctx.write(&dir.join("src/lib.rs"), b"", "an empty library")?;
        self.ctx.write(
            &dir.join("Cargo.toml"),
            smoke_manifest.as_bytes(),
            "a throwaway crate that depends on the exact version",
        )?;
        let path = dir.join("Cargo.toml");
        self.ctx.exec(
            cmd!(sh, "cargo build --quiet --manifest-path {path} --target-dir {smoke_target}"),
            Code::SmokeTestFailed,
            "the version is public: fix it and release a patch (consider `cargo yank`)",
        )?;
        Ok(())
    }
}
