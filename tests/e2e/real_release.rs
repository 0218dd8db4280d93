//! A real public Cargo workspace released end to end through the release-PR
//! flow, as a new user would (issue 20): `init --into`, commit, `check`,
//! `plan`, `release-pr --dry-run`, `release-pr` (twice: the second pushes
//! nothing), a squash merge on the remote, `release --yes` on the merged
//! commit; then a second cycle killed (SIGKILL) mid-publish and finished by
//! `release` on a fresh clone without the journal.
//!
//! Ignored: it needs a checkout of a real repository with internal
//! dependencies (tried with dtolnay/thiserror: `thiserror` pins
//! `thiserror-impl = "=X"`), named by `XTASK_REAL_REPO` (any git repository or
//! git directory `git clone` takes), and crates.io for the crates' own
//! dependencies. Every xtask command runs as `cargo xtask …` in the clone, so
//! cargo builds the copied xtask there (target folder `target/init-e2e`):
//!
//! ```text
//! XTASK_REAL_REPO=/path/to/thiserror flock /tmp/xr-build.lock \
//!   cargo test -p tests --test e2e -- --ignored real_workspace_through_release_pr --nocapture
//! ```
//!
//! What the user changes by hand (the one step a rehearsal against a private
//! registry needs): every published crate gets `publish = ["local"]` and its
//! internal path dependencies `registry = "local"` (init then finds the
//! registry and writes `[cargo] registry = "local"`). The forge is the stand-in GitHub API
//! (`xtask/src/forge/stand_in.rs`): no forge server can run here.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::forge_server::{Flavor, ForgeServer};
use crate::registries::{sha256_file, Registries};
use crate::support::{cargo_command, fingerprint_dir, git_env, to_run, workspace, xtask, Repo, Run, TempDir};

const TOKEN: &str = "canary-real-pr-token-9d2e";
const GITHUB: &str = "https://github.com/o/r.git";

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = git_env(Command::new("git").arg("-C").arg(dir).args(args)).output().unwrap();
    assert!(out.status.success(), "git {args:?} in {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn target() -> PathBuf {
    workspace().join("target/init-e2e")
}

/// The environment of a user's shell: the registries' (less the test's own
/// CARGO_HOME: cargo builds the xtask from the usual one), the forge's.
fn user_env(reg: &Registries, forge: &ForgeServer) -> Vec<(String, String)> {
    let mut env: Vec<_> = reg.env().into_iter().filter(|(k, _)| k != "CARGO_HOME").collect();
    env.push(("GITHUB_API_URL".into(), forge.api_url()));
    env.push(("GITHUB_TOKEN".into(), TOKEN.into()));
    env.push(("CARGO_TARGET_DIR".into(), target().display().to_string()));
    env
}

/// `cargo xtask ARGS` in `dir`, as typed in a shell.
fn cargo_xtask_cmd(dir: &Path, env: &[(String, String)], args: &[&str]) -> Command {
    let mut cmd = cargo_command();
    cmd.arg("--quiet").arg("xtask").args(args).current_dir(dir).env_remove("XTASK_TRACE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    git_env(&mut cmd);
    cmd
}

fn cargo_xtask(dir: &Path, env: &[(String, String)], args: &[&str]) -> Run {
    let run = to_run(cargo_xtask_cmd(dir, env, args).output().unwrap());
    eprintln!("$ cargo xtask {}\n{}{}", args.join(" "), run.stdout, run.stderr);
    run
}

/// The user's hand edit: publish every published crate to `local`.
fn publish_to_local(dir: &Path) {
    for rel in git_in(dir, &["ls-files", "Cargo.toml", "*/Cargo.toml"]).lines() {
        let path = dir.join(rel);
        let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&path).unwrap().parse().unwrap();
        let Some(package) = doc.get_mut("package").and_then(|p| p.as_table_like_mut()) else { continue };
        if package.get("publish").and_then(|p| p.as_bool()) == Some(false) {
            continue;
        }
        package.insert("publish", toml_edit::value(toml_edit::Array::from_iter(["local"])));
        for table in ["dependencies", "build-dependencies"] {
            let Some(deps) = doc.get_mut(table).and_then(|d| d.as_table_like_mut()) else { continue };
            for (_, dep) in deps.iter_mut() {
                if let Some(d) = dep.as_table_like_mut().filter(|d| d.contains_key("path") && d.contains_key("version"))
                {
                    d.insert("registry", toml_edit::value("local"));
                }
            }
        }
        std::fs::write(&path, doc.to_string()).unwrap();
    }
}

/// A squash merge of the release branch into `branch` on the remote, as a
/// forge makes it: one new commit with the branch's tree.
fn squash_merge(reg: &Registries, branch: &str, number: u64) -> String {
    let clone = TempDir::new("squash");
    let remote = reg.remote().display().to_string();
    git_in(clone.0.parent().unwrap(), &["clone", "-q", "--branch", branch, &remote, &clone.0.display().to_string()]);
    git_in(&clone.0, &["merge", "-q", "--squash", "origin/release/next"]);
    git_in(&clone.0, &["commit", "-q", "-m", &format!("chore(release): the release (#{number})")]);
    git_in(&clone.0, &["push", "-q", "origin", branch]);
    git_in(&clone.0, &["rev-parse", "HEAD"])
}

fn clone_of_remote(reg: &Registries, label: &str) -> Repo {
    let tmp = TempDir::new(label);
    let remote = reg.remote().display().to_string();
    git_in(tmp.0.parent().unwrap(), &["clone", "-q", &remote, &tmp.0.display().to_string()]);
    let repo = Repo { tmp };
    repo.git(&["remote", "set-url", "origin", GITHUB]);
    repo.git(&["config", &format!("url.{remote}.insteadOf"), GITHUB]);
    repo
}

/// The released crates: (name, version) from the record on `rev`.
fn recorded(repo: &Repo, rev: &str) -> Vec<(String, String)> {
    let text = repo.git(&["show", &format!("{rev}:.xtask-release/plan.json")]);
    let record: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = |p: &serde_json::Value, k: &str| p[k].as_str().unwrap().to_string();
    record["packages"].as_array().unwrap().iter().map(|p| (s(p, "name"), s(p, "version"))).collect()
}

fn recorded_tags(repo: &Repo, rev: &str) -> Vec<String> {
    let text = repo.git(&["show", &format!("{rev}:.xtask-release/plan.json")]);
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    r["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect()
}

/// Each released crate is in the index once at its version, with the
/// checksum of the `.crate` the release built and uploaded (its journal,
/// `last-release.json`) and of the file the registry stores.
fn assert_published_once(reg: &Registries, repo: &Repo, released: &[(String, String)]) {
    let text = std::fs::read_to_string(repo.path().join(".git/xtask-release/last-release.json")).unwrap();
    let journal: serde_json::Value = serde_json::from_str(&text).unwrap();
    for (name, version) in released {
        let at: Vec<_> = reg.crate_versions(name).into_iter().filter(|(v, _)| v == version).collect();
        assert_eq!(at.len(), 1, "{name} {version} in the index {} times", at.len());
        let file = format!("{name}-{version}.crate");
        let p = &journal["packages"][name.as_str()];
        let ours = p["uploaded"]["sha256"]
            .as_str()
            .or_else(|| p["artifacts"].as_array()?.iter().find(|a| a["file"] == file.as_str())?["sha256"].as_str());
        assert_eq!(ours, Some(at[0].1.as_str()), "{file}: the registry's checksum is not ours: {p}");
        let stored = find_file(&reg.cargo_root(), &file).map(|f| sha256_file(&f));
        assert!(stored.as_ref().is_none_or(|s| *s == at[0].1), "{file}: the stored file is not the indexed one");
        eprintln!("{file}: index cksum {} = ours = stored ({})", at[0].1, stored.is_some());
    }
}

fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Some(f) = find_file(&p, name) {
                return Some(f);
            }
        } else if e.file_name() == name {
            return Some(p);
        }
    }
    None
}

fn assert_tags_at(reg: &Repo, remote: &Path, tags: &[String], commit: &str) {
    for tag in tags {
        assert_eq!(reg.git(&["rev-parse", &format!("{tag}^{{commit}}")]), commit, "local {tag}");
        assert_eq!(git_in(remote, &["rev-parse", &format!("{tag}^{{commit}}")]), commit, "remote {tag}");
    }
}

#[test]
#[ignore = "needs XTASK_REAL_REPO, a checkout of a real workspace, and crates.io"]
fn real_workspace_through_release_pr() {
    let source = std::env::var("XTASK_REAL_REPO").expect("XTASK_REAL_REPO names the repository to release");
    let reg = Registries::start();
    let forge = ForgeServer::start(Flavor::GitHub, TOKEN);
    let env = user_env(&reg, &forge);
    let remote = reg.remote().display().to_string();

    // the user's clone, its history and tags on the (bare) origin
    let tmp = TempDir::new("real");
    git_in(tmp.0.parent().unwrap(), &["clone", "-q", &source, &tmp.0.display().to_string()]);
    let repo = Repo { tmp };
    let branch = repo.git(&["symbolic-ref", "--short", "HEAD"]);
    repo.git(&["remote", "set-url", "origin", GITHUB]);
    repo.git(&["config", &format!("url.{remote}.insteadOf"), GITHUB]);
    repo.git(&["push", "-q", "origin", &format!("HEAD:refs/heads/{branch}"), "--tags"]);
    git_in(&reg.remote(), &["symbolic-ref", "HEAD", &format!("refs/heads/{branch}")]);
    eprintln!(
        "{source}: {} commits, {} tags, branch {branch}",
        repo.git(&["rev-list", "--count", "HEAD"]),
        repo.git(&["tag"]).lines().count()
    );

    // adopt it: init, the registry, commit; check and plan
    publish_to_local(repo.path());
    repo.commit("chore: publish to the staging registry");
    let init = xtask(&["init", "--into", &repo.root_arg()]).ok();
    eprintln!("$ xtask init --into .\n{}", init.stdout);
    repo.commit("chore: release with xtask-release");
    repo.git(&["push", "-q", "origin", &branch]);
    cargo_xtask(repo.path(), &env, &["check"]).ok();
    // the user's change: a fix in the first crate that others depend on
    let plan = cargo_xtask(repo.path(), &env, &["plan", "--format", "json"]).ok().json();
    let lowest = plan["packages"].as_array().unwrap().iter().find(|p| p["status"] != "excluded").unwrap();
    let folder = lowest["path"].as_str().unwrap_or(".").to_string();
    repo.append(&format!("{folder}/Cargo.toml"), "\n# a fix\n");
    repo.commit(&format!("fix({}): a clearer message", lowest["name"].as_str().unwrap()));
    repo.git(&["push", "-q", "origin", &branch]);
    cargo_xtask(repo.path(), &env, &["plan"]).ok();

    // release-pr --dry-run changes nothing
    let before = (repo.fingerprint(), fingerprint_dir(&reg.remote()));
    cargo_xtask(repo.path(), &env, &["release-pr", "--dry-run"]).ok();
    assert_eq!(repo.git(&["status", "--porcelain"]), "", "a dry run left the tree dirty");
    assert_eq!(before.1, fingerprint_dir(&reg.remote()), "a dry run changed the remote");
    assert!(forge.requests().iter().all(|r| r.method == "GET"), "a dry run wrote to the forge");

    let opened = cargo_xtask(repo.path(), &env, &["release-pr"]).ok();
    assert!(opened.stdout.contains("opened pull request #1"), "{}", opened.stdout);
    let pushed = git_in(&reg.remote(), &["rev-parse", "refs/heads/release/next"]);
    let again = cargo_xtask(repo.path(), &env, &["release-pr"]).ok();
    assert!(again.stdout.contains("nothing to push"), "{}", again.stdout);
    assert_eq!(git_in(&reg.remote(), &["rev-parse", "refs/heads/release/next"]), pushed);

    // the forge merges it (squash) and closes the pull request; release on the merged commit
    let merged = squash_merge(&reg, &branch, 1);
    forge.close_pull(1);
    repo.git(&["pull", "-q", "--ff-only", "origin", &branch]);
    let released = recorded(&repo, "HEAD");
    let tags = recorded_tags(&repo, "HEAD");
    eprintln!("recorded: {released:?}, tags {tags:?}");
    let release = cargo_xtask(repo.path(), &env, &["release", "--yes", "--verbose"]).ok();
    assert!(release.stdout.contains("recorded release"), "{}", release.stdout);
    // the token is the release's own (in the environment): the verified .crates go through the registry's API
    let put = format!("+ PUT http://127.0.0.1:{}/api/v1/crates/new", reg.cargo_port);
    assert_eq!(release.stderr.matches(&put).count(), released.len(), "{}", release.stderr);
    assert!(!release.stderr.contains("+ cargo publish"), "{}", release.stderr);
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), merged, "release made a second commit");
    assert_eq!(git_in(&reg.remote(), &["rev-parse", &branch]), merged, "the branch moved on the remote");
    assert_tags_at(&repo, &reg.remote(), &tags, &merged);
    assert_published_once(&reg, &repo, &released);

    // a second cycle, killed mid-publish and finished on a fresh clone
    repo.append(&format!("{folder}/Cargo.toml"), "# another fix\n");
    repo.commit(&format!("fix({}): another message", lowest["name"].as_str().unwrap()));
    repo.git(&["push", "-q", "origin", &branch]);
    let second = cargo_xtask(repo.path(), &env, &["release-pr"]).ok();
    assert!(second.stdout.contains("opened pull request #2"), "{}", second.stdout);
    let pulls = forge.pulls();
    assert_eq!(pulls.iter().filter(|p| p.state == "open").count(), 1, "{pulls:?}");
    let number = pulls.iter().find(|p| p.state == "open").unwrap().number;
    let merged2 = squash_merge(&reg, &branch, number);
    forge.close_pull(number);
    repo.git(&["pull", "-q", "--ff-only", "origin", &branch]);
    let released2 = recorded(&repo, "HEAD");
    let first = &released2[0];
    let mut child = cargo_xtask_cmd(repo.path(), &env, &["release", "--yes", "--jobs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !reg.crate_versions(&first.0).iter().any(|(v, _)| *v == first.1) {
        assert!(child.try_wait().unwrap().is_none(), "the release ended before {} was published", first.0);
        assert!(start.elapsed().as_secs() < 600, "{} was not published in 10 minutes", first.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // the whole process group: cargo, the xtask and its children
    let xtasks = to_run(Command::new("pgrep").args(["-P", &child.id().to_string()]).output().unwrap()).stdout;
    for pid in xtasks.split_whitespace() {
        let _ = Command::new("kill").args(["-9", pid]).status();
    }
    let _ = child.kill();
    let _ = child.wait();
    let on_index: Vec<_> =
        released2.iter().filter(|(n, v)| reg.crate_versions(n).iter().any(|(x, _)| x == v)).collect();
    eprintln!("killed after {:?}: published then {on_index:?}", start.elapsed());

    let fresh = clone_of_remote(&reg, "fresh");
    let finished = cargo_xtask(fresh.path(), &env, &["release", "--yes"]).ok();
    assert!(finished.stdout.contains("already published with the same checksum"), "{}", finished.stdout);
    assert_eq!(fresh.git(&["rev-parse", "HEAD"]), merged2, "the resume made another commit");
    assert_tags_at(&fresh, &reg.remote(), &recorded_tags(&fresh, "HEAD"), &merged2);
    assert_published_once(&reg, &fresh, &released2);
    let outputs = crate::support::all_file_text(repo.path()) + &crate::support::all_file_text(fresh.path());
    assert!(!outputs.contains(TOKEN), "the forge token is in a file");
}
