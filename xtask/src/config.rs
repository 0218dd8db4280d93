//! `xtask-release.toml`: every key optional, unknown keys are errors with a
//! "did you mean". The file is read with toml_edit, the same parser that edits
//! manifests, so there is one TOML dialect in the tool.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table};

use crate::error::{fail, Code};
use crate::version::Ecosystem;

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
    pub smoke_test: bool,
    /// `[[smoke-tests]]`: what a package's smoke test imports or runs instead of the wheel's modules.
    pub smoke_tests: Vec<SmokeTest>,
    pub changelog: ChangelogConfig,
    pub forge: ForgeConfig,
    /// `[commits] convention`: how the history says what changed.
    pub convention: crate::commits::Convention,
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

fn smoke_test(t: &Table) -> anyhow::Result<SmokeTest> {
    let package = string(
        t.get("package").ok_or_else(|| wrong_type("smoke-tests.package", "a package name"))?,
        "smoke-tests.package",
    )?;
    let import = t.get("import").map(|v| strings(v, "smoke-tests.import")).transpose()?;
    for module in import.iter().flatten() {
        let identifier = |p: &str| {
            p.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_alphanumeric() || c == '_')
        };
        if !module.split('.').all(identifier) {
            return Err(wrong_type(
                "smoke-tests.import",
                &format!("a list of module names (`{module}` is none), e.g. [\"genkit.plugins.anthropic\"]"),
            ));
        }
    }
    let run = t.get("run").map(|v| strings(v, "smoke-tests.run")).transpose()?;
    if run.as_ref().is_some_and(|r| r.is_empty() || r[0].trim().is_empty()) {
        return Err(wrong_type("smoke-tests.run", "a command as a non-empty list, e.g. [\"mytool\", \"--version\"]"));
    }
    if import.is_none() && run.is_none() {
        return Err(wrong_type("smoke-tests", "tables with `import` (modules), `run` (a command) or both"));
    }
    Ok(SmokeTest { package, import, run })
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
            smoke_test: true,
            smoke_tests: vec![],
            changelog: ChangelogConfig::default(),
            forge: ForgeConfig::default(),
            convention: crate::commits::Convention::default(),
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

fn version_file(t: &Table) -> anyhow::Result<VersionFileConfig> {
    let path = relative_file(
        t.get("path").ok_or_else(|| wrong_type("version-files.path", "a path or glob"))?,
        "version-files.path",
    )?;
    let package = t.get("package").map(|v| string(v, "version-files.package")).transpose()?;
    let find = match (t.get("template"), t.get("pattern")) {
        (Some(v), None) => VersionFind::Template(string(v, "version-files.template")?),
        (None, Some(v)) => VersionFind::Pattern(string(v, "version-files.pattern")?),
        _ => return Err(wrong_type("version-files", "tables with either `template` or `pattern` (one of them)")),
    };
    let text = match &find {
        VersionFind::Template(t) | VersionFind::Pattern(t) => t,
    };
    let key = if matches!(find, VersionFind::Template(_)) { "version-files.template" } else { "version-files.pattern" };
    if !["{version}", "{major}", "{minor}", "{patch}"].iter().any(|p| text.contains(p)) {
        return Err(wrong_type(key, "a text containing {version} (e.g. 'core = \"{version}\"')"));
    }
    if matches!(find, VersionFind::Pattern(_)) && text.matches("{version}").count() != 1 {
        return Err(wrong_type(key, "a text with exactly one {version}"));
    }
    if package.is_none() && !text.contains("{name}") {
        return Err(wrong_type(
            key,
            "a text containing {name} when `package` is not given (it applies to every released package)",
        ));
    }
    Ok(VersionFileConfig { path, package, find })
}

/// The schema: table → keys. `ARRAYS` are arrays of tables.
const SCHEMA: &[(&str, &[&str])] = &[
    ("python", &["root", "publish-url", "index-url", "platform-tags"]),
    ("cargo", &["root", "registry"]),
    ("tags", &["package", "umbrella", "python", "cargo", "separate"]),
    ("groups", &["name", "members", "tag"]),
    ("version-files", &["path", "package", "template", "pattern"]),
    ("release", &["allow-branches", "remote", "smoke-test"]),
    ("smoke-tests", &["package", "import", "run"]),
    ("changelog", &["enabled", "path", "workspace", "sections", "hidden"]),
    ("forge", &["kind", "repository", "api-url"]),
    ("commits", &["convention"]),
];

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
        let host = self.python_publish_url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
        self.python_platform_tags.unwrap_or(if PYPI_UPLOAD_HOSTS.contains(&host) {
            PlatformRule::Pypi
        } else {
            PlatformRule::Any
        })
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

    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
            fail(
                Code::ConfigSyntax,
                format!("invalid TOML: {}", one_line(&e.to_string())),
                "fix the syntax; every key is optional, an empty file is valid",
            )
        })?;
        check_keys(&doc)?;
        let mut c = Config::default();
        let get = |table: &str, key: &str| doc.get(table).and_then(|t| t.get(key));
        if let Some(v) = get("python", "root") {
            c.python_root = PathBuf::from(string(v, "python.root")?);
        }
        if let Some(v) = get("cargo", "root") {
            c.cargo_root = PathBuf::from(string(v, "cargo.root")?);
        }
        if let Some(v) = get("python", "publish-url") {
            c.python_publish_url = string(v, "python.publish-url")?;
        }
        if let Some(v) = get("python", "index-url") {
            c.python_index_url = string(v, "python.index-url")?;
        }
        if let Some(v) = get("python", "platform-tags") {
            c.python_platform_tags = Some(match string(v, "python.platform-tags")?.as_str() {
                "pypi" => PlatformRule::Pypi,
                "any" => PlatformRule::Any,
                _ => return Err(wrong_type("python.platform-tags", "\"pypi\" (PyPI's rule) or \"any\"")),
            });
        }
        if let Some(v) = get("cargo", "registry") {
            c.cargo_registry = Some(string(v, "cargo.registry")?);
        }
        if let Some(v) = get("tags", "package") {
            c.tag_package = templates(v, "tags.package")?;
        }
        if let Some(v) = get("tags", "umbrella") {
            c.tag_umbrella = Some(string(v, "tags.umbrella")?);
        }
        if let Some(v) = get("tags", "python") {
            c.tag_python = templates(v, "tags.python")?;
        }
        if let Some(v) = get("tags", "cargo") {
            c.tag_cargo = templates(v, "tags.cargo")?;
        }
        if let Some(v) = get("tags", "separate") {
            c.tag_separate = strings(v, "tags.separate")?;
        }
        if let Some(v) = get("release", "allow-branches") {
            c.allow_branches = strings(v, "release.allow-branches")?;
        }
        if let Some(v) = get("release", "remote") {
            c.remote = string(v, "release.remote")?;
        }
        if let Some(v) = get("release", "smoke-test") {
            c.smoke_test = v.as_bool().ok_or_else(|| wrong_type("release.smoke-test", "true or false"))?;
        }
        if let Some(groups) = doc.get("groups") {
            let groups = groups
                .as_array_of_tables()
                .ok_or_else(|| wrong_type("groups", "an array of tables ([[groups]] with name and members)"))?;
            for g in groups.iter() {
                let name = string(g.get("name").ok_or_else(|| wrong_type("groups.name", "a string"))?, "groups.name")?;
                let members =
                    strings(g.get("members").ok_or_else(|| wrong_type("groups.members", "a list"))?, "groups.members")?;
                let tag = match g.get("tag") {
                    Some(v) => templates(v, "groups.tag")?,
                    None => vec![],
                };
                for t in &tag {
                    validate_template(t, "groups.tag", false)?;
                }
                c.groups.push(Group { name, members, tag, umbrella: None });
            }
        }
        if let Some(files) = doc.get("version-files") {
            let files = files.as_array_of_tables().ok_or_else(|| {
                wrong_type("version-files", "an array of tables ([[version-files]] with path and template or pattern)")
            })?;
            for f in files.iter() {
                c.version_files.push(version_file(f)?);
            }
        }
        if let Some(entries) = doc.get("smoke-tests") {
            let entries = entries.as_array_of_tables().ok_or_else(|| {
                wrong_type("smoke-tests", "an array of tables ([[smoke-tests]] with package and import or run)")
            })?;
            for t in entries.iter() {
                c.smoke_tests.push(smoke_test(t)?);
            }
        }
        if let Some(v) = get("changelog", "enabled") {
            c.changelog.enabled = v.as_bool().ok_or_else(|| wrong_type("changelog.enabled", "true or false"))?;
        }
        if let Some(v) = get("changelog", "path") {
            c.changelog.path = relative_file(v, "changelog.path")?;
        }
        if let Some(v) = get("changelog", "workspace") {
            c.changelog.workspace = Some(relative_file(v, "changelog.workspace")?);
        }
        if let Some(v) = get("changelog", "sections") {
            let table = v.as_table_like().ok_or_else(|| {
                wrong_type("changelog.sections", "a table of type = \"Section title\" (feat = \"Features\")")
            })?;
            for (kind, title) in table.iter() {
                let key = format!("changelog.sections.{kind}");
                let title = title.as_str().map(str::trim).filter(|t| !t.is_empty() && !t.contains(['\n', '\r']));
                let title = title.ok_or_else(|| wrong_type(&key, "a one-line section title"))?;
                let kind = kind.to_ascii_lowercase();
                match c.changelog.sections.iter_mut().find(|(k, _)| *k == kind) {
                    Some(entry) => entry.1 = title.to_string(),
                    None => c.changelog.sections.push((kind, title.to_string())),
                }
            }
        }
        if let Some(v) = get("changelog", "hidden") {
            c.changelog.hidden = strings(v, "changelog.hidden")?.iter().map(|k| k.to_ascii_lowercase()).collect();
        }
        if let Some(v) = get("commits", "convention") {
            let names = crate::commits::Convention::NAMES.join(" or ");
            let name = string(v, "commits.convention")?;
            c.convention = crate::commits::Convention::from_name(&name)
                .ok_or_else(|| wrong_type("commits.convention", &format!("{names} (\"{name}\" is neither)")))?;
        }
        if let Some(v) = get("forge", "kind") {
            let kind = string(v, "forge.kind")?;
            if !FORGE_KINDS.contains(&kind.as_str()) {
                return Err(wrong_type("forge.kind", &format!("one of {}", FORGE_KINDS.join(", "))));
            }
            c.forge.kind = Some(kind);
        }
        if let Some(v) = get("forge", "repository") {
            let repo = string(v, "forge.repository")?;
            let parts: Vec<&str> = repo.trim_matches('/').split('/').collect();
            if parts.len() < 2 || parts.iter().any(|p| p.is_empty() || p.contains(char::is_whitespace)) {
                return Err(wrong_type("forge.repository", "\"owner/name\" (GitLab: \"group/subgroup/name\")"));
            }
            c.forge.repository = Some(parts.join("/"));
        }
        if let Some(v) = get("forge", "api-url") {
            let url = string(v, "forge.api-url")?;
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(wrong_type("forge.api-url", "an http(s) URL, e.g. \"https://ghe.example.com/api/v3\""));
            }
            c.forge.api_url = Some(url.trim_end_matches('/').to_string());
        }
        for t in &c.tag_package {
            validate_template(t, "tags.package", true)?;
        }
        // an ecosystem's templates may leave out {name}: one tag for all its packages
        for (list, key) in [(&c.tag_python, "tags.python"), (&c.tag_cargo, "tags.cargo")] {
            for t in list {
                validate_template(t, key, false)?;
            }
        }
        if let (Some(py), Some(rs)) = (c.umbrella_of(Ecosystem::Python), c.umbrella_of(Ecosystem::Cargo)) {
            if py[0] == rs[0] {
                return Err(fail(
                    Code::TagFormat,
                    format!("`tags.python` and `tags.cargo` both write {:?}: each would read the other's tags", py[0]),
                    "one tag for both ecosystems is a [[groups]] with `tag` (or [tags] umbrella beside the packages' own)",
                ));
            }
        }
        if let Some(t) = &c.tag_umbrella {
            validate_template(t, "tags.umbrella", false)?;
        }
        Ok(c)
    }
}

/// The schema's arrays of tables.
const ARRAYS: &[&str] = &["groups", "version-files", "smoke-tests"];

fn check_keys(doc: &DocumentMut) -> anyhow::Result<()> {
    let tables: Vec<&str> = SCHEMA.iter().map(|(t, _)| *t).collect();
    for (key, item) in doc.iter() {
        let Some((_, keys)) = SCHEMA.iter().find(|(t, _)| *t == key) else {
            return Err(unknown_key(key, &tables, ""));
        };
        let check_table = |t: &Table| -> anyhow::Result<()> {
            for (k, _) in t.iter() {
                if !keys.contains(&k) {
                    return Err(unknown_key(k, keys, &format!("{key}.")));
                }
            }
            Ok(())
        };
        match item {
            Item::Table(t) => check_table(t)?,
            Item::ArrayOfTables(a) if ARRAYS.contains(&key) => {
                for t in a.iter() {
                    check_table(t)?;
                }
            }
            Item::Value(v) if v.is_inline_table() => {
                let t = v.as_inline_table().expect("checked").clone().into_table();
                check_table(&t)?;
            }
            _ if ARRAYS.contains(&key) => return Err(wrong_type(key, &format!("[[{key}]] tables"))),
            _ => return Err(wrong_type(key, "a table")),
        }
    }
    Ok(())
}

fn unknown_key(key: &str, known: &[&str], prefix: &str) -> anyhow::Error {
    let help = match did_you_mean(key, known) {
        Some(s) => format!("did you mean `{prefix}{s}`? Known keys: {}", known.join(", ")),
        None => format!("known keys here: {}", known.join(", ")),
    };
    fail(Code::ConfigUnknownKey, format!("unknown key `{prefix}{key}`"), help)
}

fn wrong_type(key: &str, expected: &str) -> anyhow::Error {
    fail(Code::ConfigValue, format!("`{key}` must be {expected}"), format!("fix `{key}` in {FILE_NAME}"))
}

fn string(item: &Item, key: &str) -> anyhow::Result<String> {
    item.as_str().map(str::to_string).ok_or_else(|| wrong_type(key, "a string"))
}

/// A relative file path that stays inside its folder.
fn relative_file(item: &Item, key: &str) -> anyhow::Result<String> {
    let p = string(item, key)?;
    let bad = p.is_empty()
        || p.starts_with('/')
        || p.contains('\\')
        || p.ends_with('/')
        || p.split('/').any(|part| part == ".." || part.is_empty());
    if bad {
        return Err(wrong_type(key, "a relative file path inside the repository, e.g. \"CHANGELOG.md\""));
    }
    Ok(p)
}

/// A tag template or a non-empty list of them (the first is the one written).
fn templates(item: &Item, key: &str) -> anyhow::Result<Vec<String>> {
    if let Some(s) = item.as_str() {
        return Ok(vec![s.to_string()]);
    }
    let list = strings(item, key).map_err(|_| wrong_type(key, "a tag template or a list of them"))?;
    if list.is_empty() {
        return Err(wrong_type(key, "a tag template or a non-empty list of them (the first is written)"));
    }
    Ok(list)
}

fn strings(item: &Item, key: &str) -> anyhow::Result<Vec<String>> {
    let arr = item.as_array().ok_or_else(|| wrong_type(key, "a list of strings"))?;
    arr.iter().map(|v| v.as_str().map(str::to_string).ok_or_else(|| wrong_type(key, "a list of strings"))).collect()
}

fn validate_template(t: &str, key: &str, needs_name: bool) -> anyhow::Result<()> {
    let help = format!("set `{key}`, e.g. \"{{name}}-v{{version}}\" (per package) or \"v{{version}}\" (umbrella)");
    if !t.contains("{version}") {
        return Err(fail(Code::TagFormat, format!("`{key}` = {t:?} has no {{version}}"), help));
    }
    if needs_name && !t.contains("{name}") {
        return Err(fail(
            Code::TagFormat,
            format!("`{key}` = {t:?} has no {{name}}: two packages would share a tag"),
            help,
        ));
    }
    let rest = t.replace("{name}", "").replace("{version}", "");
    if rest.contains(['{', '}']) {
        return Err(fail(Code::TagFormat, format!("`{key}` = {t:?} has an unknown placeholder"), help));
    }
    // a sample tag must be a valid ref; real names and versions are checked again per package
    let sample = t.replace("{name}", "pkg").replace("{version}", "1.0.0");
    if let Err(why) = check_ref_name(&sample) {
        return Err(fail(Code::TagFormat, format!("`{key}` = {t:?} gives tags like `{sample}`, which {why}"), help));
    }
    Ok(())
}

/// Renders a tag template.
pub fn render_tag(template: &str, name: &str, version: &str) -> String {
    template.replace("{name}", name).replace("{version}", version)
}

/// git's rules for a ref name (`git check-ref-format`), applied to a tag name.
pub fn check_ref_name(tag: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("git refuses as a tag name: {why}"));
    if tag.is_empty() || tag == "@" {
        return bad("empty or `@`");
    }
    if tag.starts_with('-') {
        return bad("it starts with `-`");
    }
    if tag.starts_with('/') || tag.ends_with('/') || tag.contains("//") {
        return bad("a leading, trailing or double `/`");
    }
    if tag.ends_with('.') {
        return bad("it ends with `.`");
    }
    if tag.contains("..") || tag.contains("@{") {
        return bad("it contains `..` or `@{`");
    }
    if let Some(c) = tag.chars().find(|c| c.is_ascii_control() || " ~^:?*[\\".contains(*c)) {
        return bad(&format!("it contains {c:?}"));
    }
    for part in tag.split('/') {
        if part.starts_with('.') || part.ends_with(".lock") {
            return bad("a part starts with `.` or ends with `.lock`");
        }
    }
    Ok(())
}

/// The closest known word within a small edit distance.
pub fn did_you_mean<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known.iter().map(|k| (edit_distance(word, k), *k)).filter(|(d, k)| *d <= (k.len() / 3).max(2)).min().map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Failure;

    fn code(text: &str) -> Code {
        Config::parse(text).unwrap_err().downcast::<Failure>().unwrap().code
    }

    #[test]
    fn full_file() {
        let c = Config::parse(
            r#"
            [python]
            root = "py"
            [tags]
            package = "{name}@{version}"
            umbrella = "v{version}"
            [[groups]]
            name = "core"
            members = ["a", "b"]
            [release]
            allow-branches = ["main", "release/*"]
            "#,
        )
        .unwrap();
        assert_eq!(c.python_root, PathBuf::from("py"));
        assert_eq!(c.tag_umbrella.as_deref(), Some("v{version}"));
        assert_eq!(
            c.groups,
            vec![Group { name: "core".into(), members: vec!["a".into(), "b".into()], tag: vec![], umbrella: None }]
        );
        assert_eq!(render_tag(&c.tag_package[0], "a", "1.0"), "a@1.0");
    }

    #[test]
    fn errors() {
        assert_eq!(code("[python\n"), Code::ConfigSyntax);
        assert_eq!(code("[tags]\npakage = 'x'"), Code::ConfigUnknownKey);
        assert_eq!(code("[pyton]\nroot = 'x'"), Code::ConfigUnknownKey);
        assert_eq!(code("[python]\nroot = 1"), Code::ConfigValue);
        assert_eq!(code("[tags]\npackage = 'v{version}'"), Code::TagFormat);
        assert_eq!(code("[tags]\npackage = '{name} v{version}'"), Code::TagFormat);
        assert_eq!(code("[tags]\numbrella = 'release..{version}'"), Code::TagFormat);
        let err = Config::parse("[tags]\npakage = 'x'").unwrap_err().downcast::<Failure>().unwrap();
        assert!(err.help.contains("did you mean `tags.package`"), "{}", err.help);
    }

    #[test]
    fn tag_template_lists_and_group_tags() {
        let c = Config::parse(
            r#"
            [tags]
            package = ["{name}-v{version}", "{name}-{version}"]
            python = "py/{name}-v{version}"
            [[groups]]
            name = "all"
            members = ["a"]
            tag = ["v{version}", "release-{version}"]
            "#,
        )
        .unwrap();
        use crate::version::Ecosystem;
        assert_eq!(c.tag_template(Ecosystem::Cargo), "{name}-v{version}");
        assert_eq!(c.tag_templates(Ecosystem::Cargo), ["{name}-v{version}", "{name}-{version}"]);
        assert_eq!(c.tag_templates(Ecosystem::Python), ["py/{name}-v{version}"]);
        assert_eq!(c.tag_key(Ecosystem::Python), "[tags] python");
        assert_eq!(c.groups[0].tag, ["v{version}", "release-{version}"]);
        assert_eq!(Config::default().tag_templates(Ecosystem::Python), [DEFAULT_TAG]);
        assert_eq!(code("[tags]\npackage = []"), Code::ConfigValue);
        assert_eq!(code("[tags]\npackage = ['{name}-v{version}', 'v{version}']"), Code::TagFormat);
        assert_eq!(code("[[groups]]\nname = 'g'\nmembers = []\ntag = 'v'"), Code::TagFormat);
        assert_eq!(code("[[groups]]\nname = 'g'\nmembers = []\ntag = 1"), Code::ConfigValue);
    }

    #[test]
    fn changelog_and_forge() {
        let c = Config::default();
        assert!(c.changelog.enabled);
        assert_eq!(c.changelog.path, "CHANGELOG.md");
        assert!(c.changelog.hidden.contains(&"chore".to_string()));
        assert_eq!(c.forge, ForgeConfig::default());
        let c = Config::parse(
            r#"
            [changelog]
            enabled = false
            path = "docs/CHANGES.md"
            workspace = "CHANGELOG.md"
            hidden = ["chore"]
            [changelog.sections]
            feat = "New"
            deps = "Dependencies"
            [forge]
            kind = "gitlab"
            repository = "group/sub/r"
            api-url = "https://gitlab.example.com/api/v4/"
            "#,
        )
        .unwrap();
        assert!(!c.changelog.enabled);
        assert_eq!(c.changelog.path, "docs/CHANGES.md");
        assert_eq!(c.changelog.workspace.as_deref(), Some("CHANGELOG.md"));
        assert_eq!(c.changelog.hidden, ["chore"]);
        assert_eq!(c.changelog.sections[0], ("feat".to_string(), "New".to_string()));
        assert_eq!(c.changelog.sections.last().unwrap(), &("deps".to_string(), "Dependencies".to_string()));
        assert_eq!(c.forge.kind.as_deref(), Some("gitlab"));
        assert_eq!(c.forge.repository.as_deref(), Some("group/sub/r"));
        assert_eq!(c.forge.api_url.as_deref(), Some("https://gitlab.example.com/api/v4"));
        let inline = Config::parse("changelog = { sections = { fix = \"Bug fixes\" } }").unwrap();
        assert_eq!(inline.changelog.sections[1].1, "Bug fixes");
        assert_eq!(code("[changelog]\nhiden = []"), Code::ConfigUnknownKey);
        assert_eq!(code("[changelog]\npath = '../x.md'"), Code::ConfigValue);
        assert_eq!(code("[changelog]\nsections = { feat = 1 }"), Code::ConfigValue);
        assert_eq!(code("[forge]\nkind = 'bitbucket'"), Code::ConfigValue);
        assert_eq!(code("[forge]\nrepository = 'justname'"), Code::ConfigValue);
        assert_eq!(code("[forge]\napi-url = 'api.github.com'"), Code::ConfigValue);
    }

    #[test]
    fn smoke_tests_and_platform_tags() {
        let c = Config::parse(
            r#"
            [python]
            platform-tags = "any"
            publish-url = "https://upload.pypi.org/legacy/"
            [[smoke-tests]]
            package = "genkit-sample"
            import = []
            run = ["python", "-c", "import main"]
            [[smoke-tests]]
            package = "python:pydantic-ai-slim"
            import = ["pydantic_ai", "pydantic_ai.agent"]
            "#,
        )
        .unwrap();
        assert_eq!(c.platform_rule(), PlatformRule::Any, "the key wins over the publish URL");
        assert_eq!(c.smoke_tests[0].import.as_deref(), Some(&[][..]));
        assert_eq!(c.smoke_tests[0].run.as_ref().map(|r| r[0].as_str()), Some("python"));
        assert_eq!(c.smoke_tests[1].import.as_ref().unwrap()[1], "pydantic_ai.agent");
        assert_eq!(Config::default().platform_rule(), PlatformRule::Pypi);
        let test_pypi = Config::parse("[python]\npublish-url = 'https://test.pypi.org/legacy/'").unwrap();
        assert_eq!(test_pypi.platform_rule(), PlatformRule::Pypi);
        let local = Config::parse("[python]\npublish-url = 'http://127.0.0.1:8080/'").unwrap();
        assert_eq!(local.platform_rule(), PlatformRule::Any);
        assert_eq!(code("[python]\nplatform-tags = 'manylinux'"), Code::ConfigValue);
        assert_eq!(code("[[smoke-tests]]\npackage = 'a'"), Code::ConfigValue);
        assert_eq!(code("[[smoke-tests]]\npackage = 'a'\nimport = ['genkit-plugin']"), Code::ConfigValue);
        assert_eq!(code("[[smoke-tests]]\npackage = 'a'\nrun = []"), Code::ConfigValue);
        assert_eq!(code("[[smoke-tests]]\npackage = 'a'\nimports = []"), Code::ConfigUnknownKey);
        assert_eq!(code("[smoke-tests]\npackage = 'a'"), Code::ConfigValue);
    }

    #[test]
    fn commit_conventions() {
        use crate::commits::Convention;
        assert_eq!(Config::default().convention, Convention::Conventional);
        assert_eq!(Config::parse("[commits]\nconvention = 'area'").unwrap().convention, Convention::Area);
        assert_eq!(
            Config::parse("[commits]\nconvention = 'conventional'").unwrap().convention,
            Convention::Conventional
        );
        assert_eq!(code("[commits]\nconvention = 'angular'"), Code::ConfigValue);
        assert_eq!(code("[commits]\nconvension = 'area'"), Code::ConfigUnknownKey);
        assert_eq!(code("[commit]\nconvention = 'area'"), Code::ConfigUnknownKey);
    }

    #[test]
    fn ref_names() {
        for ok in ["a-v1.0.0", "v1.2.0rc1", "ns/a-1.0.0+local", "a@1.0"] {
            assert!(check_ref_name(ok).is_ok(), "{ok}");
        }
        for bad in ["a v1", "a..b", "a~1", "-a", "a.lock", "a/.b", "a/", "a^", "a:b", "@", "a\u{7f}"] {
            assert!(check_ref_name(bad).is_err(), "{bad}");
        }
    }
}
