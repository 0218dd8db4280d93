//! Planning a large repository reads history in one `git log` pass.

use crate::support::TempDir;

#[test]
fn three_hundred_packages_twenty_thousand_commits_one_git_log() {
    let dir = TempDir::new("scale");
    let root = dir.0.join("repo");
    let spec = bench::Spec { packages: 300, commits: 20_000, depth: 6, seed: 7, ..Default::default() };
    bench::generate(&root, &spec).unwrap();
    let root_s = root.display().to_string();
    let run = crate::support::xtask_env(&["plan", "--format", "json", "--root", &root_s], &[("XTASK_TRACE", "1")]).ok();
    let git_calls: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("+ git")).collect();
    let logs = git_calls.iter().filter(|l| l.contains(" log ")).count();
    assert_eq!(logs, 1, "expected one git log pass, got:\n{}", git_calls.join("\n"));
    assert_eq!(git_calls.len(), 2, "one git log and one for-each-ref:\n{}", git_calls.join("\n"));
    let plan = run.json();
    let packages = plan["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 300);
    // every package went through history analysis: most have commits since their last tag
    let released = packages.iter().filter(|p| p["status"] == "release").count();
    assert!(released > 100, "only {released} releases");
    let max_level = packages.iter().map(|p| p["level"].as_u64().unwrap()).max().unwrap();
    assert_eq!(max_level, 5);
}
