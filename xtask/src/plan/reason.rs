//! Why a plan entry is released, skipped or excluded: one `Why` and the notes
//! that qualify it, rendered here and only here (`Display`) into
//! `Entry::reason`, the text the table, CSV, JSON and journal carry.

use std::fmt;

use crate::version::pep440::PreKind;
use crate::version::{pre_name, Level, Version};
use crate::workspace::Vcs;

#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub why: Why,
    /// In the order they are shown, after the `why`.
    pub notes: Vec<Note>,
}

impl Reason {
    /// What code acts on: the dependency that forced the release, or its group.
    pub fn cause(&self) -> super::Cause {
        match &self.why {
            Why::Forced { dep, next, .. } | Why::Compiled { dep, next, .. } => {
                super::Cause::Forced { dep: dep.clone(), version: next.clone() }
            }
            Why::Synchronized { group, .. } => super::Cause::Synchronized { group: group.clone() },
            _ => super::Cause::Other,
        }
    }

    pub fn new(why: Why) -> Reason {
        Reason { why, notes: vec![] }
    }

    pub fn with(mut self, note: Note) -> Reason {
        self.notes.push(note);
        self
    }
}

impl From<Why> for Reason {
    fn from(why: Why) -> Reason {
        Reason::new(why)
    }
}

/// The commits since a tag that touch a package: how many, and their kinds
/// (`1 chore, 1 feat`).
#[derive(Debug, Clone, PartialEq)]
pub struct Commits {
    pub count: usize,
    pub kinds: String,
}

/// The rule a bump level comes from, where it is not the plain one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Plain,
    /// Below 1.0 a breaking change bumps the minor version.
    BreakingBelow1,
    /// Below 1.0 cargo treats `0.y` as the compatibility boundary: a feature is a patch.
    CargoFeatureBelow1,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// `Package::unpublishable`.
    NeverPublished(String),
    NotSelected,
    ExcludedByFlag,
    /// A version with a local part (`+local`), written in `file`: PyPI refuses it.
    LocalVersion {
        version: String,
        local: String,
        file: String,
    },
    /// `--bump VERSION`, as given.
    ExplicitVersion(String),
    FirstRelease(Version),
    /// The manifest is ahead of its last tag: that version is released as written.
    ManifestAhead {
        current: Version,
        tag: String,
    },
    NoCommits {
        tag: String,
    },
    NothingReleasable {
        tag: String,
        kinds: String,
    },
    /// `--force-unchanged`; `commits`: there are commits, none releasable.
    ForcedUnchanged {
        tag: String,
        commits: bool,
    },
    /// Conventional Commits: the level the largest change calls for.
    Changes {
        commits: Commits,
        tag: String,
        level: Level,
        rule: Rule,
    },
    /// The `area` convention: commits, the level is given (a note says how).
    Touched {
        commits: Commits,
        tag: String,
    },
    /// A dependency's new version is outside the requirement on it (`Reason::cause`).
    Forced {
        dep: String,
        req: String,
        next: String,
    },
    /// A crate compiled into the wheel is released (`Reason::cause`):
    /// `via` is the maturin crate, outside the Cargo root, that depends on it by path.
    Compiled {
        dep: String,
        next: String,
        via: String,
    },
    Synchronized {
        group: String,
        version: Version,
        with: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    BumpChosen(Level),
    /// The `area` convention with `--force-unchanged` and no `--bump`.
    PatchWithoutBump,
    /// The `area` convention without `--bump`: nothing is released.
    BumpIsYours,
    Pre(PreKind),
    Finalizes(Version),
    /// The manifest says `manifest`, below its last tag `tag` (the project
    /// went back): the plan starts from the tag's version, `from`.
    BehindTag {
        manifest: String,
        tag: String,
        from: Version,
    },
    /// maturin, a dynamic version: the crate's, written in `file`. `outside`:
    /// the crate is not a member of the Cargo root (it is released only as this package).
    Maturin {
        crate_name: String,
        file: String,
        outside: bool,
    },
    /// maturin, a static version: built from this member crate.
    BuiltFrom(String),
    Vcs(Vcs),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.why)?;
        for note in &self.notes {
            write!(f, "; {note}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Commits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.count == 1 { "" } else { "s" };
        write!(f, "{} commit{s} ({})", self.count, self.kinds)
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::NeverPublished(why) => write!(f, "never published: {why}"),
            Why::NotSelected => write!(f, "not selected: no package given with --package needs it"),
            Why::ExcludedByFlag => write!(f, "excluded with --exclude"),
            Why::LocalVersion { version, local, file } => write!(
                f,
                "never published: version {version} has a local part (`+{local}`), which PyPI refuses; remove it from {file} to release {}",
                version.split('+').next().unwrap_or_default()
            ),
            Why::ExplicitVersion(text) => write!(f, "explicit version from --bump {text}"),
            Why::FirstRelease(v) => write!(f, "no release tag yet: first release of {v}"),
            Why::ManifestAhead { current, tag } => {
                write!(f, "the manifest already says {current}, which has no tag yet (last tag {tag})")
            }
            Why::NoCommits { tag } => write!(f, "no commits since {tag}"),
            Why::NothingReleasable { tag, kinds } => write!(
                f,
                "no releasable changes since {tag} (only {kinds}); use --force-unchanged to release anyway"
            ),
            Why::ForcedUnchanged { tag, commits } => {
                let what = if *commits { "no releasable changes" } else { "no commits" };
                write!(f, "{what} since {tag}, released because of --force-unchanged")
            }
            Why::Changes { commits, tag, level, rule } => {
                let rule = match rule {
                    Rule::Plain => "",
                    Rule::BreakingBelow1 => " (below 1.0 a breaking change bumps the minor version)",
                    Rule::CargoFeatureBelow1 => " (below 1.0 cargo treats 0.y as the compatibility boundary)",
                };
                write!(f, "{commits} since {tag}: {}{rule}", level.as_str())
            }
            Why::Touched { commits, tag } => write!(f, "{commits} since {tag}"),
            Why::Forced { dep, req, next } => write!(
                f,
                "forced by {dep}: its requirement `{req}` does not admit {dep} {next}; patch release with the requirement updated"
            ),
            Why::Compiled { dep, next, via } => write!(
                f,
                "forced by {dep}: the wheel compiles in crate {dep} {next} (a path dependency of crate {via}); patch release"
            ),
            Why::Synchronized { group, version, with } => {
                write!(f, "synchronized group `{group}`: shares version {version} with {with}")
            }
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::BumpChosen(l) => write!(f, "--bump {} chosen", l.as_str()),
            Note::PatchWithoutBump => write!(f, "patch: --force-unchanged without --bump"),
            Note::BumpIsYours => {
                write!(f, "with the `area` commit convention the bump is yours: pass --bump patch, minor or major")
            }
            Note::Pre(kind) => write!(f, "{} pre-release", pre_name(*kind)),
            Note::Finalizes(v) => write!(f, "finalizes the pre-release {v}"),
            Note::BehindTag { manifest, tag, from } => {
                write!(f, "the manifest says {manifest}, behind its last tag {tag}: planned from {from}")
            }
            Note::Maturin { crate_name, file, outside: false } => {
                write!(f, "maturin: one version with crate {crate_name}, in {file}")
            }
            Note::Maturin { crate_name, file, outside: true } => {
                let name = if crate_name.is_empty() { "the crate".to_string() } else { format!("crate {crate_name}") };
                write!(
                    f,
                    "maturin: one version with {name} in {file}, outside the Cargo root (never published as a crate)"
                )
            }
            Note::BuiltFrom(name) => write!(f, "maturin: built from crate {name}"),
            Note::Vcs(v) => write!(f, "version from git tags ({}): nothing to write, the build is told it", v.plugin()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::Ecosystem;

    fn v(s: &str) -> Version {
        Version::parse(Ecosystem::Python, s).unwrap()
    }

    #[test]
    fn a_reason_is_its_why_then_its_notes() {
        let r = Reason::new(Why::Changes {
            commits: Commits { count: 2, kinds: "1 chore, 1 feat".into() },
            tag: "py/genkit-v0.6.0".into(),
            level: Level::Minor,
            rule: Rule::Plain,
        })
        .with(Note::BehindTag { manifest: "0.5.2".into(), tag: "py/genkit-v0.6.0".into(), from: v("0.6.0") });
        assert_eq!(
            r.to_string(),
            "2 commits (1 chore, 1 feat) since py/genkit-v0.6.0: minor; \
             the manifest says 0.5.2, behind its last tag py/genkit-v0.6.0: planned from 0.6.0"
        );
        let one = Commits { count: 1, kinds: "1 fix".into() };
        assert_eq!(one.to_string(), "1 commit (1 fix)");
    }

    #[test]
    fn forced_reasons_read_back() {
        let forced = Why::Forced { dep: "core".into(), req: "^1.2".into(), next: "2.0.0".into() };
        assert_eq!(
            Reason::new(forced.clone()).cause(),
            super::super::Cause::Forced { dep: "core".into(), version: "2.0.0".into() }
        );
        let compiled = Reason::new(Why::Compiled {
            dep: "tokenizers".into(),
            next: "0.22.2".into(),
            via: "tokenizers-python".into(),
        })
        .with(Note::Maturin {
            crate_name: "tokenizers-python".into(),
            file: "b/Cargo.toml".into(),
            outside: true,
        });
        assert_eq!(
            compiled.cause(),
            super::super::Cause::Forced { dep: "tokenizers".into(), version: "0.22.2".into() }
        );
        assert_eq!(Reason::new(Why::NoCommits { tag: "core-v1.0.0".into() }).cause(), super::super::Cause::Other);
    }

    #[test]
    fn a_maturin_crate_outside_the_cargo_root_is_named() {
        let outside = Note::Maturin {
            crate_name: "tokenizers-python".into(),
            file: "bindings/python/Cargo.toml".into(),
            outside: true,
        };
        assert_eq!(
            outside.to_string(),
            "maturin: one version with crate tokenizers-python in bindings/python/Cargo.toml, outside the Cargo root \
             (never published as a crate)"
        );
        let nameless = Note::Maturin { crate_name: String::new(), file: "b/Cargo.toml".into(), outside: true };
        assert!(nameless.to_string().starts_with("maturin: one version with the crate in b/Cargo.toml"));
    }
}
