//! What `init` infers from what it found, and the configuration that says so.
//! Pure: `Found` is gathered by `init::look`, nothing here reads the disk.
//!
//! Tags are read against the packages' names: `core-v1.2.0` is the template
//! `{name}-v{version}` when `core` is a package and `1.2.0` parses as its
//! version; `py/core-1.2.0` is `py/{name}-{version}`. A tag is a package's only
//! where that package's version file has the tag's version at the tag's commit
//! (`wanted` says which files at which commits `look` must read), so npm's
//! `genkit@1.33.0` is not the Python package `genkit`'s. A tag that names no
//! package (`v0.3.0`, `py-1.2.0`, `core-v2.48.0`) belongs to the packages at
//! its version at its newest commits: written beside per-package tags at the
//! same commits it is `[tags] umbrella`; the tag of packages of one ecosystem
//! it is that ecosystem's umbrella (`[tags] cargo = "rs-{version}"`, the others
//! `separate`), of both a group's `tag`. Templates are listed newest first, by
//! the date the tags were made, so the convention in use is the one a release
//! writes.
//!
//! This file holds what is found and inferred (the types), `wanted` and
//! `infer`; `classify` reads whose each tag is, `umbrellas` what the
//! templates without a name are, `groups` the packages released together,
//! `render` writes the configuration.

mod classify;
mod groups;
mod render;
mod umbrellas;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::version::{Ecosystem, Version};
use classify::{classify_all, conventions, verified};
use groups::synchronized;
use umbrellas::{decide, literal_entries, literal_tags};

pub use render::render;

/// A package as inference needs it.
#[derive(Debug, Clone)]
pub struct Pkg {
    pub name: String,
    /// How a group names it (`ecosystem:name` when the name is ambiguous).
    pub id: String,
    pub ecosystem: Ecosystem,
    pub version: Option<Version>,
    pub publishable: bool,
    /// `version.workspace = true`: already synchronized with the other crates that inherit it.
    pub inherits_version: bool,
    /// Where its version is written, to read it at a tag's commit.
    pub read: VersionRead,
}

/// Where a package's version is read at another commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRead {
    /// `package.version` of `manifest`, or `[workspace.package] version` of
    /// `workspace` when the crate inherits it.
    Cargo { manifest: String, workspace: Option<String> },
    /// `project.version` of this pyproject.toml.
    Pyproject(String),
    /// A version file: hatch's `pattern` (else its default), else the whole file.
    File { path: String, pattern: Option<String> },
    /// From git tags: every version is this package's.
    Tags,
    /// Nowhere.
    Nowhere,
}

impl VersionRead {
    pub fn files(&self) -> Vec<&str> {
        match self {
            VersionRead::Cargo { manifest, workspace } => {
                std::iter::once(manifest.as_str()).chain(workspace.as_deref()).collect()
            }
            VersionRead::Pyproject(p) | VersionRead::File { path: p, .. } => vec![p.as_str()],
            VersionRead::Tags | VersionRead::Nowhere => vec![],
        }
    }
}

#[derive(Debug, Clone)]
pub struct TagRef {
    pub name: String,
    pub commit: String,
    /// Position in HEAD's history (0 is HEAD); `None` when HEAD does not reach it.
    pub position: Option<usize>,
    /// When the tag was made (unix seconds: the tagger's date, a lightweight tag's commit date).
    pub date: i64,
}

impl TagRef {
    /// Sorts newest first: by date, then by closeness to HEAD.
    pub(super) fn age(&self) -> (std::cmp::Reverse<i64>, usize) {
        (std::cmp::Reverse(self.date), self.position.unwrap_or(usize::MAX))
    }
}

/// A finding and why: the value and the evidence, one line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Why<T> {
    pub value: T,
    pub why: String,
}

#[derive(Debug, Clone, Default)]
pub struct Found {
    pub python_root: Option<Why<String>>,
    pub cargo_root: Option<Why<String>>,
    pub cargo_registry: Option<Why<String>>,
    /// `[[tool.uv.index]]` with a `publish-url`: (publish URL, index URL).
    pub python_index: Option<Why<(String, String)>>,
    /// The branch releases are made from, when it is not the default `main`.
    pub branch: Option<Why<String>>,
    /// `[changelog] enabled = false`: the repository keeps no changelog a release could add to.
    pub no_changelogs: Option<Why<()>>,
    pub packages: Vec<Pkg>,
    pub tags: Vec<TagRef>,
    /// (commit, path) → the file's text there (`None`: no such file), for the
    /// pairs `wanted` asked for.
    pub files_at: HashMap<(String, String), Option<String>>,
}

/// A tag template and the tags that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Convention {
    pub template: String,
    pub count: usize,
    /// The newest tag that follows it.
    pub newest: String,
    /// Its date.
    pub date: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFound {
    pub name: String,
    pub members: Vec<String>,
    /// Empty: each member keeps its own tags.
    pub tag: Vec<Convention>,
    pub why: String,
}

/// An ecosystem's umbrella: `[tags] python`/`cargo` without `{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcoUmbrella {
    /// The umbrella's templates, newest first (the ecosystem's per-package ones follow them).
    pub templates: Vec<Convention>,
    /// How many packages were at its version.
    pub members: usize,
    /// The ecosystem's packages at versions of their own: `[tags] separate`.
    pub separate: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Inferred {
    /// Per-package templates per ecosystem, newest first (empty: no such tags).
    pub cargo_tags: Vec<Convention>,
    pub python_tags: Vec<Convention>,
    pub cargo_umbrella: Option<EcoUmbrella>,
    pub python_umbrella: Option<EcoUmbrella>,
    pub umbrella: Option<Convention>,
    pub groups: Vec<GroupFound>,
    /// Tags that are no package's here (a few examples).
    pub unrecognized: Vec<String>,
    pub unrecognized_count: usize,
}

impl Inferred {
    pub fn tags(&self, eco: Ecosystem) -> &[Convention] {
        match eco {
            Ecosystem::Cargo => &self.cargo_tags,
            Ecosystem::Python => &self.python_tags,
        }
    }

    pub fn umbrella_of(&self, eco: Ecosystem) -> Option<&EcoUmbrella> {
        match eco {
            Ecosystem::Cargo => self.cargo_umbrella.as_ref(),
            Ecosystem::Python => self.python_umbrella.as_ref(),
        }
    }

    pub(super) fn set(&mut self, eco: Ecosystem, tags: Vec<Convention>, umbrella: Option<EcoUmbrella>) {
        match eco {
            Ecosystem::Cargo => (self.cargo_tags, self.cargo_umbrella) = (tags, umbrella),
            Ecosystem::Python => (self.python_tags, self.python_umbrella) = (tags, umbrella),
        }
    }
}

/// The files (commit, path) `infer` still needs to read versions at tags'
/// commits, in two rounds: first each package-looking tag's package's files;
/// once those are read, for each template without a name, every publishable
/// package's at the commits of its newest tags that are no package's. `look`
/// asks until nothing is left.
pub fn wanted(found: &Found) -> BTreeSet<(String, String)> {
    let pkgs = &found.packages;
    let classes = classify_all(found);
    let mut out = BTreeSet::new();
    let add = |out: &mut BTreeSet<(String, String)>, commit: &str, i: usize| {
        for f in pkgs[i].read.files() {
            let key = (commit.to_string(), f.to_string());
            if !found.files_at.contains_key(&key) {
                out.insert(key);
            }
        }
    };
    for (t, c) in found.tags.iter().zip(&classes) {
        for (i, _, _) in &c.candidates {
            add(&mut out, &t.commit, *i);
        }
    }
    if !out.is_empty() {
        return out;
    }
    for tags in literal_tags(found, &classes).values() {
        for (t, _) in tags.iter().take(NEWEST) {
            for i in (0..pkgs.len()).filter(|&i| pkgs[i].publishable) {
                add(&mut out, &t.commit, i);
            }
        }
    }
    out
}

/// How many of a template's newest tags decide whose it is.
const NEWEST: usize = 3;

/// The longest prefix of a template without a name (`release-v`, `py/v`, `core-v`).
const MAX_PREFIX: usize = 12;
/// Reads the conventions out of the tags.
pub fn infer(found: &Found) -> Inferred {
    let pkgs = &found.packages;
    let classes = classify_all(found);
    let mut out = Inferred::default();
    let mut per_pkg: BTreeMap<usize, Vec<(String, &TagRef)>> = BTreeMap::new();
    for (t, c) in found.tags.iter().zip(&classes) {
        if let Some((i, template)) = verified(found, t, c) {
            per_pkg.entry(i).or_default().push((template, t));
        }
    }
    let per_eco = |eco: Ecosystem| {
        let tags = per_pkg.iter().filter(|(i, _)| pkgs[**i].ecosystem == eco).flat_map(|(_, ts)| ts.iter());
        conventions(tags.map(|(template, t)| (template.as_str(), *t)))
    };
    let mut per_package = [per_eco(Ecosystem::Cargo), per_eco(Ecosystem::Python)];
    let literals = literal_tags(found, &classes);
    let (beside, entries, read) = literal_entries(found, &literals, &per_pkg);
    out.umbrella = beside;
    let taken = decide(found, entries, &mut per_package, &mut out);

    let mut recognized: BTreeSet<&str> = read;
    recognized.extend(per_pkg.values().flat_map(|ts| ts.iter().map(|(_, t)| t.name.as_str())));
    for t in found.tags.iter().filter(|t| !recognized.contains(t.name.as_str())) {
        out.unrecognized_count += 1;
        if out.unrecognized.len() < 3 {
            out.unrecognized.push(t.name.clone());
        }
    }
    let [cargo, python] = per_package;
    let (cu, pu) = (out.cargo_umbrella.take(), out.python_umbrella.take());
    out.set(Ecosystem::Cargo, cargo, cu);
    out.set(Ecosystem::Python, python, pu);
    out.groups.extend(synchronized(pkgs, &per_pkg, &taken));
    out
}

#[cfg(test)]
mod tests;
