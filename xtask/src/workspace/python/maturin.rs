//! The crate a maturin package is built from (`[tool.maturin] manifest-path`):
//! a member of the Cargo root, or a crate outside it read directly, with its
//! version (its own, or its workspace's) and the members it compiles in.

use toml_edit::{DocumentMut, Item};

use crate::version::Ecosystem;
use crate::workspace::cargo::compiled_members;
use crate::workspace::{join_rel, BuiltFrom, Dep, Package, VersionSource, Workspace};

/// The crate a maturin package is built from and its version.
pub(super) struct MaturinCrate {
    pub(super) text: String,
    pub(super) source: VersionSource,
    pub(super) built_from: BuiltFrom,
    /// A crate outside the Cargo root: the members it depends on by path.
    pub(super) compiled: Vec<Dep>,
}

/// `[tool.maturin] manifest-path` (default `Cargo.toml` next to the
/// pyproject): its `[package] version`, or `[workspace.package] version` of
/// its workspace root for `version.workspace = true`.
pub(super) fn maturin_crate(ws: &Workspace, member_dir: &str, doc: &DocumentMut) -> Result<MaturinCrate, String> {
    let path = doc
        .get("tool")
        .and_then(|t| t.get("maturin"))
        .and_then(|m| m.get("manifest-path"))
        .and_then(Item::as_str)
        .unwrap_or("Cargo.toml");
    let manifest = join_rel(member_dir, path);
    let member = ws.packages.iter().find(|p| p.ecosystem == Ecosystem::Cargo && p.manifest == manifest);
    match member {
        Some(c) => member_crate(ws, c, manifest),
        // a crate outside the Cargo workspace discovered here: read it directly
        None => outside_crate(ws, manifest),
    }
}

/// A crate of the Cargo root: its version as discovered.
fn member_crate(ws: &Workspace, c: &Package, manifest: String) -> Result<MaturinCrate, String> {
    let source = match &c.version_source {
        VersionSource::Manifest => VersionSource::Crate { manifest: manifest.clone(), workspace: None },
        VersionSource::CargoWorkspace => VersionSource::Crate {
            manifest: manifest.clone(),
            workspace: Some(join_rel(ws.cargo_root.as_deref().unwrap_or("."), "Cargo.toml")),
        },
        _ => return Err(format!("maturin builds it from {manifest}, which has no version")),
    };
    let built_from = BuiltFrom { name: c.name.clone(), manifest, member: true };
    Ok(MaturinCrate { text: c.version_text.clone(), source, built_from, compiled: vec![] })
}

/// A crate outside the Cargo root: its `Cargo.toml` read here, its version
/// its own or its workspace root's.
fn outside_crate(ws: &Workspace, manifest: String) -> Result<MaturinCrate, String> {
    let text = std::fs::read_to_string(ws.root.join(&manifest)).map_err(|e| {
        format!("maturin builds it from {manifest} ([tool.maturin] manifest-path), which cannot be read: {e}")
    })?;
    let crate_doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        format!("{manifest} is not valid TOML: {}", crate::config::one_line(&e.to_string()))
    })?;
    let crate_dir = parent(&manifest);
    let built_from = BuiltFrom {
        name: crate_doc.get("package").and_then(|p| p.get("name")).and_then(Item::as_str).unwrap_or("").to_string(),
        manifest: manifest.clone(),
        member: false,
    };
    let compiled = compiled_members(ws, &crate_doc, &crate_dir);
    let version = crate_doc.get("package").and_then(|p| p.get("version"));
    if let Some(v) = version.and_then(Item::as_str) {
        return Ok(MaturinCrate {
            text: v.to_string(),
            source: VersionSource::Crate { manifest, workspace: None },
            built_from,
            compiled,
        });
    }
    let inherits = version.and_then(|v| v.get("workspace")).and_then(Item::as_bool) == Some(true);
    if !inherits {
        return Err(format!("maturin builds it from {manifest}, which has no [package] version"));
    }
    let (text, root) = workspace_version(ws, &manifest, crate_dir)?;
    Ok(MaturinCrate { text, source: VersionSource::Crate { manifest, workspace: Some(root) }, built_from, compiled })
}

/// `[workspace.package] version` of the workspace root of the crate in
/// `crate_dir`: the nearest folder above with a `[workspace]` Cargo.toml.
/// Returns the version and that root's `Cargo.toml`.
fn workspace_version(ws: &Workspace, manifest: &str, crate_dir: String) -> Result<(String, String), String> {
    let mut dir = crate_dir;
    while dir != "." {
        dir = parent(&dir);
        let root = join_rel(&dir, "Cargo.toml");
        let Ok(text) = std::fs::read_to_string(ws.root.join(&root)) else { continue };
        let Ok(root_doc) = text.parse::<DocumentMut>() else { continue };
        let Some(w) = root_doc.get("workspace") else { continue };
        let v = w.get("package").and_then(|p| p.get("version")).and_then(Item::as_str).ok_or_else(|| {
            format!("{manifest} says version.workspace = true but {root} has no [workspace.package] version")
        })?;
        return Ok((v.to_string(), root));
    }
    Err(format!("{manifest} says version.workspace = true but no Cargo workspace above it was found"))
}

/// The folder holding `path` ("." for the root).
fn parent(path: &str) -> String {
    path.rsplit_once('/').map_or(".".to_string(), |(d, _)| d.to_string())
}
