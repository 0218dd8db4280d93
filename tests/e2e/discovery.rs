//! Discovery and versions as the second wave of real repositories writes them (issue 17): a maturin pair
//! whose crate has a SemVer `-dev.N` version (tokenizers), a maturin crate outside the Cargo workspace,
//! unused uv workspace sources (genkit), manifests behind their last tag (genkit), internal dependencies
//! through `[patch.crates-io]` (tokio) and lockfiles git ignores (tokio).

use crate::fixtures::crate_manifest;
use crate::support::Repo;

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
