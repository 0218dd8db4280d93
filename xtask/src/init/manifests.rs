//! What the manifests say: where the uv and Cargo workspaces are, the
//! registry the crates name, the Python index with a publish URL.

use std::collections::BTreeMap;
use std::path::Path;

use toml_edit::{DocumentMut, Item};

use super::infer::Why;
use crate::version::Ecosystem;
use crate::workspace::Workspace;

/// Every `name` file in `files` in the top three folder levels (not the
/// xtask's), parsed, by its folder (`.` the root), shallowest first.
pub(super) fn manifests(target: &Path, files: &[String], name: &str) -> Vec<(String, DocumentMut)> {
    let mut out: Vec<(String, DocumentMut)> = files
        .iter()
        .filter(|f| *f == name || f.ends_with(&format!("/{name}")))
        .filter(|f| !f.starts_with("xtask/") && f.matches('/').count() <= 2)
        .filter_map(|f| {
            let doc = std::fs::read_to_string(target.join(f)).ok()?.parse::<DocumentMut>().ok()?;
            let dir = f.strip_suffix(name).unwrap_or("").trim_end_matches('/');
            Some((if dir.is_empty() { ".".to_string() } else { dir.to_string() }, doc))
        })
        .collect();
    out.sort_by_key(|(d, _)| (if d == "." { 0 } else { d.matches('/').count() + 1 }, d.clone()));
    out
}

fn has(doc: &DocumentMut, path: &[&str]) -> bool {
    let mut item = doc.as_item();
    for key in path {
        match item.get(key) {
            Some(i) => item = i,
            None => return false,
        }
    }
    true
}

/// The uv workspace (or single project): at the root, else the shallowest.
pub(super) fn python_root(manifests: &[(String, DocumentMut)]) -> Option<Why<String>> {
    let why = |dir: &str, what: &str| {
        let file = if dir == "." { "pyproject.toml".to_string() } else { format!("{dir}/pyproject.toml") };
        Why { value: dir.to_string(), why: format!("{file} holds {what}") }
    };
    let at_root = manifests.iter().find(|(d, _)| d == ".");
    if let Some((d, _)) = at_root.filter(|(_, doc)| has(doc, &["tool", "uv", "workspace"])) {
        return Some(why(d, "the uv workspace ([tool.uv.workspace])"));
    }
    if let Some((d, _)) = at_root.filter(|(_, doc)| has(doc, &["project"])) {
        return Some(why(d, "the Python project"));
    }
    if let Some((d, _)) = manifests.iter().find(|(_, doc)| has(doc, &["tool", "uv", "workspace"])) {
        return Some(why(d, "the uv workspace ([tool.uv.workspace])"));
    }
    let (d, _) = manifests.iter().find(|(_, doc)| has(doc, &["project"]))?;
    Some(why(d, "the shallowest Python project"))
}

/// The Cargo workspace (or single crate): at the root, else the shallowest.
/// A root workspace of the xtask alone (`OWN_WORKSPACE`) is not the project's.
pub(super) fn cargo_root(manifests: &[(String, DocumentMut)]) -> Option<Why<String>> {
    let xtask_only = |doc: &DocumentMut| {
        !has(doc, &["package"])
            && doc
                .get("workspace")
                .and_then(|w| w.get("members"))
                .and_then(Item::as_array)
                .is_some_and(|a| a.iter().filter_map(|v| v.as_str()).eq(["xtask"]))
    };
    let why = |dir: &str, what: &str| {
        let file = if dir == "." { "Cargo.toml".to_string() } else { format!("{dir}/Cargo.toml") };
        Why { value: dir.to_string(), why: format!("{file} holds {what}") }
    };
    // cargo-fuzz's `[workspace] members = ["."]` is a crate's own, not the project's
    let self_only = |doc: &DocumentMut| {
        doc.get("workspace")
            .and_then(|w| w.get("members"))
            .and_then(Item::as_array)
            .is_none_or(|a| a.iter().filter_map(|v| v.as_str()).all(|m| m == "."))
    };
    let usable = |doc: &DocumentMut| !xtask_only(doc);
    if let Some((d, doc)) = manifests.iter().find(|(d, doc)| d == "." && usable(doc)) {
        let what = if has(doc, &["workspace"]) { "the Cargo workspace" } else { "the crate" };
        if has(doc, &["workspace"]) || has(doc, &["package"]) {
            return Some(why(d, what));
        }
    }
    if let Some((d, _)) =
        manifests.iter().find(|(d, doc)| d != "." && has(doc, &["workspace"]) && usable(doc) && !self_only(doc))
    {
        return Some(why(d, "the Cargo workspace"));
    }
    let (d, _) = manifests.iter().find(|(d, doc)| d != "." && has(doc, &["package"]))?;
    Some(why(d, "the shallowest crate"))
}

/// The registry the crates' manifests name (`publish = ["NAME"]`, `registry = "NAME"`).
pub(super) fn cargo_registry(target: &Path, ws: &Workspace) -> Option<Why<String>> {
    let mut named: BTreeMap<String, usize> = BTreeMap::new();
    let mut files = 0;
    for p in ws.packages.iter().filter(|p| p.ecosystem == Ecosystem::Cargo && p.unpublishable.is_none()) {
        let Some(doc) =
            std::fs::read_to_string(target.join(&p.manifest)).ok().and_then(|t| t.parse::<DocumentMut>().ok())
        else {
            continue;
        };
        let mut names: Vec<String> = vec![];
        if let Some(list) = doc.get("package").and_then(|p| p.get("publish")).and_then(Item::as_array) {
            names.extend(list.iter().filter_map(|v| v.as_str()).map(str::to_string));
        }
        for table in ["dependencies", "build-dependencies", "dev-dependencies"] {
            if let Some(deps) = doc.get(table).and_then(Item::as_table_like) {
                for (_, dep) in deps.iter() {
                    names.extend(dep.get("registry").and_then(Item::as_str).map(str::to_string));
                }
            }
        }
        names.sort();
        names.dedup();
        files += usize::from(!names.is_empty());
        for n in names {
            *named.entry(n).or_default() += 1;
        }
    }
    let (name, _) = named.iter().max_by_key(|(n, c)| (**c, std::cmp::Reverse((*n).clone())))?;
    let others = if named.len() > 1 { format!("; also named: {}", named.len() - 1) } else { String::new() };
    Some(Why {
        value: name.clone(),
        why: format!("`publish = [\"{name}\"]` or `registry = \"{name}\"` in {files} crate manifest(s){others}"),
    })
}

/// The index of the uv workspace's `[[tool.uv.index]]` that has a `publish-url`.
pub(super) fn python_index(target: &Path, ws: &Workspace) -> Option<Why<(String, String)>> {
    let dir = ws.python_root.as_deref()?;
    let file = if dir == "." { "pyproject.toml".to_string() } else { format!("{dir}/pyproject.toml") };
    let doc = std::fs::read_to_string(target.join(&file)).ok()?.parse::<DocumentMut>().ok()?;
    let indexes = doc.get("tool")?.get("uv")?.get("index")?.as_array_of_tables()?;
    let ix = indexes.iter().find(|t| t.get("publish-url").and_then(Item::as_str).is_some())?;
    let publish = ix.get("publish-url")?.as_str()?.to_string();
    let url = ix.get("url").and_then(Item::as_str).unwrap_or("https://pypi.org/simple/").to_string();
    let name = ix.get("name").and_then(Item::as_str).unwrap_or("(unnamed)");
    Some(Why { value: (publish, url), why: format!("[[tool.uv.index]] `{name}` in {file} has a publish-url") })
}
