//! `[patch.<registry>]`: registry requirements the Cargo root redirects to a
//! member are internal dependencies too, where cargo's resolver uses the patch.

use std::collections::HashMap;

use toml_edit::{DocumentMut, Item};

use super::deps::PathDep;
use super::{Discovery, MemberDoc, Patched};
use crate::version::{Ecosystem, Req};
use crate::workspace::{join_within, Dep, Workspace};

/// `[patch.<registry>]` entries of the root manifest that point at a member's
/// folder: (registry, crate name) → the member's name. tokio's crates depend
/// on each other only this way (`tokio = "1.2.0"`, patched to `tokio/`).
pub(super) fn patched_members(
    root_doc: &DocumentMut,
    dir: &str,
    docs: &[MemberDoc],
) -> HashMap<(String, String), String> {
    let mut out = HashMap::new();
    let Some(tables) = root_doc.get("patch").and_then(Item::as_table_like) else { return out };
    for (registry, table) in tables.iter() {
        let Some(table) = table.as_table_like() else { continue };
        for (key, spec) in table.iter() {
            let Some(path) = spec.get("path").and_then(Item::as_str) else { continue };
            let Some(folder) = join_within(dir, path) else { continue };
            let member = docs.iter().find(|(d, _, _)| *d == folder);
            let Some(name) = member.and_then(|(_, _, doc)| doc.get("package")?.get("name")?.as_str()) else { continue };
            // `[patch.crates-io] alias = { path = "x", package = "real" }` patches `real`
            let patched = spec.get("package").and_then(Item::as_str).unwrap_or(key);
            if patched == name {
                out.insert((registry.to_string(), patched.to_string()), name.to_string());
            }
        }
    }
    out
}

impl Discovery<'_> {
    /// A registry requirement of package `from`: kept for `add_patched_edges`
    /// when a `[patch]` entry redirects it to a member.
    pub(super) fn note_patched(&mut self, from: usize, dep: &PathDep) {
        let registry = dep.registry.clone().unwrap_or_else(|| "crates-io".into());
        let dep_name = dep.package.clone().unwrap_or_else(|| dep.key.to_string());
        if let Some(target) = self.patches.get(&(registry, dep_name)) {
            self.pending.push((from, target.clone(), dep.kind, dep.req_text.clone().unwrap_or_default()));
        }
    }
}

/// The edges of registry requirements a patch redirects to a member, as
/// cargo's resolver makes them: only where the member's version satisfies the
/// requirement (otherwise cargo warns that the patch was not used and takes
/// the registry's crate).
pub(super) fn add_patched_edges(ws: &mut Workspace, pending: Vec<Patched>) {
    for (from, target, kind, req_text) in pending {
        let member = ws.packages.iter().find(|p| p.ecosystem == Ecosystem::Cargo && p.name == target);
        let Some(version) = member.and_then(|p| p.version.clone()) else { continue };
        let Ok(req) = Req::parse(Ecosystem::Cargo, if req_text.is_empty() { "*" } else { &req_text }) else { continue };
        if !req.admits(&version) {
            continue;
        }
        if ws.packages[from].name == target {
            continue; // a crate's dev-dependency on itself (its published version) is no edge
        }
        let deps = &mut ws.packages[from].deps;
        if !deps.iter().any(|d| d.name == target && d.kind == kind) {
            deps.push(Dep { name: target, kind, req_text, req, optional: false });
        }
    }
}
