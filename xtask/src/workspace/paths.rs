//! Member globs and repository-relative paths: expanding `members`/`exclude`
//! into member folders, and joining `/`-separated relative paths lexically.

use std::path::{Component, Path};

use crate::error::{fail, Code};

/// Expands workspace member globs into member folders (relative to the
/// repository root) that hold `manifest`, leaving out the folders `excluded`
/// says no to (before looking for their manifest, as cargo and uv do). A
/// pattern that matches nothing is an error for cargo; uv ignores it, so for
/// uv (`dead` given) it is collected there for `check`.
pub(super) fn expand_members(
    root: &Path,
    ws_dir: &str,
    members: &[String],
    excluded: &dyn Fn(&str) -> bool,
    manifest: &str,
    what: &str,
    mut dead: Option<&mut Vec<String>>,
) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = vec![];
    let base = root.join(ws_dir);
    for pattern in members {
        let full = base.join(pattern.trim_end_matches('/'));
        let full_str = full.to_str().ok_or_else(|| {
            fail(Code::Io, format!("member pattern `{pattern}` is not UTF-8"), "use UTF-8 folder names")
        })?;
        refuse_non_utf8(&base, pattern)?;
        let paths = glob::glob(full_str).map_err(|e| {
            fail(Code::MemberGlob, format!("{what}: bad member pattern `{pattern}`: {e}"), "fix the pattern")
        })?;
        let mut matched = false;
        for path in paths.flatten() {
            if !path.is_dir() {
                continue; // a file next to the members (a README) is not one
            }
            let rel = relative(root, &path)?;
            if excluded(&rel) {
                matched = true;
                continue;
            }
            // as cargo and uv do: a member folder without its manifest is an error
            if !path.join(manifest).exists() {
                return Err(fail(
                    Code::MemberGlob,
                    format!("{what}: member `{rel}` (matched by `{pattern}`) has no {manifest}"),
                    format!("add {rel}/{manifest}, or exclude the folder from the workspace"),
                ));
            }
            matched = true;
            if !out.contains(&rel) {
                out.push(rel);
            }
        }
        if !matched {
            if let Some(dead) = dead.as_deref_mut() {
                dead.push(pattern.clone());
                continue;
            }
            return Err(fail(
                Code::MemberGlob,
                format!("{what}: member pattern `{pattern}` matches no folder with a {manifest}"),
                format!("fix or remove `{pattern}` in the workspace's members"),
            ));
        }
    }
    Ok(out)
}

/// uv's `exclude`: globs, relative to the workspace folder; a folder under an
/// excluded one is excluded too.
pub(super) fn glob_excluder(ws_dir: &str, exclude: &[String]) -> impl Fn(&str) -> bool {
    let patterns: Vec<glob::Pattern> =
        exclude.iter().filter_map(|e| glob::Pattern::new(&join_rel(ws_dir, e.trim_end_matches('/'))).ok()).collect();
    move |rel: &str| patterns.iter().any(|ex| ex.matches(rel) || rel.starts_with(&format!("{}/", ex.as_str())))
}

/// Whether `path` is `dir` or lies under it (both relative, `/`-separated, "." the root).
pub fn is_within(dir: &str, path: &str) -> bool {
    dir == "." || path == dir || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// The glob crate skips names that are not UTF-8, where cargo and uv would
/// stop: look at the folder the pattern's wildcard part starts in.
fn refuse_non_utf8(base: &Path, pattern: &str) -> anyhow::Result<()> {
    let literal: Vec<&str> = pattern.split('/').take_while(|c| !c.contains(['*', '?', '['])).collect();
    if literal.len() == pattern.split('/').count() {
        return Ok(());
    }
    let dir = base.join(literal.join("/"));
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(()) };
    for e in entries.flatten() {
        if e.file_name().to_str().is_none() {
            return Err(fail(
                Code::Io,
                format!("{} holds a name that is not UTF-8: {:?}", dir.display(), e.file_name()),
                "rename it: manifests, tags and the plan need UTF-8 paths",
            ));
        }
    }
    Ok(())
}

/// Like `join_rel`, but `None` when `rel` climbs above the repository root.
pub fn join_within(base: &str, rel: &str) -> Option<String> {
    let mut depth: usize = if base == "." || base.is_empty() { 0 } else { base.split('/').count() };
    for c in Path::new(rel).components() {
        match c {
            Component::ParentDir => depth = depth.checked_sub(1)?,
            Component::Normal(_) => depth += 1,
            Component::RootDir | Component::Prefix(_) => return None,
            Component::CurDir => {}
        }
    }
    Some(join_rel(base, rel))
}

/// `a/b` + `../c` = `a/c`, lexically (no file system access), "." for the root.
pub fn join_rel(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if base == "." || base.is_empty() { vec![] } else { base.split('/').collect() };
    for c in Path::new(rel).components() {
        match c {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(s) => parts.push(s.to_str().unwrap_or("")),
            _ => {}
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

fn relative(root: &Path, path: &Path) -> anyhow::Result<String> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.to_str().ok_or_else(|| {
        fail(Code::Io, format!("path {} is not UTF-8", rel.display()), "rename the folder to a UTF-8 name")
    })?;
    Ok(join_rel(".", s))
}
