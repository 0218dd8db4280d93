//! The command line contract: help texts, usage errors, explain, graph formats.

use crate::fixtures::mixed;
use crate::support::{golden, xtask};

#[test]
fn help_texts_are_stable() {
    for (args, file) in [
        (vec!["--help"], "help.txt"),
        (vec!["help"], "help.txt"),
        (vec!["plan", "--help"], "help-plan.txt"),
        (vec!["graph", "--help"], "help-graph.txt"),
        (vec!["release", "--help"], "help-release.txt"),
        (vec!["release-pr", "--help"], "help-release-pr.txt"),
        (vec!["check", "--help"], "help-check.txt"),
        (vec!["changelog", "--help"], "help-changelog.txt"),
        (vec!["explain", "--help"], "help-explain.txt"),
        (vec!["demo", "--help"], "help-demo.txt"),
        (vec!["init", "--help"], "help-init.txt"),
        (vec!["completions", "--help"], "help-completions.txt"),
        (vec!["help", "plan"], "help-plan.txt"),
    ] {
        let run = xtask(&args).ok();
        golden(file, &run.stdout);
    }
}

#[test]
fn readme_lists_every_command() {
    let readme = std::fs::read_to_string(crate::support::workspace().join("README.md")).unwrap();
    let help = xtask(&["help"]).ok().stdout;
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| *l != "COMMANDS:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(commands.len() >= 6, "{commands:?}");
    for c in commands {
        assert!(readme.contains(&format!("cargo xtask {c}")), "README.md does not document `cargo xtask {c}`");
    }
}

#[test]
fn usage_errors_exit_2_and_name_the_word() {
    let run = xtask(&["frobnicate"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("error[XR001]: unknown command `frobnicate`"), "{}", run.stderr);
    let run = xtask(&["plan", "--frobnicate"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`--frobnicate`"), "{}", run.stderr);
    let run = xtask(&["plan", "--format", "yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`yaml`"), "{}", run.stderr);
    let run = xtask(&["graph", "--deps", "a", "--rdeps", "b"]);
    assert_eq!(run.code, 2);
    let run = xtask(&["plan", "--pre", "gamma"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("gamma"));
    assert_eq!(xtask(&[]).code, 2);
}

#[test]
fn every_code_is_explained() {
    let list = xtask(&["explain", "--list"]).ok().stdout;
    let codes: Vec<&str> = list.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert!(codes.len() >= 20);
    for code in codes {
        let run = xtask(&["explain", code]).ok();
        assert!(run.stdout.starts_with(&format!("{code}: ")), "{}", run.stdout);
        assert!(run.stdout.len() > 80, "{code} is not explained");
    }
    assert_eq!(xtask(&["explain", "XR999"]).code, 2);
}

#[test]
fn graph_formats_are_stable() {
    let repo = mixed();
    for format in ["levels", "ascii", "dot", "mermaid", "json"] {
        let run = repo.xtask(&["graph", "--format", format]).ok();
        golden(&format!("graph-mixed.{format}"), &run.stdout);
    }
    let deps = repo.xtask(&["graph", "--format", "json", "--deps", "client"]).ok().json();
    let names: Vec<&str> = deps["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["models", "client"]);
    let rdeps = repo.xtask(&["graph", "--format", "json", "--rdeps", "core"]).ok().json();
    let names: Vec<&str> = rdeps["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["core", "net", "app"]);
    repo.xtask(&["graph", "--deps", "nope"]).fails_with("XR032");
}

#[test]
fn check_reports_every_problem() {
    let repo = mixed();
    // the fixture has no lockfiles and app's dev path dependency has no version: that's fine,
    // but missing lockfiles are reported
    let run = repo.xtask(&["check", "--format", "json"]).fails_with("XR060");
    let report = run.json();
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["lockfiles"]);

    // stale lockfile, unsatisfied requirement, missing metadata, unknown member
    repo.write("Cargo.lock", "version = 4\n\n[[package]]\nname = \"core\"\nversion = \"0.9.0\"\n\n[[package]]\nname = \"net\"\nversion = \"0.3.0\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n");
    repo.write("py/uv.lock", "version = 1\n\n[[package]]\nname = \"models\"\nversion = \"1.2.0\"\nsource = { editable = \"packages/models\" }\n\n[[package]]\nname = \"client\"\nversion = \"0.5.0\"\nsource = { editable = \"packages/client\" }\n\n[[package]]\nname = \"cli-tool\"\nversion = \"0.1.0\"\nsource = { editable = \"packages/cli-tool\" }\n");
    repo.write(
        "crates/net/Cargo.toml",
        &crate::fixtures::crate_manifest(
            "net",
            "0.3.0",
            "core = { version = \"2.0\", path = \"../core\" }\nghost = { path = \"../ghost\", version = \"1\" }\n",
        )
        .replace("license = \"MIT\"\n", ""),
    );
    let report = repo.xtask(&["check", "--format", "json"]).fails_with("XR060").json();
    let problems = |name: &str| -> Vec<String> {
        report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["message"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        problems("lockfiles")
            .iter()
            .any(|m| m.contains("Cargo.lock has core 0.9.0 but crates/core/Cargo.toml says 1.0.0")),
        "{:?}",
        problems("lockfiles")
    );
    assert!(problems("requirements").iter().any(|m| m.contains("requires core `2.0` but core is at 1.0.0")));
    assert!(problems("metadata").iter().any(|m| m.contains("no license in crates/net/Cargo.toml")));
    // each problem's own code, not the configuration file's (XR012): `explain` must be about it
    let codes = |name: &str| -> Vec<String> {
        let check = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
        check["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap().to_string()).collect()
    };
    assert!(codes("metadata").iter().all(|c| c == "XR036"), "{:?}", codes("metadata"));
    assert!(problems("unknown-members").iter().any(|m| m.contains("crates/ghost")));
    let text = repo.xtask(&["check"]).fails_with("XR060").stdout;
    assert!(text.contains("FAIL lockfiles") && text.contains("ok   cycles"), "{text}");
    assert!(text.contains("ok   changelogs"), "{text}");

    // changelogs: one whose newest section is not the manifest's version (a
    // bump by hand), one that does not parse, one that agrees
    repo.write("crates/core/CHANGELOG.md", "# Changelog\n\n## [Unreleased]\n\n## [0.9.0] - 2026-01-01\n\nOld.\n");
    repo.write("crates/net/CHANGELOG.md", "## [0.3.0] - 2026-01-01\n\n# Changelog\n");
    repo.write("crates/app/CHANGELOG.md", "# Changelog\n\n## [0.1.0] - 2026-01-01\n\nFirst release.\n");
    let report = repo.xtask(&["check", "--format", "json"]).fails_with("XR060").json();
    let changelogs = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "changelogs").unwrap().clone();
    let found: Vec<(String, String, String)> = changelogs["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap().into(),
                p["package"].as_str().unwrap().into(),
                p["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "XR134");
    assert_eq!(found[0].1, "core");
    assert!(
        found[0].2.contains("crates/core/CHANGELOG.md: the newest section is 0.9.0, but the manifest says 1.0.0"),
        "{found:?}"
    );
    assert_eq!((found[1].0.as_str(), found[1].1.as_str()), ("XR130", "net"), "{found:?}");
    assert!(found[1].2.starts_with("crates/net/CHANGELOG.md: "), "{found:?}");
}

/// `completions bash` loaded into a real bash: what Tab offers after `cargo xtask` words, and that
/// every other cargo command still goes to the completion cargo had before.
#[test]
fn bash_completions_complete_commands_flags_and_values() {
    let script = xtask(&["completions", "bash"]).ok().stdout;
    let dir = crate::support::TempDir::new("completions");
    let file = dir.0.join("xtask.bash");
    std::fs::write(&file, &script).unwrap();
    let complete = |line: &str| -> Vec<String> {
        // cargo's completion before ours: a stand-in that answers `cargo-own`
        let program = format!(
            "_cargo() {{ COMPREPLY=(cargo-own); }}; complete -F _cargo cargo; source {}; \
             COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             [[ \"{line}\" == *' ' ]] && COMP_WORDS+=(\"\") && COMP_CWORD=${{#COMP_WORDS[@]}}-1; \
             _cargo_xtask_or_cargo cargo; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = std::process::Command::new("bash").args(["--norc", "-c", &program]).output().unwrap();
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.is_empty()).map(String::from).collect()
    };
    assert_eq!(complete("cargo xtask pl"), ["plan"]);
    assert_eq!(complete("cargo xtask co"), ["completions"]);
    assert_eq!(complete("cargo xtask --root /tmp pl"), ["plan"]);
    assert_eq!(complete("cargo xtask plan --fo"), ["--format", "--force-unchanged"]);
    assert_eq!(complete("cargo xtask plan --format "), ["table", "json", "csv"]);
    assert_eq!(complete("cargo xtask graph --format m"), ["mermaid"]);
    assert_eq!(complete("cargo xtask release --dr"), ["--dry-run"]);
    assert_eq!(complete("cargo xtask release --pre "), ["rc", "alpha", "beta"]);
    assert_eq!(complete("cargo xtask completions "), ["bash", "zsh", "fish"]);
    assert!(complete("cargo xtask explain XR04").contains(&"XR048".to_string()));
    assert_eq!(complete("cargo bui"), ["cargo-own"], "other cargo commands keep their completion");

    // the other shells' scripts hold the same table (no zsh or fish on this machine to run them)
    let zsh = xtask(&["completions", "zsh"]).ok().stdout;
    assert!(
        zsh.starts_with("#compdef")
            && zsh.contains("_cargo-xtask()")
            && zsh.contains("--format=[table (default), json or csv]"),
        "{zsh}"
    );
    let fish = xtask(&["completions", "fish"]).ok().stdout;
    assert!(fish.contains("complete -c cargo -n '__fish_seen_subcommand_from xtask; and __fish_seen_subcommand_from plan' -l format -x -a 'table json csv'"), "{fish}");
    assert_eq!(xtask(&["completions", "tcsh"]).code, 2);
    assert_eq!(xtask(&["completions"]).code, 2);
}

/// A crate's path dependency with no version (pydantic/jiter's jiter-python on jiter) is its own
/// problem, XR037, whose `explain` is about it (it was reported as XR024, an invalid version).
#[test]
fn a_path_dependency_without_a_version_has_its_own_code() {
    let repo = crate::fixtures::mixed();
    let manifest = repo.path().join("crates/app/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    repo.write(
        "crates/app/Cargo.toml",
        &text.replace("net = { version = \"0.3\", path = \"../net\" }", "net = { path = \"../net\" }"),
    );
    let report = repo.xtask(&["check", "--format", "json"]).fails_with("XR060").json();
    let requirements =
        report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "requirements").unwrap().clone();
    let problem = requirements["problems"].as_array().unwrap().iter().find(|p| p["package"] == "app").cloned();
    let problem = problem.unwrap_or_else(|| panic!("{requirements}"));
    assert!(problem["message"].as_str().unwrap().contains("path dependency on net has no version"), "{problem}");
    assert_eq!(problem["code"], "XR037", "{problem}");
}
