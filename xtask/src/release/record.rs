//! The recorded release: `.xtask-release/plan.json`, a file `release-pr` adds
//! to the release commit's tree (packages, ecosystems, versions, tags, the
//! whole plan and its changelog sections, a `format` number). A file, not a
//! message trailer (a squash merge may drop one) and never inferred from a
//! branch name, a label or message text: the merged commit's tree carries it
//! whatever the merge. It applies while its tags do not all exist yet; then
//! `release` executes it as recorded (`recorded.rs`) and `plan` shows it.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use xshell::{cmd, Shell};

use super::wheel::normalize_dist;
use crate::changelog::Section;
use crate::error::{fail, Code};
use crate::matrix;
use crate::plan::Plan;
use crate::repo::Repo;
use crate::shell;
use crate::version::Ecosystem;

/// Where the record lives, relative to the repository root.
pub const PATH: &str = ".xtask-release/plan.json";

/// The record's format; a record with another one is refused (XR161).
pub const FORMAT: u32 = 1;

/// One released package as the record lists it (for people and tools; the
/// release itself executes `plan`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    pub ecosystem: String,
    pub version: String,
    #[serde(default)]
    pub tag: Option<String>,
}

/// A file a CI matrix builds for the release (`release --stage`, then
/// `release --artifacts DIR`): the record is the release manifest the
/// matrix and the publishing job read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    pub package: String,
    pub version: String,
    /// The package's folder, from the repository root: where it is built.
    pub dir: String,
    /// A wheel platform tag, or `sdist`.
    pub platform: String,
    /// The file's name; for a wheel a pattern, `*` standing for its Python and ABI tags.
    pub file: String,
    /// `maturin` (maturin-action builds it), or `build` (cibuildwheel, `uv build`).
    pub builder: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub format: u32,
    /// A sentence for a person reading the file.
    pub about: String,
    pub packages: Vec<Package>,
    pub tags: Vec<String>,
    /// The plan, as `plan --format json` shows it.
    pub plan: Plan,
    /// The changelog sections the release commit wrote: the forge releases' notes.
    pub changelog: Vec<Section>,
    /// What the CI matrix builds: one entry per native package and platform.
    #[serde(default)]
    pub artifacts: Vec<Expected>,
}

impl Record {
    pub fn new(plan: &Plan, changelog: &[Section], artifacts: Vec<Expected>) -> anyhow::Result<Record> {
        let packages = plan
            .releases()
            .map(|e| Package {
                name: e.name.clone(),
                ecosystem: e.ecosystem.as_str().to_string(),
                version: e.next_version.clone().unwrap_or_default(),
                tag: e.tag.clone(),
            })
            .collect();
        Ok(Record {
            format: FORMAT,
            about: "the release this commit makes, written by `cargo xtask release-pr`: once merged, \
                    `cargo xtask release` tags the merged commit and publishes exactly these versions"
                .into(),
            packages,
            tags: super::write::tags(plan)?,
            plan: plan.clone(),
            changelog: changelog.to_vec(),
            artifacts,
        })
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(self).expect("the record is plain data") + "\n"
    }

    /// A record read back; its plan's versions parsed again.
    pub fn parse(text: &str) -> anyhow::Result<Record> {
        let format = serde_json::from_str::<serde_json::Value>(text).ok().and_then(|v| v["format"].as_u64());
        if format.is_some_and(|f| f != u64::from(FORMAT)) {
            return Err(fail(
                Code::RecordUnreadable,
                format!("{PATH} has format {}, this xtask reads format {FORMAT}", format.unwrap_or(0)),
                "update the xtask (the record was written by another version), or run `cargo xtask release-pr` again",
            ));
        }
        let mut record: Record = serde_json::from_str(text).map_err(|e| {
            fail(
                Code::RecordUnreadable,
                format!("{PATH} does not parse: {e}"),
                "run `cargo xtask release-pr` again to write it anew, or restore it from the release commit",
            )
        })?;
        record.plan.reparse();
        Ok(record)
    }
}

/// The artifacts the CI matrix builds for `plan`'s release: for each
/// released Python package of `[matrix] packages` (by default the ones
/// maturin builds), its sdist and a wheel per `[matrix] platforms`.
pub fn expected(repo: &Repo, plan: &Plan) -> anyhow::Result<Vec<Expected>> {
    let config = &repo.config;
    let chosen = matrix_packages(repo)?;
    let mut out = vec![];
    for e in plan.releases().filter(|e| e.ecosystem == Ecosystem::Python) {
        let Some(i) = chosen.iter().copied().find(|i| repo.ws.packages[*i].name == e.name) else { continue };
        let p = &repo.ws.packages[i];
        let version = e.next_version.clone().unwrap_or_default();
        let dist = normalize_dist(&e.name);
        let builder = if p.built_from.is_some() { "maturin" } else { "build" };
        let platforms = std::iter::once(matrix::SDIST).chain(config.matrix_platforms.iter().map(String::as_str));
        for platform in platforms {
            out.push(Expected {
                package: e.name.clone(),
                version: version.clone(),
                dir: p.dir.clone(),
                platform: platform.to_string(),
                file: matrix::file_pattern(&dist, &version, platform),
                builder: builder.into(),
            });
        }
    }
    Ok(out)
}

/// The Python packages (workspace indexes) whose artifacts the CI matrix
/// builds: `[matrix] packages`, by default the ones maturin builds.
pub fn matrix_packages(repo: &Repo) -> anyhow::Result<Vec<usize>> {
    let python = |i: &usize| repo.ws.packages[*i].ecosystem == Ecosystem::Python;
    let Some(names) = &repo.config.matrix_packages else {
        let native =
            |i: &usize| repo.ws.packages[*i].built_from.is_some() && repo.ws.packages[*i].unpublishable.is_none();
        return Ok((0..repo.ws.packages.len()).filter(python).filter(native).collect());
    };
    names
        .iter()
        .map(|n| {
            repo.ws.index_in(Ecosystem::Python, n).ok_or_else(|| {
                fail(
                    Code::ConfigValue,
                    format!("[matrix] packages names `{n}`, which is no Python package of the workspace"),
                    "name the Python packages whose wheels the CI matrix builds (`cargo xtask plan` lists them)",
                )
            })
        })
        .collect()
}

/// A record that applies: in HEAD's tree, committed, and some of its tags
/// not made yet. `commit` is the commit that carries it on HEAD's
/// first-parent line: the merged commit (a merge commit, a squash, the
/// rebased release commit).
pub struct Active {
    pub record: Record,
    pub commit: String,
}

impl Active {
    /// `core 1.1.0, models 1.2.1`.
    pub fn names(&self) -> String {
        let names: Vec<String> = self.record.packages.iter().map(|p| format!("{} {}", p.name, p.version)).collect();
        names.join(", ")
    }

    pub fn short(&self) -> &str {
        &self.commit[..12.min(self.commit.len())]
    }
}

/// The record that applies to HEAD, if any. Reads the file and, only when
/// there is one, asks git which commit brought it and which tags exist.
pub fn active(sh: &Shell, repo: &Repo) -> anyhow::Result<Option<Active>> {
    let root = &repo.root;
    let path = root.join(PATH);
    if !path.is_file() {
        return Ok(None);
    }
    let at = format!("HEAD:{PATH}");
    // the committed record: a file in the work tree alone is no release's
    let Some(text) = shell::probe(cmd!(sh, "git --no-optional-locks -C {root} show {at}")) else {
        return Ok(None);
    };
    let record = Record::parse(&text)?;
    let listed = shell::read(
        cmd!(sh, "git -C {root} for-each-ref --format=%(refname:strip=2) refs/tags"),
        Code::Git,
        "check the repository",
    )?;
    let tags: HashSet<&str> = listed.lines().collect();
    if record.tags.iter().all(|t| tags.contains(t.as_str())) {
        return Ok(None);
    }
    let commit = shell::read(
        cmd!(sh, "git -C {root} log -1 --first-parent --format=%H HEAD -- {PATH}"),
        Code::Git,
        "check the repository",
    )?;
    Ok(Some(Active { record, commit }))
}

/// Each recorded package whose manifest in the tree says another version
/// (or that is gone), as a line; empty when the tree agrees with the record.
pub fn disagreements(repo: &Repo, plan: &Plan) -> Vec<String> {
    let mut out = vec![];
    for e in plan.releases() {
        let id = e.id();
        let found = (0..repo.ws.packages.len()).find(|i| repo.ws.package_id(*i) == id);
        let recorded = e.next_version.as_deref().unwrap_or("");
        match found.map(|i| &repo.ws.packages[i]) {
            None => out.push(format!("{} ({}) is no package of the workspace", e.name, e.ecosystem.as_str())),
            // a version from tags only (VCS-versioned) is written nowhere
            Some(p) => match (&p.version, &e.next) {
                (Some(v), Some(next)) if v != next => {
                    out.push(format!("{} is {v} in {}, the record says {recorded}", e.name, e.manifest))
                }
                _ => {}
            },
        }
    }
    out
}

/// `disagreements` as the error a release stops with (XR160).
pub fn check(repo: &Repo, plan: &Plan) -> anyhow::Result<()> {
    let found = disagreements(repo, plan);
    if found.is_empty() {
        return Ok(());
    }
    Err(fail(
        Code::RecordMismatch,
        format!("the tree disagrees with the recorded release ({PATH}): {}", found.join("; ")),
        "run `cargo xtask release-pr` again to record a new release, or put the recorded versions back",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_of_another_format_or_broken_is_refused() {
        let err = Record::parse(r#"{"format": 2}"#).unwrap_err();
        let f = err.downcast_ref::<crate::error::Failure>().unwrap();
        assert_eq!(f.code, Code::RecordUnreadable);
        assert!(f.cause.contains("format 2"), "{}", f.cause);
        let err = Record::parse("{not json").unwrap_err();
        assert_eq!(err.downcast_ref::<crate::error::Failure>().unwrap().code, Code::RecordUnreadable);
    }

    #[test]
    fn a_record_reads_back_what_was_written() {
        let plan = Plan { packages: vec![], umbrella_tag: None, files: vec![], warnings: vec![] };
        let r = Record::new(&plan, &[], vec![]).unwrap();
        let back = Record::parse(&r.to_text()).unwrap();
        assert_eq!(back.format, FORMAT);
        assert_eq!(back.packages, r.packages);
        assert!(r.to_text().contains("\"format\": 1"));
    }
}
