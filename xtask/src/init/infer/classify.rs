//! Whose a tag is: each tag's readings (`Class`) as a package's tag or a
//! template without a name, the package's version at a commit that confirms
//! one, and the templates of a set of tags, newest first.

use std::collections::BTreeMap;

use toml_edit::{DocumentMut, Item};

use super::{Convention, Found, Pkg, TagRef, VersionRead};
use crate::version::{same_version, Ecosystem, Version};

/// How one tag may be read: as a package's (candidates, the longest name
/// first: package, template, version) or, failing those, as a template with
/// no name (`v{version}`, `py-{version}`) and its version.
#[derive(Debug, Clone, Default)]
pub(super) struct Class {
    pub(super) candidates: Vec<(usize, String, String)>,
    pub(super) literal: Option<(String, String)>,
}

/// The version of package `i` at `commit`, as far as its files tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum At {
    Version(String),
    /// Its version comes from tags: any.
    Any,
    Absent,
}

/// The package and template of tag `t`, when one of its candidates has the
/// tag's version at the tag's commit.
pub(super) fn verified(found: &Found, t: &TagRef, c: &Class) -> Option<(usize, String)> {
    c.candidates
        .iter()
        .find(|(i, _, version)| match version_at(found, *i, &t.commit) {
            At::Any => true,
            At::Version(v) => same_version(found.packages[*i].ecosystem, &v, version),
            At::Absent => false,
        })
        .map(|(i, template, _)| (*i, template.clone()))
}

/// The templates of some tags, the one with the newest tag first (by date,
/// then closeness to HEAD, then the most tags).
pub(super) fn conventions<'a>(tags: impl Iterator<Item = (&'a str, &'a TagRef)>) -> Vec<Convention> {
    let mut seen: BTreeMap<&str, (Convention, (std::cmp::Reverse<i64>, usize))> = BTreeMap::new();
    for (template, t) in tags {
        let e = seen.entry(template).or_insert_with(|| {
            let c = Convention { template: template.to_string(), count: 0, newest: t.name.clone(), date: t.date };
            (c, t.age())
        });
        e.0.count += 1;
        if t.age() < e.1 {
            e.1 = t.age();
            e.0.newest = t.name.clone();
            e.0.date = t.date;
        }
    }
    let mut list: Vec<(Convention, (std::cmp::Reverse<i64>, usize))> = seen.into_values().collect();
    list.sort_by(|a, b| a.1.cmp(&b.1).then(b.0.count.cmp(&a.0.count)).then(a.0.template.cmp(&b.0.template)));
    list.into_iter().map(|(c, _)| c).collect()
}

/// Every tag's classes.
pub(super) fn classify_all(found: &Found) -> Vec<Class> {
    let pkgs = &found.packages;
    let mut order: Vec<usize> = (0..pkgs.len()).filter(|&i| pkgs[i].publishable).collect();
    // the longest name first: `core-utils-v1.0.0` is core-utils's, not core's
    order.sort_by_key(|&i| std::cmp::Reverse(pkgs[i].name.len()));
    found.tags.iter().map(|t| classify(pkgs, &order, &t.name)).collect()
}

/// Which packages' tag `tag` may be, in which template; and its template without a name.
fn classify(pkgs: &[Pkg], order: &[usize], tag: &str) -> Class {
    let mut class = Class::default();
    let valid = |template: &str| {
        crate::config::check_ref_name(&template.replace("{name}", "x").replace("{version}", "1.0.0")).is_ok()
    };
    for &i in order {
        let p = &pkgs[i];
        for (at, _) in tag.match_indices(p.name.as_str()) {
            let prefix = &tag[..at];
            if prefix.chars().last().is_some_and(|c| c.is_alphanumeric()) {
                continue;
            }
            let rest = &tag[at + p.name.len()..];
            let Some(d) = rest.find(|c: char| c.is_ascii_digit()) else { continue };
            let (sep, version) = rest.split_at(d);
            if !is_separator(sep) || Version::parse(p.ecosystem, version).is_err() {
                continue;
            }
            let template = format!("{prefix}{{name}}{sep}{{version}}");
            if valid(&template) {
                class.candidates.push((i, template, version.to_string()));
            }
        }
    }
    class.literal = split_version(tag)
        .map(|(prefix, version)| (format!("{prefix}{{version}}"), version.to_string()))
        .filter(|(template, _)| valid(template));
    class
}

/// `tag` as a prefix and a version with a dot at its end (`py-1.2.0`, `v0.3.0`, `0.16.4`).
fn split_version(tag: &str) -> Option<(&str, &str)> {
    tag.char_indices().find_map(|(i, c)| {
        let after_digit = tag[..i].chars().last().is_some_and(|p| p.is_ascii_digit() || p == '.');
        let rest = &tag[i..];
        let parses = [Ecosystem::Cargo, Ecosystem::Python].iter().any(|&e| Version::parse(e, rest).is_ok());
        (c.is_ascii_digit() && !after_digit && rest.contains('.') && parses).then(|| tag.split_at(i))
    })
}

/// Between a name and a version: `-`, `-v`, `@`, `@v`, `_`, `/v` ...
fn is_separator(sep: &str) -> bool {
    let core = sep.strip_suffix(['v', 'V']).unwrap_or(sep);
    !core.is_empty() && core.len() <= 2 && core.chars().all(|c| "-_@/.".contains(c))
}

/// The version of package `i` at `commit`, from the files `look` read there.
pub(super) fn version_at(found: &Found, i: usize, commit: &str) -> At {
    let text = |path: &str| found.files_at.get(&(commit.to_string(), path.to_string())).cloned().flatten();
    let toml = |path: &str| text(path).and_then(|t| t.parse::<DocumentMut>().ok());
    let string = |item: Option<&Item>| item.and_then(Item::as_str).map(str::to_string);
    let found_version = match &found.packages[i].read {
        VersionRead::Tags => return At::Any,
        VersionRead::Nowhere => None,
        VersionRead::Cargo { manifest, workspace } => toml(manifest).and_then(|doc| {
            string(doc.get("package").and_then(|p| p.get("version"))).or_else(|| {
                let ws = toml(workspace.as_deref()?)?;
                string(ws.get("workspace").and_then(|w| w.get("package")).and_then(|p| p.get("version")))
            })
        }),
        VersionRead::Pyproject(path) => {
            toml(path).and_then(|doc| string(doc.get("project").and_then(|p| p.get("version"))))
        }
        VersionRead::File { path, pattern } => text(path).map(|t| {
            let pattern = pattern.as_deref().and_then(|p| crate::workspace::VersionPattern::parse(p).ok());
            let pattern = pattern.unwrap_or_else(crate::workspace::VersionPattern::hatch_default);
            match pattern.find(&t) {
                Some((a, b)) => t[a..b].to_string(),
                None => t.trim().to_string(),
            }
        }),
    };
    found_version.map_or(At::Absent, At::Version)
}
