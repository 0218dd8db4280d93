//! Changelog rendering and editing, checked against golden files in
//! `tests/golden/changelog-*.md` (`UPDATE_GOLDEN=1` rewrites them; the
//! `*.input.md` files are fixed inputs).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::commits::Convention;
use crate::forge::Kind as ForgeKind;
use crate::history::{NoteStore, PackageNotes};

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

#[test]
fn every_section_with_scopes_and_links() {
    let config = ChangelogConfig::default();
    let links = github();
    let e = entry("core", Ecosystem::Cargo, "1.3.0", every_kind(), 11, Some("core-v1.2.0"));
    let s = section(&e, &ctx(&config, Some(&links), "2026-03-01")).unwrap();
    assert_eq!(s.path, "crates/core/CHANGELOG.md");
    let titles: Vec<&str> = s.groups.iter().map(|g| g.title.as_str()).collect();
    assert_eq!(titles, ["Breaking changes", "Features", "Fixes", "Performance", "Reverts", "Other changes"]);
    let file = insert(None, &s).unwrap().unwrap();
    golden("changelog-sections.md", &file);
    assert_eq!(insert(Some(&file), &s), Ok(None), "a second run adds nothing");
    assert_eq!(top_version(&file).unwrap().as_deref(), Some("1.3.0"));
    assert_eq!(notes_of(&file, "1.3.0").unwrap(), s.body());
    assert_eq!(release_notes(&s), s.body());

    // without a forge: no links, short hashes in parentheses
    let plain = section(&e, &ctx(&config, None, "2026-03-01")).unwrap();
    golden("changelog-sections-nolinks.md", &insert(None, &plain).unwrap().unwrap());

    // GitLab links live under /-/
    let gl = Links { kind: ForgeKind::GitLab, web: "https://gitlab.com/acme/tools".into() };
    let s = section(&e, &ctx(&config, Some(&gl), "2026-03-01")).unwrap();
    assert!(s.heading().contains("https://gitlab.com/acme/tools/-/compare/core-v1.2.0...core-v1.3.0"));
    assert!(s.body().contains("([#12](https://gitlab.com/acme/tools/-/issues/12))"), "{}", s.body());

    // configured sections and hidden types
    let mut config = ChangelogConfig::default();
    config.sections[0].1 = "New".into();
    config.sections.push(("security".into(), "Security".into()));
    config.hidden = vec!["revert".into()];
    let s = section(&e, &ctx(&config, None, "2026-03-01")).unwrap();
    let titles: Vec<&str> = s.groups.iter().map(|g| g.title.as_str()).collect();
    assert_eq!(titles, ["Breaking changes", "New", "Fixes", "Performance", "Documentation", "Chores", "Security"]);
}

#[test]
fn forced_synchronized_and_first_releases() {
    let config = ChangelogConfig::default();
    let links = github();
    let c = ctx(&config, Some(&links), "2026-03-01");
    let mut forced =
        entry("app", Ecosystem::Cargo, "0.4.1", vec![note('5', "chore", None, false, "tidy")], 1, Some("app-v0.4.0"));
    forced.reason =
        "forced by core: its requirement `1.2` does not admit core 2.0.0; patch release with the requirement updated"
            .into();
    forced.cause = Cause::Forced { dep: "core".into(), version: "2.0.0".into() };
    let mut synced = entry("py-core", Ecosystem::Python, "2.0.0", vec![], 0, Some("py-core-v1.2.0"));
    synced.reason = "synchronized group `core`: shares version 2.0.0 with core".into();
    synced.cause = Cause::Synchronized { group: "core".into() };
    let mut first =
        entry("cli", Ecosystem::Cargo, "0.1.0", vec![note('6', "feat", None, false, "everything")], 1, None);
    first.reason = "no release tag yet: first release of 0.1.0".into();
    let mut nothing =
        entry("docs", Ecosystem::Cargo, "1.2.1", vec![note('7', "docs", None, false, "x")], 1, Some("docs-v1.2.0"));
    nothing.reason = "no releasable changes since docs-v1.2.0, released because of --force-unchanged".into();
    let mut skipped = entry("other", Ecosystem::Cargo, "9.9.9", vec![], 0, None);
    skipped.status = Status::Skip;
    let plan = Plan {
        packages: vec![forced, synced, first, nothing, skipped],
        umbrella_tag: None,
        files: vec![],
        warnings: vec![],
    };
    let all = sections(&plan, &c);
    assert_eq!(all.len(), 4, "skipped packages have no section");
    assert_eq!(all[0].groups[0].title, DEPENDENCIES);
    // a first release lists what it has, with no compare link
    assert_eq!(all[2].compare_url, None);
    golden("changelog-forced.md", &render_markdown(&all, &vec![Style::default(); all.len()]));
    // a configured `Dependencies` section takes the forced line too: one section, not two
    let mut deps = ChangelogConfig::default();
    deps.sections.push(("deps".into(), DEPENDENCIES.into()));
    let mut e = plan.packages[0].clone();
    e.notes.store = Arc::new(NoteStore::from_notes(&[note('8', "deps", None, false, "bump serde to 1.0.200")]));
    let s = section(&e, &ctx(&deps, None, "2026-03-01")).unwrap();
    assert_eq!(s.groups.len(), 1);
    assert_eq!(s.groups[0].items.len(), 2);
    // sections survive a journal
    let back: Vec<Section> = serde_json::from_str(&serde_json::to_string(&all).unwrap()).unwrap();
    assert_eq!(back, all);
    let json: serde_json::Value = serde_json::from_str(&render_json(&all, &vec![Style::default(); all.len()])).unwrap();
    assert_eq!(json["sections"][0]["heading"], all[0].heading());
    assert_eq!(json["sections"][2]["groups"][0]["items"][0]["commit"]["hash"], "6".repeat(40));
}

#[test]
fn release_candidates_roll_up_into_the_final_release() {
    let config = ChangelogConfig::default();
    let links = github();
    let (a, b, c) = (
        note('a', "feat", None, false, "add streaming"),
        note('b', "fix", None, false, "close files"),
        note('c', "fix", Some("io"), false, "flush on drop"),
    );
    let mut file: Option<String> = None;
    // rc.1: a and b since 1.2.0
    let mut rc1 = entry("core", Ecosystem::Cargo, "1.3.0-rc.1", vec![b.clone(), a.clone()], 2, Some("core-v1.2.0"));
    rc1.last_tag = Some("core-v1.2.0".into());
    // rc.2: c since rc.1; since the last final: c, b, a
    let mut rc2 =
        entry("core", Ecosystem::Cargo, "1.3.0-rc.2", vec![c.clone(), b.clone(), a.clone()], 1, Some("core-v1.2.0"));
    rc2.last_tag = Some("core-v1.3.0-rc.1".into());
    // the promotion: nothing new since rc.2, everything since 1.2.0
    let mut fin = entry("core", Ecosystem::Cargo, "1.3.0", vec![c, b, a], 0, Some("core-v1.2.0"));
    fin.last_tag = Some("core-v1.3.0-rc.2".into());
    let mut bodies = vec![];
    for (e, date) in [(&rc1, "2026-03-01"), (&rc2, "2026-03-05"), (&fin, "2026-03-09")] {
        let s = section(e, &ctx(&config, Some(&links), date)).unwrap();
        bodies.push(s.body());
        file = Some(insert(file.as_deref(), &s).unwrap().unwrap());
    }
    let file = file.unwrap();
    golden("changelog-rc.md", &file);
    assert!(bodies[0].contains("add streaming") && !bodies[0].contains("flush on drop"));
    assert!(bodies[1].contains("flush on drop") && !bodies[1].contains("add streaming"));
    for line in ["add streaming", "close files", "flush on drop"] {
        assert!(bodies[2].contains(line), "the final release rolls up {line}");
    }
    assert!(file.contains("## [1.3.0](https://github.com/acme/tools/compare/core-v1.2.0...core-v1.3.0)"));
    assert!(file.contains("compare/core-v1.3.0-rc.1...core-v1.3.0-rc.2"));
    assert_eq!(top_version(&file).unwrap().as_deref(), Some("1.3.0"));

    // a first final release after release candidates only: everything, no compare link
    let mut first = entry("new", Ecosystem::Cargo, "1.0.0", vec![note('e', "feat", None, false, "all of it")], 0, None);
    first.last_tag = Some("new-v1.0.0-rc.1".into());
    let s = section(&first, &ctx(&config, Some(&links), "2026-03-09")).unwrap();
    assert_eq!((s.previous_tag.as_deref(), s.compare_url.as_deref()), (None, None));
    assert!(s.body().contains("all of it"));

    // PEP 440 pre-releases are pre-releases too
    let py =
        entry("pkg", Ecosystem::Python, "1.3.0rc1", vec![note('d', "feat", None, false, "x")], 1, Some("pkg-v1.2.0"));
    let s = section(&py, &ctx(&config, None, "2026-03-01")).unwrap();
    assert!(s.prerelease);
    assert_eq!(s.heading(), "## [1.3.0rc1] - 2026-03-01");
}

#[test]
fn hand_written_file_is_kept_byte_for_byte() {
    let config = ChangelogConfig::default();
    let links = github();
    let e = entry("core", Ecosystem::Cargo, "1.3.0", every_kind()[2..6].to_vec(), 4, Some("core-v1.2.0"));
    let s = section(&e, &ctx(&config, Some(&links), "2026-03-01")).unwrap();
    let before = input("changelog-handwritten.input.md");
    let after = insert(Some(&before), &s).unwrap().unwrap();
    golden("changelog-handwritten.md", &after);
    // exactly the section (and a blank line) went in, before the first `## `, in the
    // style of the newest heading (`## 1.2.0 (2025-11-02)`: no brackets, so no link)
    let at = before.find("\n## 1.2.0").unwrap() + 1;
    let style = style_of(Some(&before));
    assert_eq!(s.heading_in(&style), "## 1.3.0 (2026-03-01)");
    assert_eq!(after, format!("{}{}\n{}", &before[..at], s.markdown_in(&style), &before[at..]));
    assert_eq!(insert(Some(&after), &s), Ok(None));
    let parsed = parse(&after).unwrap();
    let versions: Vec<&str> = parsed.versions.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(versions, ["1.3.0", "1.2.0", "1.1.0"], "the heading in the code block is not one");
    // the old hand-written section reads back whole
    assert!(notes_of(&after, "v1.2.0").unwrap().contains("## not a heading: inside a code block"));
}

#[test]
fn unreleased_section_is_replaced() {
    let config = ChangelogConfig::default();
    let e = entry("core", Ecosystem::Cargo, "1.3.0", every_kind()[2..4].to_vec(), 2, Some("core-v1.2.0"));
    let s = section(&e, &ctx(&config, None, "2026-03-01")).unwrap();
    let before = input("changelog-unreleased.input.md");
    let after = insert(Some(&before), &s).unwrap().unwrap();
    golden("changelog-unreleased.md", &after);
    assert!(!after.contains("Unreleased"));
    assert!(after.ends_with(&before[before.find("## [1.2.0]").unwrap()..]), "the rest is kept");
    assert_eq!(insert(Some(&after), &s), Ok(None));
    // an [Unreleased] section at the end of a file
    let tail = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n- wip\n";
    assert_eq!(insert(Some(tail), &s).unwrap().unwrap(), format!("# Changelog\n\nIntro.\n\n{}", s.markdown()));
}

#[test]
fn crlf_files_stay_crlf() {
    let config = ChangelogConfig::default();
    let e = entry("core", Ecosystem::Cargo, "1.3.0", every_kind()[2..5].to_vec(), 3, Some("core-v1.2.0"));
    let s = section(&e, &ctx(&config, None, "2026-03-01")).unwrap();
    let before = "# Changelog\r\n\r\nHand-written.\r\n\r\n## [1.2.0] - 2025-11-02\r\n\r\n- old\r\n";
    let after = insert(Some(before), &s).unwrap().unwrap();
    assert_eq!(after.matches('\n').count(), after.matches("\r\n").count(), "only CRLF line ends:\n{after:?}");
    let at = before.find("## [1.2.0]").unwrap();
    assert!(after.starts_with(&before[..at]) && after.ends_with(&before[at..]));
    assert_eq!(after.len(), before.len() + s.markdown().len() + s.markdown().matches('\n').count() + 2);
    assert_eq!(insert(Some(&after), &s), Ok(None));
    assert_eq!(notes_of(&after, "1.3.0").unwrap(), s.body());
    // no `## ` yet: appended after the preamble, CRLF kept; no final newline: one is added before
    let bare = "# Changelog\r\n\r\nIntro.";
    let out = insert(Some(bare), &s).unwrap().unwrap();
    assert!(out.starts_with("# Changelog\r\n\r\nIntro.\r\n\r\n## [1.3.0]"), "{out:?}");
    // a blank file is a new file
    assert_eq!(insert(Some("\n"), &s).unwrap().unwrap(), format!("# Changelog\n\n{}", s.markdown()));
}

#[test]
fn workspace_changelog_gets_one_section_per_release() {
    let config = ChangelogConfig::default();
    let links = github();
    let c = |date| ctx(&config, Some(&links), date);
    let core = entry("core", Ecosystem::Cargo, "1.3.0", every_kind()[2..4].to_vec(), 2, Some("core-v1.2.0"));
    let mut app = entry("app", Ecosystem::Cargo, "0.4.1", vec![], 0, Some("app-v0.4.0"));
    app.reason =
        "forced by core: its requirement `1.2` does not admit core 1.3.0; patch release with the requirement updated"
            .into();
    app.cause = Cause::Forced { dep: "core".into(), version: "1.3.0".into() };
    let plan1 = Plan { packages: vec![core.clone(), app], umbrella_tag: None, files: vec![], warnings: vec![] };
    let heading1 = workspace_heading(&plan1, "2026-03-01");
    assert_eq!(heading1, "## 2026-03-01");
    let s1 = sections(&plan1, &c("2026-03-01"));
    // a resumed write of release 1 that got as far as `core`
    let partial = workspace_insert(None, &heading1, &s1[..1]).unwrap();
    let file = workspace_insert(Some(&partial), &heading1, &s1).unwrap();
    assert_eq!(file, workspace_insert(None, &heading1, &s1).unwrap(), "resuming adds only what is missing");
    assert_eq!(workspace_insert(Some(&file), &heading1, &s1), None);
    // a second release the same day joins the day's section
    let cli = entry("cli", Ecosystem::Cargo, "2.0.0", every_kind()[..1].to_vec(), 1, Some("cli-v1.0.0"));
    let plan2 = Plan { packages: vec![cli], umbrella_tag: None, files: vec![], warnings: vec![] };
    let file =
        workspace_insert(Some(&file), &workspace_heading(&plan2, "2026-03-01"), &sections(&plan2, &c("2026-03-01")))
            .unwrap();
    // the next day: a new section on top, with the umbrella tag
    let core2 = entry("core", Ecosystem::Cargo, "1.3.1", every_kind()[4..5].to_vec(), 1, Some("core-v1.3.0"));
    let plan3 = Plan { packages: vec![core2], umbrella_tag: Some("v1.3.1".into()), files: vec![], warnings: vec![] };
    let heading3 = workspace_heading(&plan3, "2026-03-02");
    assert_eq!(heading3, "## v1.3.1 - 2026-03-02");
    let s3 = sections(&plan3, &c("2026-03-02"));
    let file3 = workspace_insert(Some(&file), &heading3, &s3).unwrap();
    assert!(file3.ends_with(&file["# Changelog\n\n".len()..]), "older releases are untouched");
    assert_eq!(workspace_insert(Some(&file3), &heading3, &s3), None);
    golden("changelog-workspace.md", &file3);
    validate_workspace(&file3).unwrap();
    assert!(validate_workspace("## 2026-03-01\n").is_err());
    // CRLF workspace files stay CRLF
    let crlf = file3.replace('\n', "\r\n");
    let more = entry("extra", Ecosystem::Cargo, "0.1.0", vec![], 0, None);
    let plan4 = Plan { packages: vec![more], umbrella_tag: None, files: vec![], warnings: vec![] };
    let out = workspace_insert(Some(&crlf), &heading3, &sections(&plan4, &c("2026-03-02"))).unwrap();
    assert_eq!(out.matches('\n').count(), out.matches("\r\n").count());
    assert!(out.contains("### extra 0.1.0\r\n"), "{out}");
}

#[test]
fn umbrella_release_notes() {
    let config = ChangelogConfig::default();
    let links = github();
    let core = entry("core", Ecosystem::Cargo, "1.3.0", every_kind()[..6].to_vec(), 6, Some("core-v1.2.0"));
    let py = entry("py-core", Ecosystem::Python, "1.3.0rc1", every_kind()[4..6].to_vec(), 2, Some("py-core-v1.2.0"));
    let plan = Plan { packages: vec![core, py], umbrella_tag: Some("v1.3.0".into()), files: vec![], warnings: vec![] };
    let notes = umbrella_notes(&sections(&plan, &ctx(&config, Some(&links), "2026-03-01")));
    golden("changelog-umbrella-notes.md", &notes);
}

#[test]
fn parsing_for_check() {
    let ok = "# Changelog\n\n## [Unreleased]\n\n## v1.2.0 (2025-01-01)\n\n```\n## nope\n```\n\n## [1.1.0rc1]\n";
    let p = parse(ok).unwrap();
    assert!(p.unreleased);
    assert_eq!(p.versions, [("1.2.0".to_string(), 5), ("1.1.0rc1".to_string(), 11)]);
    assert_eq!(top_version(ok).unwrap().as_deref(), Some("1.2.0"));
    assert_eq!(top_version("# Changelog\n\nNothing yet.\n").unwrap(), None);
    let err = |t: &str| parse(t).unwrap_err();
    assert_eq!(err("").line, 0);
    assert_eq!(err("Just text.\n").message, "no `# ` title (e.g. `# Changelog`)");
    assert_eq!(err("## [1.0.0]\n\n# Changelog\n").line, 1);
    let e = err("# Changelog\n\n## [1.0.0] - x\n\n## Old stuff\n");
    assert_eq!(e.line, 5);
    assert_eq!(e.to_string(), "line 5: `## Old stuff` is not a version heading (`## [1.2.0] - 2026-01-02`)");
    assert!(parse("# Changelog\n\n## [1.0] - 2020\n").is_ok(), "a PEP 440 version");
    assert!(parse("# Changelog\n\n## 2026-01-01\n").is_err(), "a date is not a version");
    // check: the manifest version is the top heading
    let text = "# Changelog\n\n## [1.2.0rc1] - 2026-01-01\n";
    assert_eq!(check(text, Ecosystem::Python, "1.2.0rc1"), Ok(()));
    assert_eq!(check(text, Ecosystem::Python, "1.2.0-rc1"), Ok(()), "compared as PEP 440 versions");
    assert_eq!(
        check(text, Ecosystem::Python, "1.3.0"),
        Err("the newest section is 1.2.0rc1, but the manifest says 1.3.0".into())
    );
    assert_eq!(check("# Changelog\n", Ecosystem::Cargo, "0.1.0"), Ok(()));
    assert!(check("no title", Ecosystem::Cargo, "0.1.0").unwrap_err().contains("no `# ` title"));
    assert_eq!(notes_of(text, "9.9.9"), None);
}

#[test]
fn dates() {
    assert_eq!(date_of(0), "1970-01-01");
    assert_eq!(date_of(-1), "1969-12-31");
    assert_eq!(date_of(951_782_400), "2000-02-29");
    assert_eq!(date_of(1_767_225_600), "2026-01-01");
    assert_eq!(date_of(4_107_542_399), "2100-02-28");
    assert_eq!(today().len(), 10);
}

// ---- real changelogs -------------------------------------------------------------
//
// Excerpts of real files, byte for byte, kept as inputs in tests/golden/:
// - changelog-tokio.input.md: tokio-rs/tokio ea91b33 tokio/CHANGELOG.md lines 1-182 (1.53.1 down to
//   1.52.0; 1.52.1 has `## Fixed` under its `# ` heading)
// - changelog-tokio-util.input.md: the same commit, tokio-util/CHANGELOG.md lines 1-61 (no `## ` at all)
// - changelog-ruff.input.md: astral-sh/ruff fca5c7c CHANGELOG.md lines 1-59 (0.16.4) and 334-392
//   (the `## 0.15.x` links to archived changelogs)
// - changelog-untether.input.md: littlebearapps/untether 021fbe0 CHANGELOG.md lines 1-70

fn tokio_notes() -> Vec<Note> {
    vec![
        note('a', "feat", Some("sync"), false, "add `blocking_acquire` methods to `Semaphore` (#8269)"),
        note('b', "fix", Some("io"), false, "handle empty vectored writes in simplex (#8353)"),
    ]
}

#[test]
fn tokio_changelogs_get_the_section_on_top_in_their_own_style() {
    let config = ChangelogConfig::default();
    let links = github();
    for (file, name, next, heading) in [
        ("changelog-tokio", "tokio", "1.54.0", "# 1.54.0 (August 21st, 2026)\n\n### "),
        ("changelog-tokio-util", "tokio-util", "0.7.20", "# 0.7.20 (August 21st, 2026)\n\n### "),
    ] {
        let e = entry(name, Ecosystem::Cargo, next, tokio_notes(), 2, Some("last"));
        let s = section(&e, &ctx(&config, Some(&links), "2026-08-21")).unwrap();
        let before = input(&format!("{file}.input.md"));
        assert_eq!(check(&before, Ecosystem::Cargo, &top_version(&before).unwrap().unwrap()), Ok(()), "{file}");
        let after = insert(Some(&before), &s).unwrap().unwrap();
        assert!(after.starts_with(heading), "{file}: the new section is not on top:\n{}", &after[..300]);
        assert!(after.ends_with(&before), "{file}: every byte of the file stays, below the new section");
        golden(&format!("{file}.md"), &after);
        assert_eq!(top_version(&after).unwrap().as_deref(), Some(next));
        assert_eq!(check(&after, Ecosystem::Cargo, next), Ok(()));
        assert_eq!(notes_of(&after, next).unwrap(), s.body());
        assert_eq!(insert(Some(&after), &s), Ok(None), "a second run adds nothing");
    }
}

#[test]
fn untether_changelog_keeps_its_v_and_parenthesized_dates() {
    let config = ChangelogConfig::default();
    let e = entry("untether", Ecosystem::Python, "0.33.0", tokio_notes(), 2, Some("v0.32.1"));
    let s = section(&e, &ctx(&config, None, "2026-03-07")).unwrap();
    let before = input("changelog-untether.input.md");
    let after = insert(Some(&before), &s).unwrap().unwrap();
    let at = before.find("## v0.32.1").unwrap();
    assert!(after.starts_with("# changelog\n\n## v0.33.0 (2026-03-07)\n\n### "), "{}", &after[..200]);
    assert!(after.ends_with(&before[at..]));
    golden("changelog-untether.md", &after);
    assert_eq!(check(&after, Ecosystem::Python, "0.33.0"), Ok(()));
}

#[test]
fn ruff_archive_links_are_no_error_and_its_dates_stay_in_the_body() {
    let before = input("changelog-ruff.input.md");
    // `## 0.15.x` links to an archived changelog: not a version, not an error
    assert_eq!(check(&before, Ecosystem::Cargo, "0.16.4"), Ok(()));
    let p = parse(&before).unwrap();
    assert_eq!(p.versions, [("0.16.4".to_string(), 3)]);
    let config = ChangelogConfig::default();
    let e = entry("ruff", Ecosystem::Cargo, "0.16.5", tokio_notes(), 2, Some("0.16.4"));
    let s = section(&e, &ctx(&config, None, "2026-08-21")).unwrap();
    let after = insert(Some(&before), &s).unwrap().unwrap();
    assert!(after.starts_with("# Changelog\n\n## 0.16.5\n\nReleased on 2026-08-21.\n\n### "), "{}", &after[..200]);
    assert!(after.ends_with(&before["# Changelog\n\n".len()..]));
    golden("changelog-ruff.md", &after);
    assert_eq!(check(&after, Ecosystem::Cargo, "0.16.5"), Ok(()));
}

#[test]
fn no_right_place_is_an_error_never_a_guess() {
    let config = ChangelogConfig::default();
    let at = |next: &str| {
        let e = entry("core", Ecosystem::Cargo, next, tokio_notes(), 2, Some("core-v1.0.0"));
        section(&e, &ctx(&config, None, "2026-03-01")).unwrap()
    };
    // oldest first: the tool cannot tell whether the new section goes on top or at the end
    let oldest_first = "# Changelog\n\n## [1.0.0] - 2025-01-01\n\n- a\n\n## [1.1.0] - 2025-02-01\n\n- b\n";
    let err = insert(Some(oldest_first), &at("1.2.0")).unwrap_err();
    assert_eq!(err.line, 7);
    assert!(err.message.contains("not newest first (1.1.0 at line 7 is below 1.0.0 at line 3)"), "{err}");
    // a heading at the versions' level that is not a version: the file is not understood
    let notes = "# Changelog\n\n## [1.0.0] - 2025-01-01\n\n## Notes\n";
    assert_eq!(insert(Some(notes), &at("1.1.0")).unwrap_err().line, 5);
    // a backport goes above the newest version older than it; below every version it has no place
    let two = "# Changelog\n\n## [2.0.0] - 2025-03-01\n\n- c\n\n## [1.0.0] - 2025-01-01\n\n- a\n";
    let out = insert(Some(two), &at("1.0.1")).unwrap().unwrap();
    assert!(out.contains("- c\n\n## [1.0.1] - 2026-03-01\n\n### Features"), "{out}");
    assert!(out.ends_with("## [1.0.0] - 2025-01-01\n\n- a\n"));
    let err = insert(Some(two), &at("0.9.0")).unwrap_err();
    assert_eq!(err.to_string(), "line 7: every version in it is newer than 0.9.0 (the oldest is 1.0.0)");
    // ruff's archived series are no versions to go above
    let ruff = input("changelog-ruff.input.md");
    assert!(insert(Some(&ruff), &at("0.15.9")).unwrap_err().message.contains("(the oldest is 0.16.4)"));
    // a file whose versions are `# ` headings has no title; its `## ` headings are groups
    let tokio = parse(&input("changelog-tokio.input.md")).unwrap();
    assert_eq!(tokio.title, None);
    assert_eq!(tokio.versions.len(), 7);
    assert_eq!(parse(&input("changelog-ruff.input.md")).unwrap().title.as_deref(), Some("Changelog"));
    // `# Unreleased` in a tokio-style file is replaced by the section, in that style
    let unreleased = "# Unreleased\n\n- wip\n\n# 1.0.0 (January 3rd, 2026)\n\n### Added\n\n- a\n";
    let out = insert(Some(unreleased), &at("1.1.0")).unwrap().unwrap();
    assert!(out.starts_with("# 1.1.0 (March 1st, 2026)\n\n### Features\n"), "{out}");
    assert!(out.ends_with("\n\n# 1.0.0 (January 3rd, 2026)\n\n### Added\n\n- a\n") && !out.contains("wip"), "{out}");
}

/// The notes the history keeps of `messages` (newest first): commits touching `crates/core`.
fn notes_from_log(messages: &[&str]) -> Vec<Note> {
    notes_from_log_as(Convention::Conventional, messages)
}

fn notes_from_log_as(convention: Convention, messages: &[&str]) -> Vec<Note> {
    let packages = vec![crate::test_support::package("crates/core")];
    let nonce = "XTASKRECt";
    let hash = |i: usize| format!("{:040x}", i + 1);
    let mut bytes = vec![];
    for (i, m) in messages.iter().enumerate() {
        let parent = if i + 1 < messages.len() { hash(i + 1) } else { String::new() };
        bytes.extend_from_slice(format!("\0{nonce}{} {parent}\0{m}\0\ncrates/core/src/lib.rs\0", hash(i)).as_bytes());
    }
    let mut parser = crate::history::LogParser::new(nonce, &packages, convention);
    parser.feed(&bytes);
    let log = parser.finish();
    let hs = crate::history::analyze(&log, &[], &packages, &|_| vec!["core-v{version}".into()]);
    hs[0].notes.since_tag().collect()
}

#[test]
fn breaking_footers_keep_their_description() {
    let notes = notes_from_log(&[
        "feat(parser): validate input\n\nThe parser checks what it gets.\n\nBREAKING CHANGE: input must now be non-empty\nRefs: #12",
        "refactor!: move the config file\n\nBREAKING-CHANGE: it is read from\n`~/.config/core.toml` (#31)\nSigned-off-by: A <a@example.com>",
        "fix!: drop `--legacy`",
        "feat: same words\n\nBREAKING CHANGE: same words",
    ]);
    let config = ChangelogConfig::default();
    let links = github();
    let e = entry("core", Ecosystem::Cargo, "2.0.0", notes, 4, Some("core-v1.2.0"));
    let s = section(&e, &ctx(&config, Some(&links), "2026-03-01")).unwrap();
    assert_eq!(s.groups[0].title, BREAKING);
    let lines: Vec<&str> = s.groups[0].items.iter().map(|i| i.markdown.as_str()).collect();
    let commit = |n: usize| format!("([{0:.7}](https://github.com/acme/tools/commit/{0}))", format!("{n:040x}"));
    assert_eq!(
        lines,
        [
            format!("same words {}", commit(4)),
            format!("drop `--legacy` {}", commit(3)),
            format!(
                "move the config file — it is read from `~/.config/core.toml` ([#31](https://github.com/acme/tools/issues/31)) {}",
                commit(2)
            ),
            format!("**parser:** validate input — input must now be non-empty {}", commit(1)),
        ]
    );
}

#[test]
fn area_commits_keep_their_area_under_changes() {
    // tokio's own history (tokio-rs/tokio ea91b33 and its parents), newest first
    let notes = notes_from_log_as(
        Convention::Area,
        &[
            "rt: rename `shared` to `sharded` in internal ShardedList (#8364)",
            "chore: prepare Tokio v1.53.1 (#8302)",
            "sync: add `blocking_acquire` methods to `Semaphore` (#8269)",
            "time (alt timer): ensure timers stay in the same runtime after `.reset()` (#8169)",
            "Revert \"Pin stable to 1.94 for tokio-1.51.x\" (#8106)",
            "sync: remove `Semaphore::forget_permits`\n\nBREAKING CHANGE: use `SemaphorePermit::forget`",
        ],
    );
    assert_eq!(notes.len(), 6);
    let config = ChangelogConfig::default();
    let c = Context { config: &config, links: None, date: "2026-08-21", convention: Convention::Area };
    let e = entry("tokio", Ecosystem::Cargo, "1.54.0", notes.clone(), 6, Some("tokio-1.53.1"));
    let s = section(&e, &c).unwrap();
    let shown: Vec<(&str, Vec<&str>)> = s
        .groups
        .iter()
        .map(|g| (g.title.as_str(), g.items.iter().map(|i| i.markdown.split(" (0").next().unwrap()).collect()))
        .collect();
    assert_eq!(
        shown,
        [
            (BREAKING, vec!["sync: remove `Semaphore::forget_permits` — use `SemaphorePermit::forget`"]),
            (
                CHANGES,
                vec![
                    "Revert \"Pin stable to 1.94 for tokio-1.51.x\" (#8106)",
                    "time (alt timer): ensure timers stay in the same runtime after `.reset()` (#8169)",
                    "sync: add `blocking_acquire` methods to `Semaphore` (#8269)",
                    "rt: rename `shared` to `sharded` in internal ShardedList (#8364)",
                ]
            ),
        ],
        "`chore` is hidden like the type; every other area is kept, in the text"
    );
    // the same messages read as Conventional Commits: areas become types, all "Other changes", areas dropped
    let conventional = notes_from_log(&["macros: upgrade syn to v3"]);
    assert_eq!((conventional[0].kind.as_str(), conventional[0].description.as_str()), ("macros", "upgrade syn to v3"));
    // a `[changelog.sections]` title for `change` names the group
    let mut named = ChangelogConfig::default();
    named.sections.push(("change".into(), "Changed".into()));
    let s = section(&e, &Context { config: &named, ..c }).unwrap();
    assert_eq!(s.groups[1].title, "Changed");
}
