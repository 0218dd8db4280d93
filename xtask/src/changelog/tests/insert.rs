//! `insert` into existing files: hand-written, `[Unreleased]`, CRLF, real
//! changelogs in their own styles, and files with no right place.

use super::*;

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
