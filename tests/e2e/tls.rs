//! HTTPS behind a TLS-intercepting proxy: the index's certificate is vouched for by a CA that is in no
//! built-in list of web roots, only in the file `SSL_CERT_FILE` names (as on a machine whose proxy CA
//! is installed in the system bundle, which curl, uv, cargo and pip trust).
//!
//! The CA and the certificate for 127.0.0.1 are made here with `openssl`; `tls_front.py` (Python's
//! `ssl` module) serves HTTPS in front of the real local pypiserver. Everything else is real: uv
//! uploads to pypiserver, and the tool and uv read the index through the TLS front.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::python_release::{py_repo, Pkg};
use crate::registries::Registries;
use crate::support::{to_run, xtask_bin, Repo, Run, TempDir};

/// A CA, a certificate for 127.0.0.1 signed by it, and the TLS front serving it.
struct TlsFront {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl TlsFront {
    fn start(reg: &Registries) -> TlsFront {
        let dir = TempDir::new("tls");
        let d = &dir.0;
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl").args(args).current_dir(d).output().expect("openssl is installed");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        let mut ca = vec!["req", "-x509", "-days", "2", "-subj", "/CN=xtask-release e2e proxy CA"];
        ca.extend(ec);
        ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
        ca.extend(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        openssl(&ca);
        let mut csr = vec!["req", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"];
        csr.extend(ec);
        openssl(&csr);
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]);
        std::fs::write(d.join("tls_front.py"), include_str!("tls_front.py")).unwrap();
        let mut child = Command::new(reg.tools.join("venv/bin/python"))
            .arg(d.join("tls_front.py"))
            .arg(d.join("server.pem"))
            .arg(d.join("server.key"))
            .arg(reg.pypi_port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| panic!("the TLS front printed {line:?}"));
        TlsFront { child, port, dir }
    }

    fn ca(&self) -> PathBuf {
        self.dir.0.join("ca.pem")
    }

    fn index_url(&self) -> String {
        format!("https://127.0.0.1:{}/simple/", self.port)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A one-package repository whose index is read over HTTPS through `front` (uploads go to pypiserver).
fn https_repo(reg: &Registries, front: &TlsFront) -> Repo {
    let pkg = Pkg::stamp("secure", "0.1.0", "", &[("src/secure/__init__.py", "")]);
    let repo = py_repo(reg, &[pkg], "", "");
    let config = std::fs::read_to_string(repo.path().join("xtask-release.toml")).unwrap();
    repo.write("xtask-release.toml", &config.replace(&reg.simple_url(), &front.index_url()));
    repo.commit("chore: read the index over HTTPS");
    repo.git(&["push", "-q", "origin", "main"]);
    repo
}

/// `release ARGS` with `SSL_CERT_FILE` set to `ca` (the machine may set it to its own bundle).
fn release_trusting(repo: &Repo, reg: &Registries, ca: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(xtask_bin());
    cmd.arg("release").args(args).arg("--root").arg(repo.path()).env_remove("XTASK_TRACE");
    for (k, v) in reg.env() {
        cmd.env(k, v);
    }
    cmd.env("SSL_CERT_FILE", ca).env_remove("SSL_CERT_DIR");
    to_run(cmd.output().unwrap())
}

/// With the proxy's CA only in `SSL_CERT_FILE`, a whole release reads the HTTPS index: preflight,
/// the check before the upload, the poll and the checksums, and uv's smoke test install.
#[test]
fn the_index_is_read_over_https_with_the_ca_from_ssl_cert_file() {
    let reg = Registries::start();
    let front = TlsFront::start(&reg);
    let repo = https_repo(&reg, &front);
    let run = release_trusting(&repo, &reg, &front.ca(), &["--yes", "--verbose"]).ok();
    assert!(run.stdout.contains("released 1 package(s)"), "{}", run.stdout);
    let https_reads = run.stderr.lines().filter(|l| l.starts_with(&format!("+ GET {}", front.index_url()))).count();
    assert!(https_reads >= 2, "the index was read over HTTPS:\n{}", run.stderr);
    assert_eq!(reg.python_files("secure").len(), 2);
}

/// Without the CA, a certificate error is final: one request per URL, no retries and no backoff,
/// a code of its own, and the message names the URL that failed (not the configured one).
#[test]
fn an_untrusted_certificate_fails_at_once_naming_the_url() {
    let reg = Registries::start();
    let front = TlsFront::start(&reg);
    let repo = https_repo(&reg, &front);
    let before = repo.fingerprint();
    let system_bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
    let start = Instant::now();
    let run = release_trusting(&repo, &reg, system_bundle, &["--yes", "--verbose"]).fails_with("XR122");
    let took = start.elapsed();
    let failed = format!("{}secure/", front.index_url());
    assert!(run.stderr.contains(&format!("{failed}: the server's certificate is not trusted")), "{}", run.stderr);
    assert!(run.stderr.contains("SSL_CERT_FILE"), "the help names SSL_CERT_FILE:\n{}", run.stderr);
    let reads = run.stderr.lines().filter(|l| *l == format!("+ GET {failed}")).count();
    assert_eq!(reads, 1, "a certificate error is not retried:\n{}", run.stderr);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_eq!(before, repo.fingerprint(), "preflight changed nothing");
}
