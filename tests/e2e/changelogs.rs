//! Changelogs as real repositories write them: tokio's `# 0.7.19 (July 21st,
//! 2026)` sections and `area: subject` commits, a release that writes the next
//! section on top in that style, and a changelog with no right place for it,
//! which stops the release in preflight before anything is written.
//!
//! The changelog is the excerpt of tokio-util/CHANGELOG.md kept in
//! tests/golden/changelog-tokio-util.input.md (tokio-rs/tokio ea91b33, lines 1-61).

use crate::registries::Registries;
use crate::release::tool;
use crate::support::{fingerprint_dir, workspace, Repo};

/// 2026-08-21, the date of the sections these tests write.
const AUGUST_21: &str = "1787270400";

fn tokio_util_changelog() -> String {
    std::fs::read_to_string(workspace().join("tests/golden/changelog-tokio-util.input.md")).unwrap()
}

/// One crate, `tokio-util` 0.7.19, tagged as tokio tags it (`tokio-util-0.7.19`),
/// with `changelog` as its CHANGELOG.md and `config` as xtask-release.toml;
/// then three commits in tokio's `area: subject` style.
fn tokio_util_repo(label: &str, changelog: &str, config: &str) -> Repo {
    let repo = Repo::new(label);
    repo.write("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"tokio-util\"]\n")
        .write("tokio-util/Cargo.toml", &crate::fixtures::crate_manifest("tokio-util", "0.7.19", ""))
        .write("tokio-util/src/lib.rs", "pub fn util() {}\n")
        .write("tokio-util/CHANGELOG.md", changelog)
        .write("xtask-release.toml", config)
        .write(".gitignore", "target/\n");
    repo
}

fn area_commits(repo: &Repo) {
    repo.change("tokio-util/src/lib.rs", "codec: add `AnyDelimiterCodec::max_length` (#8001)");
    repo.change("tokio-util/src/lib.rs", "chore: fix clippy warnings (#8002)");
    repo.change("tokio-util/src/lib.rs", "task: add `JoinMap::try_join_next` (#8099)");
}

const AREA: &str = "[tags]\npackage = \"{name}-{version}\"\n\n[commits]\nconvention = \"area\"\n";

#[test]
fn area_commits_keep_their_area_and_wait_for_an_explicit_bump() {
    let repo = tokio_util_repo("area", &tokio_util_changelog(), AREA);
    repo.commit("chore: prepare tokio-util 0.7.19");
    repo.tag("tokio-util-0.7.19");
    area_commits(&repo);
    let env = [("SOURCE_DATE_EPOCH", AUGUST_21)];
    // the real changelog is no XR130
    let run = repo.xtask(&["check"]);
    assert!(run.stdout.contains("ok   changelogs"), "{}\n{}", run.stdout, run.stderr);
    // the areas say where, not how much: nothing is guessed
    let plan = repo.plan(&[]);
    let e = crate::support::entry(&plan, "tokio-util");
    assert_eq!(e["status"], "skip", "{e}");
    assert!(e["reason"].as_str().unwrap().contains("pass --bump patch, minor or major"), "{e}");
    // with --bump: the section on top, in tokio's style, areas kept, `chore` left out
    let run = repo.xtask_env(&["changelog", "--bump", "minor"], &env).ok();
    assert!(
        run.stdout.starts_with(
            "<!-- tokio-util/CHANGELOG.md: tokio-util 0.8.0 -->\n# 0.8.0 (August 21st, 2026)\n\n### Changes\n\n\
             - codec: add `AnyDelimiterCodec::max_length` (#8001) ("
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\n- task: add `JoinMap::try_join_next` (#8099) ("), "{}", run.stdout);
    assert!(!run.stdout.contains("clippy"), "{}", run.stdout);
}

/// The repository released to `reg`: the registry in the configuration, a
/// committed Cargo.lock, `origin` the bare remote.
fn released_repo(reg: &Registries, label: &str, changelog: &str) -> Repo {
    let repo = tokio_util_repo(label, changelog, &format!("[cargo]\nregistry = \"local\"\n\n{AREA}"));
    tool(&repo, reg, "cargo", &["generate-lockfile", "--quiet"], ".");
    repo.commit("chore: prepare tokio-util 0.7.19");
    repo.tag("tokio-util-0.7.19");
    area_commits(&repo);
    let remote = reg.remote().display().to_string();
    repo.git(&["remote", "add", "origin", &remote]);
    repo.git(&["push", "-q", "origin", "main"]);
    repo
}

fn release_on_august_21(repo: &Repo, reg: &Registries, args: &[&str]) -> crate::support::Run {
    let env = reg.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("SOURCE_DATE_EPOCH", AUGUST_21));
    let mut all = vec!["release"];
    all.extend(args);
    repo.xtask_env(&all, &env)
}

#[test]
fn a_release_writes_a_tokio_style_changelog_in_the_right_place() {
    let reg = Registries::start();
    let before = tokio_util_changelog();
    let repo = released_repo(&reg, "tokio-release", &before);
    let run = release_on_august_21(&repo, &reg, &["--bump", "minor", "--yes"]).ok();
    assert!(run.stdout.contains("released 1 package(s)"), "{}", run.stdout);
    assert_eq!(reg.crate_versions("tokio-util").iter().map(|v| v.0.as_str()).collect::<Vec<_>>(), ["0.8.0"]);
    let after = std::fs::read_to_string(repo.path().join("tokio-util/CHANGELOG.md")).unwrap();
    assert!(
        after.starts_with(
            "# 0.8.0 (August 21st, 2026)\n\n### Changes\n\n- codec: add `AnyDelimiterCodec::max_length` (#8001) ("
        ),
        "{after}"
    );
    // above the newest section, every byte of the file kept below it
    let (new, old) = after.split_at(after.find("# 0.7.19 (July 21st, 2026)").unwrap());
    assert_eq!(old, before);
    assert!(new.contains("- task: add `JoinMap::try_join_next` (#8099) (") && !new.contains("clippy"), "{new}");
    assert!(new.ends_with(")\n\n"), "one blank line before the old newest section: {new:?}");
    // in the release commit; `check` agrees with what was written
    let changed = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(changed.lines().any(|l| l == "tokio-util/CHANGELOG.md"), "{changed}");
    assert!(repo.git(&["tag", "--list"]).lines().any(|t| t == "tokio-util-0.8.0"));
    let check = repo.xtask(&["check"]);
    assert!(check.stdout.contains("ok   changelogs"), "{}", check.stdout);
}

#[test]
fn preflight_stops_a_release_whose_changelog_has_no_place_for_the_section() {
    let reg = Registries::start();
    // oldest first: on top or at the end, the tool cannot tell
    let oldest_first = "# Changelog\n\n## [0.7.18] - 2026-01-04\n\n- first\n\n## [0.7.19] - 2026-07-21\n\n- second\n";
    let repo = released_repo(&reg, "tokio-unplaced", oldest_first);
    // the plan still lists the file the release would write
    let plan = repo.plan(&["--bump", "minor"]);
    assert!(plan["files"].as_array().unwrap().iter().any(|f| f == "tokio-util/CHANGELOG.md"), "{plan}");
    let before = (repo.fingerprint(), fingerprint_dir(&reg.dir.0));
    let run = release_on_august_21(&repo, &reg, &["--bump", "minor", "--yes"]).fails_with("XR137");
    assert!(run.stdout.contains("== preflight"), "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "tokio-util/CHANGELOG.md has no place for the new section: line 7: the sections are not newest first \
             (0.7.19 at line 7 is below 0.7.18 at line 3)"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    let after = (repo.fingerprint(), fingerprint_dir(&reg.dir.0));
    assert!(before == after, "a refused release changed the repository, the remote or a registry");
    assert!(reg.crate_versions("tokio-util").is_empty());
}
