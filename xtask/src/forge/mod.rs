//! Forge releases (GitHub and GitHub Enterprise, Gitea/Forgejo, GitLab) through
//! each forge's REST API over ureq: find a release by tag, create one (an
//! existing release for the tag is left alone, so a resumed release never makes
//! a second one), delete one (rollback). No `gh`/`glab`/`tea` program is run.
//!
//! - Which forge: `[forge] kind/repository/api-url`, else `detect` on the
//!   remote's URL (https, ssh and scp-like forms). Pure: `detect`, `resolve`,
//!   `Links`, `fit_body`.
//! - The token comes from the forge's usual variable (`Kind::token_vars`) and
//!   only ever goes into the one request header that carries it: never argv,
//!   output, errors or files. Without a token `connect` returns `NoToken`,
//!   whose `instructions` say how to make the releases afterwards.
//! - Endpoints (GitHub REST 2022-11-28; Gitea `/api/v1`; GitLab `/api/v4`):
//!   GitHub and Gitea `GET …/repos/{owner}/{repo}/releases/tags/{tag}`,
//!   `POST …/releases`, `DELETE …/releases/{id}`; GitLab
//!   `GET|DELETE /projects/{url-encoded path}/releases/{tag}`, `POST …/releases`.
//! - Bodies are cut to the forge's limit (`body_limit`) with a link to the full
//!   changelog. GitLab has no pre-release flag: a pre-release is an ordinary
//!   release whose name ends in ` (pre-release)`.
//! - 401/403 → XR131, 404/409/422/400 → XR132, no connection/5xx/rate limit not
//!   cleared → XR133. Rate limits (403/429 with `retry-after`, or
//!   `x-ratelimit-remaining: 0` + `x-ratelimit-reset`, or a "rate limit"
//!   message) are waited out a bounded number of times, never longer than
//!   `Retry::max_wait` at once.
//!
//! Files: `pulls` (release pull requests: find, open, update), `remote` (which forge and repository: `detect`, `resolve`), `links`
//! (web pages: `Links`, `encode`), `client` (the REST calls: `connect`,
//! `Client`); here the forge kinds, the target and the release types.

use serde::Serialize;

mod client;
mod links;
mod pulls;
mod remote;
#[cfg(test)]
mod stand_in;

pub use client::{connect, connect_env, Client, Connection, Manual, Retry};
use links::encode_path;
pub use links::{encode, Links};
pub use pulls::{NewPull, Pull};
pub use remote::{detect, resolve};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    GitHub,
    Gitea,
    GitLab,
}

/// How a forge limits a release body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Chars(usize),
    Bytes(usize),
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "github" => Some(Kind::GitHub),
            "gitea" => Some(Kind::Gitea),
            "gitlab" => Some(Kind::GitLab),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::GitHub => "github",
            Kind::Gitea => "gitea",
            Kind::GitLab => "gitlab",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::GitHub => "GitHub",
            Kind::Gitea => "Gitea",
            Kind::GitLab => "GitLab",
        }
    }

    /// The environment variables the token is read from, first set wins (the
    /// order `gh`, `tea` and `glab` use).
    pub fn token_vars(self) -> &'static [&'static str] {
        match self {
            Kind::GitHub => &["GH_TOKEN", "GITHUB_TOKEN"],
            Kind::Gitea => &["GITEA_TOKEN", "FORGEJO_TOKEN"],
            Kind::GitLab => &["GITLAB_TOKEN"],
        }
    }

    /// The longest release body the forge takes. GitHub documents 125,000
    /// characters. GitLab validates descriptions at 1,000,000 characters. Gitea
    /// and Forgejo store the note in a TEXT column, 65,535 bytes on MySQL: we
    /// keep 60,000 bytes.
    pub fn body_limit(self) -> Limit {
        match self {
            Kind::GitHub => Limit::Chars(125_000),
            Kind::Gitea => Limit::Bytes(60_000),
            Kind::GitLab => Limit::Chars(1_000_000),
        }
    }
}

/// A repository on a forge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForgeTarget {
    pub kind: Kind,
    /// `owner/name` (GitLab: `group/subgroup/name`).
    pub repository: String,
    /// The repository's web page, `https://github.com/owner/name`.
    pub web: String,
    /// The REST API's base: `https://api.github.com`, `https://HOST/api/v3`
    /// (Enterprise), `https://HOST/api/v1` (Gitea), `https://HOST/api/v4` (GitLab).
    pub api: String,
}

impl ForgeTarget {
    pub fn links(&self) -> Links {
        Links { kind: self.kind, web: self.web.clone() }
    }

    /// The repository in the REST API.
    fn repo_url(&self) -> String {
        match self.kind {
            Kind::GitHub | Kind::Gitea => format!("{}/repos/{}", self.api, encode_path(&self.repository)),
            Kind::GitLab => format!("{}/projects/{}", self.api, encode(&self.repository)),
        }
    }

    /// The release of a tag in the REST API.
    fn tag_url(&self, tag: &str) -> String {
        match self.kind {
            Kind::GitLab => format!("{}/releases/{}", self.repo_url(), encode(tag)),
            _ => format!("{}/releases/tags/{}", self.repo_url(), encode(tag)),
        }
    }

    /// The requests `Client::create` makes for a tag, for a dry run to print.
    pub fn create_calls(&self, tag: &str) -> [String; 2] {
        [format!("GET {}", self.tag_url(tag)), format!("POST {}/releases (unless it exists)", self.repo_url())]
    }

    /// The requests `Client::delete` makes for a tag, for a dry run to print.
    pub fn delete_calls(&self, tag: &str) -> Vec<String> {
        match self.kind {
            Kind::GitLab => vec![format!("DELETE {}", self.tag_url(tag))],
            Kind::GitHub | Kind::Gitea => {
                vec![format!("GET {}", self.tag_url(tag)), format!("DELETE {}/releases/ID", self.repo_url())]
            }
        }
    }
}

/// `body` cut to the forge's limit at a line end, with a pointer to the full
/// changelog (`changelog_url`) appended when it had to be cut. Pure.
pub fn fit_body(kind: Kind, body: &str, changelog_url: Option<&str>) -> String {
    let (limit, measure): (usize, fn(&str) -> usize) = match kind.body_limit() {
        Limit::Chars(n) => (n, |s| s.chars().count()),
        Limit::Bytes(n) => (n, str::len),
    };
    if measure(body) <= limit {
        return body.to_string();
    }
    let note = match changelog_url {
        Some(url) => format!("\n\n*These notes are cut short: the full list is in the [changelog]({url}).*\n"),
        None => "\n\n*These notes are cut short: the full list is in the changelog.*\n".to_string(),
    };
    let room = limit.saturating_sub(measure(&note));
    // the longest prefix that fits, then back to the last line end
    let mut end = 0;
    let mut used = 0;
    for (i, c) in body.char_indices() {
        let size = match kind.body_limit() {
            Limit::Chars(_) => 1,
            Limit::Bytes(_) => c.len_utf8(),
        };
        if used + size > room {
            break;
        }
        used += size;
        end = i + c.len_utf8();
    }
    let cut = body[..end].rfind('\n').map_or(end, |nl| nl + 1);
    format!("{}{note}", body[..cut].trim_end())
}

/// A release to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewRelease {
    pub tag: String,
    /// The title, e.g. `core 1.2.0` or the tag.
    pub name: String,
    /// Markdown notes (`changelog::release_notes`); cut to the forge's limit here.
    pub body: String,
    pub prerelease: bool,
    /// Where the full notes are (`Links::file(tag, "crates/core/CHANGELOG.md")`),
    /// linked when the body has to be cut.
    pub changelog_url: Option<String>,
}

/// A release on the forge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// GitHub and Gitea number releases; GitLab names them by tag.
    pub id: Option<u64>,
    pub tag: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    Created(Release),
    /// A release for the tag was there already: left as it was.
    Existed(Release),
}

impl Created {
    pub fn release(&self) -> &Release {
        match self {
            Created::Created(r) | Created::Existed(r) => r,
        }
    }
}

#[cfg(test)]
mod tests;
