//! Faults during a release: a registry that dies, HTTP errors and slowness, a
//! remote that moved on, commit hooks that hang, locks, secrets, rollback.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::crash::assert_release_complete;
use crate::proxy::{Fault, Proxy};
use crate::registries::Registries;
use crate::release::{release, release_repo};
use crate::support::{git_env, Repo, TempDir};

/// Runs a release in the background and calls `on_line` for each stderr line
/// (journal transitions included) until it exits; bounded by `limit`.
fn release_watching(
    repo: &Repo,
    env: &[(String, String)],
    args: &[&str],
    limit: Duration,
    mut on_line: impl FnMut(&str),
) -> (i32, String) {
    let mut cmd = Command::new(crate::support::xtask_bin());
    cmd.arg("release").args(args).arg("--root").arg(repo.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env("XTASK_JOURNAL_TRACE", "1").stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    // lines arrive through a channel, so that the deadline fires even when the
    // release hangs silently
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + limit;
    let mut all = String::new();
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                all.push_str(&line);
                all.push('\n');
                on_line(&line);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("release still running after {limit:?}:\n{all}");
            }
        }
    }
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), all)
}

#[test]
fn registry_dies_mid_release_then_resume_finishes() {
    let mut reg = Registries::start();
    let repo = release_repo(&reg);
    let port = reg.pypi_port;
    let pid = reg.pypi_pid().unwrap().to_string();
    let mut killed = false;
    // one package at a time: core (a crate) goes first; the Python index dies
    // as it starts, so the Python packages meet a dead registry
    let (code, stderr) =
        release_watching(&repo, &reg.env(), &["--yes", "--jobs", "1"], Duration::from_secs(300), |line| {
            if !killed && line.contains("core build Started") {
                Command::new("kill").args(["-s", "KILL", &pid]).status().unwrap();
                killed = true;
            }
        });
    assert!(killed, "{stderr}");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[XR109]"), "{stderr}");
    assert!(stderr.contains("failed 6 times"), "bounded retries: {stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    reg.stop_pypi();
    reg.start_pypi(Some(port));
    let run = release(&repo, &reg, &["--resume", "--yes"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_release_complete(&repo, &reg, "after the registry came back");
}

#[test]
fn http_500_429_and_slow_answers_are_retried() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    let faults = vec![
        Fault::Status500,
        Fault::Status429 { retry_after: Some(1) },
        Fault::Status429 { retry_after: None },
        Fault::Slow(Duration::from_secs(2)),
    ];
    let proxy = Proxy::start(reg.pypi_port, "/simple/", faults);
    let config = reg.config().replace(&reg.simple_url(), &format!("http://127.0.0.1:{}/simple/", proxy.port));
    repo.write("xtask-release.toml", &config);
    repo.commit("chore: read the index through a flaky proxy");
    repo.git(&["push", "-q", "origin", "main"]);
    let run = release(&repo, &reg, &["--yes"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(proxy.served.load(std::sync::atomic::Ordering::SeqCst) >= 12, "faults were served and retried");
    assert_release_complete(&repo, &reg, "through the flaky proxy");
}

#[test]
fn remote_moved_on_push_fails_clearly_then_merge_and_resume() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    // someone pushes to main while the release runs: simulated by a commit
    // that reaches the remote after the release commit and tags are made
    let other = TempDir::new("other-clone");
    let clone = other.0.join("c");
    git_env(Command::new("git").args(["clone", "-q"]).arg(reg.remote()).arg(&clone)).status().unwrap();
    let mut env = reg.env();
    env.push(("XTASK_FAILPOINT".into(), "7".into())); // after "tags Done"
    let (code, stderr) = release_watching(&repo, &env, &["--yes"], Duration::from_secs(300), |_| {});
    assert_ne!(code, 0);
    assert!(stderr.contains("aborting after `tags Done`"), "{stderr}");
    std::fs::write(clone.join("NEWS.md"), "news\n").unwrap();
    git_env(Command::new("git").arg("-C").arg(&clone).args(["add", "-A"])).status().unwrap();
    git_env(Command::new("git").arg("-C").arg(&clone).args(["commit", "-q", "-m", "docs: news"])).status().unwrap();
    git_env(Command::new("git").arg("-C").arg(&clone).args(["push", "-q", "origin", "main"])).status().unwrap();

    let run = release(&repo, &reg, &["--resume", "--yes"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("error[XR108]"), "{}", run.stderr);
    assert!(run.stderr.contains("packages are published"), "{}", run.stderr);
    // every package is public exactly once already
    for krate in ["core", "net", "app"] {
        assert_eq!(reg.crate_versions(krate).len(), 1);
    }
    // the documented way on: merge (keeps the tagged release commit), then resume
    repo.git(&["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"]);
    let run = release(&repo, &reg, &["--resume", "--yes"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let last: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join(".git/xtask-release/last-release.json")).unwrap(),
    )
    .unwrap();
    let release_commit = last["release_commit"].as_str().unwrap().to_string();
    let out = git_env(Command::new("git").arg("-C").arg(reg.remote()).args(["rev-parse", "core-v1.0.0^{commit}"]))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), release_commit);
    for krate in ["core", "net", "app"] {
        assert_eq!(reg.crate_versions(krate).len(), 1, "{krate} published twice?");
    }
}

#[test]
fn hanging_commit_hooks_do_not_hang_the_release() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    repo.change("crates/core/src/lib.rs", "feat(core): with hooks around");
    repo.git(&["push", "-q", "origin", "main"]);
    // hooks that would hold any git command that runs them for ten minutes
    for hook in ["pre-commit", "commit-msg", "post-commit", "pre-push", "reference-transaction"] {
        let path = repo.path().join(".git/hooks").join(hook);
        std::fs::write(&path, "#!/bin/sh\nsleep 600\n").unwrap();
        Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    }
    // bounded: a hook that ran would hold the release for ten minutes
    let (code, stderr) = release_watching(&repo, &reg.env(), &["--yes"], Duration::from_secs(240), |_| {});
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_live_lock_stops_a_release_a_dead_one_is_taken_over_another_hosts_needs_a_flag() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    let dir = repo.path().join(".git/xtask-release");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = dir.join("lock.json");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();
    let info = |pid: u32, host: &str| format!("{{\"pid\":{pid},\"host\":\"{host}\",\"started_unix\":1}}");

    // a live holder: a process that holds the OS lock on the file (flock(1))
    let mut holder = Command::new("flock").arg("-o").arg(&lock).args(["sleep", "120"]).spawn().unwrap();
    std::fs::write(&lock, info(holder.id(), &host)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while Command::new("flock").args(["-n"]).arg(&lock).arg("true").status().unwrap().success() {
        assert!(std::time::Instant::now() < deadline, "flock(1) never took the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = repo.fingerprint();
    for args in [&["--yes"][..], &["--yes", "--clear-stale-lock"], &["--resume", "--yes"]] {
        let run = release(&repo, &reg, args);
        if args[0] == "--resume" {
            run.fails_with("XR115"); // nothing to resume: checked before the lock
            continue;
        }
        let run = run.fails_with("XR112");
        assert!(run.stderr.contains(&format!("PID {}", holder.id())), "{}", run.stderr);
    }
    assert_eq!(before, repo.fingerprint(), "a refused release changed the repository");
    holder.kill().unwrap();
    holder.wait().unwrap();

    // another host's lock: only --clear-stale-lock takes it over
    std::fs::write(&lock, info(1, "elsewhere.invalid")).unwrap();
    let run = release(&repo, &reg, &["--yes"]).fails_with("XR112");
    assert!(run.stderr.contains("elsewhere.invalid") && run.stderr.contains("--clear-stale-lock"), "{}", run.stderr);

    // a dead process on this host: taken over without a flag, with a note
    let mut dead = Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    std::fs::write(&lock, info(dead_pid, &host)).unwrap();
    let run = release(&repo, &reg, &["--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("left by PID {dead_pid}")) && run.stderr.contains("taking it over"),
        "{}",
        run.stderr
    );
    assert!(!lock.exists());
}

#[test]
fn canary_tokens_never_leak() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    // wrappers record the real argv of every uv, cargo and git the tool runs
    let wrappers = TempDir::new("wrappers");
    let argv_log = wrappers.0.join("argv.log");
    let env = reg.env();
    let path = env.iter().find(|(k, _)| k == "PATH").unwrap().1.clone();
    for tool in ["uv", "cargo", "git"] {
        let real = Command::new("sh").arg("-c").arg(format!("PATH='{path}' command -v {tool}")).output().unwrap();
        let real = String::from_utf8_lossy(&real.stdout).trim().to_string();
        let script =
            format!("#!/bin/sh\nprintf '%s\\n' \"{tool} $*\" >> '{}'\nexec '{real}' \"$@\"\n", argv_log.display());
        let p = wrappers.0.join(tool);
        std::fs::write(&p, script).unwrap();
        Command::new("chmod").arg("+x").arg(&p).status().unwrap();
    }
    let canary_uv = "canary-uv-3f9a1c0ffee";
    let canary_cargo = "canary-cargo-77d2beef";
    let mut env: Vec<(String, String)> = env
        .into_iter()
        .map(|(k, v)| match k.as_str() {
            "PATH" => (k, format!("{}:{v}", wrappers.0.display())),
            "UV_PUBLISH_PASSWORD" => (k, canary_uv.to_string()),
            "CARGO_REGISTRIES_LOCAL_TOKEN" => (k, canary_cargo.to_string()),
            _ => (k, v),
        })
        .collect();
    env.push(("XTASK_JOURNAL_TRACE".into(), "1".into()));
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut outputs = String::new();
    for args in [vec!["release", "--dry-run", "--verbose"], vec!["release", "--yes", "--verbose"]] {
        let run = repo.xtask_env(&args, &env_ref);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        outputs.push_str(&run.stdout);
        outputs.push_str(&run.stderr);
    }
    let rollback = repo.xtask_env(&["rollback", "--verbose"], &env_ref);
    outputs.push_str(&rollback.stdout);
    outputs.push_str(&rollback.stderr);
    let argv = std::fs::read_to_string(&argv_log).unwrap();
    assert!(argv.contains("uv publish") && argv.contains("cargo package"), "{argv}");
    let files = crate::support::all_file_text(repo.path());
    for canary in [canary_uv, canary_cargo] {
        assert!(!outputs.contains(canary), "{canary} in the output");
        assert!(!argv.contains(canary), "{canary} in a child's argv");
        assert!(!files.contains(canary), "{canary} in a file under the repository (journal, state, work tree)");
    }
}

#[test]
fn rollback_deletes_tags_and_says_what_cannot_be_yanked() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    release(&repo, &reg, &["--yes"]).ok();
    let before = repo.fingerprint();
    let dry = repo.xtask_env(&["rollback", "--dry-run", "--yank"], &[]);
    assert!(dry.stdout.contains("would run: git -C"), "{}", dry.stdout);
    assert_eq!(before, repo.fingerprint(), "a dry-run rollback changed the repository");
    let env = reg.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = repo.xtask_env(&["rollback", "--yank"], &env).fails_with("XR116");
    assert!(run.stderr.contains("Python indexes have no yank API"), "{}", run.stderr);
    assert!(run.stderr.contains("the cargo registry refused the yank"), "{}", run.stderr);
    assert_eq!(repo.git(&["tag", "--list"]), "", "local tags left");
    let out = git_env(Command::new("git").arg("-C").arg(reg.remote()).args(["tag", "--list"])).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "", "remote tags left");
}

/// Forge releases against the stand-in GitHub API (`xtask/src/forge/stand_in.rs`:
/// no forge server can be installed here, so this one implements the documented
/// releases endpoints). The forge is detected from the remote's URL; git
/// rewrites that URL to the local bare repository, and GITHUB_API_URL (as
/// GitHub Actions sets it) points the API at the stand-in.
#[test]
fn forge_releases_are_made_through_the_api_resumed_and_rolled_back() {
    use crate::forge_server::{Flavor, ForgeServer};
    let reg = Registries::start();
    let repo = release_repo(&reg);
    let github = "https://github.com/o/r.git";
    repo.git(&["remote", "set-url", "origin", github]);
    repo.git(&["config", &format!("url.{}.insteadOf", reg.remote().display()), github]);
    let token = "canary-forge-token-5b8e";
    let forge = ForgeServer::start(Flavor::GitHub, token);
    // a release someone made by hand for one of the tags stays as it is
    forge.add_release("models-v1.2.0", "made by hand");
    let mut env = reg.env();
    env.push(("GITHUB_API_URL".into(), forge.api_url()));
    env.push(("GITHUB_TOKEN".into(), token.into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut outputs = String::new();

    // a dry run prints the calls and makes none
    let before = repo.fingerprint();
    let dry = repo.xtask_env(&["release", "--dry-run"], &env);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains("GitHub releases on o/r (token from GH_TOKEN or GITHUB_TOKEN: set)"), "{}", dry.stdout);
    let api = forge.api_url();
    assert!(dry.stdout.contains(&format!("would GET {api}/repos/o/r/releases/tags/core-v1.0.0")), "{}", dry.stdout);
    assert!(dry.stdout.contains(&format!("would POST {api}/repos/o/r/releases")), "{}", dry.stdout);
    assert!(
        dry.stdout.contains("changelog crates/core/CHANGELOG.md: ## [1.0.0] - 2026-01-02\n  | First release."),
        "{}",
        dry.stdout
    );
    assert_eq!(forge.requests().len(), 0, "a dry run called the forge");
    assert_eq!(before, repo.fingerprint(), "a dry run changed the repository");
    outputs.push_str(&dry.stdout);

    // the forge refuses the token once: the release stops after the push with
    // XR131, and a resume makes every release exactly once
    forge.push_fault(401, &[], r#"{"message":"Bad credentials"}"#);
    let run = repo.xtask_env(&["release", "--yes", "--verbose"], &env);
    outputs.push_str(&run.stdout);
    outputs.push_str(&run.stderr);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("error[XR131]"), "{}", run.stderr);
    let traced = format!("+ GET {api}/repos/o/r/releases/tags/");
    assert!(run.stderr.contains(&traced), "requests are traced: {}", run.stderr);
    let run = repo.xtask_env(&["release", "--resume", "--yes"], &env);
    outputs.push_str(&run.stdout);
    outputs.push_str(&run.stderr);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("the GitHub release models-v1.2.0 exists: left as it is"), "{}", run.stdout);
    let releases = forge.releases();
    let mut made: Vec<String> = releases.iter().map(|r| r.tag.clone()).collect();
    made.sort();
    let tags: Vec<String> = repo.git(&["tag", "--list"]).lines().map(str::to_string).collect();
    assert_eq!(made, tags, "one forge release per tag");
    assert_eq!(releases.len(), 6, "{releases:?}");
    let core = releases.iter().find(|r| r.tag == "core-v1.0.0").unwrap();
    assert_eq!(core.name, "core 1.0.0");
    assert_eq!(core.body, "First release.\n");
    assert!(!core.prerelease);
    let by_hand = releases.iter().find(|r| r.tag == "models-v1.2.0").unwrap();
    assert_eq!(by_hand.body, "made by hand");
    for r in forge.requests() {
        assert_eq!(r.header("authorization"), Some(format!("Bearer {token}").as_str()), "{} {}", r.method, r.path);
    }
    let last: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join(".git/xtask-release/last-release.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(last["forge_releases"].as_array().unwrap().len(), 5, "{}", last["forge_releases"]);

    // rollback deletes the five it made; the one made by hand stays
    let dry = repo.xtask_env(&["rollback", "--dry-run"], &env);
    assert!(dry.stdout.contains("would DELETE"), "{}", dry.stdout);
    assert_eq!(forge.releases().len(), 6);
    let run = repo.xtask_env(&["rollback"], &env);
    outputs.push_str(&run.stdout);
    outputs.push_str(&run.stderr);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let left: Vec<String> = forge.releases().into_iter().map(|r| r.tag).collect();
    assert_eq!(left, ["models-v1.2.0"]);
    assert!(!outputs.contains(token), "the token was printed");
    assert!(!crate::support::all_file_text(repo.path()).contains(token), "the token is in a file");
}
