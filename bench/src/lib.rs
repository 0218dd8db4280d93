//! Seeded synthetic repositories for tests and benchmarks: N packages (crates
//! and Python packages, mixed) with a random dependency DAG of a chosen depth,
//! M commits touching random packages with realistic Conventional Commit
//! messages (some with bodies and `BREAKING CHANGE:` footers), and tags for
//! past releases. Written with one `git fast-import`, so 100,000 commits take
//! seconds. Same seed, same repository (hashes included: dates are fixed).

pub mod limiter;
pub mod registries;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A folder under the system temp dir, removed on drop (kept with KEEP_TEST_DIRS=1).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("xtask-e2e-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub packages: usize,
    pub commits: usize,
    pub depth: usize,
    pub seed: u64,
    /// Tag every package at the first commit and a third of them mid-history.
    pub tags: bool,
    /// A cargo registry for internal dependencies (`registry = "local"`), to publish for real.
    pub cargo_registry: Option<String>,
    /// Crates only (no Python packages).
    pub cargo_only: bool,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec { packages: 30, commits: 200, depth: 4, seed: 1, tags: true, cargo_registry: None, cargo_only: false }
    }
}

/// splitmix64: small, seeded, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

pub struct Pkg {
    pub name: String,
    pub python: bool,
    pub dir: String,
    pub level: usize,
    pub deps: Vec<usize>,
    pub version: (u64, u64, u64),
}

impl Pkg {
    fn manifest_path(&self) -> String {
        format!("{}/{}", self.dir, if self.python { "pyproject.toml" } else { "Cargo.toml" })
    }
    fn source_path(&self) -> String {
        if self.python {
            format!("{}/src/{}/__init__.py", self.dir, self.name.replace('-', "_"))
        } else {
            format!("{}/src/lib.rs", self.dir)
        }
    }
    fn version(&self) -> String {
        format!("{}.{}.{}", self.version.0, self.version.1, self.version.2)
    }
}

fn manifest(pkgs: &[Pkg], i: usize, registry: Option<&str>) -> String {
    let p = &pkgs[i];
    let mut s = String::new();
    if p.python {
        let _ = writeln!(s, "[project]\nname = \"{}\"\nversion = \"{}\"", p.name, p.version());
        let _ = writeln!(s, "description = \"synthetic package {i}\"\nlicense = \"MIT\"\nrequires-python = \">=3.9\"");
        let deps: Vec<String> = p.deps.iter().map(|&d| format!("\"{}>={}\"", pkgs[d].name, "0.1")).collect();
        let _ = writeln!(s, "dependencies = [{}]", deps.join(", "));
        if !p.deps.is_empty() {
            s.push_str("\n[tool.uv.sources]\n");
            for &d in &p.deps {
                let _ = writeln!(s, "{} = {{ workspace = true }}", pkgs[d].name);
            }
        }
        s.push_str("\n[build-system]\nrequires = [\"uv_build>=0.8.0,<0.14\"]\nbuild-backend = \"uv_build\"\n");
    } else {
        let _ = writeln!(s, "[package]\nname = \"{}\"\nversion = \"{}\"\nedition = \"2021\"", p.name, p.version());
        let _ = writeln!(s, "description = \"synthetic crate {i}\"\nlicense = \"MIT\"\n\n[dependencies]");
        for &d in &p.deps {
            let reg = registry.map(|r| format!(", registry = \"{r}\"")).unwrap_or_default();
            let _ = writeln!(s, "{} = {{ version = \"0.1\", path = \"../{}\"{reg} }}", pkgs[d].name, pkgs[d].name);
        }
    }
    s
}

const KINDS: &[(&str, u64)] =
    &[("feat", 20), ("fix", 30), ("chore", 15), ("docs", 10), ("refactor", 10), ("perf", 5), ("test", 5), ("ci", 5)];

fn message(rng: &mut Rng, scope: &str, n: usize) -> String {
    let mut roll = rng.below(100) as u64;
    let mut kind = "chore";
    for (k, w) in KINDS {
        if roll < *w {
            kind = k;
            break;
        }
        roll -= w;
    }
    let bang = if rng.chance(1) { "!" } else { "" };
    let mut m = format!("{kind}({scope}){bang}: change number {n}");
    if rng.chance(10) {
        let _ = write!(m, "\n\nA longer explanation of change {n}.\nIt spans lines: a: b, c\u{1f}d.");
    }
    if rng.chance(2) {
        let _ = write!(m, "\n\nBREAKING CHANGE: the API of {scope} changed");
    }
    m
}

/// The packages a spec yields (pure; `generate` writes them).
pub fn packages(spec: &Spec) -> Vec<Pkg> {
    let mut rng = Rng::new(spec.seed);
    let depth = spec.depth.max(1);
    let mut pkgs: Vec<Pkg> = (0..spec.packages)
        .map(|i| {
            let python = !spec.cargo_only && i % 2 == 1;
            // the position among its ecosystem's packages, and how many that ecosystem has
            let (k, of) = if spec.cargo_only { (i, spec.packages) } else { (i / 2, spec.packages.div_ceil(2)) };
            let name = if python { format!("py-pkg-{i}") } else { format!("crate-{i}") };
            let dir = if python { format!("py/packages/{name}") } else { format!("crates/{name}") };
            Pkg { name, python, dir, level: k * depth / of.max(1), deps: vec![], version: (0, 1, 0) }
        })
        .collect();
    for i in 0..pkgs.len() {
        if pkgs[i].level == 0 {
            continue;
        }
        let candidates: Vec<usize> =
            (0..pkgs.len()).filter(|&j| pkgs[j].python == pkgs[i].python && pkgs[j].level < pkgs[i].level).collect();
        // one dependency on the level just below keeps the chain as deep as asked
        let below: Vec<usize> = candidates.iter().copied().filter(|&j| pkgs[j].level + 1 == pkgs[i].level).collect();
        if !below.is_empty() {
            let d = below[rng.below(below.len())];
            pkgs[i].deps.push(d);
        }
        for _ in 0..rng.below(3) {
            let d = candidates[rng.below(candidates.len())];
            if !pkgs[i].deps.contains(&d) {
                pkgs[i].deps.push(d);
            }
        }
        pkgs[i].deps.sort();
    }
    pkgs
}

/// Creates the repository in `dir` (which must not exist or be empty).
/// Layout: `crates/*` (Cargo workspace at the root), `py/packages/*` (uv
/// workspace in `py/`), and an `xtask-release.toml` that points at `py`.
pub fn generate(dir: &Path, spec: &Spec) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut pkgs = packages(spec);
    let mut rng = Rng::new(spec.seed ^ 0x5eed);
    let git = |args: &[&str]| Command::new("git").arg("-C").arg(dir).args(args).status();
    git(&["init", "-q", "-b", "main"])?;
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["fast-import", "--quiet", "--done"])
        .stdin(Stdio::piped())
        .spawn()?;
    let mut out = std::io::BufWriter::new(child.stdin.take().expect("piped"));
    let mut time = 1_600_000_000u64;
    let mut mark = 0usize;
    let mut commit = |out: &mut dyn std::io::Write,
                      msg: &str,
                      files: &[(String, String)],
                      time: &mut u64|
     -> std::io::Result<usize> {
        mark += 1;
        *time += 60;
        writeln!(out, "commit refs/heads/main\nmark :{mark}\ncommitter Synth <synth@example.invalid> {time} +0000")?;
        writeln!(out, "data {}\n{msg}", msg.len())?;
        for (path, content) in files {
            writeln!(out, "M 100644 inline {path}\ndata {}\n{content}", content.len())?;
        }
        Ok(mark)
    };
    let tag = |out: &mut dyn std::io::Write, name: &str, mark: usize, time: u64| -> std::io::Result<()> {
        writeln!(
            out,
            "tag {name}\nfrom :{mark}\ntagger Synth <synth@example.invalid> {time} +0000\ndata {}\n{name}",
            name.len()
        )
    };

    let mut files: Vec<(String, String)> = vec![
        ("Cargo.toml".into(), "[workspace]\nresolver = \"2\"\nmembers = [\"crates/*\"]\n".into()),
        ("py/pyproject.toml".into(), "[tool.uv.workspace]\nmembers = [\"packages/*\"]\n".into()),
        ("xtask-release.toml".into(), "[python]\nroot = \"py\"\n".into()),
    ];
    for i in 0..pkgs.len() {
        files.push((pkgs[i].manifest_path(), manifest(&pkgs, i, spec.cargo_registry.as_deref())));
        let first_line = if pkgs[i].python { "# 0\n" } else { "// 0\n" };
        files.push((pkgs[i].source_path(), first_line.into()));
    }
    let first = commit(&mut out, "chore: initial import", &files, &mut time)?;
    if spec.tags {
        for p in &pkgs {
            tag(&mut out, &format!("{}-v{}", p.name, p.version()), first, time)?;
        }
    }
    let release_at = if spec.tags { spec.commits / 2 } else { usize::MAX };
    for n in 1..spec.commits {
        if n == release_at {
            // a past release: a third of the packages got a patch release here
            let mut files = vec![];
            let mut released = vec![];
            for i in 0..pkgs.len() {
                if rng.chance(33) {
                    pkgs[i].version.2 += 1;
                    files.push((pkgs[i].manifest_path(), manifest(&pkgs, i, spec.cargo_registry.as_deref())));
                    released.push(i);
                }
            }
            let names: Vec<String> =
                released.iter().map(|&i| format!("{}@{}", pkgs[i].name, pkgs[i].version())).collect();
            let m = commit(&mut out, &format!("chore(release): {}", names.join(", ")), &files, &mut time)?;
            for i in released {
                tag(&mut out, &format!("{}-v{}", pkgs[i].name, pkgs[i].version()), m, time)?;
            }
            continue;
        }
        let touched = 1 + rng.below(3).min(rng.below(3));
        let mut files = vec![];
        let mut scope = String::new();
        for _ in 0..touched {
            let i = rng.below(pkgs.len());
            if scope.is_empty() {
                scope = pkgs[i].name.clone();
            }
            let comment = if pkgs[i].python { "#" } else { "//" };
            files.push((pkgs[i].source_path(), format!("{comment} {n}\n")));
        }
        let msg = message(&mut rng, &scope, n);
        commit(&mut out, &msg, &files, &mut time)?;
    }
    writeln!(out, "done")?;
    out.flush()?;
    drop(out);
    let status = child.wait()?;
    if !status.success() {
        return Err(std::io::Error::other("git fast-import failed"));
    }
    git(&["checkout", "-q", "-f", "main"])?;
    Ok(())
}
