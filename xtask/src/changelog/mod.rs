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
//!
//! Here: the section model (`Section`, `Group`, `Item`) and its Markdown. In
//! `render` the notes → sections grouping, `read` parsing a file back, `insert`
//! writing into one, `workspace` the aggregate file, `output` release notes and
//! the command's output, `style` a file's heading style, `date` the date.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::commits::Convention;
use crate::config::ChangelogConfig;
use crate::forge::Links;
use crate::history::Note;
use crate::plan::Entry;

mod date;
mod insert;
mod output;
mod read;
mod render;
mod style;
mod workspace;

pub use date::{date_of, today};
pub use insert::{insert, style_of};
pub use output::{release_notes, render_json, render_markdown, umbrella_notes};
pub use read::{check, notes_of, parse, top_version, ParseError, Parsed};
pub use render::{section, sections};
pub use style::Style;
pub use workspace::{validate_workspace, workspace_heading, workspace_insert};

pub const TITLE: &str = "# Changelog";
pub const BREAKING: &str = "Breaking changes";
pub const OTHER: &str = "Other changes";
pub const DEPENDENCIES: &str = "Dependencies";
/// The title of the group of `area: subject` commits, unless `[changelog.sections]` names one for `change`.
pub const CHANGES: &str = "Changes";

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

#[cfg(test)]
pub(crate) mod tests;
