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

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::config::ForgeConfig;
use crate::error::{fail, Code};

#[cfg(test)]
mod stand_in;

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

/// A remote URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Remote {
    /// `https` or `http` (what the web pages and the API use).
    scheme: &'static str,
    /// Host, with the port for http(s) URLs (an ssh port says nothing about the web).
    host: String,
    segments: Vec<String>,
}

fn parse_remote(url: &str) -> Option<Remote> {
    let url = url.trim();
    let (scheme, rest) = match url.split_once("://") {
        Some((s, rest)) => (s.to_ascii_lowercase(), rest),
        None => {
            // scp-like: [user@]host:path, where host has no slash
            let (host, path) = url.split_once(':')?;
            if host.contains('/') || host.is_empty() || path.starts_with("//") {
                return None;
            }
            return remote_parts("ssh", host, path);
        }
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    match scheme.as_str() {
        "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git" => remote_parts(
            match scheme.as_str() {
                "http" => "http",
                "https" => "https",
                _ => "ssh",
            },
            authority,
            path,
        ),
        _ => None,
    }
}

fn remote_parts(scheme: &str, authority: &str, path: &str) -> Option<Remote> {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if scheme == "ssh" { host_port.split(':').next().unwrap_or("") } else { host_port };
    let host = host.to_ascii_lowercase();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return None;
    }
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let segments: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect();
    if segments.len() < 2 {
        return None;
    }
    let scheme = if scheme == "http" { "http" } else { "https" };
    Some(Remote { scheme, host, segments })
}

fn kind_of_host(host: &str) -> Option<Kind> {
    let name = host.split(':').next().unwrap_or(host);
    match name {
        "github.com" | "ssh.github.com" | "www.github.com" => return Some(Kind::GitHub),
        "gitlab.com" | "altssh.gitlab.com" => return Some(Kind::GitLab),
        "codeberg.org" | "gitea.com" => return Some(Kind::Gitea),
        _ => {}
    }
    let labels: Vec<&str> = name.split('.').collect();
    let has = |word: &str| labels.iter().any(|l| l.contains(word));
    if has("github") {
        Some(Kind::GitHub)
    } else if has("gitlab") {
        Some(Kind::GitLab)
    } else if has("gitea") || has("forgejo") || has("codeberg") {
        Some(Kind::Gitea)
    } else {
        None
    }
}

/// The target for a remote of a known kind: repository from the path, the web
/// and API bases from the host.
fn target(kind: Kind, r: &Remote) -> ForgeTarget {
    let github_com =
        kind == Kind::GitHub && r.host.trim_start_matches("ssh.").trim_start_matches("www.") == "github.com";
    let host = if github_com { "github.com".to_string() } else { r.host.clone() };
    let (prefix, repository) = match kind {
        // a Gitea may live under a sub-path: the repository is the last two segments
        Kind::Gitea | Kind::GitHub => {
            let n = r.segments.len();
            let keep = if kind == Kind::GitHub { 0 } else { n - 2 };
            let repo = if kind == Kind::GitHub { &r.segments[..2] } else { &r.segments[n - 2..] };
            (r.segments[..keep].join("/"), repo.join("/"))
        }
        Kind::GitLab => (String::new(), r.segments.join("/")),
    };
    let base =
        if prefix.is_empty() { format!("{}://{host}", r.scheme) } else { format!("{}://{host}/{prefix}", r.scheme) };
    let api = match kind {
        Kind::GitHub if github_com => "https://api.github.com".to_string(),
        Kind::GitHub => format!("{base}/api/v3"),
        Kind::Gitea => format!("{base}/api/v1"),
        Kind::GitLab => format!("{base}/api/v4"),
    };
    ForgeTarget { kind, web: format!("{base}/{repository}"), repository, api }
}

/// The forge a remote URL points at, when its host says which one it is
/// (github.com, gitlab.com, codeberg.org, or a host name containing github,
/// gitlab, gitea or forgejo). Pure.
pub fn detect(url: &str) -> Option<ForgeTarget> {
    let r = parse_remote(url)?;
    Some(target(kind_of_host(&r.host)?, &r))
}

/// The forge to make releases on, from `[forge]`, the remote's URL and the
/// environment (`GITHUB_API_URL`, which GitHub Actions sets, for GitHub
/// Enterprise). `Ok(None)`: `kind = "none"`, or nothing says which forge.
/// Pure: `env` is asked for variables.
pub fn resolve(
    config: &ForgeConfig,
    remote_url: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<ForgeTarget>> {
    let kind = match config.kind.as_deref() {
        Some("none") => return Ok(None),
        Some(k) => Some(Kind::parse(k).ok_or_else(|| {
            fail(Code::ConfigValue, format!("[forge] kind = {k:?} is unknown"), "use github, gitea, gitlab or none")
        })?),
        None => None,
    };
    let remote = remote_url.and_then(parse_remote);
    let kind = match kind.or_else(|| remote.as_ref().and_then(|r| kind_of_host(&r.host))) {
        Some(k) => k,
        None => return Ok(None),
    };
    let mut remote = remote;
    if let Some(repo) = &config.repository {
        let segments = repo.split('/').map(str::to_string).collect();
        remote = Some(match remote {
            Some(r) => Remote { segments, ..r },
            None => {
                let host = match (&config.api_url, kind) {
                    (Some(api), _) => host_of(api).ok_or_else(|| {
                        fail(Code::ConfigValue, format!("[forge] api-url {api:?} has no host"), "give a full URL")
                    })?,
                    (None, Kind::GitHub) => "github.com".to_string(),
                    (None, _) => {
                        return Err(fail(
                            Code::ConfigValue,
                            format!("[forge] kind = \"{}\" without a remote URL needs api-url", kind.as_str()),
                            "set [forge] api-url (e.g. \"https://git.example.com/api/v1\"), or add the remote",
                        ))
                    }
                };
                let scheme =
                    if config.api_url.as_deref().is_some_and(|u| u.starts_with("http://")) { "http" } else { "https" };
                Remote { scheme, host: if host == "api.github.com" { "github.com".into() } else { host }, segments }
            }
        });
    }
    let Some(remote) = remote else {
        return Err(fail(
            Code::ConfigValue,
            format!("[forge] kind = \"{}\" but the repository is unknown", kind.as_str()),
            "set [forge] repository = \"owner/name\"",
        ));
    };
    let mut t = target(kind, &remote);
    if let Some(api) = &config.api_url {
        t.api = api.trim_end_matches('/').to_string();
    } else if kind == Kind::GitHub {
        if let Some(api) = env("GITHUB_API_URL").filter(|u| u.starts_with("http")) {
            t.api = api.trim_end_matches('/').to_string();
        }
    }
    Ok(Some(t))
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest.split('/').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Web links into a repository, for changelogs and messages. Pure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    pub kind: Kind,
    /// The repository's web page, without a trailing slash.
    pub web: String,
}

impl Links {
    /// GitLab puts repository pages under `/-/`.
    fn dash(&self) -> &'static str {
        if self.kind == Kind::GitLab {
            "/-"
        } else {
            ""
        }
    }

    pub fn commit(&self, hash: &str) -> String {
        format!("{}{}/commit/{hash}", self.web, self.dash())
    }

    /// The changes between two tags.
    pub fn compare(&self, from: &str, to: &str) -> String {
        format!("{}{}/compare/{}...{}", self.web, self.dash(), encode_path(from), encode_path(to))
    }

    /// `#N`: GitHub and Gitea send an issue link of a pull request on to it.
    pub fn issue(&self, n: u64) -> String {
        format!("{}{}/issues/{n}", self.web, self.dash())
    }

    /// A file as of a tag.
    pub fn file(&self, tag: &str, path: &str) -> String {
        match self.kind {
            Kind::Gitea => format!("{}/src/tag/{}/{}", self.web, encode_path(tag), encode_path(path)),
            _ => format!("{}{}/blob/{}/{}", self.web, self.dash(), encode_path(tag), encode_path(path)),
        }
    }

    /// The release page of a tag.
    pub fn release(&self, tag: &str) -> String {
        format!("{}{}/releases/tag/{}", self.web, self.dash(), encode_path(tag))
    }

    /// The page that creates a release for a tag by hand.
    pub fn new_release(&self, tag: &str, title: &str, prerelease: bool) -> String {
        match self.kind {
            Kind::GitHub => format!(
                "{}/releases/new?tag={}&title={}{}",
                self.web,
                encode(tag),
                encode(title),
                if prerelease { "&prerelease=1" } else { "" }
            ),
            Kind::Gitea => format!("{}/releases/new?tag={}", self.web, encode(tag)),
            Kind::GitLab => format!("{}/-/releases/new?tag_name={}", self.web, encode(tag)),
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Percent-encodes a path, keeping its slashes.
fn encode_path(s: &str) -> String {
    s.split('/').map(encode).collect::<Vec<_>>().join("/")
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

/// How rate limits and failures are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Tries per request, the first included.
    pub attempts: u32,
    /// The first pause after a failure without a wait time from the forge; doubled each time.
    pub backoff: Duration,
    /// The longest single wait. A forge asking for longer fails at once (XR133).
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry { attempts: 5, backoff: Duration::from_secs(1), max_wait: Duration::from_secs(90) }
    }
}

/// A token, kept out of `Debug` and `Display`.
struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// A client with a token.
#[derive(Debug)]
pub struct Client {
    target: ForgeTarget,
    token: Token,
    agent: ureq::Agent,
    pub retry: Retry,
}

/// What `connect` finds.
#[derive(Debug)]
pub enum Connection {
    Ready(Client),
    /// No token in the environment: nothing can be created; `Manual` says how
    /// to do it afterwards.
    NoToken(Manual),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manual {
    pub target: ForgeTarget,
    /// The variables a token is read from.
    pub variables: &'static [&'static str],
}

impl Manual {
    /// Lines for a person: the variable to set, and a page per release to make it by hand.
    pub fn instructions(&self, releases: &[NewRelease]) -> String {
        let kind = self.target.kind.title();
        let vars = self.variables.join(" or ");
        let mut out = format!(
            "no {kind} release was made: no token in {vars}. Set it (a token that may write releases) and run the \
             command again, or create each release by hand:\n"
        );
        let links = self.target.links();
        for r in releases {
            let _ = writeln!(out, "  {}: {}", r.tag, links.new_release(&r.tag, &r.name, r.prerelease));
        }
        out
    }
}

/// A client when the forge's token variable is set (`env` is asked, e.g.
/// `|k| std::env::var(k).ok()`), else the manual way.
pub fn connect(target: ForgeTarget, env: impl Fn(&str) -> Option<String>) -> Connection {
    let vars = target.kind.token_vars();
    match vars.iter().find_map(|v| env(v).map(|t| t.trim().to_string()).filter(|t| !t.is_empty())) {
        Some(token) => Connection::Ready(Client {
            target,
            token: Token(token),
            // the platform's certificates too: a forge behind a TLS-intercepting proxy is reached
            agent: crate::tls::agent()
                // never send the token to another host on a redirect (ureq's default; said here on purpose)
                .redirect_auth_headers(ureq::RedirectAuthHeaders::Never)
                .build(),
            retry: Retry::default(),
        }),
        None => Connection::NoToken(Manual { target, variables: vars }),
    }
}

/// `connect` with the process environment.
pub fn connect_env(target: ForgeTarget) -> Connection {
    connect(target, |k| std::env::var(k).ok())
}

/// An answer the caller interprets (404, 409, 422 ... and 2xx).
struct Answer {
    status: u16,
    body: String,
}

impl Client {
    pub fn target(&self) -> &ForgeTarget {
        &self.target
    }

    fn repo_url(&self) -> String {
        self.target.repo_url()
    }

    fn tag_url(&self, tag: &str) -> String {
        self.target.tag_url(tag)
    }

    /// The release of a tag, if there is one.
    pub fn find(&self, tag: &str) -> anyhow::Result<Option<Release>> {
        let a = self.send("GET", &self.tag_url(tag), None)?;
        match a.status {
            200..=299 => Ok(Some(self.release_of(&a.body, tag))),
            404 => Ok(None),
            _ => Err(self.rejected("find the release of", tag, &a)),
        }
    }

    /// Creates the release of `new.tag`, unless one exists: that one is left
    /// alone and returned as `Existed` (so a resumed release never makes two).
    pub fn create(&self, new: &NewRelease) -> anyhow::Result<Created> {
        if let Some(r) = self.find(&new.tag)? {
            return Ok(Created::Existed(r));
        }
        let body = fit_body(self.target.kind, &new.body, new.changelog_url.as_deref());
        let json = match self.target.kind {
            Kind::GitHub | Kind::Gitea => serde_json::json!({
                "tag_name": new.tag,
                "name": new.name,
                "body": body,
                "draft": false,
                "prerelease": new.prerelease,
            }),
            Kind::GitLab => serde_json::json!({
                "tag_name": new.tag,
                "name": if new.prerelease { format!("{} (pre-release)", new.name) } else { new.name.clone() },
                "description": body,
            }),
        };
        let a = self.send("POST", &format!("{}/releases", self.repo_url()), Some(&json))?;
        match a.status {
            200..=299 => Ok(Created::Created(self.release_of(&a.body, &new.tag))),
            // made in the meantime (another run, a person): that one stays
            409 | 422 if already_exists(&a.body) => match self.find(&new.tag)? {
                Some(r) => Ok(Created::Existed(r)),
                None => Err(self.rejected("create the release of", &new.tag, &a)),
            },
            _ => Err(self.rejected("create the release of", &new.tag, &a)),
        }
    }

    /// Deletes the release of a tag (the tag itself stays). `false` when there was none.
    pub fn delete(&self, tag: &str) -> anyhow::Result<bool> {
        let url = match self.target.kind {
            Kind::GitLab => self.tag_url(tag),
            Kind::GitHub | Kind::Gitea => {
                let Some(r) = self.find(tag)? else { return Ok(false) };
                let Some(id) = r.id else {
                    return Err(fail(
                        Code::ForgeRejected,
                        format!("the {} release of {tag} has no id", self.target.kind.title()),
                        "delete it by hand on the forge",
                    ));
                };
                format!("{}/releases/{id}", self.repo_url())
            }
        };
        let a = self.send("DELETE", &url, None)?;
        match a.status {
            200..=299 => Ok(true),
            404 => Ok(false),
            _ => Err(self.rejected("delete the release of", tag, &a)),
        }
    }

    fn release_of(&self, body: &str, tag: &str) -> Release {
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let url = v["html_url"].as_str().or_else(|| v["_links"]["self"].as_str()).map(str::to_string);
        Release {
            id: v["id"].as_u64(),
            tag: v["tag_name"].as_str().unwrap_or(tag).to_string(),
            url: url.or_else(|| Some(self.target.links().release(tag))),
        }
    }

    fn rejected(&self, what: &str, tag: &str, a: &Answer) -> anyhow::Error {
        let kind = self.target.kind.title();
        let help = match a.status {
            404 => format!(
                "check [forge] repository (now `{}`) and that the token can see it; the tag must be pushed first",
                self.target.repository
            ),
            _ => "fix what the forge says, or make the release by hand from the changelog".to_string(),
        };
        fail(
            Code::ForgeRejected,
            format!("{kind} could not {what} {tag}: HTTP {}{}", a.status, self.message(&a.body)),
            help,
        )
    }

    /// The forge's own message, short, on one line, with the token masked.
    fn message(&self, body: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let mut text = match (&v["message"], &v["errors"], &v["error"]) {
            (serde_json::Value::String(m), serde_json::Value::Array(e), _) if !e.is_empty() => {
                format!("{m} ({})", serde_json::Value::Array(e.clone()))
            }
            (serde_json::Value::String(m), ..) => m.clone(),
            (m @ serde_json::Value::Object(_), ..) | (m @ serde_json::Value::Array(_), ..) => m.to_string(),
            (_, _, serde_json::Value::String(e)) => e.clone(),
            _ => body.chars().take(200).collect(),
        };
        text = crate::config::one_line(&text);
        if !self.token.0.is_empty() {
            text = text.replace(&self.token.0, "<token>");
        }
        if text.chars().count() > 300 {
            text = text.chars().take(300).collect::<String>() + "…";
        }
        if text.is_empty() {
            String::new()
        } else {
            format!(": {text}")
        }
    }

    /// One request with retries. 401/403 (not a rate limit) fail here; every
    /// other status is returned.
    fn send(&self, method: &str, url: &str, json: Option<&serde_json::Value>) -> anyhow::Result<Answer> {
        let kind = self.target.kind.title();
        let mut pause = self.retry.backoff;
        let mut last = String::new();
        let shown = url.split('?').next().unwrap_or(url);
        for attempt in 1..=self.retry.attempts.max(1) {
            crate::shell::trace_http(method, shown);
            let mut req = self.agent.request(method, url).set("User-Agent", "xtask-release");
            req = match self.target.kind {
                Kind::GitHub => req
                    .set("Authorization", &format!("Bearer {}", self.token.0))
                    .set("Accept", "application/vnd.github+json")
                    .set("X-GitHub-Api-Version", "2022-11-28"),
                Kind::Gitea => {
                    req.set("Authorization", &format!("token {}", self.token.0)).set("Accept", "application/json")
                }
                Kind::GitLab => req.set("PRIVATE-TOKEN", &self.token.0).set("Accept", "application/json"),
            };
            let result = match json {
                Some(j) => req.set("Content-Type", "application/json").send_string(&j.to_string()),
                None => req.call(),
            };
            let wait = match result {
                Ok(resp) => {
                    let status = resp.status();
                    return Ok(Answer { status, body: resp.into_string().unwrap_or_default() });
                }
                Err(ureq::Error::Status(status, resp)) => {
                    let limited = rate_limit_wait(&resp, status);
                    let body = resp.into_string().unwrap_or_default();
                    let message_limited =
                        matches!(status, 403 | 429) && body.to_ascii_lowercase().contains("rate limit");
                    match (status, limited) {
                        (403 | 429, Some(wait)) => {
                            last = format!("HTTP {status} (rate limited for {} s)", wait.as_secs());
                            Some(wait)
                        }
                        (429, None) => {
                            last = format!("HTTP {status} (rate limited)");
                            None
                        }
                        (403, None) if message_limited => {
                            last = format!("HTTP {status} (secondary rate limit)");
                            // GitHub: without a header, wait at least a minute
                            Some(Duration::from_secs(60).max(pause))
                        }
                        (401 | 403, None) => {
                            let vars = self.target.kind.token_vars().join(" or ");
                            let why = if status == 401 {
                                "the token is missing, wrong or expired"
                            } else {
                                "the token may not write releases here"
                            };
                            return Err(fail(
                                Code::ForgeAuth,
                                format!(
                                    "{kind} answered HTTP {status} to {method} {shown}: {why}{}",
                                    self.message(&body)
                                ),
                                format!("set a valid token with release rights in {vars}, then run the command again"),
                            ));
                        }
                        (s, _) if s >= 500 => {
                            last = format!("HTTP {s}{}", self.message(&body));
                            None
                        }
                        _ => return Ok(Answer { status, body }),
                    }
                }
                Err(ureq::Error::Transport(t)) => {
                    if let Some(why) = crate::tls::certificate_refused(&t) {
                        let failed = t.url().map_or_else(|| shown.to_string(), |u| u.to_string());
                        return Err(crate::tls::untrusted(&failed, &why));
                    }
                    // ureq's transport error names the URL and the cause, never a header
                    last = crate::config::one_line(&t.to_string());
                    None
                }
            };
            if attempt == self.retry.attempts.max(1) {
                break;
            }
            let wait = wait.unwrap_or(pause);
            if wait > self.retry.max_wait {
                return Err(fail(
                    Code::ForgeUnreachable,
                    format!("{kind} rate-limits {method} {shown} for {} s: {last}", wait.as_secs()),
                    format!("run the command again after {} s; nothing was created twice", wait.as_secs()),
                ));
            }
            std::thread::sleep(wait);
            pause = (pause * 2).min(self.retry.max_wait);
        }
        Err(fail(
            Code::ForgeUnreachable,
            format!("{method} {shown} failed {} times, last: {last}", self.retry.attempts.max(1)),
            format!("{kind} is down, unreachable or rate-limiting; run the command again later"),
        ))
    }
}

/// How long a 403/429 answer asks to wait: `retry-after` seconds, or until
/// `x-ratelimit-reset` when `x-ratelimit-remaining` is 0 (GitLab: `ratelimit-*`).
fn rate_limit_wait(resp: &ureq::Response, status: u16) -> Option<Duration> {
    if !matches!(status, 403 | 429) {
        return None;
    }
    if let Some(s) = resp.header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(s));
    }
    let remaining = resp.header("x-ratelimit-remaining").or_else(|| resp.header("ratelimit-remaining"));
    if remaining.map(str::trim) == Some("0") {
        let reset = resp.header("x-ratelimit-reset").or_else(|| resp.header("ratelimit-reset"));
        let reset = reset.and_then(|v| v.trim().parse::<u64>().ok())?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        return Some(Duration::from_secs(reset.saturating_sub(now)));
    }
    None
}

/// Whether a 409/422 answer says the release exists (GitHub: `already_exists`
/// on `tag_name`; Gitea and GitLab: a conflict message).
fn already_exists(body: &str) -> bool {
    let b = body.to_ascii_lowercase();
    b.contains("already_exists") || b.contains("already exists") || b.contains("release is exist")
}

#[cfg(test)]
mod tests;
