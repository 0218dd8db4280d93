//! Trusted publishing (OIDC) end to end. Stand-ins: the OIDC issuer (GitHub
//! Actions' token service), crates.io's token endpoint and PyPI's
//! audience/mint/burn endpoints (`xtask/src/trusted/stand_in/`): no OIDC
//! provider, crates.io or PyPI exists on this machine. Real: git and its bare
//! remote, cargo with cargo-http-registry behind the crates.io stand-in (which
//! serves its index as a sparse index, as crates.io does), uv with pypiserver
//! behind the PyPI stand-in.

use std::process::Command;
use std::time::Duration;

use crate::fixtures::crate_manifest;
use crate::registries::Registries;
use crate::support::{Repo, Run, TempDir};
use crate::trusted_server::{TrustedServer, Upstreams};

/// A token's lifetime, scaled: crates.io's 30 minutes become this many seconds.
const LIFETIME: u64 = 3;

/// How long each `cargo package` takes (the wrapper sleeps): a release of three
/// crates outlives one token, so that it must be renewed.
const PACKAGE_SECONDS: u64 = 2;

/// Three crates in a chain (app → net → core) to release to the `local` registry.
fn crates_repo(reg: &Registries, server: &TrustedServer, name: &str) -> Repo {
    let repo = Repo::new(name);
    let dep = |n: &str| format!("{n} = {{ version = \"0.1\", path = \"../{n}\", registry = \"local\" }}\n");
    repo.write("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"crates/*\"]\n");
    for (krate, deps) in [("core", String::new()), ("net", dep("core")), ("app", dep("net"))] {
        let manifest = crate_manifest(krate, "0.1.0", &deps).replace("license", "publish = [\"local\"]\nlicense");
        repo.write(&format!("crates/{krate}/Cargo.toml"), &manifest);
        repo.write(&format!("crates/{krate}/src/lib.rs"), &format!("pub fn {krate}() {{}}\n"));
    }
    repo.write(
        "xtask-release.toml",
        &format!(
            "[cargo]\nregistry = \"local\"\ntrusted-publishing-url = \"{}\"\n\n[release]\nsmoke-test = false\n",
            server.url
        ),
    );
    repo.write(".gitignore", "target/\n");
    crate::release::tool(&repo, reg, "cargo", &["generate-lockfile", "--quiet"], ".");
    repo.commit("chore: initial import");
    repo.git(&["remote", "add", "origin", &reg.remote().display().to_string()]);
    repo.git(&["push", "-q", "origin", "main"]);
    repo
}

/// The environment of a GitHub Actions job with `id-token: write` and no
/// cargo token: cargo reads the index through the crates.io stand-in.
fn ci_env(reg: &Registries, server: &TrustedServer) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = reg
        .env()
        .into_iter()
        .filter(|(k, _)| k != "CARGO_REGISTRIES_LOCAL_TOKEN")
        .map(|(k, v)| if k == "CARGO_REGISTRIES_LOCAL_INDEX" { (k, server.sparse_index()) } else { (k, v) })
        .collect();
    env.extend(server.github_env());
    env.push(("XTASK_TOKEN_LIFETIME".into(), LIFETIME.to_string()));
    env
}

fn run(repo: &Repo, env: &[(String, String)], args: &[&str]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    repo.xtask_env(args, &env)
}

/// Wrappers on PATH that record the argv of every uv, cargo and git the tool
/// runs; `cargo package` takes `PACKAGE_SECONDS` longer.
fn argv_wrappers(env: &mut [(String, String)]) -> (TempDir, std::path::PathBuf) {
    let wrappers = TempDir::new("wrappers");
    let log = wrappers.0.join("argv.log");
    let path = env.iter().find(|(k, _)| k == "PATH").unwrap().1.clone();
    for tool in ["uv", "cargo", "git"] {
        let real = Command::new("sh").arg("-c").arg(format!("PATH='{path}' command -v {tool}")).output().unwrap();
        let real = String::from_utf8_lossy(&real.stdout).trim().to_string();
        let slow = format!("[ \"$1\" = package ] && sleep {PACKAGE_SECONDS}\n");
        let script =
            format!("#!/bin/sh\nprintf '%s\\n' \"{tool} $*\" >> '{}'\n{slow}exec '{real}' \"$@\"\n", log.display());
        let p = wrappers.0.join(tool);
        std::fs::write(&p, script).unwrap();
        Command::new("chmod").arg("+x").arg(&p).status().unwrap();
    }
    for (k, v) in env.iter_mut() {
        if k == "PATH" {
            *v = format!("{}:{v}", wrappers.0.display());
        }
    }
    (wrappers, log)
}

/// Each minted token appears nowhere but in its own `::add-mask::` line.
fn assert_no_leak(tokens: &[String], output: &str, argv: &str, files: &str) {
    for token in tokens {
        let masks = output.lines().filter(|l| *l == format!("::add-mask::{token}")).count();
        assert_eq!(masks, 1, "{token} is not masked once:\n{output}");
        let elsewhere = output.lines().filter(|l| l.contains(token.as_str()) && !l.starts_with("::add-mask::")).count();
        assert_eq!(elsewhere, 0, "{token} in the output:\n{output}");
        assert!(!argv.contains(token.as_str()), "{token} in a child's argv:\n{argv}");
        assert!(!files.contains(token.as_str()), "{token} in a file under the repository (journal, state, tree)");
    }
}

/// A release of three crates under trusted publishing in GitHub Actions: the
/// xtask exchanges a fresh OIDC token (stand-in issuer) for a crates.io token
/// (stand-in endpoint in front of the real cargo registry), renews it before
/// its (scaled) expiry with a fresh JWT, hands it to `cargo publish` in its
/// environment only, masks it, and revokes every token it minted.
#[test]
fn cargo_trusted_publishing_mints_renews_masks_and_revokes() {
    let mut reg = Registries::start();
    let cargo = (reg.cargo_port, reg.cargo_root());
    let server = TrustedServer::start(Upstreams { cargo: Some(cargo), pypi: None }, Duration::from_secs(LIFETIME));
    let repo = crates_repo(&reg, &server, "trusted-cargo");
    // the first release of a crate is made with a token (crates.io's rule)
    crate::release::release(&repo, &reg, &["--yes"]).ok();
    for krate in ["core", "net", "app"] {
        repo.change(&format!("crates/{krate}/src/lib.rs"), &format!("fix({krate}): a fix"));
    }
    repo.git(&["push", "-q", "origin", "main"]);
    let mut env = ci_env(&reg, &server);

    // a dry run says which credential it would use and mints nothing
    let dry = run(&repo, &env, &["release", "--dry-run"]).ok();
    assert!(dry.stdout.contains("trusted publishing"), "{}", dry.stdout);
    assert!(server.minted().is_empty(), "a dry run minted a token");

    let (_wrappers, log) = argv_wrappers(&mut env);
    let done = run(&repo, &env, &["release", "--yes", "--verbose"]).ok();
    let output = format!("{}{}", done.stdout, done.stderr);
    assert!(
        output.contains("cargo registry `local`: trusted publishing (GitHub Actions OIDC"),
        "no credential line:\n{output}"
    );
    assert_eq!(server.published().len(), 3, "published: {:?}", server.published());
    assert!(server.refused().is_empty(), "refused: {:?}", server.refused());
    assert!(server.exchange_errors().is_empty(), "a JWT was replayed: {:?}", server.exchange_errors());
    let minted = server.minted();
    assert!(minted.len() >= 2, "the token was never renewed ({} minted):\n{output}", minted.len());
    assert!(minted.iter().all(|m| m.revoked), "not every minted token was revoked: {minted:?}");
    for krate in ["core", "net", "app"] {
        assert!(reg.crate_versions(krate).iter().any(|(v, _)| v == "0.1.1"), "{krate} 0.1.1 not published");
    }
    let tokens: Vec<String> = minted.iter().map(|m| m.token.clone()).collect();
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(argv.contains("cargo package") && !argv.contains("cargo publish"), "{argv}");
    assert_no_leak(&tokens, &output, &argv, &crate::support::all_file_text(repo.path()));
    reg.stop_pypi();
}

/// A crate that is not on the registry yet cannot be published under
/// trusted publishing (crates.io refuses: "Trusted Publishing tokens do not
/// support creating new crates"): preflight says so and what to do, before
/// anything is written or minted. Stand-ins: the OIDC issuer and crates.io's
/// token endpoint; the cargo registry is real.
#[test]
fn cargo_trusted_publishing_refuses_a_first_release_in_preflight() {
    let reg = Registries::start();
    let cargo = (reg.cargo_port, reg.cargo_root());
    let server = TrustedServer::start(Upstreams { cargo: Some(cargo), pypi: None }, Duration::from_secs(LIFETIME));
    let repo = crates_repo(&reg, &server, "trusted-new");
    let env = ci_env(&reg, &server);
    let before = repo.fingerprint();
    let failed = run(&repo, &env, &["release", "--yes"]).fails_with("XR151");
    assert!(failed.stderr.contains("core is not on the cargo registry yet"), "{}", failed.stderr);
    assert!(failed.stderr.contains("publish its first version with a token"), "{}", failed.stderr);
    assert_eq!(repo.fingerprint(), before, "a failed preflight changed the repository");
    assert!(server.minted().is_empty());
}

/// `trusted-publishing = "always"` outside CI (no OIDC token to be had) is an
/// error that names the workflow permission. No stand-in is contacted.
#[test]
fn trusted_publishing_always_without_oidc_says_what_is_missing() {
    let reg = Registries::start();
    let server = TrustedServer::start(Upstreams::default(), Duration::from_secs(LIFETIME));
    let repo = crates_repo(&reg, &server, "trusted-always");
    repo.append("xtask-release.toml", "trusted-publishing = \"always\"\n");
    repo.commit("chore: always trusted publishing");
    let env = reg.env();
    let failed = run(&repo, &env, &["release", "--dry-run"]).fails_with("XR150");
    assert!(failed.stderr.contains("permissions: id-token: write"), "{}", failed.stderr);
}

/// One Python package released under trusted publishing in GitHub Actions:
/// the audience from the index (`/_/oidc/audience`), a token minted for a
/// fresh JWT (`/_/oidc/mint-token`), handed to `uv publish` in
/// UV_PUBLISH_TOKEN (uv sends it as the password of `__token__`), masked,
/// and burnt (`/_/oidc/burn-token`) at the end. Stand-ins: the OIDC issuer
/// and PyPI's exchange endpoints, in front of the real pypiserver, to which
/// the upload is forwarded.
#[test]
fn python_trusted_publishing_mints_hands_to_uv_and_burns() {
    let reg = Registries::start();
    let pypi = Upstreams { cargo: None, pypi: Some(reg.pypi_port) };
    let server = TrustedServer::start(pypi, Duration::from_secs(60));
    let repo = Repo::new("trusted-python");
    repo.write("py/pyproject.toml", "[tool.uv.workspace]\nmembers = [\"packages/*\"]\n");
    repo.write("py/packages/models/pyproject.toml", &crate::fixtures::py_manifest("models", "1.2.0", &[], &[]));
    repo.write("py/packages/models/src/models/__init__.py", "");
    let config = format!(
        "[python]\nroot = \"py\"\npublish-url = \"{}/legacy/\"\nindex-url = \"{}\"\n",
        server.url,
        reg.simple_url()
    );
    repo.write("xtask-release.toml", &config);
    repo.write(".gitignore", ".venv/\n");
    crate::release::tool(&repo, &reg, "uv", &["lock", "--quiet"], "py");
    repo.commit("feat: models");
    repo.git(&["remote", "add", "origin", &reg.remote().display().to_string()]);
    repo.git(&["push", "-q", "origin", "main"]);
    let mut env: Vec<(String, String)> = reg.env().into_iter().filter(|(k, _)| !k.starts_with("UV_PUBLISH_")).collect();
    env.extend(server.github_env());
    let (_wrappers, log) = argv_wrappers(&mut env);
    let done = run(&repo, &env, &["release", "--yes", "--verbose"]).ok();
    let output = format!("{}{}", done.stdout, done.stderr);
    assert!(
        output.contains("`: trusted publishing (GitHub Actions OIDC")
            || output.contains(": trusted publishing (GitHub Actions OIDC"),
        "{output}"
    );
    assert!(server.refused().is_empty(), "refused: {:?}", server.refused());
    assert!(!server.published().is_empty(), "nothing was uploaded through the stand-in");
    assert_eq!(reg.python_files("models").len(), 2, "{:?}", reg.python_files("models"));
    let minted = server.minted();
    assert_eq!(minted.len(), 1, "{minted:?}");
    assert!(minted.iter().all(|m| m.revoked), "not burnt: {minted:?}");
    let tokens: Vec<String> = minted.iter().map(|m| m.token.clone()).collect();
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(argv.contains("uv publish"), "{argv}");
    assert_no_leak(&tokens, &output, &argv, &crate::support::all_file_text(repo.path()));
}

/// Ctrl-C in the middle of a trusted-publishing release revokes the token
/// minted so far before the xtask dies of the signal, and `--resume` mints
/// anew (a kill -9 leaves the token to expire: the resume does not need it).
/// Stand-ins: the OIDC issuer and crates.io's token endpoint, in front of the
/// real cargo registry.
#[test]
fn ctrl_c_revokes_the_token_and_a_resume_mints_anew() {
    let reg = Registries::start();
    let cargo = (reg.cargo_port, reg.cargo_root());
    let server = TrustedServer::start(Upstreams { cargo: Some(cargo), pypi: None }, Duration::from_secs(60));
    let repo = crates_repo(&reg, &server, "trusted-ctrl-c");
    crate::release::release(&repo, &reg, &["--yes"]).ok();
    for krate in ["core", "net", "app"] {
        repo.change(&format!("crates/{krate}/src/lib.rs"), &format!("fix({krate}): a fix"));
    }
    repo.git(&["push", "-q", "origin", "main"]);
    let mut env = ci_env(&reg, &server);
    let (_wrappers, _log) = argv_wrappers(&mut env);
    let mut child = Command::new(crate::support::xtask_bin());
    child.args(["release", "--yes", "--root", &repo.root_arg()]);
    for var in ["CI", "GITHUB_STEP_SUMMARY", "XTASK_TRACE"] {
        child.env_remove(var);
    }
    child.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut child = child.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    // the first crate is published with a minted token; the second is being packaged
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while server.published().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the release finished before Ctrl-C");
    let minted = server.minted();
    assert_eq!(minted.len(), 1, "{minted:?}");
    assert!(minted[0].revoked, "Ctrl-C left the token unrevoked");

    let resumed = run(&repo, &env, &["release", "--resume", "--yes"]).ok();
    let minted = server.minted();
    assert!(minted.len() >= 2, "the resume minted no token of its own:\n{}", resumed.stdout);
    assert!(minted.iter().all(|m| m.revoked), "{minted:?}");
    for krate in ["core", "net", "app"] {
        assert!(reg.crate_versions(krate).iter().any(|(v, _)| v == "0.1.1"), "{krate} 0.1.1 not published");
    }
}
