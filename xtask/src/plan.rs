//! Planning: which packages are released, at which version, in which order, and
//! why. Pure: takes the workspace, graph and history, returns the plan; nothing
//! here touches the disk or runs a program. `release` executes exactly this plan.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{fail, Code};
use crate::graph::Graph;
use crate::history::{PackageHistory, PackageNotes};
use crate::version::pep440::PreKind;
use crate::version::{Ecosystem, Level, Version};
use crate::workspace::{pep508, PackageId, VersionSource, Workspace};

mod decide;
mod entry;
mod estimate;
mod reason;
mod render;
mod start;
#[cfg(test)]
mod tests;

pub use estimate::{estimate, estimate_with, Bound, Estimate, Measured};
pub use render::{render_csv, render_json, render_table};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub packages: Vec<String>,
    pub exclude: Vec<String>,
    pub force_unchanged: bool,
    pub bump: Option<BumpArg>,
    pub pre: Option<PreKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BumpArg {
    Level(Level),
    /// An explicit version, parsed per package in its own ecosystem.
    Version(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Release,
    Skip,
    Excluded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Release => "release",
            Status::Skip => "skip",
            Status::Excluded => "excluded",
        }
    }
}

/// What kind of version change a plan entry makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    Major,
    Minor,
    Patch,
    /// A pre-release: started or advanced (`--pre`).
    Pre,
    /// `--bump VERSION`.
    Explicit,
    /// A first release of the version already written.
    Initial,
    None,
}

impl Bump {
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::Major => "major",
            Bump::Minor => "minor",
            Bump::Patch => "patch",
            Bump::Pre => "pre",
            Bump::Explicit => "explicit",
            Bump::Initial => "initial",
            Bump::None => "none",
        }
    }
}

impl std::fmt::Display for Bump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub ecosystem: Ecosystem,
    pub path: String,
    pub manifest: String,
    pub version: String,
    pub next_version: Option<String>,
    pub bump: Bump,
    pub status: Status,
    pub reason: String,
    pub level: usize,
    pub order: usize,
    pub dependencies: Vec<String>,
    /// The tag this release creates.
    pub tag: Option<String>,
    pub last_tag: Option<String>,
    /// Commits since the last tag that touch the package.
    pub commits: usize,
    /// `next_version` parsed; rebuilt by `Plan::reparse` after reading a journal.
    #[serde(skip)]
    pub next: Option<Version>,
    /// The commits a changelog lists (`changelog` renders them). Not stored in
    /// the journal: a resumed release reads its notes back from the changelog
    /// files of the release commit.
    #[serde(skip)]
    pub notes: PackageNotes,
    /// What the release journal records this package under when it is not its
    /// name: `python:NAME` for a Python package that shares its name with a crate.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// The reason, typed, for the code that acts on it (the changelog's
    /// Dependencies line, its summary); `reason` is its rendering, shown only.
    #[serde(skip)]
    pub cause: Cause,
}

/// What the code below `plan` needs to know of an entry's reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cause {
    #[default]
    Other,
    /// Released because dependency `dep` moves to `version` (a requirement that
    /// no longer admits it, or a crate compiled into the wheel).
    Forced { dep: String, version: String },
    /// Released with the synchronized group `group`.
    Synchronized { group: String },
}

impl Entry {
    /// The package's identity.
    pub fn id(&self) -> PackageId {
        PackageId { ecosystem: self.ecosystem, name: self.name.clone() }
    }

    /// The package's key in the release journal (and its artifact folder's
    /// name): `PackageId::journal_key`, stored when it is not the name.
    pub fn key(&self) -> &str {
        if self.key.is_empty() {
            &self.name
        } else {
            &self.key
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub packages: Vec<Entry>,
    /// The umbrella tag, when `[tags] umbrella` is set and something is released.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub umbrella_tag: Option<String>,
    /// Every file the release writes (manifests, version literals and
    /// `[[version-files]]`, changelogs, lockfiles), relative to the root.
    /// Filled by `Repo::plan`, which reads the files; empty in a pure plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// What the plan warns about (`XR044`: tags that look like releases, none
    /// read), also printed on stderr. Filled by `Repo::plan`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// A warning as plan JSON shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Warning {
    pub code: String,
    pub cause: String,
    pub help: String,
}

impl From<&crate::error::Failure> for Warning {
    fn from(f: &crate::error::Failure) -> Warning {
        Warning { code: f.code.id().to_string(), cause: f.cause.clone(), help: f.help.clone() }
    }
}

impl Plan {
    pub fn releases(&self) -> impl Iterator<Item = &Entry> {
        self.packages.iter().filter(|e| e.status == Status::Release)
    }

    /// The tags the release creates, each once (the members of a group with a
    /// `tag` share it), then the umbrella tag.
    pub fn tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = vec![];
        for t in self.releases().filter_map(|e| e.tag.clone()).chain(self.umbrella_tag.clone()) {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        tags
    }

    /// Rebuilds the parsed versions after deserializing.
    pub fn reparse(&mut self) {
        for e in &mut self.packages {
            e.next = e.next_version.as_deref().and_then(|v| Version::parse(e.ecosystem, v).ok());
        }
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.packages.iter().find(|e| e.name == name)
    }
}

pub fn plan(
    ws: &Workspace,
    graph: &Graph,
    history: &[PackageHistory],
    config: &Config,
    opts: &Options,
) -> anyhow::Result<Plan> {
    // versions from git tags (hatch-vcs, setuptools-scm, ...): the last tag's, 0.0.0 before the first
    let vcs = start::with_tag_versions(ws, history);
    // an ecosystem umbrella holds one version: judged on the versions as written
    let umbrella_problem = crate::tags::umbrella_problems(config, &vcs).into_iter().next();
    // a manifest behind its last tag (the project went back): the tag's, so no tag is proposed twice
    let behind = start::behind_tags(&vcs, history);
    let ws = &*start::from_last_tags(&vcs, &behind);
    let selection = Selection::read(ws, graph, opts)?;
    let groups = with_implicit_groups(ws, config);
    let group_of = group_members(ws, &groups)?;
    if let Some(f) = umbrella_problem {
        return Err(anyhow::Error::new(f));
    }
    let tag_groups = crate::tags::tag_groups(config, ws);
    no_shared_template(ws, config, &tag_groups)?;

    let mut d = Vec::with_capacity(ws.packages.len());
    for (i, h) in history.iter().enumerate().take(ws.packages.len()) {
        d.push(decide::first(ws, i, h, &selection, config.convention, opts)?);
    }
    decide::settle(ws, graph, &groups, &group_of, &mut d, opts)?;

    let planner = entry::Planner { ws, graph, history, config, tag_groups: &tag_groups, behind: &behind };
    let mut packages = Vec::with_capacity(ws.packages.len());
    let mut tagged: Vec<Option<(String, String)>> = vec![None; ws.packages.len()];
    for (pos, &i) in graph.order.iter().enumerate() {
        let e = planner.entry(pos, i, &d[i], &tagged)?;
        tagged[i] = e.tag.clone().zip(e.next_version.clone());
        packages.push(e);
    }
    let umbrella_tag = entry::umbrella_tag(config, &packages)?;
    Ok(Plan { packages, umbrella_tag, files: vec![], warnings: vec![] })
}

/// The packages `--package` selects (with what they depend on; all without
/// it) and those `--exclude` leaves out.
struct Selection {
    selected: BTreeSet<usize>,
    excluded: BTreeSet<usize>,
}

impl Selection {
    fn read(ws: &Workspace, graph: &Graph, opts: &Options) -> anyhow::Result<Selection> {
        let mut selected: BTreeSet<usize> = (0..ws.packages.len()).collect();
        if !opts.packages.is_empty() {
            selected.clear();
            for name in &opts.packages {
                selected.extend(graph.deps_closure(ws.lookup(name, "--package")?));
            }
        }
        let mut excluded = BTreeSet::new();
        for name in &opts.exclude {
            excluded.insert(ws.lookup(name, "--exclude")?);
        }
        Ok(Selection { selected, excluded })
    }
}

/// The configured groups, then the implicit ones: crates with
/// `version.workspace = true` share one version whether or not a group says
/// so, and a maturin package and the crate it is built from share one (an
/// implicit group of the pair, or the Python package joins the crate's group).
fn with_implicit_groups(ws: &Workspace, config: &Config) -> Vec<crate::config::Group> {
    let configured = |k: usize| config.groups.iter().any(|g| g.members.iter().any(|m| ws.index_of(m) == Some(k)));
    let implicit =
        |name: String, members: Vec<String>| crate::config::Group { name, members, tag: vec![], umbrella: None };
    let mut groups = config.groups.clone();
    let mut inheriting: Vec<String> = (0..ws.packages.len())
        .filter(|&i| ws.packages[i].version_source == VersionSource::CargoWorkspace && !configured(i))
        .map(|i| ws.id(i))
        .collect();
    for i in 0..ws.packages.len() {
        let Some(j) = ws.maturin_crate(i) else { continue };
        if configured(i) || configured(j) {
            continue;
        }
        if inheriting.contains(&ws.id(j)) {
            inheriting.push(ws.id(i));
        } else {
            let name = format!("maturin: {} is built from crate {}", ws.id(i), ws.packages[j].name);
            groups.push(implicit(name, vec![ws.id(i), ws.id(j)]));
        }
    }
    if inheriting.len() > 1 {
        groups.push(implicit("[workspace.package] version".into(), inheriting));
    }
    groups
}

/// Each grouped package's group: a package is in one group at most.
fn group_members(ws: &Workspace, groups: &[crate::config::Group]) -> anyhow::Result<BTreeMap<usize, usize>> {
    let mut group_of: BTreeMap<usize, usize> = BTreeMap::new();
    for (gi, g) in groups.iter().enumerate() {
        for m in &g.members {
            let i = ws.lookup(m, &format!("[[groups]] `{}`", g.name))?;
            if let Some(other) = group_of.insert(i, gi) {
                return Err(fail(
                    Code::ConfigValue,
                    format!("`{m}` is in two groups: `{}` and `{}`", groups[other].name, g.name),
                    "a package can be synchronized with one group only",
                ));
            }
        }
    }
    Ok(group_of)
}

/// `XR043` before anything is decided: one name in two ecosystems with one
/// tag template, so whose tags are whose is unknowable.
fn no_shared_template(ws: &Workspace, config: &Config, tag_groups: &[Option<usize>]) -> anyhow::Result<()> {
    for (i, p) in ws.packages.iter().enumerate() {
        let same_name = |k: usize| {
            let q = &ws.packages[k];
            q.ecosystem != p.ecosystem && pep508::normalize(&q.name) == pep508::normalize(&p.name)
        };
        // every template at one version: they collide when the tags do
        let at_1 = |k: usize| {
            let tag = || crate::tags::tag_of(config, &ws.packages[k], tag_groups[k], "1").0;
            (k == i || (k < i && same_name(k))).then(|| (tag(), "1".to_string()))
        };
        let twin = crate::tags::twin(ws, tag_groups, i, at_1);
        if let Some(k) = twin {
            let q = &ws.packages[k];
            return Err(fail(
                Code::TagCollision,
                format!(
                    "{} {} and {} {} share one tag template ({}), so their tags would be the same",
                    q.ecosystem.as_str(),
                    q.name,
                    p.ecosystem.as_str(),
                    p.name,
                    config.tag_template(p.ecosystem)
                ),
                "give one ecosystem its own template in xtask-release.toml, e.g. [tags] python = \"py-{name}-v{version}\"",
            ));
        }
    }
    Ok(())
}

/// Where package `p`'s version is written, for a help line.
pub fn version_file(p: &crate::workspace::Package) -> String {
    match &p.version_source {
        VersionSource::File { path, .. } => path.clone(),
        VersionSource::Crate { manifest, workspace } => workspace.clone().unwrap_or_else(|| manifest.clone()),
        _ => p.manifest.clone(),
    }
}
