//! The crates of a release share one cargo target folder, for packaging and
//! smoke tests, as `cargo publish --workspace` shares one: what they have in
//! common (crates.io dependencies, internal crates) is built once per release,
//! not once per job slot and again for the smoke tests (BENCHMARKS.md, P6).

use crate::registries::Registries;
use crate::release::release;
use crate::support::Repo;

/// Two independent crates released at once (two job slots), with smoke
/// tests; the remote refuses the push, so the release stops after publishing
/// and leaves its work folder to look at.
#[test]
fn crates_released_at_once_are_packaged_and_smoke_tested_in_one_target_folder() {
    let reg = Registries::start();
    let repo = Repo::new("shared-targets");
    repo.write("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"crates/*\"]\n");
    for name in ["alpha", "beta"] {
        repo.write(
            &format!("crates/{name}/Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\ndescription = \"{name}\"\nlicense = \"MIT\"\npublish = [\"local\"]\n"),
        );
        repo.write(&format!("crates/{name}/src/lib.rs"), "pub fn f() {}\n");
    }
    repo.write("xtask-release.toml", "[cargo]\nregistry = \"local\"\n");
    repo.write(".gitignore", "target/\n");
    crate::release::tool(&repo, &reg, "cargo", &["generate-lockfile", "--quiet"], ".");
    repo.commit("feat: two crates");
    let remote = reg.remote().display().to_string();
    repo.git(&["remote", "add", "origin", &remote]);
    repo.git(&["push", "-q", "origin", "main"]);
    let hook = reg.remote().join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho refused by the test >&2\nexit 1\n").unwrap();
    std::process::Command::new("chmod").arg("+x").arg(&hook).status().unwrap();

    let run = release(&repo, &reg, &["--yes", "--jobs", "2"]);
    assert_ne!(run.code, 0, "the push was refused:\n{}", run.stdout);
    assert_eq!(reg.crate_versions("alpha").len(), 1, "{}", run.stderr);
    assert_eq!(reg.crate_versions("beta").len(), 1, "{}", run.stderr);
    let work = std::fs::read_dir(repo.path().join(".git/xtask-release"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("tree").is_dir())
        .expect("the release's work folder");
    let mut folders: Vec<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("target"))
        .collect();
    folders.sort();
    assert_eq!(folders, ["target"], "in {}", work.display());
    for name in ["alpha", "beta"] {
        let packaged = work.join(format!("target/package/{name}-0.1.0.crate"));
        assert!(packaged.is_file(), "{} is missing", packaged.display());
        let smoke = work.join(format!("target/debug/libsmoke_{name}.rlib"));
        assert!(smoke.is_file(), "{} is missing", smoke.display());
    }
}
