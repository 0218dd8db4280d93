//! Planning: which packages are released, at which version, in which order, and
//! why. Pure: takes the workspace, graph and history, returns the plan; nothing
//! here touches the disk or runs a program. `release` executes exactly this plan.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::commits::Change;
use crate::commits::Convention;
use crate::config::{check_ref_name, render_tag, Config};
use crate::error::{fail, Code};
use crate::graph::Graph;
use crate::history::{PackageHistory, PackageNotes};
use crate::version::pep440::PreKind;
use crate::version::{pre_name, Ecosystem, Level, Version};
use crate::workspace::{pep508, DepKind, VersionSource, Workspace};

mod reason;

use reason::{Commits, Note, Reason, Rule, Why};

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
    /// The package's key in the release journal (and its artifact folder's name).
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

/// A decision in progress for one package.
#[derive(Clone)]
struct Decision {
    status: Status,
    next: Option<Version>,
    bump: Bump,
    level: Level,
    reason: Reason,
}

pub fn plan(
    ws: &Workspace,
    graph: &Graph,
    history: &[PackageHistory],
    config: &Config,
    opts: &Options,
) -> anyhow::Result<Plan> {
    // versions from git tags (hatch-vcs, setuptools-scm, ...): the last tag's, 0.0.0 before the first
    let with_vcs;
    let ws = if ws.packages.iter().any(|p| matches!(p.version_source, VersionSource::Vcs(_))) {
        with_vcs = with_tag_versions(ws, history);
        &with_vcs
    } else {
        ws
    };
    // an ecosystem umbrella holds one version: judged on the versions as written
    let umbrella_problem = crate::tags::umbrella_problems(config, ws).into_iter().next();
    // a manifest behind its last tag (the project went back): the tag's, so no tag is proposed twice
    let behind = behind_tags(ws, history);
    let filled;
    let ws = if behind.iter().any(Option::is_some) {
        filled = from_last_tags(ws, &behind);
        &filled
    } else {
        ws
    };
    let n = ws.packages.len();
    let find = |name: &str, flag: &str| ws.lookup(name, flag);
    let mut selected: BTreeSet<usize> = (0..n).collect();
    if !opts.packages.is_empty() {
        selected.clear();
        for name in &opts.packages {
            selected.extend(graph.deps_closure(find(name, "--package")?));
        }
    }
    let mut excluded_by_flag = BTreeSet::new();
    for name in &opts.exclude {
        excluded_by_flag.insert(find(name, "--exclude")?);
    }
    // Crates with `version.workspace = true` share one version whether or not
    // a group says so: they form an implicit group.
    let mut groups = config.groups.clone();
    let inheriting: Vec<String> = (0..n)
        .filter(|&i| ws.packages[i].version_source == VersionSource::CargoWorkspace)
        .filter(|&i| !config.groups.iter().any(|g| g.members.iter().any(|m| ws.index_of(m) == Some(i))))
        .map(|i| ws.id(i))
        .collect();
    let mut inheriting = inheriting;
    // A maturin package and the crate it is built from share one version: an
    // implicit group of the pair (or the Python package joins the crate's group).
    for (i, p) in ws.packages.iter().enumerate() {
        let Some(j) = ws.maturin_crate(i) else { continue };
        let configured = |k: usize| config.groups.iter().any(|g| g.members.iter().any(|m| ws.index_of(m) == Some(k)));
        if configured(i) || configured(j) {
            continue;
        }
        if inheriting.contains(&ws.id(j)) {
            inheriting.push(ws.id(i));
        } else {
            groups.push(crate::config::Group {
                name: format!("maturin: {} is built from crate {}", ws.id(i), ws.packages[j].name),
                members: vec![ws.id(i), ws.id(j)],
                tag: vec![],
                umbrella: None,
            });
        }
        let _ = p;
    }
    if inheriting.len() > 1 {
        groups.push(crate::config::Group {
            name: "[workspace.package] version".into(),
            members: inheriting,
            tag: vec![],
            umbrella: None,
        });
    }
    let mut group_of: BTreeMap<usize, usize> = BTreeMap::new();
    for (gi, g) in groups.iter().enumerate() {
        for m in &g.members {
            let i = find(m, &format!("[[groups]] `{}`", g.name))?;
            if let Some(other) = group_of.insert(i, gi) {
                return Err(fail(
                    Code::ConfigValue,
                    format!("`{m}` is in two groups: `{}` and `{}`", groups[other].name, g.name),
                    "a package can be synchronized with one group only",
                ));
            }
        }
    }

    // an ecosystem umbrella holds one version: members at others stop the plan
    if let Some(f) = umbrella_problem {
        return Err(anyhow::Error::new(f));
    }

    // one name in two ecosystems with one tag template: whose tags are whose is unknowable
    let tag_groups = crate::tags::tag_groups(config, ws);
    for (i, p) in ws.packages.iter().enumerate() {
        let tag = |k: usize| crate::tags::tag_of(config, &ws.packages[k], tag_groups[k], "1").0;
        let twin = ws.packages[..i].iter().enumerate().find(|&(k, q)| {
            !is_pair(ws, i, k)
                && q.ecosystem != p.ecosystem
                && q.unpublishable.is_none()
                && p.unpublishable.is_none()
                && pep508::normalize(&q.name) == pep508::normalize(&p.name)
                && (tag_groups[k].is_none() || tag_groups[k] != tag_groups[i])
                && tag(k) == tag(i)
        });
        if let Some((_, q)) = twin {
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

    let mut d: Vec<Decision> = Vec::with_capacity(n);
    for (i, p) in ws.packages.iter().enumerate() {
        let excluded = |why: Why| Decision {
            status: Status::Excluded,
            next: None,
            bump: Bump::None,
            level: Level::None,
            reason: why.into(),
        };
        if let Some(why) = &p.unpublishable {
            d.push(excluded(Why::NeverPublished(why.clone())));
            continue;
        }
        if !selected.contains(&i) {
            d.push(excluded(Why::NotSelected));
            continue;
        }
        if excluded_by_flag.contains(&i) {
            d.push(excluded(Why::ExcludedByFlag));
            continue;
        }
        if let Some(local) = p.version.as_ref().and_then(Version::local) {
            // PyPI refuses local versions: such a package is not meant for an index
            d.push(excluded(Why::LocalVersion {
                version: p.version_text.clone(),
                local: local.to_string(),
                file: version_file(p),
            }));
            continue;
        }
        let current = p.version.clone().ok_or_else(|| {
            fail(
                Code::InvalidVersion,
                format!("{}: version `{}` is not valid", p.name, p.version_text),
                format!("fix the version in {}", p.manifest),
            )
        })?;
        if matches!(p.version_source, VersionSource::Vcs(_)) && history[i].last_tag.is_none() {
            // before the first tag the plugins say 0.0.0: the commits decide the first version
            let mut h = history[i].clone();
            h.last_tag = Some(("(no tag yet: the version control gives 0.0.0)".into(), current.clone()));
            d.push(decide(p.ecosystem, &current, &h, config.convention, opts)?);
            continue;
        }
        d.push(decide(p.ecosystem, &current, &history[i], config.convention, opts)?);
    }

    // Groups and forced dependents feed each other: repeat until nothing moves.
    for _round in 0..=n {
        let mut moved = false;
        for (gi, g) in groups.iter().enumerate() {
            moved |= synchronize(ws, &mut d, &group_of, gi, &g.name, opts)?;
        }
        for &i in &graph.order {
            if d[i].status != Status::Skip {
                continue;
            }
            let p = &ws.packages[i];
            let forced_by = p.deps.iter().filter(|dep| dep.kind != DepKind::Dev).find_map(|dep| {
                let j = ws.dep_index(p, dep)?;
                let next = d[j].next.as_ref().filter(|_| d[j].status == Status::Release)?;
                (!dep.req.admits(next)).then(|| Why::Forced {
                    dep: dep.name.clone(),
                    req: dep.req_text.clone(),
                    next: next.to_string(),
                })
            });
            // a crate the wheel compiles in: any release of it is one of the package
            let forced_by = forced_by.or_else(|| compiled_in(ws, i, &d));
            if let Some(why) = forced_by {
                let current = p.version.clone().expect("checked above");
                d[i] = Decision {
                    status: Status::Release,
                    next: Some(above(&current, current.bump(Level::Patch), &p.name)?),
                    bump: Bump::Patch,
                    level: Level::Patch,
                    reason: why.into(),
                };
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }

    let mut packages = Vec::with_capacity(n);
    for (pos, &i) in graph.order.iter().enumerate() {
        let p = &ws.packages[i];
        let dec = &d[i];
        let group = tag_groups[i];
        let tagged = dec.next.as_ref().map(|v| crate::tags::tag_of(config, p, group, &v.to_string()));
        let tag = tagged.as_ref().map(|(t, _)| t.clone());
        if let Some((t, key)) = &tagged {
            check_ref_name(t).map_err(|why| {
                fail(
                    Code::TagFormat,
                    format!("the tag for {} would be `{t}`, which {why}", p.name),
                    format!("change {key} in xtask-release.toml"),
                )
            })?;
            if history[i].tags.contains(t) {
                return Err(tag_exists(ws, i, t, dec.next.as_ref()));
            }
            if let Some(next) = dec.next.as_ref().filter(|v| v.local().is_some()) {
                return Err(fail(
                    Code::LocalVersion,
                    format!(
                        "{} {next} has a local version part (`+{}`), which PyPI refuses",
                        p.name,
                        next.local().unwrap_or_default()
                    ),
                    format!(
                        "remove `+{}` from the version in {} (or pass --bump with a public version), or --exclude {}",
                        next.local().unwrap_or_default(),
                        version_file(p),
                        ws.id(i)
                    ),
                ));
            }
            let pair_tag = |e: &Entry| {
                let same = |v: &Option<Version>| v.as_ref().map(|v| v.to_ecosystem(Ecosystem::Python));
                ws.index_in(e.ecosystem, &e.name).is_some_and(|k| is_pair(ws, i, k)) && same(&e.next) == same(&dec.next)
            };

            // the members of a group with a `tag` share theirs
            let same_group =
                |e: &Entry| group.is_some() && ws.index_in(e.ecosystem, &e.name).and_then(|j| tag_groups[j]) == group;
            if let Some(other) =
                packages.iter().find(|e: &&Entry| e.tag.as_ref() == Some(t) && !pair_tag(e) && !same_group(e))
            {
                return Err(fail(
                    Code::TagCollision,
                    format!("{} {} and {} {} would both be tagged `{t}`", other.ecosystem.as_str(), other.name, p.ecosystem.as_str(), p.name),
                    "give one ecosystem its own template in xtask-release.toml, e.g. [tags] python = \"py-{name}-v{version}\"",
                ));
            }
        }
        let shares_name = ws
            .packages
            .iter()
            .any(|q| q.ecosystem == Ecosystem::Cargo && pep508::normalize(&q.name) == pep508::normalize(&p.name));
        packages.push(Entry {
            key: if p.ecosystem == Ecosystem::Python && shares_name {
                format!("python:{}", p.name)
            } else {
                String::new()
            },
            name: p.name.clone(),
            ecosystem: p.ecosystem,
            path: p.dir.clone(),
            manifest: p.manifest.clone(),
            version: p.version_text.clone(),
            next_version: dec.next.as_ref().map(Version::to_string),
            bump: dec.bump,
            status: dec.status,
            reason: entry_reason(ws, i, &dec.reason, behind[i].as_ref()),
            cause: dec.reason.cause(),
            level: graph.levels[i],
            order: pos + 1,
            dependencies: graph.deps(i).iter().map(|&j| graph.name(j).to_string()).collect(),
            tag,
            last_tag: history[i].last_tag.as_ref().map(|(t, _)| t.clone()),
            commits: history[i].commits.len(),
            next: dec.next.clone(),
            notes: history[i].notes.clone(),
        });
    }
    let umbrella_tag = match &config.tag_umbrella {
        Some(t) => {
            let top = packages.iter().filter_map(|e| e.next.clone()).reduce(|a, b| if b > a { b } else { a });
            match top {
                Some(v) => {
                    let tag = render_tag(t, "", &v.to_string());
                    check_ref_name(&tag).map_err(|why| {
                        fail(
                            Code::TagFormat,
                            format!("the umbrella tag would be `{tag}`, which {why}"),
                            "change [tags] umbrella in xtask-release.toml",
                        )
                    })?;
                    Some(tag)
                }
                None => None,
            }
        }
        None => None,
    };
    Ok(Plan { packages, umbrella_tag, files: vec![] })
}

/// `XR039`: the tag of package `i`'s planned version exists. Versions are
/// planned above the last tag in HEAD's history, so this one is elsewhere:
/// that version was released from another branch.
fn tag_exists(ws: &Workspace, i: usize, tag: &str, next: Option<&Version>) -> anyhow::Error {
    let p = &ws.packages[i];
    let next = next.map(Version::to_string).unwrap_or_default();
    fail(
        Code::TagExists,
        format!(
            "{} {next} would be tagged `{tag}`, which exists already, on a commit outside HEAD's history (a release from another branch)",
            p.name
        ),
        format!(
            "merge what was released there (its tag is then read), or plan a version above it with --bump VERSION, or leave {} out with --exclude",
            ws.id(i)
        ),
    )
}

/// `Why::Compiled` when a crate that package `i`'s wheel compiles in (a
/// maturin crate outside the Cargo root depends on it by path) is released.
fn compiled_in(ws: &Workspace, i: usize, d: &[Decision]) -> Option<Why> {
    let p = &ws.packages[i];
    p.deps.iter().filter(|dep| dep.kind == DepKind::Compiled).find_map(|dep| {
        let j = ws.dep_index(p, dep)?;
        let next = d[j].next.as_ref().filter(|_| d[j].status == Status::Release)?;
        let via = p.built_from.as_ref().map(|b| b.name.clone()).unwrap_or_default();
        Some(Why::Compiled { dep: dep.name.clone(), next: next.to_string(), via })
    })
}

/// The decision for one selected, publishable package from its own history.
fn decide(
    eco: Ecosystem,
    current: &Version,
    h: &PackageHistory,
    convention: Convention,
    opts: &Options,
) -> anyhow::Result<Decision> {
    let release = |next: Version, bump: Bump, level: Level, why: Why| Decision {
        status: Status::Release,
        next: Some(next),
        bump,
        level,
        reason: why.into(),
    };
    if let Some(BumpArg::Version(text)) = &opts.bump {
        let next = Version::parse(eco, text).map_err(|e| {
            fail(
                Code::BadBump,
                format!("--bump {text}: {e}"),
                "give a version valid for every selected package, or select packages with --package",
            )
        })?;
        if next <= *current {
            return Err(fail(
                Code::BadBump,
                format!("--bump {text} is not above the current version {current}"),
                "pick a higher version, or leave this package out with --exclude",
            ));
        }
        return Ok(release(next, Bump::Explicit, Level::Patch, Why::ExplicitVersion(text.clone())));
    }
    let Some((tag, tag_version)) = &h.last_tag else {
        return Ok(release(current.clone(), Bump::Initial, Level::None, Why::FirstRelease(current.clone())));
    };
    if *tag_version < *current {
        let why = Why::ManifestAhead { current: current.clone(), tag: tag.clone() };
        return Ok(release(current.clone(), Bump::Explicit, Level::None, why));
    }
    if convention == Convention::Area {
        return decide_by_hand(current, h, tag, opts);
    }
    let change = h.change.unwrap_or(Change::Other);
    let (mut level, rule) = level_for(eco, current, change);
    let forced = opts.force_unchanged && level == Level::None;
    if level == Level::None && !forced {
        let why = if h.commits.is_empty() {
            Why::NoCommits { tag: tag.clone() }
        } else {
            Why::NothingReleasable { tag: tag.clone(), kinds: kinds(h) }
        };
        return Ok(skip(why.into()));
    }
    let mut reason = Reason::new(if forced {
        Why::ForcedUnchanged { tag: tag.clone(), commits: true }
    } else {
        Why::Changes { commits: commits(h), tag: tag.clone(), level, rule }
    });
    if let Some(BumpArg::Level(l)) = opts.bump {
        level = l;
        reason = reason.with(Note::BumpChosen(l));
    }
    bumped(current, level, reason, opts)
}

/// A package that is not released, and why.
fn skip(reason: Reason) -> Decision {
    Decision { status: Status::Skip, next: None, bump: Bump::None, level: Level::None, reason }
}

/// The `area` convention: commits say where something changed, not how much,
/// so a package with commits since its last tag is released at the level
/// `--bump` gives (`--force-unchanged` alone: a patch release of every package).
fn decide_by_hand(current: &Version, h: &PackageHistory, tag: &str, opts: &Options) -> anyhow::Result<Decision> {
    let tag = tag.to_string();
    let touched = || Reason::new(Why::Touched { commits: commits(h), tag: tag.clone() });
    let unchanged = || Reason::new(Why::ForcedUnchanged { tag: tag.clone(), commits: false });
    let (level, reason) = match (opts.bump.as_ref(), h.commits.is_empty(), opts.force_unchanged) {
        (_, true, false) => return Ok(skip(Why::NoCommits { tag: tag.clone() }.into())),
        (Some(BumpArg::Level(l)), true, true) => (*l, unchanged().with(Note::BumpChosen(*l))),
        (Some(BumpArg::Level(l)), false, _) => (*l, touched().with(Note::BumpChosen(*l))),
        (None, true, true) => (Level::Patch, unchanged()),
        (None, false, true) => (Level::Patch, touched().with(Note::PatchWithoutBump)),
        (None, false, false) => return Ok(skip(touched().with(Note::BumpIsYours))),
        (Some(BumpArg::Version(_)), ..) => unreachable!("an explicit version is decided before the history"),
    };
    bumped(current, level, reason, opts)
}

/// A release of `current` at `level` (at least a patch): a pre-release with
/// `--pre`, the final release of a pre-release, or a plain bump.
fn bumped(current: &Version, level: Level, reason: Reason, opts: &Options) -> anyhow::Result<Decision> {
    let release = |next: Version, bump: Bump, level: Level, reason: Reason| Decision {
        status: Status::Release,
        next: Some(next),
        bump,
        level,
        reason,
    };
    let level = level.max(Level::Patch);
    if let Some(kind) = opts.pre {
        let next = current.bump_pre(level, kind).map_err(|e| {
            fail(
                Code::BadBump,
                format!("--pre {}: {e}", pre_name(kind)),
                "use a later pre-release kind (alpha < beta < rc), or finalize with a plain release",
            )
        })?;
        return Ok(release(next, Bump::Pre, level, reason.with(Note::Pre(kind))));
    }
    let next = above(current, current.bump(level), "the package")?;
    if current.is_pre() {
        let bump = sync_bump(current, &next);
        return Ok(release(next, bump, level, reason.with(Note::Finalizes(current.clone()))));
    }
    let bump = match level {
        Level::Major => Bump::Major,
        Level::Minor => Bump::Minor,
        _ => Bump::Patch,
    };
    Ok(release(next, bump, level, reason))
}

/// `next`, when it is above `current` (a version at the top of its numbers cannot grow).
fn above(current: &Version, next: Version, name: &str) -> anyhow::Result<Version> {
    if next > *current {
        return Ok(next);
    }
    Err(fail(
        Code::BadBump,
        format!("{name}: {current} cannot be bumped any further"),
        "set a new version by hand with --bump VERSION, or leave the package out with --exclude",
    ))
}

/// The bump level a change calls for, and the rule where the pre-1.0 ones apply.
fn level_for(eco: Ecosystem, current: &Version, change: Change) -> (Level, Rule) {
    let below_1 = current.triple().0 == 0;
    match (change, below_1, eco) {
        (Change::Other, ..) => (Level::None, Rule::Plain),
        (Change::Fix, ..) => (Level::Patch, Rule::Plain),
        (Change::Breaking, false, _) => (Level::Major, Rule::Plain),
        (Change::Breaking, true, _) => (Level::Minor, Rule::BreakingBelow1),
        (Change::Feature, false, _) => (Level::Minor, Rule::Plain),
        (Change::Feature, true, Ecosystem::Python) => (Level::Minor, Rule::Plain),
        (Change::Feature, true, Ecosystem::Cargo) => (Level::Patch, Rule::CargoFeatureBelow1),
    }
}

fn commits(h: &PackageHistory) -> Commits {
    Commits { count: h.commits.len(), kinds: kinds(h) }
}

fn kinds(h: &PackageHistory) -> String {
    h.kinds.iter().map(|(k, c)| format!("{c} {k}")).collect::<Vec<_>>().join(", ")
}

/// Each package whose manifest version is below its last tag's (the project
/// went back: genkit's 0.5.2 after `py/genkit-v0.6.0`): that tag and version.
fn behind_tags(ws: &Workspace, history: &[PackageHistory]) -> Vec<Option<(String, Version)>> {
    ws.packages
        .iter()
        .zip(history)
        .map(|(p, h)| {
            let current = p.version.as_ref().filter(|v| v.local().is_none())?;
            let (tag, version) = h.last_tag.as_ref().filter(|(_, v)| v > current)?;
            (!matches!(p.version_source, VersionSource::Vcs(_))).then(|| (tag.clone(), version.clone()))
        })
        .collect()
}

/// The workspace with the last tag's version for each manifest `behind` it:
/// what the plan starts from. The text stays the manifest's (the plan shows
/// it, and the release writes the new version over it).
fn from_last_tags(ws: &Workspace, behind: &[Option<(String, Version)>]) -> Workspace {
    let mut ws = ws.clone();
    for (p, behind) in ws.packages.iter_mut().zip(behind) {
        if let Some((_, v)) = behind {
            p.version = Some(v.clone());
        }
    }
    ws
}

/// The workspace with the versions of packages versioned by git tags filled
/// in: the last tag's, or 0.0.0 before the first tag.
fn with_tag_versions(ws: &Workspace, history: &[PackageHistory]) -> Workspace {
    let mut ws = ws.clone();
    for (p, h) in ws.packages.iter_mut().zip(history) {
        if matches!(p.version_source, VersionSource::Vcs(_)) {
            let v = h
                .last_tag
                .as_ref()
                .map(|(_, v)| v.to_ecosystem(p.ecosystem))
                .unwrap_or_else(|| Version::parse(p.ecosystem, "0.0.0").expect("0.0.0 parses"));
            p.version_text = v.to_string();
            p.version = Some(v);
        }
    }
    ws
}

/// Whether packages `a` and `b` are a maturin package and its crate.
fn is_pair(ws: &Workspace, a: usize, b: usize) -> bool {
    ws.maturin_crate(a) == Some(b) || ws.maturin_crate(b) == Some(a)
}

/// Where package `p`'s version is written, for a help line.
pub fn version_file(p: &crate::workspace::Package) -> String {
    match &p.version_source {
        VersionSource::File { path, .. } => path.clone(),
        VersionSource::Crate { manifest, workspace } => workspace.clone().unwrap_or_else(|| manifest.clone()),
        _ => p.manifest.clone(),
    }
}

/// The reason an entry shows: its decision's, then that its manifest is
/// behind its last tag, then where its version comes from.
fn entry_reason(ws: &Workspace, i: usize, reason: &Reason, behind: Option<&(String, Version)>) -> String {
    let mut reason = reason.clone();
    if let Some((tag, from)) = behind {
        let manifest = ws.packages[i].version_text.clone();
        reason = reason.with(Note::BehindTag { manifest, tag: tag.clone(), from: from.clone() });
    }
    if let Some(note) = source_note(ws, i) {
        reason = reason.with(note);
    }
    reason.to_string()
}

/// Where the version of a maturin or VCS-versioned package comes from, for its reason.
fn source_note(ws: &Workspace, i: usize) -> Option<Note> {
    let p = &ws.packages[i];
    match &p.version_source {
        VersionSource::Crate { manifest, workspace } => {
            let (crate_name, outside) =
                p.built_from.as_ref().map_or((String::new(), false), |b| (b.name.clone(), !b.member));
            let file = workspace.as_deref().map(|w| format!("{w} [workspace.package]")).unwrap_or(manifest.clone());
            Some(Note::Maturin { crate_name, file, outside })
        }
        VersionSource::Vcs(v) => Some(Note::Vcs(*v)),
        _ => ws.maturin_crate(i).map(|j| Note::BuiltFrom(ws.packages[j].name.clone())),
    }
}

/// Gives every member of group `gi` the largest next version among them.
/// Returns whether anything changed.
fn synchronize(
    ws: &Workspace,
    d: &mut [Decision],
    group_of: &BTreeMap<usize, usize>,
    gi: usize,
    gname: &str,
    opts: &Options,
) -> anyhow::Result<bool> {
    let members: Vec<usize> = group_of.iter().filter(|(_, &g)| g == gi).map(|(&i, _)| i).collect();
    let active: Vec<usize> = members.iter().copied().filter(|&i| d[i].status != Status::Excluded).collect();
    let leader = active
        .iter()
        .copied()
        .filter(|&i| d[i].status == Status::Release)
        .max_by(|&a, &b| d[a].next.partial_cmp(&d[b].next).unwrap_or(std::cmp::Ordering::Equal));
    let Some(leader) = leader else {
        return Ok(false);
    };
    let target = d[leader].next.clone().expect("released packages have a next version");
    let mut moved = false;
    for &i in &active {
        let p = &ws.packages[i];
        let want = target.try_to_ecosystem(p.ecosystem).map_err(|why| {
            fail(
                Code::VersionForm,
                format!(
                    "synchronized group `{gname}`: {} {target} is to be shared with {} {}, but {why}",
                    ws.packages[leader].name,
                    p.ecosystem.as_str(),
                    p.name
                ),
                "use a version both ecosystems can write (see `cargo xtask explain XR035`), or take the package out of the group",
            )
        })?;
        if d[i].next.as_ref() == Some(&want) {
            continue;
        }
        let current = p.version.clone().expect("active packages have a version");
        if want <= current {
            continue; // already at or past the group's version
        }
        let bump = if opts.pre.is_some() {
            Bump::Pre
        } else if matches!(opts.bump, Some(BumpArg::Version(_))) {
            Bump::Explicit
        } else {
            sync_bump(&current, &want)
        };
        d[i] = Decision {
            status: Status::Release,
            next: Some(want.clone()),
            bump,
            level: d[leader].level,
            reason: Why::Synchronized {
                group: gname.to_string(),
                version: want.clone(),
                with: ws.packages[leader].name.clone(),
            }
            .into(),
        };
        moved = true;
    }
    Ok(moved)
}

fn sync_bump(current: &Version, want: &Version) -> Bump {
    let (a, b, _) = current.triple();
    let (x, y, _) = want.triple();
    if x != a {
        Bump::Major
    } else if y != b {
        Bump::Minor
    } else {
        Bump::Patch
    }
}

// ---- rendering -----------------------------------------------------------------

pub fn render_json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).expect("plan is plain data");
    s.push('\n');
    s
}

pub fn render_csv(plan: &Plan) -> String {
    let mut out = String::from("order,level,name,ecosystem,path,version,next_version,bump,status,reason\n");
    for e in &plan.packages {
        let fields = [
            e.order.to_string(),
            e.level.to_string(),
            e.name.clone(),
            e.ecosystem.as_str().to_string(),
            e.path.clone(),
            e.version.clone(),
            e.next_version.clone().unwrap_or_default(),
            e.bump.to_string(),
            e.status.as_str().to_string(),
            e.reason.clone(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

pub fn render_table(plan: &Plan) -> String {
    let headers = ["#", "lvl", "package", "eco", "version", "bump", "status", "reason"];
    let rows: Vec<[String; 8]> = plan
        .packages
        .iter()
        .map(|e| {
            let version = match &e.next_version {
                Some(n) if *n != e.version => format!("{} -> {n}", e.version),
                _ => e.version.clone(),
            };
            [
                e.order.to_string(),
                e.level.to_string(),
                e.name.clone(),
                e.ecosystem.as_str().to_string(),
                version,
                e.bump.to_string(),
                e.status.as_str().to_string(),
                e.reason.clone(),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (k, f) in r.iter().enumerate().take(7) {
            widths[k] = widths[k].max(f.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut s = String::new();
        for (k, c) in cells.iter().enumerate() {
            if k == 7 {
                s.push_str(c);
            } else {
                let _ = write!(s, "{c:<w$}  ", w = widths[k]);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(headers.to_vec(), &mut out);
    for r in &rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    let count = |s: Status| plan.packages.iter().filter(|e| e.status == s).count();
    let _ = writeln!(
        out,
        "\n{} to release, {} skipped, {} excluded",
        count(Status::Release),
        count(Status::Skip),
        count(Status::Excluded)
    );
    if let Some(t) = &plan.umbrella_tag {
        let _ = writeln!(out, "umbrella tag: {t}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Group;
    use crate::version::Req;
    use crate::workspace::{Dep, Package, VersionSource};

    fn pkg(name: &str, eco: Ecosystem, version: &str, deps: &[(&str, &str)]) -> Package {
        Package {
            name: name.into(),
            ecosystem: eco,
            dir: format!("p/{name}"),
            manifest: format!("p/{name}/manifest"),
            version_text: version.into(),
            version: Some(Version::parse(eco, version).unwrap()),
            version_source: VersionSource::Manifest,
            unpublishable: None,
            deps: deps
                .iter()
                .map(|(d, req)| Dep {
                    name: d.to_string(),
                    kind: DepKind::Normal,
                    req_text: req.to_string(),
                    req: Req::parse(eco, req).unwrap(),
                    optional: false,
                })
                .collect(),
            description: None,
            license: true,
            built_from: None,
        }
    }

    fn hist(tag: Option<(&str, Ecosystem, &str)>, changes: &[Change]) -> PackageHistory {
        let mut h = PackageHistory {
            last_tag: tag.map(|(t, eco, v)| (t.to_string(), Version::parse(eco, v).unwrap())),
            commits: (0..changes.len()).collect(),
            ..Default::default()
        };
        for c in changes {
            h.change = h.change.max(Some(*c));
            *h.kinds.entry(c.as_str().to_string()).or_default() += 1;
        }
        h
    }

    fn ws(packages: Vec<Package>) -> Workspace {
        Workspace {
            root: "/x".into(),
            packages,
            issues: vec![],
            cargo_root: None,
            python_root: None,
            cargo_patches: vec![],
        }
    }

    fn run(ws: &Workspace, h: &[PackageHistory], config: &Config, opts: &Options) -> Plan {
        let g = Graph::new(ws).unwrap();
        plan(ws, &g, h, config, opts).unwrap()
    }

    fn row<'a>(p: &'a Plan, name: &str) -> (&'a str, Option<&'a str>, &'a str) {
        let e = p.get(name).unwrap();
        (e.status.as_str(), e.next_version.as_deref(), e.bump.as_str())
    }

    use Ecosystem::{Cargo as C, Python as P};

    #[test]
    fn bump_rules_by_ecosystem_and_major_zero() {
        let w = ws(vec![
            pkg("a", C, "0.3.0", &[]),
            pkg("b", P, "0.3.0", &[]),
            pkg("c", C, "1.3.0", &[]),
            pkg("d", P, "0.3.0", &[]),
            pkg("e", C, "2.0.0", &[]),
        ]);
        let h = vec![
            hist(Some(("a-v0.3.0", C, "0.3.0")), &[Change::Feature]),
            hist(Some(("b-v0.3.0", P, "0.3.0")), &[Change::Feature, Change::Fix]),
            hist(Some(("c-v1.3.0", C, "1.3.0")), &[Change::Breaking]),
            hist(Some(("d-v0.3.0", P, "0.3.0")), &[Change::Breaking]),
            hist(Some(("e-v2.0.0", C, "2.0.0")), &[Change::Other]),
        ];
        let p = run(&w, &h, &Config::default(), &Options::default());
        assert_eq!(row(&p, "a"), ("release", Some("0.3.1"), "patch"));
        assert_eq!(row(&p, "b"), ("release", Some("0.4.0"), "minor"));
        assert_eq!(row(&p, "c"), ("release", Some("2.0.0"), "major"));
        assert_eq!(row(&p, "d"), ("release", Some("0.4.0"), "minor"));
        assert_eq!(row(&p, "e"), ("skip", None, "none"));
        assert!(p.get("e").unwrap().reason.contains("--force-unchanged"));
        let forced = run(&w, &h, &Config::default(), &Options { force_unchanged: true, ..Default::default() });
        assert_eq!(row(&forced, "e"), ("release", Some("2.0.1"), "patch"));
    }

    #[test]
    fn the_area_convention_releases_what_changed_at_the_bump_given() {
        let area = Config { convention: Convention::Area, ..Config::default() };
        let w = ws(vec![
            pkg("tokio", C, "1.53.1", &[]),
            pkg("tokio-util", C, "0.7.19", &[]),
            pkg("quiet", C, "1.0.0", &[]),
        ]);
        // `macros: upgrade syn to v3` is `Other` in both conventions; a footer still marks a break
        let h = vec![
            hist(Some(("tokio-1.53.1", C, "1.53.1")), &[Change::Other, Change::Other]),
            hist(Some(("tokio-util-0.7.19", C, "0.7.19")), &[Change::Breaking]),
            hist(Some(("quiet-1.0.0", C, "1.0.0")), &[]),
        ];
        let p = run(&w, &h, &area, &Options::default());
        for name in ["tokio", "tokio-util"] {
            assert_eq!(row(&p, name), ("skip", None, "none"), "{name}: nothing guesses the bump");
            assert!(
                p.get(name).unwrap().reason.contains("pass --bump patch, minor or major"),
                "{}",
                p.get(name).unwrap().reason
            );
        }
        assert_eq!(p.get("quiet").unwrap().reason, "no commits since quiet-1.0.0");
        let minor = Options { bump: Some(BumpArg::Level(Level::Minor)), ..Default::default() };
        let p = run(&w, &h, &area, &minor);
        assert_eq!(row(&p, "tokio"), ("release", Some("1.54.0"), "minor"));
        assert_eq!(row(&p, "tokio-util"), ("release", Some("0.8.0"), "minor"));
        assert_eq!(row(&p, "quiet"), ("skip", None, "none"), "--bump moves what changed only");
        assert_eq!(p.get("tokio").unwrap().reason, "2 commits (2 other) since tokio-1.53.1; --bump minor chosen");
        let forced = run(&w, &h, &area, &Options { force_unchanged: true, ..Default::default() });
        assert_eq!(row(&forced, "quiet"), ("release", Some("1.0.1"), "patch"));
        assert_eq!(row(&forced, "tokio"), ("release", Some("1.53.2"), "patch"));
        // the same history under Conventional Commits: only the footer's break releases
        let p = run(&w, &h, &Config::default(), &Options::default());
        assert_eq!(row(&p, "tokio"), ("skip", None, "none"));
        assert_eq!(row(&p, "tokio-util"), ("release", Some("0.8.0"), "minor"));
    }

    #[test]
    fn initial_and_hand_bumped() {
        let w = ws(vec![pkg("a", P, "0.1.0", &[]), pkg("b", C, "0.2.0", &[])]);
        let h = vec![hist(None, &[]), hist(Some(("b-v0.1.0", C, "0.1.0")), &[])];
        let p = run(&w, &h, &Config::default(), &Options::default());
        assert_eq!(row(&p, "a"), ("release", Some("0.1.0"), "initial"));
        assert_eq!(row(&p, "b"), ("release", Some("0.2.0"), "explicit"));
    }

    #[test]
    fn forced_dependents_cascade() {
        let w = ws(vec![
            pkg("core", C, "1.2.0", &[]),
            pkg("mid", C, "0.4.0", &[("core", "1.2")]),
            pkg("top", C, "0.1.0", &[("mid", "0.4.0")]),
            pkg("loose", C, "3.0.0", &[("core", ">=1")]),
        ]);
        let tag = |t: &str, v: &str| hist(Some((t, C, v)), &[]);
        let mut h = vec![
            tag("core-v1.2.0", "1.2.0"),
            tag("mid-v0.4.0", "0.4.0"),
            tag("top-v0.1.0", "0.1.0"),
            tag("l", "3.0.0"),
        ];
        h[0] = hist(Some(("core-v1.2.0", C, "1.2.0")), &[Change::Breaking]);
        let p = run(&w, &h, &Config::default(), &Options::default());
        assert_eq!(row(&p, "core"), ("release", Some("2.0.0"), "major"));
        assert_eq!(row(&p, "mid"), ("release", Some("0.4.1"), "patch"));
        assert!(p.get("mid").unwrap().reason.contains("forced by core"));
        assert_eq!(p.get("mid").unwrap().cause, Cause::Forced { dep: "core".into(), version: "2.0.0".into() });
        assert_eq!(p.get("core").unwrap().cause, Cause::Other);
        // 0.4.1 still satisfies top's ^0.4.0: top is not forced
        assert_eq!(row(&p, "top"), ("skip", None, "none"));
        assert_eq!(row(&p, "loose"), ("skip", None, "none"));
        let order: Vec<&str> = p.packages.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(order, ["core", "loose", "mid", "top"]);
    }

    #[test]
    fn groups_share_the_largest_bump() {
        let w = ws(vec![pkg("a", P, "1.0.0", &[]), pkg("b", P, "1.0.0", &[]), pkg("c", C, "1.0.0", &[])]);
        let h = vec![
            hist(Some(("a-v1.0.0", P, "1.0.0")), &[Change::Fix]),
            hist(Some(("b-v1.0.0", P, "1.0.0")), &[Change::Feature]),
            hist(Some(("c-v1.0.0", C, "1.0.0")), &[]),
        ];
        let config = Config {
            groups: vec![Group {
                name: "core".into(),
                members: vec!["a".into(), "b".into(), "c".into()],
                tag: vec![],
                umbrella: None,
            }],
            ..Config::default()
        };
        let p = run(&w, &h, &config, &Options::default());
        assert_eq!(row(&p, "a"), ("release", Some("1.1.0"), "minor"));
        assert_eq!(row(&p, "b"), ("release", Some("1.1.0"), "minor"));
        assert_eq!(row(&p, "c"), ("release", Some("1.1.0"), "minor"));
        assert!(p.get("c").unwrap().reason.contains("synchronized group `core`"));
    }

    #[test]
    fn pre_releases_and_explicit_versions() {
        let w = ws(vec![pkg("a", P, "1.2.0rc1", &[]), pkg("b", C, "1.1.0", &[])]);
        let h = vec![
            hist(Some(("a-v1.2.0rc1", P, "1.2.0rc1")), &[Change::Fix]),
            hist(Some(("b-v1.1.0", C, "1.1.0")), &[Change::Feature]),
        ];
        let rc = Options { pre: Some(PreKind::Rc), ..Default::default() };
        let p = run(&w, &h, &Config::default(), &rc);
        assert_eq!(row(&p, "a"), ("release", Some("1.2.0rc2"), "pre"));
        assert_eq!(row(&p, "b"), ("release", Some("1.2.0-rc.1"), "pre"));
        let p = run(&w, &h, &Config::default(), &Options::default());
        assert_eq!(row(&p, "a"), ("release", Some("1.2.0"), "patch"));
        let explicit = Options { bump: Some(BumpArg::Version("3.0.0".into())), ..Default::default() };
        let p = run(&w, &h, &Config::default(), &explicit);
        assert_eq!(row(&p, "a"), ("release", Some("3.0.0"), "explicit"));
        let low = Options { bump: Some(BumpArg::Version("1.0.0".into())), ..Default::default() };
        let g = Graph::new(&w).unwrap();
        let err = plan(&w, &g, &h, &Config::default(), &low).unwrap_err();
        assert_eq!(err.downcast_ref::<crate::error::Failure>().unwrap().code, Code::BadBump);
    }

    #[test]
    fn package_filter_pulls_in_dependencies() {
        let w = ws(vec![
            pkg("core", C, "1.0.0", &[]),
            pkg("app", C, "1.0.0", &[("core", "1")]),
            pkg("other", C, "1.0.0", &[]),
        ]);
        let h = vec![hist(None, &[]), hist(None, &[]), hist(None, &[])];
        let opts = Options { packages: vec!["app".into()], ..Default::default() };
        let p = run(&w, &h, &Config::default(), &opts);
        assert_eq!(row(&p, "core").0, "release");
        assert_eq!(row(&p, "app").0, "release");
        assert_eq!(row(&p, "other").0, "excluded");
        let bad = Options { packages: vec!["ap".into()], ..Default::default() };
        let g = Graph::new(&w).unwrap();
        let err = plan(&w, &g, &h, &Config::default(), &bad).unwrap_err();
        let f = err.downcast_ref::<crate::error::Failure>().unwrap();
        assert_eq!(f.code, Code::UnknownPackage);
        assert!(f.help.contains("did you mean `app`"));
    }

    #[test]
    fn a_manifest_behind_its_last_tag_is_planned_from_the_tag() {
        // genkit: 0.5.2 in the manifests after the 0.6.0 tags
        let w = ws(vec![
            pkg("genkit", P, "0.5.2", &[]),
            pkg("plugin", P, "0.5.2", &[("genkit", ">=0.5.2,<0.7")]),
            pkg("quiet", P, "0.5.2", &[]),
        ]);
        let h = vec![
            hist(Some(("py/genkit-v0.6.0", P, "0.6.0")), &[Change::Feature]),
            hist(Some(("py/plugin-v0.6.0", P, "0.6.0")), &[]),
            hist(Some(("py/quiet-v0.6.0", P, "0.6.0")), &[]),
        ];
        let p = run(&w, &h, &Config::default(), &Options::default());
        assert_eq!(row(&p, "genkit"), ("release", Some("0.7.0"), "minor"));
        assert_eq!(p.get("genkit").unwrap().version, "0.5.2", "the entry shows the manifest's version");
        assert!(
            p.get("genkit")
                .unwrap()
                .reason
                .ends_with("; the manifest says 0.5.2, behind its last tag py/genkit-v0.6.0: planned from 0.6.0"),
            "{}",
            p.get("genkit").unwrap().reason
        );
        assert_eq!(row(&p, "plugin"), ("release", Some("0.6.1"), "patch"), "forced, from its tag's version");
        assert_eq!(p.get("plugin").unwrap().cause, Cause::Forced { dep: "genkit".into(), version: "0.7.0".into() });
        assert_eq!(row(&p, "quiet"), ("skip", None, "none"));
        assert!(p.get("quiet").unwrap().reason.contains("behind its last tag py/quiet-v0.6.0"));
        let forced = run(&w, &h, &Config::default(), &Options { force_unchanged: true, ..Default::default() });
        assert_eq!(row(&forced, "quiet"), ("release", Some("0.6.1"), "patch"));
        // --bump VERSION must be above the tag's version too
        let low = Options { bump: Some(BumpArg::Version("0.6.0".into())), ..Default::default() };
        let err = plan(&w, &Graph::new(&w).unwrap(), &h, &Config::default(), &low).unwrap_err();
        assert_eq!(err.downcast_ref::<crate::error::Failure>().unwrap().code, Code::BadBump);
    }

    #[test]
    fn a_planned_tag_that_exists_elsewhere_is_refused() {
        let w = ws(vec![pkg("lib", P, "1.0.0", &[])]);
        let mut h = vec![hist(Some(("lib-v1.0.0", P, "1.0.0")), &[Change::Fix])];
        h[0].tags = vec!["lib-v1.0.0".into(), "lib-v1.0.1".into()];
        let err = plan(&w, &Graph::new(&w).unwrap(), &h, &Config::default(), &Options::default()).unwrap_err();
        let f = err.downcast_ref::<crate::error::Failure>().unwrap();
        assert_eq!(f.code, Code::TagExists);
        assert!(f.cause.contains("`lib-v1.0.1`") && f.help.contains("--bump VERSION"), "{f:?}");
    }

    #[test]
    fn a_crate_compiled_into_a_wheel_forces_it() {
        // tokenizers: the Python package's maturin crate (outside the Cargo root) depends on the crate by path
        let mut py = pkg("tokenizers", P, "0.22.1", &[]);
        py.built_from = Some(crate::workspace::BuiltFrom {
            name: "tokenizers-python".into(),
            manifest: "bindings/python/Cargo.toml".into(),
            member: false,
        });
        py.deps.push(Dep {
            name: "tokenizers".into(),
            kind: DepKind::Compiled,
            req_text: String::new(),
            req: Req::Any,
            optional: false,
        });
        let w = ws(vec![pkg("tokenizers", C, "0.22.1", &[]), py]);
        let h = vec![
            hist(Some(("tokenizers-v0.22.1", C, "0.22.1")), &[Change::Fix]),
            hist(Some(("py-tokenizers-v0.22.1", P, "0.22.1")), &[]),
        ];
        let config = Config { tag_python: vec!["py-{name}-v{version}".into()], ..Config::default() };
        let p = run(&w, &h, &config, &Options::default());
        let py = p.packages.iter().find(|e| e.ecosystem == P).unwrap();
        assert_eq!((py.status, py.next_version.as_deref()), (Status::Release, Some("0.22.2")));
        assert_eq!(py.dependencies, ["cargo:tokenizers"]);
        assert!(py.order > 1, "after the crate");
        assert_eq!(py.cause, Cause::Forced { dep: "tokenizers".into(), version: "0.22.2".into() });
        assert!(py.reason.contains("a path dependency of crate tokenizers-python"), "{}", py.reason);
    }

    #[test]
    fn cycles_print_their_path() {
        let w = ws(vec![
            pkg("a", C, "1.0.0", &[("b", "1")]),
            pkg("b", C, "1.0.0", &[("c", "1")]),
            pkg("c", C, "1.0.0", &[("a", "1")]),
            pkg("d", C, "1.0.0", &[]),
        ]);
        let err = Graph::new(&w).err().unwrap();
        let f = err.downcast_ref::<crate::error::Failure>().unwrap();
        assert_eq!(f.code, Code::Cycle);
        assert_eq!(f.cause, "dependency cycle: a -> b -> c -> a");
        let w = ws(vec![pkg("a", C, "1.0.0", &[("a", "1")])]);
        let err = Graph::new(&w).err().unwrap();
        assert_eq!(err.downcast_ref::<crate::error::Failure>().unwrap().code, Code::SelfDependency);
    }
}
