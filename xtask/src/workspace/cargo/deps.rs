//! A member's dependencies: every dependency table cargo reads (path ones
//! resolved through `[workspace.dependencies]` too), matched to members, and
//! the members a crate outside the root compiles in.

use toml_edit::{DocumentMut, Item, TableLike};

use super::{Discovery, Member};
use crate::error::Code;
use crate::version::{Ecosystem, Req};
use crate::workspace::{join_within, Dep, DepKind, Workspace};

/// A dependency written with a path (directly or through `[workspace.dependencies]`).
pub(super) struct PathDep {
    pub(super) key: String,
    pub(super) kind: DepKind,
    pub(super) package: Option<String>,
    /// The folder relative to the repository root; `Err(as written)` when it
    /// lies outside the repository. `None` for a dependency without a path.
    pub(super) path: Option<Result<String, String>>,
    pub(super) req_text: Option<String>,
    /// `registry = "..."`: the registry a dependency without a path comes from
    /// (`None`: crates.io), which names the `[patch.<registry>]` table that applies.
    pub(super) registry: Option<String>,
    /// `key.workspace = true` without a `[workspace.dependencies]` entry.
    missing_workspace_entry: bool,
}

impl Discovery<'_> {
    /// The member's dependencies on other members; registry requirements a
    /// `[patch]` redirects wait in `pending`. `unpublishable`: whether the
    /// member is never published (then a path without a version is fine).
    pub(super) fn member_deps(&mut self, ws: &mut Workspace, m: &Member, unpublishable: bool) -> Vec<Dep> {
        let mut deps = vec![];
        for dep in path_deps(m.doc, m.dir, &self.dir, self.ws_deps) {
            if dep.missing_workspace_entry {
                let (key, root_manifest) = (&dep.key, &self.root_manifest);
                ws.issue(
                    Code::UnknownMember,
                    m.name,
                    format!(
                        "{}: `{key}.workspace = true` but {root_manifest} has no [workspace.dependencies] {key}",
                        m.manifest
                    ),
                    format!("add `{key}` to [workspace.dependencies] in {root_manifest}"),
                );
            }
            match &dep.path {
                // a registry requirement: internal when a [patch] entry redirects it to a member
                None => self.note_patched(ws.packages.len(), &dep),
                Some(path) => deps.extend(self.internal_dep(ws, m, &dep, path, unpublishable)),
            }
        }
        deps
    }

    /// The dependency a path dependency is, when its path holds a member;
    /// otherwise reports what cargo would say of it.
    fn internal_dep(
        &self,
        ws: &mut Workspace,
        m: &Member,
        dep: &PathDep,
        path: &Result<String, String>,
        unpublishable: bool,
    ) -> Option<Dep> {
        let key = &dep.key;
        let dep_name = dep.package.clone().unwrap_or_else(|| key.to_string());
        let req_text = dep.req_text.clone().unwrap_or_default();
        let Some(target) = path.as_ref().ok().and_then(|p| self.name_by_dir.get(p)) else {
            self.not_a_member(ws, m, dep, path, &req_text, unpublishable);
            return None;
        };
        if *target != dep_name {
            ws.issue(
                Code::UnknownMember,
                m.name,
                format!(
                    "{}: dependency `{key}` expects package `{dep_name}` but {} holds `{target}`",
                    m.manifest,
                    path.as_ref().unwrap_or_else(|p| p)
                ),
                "set `package = \"...\"` to the crate's real name",
            );
        }
        let req = match Req::parse(Ecosystem::Cargo, &req_text) {
            Ok(r) => r,
            Err(e) => {
                ws.issue(
                    Code::InvalidVersion,
                    m.name,
                    format!("{}: dependency `{key}`: {e}", m.manifest),
                    "fix the requirement",
                );
                Req::Any
            }
        };
        Some(Dep { name: target.clone(), kind: dep.kind, req_text, req, optional: false })
    }

    /// A path dependency on no member: an error when the path holds no crate;
    /// otherwise fine for cargo, unless it keeps the dependent from being published.
    fn not_a_member(
        &self,
        ws: &mut Workspace,
        m: &Member,
        dep: &PathDep,
        path: &Result<String, String>,
        req_text: &str,
        unpublishable: bool,
    ) {
        let (key, name, manifest) = (&dep.key, m.name, m.manifest);
        let shown = path.as_ref().unwrap_or_else(|p| p).clone();
        let exists = path.as_ref().is_ok_and(|p| ws.root.join(p).join("Cargo.toml").is_file());
        if path.is_ok() && !exists {
            ws.issue(
                Code::UnknownMember,
                name,
                format!("{manifest}: dependency `{key}` has path `{shown}`, which holds no Cargo.toml"),
                "fix the path; cargo cannot load this workspace either",
            );
        } else if dep.kind != DepKind::Dev && req_text.is_empty() && !unpublishable {
            // a crate outside the workspace (excluded, or outside its folder): fine for
            // cargo, but without a version the dependent cannot be published
            let root_manifest = &self.root_manifest;
            ws.issue(
                Code::UnknownMember,
                name,
                format!("{manifest}: dependency `{key}` has path `{shown}`, which is not a member of the workspace, and no version; cargo cannot publish {name}"),
                format!("add `version = \"...\"` next to the path, or make `{shown}` a member of the workspace in {root_manifest}"),
            );
        }
    }
}

/// The members of the Cargo root that a crate outside it (`doc`, in folder
/// `crate_dir`: a maturin crate) depends on by path, normal and build
/// dependencies: what the Python package built from it compiles in.
pub(in crate::workspace) fn compiled_members(ws: &Workspace, doc: &DocumentMut, crate_dir: &str) -> Vec<Dep> {
    let mut out: Vec<Dep> = vec![];
    for dep in path_deps(doc, crate_dir, crate_dir, None).into_iter().filter(|d| d.kind != DepKind::Dev) {
        let Some(Ok(path)) = &dep.path else { continue };
        let member = ws.packages.iter().find(|p| p.ecosystem == Ecosystem::Cargo && p.dir == *path);
        let Some(member) = member else { continue };
        if out.iter().any(|d| d.name == member.name) {
            continue; // named again in a target table or as a build dependency
        }
        let req_text = dep.req_text.unwrap_or_default();
        // one that does not parse still orders publishing (the maturin build refuses it itself)
        let req = Req::parse(Ecosystem::Cargo, &req_text).unwrap_or(Req::Any);
        out.push(Dep { name: member.name.clone(), kind: DepKind::Compiled, req_text, req, optional: false });
    }
    out
}

/// Every dependency of a manifest, from every table cargo reads: normal, build
/// and dev, target-specific ones too (`[patch]` and `[replace]` are not
/// dependencies). `member_dir` and `ws_dir` resolve relative paths.
pub(super) fn path_deps(
    doc: &DocumentMut,
    member_dir: &str,
    ws_dir: &str,
    ws_deps: Option<&dyn TableLike>,
) -> Vec<PathDep> {
    let mut out = vec![];
    for (table, kind) in dependency_tables(doc) {
        for (key, entry) in table.iter() {
            out.push(match entry.as_table_like() {
                Some(spec) => table_dep(key, kind, spec, member_dir, ws_dir, ws_deps),
                // `name = "1.0"`: from a registry (internal only through a [patch])
                None => PathDep {
                    key: key.to_string(),
                    kind,
                    package: None,
                    path: None,
                    req_text: entry.as_str().map(str::to_string),
                    registry: None,
                    missing_workspace_entry: false,
                },
            });
        }
    }
    out
}

/// The manifest's dependency tables with their kind, target-specific ones too.
fn dependency_tables(doc: &DocumentMut) -> Vec<(&dyn TableLike, DepKind)> {
    let mut tables: Vec<(&dyn TableLike, DepKind)> = vec![];
    for (key, kind) in [
        ("dependencies", DepKind::Normal),
        ("build-dependencies", DepKind::Build),
        ("build_dependencies", DepKind::Build),
        ("dev-dependencies", DepKind::Dev),
        ("dev_dependencies", DepKind::Dev),
    ] {
        if let Some(t) = doc.get(key).and_then(Item::as_table_like) {
            tables.push((t, kind));
        }
        if let Some(targets) = doc.get("target").and_then(Item::as_table_like) {
            for (_, target) in targets.iter() {
                if let Some(t) = target.get(key).and_then(Item::as_table_like) {
                    tables.push((t, kind));
                }
            }
        }
    }
    tables
}

/// A dependency written as a table (`{ path = ..., version = ... }`), with
/// `workspace = true` resolved through `[workspace.dependencies]`.
fn table_dep(
    key: &str,
    kind: DepKind,
    spec: &dyn TableLike,
    member_dir: &str,
    ws_dir: &str,
    ws_deps: Option<&dyn TableLike>,
) -> PathDep {
    let resolve = |base: &str, p: &str| join_within(base, p).ok_or_else(|| p.to_string());
    let string = |s: &dyn TableLike, k: &str| s.get(k).and_then(Item::as_str).map(str::to_string);
    let mut dep = PathDep {
        key: key.to_string(),
        kind,
        package: string(spec, "package"),
        path: spec.get("path").and_then(Item::as_str).map(|p| resolve(member_dir, p)),
        req_text: string(spec, "version"),
        registry: string(spec, "registry"),
        missing_workspace_entry: false,
    };
    if spec.get("workspace").and_then(Item::as_bool) == Some(true) {
        let shared = ws_deps.and_then(|d| d.get(key));
        match shared.and_then(Item::as_table_like) {
            Some(s) => {
                dep.package = dep.package.or(s.get("package").and_then(Item::as_str).map(str::to_string));
                dep.path = s.get("path").and_then(Item::as_str).map(|p| resolve(ws_dir, p));
                dep.req_text = dep.req_text.or(string(s, "version"));
                dep.registry = dep.registry.or(string(s, "registry"));
            }
            // `dep = "1.0"` in the workspace
            None if shared.and_then(Item::as_str).is_some() => {
                dep.req_text = dep.req_text.or(shared.and_then(Item::as_str).map(str::to_string));
            }
            None => dep.missing_workspace_entry = true,
        }
    }
    dep
}
