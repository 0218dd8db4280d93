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
