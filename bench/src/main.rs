//! Benchmarks, each figure a ratio to a baseline measured in the same run.
//!
//!     cargo run --release -p bench -- [--packages N] [--commits M] [--depth D] [--seed S] [--runs R]
//!
//! P1 (plan): `xtask plan --format json` ÷ one `git log --name-only` pass over the
//! same history (the floor: reading history once), and ÷ the per-package
//! approach (one `git log -- DIR` per package). Repositories are cached under
//! target/bench-repos by spec.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str, default: usize| -> usize {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let spec = bench::Spec {
        packages: get("--packages", 300),
        commits: get("--commits", 20_000),
        depth: get("--depth", 6),
        seed: get("--seed", 1) as u64,
    };
    let runs = get("--runs", 3).max(1);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("bench is in the workspace").to_path_buf();
    let xtask = build_xtask(&workspace);
    let repo = workspace
        .join("target/bench-repos")
        .join(format!("p{}-c{}-d{}-s{}", spec.packages, spec.commits, spec.depth, spec.seed));
    if !repo.join(".git").exists() {
        let _ = std::fs::remove_dir_all(&repo);
        eprintln!("generating {} packages, {} commits in {}", spec.packages, spec.commits, repo.display());
        bench::generate(&repo, &spec).expect("generate the repository");
    }
    let root = repo.display().to_string();

    let floor =
        best(runs, || run(Command::new("git").args(["-C", &root, "log", "--name-only", "--format=%H%n%B", "HEAD"])));
    let plan = best(runs, || run(Command::new(&xtask).args(["plan", "--format", "json", "--root", &root])));
    let pkgs = bench::packages(&spec);
    let per_package = best(1, || {
        for p in &pkgs {
            run(Command::new("git").args(["-C", &root, "log", "--format=%H%n%B", "HEAD", "--", &p.dir]));
        }
    });
    println!("P1 plan: {} packages, {} commits (best of {runs} runs)", spec.packages, spec.commits);
    println!("| measure | seconds | ÷ floor |");
    println!("|---|---|---|");
    let row = |name: &str, d: Duration| {
        println!("| {name} | {:.3} | {:.2} |", d.as_secs_f64(), d.as_secs_f64() / floor.as_secs_f64())
    };
    row("one `git log --name-only` pass (floor)", floor);
    row("`xtask plan --format json`", plan);
    row("one `git log -- DIR` per package", per_package);
    println!("plan ÷ per-package approach: {:.3}", plan.as_secs_f64() / per_package.as_secs_f64());
}

fn build_xtask(workspace: &Path) -> PathBuf {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(workspace)
        .args(["build", "--release", "--quiet", "-p", "xtask"])
        .status()
        .expect("run cargo");
    assert!(status.success(), "cargo build -p xtask failed");
    workspace.join("target/release/xtask")
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run command");
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .expect("at least one run")
}
