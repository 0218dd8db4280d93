//! Which crates are members, as cargo finds them: the `members` globs (less
//! `exclude`), the root package, then, transitively, every path dependency
//! (of any kind) inside the workspace folder that is not excluded.

use std::collections::VecDeque;

use toml_edit::{DocumentMut, Item};

use super::deps::path_deps;
use super::{Discovery, MemberDoc};
use crate::workspace::{expand_members, is_within, join_rel, read_toml, Workspace};

/// Every member's manifest, read and sorted by folder.
pub(super) fn collect(ws: &Workspace, d: &Discovery, root_doc: &DocumentMut) -> anyhow::Result<Vec<MemberDoc>> {
    let members = d.workspace.map(|w| string_list(w.get("members"))).unwrap_or_default();
    let exclude = d.workspace.map(|w| string_list(w.get("exclude"))).unwrap_or_default();
    let excluded = |rel: &str| cargo_excluded(&d.dir, &members, &exclude, rel);
    let mut queue: VecDeque<String> = if d.workspace.is_some() {
        expand_members(&ws.root, &d.dir, &members, &excluded, "Cargo.toml", &d.root_manifest, None)?.into()
    } else {
        Default::default()
    };
    if root_doc.get("package").is_some() {
        queue.push_back(d.dir.clone());
    }
    let mut docs: Vec<MemberDoc> = vec![];
    while let Some(m) = queue.pop_front() {
        if docs.iter().any(|(dir, _, _)| *dir == m) {
            continue;
        }
        let manifest = join_rel(&m, "Cargo.toml");
        let doc = if m == d.dir { root_doc.clone() } else { read_toml(&ws.root, &manifest)? };
        // a package without [workspace] is a workspace of one: its path dependencies are not members
        for dep in path_deps(&doc, &m, &d.dir, d.ws_deps).into_iter().filter(|_| d.workspace.is_some()) {
            let Some(Ok(path)) = dep.path else { continue };
            if is_within(&d.dir, &path) && !excluded(&path) && ws.root.join(&path).join("Cargo.toml").is_file() {
                queue.push_back(path);
            }
        }
        docs.push((m, manifest, doc));
    }
    docs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(docs)
}

/// cargo's `exclude`: plain paths (not globs) relative to the workspace folder,
/// each excluding everything under it, except what lies under a path listed
/// literally in `members`.
fn cargo_excluded(ws_dir: &str, members: &[String], exclude: &[String], rel: &str) -> bool {
    let under = |list: &[String]| list.iter().any(|e| is_within(&join_rel(ws_dir, e), rel));
    under(exclude) && !under(members)
}

fn string_list(item: Option<&Item>) -> Vec<String> {
    item.and_then(Item::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}
