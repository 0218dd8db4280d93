//! Tags as real repositories write them (issue 17): a plan that reads no tag
//! says so, per-ecosystem umbrella tags (`[tags] cargo = "rs-{version}"`), and
//! what `init` infers in polyglot repositories (polars, genkit, pydantic), in
//! one on `master`, by tag date. Each repository here copies the tag shapes of
//! the real one it is named after.

use std::process::Command;

use crate::fixtures::{crate_manifest, py_manifest};
use crate::registries::Registries;
use crate::release::tool;
use crate::support::{git_env, Repo, Run};

/// The plan entry of `name` in `eco`.
fn entry<'a>(plan: &'a serde_json::Value, name: &str, eco: &str) -> &'a serde_json::Value {
    plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name && e["ecosystem"] == eco)
        .unwrap_or_else(|| panic!("{eco}:{name} not in plan"))
}

fn last_tag(plan: &serde_json::Value, name: &str, eco: &str) -> String {
    entry(plan, name, eco)["last_tag"].as_str().unwrap_or("(none)").to_string()
}

fn config(repo: &Repo) -> String {
    std::fs::read_to_string(repo.path().join("xtask-release.toml")).unwrap()
}

/// An annotated tag created at `unix` time (the tag's date; the commit keeps its own).
fn tag_at(repo: &Repo, name: &str, unix: u64) {
    let date = format!("@{unix} +0000");
    let out = git_env(Command::new("git").arg("-C").arg(repo.path()).args(["tag", "-a", name, "-m", name]))
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .unwrap();
    assert!(out.status.success(), "git tag {name}: {}", String::from_utf8_lossy(&out.stderr));
}

fn remote_tags(reg: &Registries) -> Vec<String> {
    let out = git_env(Command::new("git").arg("-C").arg(reg.remote()).args(["tag", "--list"])).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

fn release(repo: &Repo, reg: &Registries, args: &[&str]) -> Run {
    let env = reg.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut all = vec!["release"];
    all.extend(args);
    repo.xtask_env(&all, &env)
}

// ---- silence when no tag is read ------------------------------------------------------------------

/// untether (`v0.35.4`), ruff (`0.16.4`), pyo3 (`v0.29.0`), livekit (`name@1.7.0`), pydantic
/// (`core-v2.x`): with no configuration the default template reads none of them, and every command that
/// plans says so and names `init`, instead of planning a first release of the whole history in silence.
#[test]
fn a_plan_that_reads_no_tag_says_so_in_plan_check_and_release() {
    for shape in ["v0.35.4", "0.35.4", "untether@0.35.4", "core-v0.35.4"] {
        let repo = Repo::new("unread-tags");
        repo.write("pyproject.toml", &py_manifest("untether", "0.35.4", &[], &[]))
            .write("src/untether/__init__.py", "")
            .write("CHANGELOG.md", "# Changelog\n\n## [0.35.4] - 2026-01-01\n\n### Fixes\n\n- a fix\n");
        repo.commit("chore: release 0.35.4");
        repo.tag(&shape.replace("0.35.4", "0.35.3"));
        repo.tag(shape);
        repo.change("src/untether/__init__.py", "fix: another");

        let run = repo.xtask(&["plan", "--format", "json"]).ok();
        assert!(run.stderr.contains("warning[XR044]"), "{shape}: no warning:\n{}", run.stderr);
        assert!(run.stderr.contains(shape) && run.stderr.contains("cargo xtask init"), "{shape}:\n{}", run.stderr);
        let plan = run.json();
        assert_eq!(entry(&plan, "untether", "python")["bump"], "initial");
        // and in the JSON, for tools that read it
        assert_eq!(plan["warnings"][0]["code"], "XR044", "{shape}: {plan}");
        assert!(plan["warnings"][0]["help"].as_str().unwrap().contains("cargo xtask init"), "{shape}: {plan}");

        let table = repo.xtask(&["plan"]).ok();
        assert!(table.stderr.contains("warning[XR044]"), "{}", table.stderr);
        let check = repo.xtask(&["check"]);
        assert!(check.stdout.contains("XR044") && check.stdout.contains("cargo xtask init"), "{}", check.stdout);
        let dry = repo.xtask(&["release", "--dry-run"]);
        assert!(dry.stderr.contains("warning[XR044]"), "release --dry-run:\n{}\n{}", dry.stdout, dry.stderr);
    }

    // tags that are read, or that look like no release: no warning
    let repo = Repo::new("read-tags");
    repo.write("pyproject.toml", &py_manifest("untether", "0.35.4", &[], &[])).write("src/untether/__init__.py", "");
    repo.commit("chore: init");
    repo.tag("latest");
    let run = repo.xtask(&["plan"]).ok();
    assert!(!run.stderr.contains("XR044"), "{}", run.stderr);
    repo.tag("untether-v0.35.4");
    repo.tag("v0.35.4");
    let run = repo.xtask(&["plan"]).ok();
    assert!(!run.stderr.contains("XR044"), "{}", run.stderr);
    assert!(!repo.xtask(&["check"]).stdout.contains("XR044"));
    assert!(repo.plan(&[]).get("warnings").is_none(), "no warnings, no key");
}

// ---- per-ecosystem umbrella tags ------------------------------------------------------------------

/// polars' shape: crates sharing `[workspace.package] version` (a crate `polars` among them), a Python
/// package `polars` of its own version in `py-polars/`, one crate at a version of its own.
fn polars_files(repo: &Repo, rs: &str, py: &str, reg: Option<&Registries>) {
    let publish = |m: String| match reg {
        Some(_) => m.replace("license = \"MIT\"\n", "license = \"MIT\"\npublish = [\"local\"]\n"),
        None => m,
    };
    let registry = if reg.is_some() { ", registry = \"local\"" } else { "" };
    let inherit = |name: &str, deps: &str| {
        publish(crate_manifest(name, "0", deps)).replace("version = \"0\"\n", "version.workspace = true\n")
    };
    repo.write(
        "Cargo.toml",
        &format!(
            "[workspace]\nresolver = \"2\"\nmembers = [\"crates/*\"]\n\n[workspace.package]\nversion = \"{rs}\"\n"
        ),
    )
    .write("crates/polars-core/Cargo.toml", &inherit("polars-core", ""))
    .write("crates/polars-core/src/lib.rs", "pub fn core() {}\n")
    .write(
        "crates/polars/Cargo.toml",
        &inherit("polars", &format!("polars-core = {{ version = \"{rs}\", path = \"../polars-core\"{registry} }}\n")),
    )
    .write("crates/polars/src/lib.rs", "pub fn polars() {}\n")
    .write("crates/odd/Cargo.toml", &publish(crate_manifest("odd", "0.2.0", "")))
    .write("crates/odd/src/lib.rs", "pub fn odd() {}\n")
    .write("py-polars/pyproject.toml", &py_manifest("polars", py, &[], &[]))
    .write("py-polars/src/polars/__init__.py", "");
}

/// `[tags] cargo = "rs-{version}"`: every crate is released under one tag and so at one version; the
/// Python package keeps `py-{version}`; a crate listed in `separate` keeps tags of its own. A crate at
/// another version that is not listed stops the plan (XR045) and is a `check` problem. Then a real
/// release makes exactly one `rs-` and one `py-` tag.
#[test]
fn per_ecosystem_umbrella_tags_release_every_crate_under_one_tag() {
    let reg = Registries::start();
    let repo = Repo::new("polars-umbrella");
    polars_files(&repo, "0.5.0", "1.3.0", Some(&reg));
    let settings = format!(
        "[python]\nroot = \"py-polars\"\npublish-url = \"http://127.0.0.1:{}/\"\nindex-url = \"{}\"\n\n[cargo]\nregistry = \"local\"\n\n",
        reg.pypi_port,
        reg.simple_url()
    );
    let tags = "[tags]\ncargo = \"rs-{version}\"\npython = \"py-{version}\"\n";
    repo.write("xtask-release.toml", &format!("{settings}{tags}separate = [\"odd\"]\n"))
        .write(".gitignore", "target/\n.venv/\n");
    tool(&repo, &reg, "cargo", &["generate-lockfile", "--quiet"], ".");
    tool(&repo, &reg, "uv", &["lock", "--quiet"], "py-polars");
    repo.commit("chore: release");
    for t in ["rs-0.5.0", "py-1.3.0", "odd-v0.2.0"] {
        repo.tag(t);
    }
    repo.change("crates/polars-core/src/lib.rs", "feat(core): a faster join");
    repo.change("py-polars/src/polars/__init__.py", "fix: a python fix");

    let plan = repo.plan(&[]);
    for c in ["polars-core", "polars"] {
        assert_eq!(last_tag(&plan, c, "cargo"), "rs-0.5.0", "{c}");
        assert_eq!(entry(&plan, c, "cargo")["next_version"], "0.5.1", "{c}: one version for every crate");
        assert_eq!(entry(&plan, c, "cargo")["tag"], "rs-0.5.1", "{c}");
    }
    assert_eq!(last_tag(&plan, "polars", "python"), "py-1.3.0");
    assert_eq!(entry(&plan, "polars", "python")["tag"], "py-1.3.1");
    assert_eq!(last_tag(&plan, "odd", "cargo"), "odd-v0.2.0", "a separate crate keeps its own tags");
    assert_eq!(entry(&plan, "odd", "cargo")["status"], "skip");
    let check = repo.xtask(&["check", "--format", "json"]);
    assert!(!check.stdout.contains("XR043") && !check.stdout.contains("XR045"), "{}", check.stdout);

    // without `separate`, odd's 0.2.0 cannot share rs-{version} with 0.5.0: the plan says so
    repo.write("xtask-release.toml", &format!("{settings}{tags}"));
    let run = repo.xtask(&["plan"]).fails_with("XR045");
    assert!(run.stderr.contains("odd 0.2.0") && run.stderr.contains("separate"), "{}", run.stderr);
    let check = repo.xtask(&["check"]);
    assert!(check.stdout.contains("XR045") && check.stdout.contains("odd"), "{}", check.stdout);
    repo.git(&["checkout", "--", "xtask-release.toml"]);

    let remote = reg.remote().display().to_string();
    repo.git(&["remote", "add", "origin", &remote]);
    repo.git(&["push", "-q", "origin", "main"]);
    let run = release(&repo, &reg, &["--yes"]).ok();
    assert!(run.stdout.contains("released 3 package(s)"), "{}", run.stdout);
    // the progress names the Python package by its key beside the crate of its name
    assert!(run.stderr.contains("] python:polars: done"), "{}", run.stderr);
    let mut tags = remote_tags(&reg);
    tags.retain(|t| t.starts_with("rs-0.5.1") || t.starts_with("py-1.3.1") || t.starts_with("polars"));
    assert_eq!(tags, ["py-1.3.1", "rs-0.5.1"], "one tag per ecosystem");
    for c in ["polars-core", "polars"] {
        assert_eq!(reg.crate_versions(c).iter().map(|v| v.0.as_str()).collect::<Vec<_>>(), ["0.5.1"], "{c}");
    }
    assert_eq!(reg.python_files("polars").len(), 2);
    let manifest = std::fs::read_to_string(repo.path().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("version = \"0.5.1\""), "{manifest}");
}

// ---- init in polyglot repositories ----------------------------------------------------------------

/// polars: `py-1.x` for the Python package, `rs-0.x` for every crate, and noise. init reads them all
/// as per-ecosystem umbrellas (the crate at a version of its own is `separate`), and the plan it
/// leads to reads every last release, with no XR043 for the crate and the Python package `polars`.
#[test]
fn init_infers_per_ecosystem_umbrella_tags_in_a_polyglot_repository() {
    let repo = Repo::new("polars-init");
    polars_files(&repo, "0.4.0", "1.2.0", None);
    repo.commit("chore: first");
    repo.tag("rs-0.4.0");
    repo.tag("py-1.2.0");
    repo.tag("odd-v0.2.0");
    polars_files(&repo, "0.5.0", "1.3.0", None);
    repo.commit("chore: release");
    repo.tag("rs-0.5.0");
    repo.tag("py-1.3.0");
    repo.tag("patch/fix-cspe-panic-2026-05-12");
    repo.change("crates/polars-core/src/lib.rs", "feat(core): streaming");

    let run = repo.xtask(&["init"]).ok();
    let text = config(&repo);
    assert!(text.contains("cargo = [\"rs-{version}\", \"{name}-v{version}\"]"), "{text}\n{}", run.stdout);
    assert!(text.contains("python = \"py-{version}\""), "{text}");
    assert!(text.contains("separate = [\"odd\"]"), "{text}");
    let plan = repo.plan(&[]);
    assert_eq!(last_tag(&plan, "polars-core", "cargo"), "rs-0.5.0");
    assert_eq!(last_tag(&plan, "polars", "cargo"), "rs-0.5.0");
    assert_eq!(last_tag(&plan, "polars", "python"), "py-1.3.0");
    assert_eq!(last_tag(&plan, "odd", "cargo"), "odd-v0.2.0");
    assert_eq!(entry(&plan, "polars", "cargo")["tag"], "rs-0.5.1");
}

/// genkit: a uv workspace in `py/` beside JavaScript (`genkit@1.33.0`, `v1.33.0`, `core-v1.33.0`) and Go
/// (`go/v1.7.0`, the newest tag). A tag is a package's only where its manifest has that version at the
/// tag's commit: the JavaScript tags are not the Python `genkit`'s, Go's umbrella groups no Python
/// package, and `py/v{version}` (where genkit and its plugin are at its version) is the Python umbrella.
#[test]
fn init_reads_a_tag_as_a_packages_only_where_its_manifest_has_that_version() {
    let repo = Repo::new("genkit-init");
    let py = |repo: &Repo, genkit: &str| {
        repo.write("py/pyproject.toml", "[tool.uv.workspace]\nmembers = [\"packages/*\", \"samples/*\"]\n")
            .write("py/packages/genkit/pyproject.toml", &py_manifest("genkit", genkit, &[], &[]))
            .write("py/packages/genkit/src/genkit/__init__.py", "")
            .write("py/packages/genkit-plugin-x/pyproject.toml", &py_manifest("genkit-plugin-x", genkit, &[], &[]))
            .write("py/packages/genkit-plugin-x/src/genkit_plugin_x/__init__.py", "")
            .write("py/samples/hello/pyproject.toml", &py_manifest("hello", "0.2.0", &[], &[]))
            .write("py/samples/hello/src/hello/__init__.py", "");
    };
    py(&repo, "0.5.0");
    repo.write("js/package.json", "{\"name\": \"genkit\", \"version\": \"1.32.0\"}\n");
    repo.commit("chore: python 0.5.0");
    let t0 = 1_770_000_000;
    for (i, t) in ["py/genkit-v0.5.0", "py/genkit-plugin-x-v0.5.0", "py/hello-v0.2.0"].iter().enumerate() {
        tag_at(&repo, t, t0 + i as u64);
    }
    repo.change("js/package.json", "chore(js): release 1.32.0");
    for t in ["genkit@1.32.0", "v1.32.0", "core-v1.32.0"] {
        tag_at(&repo, t, t0 + 100);
    }
    py(&repo, "0.5.2");
    repo.commit("chore: python 0.5.2");
    tag_at(&repo, "py/v0.5.2", t0 + 200);
    repo.change("js/package.json", "chore(js): release 1.33.0");
    for t in ["genkit@1.33.0", "v1.33.0", "core-v1.33.0"] {
        tag_at(&repo, t, t0 + 300);
    }
    repo.change("go/go.mod", "chore(go): release 1.7.0");
    tag_at(&repo, "go/v1.7.0", t0 + 400);
    repo.change("py/packages/genkit/src/genkit/__init__.py", "feat(genkit): flows");

    let run = repo.xtask(&["init"]).ok();
    let text = config(&repo);
    assert!(!text.contains("{name}@{version}"), "JavaScript's template is not Python's:\n{text}\n{}", run.stdout);
    assert!(!text.contains("go/v{version}"), "Go's umbrella groups no Python package:\n{text}");
    assert!(text.contains("python = [\"py/v{version}\", \"py/{name}-v{version}\"]"), "{text}\n{}", run.stdout);
    assert!(text.contains("separate = [\"hello\"]"), "{text}");
    let plan = repo.plan(&[]);
    assert_eq!(last_tag(&plan, "genkit", "python"), "py/v0.5.2");
    assert_eq!(last_tag(&plan, "genkit-plugin-x", "python"), "py/v0.5.2");
    assert_eq!(last_tag(&plan, "hello", "python"), "py/hello-v0.2.0");
    assert_eq!(entry(&plan, "genkit", "python")["tag"], "py/v0.6.0");
    assert_eq!(entry(&plan, "genkit-plugin-x", "python")["next_version"], "0.6.0", "one tag, one version");
}

/// pydantic: `v2.x` for pydantic, `core-v2.x` for pydantic-core, a maturin package built from the crate
/// of the same name. init reads both; the pair shares `core-v{version}`.
#[test]
fn init_reads_the_prefixed_tags_of_a_maturin_pair() {
    let repo = Repo::new("pydantic-init");
    let files = |repo: &Repo, pydantic: &str, core: &str| {
        repo.write(
            "pyproject.toml",
            &format!(
                "{}\n[tool.uv.workspace]\nmembers = [\"pydantic-core\"]\n",
                py_manifest("pydantic", pydantic, &[], &[])
            ),
        )
        .write("src/pydantic/__init__.py", "")
        .write("pydantic-core/Cargo.toml", &crate_manifest("pydantic-core", core, ""))
        .write("pydantic-core/src/lib.rs", "")
        .write(
            "pydantic-core/pyproject.toml",
            "[project]\nname = \"pydantic_core\"\ndynamic = [\"version\"]\ndescription = \"d\"\nlicense = \"MIT\"\n\n\
             [build-system]\nrequires = [\"maturin>=1,<2\"]\nbuild-backend = \"maturin\"\n",
        );
    };
    files(&repo, "2.13.0", "2.47.0");
    repo.commit("chore: release");
    repo.tag("v2.13.0");
    repo.tag("core-v2.47.0");
    files(&repo, "2.14.0", "2.48.0");
    repo.commit("chore: release");
    repo.tag("v2.14.0");
    repo.tag("core-v2.48.0");
    repo.change("pydantic-core/src/lib.rs", "fix(core): a core fix");

    let run = repo.xtask(&["init"]).ok();
    let text = config(&repo);
    assert!(text.contains("tag = \"core-v{version}\""), "{text}\n{}", run.stdout);
    let plan = repo.plan(&[]);
    assert_eq!(last_tag(&plan, "pydantic_core", "python"), "core-v2.48.0");
    assert_eq!(last_tag(&plan, "pydantic-core", "cargo"), "core-v2.48.0");
    assert_eq!(last_tag(&plan, "pydantic", "python"), "v2.14.0");
    assert_eq!(entry(&plan, "pydantic-core", "cargo")["tag"], "core-v2.48.1");
    assert_eq!(entry(&plan, "pydantic", "python")["status"], "skip");
}

/// "Newest" is the date a tag was made: a convention adopted later is written even when its tag sits on
/// the same commit as an older convention's (and has no higher version).
#[test]
fn init_writes_the_convention_tagged_last() {
    let repo = Repo::new("newest-init");
    repo.write("pyproject.toml", &py_manifest("lib", "1.0.0", &[], &[])).write("src/lib/__init__.py", "");
    repo.commit("chore: 1.0.0");
    tag_at(&repo, "lib-1.0.0", 1_700_000_000);
    repo.write("pyproject.toml", &py_manifest("lib", "1.1.0", &[], &[]));
    repo.commit("chore: 1.1.0");
    tag_at(&repo, "lib-1.1.0", 1_700_100_000);
    tag_at(&repo, "lib-v1.1.0", 1_700_200_000); // the convention adopted since
    let run = repo.xtask(&["init"]).ok();
    let text = config(&repo);
    assert!(text.contains("package = [\"{name}-v{version}\", \"{name}-{version}\"]"), "{text}\n{}", run.stdout);
}

// ---- init on `master` ------------------------------------------------------------------------------

/// A repository whose branch is `master`: init allows it, and the first release goes through
/// (the default `["main"]` stopped it with XR100).
#[test]
fn init_on_master_allows_master_and_the_first_release_goes_through() {
    let reg = Registries::start();
    let repo = Repo::new("master-init");
    repo.git(&["checkout", "-q", "-b", "master"]);
    repo.write(
        "pyproject.toml",
        &format!(
            "{}\n[[tool.uv.index]]\nname = \"local\"\nurl = \"{}\"\npublish-url = \"http://127.0.0.1:{}/\"\n",
            py_manifest("lib", "1.0.0", &[], &[]),
            reg.simple_url(),
            reg.pypi_port
        ),
    )
    .write("src/lib/__init__.py", "")
    .write(".gitignore", ".venv/\n");
    tool(&repo, &reg, "uv", &["lock", "--quiet"], ".");
    repo.commit("feat: first");
    repo.tag("lib-v1.0.0");
    repo.change("src/lib/__init__.py", "fix: edge");
    let remote = reg.remote().display().to_string();
    repo.git(&["remote", "add", "origin", &remote]);
    repo.git(&["push", "-q", "origin", "master"]);

    let run = repo.xtask(&["init"]).ok();
    let text = config(&repo);
    assert!(text.contains("allow-branches = [\"master\"]"), "{text}\n{}", run.stdout);
    repo.commit("chore: configure releases");
    repo.git(&["push", "-q", "origin", "master"]);
    let run = release(&repo, &reg, &["--yes"]).ok();
    assert!(run.stdout.contains("released 1 package(s)"), "{}", run.stdout);
    assert!(remote_tags(&reg).contains(&"lib-v1.0.1".to_string()), "{:?}", remote_tags(&reg));
}
