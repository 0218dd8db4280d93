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

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::version::{same_version, Ecosystem, Version};

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
    fn age(&self) -> (std::cmp::Reverse<i64>, usize) {
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

    fn set(&mut self, eco: Ecosystem, tags: Vec<Convention>, umbrella: Option<EcoUmbrella>) {
        match eco {
            Ecosystem::Cargo => (self.cargo_tags, self.cargo_umbrella) = (tags, umbrella),
            Ecosystem::Python => (self.python_tags, self.python_umbrella) = (tags, umbrella),
        }
    }
}

/// How one tag may be read: as a package's (candidates, the longest name
/// first: package, template, version) or, failing those, as a template with
/// no name (`v{version}`, `py-{version}`) and its version.
#[derive(Debug, Clone, Default)]
struct Class {
    candidates: Vec<(usize, String, String)>,
    literal: Option<(String, String)>,
}

/// The version of package `i` at `commit`, as far as its files tell.
#[derive(Debug, Clone, PartialEq, Eq)]
enum At {
    Version(String),
    /// Its version comes from tags: any.
    Any,
    Absent,
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

/// The package and template of tag `t`, when one of its candidates has the
/// tag's version at the tag's commit.
fn verified(found: &Found, t: &TagRef, c: &Class) -> Option<(usize, String)> {
    c.candidates
        .iter()
        .find(|(i, _, version)| match version_at(found, *i, &t.commit) {
            At::Any => true,
            At::Version(v) => same_version(found.packages[*i].ecosystem, &v, version),
            At::Absent => false,
        })
        .map(|(i, template, _)| (*i, template.clone()))
}

/// The tags that are no package's but a version with a prefix, by template,
/// newest first, with their versions.
fn literal_tags<'a>(found: &'a Found, classes: &'a [Class]) -> BTreeMap<&'a str, Vec<(&'a TagRef, &'a str)>> {
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
struct Entry {
    templates: Vec<Convention>,
    members: BTreeSet<usize>,
}

/// What the templates without a name are: the newest that sits beside the
/// packages' own tags (`[tags] umbrella`), and the others by the packages at
/// their version at a majority of their newest tags, newest first. Also the
/// tags read.
fn literal_entries<'a>(
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
fn decide(
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

/// A group's name from its tag's prefix (`core-v{version}` → `core`), else
/// `all` (every publishable package) or `umbrella`; unique among `groups`.
fn group_name(template: &str, all: bool, groups: &[GroupFound]) -> String {
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
fn synchronized(
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

/// The templates of some tags, the one with the newest tag first (by date,
/// then closeness to HEAD, then the most tags).
fn conventions<'a>(tags: impl Iterator<Item = (&'a str, &'a TagRef)>) -> Vec<Convention> {
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
fn classify_all(found: &Found) -> Vec<Class> {
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
fn version_at(found: &Found, i: usize, commit: &str) -> At {
    use toml_edit::{DocumentMut, Item};
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

/// The configuration file for what was found and inferred.
pub fn render(found: &Found, inferred: &Inferred) -> String {
    use std::fmt::Write;
    let q = |s: &str| toml_edit::Value::from(s).to_string().trim().to_string();
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
    let tags = render_tags(inferred);
    if !tags.is_empty() {
        let _ = write!(s, "\n[tags]\n{tags}");
    }
    if tags.is_empty() && inferred.groups.is_empty() {
        let why = if found.tags.is_empty() {
            "No release tags found: each package's first release is tagged".to_string()
        } else if inferred.cargo_tags.is_empty() && inferred.python_tags.is_empty() {
            format!(
                "None of the {} tag(s) is a release of a package here: each first release is tagged",
                found.tags.len()
            )
        } else {
            "The release tags follow the default template,".to_string()
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
    if let Some(b) = &found.branch {
        let _ = writeln!(s, "\n[release]\n# {}\nallow-branches = [{}]", b.why, q(&b.value));
    }
    s
}

/// One template, or a list of them.
fn list(cs: &[Convention]) -> String {
    let q = |s: &str| toml_edit::Value::from(s).to_string().trim().to_string();
    if cs.len() == 1 {
        q(&cs[0].template)
    } else {
        format!("[{}]", cs.iter().map(|c| q(&c.template)).collect::<Vec<_>>().join(", "))
    }
}

/// "N tag(s) like NEWEST" for each template.
fn evidence(cs: &[Convention]) -> String {
    let parts: Vec<String> = cs.iter().map(|c| format!("{} tag(s) like {}", c.count, c.newest)).collect();
    let tail = if cs.len() > 1 { ": a release writes the first template, history is read with all" } else { "" };
    format!("{}{tail}", parts.join(", "))
}

/// The body of `[tags]`: per-package templates under `package` (or one key per
/// ecosystem when they differ or one has an umbrella), the umbrellas with
/// the ecosystems' per-package templates after them, `separate`, `umbrella`.
fn render_tags(inferred: &Inferred) -> String {
    use std::fmt::Write;
    let q = |s: &str| toml_edit::Value::from(s).to_string().trim().to_string();
    let default = |cs: &[Convention]| cs.is_empty() || (cs.len() == 1 && cs[0].template == crate::config::DEFAULT_TAG);
    let (cargo, python) = (&inferred.cargo_tags, &inferred.python_tags);
    let mut tags = String::new();
    let umbrellas = inferred.cargo_umbrella.is_some() || inferred.python_umbrella.is_some();
    let same = cargo.iter().map(|c| &c.template).eq(python.iter().map(|c| &c.template));
    if !umbrellas && (cargo.is_empty() || python.is_empty() || same) {
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
        for (eco, key, what) in [(Ecosystem::Cargo, "cargo", "crate"), (Ecosystem::Python, "python", "Python package")]
        {
            let own = inferred.tags(eco);
            match inferred.umbrella_of(eco) {
                Some(u) => {
                    let all: Vec<Convention> = u.templates.iter().chain(own).cloned().collect();
                    let _ = writeln!(
                        tags,
                        "# {key}: {}: one tag for every {what}, at one version ({} at the version of {})\n{key} = {}",
                        evidence(&all),
                        u.members,
                        u.templates[0].newest,
                        list(&all)
                    );
                }
                None if !default(own) => {
                    let _ = writeln!(tags, "# {key}: {}\n{key} = {}", evidence(own), list(own));
                }
                None => {}
            }
        }
        let separate: Vec<String> = [&inferred.cargo_umbrella, &inferred.python_umbrella]
            .into_iter()
            .flatten()
            .flat_map(|u| u.separate.iter().map(|m| q(m)))
            .collect();
        if !separate.is_empty() {
            let _ = writeln!(
                tags,
                "# at versions of their own, not the umbrella's: tagged with their ecosystem's template with {{name}}\nseparate = [{}]",
                separate.join(", ")
            );
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
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn pkg(name: &str, eco: Ecosystem, version: &str) -> Pkg {
        let read = match eco {
            Ecosystem::Python => VersionRead::Pyproject(format!("{name}/pyproject.toml")),
            Ecosystem::Cargo => VersionRead::Cargo { manifest: format!("{name}/Cargo.toml"), workspace: None },
        };
        Pkg {
            name: name.into(),
            id: name.into(),
            ecosystem: eco,
            version: Version::parse(eco, version).ok(),
            publishable: true,
            inherits_version: false,
            read,
        }
    }

    /// Tags newest first (dates descending, positions ascending), each at its own
    /// commit unless `@commit` is given.
    fn tags(names: &[&str]) -> Vec<TagRef> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (name, commit) = n.split_once('@').filter(|(_, c)| c.starts_with('c')).unwrap_or((n, ""));
                let commit = if commit.is_empty() { format!("c{i}") } else { commit.to_string() };
                TagRef { name: name.into(), commit, position: Some(i), date: 1000 - i as i64 }
            })
            .collect()
    }

    /// Each package's version file at each tag's commit: the tag's version when
    /// the tag names the package, else its current version (`versions` overrides).
    fn found_with(packages: Vec<Pkg>, t: &[&str], versions: &[(&str, &str, &str)]) -> Found {
        let mut f = Found { packages, tags: tags(t), ..Found::default() };
        let text = |p: &Pkg, v: &str| match p.ecosystem {
            Ecosystem::Python => format!("[project]\nversion = \"{v}\"\n"),
            Ecosystem::Cargo => format!("[package]\nversion = \"{v}\"\n"),
        };
        let mut at: BTreeMap<(String, usize), String> = BTreeMap::new();
        for (i, p) in f.packages.iter().enumerate() {
            for tag in &f.tags {
                at.insert((tag.commit.clone(), i), p.version.as_ref().map(Version::to_string).unwrap_or_default());
            }
        }
        for (tag, class) in f.tags.iter().zip(classify_all(&f)) {
            if let Some((i, _, v)) = class.candidates.first() {
                at.insert((tag.commit.clone(), *i), v.clone());
            }
        }
        for (c, name, v) in versions {
            for (i, _) in f.packages.iter().enumerate().filter(|(_, p)| p.name == *name) {
                at.insert((c.to_string(), i), v.to_string());
            }
        }
        for ((commit, i), v) in at {
            let p = &f.packages[i];
            f.files_at.insert((commit, p.read.files()[0].to_string()), Some(text(p, &v)));
        }
        f
    }

    fn found(packages: Vec<Pkg>, t: &[&str]) -> Found {
        found_with(packages, t, &[])
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
    fn newest_is_by_date() {
        let mut f =
            found(vec![pkg("lib", Ecosystem::Python, "1.1.0")], &["lib-1.1.0@c1", "lib-v1.1.0@c1", "lib-1.0.0"]);
        f.tags[1].date = 2000; // made last, on the same commit
        let inf = infer(&f);
        assert_eq!(templates(&inf.python_tags), ["{name}-v{version}", "{name}-{version}"]);
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
    fn a_tag_is_a_packages_only_at_its_version() {
        // npm's genkit@1.33.0 at a commit where the Python genkit is 0.5.2; Go's go/v1.7.0
        let f = found_with(
            vec![pkg("genkit", Ecosystem::Python, "0.5.2")],
            &["go/v1.7.0", "genkit@1.33.0", "py/genkit-v0.5.2"],
            &[("c1", "genkit", "0.5.2"), ("c0", "genkit", "0.5.2")],
        );
        let inf = infer(&f);
        assert_eq!(templates(&inf.python_tags), ["py/{name}-v{version}"]);
        assert!(inf.groups.is_empty() && inf.python_umbrella.is_none(), "{:?}", inf.groups);
        assert_eq!(inf.unrecognized_count, 2);
    }

    #[test]
    fn an_ecosystems_umbrella_and_its_separate_packages() {
        // polars: rs-{version} for the crates, py-{version} for the Python package, one crate of its own
        let f = found_with(
            vec![
                pkg("polars", Ecosystem::Cargo, "0.5.0"),
                pkg("polars-core", Ecosystem::Cargo, "0.5.0"),
                pkg("odd", Ecosystem::Cargo, "0.2.0"),
                Pkg { id: "python:polars".into(), ..pkg("polars", Ecosystem::Python, "1.3.0") },
            ],
            &["rs-0.5.0", "py-1.3.0", "rs-0.4.0", "py-1.2.0", "odd-v0.2.0"],
            &[("c2", "polars", "0.4.0"), ("c2", "polars-core", "0.4.0"), ("c3", "polars", "1.2.0")],
        );
        let inf = infer(&f);
        let u = inf.cargo_umbrella.as_ref().expect("a cargo umbrella");
        assert_eq!(
            (templates(&u.templates), u.members, &u.separate[..]),
            (vec!["rs-{version}"], 2, &["odd".to_string()][..])
        );
        assert_eq!(templates(&inf.python_umbrella.as_ref().unwrap().templates), ["py-{version}"]);
        let text = render(&f, &inf);
        let c = Config::parse(&text).unwrap();
        assert_eq!(c.tag_cargo, ["rs-{version}", "{name}-v{version}"], "{text}");
        assert_eq!(c.tag_python, ["py-{version}"], "{text}");
        assert_eq!(c.tag_separate, ["odd"], "{text}");
    }

    #[test]
    fn umbrella_alone_is_a_group_beside_package_tags_an_extra_tag() {
        let f = found_with(
            vec![
                pkg("a", Ecosystem::Cargo, "0.3.0"),
                pkg("b", Ecosystem::Python, "0.3.0"),
                pkg("old", Ecosystem::Cargo, "1.0.0"),
            ],
            &["v0.3.0", "v0.2.0", "old-v1.0.0"],
            &[("c1", "a", "0.2.0"), ("c1", "b", "0.2.0")],
        );
        let inf = infer(&f);
        assert_eq!(inf.groups.len(), 1, "{:?}", inf.groups);
        assert_eq!(inf.groups[0].name, "umbrella");
        assert_eq!(inf.groups[0].members, ["a", "b"]);
        assert_eq!(templates(&inf.groups[0].tag), ["v{version}"]);
        assert!(inf.umbrella.is_none());
        let c = Config::parse(&render(&f, &inf)).unwrap();
        assert_eq!(c.groups[0].tag, ["v{version}"]);

        let f = found(f.packages, &["v0.3.0@c0", "a-v0.3.0@c0", "b-v0.3.0@c0", "v0.2.0@c1", "a-v0.2.0@c1"]);
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
        let f = Found { branch: Some(Why { value: "master".into(), why: "HEAD is on master".into() }), ..f };
        let c = Config::parse(&render(&f, &infer(&f))).unwrap();
        assert_eq!(c.allow_branches, ["master"]);
    }
}
