//! Versions of both ecosystems behind one type, and the bump arithmetic.
//!
//! Crates use SemVer 2.0 (`1.2.0-rc.1`), Python packages PEP 440 (`1.2.0rc1`);
//! each is always written in its own normal form. Pure code: no I/O.

pub mod pep440;

use std::cmp::Ordering;
use std::fmt;

use pep440::{Pep440, PreKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    Cargo,
    Python,
}

impl Ecosystem {
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Python => "python",
        }
    }
}

/// How far a version moves. Ordered: `None < Patch < Minor < Major`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    None,
    Patch,
    Minor,
    Major,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Patch => "patch",
            Level::Minor => "minor",
            Level::Major => "major",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Version {
    Sem(semver::Version),
    Py(Pep440),
}

impl Version {
    pub fn parse(eco: Ecosystem, s: &str) -> Result<Version, String> {
        match eco {
            Ecosystem::Cargo => semver::Version::parse(s.trim())
                .map(Version::Sem)
                .map_err(|e| format!("`{s}` is not a SemVer version: {e}")),
            Ecosystem::Python => Pep440::parse(s).map(Version::Py),
        }
    }

    /// The local part of a PEP 440 version (`1.2.0+dev` → `dev`), which no
    /// public index accepts.
    pub fn local(&self) -> Option<&str> {
        match self {
            Version::Py(p) => p.local.as_deref(),
            Version::Sem(_) => None,
        }
    }

    pub fn ecosystem(&self) -> Ecosystem {
        match self {
            Version::Sem(_) => Ecosystem::Cargo,
            Version::Py(_) => Ecosystem::Python,
        }
    }

    pub fn triple(&self) -> (u64, u64, u64) {
        match self {
            Version::Sem(v) => (v.major, v.minor, v.patch),
            Version::Py(v) => v.triple(),
        }
    }

    pub fn is_pre(&self) -> bool {
        match self {
            Version::Sem(v) => !v.pre.is_empty(),
            // a dev release of a post release (`1.0.post1.dev0`) comes after `1.0`:
            // it is not a pre-release of it
            Version::Py(v) => v.pre.is_some() || (v.dev.is_some() && v.post.is_none()),
        }
    }

    /// The pre-release kind and counter, when it is one we know (`rc.2`, `b3`).
    /// An unknown SemVer pre-release (`-foo`) reads as alpha 0, the lowest.
    pub fn pre(&self) -> Option<(PreKind, u64)> {
        match self {
            Version::Sem(v) if v.pre.is_empty() => None,
            Version::Sem(v) => {
                let mut parts = v.pre.as_str().split('.');
                let kind = match parts.next() {
                    Some("alpha") => PreKind::Alpha,
                    Some("beta") => PreKind::Beta,
                    Some("rc") => PreKind::Rc,
                    _ => return Some((PreKind::Alpha, 0)),
                };
                Some((kind, parts.next().and_then(|n| n.parse().ok()).unwrap_or(0)))
            }
            Version::Py(v) if v.pre.is_none() && !self.is_pre() => None,
            Version::Py(v) => v.pre.or(Some((PreKind::Alpha, 0))),
        }
    }

    /// This version with another release triple and pre-release, in its own
    /// ecosystem (a Python epoch is kept).
    fn with_parts(&self, triple: (u64, u64, u64), pre: Option<(PreKind, u64)>) -> Version {
        match self {
            Version::Py(v) => {
                let (a, b, c) = triple;
                Version::Py(Pep440 { epoch: v.epoch, pre, ..Pep440::new(vec![a, b, c]) })
            }
            Version::Sem(_) => Version::from_parts(Ecosystem::Cargo, triple, pre),
        }
    }

    /// The same release without pre-release parts; a Python release keeps all
    /// its numbers (`1.0.0.1rc1` → `1.0.0.1`) and its epoch.
    fn finalized(&self) -> Version {
        match self {
            Version::Py(v) => Version::Py(Pep440 { epoch: v.epoch, release: v.release.clone(), ..Pep440::new(vec![]) }),
            Version::Sem(_) => self.with_parts(self.triple(), None),
        }
    }

    /// This release with pre-release `kind` number `n`.
    fn with_pre(&self, kind: PreKind, n: u64) -> Version {
        match self.finalized() {
            Version::Py(v) => Version::Py(Pep440 { pre: Some((kind, n)), ..v }),
            Version::Sem(_) => self.with_parts(self.triple(), Some((kind, n))),
        }
    }

    /// A version of ecosystem `eco` with this release triple and pre-release.
    pub fn from_parts(eco: Ecosystem, (major, minor, patch): (u64, u64, u64), pre: Option<(PreKind, u64)>) -> Version {
        match eco {
            Ecosystem::Cargo => {
                let mut v = semver::Version::new(major, minor, patch);
                if let Some((kind, n)) = pre {
                    let tag = match kind {
                        PreKind::Alpha => "alpha",
                        PreKind::Beta => "beta",
                        PreKind::Rc => "rc",
                    };
                    v.pre = semver::Prerelease::new(&format!("{tag}.{n}")).expect("valid pre-release");
                }
                Version::Sem(v)
            }
            Ecosystem::Python => Version::Py(Pep440 { pre, ..Pep440::new(vec![major, minor, patch]) }),
        }
    }

    /// The same version written for another ecosystem (synchronized groups that
    /// span crates and Python packages), as maturin maps a crate's version to
    /// its wheel's: the SemVer text read as PEP 440 (`1.2.0-rc.1` → `1.2.0rc1`,
    /// `0.23.2-dev.0` → `0.23.2.dev0`), and back (`1.2.0b2.dev1` →
    /// `1.2.0-beta.2.dev.1`). `Err` says why there is none: a SemVer
    /// pre-release label PEP 440 does not know (`-foo.1`, which maturin
    /// refuses too), a PEP 440 epoch, post-release or fourth number.
    pub fn try_to_ecosystem(&self, eco: Ecosystem) -> Result<Version, String> {
        match (self, eco) {
            (Version::Sem(v), Ecosystem::Python) => Pep440::parse(&v.to_string()).map(Version::Py).map_err(|_| {
                format!(
                    "{v} has no PEP 440 form: PEP 440 knows the pre-releases alpha, beta, rc and dev, not `-{}`",
                    v.pre
                )
            }),
            (Version::Py(v), Ecosystem::Cargo) => py_to_semver(v).map(Version::Sem),
            _ => Ok(self.clone()),
        }
    }

    /// Like `try_to_ecosystem`; where there is no exact form, the nearest one
    /// (same release numbers and pre-release kind) for comparisons and
    /// inference. The plan refuses such versions before writing any (XR035).
    pub fn to_ecosystem(&self, eco: Ecosystem) -> Version {
        self.try_to_ecosystem(eco).unwrap_or_else(|_| Version::from_parts(eco, self.triple(), self.pre()))
    }

    /// A plain bump. From a pre-release it finalizes when the pre-release already
    /// carries a change of this size (`1.2.0-rc.1` + minor = `1.2.0`), as npm's
    /// `semver.inc` does; otherwise it moves on (`1.2.3-rc.1` + major = `2.0.0`).
    /// Numbers saturate: a version that cannot go higher comes back unchanged
    /// (the planner refuses it).
    pub fn bump(&self, level: Level) -> Version {
        let (major, minor, patch) = self.triple();
        let pre = self.is_pre();
        let up = |n: u64| n.saturating_add(1);
        let next = match level {
            Level::None => return self.clone(),
            Level::Major if pre && minor == 0 && patch == 0 => self.finalized(),
            Level::Major => self.with_parts((up(major), 0, 0), None),
            Level::Minor if pre && patch == 0 => self.finalized(),
            Level::Minor => self.with_parts((major, up(minor), 0), None),
            Level::Patch if pre => self.finalized(),
            Level::Patch => self.with_parts((major, minor, up(patch)), None),
        };
        // a saturated number must not make the version go down
        if next > *self {
            next
        } else {
            self.clone()
        }
    }

    /// Starts or advances a pre-release of kind `kind` for a change of size
    /// `level`: `1.1.0` + minor + rc = `1.2.0rc1`; `1.2.0rc1` + rc = `1.2.0rc2`;
    /// `1.2.0a2` + rc = `1.2.0rc1`. Going back (rc to alpha) is an error. The
    /// result is always above `self`.
    pub fn bump_pre(&self, level: Level, kind: PreKind) -> Result<Version, String> {
        if let Some((cur_kind, n)) = self.pre() {
            // does the change fit in the release this pre-release leads to?
            let fits = level == Level::None || self.bump(level) == self.bump(Level::Patch);
            if fits {
                let next = match cur_kind.cmp(&kind) {
                    Ordering::Equal => {
                        n.checked_add(1).ok_or_else(|| format!("{self}: the pre-release number cannot grow"))?
                    }
                    Ordering::Less => 1,
                    Ordering::Greater => {
                        return Err(format!("{self} is already past {}: a pre-release cannot go back", pre_name(kind)))
                    }
                };
                let v = self.with_pre(kind, next);
                if v > *self {
                    return Ok(v);
                }
                // an unknown pre-release (`-foo`) sorts above ours: on to the next release
            }
        }
        let v = self.bump(level.max(Level::Patch)).with_pre(kind, 1);
        if v > *self {
            return Ok(v);
        }
        let (major, minor, patch) = self.triple();
        let v = self.with_parts((major, minor, patch.saturating_add(1)), Some((kind, 1)));
        if v > *self {
            Ok(v)
        } else {
            Err(format!("{self} cannot be bumped any further"))
        }
    }
}

/// Are two version texts the same version of `eco` (`1.0` and `1.0.0`,
/// `1.2.0rc1` and `1.2.0-rc1` for Python)? Texts that do not parse compare as text.
pub fn same_version(eco: Ecosystem, a: &str, b: &str) -> bool {
    match (Version::parse(eco, a), Version::parse(eco, b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// A PEP 440 version in SemVer, the way maturin reads it back: pre-release
/// `alpha.N`/`beta.N`/`rc.N`, then `dev.N`, the local part as build metadata.
fn py_to_semver(v: &Pep440) -> Result<semver::Version, String> {
    let none = |what: &str| Err(format!("{v} has no SemVer form: SemVer has no {what}"));
    if v.epoch != 0 {
        return none("epoch");
    }
    if v.post.is_some() {
        return none("post-release");
    }
    if v.release.iter().skip(3).any(|&n| n != 0) {
        return none("fourth release number");
    }
    let (major, minor, patch) = v.triple();
    let mut out = semver::Version::new(major, minor, patch);
    let mut pre: Vec<String> = vec![];
    if let Some((kind, n)) = v.pre {
        pre.extend([pre_name(kind).to_string(), n.to_string()]);
    }
    if let Some(n) = v.dev {
        pre.extend(["dev".to_string(), n.to_string()]);
    }
    out.pre = semver::Prerelease::new(&pre.join(".")).map_err(|e| format!("{v}: {e}"))?;
    if let Some(local) = &v.local {
        out.build = semver::BuildMetadata::new(local).map_err(|e| format!("{v}: {e}"))?;
    }
    Ok(out)
}

pub fn pre_name(kind: PreKind) -> &'static str {
    match kind {
        PreKind::Alpha => "alpha",
        PreKind::Beta => "beta",
        PreKind::Rc => "rc",
    }
}

pub fn parse_pre(s: &str) -> Option<PreKind> {
    match s {
        "alpha" | "a" => Some(PreKind::Alpha),
        "beta" | "b" => Some(PreKind::Beta),
        "rc" => Some(PreKind::Rc),
        _ => None,
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Version::Sem(a), Version::Sem(b)) => Some(a.cmp(b)),
            (Version::Py(a), Version::Py(b)) => Some(a.cmp(b)),
            // across ecosystems: as PEP 440 versions (maturin's reading), else by
            // release, then final above pre-release
            _ => match (self.try_to_ecosystem(Ecosystem::Python), other.try_to_ecosystem(Ecosystem::Python)) {
                (Ok(Version::Py(a)), Ok(Version::Py(b))) => Some(a.cmp(&b)),
                _ => Some(
                    self.triple()
                        .cmp(&other.triple())
                        .then_with(|| other.is_pre().cmp(&self.is_pre()))
                        .then_with(|| self.pre().cmp(&other.pre())),
                ),
            },
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Sem(v) => v.fmt(f),
            Version::Py(v) => v.fmt(f),
        }
    }
}

/// An internal requirement's version constraint, in its ecosystem's syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Req {
    /// No version constraint (a path-only crate dependency, a bare Python name).
    Any,
    Cargo(semver::VersionReq),
    Python(pep440::Specifiers),
}

impl Req {
    pub fn parse(eco: Ecosystem, s: &str) -> Result<Req, String> {
        if s.trim().is_empty() {
            return Ok(Req::Any);
        }
        match eco {
            Ecosystem::Cargo => semver::VersionReq::parse(s)
                .map(Req::Cargo)
                .map_err(|e| format!("`{s}` is not a cargo version requirement: {e}")),
            Ecosystem::Python => pep440::Specifiers::parse(s).map(Req::Python),
        }
    }

    pub fn admits(&self, v: &Version) -> bool {
        match (self, v) {
            (Req::Any, _) => true,
            (Req::Cargo(r), Version::Sem(v)) => r.matches(v),
            (Req::Python(r), Version::Py(v)) => r.contains(v),
            // a requirement in the other ecosystem's syntax cannot judge this version
            _ => true,
        }
    }

    /// Whether this requirement on a package moving from `current` to `next`
    /// moves with it (a dependent's requirement a release rewrites, or that
    /// forces the dependent's release): it no longer admits the package, having
    /// admitted the version it has now. One that admits neither asks for an
    /// older line from the index on purpose (autogen-studio's
    /// `autogen-core<0.7` beside autogen-core 0.7.5) and is left as written.
    /// An unknown current version moves.
    pub fn moves_with(&self, current: Option<&Version>, next: &Version) -> bool {
        !self.admits(next) && current.is_none_or(|c| self.admits(c))
    }
}

#[cfg(test)]
mod tests;
