//! The repository being released: root, configuration, packages, graph and
//! history, loaded once and shared by the commands. Reads only.

use std::path::{Path, PathBuf};

use xshell::Shell;

use crate::changelog::{self, Section};
use crate::config::{Config, FILE_NAME};
use crate::error::{fail, Code, Failure};
use crate::forge::{self, ForgeTarget, Links};
use crate::git;
use crate::graph::Graph;
use crate::history::{self, PackageHistory, Tag};
use crate::plan::{self, Options, Plan};
use crate::version::Version;
use crate::workspace::{VersionSource, Workspace};

pub struct Repo {
    pub root: PathBuf,
    pub config: Config,
    pub ws: Workspace,
}

impl Repo {
    /// The repository's top folder: `--root`, or the one containing the xtask.
    pub fn locate(root: Option<&Path>) -> anyhow::Result<PathBuf> {
        let root = match root {
            Some(r) => r.to_path_buf(),
            None => default_root(),
        };
        let root = root.canonicalize().map_err(|e| {
            fail(Code::NotARepo, format!("{}: {e}", root.display()), "pass an existing repository with --root")
        })?;
        if !root.join(".git").exists() {
            return Err(fail(
                Code::NotARepo,
                format!("{} is not the top of a git repository", root.display()),
                "pass the repository's top folder with --root (the one holding .git)",
            ));
        }
        Ok(root)
    }

    /// Finds the root, reads the configuration and discovers the packages.
    pub fn load(root: Option<&Path>, config: Option<&Path>) -> anyhow::Result<Repo> {
        let root = Repo::locate(root)?;
        let mut config = match config {
            Some(c) => Config::load(c, true)?,
            None => Config::load(&root.join(FILE_NAME), false)?,
        };
        let ws = Workspace::discover(&root, &config)?;
        crate::tags::add_umbrella_groups(&mut config, &ws);
        Ok(Repo { root, config, ws })
    }

    pub fn graph(&self) -> anyhow::Result<Graph> {
        Graph::new(&self.ws)
    }

    /// What the edits of a release read: root, workspace, configuration.
    pub fn tree(&self) -> crate::edits::Tree<'_> {
        crate::edits::Tree { root: &self.root, ws: &self.ws, config: &self.config }
    }

    /// One `git log` and one `git for-each-ref`, then per-package analysis.
    pub fn history(&self, sh: &Shell) -> anyhow::Result<Vec<PackageHistory>> {
        Ok(self.history_and_tags(sh)?.0)
    }

    fn history_and_tags(&self, sh: &Shell) -> anyhow::Result<(Vec<PackageHistory>, Vec<Tag>)> {
        self.require_whole_history()?;
        let (log, tags) = self.log_and_tags()?;
        if tags.is_empty() {
            self.require_remote_tags(sh)?;
        }
        let groups = crate::tags::tag_groups(&self.config, &self.ws);
        let patterns = |i: usize| crate::tags::tag_patterns(&self.config, &self.ws.packages[i], groups[i]);
        Ok((history::analyze(&log, &tags, &self.ws.packages, &patterns), tags))
    }

    /// The log and the tags, read at once: `for-each-ref` (thousands of tags
    /// in a large repository) runs on its own thread while the log streams.
    fn log_and_tags(&self) -> anyhow::Result<(history::Log, Vec<Tag>)> {
        std::thread::scope(|s| {
            let tags = s.spawn(|| history::read_tags(&Shell::new()?, &self.root));
            let log = history::read_log(&self.root, &self.ws.packages, self.config.convention);
            let tags = tags.join().map_err(|_| anyhow::anyhow!("reading the tags panicked"))?;
            Ok((log?, tags?))
        })
    }

    /// `XR048`: a shallow clone (CI's default checkout) would plan every
    /// package as a first release.
    fn require_whole_history(&self) -> anyhow::Result<()> {
        if !git::is_shallow(&self.root) {
            return Ok(());
        }
        Err(fail(
            Code::ShallowClone,
            format!("{} is a shallow clone: the history and tags before its cut are missing", self.root.display()),
            "fetch them: git fetch --unshallow --tags (in GitHub Actions: actions/checkout with fetch-depth: 0)",
        ))
    }

    /// `XR049`: a clone with no tags whose remote has release tags. Asked of
    /// the remote only where tags are likely left behind: in CI (`CI` set) or
    /// a clone that fetches none (`tagopt = --no-tags`); an unreachable
    /// remote is no reason to stop.
    fn require_remote_tags(&self, sh: &Shell) -> anyhow::Result<()> {
        let remote = &self.config.remote;
        if std::env::var_os("CI").is_none() && !git::fetches_no_tags(&self.root, remote) {
            return Ok(());
        }
        let Some(on_remote) = git::remote_tags_if_reachable(sh, &self.root, remote) else { return Ok(()) };
        let groups = crate::tags::tag_groups(&self.config, &self.ws);
        let patterns: Vec<String> = (0..self.ws.packages.len())
            .filter(|&i| self.ws.packages[i].unpublishable.is_none())
            .flat_map(|i| crate::tags::tag_patterns(&self.config, &self.ws.packages[i], groups[i]))
            .collect();
        let mut releases: Vec<&String> =
            on_remote.keys().filter(|t| patterns.iter().any(|p| crate::tags::match_tag(p, t).is_some())).collect();
        if releases.is_empty() {
            return Ok(());
        }
        releases.sort();
        let shown: Vec<&str> = releases.iter().take(3).map(|t| t.as_str()).collect();
        let more = if releases.len() > 3 { format!(" and {} more", releases.len() - 3) } else { String::new() };
        Err(fail(
            Code::TagsNotFetched,
            format!("this clone has no tags, but `{remote}` has release tags: {}{more}", shown.join(", ")),
            "fetch them: git fetch --tags (in GitHub Actions: actions/checkout with fetch-depth: 0)",
        ))
    }

    /// The plan (what `plan`, `changelog` and `release` start from). A plan
    /// that reads no tag where tags look like releases is warned about on
    /// stderr (`unread_tags`): every package would be a first release.
    pub fn plan(&self, sh: &Shell, opts: &Options) -> anyhow::Result<(Graph, Plan)> {
        self.ws.require_plannable()?;
        let graph = self.graph()?;
        let (history, tags) = self.history_and_tags(sh)?;
        let any_read =
            self.ws.packages.iter().zip(&history).any(|(p, h)| p.unpublishable.is_none() && !h.tags.is_empty());
        let warning = self.unread_tags(&tags, any_read);
        if let Some(w) = &warning {
            eprint!("{}", crate::error::render_warning(w));
        }
        let mut plan = plan::plan(&self.ws, &graph, &history, &self.config, opts)?;
        plan.warnings.extend(warning.as_ref().map(plan::Warning::from));
        // which files, not their text: the sections without links (no remote lookup)
        let sections = self.changelog_with(&plan, None);
        plan.files = crate::edits::files(sh, self.tree(), &plan, &sections)?;
        Ok((graph, plan))
    }

    /// Whether any publishable package's tag patterns match one of `tags`
    /// (whatever its commit): what `check` asks without reading the log.
    pub fn reads_any(&self, tags: &[Tag]) -> bool {
        let groups = crate::tags::tag_groups(&self.config, &self.ws);
        self.ws.packages.iter().enumerate().filter(|(_, p)| p.unpublishable.is_none()).any(|(i, p)| {
            let patterns = crate::tags::tag_patterns(&self.config, p, groups[i]);
            tags.iter().any(|t| {
                patterns
                    .iter()
                    .filter_map(|pat| crate::tags::match_tag(pat, &t.name))
                    .any(|v| crate::version::Version::parse(p.ecosystem, v).is_ok())
            })
        })
    }

    /// `XR038` for each publishable package whose version is below its last
    /// tag's (the highest of its tags in HEAD's history, as `plan` reads it):
    /// (package name, warning). Asks git only about tags above a version.
    pub fn behind_tags(&self, sh: &Shell, tags: &[Tag]) -> Vec<(String, Failure)> {
        let groups = crate::tags::tag_groups(&self.config, &self.ws);
        let mut out = vec![];
        for (i, p) in self.ws.packages.iter().enumerate().filter(|(_, p)| p.unpublishable.is_none()) {
            let Some(current) = p.version.as_ref().filter(|_| !matches!(p.version_source, VersionSource::Vcs(_)))
            else {
                continue;
            };
            let patterns = crate::tags::tag_patterns(&self.config, p, groups[i]);
            let mut above: Vec<(Version, &Tag)> = tags
                .iter()
                .filter_map(|t| {
                    let text = patterns.iter().find_map(|pat| crate::tags::match_tag(pat, &t.name))?;
                    Some((Version::parse(p.ecosystem, text).ok()?, t))
                })
                .filter(|(v, _)| v > current)
                .collect();
            above.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
            let Some((version, tag)) =
                above.into_iter().find(|(_, t)| git::is_ancestor(sh, &self.root, &t.commit, "HEAD"))
            else {
                continue;
            };
            let file = plan::version_file(p);
            out.push((
                p.name.clone(),
                Failure::new(
                    Code::ManifestBehindTag,
                    format!(
                        "{file} says {}, behind its last tag {}: plan and release start from {version}",
                        p.version_text, tag.name
                    ),
                    format!(
                        "the next release writes a version above {version}; to silence this, set {file} to {version}"
                    ),
                ),
            ));
        }
        out
    }

    /// `XR044` when tags look like releases but none is read (`any_read`).
    pub fn unread_tags(&self, tags: &[Tag], any_read: bool) -> Option<Failure> {
        let (count, examples) = history::unread_release_tags(tags, any_read)?;
        let groups = crate::tags::tag_groups(&self.config, &self.ws);
        let mut templates: Vec<String> = vec![];
        for (i, p) in self.ws.packages.iter().enumerate().filter(|(_, p)| p.unpublishable.is_none()) {
            let t = match groups[i].map(|g| &self.config.groups[g]) {
                Some(g) => g.tag[0].clone(),
                None => self.config.tag_template(p.ecosystem),
            };
            if !templates.contains(&t) {
                templates.push(t);
            }
        }
        if templates.is_empty() {
            return None; // nothing is released: nothing to warn about
        }
        Some(Failure::new(
            Code::TagsUnread,
            format!(
                "{count} tag(s) look like releases ({}{}) but none matches the tag template(s) {}: every package is planned as a first release",
                examples.join(", "),
                if count > examples.len() { ", ..." } else { "" },
                templates.join(", ")
            ),
            "run `cargo xtask init` to write the templates these tags follow (it shows each package's last release first), or set [tags] in xtask-release.toml",
        ))
    }

    /// The forge releases are made on: `[forge]`, the remote's URL and the
    /// environment. `None`: `kind = "none"`, or nothing says which forge.
    pub fn forge(&self, sh: &Shell) -> anyhow::Result<Option<ForgeTarget>> {
        let url = git::remote_url(sh, &self.root, &self.config.remote);
        forge::resolve(&self.config.forge, url.as_deref(), |k| std::env::var(k).ok())
    }

    /// The changelog section of every package the plan releases, dated today
    /// (UTC, or `SOURCE_DATE_EPOCH`), with links when the forge is known.
    /// What `changelog` prints and what `release` writes and journals.
    pub fn changelog(&self, sh: &Shell, plan: &Plan) -> anyhow::Result<Vec<Section>> {
        let links = self.forge(sh)?.map(|t| t.links());
        Ok(self.changelog_with(plan, links.as_ref()))
    }

    /// The sections with the given links (`None`: no remote lookup, for when
    /// only the files matter).
    pub fn changelog_with(&self, plan: &Plan, links: Option<&Links>) -> Vec<Section> {
        let date = changelog::today();
        let ctx = changelog::Context {
            config: &self.config.changelog,
            links,
            date: &date,
            convention: self.config.convention,
        };
        changelog::sections(plan, &ctx)
    }
}

impl Repo {
    /// The style each section is written in: its file's (`changelog::style_of`).
    pub fn changelog_styles(&self, sections: &[Section]) -> Vec<changelog::Style> {
        sections
            .iter()
            .map(|s| changelog::style_of(std::fs::read_to_string(self.root.join(&s.path)).ok().as_deref()))
            .collect()
    }
}

/// The repository that contains this xtask: the parent of the crate's folder
/// when it was built, else the git work tree around the current directory.
fn default_root() -> PathBuf {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf);
    match built {
        Some(p) if p.join(".git").exists() => p,
        _ => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    }
}
