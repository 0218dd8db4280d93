//! uv workspaces (or a single `[project]`): `[tool.uv.workspace]`
//! members/exclude globs, `[project] dependencies` and optional dependencies
//! matched to members by normalized name (PEP 503), `[tool.uv.sources]`
//! workspace sources, dependency groups as dev dependencies, the
//! "Private :: Do Not Upload" classifier, and dynamic versions.

use std::collections::HashMap;
use std::path::Path;

use toml_edit::{DocumentMut, Item};

use super::pep508::{self, normalize};
use super::{expand_members, glob_excluder, join_rel, read_toml, Dep, DepKind, Package, VersionSource, Workspace};
use crate::error::Code;
use crate::version::{Ecosystem, Req, Version};

pub(super) fn discover(ws: &mut Workspace, python_root: &Path) -> anyhow::Result<()> {
    let dir = join_rel(".", python_root.to_str().unwrap_or("."));
    let root_manifest = join_rel(&dir, "pyproject.toml");
    if !ws.root.join(&root_manifest).is_file() {
        return Ok(());
    }
    let root_doc = read_toml(&ws.root, &root_manifest)?;
    let uv_ws = root_doc.get("tool").and_then(|t| t.get("uv")).and_then(|u| u.get("workspace"));
    let mut member_dirs = vec![];
    if root_doc.get("project").is_some() {
        member_dirs.push(dir.clone());
    }
    if let Some(w) = uv_ws {
        let list = |key: &str| -> Vec<String> {
            w.get(key)
                .and_then(Item::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        };
        let excluded = glob_excluder(&dir, &list("exclude"));
        for m in expand_members(&ws.root, &dir, &list("members"), &excluded, "pyproject.toml", &root_manifest)? {
            if !member_dirs.contains(&m) {
                member_dirs.push(m);
            }
        }
    }
    if member_dirs.is_empty() {
        return Ok(());
    }
    ws.python_root = Some(dir.clone());

    let mut docs = vec![];
    for m in &member_dirs {
        let manifest = join_rel(m, "pyproject.toml");
        let doc = if *m == dir { root_doc.clone() } else { read_toml(&ws.root, &manifest)? };
        docs.push((m.clone(), manifest, doc));
    }
    let mut members: HashMap<String, String> = HashMap::new(); // normalized → declared
    for (_, _, doc) in &docs {
        if let Some(n) = doc.get("project").and_then(|p| p.get("name")).and_then(Item::as_str) {
            members.insert(normalize(n), n.to_string());
        }
    }
    let root_sources = workspace_sources(&root_doc);
    let mut root_reported = false;

    for (member_dir, manifest, doc) in &docs {
        let Some(project) = doc.get("project").and_then(Item::as_table_like) else {
            // a virtual member (no [project]) is never published
            continue;
        };
        let Some(name) = project.get("name").and_then(Item::as_str).map(str::to_string) else {
            return Err(crate::error::fail(
                Code::ManifestSyntax,
                format!("{manifest}: [project] has no name"),
                format!("add `name = \"...\"` to [project] in {manifest}"),
            ));
        };
        let dynamic = project
            .get("dynamic")
            .and_then(Item::as_array)
            .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("version")));
        let (version_text, version_source) = match project.get("version").and_then(Item::as_str) {
            Some(v) => (v.to_string(), VersionSource::Manifest),
            None if dynamic => match dynamic_version(&ws.root, member_dir, doc) {
                Ok((file, v)) => (v, VersionSource::File(file)),
                Err(why) => {
                    ws.issue(
                        Code::DynamicVersion,
                        &name,
                        format!("{manifest} has a dynamic version: {why}"),
                        "make the version static in [project], or set [tool.hatch.version] path / [tool.setuptools.dynamic] version",
                    );
                    (String::new(), VersionSource::Missing)
                }
            },
            None => {
                ws.issue(
                    Code::MissingVersion,
                    &name,
                    format!("{manifest}: [project] has no version"),
                    format!("add `version = \"0.1.0\"` to [project] in {manifest}"),
                );
                (String::new(), VersionSource::Missing)
            }
        };
        let version = if version_source == VersionSource::Missing {
            None
        } else {
            match Version::parse(Ecosystem::Python, &version_text) {
                Ok(v) => Some(v),
                Err(e) => {
                    ws.issue(
                        Code::InvalidVersion,
                        &name,
                        format!("{manifest}: {e}"),
                        "Python versions follow PEP 440, e.g. 1.2.0 or 1.2.0rc1",
                    );
                    None
                }
            }
        };
        let private = project.get("classifiers").and_then(Item::as_array).is_some_and(|a| {
            a.iter().any(|v| v.as_str().is_some_and(|c| c.trim().starts_with("Private :: Do Not Upload")))
        });

        // the root's sources apply to every member: reported once, with the root
        let mut sources: Vec<(String, bool, &str)> = if *member_dir == dir {
            vec![]
        } else {
            workspace_sources(doc).into_iter().map(|(s, w)| (s, w, manifest.as_str())).collect()
        };
        if !root_reported {
            root_reported = true;
            sources.extend(root_sources.iter().map(|(s, w)| (s.clone(), *w, root_manifest.as_str())));
        }
        for (src, is_ws, manifest) in &sources {
            if *is_ws && !members.contains_key(src) {
                ws.issue(
                    Code::UnknownMember,
                    &name,
                    format!("{manifest}: [tool.uv.sources] {src} = {{ workspace = true }} but no workspace member is named `{src}`"),
                    format!("add the member to [tool.uv.workspace] members in {root_manifest}, or remove the source"),
                );
            }
        }

        // (requirement, kind, from an extra)
        let mut requirements: Vec<(String, DepKind, bool)> = vec![];
        let strings = |item: Option<&Item>| -> Vec<String> {
            item.and_then(Item::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        };
        for r in strings(project.get("dependencies")) {
            requirements.push((r, DepKind::Normal, false));
        }
        if let Some(opt) = project.get("optional-dependencies").and_then(Item::as_table_like) {
            for (_, list) in opt.iter() {
                for r in strings(Some(list)) {
                    requirements.push((r, DepKind::Normal, true));
                }
            }
        }
        if let Some(groups) = doc.get("dependency-groups").and_then(Item::as_table_like) {
            for (_, list) in groups.iter() {
                for r in strings(Some(list)) {
                    requirements.push((r, DepKind::Dev, false));
                }
            }
        }
        let legacy_dev = doc.get("tool").and_then(|t| t.get("uv")).and_then(|u| u.get("dev-dependencies"));
        for r in strings(legacy_dev) {
            requirements.push((r, DepKind::Dev, false));
        }

        let mut deps = vec![];
        for (text, kind, optional) in requirements {
            let req = match pep508::parse(&text) {
                Ok(r) => r,
                Err(e) => {
                    ws.issue(Code::InvalidVersion, &name, format!("{manifest}: {e}"), "fix the requirement string");
                    continue;
                }
            };
            let Some(target) = members.get(&normalize(&req.name)) else {
                continue;
            };
            // `all = ["pkg[a,b]"]` inside pkg (or `dev = ["pkg[test]"]` in a group) names the
            // package's own extras: not a dependency (uv records no edge either)
            if (optional || kind == DepKind::Dev) && normalize(&req.name) == normalize(&name) {
                continue;
            }
            let parsed = match Req::parse(Ecosystem::Python, &req.specifier) {
                Ok(r) => r,
                Err(e) => {
                    ws.issue(
                        Code::InvalidVersion,
                        &name,
                        format!("{manifest}: requirement `{text}`: {e}"),
                        "fix the specifier",
                    );
                    Req::Any
                }
            };
            deps.push(Dep { name: target.clone(), kind, req_text: req.specifier.clone(), req: parsed, optional });
        }

        let description = project.get("description").and_then(Item::as_str).map(str::to_string);
        let license = project.get("license").is_some()
            || project
                .get("classifiers")
                .and_then(Item::as_array)
                .is_some_and(|a| a.iter().any(|v| v.as_str().is_some_and(|c| c.starts_with("License ::"))));
        ws.packages.push(Package {
            name,
            ecosystem: Ecosystem::Python,
            dir: member_dir.clone(),
            manifest: manifest.clone(),
            version_text,
            version,
            version_source,
            unpublishable: private.then(|| "classifier \"Private :: Do Not Upload\" in pyproject.toml".to_string()),
            deps,
            description,
            license,
        });
    }
    Ok(())
}

/// `[tool.uv.sources]`: normalized name → whether it is `{ workspace = true }`.
fn workspace_sources(doc: &DocumentMut) -> Vec<(String, bool)> {
    let Some(sources) =
        doc.get("tool").and_then(|t| t.get("uv")).and_then(|u| u.get("sources")).and_then(Item::as_table_like)
    else {
        return vec![];
    };
    sources
        .iter()
        .map(|(k, v)| {
            let is_ws = v.as_table_like().and_then(|t| t.get("workspace")).and_then(Item::as_bool) == Some(true);
            (normalize(k), is_ws)
        })
        .collect()
}

/// Finds a dynamic version: hatch/pdm `path`, setuptools `attr` or `file`.
/// Returns the file (relative to the repository root) and the version text.
fn dynamic_version(root: &Path, member_dir: &str, doc: &DocumentMut) -> Result<(String, String), String> {
    let tool = doc.get("tool");
    let path_key = tool
        .and_then(|t| t.get("hatch"))
        .and_then(|h| h.get("version"))
        .and_then(|v| v.get("path"))
        .or_else(|| tool.and_then(|t| t.get("pdm")).and_then(|p| p.get("version")).and_then(|v| v.get("path")))
        .and_then(Item::as_str);
    let st = tool.and_then(|t| t.get("setuptools")).and_then(|s| s.get("dynamic")).and_then(|d| d.get("version"));
    let candidates: Vec<(String, Option<String>)> = if let Some(p) = path_key {
        vec![(p.to_string(), None)]
    } else if let Some(attr) = st.and_then(|v| v.get("attr")).and_then(Item::as_str) {
        let (module, var) = attr.rsplit_once('.').ok_or(format!("attr `{attr}` has no module"))?;
        let m = module.replace('.', "/");
        [format!("src/{m}/__init__.py"), format!("{m}/__init__.py"), format!("src/{m}.py"), format!("{m}.py")]
            .into_iter()
            .map(|f| (f, Some(var.to_string())))
            .collect()
    } else if let Some(file) = st.and_then(|v| v.get("file")).and_then(Item::as_str) {
        let rel = join_rel(member_dir, file);
        let text = std::fs::read_to_string(root.join(&rel)).map_err(|e| format!("cannot read {rel}: {e}"))?;
        return Ok((rel, text.trim().to_string()));
    } else {
        return Err("no [tool.hatch.version] path, [tool.pdm.version] path or [tool.setuptools.dynamic] version says where it lives".into());
    };
    for (file, var) in &candidates {
        let rel = join_rel(member_dir, file);
        let Ok(text) = std::fs::read_to_string(root.join(&rel)) else {
            continue;
        };
        if let Some(v) = find_assignment(&text, var.as_deref().unwrap_or("__version__")) {
            return Ok((rel, v));
        }
        return Err(format!("{rel} has no `{} = \"...\"` line", var.as_deref().unwrap_or("__version__")));
    }
    Err(format!(
        "none of {} exists",
        candidates.iter().map(|(f, _)| join_rel(member_dir, f)).collect::<Vec<_>>().join(", ")
    ))
}

/// The string value of `var = "..."` (or `var: str = '...'`) at the start of a line.
pub fn find_assignment(text: &str, var: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(var)?.trim_start();
        let rest = match rest.strip_prefix(':') {
            Some(r) => r.split_once('=')?.1,
            None => rest.strip_prefix('=')?,
        }
        .trim();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let inner = &rest[1..];
        Some(inner[..inner.find(quote)?].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments() {
        assert_eq!(find_assignment("x = 1\n__version__ = \"1.2.3\"\n", "__version__").as_deref(), Some("1.2.3"));
        assert_eq!(find_assignment("__version__: str = '0.1'", "__version__").as_deref(), Some("0.1"));
        assert_eq!(find_assignment("__version_info__ = (1,)", "__version__"), None);
    }
}
