//! The estimate names the bound that is the largest: the chain, the job slots, or a limit.

use super::*;
use crate::plan::{Bump, Cause, Entry, Status};

/// A released package (`new`: no release tag yet) depending on `deps`.
fn entry(name: &str, eco: Ecosystem, deps: &[&str], new: bool) -> Entry {
    Entry {
        name: name.into(),
        ecosystem: eco,
        path: name.into(),
        manifest: format!("{name}/Cargo.toml"),
        version: "1.0.0".into(),
        next_version: Some("1.0.1".into()),
        bump: Bump::Patch,
        status: Status::Release,
        reason: String::new(),
        level: 0,
        order: 0,
        dependencies: deps.iter().map(|d| d.to_string()).collect(),
        tag: Some(format!("{name}-v1.0.1")),
        last_tag: (!new).then(|| format!("{name}-v1.0.0")),
        commits: 1,
        next: None,
        notes: Default::default(),
        key: String::new(),
        cause: Cause::Other,
    }
}

fn plan(packages: Vec<Entry>) -> Plan {
    Plan { packages, umbrella_tag: None, files: vec![], warnings: vec![] }
}

fn cargo(name: &str, deps: &[&str]) -> Entry {
    entry(name, Ecosystem::Cargo, deps, false)
}

const CRATE: Duration = Duration::from_secs(CARGO.build + CARGO.publish + CARGO.smoke);

/// A chain of crates that wait for one another, through a crate not released: the chain bounds it.
#[test]
fn a_deep_chain_is_the_bound() {
    let mut skipped = cargo("util", &["core"]);
    skipped.status = Status::Skip;
    let p = plan(vec![
        cargo("core", &[]),
        skipped,
        cargo("models", &["util"]),
        cargo("app", &["models"]),
        cargo("side", &[]),
    ]);
    let e = estimate(&p, &Config::default(), 4).unwrap();
    assert_eq!(e.bound, Bound::Chain(vec!["core".into(), "models".into(), "app".into()]));
    assert_eq!(e.duration, CRATE * 3);
    assert_eq!(e.to_string(), format!("about {}: the dependency chain core → models → app", human(CRATE * 3)));
}

/// Many independent crates on few job slots: the work ÷ jobs bounds it.
#[test]
fn wide_work_on_few_slots_is_the_bound() {
    let p = plan((0..8).map(|k| cargo(&format!("c{k}"), &[])).collect());
    let e = estimate(&p, &Config::default(), 2).unwrap();
    assert_eq!(e.bound, Bound::Jobs { packages: 8, jobs: 2 });
    assert_eq!(e.duration, CRATE * 4);
    assert!(e.to_string().starts_with(&format!("about {}: the work of 8 packages on 2 job slots", human(CRATE * 4))));
    // with 8 slots each crate runs at once: one crate's work, a chain of one
    assert!(matches!(estimate(&p, &Config::default(), 8).unwrap().bound, Bound::Chain(c) if c.len() == 1));
}

/// 70 new versions of crates on crates.io: 40 one-a-minute tokens beyond the burst, longer than the work.
#[test]
fn a_registry_limit_is_the_bound() {
    let p = plan((0..70).map(|k| cargo(&format!("c{k}"), &[])).collect());
    let e = estimate(&p, &Config::default(), 4).unwrap();
    assert_eq!(e.duration, Duration::from_secs(40 * 60));
    assert_eq!(
        e.to_string(),
        "at least 40 min: crates.io allows 30 new versions at once, then 1 a minute (request a higher limit from \
         the registry for large releases)"
    );
    // new crates: 5 at once, then one every 10 minutes
    let p = plan((0..7).map(|k| entry(&format!("n{k}"), Ecosystem::Cargo, &[], true)).collect());
    let e = estimate(&p, &Config::default(), 4).unwrap();
    assert_eq!(e.duration, Duration::from_secs(20 * 60));
    assert!(matches!(e.bound, Bound::Limit { what: "new crates", .. }), "{e:?}");
}

/// Without smoke tests a package's work is shorter; nothing released, no estimate.
#[test]
fn smoke_tests_off_and_nothing_released() {
    let config = Config { smoke_test: false, ..Config::default() };
    let e = estimate(&plan(vec![cargo("core", &[])]), &config, 4).unwrap();
    assert_eq!(e.duration, Duration::from_secs(CARGO.build + CARGO.publish));
    let mut skipped = cargo("core", &[]);
    skipped.status = Status::Skip;
    assert_eq!(estimate(&plan(vec![skipped]), &Config::default(), 4), None);
}

#[test]
fn a_long_chain_is_shown_by_its_ends() {
    let chain: Vec<String> = (0..9).map(|k| format!("c{k}")).collect();
    assert_eq!(shown_chain(&chain), "c0 → c1 → … → c7 → c8 (9 packages)");
}
