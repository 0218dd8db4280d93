//! Writing into an existing changelog: `insert` puts a section in its place
//! (newest first, replacing `[Unreleased]`), in the file's own style and line ends.

use std::cmp::Ordering;

use super::read::{layout, Kind, Layout, ParseError};
use super::{Section, Style, TITLE};
use crate::version::{Ecosystem, Version};

/// The line end a file uses (that of its first line).
pub(super) fn line_end(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Versions compared as SemVer, else as PEP 440; `None` when neither reads both.
fn compare(a: &str, b: &str) -> Option<std::cmp::Ordering> {
    [Ecosystem::Cargo, Ecosystem::Python].into_iter().find_map(|eco| {
        let (a, b) = (Version::parse(eco, a).ok()?, Version::parse(eco, b).ok()?);
        a.partial_cmp(&b)
    })
}

/// The style the next section of a changelog is written in (`None`, or a
/// file that does not parse: Keep a Changelog's).
pub fn style_of(existing: Option<&str>) -> Style {
    existing.and_then(|t| layout(t).ok()).map(|l| l.style(existing.unwrap_or_default())).unwrap_or_default()
}

/// `existing` with `section` added in the file's own style (`style_of`): a
/// new file (`None` or blank) gets a title. The section goes above the newest
/// version older than it (for a new release, the top one), taking the place of
/// an `[Unreleased]` section above it; a file without versions gets it at the
/// end. Every other byte is kept (CRLF files get CRLF). `Ok(None)`: the
/// version is there already, nothing to write. An error when there is no
/// right place: the file does not parse, its versions are not newest first,
/// or every version in it is newer than the section's.
pub fn insert(existing: Option<&str>, section: &Section) -> Result<Option<String>, ParseError> {
    let text = match existing {
        Some(t) if !t.trim().is_empty() => t,
        _ => return Ok(Some(format!("{TITLE}\n\n{}", section.markdown()))),
    };
    let l = layout(text)?;
    let version = Kind::Version(section.version.clone());
    if l.sections.iter().any(|(_, k)| *k == version) {
        return Ok(None);
    }
    let nl = line_end(text);
    let md = section.markdown_in(&l.style(text)).replace('\n', nl);
    let Some(place) = place(&l, &section.version)? else {
        return Ok(Some(format!("{}{}{md}", text, separator(text, nl))));
    };
    let span = match place {
        Place::Replace(at) => l.span(text, at),
        Place::Above(at) => l.hs[at].start..l.hs[at].start,
    };
    Ok(Some(if span.end == text.len() {
        format!("{}{md}", &text[..span.start])
    } else {
        format!("{}{md}{nl}{}", &text[..span.start], &text[span.end..])
    }))
}

/// Where a new section goes (indices into `Layout::hs`).
enum Place {
    /// In place of this `[Unreleased]` section.
    Replace(usize),
    /// Right above this heading.
    Above(usize),
}

/// The place of `version` in a newest-first file; `None`: at the end (no
/// version or `[Unreleased]` section yet).
fn place(l: &Layout, version: &str) -> Result<Option<Place>, ParseError> {
    let versions: Vec<(usize, &str)> = l
        .sections
        .iter()
        .filter_map(|(i, k)| match k {
            Kind::Version(v) => Some((*i, v.as_str())),
            _ => None,
        })
        .collect();
    let unreleased = l.sections.iter().find(|(_, k)| *k == Kind::Unreleased).map(|(i, _)| *i);
    let Some(&(top, top_version)) = versions.first() else { return Ok(unreleased.map(Place::Replace)) };
    let line = |i: usize| l.hs[i].line;
    // the file is newest first, or the tool cannot tell where a version goes
    if let Some(&(i, newer)) = versions.iter().find(|(_, v)| compare(v, top_version) == Some(Ordering::Greater)) {
        return Err(ParseError {
            line: line(i),
            message: format!(
                "the sections are not newest first ({newer} at line {} is below {top_version} at line {}), so there \
                 is no telling where {version} goes",
                line(i),
                line(top)
            ),
        });
    }
    let Some(&(above, _)) = versions.iter().find(|(_, v)| compare(v, version) != Some(Ordering::Greater)) else {
        let &(last, oldest) = versions.last().expect("not empty");
        return Err(ParseError {
            line: line(last),
            message: format!("every version in it is newer than {version} (the oldest is {oldest})"),
        });
    };
    Ok(Some(match unreleased {
        Some(u) if above == top && u < top => Place::Replace(u),
        _ => Place::Above(above),
    }))
}

/// What goes between `text` and an appended block: enough line ends for one blank line.
pub(super) fn separator(text: &str, nl: &'static str) -> String {
    if text.ends_with(&format!("{nl}{nl}")) || text.ends_with("\n\n") {
        String::new()
    } else if text.ends_with('\n') {
        nl.to_string()
    } else {
        format!("{nl}{nl}")
    }
}
