//! Benchmarks for xtask-release. Every figure is a ratio to a baseline measured
//! in the same run: absolute times on a shared machine are noise.
//!
//!     cargo run --release -p bench -- all            # every figure, as Markdown (BENCHMARKS.md)
//!     cargo run --release -p bench -- all --tiny     # seconds: keeps the benchmark from rotting (CI)
//!     cargo run --release -p bench -- plan --packages N --commits M
//!     cargo run --release -p bench -- scale | release | compile
//!     cargo run --release -p bench -- rate [--crates 60] [--jobs 2]   # P5: at the registry's rate limit
//!     cargo run --release -p bench -- release --live   # watch the live progress table on a terminal
//!     cargo run --release -p bench -- publish [--crates 12] [--runs 3] [--jobs N]   # P6: ÷ `cargo publish --workspace`
//!
//! - P1 plan: `xtask plan --format json` ÷ one `git log --name-only` pass over
//!   the same history (the floor), and ÷ the per-package approach (one
//!   `git log -- DIR` per package; sampled on 20 packages and scaled up).
//! - P2 makespan: a real release of a 30-package DAG to local registries with
//!   `--jobs 4`, ÷ the critical path of the per-package durations measured in
//!   the same run; and the same ratio for a level-by-level schedule simulated
//!   from those durations.
//! - P3 cold compile: `cargo build -p xtask` from an empty target folder ÷ the
//!   cold build of an empty crate with the same dependencies (the floor); and
//!   the warm `cargo xtask --help`.
//! - P4 memory: peak RSS of P1's plan.
//! - P5 rate limits: a release of 60 crates behind crates.io's limiter
//!   (stand-in, scaled clock) ÷ max(critical path, work ÷ jobs, rate-limit
//!   bound), the 429s received, pacing off as the baseline, and `plan`'s
//!   estimate ÷ the makespan (`p5.rs`).
//! - P6 what cargo does anyway: a release of 12 crates with crates.io
//!   dependencies, smoke tests off and on, ÷ `cargo publish --workspace` of
//!   the same crates, paired rounds (`p6.rs`). Needs crates.io (network), so
//!   it is in neither `all` nor `all --tiny`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod p5;
mod p6;

use bench::registries::Registries;
use bench::{Spec, TempDir};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let get = |flag: &str, default: usize| -> usize {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let what = args.first().filter(|a| !a.starts_with("--")).cloned().unwrap_or_else(|| "plan".into());
    let tiny = flag("--tiny");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("bench is in the workspace").to_path_buf();
    let xtask = build_xtask(&workspace);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<u64>().unwrap_or(0)))
        .unwrap_or(0);
    println!("machine: {cores} cores, {:.0} GiB memory", mem as f64 / 1024.0 / 1024.0);
    match what.as_str() {
        "plan" => {
            let spec = Spec {
                packages: get("--packages", 300),
                commits: get("--commits", 20_000),
                depth: 6,
                ..Spec::default()
            };
            print_p1(&[p1(&workspace, &xtask, &spec, get("--runs", 3))]);
        }
        "scale" => scale(&workspace, &xtask, tiny),
        "release" => p2(
            &xtask,
            if tiny { 8 } else { get("--packages", 30) },
            get("--depth", 4),
            get("--jobs", 4),
            flag("--live"),
        ),
        "compile" => p3(&workspace),
        "rate" => p5::p5(&xtask, if tiny { 12 } else { get("--crates", 60) }, get("--jobs", 2)),
        "publish" => p6::p6(
            &xtask,
            get("--crates", 12),
            get("--runs", 3),
            args.iter().position(|a| a == "--jobs").map(|_| get("--jobs", 4)),
        ),
        "all" => {
            if tiny {
                print_p1(&[p1(
                    &workspace,
                    &xtask,
                    &Spec { packages: 20, commits: 500, depth: 3, ..Spec::default() },
                    1,
                )]);
                return;
            }
            println!("\n## P1 plan and P4 memory (1,000 packages, 100,000 commits)\n");
            let big =
                p1(&workspace, &xtask, &Spec { packages: 1000, commits: 100_000, depth: 8, ..Spec::default() }, 3);
            print_p1(std::slice::from_ref(&big));
            println!("\n## Scaling\n");
            scale(&workspace, &xtask, false);
            println!("\n## P2 makespan (30 packages, --jobs 4)\n");
            p2(&xtask, 30, 4, 4, false);
            println!("\nA deeper DAG (depth 10), where the dependency chain, not the work, bounds the release:\n");
            p2(&xtask, 30, 10, 4, false);
            println!("\n## P3 cold compile\n");
            p3(&workspace);
        }
        other => {
            eprintln!("unknown benchmark `{other}`: plan, scale, release, compile, rate, publish or all");
            std::process::exit(2);
        }
    }
}

/// The release build of xtask; `BENCH_XTASK=PATH` runs another binary instead
/// (a build of an earlier commit, to measure before and after a change).
fn build_xtask(workspace: &Path) -> PathBuf {
    if let Some(bin) = std::env::var_os("BENCH_XTASK") {
        return PathBuf::from(bin);
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(workspace)
        .args(["build", "--release", "--quiet", "-p", "xtask"])
        .status()
        .expect("run cargo");
    assert!(status.success(), "cargo build -p xtask failed");
    workspace.join("target/release/xtask")
}

/// A generated repository, cached under target/bench-repos by spec.
fn repository(workspace: &Path, spec: &Spec) -> PathBuf {
    let repo = workspace
        .join("target/bench-repos")
        .join(format!("p{}-c{}-d{}-s{}", spec.packages, spec.commits, spec.depth, spec.seed));
    if !repo.join(".git").exists() {
        let _ = std::fs::remove_dir_all(&repo);
        eprintln!("generating {} packages, {} commits in {}", spec.packages, spec.commits, repo.display());
        bench::generate(&repo, spec).expect("generate the repository");
    }
    repo
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run command");
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .expect("at least one run")
}

/// Runs a command to completion and returns its peak resident set (VmHWM),
/// sampled from /proc while it runs (the high-water mark only grows).
fn peak_rss_kib(cmd: &mut Command) -> u64 {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = text.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                peak = peak.max(kib.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0));
            }
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    peak
}

struct P1 {
    spec: Spec,
    floor: Duration,
    plan: Duration,
    per_package: Duration,
    sampled: usize,
    rss_kib: u64,
}

fn p1(workspace: &Path, xtask: &Path, spec: &Spec, runs: usize) -> P1 {
    let repo = repository(workspace, spec);
    let root = repo.display().to_string();
    // warm the page cache once so that every measure reads the same way
    run(Command::new("git").args(["-C", &root, "log", "--name-only", "--format=%H", "HEAD"]));
    let floor =
        best(runs, || run(Command::new("git").args(["-C", &root, "log", "--name-only", "--format=%H%n%B", "HEAD"])));
    let plan = best(runs, || run(Command::new(xtask).args(["plan", "--format", "json", "--root", &root])));
    // the per-package approach, one `git log -- DIR` each, sampled on 20 packages
    let pkgs = bench::packages(spec);
    let step = (pkgs.len() / 20).max(1);
    let sample: Vec<&bench::Pkg> = pkgs.iter().step_by(step).take(20).collect();
    let sampled = best(1, || {
        for p in &sample {
            run(Command::new("git").args(["-C", &root, "log", "--format=%H%n%B", "HEAD", "--", &p.dir]));
        }
    });
    let per_package = sampled.mul_f64(pkgs.len() as f64 / sample.len() as f64);
    let rss_kib = peak_rss_kib(Command::new(xtask).args(["plan", "--format", "json", "--root", &root]));
    P1 { spec: spec.clone(), floor, plan, per_package, sampled: sample.len(), rss_kib }
}

fn print_p1(rows: &[P1]) {
    println!("| packages | commits | git log pass (floor) s | plan s | plan ÷ floor | per-package s | plan ÷ per-package | peak RSS MiB |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {:.3} | {:.3} | **{:.2}** | {:.2}{} | {:.3} | {:.1} |",
            r.spec.packages,
            r.spec.commits,
            r.floor.as_secs_f64(),
            r.plan.as_secs_f64(),
            r.plan.as_secs_f64() / r.floor.as_secs_f64(),
            r.per_package.as_secs_f64(),
            if r.sampled < r.spec.packages { format!(" (from {})", r.sampled) } else { String::new() },
            r.plan.as_secs_f64() / r.per_package.as_secs_f64(),
            r.rss_kib as f64 / 1024.0,
        );
    }
}

fn scale(workspace: &Path, xtask: &Path, tiny: bool) {
    let sizes: &[(usize, usize)] = if tiny {
        &[(20, 200), (40, 400)]
    } else {
        &[(100, 10_000), (300, 10_000), (1000, 10_000), (100, 100_000), (300, 100_000), (1000, 100_000)]
    };
    let rows: Vec<P1> = sizes
        .iter()
        .map(|&(packages, commits)| p1(workspace, xtask, &Spec { packages, commits, depth: 6, ..Spec::default() }, 3))
        .collect();
    print_p1(&rows);
}

/// P2: a real release to local registries; durations from the progress lines.
fn p2(xtask: &Path, packages: usize, depth: usize, jobs: usize, live: bool) {
    let reg = Registries::start();
    let dir = TempDir::new("bench-p2");
    let repo = dir.0.join("repo");
    let spec = Spec {
        packages,
        commits: 20,
        depth,
        seed: 3,
        tags: false,
        cargo_registry: Some("local".into()),
        ..Spec::default()
    };
    bench::generate(&repo, &spec).expect("generate");
    std::fs::write(repo.join("xtask-release.toml"), reg.config()).expect("config");
    let env = reg.env();
    let with_env = |cmd: &mut Command| {
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd.env("GIT_AUTHOR_NAME", "bench").env("GIT_AUTHOR_EMAIL", "bench@example.invalid");
        cmd.env("GIT_COMMITTER_NAME", "bench").env("GIT_COMMITTER_EMAIL", "bench@example.invalid");
    };
    for (program, args, sub) in
        [("cargo", vec!["generate-lockfile", "--quiet"], "."), ("uv", vec!["lock", "--quiet"], "py")]
    {
        let mut cmd = Command::new(program);
        cmd.args(&args).current_dir(repo.join(sub));
        with_env(&mut cmd);
        run(&mut cmd);
    }
    let remote = reg.remote().display().to_string();
    for args in [
        vec!["add", "-A"],
        vec!["commit", "-q", "-m", "chore: lockfiles and registry"],
        vec!["remote", "add", "origin", &remote],
        vec!["push", "-q", "origin", "main"],
    ] {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&repo).args(&args);
        with_env(&mut cmd);
        run(&mut cmd);
    }
    let mut cmd = Command::new(xtask);
    cmd.args(["release", "--yes", "--jobs", &jobs.to_string(), "--root"]).arg(&repo);
    with_env(&mut cmd);
    if live {
        // `release --live`: the release on this terminal, to watch its live progress table
        cmd.env_remove("CI");
        let status = cmd.status().expect("run the release");
        println!("release exited with {status}");
        return;
    }
    cmd.env("CI", "1");
    let start = Instant::now();
    let out = cmd.output().expect("run the release");
    let total = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the release failed:\n{stderr}");

    let (begin, end) = progress_times(&stderr);
    let graph = Command::new(xtask).args(["graph", "--format", "json", "--root"]).arg(&repo).output().expect("graph");
    let graph: serde_json::Value = serde_json::from_slice(&graph.stdout).expect("graph JSON");
    let mut deps: HashMap<String, Vec<String>> = HashMap::new();
    let mut level: HashMap<String, u64> = HashMap::new();
    for p in graph["packages"].as_array().expect("packages") {
        let name = p["name"].as_str().unwrap_or_default().to_string();
        let d = p["dependencies"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        level.insert(name.clone(), p["level"].as_u64().unwrap_or(0));
        deps.insert(name, d);
    }
    let dur: HashMap<String, f64> = begin.iter().filter_map(|(n, b)| Some((n.clone(), end.get(n)? - b))).collect();
    // critical path: the longest chain of measured durations
    let mut memo = HashMap::new();
    let critical = dur.keys().map(|n| p5::chain(n, &deps, &dur, &mut memo)).fold(0.0, f64::max);
    let first = begin.values().copied().fold(f64::INFINITY, f64::min);
    let last = end.values().copied().fold(0.0, f64::max);
    let wall = last - first;
    // level by level: a level starts when the previous one has finished, `jobs` at a time
    let max_level = level.values().copied().max().unwrap_or(0);
    let mut t = 0.0;
    for l in 0..=max_level {
        let mut tasks: Vec<f64> = dur.iter().filter(|(n, _)| level.get(*n) == Some(&l)).map(|(_, d)| *d).collect();
        tasks.sort_by(|a, b| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Equal));
        let mut workers = vec![0.0f64; jobs];
        for d in tasks {
            let w = workers
                .iter_mut()
                .min_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal))
                .expect("jobs > 0");
            *w += d;
        }
        t += workers.iter().copied().fold(0.0, f64::max);
    }
    let sum: f64 = dur.values().sum();
    // no schedule with `jobs` slots beats the longest chain nor the work spread over the slots
    let floor = critical.max(sum / jobs as f64);
    println!("| packages | levels | jobs | publish phase s | critical path s | work ÷ jobs s | makespan ÷ critical path | makespan ÷ max(critical path, work ÷ jobs) | level-by-level (simulated) ÷ critical path | whole command s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {jobs} | {wall:.2} | {critical:.2} | {:.2} | **{:.3}** | **{:.3}** | {:.3} | {:.1} |",
        dur.len(),
        max_level + 1,
        sum / jobs as f64,
        wall / critical,
        wall / floor,
        t / critical,
        total.as_secs_f64()
    );
}

/// When each package started building and when it was done, from the
/// release's progress lines (`[   1.2s] name: state`).
fn progress_times(stderr: &str) -> (HashMap<String, f64>, HashMap<String, f64>) {
    let mut begin: HashMap<String, f64> = HashMap::new();
    let mut end: HashMap<String, f64> = HashMap::new();
    for line in stderr.lines() {
        let Some(rest) = line.strip_prefix('[') else { continue };
        let Some((t, rest)) = rest.split_once("s] ") else { continue };
        let Ok(t) = t.trim().parse::<f64>() else { continue };
        let Some((name, state)) = rest.split_once(": ") else { continue };
        match state {
            "building" => {
                begin.entry(name.to_string()).or_insert(t);
            }
            "done" | "already published" => {
                end.insert(name.to_string(), t);
            }
            _ => {}
        }
    }
    (begin, end)
}

/// P3: cold build of xtask ÷ cold build of an empty crate with the same dependencies.
fn p3(workspace: &Path) {
    let manifest = std::fs::read_to_string(workspace.join("xtask/Cargo.toml")).expect("xtask manifest");
    let deps: String = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("a [dependencies] table")
        .to_string();
    let dir = TempDir::new("bench-p3");
    let floor = dir.0.join("floor");
    std::fs::create_dir_all(floor.join("src")).expect("mkdir");
    std::fs::write(
        floor.join("Cargo.toml"),
        format!(
            "[package]\nname = \"floor\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]{deps}\n[profile.dev]\ndebug = 0\n\n[workspace]\n"
        ),
    )
    .expect("write");
    std::fs::write(floor.join("src/main.rs"), "fn main() {}\n").expect("write");
    // the same versions of every dependency as the real build
    std::fs::copy(workspace.join("Cargo.lock"), floor.join("Cargo.lock")).expect("lockfile");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let cold = |dir: &Path, args: &[&str], target: &Path| {
        let _ = std::fs::remove_dir_all(target);
        best(1, || run(Command::new(&cargo).current_dir(dir).args(args).arg("--target-dir").arg(target)))
    };
    let floor_time = cold(&floor, &["build", "--quiet"], &dir.0.join("target-floor"));
    let real_time = cold(workspace, &["build", "--quiet", "-p", "xtask"], &dir.0.join("target-real"));
    let bin = dir.0.join("target-real/debug/xtask");
    let help = best(5, || run(Command::new(&bin).arg("--help")));
    let cargo_help = best(3, || {
        run(Command::new(&cargo)
            .current_dir(workspace)
            .args(["run", "--quiet", "-p", "xtask", "--target-dir"])
            .arg(dir.0.join("target-real"))
            .args(["--", "--help"]))
    });
    println!("| empty crate, same dependencies (floor) s | xtask s | xtask ÷ floor | warm `cargo xtask --help` s | binary `--help` s |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {:.1} | {:.1} | **{:.2}** | {:.3} | {:.4} |",
        floor_time.as_secs_f64(),
        real_time.as_secs_f64(),
        real_time.as_secs_f64() / floor_time.as_secs_f64(),
        cargo_help.as_secs_f64(),
        help.as_secs_f64()
    );
}
