//! Cargo workspaces: `[workspace] members`/`exclude`, `[workspace.package]`
//! inheritance, `[workspace.dependencies]`, `publish = false`, path
//! dependencies (renamed ones too) in every dependency table, target-specific
//! tables included.

use std::collections::HashMap;

use toml_edit::{DocumentMut, Item, TableLike};

use super::{
    expand_members, is_within, join_rel, join_within, read_toml, Dep, DepKind, Package, VersionSource, Workspace,
};
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

    let ws_version = workspace
        .and_then(|w| w.get("package"))
        .and_then(Item::as_table_like)
        .and_then(|p| p.get("version"))
        .and_then(Item::as_str)
        .map(str::to_string);
    let ws_package = workspace.and_then(|w| w.get("package")).and_then(Item::as_table_like);
    let ws_deps = workspace.and_then(|w| w.get("dependencies")).and_then(Item::as_table_like);

    // Members as cargo finds them: the `members` globs (less `exclude`), the
    // root package, then, transitively, every path dependency (of any kind)
    // inside the workspace folder that is not excluded.
    let members = workspace.map(|w| string_list(w.get("members"))).unwrap_or_default();
    let exclude = workspace.map(|w| string_list(w.get("exclude"))).unwrap_or_default();
    let excluded = |rel: &str| cargo_excluded(&dir, &members, &exclude, rel);
    let mut queue: std::collections::VecDeque<String> = if workspace.is_some() {
        expand_members(&ws.root, &dir, &members, &excluded, "Cargo.toml", &root_manifest, None)?.into()
    } else {
        Default::default()
    };
    if root_doc.get("package").is_some() {
        queue.push_back(dir.clone());
    }
    let mut docs: Vec<(String, String, DocumentMut)> = vec![];
    while let Some(m) = queue.pop_front() {
        if docs.iter().any(|(d, _, _)| *d == m) {
            continue;
        }
        let manifest = join_rel(&m, "Cargo.toml");
        let doc = if m == dir { root_doc.clone() } else { read_toml(&ws.root, &manifest)? };
        // a package without [workspace] is a workspace of one: its path dependencies are not members
        for dep in path_deps(&doc, &m, &dir, ws_deps).into_iter().filter(|_| workspace.is_some()) {
            let Some(Ok(path)) = dep.path else { continue };
            if is_within(&dir, &path) && !excluded(&path) && ws.root.join(&path).join("Cargo.toml").is_file() {
                queue.push_back(path);
            }
        }
        docs.push((m, manifest, doc));
    }
    docs.sort_by(|a, b| a.0.cmp(&b.0));

    let patches = patched_members(&root_doc, &dir, &docs);
    ws.cargo_patches = patches.keys().cloned().collect();
    ws.cargo_patches.sort();
    // (dependent's index, patched member, kind, requirement), resolved once every version is known
    let mut pending: Vec<(usize, String, DepKind, String)> = vec![];
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
        for dep in path_deps(doc, member_dir, &dir, ws_deps) {
            let key = &dep.key;
            if dep.missing_workspace_entry {
                ws.issue(
                    Code::UnknownMember,
                    &name,
                    format!("{manifest}: `{key}.workspace = true` but {root_manifest} has no [workspace.dependencies] {key}"),
                    format!("add `{key}` to [workspace.dependencies] in {root_manifest}"),
                );
            }
            let Some(path) = dep.path else {
                // a registry requirement: internal when a [patch] entry redirects it to a member
                let registry = dep.registry.clone().unwrap_or_else(|| "crates-io".into());
                let dep_name = dep.package.clone().unwrap_or_else(|| key.to_string());
                if let Some(target) = patches.get(&(registry, dep_name)) {
                    pending.push((
                        ws.packages.len(),
                        target.clone(),
                        dep.kind,
                        dep.req_text.clone().unwrap_or_default(),
                    ));
                }
                continue;
            };
            let dep_name = dep.package.clone().unwrap_or_else(|| key.to_string());
            let req_text = dep.req_text.clone().unwrap_or_default();
            let target = path.as_ref().ok().and_then(|p| name_by_dir.get(p));
            let Some(target) = target else {
                let shown = path.as_ref().unwrap_or_else(|p| p).clone();
                let exists = path.as_ref().is_ok_and(|p| ws.root.join(p).join("Cargo.toml").is_file());
                if path.is_ok() && !exists {
                    ws.issue(
                        Code::UnknownMember,
                        &name,
                        format!("{manifest}: dependency `{key}` has path `{shown}`, which holds no Cargo.toml"),
                        "fix the path; cargo cannot load this workspace either",
                    );
                } else if dep.kind != DepKind::Dev && req_text.is_empty() && unpublishable.is_none() {
                    // a crate outside the workspace (excluded, or outside its folder): fine for
                    // cargo, but without a version the dependent cannot be published
                    ws.issue(
                        Code::UnknownMember,
                        &name,
                        format!("{manifest}: dependency `{key}` has path `{shown}`, which is not a member of the workspace, and no version; cargo cannot publish {name}"),
                        format!("add `version = \"...\"` next to the path, or make `{shown}` a member of the workspace in {root_manifest}"),
                    );
                }
                continue;
            };
            if *target != dep_name {
                ws.issue(
                    Code::UnknownMember,
                    &name,
                    format!(
                        "{manifest}: dependency `{key}` expects package `{dep_name}` but {} holds `{target}`",
                        path.as_ref().unwrap_or_else(|p| p)
                    ),
                    "set `package = \"...\"` to the crate's real name",
                );
            }
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
            deps.push(Dep { name: target.clone(), kind: dep.kind, req_text, req, optional: false });
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
            built_from: None,
        });
    }
    add_patched_edges(ws, pending);
    Ok(())
}

/// `[patch.<registry>]` entries of the root manifest that point at a member's
/// folder: (registry, crate name) → the member's name. tokio's crates depend
/// on each other only this way (`tokio = "1.2.0"`, patched to `tokio/`).
fn patched_members(
    root_doc: &DocumentMut,
    dir: &str,
    docs: &[(String, String, DocumentMut)],
) -> HashMap<(String, String), String> {
    let mut out = HashMap::new();
    let Some(tables) = root_doc.get("patch").and_then(Item::as_table_like) else { return out };
    for (registry, table) in tables.iter() {
        let Some(table) = table.as_table_like() else { continue };
        for (key, spec) in table.iter() {
            let Some(path) = spec.get("path").and_then(Item::as_str) else { continue };
            let Some(folder) = join_within(dir, path) else { continue };
            let member = docs.iter().find(|(d, _, _)| *d == folder);
            let Some(name) = member.and_then(|(_, _, doc)| doc.get("package")?.get("name")?.as_str()) else { continue };
            // `[patch.crates-io] alias = { path = "x", package = "real" }` patches `real`
            let patched = spec.get("package").and_then(Item::as_str).unwrap_or(key);
            if patched == name {
                out.insert((registry.to_string(), patched.to_string()), name.to_string());
            }
        }
    }
    out
}

/// The edges of registry requirements a patch redirects to a member, as
/// cargo's resolver makes them: only where the member's version satisfies the
/// requirement (otherwise cargo warns that the patch was not used and takes
/// the registry's crate).
fn add_patched_edges(ws: &mut Workspace, pending: Vec<(usize, String, DepKind, String)>) {
    for (from, target, kind, req_text) in pending {
        let member = ws.packages.iter().find(|p| p.ecosystem == Ecosystem::Cargo && p.name == target);
        let Some(version) = member.and_then(|p| p.version.clone()) else { continue };
        let Ok(req) = Req::parse(Ecosystem::Cargo, if req_text.is_empty() { "*" } else { &req_text }) else { continue };
        if !req.admits(&version) {
            continue;
        }
        if ws.packages[from].name == target {
            continue; // a crate's dev-dependency on itself (its published version) is no edge
        }
        let deps = &mut ws.packages[from].deps;
        if !deps.iter().any(|d| d.name == target && d.kind == kind) {
            deps.push(Dep { name: target, kind, req_text, req, optional: false });
        }
    }
}

/// The members of the Cargo root that a crate outside it (`doc`, in folder
/// `crate_dir`: a maturin crate) depends on by path, normal and build
/// dependencies: what the Python package built from it compiles in.
pub(super) fn compiled_members(ws: &Workspace, doc: &DocumentMut, crate_dir: &str) -> Vec<Dep> {
    let mut out: Vec<Dep> = vec![];
    for dep in path_deps(doc, crate_dir, crate_dir, None).into_iter().filter(|d| d.kind != DepKind::Dev) {
        let Some(Ok(path)) = &dep.path else { continue };
        let member = ws.packages.iter().find(|p| p.ecosystem == Ecosystem::Cargo && p.dir == *path);
        let Some(member) = member else { continue };
        if out.iter().any(|d| d.name == member.name) {
            continue; // named again in a target table or as a build dependency
        }
        let req_text = dep.req_text.unwrap_or_default();
        // one that does not parse still orders publishing (the maturin build refuses it itself)
        let req = Req::parse(Ecosystem::Cargo, &req_text).unwrap_or(Req::Any);
        out.push(Dep { name: member.name.clone(), kind: DepKind::Compiled, req_text, req, optional: false });
    }
    out
}

/// A dependency written with a path (directly or through `[workspace.dependencies]`).
struct PathDep {
    key: String,
    kind: DepKind,
    package: Option<String>,
    /// The folder relative to the repository root; `Err(as written)` when it
    /// lies outside the repository. `None` for a dependency without a path.
    path: Option<Result<String, String>>,
    req_text: Option<String>,
    /// `registry = "..."`: the registry a dependency without a path comes from
    /// (`None`: crates.io), which names the `[patch.<registry>]` table that applies.
    registry: Option<String>,
    /// `key.workspace = true` without a `[workspace.dependencies]` entry.
    missing_workspace_entry: bool,
}

/// Every dependency of a manifest, from every table cargo reads: normal, build
/// and dev, target-specific ones too (`[patch]` and `[replace]` are not
/// dependencies). `member_dir` and `ws_dir` resolve relative paths.
fn path_deps(doc: &DocumentMut, member_dir: &str, ws_dir: &str, ws_deps: Option<&dyn TableLike>) -> Vec<PathDep> {
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
    let resolve = |base: &str, p: &str| join_within(base, p).ok_or_else(|| p.to_string());
    let mut out = vec![];
    for (table, kind) in tables {
        for (key, entry) in table.iter() {
            let Some(spec) = entry.as_table_like() else {
                // `name = "1.0"`: from a registry (internal only through a [patch])
                let req_text = entry.as_str().map(str::to_string);
                let (package, path, registry, missing_workspace_entry) = (None, None, None, false);
                out.push(PathDep {
                    key: key.to_string(),
                    kind,
                    package,
                    path,
                    req_text,
                    registry,
                    missing_workspace_entry,
                });
                continue;
            };
            let string = |s: &dyn TableLike, k: &str| s.get(k).and_then(Item::as_str).map(str::to_string);
            let mut dep = PathDep {
                key: key.to_string(),
                kind,
                package: string(spec, "package"),
                path: spec.get("path").and_then(Item::as_str).map(|p| resolve(member_dir, p)),
                req_text: string(spec, "version"),
                registry: string(spec, "registry"),
                missing_workspace_entry: false,
            };
            if spec.get("workspace").and_then(Item::as_bool) == Some(true) {
                let shared = ws_deps.and_then(|d| d.get(key));
                match shared.and_then(Item::as_table_like) {
                    Some(s) => {
                        dep.package = dep.package.or(s.get("package").and_then(Item::as_str).map(str::to_string));
                        dep.path = s.get("path").and_then(Item::as_str).map(|p| resolve(ws_dir, p));
                        dep.req_text = dep.req_text.or(string(s, "version"));
                        dep.registry = dep.registry.or(string(s, "registry"));
                    }
                    // `dep = "1.0"` in the workspace
                    None if shared.and_then(Item::as_str).is_some() => {
                        dep.req_text = dep.req_text.or(shared.and_then(Item::as_str).map(str::to_string));
                    }
                    None => dep.missing_workspace_entry = true,
                }
            }
            out.push(dep);
        }
    }
    out
}

/// cargo's `exclude`: plain paths (not globs) relative to the workspace folder,
/// each excluding everything under it, except what lies under a path listed
/// literally in `members`.
fn cargo_excluded(ws_dir: &str, members: &[String], exclude: &[String], rel: &str) -> bool {
    let under = |list: &[String]| list.iter().any(|e| is_within(&join_rel(ws_dir, e), rel));
    under(exclude) && !under(members)
}

fn string_list(item: Option<&Item>) -> Vec<String> {
    item.and_then(Item::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;
    use crate::workspace::{DepKind, Workspace};

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn krate(name: &str, deps: &str) -> String {
        format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\n{deps}")
    }

    fn edges(ws: &Workspace) -> Vec<String> {
        let mut out: Vec<String> = ws
            .packages
            .iter()
            .flat_map(|p| p.deps.iter().map(move |d| format!("{} -> {} {:?}", p.name, d.name, d.kind)))
            .collect();
        out.sort();
        out
    }

    /// Checked against `cargo metadata --no-deps` on the same files.
    #[test]
    fn path_dependencies_inside_the_workspace_are_members() {
        let tmp = crate::test_support::TempDir::new("implicit-members");
        let root = &tmp.0;
        write(
            root,
            "Cargo.toml",
            r#"[workspace]
members = ["crates/app", "crates/skipped/kept"]
default-members = ["crates/app"]
exclude = ["crates/skipped"]

[workspace.dependencies]
shared = { path = "crates/shared", version = "1" }
"#,
        );
        write(
            root,
            "crates/app/Cargo.toml",
            &krate(
                "app",
                r#"[dependencies]
app-macros = { path = "macros", version = "1" }
shared.workspace = true
skipped = { path = "../skipped", version = "1" }
inner = { path = "../skipped/inner", version = "1" }

[build-dependencies]
gen = { path = "../../tools/gen", version = "1" }

[target.'cfg(unix)'.dev-dependencies]
devonly = { path = "../devonly" }
"#,
            ),
        );
        write(
            root,
            "crates/app/macros/Cargo.toml",
            &krate("app-macros", "[dependencies]\ndeep = { path = \"../../../deep\" }\n"),
        );
        write(root, "crates/shared/Cargo.toml", &krate("shared", ""));
        write(root, "crates/devonly/Cargo.toml", &krate("devonly", ""));
        write(root, "tools/gen/Cargo.toml", &krate("gen", ""));
        write(root, "deep/Cargo.toml", &krate("deep", ""));
        write(root, "crates/skipped/Cargo.toml", &krate("skipped", ""));
        write(root, "crates/skipped/inner/Cargo.toml", &krate("inner", ""));
        write(
            root,
            "crates/skipped/kept/Cargo.toml",
            &krate("kept", "[dependencies]\nskipped = { path = \"..\", version = \"1\" }\n"),
        );

        let ws = Workspace::discover(root, &Config::default()).unwrap();
        let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["app", "app-macros", "deep", "devonly", "gen", "kept", "shared"]);
        assert_eq!(ws.packages[1].manifest, "crates/app/macros/Cargo.toml");
        assert_eq!(
            edges(&ws),
            [
                "app -> app-macros Normal",
                "app -> devonly Dev",
                "app -> gen Build",
                "app -> shared Normal",
                "app-macros -> deep Normal",
            ]
        );
        // excluded crates are dependencies from elsewhere, not problems
        assert!(ws.issues.is_empty(), "{:?}", ws.issues);
        assert!(ws.packages.iter().all(|p| p.deps.iter().all(|d| d.kind != DepKind::Normal || d.name != "skipped")));
    }

    #[test]
    fn path_dependencies_outside_the_workspace_folder_are_not_members() {
        let tmp = crate::test_support::TempDir::new("outside-members");
        let root = &tmp.0;
        write(root, "ws/Cargo.toml", "[workspace]\nmembers = [\"app\"]\n");
        write(
            root,
            "ws/app/Cargo.toml",
            &krate(
                "app",
                "[dependencies]\nlib = { path = \"../../lib\", version = \"1\" }\nnover = { path = \"../../nover\" }\n",
            ),
        );
        write(root, "lib/Cargo.toml", &krate("lib", ""));
        write(root, "nover/Cargo.toml", &krate("nover", ""));
        // a package without [workspace] is alone in its workspace
        write(root, "solo/Cargo.toml", &krate("solo", "[dependencies]\nlib = { path = \"../lib\" }\n"));
        let config = Config { cargo_root: "ws".into(), ..Config::default() };
        let ws = Workspace::discover(root, &config).unwrap();
        let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["app"]);
        assert!(ws.packages[0].deps.is_empty());
        // without a version the dependent cannot be published: that one is reported
        assert_eq!(ws.issues.len(), 1, "{:?}", ws.issues);
        assert!(ws.issues[0].message.contains("path `nover`"), "{}", ws.issues[0].message);

        let config = Config { cargo_root: "solo".into(), ..Config::default() };
        let ws = Workspace::discover(root, &config).unwrap();
        let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["solo"]);
    }
}
