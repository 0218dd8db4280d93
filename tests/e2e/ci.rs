//! Releasing from CI: what a CI checkout lacks (history, tags) is found
//! before anything is planned from it.

use crate::fixtures::py_manifest;
use crate::registries::Registries;
use crate::release::release_repo;
use crate::support::{entry, Repo, TempDir};

/// A repository with a released package and a fix since, pushed to a bare
/// remote: what CI clones.
fn released_on_a_remote() -> (Repo, TempDir) {
    let repo = Repo::new("ci-origin");
    repo.write("pyproject.toml", &py_manifest("untether", "0.35.4", &[], &[])).write("src/untether/__init__.py", "");
    repo.commit("chore: release 0.35.4");
    repo.tag("untether-v0.35.4");
    repo.change("src/untether/__init__.py", "fix: a fix");
    repo.change("src/untether/__init__.py", "fix: another");
    let remote = TempDir::new("ci-remote");
    repo.git(&["clone", "-q", "--bare", &repo.root_arg(), &remote.0.join("r.git").display().to_string()]);
    (repo, remote)
}

/// A clone of `remote` made with `args` (`--depth 1`, `--no-tags`), as a CI checkout.
fn ci_clone(remote: &TempDir, args: &[&str]) -> Repo {
    let clone = Repo { tmp: TempDir::new("ci-clone") };
    let url = format!("file://{}", remote.0.join("r.git").display());
    let mut all = vec!["clone", "-q"];
    all.extend(args);
    all.extend([url.as_str(), "."]);
    clone.git(&all);
    clone
}

/// actions/checkout's default (`fetch-depth: 1`, no tags): a plan there would call every package a first
/// release. `plan` and `release --dry-run` stop with what to fetch, and change nothing; after the fetch they
/// read the last tag.
#[test]
fn a_shallow_clone_stops_plan_and_release_with_what_to_fetch() {
    let (_origin, remote) = released_on_a_remote();
    let clone = ci_clone(&remote, &["--depth", "1"]);
    let before = clone.fingerprint();
    for args in [&["plan"][..], &["plan", "--format", "json"], &["release", "--dry-run"], &["changelog"]] {
        let run = clone.xtask(args).fails_with("XR048");
        assert!(run.stderr.contains("shallow"), "{args:?}:\n{}", run.stderr);
        assert!(run.stderr.contains("git fetch --unshallow --tags"), "{args:?}:\n{}", run.stderr);
        assert!(run.stderr.contains("fetch-depth: 0"), "{args:?}:\n{}", run.stderr);
    }
    assert_eq!(before, clone.fingerprint(), "a refused plan changes nothing");

    clone.git(&["fetch", "-q", "--unshallow", "--tags"]);
    let plan = clone.plan(&[]);
    assert_eq!(entry(&plan, "untether")["last_tag"], "untether-v0.35.4");
    assert_eq!(entry(&plan, "untether")["next_version"], "0.35.5");
}

/// A full clone without tags (`git clone --no-tags`, `fetch-tags: false`): the remote has release tags
/// that the clone lacks, so `plan` stops with `git fetch --tags`; once fetched it reads them.
#[test]
fn a_clone_without_the_remotes_tags_stops_plan_with_what_to_fetch() {
    let (_origin, remote) = released_on_a_remote();
    let clone = ci_clone(&remote, &["--no-tags"]);
    assert_eq!(clone.git(&["tag"]).trim(), "", "the clone has no tags");
    for args in [&["plan"][..], &["release", "--dry-run"]] {
        let run = clone.xtask(args).fails_with("XR049");
        assert!(run.stderr.contains("untether-v0.35.4"), "{args:?}:\n{}", run.stderr);
        assert!(run.stderr.contains("git fetch --tags"), "{args:?}:\n{}", run.stderr);
    }

    clone.git(&["fetch", "-q", "--tags"]);
    let plan = clone.plan(&[]);
    assert_eq!(entry(&plan, "untether")["last_tag"], "untether-v0.35.4");

    // in CI (`CI` set, as GitHub Actions and GitLab set it) a clone whose tags went missing another way
    let lost = ci_clone(&remote, &[]);
    lost.git(&["tag", "-d", "untether-v0.35.4"]);
    lost.xtask_env(&["plan"], &[("CI", "true")]).fails_with("XR049");

    // a remote with no release tags yet (a first release) is no reason to stop
    let (_fresh, fresh_remote) = {
        let repo = Repo::new("ci-first");
        repo.write("pyproject.toml", &py_manifest("untether", "0.1.0", &[], &[])).write("src/untether/__init__.py", "");
        repo.commit("feat: first");
        let remote = TempDir::new("ci-first-remote");
        repo.git(&["clone", "-q", "--bare", &repo.root_arg(), &remote.0.join("r.git").display().to_string()]);
        (repo, remote)
    };
    let first = ci_clone(&fresh_remote, &["--no-tags"]);
    assert_eq!(entry(&first.plan(&[]), "untether")["bump"], "initial");
}

/// In GitHub Actions (`GITHUB_ACTIONS=true`) a failure is also an `::error::` annotation on stdout, and a
/// release appends the plan and what was published to the job summary (`$GITHUB_STEP_SUMMARY`); a dry run
/// says it would and leaves the file alone. Outside GitHub Actions neither appears.
#[test]
fn in_github_actions_errors_are_annotations_and_a_release_writes_the_job_summary() {
    let (_origin, remote) = released_on_a_remote();
    let shallow = ci_clone(&remote, &["--depth", "1"]);
    let run = shallow.xtask_env(&["plan"], &[("GITHUB_ACTIONS", "true")]).fails_with("XR048");
    let note = run.stdout.lines().find(|l| l.starts_with("::error ")).unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(
        note.starts_with("::error title=error[XR048]::")
            && note.contains("%0Ahelp: fetch them: git fetch --unshallow --tags"),
        "{note}"
    );
    let run = shallow.xtask(&["plan"]).fails_with("XR048");
    assert!(!run.stdout.contains("::error"), "outside GitHub Actions: {}", run.stdout);

    let reg = Registries::start();
    let repo = release_repo(&reg);
    let dir = TempDir::new("summary");
    let summary = dir.0.join("step_summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let mut env = reg.env();
    env.push(("GITHUB_ACTIONS".into(), "true".into()));
    env.push(("GITHUB_STEP_SUMMARY".into(), summary.display().to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    let dry = repo.xtask_env(&["release", "--dry-run"], &env).ok();
    assert!(dry.stdout.contains("would append the plan and what was published to the job summary"), "{}", dry.stdout);
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), "earlier step\n", "a dry run leaves the summary alone");

    repo.xtask_env(&["release", "--yes"], &env).ok();
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n## xtask-release: 6 package(s) released\n"), "{text}");
    assert!(
        text.contains("| core | cargo | 1.0.0 (first release) | `core-v1.0.0` | published and verified |"),
        "{text}"
    );
    assert!(
        text.contains("| client | python | 0.5.0 (first release) | `client-v0.5.0` | published and verified |"),
        "{text}"
    );

    // the next release: a change in core, the rest skipped with their reason
    repo.change("crates/core/src/lib.rs", "fix: a fix");
    std::fs::write(&summary, "").unwrap();
    repo.xtask_env(&["release", "--yes"], &env).ok();
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.contains("| core | cargo | 1.0.0 → 1.0.1 | `core-v1.0.1` | published and verified |"), "{text}");
    assert!(text.contains("| models | python | 1.2.0 |  | skip: no commits since models-v1.2.0 |"), "{text}");
}

/// The actionlint the test tools hold (.ci/install-test-tools.sh).
pub fn actionlint() -> std::path::PathBuf {
    crate::registries::tools().join("venv/bin/actionlint")
}

/// `ci --github` writes a release workflow that actionlint accepts (the real linter, from the
/// test tools): each job with only its permissions, one release at a time, the whole history
/// checked out. A dry run prints the diff and writes nothing; a second run changes nothing; an
/// edited workflow is replaced only with `--yes`.
#[test]
fn ci_github_writes_a_release_workflow_that_actionlint_accepts() {
    let repo = crate::fixtures::mixed();
    let before = repo.fingerprint();
    let dry = repo.xtask(&["ci", "--github", "--dry-run"]).ok();
    assert!(dry.stdout.contains("+++ b/.github/workflows/release.yml"), "{}", dry.stdout);
    assert!(dry.stdout.contains("would write: .github/workflows/release.yml"), "{}", dry.stdout);
    assert_eq!(before, repo.fingerprint(), "a dry run writes nothing");

    let run = repo.xtask(&["ci", "--github"]).ok();
    assert!(run.stdout.contains("wrote .github/workflows/release.yml"), "{}", run.stdout);
    let file = repo.path().join(".github/workflows/release.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    for part in [
        "workflow_dispatch:",
        "permissions: {}",
        "id-token: write",
        "fetch-depth: 0",
        "cargo xtask ci --next",
        "cargo xtask release-pr",
        "cargo xtask release --yes",
        "astral-sh/setup-uv",
        "concurrency:",
    ] {
        assert!(text.contains(part), "{part}:\n{text}");
    }
    let lint = std::process::Command::new(actionlint()).arg(&file).current_dir(repo.path()).output().unwrap();
    assert!(
        lint.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );

    // the linter is no rubber stamp: a job that needs one that does not exist is refused
    let broken = repo.path().join(".github/workflows/broken.yml");
    std::fs::write(&broken, text.replace("needs: next", "needs: nexxt")).unwrap();
    let lint = std::process::Command::new(actionlint()).arg(&broken).current_dir(repo.path()).output().unwrap();
    assert!(!lint.status.success(), "actionlint accepted a broken workflow");
    std::fs::remove_file(&broken).unwrap();

    let again = repo.xtask(&["ci", "--github"]).ok();
    assert!(again.stdout.contains("nothing to change"), "{}", again.stdout);

    std::fs::write(&file, format!("{text}# ours\n")).unwrap();
    let edited = repo.fingerprint();
    let refused = repo.xtask(&["ci", "--github"]).fails_with("XR170");
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert_eq!(edited, repo.fingerprint(), "a refused run changes nothing");
    repo.xtask(&["ci", "--github", "--yes"]).ok();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

/// `ci --next`, the workflow's first step: `release-pr` while there are changes to release,
/// `nothing` once they are released, written as `next=WORD` to the job's `$GITHUB_OUTPUT`.
#[test]
fn ci_next_says_what_the_push_releases_in_github_output() {
    let (repo, _remote) = released_on_a_remote();
    let dir = TempDir::new("gh-output");
    let output = dir.0.join("output");
    std::fs::write(&output, "earlier=1\n").unwrap();
    let env = [("GITHUB_ACTIONS", "true"), ("GITHUB_OUTPUT", output.to_str().unwrap())];
    let run = repo.xtask_env(&["ci", "--next"], &env).ok();
    assert!(run.stdout.contains("next: release-pr (1 package(s) to release)"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "earlier=1\nnext=release-pr\nmatrix=\n");

    repo.tag("untether-v0.35.5");
    std::fs::write(&output, "").unwrap();
    let run = repo.xtask_env(&["ci", "--next"], &env).ok();
    assert!(run.stdout.contains("next: nothing"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "next=nothing\nmatrix=\n");
    for args in [&["ci", "--next", "--dry-run"][..], &["ci"], &["ci", "--github", "--next"]] {
        let run = repo.xtask(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("error[XR001]"), "{args:?}: {}", run.stderr);
    }
}

/// In GitHub Actions each problem preflight finds is an annotation of its own (the run's page lists
/// them one by one, each with its fix), besides the release's failure.
#[test]
fn in_github_actions_each_preflight_problem_is_an_annotation() {
    let (repo, _remote) = released_on_a_remote();
    repo.append("src/untether/__init__.py", "x = 1\n");
    let head = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["checkout", "-q", head.trim()]);
    let run = repo.xtask_env(&["release", "--yes", "--no-push"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let notes: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("::error ")).collect();
    assert!(notes.len() >= 3, "two problems and the failure:\n{}", run.stdout);
    assert!(notes.iter().any(|n| n.contains("HEAD is detached") && n.contains("%0Afix: ")), "{notes:#?}");
    assert!(notes.iter().any(|n| n.contains("uncommitted") && n.contains("%0Afix: ")), "{notes:#?}");
    assert!(notes.last().unwrap().contains("preflight found"), "{notes:#?}");
    let plain = repo.xtask(&["release", "--yes", "--no-push"]);
    assert!(!plain.stdout.contains("::error"), "{}", plain.stdout);
}
