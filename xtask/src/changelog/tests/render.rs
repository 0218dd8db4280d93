//! Rendering sections from notes: groups, links, forced/synchronized/first
//! releases, release-candidate roll-up, release notes, dates, commit footers.

use super::*;

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
fn dates() {
    assert_eq!(date_of(0), "1970-01-01");
    assert_eq!(date_of(-1), "1969-12-31");
    assert_eq!(date_of(951_782_400), "2000-02-29");
    assert_eq!(date_of(1_767_225_600), "2026-01-01");
    assert_eq!(date_of(4_107_542_399), "2100-02-28");
    assert_eq!(today().len(), 10);
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
