//! Every mode is honest: each combination of `release` flags with `--dry-run`
//! is either refused as a usage error (exit 2) or honoured, and an honoured dry
//! run changes nothing anywhere — the work tree, `.git` (refs, journal, lock),
//! both registries and the remote — also after an interrupted release, with a
//! journal and a lock present. Then a plain `--resume` finishes that release.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::crash::assert_release_complete;
use crate::registries::Registries;
use crate::release::{release, release_repo};
use crate::support::{fingerprint_dir, Repo, Run};

/// The flags of the matrix, each with its value where it takes one.
const FLAGS: [&[&str]; 9] = [
    &["--resume"],
    &["--abandon"],
    &["--clear-stale-lock"],
    &["--no-push"],
    &["--jobs", "1"],
    &["--package", "core"],
    &["--bump", "minor"],
    &["--pre", "rc"],
    &["--offline"],
];

/// Which combinations `release --help` and README say are accepted (with
/// `--dry-run`): `--resume` and `--abandon` exclude each other and the plan
/// flags (they execute the journal's plan); `--abandon` takes only
/// `--clear-stale-lock`.
fn accepted(on: &[&str]) -> bool {
    let has = |f: &str| on.contains(&f);
    let plan_flags = ["--package", "--bump", "--pre"].iter().any(|f| has(f));
    if has("--resume") && has("--abandon") {
        return false;
    }
    if (has("--resume") || has("--abandon")) && plan_flags {
        return false;
    }
    if has("--abandon") && ["--no-push", "--jobs", "--offline"].iter().any(|f| has(f)) {
        return false;
    }
    true
}

/// Everything a release could touch.
fn fingerprint(repo: &Repo, reg: &Registries) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    (repo.fingerprint(), fingerprint_dir(&reg.dir.0))
}

/// The names whose fingerprint differs.
fn changed(a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).cloned().collect()
}

/// Runs every combination with `--dry-run` (two at a time: the machine has two
/// cores), checking the exit status against `accepted` and `expect`, and that
/// nothing changed. Returns how many were honoured.
fn matrix(repo: &Repo, reg: &Registries, state: &str, expect: impl Fn(&[&str], &Run) + Sync) -> usize {
    let before = fingerprint(repo, reg);
    let next = AtomicUsize::new(0);
    let honoured = AtomicUsize::new(0);
    let failures = Mutex::new(vec![]);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let mask = next.fetch_add(1, Ordering::SeqCst);
                if mask >= 1 << FLAGS.len() {
                    break;
                }
                let chosen: Vec<&[&str]> =
                    (0..FLAGS.len()).filter(|b| mask & (1 << b) != 0).map(|b| FLAGS[b]).collect();
                let names: Vec<&str> = chosen.iter().map(|f| f[0]).collect();
                let mut args = vec!["--dry-run"];
                args.extend(chosen.iter().flat_map(|f| f.iter().copied()));
                let run = release(repo, reg, &args);
                let context = format!("{state}: release {}", args.join(" "));
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    if accepted(&names) {
                        assert_ne!(run.code, 2, "{context}: refused\n{}", run.stderr);
                        expect(&names, &run);
                        honoured.fetch_add(1, Ordering::SeqCst);
                    } else {
                        assert_eq!(run.code, 2, "{context}: accepted\n{}\n{}", run.stdout, run.stderr);
                        assert!(run.stderr.contains("error[XR001]") && run.stderr.contains("help: "), "{}", run.stderr);
                    }
                }));
                if let Err(e) = result {
                    let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
                    failures.lock().unwrap().push(msg);
                }
                let after = fingerprint(repo, reg);
                if after != before {
                    failures.lock().unwrap().push(format!(
                        "{context}: CHANGED (or the run beside it did): {:?} {:?}",
                        changed(&before.0, &after.0),
                        changed(&before.1, &after.1)
                    ));
                    break;
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n---\n"));
    honoured.into_inner()
}

#[test]
fn every_dry_run_combination_changes_nothing_then_a_plain_resume_finishes() {
    let reg = Registries::start();
    let repo = release_repo(&reg);

    // a repository ready to release
    let honoured = matrix(&repo, &reg, "clean", |on, run| {
        if on.contains(&"--resume") || on.contains(&"--abandon") {
            let run = Run { code: run.code, stdout: run.stdout.clone(), stderr: run.stderr.clone() };
            run.fails_with("XR115");
        } else {
            assert_eq!(run.code, 0, "{on:?}\n{}\n{}", run.stdout, run.stderr);
            assert!(run.stdout.contains("dry run complete: would release"), "{on:?}\n{}", run.stdout);
            assert!(run.stdout.contains("would run: "), "{}", run.stdout);
        }
    });
    assert!(honoured >= 130, "{honoured}");

    // an interrupted release: killed right after its first package was published
    // (`--jobs 1`: write 2, commit 2, tags 2 transitions after the start, then
    // core's build and publish), leaving the journal and its process's lock
    let env = reg.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("XTASK_FAILPOINT", "11"));
    env.push(("XTASK_JOURNAL_TRACE", "1"));
    let run = repo.xtask_env(&["release", "--yes", "--jobs", "1"], &env);
    assert!(run.stderr.contains("failpoint 11: aborting after `core publish Done`"), "{}", run.stderr);
    let state = repo.path().join(".git/xtask-release");
    assert!(state.join("journal.json").exists() && state.join("lock.json").exists());
    assert_eq!(reg.crate_versions("core").len(), 1);

    let honoured = matrix(&repo, &reg, "interrupted", |on, run| {
        let run = Run { code: run.code, stdout: run.stdout.clone(), stderr: run.stderr.clone() };
        if on.contains(&"--resume") {
            let run = run.ok();
            assert!(run.stdout.contains("would take it over"), "the dead process's lock: {}", run.stdout);
            assert!(run.stdout.contains("would upload net-"), "{}", run.stdout);
            assert!(!run.stdout.contains("would run: cargo package --quiet --no-metadata -p core "), "core is done");
        } else if on.contains(&"--abandon") {
            let run = run.ok();
            assert!(run.stdout.contains("would move: "), "{}", run.stdout);
        } else {
            run.fails_with("XR113");
        }
    });
    assert!(honoured >= 140, "{honoured}");

    // after the crash, a plain --resume just works: no flag for the lock
    let run = release(&repo, &reg, &["--resume", "--yes"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no longer running; taking it over"), "{}", run.stderr);
    assert_release_complete(&repo, &reg, "plain resume after the matrix");
}

/// `--verbose` prints every command the tool runs: wrappers on PATH record
/// each uv, cargo and git started by the xtask process itself (their parent),
/// and each must match a `+ ` trace line, for a dry run, a release and a rollback.
#[test]
fn verbose_traces_every_command_the_tool_runs() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    let wrappers = crate::support::TempDir::new("trace-wrappers");
    let argv_log = wrappers.0.join("argv.log");
    let env = reg.env();
    let path = env.iter().find(|(k, _)| k == "PATH").unwrap().1.clone();
    for tool in ["uv", "cargo", "git", "tar"] {
        let real = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("PATH='{path}' command -v {tool}"))
            .output()
            .unwrap();
        let real = String::from_utf8_lossy(&real.stdout).trim().to_string();
        // only what the xtask starts itself: uv and cargo run git and tar of their own
        let script = format!(
            "#!/bin/sh\nif [ \"$(cat /proc/$PPID/comm 2>/dev/null)\" = xtask ]; then printf '%s\\n' '{tool}' >> '{}'; fi\nexec '{real}' \"$@\"\n",
            argv_log.display()
        );
        let p = wrappers.0.join(tool);
        std::fs::write(&p, script).unwrap();
        std::process::Command::new("chmod").arg("+x").arg(&p).status().unwrap();
    }
    let env: Vec<(String, String)> = env
        .into_iter()
        .map(|(k, v)| if k == "PATH" { (k, format!("{}:{v}", wrappers.0.display())) } else { (k, v) })
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for args in
        [&["release", "--dry-run", "--verbose"][..], &["release", "--yes", "--verbose"], &["rollback", "--verbose"]]
    {
        let _ = std::fs::remove_file(&argv_log);
        let run = repo.xtask_env(args, &env);
        assert!(run.code == 0 || args[0] == "rollback", "{args:?}: {}", run.stderr);
        let ran = std::fs::read_to_string(&argv_log).unwrap_or_default();
        for tool in ["uv", "cargo", "git", "tar"] {
            let started = ran.lines().filter(|l| *l == tool).count();
            let traced = run.stderr.lines().filter(|l| l.starts_with(&format!("+ {tool} "))).count();
            assert_eq!(started, traced, "{args:?}: {tool} ran {started} time(s), traced {traced}:\n{}", run.stderr);
        }
        assert!(ran.lines().any(|l| l == "git"), "{args:?}: the wrappers recorded nothing");
    }
}
