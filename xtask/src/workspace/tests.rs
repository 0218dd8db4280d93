//! Unit tests of the path helpers.

use super::*;

#[test]
fn joins() {
    assert_eq!(join_rel(".", "crates/a"), "crates/a");
    assert_eq!(join_rel("crates/a", "../b"), "crates/b");
    assert_eq!(join_rel("a", ".."), ".");
    assert_eq!(join_rel("py", "./pkgs/x/"), "py/pkgs/x");
    assert_eq!(join_within("a/b", "../../c").as_deref(), Some("c"));
    assert_eq!(join_within("a/b", "../../../c"), None);
    assert_eq!(join_within(".", "/abs/c"), None);
    assert!(is_within(".", "x") && is_within("a", "a/b") && is_within("a", "a"));
    assert!(!is_within("a", "ab/c") && !is_within("a/b", "a"));
}
