//! Versions of both ecosystems: bumps, pre-releases, requirements and their moves.

use super::*;

fn sem(s: &str) -> Version {
    Version::parse(Ecosystem::Cargo, s).unwrap()
}
fn py(s: &str) -> Version {
    Version::parse(Ecosystem::Python, s).unwrap()
}

#[test]
fn plain_bumps() {
    assert_eq!(sem("1.2.3").bump(Level::Patch).to_string(), "1.2.4");
    assert_eq!(sem("1.2.3").bump(Level::Minor).to_string(), "1.3.0");
    assert_eq!(sem("1.2.3").bump(Level::Major).to_string(), "2.0.0");
    assert_eq!(py("1.2").bump(Level::Patch).to_string(), "1.2.1");
    assert_eq!(py("1.2.3.post1").bump(Level::Patch).to_string(), "1.2.4");
}

#[test]
fn bump_from_pre_release_finalizes() {
    assert_eq!(sem("1.2.0-rc.1").bump(Level::Patch).to_string(), "1.2.0");
    assert_eq!(sem("1.2.0-rc.1").bump(Level::Minor).to_string(), "1.2.0");
    assert_eq!(sem("1.2.0-rc.1").bump(Level::Major).to_string(), "2.0.0");
    assert_eq!(sem("2.0.0-rc.1").bump(Level::Major).to_string(), "2.0.0");
    assert_eq!(py("1.2.0rc2").bump(Level::Patch).to_string(), "1.2.0");
    assert_eq!(py("1.2.0.dev3").bump(Level::Patch).to_string(), "1.2.0");
}

#[test]
fn pre_releases() {
    let rc = PreKind::Rc;
    assert_eq!(py("1.1.0").bump_pre(Level::Minor, rc).unwrap().to_string(), "1.2.0rc1");
    assert_eq!(py("1.2.0rc1").bump_pre(Level::Patch, rc).unwrap().to_string(), "1.2.0rc2");
    assert_eq!(py("1.2.0rc1").bump_pre(Level::Minor, rc).unwrap().to_string(), "1.2.0rc2");
    assert_eq!(py("1.2.0rc1").bump_pre(Level::Major, rc).unwrap().to_string(), "2.0.0rc1");
    assert_eq!(py("1.2.0a2").bump_pre(Level::Patch, rc).unwrap().to_string(), "1.2.0rc1");
    assert_eq!(sem("1.1.0").bump_pre(Level::Minor, rc).unwrap().to_string(), "1.2.0-rc.1");
    assert_eq!(sem("1.2.0-rc.1").bump_pre(Level::Patch, rc).unwrap().to_string(), "1.2.0-rc.2");
    assert_eq!(sem("1.2.0-beta.3").bump_pre(Level::None, rc).unwrap().to_string(), "1.2.0-rc.1");
    assert_eq!(sem("1.0.0").bump_pre(Level::None, PreKind::Alpha).unwrap().to_string(), "1.0.1-alpha.1");
    assert!(py("1.2.0rc1").bump_pre(Level::Patch, PreKind::Alpha).is_err());
}

/// Found by the `versions` fuzz target (fuzz/regressions/versions).
#[test]
fn fuzz_regressions() {
    let rc = PreKind::Rc;
    // B1: no overflow; a version that cannot grow is refused, not wrapped
    let max = sem("18446744073709551615.0.0");
    assert_eq!(max.bump(Level::Major), max);
    assert!(sem("1.0.0-rc.18446744073709551615").bump_pre(Level::None, rc).is_err());
    // B2: the epoch stays
    assert_eq!(py("1!1.0").bump(Level::Patch).to_string(), "1!1.0.1");
    assert_eq!(py("1!1.0").bump_pre(Level::Minor, rc).unwrap().to_string(), "1!1.1.0rc1");
    // B3: a fourth release number is kept when finalizing
    assert_eq!(py("1.0.0.1rc1").bump(Level::Patch).to_string(), "1.0.0.1");
    // B4: a dev release of a post release is not a pre-release of the base
    assert_eq!(py("1.0.post1.dev0").bump(Level::Patch).to_string(), "1.0.1");
    assert!(py("1.0.post1.dev0").bump_pre(Level::None, PreKind::Alpha).unwrap() > py("1.0.post1.dev0"));
    // B5: an unknown pre-release that sorts above alpha moves on
    let foo = sem("1.0.0-foo");
    let next = foo.bump_pre(Level::None, PreKind::Alpha).unwrap();
    assert!(next > foo, "{next}");
    assert_eq!(next.to_string(), "1.0.1-alpha.1");
    // B6, B7: equal locals hash alike; huge numbers compare without overflow
    use std::hash::{BuildHasher, RandomState};
    let h = RandomState::new();
    assert_eq!(h.hash_one(Pep440::parse("1+01").unwrap()), h.hash_one(Pep440::parse("1+1").unwrap()));
    assert!(py("1.post18446744073709551615") > py("1.post1"));
    assert!(py("1+18446744073709551615") > py("1+1"));
}

#[test]
fn across_ecosystems() {
    assert_eq!(py("1.2.0rc1").to_ecosystem(Ecosystem::Cargo).to_string(), "1.2.0-rc.1");
    assert_eq!(sem("1.2.0-beta.2").to_ecosystem(Ecosystem::Python).to_string(), "1.2.0b2");
    assert!(sem("1.2.0") > py("1.2.0rc1"));
    assert!(sem("1.2.0-rc.2") > py("1.2.0rc1"));
}

/// maturin's mapping: the crate's SemVer text read as PEP 440 (tokenizers' `0.23.2-dev.0`), and back.
#[test]
fn across_ecosystems_as_maturin_reads_them() {
    let to_py = |s: &str| sem(s).try_to_ecosystem(Ecosystem::Python).map(|v| v.to_string());
    let to_sem = |s: &str| py(s).try_to_ecosystem(Ecosystem::Cargo).map(|v| v.to_string());
    assert_eq!(to_py("0.23.2-dev.0").as_deref(), Ok("0.23.2.dev0"));
    assert_eq!(to_py("1.0.0-alpha.1").as_deref(), Ok("1.0.0a1"));
    assert_eq!(to_py("1.0.0-rc.1.dev.2").as_deref(), Ok("1.0.0rc1.dev2"));
    assert_eq!(to_py("1.0.0+build.5").as_deref(), Ok("1.0.0+build.5"));
    let unknown = to_py("1.0.0-foo.1").unwrap_err();
    assert!(unknown.contains("no PEP 440 form") && unknown.contains("-foo.1"), "{unknown}");
    assert_eq!(to_sem("0.23.2.dev0").as_deref(), Ok("0.23.2-dev.0"));
    assert_eq!(to_sem("1.2.0b2.dev1").as_deref(), Ok("1.2.0-beta.2.dev.1"));
    assert_eq!(to_sem("1.2").as_deref(), Ok("1.2.0"));
    for none in ["1!1.0", "1.0.post1", "1.0.0.1"] {
        assert!(to_sem(none).is_err(), "{none}");
    }
    // every SemVer form maps back to the same PEP 440 version
    for s in ["0.23.2-dev.0", "1.0.0-alpha.1", "1.2.0-beta.2.dev.1", "2.0.0-rc.3"] {
        let there = sem(s).to_ecosystem(Ecosystem::Python);
        assert_eq!(there.to_ecosystem(Ecosystem::Cargo).to_ecosystem(Ecosystem::Python), there, "{s}");
    }
    // one version, whichever ecosystem writes it
    assert_eq!(sem("0.23.2-dev.0").partial_cmp(&py("0.23.2.dev0")), Some(Ordering::Equal));
    assert!(sem("0.23.2-dev.0") < py("0.23.2a0"));
}

#[test]
fn requirements() {
    let r = |eco, s| Req::parse(eco, s).unwrap();
    assert!(r(Ecosystem::Cargo, "0.1.0").admits(&sem("0.1.5")));
    assert!(!r(Ecosystem::Cargo, "0.1.0").admits(&sem("0.2.0")));
    assert!(!r(Ecosystem::Cargo, "0.1.0").admits(&sem("0.1.1-rc.1")));
    assert!(r(Ecosystem::Cargo, "1").admits(&sem("1.9.0")));
    assert!(r(Ecosystem::Python, ">=1.0,<2").admits(&py("1.4")));
    assert!(!r(Ecosystem::Python, ">=1.0,<2").admits(&py("2.0.0")));
    assert!(r(Ecosystem::Python, "").admits(&py("7")));
}
