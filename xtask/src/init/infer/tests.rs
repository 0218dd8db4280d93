use std::collections::BTreeMap;

use super::classify::classify_all;
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
    let mut f = found(vec![pkg("lib", Ecosystem::Python, "1.1.0")], &["lib-1.1.0@c1", "lib-v1.1.0@c1", "lib-1.0.0"]);
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
