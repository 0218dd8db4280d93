//! The corpus of real repositories (`tests/corpus/`, made by `tests/corpus/snapshot.py`): each snapshot of
//! manifests and lockfiles is committed into a temporary repository and what xtask discovers is compared with
//! what the judges said about the same commit: `cargo metadata` (`expected-cargo.json`) and uv's lockfile
//! (`expected-uv.json`). Every command then runs on every entry: no panic, no uncoded failure, dependencies
//! ordered before their dependents in the plan.
//!
//! Plus the false alarms of `check` the corpus found, each as a small test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use xtask::version::{Ecosystem, Version};
use xtask::workspace::{DepKind, Workspace};

use crate::fixtures::{crate_manifest, mixed_files};
use crate::support::{git_env, Repo, Run};

/// The mixed repositories (a Cargo workspace and a maturin package built from one of its crates, judged by
/// both cargo and uv): (entry, the Python package, the crate it is built from). `graph` must show the pair.
const MIXED: &[(&str, &str, &str)] = &[
    ("pydantic", "pydantic-core", "pydantic-core"),
    ("pydantic-core", "pydantic-core", "pydantic-core"),
    ("ruff", "ruff", "ruff"),
    ("tokenizers", "tokenizers", "tokenizers-python"),
    ("uv", "uv", "uv"),
];

/// Deliberate differences from the judges, applied to every entry: (what, why).
const DELIBERATE_DIFFERENCES: &[(&str, &str)] = &[
    (
        "uv's optional dependencies (extras) are normal edges for xtask",
        "installing `core[plugin]` needs the plugin published first, so extras order publishing",
    ),
    (
        "Python versions are compared only where uv.lock records one, as PEP 440 versions",
        "uv leaves dynamic versions out of uv.lock; `1.0` and `1.0.0` are one version",
    ),
    (
        "cargo's `publish = [\"registry\"]` list is compared only as publishable or not",
        "xtask publishes to the one registry configured for it ([cargo] registry)",
    ),
    (
        "an optional (extra) edge that would close a cycle does not order publishing",
        "the plugin pattern (core[plugin] -> plugin -> core): the core is published first, the plugin right after; \
         `graph` lists the edge as dropped",
    ),
    ("uv's edges carry the extras and groups they come from; only the kind is compared", "xtask keeps the kind only"),
    (
        "a crate without `version` is 0.0.0 for cargo and versionless for xtask",
        "both treat it as unpublishable; xtask does not invent a version to write back",
    ),
];

fn corpus_dir() -> PathBuf {
    crate::support::workspace().join("tests/corpus")
}

struct Entry {
    name: String,
    dir: PathBuf,
    source: toml_edit::DocumentMut,
}

impl Entry {
    fn get(&self, key: &str) -> Option<&str> {
        self.source.get(key).and_then(|v| v.as_str())
    }

    fn json(&self, file: &str) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir.join(file)).ok()?;
        Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}/{file}: {e}", self.name)))
    }

    /// The snapshot, committed once into a fresh repository.
    fn repository(&self) -> Repo {
        let repo = Repo::new(&format!("corpus-{}", self.name));
        copy_tree(&self.dir, &self.dir, repo.path());
        let mut config = String::new();
        if let Some(root) = self.get("cargo-root").filter(|r| *r != ".") {
            config.push_str(&format!("[cargo]\nroot = \"{root}\"\n"));
        }
        if let Some(root) = self.get("python-root").filter(|r| *r != ".") {
            config.push_str(&format!("[python]\nroot = \"{root}\"\n"));
        }
        if !config.is_empty() {
            repo.write("xtask-release.toml", &config);
        }
        // files the repository's own .gitignore would skip were committed there all the same
        repo.git(&["add", "-A", "-f"]);
        repo.commit(&format!("chore: snapshot of {} at {}", self.get("repo").unwrap(), self.get("commit").unwrap()));
        repo
    }
}

fn copy_tree(top: &Path, dir: &Path, dest: &Path) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let rel = p.strip_prefix(top).unwrap().to_str().unwrap().to_string();
        if p.is_dir() {
            copy_tree(top, &p, dest);
            continue;
        }
        let rel = match rel.as_str() {
            "SOURCE" | "expected-cargo.json" | "expected-uv.json" => continue,
            "gitignore" => ".gitignore".to_string(),
            _ => rel,
        };
        let to = dest.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&p, to).unwrap();
    }
}

fn entries() -> Vec<Entry> {
    let mut out = vec![];
    for e in std::fs::read_dir(corpus_dir()).unwrap().flatten() {
        let source = e.path().join("SOURCE");
        if !source.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&source).unwrap();
        out.push(Entry {
            name: e.file_name().to_str().unwrap().to_string(),
            dir: e.path(),
            source: text.parse().unwrap_or_else(|err| panic!("{}: {err}", source.display())),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn normalize(name: &str) -> String {
    xtask::workspace::pep508::normalize(name)
}

fn kind_name(kind: DepKind) -> &'static str {
    match kind {
        DepKind::Normal => "normal",
        DepKind::Build => "build",
        DepKind::Dev => "dev",
        DepKind::Compiled => "compiled",
    }
}

/// Set differences, printed both ways.
fn diff<T: Ord + std::fmt::Debug + Clone>(what: &str, expected: &BTreeSet<T>, actual: &BTreeSet<T>) -> Vec<String> {
    let missing: Vec<&T> = expected.difference(actual).collect();
    let extra: Vec<&T> = actual.difference(expected).collect();
    let mut out = vec![];
    if !missing.is_empty() {
        out.push(format!("{what}: xtask misses {missing:?}"));
    }
    if !extra.is_empty() {
        out.push(format!("{what}: xtask has, the judge has not, {extra:?}"));
    }
    out
}

/// What cargo metadata says against what xtask discovered; one line per disagreement.
fn compare_cargo(ws: &Workspace, expected: &serde_json::Value) -> Vec<String> {
    let mut out = vec![];
    let ours: BTreeMap<&str, &xtask::workspace::Package> =
        ws.packages.iter().filter(|p| p.ecosystem == Ecosystem::Cargo).map(|p| (p.name.as_str(), p)).collect();
    let members = expected["members"].as_array().unwrap();
    let names: BTreeSet<String> = members.iter().map(|m| m["name"].as_str().unwrap().to_string()).collect();
    out.extend(diff("cargo members", &names, &ours.keys().map(|s| s.to_string()).collect()));
    for m in members {
        let name = m["name"].as_str().unwrap();
        let Some(p) = ours.get(name) else { continue };
        if p.version_text != m["version"].as_str().unwrap() && !(p.version_text.is_empty() && m["version"] == "0.0.0") {
            out.push(format!("{name}: version {} but cargo says {}", p.version_text, m["version"]));
        }
        if p.manifest != m["manifest"].as_str().unwrap() {
            out.push(format!("{name}: manifest {} but cargo says {}", p.manifest, m["manifest"]));
        }
        let publishable = m["publish"] != false;
        if publishable != p.unpublishable.is_none() {
            out.push(format!(
                "{name}: publishable {} but cargo says publish = {}",
                p.unpublishable.is_none(),
                m["publish"]
            ));
        }
    }
    let expected_edges: BTreeSet<(String, String, String)> = expected["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["from"].as_str().unwrap().into(), e["to"].as_str().unwrap().into(), e["kind"].as_str().unwrap().into())
        })
        .collect();
    let our_edges: BTreeSet<(String, String, String)> = ours
        .values()
        .flat_map(|p| p.deps.iter().map(|d| (p.name.clone(), d.name.clone(), kind_name(d.kind).to_string())))
        .collect();
    out.extend(diff("cargo edges", &expected_edges, &our_edges));
    out
}

/// What uv's lockfile says against what xtask discovered.
fn compare_uv(ws: &Workspace, expected: &serde_json::Value) -> Vec<String> {
    let mut out = vec![];
    let ours: BTreeMap<String, &xtask::workspace::Package> =
        ws.packages.iter().filter(|p| p.ecosystem == Ecosystem::Python).map(|p| (normalize(&p.name), p)).collect();
    let members = expected["members"].as_array().unwrap();
    let names: BTreeSet<String> = members.iter().map(|m| normalize(m["name"].as_str().unwrap())).collect();
    out.extend(diff("uv members", &names, &ours.keys().cloned().collect()));
    for m in members {
        let name = normalize(m["name"].as_str().unwrap());
        let (Some(p), Some(v)) = (ours.get(&name), m["version"].as_str()) else { continue };
        let same = match (Version::parse(Ecosystem::Python, v), &p.version) {
            (Ok(a), Some(b)) => a == *b,
            _ => false,
        };
        if !same {
            out.push(format!("{name}: version {:?} but uv.lock says {v}", p.version_text));
        }
    }
    let expected_edges: BTreeSet<(String, String, String)> = expected["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let kind = match e["kind"].as_str().unwrap() {
                "optional" => "normal", // see DELIBERATE_DIFFERENCES
                k => k,
            };
            (normalize(e["from"].as_str().unwrap()), normalize(e["to"].as_str().unwrap()), kind.to_string())
        })
        .collect();
    let our_edges: BTreeSet<(String, String, String)> = ours
        .iter()
        .flat_map(|(n, p)| {
            // a crate compiled into the wheel is cargo's edge, not uv's
            p.deps
                .iter()
                .filter(|d| d.kind != DepKind::Compiled)
                .map(move |d| (n.clone(), normalize(&d.name), kind_name(d.kind).to_string()))
        })
        .collect();
    out.extend(diff("uv edges", &expected_edges, &our_edges));
    out
}

/// A command's outcome: success, or a coded failure with a help line; never a panic.
fn sane(entry: &str, args: &[&str], run: &Run) -> Vec<String> {
    let mut out = vec![];
    if run.stderr.contains("panicked") || !(run.code == 0 || run.code == 1) {
        out.push(format!("`{}` crashed (exit {}):\n{}", args.join(" "), run.code, run.stderr));
    } else if run.code == 1 && !(run.stderr.contains("error[XR") && run.stderr.lines().any(|l| l.starts_with("help: ")))
    {
        out.push(format!("`{}` failed without a code and help line:\n{}", args.join(" "), run.stderr));
    }
    out.into_iter().map(|m| format!("{entry}: {m}")).collect()
}

fn failure_code(run: &Run) -> Option<String> {
    let start = run.stderr.find("error[")? + 6;
    Some(run.stderr[start..].split(']').next()?.to_string())
}

/// Every normal and build (cargo) or normal and optional (uv) edge the judges know, dependency first.
fn ordering_edges(entry: &Entry) -> Vec<(String, String)> {
    let mut out = vec![];
    for (file, kinds) in [("expected-cargo.json", ["normal", "build"]), ("expected-uv.json", ["normal", "optional"])] {
        let Some(expected) = entry.json(file) else { continue };
        for e in expected["edges"].as_array().unwrap() {
            let (from, to) = (e["from"].as_str().unwrap(), e["to"].as_str().unwrap());
            if kinds.contains(&e["kind"].as_str().unwrap()) && normalize(from) != normalize(to) {
                out.push((from.to_string(), to.to_string()));
            }
        }
    }
    out
}

/// Runs one entry; returns its disagreements (empty when it passes) and a one-line summary.
fn run_entry(entry: &Entry) -> (Vec<String>, String, Option<String>) {
    let repo = entry.repository();
    let before = repo.fingerprint();
    let mut problems = vec![];
    let plan_args = ["plan", "--format", "json"];
    let plan = repo.xtask(&plan_args);
    problems.extend(sane(&entry.name, &plan_args, &plan));
    for format in ["levels", "ascii", "dot", "mermaid", "json"] {
        let args = ["graph", "--format", format];
        let run = repo.xtask(&args);
        problems.extend(sane(&entry.name, &args, &run));
        if run.code != plan.code && plan.code == 0 {
            problems
                .push(format!("{}: plan succeeds but `graph --format {format}` fails:\n{}", entry.name, run.stderr));
        }
    }
    for args in [&["check"][..], &["check", "--format", "json"][..]] {
        let run = repo.xtask(args);
        problems.extend(sane(&entry.name, args, &run));
    }
    assert_eq!(before, repo.fingerprint(), "{}: plan, graph and check must not write", entry.name);
    if plan.code != 0 {
        let code = failure_code(&plan);
        problems.push(format!("{}: plan fails: {}", entry.name, plan.stderr.trim()));
        return (problems, format!("{}: plan fails with {}", entry.name, code.clone().unwrap_or_default()), code);
    }

    let ws = xtask::repo::Repo::load(Some(repo.path()), None).expect("plan succeeded").ws;
    for (file, compare) in [
        ("expected-cargo.json", compare_cargo as fn(&Workspace, &serde_json::Value) -> Vec<String>),
        ("expected-uv.json", compare_uv),
    ] {
        if let Some(expected) = entry.json(file) {
            problems.extend(compare(&ws, &expected).into_iter().map(|m| format!("{}: {m}", entry.name)));
        }
    }

    // the plan orders every dependency before its dependents
    let plan = plan.json();
    let order: BTreeMap<String, u64> = plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (normalize(p["name"].as_str().unwrap()), p["order"].as_u64().unwrap()))
        .collect();
    let graph = repo.xtask(&["graph", "--format", "json"]).json();
    let dropped: BTreeSet<(String, String)> = graph["dropped_edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (normalize(e["from"].as_str().unwrap()), normalize(e["to"].as_str().unwrap())))
        .collect();
    if let Some((_, py, krate)) = MIXED.iter().find(|(name, _, _)| *name == entry.name) {
        let pairs: Vec<(String, String)> = graph["built_from"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| (p["python"].as_str().unwrap().to_string(), p["crate"].as_str().unwrap().to_string()))
            .collect();
        let bare = |s: &str| s.rsplit(':').next().unwrap().to_string();
        if !pairs.iter().any(|(p, c)| normalize(&bare(p)) == normalize(py) && bare(c) == *krate) {
            problems.push(format!("{}: graph does not show {py} built from crate {krate}: {pairs:?}", entry.name));
        }
        // one version for the pair: the Python one is the crate's read as PEP 440 (maturin's mapping)
        let next_of = |name: &str, eco: &str| {
            plan["packages"].as_array().unwrap().iter().find(|p| p["name"] == name && p["ecosystem"] == eco)?
                ["next_version"]
                .as_str()
        };
        if let (Some(p), Some(c)) = (next_of(py, "python"), next_of(krate, "cargo")) {
            if Version::parse(Ecosystem::Python, p).ok() != Version::parse(Ecosystem::Python, c).ok() {
                problems.push(format!("{}: the pair gets two versions: {py} {p}, crate {krate} {c}", entry.name));
            }
        }
    }
    let edges = ordering_edges(entry);
    for (from, to) in edges.iter().filter(|(f, t)| !dropped.contains(&(normalize(f), normalize(t)))) {
        if let (Some(a), Some(b)) = (order.get(&normalize(from)), order.get(&normalize(to))) {
            if b >= a {
                problems.push(format!("{}: {to} (#{b}) is not planned before its dependent {from} (#{a})", entry.name));
            }
        }
    }

    // check: no false alarms of the kinds the corpus found
    let report = repo.xtask(&["check", "--format", "json"]).json();
    // lockfiles over 1 MB stay out of the snapshot (SOURCE `left-out`): their absence is not a finding
    let left_out: Vec<String> = entry
        .source
        .get("left-out")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str()?.split(' ').next().map(str::to_string)).collect())
        .unwrap_or_default();
    let mut findings = vec![];
    for c in report["checks"].as_array().unwrap() {
        for p in c["problems"].as_array().unwrap() {
            let message = p["message"].as_str().unwrap();
            if left_out.iter().any(|f| *message == format!("{f} is missing")) {
                continue;
            }
            findings.push(format!("{}: {message}", c["name"].as_str().unwrap()));
            if message.ends_with(" is missing") {
                let lock = message.trim_end_matches(" is missing");
                if git_ignores(repo.path(), lock) {
                    problems.push(format!("{}: check reports {lock} missing, which .gitignore ignores", entry.name));
                }
            }
            // uv refuses a `{ workspace = true }` source for a non-member that a member requires, so in an
            // entry uv locked, such a source is unused: a warning at most
            if c["ok"] == false && message.contains("{ workspace = true } but no workspace member") {
                problems.push(format!("{}: check fails on a source uv accepts: {message}", entry.name));
            }
            for member in ws.packages.iter().filter(|m| message.contains(&format!("path `{}`", m.dir))) {
                problems.push(format!("{}: check calls member {} a non-member: {message}", entry.name, member.name));
            }
        }
    }
    let summary = format!(
        "{}: {} packages, {} ordering edges, check: {}",
        entry.name,
        ws.packages.len(),
        edges.len(),
        if findings.is_empty() { "clean".to_string() } else { format!("{} findings", findings.len()) }
    );
    if std::env::var_os("CORPUS_VERBOSE").is_some() {
        for f in findings {
            eprintln!("  {}: {f}", entry.name);
        }
    }
    (problems, summary, None)
}

fn git_ignores(root: &Path, rel: &str) -> bool {
    git_env(std::process::Command::new("git").arg("-C").arg(root).args(["check-ignore", "-q", "--", rel]))
        .status()
        .unwrap()
        .success()
}

#[test]
fn corpus_of_real_repositories() {
    for (what, why) in DELIBERATE_DIFFERENCES {
        eprintln!("deliberate difference: {what} ({why})");
    }
    let entries = entries();
    assert!(entries.len() >= 15, "the corpus has {} entries", entries.len());
    let only = std::env::var("CORPUS_ONLY").ok();
    let mut failures = vec![];
    for entry in entries.iter().filter(|e| only.as_deref().is_none_or(|o| o.split(',').any(|n| n == e.name))) {
        let (problems, summary, _) = run_entry(entry);
        eprintln!("{}  {summary}", if problems.is_empty() { "ok     " } else { "FAIL   " });
        failures.extend(problems);
    }
    assert!(failures.is_empty(), "{} disagreement(s):\n{}", failures.len(), failures.join("\n"));
}

/// A repository that ignores its lockfile on purpose is not told to commit one.
#[test]
fn check_accepts_a_lockfile_the_repository_ignores() {
    let repo = Repo::new("ignored-lock");
    mixed_files(&repo);
    repo.write(".gitignore", "/target\nCargo.lock\n");
    repo.commit("chore: init");
    let report = repo.xtask(&["check", "--format", "json"]).fails_with("XR060").json();
    let lockfiles = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "lockfiles").unwrap();
    let messages: Vec<&str> =
        lockfiles["problems"].as_array().unwrap().iter().map(|p| p["message"].as_str().unwrap()).collect();
    // uv.lock is not ignored: still reported
    assert_eq!(messages, ["py/uv.lock is missing"]);
}

/// `crates/foo/macros`, used by `crates/foo` through a path but not listed in `members`, is a member (as in
/// cargo): planned, ordered first, and not reported by `check`.
#[test]
fn implicit_members_are_planned_and_not_reported() {
    let repo = Repo::new("implicit");
    repo.write("Cargo.toml", "[workspace]\nresolver = \"2\"\nmembers = [\"crates/foo\"]\n")
        .write(
            "crates/foo/Cargo.toml",
            &crate_manifest("foo", "1.0.0", "foo-macros = { version = \"1.0.0\", path = \"macros\" }\n"),
        )
        .write("crates/foo/macros/Cargo.toml", &crate_manifest("foo-macros", "1.0.0", ""))
        .write(
            "Cargo.lock",
            "version = 4\n\n[[package]]\nname = \"foo\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"foo-macros\"\nversion = \"1.0.0\"\n",
        );
    repo.commit("chore: init");
    let plan = repo.plan(&[]);
    let names: Vec<&str> = plan["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["foo-macros", "foo"]);
    let run = repo.xtask(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

/// The snapshot script records where each entry comes from.
#[test]
fn every_entry_names_its_source() {
    for e in entries() {
        assert!(e.get("repo").is_some_and(|r| r.contains('/')), "{}: SOURCE has no repo", e.name);
        assert!(e.get("commit").is_some_and(|c| c.len() == 40), "{}: SOURCE has no commit", e.name);
        assert!(
            e.dir.join("expected-cargo.json").is_file() || e.dir.join("expected-uv.json").is_file(),
            "{}: no expected answers",
            e.name
        );
    }
}

/// A Python root that is a single project, not a uv workspace, is not told to commit a uv.lock (issue 9).
#[test]
fn check_accepts_a_single_project_without_uv_lock() {
    let repo = Repo::new("single-project");
    repo.write("pyproject.toml", &crate::fixtures::py_manifest("solo", "1.0.0", &[], &[]));
    repo.commit("chore: init");
    let run = repo.xtask(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

/// The tokenizers snapshot with the Cargo root at its `tokenizers/` crate (the crate it publishes) and the
/// Python root at `bindings/python`: the maturin crate `tokenizers-python` is outside the Cargo root. The
/// judge is `cargo metadata` on that crate (run here, on the snapshot with stub sources): the path
/// dependencies it lists that are members of the Cargo root are what the Python package is planned after.
#[test]
fn tokenizers_bindings_outside_the_cargo_root_wait_for_the_crates_they_compile_in() {
    let entry = entries().into_iter().find(|e| e.name == "tokenizers").expect("the tokenizers entry");
    let repo = entry.repository();
    repo.write(
        "xtask-release.toml",
        "[cargo]\nroot = \"tokenizers\"\n\n[python]\nroot = \"bindings/python\"\n\n[tags]\npython = \"py-{name}-v{version}\"\n",
    );
    repo.commit("chore: release the tokenizers crate and its bindings");

    // the judge: cargo's path dependencies of the maturin crate (stub sources so that cargo reads the manifests)
    let judge = crate::support::TempDir::new("tokenizers-judge");
    copy_tree(&entry.dir, &entry.dir, &judge.0);
    for dir in ["tokenizers", "bindings/python"] {
        std::fs::create_dir_all(judge.0.join(dir).join("src")).unwrap();
        std::fs::write(judge.0.join(dir).join("src/lib.rs"), "").unwrap();
    }
    let out = std::process::Command::new("cargo")
        .args(["metadata", "--no-deps", "--offline", "--format-version", "1", "--manifest-path"])
        .arg(judge.0.join("bindings/python/Cargo.toml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let members = ["tokenizers"]; // cargo's members of the Cargo root (tokenizers/Cargo.toml is one package)
    let mut expected: Vec<String> = meta["packages"][0]["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"].is_string() && d["kind"].is_null())
        .map(|d| d["name"].as_str().unwrap().to_string())
        .filter(|n| members.contains(&n.as_str()))
        .map(|n| format!("cargo:{n}"))
        .collect();
    expected.sort();
    assert_eq!(expected, ["cargo:tokenizers"], "the judge");

    let plan = repo.plan(&[]);
    let of = |name: &str, eco: &str| {
        plan["packages"].as_array().unwrap().iter().find(|p| p["name"] == name && p["ecosystem"] == eco).unwrap()
    };
    let py = of("tokenizers", "python");
    assert_eq!(py["dependencies"], serde_json::json!(expected), "{plan}");
    assert!(py["order"].as_u64() > of("tokenizers", "cargo")["order"].as_u64(), "{plan}");
    let reason = py["reason"].as_str().unwrap();
    assert!(
        reason.contains("crate tokenizers-python in bindings/python/Cargo.toml, outside the Cargo root"),
        "{reason}"
    );
}
