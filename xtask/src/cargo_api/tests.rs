use super::*;

/// What `cargo publish` (cargo 1.95) sent for a crate with every metadata field and every shape of
/// dependency (optional, renamed, target-specific with a `cfg(…)` cargo re-renders, build, dev, from
/// crates.io and from the registry itself), captured at the registry from the real request, next to
/// the `Cargo.toml` cargo put in that `.crate`.
#[test]
fn the_metadata_is_what_cargo_publish_sends() {
    let manifest = include_str!("full.Cargo.toml");
    let cargo: Value = serde_json::from_str(include_str!("full.cargo-publish.json")).unwrap();
    let readme = |path: &str| (path == "README.md").then(|| "# Full readme\n".to_string());
    let ours = new_crate(manifest, readme, Some("file:///tmp/cap/reg")).unwrap();
    assert_eq!(ours, cargo);
    // the order of the dependencies is cargo's too (registries keep it in the index)
    assert_eq!(ours["deps"].to_string(), cargo["deps"].to_string());
}

#[test]
fn to_crates_io_a_dependency_from_crates_io_names_no_registry() {
    let manifest = "[package]\nname = \"a\"\nversion = \"1.0.0\"\n\n[dependencies.serde]\nversion = \"1\"\n\n\
                    [dependencies.other]\nversion = \"0.2\"\nregistry-index = \"sparse+https://example.com/index/\"\n";
    let meta = new_crate(manifest, |_| None, None).unwrap();
    assert_eq!(meta["deps"][1]["name"], "serde");
    assert!(meta["deps"][1].get("registry").is_none(), "{meta}");
    assert_eq!(meta["deps"][0]["registry"], "sparse+https://example.com/index/");
    assert_eq!(meta["deps"][0]["version_req"], "^0.2");
}

#[test]
fn cfg_targets_are_rendered_as_cargo_renders_them() {
    assert_eq!(platform("cfg(unix)").as_deref(), Some("cfg(unix)"));
    assert_eq!(platform("cfg(target_os=\"linux\")").as_deref(), Some("cfg(target_os = \"linux\")"));
    assert_eq!(
        platform("cfg(any(windows,all( unix , target_pointer_width=\"64\")))").as_deref(),
        Some("cfg(any(windows, all(unix, target_pointer_width = \"64\")))")
    );
    assert_eq!(platform("x86_64-unknown-linux-gnu").as_deref(), Some("x86_64-unknown-linux-gnu"));
    assert_eq!(platform("cfg(not(a, b))"), None);
}

#[test]
fn an_artifact_dependency_is_left_to_cargo() {
    let manifest =
        "[package]\nname = \"a\"\nversion = \"1.0.0\"\n\n[dependencies.b]\nversion = \"1\"\nartifact = \"bin\"\n";
    assert!(matches!(new_crate(manifest, |_| None, None), Err(Unsupported(_))));
}

#[test]
fn the_body_is_two_length_prefixed_parts() {
    let b = body(&json!({"name": "a"}), b"CRATE");
    let n = u32::from_le_bytes(b[..4].try_into().unwrap()) as usize;
    assert_eq!(&b[4..4 + n], br#"{"name":"a"}"#);
    assert_eq!(u32::from_le_bytes(b[4 + n..8 + n].try_into().unwrap()), 5);
    assert_eq!(&b[8 + n..], b"CRATE");
}

#[test]
fn a_registry_answer_with_errors_is_a_refusal_and_warnings_are_read() {
    assert_eq!(
        errors_in(r#"{"errors":[{"detail":"crate exists"},{"detail":"bad"}]}"#).as_deref(),
        Some("crate exists; bad")
    );
    assert_eq!(errors_in(r#"{"warnings":{}}"#), None);
    let w = warnings_in(r#"{"warnings":{"invalid_categories":["x"],"invalid_badges":[],"other":["note"]}}"#);
    assert_eq!(w, vec!["the registry ignored these categories: x".to_string(), "note".to_string()]);
}
