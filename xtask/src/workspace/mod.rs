//! Discovery: every package of the repository, from a Cargo workspace, a uv
//! workspace, or both, with its internal dependencies. Reads manifests only;
//! never writes.
//!
//! Fatal problems (a manifest that does not parse, a member glob matching
//! nothing, duplicate names) are errors. Problems `check` should list but that
//! do not stop discovery (an invalid version, a dependency on a member that does
//! not exist) are collected in `Workspace::issues`.

mod cargo;
mod paths;
pub mod pep508;
mod python;
#[cfg(test)]
mod tests;

pub use paths::{is_within, join_rel, join_within};
pub use python::VersionPattern;

use paths::{expand_members, glob_excluder};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml_edit::DocumentMut;

use crate::config::{one_line, Config};
use crate::error::{fail, Code};
use crate::version::{Ecosystem, Req, Version};

/// A package's identity: its ecosystem and name (a crate and a Python
/// package may have one name). Rendered only here: `shown` for people,
/// `journal_key` for the release journal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageId {
    pub ecosystem: Ecosystem,
    pub name: String,
}

impl PackageId {
    /// Its name, or `ecosystem:name` when `shared` (a package of the other
    /// ecosystem has the same name).
    pub fn shown(&self, shared: bool) -> String {
        if shared {
            format!("{}:{}", self.ecosystem.as_str(), self.name)
        } else {
            self.name.clone()
        }
    }

    /// Its key in the release journal and its artifact folder's name: its
    /// name, or `python:NAME` for a Python package that shares its name with
    /// a crate (the crate keeps its name, so journals stay readable).
    pub fn journal_key(&self, shared: bool) -> String {
        if shared && self.ecosystem == Ecosystem::Python {
            format!("python:{}", self.name)
        } else {
            self.name.clone()
        }
    }
}

#[derive(Debug, Clone)]
pub struct Workspace {
    /// Absolute path of the repository root.
    pub root: PathBuf,
    pub packages: Vec<Package>,
    pub issues: Vec<Issue>,
    /// Relative folder of the Cargo workspace, when there is one.
    pub cargo_root: Option<String>,
    /// Relative folder of the uv workspace or project, when there is one.
    pub python_root: Option<String>,
    /// Crates the Cargo root's `[patch.<registry>]` redirects to a member:
    /// (registry, crate name). A registry requirement on one is internal.
    pub cargo_patches: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub ecosystem: Ecosystem,
    /// Folder relative to the repository root, `/`-separated, "." for the root.
    pub dir: String,
    /// Manifest path relative to the repository root.
    pub manifest: String,
    /// The version as written; `version` is `None` when it does not parse.
    pub version_text: String,
    pub version: Option<Version>,
    pub version_source: VersionSource,
    /// `Some(reason)` when the package must never be published.
    pub unpublishable: Option<String>,
    pub deps: Vec<Dep>,
    pub description: Option<String>,
    pub license: bool,
    /// A maturin package: the crate it is built from (`[tool.maturin]
    /// manifest-path`), a member of the Cargo root here or not.
    pub built_from: Option<BuiltFrom>,
}

/// The crate a maturin package is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltFrom {
    /// Its `[package] name` ("" when it has none that can be read).
    pub name: String,
    /// Its `Cargo.toml`, relative to the repository root.
    pub manifest: String,
    /// Whether it is a member of the Cargo root discovered here. One that is
    /// not is released only as the Python package's version: its path
    /// dependencies on members are the package's `DepKind::Compiled` edges.
    pub member: bool,
}

/// Where a package's version is written (the release writes it back there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSource {
    /// `version = "..."` in the package's own manifest.
    Manifest,
    /// `version.workspace = true`: `[workspace.package] version` of the Cargo root.
    CargoWorkspace,
    /// `dynamic = ["version"]`: a version file (hatch/pdm `path`, setuptools
    /// `attr`/`file`): a `__version__ = "..."` / `VERSION = "..."` line, a plain
    /// file, or what hatch's custom `pattern` matches.
    File { path: String, pattern: Option<String> },
    /// `dynamic = ["version"]` built by maturin: the version of the crate it is
    /// built from, in that crate's `Cargo.toml` (`manifest`), or in
    /// `[workspace.package]` of `workspace` when the crate inherits it.
    Crate { manifest: String, workspace: Option<String> },
    /// `dynamic = ["version"]` from git tags (hatch-vcs, setuptools-scm,
    /// uv-dynamic-versioning, pdm scm): no file holds it; the plan takes the
    /// last tag's version, the build is told the new one by environment.
    Vcs(Vcs),
    /// No version at all (cargo then treats the crate as 0.0.0, unpublishable).
    Missing,
}

/// A build plugin that takes the version from git tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vcs {
    /// `hatch-vcs` (setuptools-scm underneath), setuptools-scm itself, or
    /// vcs-versioning (its core).
    SetuptoolsScm,
    UvDynamicVersioning,
    PdmScm,
}

impl Vcs {
    pub fn plugin(self) -> &'static str {
        match self {
            Vcs::SetuptoolsScm => "setuptools-scm",
            Vcs::UvDynamicVersioning => "uv-dynamic-versioning",
            Vcs::PdmScm => "pdm-backend scm",
        }
    }

    /// The environment that tells the plugin the version when there is no
    /// `.git` (the exported release tree), as each plugin documents it.
    pub fn env(self, dist_name: &str, version: &str) -> Vec<(String, String)> {
        match self {
            Vcs::SetuptoolsScm => {
                // setuptools-scm (and hatch-vcs on top of it) read the first; vcs-versioning,
                // setuptools-scm's core since 9.x, falls back to the second
                let upper = pep508::normalize(dist_name).to_uppercase().replace('-', "_");
                ["SETUPTOOLS_SCM", "VCS_VERSIONING"]
                    .iter()
                    .map(|prefix| (format!("{prefix}_PRETEND_VERSION_FOR_{upper}"), version.to_string()))
                    .collect()
            }
            Vcs::UvDynamicVersioning => vec![("UV_DYNAMIC_VERSIONING_BYPASS".to_string(), version.to_string())],
            Vcs::PdmScm => vec![("PDM_BUILD_SCM_VERSION".to_string(), version.to_string())],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DepKind {
    Normal,
    Build,
    Dev,
    /// A maturin package's edge to a crate of the Cargo root that the crate it
    /// is built from (outside the root) depends on by path: the wheel compiles
    /// it in, so the package is published after it and released whenever it is.
    /// Names a crate whatever the package's own ecosystem.
    Compiled,
}

/// A dependency on another package of this repository.
#[derive(Debug, Clone)]
pub struct Dep {
    /// The dependency's package name (after `package = ...` renames).
    pub name: String,
    pub kind: DepKind,
    /// The requirement as written ("" when there is none).
    pub req_text: String,
    pub req: Req,
    /// From `[project.optional-dependencies]` (an extra): orders publishing
    /// only where it does not close a cycle (see `graph`).
    pub optional: bool,
}

/// A problem found during discovery that `check` reports and `plan` may refuse.
#[derive(Debug, Clone)]
pub struct Issue {
    pub code: Code,
    pub package: String,
    pub message: String,
    pub help: String,
    /// Something the tools accept (uv ignores it): `check` lists it without failing.
    pub warning: bool,
}

impl Workspace {
    /// The crate (workspace index) maturin builds Python package `i` from, when it is a member here.
    pub fn maturin_crate(&self, i: usize) -> Option<usize> {
        let p = &self.packages[i];
        let built = p.built_from.as_ref().filter(|b| b.member && p.ecosystem == Ecosystem::Python)?;
        self.index_in(Ecosystem::Cargo, &built.name)
    }

    pub fn discover(root: &Path, config: &Config) -> anyhow::Result<Workspace> {
        let mut ws = Workspace {
            root: root.to_path_buf(),
            packages: vec![],
            issues: vec![],
            cargo_root: None,
            python_root: None,
            cargo_patches: vec![],
        };
        for (key, dir) in [("[cargo] root", &config.cargo_root), ("[python] root", &config.python_root)] {
            if !root.join(dir).is_dir() {
                return Err(fail(
                    Code::RootMissing,
                    format!(
                        "{key} = \"{}\" in xtask-release.toml is not a folder of {}",
                        dir.display(),
                        root.display()
                    ),
                    format!("fix {key} (a folder relative to the repository root), or remove it to use the root"),
                ));
            }
        }
        cargo::discover(&mut ws, &config.cargo_root)?;
        python::discover(&mut ws, &config.python_root)?;
        if ws.packages.is_empty() {
            return Err(fail(
                Code::NoPackages,
                format!("no Cargo or uv workspace found in {}", root.display()),
                "pass the repository with --root, or set [python] root / [cargo] root in xtask-release.toml",
            ));
        }
        ws.check_duplicates()?;
        ws.packages.sort_by(|a, b| a.name.cmp(&b.name).then(a.ecosystem.as_str().cmp(b.ecosystem.as_str())));
        Ok(ws)
    }

    /// The package `name` names: `python:NAME` / `cargo:NAME`, or a bare name
    /// when only one package has it. `None` when none or several match.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        match self.matches(name).as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// The package of `ecosystem` named `name`.
    pub fn index_in(&self, ecosystem: Ecosystem, name: &str) -> Option<usize> {
        let key = pep508::normalize(name);
        self.packages
            .iter()
            .position(|p| p.ecosystem == ecosystem && (p.name == name || pep508::normalize(&p.name) == key))
    }

    /// Every package `name` could mean (an `ecosystem:` prefix narrows it).
    fn matches(&self, name: &str) -> Vec<usize> {
        let (eco, bare) = match name.split_once(':') {
            Some(("python", n)) => (Some(Ecosystem::Python), n),
            Some(("cargo", n)) => (Some(Ecosystem::Cargo), n),
            _ => (None, name),
        };
        let key = pep508::normalize(bare);
        (0..self.packages.len())
            .filter(|&i| {
                let p = &self.packages[i];
                eco.is_none_or(|e| e == p.ecosystem) && (p.name == bare || pep508::normalize(&p.name) == key)
            })
            .collect()
    }

    /// Like `index_of`, with the error a person sees: unknown (with a "did you
    /// mean") or ambiguous (listing the `ecosystem:name` forms). `what` names
    /// where the name came from (`--package`, a group).
    pub fn lookup(&self, name: &str, what: &str) -> anyhow::Result<usize> {
        let found = self.matches(name);
        match found.as_slice() {
            [one] => Ok(*one),
            [] => {
                let names: Vec<&str> = self.packages.iter().map(|p| p.name.as_str()).collect();
                let hint = crate::config::did_you_mean(name, &names)
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                Err(fail(
                    Code::UnknownPackage,
                    format!("{what} names `{name}`, which is not a package here"),
                    format!("{hint}`cargo xtask plan` lists every package"),
                ))
            }
            many => {
                let forms: Vec<String> = many.iter().map(|&i| self.id(i)).collect();
                Err(fail(
                    Code::AmbiguousPackage,
                    format!(
                        "{what} names `{name}`, which is the name of {} packages: {}",
                        many.len(),
                        forms.join(", ")
                    ),
                    format!(
                        "name one with its ecosystem: {}",
                        forms.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" or ")
                    ),
                ))
            }
        }
    }

    /// Package `i`'s identity: ecosystem and name.
    pub fn package_id(&self, i: usize) -> PackageId {
        let p = &self.packages[i];
        PackageId { ecosystem: p.ecosystem, name: p.name.clone() }
    }

    /// Whether a package of the other ecosystem has package `i`'s name
    /// (normalized): then its name alone does not say which one it is.
    pub fn shares_name(&self, i: usize) -> bool {
        let p = &self.packages[i];
        let key = pep508::normalize(&p.name);
        self.packages.iter().any(|q| q.ecosystem != p.ecosystem && pep508::normalize(&q.name) == key)
    }

    /// How package `i` is named in the plan's dependencies, the graph and
    /// messages (`PackageId::shown`).
    pub fn id(&self, i: usize) -> String {
        self.package_id(i).shown(self.shares_name(i))
    }

    /// The package a dependency of `p` points at: of `p`'s own ecosystem, a
    /// crate for a compiled-in one.
    pub fn dep_index(&self, p: &Package, d: &Dep) -> Option<usize> {
        let eco = if d.kind == DepKind::Compiled { Ecosystem::Cargo } else { p.ecosystem };
        self.index_in(eco, &d.name)
    }

    /// Fails on the first issue that makes planning impossible.
    pub fn require_plannable(&self) -> anyhow::Result<()> {
        for issue in &self.issues {
            if matches!(
                issue.code,
                Code::InvalidVersion
                    | Code::MissingVersion
                    | Code::DynamicVersion
                    | Code::VersionPattern
                    | Code::DynamicDependencies
            ) {
                return Err(fail(issue.code, format!("{}: {}", issue.package, issue.message), issue.help.clone()));
            }
        }
        Ok(())
    }

    fn check_duplicates(&self) -> anyhow::Result<()> {
        // one name in two ecosystems (a crate and the Python package built from it) is normal
        let mut seen: HashMap<(Ecosystem, String), &Package> = HashMap::new();
        for p in &self.packages {
            if let Some(other) = seen.insert((p.ecosystem, pep508::normalize(&p.name)), p) {
                return Err(fail(
                    Code::DuplicateName,
                    format!(
                        "two {} packages are named `{}`: {} and {}",
                        p.ecosystem.as_str(),
                        p.name,
                        other.manifest,
                        p.manifest
                    ),
                    "rename one of them; within an ecosystem, tags and the plan are keyed by package name",
                ));
            }
        }
        Ok(())
    }

    fn issue(&mut self, code: Code, package: &str, message: impl Into<String>, help: impl Into<String>) {
        let (message, help) = (message.into(), help.into());
        self.issues.push(Issue { code, package: package.to_string(), message, help, warning: false });
    }

    /// An issue `check` lists as a warning.
    fn warn(&mut self, code: Code, package: &str, message: impl Into<String>, help: impl Into<String>) {
        self.issue(code, package, message, help);
        if let Some(last) = self.issues.last_mut() {
            last.warning = true;
        }
    }
}

/// Reads and parses a TOML manifest; `rel` is the path shown to the person.
fn read_toml(root: &Path, rel: &str) -> anyhow::Result<DocumentMut> {
    let path = root.join(rel);
    let text = std::fs::read(&path)
        .map_err(|e| fail(Code::Io, format!("cannot read {rel}: {e}"), "check that the file exists and is readable"))?;
    let text = String::from_utf8(text)
        .map_err(|_| fail(Code::Io, format!("{rel} is not UTF-8"), "TOML files must be UTF-8: re-save the file"))?;
    text.parse::<DocumentMut>().map_err(|e| {
        fail(
            Code::ManifestSyntax,
            format!("{rel} is not valid TOML: {}", one_line(&e.to_string())),
            format!("fix {rel}; the tool changed nothing"),
        )
    })
}
