//! Test support: temporary git repositories with scripted histories, running
//! the built `xtask` binary, fingerprints of a whole folder, golden files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// This project's workspace folder (the tests are its `tests` member).
pub fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace")
}

/// A cargo command (the cargo running the tests) without the variables cargo
/// sets for a test process: a build script that watches one of them
/// (`CARGO_MANIFEST_DIR`, which ring's does) would otherwise rebuild on every
/// switch between a build here and one from a shell.
pub fn cargo_command() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        let set_for_tests = ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_BIN_", "CARGO_PRIMARY_PACKAGE"]
            .iter()
            .any(|p| k.starts_with(p))
            || k == "CARGO_TARGET_TMPDIR"
            || k == "OUT_DIR";
        if set_for_tests {
            cmd.env_remove(&key);
        }
    }
    cmd
}

/// The `xtask` binary, built once per test run by cargo itself. The tests are
/// their own crate, so cargo's `CARGO_BIN_EXE_xtask` (set only for a package's
/// own binaries) is not available; cargo's JSON messages name the executable,
/// wherever `CARGO_TARGET_DIR` or `build.target-dir` put it.
pub fn xtask_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let out = cargo_command()
            .args(["build", "--quiet", "--package", "xtask", "--bin", "xtask", "--message-format=json"])
            .current_dir(workspace())
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "cargo build --package xtask failed");
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "xtask")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo built the xtask binary")
    })
}

pub use bench::TempDir;

pub struct Repo {
    pub tmp: TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
    /// Asserts a coded failure: exit 1, `error[CODE]` and a `help:` line.
    #[track_caller]
    pub fn fails_with(self, code: &str) -> Run {
        assert_eq!(self.code, 1, "expected exit 1\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        assert!(self.stderr.contains(&format!("error[{code}]")), "expected error[{code}], got:\n{}", self.stderr);
        assert!(self.stderr.lines().any(|l| l.starts_with("help: ")), "no help line:\n{}", self.stderr);
        self
    }
}

pub fn to_run(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the xtask binary with `args` (no `--root` added).
pub fn xtask(args: &[&str]) -> Run {
    xtask_env(args, &[])
}

pub fn xtask_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(xtask_bin());
    // the CI this suite may run in is not the CI a test sets up: tests set these themselves
    cmd.args(args).env_remove("XTASK_TRACE");
    for var in ["CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITLAB_CI"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    to_run(cmd.output().unwrap())
}

pub fn git_env(cmd: &mut Command) -> &mut Command {
    cmd.env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
}

impl Repo {
    /// An empty repository with `main` checked out.
    pub fn new(label: &str) -> Repo {
        let repo = Repo { tmp: TempDir::new(label) };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    pub fn path(&self) -> &Path {
        &self.tmp.0
    }

    pub fn root_arg(&self) -> String {
        self.path().display().to_string()
    }

    pub fn write(&self, rel: &str, text: &str) -> &Repo {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    pub fn append(&self, rel: &str, text: &str) -> &Repo {
        let p = self.path().join(rel);
        let mut old = std::fs::read_to_string(&p).unwrap_or_default();
        old.push_str(text);
        self.write(rel, &old)
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = git_env(Command::new("git").arg("-C").arg(self.path()).args(args)).output().unwrap();
        assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Commits everything with `message` (any bytes allowed, via a file).
    pub fn commit_bytes(&self, message: &[u8]) {
        self.git(&["add", "-A"]);
        let msg = self.path().join(".git/TEST_MSG");
        std::fs::write(&msg, message).unwrap();
        self.git(&["commit", "-q", "--allow-empty", "--no-verify", "-F", msg.to_str().unwrap()]);
    }

    pub fn commit(&self, message: &str) {
        self.commit_bytes(message.as_bytes());
    }

    /// Appends a line to `file` and commits it with `message`.
    pub fn change(&self, file: &str, message: &str) {
        let comment = if file.ends_with(".rs") { "//" } else { "#" };
        self.append(file, &format!("{comment} {}\n", message.lines().next().unwrap_or("")));
        self.commit(message);
    }

    pub fn tag(&self, name: &str) {
        self.git(&["tag", "-a", name, "-m", name]);
    }

    /// Runs xtask with `--root` set to this repository.
    pub fn xtask(&self, args: &[&str]) -> Run {
        self.xtask_env(args, &[])
    }

    pub fn xtask_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let root = self.root_arg();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--root", &root]);
        xtask_env(&all, env)
    }

    pub fn plan(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["plan", "--format", "json"];
        args.extend(extra);
        self.xtask(&args).ok().json()
    }

    /// Every file under the repository (`.git` included) with its content hash:
    /// equal fingerprints mean nothing on disk changed.
    pub fn fingerprint(&self) -> BTreeMap<String, u64> {
        fingerprint_dir(self.path())
    }
}

/// The text of every file under `dir` (`.git` included), for leak checks.
pub fn all_file_text(dir: &Path) -> String {
    fn collect(dir: &Path, out: &mut String) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    let mut out = String::new();
    collect(dir, &mut out);
    out
}

/// Every file under `dir` with its content hash.
pub fn fingerprint_dir(dir: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, u64>) {
    use std::hash::{Hash, Hasher};
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            let bytes = std::fs::read(&p).unwrap_or_default();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            out.insert(rel, h.finish());
        }
    }
}

/// A plan entry by name.
pub fn entry<'a>(plan: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in plan"))
}

/// Compares `actual` with `tests/golden/NAME`; `UPDATE_GOLDEN=1` rewrites it.
#[track_caller]
pub fn golden(name: &str, actual: &str) {
    let path = workspace().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden file {}: run with UPDATE_GOLDEN=1", path.display()));
    assert!(expected == actual, "{name} differs from the golden file (UPDATE_GOLDEN=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}");
}
