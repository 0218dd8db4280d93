//! The hand-written PEP 440 (`xtask::version::pep440`) judged by a reference
//! implementation, `pep440_rs` (the parser uv is built on), on the same text.
//!
//! Input: text (lossy UTF-8) split at NULs into a version `a`, a version `b`
//! and a specifier set `s` (`b` when absent). Checks, where both sides parse:
//! the normal forms are equal (`Display`), `a` and `b` compare the same way,
//! and `s` contains `a` on both sides or on neither. Both sides must accept and
//! reject the same versions; a specifier set ours rejects must be one the
//! reference rejects too (ours may be more lenient about what it reads:
//! `NOT_JUDGED` lists what is left out on purpose).
//!
//! Shared by the libFuzzer target (`fuzz_targets/pep440_reference.rs`) and the
//! plain test over the seeds and a seeded mutator (`tests/pep440_reference.rs`).

use std::str::FromStr;

use xtask::version::pep440::{Op, Pep440, Specifiers};

/// What is not compared, and why.
/// - `===` (arbitrary equality): string equality on text each side keeps
///   differently; uv warns it is discouraged and no release tool writes it.
pub const NOT_JUDGED: &[&str] = &["==="];

/// Where pep440_rs 0.7 departs from PEP 440 (and from packaging, pip's
/// reference), so its answer is not the judge's (`reference_errs`):
/// - R1: `==V.*` / `!=V.*` compare the candidate's release with V's without
///   padding it with zeros, so `==1.2.*` admits `1` (PEP 440: `1` is `1.0`).
/// - R2: `<V` refuses every pre-release with V's release numbers, also when V
///   is itself a pre-release (`<3.1.0a1` and `3.1.dev0`) and across epochs
///   (`<2!2.0` and `2.0rc1`); PEP 440 refuses only the pre-releases of V's
///   base version (epoch included), and only when V is not a pre-release.
/// - R4: pep440_rs trims only what Rust calls ASCII whitespace (not `\x0b`,
///   not Unicode spaces); PEP 440 ignores leading and trailing whitespace, and
///   packaging's `\s` takes all of it, as ours does.
/// - R3: a numeric local segment past u64 stays text in pep440_rs (its leading
///   zeros kept); PEP 440 normalizes every integer (`+07` is `+7`).
fn reference_errs(specs: &Specifiers, cand: &Pep440) -> bool {
    specs.0.iter().any(|s| {
        let v = &s.version;
        let r1 = s.wildcard && cand.release.len() < v.release.len();
        let r2 = s.op == Op::Lt
            && cand.is_prerelease()
            && same_numbers(&cand.release, &v.release)
            && (v.is_prerelease() || v.epoch != cand.epoch);
        r1 || r2
    })
}

fn same_numbers(a: &[u64], b: &[u64]) -> bool {
    (0..a.len().max(b.len())).all(|i| a.get(i).unwrap_or(&0) == b.get(i).unwrap_or(&0))
}

/// R3: a local segment of digits that does not fit a u64.
fn huge_local(text: &str) -> bool {
    text.split_once('+').is_some_and(|(_, local)| {
        local.split(['.', '-', '_']).any(|seg| seg.bytes().all(|c| c.is_ascii_digit()) && seg.parse::<u64>().is_err())
    })
}

/// A disagreement, as a message naming both answers.
pub fn check(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let a = parts.next().unwrap_or("");
    let b = parts.next().unwrap_or("");
    let s = parts.next().unwrap_or(b);
    let va = version(a)?;
    let vb = version(b)?;
    if let (Some((oa, ra)), Some((ob, rb))) = (&va, &vb) {
        let (ours, theirs) = (oa.cmp(ob), ra.cmp(rb));
        if ours != theirs {
            return Err(format!("`{a}` vs `{b}`: ours {ours:?}, pep440_rs {theirs:?}"));
        }
    }
    if NOT_JUDGED.iter().any(|n| s.contains(n)) {
        return Ok(());
    }
    let ours = Specifiers::parse(s);
    let theirs = pep440_rs::VersionSpecifiers::from_str(s);
    match (&ours, &theirs) {
        (Err(e), Ok(_)) => return Err(format!("specifiers `{s}`: ours rejects ({e}), pep440_rs accepts")),
        (Ok(os), Ok(rs)) => {
            if let Some((oa, ra)) = va.as_ref().filter(|(oa, _)| !reference_errs(os, oa)) {
                let (o, r) = (os.contains(oa), rs.contains(ra));
                if o != r {
                    return Err(format!("`{s}` contains `{a}`: ours {o}, pep440_rs {r}"));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Both parses of `text`: `None` when both reject it, an error when one does.
fn version(text: &str) -> Result<Option<(Pep440, pep440_rs::Version)>, String> {
    let ours = Pep440::parse(text);
    if text.trim() != text.trim_matches(|c: char| c.is_ascii_whitespace()) {
        return Ok(None); // R4
    }
    let theirs = pep440_rs::Version::from_str(text);
    match (ours, theirs) {
        (Err(_), Err(_)) => Ok(None),
        (Ok(o), Err(e)) => Err(format!("`{text}`: ours reads {o}, pep440_rs rejects it ({e})")),
        (Err(e), Ok(r)) => Err(format!("`{text}`: ours rejects it ({e}), pep440_rs reads {r}")),
        (Ok(o), Ok(r)) => {
            if o.to_string() != r.to_string() && !huge_local(text.trim()) {
                return Err(format!("`{text}`: ours normalizes to {o}, pep440_rs to {r}"));
            }
            Ok(Some((o, r)))
        }
    }
}
