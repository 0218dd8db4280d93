//! Reading a changelog back for `check`: `parse`, `top_version`, `check`, `notes_of`.

use super::*;

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
