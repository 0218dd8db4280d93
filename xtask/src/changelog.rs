//! Changelogs in the Keep a Changelog style, release notes, and the aggregate
//! workspace changelog. Pure: the caller reads and writes the files.
//!
//! - `sections(plan, ctx)` renders one `Section` per released package from the
//!   plan entries' notes (`Entry::notes`, kept by `history`): a heading
//!   `## [1.2.0](COMPARE-URL) - YYYY-MM-DD`, then `### Breaking changes`,
//!   `### Features`, `### Fixes`, `### Performance` and the other configured
//!   sections, one line per commit: `- **scope:** description ([abc1234](URL))`.
//!   A pre-release lists the commits since the last tag; a final release every
//!   commit since the last final tag, so the release candidates roll up.
//! - `insert(file, section)` puts a section into a changelog: after the title
//!   and preamble (before the first `## `), or in place of `## [Unreleased]`;
//!   every other byte stays (CRLF files get CRLF). A version already there adds
//!   nothing.
//! - `parse`/`top_version`/`check` read a changelog back for `check`;
//!   `notes_of` reads one version's notes back (release notes on resume).
//! - `workspace_insert` maintains the aggregate file: a `## ` section per
//!   release, a `### ` subsection per package, never touching existing lines.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::commits::{Convention, AREA_KIND};
use crate::config::ChangelogConfig;
use crate::forge::Links;
use crate::history::Note;
use crate::plan::{Cause, Entry, Plan, Status};
use crate::version::{Ecosystem, Version};

mod style;
use std::cmp::Ordering;
pub use style::Style;

pub const TITLE: &str = "# Changelog";
pub const BREAKING: &str = "Breaking changes";
pub const OTHER: &str = "Other changes";
pub const DEPENDENCIES: &str = "Dependencies";

/// What rendering needs besides the plan.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub config: &'a ChangelogConfig,
    /// Web links into the repository (`ForgeTarget::links`); without them the
    /// changelog has no links.
    pub links: Option<&'a Links>,
    /// The release date, `YYYY-MM-DD` (`today()`).
    pub date: &'a str,
    /// What the notes are: conventional commits, or `area: subject` ones
    /// (their lines are the subjects as written, under `Changes`).
    pub convention: Convention,
}

/// One package's changelog section for one release. Serializable, so a release
/// can keep the sections it rendered in its journal (the plan's notes are not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub package: String,
    pub version: String,
    pub prerelease: bool,
    /// The package's changelog file, relative to the repository root.
    pub path: String,
    pub date: String,
    /// The tag this release creates.
    pub tag: Option<String>,
    /// What it is compared with: the last tag (pre-release) or the last final tag.
    pub previous_tag: Option<String>,
    pub compare_url: Option<String>,
    /// A sentence when there is no line to list (first release, synchronized group ...).
    pub summary: Option<String>,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub title: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The line's Markdown, without the leading `- `.
    pub markdown: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<Note>,
}

impl Section {
    /// `## [1.2.0](COMPARE-URL) - 2026-01-02`, or `## [1.2.0] - 2026-01-02`:
    /// the heading in a new file (Keep a Changelog).
    pub fn heading(&self) -> String {
        self.heading_in(&Style::default())
    }

    /// The heading in a file of `style`.
    pub fn heading_in(&self, style: &Style) -> String {
        style.heading(&self.version, &self.date, self.compare_url.as_deref())
    }

    /// The section without its heading: the release notes. Ends with one newline.
    pub fn body(&self) -> String {
        self.body_at(3)
    }

    /// The body with group headings at `level` (`###` in a package's file,
    /// `####` under a package in the workspace file).
    fn body_at(&self, level: usize) -> String {
        let mut out = String::new();
        if let Some(s) = &self.summary {
            out.push_str(s);
            out.push('\n');
        }
        for g in &self.groups {
            if !out.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(out, "{} {}\n", "#".repeat(level), g.title);
            for item in &g.items {
                let _ = writeln!(out, "- {}", item.markdown);
            }
        }
        out
    }

    /// Heading and body, ending with one newline (Keep a Changelog).
    pub fn markdown(&self) -> String {
        self.markdown_in(&Style::default())
    }

    /// Heading and body in a file of `style`, ending with one newline.
    pub fn markdown_in(&self, style: &Style) -> String {
        let first = style.first_line(&self.date).map(|l| format!("{l}\n\n")).unwrap_or_default();
        format!("{}\n\n{first}{}", self.heading_in(style), self.body_at(style.group_level))
    }
}

/// The changelog file of a package, relative to the repository root.
pub fn path(entry: &Entry, config: &ChangelogConfig) -> String {
    match entry.path.as_str() {
        "" | "." => config.path.clone(),
        dir => format!("{}/{}", dir.trim_end_matches('/'), config.path),
    }
}

/// The sections of every package the plan releases, in release order.
pub fn sections(plan: &Plan, ctx: &Context) -> Vec<Section> {
    plan.packages.iter().filter_map(|e| section(e, ctx)).collect()
}

/// The section of one package; `None` when the plan does not release it.
pub fn section(entry: &Entry, ctx: &Context) -> Option<Section> {
    if entry.status != Status::Release {
        return None;
    }
    let version = entry.next_version.clone()?;
    let prerelease = match &entry.next {
        Some(v) => v.is_pre(),
        None => Version::parse(entry.ecosystem, &version).is_ok_and(|v| v.is_pre()),
    };
    // a final release rolls up everything since the last final release
    let (notes, previous_tag): (Vec<Note>, Option<String>) = if prerelease {
        (entry.notes.since_tag().collect(), entry.last_tag.clone())
    } else {
        (entry.notes.since_final().collect(), entry.notes.last_final_tag.clone())
    };
    let compare_url = match (ctx.links, &previous_tag, &entry.tag) {
        (Some(l), Some(from), Some(to)) => Some(l.compare(from, to)),
        _ => None,
    };
    let mut groups = groups(&notes, ctx);
    if let Cause::Forced { dep, version: dep_version } = &entry.cause {
        let item = Item { markdown: format!("Updated **{dep}** to {dep_version}."), commit: None };
        // a configured `Dependencies` section (e.g. for `deps` commits) takes the line too
        match groups.iter_mut().find(|g| g.title == DEPENDENCIES) {
            Some(g) => g.items.push(item),
            None => groups.push(Group { title: DEPENDENCIES.to_string(), items: vec![item] }),
        }
    }
    let summary = groups.is_empty().then(|| {
        if entry.last_tag.is_none() {
            "First release.".to_string()
        } else if let Cause::Synchronized { group } = &entry.cause {
            format!("Released with the synchronized group `{group}`; no notable changes of its own.")
        } else {
            "No notable changes.".to_string()
        }
    });
    Some(Section {
        package: entry.name.clone(),
        version,
        prerelease,
        path: path(entry, ctx.config),
        date: ctx.date.to_string(),
        tag: entry.tag.clone(),
        previous_tag,
        compare_url,
        summary,
        groups,
    })
}

/// The title of the group of `area: subject` commits, unless `[changelog.sections]` names one for `change`.
pub const CHANGES: &str = "Changes";

/// Whether the changelog leaves a note out: a hidden type, or with the `area`
/// convention a hidden area (`chore`, `ci: ...`, `docs(tokio): ...`); a break never.
fn hidden(note: &Note, ctx: &Context) -> bool {
    let hidden = |name: &str| ctx.config.hidden.iter().any(|h| h.eq_ignore_ascii_case(name));
    match ctx.convention {
        _ if note.breaking => false,
        Convention::Conventional => hidden(&note.kind),
        Convention::Area => {
            let area = note.scope.as_deref().unwrap_or("");
            hidden(area.split(['(', ' ', ',', '/']).next().unwrap_or(area))
        }
    }
}

/// Notes (newest first) → groups in display order, oldest commit first in each.
fn groups(notes: &[Note], ctx: &Context) -> Vec<Group> {
    let cfg = ctx.config;
    let area_title = cfg.sections.iter().find(|(k, _)| k == AREA_KIND).map_or(CHANGES, |(_, t)| t.as_str());
    let mut titles: Vec<&str> = vec![BREAKING];
    if ctx.convention == Convention::Area {
        titles.push(area_title);
    }
    for (_, title) in &cfg.sections {
        if !titles.contains(&title.as_str()) {
            titles.push(title);
        }
    }
    titles.push(OTHER);
    let mut items: Vec<Vec<Item>> = vec![vec![]; titles.len()];
    for note in notes.iter().rev() {
        let title = if note.breaking {
            BREAKING
        } else if hidden(note, ctx) {
            continue;
        } else if ctx.convention == Convention::Area {
            area_title
        } else {
            cfg.sections.iter().find(|(k, _)| *k == note.kind).map_or(OTHER, |(_, t)| t.as_str())
        };
        let at = titles.iter().position(|t| *t == title).expect("every title is listed");
        items[at].push(Item { markdown: line(note, ctx), commit: Some(note.clone()) });
    }
    titles
        .iter()
        .zip(items)
        .filter(|(_, items)| !items.is_empty())
        .map(|(title, items)| Group { title: title.to_string(), items })
        .collect()
}

/// `**scope:** description ([abc1234](URL))`, `#N` linked to the forge; a
/// breaking change's footer after the description: `description — what broke`.
/// An `area: subject` commit's line is its subject as written.
fn line(note: &Note, ctx: &Context) -> String {
    let links = ctx.links;
    let mut out = String::new();
    if let (Some(scope), Convention::Conventional) = (&note.scope, ctx.convention) {
        let _ = write!(out, "**{scope}:** ");
    }
    let mut text = note.description.clone();
    if let Some(why) = note.breaking_note.as_deref().filter(|w| !w.eq_ignore_ascii_case(&note.description)) {
        let _ = write!(text, " — {why}");
    }
    match links {
        Some(l) => {
            let mut last = 0;
            for (range, n) in crate::commits::references(&text) {
                out.push_str(&text[last..range.start]);
                let _ = write!(out, "[#{n}]({})", l.issue(n));
                last = range.end;
            }
            out.push_str(&text[last..]);
            let _ = write!(out, " ([{}]({}))", note.short(), l.commit(&note.hash));
        }
        None => {
            out.push_str(&text);
            let _ = write!(out, " ({})", note.short());
        }
    }
    out
}

// ---- reading a changelog --------------------------------------------------------

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
struct Heading<'a> {
    level: usize,
    /// Byte offset of the line's start.
    start: usize,
    line: usize,
    /// The text after `## `, without the line end.
    text: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Unreleased,
    Version(String),
    /// `## 0.15.x`: a link to an archived changelog of a release series (ruff).
    Series,
    Other,
}

fn headings(text: &str) -> Vec<Heading<'_>> {
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
struct Layout<'a> {
    hs: Vec<Heading<'a>>,
    /// The `#` count of version headings: that of the first version (or
    /// `[Unreleased]`) heading among `# ` and `## `; 2 when there is none.
    level: usize,
    title: Option<String>,
    /// Indices into `hs` of the headings at `level` after the title, with their kind.
    sections: Vec<(usize, Kind)>,
}

impl Layout<'_> {
    /// The index in `hs` of the newest (topmost) version heading.
    fn newest(&self) -> Option<usize> {
        self.sections.iter().find(|(_, k)| matches!(k, Kind::Version(_))).map(|(i, _)| *i)
    }

    /// The byte range of section `at` (an index into `hs`), heading included.
    fn span(&self, text: &str, at: usize) -> std::ops::Range<usize> {
        let end = self.hs[at + 1..].iter().find(|h| h.level <= self.level).map_or(text.len(), |h| h.start);
        self.hs[at].start..end
    }

    fn style(&self, text: &str) -> Style {
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

fn layout(text: &str) -> Result<Layout<'_>, ParseError> {
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

// ---- writing a changelog -------------------------------------------------------

/// The line end a file uses (that of its first line).
fn line_end(text: &str) -> &'static str {
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
fn separator(text: &str, nl: &'static str) -> String {
    if text.ends_with(&format!("{nl}{nl}")) || text.ends_with("\n\n") {
        String::new()
    } else if text.ends_with('\n') {
        nl.to_string()
    } else {
        format!("{nl}{nl}")
    }
}

// ---- release notes -------------------------------------------------------------

/// A package's release notes: its section's body.
pub fn release_notes(section: &Section) -> String {
    section.body()
}

/// The notes of the whole release (umbrella tag): a table of every package and
/// version, then each package's notes under `## name version`.
pub fn umbrella_notes(sections: &[Section]) -> String {
    let mut out = String::from("| Package | Version |\n| --- | --- |\n");
    for s in sections {
        let _ = writeln!(out, "| {} | {} |", s.package, s.version);
    }
    for s in sections {
        let _ = write!(out, "\n{}\n\n{}", package_heading(s, 2), s.body());
    }
    out
}

fn package_heading(s: &Section, level: usize) -> String {
    let hashes = "#".repeat(level);
    match &s.compare_url {
        Some(url) => format!("{hashes} [{} {}]({url})", s.package, s.version),
        None => format!("{hashes} {} {}", s.package, s.version),
    }
}

// ---- the workspace changelog ---------------------------------------------------

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

// ---- the `changelog` command's output -------------------------------------------

/// Every section with the file it goes to, for a person, each in its file's
/// style (`styles[i]` for `sections[i]`: `style_of` the file).
pub fn render_markdown(sections: &[Section], styles: &[Style]) -> String {
    let mut out = String::new();
    for (i, (s, style)) in sections.iter().zip(styles).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(out, "<!-- {}: {} {} -->\n{}", s.path, s.package, s.version, s.markdown_in(style));
    }
    out
}

/// `{"sections": [...]}`: each `Section`'s fields plus its `heading` and
/// `markdown` in its file's style.
pub fn render_json(sections: &[Section], styles: &[Style]) -> String {
    let list: Vec<serde_json::Value> = sections
        .iter()
        .zip(styles)
        .map(|(s, style)| {
            let mut v = serde_json::to_value(s).expect("plain data");
            v["heading"] = s.heading_in(style).into();
            v["markdown"] = s.markdown_in(style).into();
            v
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&serde_json::json!({ "sections": list })).expect("plain data");
    out.push('\n');
    out
}

// ---- dates -------------------------------------------------------------------------

/// Today's date in UTC, `YYYY-MM-DD`; `SOURCE_DATE_EPOCH` (seconds) when set,
/// for reproducible output.
pub fn today() -> String {
    let secs =
        std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
        });
    date_of(secs)
}

/// The UTC date of a Unix time, `YYYY-MM-DD` (proleptic Gregorian).
pub fn date_of(unix_secs: i64) -> String {
    // days to civil date: Howard Hinnant's algorithm
    let z = unix_secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
pub(crate) mod tests;
