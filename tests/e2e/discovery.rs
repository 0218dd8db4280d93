//! Discovery and versions as the second wave of real repositories writes them (issue 17): a maturin pair
//! whose crate has a SemVer `-dev.N` version (tokenizers), a maturin crate outside the Cargo workspace,
//! unused uv workspace sources (genkit), manifests behind their last tag (genkit), internal dependencies
//! through `[patch.crates-io]` (tokio) and lockfiles git ignores (tokio).

use std::process::Command;

use crate::fixtures::{crate_manifest, py_manifest};
use crate::registries::Registries;
use crate::release::{release, tool};
use crate::support::{git_env, Repo};

const MATURIN: &str = "\n[build-system]\nrequires = [\"maturin>=1,<2\"]\nbuild-backend = \"maturin\"\n";

fn entry<'a>(plan: &'a serde_json::Value, name: &str, eco: &str) -> &'a serde_json::Value {
    plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name && e["ecosystem"] == eco)
        .unwrap_or_else(|| panic!("{name} ({eco}) not in the plan: {plan}"))
}

fn next<'a>(plan: &'a serde_json::Value, name: &str, eco: &str) -> &'a str {
    entry(plan, name, eco)["next_version"].as_str().unwrap_or_else(|| panic!("{name} is not released: {plan}"))
}

/// tokenizers' layout: both roots in `bindings/python`, the crate `tokenizers-python` there, and the
/// Python package `tokenizers` built from it by maturin.
fn tokenizers_shape(crate_version: &str) -> Repo {
    let repo = Repo::new("maturin-dev");
    repo.write("bindings/python/Cargo.toml", &crate_manifest("tokenizers-python", crate_version, ""))
        .write("bindings/python/src/lib.rs", "")
        .write(
            "bindings/python/pyproject.toml",
            &format!(
                "[project]\nname = \"tokenizers\"\ndynamic = [\"version\"]\ndescription = \"d\"\nlicense = \"MIT\"\n{MATURIN}"
            ),
        )
        .write("xtask-release.toml", "[cargo]\nroot = \"bindings/python\"\n\n[python]\nroot = \"bindings/python\"\n");
    repo.commit("chore: init");
    repo
}

/// maturin reads the crate's SemVer version as PEP 440: `0.23.2-dev.0` is `0.23.2.dev0` (not `0.23.2a0`), so
/// the pair keeps one version, first release, final release and pre-release alike.
#[test]
fn a_maturin_pair_with_a_dev_version_keeps_one_version() {
    let repo = tokenizers_shape("0.23.2-dev.0");
    let plan = repo.plan(&[]);
    assert_eq!(next(&plan, "tokenizers-python", "cargo"), "0.23.2-dev.0");
    assert_eq!(next(&plan, "tokenizers", "python"), "0.23.2.dev0", "{plan}");
    assert_eq!(entry(&plan, "tokenizers", "python")["tag"], "tokenizers-v0.23.2.dev0");

    repo.tag("tokenizers-python-v0.23.2-dev.0");
    repo.tag("tokenizers-v0.23.2.dev0");
    repo.change("bindings/python/src/lib.rs", "fix: a bug");
    let plan = repo.plan(&[]);
    assert_eq!((next(&plan, "tokenizers-python", "cargo"), next(&plan, "tokenizers", "python")), ("0.23.2", "0.23.2"));
    let plan = repo.plan(&["--pre", "rc"]);
    assert_eq!(
        (next(&plan, "tokenizers-python", "cargo"), next(&plan, "tokenizers", "python")),
        ("0.23.2-rc.1", "0.23.2rc1")
    );
}

/// A SemVer pre-release label PEP 440 does not know has no Python form: maturin refuses it, and so does the
/// plan, naming the crate's manifest, instead of releasing the Python package as an alpha.
#[test]
fn a_maturin_crate_version_without_a_pep440_form_is_refused() {
    let repo = tokenizers_shape("0.23.2-foo.1");
    let run = repo.xtask(&["plan"]).fails_with("XR024");
    assert!(run.stderr.contains("bindings/python/Cargo.toml") && run.stderr.contains("0.23.2-foo.1"), "{}", run.stderr);
    assert!(!run.stderr.contains("a0"), "{}", run.stderr);
}

/// A configured group of a crate and a Python package shares one version: a crate version whose pre-release
/// label PEP 440 does not know is refused (XR035), not turned into an alpha.
#[test]
fn a_group_version_without_a_pep440_form_is_refused() {
    let repo = Repo::new("group-foo");
    repo.write("Cargo.toml", &crate_manifest("core", "2.0.0-foo.1", ""))
        .write("src/lib.rs", "")
        .write("py/pyproject.toml", &crate::fixtures::py_manifest("core-py", "1.0.0", &[], &[]))
        .write(
            "xtask-release.toml",
            "[python]\nroot = \"py\"\n\n[[groups]]\nname = \"all\"\nmembers = [\"core\", \"core-py\"]\n",
        );
    repo.commit("chore: init");
    let run = repo.xtask(&["plan"]).fails_with("XR035");
    assert!(run.stderr.contains("2.0.0-foo.1") && run.stderr.contains("core-py"), "{}", run.stderr);
}

/// genkit's `[tool.uv.sources] dynamic-tools = { workspace = true }` names no member, and no member requires
/// it: uv accepts that (`uv lock --check` passes), so `check` warns. A member that requires it is an error,
/// as it is for uv.
#[test]
fn an_unused_workspace_source_is_a_warning() {
    let repo = Repo::new("unused-source");
    repo.write(
        "pyproject.toml",
        "[project]\nname = \"root\"\nversion = \"0.1.0\"\n\n[tool.uv.workspace]\nmembers = [\"pkgs/*\"]\n\n\
         [tool.uv.sources]\nghost = { workspace = true }\na = { workspace = true }\n",
    )
    .write("pkgs/a/pyproject.toml", &crate::fixtures::py_manifest("a", "0.1.0", &[], &[]))
    .write("uv.lock", "version = 1\n\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\nsource = { editable = \"pkgs/a\" }\n\n[[package]]\nname = \"root\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\n")
    .write("pkgs/a/src/a/__init__.py", "");
    repo.commit("chore: init");
    let run = repo.xtask(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("warn membership") && run.stdout.contains("`ghost`"), "{}", run.stdout);

    repo.write("pkgs/a/pyproject.toml", &crate::fixtures::py_manifest("a", "0.1.0", &["ghost>=1"], &[]));
    repo.commit("feat: needs ghost");
    let run = repo.xtask(&["check"]);
    assert!(run.stdout.contains("FAIL unknown-members") && run.stdout.contains("[XR033]"), "{}", run.stdout);
    assert!(run.stdout.contains("`ghost`") && run.stdout.contains("a requires it"), "{}", run.stdout);
}

// ---- a manifest behind its last tag (genkit) ------------------------------------------------------

/// genkit's shape: the Python packages were released as 0.6.0 (`py/genkit-v0.6.0` and one tag per plugin),
/// then the project went back to 0.5.2 in the manifests. The plan starts from the higher of manifest and
/// last tag, says so, and never proposes a version whose tag exists; `check` warns (XR038) without
/// failing; preflight sees no tag of an "interrupted release"; the release goes through to the local
/// index and remote.
#[test]
fn a_manifest_behind_its_last_tag_plans_from_the_tag() {
    let reg = Registries::start();
    let repo = Repo::new("behind-tag");
    let manifests = |version: &str, pinned: &str| {
        repo.write("py/packages/genkit/pyproject.toml", &py_manifest("genkit", version, &[], &[]))
            .write(
                "py/plugins/genkit-plugin-a/pyproject.toml",
                &py_manifest("genkit-plugin-a", version, &["genkit>=0.5"], &["genkit"]),
            )
            .write(
                "py/plugins/genkit-plugin-pinned/pyproject.toml",
                &py_manifest("genkit-plugin-pinned", version, &[pinned], &["genkit"]),
            );
        tool(&repo, &reg, "uv", &["lock", "--quiet"], "py");
    };
    repo.write("py/pyproject.toml", "[tool.uv.workspace]\nmembers = [\"packages/*\", \"plugins/*\"]\n")
        .write("py/packages/genkit/src/genkit/__init__.py", "")
        .write("py/plugins/genkit-plugin-a/src/genkit_plugin_a/__init__.py", "")
        .write("py/plugins/genkit-plugin-pinned/src/genkit_plugin_pinned/__init__.py", "")
        .write("xtask-release.toml", &format!("{}\n[tags]\npython = \"py/{{name}}-v{{version}}\"\n", reg.config()))
        .write(".gitignore", ".venv/\n");
    manifests("0.6.0", "genkit>=0.6.0,<0.7");
    repo.commit("chore(py): release 0.6.0");
    for name in ["genkit", "genkit-plugin-a", "genkit-plugin-pinned"] {
        repo.tag(&format!("py/{name}-v0.6.0"));
    }
    manifests("0.5.2", "genkit>=0.5.2,<0.7");
    repo.commit("chore(py): bump versions to 0.5.2 and more fixes");
    repo.change("py/packages/genkit/src/genkit/__init__.py", "feat: a new API");
    repo.change("py/plugins/genkit-plugin-a/src/genkit_plugin_a/__init__.py", "fix: a plugin bug");
    repo.git(&["remote", "add", "origin", &reg.remote().display().to_string()]);
    repo.git(&["push", "-q", "origin", "main"]);

    // plan: from 0.6.0, not 0.5.2 (which gave genkit 0.6.0, the tag that exists, and plugins below theirs)
    let plan = repo.plan(&[]);
    assert_eq!(next(&plan, "genkit", "python"), "0.7.0", "{plan}");
    assert_eq!(next(&plan, "genkit-plugin-a", "python"), "0.6.1", "{plan}");
    // `<0.7` does not admit genkit 0.7.0: forced, from its tag's 0.6.0 too
    assert_eq!(next(&plan, "genkit-plugin-pinned", "python"), "0.6.1", "{plan}");
    let reason = entry(&plan, "genkit", "python")["reason"].as_str().unwrap();
    assert!(
        reason.contains("the manifest says 0.5.2, behind its last tag py/genkit-v0.6.0: planned from 0.6.0"),
        "{reason}"
    );
    let pinned = entry(&plan, "genkit-plugin-pinned", "python")["reason"].as_str().unwrap();
    assert!(pinned.starts_with("forced by genkit") && pinned.contains("planned from 0.6.0"), "{pinned}");
    let existing = repo.git(&["tag", "--list"]);
    for e in plan["packages"].as_array().unwrap() {
        let tag = e["tag"].as_str().unwrap();
        assert!(!existing.lines().any(|t| t == tag), "the plan proposes {tag}, which exists: {plan}");
    }

    // check: a warning per package, nothing fails
    let check = repo.xtask(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert!(check.stdout.contains("warn tag-versions"), "{}", check.stdout);
    assert!(
        check.stdout.contains(
            "[XR038] genkit: py/packages/genkit/pyproject.toml says 0.5.2, behind its last tag py/genkit-v0.6.0"
        ),
        "{}",
        check.stdout
    );
    assert_eq!(check.stdout.matches("[XR038]").count(), 3, "{}", check.stdout);

    // preflight: no planned tag exists, so nothing suggests an interrupted release
    let dry = release(&repo, &reg, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(!dry.stderr.contains("already exists") && !dry.stderr.contains("--resume"), "{}", dry.stderr);

    let run = release(&repo, &reg, &["--yes"]).ok();
    assert!(run.stdout.contains("released 3 package(s)"), "{}", run.stdout);
    let remote = git_env(Command::new("git").arg("-C").arg(reg.remote()).args(["tag", "--list"])).output().unwrap();
    let remote = String::from_utf8_lossy(&remote.stdout).to_string();
    for tag in ["py/genkit-v0.7.0", "py/genkit-plugin-a-v0.6.1", "py/genkit-plugin-pinned-v0.6.1"] {
        assert!(remote.lines().any(|t| t == tag), "{tag} not on the remote: {remote}");
    }
    assert_eq!(reg.python_files("genkit").len(), 2, "{:?}", reg.python_files("genkit"));
    let pinned = repo.git(&["show", "HEAD:py/plugins/genkit-plugin-pinned/pyproject.toml"]);
    assert!(pinned.contains("version = \"0.6.1\""), "{pinned}");
    // the manifests caught up with their tags: no more warning
    let check = repo.xtask(&["check"]);
    assert!(!check.stdout.contains("XR038"), "{}", check.stdout);
}

/// A tag of the version the plan would propose that is not in HEAD's history (released from another
/// branch): the plan stops with XR039 instead of proposing it, and names the tag.
#[test]
fn a_planned_version_whose_tag_exists_elsewhere_is_refused() {
    let repo = Repo::new("tag-elsewhere");
    repo.write("pyproject.toml", &py_manifest("lib", "1.0.0", &[], &[])).write("src/lib/__init__.py", "");
    repo.commit("chore: init");
    repo.tag("lib-v1.0.0");
    repo.git(&["checkout", "-q", "-b", "other"]);
    repo.change("src/lib/__init__.py", "fix: on another branch");
    repo.write("pyproject.toml", &py_manifest("lib", "1.0.1", &[], &[]));
    repo.commit("chore: release 1.0.1");
    repo.tag("lib-v1.0.1");
    repo.git(&["checkout", "-q", "main"]);
    repo.change("src/lib/__init__.py", "fix: on main");
    let run = repo.xtask(&["plan"]).fails_with("XR039");
    assert!(run.stderr.contains("lib-v1.0.1"), "{}", run.stderr);
    // a version above it goes
    let plan = repo.plan(&["--bump", "1.0.2"]);
    assert_eq!(next(&plan, "lib", "python"), "1.0.2");
}

// ---- a maturin crate outside the Cargo root (tokenizers) ------------------------------------------

/// tokenizers' crates: `tokenizers` (in the Cargo root) and the maturin crate `tokenizers-python` in
/// `bindings/python`, outside it, which depends on `tokenizers` by path. `root_workspace`: a Cargo workspace
/// at the top with `tokenizers` its member; otherwise the real layout, `[cargo] root = "tokenizers"`.
fn tokenizers_outside(root_workspace: bool) -> Repo {
    let repo = Repo::new("maturin-outside");
    let mut config =
        String::from("[python]\nroot = \"bindings/python\"\n\n[tags]\npython = \"py-{name}-v{version}\"\n");
    if root_workspace {
        repo.write("Cargo.toml", "[workspace]\nmembers = [\"tokenizers\"]\nexclude = [\"bindings/python\"]\n");
    } else {
        config.push_str("\n[cargo]\nroot = \"tokenizers\"\n");
    }
    repo.write("tokenizers/Cargo.toml", &crate_manifest("tokenizers", "0.22.1", ""))
        .write("tokenizers/src/lib.rs", "")
        .write(
            "bindings/python/Cargo.toml",
            &crate_manifest("tokenizers-python", "0.22.1", "tokenizers = { path = \"../../tokenizers\", version = \"0.22.1\" }\n"),
        )
        .write("bindings/python/src/lib.rs", "")
        .write(
            "bindings/python/pyproject.toml",
            &format!(
                "[project]\nname = \"tokenizers\"\ndynamic = [\"version\"]\ndescription = \"d\"\nlicense = \"MIT\"\n{MATURIN}"
            ),
        )
        .write("xtask-release.toml", &config);
    repo.commit("chore: init");
    repo.tag("tokenizers-v0.22.1");
    repo.tag("py-tokenizers-v0.22.1");
    repo
}

/// The reason names the maturin crate and says it is outside the Cargo root (it read "one version with
/// in bindings/python/Cargo.toml"), and the Python package depends on the crates its crate depends on by
/// path: planned after them, forced when they release (the wheel compiles them in), with the requirement
/// in the maturin crate's manifest moved when it no longer admits the new version.
#[test]
fn a_maturin_crate_outside_the_cargo_root_is_named_and_waits_for_its_path_crates() {
    for root_workspace in [true, false] {
        let repo = tokenizers_outside(root_workspace);
        let plan = repo.plan(&["--force-unchanged"]);
        let py = entry(&plan, "tokenizers", "python");
        let reason = py["reason"].as_str().unwrap();
        assert!(!reason.contains("with in"), "{reason}");
        assert!(
            reason.contains(
                "maturin: one version with crate tokenizers-python in bindings/python/Cargo.toml, outside the Cargo root"
            ),
            "{reason}"
        );
        assert_eq!(py["dependencies"], serde_json::json!(["cargo:tokenizers"]), "{plan}");
        let krate = entry(&plan, "tokenizers", "cargo");
        assert!(py["order"].as_u64() > krate["order"].as_u64(), "{plan}");
        let graph = repo.xtask(&["graph", "--format", "json"]).ok().json();
        assert!(graph["edges"].to_string().contains("python:tokenizers"), "{graph}");

        // a fix in the crate: its requirement still admits 0.22.2, the wheel compiles it in all the same
        repo.change("tokenizers/src/lib.rs", "fix: a tokenizer bug");
        let plan = repo.plan(&[]);
        assert_eq!(next(&plan, "tokenizers", "cargo"), "0.22.2");
        assert_eq!(next(&plan, "tokenizers", "python"), "0.22.2", "{plan}");
        let reason = entry(&plan, "tokenizers", "python")["reason"].as_str().unwrap();
        assert!(reason.starts_with("forced by tokenizers: the wheel compiles in crate tokenizers 0.22.2"), "{reason}");

        // a breaking change: the requirement `0.22.1` no longer admits 0.23.0 and moves with it
        repo.change("tokenizers/src/lib.rs", "feat!: a new API");
        let plan = repo.plan(&[]);
        assert_eq!(next(&plan, "tokenizers", "cargo"), "0.23.0");
        assert_eq!(next(&plan, "tokenizers", "python"), "0.22.2", "{plan}");
        let dry = repo.xtask(&["release", "--dry-run", "--offline", "--no-push"]);
        assert!(
            dry.stdout.contains("requirement on tokenizers `0.22.1` -> `0.23.0` in bindings/python/Cargo.toml"),
            "{}\n{}",
            dry.stdout,
            dry.stderr
        );
    }
}

/// tokio ignores its Cargo.lock: a lockfile git does not track is no part of
/// a release (the plan does not list it, the release does not update it);
/// the same for an ignored uv.lock. A tracked one still is.
#[test]
fn an_ignored_lockfile_is_not_released() {
    let repo = Repo::new("ignored-lock");
    crate::fixtures::mixed_files(&repo);
    repo.write(".gitignore", "/target\nCargo.lock\nuv.lock\n");
    repo.commit("chore: initial import");
    repo.change("crates/core/src/lib.rs", "feat(core): add a parser");
    repo.change("py/packages/models/src/models/__init__.py", "fix(models): ids");
    // both lockfiles exist in the work tree, ignored
    repo.write("Cargo.lock", "version = 4\n");
    repo.write("py/uv.lock", "version = 1\n");
    let plan = repo.plan(&[]);
    let files: Vec<&str> = plan["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(!files.iter().any(|f| f.ends_with(".lock")), "ignored lockfiles listed: {files:?}");
    assert!(files.contains(&"crates/core/CHANGELOG.md"), "{files:?}");
    // tracked (forced past .gitignore), the Cargo root's lockfile is part of the release again
    repo.git(&["add", "-f", "Cargo.lock"]);
    repo.commit("chore: track the lockfile");
    let plan = repo.plan(&[]);
    let files: Vec<&str> = plan["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(files.contains(&"Cargo.lock"), "{files:?}");
    assert!(!files.contains(&"py/uv.lock"), "{files:?}");
}

/// tokio's shape: no member depends on another by path; every internal edge is
/// a registry requirement that the root's `[patch.<registry>]` redirects to a
/// member's folder (here the `local` registry, tokio's is crates-io). The
/// dependency is published first, and a breaking release of it forces the
/// dependent and moves its requirement.
#[test]
fn internal_dependencies_through_a_patch_order_and_force_the_release() {
    let reg = Registries::start();
    let repo = Repo::new("patched");
    repo.write(
        "Cargo.toml",
        "[workspace]\nresolver = \"2\"\nmembers = [\"app\", \"core\"]\n\n[patch.local]\ncore = { path = \"core\" }\n",
    )
    .write("core/Cargo.toml", &crate_manifest("core", "1.0.0", ""))
    .write("core/src/lib.rs", "pub fn core() {}\n")
    .write("app/Cargo.toml", &crate_manifest("app", "0.1.0", "core = { version = \"1.0\", registry = \"local\" }\n"))
    .write("app/src/lib.rs", "pub fn app() { core::core() }\n")
    .write("xtask-release.toml", "[cargo]\nregistry = \"local\"\n")
    .write(".gitignore", "target/\n");
    tool(&repo, &reg, "cargo", &["generate-lockfile", "--quiet"], ".");
    repo.commit("chore: initial import");
    let remote = reg.remote().display().to_string();
    repo.git(&["remote", "add", "origin", &remote]);
    repo.git(&["push", "-q", "origin", "main"]);

    // the dependency comes first: app waits for core
    let plan = repo.plan(&[]);
    assert_eq!(entry(&plan, "core", "cargo")["level"], 0, "{plan}");
    assert_eq!(entry(&plan, "app", "cargo")["level"], 1, "{plan}");
    release(&repo, &reg, &["--yes"]).ok();
    assert_eq!(reg.crate_versions("app").len(), 1);

    // a breaking change in core forces app, whose requirement moves to core's new version
    repo.change("core/src/lib.rs", "feat(core)!: a new core");
    repo.git(&["push", "-q", "origin", "main"]);
    let plan = repo.plan(&[]);
    assert_eq!(next(&plan, "core", "cargo"), "2.0.0", "{plan}");
    assert_eq!(entry(&plan, "app", "cargo")["status"], "release", "app is forced: {plan}");
    let run = release(&repo, &reg, &["--yes"]).ok();
    assert!(run.stdout.contains("released 2 package(s)"), "{}", run.stdout);
    let app = repo.git(&["show", "HEAD:app/Cargo.toml"]);
    assert!(app.contains("core = { version = \"2.0.0\", registry = \"local\" }"), "{app}");
    assert_eq!(reg.crate_versions("core").len(), 2);
}
