//! Groups: their names, and the packages always released together at one
//! version and commit.

use std::collections::{BTreeMap, BTreeSet};

use super::{GroupFound, Pkg, TagRef};
use crate::version::{Ecosystem, Version};

/// A group's name from its tag's prefix (`core-v{version}` → `core`), else
/// `all` (every publishable package) or `umbrella`; unique among `groups`.
pub(super) fn group_name(template: &str, all: bool, groups: &[GroupFound]) -> String {
    let prefix = template.split("{version}").next().unwrap_or("");
    let word = prefix.trim_end_matches(['v', 'V']).trim_matches(|c: char| !c.is_alphanumeric());
    let base = if !word.is_empty() {
        word.to_string()
    } else if all {
        "all".to_string()
    } else {
        "umbrella".to_string()
    };
    let mut name = base.clone();
    let mut n = 2;
    while groups.iter().any(|g| g.name == name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// Packages whose every release is at the same version and commit (and not
/// placed under a tag already).
pub(super) fn synchronized(
    pkgs: &[Pkg],
    per_pkg: &BTreeMap<usize, Vec<(String, &TagRef)>>,
    taken: &BTreeSet<usize>,
) -> Vec<GroupFound> {
    // (current version, every (version, commit) released) -> packages
    type Releases = Vec<(String, String)>;
    let mut by_key: BTreeMap<(String, Releases), Vec<usize>> = BTreeMap::new();
    for (&i, ts) in per_pkg {
        let p = &pkgs[i];
        if taken.contains(&i) || p.inherits_version || ts.len() < 2 {
            continue;
        }
        let Some(current) = &p.version else { continue };
        let mut key: Vec<(String, String)> = ts
            .iter()
            .filter_map(|(template, t)| {
                let v = crate::tags::match_tag(&template.replace("{name}", &p.name), &t.name)?;
                let v = Version::parse(p.ecosystem, v).ok()?.to_ecosystem(Ecosystem::Python).to_string();
                Some((v, t.commit.clone()))
            })
            .collect();
        key.sort();
        key.dedup();
        by_key.entry((current.to_ecosystem(Ecosystem::Python).to_string(), key)).or_default().push(i);
    }
    let mut out = vec![];
    for ((version, releases), members) in by_key {
        if members.len() < 2 {
            continue;
        }
        let names: Vec<String> = members.iter().map(|&i| pkgs[i].id.clone()).collect();
        out.push(GroupFound {
            name: pkgs[members[0]].name.clone(),
            why: format!(
                "{} were released together {} times, always at one version and commit (now {version})",
                names.join(", "),
                releases.len()
            ),
            members: names,
            tag: vec![],
        });
    }
    out
}
