//! Python packages as real repositories write them (issue 9): versions from a maturin crate, a hatch version
//! file or git tags; dependencies filled in by a build hook (read from uv.lock); uv's membership rules; local
//! versions; `graph` failing where `plan` does.
//!
//! No real maturin or VCS-plugin build here: maturin, hatchling, hatch-vcs, setuptools-scm and
//! uv-dynamic-versioning are not among the test tools (`uv build` would fetch them from an index the tests
//! point at a local one), so these tests check discovery, the plan, the edits a release writes
//! (`edits::compute_edits`) and the build command a dry run prints, environment included.

use xtask::plan::Options;
use xtask::repo::Repo as Loaded;

use crate::fixtures::{crate_manifest, py_manifest};
use crate::registries::Registries;
use crate::release::release;
use crate::support::Repo;

const MATURIN: &str = "\n[build-system]\nrequires = [\"maturin>=1,<2\"]\nbuild-backend = \"maturin\"\n";
const HATCH: &str = "\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n";

fn entry<'a>(plan: &'a serde_json::Value, name: &str, eco: &str) -> &'a serde_json::Value {
    plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name && e["ecosystem"] == eco)
        .unwrap_or_else(|| panic!("{name} ({eco}) not in the plan: {plan}"))
}

/// The files a release of the current plan would write: (path, new text).
fn edits(repo: &Repo) -> Vec<(String, String)> {
    let loaded = Loaded::load(Some(repo.path()), None).unwrap();
    let sh = xshell::Shell::new().unwrap();
    let (_, plan) = loaded.plan(&sh, &Options::default()).unwrap();
    xtask::edits::compute_edits(loaded.tree(), &plan, &[], xtask::edits::Show::Nothing).unwrap().files
}

fn edited<'a>(edits: &'a [(String, String)], file: &str) -> &'a str {
    edits.iter().find(|(f, _)| f == file).map(|(_, t)| t.as_str()).unwrap_or_else(|| {
        panic!("{file} is not edited; edited: {:?}", edits.iter().map(|(f, _)| f).collect::<Vec<_>>())
    })
}

/// A maturin package whose version is dynamic reads it from the crate at `[tool.maturin] manifest-path`
/// (here inherited from `[workspace.package]`), shares it with that crate, and a release bumps it there.
#[test]
fn maturin_version_lives_in_the_crate_it_is_built_from() {
    let repo = Repo::new("maturin-ws");
    repo.write(
        "Cargo.toml",
        "[workspace]\nresolver = \"2\"\nmembers = [\"crates/*\"]\n\n[workspace.package]\nversion = \"0.3.0\"\n",
    )
    .write(
        "crates/binding/Cargo.toml",
        "[package]\nname = \"binding\"\nversion.workspace = true\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"d\"\n",
    )
    .write("crates/binding/src/lib.rs", "")
    .write(
        "python/pyproject.toml",
        &format!(
            "[project]\nname = \"fastthing\"\ndynamic = [\"version\"]\ndescription = \"d\"\nlicense = \"MIT\"\n\n[tool.maturin]\nmanifest-path = \"../crates/binding/Cargo.toml\"\n{MATURIN}"
        ),
    )
    .write("xtask-release.toml", "[python]\nroot = \"python\"\n");
    repo.commit("chore: init");
    repo.tag("binding-v0.3.0");
    repo.tag("fastthing-v0.3.0");
    repo.change("python/fastthing.pyi", "feat: a new function");
    let plan = repo.plan(&[]);
    let py = entry(&plan, "fastthing", "python");
    assert_eq!((py["version"].as_str(), py["next_version"].as_str()), (Some("0.3.0"), Some("0.4.0")), "{py}");
    assert!(py["reason"].as_str().unwrap().contains("maturin: one version with crate binding"), "{py}");
    // the crate follows: one version for the pair
    assert_eq!(entry(&plan, "binding", "cargo")["next_version"], "0.4.0");
    let graph = repo.xtask(&["graph", "--format", "json"]).ok().json();
    assert_eq!(graph["built_from"], serde_json::json!([{"python": "fastthing", "crate": "binding", "via": "maturin"}]));
    let dot = repo.xtask(&["graph", "--format", "dot"]).ok().stdout;
    assert!(
        dot.contains("\"fastthing\" -> \"binding\" [style=dashed, constraint=false, label=\"built from\"]"),
        "{dot}"
    );
    // the release writes [workspace.package] version, and nothing into the pyproject
    let edits = edits(&repo);
    assert!(edited(&edits, "Cargo.toml").contains("version = \"0.4.0\""));
    assert!(edits.iter().all(|(f, _)| f != "python/pyproject.toml"), "{edits:?}");
}

/// The common single-crate layout: pyproject.toml next to Cargo.toml, one name in both ecosystems. The pair
/// shares one tag and is released together (the Python package is journaled as `python:NAME`).
#[test]
fn a_maturin_pair_of_one_name_shares_its_tag_and_releases_together() {
    let repo = Repo::new("maturin-one");
    repo.write("Cargo.toml", &crate_manifest("same", "1.2.0", "")).write("src/lib.rs", "").write(
        "pyproject.toml",
        &format!(
            "[project]\nname = \"same\"\ndynamic = [\"version\"]\ndescription = \"d\"\nlicense = \"MIT\"\n{MATURIN}"
        ),
    );
    repo.commit("chore: init");
    repo.tag("same-v1.2.0");
    repo.change("src/lib.rs", "feat: more");
    let plan = repo.plan(&[]);
    let (py, rs) = (entry(&plan, "same", "python"), entry(&plan, "same", "cargo"));
    assert_eq!((py["next_version"].as_str(), rs["next_version"].as_str()), (Some("1.3.0"), Some("1.3.0")));
    assert_eq!((py["tag"].as_str(), rs["tag"].as_str()), (Some("same-v1.3.0"), Some("same-v1.3.0")));
    assert_eq!(py["key"], "python:same", "{py}");
    let edits = edits(&repo);
    assert!(edited(&edits, "Cargo.toml").contains("version = \"1.3.0\""));
    let run = repo.xtask(&["check"]);
    assert!(!run.stdout.contains("XR043"), "a maturin pair's shared tag is no collision:\n{}", run.stdout);
}

/// hatch's default pattern takes `VERSION = "..."` and an annotated `__version__: str = "..."`, a custom
/// `pattern` is honored (read and written), and one outside the supported subset is a named error.
#[test]
fn hatch_version_files_and_patterns() {
    let repo = Repo::new("hatch-files");
    let hatch = |name: &str, table: &str| {
        format!("[project]\nname = \"{name}\"\ndynamic = [\"version\"]\ndescription = \"d\"\nlicense = \"MIT\"\n\n[tool.hatch.version]\n{table}{HATCH}")
    };
    repo.write("pyproject.toml", "[tool.uv.workspace]\nmembers = [\"p/*\"]\n")
        .write("p/upper/pyproject.toml", &hatch("upper", "path = \"upper.py\"\n"))
        .write("p/upper/upper.py", "VERSION = \"2.0.0\"\n")
        .write("p/typed/pyproject.toml", &hatch("typed", "path = \"typed.py\"\n"))
        .write("p/typed/typed.py", "__version__: str = 'v0.5.0'\n")
        .write(
            "p/custom/pyproject.toml",
            &hatch("custom", "path = \"about.py\"\npattern = \"BUILD = 'b(?P<version>[^']+)'\"\n"),
        )
        .write("p/custom/about.py", "NAME = 'x'\nBUILD = 'b1.1.0'\n");
    repo.commit("chore: init");
    for t in ["upper-v2.0.0", "typed-v0.5.0", "custom-v1.1.0"] {
        repo.tag(t);
    }
    repo.change("p/upper/x.py", "fix(upper): a");
    repo.change("p/typed/x.py", "fix(typed): b");
    repo.change("p/custom/x.py", "fix(custom): c");
    let plan = repo.plan(&[]);
    for (name, version, next) in
        [("upper", "2.0.0", "2.0.1"), ("typed", "0.5.0", "0.5.1"), ("custom", "1.1.0", "1.1.1")]
    {
        let e = entry(&plan, name, "python");
        assert_eq!((e["version"].as_str(), e["next_version"].as_str()), (Some(version), Some(next)), "{e}");
    }
    let edits = edits(&repo);
    assert_eq!(edited(&edits, "p/upper/upper.py"), "VERSION = \"2.0.1\"\n");
    assert_eq!(edited(&edits, "p/typed/typed.py"), "__version__: str = 'v0.5.1'\n");
    assert_eq!(edited(&edits, "p/custom/about.py"), "NAME = 'x'\nBUILD = 'b1.1.1'\n");

    // a lookbehind is beyond the subset: named, with the pattern quoted
    repo.write(
        "p/custom/pyproject.toml",
        &hatch("custom", "path = \"about.py\"\npattern = \"(?<=BUILD = 'b)(?P<version>[^']+)\"\n"),
    );
    repo.commit("chore: odd pattern");
    let run = repo.xtask(&["plan"]).fails_with("XR029");
    assert!(run.stderr.contains("(?<=BUILD"), "{}", run.stderr);
    // and the table is not called missing when the file lacks the line
    repo.write("p/custom/pyproject.toml", &hatch("custom", "path = \"about.py\"\n"));
    repo.commit("chore: default pattern");
    let run = repo.xtask(&["plan"]).fails_with("XR023");
    assert!(
        run.stderr.contains("p/custom/about.py has no `__version__ = \"...\"` or `VERSION = \"...\"` line"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("missing"), "{}", run.stderr);
}

/// Versions from git tags: the plan takes the last tag's version (0.0.0 before the first), a release writes
/// no file for them, and the dry run shows the build told the version through each plugin's variable.
#[test]
fn vcs_versions_come_from_tags_and_reach_the_build_by_environment() {
    let reg = Registries::start();
    let repo = Repo::new("vcs");
    let vcs = |name: &str, tool: &str, requires: &str| {
        format!(
            "[project]\nname = \"{name}\"\ndynamic = [\"version\"]\ndescription = \"d\"\nlicense = \"MIT\"\n\n{tool}\n[build-system]\nrequires = [{requires}]\nbuild-backend = \"x\"\n"
        )
    };
    repo.write("py/pyproject.toml", "[tool.uv.workspace]\nmembers = [\"p/*\"]\n")
        .write(
            "py/p/hv/pyproject.toml",
            &vcs("hv", "[tool.hatch.version]\nsource = \"vcs\"\n", "\"hatchling\", \"hatch-vcs\""),
        )
        .write(
            "py/p/udv/pyproject.toml",
            &vcs("udv", "[tool.hatch.version]\nsource = \"uv-dynamic-versioning\"\n", "\"hatchling\""),
        )
        .write(
            "py/p/scm/pyproject.toml",
            &vcs("Scm.Pkg", "[tool.setuptools_scm]\n", "\"setuptools\", \"setuptools-scm>=8\""),
        )
        .write("py/p/pdm/pyproject.toml", &vcs("pdmpkg", "[tool.pdm.version]\nsource = \"scm\"\n", "\"pdm-backend\""))
        .write("xtask-release.toml", &reg.config());
    repo.commit("chore: init");
    repo.tag("hv-v1.4.0");
    repo.tag("udv-v0.2.0");
    repo.tag("pdmpkg-v3.0.0");
    for p in ["hv", "udv", "scm", "pdm"] {
        repo.change(&format!("py/p/{p}/m.py"), &format!("feat({p}): x"));
    }
    let plan = repo.plan(&[]);
    for (name, version, next) in [
        ("hv", "1.4.0", "1.5.0"),
        ("udv", "0.2.0", "0.3.0"),
        ("Scm.Pkg", "0.0.0", "0.1.0"),
        ("pdmpkg", "3.0.0", "3.1.0"),
    ] {
        let e = entry(&plan, name, "python");
        assert_eq!((e["version"].as_str(), e["next_version"].as_str()), (Some(version), Some(next)), "{e}");
        assert!(e["reason"].as_str().unwrap().contains("version from git tags"), "{e}");
    }
    let graph = repo.xtask(&["graph"]).ok().stdout;
    assert!(graph.contains("hv (version from git tags, setuptools-scm) (python)"), "{graph}");
    assert!(edits(&repo).is_empty(), "no file holds a version from git tags");
    repo.git(&["remote", "add", "origin", &reg.remote().display().to_string()]);
    repo.git(&["push", "-q", "origin", "main"]);
    let run = release(&repo, &reg, &["--dry-run"]).ok();
    for line in [
        "would run: SETUPTOOLS_SCM_PRETEND_VERSION_FOR_HV=1.5.0 VCS_VERSIONING_PRETEND_VERSION_FOR_HV=1.5.0 uv build",
        "would run: UV_DYNAMIC_VERSIONING_BYPASS=0.3.0 uv build",
        "would run: SETUPTOOLS_SCM_PRETEND_VERSION_FOR_SCM_PKG=0.1.0 VCS_VERSIONING_PRETEND_VERSION_FOR_SCM_PKG=0.1.0 uv build",
        "would run: PDM_BUILD_SCM_VERSION=3.1.0 uv build",
    ] {
        assert!(run.stdout.contains(line), "`{line}` not in:\n{}", run.stdout);
    }
}

/// `dynamic = ["dependencies"]`: the requirements uv.lock records order publishing; without a lock entry the
/// plan refuses (never a silent guess).
#[test]
fn dynamic_dependencies_are_read_from_uv_lock() {
    let repo = Repo::new("dyn-deps");
    repo.write("pyproject.toml", "[tool.uv.workspace]\nmembers = [\"p/*\"]\n")
        .write("p/lib/pyproject.toml", &py_manifest("zlib-core", "1.0.0", &[], &[]))
        .write(
            "p/app/pyproject.toml",
            &py_manifest("app", "1.0.0", &[], &["zlib-core"])
                .replace("dependencies = []\n", "dynamic = [\"dependencies\"]\n"),
        );
    repo.commit("chore: init");
    let run = repo.xtask(&["plan"]).fails_with("XR028");
    assert!(run.stderr.contains("records no requirements of app"), "{}", run.stderr);
    let check = repo.xtask(&["check"]);
    assert!(check.stdout.contains("XR028"), "{}", check.stdout);
    repo.write(
        "uv.lock",
        "version = 1\nrevision = 3\nrequires-python = \">=3.9\"\n\n[manifest]\nmembers = [\"app\", \"zlib-core\"]\n\n\
         [[package]]\nname = \"app\"\nversion = \"1.0.0\"\nsource = { editable = \"p/app\" }\ndependencies = [\n    { name = \"zlib-core\" },\n]\n\n\
         [package.metadata]\nrequires-dist = [{ name = \"zlib-core\", editable = \"p/lib\" }, { name = \"rich\", marker = \"extra == 'cli'\", specifier = \">=13\" }]\n\n\
         [[package]]\nname = \"zlib-core\"\nversion = \"1.0.0\"\nsource = { editable = \"p/lib\" }\n",
    );
    repo.commit("chore: lock");
    let plan = repo.plan(&[]);
    let names: Vec<&str> = plan["packages"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["zlib-core", "app"], "the dependency from uv.lock orders zlib-core first");
    assert_eq!(entry(&plan, "app", "python")["dependencies"], serde_json::json!(["zlib-core"]));
}

/// uv's membership: a members entry matching nothing is a warning; virtual projects are never published;
/// a configured root that does not exist is an error.
#[test]
fn uv_membership_rules() {
    let repo = Repo::new("membership");
    repo.write(
        "pyproject.toml",
        "[project]\nname = \"root\"\nversion = \"0.1.0\"\n\n[tool.uv.workspace]\nmembers = [\"p/*\", \"gone/*\"]\n",
    )
    .write("p/real/pyproject.toml", &py_manifest("real", "1.0.0", &[], &[]))
    .write(
        "p/tools/pyproject.toml",
        &format!("{}\n[tool.uv]\npackage = false\n", py_manifest("tools", "0.1.0", &[], &[])),
    );
    repo.commit("chore: init");
    let plan = repo.plan(&[]);
    assert_eq!(entry(&plan, "real", "python")["status"], "release");
    for (name, why) in [("root", "no [build-system]"), ("tools", "[tool.uv] package = false")] {
        let e = entry(&plan, name, "python");
        assert_eq!(e["status"], "excluded", "{e}");
        assert!(e["reason"].as_str().unwrap().contains(why), "{e}");
    }
    let check = repo.xtask(&["check"]);
    assert!(check.stdout.contains("warn membership"), "{}", check.stdout);
    assert!(check.stdout.contains("members entry `gone/*` matches no folder"), "{}", check.stdout);
    repo.write("xtask-release.toml", "[python]\nroot = \"nope\"\n");
    repo.commit("chore: config");
    let run = repo.xtask(&["plan"]).fails_with("XR027");
    assert!(run.stderr.contains("[python] root = \"nope\""), "{}", run.stderr);
}

/// A local version (`+dev`) is never uploaded: the package is excluded with the reason and the fix, `check`
/// flags it, and a release to a local version is refused.
#[test]
fn local_versions_are_never_released() {
    let repo = Repo::new("local");
    repo.write("pyproject.toml", &py_manifest("loc", "1.2.0+dev", &[], &[]));
    repo.commit("chore: init");
    let plan = repo.plan(&[]);
    let e = entry(&plan, "loc", "python");
    assert_eq!(e["status"], "excluded", "{e}");
    assert!(e["reason"].as_str().unwrap().contains("remove it from pyproject.toml to release 1.2.0"), "{e}");
    let check = repo.xtask(&["check"]);
    assert!(check.stdout.contains("[XR051]"), "{}", check.stdout);
    repo.write("pyproject.toml", &py_manifest("loc", "1.2.0", &[], &[]));
    repo.commit("fix: public");
    repo.xtask(&["plan", "--bump", "1.3.0+local"]).fails_with("XR051");
}

/// Where `plan` cannot read a version, `graph` fails the same way instead of printing a blank.
#[test]
fn graph_fails_where_plan_fails() {
    let repo = Repo::new("graph-agrees");
    repo.write(
        "pyproject.toml",
        &format!("[project]\nname = \"nover\"\ndynamic = [\"version\"]\n\n[tool.hatch.version]\npath = \"missing.py\"\n{HATCH}"),
    );
    repo.commit("chore: init");
    repo.xtask(&["plan"]).fails_with("XR023");
    repo.xtask(&["graph"]).fails_with("XR023");
}
