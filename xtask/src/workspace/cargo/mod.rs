//! Cargo workspaces: `[workspace] members`/`exclude`, `[workspace.package]`
//! inheritance, `[workspace.dependencies]`, `publish = false`, path
//! dependencies (renamed ones too) in every dependency table, target-specific
//! tables included.
//!
//! `members` finds the member manifests, `package` reads one member's
//! `[package]`, `deps` its dependencies, `patch` the `[patch]` redirections.

mod deps;
mod members;
mod package;
mod patch;
#[cfg(test)]
mod tests;

pub(super) use deps::compiled_members;

use std::collections::HashMap;
use std::path::Path;

use toml_edit::{DocumentMut, Item, TableLike};

use super::{join_rel, read_toml, DepKind, Workspace};

/// A member's manifest: (folder, manifest path, parsed), both relative to the repository root.
type MemberDoc = (String, String, DocumentMut);

/// A registry requirement a `[patch]` redirects to a member: (dependent's
/// index, patched member, kind, requirement), resolved once every version is known.
type Patched = (usize, String, DepKind, String);

/// The member being read: its crate name, folder, manifest path and manifest.
struct Member<'m> {
    name: &'m str,
    dir: &'m str,
    manifest: &'m str,
    doc: &'m DocumentMut,
}

/// What reading the members shares: the Cargo root and what was learned of
/// all members before any is read.
struct Discovery<'a> {
    /// The root's folder, relative to the repository root.
    dir: String,
    /// The root's `Cargo.toml`, relative to the repository root.
    root_manifest: String,
    /// `[workspace]`, when the root has one.
    workspace: Option<&'a dyn TableLike>,
    /// `[workspace.package]`
    ws_package: Option<&'a dyn TableLike>,
    /// `[workspace.dependencies]`
    ws_deps: Option<&'a dyn TableLike>,
    /// Each member folder's crate name.
    name_by_dir: HashMap<String, String>,
    /// (registry, crate name) → the member a `[patch]` redirects it to.
    patches: HashMap<(String, String), String>,
    pending: Vec<Patched>,
}

impl<'a> Discovery<'a> {
    fn new(dir: String, root_manifest: String, root_doc: &'a DocumentMut) -> Discovery<'a> {
        let workspace = root_doc.get("workspace").and_then(Item::as_table_like);
        Discovery {
            dir,
            root_manifest,
            workspace,
            ws_package: workspace.and_then(|w| w.get("package")).and_then(Item::as_table_like),
            ws_deps: workspace.and_then(|w| w.get("dependencies")).and_then(Item::as_table_like),
            name_by_dir: HashMap::new(),
            patches: HashMap::new(),
            pending: vec![],
        }
    }

    /// `[workspace.package] version`.
    fn ws_version(&self) -> Option<&'a str> {
        self.ws_package.and_then(|p| p.get("version")).and_then(Item::as_str)
    }
}

pub(super) fn discover(ws: &mut Workspace, cargo_root: &Path) -> anyhow::Result<()> {
    let dir = join_rel(".", cargo_root.to_str().unwrap_or("."));
    let root_manifest = join_rel(&dir, "Cargo.toml");
    if !ws.root.join(&root_manifest).is_file() {
        return Ok(());
    }
    let root_doc = read_toml(&ws.root, &root_manifest)?;
    ws.cargo_root = Some(dir.clone());
    let mut d = Discovery::new(dir, root_manifest, &root_doc);

    let docs = members::collect(ws, &d, &root_doc)?;
    d.patches = patch::patched_members(&root_doc, &d.dir, &docs);
    ws.cargo_patches = d.patches.keys().cloned().collect();
    ws.cargo_patches.sort();
    d.name_by_dir = names_by_dir(&docs);

    for (member_dir, manifest, doc) in &docs {
        if let Some(package) = d.read_package(ws, member_dir, manifest, doc)? {
            ws.packages.push(package);
        }
    }
    patch::add_patched_edges(ws, std::mem::take(&mut d.pending));
    Ok(())
}

/// Each member folder's `[package] name`.
fn names_by_dir(docs: &[MemberDoc]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (m, _, doc) in docs {
        if let Some(name) = doc.get("package").and_then(|p| p.get("name")).and_then(Item::as_str) {
            out.insert(m.clone(), name.to_string());
        }
    }
    out
}
