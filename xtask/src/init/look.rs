//! What init reads of a repository (`Look`): the files git lists, the
//! workspace at the roots found, the tags with their dates and places in
//! history, the version files at the tags' commits, the release branch.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use xshell::{cmd, Shell};

use super::infer::{self, Found, Pkg, TagRef, Why};
use super::manifests::{cargo_registry, cargo_root, manifests, python_index, python_root};
use crate::config::Config;
use crate::error::Code;
use crate::history;
use crate::shell;
use crate::version::Ecosystem;
use crate::workspace::{VersionSource, Workspace};

/// What init reads of a repository.
pub(super) struct Look {
    pub(super) found: Found,
    pub(super) ws: Option<Workspace>,
    /// Commits HEAD reaches.
    pub(super) history: HashSet<String>,
}

pub(super) fn look(sh: &Shell, target: &Path) -> anyhow::Result<Look> {
    let files = listed_files(sh, target)?;
    let mut found = Found {
        python_root: python_root(&manifests(target, &files, "pyproject.toml")),
        cargo_root: cargo_root(&manifests(target, &files, "Cargo.toml")),
        ..Found::default()
    };
    let ws = workspace(target, &found)?;
    if let Some(ws) = &ws {
        found.packages = packages(ws);
        found.cargo_registry = cargo_registry(target, ws);
        found.python_index = python_index(target, ws);
    }
    let order = shell::probe(cmd!(sh, "git -C {target} rev-list HEAD")).unwrap_or_default();
    let position: BTreeMap<&str, usize> = order.lines().enumerate().map(|(i, c)| (c, i)).collect();
    found.tags = tags(sh, target, &position)?;
    read_versions_at_tags(sh, target, &mut found)?;
    found.branch = release_branch(sh, target);
    found.no_changelogs = no_changelogs(&files);
    let history = position.keys().map(|c| c.to_string()).collect();
    Ok(Look { found, ws, history })
}

/// The file names a changelog goes by (GitHub's, keep-a-changelog's, towncrier's and Debian's habits).
const CHANGELOG_NAMES: [&str; 5] = ["changelog", "changes", "history", "news", "releases"];

/// `Some` when no file in the repository is a changelog (`CHANGELOG.md`,
/// `CHANGES.rst`, `HISTORY.md`, `NEWS`, `RELEASES.md`, in any folder): a
/// project that keeps none would not want a release to start them.
fn no_changelogs(files: &[String]) -> Option<Why<()>> {
    let is_changelog = |f: &String| {
        let base = f.rsplit('/').next().unwrap_or(f).to_ascii_lowercase();
        let (stem, ext) = base.split_once('.').unwrap_or((&base, ""));
        CHANGELOG_NAMES.contains(&stem) && ["", "md", "rst", "txt", "markdown", "adoc"].contains(&ext)
    };
    if files.iter().any(is_changelog) {
        return None;
    }
    Some(Why {
        value: (),
        why: "No changelog file in the repository (CHANGELOG.md, CHANGES.md, HISTORY.md, NEWS.md): a release \
              writes none. Set it to true (or remove it) to start one per package."
            .into(),
    })
}

/// The files git has or would add (tracked, and untracked but not ignored).
fn listed_files(sh: &Shell, target: &Path) -> anyhow::Result<Vec<String>> {
    let listed = shell::output(
        cmd!(sh, "git -C {target} ls-files -z --cached --others --exclude-standard"),
        Code::Git,
        "check that the folder is a working git repository",
    )?;
    Ok(String::from_utf8_lossy(&listed).split('\0').filter(|f| !f.is_empty()).map(str::to_string).collect())
}

/// The packages at the roots found; `None` when there are none.
fn workspace(target: &Path, found: &Found) -> anyhow::Result<Option<Workspace>> {
    let mut config = Config::default();
    if let Some(r) = &found.python_root {
        config.python_root = PathBuf::from(&r.value);
    }
    if let Some(r) = &found.cargo_root {
        config.cargo_root = PathBuf::from(&r.value);
    }
    match Workspace::discover(target, &config) {
        Ok(ws) => Ok(Some(ws)),
        Err(e) if e.downcast_ref::<crate::error::Failure>().is_some_and(|f| f.code == Code::NoPackages) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The workspace's packages as inference needs them.
fn packages(ws: &Workspace) -> Vec<Pkg> {
    (0..ws.packages.len())
        .map(|i| {
            let p = &ws.packages[i];
            Pkg {
                name: p.name.clone(),
                id: ws.id(i),
                ecosystem: p.ecosystem,
                version: p.version.clone(),
                publishable: p.unpublishable.is_none(),
                inherits_version: p.version_source == VersionSource::CargoWorkspace,
                read: version_read(ws, p),
            }
        })
        .collect()
}

/// Every tag, with its commit's `position` in HEAD's history.
fn tags(sh: &Shell, target: &Path, position: &BTreeMap<&str, usize>) -> anyhow::Result<Vec<TagRef>> {
    Ok(dated_tags(sh, target)?
        .into_iter()
        .map(|(t, date)| TagRef {
            position: position.get(t.commit.as_str()).copied(),
            name: t.name,
            commit: t.commit,
            date,
        })
        .collect())
}

/// The versions at the tags' commits, in the rounds `infer::wanted` asks for.
fn read_versions_at_tags(sh: &Shell, target: &Path, found: &mut Found) -> anyhow::Result<()> {
    for _ in 0..3 {
        let wanted = infer::wanted(found);
        if wanted.is_empty() {
            break;
        }
        found.files_at.extend(files_at(sh, target, &wanted)?);
    }
    Ok(())
}

/// Where `infer` reads package `p`'s version at other commits.
fn version_read(ws: &Workspace, p: &crate::workspace::Package) -> infer::VersionRead {
    use infer::VersionRead;
    let root_manifest = ws.cargo_root.as_deref().map(|d| crate::workspace::join_rel(d, "Cargo.toml"));
    match &p.version_source {
        VersionSource::Manifest if p.ecosystem == Ecosystem::Python => VersionRead::Pyproject(p.manifest.clone()),
        VersionSource::Manifest | VersionSource::CargoWorkspace => {
            VersionRead::Cargo { manifest: p.manifest.clone(), workspace: root_manifest }
        }
        VersionSource::Crate { manifest, workspace } => {
            VersionRead::Cargo { manifest: manifest.clone(), workspace: workspace.clone().or(root_manifest) }
        }
        VersionSource::File { path, pattern } => VersionRead::File { path: path.clone(), pattern: pattern.clone() },
        VersionSource::Vcs(_) => VersionRead::Tags,
        VersionSource::Missing => VersionRead::Nowhere,
    }
}

/// Every tag with the commit it points at and the date it was made (one
/// `git for-each-ref`; init reads more than `plan`'s `history::read_tags`).
fn dated_tags(sh: &Shell, target: &Path) -> anyhow::Result<Vec<(history::Tag, i64)>> {
    let format = "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(creatordate:unix)";
    let out = shell::output(
        cmd!(sh, "git -C {target} for-each-ref {format} refs/tags"),
        Code::Git,
        "check that the repository is not damaged (git fsck)",
    )?;
    let text = String::from_utf8_lossy(&out);
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut parts = line.split('\0');
            let name = parts.next()?.to_string();
            let object = parts.next()?;
            let peeled = parts.next().unwrap_or("");
            let date = parts.next().and_then(|d| d.parse().ok()).unwrap_or(0);
            let commit = if peeled.is_empty() { object } else { peeled };
            Some((history::Tag { name, commit: commit.to_string() }, date))
        })
        .collect())
}

/// (commit, path).
type FileAt = (String, String);

/// The text of each (commit, path) in `wanted` (`None`: no such file there),
/// all in one `git cat-file --batch`.
fn files_at(
    sh: &Shell,
    target: &Path,
    wanted: &std::collections::BTreeSet<FileAt>,
) -> anyhow::Result<Vec<(FileAt, Option<String>)>> {
    let input: String = wanted.iter().map(|(c, p)| format!("{c}:{p}\n")).collect();
    let out = shell::output_with_input(
        cmd!(sh, "git -C {target} cat-file --batch"),
        input,
        Code::Git,
        "check that the repository is not damaged (git fsck)",
    )?;
    let mut rest: &[u8] = &out;
    let mut texts = Vec::with_capacity(wanted.len());
    for key in wanted {
        let Some(eol) = rest.iter().position(|&b| b == b'\n') else { break };
        let header = String::from_utf8_lossy(&rest[..eol]).into_owned();
        rest = &rest[eol + 1..];
        // `OID blob SIZE`, then the content and a newline; `NAME missing` otherwise
        let mut parts = header.split(' ');
        let (kind, size) = (parts.nth(1), parts.next().and_then(|n| n.parse::<usize>().ok()));
        let text = match (kind, size) {
            (Some(kind), Some(size)) if size <= rest.len() => {
                let body = &rest[..size];
                rest = rest.get(size + 1..).unwrap_or_default();
                (kind == "blob").then(|| String::from_utf8_lossy(body).into_owned())
            }
            _ => None,
        };
        texts.push((key.clone(), text));
    }
    Ok(texts)
}

/// The branch releases are made from when it is not `main`: the remote's
/// default branch, else the one checked out in a repository without `main`.
fn release_branch(sh: &Shell, target: &Path) -> Option<Why<String>> {
    let remote_head = shell::probe(cmd!(sh, "git -C {target} symbolic-ref --quiet --short refs/remotes/origin/HEAD"));
    if let Some(b) = remote_head.as_deref().and_then(|r| r.strip_prefix("origin/")) {
        return (b != "main").then(|| Why {
            value: b.to_string(),
            why: format!("origin's default branch is `{b}` (releases are allowed from main only by default)"),
        });
    }
    let b = crate::git::branch(sh, target)?;
    if b == "main" || shell::succeeds(cmd!(sh, "git -C {target} rev-parse --verify --quiet refs/heads/main")) {
        return None;
    }
    Some(Why {
        value: b.clone(),
        why: format!("HEAD is on `{b}` and there is no `main` (releases are allowed from main only by default)"),
    })
}

#[cfg(test)]
mod tests {
    use super::no_changelogs;

    #[test]
    fn a_repository_keeps_changelogs_when_any_file_is_one() {
        let files = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(no_changelogs(&files(&["Cargo.toml", "src/releases.rs", "src/changes/mod.rs"])).is_some());
        for kept in ["crates/a/CHANGELOG.md", "CHANGES.rst", "HISTORY.md", "NEWS", "docs/releases.md"] {
            assert!(no_changelogs(&files(&["Cargo.toml", kept])).is_none(), "{kept}");
        }
    }
}
