//! P5: a large release at the registry's speed. A generated workspace of
//! crates is released to the local cargo registry behind the rate-limiter
//! stand-in (crates.io's buckets on a scaled clock: a burst of 5 new versions,
//! then one every 2 s): first the initial release (new crates, not limited
//! here: it measures each crate's own work), then a new version of every
//! crate with pacing off (upload at once, back off on 429 only: the
//! baseline), then one with pacing on. Reported: makespan ÷ max(critical
//! path, work ÷ jobs, rate-limit bound), the 429s each run received, and
//! `plan`'s estimate ÷ the measured makespan.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bench::registries::Registries;
use bench::{Spec, TempDir};
use xtask::rate::Limit;

const BURST: u32 = 5;
const EVERY: u64 = 2;

struct Run {
    /// First `building` to last `done`.
    makespan: f64,
    durations: HashMap<String, f64>,
    refused: usize,
}

pub fn p5(xtask: &Path, crates: usize, jobs: usize) {
    let reg = Registries::start();
    let limiter =
        bench::limiter::start(reg.cargo_port, &reg.cargo_root(), Limit::new(100_000, 1), Limit::new(BURST, EVERY));
    let dir = TempDir::new("bench-p5");
    let repo = dir.0.join("repo");
    let spec = Spec {
        packages: crates,
        commits: 2,
        depth: 6,
        seed: 5,
        tags: false,
        cargo_registry: Some("local".into()),
        cargo_only: true,
    };
    bench::generate(&repo, &spec).expect("generate");
    // cargo reads the index through the limiter (which names itself as the API)
    let mut env = reg.env();
    for (k, v) in &mut env {
        if k == "CARGO_REGISTRIES_LOCAL_INDEX" {
            *v = limiter.sparse_index.clone();
        }
    }
    let sh = |program: &str, args: &[&str]| {
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(&repo).envs(env.iter().map(|(k, v)| (k, v)));
        let out = cmd.output().expect("run");
        assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let config = |pacing: bool| {
        let text = format!(
            "{}\n[cargo.rate-limit]\nnew = false\nupdate = {{ burst = {BURST}, every-seconds = {EVERY} }}\n\n[release]\nsmoke-test = false\npacing = {pacing}\n\n[changelog]\nenabled = false\n",
            reg.config()
        );
        std::fs::write(repo.join("xtask-release.toml"), text).expect("config");
    };
    config(true);
    sh("cargo", &["generate-lockfile", "--quiet"]);
    let remote = reg.remote().display().to_string();
    sh("git", &["add", "-A"]);
    sh("git", &["commit", "-q", "-m", "chore: lockfile and registry"]);
    sh("git", &["remote", "add", "origin", &remote]);
    sh("git", &["push", "-q", "origin", "main"]);

    let release = |label: &str| -> Run {
        let before = limiter.refused.load(Ordering::SeqCst);
        let start = Instant::now();
        let mut cmd = Command::new(xtask);
        cmd.args(["release", "--yes", "--jobs", &jobs.to_string(), "--root"]).arg(&repo).current_dir(&repo);
        cmd.envs(env.iter().map(|(k, v)| (k, v))).env("CI", "1");
        let out = cmd.output().expect("release");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{label}: the release failed:\n{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        let (begin, end) = crate::progress_times(&stderr);
        let first = begin.values().copied().fold(f64::INFINITY, f64::min);
        let last = end.values().copied().fold(0.0, f64::max);
        let durations = begin.iter().filter_map(|(n, b)| Some((n.clone(), end.get(n)? - b))).collect();
        eprintln!(
            "P5 {label}: {:.1} s\n{}",
            start.elapsed().as_secs_f64(),
            String::from_utf8_lossy(&out.stdout).lines().rev().take(6).collect::<Vec<_>>().join("\n")
        );
        Run { makespan: last - first, durations, refused: limiter.refused.load(Ordering::SeqCst) - before }
    };
    // a new version of every crate: a fix in each
    let touch_all = |message: &str| {
        for e in std::fs::read_dir(repo.join("crates")).expect("crates") {
            let lib = e.expect("entry").path().join("src/lib.rs");
            let text = std::fs::read_to_string(&lib).unwrap_or_default();
            std::fs::write(&lib, format!("{text}// {message}\n")).expect("write");
        }
        sh("git", &["commit", "-q", "-am", &format!("fix: {message}")]);
    };
    // the registry's bucket full again before a run
    let refill = || std::thread::sleep(Duration::from_secs(u64::from(BURST) * EVERY + 2));

    let initial = release("initial release (new crates, not limited: each crate's own work)");
    assert_eq!(limiter.accepted.load(Ordering::SeqCst), crates, "every publish went through the limiter");
    refill();
    config(false);
    sh("git", &["commit", "-q", "-am", "chore: pacing off"]);
    touch_all("baseline");
    let unpaced = release("pacing off (upload at once, back off on 429)");
    refill();
    config(true);
    sh("git", &["commit", "-q", "-am", "chore: pacing on"]);
    touch_all("paced");
    let estimate = estimate_seconds(xtask, &repo, &env);
    let paced = release("pacing on");
    report(crates, jobs, &repo, xtask, &initial, &unpaced, &paced, estimate);
}

/// `plan`'s "estimate: at least …" (or "about …") in seconds.
fn estimate_seconds(xtask: &Path, repo: &Path, env: &[(String, String)]) -> Option<f64> {
    let out = Command::new(xtask)
        .arg("plan")
        .arg("--root")
        .arg(repo)
        .current_dir(repo)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("estimate: at least ").or_else(|| l.strip_prefix("estimate: about ")))?;
    let words: Vec<&str> = line.split(':').next()?.split(' ').collect();
    let mut secs = 0.0;
    for pair in words.chunks(2) {
        let n: f64 = pair.first()?.parse().ok()?;
        secs += n * match *pair.get(1)? {
            "h" => 3600.0,
            "min" => 60.0,
            _ => 1.0,
        };
    }
    Some(secs)
}

#[allow(clippy::too_many_arguments)]
fn report(
    crates: usize,
    jobs: usize,
    repo: &Path,
    xtask: &Path,
    initial: &Run,
    unpaced: &Run,
    paced: &Run,
    estimate: Option<f64>,
) {
    let deps = crate_deps(xtask, repo);
    // each crate's own work, from the initial release (no rate-limit wait in it)
    let work = &initial.durations;
    let critical = work.keys().map(|n| chain(n, &deps, work, &mut HashMap::new())).fold(0.0, f64::max);
    let per_job = work.values().sum::<f64>() / jobs as f64;
    let limit = Limit::new(BURST, EVERY).least_time(crates as u32).as_secs_f64();
    let floor = critical.max(per_job).max(limit);
    println!("| crates | jobs | limit (scaled) | critical path s | work ÷ jobs s | rate-limit bound s | run | makespan s | makespan ÷ bound | 429s | plan's estimate ÷ makespan |");
    println!("|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|");
    for (label, run, est) in [("pacing off (baseline)", unpaced, None), ("**pacing on**", paced, estimate)] {
        let est = est.map_or("—".to_string(), |e| format!("{:.2}", e / run.makespan));
        println!(
            "| {crates} | {jobs} | {BURST} at once, then 1 every {EVERY} s | {critical:.1} | {per_job:.1} | {limit:.1} | {label} | {:.1} | **{:.3}** | **{}** | {est} |",
            run.makespan,
            run.makespan / floor,
            run.refused
        );
    }
}

/// Each crate's internal dependencies, from `graph --format json`.
fn crate_deps(xtask: &Path, repo: &Path) -> HashMap<String, Vec<String>> {
    let out = Command::new(xtask)
        .args(["graph", "--format", "json", "--root"])
        .arg(repo)
        .current_dir(repo)
        .output()
        .expect("graph");
    let graph: serde_json::Value = serde_json::from_slice(&out.stdout).expect("graph JSON");
    let mut deps = HashMap::new();
    for p in graph["packages"].as_array().expect("packages") {
        let d = p["dependencies"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        deps.insert(p["name"].as_str().unwrap_or_default().to_string(), d);
    }
    deps
}

/// The longest chain of `dur` ending at `n` (its dependencies before it).
pub fn chain(
    n: &str,
    deps: &HashMap<String, Vec<String>>,
    dur: &HashMap<String, f64>,
    memo: &mut HashMap<String, f64>,
) -> f64 {
    if let Some(v) = memo.get(n) {
        return *v;
    }
    let before = deps.get(n).map_or(0.0, |ds| ds.iter().map(|d| chain(d, deps, dur, memo)).fold(0.0, f64::max));
    let v = before + dur.get(n).copied().unwrap_or(0.0);
    memo.insert(n.to_string(), v);
    v
}
