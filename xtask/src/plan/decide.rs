//! Each package's decision: from its own history first (`first`), then groups
//! and forced dependents to a fixpoint (`settle`).

use std::collections::BTreeMap;

use super::reason::{Commits, Note, Reason, Rule, Why};
use super::{Bump, BumpArg, Options, Selection, Status};
use crate::commits::{Change, Convention};
use crate::error::{fail, Code};
use crate::graph::Graph;
use crate::history::PackageHistory;
use crate::version::{pre_name, Ecosystem, Level, Version};
use crate::workspace::{DepKind, VersionSource, Workspace};

/// A decision in progress for one package.
#[derive(Clone)]
pub(super) struct Decision {
    pub(super) status: Status,
    pub(super) next: Option<Version>,
    pub(super) bump: Bump,
    pub(super) level: Level,
    pub(super) reason: Reason,
}

/// The decision for package `i` before groups and dependents: excluded
/// (never published, not selected, `--exclude`, a local version), or from its
/// own history.
pub(super) fn first(
    ws: &Workspace,
    i: usize,
    h: &PackageHistory,
    selection: &Selection,
    convention: Convention,
    opts: &Options,
) -> anyhow::Result<Decision> {
    let p = &ws.packages[i];
    let excluded = |why: Why| Decision {
        status: Status::Excluded,
        next: None,
        bump: Bump::None,
        level: Level::None,
        reason: why.into(),
    };
    if let Some(why) = &p.unpublishable {
        return Ok(excluded(Why::NeverPublished(why.clone())));
    }
    if !selection.selected.contains(&i) {
        return Ok(excluded(Why::NotSelected));
    }
    if selection.excluded.contains(&i) {
        return Ok(excluded(Why::ExcludedByFlag));
    }
    if let Some(local) = p.version.as_ref().and_then(Version::local) {
        // PyPI refuses local versions: such a package is not meant for an index
        let (version, local, file) = (p.version_text.clone(), local.to_string(), super::version_file(p));
        return Ok(excluded(Why::LocalVersion { version, local, file }));
    }
    let current = p.version.clone().ok_or_else(|| {
        fail(
            Code::InvalidVersion,
            format!("{}: version `{}` is not valid", p.name, p.version_text),
            format!("fix the version in {}", p.manifest),
        )
    })?;
    if matches!(p.version_source, VersionSource::Vcs(_)) && h.last_tag.is_none() {
        // before the first tag the plugins say 0.0.0: the commits decide the first version
        let mut h = h.clone();
        h.last_tag = Some(("(no tag yet: the version control gives 0.0.0)".into(), current.clone()));
        return decide(p.ecosystem, &current, &h, convention, opts);
    }
    decide(p.ecosystem, &current, h, convention, opts)
}

/// Groups and forced dependents feed each other: repeat until nothing moves.
pub(super) fn settle(
    ws: &Workspace,
    graph: &Graph,
    groups: &[crate::config::Group],
    group_of: &BTreeMap<usize, usize>,
    d: &mut [Decision],
    opts: &Options,
) -> anyhow::Result<()> {
    for _round in 0..=ws.packages.len() {
        let mut moved = false;
        for (gi, g) in groups.iter().enumerate() {
            moved |= synchronize(ws, d, group_of, gi, &g.name, opts)?;
        }
        moved |= force_dependents(ws, graph, d)?;
        if !moved {
            break;
        }
    }
    Ok(())
}

/// Releases (a patch) every skipped package that a released dependency
/// forces: a requirement that no longer admits the dependency's next version,
/// or a crate its wheel compiles in. Returns whether anything changed.
fn force_dependents(ws: &Workspace, graph: &Graph, d: &mut [Decision]) -> anyhow::Result<bool> {
    let mut moved = false;
    for &i in &graph.order {
        if d[i].status != Status::Skip {
            continue;
        }
        let p = &ws.packages[i];
        let forced_by = p.deps.iter().filter(|dep| dep.kind != DepKind::Dev).find_map(|dep| {
            let j = ws.dep_index(p, dep)?;
            let next = d[j].next.as_ref().filter(|_| d[j].status == Status::Release)?;
            dep.req.moves_with(ws.packages[j].version.as_ref(), next).then(|| Why::Forced {
                dep: dep.name.clone(),
                req: dep.req_text.clone(),
                next: next.to_string(),
            })
        });
        let Some(why) = forced_by.or_else(|| compiled_in(ws, i, d)) else { continue };
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
    Ok(moved)
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
