//! What `init` infers from what it found, and the configuration that says so.
//! Pure: `Found` is gathered by `init::look`, nothing here reads the disk.
//!
//! Tags are read against the packages' names: `core-v1.2.0` is the template
//! `{name}-v{version}` when `core` is a package and `1.2.0` parses as its
//! version; `py/core-1.2.0` is `py/{name}-{version}`. A tag that names no
//! package but is a version with a short prefix (`v0.3.0`, `release/1.0`) is an
//! umbrella tag: written beside per-package tags at the same commits it is
//! `[tags] umbrella`, alone it is the tag of a group released together.
//! Templates are listed newest first (the tag closest to HEAD), so the
//! convention in use is the one a release writes.

use std::collections::{BTreeMap, BTreeSet};

use crate::version::{Ecosystem, Version};

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
}

#[derive(Debug, Clone)]
pub struct TagRef {
    pub name: String,
    pub commit: String,
    /// Position in HEAD's history (0 is HEAD); `None` when HEAD does not reach it.
    pub position: Option<usize>,
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
    pub packages: Vec<Pkg>,
    pub tags: Vec<TagRef>,
}

/// A tag template and the tags that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Convention {
    pub template: String,
    pub count: usize,
    /// The newest tag that follows it.
    pub newest: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFound {
    pub name: String,
    pub members: Vec<String>,
    /// Empty: each member keeps its own tags.
    pub tag: Vec<Convention>,
    pub why: String,
}

#[derive(Debug, Clone, Default)]
pub struct Inferred {
    /// Per-package templates per ecosystem, newest first (empty: no such tags).
    pub cargo_tags: Vec<Convention>,
    pub python_tags: Vec<Convention>,
    pub umbrella: Option<Convention>,
    pub groups: Vec<GroupFound>,
    /// Tags that follow no convention found (a few examples).
    pub unrecognized: Vec<String>,
    pub unrecognized_count: usize,
}

/// What one tag is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Package index, its template.
    Package(usize, String),
    /// A version with a prefix and no package name: its template.
    Umbrella(String),
}

/// Reads the conventions out of the tags.
pub fn infer(found: &Found) -> Inferred {
    let pkgs = &found.packages;
    let mut per_pkg: BTreeMap<usize, Vec<(String, &TagRef)>> = BTreeMap::new();
    let mut umbrella: Vec<(String, &TagRef, String)> = vec![];
    let mut out = Inferred::default();
    for t in &found.tags {
        match classify(pkgs, &t.name) {
            Some((Kind::Package(i, template), _)) => per_pkg.entry(i).or_default().push((template, t)),
            Some((Kind::Umbrella(template), version)) => umbrella.push((template, t, version)),
            None => {
                out.unrecognized_count += 1;
                if out.unrecognized.len() < 3 {
                    out.unrecognized.push(t.name.clone());
                }
            }
        }
    }
    for eco in [Ecosystem::Cargo, Ecosystem::Python] {
        let tags = per_pkg.iter().filter(|(i, _)| pkgs[**i].ecosystem == eco).flat_map(|(_, ts)| ts.iter());
        let list = conventions(tags.map(|(template, t)| (template.as_str(), *t)));
        match eco {
            Ecosystem::Cargo => out.cargo_tags = list,
            Ecosystem::Python => out.python_tags = list,
        }
    }

    // umbrella tags: beside per-package tags, or the tag of a group
    let mut grouped: BTreeSet<usize> = BTreeSet::new();
    if !umbrella.is_empty() {
        let list = conventions(umbrella.iter().map(|(template, t, _)| (template.as_str(), *t)));
        let package_commits: BTreeSet<&str> =
            per_pkg.values().flat_map(|ts| ts.iter().map(|(_, t)| t.commit.as_str())).collect();
        let beside = umbrella.iter().filter(|(_, t, _)| package_commits.contains(t.commit.as_str())).count();
        if beside * 2 > umbrella.len() {
            out.umbrella = list.into_iter().next();
        } else {
            let newest = umbrella.iter().min_by_key(|(_, t, _)| (t.position.unwrap_or(usize::MAX), t.name.clone()));
            let (_, newest_tag, version) = newest.expect("not empty");
            let publishable: Vec<usize> = (0..pkgs.len()).filter(|&i| pkgs[i].publishable).collect();
            let at_version: Vec<usize> = publishable
                .iter()
                .copied()
                .filter(|&i| {
                    let p = &pkgs[i];
                    let v = Version::parse(p.ecosystem, version).ok();
                    v.is_some() && p.version.as_ref().map(Version::to_string) == v.map(|v| v.to_string())
                })
                .collect();
            let (members, how) = if !at_version.is_empty() {
                (at_version, format!("at version {version}, the version of {}", newest_tag.name))
            } else {
                let untagged: Vec<usize> = publishable.iter().copied().filter(|i| !per_pkg.contains_key(i)).collect();
                (untagged, "without tags of their own".to_string())
            };
            if !members.is_empty() {
                let name = if members.len() == publishable.len() { "all" } else { "umbrella" };
                let why = format!(
                    "{} package(s) {how}, released together under {} ({} tag(s) like {})",
                    members.len(),
                    list[0].template,
                    umbrella.len(),
                    newest_tag.name
                );
                grouped.extend(members.iter().copied());
                out.groups.push(GroupFound {
                    name: name.to_string(),
                    members: members.iter().map(|&i| pkgs[i].id.clone()).collect(),
                    tag: list,
                    why,
                });
            }
        }
    }

    // synchronized groups: packages whose every release is at the same version and commit
    // (current version, every (version, commit) released) -> packages
    type Releases = Vec<(String, String)>;
    let mut by_key: BTreeMap<(String, Releases), Vec<usize>> = BTreeMap::new();
    for (&i, ts) in &per_pkg {
        let p = &pkgs[i];
        if grouped.contains(&i) || p.inherits_version || ts.len() < 2 {
            continue;
        }
        let Some(current) = &p.version else { continue };
        let mut key: Vec<(String, String)> = ts
            .iter()
            .filter_map(|(template, t)| {
                let v = crate::config::match_tag(&template.replace("{name}", &p.name), &t.name)?;
                let v = Version::parse(p.ecosystem, v).ok()?.to_ecosystem(Ecosystem::Python).to_string();
                Some((v, t.commit.clone()))
            })
            .collect();
        key.sort();
        key.dedup();
        by_key.entry((current.to_ecosystem(Ecosystem::Python).to_string(), key)).or_default().push(i);
    }
    for ((version, releases), members) in by_key {
        if members.len() < 2 {
            continue;
        }
        let names: Vec<String> = members.iter().map(|&i| pkgs[i].id.clone()).collect();
        out.groups.push(GroupFound {
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

/// The templates of some tags, the one with the newest tag first.
fn conventions<'a>(tags: impl Iterator<Item = (&'a str, &'a TagRef)>) -> Vec<Convention> {
    // template -> (newest position, count, newest name)
    let mut seen: BTreeMap<&str, (usize, usize, String)> = BTreeMap::new();
    for (template, t) in tags {
        let pos = t.position.unwrap_or(usize::MAX);
        let e = seen.entry(template).or_insert((usize::MAX, 0, t.name.clone()));
        e.1 += 1;
        if pos < e.0 || (pos == e.0 && e.1 == 1) {
            e.0 = pos;
            e.2 = t.name.clone();
        }
    }
    let mut list: Vec<(&str, (usize, usize, String))> = seen.into_iter().collect();
    list.sort_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)).then(a.0.cmp(b.0)));
    list.into_iter()
        .map(|(template, (_, count, newest))| Convention { template: template.to_string(), count, newest })
        .collect()
}

/// Which package's tag `tag` is, and in which template; or an umbrella tag.
/// The version it carries comes second.
fn classify(pkgs: &[Pkg], tag: &str) -> Option<(Kind, String)> {
    let mut order: Vec<usize> = (0..pkgs.len()).filter(|&i| pkgs[i].publishable).collect();
    // the longest name first: `core-utils-v1.0.0` is core-utils's, not core's
    order.sort_by_key(|&i| std::cmp::Reverse(pkgs[i].name.len()));
    for i in order {
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
            if crate::config::check_ref_name(&template.replace("{name}", "x").replace("{version}", "1.0.0")).is_err() {
                continue;
            }
            return Some((Kind::Package(i, template), version.to_string()));
        }
    }
    let d = tag.find(|c: char| c.is_ascii_digit())?;
    let (prefix, version) = tag.split_at(d);
    let word = prefix.strip_suffix(['v', 'V']).unwrap_or(prefix);
    let umbrella_prefix = word.is_empty()
        || word.ends_with('/')
        || ["release-", "release_", "release/", "version-"].contains(&word.to_ascii_lowercase().as_str());
    let parses = [Ecosystem::Cargo, Ecosystem::Python].iter().any(|&e| Version::parse(e, version).is_ok());
    (umbrella_prefix && parses && prefix.len() <= 16)
        .then(|| (Kind::Umbrella(format!("{prefix}{{version}}")), version.to_string()))
}

/// Between a name and a version: `-`, `-v`, `@`, `@v`, `_`, `/v` ...
fn is_separator(sep: &str) -> bool {
    let core = sep.strip_suffix(['v', 'V']).unwrap_or(sep);
    !core.is_empty() && core.len() <= 2 && core.chars().all(|c| "-_@/.".contains(c))
}

/// The configuration file for what was found and inferred.
pub fn render(found: &Found, inferred: &Inferred) -> String {
    use std::fmt::Write;
    let q = |s: &str| toml_edit::Value::from(s).to_string().trim().to_string();
    let list = |cs: &[Convention]| -> String {
        if cs.len() == 1 {
            q(&cs[0].template)
        } else {
            format!("[{}]", cs.iter().map(|c| q(&c.template)).collect::<Vec<_>>().join(", "))
        }
    };
    let evidence = |cs: &[Convention]| -> String {
        let parts: Vec<String> = cs.iter().map(|c| format!("{} tag(s) like {}", c.count, c.newest)).collect();
        let tail = if cs.len() > 1 { ": a release writes the first template, history is read with all" } else { "" };
        format!("{}{tail}", parts.join(", "))
    };
    let mut s = String::from(
        "# xtask-release configuration, written by `cargo xtask init` from what it found\n\
         # in this repository. Every key is optional; see README.md, \"Configuration\".\n",
    );
    let python_root = found.python_root.as_ref().filter(|r| r.value != ".");
    if python_root.is_some() || found.python_index.is_some() {
        s.push_str("\n[python]\n");
        if let Some(r) = python_root {
            let _ = writeln!(s, "# {}\nroot = {}", r.why, q(&r.value));
        }
        if let Some(ix) = &found.python_index {
            let _ = writeln!(s, "# {}\npublish-url = {}\nindex-url = {}", ix.why, q(&ix.value.0), q(&ix.value.1));
        }
    }
    let cargo_root = found.cargo_root.as_ref().filter(|r| r.value != ".");
    if cargo_root.is_some() || found.cargo_registry.is_some() {
        s.push_str("\n[cargo]\n");
        if let Some(r) = cargo_root {
            let _ = writeln!(s, "# {}\nroot = {}", r.why, q(&r.value));
        }
        if let Some(r) = &found.cargo_registry {
            let _ = writeln!(s, "# {}\nregistry = {}", r.why, q(&r.value));
        }
    }
    let default = |cs: &[Convention]| cs.is_empty() || (cs.len() == 1 && cs[0].template == crate::config::DEFAULT_TAG);
    let (cargo, python) = (&inferred.cargo_tags, &inferred.python_tags);
    let mut tags = String::new();
    let same = cargo.iter().map(|c| &c.template).eq(python.iter().map(|c| &c.template));
    if cargo.is_empty() || python.is_empty() || same {
        let cs = if cargo.is_empty() { python } else { cargo };
        if !default(cs) {
            let ev = if same && !python.is_empty() {
                format!("crates: {}; Python packages: {}", evidence(cargo), evidence(python))
            } else {
                evidence(cs)
            };
            let _ = writeln!(tags, "# {ev}\npackage = {}", list(cs));
        }
    } else {
        for (key, cs) in [("cargo", cargo), ("python", python)] {
            if !default(cs) {
                let _ = writeln!(tags, "# {key}: {}\n{key} = {}", evidence(cs), list(cs));
            }
        }
    }
    if let Some(u) = &inferred.umbrella {
        let _ = writeln!(
            tags,
            "# {} tag(s) like {} beside the packages' own tags: one more tag per release\numbrella = {}",
            u.count,
            u.newest,
            q(&u.template)
        );
    }
    if !tags.is_empty() {
        let _ = write!(s, "\n[tags]\n{tags}");
    }
    if tags.is_empty() && inferred.groups.is_empty() {
        let why = if cargo.is_empty() && python.is_empty() {
            "No release tags found: each package's first release is tagged"
        } else {
            "The release tags follow the default template,"
        };
        let _ = writeln!(s, "\n# {why} {} (tags.package).", crate::config::DEFAULT_TAG);
    }
    for g in &inferred.groups {
        let members: Vec<String> = g.members.iter().map(|m| q(m)).collect();
        let _ = write!(s, "\n[[groups]]\n# {}\nname = {}\nmembers = [{}]\n", g.why, q(&g.name), members.join(", "));
        if !g.tag.is_empty() {
            let _ = writeln!(s, "tag = {}", list(&g.tag));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn pkg(name: &str, eco: Ecosystem, version: &str) -> Pkg {
        Pkg {
            name: name.into(),
            id: name.into(),
            ecosystem: eco,
            version: Version::parse(eco, version).ok(),
            publishable: true,
            inherits_version: false,
        }
    }

    /// Tags newest first, each at its own commit unless `@commit` is given.
    fn tags(names: &[&str]) -> Vec<TagRef> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (name, commit) = n.split_once('@').filter(|(_, c)| c.starts_with('c')).unwrap_or((n, ""));
                let commit = if commit.is_empty() { format!("c{i}") } else { commit.to_string() };
                TagRef { name: name.into(), commit, position: Some(i) }
            })
            .collect()
    }

    fn found(packages: Vec<Pkg>, t: &[&str]) -> Found {
        Found { packages, tags: tags(t), ..Found::default() }
    }

    fn templates(cs: &[Convention]) -> Vec<&str> {
        cs.iter().map(|c| c.template.as_str()).collect()
    }

    #[test]
    fn per_package_conventions_newest_first() {
        let f = found(
            vec![pkg("core", Ecosystem::Cargo, "1.2.0"), pkg("core-utils", Ecosystem::Cargo, "0.3.0")],
            &["core-v1.2.0", "core-utils-v0.3.0", "core-1.1.0", "core-1.0.0", "latest", "mycore-9.0.0"],
        );
        let inf = infer(&f);
        assert_eq!(templates(&inf.cargo_tags), ["{name}-v{version}", "{name}-{version}"]);
        assert_eq!(inf.cargo_tags[0].count, 2);
        assert_eq!(inf.cargo_tags[1].newest, "core-1.1.0");
        assert_eq!(inf.unrecognized_count, 2, "{:?}", inf.unrecognized);
        let text = render(&f, &inf);
        let c = Config::parse(&text).unwrap();
        assert_eq!(c.tag_package, ["{name}-v{version}", "{name}-{version}"], "{text}");
    }

    #[test]
    fn prefixes_at_signs_and_ecosystems() {
        let f = found(
            vec![pkg("genkit", Ecosystem::Python, "0.6.0"), pkg("tokio", Ecosystem::Cargo, "1.40.0")],
            &["py/genkit-v0.6.0", "tokio-1.40.0", "py/genkit-v0.5.0rc1"],
        );
        let inf = infer(&f);
        assert_eq!(templates(&inf.python_tags), ["py/{name}-v{version}"]);
        assert_eq!(templates(&inf.cargo_tags), ["{name}-{version}"]);
        let c = Config::parse(&render(&f, &inf)).unwrap();
        assert_eq!(c.tag_python, ["py/{name}-v{version}"]);
        assert_eq!(c.tag_cargo, ["{name}-{version}"]);
        let f = found(vec![pkg("api", Ecosystem::Python, "2.0.0")], &["api@2.0.0"]);
        let c = Config::parse(&render(&f, &infer(&f))).unwrap();
        assert_eq!(c.tag_package, ["{name}@{version}"]);
        // the default convention needs no key
        let f = found(vec![pkg("api", Ecosystem::Python, "2.0.0")], &["api-v2.0.0"]);
        assert!(!render(&f, &infer(&f)).contains("[tags]"));
    }

    #[test]
    fn umbrella_alone_is_a_group_beside_package_tags_an_extra_tag() {
        let mut f = found(
            vec![
                pkg("a", Ecosystem::Cargo, "0.3.0"),
                pkg("b", Ecosystem::Python, "0.3.0"),
                pkg("old", Ecosystem::Cargo, "1.0.0"),
            ],
            &["v0.3.0", "v0.2.0", "old-v1.0.0"],
        );
        let inf = infer(&f);
        assert_eq!(inf.groups.len(), 1);
        assert_eq!(inf.groups[0].name, "umbrella");
        assert_eq!(inf.groups[0].members, ["a", "b"]);
        assert_eq!(templates(&inf.groups[0].tag), ["v{version}"]);
        assert!(inf.umbrella.is_none());
        let c = Config::parse(&render(&f, &inf)).unwrap();
        assert_eq!(c.groups[0].tag, ["v{version}"]);

        f.tags = tags(&["v0.3.0@c0", "a-v0.3.0@c0", "b-v0.3.0@c0", "v0.2.0@c1", "a-v0.2.0@c1"]);
        let inf = infer(&f);
        assert!(inf.groups.is_empty(), "{:?}", inf.groups);
        assert_eq!(inf.umbrella.as_ref().map(|u| u.template.as_str()), Some("v{version}"));
        let c = Config::parse(&render(&f, &inf)).unwrap();
        assert_eq!(c.tag_umbrella.as_deref(), Some("v{version}"));
    }

    #[test]
    fn synchronized_packages_become_a_group() {
        let f = found(
            vec![
                pkg("a", Ecosystem::Cargo, "2.0.0"),
                pkg("b", Ecosystem::Cargo, "2.0.0"),
                pkg("c", Ecosystem::Cargo, "2.0.0"),
            ],
            &["a-v2.0.0@c0", "b-v2.0.0@c0", "a-v1.0.0@c1", "b-v1.0.0@c1", "c-v2.0.0@c0"],
        );
        let inf = infer(&f);
        assert_eq!(inf.groups.len(), 1, "{:?}", inf.groups);
        assert_eq!(inf.groups[0].members, ["a", "b"]);
        assert!(inf.groups[0].tag.is_empty());
        let c = Config::parse(&render(&f, &inf)).unwrap();
        assert_eq!(c.groups[0].members, ["a", "b"]);
    }

    #[test]
    fn nothing_found_is_a_valid_file() {
        let f = found(vec![pkg("a", Ecosystem::Cargo, "0.1.0")], &[]);
        let text = render(&f, &infer(&f));
        assert!(Config::parse(&text).is_ok());
        assert!(!text.lines().any(|l| l.starts_with('[')), "{text}");
    }
}
