//! Cargo workspaces: `[workspace] members`/`exclude`, `[workspace.package]`
//! inheritance, `[workspace.dependencies]`, `publish = false`, path
//! dependencies (renamed ones too) in every dependency table, target-specific
//! tables included.

use std::collections::HashMap;

use toml_edit::{DocumentMut, Item, TableLike};

use super::{expand_members, join_rel, read_toml, Dep, DepKind, Package, VersionSource, Workspace};
use crate::error::Code;
use crate::version::{Ecosystem, Req, Version};

pub(super) fn discover(ws: &mut Workspace, cargo_root: &std::path::Path) -> anyhow::Result<()> {
    let dir = join_rel(".", cargo_root.to_str().unwrap_or("."));
    let root_manifest = join_rel(&dir, "Cargo.toml");
    if !ws.root.join(&root_manifest).is_file() {
        return Ok(());
    }
    let root_doc = read_toml(&ws.root, &root_manifest)?;
    ws.cargo_root = Some(dir.clone());
    let workspace = root_doc.get("workspace").and_then(Item::as_table_like);

    let mut member_dirs: Vec<String> = vec![];
    if root_doc.get("package").is_some() {
        member_dirs.push(dir.clone());
    }
    if let Some(w) = workspace {
        let members = string_list(w.get("members"));
        let exclude = string_list(w.get("exclude"));
        for m in expand_members(&ws.root, &dir, &members, &exclude, "Cargo.toml", &root_manifest)? {
            if !member_dirs.contains(&m) {
                member_dirs.push(m);
            }
        }
    }

    let ws_version = workspace
        .and_then(|w| w.get("package"))
        .and_then(Item::as_table_like)
        .and_then(|p| p.get("version"))
        .and_then(Item::as_str)
        .map(str::to_string);
    let ws_package = workspace.and_then(|w| w.get("package")).and_then(Item::as_table_like);
    let ws_deps = workspace.and_then(|w| w.get("dependencies")).and_then(Item::as_table_like);

    // Read every member first: dependencies are resolved by path to a member folder.
    let mut docs: Vec<(String, String, DocumentMut)> = vec![];
    for m in &member_dirs {
        let manifest = join_rel(m, "Cargo.toml");
        let doc = if *m == dir { root_doc.clone() } else { read_toml(&ws.root, &manifest)? };
        docs.push((m.clone(), manifest, doc));
    }
    let mut name_by_dir: HashMap<String, String> = HashMap::new();
    for (m, _, doc) in &docs {
        if let Some(name) = doc.get("package").and_then(|p| p.get("name")).and_then(Item::as_str) {
            name_by_dir.insert(m.clone(), name.to_string());
        }
    }

    for (member_dir, manifest, doc) in &docs {
        let Some(pkg) = doc.get("package").and_then(Item::as_table_like) else {
            ws.issue(Code::ManifestSyntax, member_dir, format!("{manifest} has no [package]"), "add a [package] table");
            continue;
        };
        let Some(name) = pkg.get("name").and_then(Item::as_str).map(str::to_string) else {
            return Err(crate::error::fail(
                Code::ManifestSyntax,
                format!("{manifest}: [package] has no name"),
                format!("add `name = \"...\"` to {manifest}"),
            ));
        };
        let inherits = |key: &str| {
            pkg.get(key)
                .and_then(Item::as_table_like)
                .and_then(|t| t.get("workspace"))
                .and_then(Item::as_bool)
                .unwrap_or(false)
        };
        let (version_text, version_source) = match pkg.get("version") {
            Some(v) if v.as_str().is_some() => (v.as_str().unwrap_or_default().to_string(), VersionSource::Manifest),
            Some(_) if inherits("version") => match &ws_version {
                Some(v) => (v.clone(), VersionSource::CargoWorkspace),
                None => {
                    ws.issue(
                        Code::MissingVersion,
                        &name,
                        format!("{manifest} says version.workspace = true but {root_manifest} has no [workspace.package] version"),
                        format!("add `version = \"...\"` under [workspace.package] in {root_manifest}"),
                    );
                    (String::new(), VersionSource::Missing)
                }
            },
            Some(_) => {
                ws.issue(
                    Code::InvalidVersion,
                    &name,
                    format!("{manifest}: `version` is not a string"),
                    "write the version as a string",
                );
                (String::new(), VersionSource::Missing)
            }
            None => (String::new(), VersionSource::Missing),
        };
        let version = if version_source == VersionSource::Missing {
            None
        } else {
            match Version::parse(Ecosystem::Cargo, &version_text) {
                Ok(v) => Some(v),
                Err(e) => {
                    ws.issue(
                        Code::InvalidVersion,
                        &name,
                        format!("{manifest}: {e}"),
                        "crate versions are SemVer: MAJOR.MINOR.PATCH[-pre]",
                    );
                    None
                }
            }
        };
        let publish = pkg
            .get("publish")
            .or_else(|| inherits("publish").then(|| ws_package.and_then(|p| p.get("publish"))).flatten());
        let unpublishable = match publish {
            Some(p) if p.as_bool() == Some(false) => Some("publish = false in Cargo.toml".to_string()),
            Some(p) if p.as_array().is_some_and(|a| a.is_empty()) => Some("publish = [] in Cargo.toml".to_string()),
            _ if version_source == VersionSource::Missing => {
                Some("no version in Cargo.toml (cargo treats the crate as 0.0.0 and unpublishable)".to_string())
            }
            _ => None,
        };
        let field = |key: &str| -> Option<String> {
            match pkg.get(key) {
                Some(v) if v.as_str().is_some() => v.as_str().map(str::to_string),
                Some(_) if inherits(key) => {
                    ws_package.and_then(|p| p.get(key)).and_then(Item::as_str).map(str::to_string)
                }
                _ => None,
            }
        };
        let description = field("description");
        let license = field("license").is_some() || field("license-file").is_some();

        let mut deps = vec![];
        let mut tables: Vec<(&dyn TableLike, DepKind)> = vec![];
        for (key, kind) in [
            ("dependencies", DepKind::Normal),
            ("build-dependencies", DepKind::Build),
            ("build_dependencies", DepKind::Build),
            ("dev-dependencies", DepKind::Dev),
            ("dev_dependencies", DepKind::Dev),
        ] {
            if let Some(t) = doc.get(key).and_then(Item::as_table_like) {
                tables.push((t, kind));
            }
            if let Some(targets) = doc.get("target").and_then(Item::as_table_like) {
                for (_, target) in targets.iter() {
                    if let Some(t) = target.get(key).and_then(Item::as_table_like) {
                        tables.push((t, kind));
                    }
                }
            }
        }
        for (table, kind) in tables {
            for (key, entry) in table.iter() {
                let Some(spec) = entry.as_table_like() else {
                    continue;
                }; // `name = "1.0"`: from a registry
                let mut package = spec.get("package").and_then(Item::as_str).map(str::to_string);
                let mut path = spec.get("path").and_then(Item::as_str).map(|p| join_rel(member_dir, p));
                let mut req_text = spec.get("version").and_then(Item::as_str).map(str::to_string);
                if spec.get("workspace").and_then(Item::as_bool) == Some(true) {
                    let shared = ws_deps.and_then(|d| d.get(key));
                    match shared.and_then(Item::as_table_like) {
                        Some(s) => {
                            package = package.or(s.get("package").and_then(Item::as_str).map(str::to_string));
                            path = s.get("path").and_then(Item::as_str).map(|p| join_rel(&dir, p));
                            req_text = req_text.or(s.get("version").and_then(Item::as_str).map(str::to_string));
                        }
                        None if shared.and_then(Item::as_str).is_some() => {} // `dep = "1.0"` in the workspace
                        None => ws.issue(
                            Code::UnknownMember,
                            &name,
                            format!("{manifest}: `{key}.workspace = true` but {root_manifest} has no [workspace.dependencies] {key}"),
                            format!("add `{key}` to [workspace.dependencies] in {root_manifest}"),
                        ),
                    }
                }
                let Some(path) = path else { continue };
                let dep_name = package.unwrap_or_else(|| key.to_string());
                let Some(target) = name_by_dir.get(&path) else {
                    ws.issue(
                        Code::UnknownMember,
                        &name,
                        format!(
                            "{manifest}: dependency `{key}` has path `{path}`, which is not a member of the workspace"
                        ),
                        format!(
                            "add `{path}` to [workspace] members in {root_manifest}, or depend on a published version"
                        ),
                    );
                    continue;
                };
                if *target != dep_name {
                    ws.issue(
                        Code::UnknownMember,
                        &name,
                        format!(
                            "{manifest}: dependency `{key}` expects package `{dep_name}` but {path} holds `{target}`"
                        ),
                        "set `package = \"...\"` to the crate's real name",
                    );
                }
                let req_text = req_text.unwrap_or_default();
                let req = match Req::parse(Ecosystem::Cargo, &req_text) {
                    Ok(r) => r,
                    Err(e) => {
                        ws.issue(
                            Code::InvalidVersion,
                            &name,
                            format!("{manifest}: dependency `{key}`: {e}"),
                            "fix the requirement",
                        );
                        Req::Any
                    }
                };
                deps.push(Dep { name: target.clone(), kind, req_text, req });
            }
        }
        ws.packages.push(Package {
            name,
            ecosystem: Ecosystem::Cargo,
            dir: member_dir.clone(),
            manifest: manifest.clone(),
            version_text,
            version,
            version_source,
            unpublishable,
            deps,
            description,
            license,
        });
    }
    Ok(())
}

fn string_list(item: Option<&Item>) -> Vec<String> {
    item.and_then(Item::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}
