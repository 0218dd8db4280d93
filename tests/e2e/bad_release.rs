//! Bad input at release time: each case gets its named code, exit 1, a
//! `help:` line, and changes no byte of the repository (work tree and .git)
//! nor of the registries and the remote.

use std::process::Command;

use crate::fixtures::crate_manifest;
use crate::registries::Registries;
use crate::release::{release, release_repo};
use crate::support::{fingerprint_dir, git_env, Repo, Run};

/// Runs `release ARGS` with `env` changes after `setup`, expecting `code`, and
/// checks that nothing changed anywhere.
fn case(reg: &Registries, code: &str, setup: impl Fn(&Repo), args: &[&str], env: &[(&str, &str)]) -> Run {
    reg.reset_remote();
    let repo = release_repo(reg);
    setup(&repo);
    let before = (repo.fingerprint(), fingerprint_dir(&reg.dir.0));
    let mut full = reg.env();
    for (k, v) in env {
        full.retain(|(key, _)| key != k);
        if !v.is_empty() {
            full.push((k.to_string(), v.to_string()));
        }
    }
    let full: Vec<(&str, &str)> = full.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut all = vec!["release"];
    all.extend(args);
    let run = repo.xtask_env(&all, &full).fails_with(code);
    let after = (repo.fingerprint(), fingerprint_dir(&reg.dir.0));
    assert!(before.0 == after.0, "{code}: the repository changed");
    assert!(before.1 == after.1, "{code}: a registry or the remote changed");
    run
}

#[test]
fn preflight_refuses_bad_states() {
    let reg = Registries::start();
    let yes = &["--yes"][..];
    let run = case(
        &reg,
        "XR100",
        |r| {
            r.append("crates/core/src/lib.rs", "// edit\n");
        },
        yes,
        &[],
    );
    assert!(run.stderr.contains("uncommitted changes"), "{}", run.stderr);
    let run = case(
        &reg,
        "XR100",
        |r| {
            r.git(&["checkout", "-q", "--detach"]);
        },
        yes,
        &[],
    );
    assert!(run.stderr.contains("HEAD is detached"), "{}", run.stderr);
    let run = case(
        &reg,
        "XR100",
        |r| {
            r.git(&["checkout", "-q", "-b", "feature"]);
        },
        yes,
        &[],
    );
    assert!(run.stderr.contains("branch `feature` is not allowed"), "{}", run.stderr);
    let run = case(
        &reg,
        "XR100",
        |r| {
            // a planned tag that exists on the remote only
            let head = r.git(&["rev-parse", "HEAD"]);
            r.git(&["push", "-q", "origin", &format!("{head}:refs/tags/models-v1.2.0")]);
        },
        yes,
        &[],
    );
    assert!(run.stderr.contains("tag `models-v1.2.0` already exists on origin"), "{}", run.stderr);
    let run = case(
        &reg,
        "XR100",
        |r| {
            // the remote moved on: HEAD is behind
            r.change("README.md", "docs: later");
            r.git(&["push", "-q", "origin", "main"]);
            r.git(&["reset", "-q", "--hard", "HEAD~1"]);
        },
        yes,
        &[],
    );
    assert!(run.stderr.contains("is behind origin/main"), "{}", run.stderr);
    let run = case(
        &reg,
        "XR100",
        |r| {
            r.git(&["remote", "remove", "origin"]);
        },
        yes,
        &[],
    );
    assert!(run.stderr.contains("there is no remote `origin`"), "{}", run.stderr);
    let run = case(
        &reg,
        "XR100",
        |r| {
            r.write("crates/core/Cargo.toml", &crate_manifest("core", "1.0.1", ""));
            r.commit("chore: bump by hand, lockfile not updated");
            r.git(&["push", "-q", "origin", "main"]);
        },
        yes,
        &[],
    );
    assert!(run.stderr.contains("Cargo.lock is out of sync"), "{}", run.stderr);
    let run = case(&reg, "XR100", |_| {}, yes, &[("UV_PUBLISH_USERNAME", ""), ("UV_PUBLISH_PASSWORD", "")]);
    assert!(run.stderr.contains("no credentials for `uv publish`"), "{}", run.stderr);
    let run = case(&reg, "XR100", |_| {}, yes, &[("CARGO_REGISTRIES_LOCAL_TOKEN", "")]);
    assert!(run.stderr.contains("no token for the cargo registry `local`"), "{}", run.stderr);
    let run = case(&reg, "XR100", |_| {}, yes, &[("PATH", "/usr/bin:/bin:/usr/local/bin")]);
    assert!(run.stderr.contains("`uv` is not installed") && run.stderr.contains("pip install uv"), "{}", run.stderr);
}

#[test]
fn shallow_clones_and_published_versions_are_refused() {
    let reg = Registries::start();
    let source = release_repo(&reg);
    // a shallow clone of the release repository
    let shallow = Repo { tmp: crate::support::TempDir::new("shallow") };
    std::fs::remove_dir_all(shallow.path()).unwrap();
    let url = format!("file://{}", source.path().display());
    git_env(Command::new("git").args(["clone", "-q", "--depth", "1", &url]).arg(shallow.path())).status().unwrap();
    shallow.git(&["remote", "set-url", "origin", &reg.remote().display().to_string()]);
    let env = reg.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let before = shallow.fingerprint();
    // the plan stops first (XR048, before preflight's own check could list it)
    let run = shallow.xtask_env(&["release", "--yes"], &env).fails_with("XR048");
    assert!(run.stderr.contains("is a shallow clone"), "{}", run.stderr);
    assert!(run.stderr.contains("git fetch --unshallow --tags"), "{}", run.stderr);
    assert_eq!(before, shallow.fingerprint());

    // a planned version that is already on its registry
    release(&source, &reg, &["--yes"]).ok();
    source.git(&["tag", "-d", "models-v1.2.0"]);
    source.git(&["push", "-q", "origin", ":refs/tags/models-v1.2.0"]);
    let before = (source.fingerprint(), fingerprint_dir(&reg.dir.0));
    let run = release(&source, &reg, &["--yes"]).fails_with("XR100");
    assert!(run.stderr.contains("models 1.2.0 is already on"), "{}", run.stderr);
    assert!(before == (source.fingerprint(), fingerprint_dir(&reg.dir.0)));
}

#[test]
fn a_version_published_from_another_build_is_a_hard_error() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    // stop after the tags, before anything is published
    let env = reg.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("XTASK_FAILPOINT", "7"));
    let crashed = repo.xtask_env(&["release", "--yes", "--jobs", "1"], &env);
    assert_ne!(crashed.code, 0);
    // someone publishes models 1.2.0 built from other sources
    let other = crate::support::TempDir::new("impostor");
    let pkg = other.0.join("models");
    std::fs::create_dir_all(pkg.join("src/models")).unwrap();
    std::fs::write(pkg.join("src/models/__init__.py"), "IMPOSTOR = True\n").unwrap();
    std::fs::write(pkg.join("pyproject.toml"), crate::fixtures::py_manifest("models", "1.2.0", &[], &[])).unwrap();
    let mut uv = Command::new("uv");
    uv.args(["build", "-q", "--no-sources", "-o"]).arg(other.0.join("dist")).arg(&pkg);
    for (k, v) in reg.env() {
        uv.env(k, v);
    }
    assert!(uv.status().unwrap().success());
    let mut publish = Command::new("uv");
    publish.args(["publish", "--publish-url", &format!("http://127.0.0.1:{}/", reg.pypi_port)]);
    publish.arg(other.0.join("dist/models-1.2.0.tar.gz"));
    for (k, v) in reg.env() {
        publish.env(k, v);
    }
    assert!(publish.output().unwrap().status.success());
    let files_before = reg.python_files("models");
    let run = release(&repo, &reg, &["--resume", "--yes", "--jobs", "1"]).fails_with("XR106");
    assert!(run.stderr.contains("models-1.2.0.tar.gz"), "{}", run.stderr);
    assert_eq!(files_before, reg.python_files("models"), "nothing more was uploaded for models");
}

#[test]
fn resume_and_abandon_without_a_journal_and_a_damaged_journal() {
    let reg = Registries::start();
    case(&reg, "XR115", |_| {}, &["--resume"], &[]);
    case(&reg, "XR115", |_| {}, &["--abandon"], &[]);
    case(
        &reg,
        "XR111",
        |r| {
            let dir = r.path().join(".git/xtask-release");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("journal.json"), "{ not json").unwrap();
        },
        &["--resume"],
        &[],
    );
    case(
        &reg,
        "XR111",
        |r| {
            let dir = r.path().join(".git/xtask-release");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("journal.json"), "{ not json").unwrap();
        },
        &["--yes"],
        &[],
    );
}

#[test]
fn unreadable_files_and_non_utf8_paths() {
    use std::os::unix::ffi::OsStrExt;
    // a manifest that cannot be read as a file
    let repo = crate::fixtures::mixed();
    std::fs::remove_file(repo.path().join("py/packages/cli-tool/pyproject.toml")).unwrap();
    std::fs::create_dir_all(repo.path().join("py/packages/cli-tool/pyproject.toml")).unwrap();
    let before = repo.fingerprint();
    repo.xtask(&["plan"]).fails_with("XR003");
    assert_eq!(before, repo.fingerprint());
    // a manifest that is not UTF-8
    let repo = crate::fixtures::mixed();
    std::fs::write(repo.path().join("crates/net/Cargo.toml"), b"[package]\nname = \"net\xff\"\n").unwrap();
    let before = repo.fingerprint();
    repo.xtask(&["plan"]).fails_with("XR003");
    assert_eq!(before, repo.fingerprint());
    // a member folder whose name is not UTF-8
    let repo = crate::fixtures::mixed();
    let dir = repo.path().join("crates").join(std::ffi::OsStr::from_bytes(b"bad\xffname"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Cargo.toml"), crate_manifest("bad", "1.0.0", "")).unwrap();
    let before = repo.fingerprint();
    repo.xtask(&["plan"]).fails_with("XR003");
    assert_eq!(before, repo.fingerprint());
    // a tag template whose tags end in .lock
    let repo = crate::fixtures::mixed();
    repo.append("xtask-release.toml", "[tags]\npackage = \"{name}-v{version}.lock\"\n");
    let before = repo.fingerprint();
    repo.xtask(&["plan"]).fails_with("XR041");
    assert_eq!(before, repo.fingerprint());
}

/// A wheel that does not carry the version its source says (here the build
/// leaves `_version.py` out) is never published.
#[test]
fn a_wheel_without_the_version_literal_is_not_published() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    repo.write("py/packages/models/src/models/_version.py", "__version__ = \"1.2.0\"\n");
    repo.append("py/packages/models/pyproject.toml", "\n[tool.uv.build-backend]\nwheel-exclude = [\"_version.py\"]\n");
    repo.commit("build(models): a version module");
    repo.git(&["push", "-q", "origin", "main"]);
    let run = release(&repo, &reg, &["--yes", "--jobs", "1"]).fails_with("XR103");
    assert!(
        run.stderr.contains("models: the wheel's models/_version.py does not set __version__ = \"1.2.0\""),
        "{}",
        run.stderr
    );
    assert!(reg.python_files("models").is_empty(), "models was published: {:?}", reg.python_files("models"));
}

/// A `__version__` that disagrees with the manifest (`check` reports XR136) would be published as it is:
/// preflight refuses it with the same code, before anything is written (tag == manifest == `__version__`).
#[test]
fn a_version_literal_that_disagrees_with_the_manifest_is_refused_by_preflight() {
    let reg = Registries::start();
    let run = case(
        &reg,
        "XR136",
        |r| {
            r.write("py/packages/models/src/models/__init__.py", "__version__ = \"1.0.0\"\n");
            r.commit("chore: a version literal left behind");
            r.git(&["push", "-q", "origin", "main"]);
        },
        &["--yes"],
        &[],
    );
    assert!(
        run.stderr
            .contains("py/packages/models/src/models/__init__.py:1: __version__ is \"1.0.0\", the manifest says 1.2.0"),
        "{}",
        run.stderr
    );
    assert!(reg.python_files("models").is_empty());
}
