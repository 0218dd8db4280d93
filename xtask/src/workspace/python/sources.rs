//! `[tool.uv.sources]` workspace sources that name no member (judged once
//! every requirement is known), and uv.lock, read for dynamic dependencies.

use toml_edit::{DocumentMut, Item};

use super::Requirement;
use super::{Member, UvWorkspace};
use crate::error::Code;
use crate::workspace::pep508::normalize;
use crate::workspace::{join_rel, DepKind, Workspace};

impl UvWorkspace {
    /// A member's own `{ workspace = true }` sources naming no member (the
    /// root's are noted from the start): judged once every requirement is known.
    pub(super) fn note_dangling_sources(&mut self, m: &Member) {
        if m.dir == self.dir {
            return;
        }
        let own = workspace_sources(m.doc).into_iter().filter(|(s, w)| *w && !self.members.contains_key(s));
        let own: Vec<String> = own.map(|(s, _)| s).collect();
        self.dangling.extend(own.into_iter().map(|s| (s, m.manifest.to_string(), Some(m.name.to_string()))));
    }

    /// A `{ workspace = true }` source naming no member stops uv only when a
    /// member it applies to requires that name; otherwise uv ignores it, and
    /// `check` warns.
    pub(super) fn report_dangling_sources(&self, ws: &mut Workspace) {
        let (dangling, required, root_manifest) = (&self.dangling, &self.required, &self.root_manifest);
        let root_package = required.first().map(|(n, _)| n.clone()).unwrap_or_else(|| root_manifest.to_string());
        for (src, manifest, member) in dangling {
            let users: Vec<&str> = required
                .iter()
                .filter(|(n, names)| member.as_ref().is_none_or(|m| m == n) && names.contains(src))
                .map(|(n, _)| n.as_str())
                .collect();
            let package = member.clone().unwrap_or_else(|| root_package.clone());
            let what = format!(
                "{manifest}: [tool.uv.sources] {src} = {{ workspace = true }} but no workspace member is named `{src}`"
            );
            let add = format!("add the member to [tool.uv.workspace] members in {root_manifest}");
            if users.is_empty() {
                ws.warn(
                    Code::UnknownMember,
                    &package,
                    format!("{what}; no member requires it (uv ignores it)"),
                    format!("remove the source, or {add}"),
                );
            } else {
                let who = users.join(", ");
                let verb = if users.len() == 1 { "requires" } else { "require" };
                ws.issue(
                    Code::UnknownMember,
                    &package,
                    format!("{what}, and {who} {verb} it (uv refuses to lock this)"),
                    format!("{add}, or remove the source and the requirement"),
                );
            }
        }
    }
}

/// `[tool.uv.sources]`: normalized name → whether it is `{ workspace = true }`.
pub(super) fn workspace_sources(doc: &DocumentMut) -> Vec<(String, bool)> {
    let Some(sources) =
        doc.get("tool").and_then(|t| t.get("uv")).and_then(|u| u.get("sources")).and_then(Item::as_table_like)
    else {
        return vec![];
    };
    sources
        .iter()
        .map(|(k, v)| {
            let is_ws = v.as_table_like().and_then(|t| t.get("workspace")).and_then(Item::as_bool) == Some(true);
            (normalize(k), is_ws)
        })
        .collect()
}

/// uv.lock at the Python root, when there is one that parses.
pub(super) fn read_lock(ws: &Workspace, dir: &str) -> Option<DocumentMut> {
    std::fs::read_to_string(ws.root.join(join_rel(dir, "uv.lock"))).ok()?.parse().ok()
}

/// A member's requirements as uv recorded them (`[package.metadata]
/// requires-dist`); `None` when uv.lock has no local entry for it.
pub(super) fn locked_requirements(lock: &DocumentMut, name: &str) -> Option<Vec<Requirement>> {
    let packages = lock.get("package")?.as_array_of_tables()?;
    let entry = packages.iter().find(|p| {
        p.get("name").and_then(Item::as_str).is_some_and(|n| normalize(n) == normalize(name))
            && p.get("source")
                .and_then(Item::as_inline_table)
                .is_some_and(|s| s.contains_key("editable") || s.contains_key("virtual"))
    })?;
    let dist = entry.get("metadata")?.get("requires-dist")?.as_array()?;
    let mut out = vec![];
    for r in dist.iter().filter_map(|v| v.as_inline_table()) {
        let Some(n) = r.get("name").and_then(|v| v.as_str()) else { continue };
        let spec = r.get("specifier").and_then(|v| v.as_str()).unwrap_or("");
        let marker = r.get("marker").and_then(|v| v.as_str()).unwrap_or("");
        let optional = marker.contains("extra ==");
        let text = if marker.is_empty() { format!("{n}{spec}") } else { format!("{n}{spec} ; {marker}") };
        out.push((text, DepKind::Normal, optional));
    }
    Some(out)
}
