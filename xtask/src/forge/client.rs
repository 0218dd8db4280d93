//! The REST calls: a client with a token finds, creates and deletes releases,
//! retrying rate limits and failures a bounded number of times.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{fit_body, Created, ForgeTarget, Kind, NewRelease, Release};
use crate::error::{fail, Code};

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
    pub(super) target: ForgeTarget,
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
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: String,
}

impl Client {
    pub fn target(&self) -> &ForgeTarget {
        &self.target
    }

    pub(super) fn repo_url(&self) -> String {
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
    pub(super) fn message(&self, body: &str) -> String {
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
    pub(super) fn send(&self, method: &str, url: &str, json: Option<&serde_json::Value>) -> anyhow::Result<Answer> {
        let kind = self.target.kind.title();
        let attempts = self.retry.attempts.max(1);
        let mut pause = self.retry.backoff;
        let mut last = String::new();
        let shown = url.split('?').next().unwrap_or(url);
        for attempt in 1..=attempts {
            let wait = match self.attempt(method, url, shown, json, pause)? {
                Attempt::Answered(a) => return Ok(a),
                Attempt::Again { why, wait } => {
                    last = why;
                    wait
                }
            };
            if attempt == attempts {
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
            format!("{method} {shown} failed {attempts} times, last: {last}"),
            format!("{kind} is down, unreachable or rate-limiting; run the command again later"),
        ))
    }

    /// One try of `send` (`shown`: the URL without its query; `pause`: the
    /// current backoff).
    fn attempt(
        &self,
        method: &str,
        url: &str,
        shown: &str,
        json: Option<&serde_json::Value>,
        pause: Duration,
    ) -> anyhow::Result<Attempt> {
        crate::shell::trace_http(method, shown);
        let req = self.request(method, url);
        let result = match json {
            Some(j) => req.set("Content-Type", "application/json").send_string(&j.to_string()),
            None => req.call(),
        };
        match result {
            Ok(resp) => {
                let status = resp.status();
                Ok(Attempt::Answered(Answer { status, body: resp.into_string().unwrap_or_default() }))
            }
            Err(ureq::Error::Status(status, resp)) => self.refused(method, shown, status, resp, pause),
            Err(ureq::Error::Transport(t)) => {
                if let Some(why) = crate::tls::certificate_refused(&t) {
                    let failed = t.url().map_or_else(|| shown.to_string(), |u| u.to_string());
                    return Err(crate::tls::untrusted(&failed, &why));
                }
                // ureq's transport error names the URL and the cause, never a header
                Ok(Attempt::Again { why: crate::config::one_line(&t.to_string()), wait: None })
            }
        }
    }

    /// A request with the forge's headers, the token in its auth header.
    fn request(&self, method: &str, url: &str) -> ureq::Request {
        let req = self.agent.request(method, url).set("User-Agent", "xtask-release");
        match self.target.kind {
            Kind::GitHub => req
                .set("Authorization", &format!("Bearer {}", self.token.0))
                .set("Accept", "application/vnd.github+json")
                .set("X-GitHub-Api-Version", "2022-11-28"),
            Kind::Gitea => {
                req.set("Authorization", &format!("token {}", self.token.0)).set("Accept", "application/json")
            }
            Kind::GitLab => req.set("PRIVATE-TOKEN", &self.token.0).set("Accept", "application/json"),
        }
    }

    /// An error status: a rate limit or a server error is tried again, 401/403
    /// fail (XR131), anything else is the caller's answer.
    fn refused(
        &self,
        method: &str,
        shown: &str,
        status: u16,
        resp: ureq::Response,
        pause: Duration,
    ) -> anyhow::Result<Attempt> {
        let limited = rate_limit_wait(&resp, status);
        let body = resp.into_string().unwrap_or_default();
        let message_limited = matches!(status, 403 | 429) && body.to_ascii_lowercase().contains("rate limit");
        let again = |why: String, wait: Option<Duration>| Ok(Attempt::Again { why, wait });
        match (status, limited) {
            (403 | 429, Some(wait)) => {
                again(format!("HTTP {status} (rate limited for {} s)", wait.as_secs()), Some(wait))
            }
            (429, None) => again(format!("HTTP {status} (rate limited)"), None),
            // GitHub: without a header, wait at least a minute
            (403, None) if message_limited => {
                again(format!("HTTP {status} (secondary rate limit)"), Some(Duration::from_secs(60).max(pause)))
            }
            (401 | 403, None) => {
                let kind = self.target.kind.title();
                let vars = self.target.kind.token_vars().join(" or ");
                let why = if status == 401 {
                    "the token is missing, wrong or expired"
                } else {
                    "the token may not write releases here"
                };
                Err(fail(
                    Code::ForgeAuth,
                    format!("{kind} answered HTTP {status} to {method} {shown}: {why}{}", self.message(&body)),
                    format!("set a valid token with release rights in {vars}, then run the command again"),
                ))
            }
            (s, _) if s >= 500 => again(format!("HTTP {s}{}", self.message(&body)), None),
            _ => Ok(Attempt::Answered(Answer { status, body })),
        }
    }
}

/// What one try of `send` came to.
enum Attempt {
    Answered(Answer),
    /// Worth another try: why this one failed, and how long the forge asks to wait.
    Again {
        why: String,
        wait: Option<Duration>,
    },
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
