//! The smoke test of a published Python package: a fresh venv, the exact version installed from
//! the index, then the modules its wheel ships imported (`wheel::modules`), or what its
//! `[[smoke-tests]]` entry says to import and run.
//!
//! uv reads settings from the folder it runs in and every folder above it (here: the repository,
//! whose `exclude-newer` would hide the version just uploaded). Each smoke test runs in
//! `smoke/<package>/`, whose empty uv.toml and .python-version end that search: the user's own uv
//! settings apply, as for anyone installing the package, and no project's.

use std::path::{Path, PathBuf};

use xshell::{cmd, Shell};

use super::publish::{Artifact, Job};
use super::python::{venv_python, Py};
use super::wheel;
use crate::config::SmokeTest;
use crate::error::{fail, Code};
use crate::plan::Entry;
use crate::version::Ecosystem;
use crate::workspace::pep508::normalize;

const SMOKE_HELP: &str = "the version is public: fix it and release a patch (consider yanking); [[smoke-tests]] in xtask-release.toml sets what the smoke test imports or runs";

impl Job<'_> {
    /// A fresh venv, the exact version installed from the index, then the imports and the command
    /// of `smoke_of`; every step from the package's own folder (see the module's comment).
    pub(super) fn python_smoke(&self, e: &Entry, py: &Py, artifacts: &[Artifact]) -> anyhow::Result<()> {
        let index_url = &self.repo.config.python_index_url;
        let name = py.name;
        let folder = self.release.work.join("smoke").join(py.key.replace(':', "-"));
        let venv = folder.join("venv");
        let python = venv_python(&venv);
        let spec = format!("{name}=={}", py.version);
        let wheel = artifacts.iter().find(|a| a.name.ends_with(".whl")).map(|a| a.path.as_path());
        let smoke = self.smoke_of(e, wheel)?;
        let help = SMOKE_HELP;
        self.ctx.create_dir_all(&folder)?;
        for file in ["uv.toml", ".python-version"] {
            self.ctx.write(&folder.join(file), b"", "empty: no project's uv settings reach the smoke test")?;
        }
        let sh = Shell::new()?;
        sh.change_dir(&folder);
        self.ctx.exec(cmd!(sh, "uv venv --quiet --no-project --allow-existing {venv}"), Code::SmokeTestFailed, help)?;
        self.ctx
            .exec(
                cmd!(
                    sh,
                    "uv pip install --quiet --python {python} --index-url {index_url} --refresh-package {name} {spec}"
                ),
                Code::SmokeTestFailed,
                help,
            )
            .map_err(|e| dependency_missing(e, name, index_url))?;
        self.ctx.effect(format_args!("import {}", smoke.describe()), || self.smoke_run(&sh, &smoke, &python, &venv))
    }

    /// The imports and the command of the smoke test, in the venv at `venv`.
    fn smoke_run(&self, sh: &Shell, smoke: &Smoke, python: &Path, venv: &Path) -> anyhow::Result<()> {
        let help = SMOKE_HELP;
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
                cmd!(sh, "{program} {args...}").env("PATH", path).env("VIRTUAL_ENV", venv),
                Code::SmokeTestFailed,
                help,
            )?;
        }
        Ok(())
    }

    /// What the smoke test of `e` imports and runs: its `[[smoke-tests]]` entry, else the modules
    /// its wheel ships (none known in a dry run, which builds nothing).
    pub(super) fn smoke_of(&self, e: &Entry, wheel: Option<&Path>) -> anyhow::Result<Smoke> {
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
}

/// `XR118` for an install that failed because a dependency of `name` is on no
/// index uv reads (uv: "Because DEP was not found in the package registry …"),
/// not because the package is broken; any other failure as it is.
fn dependency_missing(err: anyhow::Error, name: &str, index_url: &str) -> anyhow::Error {
    let printed = err.downcast_ref::<crate::error::Failure>().and_then(|f| f.output.as_deref()).unwrap_or("");
    let Some(dep) = missing_from_registry(printed).filter(|d| normalize(d) != normalize(name)) else { return err };
    fail(
        Code::SmokeDependencyMissing,
        format!("the smoke test of {name} cannot install it: its dependency {dep} is not on {index_url}"),
        format!(
            "{name} may be fine: publish {dep} to that index, or set [python] index-url to one that serves it, then `cargo xtask release --resume`"
        ),
    )
}

/// The package uv says is not found: `Because DEP was not found in the package
/// registry and …` (also `DEP==1.0 was not found`, lower case after a comma).
fn missing_from_registry(uv: &str) -> Option<String> {
    let at = uv.find(" was not found in the package registry")?;
    let before = &uv[..at];
    let word = before.rsplit(|c: char| c.is_whitespace() || c == ',').next()?;
    let dep: String = word.chars().take_while(|c| c.is_alphanumeric() || "-_.".contains(*c)).collect();
    (!dep.is_empty()).then_some(dep)
}

/// The package a `[[smoke-tests]]` entry names: a bare name is the Python package of that name
/// (a maturin crate may share it).
pub fn smoke_package(ws: &crate::workspace::Workspace, s: &SmokeTest) -> anyhow::Result<usize> {
    let qualified = if s.package.contains(':') { s.package.clone() } else { format!("python:{}", s.package) };
    ws.lookup(&qualified, "[[smoke-tests]] package")
}

/// What a smoke test imports and runs (`Job::smoke_of`).
pub(super) struct Smoke {
    pub imports: Vec<String>,
    pub source: SmokeSource,
    pub run: Option<Vec<String>>,
}

impl Smoke {
    /// Whether `[[smoke-tests]]` named the imports (checked against the wheel before the upload).
    pub fn configured(&self) -> bool {
        self.source == SmokeSource::Configured
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SmokeSource {
    /// `[[smoke-tests]] import`.
    Configured,
    /// The modules the wheel's RECORD lists.
    Wheel,
}

impl Smoke {
    /// What is imported and run: the smoke step's description (a dry run prints it).
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

#[cfg(test)]
mod tests {
    use super::missing_from_registry;

    /// uv 0.13's words, for a dependency on no index.
    #[test]
    fn the_missing_dependency_is_read_from_uvs_words() {
        let uv = "  × No solution found when resolving dependencies:\n  ╰─▶ Because thirdparty was not found in the package registry and app==1.0.0 depends on thirdparty, we can conclude that app==1.0.0 cannot be used.";
        assert_eq!(missing_from_registry(uv).as_deref(), Some("thirdparty"));
        let pinned = "Because core==2.0.0 was not found in the package registry and app==2.0.0 depends on core==2.0.0";
        assert_eq!(missing_from_registry(pinned).as_deref(), Some("core"));
        assert_eq!(missing_from_registry("error: Failed to fetch: connection refused"), None);
    }
}
