//! Registry rate limits outside the release's scheduler: `rollback --yank` takes a token from the
//! registry's yank bucket before each `cargo yank`, and a yank the registry refuses (429) is waited out.
//!
//! The registry for the yanks is a stand-in for crates.io's rate limiter (`bench/src/limiter.rs`) in
//! front of the local cargo registry: no local registry limits anything, and cargo-http-registry has
//! no yank endpoint, so the stand-in answers `DELETE /api/v1/crates/NAME/VERSION/yank` as crates.io
//! does — `{"ok":true}`, or beyond its bucket 429 with `Retry-After` and "You have yanked or unyanked
//! too many versions in a short period of time. Please try again after <HTTP-date> …" in
//! `{"errors":[{"detail"}]}`. The release itself goes to the real local registries.

use xtask::rate::Limit;

use crate::registries::Registries;
use crate::release::{release, release_repo};
use crate::support::{Repo, Run};

/// Releases the release repository (three crates), then rolls it back with `--yank` through the
/// stand-in, whose yank bucket is 1 at once, then 1 every 2 s. Returns the rollback and the stand-in.
fn rollback_through_the_limiter(config: &str) -> (Run, bench::limiter::Limiter, Repo) {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    release(&repo, &reg, &["--yes"]).ok();
    repo.append("xtask-release.toml", config);
    let unlimited = Limit::new(1000, 1);
    let limiter =
        bench::limiter::start_with_yanks(reg.cargo_port, &reg.cargo_root(), [unlimited, unlimited, Limit::new(1, 2)]);
    let mut env = reg.env();
    for (k, v) in &mut env {
        if k == "CARGO_REGISTRIES_LOCAL_INDEX" {
            *v = limiter.sparse_index.clone();
        }
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Python uploads cannot be yanked: that part is left for the person (XR116)
    let run = repo.xtask_env(&["rollback", "--yank"], &env).fails_with("XR116");
    (run, limiter, repo)
}

fn yanked(limiter: &bench::limiter::Limiter) -> Vec<String> {
    let mut y = limiter.yanked.lock().unwrap().clone();
    y.sort();
    y
}

/// With the yank limit configured (a little slower than the registry's), rollback waits for a token
/// before each yank beyond the first: no yank is refused, each crate is yanked once.
#[test]
fn rollback_yanks_at_the_registrys_yank_rate() {
    let (run, limiter, _repo) =
        rollback_through_the_limiter("\n[cargo.rate-limit]\nyank = { burst = 1, every-seconds = 3 }\n");
    assert_eq!(yanked(&limiter), ["app 0.1.0", "core 1.0.0", "net 0.3.0"], "{}{}", run.stdout, run.stderr);
    assert_eq!(limiter.yanks_refused.load(std::sync::atomic::Ordering::SeqCst), 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("waiting: rate limit: 1 yanks at once, then 1 every 3 s; next yank in"),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("refused the yank"), "{}", run.stderr);
}

/// Without a yank limit configured (an alternative registry has none built in), the yanks go at once;
/// the ones the registry refuses (429) are waited out until the time it names and then done: every
/// crate is yanked, none is left for the person.
#[test]
fn a_refused_yank_is_waited_out() {
    let (run, limiter, _repo) = rollback_through_the_limiter("");
    assert_eq!(yanked(&limiter), ["app 0.1.0", "core 1.0.0", "net 0.3.0"], "{}{}", run.stdout, run.stderr);
    assert!(limiter.yanks_refused.load(std::sync::atomic::Ordering::SeqCst) > 0, "{}", run.stdout);
    assert!(run.stdout.contains("refused by the registry's rate limit (429); trying again in"), "{}", run.stdout);
    assert!(!run.stderr.contains("refused the yank"), "{}", run.stderr);
}

/// A new project PyPI refuses (429 "Too many new projects created", no retry time: uv prints it and
/// exits non-zero, it does not retry) is waited out for the configured period and uploaded again; it
/// is no failure of the package. The index is the real pypiserver behind the stand-in for PyPI's
/// new-project limit (`pypi_limiter.rs`: 1 new project at once, then 1 every 4 s); pacing is off so
/// that the three independent projects, built at once, upload at once.
#[test]
fn a_new_project_pypi_refuses_is_waited_out() {
    use crate::python_release::{py_repo, Pkg};
    let reg = Registries::start();
    let packages: Vec<Pkg> = ["alpha", "beta", "gamma"]
        .iter()
        .map(|n| Pkg::stamp(n, "0.1.0", &format!("packages = [\"{n}\"]"), &[(&format!("{n}/__init__.py"), "")]))
        .collect();
    let config = "\n[release]\npacing = false\n\n[python.rate-limit]\nnew = { burst = 1, every-seconds = 4 }\n";
    let repo = py_repo(&reg, &packages, "", config);
    let limiter = crate::pypi_limiter::start(reg.pypi_port, Limit::new(1, 4));
    let text = std::fs::read_to_string(repo.path().join("xtask-release.toml")).unwrap();
    repo.write(
        "xtask-release.toml",
        &text.replace(&format!("http://127.0.0.1:{}/\"", reg.pypi_port), &format!("{}\"", limiter.url)),
    );
    repo.commit("chore: upload through the stand-in");
    repo.git(&["push", "-q", "origin", "main"]);
    let run = release(&repo, &reg, &["--yes", "--jobs", "3"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(limiter.refused.load(std::sync::atomic::Ordering::SeqCst) > 0, "no upload was refused: {}", run.stdout);
    assert!(run.stderr.contains("refused by the registry's rate limit (429); trying again in"), "{}", run.stderr);
    for n in ["alpha", "beta", "gamma"] {
        assert!(reg.pypi_dir().join(format!("{n}-0.1.0.tar.gz")).exists(), "{n} not on the index");
    }
}
