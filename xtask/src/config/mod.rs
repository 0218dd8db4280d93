//! `xtask-release.toml`: every key optional, unknown keys are errors with a
//! "did you mean". The file is read with toml_edit, the same parser that edits
//! manifests, so there is one TOML dialect in the tool.
//!
//! This file holds the types and their defaults and queries; `read` is
//! `Config::parse` (one step per table), `schema` the known tables and keys,
//! `values` the readers of one value, `tag_names` the tag templates' and
//! git's ref-name rules.

use std::path::{Path, PathBuf};

use crate::error::{fail, Code};
use crate::rate::{Limit, Limits};
use crate::version::Ecosystem;

mod rate_limit;
mod read;
mod schema;
mod tag_names;
mod values;

pub use schema::did_you_mean;
pub use tag_names::{check_ref_name, render_tag};

pub const FILE_NAME: &str = "xtask-release.toml";

/// `[tags] package` when the file does not set it.
pub const DEFAULT_TAG: &str = "{name}-v{version}";

#[derive(Debug, Clone)]
pub struct Config {
    /// Folder of the uv workspace (or single project), relative to the root.
    pub python_root: PathBuf,
    /// Folder of the Cargo workspace, relative to the root.
    pub cargo_root: PathBuf,
    pub python_publish_url: String,
    pub python_index_url: String,
    /// `[python] platform-tags`: which wheel platforms the index accepts; `None`: by the
    /// publish URL (`platform_rule`).
    pub python_platform_tags: Option<PlatformRule>,
    /// A registry name known to cargo; `None` is crates.io.
    pub cargo_registry: Option<String>,
    /// `[tags] package`: a template or a list of them. A release writes the
    /// first; history is read with all of them (the newest matching tag wins),
    /// so a repository whose convention changed keeps its past releases.
    pub tag_package: Vec<String>,
    /// `[tags] python` / `[tags] cargo`: that ecosystem's templates instead of
    /// `package` (empty: `package`). When the written one has no `{name}`, it
    /// is the ecosystem's umbrella: its packages are released under one tag
    /// (`Config::add_umbrella_groups`).
    pub tag_python: Vec<String>,
    pub tag_cargo: Vec<String>,
    /// `[tags] separate`: packages of an ecosystem with an umbrella that keep
    /// tags of their own (`Config::tag_templates`).
    pub tag_separate: Vec<String>,
    pub tag_umbrella: Option<String>,
    pub groups: Vec<Group>,
    /// `[[version-files]]`: more places a version is written.
    pub version_files: Vec<VersionFileConfig>,
    pub allow_branches: Vec<String>,
    pub remote: String,
    /// `[release] pr-branch`: the branch `release-pr` pushes (`release/next`).
    pub pr_branch: String,
    pub smoke_test: bool,
    /// `[[smoke-tests]]`: what a package's smoke test imports or runs instead of the wheel's modules.
    pub smoke_tests: Vec<SmokeTest>,
    pub changelog: ChangelogConfig,
    pub forge: ForgeConfig,
    /// `[commits] convention`: how the history says what changed.
    pub convention: crate::commits::Convention,
    /// `[cargo.rate-limit]` / `[python.rate-limit]` as written: each action
    /// set replaces the registry's built-in limit (`Config::rate_limits`).
    pub cargo_rate_limit: RateLimitConfig,
    pub python_rate_limit: RateLimitConfig,
    /// `[release] pacing`: hold uploads to the registries' limits (default);
    /// `false` uploads at once and only waits out a refusal (429).
    pub pacing: bool,
    /// `[release] trusted-publishing`: when a registry token is minted from the CI job's OIDC token.
    pub trusted_publishing: TrustedPublishing,
    /// `[cargo]` / `[python]` `trusted-publishing-url` and `id-token-variable`.
    pub cargo_exchange: Exchange,
    pub python_exchange: Exchange,
    /// `[matrix] packages`: the Python packages whose wheels a CI matrix
    /// builds (`release --artifacts`); `None`: the maturin packages.
    pub matrix_packages: Option<Vec<String>>,
    /// `[matrix] platforms`: the wheel platform tags each one ships.
    pub matrix_platforms: Vec<String>,
}

/// One ecosystem's `rate-limit` table: per action, `Some(None)` is
/// `false` (not limited), `Some(Some(limit))` a limit, `None` the built-in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub new: Option<Option<Limit>>,
    pub update: Option<Option<Limit>>,
    pub yank: Option<Option<Limit>>,
}

/// `[release] trusted-publishing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrustedPublishing {
    /// In CI (GitHub Actions, GitLab) for a registry with no token configured.
    #[default]
    Auto,
    /// Always, a configured token notwithstanding; no OIDC token is an error.
    Always,
    Never,
}

/// Where a registry's trusted-publishing exchange is, per registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The exchange API's base URL; `None`: the registry's own (crates.io's, the
    /// publish URL's host).
    pub url: Option<String>,
    /// The GitLab job variable holding the JWT (`id_tokens:` in `.gitlab-ci.yml`).
    pub id_token_variable: String,
}

/// `[changelog]`: where changelogs are written and what they show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogConfig {
    pub enabled: bool,
    /// File name relative to each package's folder.
    pub path: String,
    /// The aggregate changelog of the whole repository, relative to the root.
    pub workspace: Option<String>,
    /// Conventional type → section title, in display order after the fixed
    /// Breaking changes, Features, Fixes, Performance: the defaults with
    /// `[changelog.sections]` applied over them.
    pub sections: Vec<(String, String)>,
    /// Types left out (a breaking change is never left out).
    pub hidden: Vec<String>,
}

/// The type → section defaults, in order.
pub const DEFAULT_SECTIONS: &[(&str, &str)] = &[
    ("feat", "Features"),
    ("fix", "Fixes"),
    ("perf", "Performance"),
    ("revert", "Reverts"),
    ("docs", "Documentation"),
    ("refactor", "Refactoring"),
    ("style", "Style"),
    ("test", "Tests"),
    ("build", "Build"),
    ("ci", "CI"),
    ("chore", "Chores"),
];

/// The types hidden by default.
pub const DEFAULT_HIDDEN: &[&str] = &["docs", "chore", "ci", "build", "test", "style", "refactor"];

impl Default for ChangelogConfig {
    fn default() -> ChangelogConfig {
        ChangelogConfig {
            enabled: true,
            path: "CHANGELOG.md".into(),
            workspace: None,
            sections: DEFAULT_SECTIONS.iter().map(|(k, t)| (k.to_string(), t.to_string())).collect(),
            hidden: DEFAULT_HIDDEN.iter().map(|k| k.to_string()).collect(),
        }
    }
}

/// `[forge]`: where releases are made. Everything unset is detected from the
/// remote's URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForgeConfig {
    /// `github` | `gitea` | `gitlab` | `none`.
    pub kind: Option<String>,
    /// `owner/name` (GitLab: `group/subgroup/name`).
    pub repository: Option<String>,
    /// The REST API's base URL (`https://ghe.example.com/api/v3`).
    pub api_url: Option<String>,
}

pub const FORGE_KINDS: &[&str] = &["github", "gitea", "gitlab", "none"];

/// The wheel platform tags an index accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformRule {
    /// PyPI's upload rule: `any`, `manylinux*`, `musllinux_*`, `macosx_*`, `win*`, `ios_*`,
    /// `android_*`, never `linux_*` (but `linux_armv6l`/`armv7l`).
    Pypi,
    /// Every tag (pypiserver, devpi, most private indexes).
    Any,
}

/// The hosts whose uploads follow PyPI's rule.
const PYPI_UPLOAD_HOSTS: &[&str] = &["upload.pypi.org", "test.pypi.org", "pypi.org"];

/// One `[[smoke-tests]]` entry: a Python package's smoke test, configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmokeTest {
    /// The package (`name` or `python:name`).
    pub package: String,
    /// The modules to import instead of those the wheel ships (empty: none).
    pub import: Option<Vec<String>>,
    /// A command run in the smoke test's environment after the imports (its first word is looked
    /// up in the environment's `bin` folder first).
    pub run: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub members: Vec<String>,
    /// `tag`: the group is released under one tag (`v{version}`, `{name}` is
    /// the group's name) instead of a tag per member; the first template is
    /// written, all are read. Empty: each member has its own tag.
    pub tag: Vec<String>,
    /// Not configured but made by `Config::add_umbrella_groups` for the
    /// umbrella of this ecosystem (`{name}` in `tag` is then each member's).
    pub umbrella: Option<Ecosystem>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            python_root: PathBuf::from("."),
            cargo_root: PathBuf::from("."),
            python_publish_url: "https://upload.pypi.org/legacy/".into(),
            python_index_url: "https://pypi.org/simple/".into(),
            python_platform_tags: None,
            cargo_registry: None,
            tag_package: vec![DEFAULT_TAG.into()],
            tag_python: vec![],
            tag_cargo: vec![],
            tag_separate: vec![],
            tag_umbrella: None,
            groups: vec![],
            version_files: vec![],
            allow_branches: vec!["main".into()],
            remote: "origin".into(),
            pr_branch: "release/next".into(),
            smoke_test: true,
            smoke_tests: vec![],
            changelog: ChangelogConfig::default(),
            forge: ForgeConfig::default(),
            convention: crate::commits::Convention::default(),
            cargo_rate_limit: RateLimitConfig::default(),
            python_rate_limit: RateLimitConfig::default(),
            pacing: true,
            trusted_publishing: TrustedPublishing::Auto,
            cargo_exchange: Exchange { url: None, id_token_variable: "CRATES_IO_ID_TOKEN".into() },
            python_exchange: Exchange { url: None, id_token_variable: "PYPI_ID_TOKEN".into() },
            matrix_packages: None,
            matrix_platforms: crate::matrix::DEFAULT_PLATFORMS.iter().map(|p| p.to_string()).collect(),
        }
    }
}

/// One `[[version-files]]` entry: files (a glob relative to the repository
/// root) where a package's version is written, found by a template or a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFileConfig {
    pub path: String,
    /// The package (`name` or `eco:name`); `None`: every released package
    /// (the template or pattern then names it with `{name}`).
    pub package: Option<String>,
    pub find: VersionFind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionFind {
    /// The text with the current version (`{version}`, `{major}`, `{minor}`,
    /// `{patch}`, `{name}` filled in) is replaced by the same with the new one.
    Template(String),
    /// `{version}` stands for any version (the file may lag behind); every match
    /// gets the new version.
    Pattern(String),
}

impl Config {
    /// `[tags] python` / `[tags] cargo` as written (empty: not set).
    fn ecosystem_templates(&self, eco: Ecosystem) -> &[String] {
        match eco {
            Ecosystem::Python => &self.tag_python,
            Ecosystem::Cargo => &self.tag_cargo,
        }
    }

    /// `eco`'s umbrella templates, when `[tags] python`/`cargo` writes a tag
    /// without `{name}`: one tag for every package of the ecosystem.
    pub fn umbrella_of(&self, eco: Ecosystem) -> Option<&[String]> {
        let own = self.ecosystem_templates(eco);
        own.first().is_some_and(|t| !t.contains("{name}")).then_some(own)
    }

    /// The tag template a release of a package of `eco` writes when it has a
    /// tag of its own: the first of `tag_templates`.
    pub fn tag_template(&self, eco: Ecosystem) -> String {
        self.tag_templates(eco).swap_remove(0)
    }

    /// Every template history is read with for a package of `eco` that has
    /// tags of its own, the written one first: `[tags] python`/`cargo`, else
    /// `package`. Under an umbrella (members of its group read the group's
    /// templates) these are the ones with `{name}` (for `separate` packages),
    /// else `package`.
    pub fn tag_templates(&self, eco: Ecosystem) -> Vec<String> {
        let own = self.ecosystem_templates(eco);
        let own: Vec<String> = match self.umbrella_of(eco) {
            Some(all) => all.iter().filter(|t| t.contains("{name}")).cloned().collect(),
            None => own.to_vec(),
        };
        if own.is_empty() {
            self.tag_package.clone()
        } else {
            own
        }
    }

    /// The `[tags]` key that sets the template of `eco`'s packages with tags of their own.
    pub fn tag_key(&self, eco: Ecosystem) -> String {
        let own = self.ecosystem_templates(eco);
        let named = match self.umbrella_of(eco) {
            Some(all) => all.iter().any(|t| t.contains("{name}")),
            None => !own.is_empty(),
        };
        if named {
            format!("[tags] {}", eco.as_str())
        } else {
            "[tags] package".into()
        }
    }

    /// The wheel platforms the Python index takes: `[python] platform-tags`, else PyPI's rule when
    /// the publish URL is PyPI's or TestPyPI's, else any.
    pub fn platform_rule(&self) -> PlatformRule {
        self.python_platform_tags.unwrap_or(if PYPI_UPLOAD_HOSTS.contains(&self.publish_host()) {
            PlatformRule::Pypi
        } else {
            PlatformRule::Any
        })
    }

    /// The limits an ecosystem's registry enforces: the configured ones over
    /// the built-in ones (crates.io's for crates.io, PyPI's for PyPI and
    /// TestPyPI; an alternative registry has none built in).
    pub fn rate_limits(&self, eco: Ecosystem) -> Limits {
        let (builtin, set) = match eco {
            Ecosystem::Cargo => (self.cargo_registry.is_none().then_some(Limits::CRATES_IO), self.cargo_rate_limit),
            Ecosystem::Python => {
                (PYPI_UPLOAD_HOSTS.contains(&self.publish_host()).then_some(Limits::PYPI), self.python_rate_limit)
            }
        };
        let builtin = builtin.unwrap_or_default();
        Limits {
            new: set.new.unwrap_or(builtin.new),
            update: set.update.unwrap_or(builtin.update),
            yank: set.yank.unwrap_or(builtin.yank),
        }
    }

    /// The host of `[python] publish-url`.
    fn publish_host(&self) -> &str {
        self.python_publish_url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("")
    }

    /// `--registry NAME` for cargo commands, or nothing for crates.io.
    pub fn cargo_registry_args(&self) -> Vec<String> {
        self.cargo_registry.iter().flat_map(|r| ["--registry".to_string(), r.clone()]).collect()
    }

    /// Reads `path` if it exists; a missing file is the default configuration.
    pub fn load(path: &Path, explicit: bool) -> anyhow::Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(Config::default()),
            Err(e) => {
                return Err(fail(
                    Code::Io,
                    format!("cannot read {}: {e}", path.display()),
                    "check the path given with --config",
                ))
            }
        };
        Config::parse(&text).map_err(|e| match e.downcast::<crate::error::Failure>() {
            Ok(mut f) => {
                f.cause = format!("{}: {}", path.display(), f.cause);
                anyhow::Error::new(f)
            }
            Err(e) => e,
        })
    }
}

pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
