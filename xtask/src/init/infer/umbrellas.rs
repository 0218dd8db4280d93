//! The templates without a name (`v{version}`, `rs-{version}`): which are
//! `[tags] umbrella` beside the packages' own tags, an ecosystem's umbrella,
//! a group's tag, or an older template read after the packages' own.

use std::collections::{BTreeMap, BTreeSet};

use super::classify::{conventions, verified, version_at, At, Class};
use super::groups::group_name;
use super::{Convention, EcoUmbrella, Found, GroupFound, Inferred, TagRef, MAX_PREFIX, NEWEST};
use crate::version::{same_version, Ecosystem};

/// The tags that are no package's but a version with a prefix, by template,
/// newest first, with their versions.
pub(super) fn literal_tags<'a>(
    found: &'a Found,
    classes: &'a [Class],
) -> BTreeMap<&'a str, Vec<(&'a TagRef, &'a str)>> {
    let mut out: BTreeMap<&str, Vec<(&TagRef, &str)>> = BTreeMap::new();
    for (t, c) in found.tags.iter().zip(classes) {
        if let Some((template, version)) = &c.literal {
            if verified(found, t, c).is_none() {
                out.entry(template.as_str()).or_default().push((t, version.as_str()));
            }
        }
    }
    for tags in out.values_mut() {
        tags.sort_by_key(|(t, _)| (t.age(), t.name.clone()));
    }
    out
}

/// `{version}`, `v{version}`, `release-v{version}`, `py/v{version}`: what an
/// umbrella tag usually looks like.
fn umbrella_like(template: &str) -> bool {
    let prefix = template.split("{version}").next().unwrap_or("");
    let word = prefix.strip_suffix(['v', 'V']).unwrap_or(prefix);
    word.is_empty()
        || word.ends_with('/') && !word[..word.len() - 1].contains('/')
        || ["release-", "release_", "release/", "version-"].contains(&word.to_ascii_lowercase().as_str())
}

/// Templates without a name whose newest tags are at the versions of the same packages.
pub(super) struct Entry {
    templates: Vec<Convention>,
    members: BTreeSet<usize>,
}

/// What the templates without a name are: the newest that sits beside the
/// packages' own tags (`[tags] umbrella`), and the others by the packages at
/// their version at a majority of their newest tags, newest first. Also the
/// tags read.
pub(super) fn literal_entries<'a>(
    found: &'a Found,
    literals: &BTreeMap<&'a str, Vec<(&'a TagRef, &'a str)>>,
    per_pkg: &BTreeMap<usize, Vec<(String, &TagRef)>>,
) -> (Option<Convention>, Vec<Entry>, BTreeSet<&'a str>) {
    let pkgs = &found.packages;
    let package_commits: BTreeSet<&str> =
        per_pkg.values().flat_map(|ts| ts.iter().map(|(_, t)| t.commit.as_str())).collect();
    let mut beside: Option<Convention> = None;
    let mut by_members: BTreeMap<BTreeSet<usize>, Vec<Convention>> = BTreeMap::new();
    let mut read = BTreeSet::new();
    for (template, tags) in literals {
        // a long prefix (`py/genkit-plugin-gone-v0.6.0`, `@genkit-ai/ai@1.33.0`) names some other thing
        if template.len() - "{version}".len() > MAX_PREFIX || (tags.len() == 1 && !umbrella_like(template)) {
            continue; // one tag is evidence only in an umbrella's usual shape
        }
        let convention = conventions(tags.iter().map(|(t, _)| (*template, *t))).remove(0);
        let at_commits = tags.iter().filter(|(t, _)| package_commits.contains(t.commit.as_str())).count();
        if at_commits * 2 > tags.len() {
            read.extend(tags.iter().map(|(t, _)| t.name.as_str()));
            if beside.as_ref().is_none_or(|b| convention.date > b.date) {
                beside = Some(convention);
            }
            continue;
        }
        let newest = &tags[..tags.len().min(NEWEST)];
        let members: BTreeSet<usize> = (0..pkgs.len())
            .filter(|&i| pkgs[i].publishable)
            .filter(|&i| {
                let hits = newest.iter().filter(|(t, version)| {
                    matches!(version_at(found, i, &t.commit), At::Version(v) if same_version(pkgs[i].ecosystem, &v, version))
                });
                hits.count() * 2 > newest.len()
            })
            .collect();
        if !members.is_empty() {
            read.extend(tags.iter().map(|(t, _)| t.name.as_str()));
            by_members.entry(members).or_default().push(convention);
        }
    }
    let mut entries: Vec<Entry> = by_members
        .into_iter()
        .map(|(members, mut templates)| {
            templates.sort_by_key(|c| (std::cmp::Reverse(c.date), std::cmp::Reverse(c.count), c.template.clone()));
            Entry { templates, members }
        })
        .collect();
    entries.sort_by_key(|e| (std::cmp::Reverse(e.templates[0].date), e.templates[0].template.clone()));
    (beside, entries, read)
}

/// Makes each entry an ecosystem's umbrella, a group's tag, or (older than
/// the ecosystem's per-package tags, and the tag of all its packages) a
/// template read after them. Returns the packages it placed.
pub(super) fn decide(
    found: &Found,
    entries: Vec<Entry>,
    per_package: &mut [Vec<Convention>; 2],
    out: &mut Inferred,
) -> BTreeSet<usize> {
    let pkgs = &found.packages;
    let mut taken: BTreeSet<usize> = BTreeSet::new();
    let mut entries: Vec<(Vec<Convention>, Vec<usize>)> = entries
        .into_iter()
        .map(|e| {
            let members: Vec<usize> = e.members.into_iter().filter(|&i| taken.insert(i)).collect();
            (e.templates, members)
        })
        .filter(|(_, m)| !m.is_empty())
        .collect();
    // packages newer than the tags, at the members' one version now, join them
    let current = |i: usize| pkgs[i].version.as_ref().map(|v| v.to_ecosystem(Ecosystem::Python).to_string());
    for (_, members) in &mut entries {
        let versions: BTreeSet<Option<String>> = members.iter().map(|&i| current(i)).collect();
        let ecos: BTreeSet<Ecosystem> = members.iter().map(|&i| pkgs[i].ecosystem).collect();
        let [Some(version)] = &versions.into_iter().collect::<Vec<_>>()[..] else { continue };
        for (i, p) in pkgs.iter().enumerate() {
            let joins = p.publishable && ecos.contains(&p.ecosystem) && current(i).as_ref() == Some(version);
            if joins && taken.insert(i) {
                members.push(i);
            }
        }
        members.sort_unstable();
    }
    let slot = |eco: Ecosystem| usize::from(eco == Ecosystem::Python);
    let publishable = (0..pkgs.len()).filter(|&i| pkgs[i].publishable).count();
    for (templates, members) in entries {
        let ecos: BTreeSet<Ecosystem> = members.iter().map(|&i| pkgs[i].ecosystem).collect();
        let newest = &templates[0];
        if let [eco] = ecos.iter().copied().collect::<Vec<_>>()[..] {
            let own = &mut per_package[slot(eco)];
            let newer = own.iter().all(|c| newest.date >= c.date);
            let rest: Vec<String> = (0..pkgs.len())
                .filter(|&i| pkgs[i].ecosystem == eco && pkgs[i].publishable && !taken.contains(&i))
                .map(|i| pkgs[i].id.clone())
                .collect();
            if newer && rest.len() <= members.len() && out.umbrella_of(eco).is_none() {
                let u = EcoUmbrella { templates, members: members.len(), separate: rest };
                match eco {
                    Ecosystem::Cargo => out.cargo_umbrella = Some(u),
                    Ecosystem::Python => out.python_umbrella = Some(u),
                }
                continue;
            }
            if !newer && rest.is_empty() {
                own.extend(templates); // an older umbrella of them all: read after their own tags
                continue;
            }
        }
        let names: Vec<String> = members.iter().map(|&i| pkgs[i].id.clone()).collect();
        let why = format!(
            "{} package(s) at the version of {} at its newest tags, released together under {} ({} tag(s))",
            members.len(),
            newest.newest,
            newest.template,
            templates.iter().map(|c| c.count).sum::<usize>()
        );
        let name = group_name(&newest.template, members.len() == publishable, &out.groups);
        out.groups.push(GroupFound { name, members: names, tag: templates, why });
    }
    taken
}
