//! `cargo xtask init`: set a repository up for xtask-release.
//!
//! Without `--into`, it writes `xtask-release.toml` for the repository the
//! xtask is in. With `--into DIR` it also copies this xtask's own source into
//! `DIR/xtask` (the template), makes it a member of DIR's Cargo workspace (or
//! gives it a workspace of its own at DIR), adds the `xtask` alias to
//! `DIR/.cargo/config.toml` and has git ignore `/target`.
//!
//! The configuration is inferred from what is there (`look` gathers, `infer`
//! decides, pure). Every change is computed first, as whole files; unchanged
//! ones are dropped, so a second run finds nothing to do. Then the refusals
//! (uncommitted changes; someone's file replaced without `--yes`), then a dry
//! run prints the changes as diffs, and everything is written through `Ctx`.

mod diff;
pub mod infer;
mod lock;

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item};
use xshell::{cmd, Shell};

use crate::config::{Config, FILE_NAME};
use crate::error::{fail, Code};
use crate::history;
use crate::repo::Repo;
use crate::shell::{self, Ctx, Mode};
use crate::version::{Ecosystem, Version};
use crate::workspace::{VersionSource, Workspace};
use infer::{Found, Pkg, TagRef, Why};

#[derive(Debug)]
pub struct Options {
    pub into: Option<PathBuf>,
    pub mode: Mode,
    pub yes: bool,
}

/// The alias every repository gets: the cargo-xtask convention, which works
/// from any folder of the workspace the xtask is a member of.
pub const ALIAS: &str = "run --package xtask --";

/// The root manifest of a repository without a Cargo workspace.
pub const OWN_WORKSPACE: &str = "\
# The xtask's own workspace: this repository has no other Rust code, and
# `cargo xtask` (the alias in .cargo/config.toml) runs the member `xtask`.
[workspace]
resolver = \"2\"
members = [\"xtask\"]
";

/// One file init writes, whole.
struct Change {
    rel: String,
    old: Option<Vec<u8>>,
    new: Vec<u8>,
    what: String,
    /// A file of the copied xtask source: summarized, not diffed, in a dry run.
    template: bool,
    /// Shown as a diff in a dry run (a lockfile is only named).
    diff: bool,
}

pub fn run(sh: &Shell, root: Option<&Path>, opts: &Options) -> anyhow::Result<()> {
    let target = match &opts.into {
        Some(dir) => top_of_repository(dir)?,
        None => Repo::locate(root)?,
    };
    let look = look(sh, &target)?;
    let inferred = infer::infer(&look.found);
    let text = infer::render(&look.found, &inferred);
    let mut config = Config::parse(&text).map_err(|e| {
        fail(Code::Internal, format!("init wrote a configuration it cannot read: {e:#}"), "report this")
    })?;
    if let Some(ws) = &look.ws {
        crate::tags::add_umbrella_groups(&mut config, ws);
    }
    println!("init: {}", target.display());
    print!("{}", report(&look, &inferred, &config));

    let mut notes: Vec<String> = vec![];
    let mut changes: Vec<Change> = vec![];
    if opts.into.is_some() {
        let source = template_source()?;
        let same = source.canonicalize().ok() == target.join("xtask").canonicalize().ok();
        if !same {
            changes.extend(template(&source, &target)?);
        }
        changes.extend(register(&target, &mut notes)?);
        changes.extend(own_lock(&source, &target, &changes, &mut notes)?);
        changes.extend(alias(&target, &mut notes)?);
        changes.extend(ignore_target(sh, &target)?);
    }
    changes.push(change(&target, FILE_NAME, text.into_bytes(), "the configuration", false)?);
    changes.retain(|c| c.old.as_deref() != Some(&c.new[..]));
    for n in &notes {
        println!("note: {n}");
    }
    if changes.is_empty() {
        println!("nothing to change: {} is set up", target.display());
        return Ok(());
    }
    println!("changes:");
    print!("{}", summary(&changes));

    let mut refusals = vec![];
    let replaced: Vec<&str> = changes
        .iter()
        .filter(|c| c.old.is_some() && (c.template || c.rel == FILE_NAME))
        .map(|c| c.rel.as_str())
        .collect();
    if !replaced.is_empty() && !opts.yes {
        refusals.push(fail(
            Code::InitOverwrite,
            format!(
                "init would replace {} with different content{}",
                replaced[0],
                if replaced.len() > 1 { format!(" (and {} more)", replaced.len() - 1) } else { String::new() }
            ),
            "see the changes with `cargo xtask init --dry-run`, then run again with --yes to replace them",
        ));
    }
    let status = shell::output(
        cmd!(sh, "git --no-optional-locks -C {target} status --porcelain --untracked-files=normal"),
        Code::Git,
        "check that the folder is a working git repository",
    )?;
    let status = String::from_utf8_lossy(&status);
    if let Some(first) = status.lines().next() {
        refusals.push(fail(
            Code::InitDirty,
            format!(
                "{} has uncommitted changes ({} path(s), e.g. `{}`)",
                target.display(),
                status.lines().count(),
                first.get(3..).unwrap_or(first)
            ),
            "commit or stash them first, so that what init writes is a change of its own",
        ));
    }
    let ctx = Ctx::new(opts.mode, target.clone());
    // a dry run shows each change as a diff, then what it would write
    print!("{}", ctx.mode.pick_with(|| diffs(&changes), String::new));
    for r in ctx.stops(refusals)? {
        println!("note: without --dry-run, init would stop: {}", crate::error::render(&r).1.trim_end());
    }
    write(&ctx, &target, &changes)?;
    println!(
        "{}",
        ctx.mode.pick(
            "dry run: nothing was written",
            "done. Commit these files, then run `cargo xtask check` and `cargo xtask plan`"
        )
    );
    Ok(())
}

/// The unified diff of every change that shows one.
fn diffs(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes.iter().filter(|c| c.diff) {
        let old = c.old.as_ref().map(|o| String::from_utf8_lossy(o).into_owned());
        out.push_str(&diff::unified(&c.rel, old.as_deref(), &String::from_utf8_lossy(&c.new)));
    }
    out
}

/// `dir`, which must be the top of a git work tree.
fn top_of_repository(dir: &Path) -> anyhow::Result<PathBuf> {
    let top = dir.canonicalize().map_err(|e| {
        fail(Code::NotARepo, format!("--into {}: {e}", dir.display()), "give the folder of an existing git repository")
    })?;
    if !top.join(".git").exists() {
        return Err(fail(
            Code::NotARepo,
            format!("--into {}: not the top of a git repository", dir.display()),
            "run `git init` there first (init commits nothing), or give the repository's top folder",
        ));
    }
    Ok(top)
}

/// What init reads of a repository.
struct Look {
    found: Found,
    ws: Option<Workspace>,
    /// Commits HEAD reaches.
    history: HashSet<String>,
}

fn look(sh: &Shell, target: &Path) -> anyhow::Result<Look> {
    let listed = shell::output(
        cmd!(sh, "git -C {target} ls-files -z --cached --others --exclude-standard"),
        Code::Git,
        "check that the folder is a working git repository",
    )?;
    let files: Vec<String> =
        String::from_utf8_lossy(&listed).split('\0').filter(|f| !f.is_empty()).map(str::to_string).collect();
    let manifests = |name: &str| -> Vec<(String, DocumentMut)> {
        let mut out: Vec<(String, DocumentMut)> = files
            .iter()
            .filter(|f| *f == name || f.ends_with(&format!("/{name}")))
            .filter(|f| !f.starts_with("xtask/") && f.matches('/').count() <= 2)
            .filter_map(|f| {
                let doc = std::fs::read_to_string(target.join(f)).ok()?.parse::<DocumentMut>().ok()?;
                let dir = f.strip_suffix(name).unwrap_or("").trim_end_matches('/');
                Some((if dir.is_empty() { ".".to_string() } else { dir.to_string() }, doc))
            })
            .collect();
        out.sort_by_key(|(d, _)| (if d == "." { 0 } else { d.matches('/').count() + 1 }, d.clone()));
        out
    };
    let mut found = Found {
        python_root: python_root(&manifests("pyproject.toml")),
        cargo_root: cargo_root(&manifests("Cargo.toml")),
        ..Found::default()
    };
    let mut config = Config::default();
    if let Some(r) = &found.python_root {
        config.python_root = PathBuf::from(&r.value);
    }
    if let Some(r) = &found.cargo_root {
        config.cargo_root = PathBuf::from(&r.value);
    }
    let ws = match Workspace::discover(target, &config) {
        Ok(ws) => Some(ws),
        Err(e) if e.downcast_ref::<crate::error::Failure>().is_some_and(|f| f.code == Code::NoPackages) => None,
        Err(e) => return Err(e),
    };
    if let Some(ws) = &ws {
        found.packages = (0..ws.packages.len())
            .map(|i| {
                let p = &ws.packages[i];
                Pkg {
                    name: p.name.clone(),
                    id: ws.id(i),
                    ecosystem: p.ecosystem,
                    version: p.version.clone(),
                    publishable: p.unpublishable.is_none(),
                    inherits_version: p.version_source == VersionSource::CargoWorkspace,
                    read: version_read(ws, p),
                }
            })
            .collect();
        found.cargo_registry = cargo_registry(target, ws);
        found.python_index = python_index(target, ws);
    }
    let order = shell::probe(cmd!(sh, "git -C {target} rev-list HEAD")).unwrap_or_default();
    let position: BTreeMap<&str, usize> = order.lines().enumerate().map(|(i, c)| (c, i)).collect();
    found.tags = dated_tags(sh, target)?
        .into_iter()
        .map(|(t, date)| TagRef {
            position: position.get(t.commit.as_str()).copied(),
            name: t.name,
            commit: t.commit,
            date,
        })
        .collect();
    // the versions at the tags' commits, in the rounds `infer::wanted` asks for
    for _ in 0..3 {
        let wanted = infer::wanted(&found);
        if wanted.is_empty() {
            break;
        }
        found.files_at.extend(files_at(sh, target, &wanted)?);
    }
    found.branch = release_branch(sh, target);
    let history = position.keys().map(|c| c.to_string()).collect();
    Ok(Look { found, ws, history })
}

/// Where `infer` reads package `p`'s version at other commits.
fn version_read(ws: &Workspace, p: &crate::workspace::Package) -> infer::VersionRead {
    use infer::VersionRead;
    let root_manifest = ws.cargo_root.as_deref().map(|d| crate::workspace::join_rel(d, "Cargo.toml"));
    match &p.version_source {
        VersionSource::Manifest if p.ecosystem == Ecosystem::Python => VersionRead::Pyproject(p.manifest.clone()),
        VersionSource::Manifest | VersionSource::CargoWorkspace => {
            VersionRead::Cargo { manifest: p.manifest.clone(), workspace: root_manifest }
        }
        VersionSource::Crate { manifest, workspace } => {
            VersionRead::Cargo { manifest: manifest.clone(), workspace: workspace.clone().or(root_manifest) }
        }
        VersionSource::File { path, pattern } => VersionRead::File { path: path.clone(), pattern: pattern.clone() },
        VersionSource::Vcs(_) => VersionRead::Tags,
        VersionSource::Missing => VersionRead::Nowhere,
    }
}

/// Every tag with the commit it points at and the date it was made (one
/// `git for-each-ref`; init reads more than `plan`'s `history::read_tags`).
fn dated_tags(sh: &Shell, target: &Path) -> anyhow::Result<Vec<(history::Tag, i64)>> {
    let format = "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(creatordate:unix)";
    let out = shell::output(
        cmd!(sh, "git -C {target} for-each-ref {format} refs/tags"),
        Code::Git,
        "check that the repository is not damaged (git fsck)",
    )?;
    let text = String::from_utf8_lossy(&out);
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut parts = line.split('\0');
            let name = parts.next()?.to_string();
            let object = parts.next()?;
            let peeled = parts.next().unwrap_or("");
            let date = parts.next().and_then(|d| d.parse().ok()).unwrap_or(0);
            let commit = if peeled.is_empty() { object } else { peeled };
            Some((history::Tag { name, commit: commit.to_string() }, date))
        })
        .collect())
}

/// (commit, path).
type FileAt = (String, String);

/// The text of each (commit, path) in `wanted` (`None`: no such file there),
/// all in one `git cat-file --batch`.
fn files_at(
    sh: &Shell,
    target: &Path,
    wanted: &std::collections::BTreeSet<FileAt>,
) -> anyhow::Result<Vec<(FileAt, Option<String>)>> {
    let input: String = wanted.iter().map(|(c, p)| format!("{c}:{p}\n")).collect();
    let out = shell::output_with_input(
        cmd!(sh, "git -C {target} cat-file --batch"),
        input,
        Code::Git,
        "check that the repository is not damaged (git fsck)",
    )?;
    let mut rest: &[u8] = &out;
    let mut texts = Vec::with_capacity(wanted.len());
    for key in wanted {
        let Some(eol) = rest.iter().position(|&b| b == b'\n') else { break };
        let header = String::from_utf8_lossy(&rest[..eol]).into_owned();
        rest = &rest[eol + 1..];
        // `OID blob SIZE`, then the content and a newline; `NAME missing` otherwise
        let mut parts = header.split(' ');
        let (kind, size) = (parts.nth(1), parts.next().and_then(|n| n.parse::<usize>().ok()));
        let text = match (kind, size) {
            (Some(kind), Some(size)) if size <= rest.len() => {
                let body = &rest[..size];
                rest = rest.get(size + 1..).unwrap_or_default();
                (kind == "blob").then(|| String::from_utf8_lossy(body).into_owned())
            }
            _ => None,
        };
        texts.push((key.clone(), text));
    }
    Ok(texts)
}

/// The branch releases are made from when it is not `main`: the remote's
/// default branch, else the one checked out in a repository without `main`.
fn release_branch(sh: &Shell, target: &Path) -> Option<Why<String>> {
    let remote_head = shell::probe(cmd!(sh, "git -C {target} symbolic-ref --quiet --short refs/remotes/origin/HEAD"));
    if let Some(b) = remote_head.as_deref().and_then(|r| r.strip_prefix("origin/")) {
        return (b != "main").then(|| Why {
            value: b.to_string(),
            why: format!("origin's default branch is `{b}` (releases are allowed from main only by default)"),
        });
    }
    let b = crate::git::branch(sh, target)?;
    if b == "main" || shell::succeeds(cmd!(sh, "git -C {target} rev-parse --verify --quiet refs/heads/main")) {
        return None;
    }
    Some(Why {
        value: b.clone(),
        why: format!("HEAD is on `{b}` and there is no `main` (releases are allowed from main only by default)"),
    })
}

fn has(doc: &DocumentMut, path: &[&str]) -> bool {
    let mut item = doc.as_item();
    for key in path {
        match item.get(key) {
            Some(i) => item = i,
            None => return false,
        }
    }
    true
}

/// The uv workspace (or single project): at the root, else the shallowest.
fn python_root(manifests: &[(String, DocumentMut)]) -> Option<Why<String>> {
    let why = |dir: &str, what: &str| {
        let file = if dir == "." { "pyproject.toml".to_string() } else { format!("{dir}/pyproject.toml") };
        Why { value: dir.to_string(), why: format!("{file} holds {what}") }
    };
    let at_root = manifests.iter().find(|(d, _)| d == ".");
    if let Some((d, _)) = at_root.filter(|(_, doc)| has(doc, &["tool", "uv", "workspace"])) {
        return Some(why(d, "the uv workspace ([tool.uv.workspace])"));
    }
    if let Some((d, _)) = at_root.filter(|(_, doc)| has(doc, &["project"])) {
        return Some(why(d, "the Python project"));
    }
    if let Some((d, _)) = manifests.iter().find(|(_, doc)| has(doc, &["tool", "uv", "workspace"])) {
        return Some(why(d, "the uv workspace ([tool.uv.workspace])"));
    }
    let (d, _) = manifests.iter().find(|(_, doc)| has(doc, &["project"]))?;
    Some(why(d, "the shallowest Python project"))
}

/// The Cargo workspace (or single crate): at the root, else the shallowest.
/// A root workspace of the xtask alone (`OWN_WORKSPACE`) is not the project's.
fn cargo_root(manifests: &[(String, DocumentMut)]) -> Option<Why<String>> {
    let xtask_only = |doc: &DocumentMut| {
        !has(doc, &["package"])
            && doc
                .get("workspace")
                .and_then(|w| w.get("members"))
                .and_then(Item::as_array)
                .is_some_and(|a| a.iter().filter_map(|v| v.as_str()).eq(["xtask"]))
    };
    let why = |dir: &str, what: &str| {
        let file = if dir == "." { "Cargo.toml".to_string() } else { format!("{dir}/Cargo.toml") };
        Why { value: dir.to_string(), why: format!("{file} holds {what}") }
    };
    // cargo-fuzz's `[workspace] members = ["."]` is a crate's own, not the project's
    let self_only = |doc: &DocumentMut| {
        doc.get("workspace")
            .and_then(|w| w.get("members"))
            .and_then(Item::as_array)
            .is_none_or(|a| a.iter().filter_map(|v| v.as_str()).all(|m| m == "."))
    };
    let usable = |doc: &DocumentMut| !xtask_only(doc);
    if let Some((d, doc)) = manifests.iter().find(|(d, doc)| d == "." && usable(doc)) {
        let what = if has(doc, &["workspace"]) { "the Cargo workspace" } else { "the crate" };
        if has(doc, &["workspace"]) || has(doc, &["package"]) {
            return Some(why(d, what));
        }
    }
    if let Some((d, _)) =
        manifests.iter().find(|(d, doc)| d != "." && has(doc, &["workspace"]) && usable(doc) && !self_only(doc))
    {
        return Some(why(d, "the Cargo workspace"));
    }
    let (d, _) = manifests.iter().find(|(d, doc)| d != "." && has(doc, &["package"]))?;
    Some(why(d, "the shallowest crate"))
}

/// The registry the crates' manifests name (`publish = ["NAME"]`, `registry = "NAME"`).
fn cargo_registry(target: &Path, ws: &Workspace) -> Option<Why<String>> {
    let mut named: BTreeMap<String, usize> = BTreeMap::new();
    let mut files = 0;
    for p in ws.packages.iter().filter(|p| p.ecosystem == Ecosystem::Cargo && p.unpublishable.is_none()) {
        let Some(doc) =
            std::fs::read_to_string(target.join(&p.manifest)).ok().and_then(|t| t.parse::<DocumentMut>().ok())
        else {
            continue;
        };
        let mut names: Vec<String> = vec![];
        if let Some(list) = doc.get("package").and_then(|p| p.get("publish")).and_then(Item::as_array) {
            names.extend(list.iter().filter_map(|v| v.as_str()).map(str::to_string));
        }
        for table in ["dependencies", "build-dependencies", "dev-dependencies"] {
            if let Some(deps) = doc.get(table).and_then(Item::as_table_like) {
                for (_, dep) in deps.iter() {
                    names.extend(dep.get("registry").and_then(Item::as_str).map(str::to_string));
                }
            }
        }
        names.sort();
        names.dedup();
        files += usize::from(!names.is_empty());
        for n in names {
            *named.entry(n).or_default() += 1;
        }
    }
    let (name, _) = named.iter().max_by_key(|(n, c)| (**c, std::cmp::Reverse((*n).clone())))?;
    let others = if named.len() > 1 { format!("; also named: {}", named.len() - 1) } else { String::new() };
    Some(Why {
        value: name.clone(),
        why: format!("`publish = [\"{name}\"]` or `registry = \"{name}\"` in {files} crate manifest(s){others}"),
    })
}

/// The index of the uv workspace's `[[tool.uv.index]]` that has a `publish-url`.
fn python_index(target: &Path, ws: &Workspace) -> Option<Why<(String, String)>> {
    let dir = ws.python_root.as_deref()?;
    let file = if dir == "." { "pyproject.toml".to_string() } else { format!("{dir}/pyproject.toml") };
    let doc = std::fs::read_to_string(target.join(&file)).ok()?.parse::<DocumentMut>().ok()?;
    let indexes = doc.get("tool")?.get("uv")?.get("index")?.as_array_of_tables()?;
    let ix = indexes.iter().find(|t| t.get("publish-url").and_then(Item::as_str).is_some())?;
    let publish = ix.get("publish-url")?.as_str()?.to_string();
    let url = ix.get("url").and_then(Item::as_str).unwrap_or("https://pypi.org/simple/").to_string();
    let name = ix.get("name").and_then(Item::as_str).unwrap_or("(unnamed)");
    Some(Why { value: (publish, url), why: format!("[[tool.uv.index]] `{name}` in {file} has a publish-url") })
}

/// What was found and inferred, and each package's last release as `plan` will read it.
fn report(look: &Look, inferred: &infer::Inferred, config: &Config) -> String {
    let mut s = String::from("found:\n");
    let f = &look.found;
    let line = |s: &mut String, what: &str, value: &str, why: &str| {
        let _ = writeln!(s, "  {what:<15} {value:<22} {why}");
    };
    match &f.python_root {
        Some(r) => line(&mut s, "python root", &r.value, &r.why),
        None => line(&mut s, "python root", "-", "no uv workspace or Python project in the top two folder levels"),
    }
    match &f.cargo_root {
        Some(r) => line(&mut s, "cargo root", &r.value, &r.why),
        None => line(&mut s, "cargo root", "-", "no Cargo workspace or crate in the top two folder levels"),
    }
    let publishable = f.packages.iter().filter(|p| p.publishable).count();
    let crates = f.packages.iter().filter(|p| p.ecosystem == Ecosystem::Cargo).count();
    line(
        &mut s,
        "packages",
        &f.packages.len().to_string(),
        &format!(
            "{crates} crate(s), {} Python package(s); {} never published",
            f.packages.len() - crates,
            f.packages.len() - publishable
        ),
    );
    if let Some(r) = &f.cargo_registry {
        line(&mut s, "cargo registry", &r.value, &r.why);
    }
    if let Some(r) = &f.python_index {
        line(&mut s, "python index", &r.value.0, &r.why);
    }
    let conventions = |cs: &[infer::Convention]| {
        cs.iter()
            .map(|c| format!("{} ({} tag(s), newest {})", c.template, c.count, c.newest))
            .collect::<Vec<_>>()
            .join(", ")
    };
    line(&mut s, "tags", &f.tags.len().to_string(), "in the repository");
    if !inferred.cargo_tags.is_empty() {
        line(&mut s, "  crates", "", &conventions(&inferred.cargo_tags));
    }
    if !inferred.python_tags.is_empty() {
        line(&mut s, "  python", "", &conventions(&inferred.python_tags));
    }
    for (eco, what) in [(Ecosystem::Cargo, "  crates, one"), (Ecosystem::Python, "  python, one")] {
        if let Some(u) = inferred.umbrella_of(eco) {
            let separate = if u.separate.is_empty() {
                String::new()
            } else {
                format!("; at versions of their own (separate): {}", u.separate.join(", "))
            };
            let why = format!("{} package(s) at its version, {}{separate}", u.members, conventions(&u.templates));
            line(&mut s, what, &u.templates[0].template, &why);
        }
    }
    if let Some(u) = &inferred.umbrella {
        line(
            &mut s,
            "  umbrella",
            &u.template,
            &format!("{} tag(s) beside the packages' own, newest {}", u.count, u.newest),
        );
    }
    for g in &inferred.groups {
        line(&mut s, "group", &g.name, &format!("{}: {}", g.members.join(", "), g.why));
    }
    if inferred.unrecognized_count > 0 {
        line(
            &mut s,
            "  not read",
            &inferred.unrecognized_count.to_string(),
            &format!(
                "tag(s) of no package here (no convention found, or not at the version a package had there), e.g. {}",
                inferred.unrecognized.join(", ")
            ),
        );
    }
    if let Some(b) = &f.branch {
        line(&mut s, "release branch", &b.value, &b.why);
    }
    if let Some(ws) = &look.ws {
        for problem in crate::tags::umbrella_problems(config, ws) {
            let _ = writeln!(s, "note: `plan` will stop: {} ({})", problem.cause, problem.help);
        }
        s.push_str("last release per package (what `plan` starts from):\n");
        let groups = crate::tags::tag_groups(config, ws);
        for (i, p) in ws.packages.iter().enumerate() {
            let last = if p.unpublishable.is_some() {
                "never published".to_string()
            } else {
                last_release(&crate::tags::tag_patterns(config, p, groups[i]), p.ecosystem, &f.tags, &look.history)
                    .unwrap_or_else(|| format!("none: a first release of {}", p.version_text))
            };
            let _ = writeln!(s, "  {:<24} {last}", ws.id(i));
        }
    }
    s
}

/// The tag matching `patterns` with the highest version HEAD reaches, read as `plan` reads it.
fn last_release(patterns: &[String], eco: Ecosystem, tags: &[TagRef], history: &HashSet<String>) -> Option<String> {
    tags.iter()
        .filter(|t| history.contains(&t.commit))
        .filter_map(|t| {
            let v = patterns
                .iter()
                .filter_map(|pat| crate::tags::match_tag(pat, &t.name))
                .find_map(|v| Version::parse(eco, v).ok())?;
            Some((v, t.name.clone()))
        })
        .max_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal))
        .map(|(_, name)| name)
}

/// This xtask's own folder: where it was built (the running repository's `xtask/`).
fn template_source() -> anyhow::Result<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    if dir.join("Cargo.toml").is_file() && dir.join("src/main.rs").is_file() {
        return Ok(dir.to_path_buf());
    }
    Err(fail(
        Code::InitSource,
        format!("this xtask's source is not in {} any more (it was built there)", dir.display()),
        "run init from a repository that holds the xtask's source: cargo xtask init --into DIR",
    ))
}

/// The copy of `source` into `target/xtask`: every file but `target/`, a
/// lockfile and hidden files, in path order.
fn template(source: &Path, target: &Path) -> anyhow::Result<Vec<Change>> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) -> anyhow::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| shell::fs::error("read the folder", dir, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name.starts_with('.') || name == "target" || name == "Cargo.lock" {
                continue;
            }
            let r = format!("{rel}/{name}");
            if p.is_dir() {
                walk(&p, &r, out)?;
            } else {
                out.push((r, p));
            }
        }
        Ok(())
    }
    let mut files = vec![];
    walk(source, "xtask", &mut files)?;
    files.into_iter().map(|(rel, path)| change(target, &rel, shell::fs::read(&path)?, "the xtask", true)).collect()
}

fn change(target: &Path, rel: &str, new: Vec<u8>, what: &str, template: bool) -> anyhow::Result<Change> {
    let path = target.join(rel);
    let old = match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(shell::fs::error("read", &path, e)),
    };
    Ok(Change { rel: rel.to_string(), old, new, what: what.to_string(), template, diff: !template })
}

fn read_text(c: &Change) -> Option<String> {
    c.old.as_ref().map(|o| String::from_utf8_lossy(o).into_owned())
}

/// The `Cargo.lock` of the xtask's own workspace, when init makes one: what
/// the xtask was built with, cut to what it reaches (`lock::closure`), so that
/// the first build changes nothing. A Cargo workspace that exists keeps its
/// lockfile, which the first build extends.
fn own_lock(
    source: &Path,
    target: &Path,
    changes: &[Change],
    notes: &mut Vec<String>,
) -> anyhow::Result<Option<Change>> {
    let own = changes.iter().any(|c| c.rel == "Cargo.toml" && c.old.is_none());
    if !own || target.join("Cargo.lock").exists() {
        return Ok(None);
    }
    let built_with = [source.join("Cargo.lock"), source.join("../Cargo.lock")].into_iter().find(|p| p.is_file());
    let text = built_with.map(|p| shell::fs::read_to_string(&p)).transpose()?;
    let Some(lock) = text.as_deref().and_then(|t| lock::closure(t, "xtask")) else {
        notes.push("no Cargo.lock to start from: the first `cargo xtask` writes one; commit it".into());
        return Ok(None);
    };
    let mut c = change(target, "Cargo.lock", lock.into_bytes(), "the versions the xtask is built with", false)?;
    c.diff = false;
    Ok(Some(c))
}

/// `xtask` as a member of the root Cargo workspace, or a workspace of its own.
fn register(target: &Path, notes: &mut Vec<String>) -> anyhow::Result<Option<Change>> {
    let mut c = change(target, "Cargo.toml", vec![], "", false)?;
    let Some(old) = read_text(&c) else {
        c.new = OWN_WORKSPACE.as_bytes().to_vec();
        c.what = "a workspace for the xtask".into();
        return Ok(Some(c));
    };
    let edited = add_member(&old).map_err(|e| {
        fail(
            Code::ManifestSyntax,
            format!("{}: {e}", target.join("Cargo.toml").display()),
            "fix the manifest; init changed nothing",
        )
    })?;
    match edited {
        Some(new) => {
            c.new = new.into_bytes();
            c.what = "xtask added to the workspace members".into();
            Ok(Some(c))
        }
        None => {
            notes.push("Cargo.toml: the workspace members already include xtask".into());
            Ok(None)
        }
    }
}

/// The root manifest with `xtask` among the workspace members, formatting
/// kept; `None` when a member entry already covers it. A single crate's
/// manifest gets a `[workspace]` (the crate stays its root and a member).
pub fn add_member(text: &str) -> Result<Option<String>, String> {
    let mut doc: DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| crate::config::one_line(&e.to_string()))?;
    let Some(ws) = doc.get_mut("workspace").and_then(Item::as_table_like_mut) else {
        let sep = if text.is_empty() || text.ends_with('\n') { "" } else { "\n" };
        return Ok(Some(format!("{text}{sep}\n[workspace]\nmembers = [\"xtask\"]\n")));
    };
    match ws.get_mut("members") {
        Some(item) => {
            let arr = item.as_array_mut().ok_or("`workspace.members` is not a list")?;
            let covered = arr
                .iter()
                .filter_map(|v| v.as_str())
                .any(|m| m.trim_end_matches('/') == "xtask" || glob::Pattern::new(m).is_ok_and(|p| p.matches("xtask")));
            if covered {
                return Ok(None);
            }
            let last = arr.iter().last().and_then(|v| v.decor().prefix()).and_then(|p| p.as_str()).map(str::to_string);
            let trailing = arr.trailing().as_str().unwrap_or("").to_string();
            let prefix = match last {
                // one member a line: what follows the last one's comma (a comment) stays with it
                Some(p) if p.contains('\n') && trailing.contains('\n') => {
                    let cut = trailing.rfind('\n').expect("checked");
                    arr.set_trailing(&trailing[cut..]);
                    format!("{}{}", &trailing[..=cut], p.rsplit('\n').next().unwrap_or(""))
                }
                Some(p) if !p.is_empty() => p,
                _ if arr.is_empty() => String::new(),
                _ => " ".into(),
            };
            arr.push("xtask");
            let last = arr.len() - 1;
            if let Some(v) = arr.get_mut(last) {
                v.decor_mut().set_prefix(prefix);
            }
        }
        None => {
            ws.insert("members", toml_edit::value(toml_edit::Array::from_iter(["xtask"])));
        }
    }
    Ok(Some(doc.to_string()))
}

/// The `xtask` alias in `.cargo/config.toml`, everything else in it kept.
fn alias(target: &Path, notes: &mut Vec<String>) -> anyhow::Result<Option<Change>> {
    let mut c = change(target, ".cargo/config.toml", vec![], "the xtask alias", false)?;
    let old = read_text(&c);
    match add_alias(old.as_deref()) {
        Ok(Alias::New(text)) => {
            c.new = text.into_bytes();
            Ok(Some(c))
        }
        Ok(Alias::Present) => Ok(None),
        Ok(Alias::Other(v)) => {
            notes.push(format!(".cargo/config.toml: kept the alias `xtask = {v}` that is already there"));
            Ok(None)
        }
        Err(e) => Err(fail(
            Code::ConfigSyntax,
            format!("{}: {e}", target.join(".cargo/config.toml").display()),
            "fix the file (cargo cannot read it either); init changed nothing",
        )),
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Alias {
    New(String),
    Present,
    /// An `xtask` alias that runs something else: kept.
    Other(String),
}

pub fn add_alias(text: Option<&str>) -> Result<Alias, String> {
    let line = format!("xtask = \"{ALIAS}\"\n");
    let Some(text) = text else { return Ok(Alias::New(format!("[alias]\n{line}"))) };
    let mut doc: DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| crate::config::one_line(&e.to_string()))?;
    if doc.get("alias").is_some_and(|a| !a.is_table_like()) {
        return Err("`alias` is not a table".into());
    }
    match doc.get_mut("alias").and_then(Item::as_table_like_mut) {
        Some(table) => match table.get("xtask") {
            Some(v) if v.as_str() == Some(ALIAS) => Ok(Alias::Present),
            Some(v) => Ok(Alias::Other(v.to_string().trim().to_string())),
            None => {
                table.insert("xtask", toml_edit::value(ALIAS));
                Ok(Alias::New(doc.to_string()))
            }
        },
        None => {
            let sep = if text.is_empty() || text.ends_with('\n') { "" } else { "\n" };
            let gap = if text.is_empty() { "" } else { "\n" };
            Ok(Alias::New(format!("{text}{sep}{gap}[alias]\n{line}")))
        }
    }
}

/// `/target` in `.gitignore`, unless git ignores it already.
fn ignore_target(sh: &Shell, target: &Path) -> anyhow::Result<Option<Change>> {
    if shell::succeeds(cmd!(sh, "git -C {target} check-ignore -q target")) {
        return Ok(None);
    }
    let mut c = change(target, ".gitignore", vec![], "cargo's build folder ignored", false)?;
    let old = read_text(&c).unwrap_or_default();
    let sep = if old.is_empty() || old.ends_with('\n') { "" } else { "\n" };
    c.new = format!("{old}{sep}/target\n").into_bytes();
    Ok(Some(c))
}

fn summary(changes: &[Change]) -> String {
    let mut s = String::new();
    let template: Vec<&Change> = changes.iter().filter(|c| c.template).collect();
    if !template.is_empty() {
        let new = template.iter().filter(|c| c.old.is_none()).count();
        let _ = writeln!(
            s,
            "  {:<8} xtask/ ({} file(s): {new} new, {} changed) from {}",
            "copy",
            template.len(),
            template.len() - new,
            Path::new(env!("CARGO_MANIFEST_DIR")).display()
        );
    }
    for c in changes.iter().filter(|c| !c.template) {
        let _ = writeln!(s, "  {:<8} {} ({})", if c.old.is_some() { "change" } else { "new" }, c.rel, c.what);
    }
    s
}

fn write(ctx: &Ctx, target: &Path, changes: &[Change]) -> anyhow::Result<()> {
    let template: Vec<(PathBuf, Vec<u8>)> =
        changes.iter().filter(|c| c.template).map(|c| (target.join(&c.rel), c.new.clone())).collect();
    ctx.write_files(&target.join("xtask"), &template, "this xtask's source")?;
    for c in changes.iter().filter(|c| !c.template) {
        let path = target.join(&c.rel);
        if let Some(dir) = path.parent() {
            ctx.create_dir_all(dir)?;
        }
        ctx.write(&path, &c.new, &c.what)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_their_formatting() {
        let multi = "[workspace]\nresolver = \"2\"\nmembers = [\n    \"crates/a\",\n    \"crates/b\", # the b\n]\n\n[profile.dev]\ndebug = 0\n";
        let out = add_member(multi).unwrap().unwrap();
        assert_eq!(out, multi.replace("# the b\n]", "# the b\n    \"xtask\",\n]"), "{out}");
        assert_eq!(
            add_member("[workspace]\nmembers = [\"a\"]\n").unwrap().unwrap(),
            "[workspace]\nmembers = [\"a\", \"xtask\"]\n"
        );
        assert_eq!(add_member("[workspace]\nmembers = []\n").unwrap().unwrap(), "[workspace]\nmembers = [\"xtask\"]\n");
        assert_eq!(add_member("[workspace]\nmembers = [\"*\"]\n").unwrap(), None);
        assert_eq!(add_member("[workspace]\nmembers = [\"xtask/\"]\n").unwrap(), None);
        let single = "[package]\nname = \"one\"\nversion = \"1.0.0\"";
        assert_eq!(add_member(single).unwrap().unwrap(), format!("{single}\n\n[workspace]\nmembers = [\"xtask\"]\n"));
        let root_pkg = "[package]\nname = \"one\"\n\n[workspace]\nresolver = \"2\"\n";
        assert!(add_member(root_pkg).unwrap().unwrap().contains("resolver = \"2\"\nmembers = [\"xtask\"]\n"));
        assert!(add_member("[workspace\n").is_err());
    }

    #[test]
    fn the_alias_joins_what_is_there() {
        assert_eq!(add_alias(None).unwrap(), Alias::New("[alias]\nxtask = \"run --package xtask --\"\n".into()));
        let other = "# a comment\n[alias]\nci = \"test --workspace\"\n\n[registries.local]\nindex = \"file:///x\"\n";
        let Alias::New(out) = add_alias(Some(other)).unwrap() else { panic!() };
        assert_eq!(
            out,
            other.replace("--workspace\"\n", "--workspace\"\nxtask = \"run --package xtask --\"\n"),
            "{out}"
        );
        assert_eq!(add_alias(Some(&out)).unwrap(), Alias::Present);
        let no_alias = "[build]\njobs = 1";
        assert_eq!(
            add_alias(Some(no_alias)).unwrap(),
            Alias::New(format!("{no_alias}\n\n[alias]\nxtask = \"run --package xtask --\"\n"))
        );
        assert_eq!(
            add_alias(Some("[alias]\nxtask = \"run -p tools --\"\n")).unwrap(),
            Alias::Other("\"run -p tools --\"".into())
        );
        assert!(add_alias(Some("alias = 1\n")).is_err());
    }

    #[test]
    fn roots() {
        let doc = |t: &str| t.parse::<DocumentMut>().unwrap();
        let py = vec![
            ("py".to_string(), doc("[tool.uv.workspace]\nmembers = [\"packages/*\"]\n")),
            ("py/packages/a".to_string(), doc("[project]\nname = \"a\"\n")),
        ];
        assert_eq!(python_root(&py).unwrap().value, "py");
        let tooling = vec![(".".to_string(), doc("[tool.ruff]\n")), py[0].clone()];
        assert_eq!(python_root(&tooling).unwrap().value, "py");
        let own = vec![
            (".".to_string(), doc(OWN_WORKSPACE)),
            ("fuzz".to_string(), doc("[package]\nname = \"f\"\n[workspace]\nmembers = [\".\"]\n")),
            ("rust".to_string(), doc("[workspace]\nmembers = [\"a\"]\n")),
        ];
        assert_eq!(cargo_root(&own).unwrap().value, "rust", "the xtask's own workspace is not the project's");
        assert!(cargo_root(&own[..1]).is_none());
        let single = vec![(".".to_string(), doc("[package]\nname = \"one\"\n")), own[1].clone()];
        assert_eq!(cargo_root(&single).unwrap().value, ".");
    }
}
