//! Changelog rendering and editing, checked against golden files in
//! `tests/golden/changelog-*.md` (`UPDATE_GOLDEN=1` rewrites them; the
//! `*.input.md` files are fixed inputs).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::commits::Convention;
use crate::forge::Kind as ForgeKind;
use crate::history::{NoteStore, PackageNotes};
use crate::plan::{Cause, Plan, Status};
use crate::version::{Ecosystem, Version};

mod insert;
mod read;
mod render;
mod workspace;

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden").join(name)
}

#[track_caller]
pub(crate) fn golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden file {}: run with UPDATE_GOLDEN=1", path.display()));
    assert!(
        expected == actual,
        "{name} differs from the golden file (UPDATE_GOLDEN=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

fn input(name: &str) -> String {
    std::fs::read_to_string(golden_path(name)).unwrap()
}

fn note(seed: char, kind: &str, scope: Option<&str>, breaking: bool, description: &str) -> Note {
    Note {
        hash: seed.to_string().repeat(40),
        kind: kind.into(),
        scope: scope.map(str::to_string),
        breaking,
        description: description.into(),
        breaking_note: None,
        refs: crate::commits::references(description).into_iter().map(|(_, n)| n).collect(),
    }
}

/// A released entry. `notes` newest first; the first `since_tag` of them are
/// since the last tag, all of them since `last_final`.
fn entry(
    name: &str,
    eco: Ecosystem,
    next: &str,
    notes: Vec<Note>,
    since_tag: usize,
    last_final: Option<&str>,
) -> Entry {
    let n = notes.len() as u32;
    // through serde, as a journal would give it back: the entry's field types may change
    let mut e: Entry = serde_json::from_value(serde_json::json!({
        "name": name,
        "ecosystem": eco,
        "path": format!("crates/{name}"),
        "manifest": format!("crates/{name}/Cargo.toml"),
        "version": "1.2.0",
        "next_version": next,
        "bump": "minor",
        "status": "release",
        "reason": "commits",
        "level": 0,
        "order": 1,
        "dependencies": [],
        "tag": format!("{name}-v{next}"),
        "last_tag": last_final,
        "commits": since_tag,
    }))
    .unwrap();
    e.next = Some(Version::parse(eco, next).unwrap());
    e.notes = PackageNotes {
        store: Arc::new(NoteStore::from_notes(&notes)),
        since_tag: (0..since_tag as u32).collect(),
        since_final: (0..n).collect(),
        last_final_tag: last_final.map(str::to_string),
    };
    e
}

fn github() -> Links {
    Links { kind: ForgeKind::GitHub, web: "https://github.com/acme/tools".into() }
}

fn ctx<'a>(config: &'a ChangelogConfig, links: Option<&'a Links>, date: &'a str) -> Context<'a> {
    Context { config, links, date, convention: Convention::Conventional }
}

fn every_kind() -> Vec<Note> {
    vec![
        note('a', "feat", Some("api"), true, "drop the v1 endpoints (#40)"),
        note('b', "refactor", None, true, "rename `Config` to `Settings`"),
        note('c', "feat", Some("parser"), false, "add arrays (#12)"),
        note('d', "feat", None, false, "streaming output"),
        note('e', "fix", Some("io"), false, "retry on EINTR (#15, fixes #14)"),
        note('f', "perf", None, false, "hash with SipHash-1-3"),
        note('0', "revert", None, false, "\"feat: colors\""),
        note('1', "docs", None, false, "fix a typo"),
        note('2', "chore", Some("deps"), false, "bump serde"),
        note('3', "security", None, false, "check the archive's paths"),
        note('4', "fix", None, false, "C# names in #tags are not references"),
    ]
}
