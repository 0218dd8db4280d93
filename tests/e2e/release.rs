//! `release` against real local registries: pypiserver, cargo-http-registry
//! and a bare git remote, all started by the test.

use std::process::Command;

use crate::fixtures::mixed_files;
use crate::registries::{sha256_file, Registries};
use crate::support::{git_env, Repo, Run};

/// The mixed repository, set up to release to `reg`: internal crate
/// dependencies resolve from the `local` registry once published, lockfiles
/// are committed, `origin` is the bare remote. No tags yet: every package is
/// an initial release.
pub fn release_repo(reg: &Registries) -> Repo {
    let repo = Repo::new("release");
    mixed_files(&repo);
    for krate in ["net", "app"] {
        let path = repo.path().join(format!("crates/{krate}/Cargo.toml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text
            .replace("path = \"../core\" }", "path = \"../core\", registry = \"local\" }")
            .replace("path = \"../net\" }", "path = \"../net\", registry = \"local\" }");
        std::fs::write(&path, text).unwrap();
    }
    repo.write("xtask-release.toml", &reg.config());
    repo.write(".gitignore", "target/\n.venv/\n");
    tool(&repo, reg, "cargo", &["generate-lockfile", "--quiet"], ".");
    tool(&repo, reg, "uv", &["lock", "--quiet"], "py");
    repo.commit("chore: initial import");
    let remote = reg.remote().display().to_string();
    repo.git(&["remote", "add", "origin", &remote]);
    repo.git(&["push", "-q", "origin", "main"]);
    repo
}

pub fn tool(repo: &Repo, reg: &Registries, program: &str, args: &[&str], dir: &str) {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(repo.path().join(dir));
    for (k, v) in reg.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

pub fn release(repo: &Repo, reg: &Registries, args: &[&str]) -> Run {
    let env = reg.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut all = vec!["release"];
    all.extend(args);
    repo.xtask_env(&all, &env)
}

fn remote_tags(reg: &Registries) -> Vec<(String, String)> {
    let out = git_env(Command::new("git").arg("-C").arg(reg.remote()).args([
        "for-each-ref",
        "--format=%(refname:strip=2) %(*objectname)",
        "refs/tags",
    ]))
    .output()
    .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(a, b)| (a.to_string(), b.to_string())))
        .collect()
}

fn pkg_info(reg: &Registries, file: &str, stem: &str) -> String {
    let out = Command::new("tar")
        .arg("-xzOf")
        .arg(reg.pypi_dir().join(file))
        .arg(format!("{stem}/PKG-INFO"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn mixed_release_end_to_end_then_only_what_changed() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    let before = repo.git(&["rev-parse", "HEAD"]);
    let plan = repo.xtask_env(&["plan", "--format", "json"], &[]).ok().json();

    let run = release(&repo, &reg, &["--yes", "--jobs", "3"]).ok();
    assert!(run.stdout.contains("released 6 package(s)"), "{}", run.stdout);

    // every package on its registry at the planned version, checksums equal
    for krate in ["core", "net", "app"] {
        let planned = crate::support::entry(&plan, krate)["next_version"].as_str().unwrap().to_string();
        let versions = reg.crate_versions(krate);
        assert_eq!(versions.len(), 1, "{krate}: {versions:?}");
        assert_eq!(versions[0].0, planned);
        let file = reg.cargo_root().join(format!("{krate}-{planned}.crate"));
        assert_eq!(versions[0].1, sha256_file(&file), "{krate}: index cksum vs the stored .crate");
        // the crate says where in the repository it comes from, and which commit, as `cargo publish` does
        let member = format!("{krate}-{planned}/.cargo_vcs_info.json");
        let out = std::process::Command::new("tar").args(["-xzOf"]).arg(&file).arg(&member).output().unwrap();
        let vcs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{member}"));
        assert_eq!(vcs["path_in_vcs"], format!("crates/{krate}"), "{krate}: {vcs}");
        assert_eq!(vcs["git"]["sha1"], repo.git(&["rev-parse", "HEAD"]), "{krate}: {vcs}");
    }
    // the release tree's worktree is gone with it
    assert_eq!(repo.git(&["worktree", "list", "--porcelain"]).matches("worktree ").count(), 1, "a worktree was left");
    for (name, stem) in [("models", "models-1.2.0"), ("client", "client-0.5.0"), ("cli-tool", "cli_tool-0.1.0")] {
        let files = reg.python_files(name);
        assert_eq!(files.len(), 2, "{name}: {files:?}");
        for (file, sha) in &files {
            assert!(file.starts_with(stem), "{file}");
            assert_eq!(*sha, sha256_file(&reg.pypi_dir().join(file)), "{file}: index hash vs stored file");
        }
    }
    // pins exact in the published metadata, extras and markers intact
    let info = pkg_info(&reg, "client-0.5.0.tar.gz", "client-0.5.0");
    assert!(info.contains("Requires-Dist: models[speed]==1.2.0 ; python_full_version >= '3.9'"), "{info}");
    let info = pkg_info(&reg, "cli_tool-0.1.0.tar.gz", "cli_tool-0.1.0");
    assert!(info.contains("Requires-Dist: client==0.5.0"), "{info}");

    // initial releases of the current versions change no manifest: the
    // release commit only adds a changelog per package; tags on the remote
    // point at it; the tree is clean
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(repo.git(&["rev-parse", "HEAD~1"]), before);
    let changed = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    let changelogs = [
        "crates/core/CHANGELOG.md",
        "crates/net/CHANGELOG.md",
        "crates/app/CHANGELOG.md",
        "py/packages/models/CHANGELOG.md",
        "py/packages/client/CHANGELOG.md",
        "py/packages/cli-tool/CHANGELOG.md",
    ];
    assert_eq!(changed.lines().collect::<Vec<_>>().len(), 6, "{changed}");
    for f in changelogs {
        assert!(changed.lines().any(|l| l == f), "{f} not in the release commit:\n{changed}");
    }
    let core_log = std::fs::read_to_string(repo.path().join("crates/core/CHANGELOG.md")).unwrap();
    assert_eq!(core_log, "# Changelog\n\n## [1.0.0] - 2026-01-02\n\nFirst release.\n");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    let tags = remote_tags(&reg);
    assert_eq!(tags.len(), 6, "{tags:?}");
    assert!(tags.iter().all(|(_, target)| *target == head), "{tags:?} vs {head}");
    let remote_main =
        git_env(Command::new("git").arg("-C").arg(reg.remote()).args(["rev-parse", "main"])).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&remote_main.stdout).trim(), head);
    // nothing of ours in the work tree: bookkeeping lives under .git
    let untracked = repo.git(&["status", "--porcelain", "--ignored"]);
    assert_eq!(untracked, "", "stray files: {untracked}");

    // the README shows how to depend on core: a [[version-files]] entry keeps it current
    repo.write("README.md", "Depend on it:\r\n\r\n    core = \"1.0.0\"\r\n\r\n(core 1.0.0, and not 1.0.0.1)\r\n");
    repo.append(
        "xtask-release.toml",
        "\n[[version-files]]\npath = \"README.md\"\npackage = \"core\"\ntemplate = 'core = \"{version}\"'\n",
    );
    repo.commit("docs: how to depend on core");

    // second release: a feat in core, a breaking fix in models
    repo.change("crates/core/src/lib.rs", "feat(core): streaming");
    repo.change("py/packages/models/src/models/__init__.py", "fix(models): ids\n\nBREAKING CHANGE: ids are strings");
    repo.git(&["push", "-q", "origin", "main"]);
    // the plan lists every file the release writes
    let plan = repo.xtask_env(&["plan", "--format", "json"], &[]).ok().json();
    let files: Vec<&str> = plan["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(
        files,
        [
            "Cargo.lock",
            "README.md",
            "crates/core/CHANGELOG.md",
            "crates/core/Cargo.toml",
            "py/packages/client/CHANGELOG.md",
            "py/packages/client/pyproject.toml",
            "py/packages/models/CHANGELOG.md",
            "py/packages/models/pyproject.toml",
            "py/packages/models/src/models/__init__.py",
            "py/uv.lock",
        ]
    );
    let run = release(&repo, &reg, &["--yes"]).ok();
    assert!(run.stdout.contains("released 3 package(s)"), "{}", run.stdout);
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert!(repo
        .git(&["log", "-1", "--format=%s"])
        .starts_with("chore(release): core@1.1.0, models@2.0.0, client@0.5.1"));
    let tags = remote_tags(&reg);
    for t in ["core-v1.1.0", "models-v2.0.0", "client-v0.5.1"] {
        assert!(tags.iter().any(|(name, target)| name == t && *target == head), "{t} not at {head}: {tags:?}");
    }
    assert_eq!(reg.crate_versions("core").iter().map(|v| v.0.as_str()).collect::<Vec<_>>(), ["1.0.0", "1.1.0"]);
    assert_eq!(reg.crate_versions("net").len(), 1);
    assert_eq!(reg.crate_versions("app").len(), 1);
    assert_eq!(reg.python_files("models").len(), 4);
    assert_eq!(
        reg.python_files("client").len(),
        4,
        "client is forced: its `<2` requirement no longer admits models 2.0.0"
    );
    assert_eq!(reg.python_files("cli-tool").len(), 2);
    let info = pkg_info(&reg, "client-0.5.1.tar.gz", "client-0.5.1");
    assert!(info.contains("Requires-Dist: models[speed]==2.0.0 ; python_full_version >= '3.9'"), "{info}");
    // the release commit updated the requirement and both lockfiles
    let changed = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    for f in [
        "Cargo.lock",
        "py/uv.lock",
        "crates/core/Cargo.toml",
        "py/packages/client/pyproject.toml",
        "py/packages/models/pyproject.toml",
    ] {
        assert!(changed.lines().any(|l| l == f), "{f} not in the release commit:\n{changed}");
    }
    for f in files {
        assert!(changed.lines().any(|l| l == f), "{f} not in the release commit:\n{changed}");
    }
    // the version literal moved with the manifest, and the published wheel carries it
    let init = std::fs::read_to_string(repo.path().join("py/packages/models/src/models/__init__.py")).unwrap();
    assert!(init.starts_with("__version__ = \"2.0.0\"\n"), "{init}");
    let python = reg.tools.join("venv/bin/python");
    let wheel = reg.pypi_dir().join("models-2.0.0-py3-none-any.whl");
    let read = "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read('models/__init__.py').decode())";
    let out = Command::new(&python).args(["-c", read]).arg(&wheel).output().unwrap();
    let inside = String::from_utf8_lossy(&out.stdout);
    assert!(
        inside.starts_with("__version__ = \"2.0.0\"\n"),
        "{wheel:?}: {inside} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // the configured file, byte for byte: CRLF kept, only the template's text changed
    let readme = std::fs::read_to_string(repo.path().join("README.md")).unwrap();
    assert_eq!(readme, "Depend on it:\r\n\r\n    core = \"1.1.0\"\r\n\r\n(core 1.0.0, and not 1.0.0.1)\r\n");
    let client = std::fs::read_to_string(repo.path().join("py/packages/client/pyproject.toml")).unwrap();
    assert!(client.contains("\"models[speed]>=1.2,<3; python_version >= '3.9'\""), "{client}");
    let lock = std::fs::read_to_string(repo.path().join("py/uv.lock")).unwrap();
    assert!(lock.contains("name = \"models\"\nversion = \"2.0.0\""), "{lock}");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    // the changelogs of the second release, in the release commit, on top of the first
    for f in ["crates/core/CHANGELOG.md", "py/packages/models/CHANGELOG.md", "py/packages/client/CHANGELOG.md"] {
        assert!(changed.lines().any(|l| l == f), "{f} not in the release commit:\n{changed}");
    }
    let core_log = std::fs::read_to_string(repo.path().join("crates/core/CHANGELOG.md")).unwrap();
    assert!(
        core_log.starts_with("# Changelog\n\n## [1.1.0] - 2026-01-02\n\n### Features\n\n- **core:** streaming ("),
        "{core_log}"
    );
    assert!(core_log.ends_with("## [1.0.0] - 2026-01-02\n\nFirst release.\n"), "{core_log}");
    let models_log = std::fs::read_to_string(repo.path().join("py/packages/models/CHANGELOG.md")).unwrap();
    assert!(
        models_log.contains("## [2.0.0] - 2026-01-02\n\n### Breaking changes\n\n- **models:** ids — ids are strings ("),
        "{models_log}"
    );
    let client_log = std::fs::read_to_string(repo.path().join("py/packages/client/CHANGELOG.md")).unwrap();
    assert!(client_log.contains("### Dependencies\n\n- Updated **models** to 2.0.0."), "{client_log}");
}

#[test]
fn dry_run_changes_nothing_anywhere() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    let before = (repo.fingerprint(), crate::support::fingerprint_dir(&reg.dir.0));
    let run = release(&repo, &reg, &["--dry-run"]).ok();
    assert!(run.stdout.contains("would run: git -C"), "{}", run.stdout);
    assert!(run.stdout.contains("would run: uv publish"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("would upload core-1.0.0.crate (the bytes packaged and verified above) to http://127.0.0.1:"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("tag -a core-v1.0.0 -m"), "{}", run.stdout);
    assert!(run.stdout.contains("dry run complete: would release 6 package(s)"), "{}", run.stdout);
    // the changelog sections in full, and the files they go to
    assert!(
        run.stdout.contains("  changelog crates/core/CHANGELOG.md: ## [1.0.0] - 2026-01-02\n  | First release.\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("would write: crates/core/CHANGELOG.md (changelog section)"), "{}", run.stdout);
    let run = release(&repo, &reg, &["--dry-run", "--bump", "2.0.0"]).ok();
    assert!(run.stdout.contains("would write: crates/core/Cargo.toml (version bump)"), "{}", run.stdout);
    let after = (repo.fingerprint(), crate::support::fingerprint_dir(&reg.dir.0));
    assert!(before.0 == after.0, "the repository changed");
    assert!(before.1 == after.1, "a registry or the remote changed");
}

#[test]
fn a_failing_build_stops_before_that_package_is_published() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    repo.write("crates/net/src/lib.rs", "pub fn net() { this does not compile }\n");
    repo.commit("feat(net): broken");
    repo.git(&["push", "-q", "origin", "main"]);
    let run = release(&repo, &reg, &["--yes", "--jobs", "1"]).fails_with("XR102");
    assert!(run.stderr.contains("cargo package"), "{}", run.stderr);
    assert!(run.stderr.contains("release stopped at net"), "{}", run.stderr);
    assert!(reg.crate_versions("net").is_empty(), "net must not be published");
    assert!(reg.crate_versions("app").is_empty(), "app depends on net: never started");
    assert_eq!(reg.crate_versions("core").len(), 1, "core was published before net was built");
}

#[test]
fn refuses_without_a_terminal_or_yes_and_on_a_dirty_tree() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    let before = repo.fingerprint();
    release(&repo, &reg, &[]).fails_with("XR101");
    assert_eq!(before, repo.fingerprint());
    repo.append("crates/core/src/lib.rs", "// dirty\n");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    let before = repo.fingerprint();
    let run = release(&repo, &reg, &["--yes"]).fails_with("XR100");
    assert!(run.stderr.contains("uncommitted changes"), "{}", run.stderr);
    assert!(run.stderr.contains("branch `topic` is not allowed"), "{}", run.stderr);
    assert_eq!(before, repo.fingerprint());
    assert!(reg.crate_versions("core").is_empty());
}

/// After a release, `plan`'s estimate of the next one takes each package's work from the last
/// release's journal (`seconds`, rate-limit waits left out) instead of the model's minutes.
#[test]
fn the_estimate_takes_each_packages_work_from_the_last_release() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    release(&repo, &reg, &["--yes"]).ok();
    let last = std::fs::read_to_string(repo.path().join(".git/xtask-release/last-release.json")).unwrap();
    assert!(last.contains("\"seconds\": "), "{last}");
    repo.change("py/packages/models/src/models/__init__.py", "fix(models): a faster model");
    let run = repo.xtask(&["plan"]).ok();
    let line = run.stdout.lines().find(|l| l.starts_with("estimate: ")).unwrap_or_default();
    assert!(line.contains("; each package's work as long as in the last release"), "{}", run.stdout);
    assert!(!line.contains(" min"), "the model's minutes, not the measured seconds: {line}");
}
