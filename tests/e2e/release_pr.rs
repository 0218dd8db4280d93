//! Release pull requests (issue 20 part 3): `release-pr` makes the release
//! commit on `release/next` (with the plan recorded in `.xtask-release/plan.json`),
//! force-pushes it to the bare remote and opens or updates one pull request;
//! after the branch is merged on the remote (merge commit, squash, rebase),
//! `release` tags the merged commit and publishes exactly the recorded versions
//! to the local registries, resuming on a fresh clone after a kill.
//!
//! The forge is the stand-in GitHub API (`xtask/src/forge/stand_in.rs`, with
//! its pull request endpoints): no forge server can be installed here. git
//! rewrites the GitHub URL of `origin` to the local bare remote, and
//! GITHUB_API_URL (as GitHub Actions sets it) points the API at the stand-in.

use std::process::Command;

use crate::forge_server::{Flavor, ForgeServer};
use crate::registries::Registries;
use crate::release::release_repo;
use crate::support::{git_env, Repo, Run, TempDir};

const TOKEN: &str = "canary-pr-token-3f1c";
const GITHUB: &str = "https://github.com/o/r.git";

/// The release repository with every package released (tags at the current
/// versions, no publication needed: the next release publishes only what
/// changes), then a feature in `core` and a fix in `models`, pushed.
fn pr_repo(reg: &Registries) -> Repo {
    let repo = release_repo(reg);
    for t in ["core-v1.0.0", "net-v0.3.0", "app-v0.1.0", "models-v1.2.0", "client-v0.5.0", "cli-tool-v0.1.0"] {
        repo.tag(t);
    }
    repo.change("crates/core/src/lib.rs", "feat(core): add a parser");
    repo.change("py/packages/models/src/models/extra.py", "fix(models): ids are strings");
    repo.git(&["remote", "set-url", "origin", GITHUB]);
    repo.git(&["config", &format!("url.{}.insteadOf", reg.remote().display()), GITHUB]);
    repo.git(&["push", "-q", "origin", "main", "--tags"]);
    repo
}

fn env_with(reg: &Registries, forge: &ForgeServer) -> Vec<(String, String)> {
    let mut env = reg.env();
    env.push(("GITHUB_API_URL".into(), forge.api_url()));
    env.push(("GITHUB_TOKEN".into(), TOKEN.into()));
    env
}

fn run(repo: &Repo, env: &[(String, String)], args: &[&str]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    repo.xtask_env(args, &env)
}

/// `git -C DIR args` (the bare remote, a clone).
fn git_in(dir: &std::path::Path, args: &[&str]) -> String {
    let out = git_env(Command::new("git").arg("-C").arg(dir).args(args)).output().unwrap();
    assert!(out.status.success(), "git {args:?} in {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn remote_file(reg: &Registries, rev: &str, path: &str) -> String {
    git_in(&reg.remote(), &["show", &format!("{rev}:{path}")])
}

/// What the user's checkout shows: HEAD, its branch, the work tree's state.
fn checkout_state(repo: &Repo) -> (String, String, String, std::collections::BTreeMap<String, u64>) {
    let work: std::collections::BTreeMap<String, u64> =
        repo.fingerprint().into_iter().filter(|(k, _)| !k.starts_with(".git/")).collect();
    (
        repo.git(&["rev-parse", "HEAD"]),
        repo.git(&["symbolic-ref", "HEAD"]),
        repo.git(&["status", "--porcelain", "--ignored"]),
        work,
    )
}

/// Opens the pull request (after a dry run that changes nothing), then
/// updates the same one after a new commit on main.
#[test]
fn release_pr_opens_one_pull_request_and_updates_it() {
    let reg = Registries::start();
    let repo = pr_repo(&reg);
    let forge = ForgeServer::start(Flavor::GitHub, TOKEN);
    let env = env_with(&reg, &forge);

    // --dry-run: nothing changes in the repository or on the remote, no forge write
    let before = (repo.fingerprint(), crate::support::fingerprint_dir(&reg.remote()));
    let dry = run(&repo, &env, &["release-pr", "--dry-run"]).ok();
    assert!(dry.stdout.contains("would"), "{}", dry.stdout);
    assert!(dry.stdout.contains("release/next"), "{}", dry.stdout);
    assert_eq!(
        before,
        (repo.fingerprint(), crate::support::fingerprint_dir(&reg.remote())),
        "a dry run changed something"
    );
    assert!(forge.requests().iter().all(|r| r.method == "GET"), "a dry run wrote to the forge: {:?}", forge.requests());

    let state = checkout_state(&repo);
    let base = repo.git(&["rev-parse", "HEAD"]);
    let first = run(&repo, &env, &["release-pr"]).ok();
    assert!(first.stdout.contains("opened pull request #1"), "{}", first.stdout);
    assert_eq!(state, checkout_state(&repo), "release-pr changed the user's checkout");
    assert!(!repo.path().join(".git/xtask-release/pr-worktree").exists(), "the temporary worktree is left");
    assert_eq!(repo.git(&["worktree", "list", "--porcelain"]).matches("worktree ").count(), 1, "a worktree is left");

    // the branch: one commit on main's HEAD with the bumps, the changelogs and the record
    let branch = "refs/heads/release/next";
    assert_eq!(git_in(&reg.remote(), &["rev-parse", &format!("{branch}~1")]), base);
    assert!(remote_file(&reg, branch, "crates/core/Cargo.toml").contains("version = \"1.1.0\""));
    assert!(remote_file(&reg, branch, "py/packages/models/pyproject.toml").contains("version = \"1.2.1\""));
    assert!(remote_file(&reg, branch, "crates/core/CHANGELOG.md").contains("add a parser"));
    assert!(remote_file(&reg, branch, "Cargo.lock").contains("name = \"core\"\nversion = \"1.1.0\""));
    let record: serde_json::Value =
        serde_json::from_str(&remote_file(&reg, branch, ".xtask-release/plan.json")).expect("the record is JSON");
    assert_eq!(record["format"], 1, "{record}");
    let packages: Vec<(String, String, String, String)> = record["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
            (s("name"), s("ecosystem"), s("version"), s("tag"))
        })
        .collect();
    assert_eq!(
        packages,
        [
            ("core".into(), "cargo".into(), "1.1.0".into(), "core-v1.1.0".into()),
            ("models".into(), "python".into(), "1.2.1".into(), "models-v1.2.1".into())
        ],
        "{record}"
    );

    // the pull request: head release/next, base main, the plan and the notes in its body
    let pulls = forge.pulls();
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    let pr = &pulls[0];
    assert_eq!((pr.head.as_str(), pr.base.as_str(), pr.state.as_str()), ("release/next", "main", "open"));
    for text in ["core", "1.0.0 → 1.1.0", "models-v1.2.1", "add a parser", "ids are strings", "cargo xtask release"] {
        assert!(pr.body.contains(text), "the body lacks {text:?}:\n{}", pr.body);
    }

    // a new commit on main: the same branch, rebuilt on it, and the same pull request
    repo.change("crates/net/src/lib.rs", "fix(net): retry");
    repo.git(&["push", "-q", "origin", "main"]);
    let second = run(&repo, &env, &["release-pr"]).ok();
    assert!(second.stdout.contains("updated pull request #1"), "{}", second.stdout);
    assert_eq!(git_in(&reg.remote(), &["rev-parse", &format!("{branch}~1")]), repo.git(&["rev-parse", "HEAD"]));
    assert!(remote_file(&reg, branch, "crates/net/Cargo.toml").contains("version = \"0.3.1\""));
    let pulls = forge.pulls();
    assert_eq!(pulls.len(), 1, "a second pull request: {pulls:?}");
    assert!(pulls[0].body.contains("net"), "{}", pulls[0].body);
    assert!(forge.requests().iter().any(|r| r.method == "PATCH" && r.path == "/repos/o/r/pulls/1"));

    let outputs =
        format!("{}{}{}{}{}{}", dry.stdout, dry.stderr, first.stdout, first.stderr, second.stdout, second.stderr);
    assert!(!outputs.contains(TOKEN), "the token was printed");
    assert!(!crate::support::all_file_text(repo.path()).contains(TOKEN), "the token is in a file");
}

/// Run again with nothing new on main: the remote's release branch already
/// holds that release commit (same tree, on the same base), so nothing is
/// pushed and the pull request is left alone, in a dry run too; a body edited
/// on the forge is set back, the branch still untouched.
#[test]
fn release_pr_again_with_nothing_new_pushes_nothing() {
    let reg = Registries::start();
    let repo = pr_repo(&reg);
    let forge = ForgeServer::start(Flavor::GitHub, TOKEN);
    let env = env_with(&reg, &forge);
    run(&repo, &env, &["release-pr"]).ok();
    let branch = "refs/heads/release/next";
    let pushed = git_in(&reg.remote(), &["rev-parse", branch]);
    let writes = |f: &ForgeServer| f.requests().iter().filter(|r| r.method != "GET").count();
    let written = writes(&forge);
    let base = repo.git(&["rev-parse", "HEAD"]);
    let line = format!("release/next is up to date with main at {}: nothing to push", &base[..12]);

    let again = run(&repo, &env, &["release-pr"]).ok();
    assert_eq!(git_in(&reg.remote(), &["rev-parse", branch]), pushed, "pushed again with nothing new on main");
    assert!(again.stdout.contains(&line), "{}", again.stdout);
    assert!(again.stdout.contains("pull request #1 is up to date"), "{}", again.stdout);
    assert_eq!(writes(&forge), written, "the pull request was written: {:?}", forge.requests());

    let before = (repo.fingerprint(), crate::support::fingerprint_dir(&reg.remote()));
    let dry = run(&repo, &env, &["release-pr", "--dry-run"]).ok();
    assert_eq!(
        before,
        (repo.fingerprint(), crate::support::fingerprint_dir(&reg.remote())),
        "a dry run changed something"
    );
    assert_eq!(writes(&forge), written, "a dry run wrote to the forge");
    assert!(!dry.stdout.contains("  pushed "), "{}", dry.stdout);
    assert!(
        dry.stdout.contains("would compare the release commit's tree and parent with release/next"),
        "{}",
        dry.stdout
    );

    let body = forge.pulls()[0].body.clone();
    forge.edit_pull_body(1, "edited by hand");
    let third = run(&repo, &env, &["release-pr"]).ok();
    assert_eq!(git_in(&reg.remote(), &["rev-parse", branch]), pushed, "pushed again for a body edit");
    assert!(third.stdout.contains(&line), "{}", third.stdout);
    assert!(third.stdout.contains("updated pull request #1"), "{}", third.stdout);
    assert_eq!(forge.pulls()[0].body, body, "the body was not set back");
    assert_eq!(writes(&forge), written + 1, "{:?}", forge.requests());

    // a clone that lacks the branch's commit (CI fetching main alone) fetches it to compare
    let fresh = TempDir::new("single-branch");
    let remote = reg.remote().display().to_string();
    git_in(
        fresh.0.parent().unwrap(),
        &["clone", "-q", "--no-local", "--single-branch", "--branch", "main", &remote, &fresh.0.display().to_string()],
    );
    let clone = Repo { tmp: fresh };
    clone.git(&["remote", "set-url", "origin", GITHUB]);
    clone.git(&["config", &format!("url.{remote}.insteadOf"), GITHUB]);
    let has =
        |c: &Repo| git_env(Command::new("git").arg("-C").arg(c.path()).args(["cat-file", "-e", &pushed])).status();
    assert!(!has(&clone).unwrap().success(), "the clone has the branch's commit");
    let from_clone = run(&clone, &env, &["release-pr"]).ok();
    assert!(from_clone.stdout.contains(&line), "{}", from_clone.stdout);
    assert_eq!(git_in(&reg.remote(), &["rev-parse", branch]), pushed, "pushed again from a fresh clone");
}

/// Merges the release branch into main in a clone of the remote and pushes it.
fn merge_on_remote(reg: &Registries, how: &str) -> String {
    let clone = TempDir::new("merge");
    git_in(
        clone.0.parent().unwrap(),
        &["clone", "-q", &reg.remote().display().to_string(), &clone.0.display().to_string()],
    );
    match how {
        "merge" => {
            git_in(
                &clone.0,
                &["merge", "-q", "--no-ff", "-m", "Merge pull request #1 from o/release/next", "origin/release/next"],
            );
        }
        "squash" => {
            git_in(&clone.0, &["merge", "-q", "--squash", "origin/release/next"]);
            git_in(&clone.0, &["commit", "-q", "-m", "chore: release (#1)"]);
        }
        "rebase" => {
            git_in(&clone.0, &["merge", "-q", "--ff-only", "origin/release/next"]);
        }
        _ => unreachable!(),
    }
    git_in(&clone.0, &["push", "-q", "origin", "main"]);
    git_in(&clone.0, &["rev-parse", "HEAD"])
}

fn assert_published(reg: &Registries, context: &str) {
    let core: Vec<_> = reg.crate_versions("core").into_iter().filter(|(v, _)| v == "1.1.0").collect();
    assert_eq!(core.len(), 1, "{context}: core 1.1.0 in the index {} times", core.len());
    let models: Vec<_> = reg.python_files("models").into_iter().filter(|(f, _)| f.contains("1.2.1")).collect();
    assert_eq!(models.len(), 2, "{context}: models 1.2.1 files {models:?}");
    assert!(reg.crate_versions("net").iter().all(|(v, _)| v != "0.3.1"), "{context}: net was published");
}

/// After the pull request is merged (a merge commit, then a squash), `release`
/// on main tags the merged commit and publishes the recorded versions, with no
/// second bump commit.
#[test]
fn a_merged_release_pull_request_is_released_as_recorded() {
    for how in ["merge", "squash"] {
        let reg = Registries::start();
        let repo = pr_repo(&reg);
        let forge = ForgeServer::start(Flavor::GitHub, TOKEN);
        let env = env_with(&reg, &forge);
        run(&repo, &env, &["release-pr"]).ok();
        let merged = merge_on_remote(&reg, how);
        repo.git(&["pull", "-q", "--ff-only", "origin", "main"]);
        assert_eq!(repo.git(&["rev-parse", "HEAD"]), merged);

        let plan = run(&repo, &env, &["plan"]).ok();
        assert!(plan.stdout.contains("recorded release"), "{how}: {}", plan.stdout);
        assert!(plan.stdout.contains("1.1.0") && plan.stdout.contains("1.2.1"), "{how}: {}", plan.stdout);
        // release-pr on it opens nothing: the recorded release is waiting
        let waiting = run(&repo, &env, &["release-pr"]).ok();
        assert!(waiting.stdout.contains("cargo xtask release"), "{how}: {}", waiting.stdout);
        assert_eq!(forge.pulls().len(), 1, "{how}");
        // the workflow's first step sends the merged commit to the release job
        let next = run(&repo, &env, &["ci", "--next"]).ok();
        assert!(
            next.stdout.contains("next: release (this commit records the release of 2 package(s))"),
            "{how}: {}",
            next.stdout
        );

        let released = run(&repo, &env, &["release", "--yes"]).ok();
        assert!(released.stdout.contains("recorded release"), "{how}: {}", released.stdout);
        assert_eq!(repo.git(&["rev-parse", "HEAD"]), merged, "{how}: release made another commit");
        for tag in ["core-v1.1.0", "models-v1.2.1"] {
            assert_eq!(repo.git(&["rev-parse", &format!("{tag}^{{commit}}")]), merged, "{how}: {tag}");
            assert_eq!(git_in(&reg.remote(), &["rev-parse", &format!("{tag}^{{commit}}")]), merged, "{how}: {tag}");
        }
        assert_eq!(git_in(&reg.remote(), &["rev-parse", "main"]), merged, "{how}: main moved");
        assert_published(&reg, how);
        let made: Vec<String> = forge.releases().into_iter().map(|r| r.tag).collect();
        assert_eq!(made, ["core-v1.1.0", "models-v1.2.1"], "{how}");
        // the record's tags exist: it no longer applies
        let after = run(&repo, &env, &["plan"]).ok();
        assert!(!after.stdout.contains("recorded release"), "{how}: {}", after.stdout);
        let next = run(&repo, &env, &["ci", "--next"]).ok();
        assert!(next.stdout.contains("next: nothing"), "{how}: {}", next.stdout);
        assert!(forge.pulls().iter().all(|p| p.state == "open"), "{how}: the stand-in closes nothing by itself");
    }
}

/// A kill in the middle of publishing the merged commit (after the crate is
/// published) is finished by `release` on a fresh clone, which has no journal:
/// the published crate is found on the registry with our checksum and skipped.
#[test]
fn a_release_killed_mid_publish_on_the_merged_commit_resumes_on_a_fresh_clone() {
    let reg = Registries::start();
    let repo = pr_repo(&reg);
    let forge = ForgeServer::start(Flavor::GitHub, TOKEN);
    let env = env_with(&reg, &forge);
    run(&repo, &env, &["release-pr"]).ok();
    let merged = merge_on_remote(&reg, "rebase");
    repo.git(&["pull", "-q", "--ff-only", "origin", "main"]);

    // stop at the first journal write after core is on the registry
    let mut killed = None;
    for n in 4..40 {
        let mut e = env.clone();
        e.push(("XTASK_FAILPOINT".into(), n.to_string()));
        let r = run(&repo, &e, &["release", "--yes", "--jobs", "1"]);
        assert_ne!(r.code, 0, "failpoint {n} did not stop the release");
        if reg.crate_versions("core").iter().any(|(v, _)| v == "1.1.0") {
            killed = Some(n);
            break;
        }
        // not yet published: drop the journal and start again from the remote's state
        std::fs::remove_dir_all(repo.path().join(".git/xtask-release")).unwrap();
        for t in repo.git(&["tag", "--list", "core-v1.1.0", "models-v1.2.1"]).lines() {
            repo.git(&["tag", "-d", t]);
        }
    }
    assert!(killed.is_some(), "no failpoint stopped the release after core was published");
    assert!(reg.python_files("models").iter().all(|(f, _)| !f.contains("1.2.1")), "models was published too");

    let fresh = TempDir::new("fresh-clone");
    git_in(
        fresh.0.parent().unwrap(),
        &["clone", "-q", &reg.remote().display().to_string(), &fresh.0.display().to_string()],
    );
    let clone = Repo { tmp: fresh };
    clone.git(&["remote", "set-url", "origin", GITHUB]);
    clone.git(&["config", &format!("url.{}.insteadOf", reg.remote().display()), GITHUB]);
    let finished = run(&clone, &env_with(&reg, &forge), &["release", "--yes"]).ok();
    assert!(finished.stdout.contains("already published with the same checksum"), "{}", finished.stdout);
    assert_eq!(clone.git(&["rev-parse", "HEAD"]), merged, "the resume made another commit");
    assert_published(&reg, "fresh clone");
    for tag in ["core-v1.1.0", "models-v1.2.1"] {
        assert_eq!(git_in(&reg.remote(), &["rev-parse", &format!("{tag}^{{commit}}")]), merged, "{tag}");
    }
}

/// Nothing to release: release-pr says so and pushes and opens nothing. A
/// recorded release whose manifests were changed after the merge stops with
/// XR160 before anything is tagged; plan flags are refused on it.
#[test]
fn release_pr_with_nothing_to_release_and_a_tree_that_disagrees_with_its_record() {
    let reg = Registries::start();
    let repo = pr_repo(&reg);
    let forge = ForgeServer::start(Flavor::GitHub, TOKEN);
    let env = env_with(&reg, &forge);
    let core_only = run(&repo, &env, &["release-pr", "--package", "models", "--exclude", "core"]).ok();
    assert!(core_only.stdout.contains("opened pull request #1"), "{}", core_only.stdout);
    merge_on_remote(&reg, "squash");
    repo.git(&["pull", "-q", "--ff-only", "origin", "main"]);
    let flag = run(&repo, &env, &["release", "--yes", "--package", "core"]);
    assert_eq!(flag.code, 2, "{}", flag.stderr);
    assert!(
        flag.stderr.contains("error[XR001]: --package cannot be combined with the recorded release"),
        "{}",
        flag.stderr
    );

    let text = std::fs::read_to_string(repo.path().join("py/packages/models/pyproject.toml")).unwrap();
    repo.write("py/packages/models/pyproject.toml", &text.replace("version = \"1.2.1\"", "version = \"1.2.2\""));
    repo.commit("chore: edit the version by hand");
    repo.git(&["push", "-q", "origin", "main"]);
    let refused = run(&repo, &env, &["release", "--yes"]).fails_with("XR160");
    assert!(
        refused.stderr.contains("models is 1.2.2 in py/packages/models/pyproject.toml, the record says 1.2.1"),
        "{}",
        refused.stderr
    );
    assert_eq!(repo.git(&["tag", "--list", "models-v1.2.1"]), "", "a tag was made");

    // nothing to release: a clean release repository with every package tagged
    let reg2 = Registries::start();
    let quiet = release_repo(&reg2);
    for t in ["core-v1.0.0", "net-v0.3.0", "app-v0.1.0", "models-v1.2.0", "client-v0.5.0", "cli-tool-v0.1.0"] {
        quiet.tag(t);
    }
    quiet.git(&["remote", "set-url", "origin", GITHUB]);
    quiet.git(&["config", &format!("url.{}.insteadOf", reg2.remote().display()), GITHUB]);
    let forge2 = ForgeServer::start(Flavor::GitHub, TOKEN);
    let nothing = run(&quiet, &env_with(&reg2, &forge2), &["release-pr"]).ok();
    assert!(nothing.stdout.contains("nothing to release: no release pull request is opened"), "{}", nothing.stdout);
    assert_eq!(forge2.requests().len(), 0);
    assert_eq!(git_in(&reg2.remote(), &["branch", "--list", "release/next"]), "");
}
