//! The versions a plan starts from: the last tag's for packages versioned by
//! git tags, and for manifests behind their last tag.

use std::borrow::Cow;

use crate::history::PackageHistory;
use crate::version::Version;
use crate::workspace::{VersionSource, Workspace};

/// Each package whose manifest version is below its last tag's (the project
/// went back: genkit's 0.5.2 after `py/genkit-v0.6.0`): that tag and version.
pub(super) fn behind_tags(ws: &Workspace, history: &[PackageHistory]) -> Vec<Option<(String, Version)>> {
    ws.packages
        .iter()
        .zip(history)
        .map(|(p, h)| {
            let current = p.version.as_ref().filter(|v| v.local().is_none())?;
            let (tag, version) = h.last_tag.as_ref().filter(|(_, v)| v > current)?;
            (!matches!(p.version_source, VersionSource::Vcs(_))).then(|| (tag.clone(), version.clone()))
        })
        .collect()
}

/// The workspace with the last tag's version for each manifest `behind` it:
/// what the plan starts from. The text stays the manifest's (the plan shows
/// it, and the release writes the new version over it).
pub(super) fn from_last_tags<'a>(ws: &'a Workspace, behind: &[Option<(String, Version)>]) -> Cow<'a, Workspace> {
    if behind.iter().all(Option::is_none) {
        return Cow::Borrowed(ws);
    }
    let mut ws = ws.clone();
    for (p, behind) in ws.packages.iter_mut().zip(behind) {
        if let Some((_, v)) = behind {
            p.version = Some(v.clone());
        }
    }
    Cow::Owned(ws)
}

/// The workspace with the versions of packages versioned by git tags filled
/// in: the last tag's, or 0.0.0 before the first tag.
pub(super) fn with_tag_versions<'a>(ws: &'a Workspace, history: &[PackageHistory]) -> Cow<'a, Workspace> {
    if !ws.packages.iter().any(|p| matches!(p.version_source, VersionSource::Vcs(_))) {
        return Cow::Borrowed(ws);
    }
    let mut ws = ws.clone();
    for (p, h) in ws.packages.iter_mut().zip(history) {
        if matches!(p.version_source, VersionSource::Vcs(_)) {
            let v = h
                .last_tag
                .as_ref()
                .map(|(_, v)| v.to_ecosystem(p.ecosystem))
                .unwrap_or_else(|| Version::parse(p.ecosystem, "0.0.0").expect("0.0.0 parses"));
            p.version_text = v.to_string();
            p.version = Some(v);
        }
    }
    Cow::Owned(ws)
}
