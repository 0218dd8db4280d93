//! Releases interrupted for real (issue 18): what a stopped release says is
//! public, whose uploads a resume finds, the lockfile of a maturin crate outside
//! the Cargo root, the tool's own temporary files, and children that must not
//! outlive a killed release.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::crash::assert_release_complete;
use crate::registries::Registries;
use crate::release::{release, release_repo};
use crate::support::{Repo, Run};

/// A release with `XTASK_FAILPOINT=point`: it must stop there, after the
/// journal transition `label`.
fn release_until(repo: &Repo, reg: &Registries, args: &[&str], point: &str, label: &str) -> Run {
    let mut env: Vec<(String, String)> = reg.env();
    env.push(("XTASK_FAILPOINT".into(), point.into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut all = vec!["release"];
    all.extend(args);
    let run = repo.xtask_env(&all, &env);
    assert_ne!(run.code, 0, "failpoint {point} did not stop the release\n{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!("aborting after `{label}`")),
        "failpoint {point} is not `{label}`:\n{}",
        run.stderr
    );
    run
}

/// Is `pid` a running process (not a zombie)?
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next()) != Some('Z'),
        Err(_) => false,
    }
}

/// Does any running process (not a zombie) belong to process group `pgid`?
pub fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else { return false };
    entries.flatten().any(|e| {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { return false };
        // after the command name: state, ppid, pgrp
        let Some((_, rest)) = stat.rsplit_once(')') else { return false };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()
    })
}

/// Waits up to `limit` for `pid` to be gone.
pub fn gone_within(pid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    !alive(pid)
}

/// A package whose smoke test fails after it is published (its import raises)
/// stops the release: the message names every package on the index, that one
/// included, not only those that finished.
#[test]
fn published_so_far_names_every_package_on_the_index() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    repo.append("py/packages/models/src/models/__init__.py", "raise ImportError('broken on import')\n");
    repo.commit("fix(models): break the import");
    repo.git(&["push", "-q", "origin", "main"]);
    let run = release(&repo, &reg, &["--yes", "--jobs", "1"]).fails_with("XR107");
    assert_eq!(reg.python_files("models").len(), 2, "models is on the index");
    assert_eq!(reg.crate_versions("core").len(), 1, "core is on the index");
    let line = run.stderr.lines().find(|l| l.contains("published so far")).unwrap_or_else(|| panic!("{}", run.stderr));
    assert_eq!(line, "release stopped at models; published so far: core, models", "{}", run.stderr);
}

/// A crash right after our upload is journaled: the resume finds the files on
/// the registry, and they are ours ("published"), not someone else's.
#[test]
fn a_resume_reports_our_own_uploads_as_ours() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    // jobs 1: core (a crate) is the first package, models the second
    release_until(&repo, &reg, &["--yes", "--jobs", "1"], "11", "core publish Done");
    let run = release(&repo, &reg, &["--resume", "--yes", "--jobs", "1"]).ok();
    assert!(run.stdout.contains("  core 1.0.0 (cargo): published and verified"), "{}", run.stdout);
    assert!(!run.stdout.contains("already published"), "{}", run.stdout);
    assert_release_complete(&repo, &reg, "after a crash after core's upload");

    crate::crash::change_everything(&repo, 1);
    release_until(&repo, &reg, &["--yes", "--jobs", "1"], "20", "models publish Done");
    let run = release(&repo, &reg, &["--resume", "--yes", "--jobs", "1"]).ok();
    assert!(run.stdout.contains("  models 1.2.1 (python): published and verified"), "{}", run.stdout);
    assert!(!run.stdout.contains("already published"), "{}", run.stdout);
    assert_release_complete(&repo, &reg, "after a crash after models' upload");
    let last: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join(".git/xtask-release/last-release.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(last["packages"]["models"]["outcome"], "published and verified", "{last}");
}

/// pydantic's shape: a uv workspace whose maturin package is built from a
/// crate with its own Cargo.lock, outside any configured Cargo root. The
/// release commit moves that lockfile with the crate's version.
#[test]
fn a_maturin_crate_outside_the_cargo_root_moves_its_lockfile() {
    let reg = Registries::start();
    let repo = Repo::new("maturin-lock");
    repo.write("pyproject.toml", "[tool.uv.workspace]\nmembers = [\"pydantic-core\"]\n")
        .write(
            "pydantic-core/Cargo.toml",
            "[package]\nname = \"pydantic-core\"\nversion = \"2.48.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n\n[lib]\npath = \"src/lib.rs\"\n",
        )
        .write("pydantic-core/src/lib.rs", "")
        .write(
            "pydantic-core/pyproject.toml",
            "[project]\nname = \"pydantic_core\"\ndynamic = [\"version\"]\ndescription = \"d\"\nlicense = \"MIT\"\n\n[build-system]\nrequires = [\"maturin>=1,<2\"]\nbuild-backend = \"maturin\"\n",
        )
        .write(".gitignore", "target/\n");
    let config = reg.config().replace("root = \"py\"", "root = \".\"");
    repo.write("xtask-release.toml", &config);
    crate::release::tool(&repo, &reg, "cargo", &["generate-lockfile", "--quiet"], "pydantic-core");
    repo.commit("chore: import");
    repo.tag("pydantic_core-v2.48.0");
    repo.change("pydantic-core/src/lib.rs", "feat!: the next major");
    let remote = reg.remote().display().to_string();
    repo.git(&["remote", "add", "origin", &remote]);
    repo.git(&["push", "-q", "origin", "main"]);
    let plan = repo.plan(&[]);
    let files: Vec<&str> = plan["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(files.contains(&"pydantic-core/Cargo.lock"), "the plan lists the crate's lockfile: {files:?}");
    // stop after the release commit: no maturin here to build the wheel
    release_until(&repo, &reg, &["--yes", "--no-push"], "5", "commit done");
    let manifest = repo.git(&["show", "HEAD:pydantic-core/Cargo.toml"]);
    assert!(manifest.contains("version = \"3.0.0\""), "{manifest}");
    let lock = repo.git(&["show", "HEAD:pydantic-core/Cargo.lock"]);
    assert!(lock.contains("name = \"pydantic-core\"\nversion = \"3.0.0\""), "{lock}");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    let out = Command::new("cargo")
        .args(["metadata", "--locked", "--offline", "--format-version", "1", "--no-deps", "--manifest-path"])
        .arg(repo.path().join("pydantic-core/Cargo.toml"))
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo metadata --locked: {}", String::from_utf8_lossy(&out.stderr));
}

/// A SIGKILL inside an atomic write leaves `NAME.xtask-tmp-PID` beside the
/// file. Simulated here (the failpoint stops after "write Started", and the
/// test leaves the file a kill half-way through the write would leave; the
/// write-step sweep in `crash.rs` kills inside the writes for real): the
/// resume removes it, and the tree is clean.
#[test]
fn a_resume_removes_the_tools_own_temporary_files() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    release(&repo, &reg, &["--yes"]).ok();
    crate::crash::change_everything(&repo, 1);
    release_until(&repo, &reg, &["--yes"], "2", "write Started");
    let stray = repo.path().join("py/packages/models/pyproject.xtask-tmp-4242");
    std::fs::write(&stray, "[project]\nname = \"mod").unwrap();
    let run = release(&repo, &reg, &["--resume", "--yes"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!stray.exists(), "the temporary file is left");
    assert_release_complete(&repo, &reg, "after a kill in the write step");
    // and the next release is not refused for a dirty tree
    crate::crash::change_everything(&repo, 2);
    release(&repo, &reg, &["--yes"]).ok();
}

/// A wrapper for uv whose first `uv lock` (not preflight's `uv lock --check`) hangs in a child of its own (as a
/// resolver waiting on the network would): it records its PID and its child's.
fn slow_uv_lock(dir: &Path, real_uv: &Path) {
    let script = format!(
        "#!/bin/sh\n\
         if [ \"$1\" = lock ] && [ \"$2\" != --check ] && [ ! -e '{dir}/slowed' ]; then\n\
           touch '{dir}/slowed'\n\
           sleep 300 &\n\
           echo $! > '{dir}/grandchild.pid'\n\
           echo $$ > '{dir}/child.pid'\n\
           wait\n\
         fi\n\
         exec '{uv}' \"$@\"\n",
        dir = dir.display(),
        uv = real_uv.display()
    );
    let path = dir.join("uv");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn read_pid(path: &Path, limit: Duration) -> u32 {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(pid) = std::fs::read_to_string(path).ok().and_then(|t| t.trim().parse().ok()) {
            return pid;
        }
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGKILL of the xtask alone (not its process group) while `uv lock` runs:
/// the child dies with it, the resume stops what is left of the child's
/// process group before it touches a file, and the tree ends clean.
#[test]
fn a_killed_release_leaves_no_child_running() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    repo.change("py/packages/models/src/models/__init__.py", "fix(models): a fix");
    repo.git(&["push", "-q", "origin", "main"]);
    let wrappers = crate::support::TempDir::new("slow-uv");
    slow_uv_lock(&wrappers.0, &reg.tools.join("venv/bin/uv"));
    let mut env = reg.env();
    for (k, v) in env.iter_mut() {
        if k == "PATH" {
            *v = format!("{}:{v}", wrappers.0.display());
        }
    }
    let mut cmd = Command::new(crate::support::xtask_bin());
    cmd.args(["release", "--yes", "--root"]).arg(repo.path());
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let mut xtask = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let child = read_pid(&wrappers.0.join("child.pid"), Duration::from_secs(120));
    let grandchild = read_pid(&wrappers.0.join("grandchild.pid"), Duration::from_secs(5));
    Command::new("kill").args(["-s", "KILL", &xtask.id().to_string()]).status().unwrap();
    let _ = xtask.wait();
    let child_gone = gone_within(child, Duration::from_secs(5));
    if !child_gone {
        Command::new("kill").args(["-s", "KILL", &child.to_string(), &grandchild.to_string()]).status().unwrap();
    }
    assert!(child_gone, "`uv lock` (PID {child}) outlived the killed release");

    let resumed = {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        repo.xtask_env(&["release", "--resume", "--yes"], &env)
    };
    let grandchild_gone = !alive(grandchild);
    if !grandchild_gone {
        Command::new("kill").args(["-s", "KILL", &grandchild.to_string()]).status().unwrap();
    }
    assert_eq!(resumed.code, 0, "{}\n{}", resumed.stdout, resumed.stderr);
    assert!(grandchild_gone, "the child's own child (PID {grandchild}) outlived the resume");
    assert_release_complete(&repo, &reg, "after a kill during uv lock");
}

/// Crates and sdists are read in-process: a release needs no `tar` program
/// (here one that fails stands first on PATH).
#[test]
fn a_release_needs_no_tar_program() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    let wrappers = crate::support::TempDir::new("no-tar");
    let tar = wrappers.0.join("tar");
    std::fs::write(&tar, "#!/bin/sh\necho 'tar: not on this machine' >&2\nexit 127\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tar, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut env = reg.env();
    for (k, v) in env.iter_mut() {
        if k == "PATH" {
            *v = format!("{}:{v}", wrappers.0.display());
        }
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = repo.xtask_env(&["release", "--yes"], &env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_release_complete(&repo, &reg, "without tar");
}
