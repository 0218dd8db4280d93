//! The aggregate workspace changelog, one section per release.

use super::*;

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
