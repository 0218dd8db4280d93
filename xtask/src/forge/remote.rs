//! Which forge and repository a remote URL (and `[forge]`) names. Pure.

use super::{ForgeTarget, Kind};
use crate::config::ForgeConfig;
use crate::error::{fail, Code};

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
