//! Manifest edits with toml_edit: versions, internal requirements and, in the
//! exported build tree only, exact pins. Pure text → text: formatting,
//! comments, extras and markers survive; only the version text changes.

use std::collections::HashMap;

use toml_edit::{DocumentMut, Item, Value};

use crate::version::{Ecosystem, Req, Version};
use crate::workspace::{join_rel, pep508};

fn parse(text: &str, file: &str) -> anyhow::Result<DocumentMut> {
    text.parse::<DocumentMut>().map_err(|e| anyhow::anyhow!("{file}: {}", crate::config::one_line(&e.to_string())))
}

/// toml_edit writes `\n` line ends and a final newline: give the file back the
/// line ends it had (CRLF stays CRLF) and no final newline it did not have.
fn same_layout(original: &str, out: String) -> String {
    let mut out = if original.contains("\r\n") && !out.contains("\r\n") { out.replace('\n', "\r\n") } else { out };
    if !original.ends_with('\n') {
        while out.ends_with('\n') {
            out.pop();
            if out.ends_with('\r') {
                out.pop();
            }
        }
    }
    out
}

/// Replaces a string value in place, keeping its surrounding whitespace and comments.
fn set_str(item: &mut Item, new: &str) {
    if let Some(v) = item.as_value_mut() {
        let decor = v.decor().clone();
        *v = Value::from(new);
        *v.decor_mut() = decor;
    }
}

/// `[package] version` (Cargo) or `[project] version` (Python).
pub fn set_package_version(text: &str, file: &str, eco: Ecosystem, new: &str) -> anyhow::Result<String> {
    let table = if eco == Ecosystem::Cargo { "package" } else { "project" };
    replace_string(text, file, &[table, "version"], new)
}

/// `[workspace.package] version` of a Cargo workspace root.
pub fn set_workspace_version(text: &str, file: &str, new: &str) -> anyhow::Result<String> {
    replace_string(text, file, &["workspace", "package", "version"], new)
}

/// Replaces the string at `path` by `"new"` and changes no other byte: the
/// value is found by its span in the parsed document, and the text is spliced.
fn replace_string(text: &str, file: &str, path: &[&str], new: &str) -> anyhow::Result<String> {
    let doc = toml_edit::ImDocument::parse(text)
        .map_err(|e| anyhow::anyhow!("{file}: {}", crate::config::one_line(&e.to_string())))?;
    let mut item = doc.as_item();
    for key in path {
        item = item.get(key).ok_or_else(|| anyhow::anyhow!("{file}: no {} string to update", path.join(".")))?;
    }
    let span = item
        .as_value()
        .filter(|v| v.is_str())
        .and_then(|v| v.span())
        .ok_or_else(|| anyhow::anyhow!("{file}: no {} string to update", path.join(".")))?;
    Ok(format!("{}{}{}", &text[..span.start], Value::from(new), &text[span.end..]))
}

/// A version file of a dynamic-version package: a plain `VERSION` file, or the
/// quoted old version on an assignment line (`__version__ = "1.0"`).
pub fn set_file_version(text: &str, old: &str, new: &str) -> Option<String> {
    if text.trim() == old {
        return Some(format!("{new}\n"));
    }
    let mut done = false;
    let lines: Vec<String> = text
        .split_inclusive('\n')
        .map(|line| {
            if done {
                return line.to_string();
            }
            for q in ['"', '\''] {
                let quoted = format!("{q}{old}{q}");
                let starts_like_assignment = line.trim_start().split(['=', ':']).next().is_some_and(|lhs| {
                    let lhs = lhs.trim();
                    !lhs.is_empty() && lhs.chars().all(|c| c.is_alphanumeric() || c == '_')
                });
                if starts_like_assignment && line.contains(&quoted) {
                    done = true;
                    return line.replacen(&quoted, &format!("{q}{new}{q}"), 1);
                }
            }
            line.to_string()
        })
        .collect();
    done.then(|| lines.concat())
}

/// A cargo requirement that admits `new`, in the style of `old`:
/// `=1.2.0` → `=2.0.0`, `~1.2` → `~2.0.0`, anything else → `2.0.0` (caret).
pub fn new_cargo_req(old: &str, new: &Version) -> String {
    let t = old.trim();
    if t.starts_with('=') && !t.contains(',') {
        format!("={new}")
    } else if t.starts_with('~') && !t.contains(',') {
        format!("~{new}")
    } else {
        new.to_string()
    }
}

/// A PEP 440 specifier that admits `new`, keeping what it can of `old`:
/// `>=1.2,<2` with 2.0.0 → `>=2.0.0,<3`; `==1.0` → `==2.0.0`; `~=1.2` → `~=2.0.0`.
pub fn new_python_spec(old: &str, new: &Version) -> String {
    let (major, _, _) = new.triple();
    let parts: Vec<String> = old
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let admits = Req::parse(Ecosystem::Python, p).map(|r| r.admits(new)).unwrap_or(false);
            if admits {
                return p.to_string();
            }
            if p.starts_with("==") || p.starts_with("===") {
                format!("=={new}")
            } else if p.starts_with("~=") {
                format!("~={new}")
            } else if p.starts_with('<') {
                format!("<{}", major + 1)
            } else if p.starts_with('>') {
                format!(">={new}")
            } else {
                String::new() // `!=` the new version: drop it
            }
        })
        .filter(|p| !p.is_empty())
        .collect();
    let spec = parts.join(",");
    match Req::parse(Ecosystem::Python, &spec) {
        Ok(r) if r.admits(new) && !spec.is_empty() => spec,
        _ => format!(">={new}"),
    }
}

/// One requirement that was rewritten, for the release log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReqChange {
    pub dependency: String,
    pub from: String,
    pub to: String,
}

/// Updates internal dependencies (every dependency table, target-specific ones
/// and `[workspace.dependencies]`) on released crates whose `version` no longer
/// admits the new version: path dependencies, and registry requirements that a
/// `[patch]` redirects to a member (tokio's `tokio = "1.2.0"`). `dir` is the
/// manifest's folder; `released` maps a crate folder to (name, new version);
/// `patched` maps (registry, crate name) to the same for patched crates;
/// `current` a crate's name to the version it has now (`moves_with`).
pub fn update_cargo_requirements(
    text: &str,
    file: &str,
    dir: &str,
    released: &HashMap<String, (String, Version)>,
    patched: &HashMap<(String, String), (String, Version)>,
    current: &HashMap<String, Version>,
) -> anyhow::Result<(String, Vec<ReqChange>)> {
    let mut doc = parse(text, file)?;
    let mut changes = vec![];
    let mut visit = |table: &mut dyn toml_edit::TableLike| {
        for (key, entry) in table.iter_mut() {
            // `tokio = "1.2.0"`: a registry requirement, internal through a patch
            if let Some(old) = entry.as_str().map(str::to_string) {
                let Some((name, new)) = patched.get(&("crates-io".to_string(), key.get().to_string())) else {
                    continue;
                };
                if !moves_with(Ecosystem::Cargo, &old, current.get(name), new) {
                    continue;
                }
                let to = new_cargo_req(&old, new);
                set_str(entry, &to);
                changes.push(ReqChange { dependency: name.clone(), from: old, to });
                continue;
            }
            let Some(spec) = entry.as_table_like_mut() else {
                continue;
            };
            let target = match spec.get("path").and_then(Item::as_str) {
                Some(path) => released.get(&join_rel(dir, path)),
                None if spec.get("workspace").is_some() => None, // its [workspace.dependencies] entry moves
                None => {
                    let registry = spec.get("registry").and_then(Item::as_str).unwrap_or("crates-io");
                    let crate_name = spec.get("package").and_then(Item::as_str).unwrap_or(key.get());
                    patched.get(&(registry.to_string(), crate_name.to_string()))
                }
            };
            let Some((name, new)) = target else {
                continue;
            };
            let Some(old) = spec.get("version").and_then(Item::as_str).map(str::to_string) else {
                continue;
            };
            if !moves_with(Ecosystem::Cargo, &old, current.get(name), new) {
                continue;
            }
            let to = new_cargo_req(&old, new);
            if let Some(item) = spec.get_mut("version") {
                set_str(item, &to);
            }
            changes.push(ReqChange { dependency: name.clone(), from: old, to });
        }
    };
    const KEYS: [&str; 5] =
        ["dependencies", "dev-dependencies", "dev_dependencies", "build-dependencies", "build_dependencies"];
    for key in KEYS {
        if let Some(t) = doc.get_mut(key).and_then(Item::as_table_like_mut) {
            visit(t);
        }
    }
    if let Some(targets) = doc.get_mut("target").and_then(Item::as_table_like_mut) {
        for (_, target) in targets.iter_mut() {
            for key in KEYS {
                if let Some(t) = target.get_mut(key).and_then(Item::as_table_like_mut) {
                    visit(t);
                }
            }
        }
    }
    if let Some(t) = doc.get_mut("workspace").and_then(|w| w.get_mut("dependencies")).and_then(Item::as_table_like_mut)
    {
        visit(t);
    }
    Ok((same_layout(text, doc.to_string()), changes))
}

/// Every requirement string of a pyproject: `[project] dependencies`,
/// optional dependencies, dependency groups and uv's dev-dependencies.
fn python_requirement_arrays(doc: &mut DocumentMut, published_only: bool) -> Vec<&mut toml_edit::Array> {
    let mut arrays: Vec<&mut toml_edit::Array> = vec![];
    let (project, rest): (Option<&mut Item>, Vec<&mut Item>) = {
        let mut project = None;
        let mut rest = vec![];
        for (k, v) in doc.iter_mut() {
            match k.get() {
                "project" => project = Some(v),
                "dependency-groups" | "tool" if !published_only => rest.push(v),
                _ => {}
            }
        }
        (project, rest)
    };
    if let Some(p) = project.and_then(Item::as_table_like_mut) {
        for (k, v) in p.iter_mut() {
            match k.get() {
                "dependencies" => {
                    if let Some(a) = v.as_array_mut() {
                        arrays.push(a);
                    }
                }
                "optional-dependencies" => {
                    if let Some(t) = v.as_table_like_mut() {
                        for (_, list) in t.iter_mut() {
                            if let Some(a) = list.as_array_mut() {
                                arrays.push(a);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for item in rest {
        let Some(t) = item.as_table_like_mut() else {
            continue;
        };
        if t.contains_key("uv") {
            // [tool.uv] dev-dependencies
            if let Some(a) = t.get_mut("uv").and_then(|u| u.get_mut("dev-dependencies")).and_then(Item::as_array_mut) {
                arrays.push(a);
            }
            continue;
        }
        for (_, list) in t.iter_mut() {
            if let Some(a) = list.as_array_mut() {
                arrays.push(a);
            }
        }
    }
    arrays
}

/// Rewrites each requirement on a package in `versions` (normalized name →
/// version) with `respec(old specifier, version)`; `None` keeps it.
fn rewrite_python(
    text: &str,
    file: &str,
    versions: &HashMap<String, Version>,
    published_only: bool,
    respec: impl Fn(&str, &str, &Version) -> Option<String>,
) -> anyhow::Result<(String, Vec<ReqChange>)> {
    let mut doc = parse(text, file)?;
    let mut changes = vec![];
    for array in python_requirement_arrays(&mut doc, published_only) {
        for value in array.iter_mut() {
            let Some(s) = value.as_str().map(str::to_string) else {
                continue;
            };
            let Ok(req) = pep508::parse(&s) else { continue };
            if req.url.is_some() {
                continue;
            }
            let Some(v) = versions.get(&pep508::normalize(&req.name)) else {
                continue;
            };
            let Some(spec) = respec(&req.name, &req.specifier, v) else {
                continue;
            };
            let new = req.with_specifier(&s, &spec);
            if new != s {
                let decor = value.decor().clone();
                *value = Value::from(new);
                *value.decor_mut() = decor;
                changes.push(ReqChange { dependency: req.name.clone(), from: req.specifier.clone(), to: spec });
            }
        }
    }
    Ok((same_layout(text, doc.to_string()), changes))
}

/// Updates requirements on released packages that no longer admit the new
/// version (`moves_with`); `released` and `current` are keyed by normalized name.
pub fn update_python_requirements(
    text: &str,
    file: &str,
    released: &HashMap<String, Version>,
    current: &HashMap<String, Version>,
) -> anyhow::Result<(String, Vec<ReqChange>)> {
    let current = |name: &str| current.get(&pep508::normalize(name));
    rewrite_python(text, file, released, false, |name, old, new| {
        moves_with(Ecosystem::Python, old, current(name), new).then(|| new_python_spec(old, new))
    })
}

/// `Req::moves_with` for a requirement as written; one that does not parse moves.
fn moves_with(eco: Ecosystem, old: &str, current: Option<&Version>, new: &Version) -> bool {
    Req::parse(eco, old).map_or(true, |r| r.moves_with(current, new))
}

/// For the build tree: every published internal requirement pinned to `==version`,
/// extras and markers kept.
pub fn pin_python_requirements(text: &str, file: &str, versions: &HashMap<String, Version>) -> anyhow::Result<String> {
    Ok(rewrite_python(text, file, versions, true, |_, _, v| Some(format!("=={v}")))?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sem(s: &str) -> Version {
        Version::parse(Ecosystem::Cargo, s).unwrap()
    }
    fn py(s: &str) -> Version {
        Version::parse(Ecosystem::Python, s).unwrap()
    }

    #[test]
    fn versions_keep_formatting() {
        let text =
            "[package]\nname = \"a\" # the name\nversion   =   \"0.1.0\" # bumped by xtask\nedition = \"2021\"\n";
        let out = set_package_version(text, "Cargo.toml", Ecosystem::Cargo, "0.2.0").unwrap();
        assert_eq!(out, text.replace("\"0.1.0\"", "\"0.2.0\""));
        let text = "[project]\nname='a'\nversion='1.0'\n";
        assert_eq!(
            set_package_version(text, "p", Ecosystem::Python, "1.1").unwrap(),
            "[project]\nname='a'\nversion=\"1.1\"\n"
        );
        let text = "[workspace]\nmembers=[]\n[workspace.package]\nversion = \"1.0.0\"\n";
        assert!(set_workspace_version(text, "Cargo.toml", "1.1.0").unwrap().contains("version = \"1.1.0\""));
        assert!(
            set_package_version("[package]\nname='a'\nversion.workspace=true\n", "f", Ecosystem::Cargo, "1").is_err()
        );
    }

    /// Found by the `manifest_text` fuzz target (fuzz/regressions/manifest_text).
    #[test]
    fn line_ends_and_final_newline_are_kept() {
        let crlf = "[package]\r\nname = \"x\"\r\nversion = \"1.0.0\"\r\n";
        let out = set_package_version(crlf, "f", Ecosystem::Cargo, "1.1.0").unwrap();
        assert_eq!(out, crlf.replace("1.0.0", "1.1.0"));
        let bare = "[package]\nversion = \"1\"";
        assert_eq!(set_package_version(bare, "f", Ecosystem::Cargo, "2").unwrap(), "[package]\nversion = \"2\"");
        assert!(pep508::parse(" ").is_err());
        assert!(pep508::parse("").is_err());
    }

    #[test]
    fn version_files() {
        assert_eq!(set_file_version("1.0.0\n", "1.0.0", "1.1.0").unwrap(), "1.1.0\n");
        let text = "\"\"\"doc 1.0\"\"\"\n__version__ = \"1.0\"\nother = \"1.0\"\n";
        assert_eq!(
            set_file_version(text, "1.0", "2.0").unwrap(),
            "\"\"\"doc 1.0\"\"\"\n__version__ = \"2.0\"\nother = \"1.0\"\n"
        );
        assert_eq!(set_file_version("x = 1\n", "1.0", "2.0"), None);
    }

    #[test]
    fn requirement_styles() {
        assert_eq!(new_cargo_req("1.2", &sem("2.0.0")), "2.0.0");
        assert_eq!(new_cargo_req("=1.2.0", &sem("1.3.0")), "=1.3.0");
        assert_eq!(new_cargo_req("~1.2", &sem("1.3.0")), "~1.3.0");
        assert_eq!(new_python_spec(">=1.2,<2", &py("2.0.0")), ">=1.2,<3");
        assert_eq!(new_python_spec("==1.0", &py("1.1")), "==1.1");
        assert_eq!(new_python_spec("~=1.2", &py("2.0")), "~=2.0");
        assert_eq!(new_python_spec(">1.2", &py("0.9")), ">=0.9");
    }

    #[test]
    fn cargo_requirements_by_path() {
        let text = "[package]\nname = \"app\"\n\n[dependencies]\ncore = { version = \"1.0\", path = \"../core\" } # keep\nother = \"1\"\n\n[target.'cfg(unix)'.dev-dependencies]\nc2 = { package = \"core\", path = \"../core\", version = \"=1.0.0\" }\n";
        let released = HashMap::from([("crates/core".to_string(), ("core".to_string(), sem("2.0.0")))]);
        let (out, changes) =
            update_cargo_requirements(text, "f", "crates/app", &released, &HashMap::new(), &HashMap::new()).unwrap();
        assert_eq!(changes.len(), 2);
        assert!(out.contains("core = { version = \"2.0.0\", path = \"../core\" } # keep"), "{out}");
        assert!(out.contains("version = \"=2.0.0\""), "{out}");
        let same = HashMap::from([("crates/core".to_string(), ("core".to_string(), sem("1.0.0")))]);
        let (out, changes) =
            update_cargo_requirements(text, "f", "crates/app", &same, &HashMap::new(), &HashMap::new()).unwrap();
        assert!(changes.is_empty());
        assert_eq!(out, text);
    }

    /// tokio: `tokio = "1.2.0"` is internal through `[patch.crates-io] tokio = { path = "tokio" }`.
    #[test]
    fn cargo_requirements_through_a_patch() {
        let text = "[package]\nname = \"tokio-test\"\n\n[dependencies]\ntokio = \"1.2.0\" # patched\nbytes = \"1\"\n\n[dev-dependencies]\ntokio = { version = \"1.2.0\", features = [\"full\"] }\nmine = { version = \"1\", registry = \"corp\" }\n";
        let patched = HashMap::from([
            (("crates-io".to_string(), "tokio".to_string()), ("tokio".to_string(), sem("2.0.0"))),
            (("crates-io".to_string(), "mine".to_string()), ("mine".to_string(), sem("2.0.0"))),
        ]);
        let (out, changes) =
            update_cargo_requirements(text, "f", "tokio-test", &HashMap::new(), &patched, &HashMap::new()).unwrap();
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(out.contains("tokio = \"2.0.0\" # patched"), "{out}");
        assert!(out.contains("tokio = { version = \"2.0.0\", features = [\"full\"] }"), "{out}");
        assert!(out.contains("mine = { version = \"1\", registry = \"corp\" }"), "another registry's patch: {out}");
        assert!(out.contains("bytes = \"1\""), "{out}");
    }

    /// autogen-studio's `autogen-core<0.7` beside a workspace autogen-core 0.7.5: left as written.
    #[test]
    fn a_requirement_that_admitted_neither_version_stays() {
        let text = "[project]\nname = \"studio\"\ndependencies = [\"core>=0.4,<0.7\", \"app>=0.7,<0.8\"]\n";
        let released = HashMap::from([("core".to_string(), py("0.8.0")), ("app".to_string(), py("0.8.0"))]);
        let current = HashMap::from([("core".to_string(), py("0.7.5")), ("app".to_string(), py("0.7.5"))]);
        let (out, changes) = update_python_requirements(text, "f", &released, &current).unwrap();
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert!(out.contains("\"core>=0.4,<0.7\"") && !out.contains("\"app>=0.7,<0.8\""), "{out}");
        let text = "[dependencies]\ncore = { version = \"0.4\", path = \"../core\" }\n";
        let released = HashMap::from([("crates/core".to_string(), ("core".to_string(), sem("0.8.0")))]);
        let current = HashMap::from([("core".to_string(), sem("0.7.5"))]);
        let (out, _) =
            update_cargo_requirements(text, "f", "crates/app", &released, &HashMap::new(), &current).unwrap();
        assert_eq!(out, text);
    }

    #[test]
    fn python_requirements_keep_extras_and_markers() {
        let text = "[project]\nname = \"client\"\ndependencies = [\n  \"Models[speed] >=1.2,<2 ; python_version >= '3.9'\", # internal\n  \"requests>=2\",\n]\n[project.optional-dependencies]\ncli = [\"tool>=0.1\"]\n[dependency-groups]\ndev = [\"models==1.2.0\"]\n";
        let released = HashMap::from([("models".to_string(), py("2.0.0"))]);
        let (out, changes) = update_python_requirements(text, "f", &released, &HashMap::new()).unwrap();
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(out.contains("\"Models[speed] >=1.2,<3 ; python_version >= '3.9'\", # internal"), "{out}");
        assert!(out.contains("dev = [\"models==2.0.0\"]"), "{out}");
        let versions = HashMap::from([("models".to_string(), py("2.0.0")), ("tool".to_string(), py("0.3.0"))]);
        let pinned = pin_python_requirements(text, "f", &versions).unwrap();
        assert!(pinned.contains("\"Models[speed] ==2.0.0 ; python_version >= '3.9'\""), "{pinned}");
        assert!(pinned.contains("cli = [\"tool==0.3.0\"]"), "{pinned}");
        assert!(pinned.contains("\"requests>=2\""));
        // dependency groups are not published metadata: not pinned
        assert!(pinned.contains("dev = [\"models==1.2.0\"]"));
    }
}
