//! `Config::parse`: the file read table by table, each step filling in its
//! part of the defaults, then the tag templates checked together.

use std::path::PathBuf;

use toml_edit::{DocumentMut, Item, Table};

use super::rate_limit::rate_limit;
use super::schema::check_keys;
use super::tag_names::validate_template;
use super::values::{relative_file, string, strings, templates, wrong_type};
use super::{
    one_line, ChangelogConfig, Config, Exchange, Group, PlatformRule, SmokeTest, TrustedPublishing, VersionFileConfig,
    VersionFind, FORGE_KINDS,
};
use crate::error::{fail, Code};
use crate::version::Ecosystem;

impl Config {
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let doc = syntax(text)?;
        check_keys(&doc)?;
        let mut c = Config::default();
        read_python(&doc, &mut c)?;
        read_cargo(&doc, &mut c)?;
        read_tags(&doc, &mut c)?;
        read_release(&doc, &mut c)?;
        read_groups(&doc, &mut c)?;
        read_version_files(&doc, &mut c)?;
        read_smoke_tests(&doc, &mut c)?;
        read_changelog(&doc, &mut c.changelog)?;
        read_commits(&doc, &mut c)?;
        read_forge(&doc, &mut c)?;
        read_matrix(&doc, &mut c)?;
        check_tag_templates(&c)?;
        Ok(c)
    }
}

/// The file as TOML, or the syntax error.
fn syntax(text: &str) -> anyhow::Result<DocumentMut> {
    text.parse().map_err(|e: toml_edit::TomlError| {
        fail(
            Code::ConfigSyntax,
            format!("invalid TOML: {}", one_line(&e.to_string())),
            "fix the syntax; every key is optional, an empty file is valid",
        )
    })
}

/// `[table] key`, when the file sets it.
fn get<'a>(doc: &'a DocumentMut, table: &str, key: &str) -> Option<&'a Item> {
    doc.get(table).and_then(|t| t.get(key))
}

/// The tables of `[[name]]` (none when the file has none); `shape` says what one holds.
fn tables<'a>(doc: &'a DocumentMut, name: &str, shape: &str) -> anyhow::Result<Vec<&'a Table>> {
    let Some(item) = doc.get(name) else { return Ok(vec![]) };
    let array = item.as_array_of_tables().ok_or_else(|| wrong_type(name, &format!("an array of tables ({shape})")))?;
    Ok(array.iter().collect())
}

fn read_python(doc: &DocumentMut, c: &mut Config) -> anyhow::Result<()> {
    if let Some(v) = get(doc, "python", "root") {
        c.python_root = PathBuf::from(string(v, "python.root")?);
    }
    if let Some(v) = get(doc, "python", "publish-url") {
        c.python_publish_url = string(v, "python.publish-url")?;
    }
    if let Some(v) = get(doc, "python", "index-url") {
        c.python_index_url = string(v, "python.index-url")?;
    }
    read_exchange(doc, "python", &mut c.python_exchange)?;
    if let Some(v) = get(doc, "python", "platform-tags") {
        c.python_platform_tags = Some(match string(v, "python.platform-tags")?.as_str() {
            "pypi" => PlatformRule::Pypi,
            "any" => PlatformRule::Any,
            _ => return Err(wrong_type("python.platform-tags", "\"pypi\" (PyPI's rule) or \"any\"")),
        });
    }
    if let Some(v) = get(doc, "python", "rate-limit") {
        c.python_rate_limit = rate_limit(v, "python.rate-limit")?;
    }
    Ok(())
}

fn read_cargo(doc: &DocumentMut, c: &mut Config) -> anyhow::Result<()> {
    if let Some(v) = get(doc, "cargo", "root") {
        c.cargo_root = PathBuf::from(string(v, "cargo.root")?);
    }
    if let Some(v) = get(doc, "cargo", "registry") {
        c.cargo_registry = Some(string(v, "cargo.registry")?);
    }
    if let Some(v) = get(doc, "cargo", "rate-limit") {
        c.cargo_rate_limit = rate_limit(v, "cargo.rate-limit")?;
    }
    read_exchange(doc, "cargo", &mut c.cargo_exchange)
}

/// `[cargo]` / `[python]` `trusted-publishing-url` and `id-token-variable`.
fn read_exchange(doc: &DocumentMut, table: &str, e: &mut Exchange) -> anyhow::Result<()> {
    if let Some(v) = get(doc, table, "trusted-publishing-url") {
        let key = format!("{table}.trusted-publishing-url");
        let url = string(v, &key)?;
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(wrong_type(&key, "an http(s) URL, e.g. \"https://crates.io\""));
        }
        e.url = Some(url.trim_end_matches('/').to_string());
    }
    if let Some(v) = get(doc, table, "id-token-variable") {
        e.id_token_variable = string(v, &format!("{table}.id-token-variable"))?;
    }
    Ok(())
}

/// `[tags]` as written; the templates are checked once everything is read (`check_tag_templates`).
fn read_tags(doc: &DocumentMut, c: &mut Config) -> anyhow::Result<()> {
    if let Some(v) = get(doc, "tags", "package") {
        c.tag_package = templates(v, "tags.package")?;
    }
    if let Some(v) = get(doc, "tags", "umbrella") {
        c.tag_umbrella = Some(string(v, "tags.umbrella")?);
    }
    if let Some(v) = get(doc, "tags", "python") {
        c.tag_python = templates(v, "tags.python")?;
    }
    if let Some(v) = get(doc, "tags", "cargo") {
        c.tag_cargo = templates(v, "tags.cargo")?;
    }
    if let Some(v) = get(doc, "tags", "separate") {
        c.tag_separate = strings(v, "tags.separate")?;
    }
    Ok(())
}

fn read_release(doc: &DocumentMut, c: &mut Config) -> anyhow::Result<()> {
    if let Some(v) = get(doc, "release", "allow-branches") {
        c.allow_branches = strings(v, "release.allow-branches")?;
    }
    if let Some(v) = get(doc, "release", "remote") {
        c.remote = string(v, "release.remote")?;
    }
    if let Some(v) = get(doc, "release", "pr-branch") {
        c.pr_branch = string(v, "release.pr-branch")?;
        super::check_ref_name(&c.pr_branch).map_err(|why| {
            fail(
                Code::ConfigValue,
                format!("[release] pr-branch `{}` {why}", c.pr_branch),
                "name a branch git accepts, e.g. release/next",
            )
        })?;
    }
    if let Some(v) = get(doc, "release", "smoke-test") {
        c.smoke_test = v.as_bool().ok_or_else(|| wrong_type("release.smoke-test", "true or false"))?;
    }
    if let Some(v) = get(doc, "release", "pacing") {
        c.pacing = v.as_bool().ok_or_else(|| wrong_type("release.pacing", "true or false"))?;
    }
    if let Some(v) = get(doc, "release", "trusted-publishing") {
        c.trusted_publishing = match v.as_str() {
            Some("auto") => TrustedPublishing::Auto,
            Some("always") => TrustedPublishing::Always,
            Some("never") => TrustedPublishing::Never,
            _ => return Err(wrong_type("release.trusted-publishing", "\"auto\", \"always\" or \"never\"")),
        };
    }
    Ok(())
}

fn read_matrix(doc: &DocumentMut, c: &mut Config) -> anyhow::Result<()> {
    if let Some(v) = get(doc, "matrix", "packages") {
        c.matrix_packages = Some(strings(v, "matrix.packages")?);
    }
    if let Some(v) = get(doc, "matrix", "platforms") {
        c.matrix_platforms = strings(v, "matrix.platforms")?;
    }
    c.matrix_platforms.retain(|p| p != crate::matrix::SDIST);
    if let Some(bad) = c.matrix_platforms.iter().find(|p| crate::matrix::runner(p).is_none()) {
        return Err(fail(
            Code::ConfigValue,
            format!("[matrix] platforms: `{bad}` is no wheel platform a hosted runner builds"),
            "name wheel platform tags such as manylinux_2_28_x86_64, musllinux_1_2_aarch64, macosx_11_0_arm64, \
             win_amd64 (the sdist is built on the matrix anyway)",
        ));
    }
    Ok(())
}

fn read_groups(doc: &DocumentMut, c: &mut Config) -> anyhow::Result<()> {
    for g in tables(doc, "groups", "[[groups]] with name and members")? {
        c.groups.push(group(g)?);
    }
    Ok(())
}

/// One `[[groups]]` entry.
fn group(g: &Table) -> anyhow::Result<Group> {
    let name = string(g.get("name").ok_or_else(|| wrong_type("groups.name", "a string"))?, "groups.name")?;
    let members = strings(g.get("members").ok_or_else(|| wrong_type("groups.members", "a list"))?, "groups.members")?;
    let tag = match g.get("tag") {
        Some(v) => templates(v, "groups.tag")?,
        None => vec![],
    };
    for t in &tag {
        validate_template(t, "groups.tag", false)?;
    }
    Ok(Group { name, members, tag, umbrella: None })
}

fn read_version_files(doc: &DocumentMut, c: &mut Config) -> anyhow::Result<()> {
    for f in tables(doc, "version-files", "[[version-files]] with path and template or pattern")? {
        c.version_files.push(version_file(f)?);
    }
    Ok(())
}

fn read_smoke_tests(doc: &DocumentMut, c: &mut Config) -> anyhow::Result<()> {
    for t in tables(doc, "smoke-tests", "[[smoke-tests]] with package and import or run")? {
        c.smoke_tests.push(smoke_test(t)?);
    }
    Ok(())
}

fn read_changelog(doc: &DocumentMut, changelog: &mut ChangelogConfig) -> anyhow::Result<()> {
    if let Some(v) = get(doc, "changelog", "enabled") {
        changelog.enabled = v.as_bool().ok_or_else(|| wrong_type("changelog.enabled", "true or false"))?;
    }
    if let Some(v) = get(doc, "changelog", "path") {
        changelog.path = relative_file(v, "changelog.path")?;
    }
    if let Some(v) = get(doc, "changelog", "workspace") {
        changelog.workspace = Some(relative_file(v, "changelog.workspace")?);
    }
    if let Some(v) = get(doc, "changelog", "sections") {
        read_sections(v, &mut changelog.sections)?;
    }
    if let Some(v) = get(doc, "changelog", "hidden") {
        changelog.hidden = strings(v, "changelog.hidden")?.iter().map(|k| k.to_ascii_lowercase()).collect();
    }
    Ok(())
}

/// `[changelog.sections]` over the defaults: a known type gets its new title
/// in place, a new one is added at the end.
fn read_sections(v: &Item, sections: &mut Vec<(String, String)>) -> anyhow::Result<()> {
    let table = v
        .as_table_like()
        .ok_or_else(|| wrong_type("changelog.sections", "a table of type = \"Section title\" (feat = \"Features\")"))?;
    for (kind, title) in table.iter() {
        let key = format!("changelog.sections.{kind}");
        let title = title.as_str().map(str::trim).filter(|t| !t.is_empty() && !t.contains(['\n', '\r']));
        let title = title.ok_or_else(|| wrong_type(&key, "a one-line section title"))?;
        let kind = kind.to_ascii_lowercase();
        match sections.iter_mut().find(|(k, _)| *k == kind) {
            Some(entry) => entry.1 = title.to_string(),
            None => sections.push((kind, title.to_string())),
        }
    }
    Ok(())
}

fn read_commits(doc: &DocumentMut, c: &mut Config) -> anyhow::Result<()> {
    if let Some(v) = get(doc, "commits", "convention") {
        let names = crate::commits::Convention::NAMES.join(" or ");
        let name = string(v, "commits.convention")?;
        c.convention = crate::commits::Convention::from_name(&name)
            .ok_or_else(|| wrong_type("commits.convention", &format!("{names} (\"{name}\" is neither)")))?;
    }
    Ok(())
}

fn read_forge(doc: &DocumentMut, c: &mut Config) -> anyhow::Result<()> {
    if let Some(v) = get(doc, "forge", "kind") {
        let kind = string(v, "forge.kind")?;
        if !FORGE_KINDS.contains(&kind.as_str()) {
            return Err(wrong_type("forge.kind", &format!("one of {}", FORGE_KINDS.join(", "))));
        }
        c.forge.kind = Some(kind);
    }
    if let Some(v) = get(doc, "forge", "repository") {
        let repo = string(v, "forge.repository")?;
        let parts: Vec<&str> = repo.trim_matches('/').split('/').collect();
        if parts.len() < 2 || parts.iter().any(|p| p.is_empty() || p.contains(char::is_whitespace)) {
            return Err(wrong_type("forge.repository", "\"owner/name\" (GitLab: \"group/subgroup/name\")"));
        }
        c.forge.repository = Some(parts.join("/"));
    }
    if let Some(v) = get(doc, "forge", "api-url") {
        let url = string(v, "forge.api-url")?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(wrong_type("forge.api-url", "an http(s) URL, e.g. \"https://ghe.example.com/api/v3\""));
        }
        c.forge.api_url = Some(url.trim_end_matches('/').to_string());
    }
    Ok(())
}

/// Every `[tags]` template is a valid one (per-package ones name the
/// package), and the two ecosystems' umbrellas do not write the same tag.
fn check_tag_templates(c: &Config) -> anyhow::Result<()> {
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
    Ok(())
}

/// One `[[smoke-tests]]` entry.
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

/// One `[[version-files]]` entry.
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
