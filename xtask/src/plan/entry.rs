//! A plan entry per package, in release order: its decision, with the tag
//! it makes checked (a valid ref, not existing, not another entry's), its
//! reason rendered, and the umbrella tag.

use super::decide::Decision;
use super::reason::{Note, Reason};
use super::{version_file, Entry};
use crate::config::{check_ref_name, render_tag, Config};
use crate::error::{fail, Code};
use crate::graph::Graph;
use crate::history::PackageHistory;
use crate::version::Version;
use crate::workspace::{VersionSource, Workspace};

/// What every entry is made from.
pub(super) struct Planner<'a> {
    pub ws: &'a Workspace,
    pub graph: &'a Graph,
    pub history: &'a [PackageHistory],
    pub config: &'a Config,
    pub tag_groups: &'a [Option<usize>],
    pub behind: &'a [Option<(String, Version)>],
}

impl Planner<'_> {
    /// Package `i`'s entry at position `pos` of the release order. `tagged`
    /// holds the tag (and version) of each earlier entry that makes one.
    pub fn entry(
        &self,
        pos: usize,
        i: usize,
        dec: &Decision,
        tagged: &[Option<(String, String)>],
    ) -> anyhow::Result<Entry> {
        let (ws, p, h) = (self.ws, &self.ws.packages[i], &self.history[i]);
        let tag = match dec.next.as_ref() {
            Some(next) => Some(self.checked_tag(i, next, tagged)?),
            None => None,
        };
        // stored only where it is not the name
        let key = ws.package_id(i).journal_key(ws.shares_name(i));
        Ok(Entry {
            key: if key == p.name { String::new() } else { key },
            name: p.name.clone(),
            ecosystem: p.ecosystem,
            path: p.dir.clone(),
            manifest: p.manifest.clone(),
            version: p.version_text.clone(),
            next_version: dec.next.as_ref().map(Version::to_string),
            bump: dec.bump,
            status: dec.status,
            reason: entry_reason(ws, i, &dec.reason, self.behind[i].as_ref()),
            cause: dec.reason.cause(),
            level: self.graph.levels[i],
            order: pos + 1,
            dependencies: self.graph.deps(i).iter().map(|&j| self.graph.name(j).to_string()).collect(),
            tag,
            last_tag: h.last_tag.as_ref().map(|(t, _)| t.clone()),
            commits: h.commits.len(),
            next: dec.next.clone(),
            notes: h.notes.clone(),
        })
    }

    /// The tag a release of package `i` at `next` makes: a valid ref name
    /// (`XR036`), not an existing tag (`XR039`), a version PyPI takes, and no
    /// earlier entry's tag (`XR043`).
    fn checked_tag(&self, i: usize, next: &Version, tagged: &[Option<(String, String)>]) -> anyhow::Result<String> {
        let (ws, p) = (self.ws, &self.ws.packages[i]);
        let (t, key) = crate::tags::tag_of(self.config, p, self.tag_groups[i], &next.to_string());
        check_ref_name(&t).map_err(|why| {
            fail(
                Code::TagFormat,
                format!("the tag for {} would be `{t}`, which {why}", p.name),
                format!("change {key} in xtask-release.toml"),
            )
        })?;
        if self.history[i].tags.contains(&t) {
            return Err(tag_exists(ws, i, &t, Some(next)));
        }
        if let Some(local) = next.local() {
            return Err(fail(
                Code::LocalVersion,
                format!("{} {next} has a local version part (`+{local}`), which PyPI refuses", p.name),
                format!(
                    "remove `+{local}` from the version in {} (or pass --bump with a public version), or --exclude {}",
                    version_file(p),
                    ws.id(i)
                ),
            ));
        }
        let mine = (t.clone(), next.to_string());
        let tagged = |k: usize| if k == i { Some(mine.clone()) } else { tagged[k].clone() };
        if let Some(k) = crate::tags::twin(ws, self.tag_groups, i, tagged) {
            let other = &ws.packages[k];
            return Err(fail(
                Code::TagCollision,
                format!("{} {} and {} {} would both be tagged `{t}`", other.ecosystem.as_str(), other.name, p.ecosystem.as_str(), p.name),
                "give one ecosystem its own template in xtask-release.toml, e.g. [tags] python = \"py-{name}-v{version}\"",
            ));
        }
        Ok(t)
    }
}

/// The umbrella tag (`[tags] umbrella`) at the highest next version, when anything is released.
pub(super) fn umbrella_tag(config: &Config, packages: &[Entry]) -> anyhow::Result<Option<String>> {
    let Some(t) = &config.tag_umbrella else { return Ok(None) };
    let top = packages.iter().filter_map(|e| e.next.clone()).reduce(|a, b| if b > a { b } else { a });
    let Some(v) = top else { return Ok(None) };
    let tag = render_tag(t, "", &v.to_string());
    check_ref_name(&tag).map_err(|why| {
        fail(
            Code::TagFormat,
            format!("the umbrella tag would be `{tag}`, which {why}"),
            "change [tags] umbrella in xtask-release.toml",
        )
    })?;
    Ok(Some(tag))
}

/// `XR039`: the tag of package `i`'s planned version exists. Versions are
/// planned above the last tag in HEAD's history, so this one is elsewhere:
/// that version was released from another branch.
fn tag_exists(ws: &Workspace, i: usize, tag: &str, next: Option<&Version>) -> anyhow::Error {
    let p = &ws.packages[i];
    let next = next.map(Version::to_string).unwrap_or_default();
    fail(
        Code::TagExists,
        format!(
            "{} {next} would be tagged `{tag}`, which exists already, on a commit outside HEAD's history (a release from another branch)",
            p.name
        ),
        format!(
            "merge what was released there (its tag is then read), or plan a version above it with --bump VERSION, or leave {} out with --exclude",
            ws.id(i)
        ),
    )
}

/// The reason an entry shows: its decision's, then that its manifest is
/// behind its last tag, then where its version comes from.
fn entry_reason(ws: &Workspace, i: usize, reason: &Reason, behind: Option<&(String, Version)>) -> String {
    let mut reason = reason.clone();
    if let Some((tag, from)) = behind {
        let manifest = ws.packages[i].version_text.clone();
        reason = reason.with(Note::BehindTag { manifest, tag: tag.clone(), from: from.clone() });
    }
    if let Some(note) = source_note(ws, i) {
        reason = reason.with(note);
    }
    reason.to_string()
}

/// Where the version of a maturin or VCS-versioned package comes from, for its reason.
fn source_note(ws: &Workspace, i: usize) -> Option<Note> {
    let p = &ws.packages[i];
    match &p.version_source {
        VersionSource::Crate { manifest, workspace } => {
            let (crate_name, outside) =
                p.built_from.as_ref().map_or((String::new(), false), |b| (b.name.clone(), !b.member));
            let file = workspace.as_deref().map(|w| format!("{w} [workspace.package]")).unwrap_or(manifest.clone());
            Some(Note::Maturin { crate_name, file, outside })
        }
        VersionSource::Vcs(v) => Some(Note::Vcs(*v)),
        _ => ws.maturin_crate(i).map(|j| Note::BuiltFrom(ws.packages[j].name.clone())),
    }
}
