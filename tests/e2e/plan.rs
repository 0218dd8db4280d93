//! `plan` on real repositories.

use crate::fixtures::{crate_manifest, mixed, py_manifest};
use crate::support::{entry, golden, Repo};

fn summary(plan: &serde_json::Value) -> Vec<String> {
    plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {} {} {} l{}",
                e["order"],
                e["name"].as_str().unwrap(),
                e["status"].as_str().unwrap(),
                e["version"].as_str().unwrap(),
                e["next_version"].as_str().unwrap_or("-"),
                e["bump"].as_str().unwrap(),
                e["level"]
            )
        })
        .collect()
}

#[test]
fn mixed_repository_acceptance() {
    let repo = mixed();
    let before = repo.fingerprint();
    let plan = repo.plan(&[]);
    assert_eq!(
        summary(&plan),
        [
            "1 core release 1.0.0 1.1.0 minor l0",
            "2 models release 1.2.0 2.0.0 major l0",
            "3 client release 0.5.0 0.5.1 patch l1",
            "4 net skip 0.3.0 - none l1",
            "5 app skip 0.1.0 - none l2",
            "6 cli-tool release 0.1.0 0.1.0 initial l2",
        ]
    );
    let client = entry(&plan, "client");
    assert_eq!(client["ecosystem"], "python");
    assert_eq!(client["path"], "py/packages/client");
    assert_eq!(client["dependencies"], serde_json::json!(["models"]));
    assert!(client["reason"].as_str().unwrap().contains("forced by models"), "{}", client["reason"]);
    assert!(entry(&plan, "net")["reason"].as_str().unwrap().contains("no releasable changes since net-v0.3.0"));
    assert!(entry(&plan, "cli-tool")["reason"].as_str().unwrap().contains("no release tag yet"));
    assert_eq!(entry(&plan, "core")["tag"], "core-v1.1.0");
    // dev-dependencies do not order publishing
    assert_eq!(entry(&plan, "app")["dependencies"], serde_json::json!(["net"]));
    assert_eq!(before, repo.fingerprint(), "plan must not write anything");
}

#[test]
fn table_and_csv_are_stable() {
    let repo = mixed();
    golden("plan-mixed.txt", &repo.xtask(&["plan"]).ok().stdout);
    golden("plan-mixed.csv", &repo.xtask(&["plan", "--format", "csv"]).ok().stdout);
}

#[test]
fn cargo_workspace_inheritance_renames_and_publish_false() {
    let repo = Repo::new("cargo");
    repo.write(
        "Cargo.toml",
        r#"[workspace]
members = ["crates/*", "tools/gen"]
exclude = ["crates/skipme"]

[workspace.package]
version = "2.1.0"
license = "MIT"

[workspace.dependencies]
base = { path = "crates/base", version = "2.1.0" }
"#,
    )
    .write("crates/base/Cargo.toml", "[package]\nname = \"base\"\nversion.workspace = true\nlicense.workspace = true\ndescription = \"b\"\n")
    .write("crates/base/src/lib.rs", "")
    .write(
        "crates/mid/Cargo.toml",
        "[package]\nname = \"mid\"\nversion.workspace = true\ndescription = \"m\"\n\n[dependencies]\nbase.workspace = true\n\n[dev-dependencies]\ntop = { path = \"../top\" }\n",
    )
    .write("crates/mid/src/lib.rs", "")
    .write(
        "crates/top/Cargo.toml",
        "[package]\nname = \"top\"\nversion = \"0.9.0\"\n\n[target.'cfg(unix)'.build-dependencies]\nrenamed = { package = \"mid\", path = \"../mid\", version = \"2\" }\n",
    )
    .write("crates/top/src/lib.rs", "")
    .write("crates/skipme/Cargo.toml", "[package]\nname = \"skipme\"\nversion = \"1.0.0\"\n")
    .write("tools/gen/Cargo.toml", "[package]\nname = \"gen\"\nversion = \"0.1.0\"\npublish = false\n")
    .write("tools/gen/src/main.rs", "");
    repo.commit("chore: init");
    repo.tag("base-v2.1.0");
    repo.tag("mid-v2.1.0");
    repo.tag("top-v0.9.0");
    repo.change("crates/base/src/lib.rs", "fix: off by one");
    let plan = repo.plan(&[]);
    assert_eq!(
        summary(&plan),
        [
            "1 base release 2.1.0 2.1.1 patch l0",
            "2 gen excluded 0.1.0 - none l0",
            "3 mid release 2.1.0 2.1.1 patch l1",
            "4 top skip 0.9.0 - none l2"
        ]
    );
    // `mid` inherits the workspace version like `base`: it moves with it
    repo.change("crates/base/src/lib.rs", "feat: more");
    let plan = repo.plan(&[]);
    assert_eq!(entry(&plan, "base")["next_version"], "2.2.0");
    assert_eq!(entry(&plan, "mid")["next_version"], "2.2.0");
    assert!(entry(&plan, "mid")["reason"].as_str().unwrap().contains("[workspace.package] version"));
    assert!(entry(&plan, "gen")["reason"].as_str().unwrap().contains("publish = false"));
    // the renamed, target-specific build dependency still orders `top` after `mid`
    assert_eq!(entry(&plan, "top")["dependencies"], serde_json::json!(["mid"]));
    assert!(plan["packages"].as_array().unwrap().iter().all(|e| e["name"] != "skipme"));
}

#[test]
fn uv_workspace_at_root_with_private_dynamic_and_optional() {
    let repo = Repo::new("uv");
    repo.write(
        "pyproject.toml",
        "[project]\nname = \"Root_App\"\nversion = \"1.0.0\"\ndependencies = [\"lib-a>=1\"]\n\n[build-system]\nrequires = [\"uv_build\"]\nbuild-backend = \"uv_build\"\n\n[tool.uv.workspace]\nmembers = [\"libs/*\"]\nexclude = [\"libs/old*\"]\n\n[tool.uv.sources]\nlib-a = { workspace = true }\nlib_b = { workspace = true }\n",
    )
    .write("libs/lib-a/pyproject.toml", &py_manifest("lib_a", "1.4.0", &[], &[]).replace("dependencies = []\n", "dependencies = []\n[project.optional-dependencies]\nextra = [\"Lib.B>=0.1 ; sys_platform == 'linux'\"]\n"))
    .write(
        "libs/lib-b/pyproject.toml",
        "[project]\nname = \"lib-b\"\ndynamic = [\"version\"]\n\n[tool.hatch.version]\npath = \"src/lib_b/__about__.py\"\n\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n",
    )
    .write("libs/lib-b/src/lib_b/__about__.py", "__version__ = \"0.2.0\"\n")
    .write("libs/internal/pyproject.toml", &py_manifest("internal", "0.0.1", &[], &[]).replace("license = \"MIT\"", "license = \"MIT\"\nclassifiers = [\"Private :: Do Not Upload\"]"))
    .write("libs/old-thing/pyproject.toml", "this is not even toml [");
    repo.commit("chore: init");
    repo.tag("lib_a-v1.4.0");
    repo.tag("lib-b-v0.2.0");
    repo.tag("Root_App-v1.0.0");
    repo.change("libs/lib-b/src/lib_b/__about__.py", "feat(b): new thing");
    let plan = repo.plan(&[]);
    assert_eq!(
        summary(&plan),
        [
            "1 internal excluded 0.0.1 - none l0",
            "2 lib-b release 0.2.0 0.3.0 minor l0",
            "3 lib_a skip 1.4.0 - none l1",
            "4 Root_App skip 1.0.0 - none l2",
        ]
    );
    assert!(entry(&plan, "internal")["reason"].as_str().unwrap().contains("Private :: Do Not Upload"));
    // the optional dependency (by a non-normalized name) is an internal edge
    assert_eq!(entry(&plan, "lib_a")["dependencies"], serde_json::json!(["lib-b"]));
    // the root project is a member too, and a root-level file change belongs to it
    repo.change("README.md", "feat: root docs");
    let plan = repo.plan(&[]);
    assert_eq!(entry(&plan, "Root_App")["next_version"], "1.1.0");
}

#[test]
fn uv_workspace_in_a_subfolder_only() {
    let repo = Repo::new("uvsub");
    repo.write("tools/py/pyproject.toml", "[tool.uv.workspace]\nmembers = [\"p/*\"]\n")
        .write("tools/py/p/one/pyproject.toml", &py_manifest("one", "0.1.0", &[], &[]))
        .write("tools/py/p/two/pyproject.toml", &py_manifest("two", "0.1.0", &["one==0.1.0"], &["one"]))
        .write("xtask-release.toml", "[python]\nroot = \"tools/py\"\n");
    repo.commit("chore: init");
    repo.tag("one-v0.1.0");
    repo.tag("two-v0.1.0");
    repo.change("tools/py/p/one/x.py", "feat: more");
    let plan = repo.plan(&[]);
    assert_eq!(summary(&plan), ["1 one release 0.1.0 0.2.0 minor l0", "2 two release 0.1.0 0.1.1 patch l1"]);
    assert!(entry(&plan, "two")["reason"].as_str().unwrap().contains("`==0.1.0` does not admit one 0.2.0"));
}

#[test]
fn options_package_exclude_bump_pre_force() {
    let repo = mixed();
    let plan = repo.plan(&["--package", "client"]);
    assert_eq!(entry(&plan, "models")["status"], "release");
    assert_eq!(entry(&plan, "client")["status"], "release");
    assert_eq!(entry(&plan, "core")["status"], "excluded");
    assert!(entry(&plan, "core")["reason"].as_str().unwrap().contains("not selected"));

    let plan = repo.plan(&["--exclude", "core"]);
    assert_eq!(entry(&plan, "core")["status"], "excluded");

    let plan = repo.plan(&["--pre", "rc"]);
    assert_eq!(entry(&plan, "core")["next_version"], "1.1.0-rc.1");
    assert_eq!(entry(&plan, "models")["next_version"], "2.0.0rc1");
    assert_eq!(entry(&plan, "core")["bump"], "pre");

    let plan = repo.plan(&["--force-unchanged"]);
    assert_eq!(entry(&plan, "net")["next_version"], "0.3.1");
    assert_eq!(entry(&plan, "app")["status"], "release");

    let plan = repo.plan(&["--bump", "major"]);
    assert_eq!(entry(&plan, "core")["next_version"], "2.0.0");

    let plan = repo.plan(&["--package", "core", "--bump", "3.0.0"]);
    assert_eq!(entry(&plan, "core")["next_version"], "3.0.0");
    assert_eq!(entry(&plan, "core")["bump"], "explicit");
}

#[test]
fn synchronized_groups_and_umbrella_tag() {
    let repo = mixed();
    repo.append(
        "xtask-release.toml",
        "[tags]\numbrella = \"v{version}\"\n[[groups]]\nname = \"crates\"\nmembers = [\"core\", \"net\"]\n",
    );
    repo.commit("chore: config");
    let plan = repo.plan(&[]);
    assert_eq!(entry(&plan, "core")["next_version"], "1.1.0");
    // net was 0.3.0 and shares the group's version now
    assert_eq!(entry(&plan, "net")["next_version"], "1.1.0");
    assert!(entry(&plan, "net")["reason"].as_str().unwrap().contains("synchronized group `crates`"));
    assert_eq!(plan["umbrella_tag"], "v2.0.0");
}

#[test]
fn pre_release_advances_then_finalizes() {
    let repo = Repo::new("pre");
    repo.write("pyproject.toml", &py_manifest("solo", "1.2.0rc1", &[], &[]));
    repo.commit("feat: first");
    repo.tag("solo-v1.2.0rc1");
    repo.change("solo.py", "fix: a bug");
    assert_eq!(entry(&repo.plan(&["--pre", "rc"]), "solo")["next_version"], "1.2.0rc2");
    assert_eq!(entry(&repo.plan(&[]), "solo")["next_version"], "1.2.0");
    let run = repo.xtask(&["plan", "--pre", "alpha"]);
    run.fails_with("XR050");
}

#[test]
fn hostile_commit_messages_never_break_parsing() {
    let repo = Repo::new("hostile");
    repo.write("Cargo.toml", &crate_manifest("solo", "1.0.0", ""));
    repo.write("src/lib.rs", "");
    repo.commit("chore: init");
    repo.tag("solo-v1.0.0");
    repo.append("src/lib.rs", "//1\n");
    // separators, invalid UTF-8 and text that looks like a log record
    repo.commit_bytes(b"chore: weird \x1e\x1f \xff\xfe bytes\n\ncommit 0123456789012345678901234567890123456789\nXTASKREC0000000000000000\n\x01\x02");
    repo.append("src/lib.rs", "//2\n");
    repo.commit_bytes(b"feat: after the weird one\n\nBREAKING-CHANGE: yes \xc3\x28");
    repo.append("src/lib.rs", "//3\n");
    repo.commit("docs: last");
    let plan = repo.plan(&[]);
    assert_eq!(entry(&plan, "solo")["next_version"], "2.0.0");
    assert_eq!(entry(&plan, "solo")["commits"], 3);
}

#[test]
fn merges_and_tags_on_other_branches() {
    let repo = Repo::new("merge");
    repo.write("Cargo.toml", &crate_manifest("solo", "1.0.0", ""));
    repo.write("src/lib.rs", "");
    repo.commit("chore: init");
    repo.tag("solo-v1.0.0");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.change("src/a.rs", "feat: on a branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.change("src/b.rs", "fix: on main");
    repo.git(&["merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic"]);
    // a tag whose commit is not in HEAD's history is ignored
    repo.git(&["checkout", "-q", "-b", "elsewhere", "solo-v1.0.0"]);
    repo.change("src/c.rs", "chore: side");
    repo.tag("solo-v9.0.0");
    repo.git(&["checkout", "-q", "main"]);
    let plan = repo.plan(&[]);
    let solo = entry(&plan, "solo");
    assert_eq!(solo["last_tag"], "solo-v1.0.0");
    assert_eq!(solo["next_version"], "1.1.0");
    assert_eq!(solo["commits"], 2);
    // after a release tag on main, only later commits count, through the merge too
    repo.tag("solo-v1.1.0");
    repo.write("Cargo.toml", &crate_manifest("solo", "1.1.0", ""));
    repo.commit("chore(release): solo@1.1.0");
    let plan = repo.plan(&[]);
    assert_eq!(entry(&plan, "solo")["status"], "skip");
}

/// The plugin pattern (issue 9): `core[openai]` names the plugin `core-plugin-openai`, which depends on
/// `core`. uv accepts it; the extra's edge would close a cycle, so it is dropped (core first), while an
/// extra that closes no cycle (`app[core]`) still orders publishing. A package's extra naming its own
/// extras (`all = ["core[openai]"]`) is no dependency at all.
#[test]
fn extras_that_would_close_a_cycle_are_dropped_not_fatal() {
    let repo = Repo::new("plugins");
    let opt = |deps: &str| format!("dependencies = []\n\n[project.optional-dependencies]\n{deps}\n");
    repo.write("pyproject.toml", "[tool.uv.workspace]\nmembers = [\"packages/*\"]\n")
        .write(
            "packages/core/pyproject.toml",
            &py_manifest("core", "1.0.0", &[], &[])
                .replace("dependencies = []\n", &opt("openai = [\"core-plugin-openai>=1\"]\nall = [\"core[openai]\"]")),
        )
        .write(
            "packages/core-plugin-openai/pyproject.toml",
            &py_manifest("core-plugin-openai", "1.0.0", &["core>=1"], &["core"]),
        )
        .write(
            "packages/app/pyproject.toml",
            &py_manifest("app", "1.0.0", &[], &[]).replace("dependencies = []\n", &opt("core = [\"core>=1\"]")),
        );
    repo.commit("chore: init");
    let plan = repo.plan(&[]);
    assert_eq!(
        summary(&plan),
        [
            "1 core release 1.0.0 1.0.0 initial l0",
            "2 app release 1.0.0 1.0.0 initial l1",
            "3 core-plugin-openai release 1.0.0 1.0.0 initial l1",
        ]
    );
    assert_eq!(entry(&plan, "app")["dependencies"], serde_json::json!(["core"]));
    assert_eq!(entry(&plan, "core")["dependencies"], serde_json::json!([]));
    let levels = repo.xtask(&["graph"]).ok().stdout;
    assert!(
        levels.contains("core -> core-plugin-openai (extra; core-plugin-openai is published after core)"),
        "{levels}"
    );
    let ascii = repo.xtask(&["graph", "--format", "ascii"]).ok().stdout;
    assert!(ascii.contains("└── core 1.0.0 (optional)"), "{ascii}");
    assert!(ascii.contains("core -> core-plugin-openai (extra;"), "{ascii}");
    let dot = repo.xtask(&["graph", "--format", "dot"]).ok().stdout;
    assert!(dot.contains("\"app\" -> \"core\" [style=dashed, label=\"optional\"];"), "{dot}");
    assert!(dot.contains("\"core\" -> \"core-plugin-openai\" [style=dotted, constraint=false"), "{dot}");
    let mermaid = repo.xtask(&["graph", "--format", "mermaid"]).ok().stdout;
    assert!(mermaid.contains("-. optional .->") && mermaid.contains("-. dropped .->"), "{mermaid}");
    let json = repo.xtask(&["graph", "--format", "json"]).ok().json();
    assert_eq!(json["edges"][0], serde_json::json!({"from": "app", "to": "core", "optional": true}));
    assert_eq!(json["dropped_edges"][0]["from"], "core");
    assert_eq!(json["dropped_edges"][0]["to"], "core-plugin-openai");
    let report = repo.xtask(&["check", "--format", "json"]).json();
    assert_eq!(report["checks"][0]["name"], "cycles");
    assert_eq!(report["checks"][0]["ok"], true, "{report}");
}

/// One name in two ecosystems (issue 9): a crate `polars` and a Python package `polars` (built from it) are
/// two packages, named `cargo:polars` / `python:polars` where a bare name would be ambiguous.
#[test]
fn one_name_in_two_ecosystems() {
    let repo = Repo::new("two-ecosystems");
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n")
        .write("crates/polars/Cargo.toml", &crate_manifest("polars", "1.0.0", ""))
        .write("crates/polars/src/lib.rs", "")
        .write(
            "crates/app/Cargo.toml",
            &crate_manifest("app", "1.0.0", "polars = { version = \"1\", path = \"../polars\" }\n"),
        )
        .write("crates/app/src/lib.rs", "")
        .write("py/pyproject.toml", "[tool.uv.workspace]\nmembers = [\"polars\", \"tool\"]\n")
        .write("py/polars/pyproject.toml", &py_manifest("polars", "1.0.0", &[], &[]))
        .write("py/tool/pyproject.toml", &py_manifest("tool", "1.0.0", &["polars>=1"], &["polars"]))
        .write("xtask-release.toml", "[python]\nroot = \"py\"\n");
    repo.commit("chore: init");
    // both publishable, one tag template: the tags would collide
    repo.xtask(&["plan"]).fails_with("XR043");
    repo.write("xtask-release.toml", "[python]\nroot = \"py\"\n\n[tags]\npython = \"py-{name}-v{version}\"\n");
    repo.commit("chore: python tags");
    // both in one release: the journal keys the Python one as `python:polars`
    let plan = repo.plan(&[]);
    let both: Vec<&serde_json::Value> =
        plan["packages"].as_array().unwrap().iter().filter(|e| e["name"] == "polars").collect();
    assert_eq!(both.len(), 2);
    assert!(both.iter().all(|e| e["status"] == "release"), "{both:?}");
    assert!(both.iter().any(|e| e["key"] == "python:polars"), "{both:?}");
    let run = repo.xtask(&["plan", "--package", "polars"]).fails_with("XR034");
    assert!(run.stderr.contains("`cargo:polars` or `python:polars`"), "{}", run.stderr);
    let plan = repo.plan(&["--exclude", "cargo:polars"]);
    let py = plan["packages"].as_array().unwrap().iter().find(|e| e["ecosystem"] == "python" && e["name"] == "polars");
    assert_eq!(py.unwrap()["tag"], "py-polars-v1.0.0");
    assert_eq!(entry(&plan, "tool")["dependencies"], serde_json::json!(["python:polars"]));
    assert_eq!(entry(&plan, "app")["dependencies"], serde_json::json!(["cargo:polars"]));
    let plan = repo.plan(&["--package", "python:polars"]);
    let released: Vec<String> = plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "release")
        .map(|e| format!("{}:{}", e["ecosystem"].as_str().unwrap(), e["name"].as_str().unwrap()))
        .collect();
    assert_eq!(released, ["python:polars"]);
    let dot = repo.xtask(&["graph", "--format", "dot"]).ok().stdout;
    assert!(dot.contains("\"app\" -> \"cargo:polars\";") && dot.contains("\"tool\" -> \"python:polars\";"), "{dot}");
    repo.xtask(&["graph", "--deps", "polars"]).fails_with("XR034");
    // the crate not published (as in ruff, uv, polars): plain names, no collision
    repo.write(
        "crates/polars/Cargo.toml",
        &crate_manifest("polars", "1.0.0", "").replace("license = \"MIT\"\n", "license = \"MIT\"\npublish = false\n"),
    );
    repo.write("xtask-release.toml", "[python]\nroot = \"py\"\n");
    repo.commit("chore: private crate");
    let plan = repo.plan(&[]);
    let py = plan["packages"].as_array().unwrap().iter().find(|e| e["ecosystem"] == "python" && e["name"] == "polars");
    assert_eq!(py.unwrap()["tag"], "polars-v1.0.0");
}

/// autogen's shape, met in a real release: autogen-studio requires `autogen-core>=0.4.9.2,<0.7` while the
/// workspace's autogen-core is 0.7.5 — it installs an older line from the index on purpose. A release of
/// autogen-core neither forces autogen-studio nor rewrites that requirement (it was rewritten to `<1`);
/// a dependent whose requirement admitted 0.7.5 and not the next version still is.
#[test]
fn a_requirement_that_admits_neither_version_is_left_alone() {
    let repo = Repo::new("deliberate-old-line");
    repo.write("pyproject.toml", "[tool.uv.workspace]\nmembers = [\"packages/*\"]\n")
        .write("packages/core/pyproject.toml", &py_manifest("core", "0.7.5", &[], &[]))
        .write("packages/core/src/core/__init__.py", "")
        .write("packages/studio/pyproject.toml", &py_manifest("studio", "0.4.2", &["core>=0.4.9.2,<0.7"], &["core"]))
        .write("packages/studio/src/studio/__init__.py", "")
        .write("packages/app/pyproject.toml", &py_manifest("app", "0.7.5", &["core>=0.7.5,<0.8"], &["core"]))
        .write("packages/app/src/app/__init__.py", "");
    repo.commit("chore: release");
    for t in ["core-v0.7.5", "studio-v0.4.2", "app-v0.7.5"] {
        repo.tag(t);
    }
    repo.change("packages/core/src/core/__init__.py", "feat!: a breaking change");

    let plan = repo.plan(&[]);
    assert_eq!(entry(&plan, "core")["next_version"], "0.8.0");
    assert_eq!(entry(&plan, "app")["status"], "release", "app's `<0.8` admitted 0.7.5: forced");
    assert!(
        entry(&plan, "app")["reason"].as_str().unwrap().contains("forced by core"),
        "{}",
        entry(&plan, "app")["reason"]
    );
    assert_eq!(
        entry(&plan, "studio")["status"],
        "skip",
        "studio's `<0.7` admits neither: {}",
        entry(&plan, "studio")["reason"]
    );
    let files: Vec<&str> = plan["files"].as_array().unwrap().iter().filter_map(|f| f.as_str()).collect();
    assert!(files.contains(&"packages/app/pyproject.toml"), "{files:?}");
    assert!(!files.contains(&"packages/studio/pyproject.toml"), "studio's requirement is not rewritten: {files:?}");
}

/// `plan` says how long the release takes and what bounds it: here the built-in limits do not bind a
/// release this small, and of the job slots and the dependency chain the chain is the longer (the three
/// Python packages one after another); a configured limit (1 new version at once, then 1 every 10 minutes) does
/// bind: of the two Python packages with a release tag, the second waits 10 minutes.
#[test]
fn plan_estimates_the_release_a_rate_limit_bounds() {
    let repo = crate::fixtures::mixed();
    let run = repo.xtask(&["plan"]).ok();
    let line = run.stdout.lines().find(|l| l.starts_with("estimate: ")).unwrap_or_default();
    assert!(line.starts_with("estimate: about "), "{}", run.stdout);
    assert!(line.contains(": the dependency chain models → client → cli-tool"), "{}", run.stdout);
    repo.write(
        "xtask-release.toml",
        "[python]\nroot = \"py\"\n\n[python.rate-limit]\nupdate = { burst = 1, every-seconds = 600 }\n",
    );
    repo.commit("chore: limits");
    let run = repo.xtask(&["plan"]).ok();
    assert!(
        run.stdout.contains("estimate: at least 10 min: PyPI allows 1 new versions at once, then 1 every 10 minutes (request a higher limit from the registry for large releases)"),
        "{}",
        run.stdout
    );
}
