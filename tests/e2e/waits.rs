//! What a package waits for, and what must already be public: a crate that
//! reaches a released crate only through a skipped one waits for it (else its
//! packaged Cargo.lock, and so its checksum, would depend on timing), and a
//! dependency that is neither released now nor on its registry stops the
//! release in preflight, before anything is written.

use crate::fixtures::crate_manifest;
use crate::registries::{sha256_file, Registries};
use crate::release::{release, release_repo, tool};

#[test]
fn a_crate_waits_for_a_released_crate_it_reaches_through_a_skipped_one() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    // without changelogs, initial releases of the versions already written
    // change no file: HEAD itself is tagged as the release commit
    repo.append("xtask-release.toml", "\n[changelog]\nenabled = false\n");
    repo.commit("chore: no changelogs");
    repo.git(&["push", "-q", "origin", "main"]);
    let before = repo.git(&["rev-parse", "HEAD"]);
    let run = release(&repo, &reg, &["--yes"]).ok();
    assert!(
        run.stdout.contains("no file changed (initial releases of the current versions): tagging HEAD"),
        "{}",
        run.stdout
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before);
    assert_eq!(repo.git(&["rev-parse", "core-v1.0.0^{commit}"]), before);
    // `tool` depends on `net` (unchanged: skipped), which depends on `core` (released now)
    repo.write(
        "crates/tool/Cargo.toml",
        &crate_manifest("tool", "0.1.0", "net = { version = \"0.3\", path = \"../net\", registry = \"local\" }\n"),
    );
    repo.write("crates/tool/src/lib.rs", "pub fn tool() {}\n");
    tool(&repo, &reg, "cargo", &["update", "--workspace", "--quiet"], ".");
    repo.commit("feat(tool): a new crate");
    repo.change("crates/core/src/lib.rs", "feat(core): more");
    repo.git(&["push", "-q", "origin", "main"]);
    let plan = repo.xtask_env(&["plan", "--format", "json"], &[]).ok().json();
    let status = |n: &str| crate::support::entry(&plan, n)["status"].as_str().unwrap().to_string();
    assert_eq!((status("core"), status("net"), status("tool")), ("release".into(), "skip".into(), "release".into()));

    let env = reg.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("XTASK_JOURNAL_TRACE", "1"));
    let run = repo.xtask_env(&["release", "--yes", "--jobs", "4"], &env).ok();
    let at = |label: &str| {
        run.stderr
            .lines()
            .position(|l| l.ends_with(&format!(": {label}")))
            .unwrap_or_else(|| panic!("{label}: {}", run.stderr))
    };
    assert!(at("core done") < at("tool build Started"), "tool started before core was public:\n{}", run.stderr);

    // the .crate on the registry is the one that was verified, and its lockfile
    // already resolves core to the version released with it
    let versions = reg.crate_versions("tool");
    assert_eq!(versions.len(), 1, "{versions:?}");
    let file = reg.cargo_root().join("tool-0.1.0.crate");
    assert_eq!(versions[0].1, sha256_file(&file));
    let out = std::process::Command::new("tar").arg("-xzOf").arg(&file).arg("tool-0.1.0/Cargo.lock").output().unwrap();
    let lock = String::from_utf8_lossy(&out.stdout);
    assert!(lock.contains("name = \"core\"\nversion = \"1.1.0\""), "{lock}");
}

#[test]
fn a_dependency_missing_from_its_registry_stops_preflight() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    // core was tagged but never published: it is skipped, and net needs it
    repo.tag("core-v1.0.0");
    repo.tag("models-v1.2.0");
    let before = (repo.fingerprint(), crate::support::fingerprint_dir(&reg.dir.0));
    let run = release(&repo, &reg, &["--yes"]).fails_with("XR121");
    assert!(run.stderr.contains("2 internal dependencies are not on the registry"), "{}", run.stderr);
    assert!(run.stderr.contains("net needs core `1.0`"), "{}", run.stderr);
    assert!(run.stderr.contains("client needs models `>=1.2,<2`"), "{}", run.stderr);
    assert!(run.stderr.contains("(it has: none)"), "{}", run.stderr);
    let after = (repo.fingerprint(), crate::support::fingerprint_dir(&reg.dir.0));
    assert!(before == after, "a refused release changed the repository or a registry");
    // a dry run lists it too, and says a real run would stop
    let run = release(&repo, &reg, &["--dry-run"]).fails_with("XR121");
    assert!(run.stdout.contains("a real run would have stopped"), "{}", run.stdout);
}

/// Pacing: with a registry allowing one new crate at once, then one every 6 s (`[cargo.rate-limit]`, as an
/// account's limits would be set), each upload beyond the first waits for its token, says what it waits
/// for, and the release finishes with every crate published. A dry run never waits for a token.
#[test]
fn uploads_wait_for_the_registrys_rate_limit_and_say_so() {
    let reg = Registries::start();
    let repo = release_repo(&reg);
    repo.append("xtask-release.toml", "\n[cargo.rate-limit]\nnew = { burst = 1, every-seconds = 6 }\n");
    repo.commit("chore: the registry's limits");
    repo.git(&["push", "-q", "origin", "main"]);
    let dry = release(&repo, &reg, &["--dry-run"]).ok();
    assert!(!dry.stderr.contains("rate limit"), "{}", dry.stderr);
    let run = release(&repo, &reg, &["--yes"]).ok();
    // core takes the burst; net and app (each after the one it depends on) wait, unless their own
    // work took 6 s: at least one waits on any machine
    let waits = run
        .stderr
        .lines()
        .filter(|l| l.contains("waiting (rate limit: 1 new crates at once, then 1 every 6 s"))
        .count();
    assert!((1..=2).contains(&waits), "{waits} waits:\n{}", run.stderr);
    for krate in ["core", "net", "app"] {
        assert_eq!(reg.crate_versions(krate).len(), 1, "{krate}");
    }
}
