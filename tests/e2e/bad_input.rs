//! Bad input: each case gets its named code, exit 1, a `help:` line, and
//! leaves every byte of the repository (work tree and .git) as it was.

use crate::fixtures::{crate_manifest, mixed, py_manifest};
use crate::support::{xtask, Repo};

/// Applies `setup` to a committed mixed repository, then runs `args` and
/// checks the code and that nothing changed.
fn case(code: &str, setup: impl Fn(&Repo), args: &[&str]) {
    let repo = mixed();
    setup(&repo);
    let before = repo.fingerprint();
    repo.xtask(args).fails_with(code);
    assert_eq!(before, repo.fingerprint(), "{code}: the repository changed");
}

#[test]
fn cycle() {
    case(
        "XR030",
        |r| {
            r.write(
                "crates/core/Cargo.toml",
                &crate_manifest("core", "1.0.0", "app = { version = \"0.1\", path = \"../app\" }\n"),
            );
        },
        &["plan"],
    );
    let repo = mixed();
    repo.write(
        "crates/core/Cargo.toml",
        &crate_manifest("core", "1.0.0", "app = { version = \"0.1\", path = \"../app\" }\n"),
    );
    let run = repo.xtask(&["graph"]).fails_with("XR030");
    assert!(run.stderr.contains("app -> net -> core -> app"), "{}", run.stderr);
}

#[test]
fn self_dependency() {
    case(
        "XR031",
        |r| {
            r.write("py/packages/models/pyproject.toml", &py_manifest("models", "1.2.0", &["models>=1"], &[]));
        },
        &["plan"],
    );
}

#[test]
fn malformed_manifests() {
    case(
        "XR020",
        |r| {
            r.write("crates/net/Cargo.toml", "[package\nname = ");
        },
        &["plan"],
    );
    case(
        "XR020",
        |r| {
            r.write("py/packages/client/pyproject.toml", "[project]\nname = 'client'\nversion = \"0.5.0\nx");
        },
        &["plan"],
    );
    case(
        "XR020",
        |r| {
            r.write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"\n");
        },
        &["graph"],
    );
}

#[test]
fn member_glob_matching_nothing() {
    case(
        "XR021",
        |r| {
            r.write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\", \"nothing/here*\"]\n");
        },
        &["plan"],
    );
    // uv ignores a members entry that matches nothing (issue 9): `check` warns, `plan` goes on
    let repo = mixed();
    repo.write("py/pyproject.toml", "[tool.uv.workspace]\nmembers = [\"packages/*\", \"gone\"]\n");
    let before = repo.fingerprint();
    repo.xtask(&["plan"]).ok();
    let check = repo.xtask(&["check"]);
    assert!(check.stdout.contains("warn membership"), "{}", check.stdout);
    assert!(check.stdout.contains("members entry `gone` matches no folder"), "{}", check.stdout);
    assert_eq!(before, repo.fingerprint(), "the repository changed");
}

#[test]
fn unknown_config_key() {
    let repo = mixed();
    repo.write("xtask-release.toml", "[python]\nroot = \"py\"\n[tags]\npakage = \"{name}-v{version}\"\n");
    let before = repo.fingerprint();
    let run = repo.xtask(&["plan"]).fails_with("XR011");
    assert!(run.stderr.contains("did you mean `tags.package`"), "{}", run.stderr);
    assert_eq!(before, repo.fingerprint());
    case(
        "XR010",
        |r| {
            r.write("xtask-release.toml", "[python\n");
        },
        &["plan"],
    );
    case(
        "XR012",
        |r| {
            r.write("xtask-release.toml", "[release]\nsmoke-test = \"yes\"\n");
        },
        &["plan"],
    );
}

#[test]
fn invalid_versions_and_missing_versions() {
    case(
        "XR024",
        |r| {
            r.write("crates/core/Cargo.toml", &crate_manifest("core", "1.0", ""));
        },
        &["plan"],
    );
    case(
        "XR024",
        |r| {
            r.write("py/packages/models/pyproject.toml", &py_manifest("models", "1.2.0-banana", &[], &[]));
        },
        &["plan"],
    );
    case(
        "XR022",
        |r| {
            r.write(
                "py/packages/models/pyproject.toml",
                &py_manifest("models", "1.2.0", &[], &[]).replace("version = \"1.2.0\"\n", ""),
            );
        },
        &["plan"],
    );
    case(
        "XR023",
        |r| {
            r.write(
                "py/packages/models/pyproject.toml",
                &py_manifest("models", "1.2.0", &[], &[]).replace("version = \"1.2.0\"\n", "dynamic = [\"version\"]\n"),
            );
        },
        &["plan"],
    );
    case("XR050", |_| {}, &["plan", "--bump", "0.0.1"]);
    case("XR050", |_| {}, &["plan", "--bump", "not-a-version"]);
}

#[test]
fn duplicate_names() {
    // two crates of one name
    case(
        "XR025",
        |r| {
            r.write("crates/models/Cargo.toml", &crate_manifest("core", "1.0.0", ""));
        },
        &["plan"],
    );
    // a crate and a Python package of one name are two packages (issue 9), but their tags must differ
    case(
        "XR043",
        |r| {
            r.write("crates/models/Cargo.toml", &crate_manifest("models", "1.0.0", ""));
        },
        &["plan"],
    );
    case(
        "XR034",
        |r| {
            r.write("crates/models/Cargo.toml", &crate_manifest("models", "1.0.0", ""));
        },
        &["plan", "--package", "models"],
    );
}

#[test]
fn tag_formats_git_refuses() {
    case(
        "XR041",
        |r| {
            r.append("xtask-release.toml", "[tags]\npackage = \"{name} v{version}\"\n");
        },
        &["plan"],
    );
    case(
        "XR041",
        |r| {
            r.append("xtask-release.toml", "[tags]\npackage = \"release-{version}\"\n");
        },
        &["plan"],
    );
}

#[test]
fn unknown_packages_on_the_command_line() {
    case("XR032", |_| {}, &["plan", "--package", "nope"]);
    case("XR032", |_| {}, &["plan", "--exclude", "nope"]);
    case(
        "XR032",
        |r| {
            r.append("xtask-release.toml", "[[groups]]\nname = \"g\"\nmembers = [\"core\", \"ghost\"]\n");
        },
        &["plan"],
    );
}

#[test]
fn not_a_repository_and_no_history() {
    let dir = crate::support::TempDir::new("norepo");
    let root = dir.0.display().to_string();
    xtask(&["plan", "--root", &root]).fails_with("XR002");
    xtask(&["plan", "--root", "/definitely/not/here"]).fails_with("XR002");
    let repo = Repo::new("empty");
    repo.write("Cargo.toml", &crate_manifest("solo", "1.0.0", ""));
    let before = repo.fingerprint();
    repo.xtask(&["plan"]).fails_with("XR040");
    assert_eq!(before, repo.fingerprint());
    let repo = Repo::new("nothing");
    repo.write("README.md", "hi");
    repo.commit("docs: hi");
    repo.xtask(&["plan"]).fails_with("XR026");
    repo.xtask(&["plan", "--config", "/no/such/file.toml"]).fails_with("XR003");
}
