use std::sync::Arc;

use super::*;

fn pkg(dir: &str) -> Package {
    crate::test_support::package(dir)
}

fn hostile_log(nonce: &str) -> Vec<u8> {
    let h1 = "a".repeat(40);
    let h2 = "b".repeat(40);
    let mut out = Vec::new();
    out.extend_from_slice(
        format!(
            "\0{nonce}{h1} {h2}\0feat: x\n\nbody \u{1e}\u{1f} XTASKREC {nonce}\n\0\ncrates/a/src/lib.rs\0py/b c/x.py\0"
        )
        .as_bytes(),
    );
    out.extend_from_slice(format!("\0{nonce}{h2} \0fix: bad ").as_bytes());
    out.extend_from_slice(b"\xff bytes\n\n\nBREAKING CHANGE: yes\0\ncrates/a/Cargo.toml\0README.md\0");
    out
}

#[test]
fn notes_since_the_last_tag_and_the_last_final_tag() {
    let nonce = "XTASKRECn";
    let packages = vec![pkg("crates/a"), pkg("crates/b")];
    let h = |n: u8| format!("{n}").repeat(40);
    // newest first: 5 feat(api)! (#5), 4 not conventional, 3 chore (tag rc), 2 fix (a and b), 1 feat (tag 1.1.0)
    let commits = [
        (5, "feat(api)!: e (#5)", "crates/a/x"),
        (4, "tidy up", "crates/a/x"),
        (3, "chore: c", "crates/a/x"),
        (2, "fix(io): b\n\nbody", "crates/a/x\0crates/b/y"),
        (1, "feat: a", "crates/a/x"),
    ];
    let mut bytes = vec![];
    for (n, msg, files) in commits {
        let parent = if n > 1 { h(n - 1) } else { String::new() };
        bytes.extend_from_slice(format!("\0{nonce}{} {parent}\0{msg}\0\n{files}\0", h(n)).as_bytes());
    }
    let mut parser = LogParser::new(nonce, &packages, Convention::Conventional);
    parser.feed(&bytes);
    let log = parser.finish();
    assert_eq!(log.notes.len(), 4, "the non-conventional commit has no note");
    assert_eq!(log.text, "e (#5)cba", "of the messages only the descriptions are kept, no body");
    let tags = vec![Tag { name: "a-v1.1.0".into(), commit: h(1) }, Tag { name: "a-v1.2.0-rc.1".into(), commit: h(3) }];
    let hs = analyze(&log, &tags, &packages, &|i| vec![format!("{}-v{{version}}", packages[i].name)]);
    let a = &hs[0].notes;
    let descriptions = |it: Vec<Note>| it.iter().map(|n| n.description.clone()).collect::<Vec<_>>();
    assert_eq!(descriptions(a.since_tag().collect()), ["e (#5)"]);
    assert_eq!(descriptions(a.since_final().collect()), ["e (#5)", "c", "b"]);
    assert_eq!(a.last_final_tag.as_deref(), Some("a-v1.1.0"));
    let e = a.since_tag().next().unwrap();
    assert_eq!(
        (e.kind.as_str(), e.scope.as_deref(), e.breaking, e.refs.as_slice()),
        ("feat", Some("api"), true, &[5][..])
    );
    assert_eq!(e.hash, h(5));
    assert_eq!(e.short(), "5555555");
    let b = &hs[1].notes;
    assert_eq!(descriptions(b.since_final().collect()), ["b"]);
    assert_eq!(b.since_tag, b.since_final);
    assert!(b.last_final_tag.is_none());
    // one shared list, only the commits some package needs (not `feat: a`, before a-v1.1.0)
    assert!(Arc::ptr_eq(&a.store, &b.store));
    assert_eq!(a.store.len(), 3);
    assert_eq!(a.since_final[2], b.since_final[0]);
}

#[test]
fn a_breaking_footer_is_kept_and_nothing_else_of_the_body() {
    let packages = vec![pkg("crates/a")];
    let msg = "fix(io): b\n\nA long body\nthat no changelog shows.\n\nBREAKING CHANGE: reads are buffered\nRefs: #3";
    let bytes = format!("\0XTASKRECf{} \0{msg}\0\ncrates/a/x\0", "1".repeat(40));
    let mut parser = LogParser::new("XTASKRECf", &packages, Convention::Conventional);
    parser.feed(bytes.as_bytes());
    let log = parser.finish();
    assert_eq!(log.text, "b\0reads are buffered");
    let hs = analyze(&log, &[], &packages, &|_| vec!["a-v{version}".into()]);
    let n = hs[0].notes.since_tag().next().unwrap();
    assert_eq!((n.description.as_str(), n.breaking_note.as_deref()), ("b", Some("reads are buffered")));
    // a note built by hand packs and unpacks alike, a NUL in its text dropped
    let back = NoteStore::from_notes(&[Note { description: "x\0y".into(), ..n.clone() }]).get(0);
    assert_eq!((back.description.as_str(), back.breaking_note.as_deref()), ("xy", Some("reads are buffered")));
}

#[test]
fn parses_hostile_messages_in_any_chunking() {
    let nonce = "XTASKRECabc";
    let packages = vec![pkg("crates/a"), pkg("py/b c")];
    let bytes = hostile_log(nonce);
    for chunk in [1, 2, 3, 7, 64, bytes.len()] {
        let mut p = LogParser::new(nonce, &packages, Convention::Conventional);
        for c in bytes.chunks(chunk) {
            p.feed(c);
        }
        let log = p.finish();
        assert_eq!(log.commits.len(), 2, "chunk {chunk}");
        assert_eq!(log.commits[0].parents, vec![oid(&"b".repeat(40)).unwrap()]);
        assert_eq!(log.commits[0].touched, vec![0, 1]);
        assert_eq!(log.kinds[log.commits[0].kind as usize], "feat");
        assert_eq!(log.commits[1].change, Change::Breaking);
        assert_eq!(log.commits[1].touched, vec![0], "README.md belongs to no package");
        assert!(log.commits[1].parents.is_empty());
    }
}
