//! `Change`: one file init writes, whole (what was there, what will be), read from the target.

use std::path::Path;

use crate::shell;

/// One file init writes, whole.
pub(super) struct Change {
    pub(super) rel: String,
    pub(super) old: Option<Vec<u8>>,
    pub(super) new: Vec<u8>,
    pub(super) what: String,
    /// A file of the copied xtask source: summarized, not diffed, in a dry run.
    pub(super) template: bool,
    /// Shown as a diff in a dry run (a lockfile is only named).
    pub(super) diff: bool,
}

pub(super) fn change(target: &Path, rel: &str, new: Vec<u8>, what: &str, template: bool) -> anyhow::Result<Change> {
    let path = target.join(rel);
    let old = match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(shell::fs::error("read", &path, e)),
    };
    Ok(Change { rel: rel.to_string(), old, new, what: what.to_string(), template, diff: !template })
}

pub(super) fn read_text(c: &Change) -> Option<String> {
    c.old.as_ref().map(|o| String::from_utf8_lossy(o).into_owned())
}
