//! Crash tests: a release is killed at every journal transition (a failpoint
//! in the binary aborts the process right after the Nth journal write), and at
//! seeded random instants with SIGKILL; then `--resume` must finish it with
//! every package published exactly once, registry checksums equal to ours,
//! tags on the remote at the release commit, a clean work tree, no stray files.
//!
//! The sweep covers every transition of a six-package mixed release. By default
//! CI runs every `XTASK_CRASH_STRIDE`-th point (default 1: all of them).

use std::process::Command;
use std::time::Duration;

use crate::registries::{sha256_file, Registries};
use crate::release::{release, release_repo};
use crate::support::{git_env, Repo};

/// A new change in every package, so that the next release releases all six.
pub fn change_everything(repo: &Repo, n: usize) {
    for f in [
        "crates/core/src/lib.rs",
        "crates/net/src/lib.rs",
        "crates/app/src/main.rs",
        "py/packages/models/src/models/__init__.py",
        "py/packages/client/src/client/__init__.py",
        "py/packages/cli-tool/src/cli_tool/__init__.py",
    ] {
        let comment = if f.ends_with(".rs") { "//" } else { "#" };
        repo.append(f, &format!("{comment} change {n}\n"));
    }
    repo.commit(&format!("fix: change {n} everywhere"));
    repo.git(&["push", "-q", "origin", "main"]);
}

/// Everything a finished release must leave behind.
pub fn assert_release_complete(repo: &Repo, reg: &Registries, context: &str) {
    let plan_dir = repo.path().join(".git/xtask-release");
    assert!(!plan_dir.join("journal.json").exists(), "{context}: journal left");
    assert!(!plan_dir.join("lock.json").exists(), "{context}: lock left");
    assert_eq!(repo.git(&["status", "--porcelain", "--ignored"]), "", "{context}: stray files");
    let head = repo.git(&["rev-parse", "HEAD"]);
    let last: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(plan_dir.join("last-release.json")).unwrap()).unwrap();
    assert_eq!(last["release_commit"], head.as_str(), "{context}");
    for e in last["plan"]["packages"].as_array().unwrap().iter().filter(|e| e["status"] == "release") {
        let name = e["name"].as_str().unwrap();
        let version = e["next_version"].as_str().unwrap();
        if e["ecosystem"] == "cargo" {
            let lines: Vec<_> = reg.crate_versions(name).into_iter().filter(|(v, _)| v == version).collect();
            assert_eq!(lines.len(), 1, "{context}: {name} {version} in the index {} times", lines.len());
            let stored = reg.cargo_root().join(format!("{name}-{version}.crate"));
            assert_eq!(lines[0].1, sha256_file(&stored), "{context}: {name} cksum");
        } else {
            let stem = format!("{}-{version}", name.replace('-', "_"));
            let files: Vec<_> = reg
                .python_files(name)
                .into_iter()
                .filter(|(f, _)| f == &format!("{stem}.tar.gz") || f.starts_with(&format!("{stem}-")))
                .collect();
            assert_eq!(files.len(), 2, "{context}: {name} {version} files {files:?}");
            for (f, sha) in files {
                assert_eq!(sha, sha256_file(&reg.pypi_dir().join(&f)), "{context}: {f}");
            }
        }
        let tag = e["tag"].as_str().unwrap();
        let out =
            git_env(Command::new("git").arg("-C").arg(reg.remote()).args(["rev-parse", &format!("{tag}^{{commit}}")]))
                .output()
                .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), head, "{context}: remote tag {tag}");
    }
}

fn resume(repo: &Repo, reg: &Registries, context: &str) {
    // a plain --resume: the lock the killed process left is taken over by itself
    let run = release(repo, reg, &["--resume", "--yes"]);
    assert_eq!(run.code, 0, "{context}: resume failed\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    // every upload was this release's own: none is "already published" by someone
    assert!(!run.stdout.contains("already published"), "{context}: our uploads reported as someone's:\n{}", run.stdout);
}

#[test]
fn killed_at_every_journal_transition_then_resumed() {
    let stride: usize = std::env::var("XTASK_CRASH_STRIDE").ok().and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let reg = Registries::start();
    let repo = release_repo(&reg);
    let mut crashed_at = vec![];
    let mut n = 1;
    let mut cycle = 0;
    loop {
        if cycle > 0 {
            change_everything(&repo, cycle);
        }
        cycle += 1;
        let env = reg.env();
        let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let failpoint = n.to_string();
        env.push(("XTASK_FAILPOINT", &failpoint));
        let run = repo.xtask_env(&["release", "--yes", "--jobs", "2"], &env);
        if run.code == 0 {
            // past the last transition: this release simply finished
            assert_release_complete(&repo, &reg, &format!("failpoint {n} (after the end)"));
            break;
        }
        let label = run.stderr.lines().find_map(|l| l.strip_prefix(&format!("failpoint {n}: "))).map(str::to_string);
        let label = label
            .unwrap_or_else(|| panic!("failpoint {n}: no abort\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr));
        // without --resume, the unfinished release is refused with a way out
        let refused = release(&repo, &reg, &["--yes"]);
        assert_eq!(refused.code, 1, "{}", refused.stderr);
        assert!(refused.stderr.contains("error[XR113]"), "{}", refused.stderr);
        let context = format!("crash at {n} ({label})");
        resume(&repo, &reg, &context);
        assert_release_complete(&repo, &reg, &context);
        crashed_at.push(label);
        n += stride;
    }
    eprintln!("crash points covered: {}", crashed_at.len());
    for l in &crashed_at {
        eprintln!("  {l}");
    }
    if stride == 1 {
        assert!(crashed_at.len() >= 40, "only {} crash points", crashed_at.len());
    }
}

/// Kills inside the write step: `XTASK_FAILPOINT=write:N` aborts at its Nth
/// point (a temporary file written but not yet moved into place, a file
/// written, a child running: `cargo update`, `uv lock`, `git add`, `git
/// commit`). No child may outlive the kill, and the resume must leave no stray
/// file and finish.
#[test]
fn killed_at_every_point_of_the_write_step_then_resumed() {
    let stride: usize = std::env::var("XTASK_CRASH_STRIDE").ok().and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let reg = Registries::start();
    let repo = release_repo(&reg);
    let mut points = vec![];
    let mut n = 1;
    let mut cycle = 0;
    loop {
        if cycle > 0 {
            change_everything(&repo, 2000 + cycle);
        }
        cycle += 1;
        let env = reg.env();
        let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let failpoint = format!("write:{n}");
        env.push(("XTASK_FAILPOINT", &failpoint));
        let run = repo.xtask_env(&["release", "--yes", "--jobs", "2"], &env);
        if run.code == 0 {
            assert!(n > 1, "write:1 did not stop the release:\n{}", run.stderr);
            assert_release_complete(&repo, &reg, &format!("{failpoint} (after the write step)"));
            break;
        }
        let prefix = format!("failpoint {failpoint}: ");
        let label = run.stderr.lines().find_map(|l| l.strip_prefix(&prefix)).map(str::to_string);
        let label =
            label.unwrap_or_else(|| panic!("{failpoint}: no abort\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr));
        let context = format!("crash at {failpoint} ({label})");
        // the child that was running dies with the release
        let child: Option<u32> =
            label.split("(PID ").nth(1).and_then(|r| r.split(')').next()).and_then(|p| p.parse().ok());
        if let Some(pid) = child {
            assert!(
                crate::interrupted::gone_within(pid, Duration::from_secs(5)),
                "{context}: the child outlived the kill"
            );
        }
        resume(&repo, &reg, &context);
        if let Some(pid) = child {
            assert!(!crate::interrupted::group_alive(pid), "{context}: the child's process group outlived the resume");
        }
        assert_release_complete(&repo, &reg, &context);
        points.push(label);
        n += stride;
    }
    eprintln!("write-step crash points covered: {}", points.len());
    for l in &points {
        eprintln!("  {l}");
    }
    if stride == 1 {
        assert!(points.iter().any(|l| l.contains("xtask-tmp")), "no kill inside an atomic write: {points:?}");
        assert!(points.iter().any(|l| l.contains("uv lock")), "no kill during uv lock: {points:?}");
        assert!(points.iter().any(|l| l.contains("cargo update")), "no kill during cargo update: {points:?}");
    }
}

#[test]
fn sigkill_at_seeded_random_instants_then_resumed() {
    use std::os::unix::process::CommandExt;
    let reg = Registries::start();
    let repo = release_repo(&reg);
    let mut rng = bench::Rng::new(0x5eed_0001);
    let kills: usize = std::env::var("XTASK_SIGKILL_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    for cycle in 0..kills {
        if cycle > 0 {
            change_everything(&repo, 1000 + cycle);
        }
        let delay = Duration::from_millis(200 + rng.below(4000) as u64);
        let mut cmd = Command::new(crate::support::xtask_bin());
        cmd.args(["release", "--yes", "--jobs", "2", "--root"]).arg(repo.path());
        for (k, v) in reg.env() {
            cmd.env(k, v);
        }
        // its own process group: the kill takes the tool and the uv/cargo/git it runs
        cmd.process_group(0).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            // `kill -s KILL -- -PGID`: the explicit form (procps reads `kill -KILL -N` differently)
            let group = format!("-{}", child.id());
            Command::new("kill").args(["-s", "KILL", "--", &group]).status().unwrap();
        }
        let _ = child.wait();
        let context = format!("SIGKILL after {delay:?} (cycle {cycle}, finished before: {finished})");
        if repo.path().join(".git/xtask-release/journal.json").exists() {
            resume(&repo, &reg, &context);
        } else if !finished {
            // killed before the journal existed: nothing was written; release again
            let run = release(&repo, &reg, &["--yes"]);
            assert_eq!(run.code, 0, "{context}: {}", run.stderr);
        }
        assert_release_complete(&repo, &reg, &context);
    }
}
