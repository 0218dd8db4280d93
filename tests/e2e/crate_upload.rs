//! A crate is uploaded as the `.crate` the release packaged and verified,
//! through the registry's web API (as `cargo publish` uploads), when the
//! release holds the token or finds it where `cargo login` writes it; with a
//! credential provider configured (cargo asks it), `cargo publish` uploads it. Real git,
//! real cargo, real cargo-http-registry: the index entry the registry makes
//! from the tool's upload is compared with the one it makes from `cargo
//! publish` of the same crates.

use std::process::Command;

use crate::registries::{sha256_file, Registries};
use crate::release::release;
use crate::support::Repo;

const CRATES: [&str; 3] = ["base", "util", "full"];

/// `full` has every shape of dependency the index records: optional without
/// default features, renamed with features, target-specific (a `cfg(…)` cargo
/// re-renders), build, and a path-only dev-dependency (left out).
fn crates_repo(reg: &Registries) -> Repo {
    // the registry is named `local` in every Registries' environment
    let repo = Repo::new("crate-upload");
    repo.write("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"crates/*\"]\n");
    let package = |name: &str, extra: &str| {
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\ndescription = \"the {name} crate\"\n\
             license = \"MIT\"\nrepository = \"https://example.invalid/r\"\nkeywords = [\"k\"]\npublish = [\"local\"]\n{extra}"
        )
    };
    for name in ["base", "util"] {
        repo.write(&format!("crates/{name}/Cargo.toml"), &package(name, "\n[features]\nextra = []\n"));
        repo.write(&format!("crates/{name}/src/lib.rs"), "pub fn f() {}\n");
    }
    let local = |name: &str| format!("version = \"0.1.0\", path = \"../{name}\", registry = \"local\"");
    let full = format!(
        "readme = \"README.md\"\nrust-version = \"1.70\"\n\n[features]\ndefault = [\"std\"]\nstd = []\n\
         with-base = [\"dep:base\", \"base?/extra\"]\n\n[dependencies]\nbase = {{ {}, optional = true, default-features = false }}\n\
         renamed = {{ package = \"util\", {}, features = [\"extra\"] }}\n\n\
         [target.'cfg(all(unix,not(target_os=\"macos\")))'.dependencies]\nbase = {{ {}, features = [\"extra\"] }}\n\n\
         [build-dependencies]\nbase = {{ {} }}\n\n[dev-dependencies]\nbase = {{ path = \"../base\" }}\n",
        local("base"),
        local("util"),
        local("base"),
        local("base")
    );
    repo.write("crates/full/Cargo.toml", &package("full", &full));
    repo.write("crates/full/README.md", "# full\n\nEvery shape of dependency.\n");
    repo.write("crates/full/src/lib.rs", "pub fn f() {}\n");
    repo.write("crates/full/build.rs", "fn main() {}\n");
    repo.write("xtask-release.toml", "[cargo]\nregistry = \"local\"\n");
    repo.write(".gitignore", "target/\n");
    crate::release::tool(&repo, reg, "cargo", &["generate-lockfile", "--quiet"], ".");
    repo.commit("feat: three crates");
    repo.git(&["remote", "add", "origin", &reg.remote().display().to_string()]);
    repo.git(&["push", "-q", "origin", "main"]);
    repo
}

/// The index line of `name` 0.1.0 without its checksum (the `.crate`s of two
/// registries name their own index URL inside, so their bytes differ).
fn index_entry(reg: &Registries, name: &str) -> serde_json::Value {
    let rel = match name.len() {
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    };
    let text = std::fs::read_to_string(reg.cargo_root().join(rel)).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("cksum");
    v
}

#[test]
fn the_verified_crate_is_uploaded_with_the_index_entry_cargo_publish_gives_it() {
    let ours = Registries::start();
    let cargos = Registries::start();
    let repo = crates_repo(&ours);
    // the same commit, published by cargo itself to the other registry
    let clone = crate::support::TempDir::new("crate-upload-cargo");
    let out = Command::new("git").args(["clone", "-q"]).arg(repo.path()).arg(&clone.0).output().unwrap();
    assert!(out.status.success());
    let mut publish = Command::new("cargo");
    publish.args(["publish", "--quiet", "--workspace", "--registry", "local"]).current_dir(&clone.0);
    publish.envs(cargos.env()).env("CARGO_TARGET_DIR", clone.0.join("target"));
    let out = publish.output().unwrap();
    assert!(out.status.success(), "cargo publish: {}", String::from_utf8_lossy(&out.stderr));

    // the remote refuses the push: the release stops after publishing and keeps its work folder
    let hook = ours.remote().join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\nexit 1\n").unwrap();
    Command::new("chmod").arg("+x").arg(&hook).status().unwrap();
    let run = release(&repo, &ours, &["--yes", "--verbose"]);
    assert!(run.stdout.contains("published so far") || run.stderr.contains("push"), "{}\n{}", run.stdout, run.stderr);
    let api = format!("PUT http://127.0.0.1:{}/api/v1/crates/new", ours.cargo_port);
    assert_eq!(run.stderr.matches(&api).count(), 3, "not uploaded through the API:\n{}", run.stderr);
    assert!(!run.stderr.contains("+ cargo publish"), "{}", run.stderr);
    let work = std::fs::read_dir(repo.path().join(".git/xtask-release"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("dist").is_dir())
        .expect("the release's work folder");
    for name in CRATES {
        assert_eq!(index_entry(&ours, name), index_entry(&cargos, name), "{name}: the index entries differ");
        // the registry has the very bytes that were packaged and verified
        let verified = sha256_file(&work.join(format!("dist/{name}/{name}-0.1.0.crate")));
        assert_eq!(ours.crate_versions(name), [("0.1.0".to_string(), verified)], "{name}");
    }
}

/// The registry's env without its token variable, and a CARGO_HOME holding
/// the token `cargo login` writes (and, given, a `config.toml`).
fn cargo_login_env(reg: &Registries, config: Option<&str>) -> Vec<(String, String)> {
    let home = reg.dir.0.join("cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("credentials.toml"), "[registries.local]\ntoken = \"from-cargo-login\"\n").unwrap();
    if let Some(config) = config {
        std::fs::write(home.join("config.toml"), config).unwrap();
    }
    reg.env().into_iter().filter(|(k, _)| k != "CARGO_REGISTRIES_LOCAL_TOKEN").collect()
}

/// With the token `cargo login` wrote (CARGO_HOME's credentials file, which
/// cargo's default provider `cargo:token` reads), the verified crate goes
/// through the API too, and the token shows nowhere.
#[test]
fn a_cargo_login_token_uploads_the_verified_crate_through_the_api() {
    let reg = Registries::start();
    let repo = crates_repo(&reg);
    let env = cargo_login_env(&reg, None);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = repo.xtask_env(&["release", "--yes", "--verbose", "--exclude", "full"], &env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let api = format!("PUT http://127.0.0.1:{}/api/v1/crates/new", reg.cargo_port);
    assert_eq!(run.stderr.matches(&api).count(), 2, "not uploaded through the API:\n{}", run.stderr);
    assert!(!run.stderr.contains("+ cargo publish"), "{}", run.stderr);
    let shown = format!("{}{}", run.stdout, run.stderr);
    assert!(!shown.contains("from-cargo-login"), "the token was shown:\n{shown}");
    assert!(shown.contains("credentials.toml"), "the token's source is not named:\n{shown}");
    for name in ["base", "util"] {
        assert_eq!(reg.crate_versions(name).len(), 1, "{name}");
    }
}

/// With a credential provider configured, cargo asks that provider for the
/// token, which the tool cannot: the crate goes by `cargo publish`.
#[test]
fn a_configured_credential_provider_leaves_the_upload_to_cargo_publish() {
    let reg = Registries::start();
    let repo = crates_repo(&reg);
    let env = cargo_login_env(&reg, Some("[registry]\nglobal-credential-providers = [\"cargo:token\"]\n"));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = repo.xtask_env(&["release", "--yes", "--verbose", "--exclude", "full"], &env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stderr.matches("+ cargo publish").count(), 2, "{}", run.stderr);
    assert!(!run.stderr.contains("/api/v1/crates/new"), "{}", run.stderr);
    for name in ["base", "util"] {
        assert_eq!(reg.crate_versions(name).len(), 1, "{name}");
    }
}
