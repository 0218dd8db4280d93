//! The aggregate workspace changelog: a `## ` section per release, a `### `
//! subsection per package, never touching existing lines.

use super::insert::{line_end, separator};
use super::output::package_heading;
use super::read::{headings, Heading, ParseError};
use super::{Section, TITLE};
use crate::plan::Plan;

/// The heading of a release in the workspace changelog: `## v1.2.0 - DATE`
/// with an umbrella tag, else `## DATE`.
pub fn workspace_heading(plan: &Plan, date: &str) -> String {
    match &plan.umbrella_tag {
        Some(t) => format!("## {t} - {date}"),
        None => format!("## {date}"),
    }
}

/// `existing` with a release's packages added: one `### name version`
/// subsection each (groups at `####`). Packages already in the file are left
/// out (idempotent); when the newest `## ` section has the same heading (a
/// second release that day, or a resumed one) the rest join it; otherwise a
/// new section goes before the first `## `. Other lines are never touched.
/// `None` when there is nothing to add.
pub fn workspace_insert(existing: Option<&str>, heading: &str, sections: &[Section]) -> Option<String> {
    let text = existing.filter(|t| !t.trim().is_empty());
    let present: Vec<String> = text
        .map(|t| headings(t).iter().filter(|h| h.level == 3).map(|h| subsection_key(h.text)).collect())
        .unwrap_or_default();
    let new: Vec<&Section> =
        sections.iter().filter(|s| !present.contains(&format!("{} {}", s.package, s.version))).collect();
    if new.is_empty() {
        return None;
    }
    let block = |s: &Section| format!("{}\n\n{}", package_heading(s, 3), s.body_at(4));
    let subsections: Vec<String> = new.iter().map(|s| block(s)).collect();
    let Some(text) = text else {
        return Some(format!("{TITLE}\n\n{heading}\n\n{}", subsections.join("\n")));
    };
    let nl = line_end(text);
    let fix = |s: String| s.replace('\n', nl);
    let hs = headings(text);
    let h2: Vec<&Heading> = hs.iter().filter(|h| h.level <= 2).collect();
    let first = h2.iter().position(|h| h.level == 2);
    if let Some(at) = first.filter(|&at| format!("## {}", h2[at].text) == heading.trim_end()) {
        // join the newest release's section, after its last line
        let end = h2.get(at + 1).map_or(text.len(), |h| h.start);
        let before = &text[..end];
        let kept = before.trim_end_matches(['\n', '\r']);
        let added = fix(subsections.join("\n"));
        return Some(format!("{kept}{nl}{nl}{added}{}{}", if end < text.len() { nl } else { "" }, &text[end..]));
    }
    let release = fix(format!("{heading}\n\n{}", subsections.join("\n")));
    Some(match first {
        Some(at) => format!("{}{release}{nl}{}", &text[..h2[at].start], &text[h2[at].start..]),
        None => format!("{text}{}{release}", separator(text, nl)),
    })
}

/// `[core 1.2.0](url)` or `core 1.2.0` → `core 1.2.0`.
fn subsection_key(text: &str) -> String {
    match text.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest).trim().to_string(),
        None => text.trim().to_string(),
    }
}

/// A workspace changelog has a `# ` title before its first `## `.
pub fn validate_workspace(text: &str) -> Result<(), ParseError> {
    match headings(text).iter().find(|h| h.level <= 2) {
        Some(h) if h.level == 1 => Ok(()),
        Some(h) => Err(ParseError { line: h.line, message: "a `## ` section comes before the `# ` title".into() }),
        None => Err(ParseError { line: 0, message: "no `# ` title (e.g. `# Changelog`)".into() }),
    }
}
