//! uv workspaces (or a single `[project]`): `[tool.uv.workspace]`
//! members/exclude globs, `[project] dependencies` and optional dependencies
//! matched to members by normalized name (PEP 503), `[tool.uv.sources]`
//! workspace sources, dependency groups as dev dependencies, the
//! "Private :: Do Not Upload" classifier, and dynamic versions.

use std::collections::HashMap;
use std::path::Path;

use toml_edit::{DocumentMut, Item};

use super::pep508::{self, normalize};
use super::{
    expand_members, glob_excluder, join_rel, read_toml, BuiltFrom, Dep, DepKind, Package, Vcs, VersionSource, Workspace,
};
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
        let mut dead = vec![];
        let found = expand_members(
            &ws.root,
            &dir,
            &list("members"),
            &excluded,
            "pyproject.toml",
            &root_manifest,
            Some(&mut dead),
        )?;
        for m in found {
            if !member_dirs.contains(&m) {
                member_dirs.push(m);
            }
        }
        for pattern in dead {
            // uv ignores it; `check` says so
            ws.issue(
                Code::MemberGlob,
                &root_manifest,
                format!("{root_manifest}: [tool.uv.workspace] members entry `{pattern}` matches no folder with a pyproject.toml (uv ignores it)"),
                format!("remove `{pattern}` from [tool.uv.workspace] members, or add the member it names"),
            );
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
    // (source, manifest, the member it applies to; `None`: the root's, for every member)
    let mut dangling: Vec<(String, String, Option<String>)> = workspace_sources(&root_doc)
        .into_iter()
        .filter(|(s, w)| *w && !members.contains_key(s))
        .map(|(s, _)| (s, root_manifest.clone(), None))
        .collect();
    // every requirement's name (normalized), by member
    let mut required: Vec<(String, std::collections::BTreeSet<String>)> = vec![];
    let mut lock: Option<Option<DocumentMut>> = None;

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
        let dynamic: Vec<&str> = project
            .get("dynamic")
            .and_then(Item::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let mut built_from: Option<MaturinCrate> = None;
        // a virtual project is never built, so it needs no version (pyo3's root: dynamic, no source)
        let virtual_project = virtual_reason(doc).is_some();
        let (version_text, version_source) = match project.get("version").and_then(Item::as_str) {
            Some(v) => (v.to_string(), VersionSource::Manifest),
            None if dynamic.contains(&"version") => match dynamic_version(ws, member_dir, doc) {
                Ok(found) => {
                    built_from = found.maturin;
                    (found.text, found.source)
                }
                Err(_) if virtual_project => (String::new(), VersionSource::Missing),
                Err((code, why)) => {
                    ws.issue(
                        code,
                        &name,
                        format!("{manifest} has a dynamic version: {why}"),
                        if code == Code::VersionPattern {
                            "simplify [tool.hatch.version] pattern (see `cargo xtask explain XR029`), or make the version static in [project]"
                        } else {
                            "make the version static in [project], or fix the key the message names (see `cargo xtask explain XR023`)"
                        },
                    );
                    (String::new(), VersionSource::Missing)
                }
            },
            None if virtual_project => (String::new(), VersionSource::Missing),
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
        if built_from.is_none() && backend(doc) == Some("maturin") {
            // a static version: still built from the crate (shown by `graph`)
            built_from = maturin_crate(ws, member_dir, doc).ok();
        }
        let version = if matches!(version_source, VersionSource::Missing | VersionSource::Vcs(_)) {
            None
        } else {
            let crate_file = match &version_source {
                VersionSource::Crate { manifest, workspace } => Some(workspace.as_ref().unwrap_or(manifest)),
                _ => None,
            };
            match (Version::parse(Ecosystem::Python, &version_text), crate_file) {
                (Ok(v), _) => Some(v),
                // maturin reads the crate's SemVer version as PEP 440, and refuses what is none
                (Err(e), Some(file)) => {
                    ws.issue(
                        Code::InvalidVersion,
                        &name,
                        format!("{manifest}: maturin reads the version in {file} as PEP 440: {e}"),
                        format!("in {file}, use a pre-release PEP 440 knows (-alpha.N, -beta.N, -rc.N, -dev.N); maturin refuses this one too"),
                    );
                    None
                }
                (Err(e), None) => {
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

        // `{ workspace = true }` sources naming no member: judged once every requirement is known
        if *member_dir != dir {
            let own = workspace_sources(doc).into_iter().filter(|(s, w)| *w && !members.contains_key(s));
            dangling.extend(own.map(|(s, _)| (s, manifest.clone(), Some(name.clone()))));
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
        if dynamic.contains(&"dependencies") || dynamic.contains(&"optional-dependencies") {
            // filled in by a build hook: uv.lock records what the build really declares
            if lock.is_none() {
                lock = Some(read_lock(ws, &dir));
            }
            match lock.as_ref().and_then(|l| l.as_ref()).and_then(|l| locked_requirements(l, &name)) {
                Some(locked) => requirements.extend(locked),
                None => ws.issue(
                    Code::DynamicDependencies,
                    &name,
                    format!(
                        "{manifest} has dynamic dependencies and {} records no requirements of {name}",
                        join_rel(&dir, "uv.lock")
                    ),
                    format!("run `uv lock` in {dir} and commit uv.lock, or list the dependencies in [project]"),
                ),
            }
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
        let mut names = std::collections::BTreeSet::new();
        for (text, kind, optional) in requirements {
            let req = match pep508::parse(&text) {
                Ok(r) => r,
                Err(e) => {
                    ws.issue(Code::InvalidVersion, &name, format!("{manifest}: {e}"), "fix the requirement string");
                    continue;
                }
            };
            names.insert(normalize(&req.name));
            let Some(target) = members.get(&normalize(&req.name)) else {
                continue;
            };
            // `all = ["pkg[a,b]"]` inside pkg names the package's own extras: not a dependency
            // (uv records no edge either). In a dependency group (`dev = ["pkg[cli]"]`) uv does
            // record one; a dev edge never orders publishing, so it is kept as uv has it.
            if optional && normalize(&req.name) == normalize(&name) {
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
        // a maturin crate outside the Cargo root: the crates it compiles in order this package
        deps.extend(built_from.as_ref().map(|c| c.compiled.clone()).unwrap_or_default());

        let description = project.get("description").and_then(Item::as_str).map(str::to_string);
        let license = project.get("license").is_some()
            || project
                .get("classifiers")
                .and_then(Item::as_array)
                .is_some_and(|a| a.iter().any(|v| v.as_str().is_some_and(|c| c.starts_with("License ::"))));
        required.push((name.clone(), names));
        ws.packages.push(Package {
            name,
            ecosystem: Ecosystem::Python,
            dir: member_dir.clone(),
            manifest: manifest.clone(),
            version_text,
            version,
            version_source,
            unpublishable: virtual_reason(doc)
                .or_else(|| private.then(|| "classifier \"Private :: Do Not Upload\" in pyproject.toml".to_string())),
            deps,
            description,
            license,
            built_from: built_from.map(|c| c.built_from),
        });
    }
    report_dangling_sources(ws, &dangling, &required, &root_manifest);
    Ok(())
}

/// A `{ workspace = true }` source naming no member stops uv only when a
/// member it applies to requires that name; otherwise uv ignores it, and
/// `check` warns.
fn report_dangling_sources(
    ws: &mut Workspace,
    dangling: &[(String, String, Option<String>)],
    required: &[(String, std::collections::BTreeSet<String>)],
    root_manifest: &str,
) {
    let root_package = required.first().map(|(n, _)| n.clone()).unwrap_or_else(|| root_manifest.to_string());
    for (src, manifest, member) in dangling {
        let users: Vec<&str> = required
            .iter()
            .filter(|(n, names)| member.as_ref().is_none_or(|m| m == n) && names.contains(src))
            .map(|(n, _)| n.as_str())
            .collect();
        let package = member.clone().unwrap_or_else(|| root_package.clone());
        let what = format!(
            "{manifest}: [tool.uv.sources] {src} = {{ workspace = true }} but no workspace member is named `{src}`"
        );
        let add = format!("add the member to [tool.uv.workspace] members in {root_manifest}");
        if users.is_empty() {
            ws.warn(
                Code::UnknownMember,
                &package,
                format!("{what}; no member requires it (uv ignores it)"),
                format!("remove the source, or {add}"),
            );
        } else {
            let who = users.join(", ");
            let verb = if users.len() == 1 { "requires" } else { "require" };
            ws.issue(
                Code::UnknownMember,
                &package,
                format!("{what}, and {who} {verb} it (uv refuses to lock this)"),
                format!("{add}, or remove the source and the requirement"),
            );
        }
    }
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

/// A dynamic version, found.
struct Found {
    text: String,
    source: VersionSource,
    /// maturin: the crate it comes from.
    maturin: Option<MaturinCrate>,
}

/// `[build-system] build-backend`.
fn backend(doc: &DocumentMut) -> Option<&str> {
    doc.get("build-system").and_then(|b| b.get("build-backend")).and_then(Item::as_str)
}

/// Whether `[build-system] requires` names the distribution `dist`.
fn build_requires(doc: &DocumentMut, dist: &str) -> bool {
    doc.get("build-system").and_then(|b| b.get("requires")).and_then(Item::as_array).is_some_and(|a| {
        a.iter().filter_map(|v| v.as_str()).any(|r| pep508::parse(r).is_ok_and(|r| normalize(&r.name) == dist))
    })
}

/// Why uv never builds this project, if it does not: `[tool.uv] package =
/// false`, or no `[build-system]` without `package = true` (a virtual project).
fn virtual_reason(doc: &DocumentMut) -> Option<String> {
    let package = doc.get("tool").and_then(|t| t.get("uv")).and_then(|u| u.get("package")).and_then(Item::as_bool);
    match package {
        Some(false) => Some("virtual: [tool.uv] package = false (uv never builds it)".into()),
        None if doc.get("build-system").is_none() => {
            Some("virtual: no [build-system] (uv never builds it; add one to publish it)".into())
        }
        _ => None,
    }
}

/// Finds a dynamic version: maturin's crate, a VCS plugin, a hatch/pdm
/// `path`, setuptools `attr` or `file`. The error says what was tried.
fn dynamic_version(ws: &Workspace, member_dir: &str, doc: &DocumentMut) -> Result<Found, (Code, String)> {
    let tool = doc.get("tool");
    let get = |path: &[&str]| -> Option<&Item> {
        let mut item = tool?;
        for k in path {
            item = item.get(k)?;
        }
        Some(item)
    };
    let err = |why: String| (Code::DynamicVersion, why);
    if backend(doc) == Some("maturin") {
        let c = maturin_crate(ws, member_dir, doc).map_err(err)?;
        return Ok(Found { text: c.text.clone(), source: c.source.clone(), maturin: Some(c) });
    }
    let vcs = |v: Vcs| Ok(Found { text: String::new(), source: VersionSource::Vcs(v), maturin: None });
    let hatch_source = get(&["hatch", "version", "source"]).and_then(Item::as_str);
    match hatch_source {
        Some("vcs") => return vcs(Vcs::SetuptoolsScm),
        Some("uv-dynamic-versioning") => return vcs(Vcs::UvDynamicVersioning),
        _ => {}
    }
    let pdm_source = get(&["pdm", "version", "source"]).and_then(Item::as_str);
    if pdm_source == Some("scm") {
        return vcs(Vcs::PdmScm);
    }
    let hatch_path = get(&["hatch", "version", "path"]).and_then(Item::as_str);
    let pdm_path = get(&["pdm", "version", "path"]).and_then(Item::as_str);
    let st = get(&["setuptools", "dynamic", "version"]);
    if hatch_path.is_none() && pdm_path.is_none() && st.is_none() {
        if get(&["uv-dynamic-versioning"]).is_some() {
            return vcs(Vcs::UvDynamicVersioning);
        }
        if get(&["setuptools_scm"]).is_some()
            || get(&["vcs-versioning"]).is_some()
            || build_requires(doc, "setuptools-scm")
            || build_requires(doc, "vcs-versioning")
        {
            return vcs(Vcs::SetuptoolsScm);
        }
    }
    if let Some(path) = hatch_path {
        let pattern = get(&["hatch", "version", "pattern"]).and_then(Item::as_str).map(str::to_string);
        let rel = join_rel(member_dir, path);
        let text = std::fs::read_to_string(ws.root.join(&rel))
            .map_err(|e| err(format!("[tool.hatch.version] path = \"{path}\": cannot read {rel}: {e}")))?;
        let found = match &pattern {
            Some(p) => {
                let pat = VersionPattern::parse(p).map_err(|why| {
                    (Code::VersionPattern, format!("[tool.hatch.version] pattern `{p}` cannot be honored: {why}"))
                })?;
                pat.find(&text).map(|(a, b)| text[a..b].to_string())
            }
            None => VersionPattern::hatch_default().find(&text).map(|(a, b)| text[a..b].to_string()),
        };
        let v = found.ok_or_else(|| {
            err(match &pattern {
                Some(p) => format!("{rel} has no line [tool.hatch.version] pattern `{p}` matches"),
                None => format!(
                    "{rel} has no `__version__ = \"...\"` or `VERSION = \"...\"` line (hatch's default pattern)"
                ),
            })
        })?;
        return Ok(Found { text: v, source: VersionSource::File { path: rel, pattern }, maturin: None });
    }
    let candidates: Vec<(String, String)> = if let Some(p) = pdm_path {
        vec![(p.to_string(), "__version__".into())]
    } else if let Some(attr) = st.and_then(|v| v.get("attr")).and_then(Item::as_str) {
        let (module, var) = attr.rsplit_once('.').ok_or(err(format!("attr `{attr}` has no module")))?;
        let m = module.replace('.', "/");
        [format!("src/{m}/__init__.py"), format!("{m}/__init__.py"), format!("src/{m}.py"), format!("{m}.py")]
            .into_iter()
            .map(|f| (f, var.to_string()))
            .collect()
    } else if let Some(file) = st.and_then(|v| v.get("file")).and_then(Item::as_str) {
        let rel = join_rel(member_dir, file);
        let text = std::fs::read_to_string(ws.root.join(&rel)).map_err(|e| err(format!("cannot read {rel}: {e}")))?;
        return Ok(Found {
            text: text.trim().to_string(),
            source: VersionSource::File { path: rel, pattern: None },
            maturin: None,
        });
    } else {
        return Err(err("no version source: none of [tool.hatch.version] path or source, [tool.pdm.version], \
             [tool.setuptools.dynamic] version, [tool.setuptools_scm], [tool.uv-dynamic-versioning] or a maturin \
             build-backend says where the version comes from"
            .into()));
    };
    for (file, var) in &candidates {
        let rel = join_rel(member_dir, file);
        let Ok(text) = std::fs::read_to_string(ws.root.join(&rel)) else {
            continue;
        };
        if let Some(v) = find_assignment(&text, var) {
            return Ok(Found { text: v, source: VersionSource::File { path: rel, pattern: None }, maturin: None });
        }
        return Err(err(format!("{rel} has no `{var} = \"...\"` line")));
    }
    Err(err(format!(
        "none of {} exists",
        candidates.iter().map(|(f, _)| join_rel(member_dir, f)).collect::<Vec<_>>().join(", ")
    )))
}

/// The crate a maturin package is built from and its version.
struct MaturinCrate {
    text: String,
    source: VersionSource,
    built_from: BuiltFrom,
    /// A crate outside the Cargo root: the members it depends on by path.
    compiled: Vec<Dep>,
}

/// `[tool.maturin] manifest-path` (default `Cargo.toml` next to the
/// pyproject): its `[package] version`, or `[workspace.package] version` of
/// its workspace root for `version.workspace = true`.
fn maturin_crate(ws: &Workspace, member_dir: &str, doc: &DocumentMut) -> Result<MaturinCrate, String> {
    let path = doc
        .get("tool")
        .and_then(|t| t.get("maturin"))
        .and_then(|m| m.get("manifest-path"))
        .and_then(Item::as_str)
        .unwrap_or("Cargo.toml");
    let manifest = join_rel(member_dir, path);
    let member = ws.packages.iter().find(|p| p.ecosystem == Ecosystem::Cargo && p.manifest == manifest);
    if let Some(c) = member {
        let source = match &c.version_source {
            VersionSource::Manifest => VersionSource::Crate { manifest: manifest.clone(), workspace: None },
            VersionSource::CargoWorkspace => VersionSource::Crate {
                manifest: manifest.clone(),
                workspace: Some(join_rel(ws.cargo_root.as_deref().unwrap_or("."), "Cargo.toml")),
            },
            _ => return Err(format!("maturin builds it from {manifest}, which has no version")),
        };
        let built_from = BuiltFrom { name: c.name.clone(), manifest, member: true };
        return Ok(MaturinCrate { text: c.version_text.clone(), source, built_from, compiled: vec![] });
    }
    // a crate outside the Cargo workspace discovered here: read it directly
    let text = std::fs::read_to_string(ws.root.join(&manifest)).map_err(|e| {
        format!("maturin builds it from {manifest} ([tool.maturin] manifest-path), which cannot be read: {e}")
    })?;
    let crate_doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        format!("{manifest} is not valid TOML: {}", crate::config::one_line(&e.to_string()))
    })?;
    let crate_dir = manifest.rsplit_once('/').map_or(".".to_string(), |(d, _)| d.to_string());
    let built_from = BuiltFrom {
        name: crate_doc.get("package").and_then(|p| p.get("name")).and_then(Item::as_str).unwrap_or("").to_string(),
        manifest: manifest.clone(),
        member: false,
    };
    let compiled = super::cargo::compiled_members(ws, &crate_doc, &crate_dir);
    let version = crate_doc.get("package").and_then(|p| p.get("version"));
    if let Some(v) = version.and_then(Item::as_str) {
        return Ok(MaturinCrate {
            text: v.to_string(),
            source: VersionSource::Crate { manifest, workspace: None },
            built_from,
            compiled,
        });
    }
    let inherits = version.and_then(|v| v.get("workspace")).and_then(Item::as_bool) == Some(true);
    if !inherits {
        return Err(format!("maturin builds it from {manifest}, which has no [package] version"));
    }
    // the workspace root: the nearest folder above with a [workspace] Cargo.toml
    let mut dir = crate_dir;
    while dir != "." {
        dir = dir.rsplit_once('/').map_or(".".to_string(), |(d, _)| d.to_string());
        let root = join_rel(&dir, "Cargo.toml");
        let Ok(text) = std::fs::read_to_string(ws.root.join(&root)) else { continue };
        let Ok(root_doc) = text.parse::<DocumentMut>() else { continue };
        let Some(w) = root_doc.get("workspace") else { continue };
        let v = w.get("package").and_then(|p| p.get("version")).and_then(Item::as_str).ok_or_else(|| {
            format!("{manifest} says version.workspace = true but {root} has no [workspace.package] version")
        })?;
        return Ok(MaturinCrate {
            text: v.to_string(),
            source: VersionSource::Crate { manifest, workspace: Some(root) },
            built_from,
            compiled,
        });
    }
    Err(format!("{manifest} says version.workspace = true but no Cargo workspace above it was found"))
}

/// uv.lock at the Python root, when there is one that parses.
fn read_lock(ws: &Workspace, dir: &str) -> Option<DocumentMut> {
    std::fs::read_to_string(ws.root.join(join_rel(dir, "uv.lock"))).ok()?.parse().ok()
}

/// A member's requirements as uv recorded them (`[package.metadata]
/// requires-dist`); `None` when uv.lock has no local entry for it.
fn locked_requirements(lock: &DocumentMut, name: &str) -> Option<Vec<(String, DepKind, bool)>> {
    let packages = lock.get("package")?.as_array_of_tables()?;
    let entry = packages.iter().find(|p| {
        p.get("name").and_then(Item::as_str).is_some_and(|n| normalize(n) == normalize(name))
            && p.get("source")
                .and_then(Item::as_inline_table)
                .is_some_and(|s| s.contains_key("editable") || s.contains_key("virtual"))
    })?;
    let dist = entry.get("metadata")?.get("requires-dist")?.as_array()?;
    let mut out = vec![];
    for r in dist.iter().filter_map(|v| v.as_inline_table()) {
        let Some(n) = r.get("name").and_then(|v| v.as_str()) else { continue };
        let spec = r.get("specifier").and_then(|v| v.as_str()).unwrap_or("");
        let marker = r.get("marker").and_then(|v| v.as_str()).unwrap_or("");
        let optional = marker.contains("extra ==");
        let text = if marker.is_empty() { format!("{n}{spec}") } else { format!("{n}{spec} ; {marker}") };
        out.push((text, DepKind::Normal, optional));
    }
    Some(out)
}

/// The subset of a Python regular expression hatch's `pattern` needs: literal
/// text, `^`, `(?i)`, whitespace runs, quote classes and back-references to
/// them, and the `version` group followed by what ends it.
#[derive(Debug, Clone)]
pub struct VersionPattern {
    tokens: Vec<Tok>,
    anchored: bool,
    ignore_case: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(char),
    /// whitespace (`\s`) or spaces only (` `), at least `min` of them
    Space {
        min: usize,
        any_ws: bool,
    },
    /// `[\'"]`: one of these characters; `(...)` around it makes it group `n`
    Class(Vec<char>, Option<usize>),
    /// `\N`: what group N matched
    Backref(usize),
    /// `v?`-like optional literal
    Opt(char),
    /// `(__version__|VERSION)`: one of these words
    Alt(Vec<String>),
    /// `(?::\s*str)?`-like optional literal run
    OptRun(Vec<Tok>),
    Version,
}

impl VersionPattern {
    /// hatch's default: `__version__` or `VERSION` (any case, optionally
    /// annotated `: str`) set to a quoted string, the version optionally after a `v`.
    pub fn hatch_default() -> VersionPattern {
        VersionPattern::parse(r#"(?i)^(__version__|VERSION)(?:\s*:\s*str)? *= *(['"])v?(?P<version>.+?)\2"#)
            .expect("the default pattern is in the subset")
    }

    pub fn parse(p: &str) -> Result<VersionPattern, String> {
        let (ignore_case, p) = match p.strip_prefix("(?i)") {
            Some(rest) => (true, rest),
            None => (false, p),
        };
        let (anchored, p) = match p.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, p),
        };
        let mut groups = 0;
        let tokens = parse_tokens(p, &mut groups)?;
        if tokens.iter().filter(|t| **t == Tok::Version).count() != 1 {
            return Err("it needs exactly one `(?P<version>...)` group".into());
        }
        Ok(VersionPattern { tokens, anchored, ignore_case })
    }

    /// The byte range of the version in the first line that matches.
    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches(['\n', '\r']);
            let starts: Vec<usize> =
                if self.anchored { vec![0] } else { body.char_indices().map(|(i, _)| i).chain([body.len()]).collect() };
            for s in starts {
                let mut caps = vec![None; 10];
                let mut version = None;
                if self.run(&self.tokens, body, s, &mut caps, &mut version).is_some() {
                    if let Some((a, b)) = version {
                        return Some((offset + a, offset + b));
                    }
                }
            }
            offset += line.len();
        }
        None
    }

    fn eq(&self, a: char, b: char) -> bool {
        if self.ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    }

    /// Matches `toks` at `pos`; returns the end. Backtracks over whitespace
    /// runs, optional parts and the (lazy) version group.
    fn run(
        &self,
        toks: &[Tok],
        s: &str,
        pos: usize,
        caps: &mut Vec<Option<char>>,
        version: &mut Option<(usize, usize)>,
    ) -> Option<usize> {
        let Some((first, rest)) = toks.split_first() else { return Some(pos) };
        let next = s[pos..].chars().next();
        match first {
            Tok::Lit(c) => {
                (next.is_some_and(|n| self.eq(n, *c))).then(|| self.run(rest, s, pos + c.len_utf8(), caps, version))?
            }
            Tok::Opt(c) => {
                if next.is_some_and(|n| self.eq(n, *c)) {
                    if let Some(end) = self.run(rest, s, pos + c.len_utf8(), caps, version) {
                        return Some(end);
                    }
                }
                self.run(rest, s, pos, caps, version)
            }
            Tok::Space { min, any_ws } => {
                let run: Vec<usize> = s[pos..]
                    .char_indices()
                    .take_while(|(_, c)| if *any_ws { c.is_whitespace() } else { *c == ' ' })
                    .map(|(i, c)| pos + i + c.len_utf8())
                    .collect();
                let ends: Vec<usize> = std::iter::once(pos).chain(run).collect();
                for (n, &end) in ends.iter().enumerate().rev() {
                    if n < *min {
                        break;
                    }
                    if let Some(e) = self.run(rest, s, end, caps, version) {
                        return Some(e);
                    }
                }
                None
            }
            Tok::Class(chars, group) => {
                let c = next.filter(|n| chars.contains(n))?;
                if let Some(g) = group {
                    caps[*g] = Some(c);
                }
                self.run(rest, s, pos + c.len_utf8(), caps, version)
            }
            Tok::Backref(g) => {
                let c = caps.get(*g).copied().flatten()?;
                (next == Some(c)).then(|| self.run(rest, s, pos + c.len_utf8(), caps, version))?
            }
            Tok::Alt(words) => {
                for w in words {
                    let end = pos + w.len();
                    if s.get(pos..end)
                        .is_some_and(|t| if self.ignore_case { t.eq_ignore_ascii_case(w) } else { t == w })
                    {
                        if let Some(e) = self.run(rest, s, end, caps, version) {
                            return Some(e);
                        }
                    }
                }
                None
            }
            Tok::OptRun(inner) => {
                let mut all: Vec<Tok> = inner.clone();
                all.extend(rest.iter().cloned());
                self.run(&all, s, pos, caps, version).or_else(|| self.run(rest, s, pos, caps, version))
            }
            Tok::Version => {
                // lazy: the shortest non-empty version after which the rest matches
                for (i, c) in s[pos..].char_indices() {
                    let end = pos + i + c.len_utf8();
                    if let Some(e) = self.run(rest, s, end, caps, version) {
                        *version = Some((pos, end));
                        return Some(e);
                    }
                }
                None
            }
        }
    }
}

fn parse_tokens(p: &str, groups: &mut usize) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    let unsupported = |what: &str| Err(format!("{what} is outside the subset the tool reads without a regex engine"));
    while i < chars.len() {
        let c = chars[i];
        // a quantifier on the token before it
        let quant = chars.get(i + 1).copied();
        match c {
            '\\' => {
                let e = *chars.get(i + 1).ok_or("it ends with a lone `\\`")?;
                i += 2;
                if e == 's' {
                    match chars.get(i) {
                        Some('*') => out.push(Tok::Space { min: 0, any_ws: true }),
                        Some('+') => out.push(Tok::Space { min: 1, any_ws: true }),
                        _ => {
                            out.push(Tok::Space { min: 1, any_ws: true });
                            // exactly one: approximated by "at least one"
                            continue;
                        }
                    }
                    i += 1;
                    continue;
                }
                if let Some(d) = e.to_digit(10) {
                    out.push(Tok::Backref(d as usize));
                    continue;
                }
                if e.is_ascii_alphanumeric() {
                    return unsupported(&format!("`\\{e}`"));
                }
                out.push(Tok::Lit(e));
                continue;
            }
            '[' => {
                let end = (i + 1..chars.len())
                    .find(|&k| chars[k] == ']' && chars[k - 1] != '\\')
                    .ok_or("a `[` is not closed")?;
                let set: Vec<char> = chars[i + 1..end].iter().copied().filter(|c| *c != '\\').collect();
                if set.is_empty() || set.iter().any(|c| matches!(c, '^' | '-')) {
                    return unsupported("a character class other than a set of quotes");
                }
                out.push(Tok::Class(set, None));
                i = end + 1;
                continue;
            }
            '(' => {
                let close = matching_paren(&chars, i).ok_or("a `(` is not closed")?;
                let inner: String = chars[i + 1..close].iter().collect();
                let after = chars.get(close + 1).copied();
                i = close + 1;
                if let Some(body) = inner.strip_prefix("?P<version>") {
                    if body.contains(['(', ')']) {
                        return unsupported("a group inside the version group");
                    }
                    out.push(Tok::Version);
                    continue;
                }
                if let Some(body) = inner.strip_prefix("?:") {
                    let toks = parse_tokens(body, &mut 0)?;
                    if after == Some('?') {
                        i += 1;
                        out.push(Tok::OptRun(toks));
                    } else {
                        out.extend(toks);
                    }
                    continue;
                }
                if inner.starts_with('?') {
                    return unsupported(&format!("the group `({inner})`"));
                }
                *groups += 1;
                if inner.contains('|') {
                    let words: Vec<String> = inner.split('|').map(|w| w.replace('\\', "")).collect();
                    if words.iter().any(|w| w.is_empty() || w.contains(['[', '(', '*', '+', '?', '.'])) {
                        return unsupported("an alternation of anything but plain words");
                    }
                    out.push(Tok::Alt(words));
                    continue;
                }
                let toks = parse_tokens(&inner, &mut 0)?;
                match toks.as_slice() {
                    [Tok::Class(set, None)] => out.push(Tok::Class(set.clone(), Some(*groups))),
                    _ => out.extend(toks),
                }
                continue;
            }
            '.' | '*' | '+' | '?' | '|' | '$' | '{' | ')' | ']' => {
                return unsupported(&format!("`{c}` here"));
            }
            ' ' if matches!(quant, Some('*') | Some('+')) => {
                out.push(Tok::Space { min: usize::from(quant == Some('+')), any_ws: false });
                i += 2;
                continue;
            }
            _ if quant == Some('?') => {
                out.push(Tok::Opt(c));
                i += 2;
                continue;
            }
            _ => out.push(Tok::Lit(c)),
        }
        i += 1;
    }
    Ok(out)
}

fn matching_paren(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = open;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
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

    fn found(pattern: &VersionPattern, text: &str) -> Option<String> {
        pattern.find(text).map(|(a, b)| text[a..b].to_string())
    }

    /// hatch's default pattern: `__version__` or `VERSION`, any case, annotated or not, `v` prefix dropped.
    #[test]
    fn hatch_default_pattern() {
        let d = VersionPattern::hatch_default();
        assert_eq!(found(&d, "x = 1\n__version__ = \"1.2.3\"\n").as_deref(), Some("1.2.3"));
        assert_eq!(found(&d, "VERSION = '0.4.0'\n").as_deref(), Some("0.4.0"));
        assert_eq!(found(&d, "__version__: str = \"2.0\"").as_deref(), Some("2.0"));
        assert_eq!(found(&d, "version = \"v3.1\"").as_deref(), Some("3.1"));
        assert_eq!(found(&d, "__version_info__ = (1, 2)\nMY_VERSION = '9'\n"), None);
        assert_eq!(found(&d, "__version__ = \"1.0'"), None, "the closing quote must be the opening one");
    }

    #[test]
    fn custom_patterns() {
        let p = VersionPattern::parse("BUILD = 'b(?P<version>[^']+)'");
        // a negated class inside the group is fine: the group ends where the rest matches
        let p = p.unwrap();
        assert_eq!(found(&p, "BUILD = 'b1.2.3'\n").as_deref(), Some("1.2.3"));
        let p = VersionPattern::parse(r#"^version\s*=\s*"(?P<version>[^"]+)""#).unwrap();
        assert_eq!(found(&p, "name = \"x\"\nversion  =  \"0.9.1\"\n").as_deref(), Some("0.9.1"));
        let p = VersionPattern::parse(r#"__version__ = version = ['"](?P<version>.+)['"]"#).unwrap();
        assert_eq!(found(&p, "__version__ = version = '1.0.0'\n").as_deref(), Some("1.0.0"));
        for bad in [r"(?P<version>\d+)\.\d+", "v(?P<version>.*)$x", "no group here", r"(?<=a)(?P<version>x)"] {
            assert!(VersionPattern::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
