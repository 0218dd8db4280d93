use super::*;
use crate::commits::{Change, Convention};
use crate::config::Group;
use crate::version::Req;
use crate::workspace::DepKind;
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
    let w =
        ws(vec![pkg("tokio", C, "1.53.1", &[]), pkg("tokio-util", C, "0.7.19", &[]), pkg("quiet", C, "1.0.0", &[])]);
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
    let mut h =
        vec![tag("core-v1.2.0", "1.2.0"), tag("mid-v0.4.0", "0.4.0"), tag("top-v0.1.0", "0.1.0"), tag("l", "3.0.0")];
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
    let w =
        ws(vec![pkg("core", C, "1.0.0", &[]), pkg("app", C, "1.0.0", &[("core", "1")]), pkg("other", C, "1.0.0", &[])]);
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
