//! uv workspaces (or a single `[project]`): `[tool.uv.workspace]`
//! members/exclude globs, `[project] dependencies` and optional dependencies
//! matched to members by normalized name (PEP 503), `[tool.uv.sources]`
//! workspace sources, dependency groups as dev dependencies, the
//! "Private :: Do Not Upload" classifier, and dynamic versions.
//!
//! `project` reads one member's `[project]`, `sources` judges
//! `[tool.uv.sources]` and reads uv.lock, `dynamic` finds a dynamic version,
//! `maturin` the crate a maturin package is built from, `pattern` holds hatch's
//! version pattern.

mod dynamic;
mod maturin;
mod pattern;
mod project;
mod sources;
#[cfg(test)]
mod tests;

pub use pattern::VersionPattern;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use toml_edit::{DocumentMut, Item, TableLike};

use super::pep508::normalize;
use super::{expand_members, glob_excluder, join_rel, read_toml, Package, Workspace};
use crate::error::Code;
use crate::version::Ecosystem;

/// A requirement as written, its kind, and whether it comes from an extra.
type Requirement = (String, super::DepKind, bool);

/// A member's manifest: (folder, manifest path, parsed), both relative to the repository root.
type MemberDoc = (String, String, DocumentMut);

/// What reading the members shares: the uv root, every member's name, and
/// what is judged once all are read.
struct UvWorkspace {
    /// The root's folder, relative to the repository root.
    dir: String,
    /// The root's `pyproject.toml`, relative to the repository root.
    root_manifest: String,
    /// Every member's name: normalized → declared.
    members: HashMap<String, String>,
    /// `{ workspace = true }` sources naming no member: (source, manifest, the
    /// member it applies to; `None`: the root's, for every member).
    dangling: Vec<(String, String, Option<String>)>,
    /// Every requirement's name (normalized), by member.
    required: Vec<(String, BTreeSet<String>)>,
    /// uv.lock, read when first needed (`Some(None)`: there is none that parses).
    lock: Option<Option<DocumentMut>>,
}

/// The member being read.
struct Member<'m> {
    /// `[project] name`.
    name: &'m str,
    dir: &'m str,
    manifest: &'m str,
    doc: &'m DocumentMut,
    /// `[project]`.
    project: &'m dyn TableLike,
    /// `[project] dynamic`.
    dynamic: Vec<&'m str>,
}

pub(super) fn discover(ws: &mut Workspace, python_root: &Path) -> anyhow::Result<()> {
    let dir = join_rel(".", python_root.to_str().unwrap_or("."));
    let root_manifest = join_rel(&dir, "pyproject.toml");
    if !ws.root.join(&root_manifest).is_file() {
        return Ok(());
    }
    let root_doc = read_toml(&ws.root, &root_manifest)?;
    let member_dirs = member_dirs(ws, &dir, &root_manifest, &root_doc)?;
    if member_dirs.is_empty() {
        return Ok(());
    }
    ws.python_root = Some(dir.clone());

    let docs = read_members(ws, &dir, &root_doc, &member_dirs)?;
    let mut uv = UvWorkspace::new(dir, root_manifest, &root_doc, &docs);
    for (member_dir, manifest, doc) in &docs {
        if let Some(package) = uv.read_project(ws, member_dir, manifest, doc)? {
            ws.packages.push(package);
        }
    }
    uv.report_dangling_sources(ws);
    Ok(())
}

/// The members' folders: the root project, then `[tool.uv.workspace]
/// members` less `exclude` (a pattern matching nothing is an issue: uv ignores it).
fn member_dirs(
    ws: &mut Workspace,
    dir: &str,
    root_manifest: &str,
    root_doc: &DocumentMut,
) -> anyhow::Result<Vec<String>> {
    let uv_ws = root_doc.get("tool").and_then(|t| t.get("uv")).and_then(|u| u.get("workspace"));
    let mut member_dirs = vec![];
    if root_doc.get("project").is_some() {
        member_dirs.push(dir.to_string());
    }
    let Some(w) = uv_ws else { return Ok(member_dirs) };
    let excluded = glob_excluder(dir, &strings(w.get("exclude")));
    let mut dead = vec![];
    let members = strings(w.get("members"));
    let found = expand_members(&ws.root, dir, &members, &excluded, "pyproject.toml", root_manifest, Some(&mut dead))?;
    for m in found {
        if !member_dirs.contains(&m) {
            member_dirs.push(m);
        }
    }
    for pattern in dead {
        // uv ignores it; `check` says so
        ws.issue(
            Code::MemberGlob,
            root_manifest,
            format!("{root_manifest}: [tool.uv.workspace] members entry `{pattern}` matches no folder with a pyproject.toml (uv ignores it)"),
            format!("remove `{pattern}` from [tool.uv.workspace] members, or add the member it names"),
        );
    }
    Ok(member_dirs)
}

/// Every member's manifest, read (the root's is already).
fn read_members(
    ws: &Workspace,
    dir: &str,
    root_doc: &DocumentMut,
    member_dirs: &[String],
) -> anyhow::Result<Vec<MemberDoc>> {
    let mut docs = vec![];
    for m in member_dirs {
        let manifest = join_rel(m, "pyproject.toml");
        let doc = if m == dir { root_doc.clone() } else { read_toml(&ws.root, &manifest)? };
        docs.push((m.clone(), manifest, doc));
    }
    Ok(docs)
}

impl UvWorkspace {
    fn new(dir: String, root_manifest: String, root_doc: &DocumentMut, docs: &[MemberDoc]) -> UvWorkspace {
        let mut members: HashMap<String, String> = HashMap::new();
        for (_, _, doc) in docs {
            if let Some(n) = doc.get("project").and_then(|p| p.get("name")).and_then(Item::as_str) {
                members.insert(normalize(n), n.to_string());
            }
        }
        let dangling = sources::workspace_sources(root_doc)
            .into_iter()
            .filter(|(s, w)| *w && !members.contains_key(s))
            .map(|(s, _)| (s, root_manifest.clone(), None))
            .collect();
        UvWorkspace { dir, root_manifest, members, dangling, required: vec![], lock: None }
    }

    /// The member in `member_dir` as a package; `None` for a virtual member (no `[project]`).
    fn read_project(
        &mut self,
        ws: &mut Workspace,
        member_dir: &str,
        manifest: &str,
        doc: &DocumentMut,
    ) -> anyhow::Result<Option<Package>> {
        let Some(project) = doc.get("project").and_then(Item::as_table_like) else {
            // a virtual member (no [project]) is never published
            return Ok(None);
        };
        let Some(name) = project.get("name").and_then(Item::as_str).map(str::to_string) else {
            return Err(crate::error::fail(
                Code::ManifestSyntax,
                format!("{manifest}: [project] has no name"),
                format!("add `name = \"...\"` to [project] in {manifest}"),
            ));
        };
        let dynamic = project.get("dynamic").and_then(Item::as_array);
        let dynamic = dynamic.map(|a| a.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
        let m = Member { name: &name, dir: member_dir, manifest, doc, project, dynamic };

        let (version_text, version_source, built_from) = project::read_version(ws, &m);
        let version = project::parse_version(ws, &m, &version_text, &version_source);
        self.note_dangling_sources(&m);
        let requirements = self.requirements(ws, &m);
        let (mut deps, names) = self.member_deps(ws, &m, requirements);
        // a maturin crate outside the Cargo root: the crates it compiles in order this package
        deps.extend(built_from.as_ref().map(|c| c.compiled.clone()).unwrap_or_default());
        self.required.push((name.clone(), names));
        Ok(Some(Package {
            unpublishable: project::unpublishable(&m),
            description: project.get("description").and_then(Item::as_str).map(str::to_string),
            license: project::has_license(project),
            name,
            ecosystem: Ecosystem::Python,
            dir: member_dir.to_string(),
            manifest: manifest.to_string(),
            version_text,
            version,
            version_source,
            deps,
            built_from: built_from.map(|c| c.built_from),
        }))
    }
}

/// The strings of a TOML array (none when it is not one).
fn strings(item: Option<&Item>) -> Vec<String> {
    item.and_then(Item::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}
