//! Unit tests of version files: `var = "..."` lines, hatch's default and custom patterns.

use super::dynamic::find_assignment;
use super::VersionPattern;

#[test]
fn assignments() {
    assert_eq!(find_assignment("x = 1\n__version__ = \"1.2.3\"\n", "__version__").as_deref(), Some("1.2.3"));
    assert_eq!(find_assignment("__version__: str = '0.1'", "__version__").as_deref(), Some("0.1"));
    assert_eq!(find_assignment("__version_info__ = (1,)", "__version__"), None);
}

fn found(pattern: &VersionPattern, text: &str) -> Option<String> {
    pattern.find(text).map(|(a, b)| text[a..b].to_string())
}

/// hatch's default pattern: `__version__` or `VERSION`, any case, annotated or not, `v` prefix dropped.
#[test]
fn hatch_default_pattern() {
    let d = VersionPattern::hatch_default();
    assert_eq!(found(&d, "x = 1\n__version__ = \"1.2.3\"\n").as_deref(), Some("1.2.3"));
    assert_eq!(found(&d, "VERSION = '0.4.0'\n").as_deref(), Some("0.4.0"));
    assert_eq!(found(&d, "__version__: str = \"2.0\"").as_deref(), Some("2.0"));
    assert_eq!(found(&d, "version = \"v3.1\"").as_deref(), Some("3.1"));
    assert_eq!(found(&d, "__version_info__ = (1, 2)\nMY_VERSION = '9'\n"), None);
    assert_eq!(found(&d, "__version__ = \"1.0'"), None, "the closing quote must be the opening one");
}

#[test]
fn custom_patterns() {
    let p = VersionPattern::parse("BUILD = 'b(?P<version>[^']+)'");
    // a negated class inside the group is fine: the group ends where the rest matches
    let p = p.unwrap();
    assert_eq!(found(&p, "BUILD = 'b1.2.3'\n").as_deref(), Some("1.2.3"));
    let p = VersionPattern::parse(r#"^version\s*=\s*"(?P<version>[^"]+)""#).unwrap();
    assert_eq!(found(&p, "name = \"x\"\nversion  =  \"0.9.1\"\n").as_deref(), Some("0.9.1"));
    let p = VersionPattern::parse(r#"__version__ = version = ['"](?P<version>.+)['"]"#).unwrap();
    assert_eq!(found(&p, "__version__ = version = '1.0.0'\n").as_deref(), Some("1.0.0"));
    for bad in [r"(?P<version>\d+)\.\d+", "v(?P<version>.*)$x", "no group here", r"(?<=a)(?P<version>x)"] {
        assert!(VersionPattern::parse(bad).is_err(), "{bad} should be refused");
    }
}
