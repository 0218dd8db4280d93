//! One member's `[package]`: its name, version (inherited from
//! `[workspace.package]` or not), whether it is published, its description and
//! license, and its dependencies.

use toml_edit::{DocumentMut, Item, TableLike};

use super::{Discovery, Member};
use crate::error::Code;
use crate::version::{Ecosystem, Version};
use crate::workspace::{Package, VersionSource, Workspace};

impl Discovery<'_> {
    /// The member in `member_dir` as a package; `None` (with an issue) when
    /// its manifest has no `[package]`.
    pub(super) fn read_package(
        &mut self,
        ws: &mut Workspace,
        member_dir: &str,
        manifest: &str,
        doc: &DocumentMut,
    ) -> anyhow::Result<Option<Package>> {
        let Some(pkg) = doc.get("package").and_then(Item::as_table_like) else {
            ws.issue(Code::ManifestSyntax, member_dir, format!("{manifest} has no [package]"), "add a [package] table");
            return Ok(None);
        };
        let Some(name) = pkg.get("name").and_then(Item::as_str).map(str::to_string) else {
            return Err(crate::error::fail(
                Code::ManifestSyntax,
                format!("{manifest}: [package] has no name"),
                format!("add `name = \"...\"` to {manifest}"),
            ));
        };
        let m = Member { name: &name, dir: member_dir, manifest, doc };
        let (version_text, version_source) = self.version_text(ws, &m, pkg);
        let version = parse_version(ws, &m, &version_text, &version_source);
        let unpublishable = self.unpublishable(pkg, &version_source);
        let description = self.field(pkg, "description");
        let license = self.field(pkg, "license").is_some() || self.field(pkg, "license-file").is_some();
        let deps = self.member_deps(ws, &m, unpublishable.is_some());
        Ok(Some(Package {
            name,
            ecosystem: Ecosystem::Cargo,
            dir: member_dir.to_string(),
            manifest: manifest.to_string(),
            version_text,
            version,
            version_source,
            unpublishable,
            deps,
            description,
            license,
            built_from: None,
        }))
    }

    /// The version as written, and where: the manifest, `[workspace.package]`,
    /// or nowhere (with an issue when it should be somewhere).
    fn version_text(&self, ws: &mut Workspace, m: &Member, pkg: &dyn TableLike) -> (String, VersionSource) {
        let (name, manifest, root_manifest) = (m.name, m.manifest, &self.root_manifest);
        match pkg.get("version") {
            Some(v) if v.as_str().is_some() => (v.as_str().unwrap_or_default().to_string(), VersionSource::Manifest),
            Some(_) if inherits(pkg, "version") => match self.ws_version() {
                Some(v) => (v.to_string(), VersionSource::CargoWorkspace),
                None => {
                    ws.issue(
                        Code::MissingVersion,
                        name,
                        format!("{manifest} says version.workspace = true but {root_manifest} has no [workspace.package] version"),
                        format!("add `version = \"...\"` under [workspace.package] in {root_manifest}"),
                    );
                    (String::new(), VersionSource::Missing)
                }
            },
            Some(_) => {
                ws.issue(
                    Code::InvalidVersion,
                    name,
                    format!("{manifest}: `version` is not a string"),
                    "write the version as a string",
                );
                (String::new(), VersionSource::Missing)
            }
            None => (String::new(), VersionSource::Missing),
        }
    }

    /// `Some(reason)` when cargo never publishes the crate.
    fn unpublishable(&self, pkg: &dyn TableLike, version_source: &VersionSource) -> Option<String> {
        let publish = pkg
            .get("publish")
            .or_else(|| inherits(pkg, "publish").then(|| self.ws_package.and_then(|p| p.get("publish"))).flatten());
        match publish {
            Some(p) if p.as_bool() == Some(false) => Some("publish = false in Cargo.toml".to_string()),
            Some(p) if p.as_array().is_some_and(|a| a.is_empty()) => Some("publish = [] in Cargo.toml".to_string()),
            _ if *version_source == VersionSource::Missing => {
                Some("no version in Cargo.toml (cargo treats the crate as 0.0.0 and unpublishable)".to_string())
            }
            _ => None,
        }
    }

    /// A string field of `[package]`, or of `[workspace.package]` when inherited.
    fn field(&self, pkg: &dyn TableLike, key: &str) -> Option<String> {
        match pkg.get(key) {
            Some(v) if v.as_str().is_some() => v.as_str().map(str::to_string),
            Some(_) if inherits(pkg, key) => {
                self.ws_package.and_then(|p| p.get(key)).and_then(Item::as_str).map(str::to_string)
            }
            _ => None,
        }
    }
}

/// `key.workspace = true` in `[package]`.
fn inherits(pkg: &dyn TableLike, key: &str) -> bool {
    pkg.get(key).and_then(Item::as_table_like).and_then(|t| t.get("workspace")).and_then(Item::as_bool).unwrap_or(false)
}

/// The version, parsed as SemVer; `None` (with an issue) when it does not parse.
fn parse_version(ws: &mut Workspace, m: &Member, version_text: &str, source: &VersionSource) -> Option<Version> {
    if *source == VersionSource::Missing {
        return None;
    }
    match Version::parse(Ecosystem::Cargo, version_text) {
        Ok(v) => Some(v),
        Err(e) => {
            ws.issue(
                Code::InvalidVersion,
                m.name,
                format!("{}: {e}", m.manifest),
                "crate versions are SemVer: MAJOR.MINOR.PATCH[-pre]",
            );
            None
        }
    }
}
