//! The notes model: a plan entry's notes grouped into a `Section` (`sections`,
//! `section`), hidden notes left out, one Markdown line per commit.

use std::fmt::Write as _;

use super::{path, Context, Group, Item, Section, BREAKING, CHANGES, DEPENDENCIES, OTHER};
use crate::commits::{Convention, AREA_KIND};
use crate::history::Note;
use crate::plan::{Cause, Entry, Plan, Status};
use crate::version::Version;

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
