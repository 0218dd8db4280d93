//! Tag rules that need the workspace: which group's tag a package takes, its
//! tag patterns (what history reads) and the tag a release creates, the
//! ecosystem umbrellas (`[tags] python`/`cargo` without `{name}`) and their
//! problems. Above `config` (the templates as written) and `workspace` (the
//! packages); `history`, `plan`, `check` and `init` use it.

use crate::config::{Config, Group};
use crate::error::Code;
use crate::version::{Ecosystem, Version};
use crate::workspace::{Package, Workspace};

/// The version part of `tag` when it matches `pattern` (a template whose
/// `{name}` is filled in): `core-v{version}` matches `core-v1.2.0` with `1.2.0`.
pub fn match_tag<'a>(pattern: &str, tag: &'a str) -> Option<&'a str> {
    // plan matches every tag against every package's patterns: a char search,
    // not `split_once("{version}")`, which builds a substring searcher each call
    let at = pattern.match_indices('{').map(|(i, _)| i).find(|&i| pattern[i..].starts_with("{version}"))?;
    let (prefix, suffix) = (&pattern[..at], &pattern[at + "{version}".len()..]);
    let v = tag.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (!v.is_empty()).then_some(v)
}

/// Makes a group of each ecosystem umbrella: every publishable package of
/// the ecosystem that no `[[groups]]` names and `[tags] separate` does not
/// list, released under the umbrella's tag and so at one version. A
/// maturin package and its crate share one version: when one of them is
/// under an umbrella and the other in no group, the other joins it (and
/// shares its tag). Run once, after discovery (`Repo::load`).
pub fn add_umbrella_groups(config: &mut Config, ws: &Workspace) {
    let configured = config.groups.clone();
    let in_group =
        |i: usize, groups: &[Group]| groups.iter().position(|g| g.members.iter().any(|m| ws.index_of(m) == Some(i)));
    let separate: Vec<usize> = config.tag_separate.iter().filter_map(|m| ws.index_of(m)).collect();
    for eco in [Ecosystem::Cargo, Ecosystem::Python] {
        let Some(templates) = config.umbrella_of(eco).map(<[String]>::to_vec) else { continue };
        let members: Vec<String> = (0..ws.packages.len())
            .filter(|&i| {
                let p = &ws.packages[i];
                p.ecosystem == eco
                    && p.unpublishable.is_none()
                    && in_group(i, &configured).is_none()
                    && !separate.contains(&i)
            })
            .map(|i| ws.id(i))
            .collect();
        if !members.is_empty() {
            let name = format!("[tags] {}", eco.as_str());
            config.groups.push(Group { name, members, tag: templates, umbrella: Some(eco) });
        }
    }
    for i in 0..ws.packages.len() {
        let Some(j) = ws.maturin_crate(i) else { continue };
        let (gi, gj) = (in_group(i, &config.groups), in_group(j, &config.groups));
        let join = match (gi, gj) {
            (Some(g), None) if !separate.contains(&j) => Some((g, j)),
            (None, Some(g)) if !separate.contains(&i) => Some((g, i)),
            _ => None,
        };
        if let Some((g, k)) = join.filter(|(g, _)| config.groups[*g].umbrella.is_some()) {
            config.groups[g].members.push(ws.id(k));
        }
    }
}

/// What stops a plan about the ecosystem umbrellas (`check` lists them
/// all): members at different versions (one tag holds one version), a
/// maturin pair split between two groups, unknown `separate` names.
pub fn umbrella_problems(config: &Config, ws: &Workspace) -> Vec<crate::error::Failure> {
    use crate::error::Failure;
    let mut out = vec![];
    for m in &config.tag_separate {
        if ws.index_of(m).is_none() {
            out.push(Failure::new(
                Code::UnknownPackage,
                format!("[tags] separate names unknown package `{m}`"),
                "fix [tags] separate in xtask-release.toml (`cargo xtask graph` lists the packages)",
            ));
        }
    }
    for g in config.groups.iter().filter(|g| g.umbrella.is_some()) {
        if let Some(f) = umbrella_versions(g, ws) {
            out.push(f);
        }
    }
    for i in 0..ws.packages.len() {
        let Some(j) = ws.maturin_crate(i) else { continue };
        let group = |k: usize| config.groups.iter().find(|g| g.members.iter().any(|m| ws.index_of(m) == Some(k)));
        let (a, b) = (group(i), group(j));
        let umbrella = a.is_some_and(|g| g.umbrella.is_some()) || b.is_some_and(|g| g.umbrella.is_some());
        if umbrella && a.map(|g| &g.name) != b.map(|g| &g.name) {
            let name = |g: Option<&Group>| g.map_or("no group".to_string(), |g| format!("`{}`", g.name));
            out.push(Failure::new(
                Code::UmbrellaVersions,
                format!(
                    "python {} is built from crate {} (one version), but they are released apart: {} and {}",
                    ws.packages[i].name,
                    ws.packages[j].name,
                    name(a),
                    name(b)
                ),
                format!("put both in one [[groups]] with a `tag`, e.g. members = [\"{}\", \"{}\"]", ws.id(i), ws.id(j)),
            ));
        }
    }
    out
}

/// For each package of `ws`, the index in `groups` of the group with a
/// `tag` it is a member of. Computed once per command: names resolve in
/// one pass over the members.
pub fn tag_groups(config: &Config, ws: &Workspace) -> Vec<Option<usize>> {
    let mut out = vec![None; ws.packages.len()];
    for (gi, g) in config.groups.iter().enumerate().filter(|(_, g)| !g.tag.is_empty()) {
        for i in g.members.iter().filter_map(|m| ws.index_of(m)) {
            out[i].get_or_insert(gi);
        }
    }
    out
}

/// A package's tag patterns, the written one first: its group's `tag`
/// templates (`group` from `tag_groups`), then its ecosystem's, each with
/// `{name}` filled in (a configured group's name, or the package's) and
/// `{version}` left.
pub fn tag_patterns(config: &Config, p: &Package, group: Option<usize>) -> Vec<String> {
    let group = group.map(|g| &config.groups[g]);
    let from_group = group.into_iter().flat_map(|g| {
        let name = if g.umbrella.is_some() { &p.name } else { &g.name };
        g.tag.iter().map(move |t| t.replace("{name}", name))
    });
    let own: Vec<String> = config.tag_templates(p.ecosystem).iter().map(|t| t.replace("{name}", &p.name)).collect();
    let mut out: Vec<String> = vec![];
    for t in from_group.chain(own) {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The tag a release of a package at `version` creates, and the key that sets its template.
pub fn tag_of(config: &Config, p: &Package, group: Option<usize>, version: &str) -> (String, String) {
    let key = match group.map(|g| &config.groups[g]) {
        Some(g) if g.umbrella.is_some() => g.name.clone(),
        Some(g) => format!("[[groups]] `{}` tag", g.name),
        None => config.tag_key(p.ecosystem),
    };
    (tag_patterns(config, p, group)[0].replace("{version}", version), key)
}

/// The package whose tag would be the same as package `i`'s: the one
/// collision check that `plan` and `check` share (`XR043`). `tagged(k)` is
/// the tag package `k` would get and the version it is tagged at, `None` for
/// a package not compared (the caller decides which: earlier entries, the
/// other ecosystem…; compute tags once, this is called for every package).
/// Never a twin: an unpublishable package, a member of `i`'s tag group, or
/// `i`'s maturin pair at the same version (they share a tag by design).
pub fn twin(
    ws: &Workspace,
    groups: &[Option<usize>],
    i: usize,
    tagged: impl Fn(usize) -> Option<(String, String)>,
) -> Option<usize> {
    let (tag, mine) = tagged(i)?;
    let p = &ws.packages[i];
    let normal =
        |k: usize, v: &str| Version::parse(ws.packages[k].ecosystem, v).ok().map(|v| v.to_ecosystem(Ecosystem::Python));
    let pair = |k: usize| ws.maturin_crate(i) == Some(k) || ws.maturin_crate(k) == Some(i);
    (0..ws.packages.len()).filter(|&k| k != i).find(|&k| {
        let Some((_, version)) = tagged(k).filter(|(t, _)| *t == tag) else { return false };
        let same_version = version == mine || normal(k, &version).is_some_and(|v| Some(v) == normal(i, &mine));
        ws.packages[k].unpublishable.is_none()
            && p.unpublishable.is_none()
            && (groups[k].is_none() || groups[k] != groups[i])
            && !(pair(k) && same_version)
    })
}

/// An umbrella group whose publishable members are not at one version: the
/// most common version first, then the others by name.
fn umbrella_versions(g: &Group, ws: &Workspace) -> Option<crate::error::Failure> {
    use crate::workspace::VersionSource;
    // normal form -> (as written, members)
    let mut by_version: std::collections::BTreeMap<String, (String, Vec<String>)> = Default::default();
    for i in g.members.iter().filter_map(|m| ws.index_of(m)) {
        let p = &ws.packages[i];
        let Some(v) = p.version.as_ref().filter(|_| !matches!(p.version_source, VersionSource::Vcs(_))) else {
            continue; // a version from git tags is the umbrella tag's anyway
        };
        let e = by_version.entry(v.to_ecosystem(Ecosystem::Python).to_string()).or_default();
        e.0.clone_from(&p.version_text);
        e.1.push(ws.id(i));
    }
    if by_version.len() < 2 {
        return None;
    }
    let (main, (shown, most)) = by_version.iter().max_by_key(|(v, (_, ids))| (ids.len(), std::cmp::Reverse(*v)))?;
    let mut others: Vec<(&String, &String)> = by_version
        .iter()
        .filter(|(v, _)| *v != main)
        .flat_map(|(_, (text, ids))| ids.iter().map(move |id| (id, text)))
        .collect();
    others.sort();
    let listed: Vec<String> = others.iter().take(8).map(|(id, v)| format!("{id} {v}")).collect();
    let more = if others.len() > 8 { format!(" and {} more", others.len() - 8) } else { String::new() };
    let names: Vec<String> = others.iter().map(|(id, _)| format!("{id:?}")).collect();
    let what = if g.umbrella == Some(Ecosystem::Cargo) { "crate" } else { "Python package" };
    Some(crate::error::Failure::new(
        Code::UmbrellaVersions,
        format!(
            "{} = {:?} releases every {what} under one tag, at one version, but {} {} at {shown} and {}{more} differ",
            g.name,
            g.tag[0],
            most.len(),
            if most.len() == 1 { "is" } else { "are" },
            listed.join(", ")
        ),
        format!(
            "list the others in xtask-release.toml as [tags] separate = [{}] (they keep tags of their own), \
             or give them version {shown}",
            names.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::match_tag;

    #[test]
    fn templates_match_tags() {
        assert_eq!(match_tag("core-v{version}", "core-v1.2.0"), Some("1.2.0"));
        assert_eq!(match_tag("py/core-v{version}", "core-v1.2.0"), None);
        assert_eq!(match_tag("v{version}", "v"), None);
    }
}
