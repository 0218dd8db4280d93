//! What a release writes: the new text of every manifest, requirement,
//! version place and changelog, and the lockfiles it updates. Below `Repo`
//! and `release`: it takes plain inputs (`Tree`: root, workspace,
//! configuration), so `plan` lists exactly what the write step writes without
//! reaching into the release code. Pure apart from reading the files (and
//! asking git which lockfiles it tracks).

use std::collections::HashMap;
use std::path::Path;

use xshell::{cmd, Shell};

use crate::changelog::{self, Section};
use crate::config::Config;
use crate::error::{fail, Code};
use crate::plan::Plan;
use crate::shell;
use crate::version::{Ecosystem, Version};
use crate::version_files::{self, Place};
use crate::workspace::{join_rel, pep508::normalize, VersionPattern, VersionSource, Workspace};

pub mod manifest;

use manifest as edit;

/// The repository as the edits read it.
#[derive(Clone, Copy)]
pub struct Tree<'a> {
    pub root: &'a Path,
    pub ws: &'a Workspace,
    pub config: &'a Config,
}

/// What `compute_edits` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Nothing,
    /// A line per change.
    Changes,
    /// A line per change, and each changelog section in full (dry runs).
    Sections,
}

/// What a release writes: the new text of every file it changes, and the
/// changelogs that have no place for their section.
#[derive(Debug, Default)]
pub struct Edits {
    /// (relative path, text).
    pub files: Vec<(String, String)>,
    /// Nothing is written while there is one: preflight lists them, the write step refuses.
    pub unplaced: Vec<Unplaced>,
}

/// A changelog the release cannot put its section into (`changelog::insert`).
#[derive(Debug, Clone)]
pub struct Unplaced {
    pub path: String,
    pub why: changelog::ParseError,
}

impl Unplaced {
    pub const HELP: &'static str = "make the file newest first with a heading per version (`cargo xtask check` \
        reads it), or point [changelog] path at another file; nothing was written";

    pub fn problem(&self) -> String {
        format!("{} has no place for the new section: {}", self.path, self.why)
    }
}

impl Edits {
    /// The files to write; XR137 when a changelog has no place for its section.
    pub fn placed(self) -> anyhow::Result<Vec<(String, String)>> {
        match self.unplaced.first() {
            None => Ok(self.files),
            Some(u) => Err(fail(Code::ChangelogUnplaceable, u.problem(), Unplaced::HELP)),
        }
    }
}

/// The new text of every file the release changes (relative path, text):
/// versions, internal requirements, changelogs (`sections`, as journaled).
/// Pure apart from reading the files.
pub fn compute_edits(tree: Tree<'_>, plan: &Plan, sections: &[Section], show: Show) -> anyhow::Result<Edits> {
    let mut w = Writer { tree, read: HashMap::new(), edits: vec![], print: show != Show::Nothing };
    versions(&mut w, plan)?;
    version_places(&mut w, plan)?;
    requirements(&mut w, plan)?;
    let unplaced = changelogs(&mut w, plan, sections, show)?;
    Ok(Edits { files: w.edits, unplaced })
}

/// Every file a release of `plan` writes, relative to the root: what
/// `plan --format json` lists. Fails as the write step would (before anything
/// is written), e.g. on a `[[version-files]]` entry that matches nothing.
pub fn files(sh: &Shell, tree: Tree<'_>, plan: &Plan, sections: &[Section]) -> anyhow::Result<Vec<String>> {
    if plan.releases().next().is_none() {
        return Ok(vec![]);
    }
    // a changelog without a place for its section is still a file the release
    // would write: preflight refuses the release until it has one
    let edits = compute_edits(tree, plan, sections, Show::Nothing)?;
    let mut files: Vec<String> = edits.files.into_iter().map(|(rel, _)| rel).collect();
    files.extend(edits.unplaced.into_iter().map(|u| u.path));
    files.extend(lockfiles(sh, tree, plan)?);
    files.sort();
    files.dedup();
    Ok(files)
}

/// The edits so far, and the files read for them.
struct Writer<'a> {
    tree: Tree<'a>,
    read: HashMap<String, String>,
    /// (relative path, new text), in the order first written.
    edits: Vec<(String, String)>,
    print: bool,
}

impl Writer<'_> {
    /// The text of `rel` as the edits so far leave it.
    fn current(&mut self, rel: &str) -> anyhow::Result<String> {
        if let Some((_, t)) = self.edits.iter().find(|(r, _)| r == rel) {
            return Ok(t.clone());
        }
        if let Some(t) = self.read.get(rel) {
            return Ok(t.clone());
        }
        let t = shell::fs::read_to_string(&self.tree.root.join(rel))?;
        self.read.insert(rel.to_string(), t.clone());
        Ok(t)
    }

    fn store(&mut self, rel: &str, text: String) {
        self.edits.retain(|(r, _)| r != rel);
        self.edits.push((rel.to_string(), text));
    }
}

fn edit_err(e: anyhow::Error) -> anyhow::Error {
    fail(Code::ManifestSyntax, format!("cannot edit a manifest: {e:#}"), "fix the manifest; nothing was written")
}

/// Step 1: each released package's version where its manifest (or version
/// source) holds it.
fn versions(w: &mut Writer<'_>, plan: &Plan) -> anyhow::Result<()> {
    let ws = w.tree.ws;
    // versions
    let mut workspace_version_done = false;
    for e in plan.releases() {
        let p = &ws.packages[ws.index_in(e.ecosystem, &e.name).expect("planned packages exist")];
        let new = e.next_version.clone().expect("released entries have a version");
        if e.next == p.version {
            continue; // an initial release of the version already written
        }
        match &p.version_source {
            VersionSource::Manifest => {
                let text = w.current(&p.manifest)?;
                let out = edit::set_package_version(&text, &p.manifest, p.ecosystem, &new).map_err(edit_err)?;
                w.store(&p.manifest, out);
                if w.print {
                    println!("  {} {} -> {new} in {}", p.name, p.version_text, p.manifest);
                }
            }
            VersionSource::CargoWorkspace => {
                if !workspace_version_done {
                    let rel = join_rel(ws.cargo_root.as_deref().unwrap_or("."), "Cargo.toml");
                    let text = w.current(&rel)?;
                    let out = edit::set_workspace_version(&text, &rel, &new).map_err(edit_err)?;
                    w.store(&rel, out);
                    if w.print {
                        println!("  [workspace.package] version {} -> {new} in {rel}", p.version_text);
                    }
                    workspace_version_done = true;
                }
            }
            VersionSource::File { path: rel, pattern } => file_version(w, p, rel, pattern.as_deref(), &new)?,
            VersionSource::Crate { manifest, workspace } => {
                // maturin: the crate's version is the Python package's (written in SemVer form)
                let semver = e.next.as_ref().expect("released").to_ecosystem(Ecosystem::Cargo).to_string();
                let (rel, out) = match workspace {
                    Some(rel) => {
                        let text = w.current(rel)?;
                        (rel, edit::set_workspace_version(&text, rel, &semver).map_err(edit_err)?)
                    }
                    None => {
                        let text = w.current(manifest)?;
                        (
                            manifest,
                            edit::set_package_version(&text, manifest, Ecosystem::Cargo, &semver).map_err(edit_err)?,
                        )
                    }
                };
                w.store(rel, out);
                if w.print {
                    println!("  {} {} -> {new} in {rel} (maturin builds it from {manifest})", p.name, p.version_text);
                }
            }
            VersionSource::Vcs(vcs) => {
                if w.print {
                    println!("  {} {new}: no file to write ({} takes it from the tag)", p.name, vcs.plugin());
                }
            }
            VersionSource::Missing => unreachable!("packages without a version are never released"),
        }
    }

    Ok(())
}

/// A version in a file of its own (hatch's `path`, a pattern): the span the
/// pattern reads is replaced (hatch's default one too: `v1.0` keeps its `v`).
fn file_version(
    w: &mut Writer<'_>,
    p: &crate::workspace::Package,
    rel: &str,
    pattern: Option<&str>,
    new: &str,
) -> anyhow::Result<()> {
    let text = w.current(rel)?;
    let pat = match pattern {
        Some(pat) => VersionPattern::parse(pat).ok(),
        None => Some(VersionPattern::hatch_default()),
    };
    let span = pat.and_then(|pat| pat.find(&text)).filter(|&(a, b)| text[a..b] == p.version_text);
    let out = match span {
        Some((a, b)) => Some(format!("{}{new}{}", &text[..a], &text[b..])),
        None => edit::set_file_version(&text, &p.version_text, new),
    }
    .ok_or_else(|| {
        fail(
            Code::DynamicVersion,
            format!("{rel} does not contain the version {}", p.version_text),
            "make the version static",
        )
    })?;
    w.store(rel, out);
    if w.print {
        println!("  {} {} -> {new} in {rel}", p.name, p.version_text);
    }
    Ok(())
}

/// Step 2: the version where else it is written: Python literals, [[version-files]].
fn version_places(w: &mut Writer<'_>, plan: &Plan) -> anyhow::Result<()> {
    let (root, ws) = (w.tree.root, w.tree.ws);
    // the version where else it is written: Python literals, [[version-files]]
    let config = w.tree.config;
    let mut matched = vec![false; config.version_files.len()];
    for e in plan.releases() {
        let p = &ws.packages[ws.index_in(e.ecosystem, &e.name).expect("planned packages exist")];
        if e.next == p.version {
            continue;
        }
        let new = e.next_version.clone().expect("released entries have a version");
        let places = version_files::places(root, config, ws, p)?;
        for (i, f) in config.version_files.iter().enumerate() {
            let mine = f.package.is_some()
                && !places.iter().any(|pl| matches!(pl, Place::Configured { entry, .. } if *entry == i));
            if mine && version_files::applies(ws, f, p)? {
                return Err(no_match(&f.path, "matches no file"));
            }
        }
        for place in &places {
            let text = w.current(place.path())?;
            match version_files::rewrite(&text, place, config, &p.name, &p.version_text, &new) {
                Some(out) => {
                    w.store(place.path(), out);
                    if let Place::Configured { entry, .. } = place {
                        matched[*entry] = true;
                    }
                    if w.print {
                        println!("  {} {} -> {new} in {}", p.name, p.version_text, place.path());
                    }
                }
                None => match place {
                    Place::Configured { entry, path } if config.version_files[*entry].package.is_some() => {
                        return Err(no_match(path, "does not hold the text its template or pattern describes"));
                    }
                    _ => {}
                },
            }
        }
    }
    // an entry for every package must find some package's version in each file
    for (i, f) in config.version_files.iter().enumerate().filter(|(i, f)| f.package.is_none() && !matched[*i]) {
        let paths = version_files::glob_files(root, &f.path)?;
        if paths.is_empty() {
            return Err(no_match(&f.path, "matches no file"));
        }
        for path in paths {
            let text = w.current(&path)?;
            let place = Place::Configured { path: path.clone(), entry: i };
            let any = ws.packages.iter().any(|q| {
                version_files::rewrite(&text, &place, config, &q.name, &q.version_text, &q.version_text).is_some()
            });
            if !any {
                return Err(no_match(
                    &path,
                    "does not hold any package's version as its template or pattern describes",
                ));
            }
        }
    }

    Ok(())
}

/// Step 3: internal requirements that no longer admit the new versions.
fn requirements(w: &mut Writer<'_>, plan: &Plan) -> anyhow::Result<()> {
    let ws = w.tree.ws;
    // internal requirements that no longer admit the new versions
    let mut cargo_released: HashMap<String, (String, Version)> = HashMap::new();
    let mut py_released: HashMap<String, Version> = HashMap::new();
    for e in plan.releases() {
        let next = e.next.clone().expect("released entries have a version");
        match e.ecosystem {
            Ecosystem::Cargo => {
                cargo_released.insert(e.path.clone(), (e.name.clone(), next));
            }
            Ecosystem::Python => {
                py_released.insert(normalize(&e.name), next);
            }
        }
    }
    // crates a [patch] redirects to a member, by (registry, name)
    let cargo_patched: HashMap<(String, String), (String, Version)> = ws
        .cargo_patches
        .iter()
        .filter_map(|(registry, name)| {
            let e = plan.releases().find(|e| e.ecosystem == Ecosystem::Cargo && e.name == *name)?;
            Some(((registry.clone(), name.clone()), (name.clone(), e.next.clone()?)))
        })
        .collect();
    // the versions they have now: a requirement that did not admit it either is left alone
    let current = |eco: Ecosystem, key: fn(&str) -> String| -> HashMap<String, Version> {
        let of_eco = ws.packages.iter().filter(|p| p.ecosystem == eco);
        of_eco.filter_map(|p| Some((key(&p.name), p.version.clone()?))).collect()
    };
    let (cargo_current, py_current) =
        (current(Ecosystem::Cargo, str::to_string), current(Ecosystem::Python, normalize));
    let mut manifests: Vec<(String, String, Ecosystem)> =
        ws.packages.iter().map(|p| (p.manifest.clone(), p.dir.clone(), p.ecosystem)).collect();
    if let Some(dir) = &ws.cargo_root {
        let rel = join_rel(dir, "Cargo.toml");
        if !manifests.iter().any(|(m, _, _)| *m == rel) {
            manifests.push((rel, dir.clone(), Ecosystem::Cargo));
        }
    }
    // a maturin crate outside the Cargo root requires the crates it compiles in
    for b in ws.packages.iter().filter_map(|p| p.built_from.as_ref()).filter(|b| !b.member) {
        if !manifests.iter().any(|(m, _, _)| *m == b.manifest) {
            let dir = b.manifest.rsplit_once('/').map_or(".", |(dir, _)| dir).to_string();
            manifests.push((b.manifest.clone(), dir, Ecosystem::Cargo));
        }
    }
    for (rel, dir, eco) in manifests {
        let text = w.current(&rel)?;
        let (out, changes) = match eco {
            Ecosystem::Cargo if !cargo_released.is_empty() => {
                edit::update_cargo_requirements(&text, &rel, &dir, &cargo_released, &cargo_patched, &cargo_current)
                    .map_err(edit_err)?
            }
            Ecosystem::Python if !py_released.is_empty() => {
                edit::update_python_requirements(&text, &rel, &py_released, &py_current).map_err(edit_err)?
            }
            _ => continue,
        };
        for c in &changes {
            if w.print {
                println!("  requirement on {} `{}` -> `{}` in {rel}", c.dependency, c.from, c.to);
            }
        }
        if !changes.is_empty() {
            w.store(&rel, out);
        }
    }

    Ok(())
}

/// Step 4: a changelog section per released package, and the workspace
/// file; the changelogs with no place for their section.
fn changelogs(w: &mut Writer<'_>, plan: &Plan, sections: &[Section], show: Show) -> anyhow::Result<Vec<Unplaced>> {
    let root = w.tree.root;
    // changelogs: a section per released package, and the workspace file
    let config = &w.tree.config.changelog;
    let mut unplaced = vec![];
    if config.enabled {
        for s in sections {
            let existing = if root.join(&s.path).is_file() { Some(w.current(&s.path)?) } else { None };
            let out = match changelog::insert(existing.as_deref(), s) {
                Ok(Some(out)) => out,
                Ok(None) => {
                    if w.print {
                        println!("  changelog {} has {} already", s.path, s.version);
                    }
                    continue;
                }
                Err(why) => {
                    unplaced.push(Unplaced { path: s.path.clone(), why });
                    continue;
                }
            };
            let heading = s.heading_in(&changelog::style_of(existing.as_deref()));
            w.store(&s.path, out);
            if w.print {
                println!("  changelog {}: {heading}", s.path);
            }
            if show == Show::Sections {
                for line in s.body().lines() {
                    println!("  | {line}");
                }
            }
        }
        if let (Some(rel), Some(first)) = (&config.workspace, sections.first()) {
            let existing = if root.join(rel).is_file() { Some(w.current(rel)?) } else { None };
            let heading = changelog::workspace_heading(plan, &first.date);
            if let Some(out) = changelog::workspace_insert(existing.as_deref(), &heading, sections) {
                w.store(rel, out);
                if w.print {
                    println!("  workspace changelog {rel}: {heading}");
                }
            }
        }
    }
    Ok(unplaced)
}

/// The lockfiles the release updates: every one git tracks that holds a
/// package it bumps (the Cargo root's, a maturin crate's own, the uv
/// workspace's). An ignored or untracked lockfile (tokio ignores its
/// Cargo.lock) is the user's own: no part of the release.
pub fn lockfiles(sh: &Shell, tree: Tree<'_>, plan: &Plan) -> anyhow::Result<Vec<String>> {
    let candidates = lockfile_candidates(tree, plan);
    if candidates.is_empty() {
        return Ok(candidates);
    }
    let root = tree.root;
    let asked = &candidates;
    let listed = shell::read(
        cmd!(sh, "git -C {root} ls-files -- {asked...}"),
        Code::Git,
        "check that the repository is not damaged (git fsck)",
    )?;
    let tracked: Vec<&str> = listed.lines().collect();
    Ok(candidates.into_iter().filter(|c| tracked.contains(&c.as_str())).collect())
}

/// The lockfiles on disk that hold a package `plan` bumps, tracked or not.
fn lockfile_candidates(tree: Tree<'_>, plan: &Plan) -> Vec<String> {
    let ws = tree.ws;
    let mut out = vec![];
    if let Some(dir) = &ws.cargo_root {
        let rel = join_rel(dir, "Cargo.lock");
        if plan.releases().any(|e| e.ecosystem == Ecosystem::Cargo) && tree.root.join(&rel).is_file() {
            out.push(rel);
        }
    }
    // a maturin package's crate outside the Cargo root (pydantic-core) has a
    // lockfile of its own, at its workspace root, which holds its version too
    for e in plan.releases().filter(|e| e.ecosystem == Ecosystem::Python) {
        let Some(p) = ws.index_in(e.ecosystem, &e.name).map(|k| &ws.packages[k]) else { continue };
        let VersionSource::Crate { manifest, workspace } = &p.version_source else { continue };
        let crate_root = workspace.as_deref().unwrap_or(manifest);
        let dir = crate_root.rsplit_once('/').map_or(".", |(dir, _)| dir);
        let rel = join_rel(dir, "Cargo.lock");
        if !out.contains(&rel) && tree.root.join(&rel).is_file() {
            out.push(rel);
        }
    }
    if let Some(dir) = &ws.python_root {
        let rel = join_rel(dir, "uv.lock");
        if plan.releases().any(|e| e.ecosystem == Ecosystem::Python) && tree.root.join(&rel).is_file() {
            out.push(rel);
        }
    }
    out
}

/// XR135: a `[[version-files]]` place that cannot be moved.
fn no_match(path: &str, what: &str) -> anyhow::Error {
    fail(
        Code::VersionFileNoMatch,
        format!("[[version-files]] {path} {what}"),
        "fix the entry's path, template or pattern in xtask-release.toml; nothing was written",
    )
}
