//! Wheels built on a CI matrix (issue 20, part 5): `release --stage` makes and pushes the recorded
//! release commit and publishes nothing; each artifact the record lists is then built from that
//! commit in a process of its own, in a checkout of its own (as each matrix job checks out the
//! commit on its runner); `release --artifacts DIR` checks them and publishes in dependency order.
//! No CI runs here: the matrix is local processes. The native package is built by the tests' stamp
//! backend, which stands in for maturin (not among the test tools): `-C tag=...` picks the
//! platform's wheel, as maturin's `--target` does on each runner. Real git, uv and pypiserver.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::python_release::{py_repo, release_from, Pkg};
use crate::registries::Registries;
use crate::support::{fingerprint_dir, git_env, Repo, TempDir};

const PLATFORMS: &str = "[\"manylinux_2_28_x86_64\", \"macosx_11_0_arm64\"]";

/// `fastcore` (built on the matrix) and `app`, which requires it (built here).
fn staged_repo(reg: &Registries) -> Repo {
    let mut app = Pkg::stamp("app", "0.1.0", "", &[("src/app/__init__.py", "import fastcore\n")]);
    app.manifest = app.manifest.replace("dependencies = []", "dependencies = [\"fastcore>=0.1.0\"]");
    let repo = py_repo(
        reg,
        &[Pkg::stamp("fastcore", "0.1.0", "", &[("src/fastcore/__init__.py", "SPEED = 1\n")]), app],
        "\n[tool.uv.sources]\nfastcore = { workspace = true }\n",
        &format!("\n[matrix]\npackages = [\"fastcore\"]\nplatforms = {PLATFORMS}\n"),
    );
    // the first release, made as usual; the second one goes through the matrix
    release_from(repo.path(), &repo, reg, &["--yes"], &[]).ok();
    repo.append("py/packages/fastcore/src/fastcore/__init__.py", "FASTER = 2\n");
    repo.commit("feat(fastcore): go faster");
    repo.git(&["push", "-q", "origin", "main"]);
    repo
}

fn remote_head(reg: &Registries) -> String {
    git(&reg.remote(), &["rev-parse", "refs/heads/main"])
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_env(Command::new("git").arg("-C").arg(dir).args(args)).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The matrix: for each artifact the staged commit's record lists, a checkout of `commit` from the
/// remote and a build in a process of its own, into `out/wheels-PACKAGE-PLATFORM/`, all at once.
fn build_matrix(reg: &Registries, commit: &str, out: &Path) -> Vec<String> {
    let runner = TempDir::new("runner");
    let record = git(&reg.remote(), &["show", &format!("{commit}:.xtask-release/plan.json")]);
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    let jobs: Vec<(String, String, String)> = record["artifacts"]
        .as_array()
        .expect("the record lists the matrix's artifacts")
        .iter()
        .map(|a| {
            (
                a["package"].as_str().unwrap().into(),
                a["platform"].as_str().unwrap().into(),
                a["dir"].as_str().unwrap().into(),
            )
        })
        .collect();
    let children: Vec<_> = jobs
        .iter()
        .map(|(package, platform, dir)| {
            let checkout = runner.0.join(format!("{package}-{platform}"));
            let remote = reg.remote();
            let cloned =
                git_env(Command::new("git").arg("clone").arg("-q").arg(&remote).arg(&checkout)).status().unwrap();
            assert!(cloned.success());
            git(&checkout, &["checkout", "-q", commit]);
            let dest = out.join(format!("wheels-{package}-{platform}"));
            let mut cmd = Command::new(reg.tools.join("venv/bin/uv"));
            cmd.current_dir(checkout.join(dir)).args(["build", "-q", "--no-sources", "--out-dir"]).arg(&dest);
            match platform.as_str() {
                "sdist" => cmd.arg("--sdist"),
                p => cmd.args(["--wheel", "-C", &format!("tag=cp39-abi3-{p}")]),
            };
            for (k, v) in reg.env() {
                cmd.env(k, v);
            }
            cmd.spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a matrix build failed");
    }
    jobs.into_iter().map(|(p, pl, _)| format!("{p} {pl}")).collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            out.extend(files_under(&entry.path()));
        } else {
            let name = entry.file_name().to_string_lossy().into_owned();
            // uv build also writes a .gitignore into its output folder
            if name.ends_with(".whl") || name.ends_with(".tar.gz") {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_string()
}

/// Stage, build the matrix's artifacts from the staged commit in separate processes, publish them:
/// the record lists each platform's wheel and the sdist; `--stage` pushes the commit and publishes
/// and tags nothing; `--artifacts` publishes exactly the matrix's files (checksums compared), builds
/// the pure package here, tags the staged commit and makes no second commit.
#[test]
fn a_staged_release_publishes_the_wheels_the_matrix_built() {
    let reg = Registries::start();
    let repo = staged_repo(&reg);
    let base = repo.git(&["rev-parse", "HEAD"]);

    // a dry run of the stage changes nothing: no file, ref or journal here, nothing on the remote
    let before = (repo.fingerprint(), fingerprint_dir(&reg.remote()));
    let dry = release_from(repo.path(), &repo, &reg, &["--stage", "--dry-run"], &[]).ok();
    assert_eq!(before, (repo.fingerprint(), fingerprint_dir(&reg.remote())), "the dry run changed something");
    assert!(dry.stdout.contains("fastcore-0.2.0-*-macosx_11_0_arm64.whl"), "{}", dry.stdout);
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), base);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    assert_eq!(remote_head(&reg), base);

    let staged = release_from(repo.path(), &repo, &reg, &["--stage", "--yes"], &[]).ok();
    let commit = repo.git(&["rev-parse", "HEAD"]);
    assert_ne!(commit, base, "{}", staged.stdout);
    assert_eq!(repo.git(&["rev-parse", "HEAD~1"]), base);
    assert_eq!(remote_head(&reg), commit, "the staged commit is pushed");
    assert!(git(&reg.remote(), &["tag", "--list", "fastcore-v0.2.0"]).is_empty(), "no tag before publishing");
    assert_eq!(reg.python_files("fastcore").len(), 2, "nothing of 0.2.0 published by --stage");
    assert!(staged.stdout.contains("then: cargo xtask release --artifacts DIR"), "{}", staged.stdout);

    let dir = TempDir::new("matrix-artifacts");
    let built = build_matrix(&reg, &commit, &dir.0);
    assert_eq!(built, ["fastcore sdist", "fastcore manylinux_2_28_x86_64", "fastcore macosx_11_0_arm64"]);
    let artifacts = dir.0.display().to_string();

    // a dry run of the publish checks the folder and changes nothing
    let before = (repo.fingerprint(), fingerprint_dir(&reg.remote()), fingerprint_dir(&dir.0));
    let dry = release_from(repo.path(), &repo, &reg, &["--artifacts", &artifacts, "--dry-run"], &[]).ok();
    let after = (repo.fingerprint(), fingerprint_dir(&reg.remote()), fingerprint_dir(&dir.0));
    assert_eq!(before, after, "the dry run changed something");
    assert!(dry.stdout.contains("fastcore-0.2.0-cp39-abi3-macosx_11_0_arm64.whl"), "{}", dry.stdout);
    assert_eq!(reg.python_files("fastcore").len(), 2);

    let run = release_from(repo.path(), &repo, &reg, &["--artifacts", &artifacts, "--yes"], &[]).ok();
    assert!(run.stdout.contains("released 1 package(s)"), "{}", run.stdout);
    let on_index = reg.python_files("fastcore");
    for file in files_under(&dir.0) {
        let name = file.file_name().unwrap().to_str().unwrap().to_string();
        let served = on_index.iter().find(|(f, _)| *f == name).unwrap_or_else(|| panic!("{name} not on the index"));
        assert_eq!(served.1, sha256(&file), "{name} on the index is not the matrix's file");
    }
    assert_eq!(on_index.len(), 2 + 3, "{on_index:?}");
    assert_eq!(remote_head(&reg), commit, "no second commit");
    let tagged = git(&reg.remote(), &["rev-parse", "fastcore-v0.2.0^{commit}"]);
    assert_eq!(tagged, commit, "the staged commit is tagged");
}

/// A missing artifact (a matrix job that did not finish) and a mismatched one (a wheel of another
/// version renamed to the expected name) stop the publish before anything is published or tagged,
/// with a named error each; the release then goes on once the folder is right.
#[test]
fn a_missing_or_mismatched_artifact_publishes_nothing() {
    let reg = Registries::start();
    let repo = staged_repo(&reg);
    let old = TempDir::new("old-wheel");
    let base = repo.git(&["rev-parse", "HEAD"]);
    // the same package built from the commit before the stage: version 0.1.0 inside
    let old_built = build_matrix_of_base(&reg, &repo, &base, &old.0);
    release_from(repo.path(), &repo, &reg, &["--stage", "--yes", "--no-push"], &[]).ok();
    let commit = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(remote_head(&reg), base, "--no-push keeps the staged commit local");
    repo.git(&["push", "-q", "origin", "main"]);
    let dir = TempDir::new("matrix-artifacts");
    build_matrix(&reg, &commit, &dir.0);
    let mac = dir.0.join("wheels-fastcore-macosx_11_0_arm64");
    let mac_wheel = files_under(&mac).pop().unwrap();
    let artifacts = dir.0.display().to_string();

    std::fs::rename(&mac_wheel, old.0.join("kept.whl")).unwrap();
    let run = release_from(repo.path(), &repo, &reg, &["--artifacts", &artifacts, "--yes"], &[]).fails_with("XR180");
    assert!(run.stderr.contains("fastcore-0.2.0-*-macosx_11_0_arm64.whl"), "{}", run.stderr);
    assert_eq!(reg.python_files("fastcore").len(), 2, "nothing published");
    assert!(git(&reg.remote(), &["tag", "--list", "fastcore-v0.2.0"]).is_empty());
    assert!(!repo.path().join(".git/xtask-release/journal.json").exists(), "no journal: nothing was started");

    // the wheel of 0.1.0, under the name of 0.2.0's
    std::fs::copy(&old_built, &mac_wheel).unwrap();
    let run = release_from(repo.path(), &repo, &reg, &["--artifacts", &artifacts, "--yes"], &[]).fails_with("XR181");
    assert!(run.stderr.contains("it is no wheel of fastcore 0.2.0"), "{}", run.stderr);
    assert_eq!(reg.python_files("fastcore").len(), 2, "nothing published");

    std::fs::rename(old.0.join("kept.whl"), &mac_wheel).unwrap();
    release_from(repo.path(), &repo, &reg, &["--artifacts", &artifacts, "--yes"], &[]).ok();
    assert_eq!(reg.python_files("fastcore").len(), 5);
}

/// The macOS wheel of `base` (fastcore 0.1.0), built as the matrix would have built it then.
fn build_matrix_of_base(reg: &Registries, repo: &Repo, base: &str, out: &Path) -> PathBuf {
    let checkout = out.join("checkout");
    git(repo.path(), &["worktree", "add", "-q", "--detach", checkout.to_str().unwrap(), base]);
    let status = Command::new(reg.tools.join("venv/bin/uv"))
        .current_dir(checkout.join("py/packages/fastcore"))
        .args(["build", "-q", "--no-sources", "--wheel", "-C", "tag=cp39-abi3-macosx_11_0_arm64", "--out-dir"])
        .arg(out.join("dist"))
        .envs(reg.env())
        .status()
        .unwrap();
    assert!(status.success());
    git(repo.path(), &["worktree", "remove", "--force", checkout.to_str().unwrap()]);
    files_under(&out.join("dist")).pop().unwrap()
}

/// A kill right after the matrix's fastcore files are uploaded (the journal's failpoint aborts the
/// process): `--resume` takes the files the journal recorded, finds them on the index with our
/// checksums, publishes nothing twice and finishes the release.
#[test]
fn a_killed_publish_of_matrix_artifacts_resumes() {
    let reg = Registries::start();
    let repo = staged_repo(&reg);
    release_from(repo.path(), &repo, &reg, &["--stage", "--yes"], &[]).ok();
    let commit = repo.git(&["rev-parse", "HEAD"]);
    let dir = TempDir::new("matrix-artifacts");
    build_matrix(&reg, &commit, &dir.0);
    let artifacts = dir.0.display().to_string();
    let killed = release_from(
        repo.path(),
        &repo,
        &reg,
        &["--artifacts", &artifacts, "--yes"],
        &[("XTASK_FAILPOINT", FAILPOINT), ("XTASK_JOURNAL_TRACE", "1")],
    );
    assert!(killed.stderr.contains("aborting after `fastcore publish Done`"), "{}", killed.stderr);
    assert_eq!(reg.python_files("fastcore").len(), 5, "uploaded before the kill");
    let resumed = release_from(repo.path(), &repo, &reg, &["--resume", "--yes"], &[]).ok();
    assert!(resumed.stdout.contains("reusing the artifacts built before the interruption"), "{}", resumed.stdout);
    assert!(!resumed.stdout.contains("uv publish"), "{}", resumed.stdout);
    assert_eq!(reg.python_files("fastcore").len(), 5, "nothing uploaded twice");
    assert_eq!(git(&reg.remote(), &["rev-parse", "fastcore-v0.2.0^{commit}"]), commit);
}

/// The journal write after which fastcore's upload is recorded done.
const FAILPOINT: &str = "7";

/// The generated workflow builds the staged release's artifacts on a matrix before the publishing
/// job: `ci --next` on the staged commit says `release` and writes the matrix (one job per package
/// and platform, with its runner and maturin target) to `$GITHUB_OUTPUT`; `ci --github` writes the
/// wheels job and `--artifacts dist` in the release job, and actionlint accepts the file.
#[test]
fn the_workflow_builds_the_recorded_artifacts_on_a_matrix_first() {
    let reg = Registries::start();
    let repo = staged_repo(&reg);
    release_from(repo.path(), &repo, &reg, &["--stage", "--yes"], &[]).ok();
    let dir = TempDir::new("gh-output");
    let output = dir.0.join("output");
    let env = [("GITHUB_ACTIONS", "true"), ("GITHUB_OUTPUT", output.to_str().unwrap())];
    let run = repo.xtask_env(&["ci", "--next"], &env).ok();
    assert!(run.stdout.contains("next: release"), "{}", run.stdout);
    let written = std::fs::read_to_string(&output).unwrap();
    let matrix = written.lines().find_map(|l| l.strip_prefix("matrix=")).expect("a matrix line");
    let matrix: serde_json::Value = serde_json::from_str(matrix).unwrap();
    let jobs = matrix["include"].as_array().unwrap();
    assert_eq!(jobs.len(), 3, "{matrix}");
    let mac = jobs.iter().find(|j| j["platform"] == "macosx_11_0_arm64").unwrap();
    assert_eq!(mac["runner"], "macos-14");
    assert_eq!(mac["dir"], "py/packages/fastcore");
    let linux = jobs.iter().find(|j| j["platform"] == "manylinux_2_28_x86_64").unwrap();
    assert_eq!((&linux["target"], &linux["manylinux"]), (&"x86_64".into(), &"2_28".into()));

    repo.xtask(&["ci", "--github"]).ok();
    let file = repo.path().join(".github/workflows/release.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    for part in
        ["fromJSON(needs.next.outputs.matrix)", "needs: [next, wheels]", "--artifacts dist", "pattern: wheels-*"]
    {
        assert!(text.contains(part), "{part}:\n{text}");
    }
    let lint = Command::new(crate::ci::actionlint()).arg(&file).current_dir(repo.path()).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&lint.stdout), String::from_utf8_lossy(&lint.stderr));
    assert!(lint.status.success(), "actionlint:\n{said}");
}
