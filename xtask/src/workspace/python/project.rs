//! One member's `[project]`: its version (static or dynamic) and whether it
//! parses, its requirements (dependencies, extras, dependency groups, uv.lock
//! for dynamic ones) matched to members, and whether it is published.

use std::collections::BTreeSet;

use toml_edit::{Item, TableLike};

use super::dynamic::{backend, dynamic_version, virtual_reason};
use super::maturin::{maturin_crate, MaturinCrate};
use super::{strings, Member, Requirement, UvWorkspace};
use crate::error::Code;
use crate::version::{Ecosystem, Req, Version};
use crate::workspace::pep508::{self, normalize};
use crate::workspace::{join_rel, Dep, DepKind, VersionSource, Workspace};

/// The version as written, where it is written (an issue when nowhere it
/// should be), and the crate maturin builds the package from.
pub(super) fn read_version(ws: &mut Workspace, m: &Member) -> (String, VersionSource, Option<MaturinCrate>) {
    let (name, manifest) = (m.name, m.manifest);
    let mut built_from: Option<MaturinCrate> = None;
    // a virtual project is never built, so it needs no version (pyo3's root: dynamic, no source)
    let virtual_project = virtual_reason(m.doc).is_some();
    let (version_text, version_source) = match m.project.get("version").and_then(Item::as_str) {
        Some(v) => (v.to_string(), VersionSource::Manifest),
        None if m.dynamic.contains(&"version") => match dynamic_version(ws, m.dir, m.doc) {
            Ok(found) => {
                built_from = found.maturin;
                (found.text, found.source)
            }
            Err(_) if virtual_project => (String::new(), VersionSource::Missing),
            Err((code, why)) => {
                ws.issue(
                    code,
                    name,
                    format!("{manifest} has a dynamic version: {why}"),
                    if code == Code::VersionPattern {
                        "simplify [tool.hatch.version] pattern (see `cargo xtask explain XR029`), or make the version static in [project]"
                    } else {
                        "make the version static in [project], or fix the key the message names (see `cargo xtask explain XR023`)"
                    },
                );
                (String::new(), VersionSource::Missing)
            }
        },
        None if virtual_project => (String::new(), VersionSource::Missing),
        None => {
            ws.issue(
                Code::MissingVersion,
                name,
                format!("{manifest}: [project] has no version"),
                format!("add `version = \"0.1.0\"` to [project] in {manifest}"),
            );
            (String::new(), VersionSource::Missing)
        }
    };
    if built_from.is_none() && backend(m.doc) == Some("maturin") {
        // a static version: still built from the crate (shown by `graph`)
        built_from = maturin_crate(ws, m.dir, m.doc).ok();
    }
    (version_text, version_source, built_from)
}

/// The version, parsed as PEP 440; `None` when there is none to parse, or
/// (with an issue) when it does not parse.
pub(super) fn parse_version(
    ws: &mut Workspace,
    m: &Member,
    version_text: &str,
    version_source: &VersionSource,
) -> Option<Version> {
    let (name, manifest) = (m.name, m.manifest);
    if matches!(version_source, VersionSource::Missing | VersionSource::Vcs(_)) {
        return None;
    }
    let crate_file = match version_source {
        VersionSource::Crate { manifest, workspace } => Some(workspace.as_ref().unwrap_or(manifest)),
        _ => None,
    };
    match (Version::parse(Ecosystem::Python, version_text), crate_file) {
        (Ok(v), _) => Some(v),
        // maturin reads the crate's SemVer version as PEP 440, and refuses what is none
        (Err(e), Some(file)) => {
            ws.issue(
                Code::InvalidVersion,
                name,
                format!("{manifest}: maturin reads the version in {file} as PEP 440: {e}"),
                format!("in {file}, use a pre-release PEP 440 knows (-alpha.N, -beta.N, -rc.N, -dev.N); maturin refuses this one too"),
            );
            None
        }
        (Err(e), None) => {
            ws.issue(
                Code::InvalidVersion,
                name,
                format!("{manifest}: {e}"),
                "Python versions follow PEP 440, e.g. 1.2.0 or 1.2.0rc1",
            );
            None
        }
    }
}

/// `Some(reason)` when the package is never published: a virtual project, or
/// the "Private :: Do Not Upload" classifier.
pub(super) fn unpublishable(m: &Member) -> Option<String> {
    let private = m.project.get("classifiers").and_then(Item::as_array).is_some_and(|a| {
        a.iter().any(|v| v.as_str().is_some_and(|c| c.trim().starts_with("Private :: Do Not Upload")))
    });
    virtual_reason(m.doc)
        .or_else(|| private.then(|| "classifier \"Private :: Do Not Upload\" in pyproject.toml".to_string()))
}

/// `[project] license`, or a `License ::` classifier.
pub(super) fn has_license(project: &dyn TableLike) -> bool {
    project.get("license").is_some()
        || project
            .get("classifiers")
            .and_then(Item::as_array)
            .is_some_and(|a| a.iter().any(|v| v.as_str().is_some_and(|c| c.starts_with("License ::"))))
}

impl UvWorkspace {
    /// Every requirement of the member: `[project] dependencies`, the ones
    /// uv.lock records for dynamic dependencies, extras, dependency groups and
    /// `[tool.uv] dev-dependencies`.
    pub(super) fn requirements(&mut self, ws: &mut Workspace, m: &Member) -> Vec<Requirement> {
        let mut requirements: Vec<Requirement> = vec![];
        for r in strings(m.project.get("dependencies")) {
            requirements.push((r, DepKind::Normal, false));
        }
        if m.dynamic.contains(&"dependencies") || m.dynamic.contains(&"optional-dependencies") {
            requirements.extend(self.locked(ws, m));
        }
        if let Some(opt) = m.project.get("optional-dependencies").and_then(Item::as_table_like) {
            for (_, list) in opt.iter() {
                for r in strings(Some(list)) {
                    requirements.push((r, DepKind::Normal, true));
                }
            }
        }
        if let Some(groups) = m.doc.get("dependency-groups").and_then(Item::as_table_like) {
            for (_, list) in groups.iter() {
                for r in strings(Some(list)) {
                    requirements.push((r, DepKind::Dev, false));
                }
            }
        }
        let legacy_dev = m.doc.get("tool").and_then(|t| t.get("uv")).and_then(|u| u.get("dev-dependencies"));
        for r in strings(legacy_dev) {
            requirements.push((r, DepKind::Dev, false));
        }
        requirements
    }

    /// Dynamic dependencies are filled in by a build hook: uv.lock records
    /// what the build really declares (an issue when it records nothing).
    fn locked(&mut self, ws: &mut Workspace, m: &Member) -> Vec<Requirement> {
        let (name, manifest, dir) = (m.name, m.manifest, &self.dir);
        if self.lock.is_none() {
            self.lock = Some(super::sources::read_lock(ws, dir));
        }
        let locked = self.lock.as_ref().and_then(|l| l.as_ref());
        match locked.and_then(|l| super::sources::locked_requirements(l, name)) {
            Some(locked) => locked,
            None => {
                ws.issue(
                    Code::DynamicDependencies,
                    name,
                    format!(
                        "{manifest} has dynamic dependencies and {} records no requirements of {name}",
                        join_rel(dir, "uv.lock")
                    ),
                    format!("run `uv lock` in {dir} and commit uv.lock, or list the dependencies in [project]"),
                );
                vec![]
            }
        }
    }

    /// The requirements on members as dependencies (an issue for each that
    /// does not parse), and every requirement's name (normalized).
    pub(super) fn member_deps(
        &self,
        ws: &mut Workspace,
        m: &Member,
        requirements: Vec<Requirement>,
    ) -> (Vec<Dep>, BTreeSet<String>) {
        let (name, manifest) = (m.name, m.manifest);
        let mut deps = vec![];
        let mut names = BTreeSet::new();
        for (text, kind, optional) in requirements {
            let req = match pep508::parse(&text) {
                Ok(r) => r,
                Err(e) => {
                    ws.issue(Code::InvalidVersion, name, format!("{manifest}: {e}"), "fix the requirement string");
                    continue;
                }
            };
            names.insert(normalize(&req.name));
            let Some(target) = self.members.get(&normalize(&req.name)) else {
                continue;
            };
            // `all = ["pkg[a,b]"]` inside pkg names the package's own extras: not a dependency
            // (uv records no edge either). In a dependency group (`dev = ["pkg[cli]"]`) uv does
            // record one; a dev edge never orders publishing, so it is kept as uv has it.
            if optional && normalize(&req.name) == normalize(name) {
                continue;
            }
            let parsed = match Req::parse(Ecosystem::Python, &req.specifier) {
                Ok(r) => r,
                Err(e) => {
                    ws.issue(
                        Code::InvalidVersion,
                        name,
                        format!("{manifest}: requirement `{text}`: {e}"),
                        "fix the specifier",
                    );
                    Req::Any
                }
            };
            deps.push(Dep { name: target.clone(), kind, req_text: req.specifier.clone(), req: parsed, optional });
        }
        (deps, names)
    }
}
