//! SemVer / PEP 440 parsing and bumping on any bytes.
//!
//! Input: one control byte (ecosystem, bump level, pre-release kind), then text
//! made UTF-8 lossily and split at the first NUL into a version and a
//! requirement. Checks: no parser panics (on the whole text, NULs included);
//! a parsed version re-parses from its `Display` to an equal version and that
//! normal form is stable; bumps move the version up; pre-release bumps give a
//! pre-release of the asked kind above the input, or refuse to go back;
//! requirements written from a version judge that version as their operator says.
//!
//! B1-B7 found here are fixed, and every check runs; `XTASK_FUZZ_SKIP_KNOWN=1`
//! makes inputs that hit them (see `known_bug`) skip the check they broke.
#![no_main]

use std::hash::{BuildHasher, RandomState};

use libfuzzer_sys::fuzz_target;
use xtask::version::pep440::{Pep440, PreKind, Specifier, Specifiers};
use xtask::version::{Ecosystem, Level, Req, Version};

const LEVELS: [Level; 4] = [Level::None, Level::Patch, Level::Minor, Level::Major];
const KINDS: [PreKind; 3] = [PreKind::Alpha, PreKind::Beta, PreKind::Rc];

fn strict() -> bool {
    // B1-B10 are fixed (fuzz/README.md): every check runs; kept as a switch for the next bug found
    std::env::var_os("XTASK_FUZZ_SKIP_KNOWN").is_none()
}

/// B7: PEP 440 comparison overflows (panic) on `.postN` or a numeric local
/// segment equal to u64::MAX (`1.post18446744073709551615`, `1+18446744073709551615`).
fn compare_overflows(p: &Pep440) -> bool {
    let max = |s: &str| s.parse::<u64>() == Ok(u64::MAX);
    !strict() && (p.post == Some(u64::MAX) || p.local.as_deref().is_some_and(|l| l.split('.').any(max)))
}

/// A number at u64::MAX: bumps saturate there (B1, fixed: the planner refuses such a bump).
fn saturated(v: &Version) -> bool {
    let (a, b, c) = v.triple();
    [a, b, c].contains(&u64::MAX) || v.pre().is_some_and(|(_, n)| n == u64::MAX)
}

/// Versions whose bumps hit a bug found by this target (remove a line once
/// its bug is fixed):
/// - B1: a release or pre-release number equal to u64::MAX: `+ 1` overflows (panic);
/// - B2: a PEP 440 epoch (`1!1.0`) is dropped by bumps, which then go down;
/// - B3: a PEP 440 pre-release with a 4th+ release number (`1.0.0.1rc1`)
///   bumps to its first three numbers (`1.0.0`), which is lower;
/// - B4: a PEP 440 dev-release of a post-release (`1.0.post1.dev0`) reads as
///   a pre-release of `1.0`, so bumps go down to `1.0.0` / `1.0.0a1`;
/// - B5: a SemVer pre-release other than `alpha|beta|rc[.N]` (`1.0.0-foo`,
///   `1.0.0-alpha.x`) reads as `alpha.0`, so `bump_pre` can go down.
fn known_bug(v: &Version) -> bool {
    if strict() {
        return false;
    }
    let huge = |n: u64| n == u64::MAX;
    let (a, b, c) = v.triple();
    if [a, b, c].into_iter().any(huge) || v.pre().is_some_and(|(_, n)| huge(n)) {
        return true; // B1
    }
    match v {
        Version::Py(p) => {
            p.epoch != 0 // B2
                || (p.is_prerelease() && p.release.iter().skip(3).any(|&n| n != 0)) // B3
                || (p.pre.is_none() && p.post.is_some() && p.dev.is_some()) // B4
        }
        Version::Sem(s) => {
            let mut ids = s.pre.as_str().split('.');
            let known = matches!(ids.next(), Some("alpha" | "beta" | "rc"))
                && ids.next().is_none_or(|n| n.parse::<u64>().is_ok());
            !s.pre.is_empty() && !known // B5
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let eco = if ctl & 1 == 0 { Ecosystem::Cargo } else { Ecosystem::Python };
    let other = if eco == Ecosystem::Cargo { Ecosystem::Python } else { Ecosystem::Cargo };
    let kind = KINDS[usize::from(ctl >> 1) % 3];
    let text = String::from_utf8_lossy(rest);

    // No parser panics, whatever the text.
    for e in [Ecosystem::Cargo, Ecosystem::Python] {
        let _ = Version::parse(e, &text);
        let _ = Req::parse(e, &text);
    }
    let _ = Pep440::parse(&text);
    let _ = Specifiers::parse(&text);

    let (vtext, rtext) = text.split_once('\0').unwrap_or((&text, ""));
    let spec = Specifiers::parse(rtext).ok().filter(|s| !s.0.iter().any(|s| compare_overflows(&s.version)));
    if let Some(spec) = &spec {
        // a specifier's Display parses back to the same specifier
        for s in &spec.0 {
            assert_eq!(Specifier::parse(&s.to_string()).as_ref(), Ok(s), "specifier {s}");
        }
    }
    // Eq and Hash agree, and the order is antisymmetric, between two PEP 440 versions.
    if let (Ok(a), Ok(b)) = (Pep440::parse(vtext), Pep440::parse(rtext)) {
        if compare_overflows(&a) || compare_overflows(&b) {
            return;
        }
        assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        // B6: local labels compare numerically (`1+01` == `1+1`) but hash as written
        if a == b && (strict() || a.local == b.local) {
            let h = RandomState::new();
            assert_eq!(h.hash_one(&a), h.hash_one(&b), "{a} == {b} but their hashes differ");
        }
    }

    let Ok(v) = Version::parse(eco, vtext) else {
        return;
    };
    if matches!(&v, Version::Py(p) if compare_overflows(p)) {
        return;
    }
    if let Ok(req) = Req::parse(eco, rtext) {
        // (a Python requirement naming a B7 version would panic comparing)
        if !matches!(req, Req::Python(_)) || spec.is_some() {
            let _ = req.admits(&v);
        }
    }

    // Normal form: re-parses to an equal version, and is stable.
    let norm = v.to_string();
    let again = Version::parse(eco, &norm).unwrap_or_else(|e| panic!("normal form {norm:?} does not parse: {e}"));
    assert_eq!(again, v, "{vtext:?} -> {norm:?}");
    assert_eq!(again.to_string(), norm);
    assert_eq!(v.pre().is_some(), v.is_pre());

    // The other ecosystem's spelling keeps the release and pre-release.
    let w = v.to_ecosystem(other);
    assert_eq!((w.triple(), w.pre(), w.is_pre()), (v.triple(), v.pre(), v.is_pre()), "{v} as {w}");
    assert_eq!(Version::parse(other, &w.to_string()).as_ref(), Ok(&w));

    // Requirements written from the version judge it as their operator says.
    if let Version::Py(p) = &v {
        for (op, inside) in
            [("==", true), ("!=", false), (">=", true), ("<=", true), ("<", false), (">", false), ("===", true)]
        {
            let s = Specifiers::parse(&format!("{op}{p}")).unwrap_or_else(|e| panic!("{op}{p}: {e}"));
            assert_eq!(s.contains(p), inside, "{op}{p}");
        }
        if p.release.len() >= 2 {
            assert!(Specifiers::parse(&format!("~={p}")).unwrap().contains(p), "~={p}");
        }
        if p.local.is_none() {
            assert!(Specifiers::parse(&format!("=={p}.*")).unwrap().contains(p), "=={p}.*");
        }
    }
    if let Version::Sem(s) = &v {
        if s.build.is_empty() {
            let req = Req::parse(eco, &format!("={s}")).unwrap_or_else(|e| panic!("={s}: {e}"));
            assert!(req.admits(&v), "={s}");
        }
    }

    if known_bug(&v) {
        return;
    }

    // Plain bumps: None keeps it, any other level lands on a final release above
    // it, and a larger level never gives a smaller version.
    assert_eq!(v.bump(Level::None), v);
    let mut last: Option<Version> = None;
    for level in [Level::Patch, Level::Minor, Level::Major] {
        let b = v.bump(level);
        // B1 (fixed): numbers saturate; a version at the top comes back unchanged and the planner refuses it
        assert!(b > v || (b == v && saturated(&v)), "{v} bumped {} = {b} is not above it", level.as_str());
        assert!(!b.is_pre() && b.ecosystem() == eco);
        if let Some(prev) = &last.filter(|_| b != v) {
            assert!(b >= *prev, "{v}: {} bump {b} below the smaller bump {prev}", level.as_str());
        }
        last = Some(b);
    }

    // Pre-release bumps: a pre-release of that kind above the input, or an
    // error only when the input is already a later kind of pre-release.
    for level in LEVELS {
        match v.bump_pre(level, kind) {
            Ok(p) => {
                assert!(p.is_pre() && p.pre().map(|(k, _)| k) == Some(kind), "{v} -> {p}");
                assert!(p > v, "{v} bump_pre({}, {kind:?}) = {p} is not above it", level.as_str());
                assert_eq!(Version::parse(eco, &p.to_string()).as_ref(), Ok(&p));
            }
            Err(_) => assert!(v.pre().is_some_and(|(k, _)| k > kind) || saturated(&v), "{v}: bump_pre refused"),
        }
    }
});
