//! The Conventional Commit parser on any bytes (made UTF-8 lossily, NULs kept).
//!
//! Checks: `parse` never panics; what it returns is well formed; writing the
//! header back out (`kind(scope)!: description`) parses to the same thing; and
//! leading blank lines never change the answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xtask::commits::{parse, Change};

fuzz_target!(|data: &[u8]| {
    let message = String::from_utf8_lossy(data);
    let Some(c) = parse(&message) else {
        return;
    };

    // Well formed: a lower-case ASCII type, a non-empty one-line description,
    // a non-empty scope without parentheses.
    assert!(!c.kind.is_empty());
    assert!(c.kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'));
    assert!(!c.description.is_empty() && !c.description.contains('\n'));
    assert_eq!(c.description, c.description.trim());
    if let Some(scope) = &c.scope {
        assert!(!scope.is_empty() && !scope.contains(['(', ')', ':', '\n']));
    }

    // A breaking footer's description is one non-empty line, and only a break has one.
    if let Some(note) = &c.breaking_note {
        assert!(c.breaking && !note.is_empty() && !note.contains(['\n', '\r']) && note == note.trim());
    }

    // change() agrees with the fields.
    let expected = match (c.breaking, c.kind.as_str()) {
        (true, _) => Change::Breaking,
        (false, "feat") => Change::Feature,
        (false, "fix" | "perf") => Change::Fix,
        _ => Change::Other,
    };
    assert_eq!(c.change(), expected);

    // The header written back parses to the same commit (a breaking footer
    // becomes a `!`, which means the same; the footer's words stay behind).
    let scope = c.scope.as_deref().map(|s| format!("({s})")).unwrap_or_default();
    let header = format!("{}{scope}{}: {}", c.kind, if c.breaking { "!" } else { "" }, c.description);
    let headline = xtask::commits::Conventional { breaking_note: None, ..c.clone() };
    assert_eq!(parse(&header).as_ref(), Some(&headline), "header {header:?}");

    // Leading blank lines are ignored.
    assert_eq!(parse(&format!("\n\r\n {message}")).as_ref(), Some(&c));
});
