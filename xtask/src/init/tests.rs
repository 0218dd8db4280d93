use toml_edit::DocumentMut;

use super::manifests::{cargo_root, python_root};
use super::*;

#[test]
fn members_keep_their_formatting() {
    let multi = "[workspace]\nresolver = \"2\"\nmembers = [\n    \"crates/a\",\n    \"crates/b\", # the b\n]\n\n[profile.dev]\ndebug = 0\n";
    let out = add_member(multi).unwrap().unwrap();
    assert_eq!(out, multi.replace("# the b\n]", "# the b\n    \"xtask\",\n]"), "{out}");
    assert_eq!(
        add_member("[workspace]\nmembers = [\"a\"]\n").unwrap().unwrap(),
        "[workspace]\nmembers = [\"a\", \"xtask\"]\n"
    );
    assert_eq!(add_member("[workspace]\nmembers = []\n").unwrap().unwrap(), "[workspace]\nmembers = [\"xtask\"]\n");
    assert_eq!(add_member("[workspace]\nmembers = [\"*\"]\n").unwrap(), None);
    assert_eq!(add_member("[workspace]\nmembers = [\"xtask/\"]\n").unwrap(), None);
    let single = "[package]\nname = \"one\"\nversion = \"1.0.0\"";
    assert_eq!(add_member(single).unwrap().unwrap(), format!("{single}\n\n[workspace]\nmembers = [\"xtask\"]\n"));
    let root_pkg = "[package]\nname = \"one\"\n\n[workspace]\nresolver = \"2\"\n";
    assert!(add_member(root_pkg).unwrap().unwrap().contains("resolver = \"2\"\nmembers = [\"xtask\"]\n"));
    assert!(add_member("[workspace\n").is_err());
}

#[test]
fn the_alias_joins_what_is_there() {
    assert_eq!(add_alias(None).unwrap(), Alias::New("[alias]\nxtask = \"run --package xtask --\"\n".into()));
    let other = "# a comment\n[alias]\nci = \"test --workspace\"\n\n[registries.local]\nindex = \"file:///x\"\n";
    let Alias::New(out) = add_alias(Some(other)).unwrap() else { panic!() };
    assert_eq!(out, other.replace("--workspace\"\n", "--workspace\"\nxtask = \"run --package xtask --\"\n"), "{out}");
    assert_eq!(add_alias(Some(&out)).unwrap(), Alias::Present);
    let no_alias = "[build]\njobs = 1";
    assert_eq!(
        add_alias(Some(no_alias)).unwrap(),
        Alias::New(format!("{no_alias}\n\n[alias]\nxtask = \"run --package xtask --\"\n"))
    );
    assert_eq!(
        add_alias(Some("[alias]\nxtask = \"run -p tools --\"\n")).unwrap(),
        Alias::Other("\"run -p tools --\"".into())
    );
    assert!(add_alias(Some("alias = 1\n")).is_err());
}

#[test]
fn roots() {
    let doc = |t: &str| t.parse::<DocumentMut>().unwrap();
    let py = vec![
        ("py".to_string(), doc("[tool.uv.workspace]\nmembers = [\"packages/*\"]\n")),
        ("py/packages/a".to_string(), doc("[project]\nname = \"a\"\n")),
    ];
    assert_eq!(python_root(&py).unwrap().value, "py");
    let tooling = vec![(".".to_string(), doc("[tool.ruff]\n")), py[0].clone()];
    assert_eq!(python_root(&tooling).unwrap().value, "py");
    let own = vec![
        (".".to_string(), doc(OWN_WORKSPACE)),
        ("fuzz".to_string(), doc("[package]\nname = \"f\"\n[workspace]\nmembers = [\".\"]\n")),
        ("rust".to_string(), doc("[workspace]\nmembers = [\"a\"]\n")),
    ];
    assert_eq!(cargo_root(&own).unwrap().value, "rust", "the xtask's own workspace is not the project's");
    assert!(cargo_root(&own[..1]).is_none());
    let single = vec![(".".to_string(), doc("[package]\nname = \"one\"\n")), own[1].clone()];
    assert_eq!(cargo_root(&single).unwrap().value, ".");
}

#[test]
fn a_target_folder_ignored_as_a_folder_is_ignored() {
    // thiserror's .gitignore says `/target/`: a pattern for folders only, which
    // `git check-ignore target` does not match while no `target` folder exists
    let sh = xshell::Shell::new().unwrap();
    let dir = crate::test_support::TempDir::new("init-ignore");
    let root = &dir.0;
    assert!(crate::shell::succeeds(xshell::cmd!(sh, "git -C {root} init -q")));
    for (ignore, added) in [("/target/\n", false), ("target/\n", false), ("/target\n", false), ("/dist/\n", true)] {
        std::fs::write(root.join(".gitignore"), ignore).unwrap();
        let change = super::changes::ignore_target(&sh, root).unwrap();
        assert_eq!(change.is_some(), added, "{ignore:?}");
    }
}
