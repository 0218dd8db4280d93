//! P6: the cost of what cargo does anyway. A generated Cargo workspace (an
//! internal dependency DAG, and real crates.io dependencies: itoa, memchr,
//! ryu, serde) is released with `xtask release` to a fresh local cargo
//! registry, with smoke tests off and on, and published with cargo's own
//! `cargo publish --workspace` (same crates, same versions) to another fresh
//! registry. The three run in turn, the order rotated each round, and each
//! release is divided by the `cargo publish --workspace` of its own round
//! (paired: a drift of the machine's speed hits both sides of a ratio).
//!
//! Whole commands are timed (what a user waits for). Every run starts from a
//! fresh clone (an empty target folder on both sides) and shares one
//! CARGO_HOME, warmed once, so that crates.io's downloads are not timed; the
//! index of crates.io is asked as cargo asks it (a network round trip per
//! resolution, through this machine's proxy).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use bench::registries::Registries;
use bench::{Spec, TempDir};

/// crates.io dependencies, small ones (a build script in serde's).
const EXTERNAL: &[(&str, &str, &str)] = &[
    ("itoa", "1", "pub fn digits(n: u64) -> usize { itoa::Buffer::new().format(n).len() }"),
    ("memchr", "2", "pub fn has_nul(b: &[u8]) -> bool { memchr::memchr(0, b).is_some() }"),
    ("ryu", "1", "pub fn float(x: f64) -> usize { ryu::Buffer::new().format(x).len() }"),
    ("serde", "1", "pub fn ser<T: serde::Serialize>(_: &T) {}"),
];

const DATE: &str = "2026-01-02T00:00:00Z";

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Cargo,
    Release { smoke: bool },
}

impl Variant {
    fn label(self) -> &'static str {
        match self {
            Variant::Cargo => "cargo publish --workspace",
            Variant::Release { smoke: false } => "release, smoke tests off",
            Variant::Release { smoke: true } => "release, smoke tests on",
        }
    }
}

/// One timed run: seconds, the (name, version) published and their cksums.
struct Run {
    secs: f64,
    published: Vec<(String, String)>,
    cksums: Vec<String>,
}

pub fn p6(xtask: &Path, crates: usize, runs: usize, jobs: Option<usize>) {
    let dir = TempDir::new("bench-p6");
    let home = dir.0.join("cargo-home");
    let template = dir.0.join("template");
    write_workspace(&template, crates);
    {
        // the lockfile and crates.io's downloads, once, untimed
        let reg = Registries::start();
        let env = env_of(&reg, &home);
        sh(&template, &env, "cargo", &["generate-lockfile", "--quiet"]);
        sh(&template, &env, "cargo", &["fetch", "--quiet"]);
        sh(&template, &env, "git", &["add", "-A"]);
        sh(&template, &env, "git", &["commit", "-q", "-m", "chore: lockfile"]);
    }
    let variants = [Variant::Cargo, Variant::Release { smoke: false }, Variant::Release { smoke: true }];
    let mut rounds: Vec<[f64; 3]> = vec![];
    let mut first: Option<Vec<(String, String)>> = None;
    // each release's .crate files: the same bytes in every round (commit dates are fixed;
    // the commit is in `.cargo_vcs_info.json`, so smoke tests on and off differ)
    let mut released: [Option<Vec<String>>; 3] = Default::default();
    for r in 0..runs {
        let mut secs = [0.0; 3];
        for k in 0..3 {
            let v = (r + k) % 3;
            let run = one(xtask, &template, &dir.0.join(format!("run-{r}-{v}")), &home, variants[v], jobs);
            eprintln!("P6 round {r}: {}: {:.1} s", variants[v].label(), run.secs);
            match &released[v] {
                None => released[v] = Some(run.cksums.clone()),
                Some(c) => assert_eq!(c, &run.cksums, "{}: the same .crate files in every round", variants[v].label()),
            }
            match &first {
                None => first = Some(run.published),
                Some(f) => assert_eq!(f, &run.published, "every run publishes the same crates at the same versions"),
            }
            secs[v] = run.secs;
        }
        rounds.push(secs);
    }
    report(crates, jobs, &rounds);
    if let Some(file) = std::env::var_os("P6_CKSUMS") {
        // to compare the bytes released before and after a change of the tool
        let lines: Vec<String> = (1..3)
            .flat_map(|v| released[v].iter().flatten().map(move |c| format!("{}: {c}", variants[v].label())))
            .collect();
        std::fs::write(file, lines.join("\n") + "\n").expect("write the cksums");
    }
}

fn report(crates: usize, jobs: Option<usize>, rounds: &[[f64; 3]]) {
    let jobs = jobs.map_or("default (4)".to_string(), |j| j.to_string());
    println!("| round | crates | `--jobs` | cargo publish --workspace s | release, smoke off s | release, smoke on s | smoke off ÷ cargo | smoke on ÷ cargo |");
    println!("|---:|---:|---|---:|---:|---:|---:|---:|");
    for (r, [cargo, off, on]) in rounds.iter().enumerate() {
        println!(
            "| {} | {crates} | {jobs} | {cargo:.1} | {off:.1} | {on:.1} | {:.2} | {:.2} |",
            r + 1,
            off / cargo,
            on / cargo
        );
    }
    let median = |f: &dyn Fn(&[f64; 3]) -> f64| {
        let mut v: Vec<f64> = rounds.iter().map(f).collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        v[v.len() / 2]
    };
    println!(
        "| **median** | | | {:.1} | {:.1} | {:.1} | **{:.2}** | **{:.2}** |",
        median(&|r| r[0]),
        median(&|r| r[1]),
        median(&|r| r[2]),
        median(&|r| r[1] / r[0]),
        median(&|r| r[2] / r[0])
    );
}

/// A fresh clone of the template, fresh registries, one timed command.
fn one(xtask: &Path, template: &Path, repo: &Path, home: &Path, variant: Variant, jobs: Option<usize>) -> Run {
    let reg = Registries::start();
    let env = env_of(&reg, home);
    let root = repo.parent().expect("a parent");
    sh(root, &env, "git", &["clone", "-q", &template.display().to_string(), &repo.display().to_string()]);
    let remote = reg.remote().display().to_string();
    sh(repo, &env, "git", &["remote", "set-url", "origin", &remote]);
    let mut cmd = match variant {
        Variant::Cargo => {
            let mut cmd = Command::new("cargo");
            cmd.args(["publish", "--quiet", "--workspace", "--registry", "local"]);
            cmd
        }
        Variant::Release { smoke } => {
            let config = format!("[cargo]\nregistry = \"local\"\n\n[release]\nsmoke-test = {smoke}\n");
            std::fs::write(repo.join("xtask-release.toml"), config).expect("config");
            sh(repo, &env, "git", &["add", "xtask-release.toml"]);
            sh(repo, &env, "git", &["commit", "-q", "-m", "chore: release settings"]);
            let mut cmd = Command::new(xtask);
            cmd.args(["release", "--yes", "--root"]).arg(repo);
            if let Some(j) = jobs {
                cmd.args(["--jobs", &j.to_string()]);
            }
            cmd.env("CI", "1");
            cmd
        }
    };
    sh(repo, &env, "git", &["push", "-q", "origin", "main"]);
    cmd.current_dir(repo).envs(env.iter().map(|(k, v)| (k, v)));
    let start = Instant::now();
    let out = cmd.output().expect("run");
    let secs = start.elapsed().as_secs_f64();
    if std::env::var_os("P6_SHOW").is_some() {
        eprintln!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
    assert!(
        out.status.success(),
        "{}: failed:\n{}\n{}",
        variant.label(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut published = vec![];
    for e in std::fs::read_dir(repo.join("crates")).expect("crates") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        for (v, cksum) in reg.crate_versions(&name) {
            let file = reg.cargo_root().join(format!("{name}-{v}.crate"));
            published.push((name.clone(), v, cksum, contents(&file, &reg.cargo_root())));
        }
    }
    published.sort();
    let cksums = published.iter().map(|(n, v, _, digest)| format!("{n} {v} contents {digest}")).collect();
    Run { secs, published: published.into_iter().map(|(n, v, _, _)| (n, v)).collect(), cksums }
}

/// A digest of a `.crate`'s members (names in order, bytes) with
/// the registry's path, which differs from run to run, replaced: the crates
/// that depend on others name it in their Cargo.toml and Cargo.lock (and
/// their Cargo.lock has the checksums of those crates).
fn contents(file: &Path, registry: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let tar = |flags: &str| {
        let out = Command::new("tar").arg(flags).arg(file).output().expect("tar");
        assert!(out.status.success(), "tar {flags} {}", file.display());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = tar("-tzf") + &tar("-xzOf");
    let text = text.replace(&registry.display().to_string(), "REGISTRY");
    // and, in Cargo.lock, the checksums of crates from that registry (which name it)
    let mut local = false;
    let normal: String = text
        .lines()
        .map(|l| {
            if l.starts_with("source = ") {
                local = l.contains("REGISTRY");
            }
            if local && l.starts_with("checksum = ") {
                "checksum = (of a crate of this registry)\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    // the digest only names the contents in BENCHMARKS.md; rounds compare it
    let mut h = std::hash::DefaultHasher::new();
    normal.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// The registries' environment, with the CARGO_HOME every run shares and
/// fixed commit dates (the same commits, so the same bytes, in every round).
fn env_of(reg: &Registries, home: &Path) -> Vec<(String, String)> {
    let mut env = reg.env();
    env.push(("GIT_AUTHOR_DATE".into(), DATE.into()));
    env.push(("GIT_COMMITTER_DATE".into(), DATE.into()));
    for (k, v) in &mut env {
        if k == "CARGO_HOME" {
            *v = home.display().to_string();
        }
    }
    env
}

fn sh(dir: &Path, env: &[(String, String)], program: &str, args: &[&str]) {
    let out =
        Command::new(program).args(args).current_dir(dir).envs(env.iter().map(|(k, v)| (k, v))).output().expect("run");
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `crates/crate-N`: the DAG of `bench::packages` (cargo only, 4 levels),
/// each crate of the lowest level with one or two crates.io dependencies.
fn write_workspace(root: &Path, crates: usize) {
    let spec = Spec { packages: crates, depth: 4, seed: 6, cargo_only: true, tags: false, ..Spec::default() };
    let pkgs = bench::packages(&spec);
    let write = |path: PathBuf, text: String| {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(root.join("Cargo.toml"), "[workspace]\nresolver = \"2\"\nmembers = [\"crates/*\"]\n".into());
    write(root.join(".gitignore"), "/target\n".into());
    for (i, p) in pkgs.iter().enumerate() {
        let mut manifest = format!(
            "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\ndescription = \"synthetic crate {i}\"\nlicense = \"MIT\"\npublish = [\"local\"]\n\n[dependencies]\n",
            p.name
        );
        let mut lib = format!("pub fn id() -> usize {{ {i} }}\n");
        for &d in &p.deps {
            let dep = &pkgs[d].name;
            manifest
                .push_str(&format!("{dep} = {{ version = \"0.1.0\", path = \"../{dep}\", registry = \"local\" }}\n"));
            lib.push_str(&format!("pub fn sum_{d}() -> usize {{ {}::id() + id() }}\n", dep.replace('-', "_")));
        }
        // the lowest level and every third crate above it use crates.io
        if p.level == 0 || i % 3 == 0 {
            for (name, version, code) in [EXTERNAL[i % EXTERNAL.len()], EXTERNAL[(i + 1) % EXTERNAL.len()]] {
                manifest.push_str(&format!("{name} = \"{version}\"\n"));
                lib.push_str(code);
                lib.push('\n');
            }
        }
        write(root.join(&p.dir).join("Cargo.toml"), manifest);
        write(root.join(&p.dir).join("src/lib.rs"), lib);
    }
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .env("GIT_AUTHOR_NAME", "bench")
            .env("GIT_AUTHOR_EMAIL", "bench@example.invalid")
            .env("GIT_COMMITTER_NAME", "bench")
            .env("GIT_COMMITTER_EMAIL", "bench@example.invalid")
            .env("GIT_AUTHOR_DATE", DATE)
            .env("GIT_COMMITTER_DATE", DATE)
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "feat: the crates"]);
}
