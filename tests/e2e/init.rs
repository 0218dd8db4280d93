//! Adoption: `xtask/` copied by hand into other repositories, and `init`.
//!
//! Four shapes of repository, each with a history and a tag convention of its
//! own, get the xtask with `init --into`; then cargo itself builds and runs
//! `cargo xtask plan` inside each (the plan must find every package's last
//! tag), and one real release goes to the local registries.
//!
//! The copied xtask is compiled by cargo in every repository. All of them
//! share one target folder (`target/init-e2e`, kept between runs), so the
//! dependencies compile once; the builds take turns (`BUILDS`). cargo runs
//! offline: the xtask's dependencies are in cargo's cache already, as this
//! workspace built them. A release runs cargo with a CARGO_HOME of its own, in
//! which crates.io is replaced by a folder vendored from that cache: the
//! xtask's dependencies are in the repository's Cargo.lock now, and no test
//! reaches the network.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::fixtures::{crate_manifest, py_manifest};
use crate::registries::Registries;
use crate::release::tool;
use crate::support::{cargo_command, entry, git_env, to_run, workspace, xtask, Repo, Run, TempDir};

static BUILDS: Mutex<()> = Mutex::new(());

fn shared_target() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace().join("target"));
    let base = if base.is_absolute() { base } else { workspace().join(base) };
    base.join("init-e2e")
}

/// cargo (the one running the tests) in `dir`, offline, with the shared target
/// folder; `reg` names the `local` registry that manifests may refer to.
fn cargo(dir: &Path, args: &[&str], reg: Option<&Registries>) -> Run {
    let mut cmd = cargo_command();
    cmd.args(args).current_dir(dir).env("CARGO_TARGET_DIR", shared_target()).env("CARGO_NET_OFFLINE", "true");
    if let Some(reg) = reg {
        cmd.env("CARGO_REGISTRIES_LOCAL_INDEX", format!("file://{}", reg.cargo_root().display()));
    }
    to_run(git_env(&mut cmd).output().unwrap())
}

/// `cargo ARGS` in `dir` (which builds the xtask there); returns its output
/// and a copy of the binary it built, taken before another build replaces it.
fn cargo_xtask(dir: &Path, args: &[&str], keep: &Path, reg: Option<&Registries>) -> (Run, PathBuf) {
    let _turn = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    // the copies are the same crate at the same relative paths: cargo would take
    // another repository's build (with its CARGO_MANIFEST_DIR) for this one's
    // when this copy's files are older than that build
    touch_all(&dir.join("xtask"));
    let run = cargo(dir, args, reg);
    let bin = keep.join("xtask-bin");
    let _ = std::fs::copy(shared_target().join("debug/xtask"), &bin);
    (run, bin)
}

/// `release --yes` with the copied binary, from the repository (its default
/// root). cargo runs with the CARGO_HOME that built this workspace, not one of
/// the test's own: the xtask's dependencies are in the repository's Cargo.lock
/// now, and that cache has them (`cargo metadata` may download a
/// platform-specific one it lacks, once per machine). Publishing goes only to
/// the local registry, whose index path is new in every test, so no stale
/// cache entry can answer for it.
fn release_with(bin: &Path, repo: &Repo, reg: &Registries) -> Run {
    let mut cmd = Command::new(bin);
    cmd.args(["release", "--yes"]).current_dir(repo.path()).env_remove("XTASK_TRACE");
    for (k, v) in reg.env() {
        if k != "CARGO_HOME" {
            cmd.env(k, v);
        }
    }
    to_run(cmd.output().unwrap())
}

fn touch_all(dir: &Path) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            touch_all(&e.path());
        } else if let Ok(f) = std::fs::File::options().append(true).open(e.path()) {
            let _ = f.set_modified(std::time::SystemTime::now());
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name();
        if name == "target" {
            continue;
        }
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(&name));
        } else {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

fn publish_local(manifest: String) -> String {
    manifest.replace("license = \"MIT\"\n", "license = \"MIT\"\npublish = [\"local\"]\n")
}

/// The root of a uv workspace that publishes to `reg`'s index.
fn uv_root(reg: &Registries) -> String {
    format!(
        "[tool.uv.workspace]\nmembers = [\"packages/*\"]\n\n[[tool.uv.index]]\nname = \"local\"\nurl = \"{}\"\npublish-url = \"http://127.0.0.1:{}/\"\n",
        reg.simple_url(),
        reg.pypi_port
    )
}

fn py_package(repo: &Repo, dir: &str, name: &str, version: &str, deps: &[&str], sources: &[&str]) {
    let module = name.replace('-', "_");
    repo.write(&format!("{dir}/pyproject.toml"), &py_manifest(name, version, deps, sources))
        .write(&format!("{dir}/src/{module}/__init__.py"), "");
}

/// `init --into`, `cargo xtask plan` built and run by cargo in the repository,
/// then the result committed and pushed: the plan and the binary cargo built.
fn adopt(repo: &Repo, reg: &Registries) -> (serde_json::Value, PathBuf, String) {
    let remote = reg.remote().display().to_string();
    repo.git(&["remote", "add", "origin", &remote]);
    repo.git(&["push", "-q", "origin", "main"]);
    let init = xtask(&["init", "--into", &repo.root_arg()]).ok();
    let (run, bin) = cargo_xtask(repo.path(), &["xtask", "plan", "--format", "json"], &reg.dir.0, Some(reg));
    let plan = run.ok().json();
    // the binary is this repository's: run from elsewhere, it still finds it
    let from_elsewhere =
        to_run(Command::new(&bin).args(["plan", "--format", "json"]).current_dir("/").output().unwrap());
    assert_eq!(from_elsewhere.ok().json()["packages"], plan["packages"]);
    repo.commit("chore: release with xtask-release");
    repo.git(&["push", "-q", "origin", "main"]);
    (plan, bin, init.stdout)
}

fn remote_tags(reg: &Registries) -> Vec<String> {
    let out = git_env(Command::new("git").arg("-C").arg(reg.remote()).args(["tag", "--list"])).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

fn last_tag(plan: &serde_json::Value, name: &str) -> String {
    entry(plan, name)["last_tag"].as_str().unwrap_or("(none)").to_string()
}

#[test]
fn cargo_workspace_with_two_tag_conventions() {
    let reg = Registries::start();
    let repo = Repo::new("init-cargo");
    repo.write(
        "Cargo.toml",
        "[workspace]\nresolver = \"2\"\nmembers = [\n    \"crates/core\",\n    \"crates/app\",\n]\n",
    )
    .write("crates/core/Cargo.toml", &publish_local(crate_manifest("core", "1.0.0", "")))
    .write("crates/core/src/lib.rs", "pub fn core() {}\n")
    .write(
        "crates/app/Cargo.toml",
        &publish_local(crate_manifest(
            "app",
            "0.1.0",
            "core = { version = \"1.0\", path = \"../core\", registry = \"local\" }\n",
        )),
    )
    .write("crates/app/src/main.rs", "fn main() {}\n")
    .write(".gitignore", "target/\n");
    tool(&repo, &reg, "cargo", &["generate-lockfile", "--quiet"], ".");
    repo.commit("feat: first");
    repo.tag("core-v1.0.0"); // the old convention
    repo.write("crates/core/Cargo.toml", &publish_local(crate_manifest("core", "1.1.0", "")));
    repo.write(
        "crates/app/Cargo.toml",
        &publish_local(crate_manifest(
            "app",
            "0.2.0",
            "core = { version = \"1.1\", path = \"../core\", registry = \"local\" }\n",
        )),
    );
    tool(&repo, &reg, "cargo", &["update", "--workspace", "--quiet"], ".");
    repo.commit("chore: release core 1.1.0, app 0.2.0");
    repo.tag("core-1.1.0"); // the convention in use
    repo.tag("app-0.2.0");
    repo.change("crates/core/src/lib.rs", "feat(core): streaming");

    let (plan, bin, init) = adopt(&repo, &reg);
    assert!(init.contains("{name}-{version} (2 tag(s), newest"), "{init}");
    let config = std::fs::read_to_string(repo.path().join("xtask-release.toml")).unwrap();
    assert!(config.contains("package = [\"{name}-{version}\", \"{name}-v{version}\"]"), "{config}");
    assert!(config.contains("registry = \"local\""), "{config}");
    // it keeps no changelog: a release starts none
    assert!(
        config.contains("No changelog file in the repository") && config.contains("\nenabled = false\n"),
        "{config}"
    );
    let manifest = std::fs::read_to_string(repo.path().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("    \"crates/app\",\n    \"xtask\",\n]"), "{manifest}");
    assert_eq!(last_tag(&plan, "core"), "core-1.1.0");
    assert_eq!(last_tag(&plan, "app"), "app-0.2.0");
    assert_eq!(entry(&plan, "core")["tag"], "core-1.2.0", "the first template is written");
    assert_eq!(entry(&plan, "app")["status"], "skip");
    assert_eq!(entry(&plan, "xtask")["status"], "excluded", "the xtask is never released");

    let run = release_with(&bin, &repo, &reg).ok();
    assert!(run.stdout.contains("released 1 package(s)"), "{}", run.stdout);
    assert_eq!(reg.crate_versions("core").iter().map(|v| v.0.as_str()).collect::<Vec<_>>(), ["1.2.0"]);
    assert!(remote_tags(&reg).contains(&"core-1.2.0".to_string()), "{:?}", remote_tags(&reg));
    assert!(!repo.path().join("crates/core/CHANGELOG.md").exists(), "a changelog was started");
}

#[test]
fn uv_workspace_at_the_root_tagged_name_at_version() {
    let reg = Registries::start();
    let repo = Repo::new("init-uv");
    repo.write("pyproject.toml", &uv_root(&reg));
    py_package(&repo, "packages/api", "api", "2.0.0", &[], &[]);
    py_package(&repo, "packages/sdk", "sdk", "1.3.0", &["api>=2"], &["api"]);
    tool(&repo, &reg, "uv", &["lock", "--quiet"], ".");
    repo.write(".gitignore", ".venv/\n");
    repo.commit("feat: first");
    repo.tag("api@2.0.0");
    repo.tag("sdk@1.3.0");
    repo.change("packages/api/src/api/__init__.py", "fix(api): retry on 503");

    let (plan, bin, _) = adopt(&repo, &reg);
    let config = std::fs::read_to_string(repo.path().join("xtask-release.toml")).unwrap();
    assert!(config.contains("package = \"{name}@{version}\""), "{config}");
    assert!(config.contains(&format!("index-url = \"{}\"", reg.simple_url())), "{config}");
    // no Cargo workspace here: the xtask has one of its own, and git ignores /target
    let manifest = std::fs::read_to_string(repo.path().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("members = [\"xtask\"]"), "{manifest}");
    assert!(std::fs::read_to_string(repo.path().join(".gitignore")).unwrap().contains("/target\n"));
    assert_eq!(last_tag(&plan, "api"), "api@2.0.0");
    assert_eq!(last_tag(&plan, "sdk"), "sdk@1.3.0");
    assert_eq!(entry(&plan, "api")["next_version"], "2.0.1");
    assert_eq!(entry(&plan, "sdk")["status"], "skip");

    let run = release_with(&bin, &repo, &reg).ok();
    assert!(run.stdout.contains("released 1 package(s)"), "{}", run.stdout);
    assert_eq!(reg.python_files("api").len(), 2, "{:?}", reg.python_files("api"));
    assert!(remote_tags(&reg).contains(&"api@2.0.1".to_string()), "{:?}", remote_tags(&reg));
}

#[test]
fn uv_workspace_in_py_without_any_cargo_toml() {
    let reg = Registries::start();
    let repo = Repo::new("init-py");
    repo.write("py/pyproject.toml", &uv_root(&reg));
    py_package(&repo, "py/packages/genkit", "genkit", "0.6.0", &[], &[]);
    py_package(&repo, "py/packages/genkit-plugin-x", "genkit-plugin-x", "0.2.0", &["genkit>=0.6"], &["genkit"]);
    tool(&repo, &reg, "uv", &["lock", "--quiet"], "py");
    repo.write(".gitignore", ".venv/\n");
    repo.commit("feat: first");
    repo.tag("py/genkit-v0.6.0");
    repo.tag("py/genkit-plugin-x-v0.2.0");
    repo.change("py/packages/genkit/src/genkit/__init__.py", "feat(genkit): flows");

    let (plan, bin, init) = adopt(&repo, &reg);
    assert!(init.contains("python root     py"), "{init}");
    let config = std::fs::read_to_string(repo.path().join("xtask-release.toml")).unwrap();
    assert!(config.contains("root = \"py\""), "{config}");
    assert!(config.contains("package = \"py/{name}-v{version}\""), "{config}");
    assert_eq!(last_tag(&plan, "genkit"), "py/genkit-v0.6.0");
    assert_eq!(last_tag(&plan, "genkit-plugin-x"), "py/genkit-plugin-x-v0.2.0");
    assert_eq!(entry(&plan, "genkit")["tag"], "py/genkit-v0.7.0");

    let run = release_with(&bin, &repo, &reg).ok();
    assert!(run.stdout.contains("released 1 package(s)"), "{}", run.stdout);
    assert_eq!(reg.python_files("genkit").len(), 2);
    assert!(remote_tags(&reg).contains(&"py/genkit-v0.7.0".to_string()), "{:?}", remote_tags(&reg));
}

#[test]
fn mixed_repository_with_an_umbrella_tag_and_a_cargo_config() {
    let reg = Registries::start();
    let repo = Repo::new("init-mixed");
    let cargo_config = "# team settings: keep\n[alias]\nci = \"test --workspace\"\n\n[build]\nincremental = true\n";
    repo.write("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"engine\"]\n")
        .write("engine/Cargo.toml", &publish_local(crate_manifest("engine", "0.2.0", "")))
        .write("engine/src/lib.rs", "pub fn run() {}\n")
        .write("py/pyproject.toml", &uv_root(&reg))
        .write(".cargo/config.toml", cargo_config)
        .write(".gitignore", "target/\n.venv/\n");
    py_package(&repo, "py/packages/bindings", "bindings", "0.2.0", &[], &[]);
    tool(&repo, &reg, "cargo", &["generate-lockfile", "--quiet"], ".");
    tool(&repo, &reg, "uv", &["lock", "--quiet"], "py");
    repo.commit("feat: first");
    repo.tag("v0.2.0");
    repo.write("engine/Cargo.toml", &publish_local(crate_manifest("engine", "0.3.0", "")));
    py_package(&repo, "py/packages/bindings", "bindings", "0.3.0", &[], &[]);
    tool(&repo, &reg, "cargo", &["update", "--workspace", "--quiet"], ".");
    tool(&repo, &reg, "uv", &["lock", "--quiet"], "py");
    repo.commit("chore: release 0.3.0");
    repo.tag("v0.3.0");
    repo.change("engine/src/lib.rs", "feat(engine): faster");

    let (plan, bin, _) = adopt(&repo, &reg);
    let config = std::fs::read_to_string(repo.path().join("xtask-release.toml")).unwrap();
    assert!(config.contains("name = \"all\"\nmembers = [\"bindings\", \"engine\"]\ntag = \"v{version}\""), "{config}");
    let kept = std::fs::read_to_string(repo.path().join(".cargo/config.toml")).unwrap();
    assert_eq!(
        kept,
        cargo_config.replace("--workspace\"\n", "--workspace\"\nxtask = \"run --package xtask --\"\n"),
        "the alias joins what the file holds"
    );
    assert_eq!(last_tag(&plan, "engine"), "v0.3.0");
    assert_eq!(last_tag(&plan, "bindings"), "v0.3.0");
    assert_eq!(entry(&plan, "engine")["tag"], "v0.3.1");
    assert_eq!(entry(&plan, "bindings")["tag"], "v0.3.1", "the group shares one tag");
    assert_eq!(entry(&plan, "bindings")["next_version"], "0.3.1");

    let run = release_with(&bin, &repo, &reg).ok();
    assert!(run.stdout.contains("released 2 package(s)"), "{}", run.stdout);
    assert_eq!(reg.crate_versions("engine").iter().map(|v| v.0.as_str()).collect::<Vec<_>>(), ["0.3.1"]);
    assert_eq!(reg.python_files("bindings").len(), 2);
    let tags = remote_tags(&reg);
    assert!(tags.contains(&"v0.3.1".to_string()), "{tags:?}");
    assert!(!tags.iter().any(|t| t.starts_with("engine") || t.starts_with("bindings")), "{tags:?}");
}

/// A small uv repository for the checks that need no build.
fn small_uv_repo() -> Repo {
    let repo = Repo::new("init-small");
    repo.write("pyproject.toml", "[tool.uv.workspace]\nmembers = [\"packages/*\"]\n");
    py_package(&repo, "packages/lib", "lib", "1.0.0", &[], &[]);
    repo.commit("feat: first");
    repo.tag("lib-1.0.0");
    repo.change("packages/lib/src/lib/__init__.py", "fix(lib): edge");
    repo
}

#[test]
fn dry_run_writes_nothing_a_second_init_changes_nothing_and_refusals_are_named() {
    let repo = small_uv_repo();
    let into = repo.root_arg();
    let before = repo.fingerprint();
    let run = xtask(&["init", "--into", &into, "--dry-run"]).ok();
    assert_eq!(before, repo.fingerprint(), "a dry run wrote something");
    for shown in
        ["+++ b/xtask-release.toml", "+package = \"{name}-{version}\"", "+++ b/.cargo/config.toml", "+++ b/Cargo.toml"]
    {
        assert!(run.stdout.contains(shown), "{shown} not in:\n{}", run.stdout);
    }
    assert!(run.stdout.contains("would write:") && run.stdout.contains("file(s) under xtask/"), "{}", run.stdout);

    xtask(&["init", "--into", &into]).ok();
    assert!(repo.path().join("xtask/src/main.rs").is_file());
    assert!(repo.path().join("xtask/demo").is_dir(), "the demo is compiled into the binary: it is copied too");
    assert!(!repo.path().join("xtask/target").exists());
    repo.commit("chore: adopt");
    let before = repo.fingerprint();
    let run = xtask(&["init", "--into", &into]).ok();
    assert!(run.stdout.contains("nothing to change"), "{}", run.stdout);
    assert_eq!(before, repo.fingerprint(), "a second init changed something");

    // a hand-edited configuration is replaced only with --yes
    repo.write("xtask-release.toml", "[release]\nallow-branches = [\"main\"]\n");
    repo.commit("chore: configure");
    let before = repo.fingerprint();
    let run = xtask(&["init", "--into", &into]).fails_with("XR141");
    assert!(run.stderr.contains("xtask-release.toml"), "{}", run.stderr);
    assert_eq!(before, repo.fingerprint());
    // uncommitted changes: refused whatever else
    repo.write("notes.txt", "wip\n");
    let before = repo.fingerprint();
    xtask(&["init", "--into", &into, "--yes"]).fails_with("XR140");
    assert_eq!(before, repo.fingerprint());
    std::fs::remove_file(repo.path().join("notes.txt")).unwrap();
    xtask(&["init", "--into", &into, "--yes"]).ok();
    assert!(std::fs::read_to_string(repo.path().join("xtask-release.toml")).unwrap().contains("{name}-{version}"));

    // not a git repository
    let plain = TempDir::new("init-plain");
    let run = xtask(&["init", "--into", plain.0.to_str().unwrap()]).fails_with("XR002");
    assert!(run.stderr.contains("not the top of a git repository"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(&plain.0).unwrap().count(), 0);
}

/// A library that keeps Cargo.lock out of git (thiserror's `.gitignore` has `/Cargo.lock`): every
/// clone builds the adopted xtask with the newest compatible dependencies, which init says, naming
/// the ignore rule; a committed lockfile gets no such note.
#[test]
fn init_says_when_git_ignores_the_cargo_lock_the_xtask_would_build_with() {
    let repo = Repo::new("init-ignored-lock");
    repo.write("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"core\"]\n")
        .write("core/Cargo.toml", &crate_manifest("core", "1.0.0", ""))
        .write("core/src/lib.rs", "pub fn core() {}\n")
        .write(".gitignore", "/target/\n/Cargo.lock\n");
    repo.commit("feat: first");
    let into = repo.root_arg();
    let before = repo.fingerprint();
    let run = xtask(&["init", "--into", &into, "--dry-run"]).ok();
    assert_eq!(before, repo.fingerprint(), "a dry run wrote something");
    assert!(
        run.stdout.contains("note: Cargo.lock is ignored by git (`/Cargo.lock` in .gitignore, line 2)")
            && run.stdout.contains("commit Cargo.lock"),
        "{}",
        run.stdout
    );
    repo.write(".gitignore", "/target/\n");
    repo.commit("chore: keep the lockfile");
    let run = xtask(&["init", "--into", &into, "--dry-run"]).ok();
    assert!(!run.stdout.contains("Cargo.lock is ignored"), "{}", run.stdout);
}

#[test]
fn init_without_into_configures_the_repository_the_plan_then_reads() {
    let repo = Repo::new("init-here");
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n")
        .write("crates/a/Cargo.toml", &crate_manifest("a", "1.0.0", ""))
        .write("crates/a/src/lib.rs", "")
        .write("crates/b/Cargo.toml", &crate_manifest("b", "1.0.0", ""))
        .write("crates/b/src/lib.rs", "");
    repo.commit("feat: first");
    for t in ["a@1.0.0", "b@1.0.0"] {
        repo.tag(t);
    }
    // (a tag is a package's where its manifest has the tag's version)
    repo.write("crates/a/Cargo.toml", &crate_manifest("a", "2.0.0", ""))
        .write("crates/b/Cargo.toml", &crate_manifest("b", "2.0.0", ""));
    repo.change("crates/a/src/lib.rs", "feat(a): two");
    repo.git(&["tag", "-a", "a@2.0.0", "-m", "a"]);
    repo.git(&["tag", "-a", "b@2.0.0", "-m", "b"]);
    repo.change("crates/b/src/lib.rs", "fix(b): three");
    // before: the default template finds nothing, so both look like first releases
    let plan = repo.plan(&[]);
    assert_eq!(entry(&plan, "a")["bump"], "initial");
    let run = repo.xtask(&["init"]).ok();
    assert!(run.stdout.contains("a                        a@2.0.0"), "{}", run.stdout);
    let config = std::fs::read_to_string(repo.path().join("xtask-release.toml")).unwrap();
    assert!(config.contains("package = \"{name}@{version}\""), "{config}");
    assert!(config.contains("[[groups]]") && config.contains("members = [\"a\", \"b\"]"), "{config}");
    assert!(!repo.path().join("xtask").exists(), "without --into nothing is copied");
    let plan = repo.plan(&[]);
    assert_eq!(last_tag(&plan, "a"), "a@2.0.0");
    assert_eq!(last_tag(&plan, "b"), "b@2.0.0");
    assert_eq!(entry(&plan, "a")["next_version"], "2.0.1", "a synchronized group shares b's patch");
}

/// `xtask/` alone, copied by hand, works with no edit to it: as a member of a
/// Cargo workspace, and alone in a repository with no Cargo.toml at all.
#[test]
fn the_xtask_folder_alone_works_anywhere() {
    let repo = Repo::new("copy-cargo");
    repo.write("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"crates/*\", \"xtask\"]\n")
        .write("crates/core/Cargo.toml", &crate_manifest("core", "1.0.0", ""))
        .write("crates/core/src/lib.rs", "")
        .write(".cargo/config.toml", "[alias]\nxtask = \"run --package xtask --\"\n")
        .write(".gitignore", "target/\n");
    copy_dir(&workspace().join("xtask"), &repo.path().join("xtask"));
    repo.commit("feat: first");
    repo.tag("core-v1.0.0");
    let (run, _) = cargo_xtask(repo.path(), &["xtask", "plan", "--format", "json"], &repo.path().join(".git"), None);
    let plan = run.ok().json();
    assert_eq!(last_tag(&plan, "core"), "core-v1.0.0");

    let repo = Repo::new("copy-none");
    repo.write("pyproject.toml", "[tool.uv.workspace]\nmembers = [\"packages/*\"]\n");
    py_package(&repo, "packages/lib", "lib", "1.0.0", &[], &[]);
    copy_dir(&workspace().join("xtask"), &repo.path().join("xtask"));
    repo.commit("feat: first");
    repo.tag("lib-v1.0.0");
    let manifest = repo.path().join("xtask/Cargo.toml");
    let args = ["run", "--quiet", "--manifest-path", manifest.to_str().unwrap(), "--", "plan", "--format", "json"];
    let (run, _) = cargo_xtask(repo.path(), &args, &repo.path().join(".git"), None);
    let plan = run.ok().json();
    assert_eq!(last_tag(&plan, "lib"), "lib-v1.0.0");
}

/// workstack's shape: a uv workspace and no Cargo workspace. `init --into` writes everything the xtask
/// needs to build, `Cargo.lock` included, so that after committing it the first `cargo xtask check`
/// (which builds the xtask) leaves the tree clean, and the first release is not refused for it.
#[test]
fn init_into_a_repository_without_cargo_writes_the_lockfile_the_xtask_builds_with() {
    let repo = small_uv_repo();
    xtask(&["init", "--into", &repo.root_arg()]).ok();
    repo.commit("chore: adopt xtask-release");
    let (run, _) = cargo_xtask(repo.path(), &["xtask", "check"], &repo.path().join(".git"), None);
    assert!(run.stdout.contains(" checks, "), "cargo built and ran no check:\n{}\n{}", run.stdout, run.stderr);
    let status = repo.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(status, "", "the first `cargo xtask check` left the tree dirty:\n{}", run.stderr);
}
