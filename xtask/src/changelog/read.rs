//! Reading a changelog back: its headings outside code blocks, the `Layout`
//! of its version sections, and `parse`/`top_version`/`check`/`notes_of`.

use super::Style;
use crate::version::{Ecosystem, Version};

/// Why a changelog does not parse as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line, 0 for the whole file.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

/// A changelog's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The title's text (`# Changelog`); `None` when the versions are `# ` headings (tokio).
    pub title: Option<String>,
    /// Whether there is an `[Unreleased]` section.
    pub unreleased: bool,
    /// Version headings, top to bottom: (version as written, without a `v`; 1-based line).
    pub versions: Vec<(String, usize)>,
}

/// A Markdown heading outside code blocks.
#[derive(Debug, Clone)]
pub(super) struct Heading<'a> {
    pub(super) level: usize,
    /// Byte offset of the line's start.
    pub(super) start: usize,
    pub(super) line: usize,
    /// The text after `## `, without the line end.
    pub(super) text: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Unreleased,
    Version(String),
    /// `## 0.15.x`: a link to an archived changelog of a release series (ruff).
    Series,
    Other,
}

pub(super) fn headings(text: &str) -> Vec<Heading<'_>> {
    let mut out = vec![];
    let mut fence: Option<char> = None;
    let mut start = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        for f in ['`', '~'] {
            if indent < 4 && trimmed.starts_with(&String::from(f).repeat(3)) {
                fence = match fence {
                    None => Some(f),
                    Some(open) if open == f => None,
                    other => other,
                };
            }
        }
        if fence.is_none() && indent == 0 {
            let level = line.bytes().take_while(|&b| b == b'#').count();
            if (1..=6).contains(&level) && (line.len() == level || line.as_bytes()[level] == b' ') {
                out.push(Heading { level, start, line: i + 1, text: line[level..].trim() });
            }
        }
        start += raw.len();
    }
    out
}

fn kind(heading: &str) -> Kind {
    let t = heading.trim().trim_start_matches('[');
    if t.len() >= 10 && t[..10].eq_ignore_ascii_case("unreleased") {
        return Kind::Unreleased;
    }
    let token = t.split([']', ' ', '(', '\t']).next().unwrap_or("");
    let token = token.strip_prefix(['v', 'V']).unwrap_or(token);
    if !token.starts_with(|c: char| c.is_ascii_digit()) {
        return Kind::Other;
    }
    if Version::parse(Ecosystem::Cargo, token).is_ok() || Version::parse(Ecosystem::Python, token).is_ok() {
        return Kind::Version(token.to_string());
    }
    let series = token.strip_suffix(".x").or_else(|| token.strip_suffix(".*"));
    if series.is_some_and(|s| s.split('.').all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))) {
        Kind::Series
    } else {
        Kind::Other
    }
}

/// A changelog read for writing: its headings, the level its versions are
/// written at, and where each version section starts.
pub(super) struct Layout<'a> {
    pub(super) hs: Vec<Heading<'a>>,
    /// The `#` count of version headings: that of the first version (or
    /// `[Unreleased]`) heading among `# ` and `## `; 2 when there is none.
    pub(super) level: usize,
    pub(super) title: Option<String>,
    /// Indices into `hs` of the headings at `level` after the title, with their kind.
    pub(super) sections: Vec<(usize, Kind)>,
}

impl Layout<'_> {
    /// The index in `hs` of the newest (topmost) version heading.
    fn newest(&self) -> Option<usize> {
        self.sections.iter().find(|(_, k)| matches!(k, Kind::Version(_))).map(|(i, _)| *i)
    }

    /// The byte range of section `at` (an index into `hs`), heading included.
    pub(super) fn span(&self, text: &str, at: usize) -> std::ops::Range<usize> {
        let end = self.hs[at + 1..].iter().find(|h| h.level <= self.level).map_or(text.len(), |h| h.start);
        self.hs[at].start..end
    }

    pub(super) fn style(&self, text: &str) -> Style {
        Style::of(text, &self.hs, self.level, self.newest())
    }
}

/// The example heading of an error message at `level`.
fn example(level: usize) -> &'static str {
    if level == 1 {
        "`# 1.2.0 (January 2nd, 2026)`"
    } else {
        "`## [1.2.0] - 2026-01-02`"
    }
}

pub(super) fn layout(text: &str) -> Result<Layout<'_>, ParseError> {
    let hs = headings(text);
    let level =
        hs.iter().filter(|h| h.level <= 2).find(|h| !matches!(kind(h.text), Kind::Other)).map_or(2, |h| h.level);
    // a `# ` title comes first, except where versions are `# ` headings themselves
    let mut title = None;
    let mut from = 0;
    match hs.iter().position(|h| h.level <= 2) {
        Some(i) if hs[i].level == 1 && (level == 2 || kind(hs[i].text) == Kind::Other) => {
            title = Some(hs[i].text.to_string());
            from = i + 1;
        }
        Some(i) if level == 2 => {
            return Err(ParseError { line: hs[i].line, message: "a `## ` section comes before the `# ` title".into() })
        }
        None if level == 2 => return Err(ParseError { line: 0, message: "no `# ` title (e.g. `# Changelog`)".into() }),
        _ => {}
    }
    let hashes = "#".repeat(level);
    let mut sections = vec![];
    for (i, h) in hs.iter().enumerate().skip(from) {
        if h.level != level {
            continue;
        }
        match kind(h.text) {
            Kind::Other => {
                return Err(ParseError {
                    line: h.line,
                    message: format!("`{hashes} {}` is not a version heading ({})", h.text, example(level)),
                })
            }
            k => sections.push((i, k)),
        }
    }
    Ok(Layout { hs, level, title, sections })
}

/// Reads a changelog: a `# ` title, then `## ` sections that are versions,
/// `[Unreleased]` or links to archived series (`## 0.15.x`); or, without a
/// title, `# ` version sections (tokio) with `## ` or `### ` groups under
/// them. Headings inside code blocks do not count.
pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    let l = layout(text)?;
    let mut parsed = Parsed { title: l.title.clone(), unreleased: false, versions: vec![] };
    for (i, k) in &l.sections {
        match k {
            Kind::Unreleased => parsed.unreleased = true,
            Kind::Version(v) => parsed.versions.push((v.clone(), l.hs[*i].line)),
            Kind::Series | Kind::Other => {}
        }
    }
    Ok(parsed)
}

/// The newest version a changelog has a section for.
pub fn top_version(text: &str) -> Result<Option<String>, ParseError> {
    Ok(parse(text)?.versions.into_iter().next().map(|(v, _)| v))
}

/// For `check`: the changelog parses, and when it lists versions, the top one
/// is the manifest's version (compared as versions of `eco`, so `1.2.0rc1` and
/// `1.2.0-rc1` match for Python). A changelog without version sections passes.
pub fn check(text: &str, eco: Ecosystem, manifest_version: &str) -> Result<(), String> {
    let top = top_version(text).map_err(|e| e.to_string())?;
    let Some(top) = top else { return Ok(()) };
    if crate::version::same_version(eco, &top, manifest_version) {
        Ok(())
    } else {
        Err(format!("the newest section is {top}, but the manifest says {manifest_version}"))
    }
}

/// The notes of `version` in a changelog (the section's body, `\n` line ends),
/// e.g. to make a forge release from the file of the release commit.
pub fn notes_of(text: &str, version: &str) -> Option<String> {
    let want = Kind::Version(version.strip_prefix(['v', 'V']).unwrap_or(version).to_string());
    let l = layout(text).ok()?;
    let at = l.sections.iter().find(|(_, k)| *k == want)?.0;
    let span = l.span(text, at);
    let from = span.start + text[span.clone()].find('\n').map_or(span.len(), |n| n + 1);
    let body = text[from..span.end].replace("\r\n", "\n");
    let body = body.trim_matches('\n');
    Some(format!("{body}\n"))
}
