//! Real local release targets, started and stopped by the tests: pypiserver (a
//! PyPI-compatible index), cargo-http-registry (a cargo registry with a git
//! index) and a bare git repository as the remote, all on 127.0.0.1.
//!
//! Shared by the end-to-end tests and the release benchmark (P2).
//!
//! The programs come from `.ci/install-test-tools.sh` (cached per machine in
//! `XTASK_TEST_TOOLS`, default `~/.cache/xtask-release-test-tools`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::TempDir;

pub fn tools() -> PathBuf {
    let dir = std::env::var_os("XTASK_TEST_TOOLS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/xtask-release-test-tools")
    });
    for needed in ["venv/bin/uv", "venv/bin/pypi-server", "cargo/bin/cargo-http-registry"] {
        assert!(
            dir.join(needed).exists(),
            "{} is missing: run `bash .ci/install-test-tools.sh` first",
            dir.join(needed).display()
        );
    }
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A plain HTTP GET; `None` when nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    let body = buf.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Some((status, body))
}

fn wait_http(port: u16, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if http_get(port, path).is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing answered on 127.0.0.1:{port}{path}");
}

pub struct Registries {
    pub dir: TempDir,
    pub pypi_port: u16,
    pub cargo_port: u16,
    pypi: Option<Child>,
    cargo: Option<Child>,
    /// The test tools (uv, pypiserver's venv with its python, the cargo registry).
    pub tools: PathBuf,
}

impl Registries {
    pub fn start() -> Registries {
        let tools = tools();
        let dir = TempDir::new("registries");
        std::fs::create_dir_all(dir.0.join("pypi")).unwrap();
        Command::new("git")
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(dir.0.join("remote.git"))
            .status()
            .unwrap();
        let mut r = Registries { dir, pypi_port: 0, cargo_port: 0, pypi: None, cargo: None, tools };
        r.start_pypi(None);
        r.start_cargo();
        r
    }

    /// Starts pypiserver, on `port` when given (a restart keeps the URL).
    pub fn start_pypi(&mut self, port: Option<u16>) {
        let port = port.unwrap_or_else(free_port);
        let child = Command::new(self.tools.join("venv/bin/pypi-server"))
            // --overwrite: pypiserver writes an upload non-atomically, so a release killed
            // mid-upload can leave a truncated file; the release repairs its own
            // interrupted uploads by uploading again, which this server must allow
            // (PyPI itself never keeps a partial upload)
            .args([
                "run",
                "-i",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-a",
                ".",
                "-P",
                ".",
                "--disable-fallback",
                "--overwrite",
            ])
            .arg(self.dir.0.join("pypi"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_http(port, "/health");
        self.pypi_port = port;
        self.pypi = Some(child);
    }

    pub fn start_cargo(&mut self) {
        let port = free_port();
        let child = Command::new(self.tools.join("cargo/bin/cargo-http-registry"))
            .args(["-a", &format!("127.0.0.1:{port}")])
            .arg(self.dir.0.join("cargo-reg"))
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_http(port, "/crates/config.json");
        self.cargo_port = port;
        self.cargo = Some(child);
    }

    pub fn pypi_pid(&self) -> Option<u32> {
        self.pypi.as_ref().map(Child::id)
    }

    pub fn stop_pypi(&mut self) {
        if let Some(mut c) = self.pypi.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A new, empty bare remote in place of the old one.
    pub fn reset_remote(&self) {
        let _ = std::fs::remove_dir_all(self.remote());
        Command::new("git").args(["init", "-q", "--bare", "-b", "main"]).arg(self.remote()).status().unwrap();
    }

    pub fn remote(&self) -> PathBuf {
        self.dir.0.join("remote.git")
    }

    pub fn pypi_dir(&self) -> PathBuf {
        self.dir.0.join("pypi")
    }

    pub fn cargo_root(&self) -> PathBuf {
        self.dir.0.join("cargo-reg")
    }

    pub fn simple_url(&self) -> String {
        format!("http://127.0.0.1:{}/simple/", self.pypi_port)
    }

    /// The configuration a repository needs to release to these registries.
    pub fn config(&self) -> String {
        format!(
            "[python]\nroot = \"py\"\npublish-url = \"http://127.0.0.1:{}/\"\nindex-url = \"{}\"\n\n[cargo]\nregistry = \"local\"\n",
            self.pypi_port,
            self.simple_url()
        )
    }

    /// The environment for xtask (and the uv/cargo it runs): tools on PATH,
    /// credentials, the cargo registry, a CARGO_HOME of this test's own.
    pub fn env(&self) -> Vec<(String, String)> {
        let path = format!("{}:{}", self.tools.join("venv/bin").display(), std::env::var("PATH").unwrap_or_default());
        vec![
            ("PATH".into(), path),
            ("UV_PUBLISH_USERNAME".into(), "e2e".into()),
            ("UV_PUBLISH_PASSWORD".into(), "e2e-password".into()),
            ("UV_CACHE_DIR".into(), self.tools.join("uv-cache").display().to_string()),
            ("UV_NO_PROGRESS".into(), "1".into()),
            ("CARGO_REGISTRIES_LOCAL_INDEX".into(), format!("file://{}", self.cargo_root().display())),
            ("CARGO_REGISTRIES_LOCAL_TOKEN".into(), "e2e-token".into()),
            ("CARGO_HOME".into(), self.dir.0.join("cargo-home").display().to_string()),
            ("XTASK_POLL_TIMEOUT".into(), "60".into()),
            // changelog dates: 2026-01-02
            ("SOURCE_DATE_EPOCH".into(), "1767312000".into()),
            ("GIT_AUTHOR_NAME".into(), "Release Bot".into()),
            ("GIT_AUTHOR_EMAIL".into(), "release@example.invalid".into()),
            ("GIT_COMMITTER_NAME".into(), "Release Bot".into()),
            ("GIT_COMMITTER_EMAIL".into(), "release@example.invalid".into()),
        ]
    }

    /// Versions of a crate in the cargo index, with their cksum.
    pub fn crate_versions(&self, name: &str) -> Vec<(String, String)> {
        let rel = if name.len() <= 2 {
            format!("{}/{name}", name.len())
        } else if name.len() == 3 {
            format!("3/{}/{name}", &name[..1])
        } else {
            format!("{}/{}/{name}", &name[..2], &name[2..4])
        };
        let text = std::fs::read_to_string(self.cargo_root().join(rel)).unwrap_or_default();
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (v["vers"].as_str().unwrap().to_string(), v["cksum"].as_str().unwrap().to_string())
            })
            .collect()
    }

    /// Files of a Python project on the index, with their sha256.
    pub fn python_files(&self, name: &str) -> Vec<(String, String)> {
        let Some((200, html)) = http_get(self.pypi_port, &format!("/simple/{name}/")) else {
            return vec![];
        };
        html.split("href=\"")
            .skip(1)
            .filter_map(|rest| {
                let href = rest.split('"').next()?;
                let (path, hash) = href.split_once("#sha256=")?;
                Some((path.rsplit('/').next()?.to_string(), hash.to_string()))
            })
            .collect()
    }
}

impl Drop for Registries {
    fn drop(&mut self) {
        self.stop_pypi();
        if let Some(mut c) = self.cargo.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
