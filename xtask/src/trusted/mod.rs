//! Trusted publishing, in-process: the CI job's OIDC token (a JWT) is exchanged
//! for a short-lived registry token (crates.io: `crates.rs`, PyPI: `pypi.rs`),
//! which `Holder` (`holder.rs`) renews before it expires and revokes on every
//! exit. The token reaches `cargo publish` and `uv publish` through their
//! environment only, never argv, output, the journal or a file.
//!
//! Which credential a registry gets is decided here once (`cargo`, `python`):
//! a configured token, trusted publishing, or none, by `[release]
//! trusted-publishing` and what the environment offers; `Credential` is shown
//! in one place (its `Display`), never with a secret.

mod crates;
mod holder;
mod pypi;
#[cfg(test)]
mod stand_in;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::config::{Config, TrustedPublishing};
use crate::error::{fail, Code};

pub use holder::Holder;

/// A token or a JWT: shown as `***` by `Debug`, read only by `expose`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret read from where it is configured (a token in the environment).
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where the job's OIDC token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// GitHub Actions with `permissions: id-token: write`: a fresh JWT per request.
    GitHub { url: String, token: Secret },
    /// GitLab CI: the JWT in a job variable (`id_tokens:`), one per job.
    GitLab { variable: String },
}

impl Provider {
    /// The provider this job offers for a registry whose GitLab variable is `variable`.
    pub fn detect(variable: &str) -> Option<Provider> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let (Some(url), Some(token)) = (var("ACTIONS_ID_TOKEN_REQUEST_URL"), var("ACTIONS_ID_TOKEN_REQUEST_TOKEN")) {
            return Some(Provider::GitHub { url, token: Secret(token) });
        }
        (in_gitlab() && var(variable).is_some()).then(|| Provider::GitLab { variable: variable.to_string() })
    }

    /// A JWT for `audience`. GitHub gives a fresh one per request (each is accepted once).
    pub fn jwt(&self, audience: &str) -> anyhow::Result<Secret> {
        match self {
            Provider::GitHub { url, token } => {
                let sep = if url.contains('?') { '&' } else { '?' };
                let full = format!("{url}{sep}audience={}", encode(audience));
                crate::shell::trace_http("GET", url);
                let auth = format!("Bearer {}", token.expose());
                let answer = http(crate::tls::agent().build().get(&full).set("Authorization", &auth).call(), url);
                let body = answer.map_err(|e| oidc_failed(&e))?;
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                v["value"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(|s| Secret(s.to_string()))
                    .ok_or_else(|| oidc_failed("the answer has no `value`"))
            }
            Provider::GitLab { variable } => std::env::var(variable)
                .ok()
                .filter(|v| !v.is_empty())
                .map(Secret)
                .ok_or_else(|| oidc_failed(&format!("{variable} is not set"))),
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provider::GitHub { .. } => f.write_str("GitHub Actions OIDC"),
            Provider::GitLab { variable } => write!(f, "GitLab CI OIDC, from {variable}"),
        }
    }
}

fn oidc_failed(why: &str) -> anyhow::Error {
    fail(
        Code::TrustedOidc,
        format!("cannot get the CI job's OIDC token: {why}"),
        "in GitHub Actions give the job `permissions: id-token: write`; in GitLab CI add an `id_tokens:` entry",
    )
}

/// The answer of an HTTP request: its body, or why it failed (status and body, one line).
fn http(r: Result<ureq::Response, ureq::Error>, url: &str) -> Result<String, String> {
    match r {
        Ok(resp) => resp.into_string().map_err(|e| format!("reading {url}: {e}")),
        Err(ureq::Error::Status(code, resp)) => {
            let body = resp.into_string().unwrap_or_default();
            Err(format!("{url} answered HTTP {code}: {}", crate::config::one_line(&body)))
        }
        Err(ureq::Error::Transport(t)) => Err(format!("{url}: {t}")),
    }
}

/// A query value: unreserved characters as they are, the rest percent-encoded.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn in_gitlab() -> bool {
    std::env::var("GITLAB_CI").is_ok_and(|v| v == "true")
}

/// Whether this runs in a CI that offers OIDC tokens (GitHub Actions, GitLab CI).
pub fn in_ci() -> bool {
    crate::ci::github_actions() || in_gitlab()
}

/// The registry side of an exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exchange {
    /// crates.io or a registry with its API: `{api}/api/v1/trusted_publishing/tokens`.
    Crates { api: String },
    /// PyPI or an index with its API: `{base}/_/oidc/...`.
    Pypi { base: String },
}

impl Exchange {
    /// How long a minted token lives: crates.io 30 minutes, PyPI 15 (or what
    /// PyPI's answer says), or `XTASK_TOKEN_LIFETIME` seconds (a registry with
    /// shorter lifetimes; the tests' scaled clock).
    pub fn lifetime(&self) -> Duration {
        let set = std::env::var("XTASK_TOKEN_LIFETIME").ok().and_then(|s| s.parse().ok()).map(Duration::from_secs);
        set.unwrap_or(match self {
            Exchange::Crates { .. } => Duration::from_secs(30 * 60),
            Exchange::Pypi { .. } => Duration::from_secs(15 * 60),
        })
    }

    /// The URL tokens are minted at (shown; it holds no secret).
    pub fn mint_url(&self) -> String {
        match self {
            Exchange::Crates { api } => crates::tokens_url(api),
            Exchange::Pypi { base } => pypi::mint_url(base),
        }
    }
}

/// The credential a registry's publish uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A token or password configured for the tool the publish runs (where from: no secret).
    Configured(String),
    /// Minted from the job's OIDC token, handed over in `variable`.
    Trusted { provider: Provider, exchange: Exchange, variable: String },
    /// Nothing: a real publish fails (preflight says so).
    Missing,
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Configured(from) => write!(f, "token from {from}"),
            Credential::Trusted { provider, exchange, variable } => write!(
                f,
                "trusted publishing ({provider}, exchanged at {}; handed over in {variable})",
                exchange.mint_url()
            ),
            Credential::Missing => f.write_str("none"),
        }
    }
}

impl Credential {
    /// The holder that mints this credential's tokens, under trusted publishing.
    pub fn holder(&self) -> Option<Holder> {
        match self {
            Credential::Trusted { provider, exchange, variable } => {
                Some(Holder::new(provider.clone(), exchange.clone(), variable.clone()))
            }
            _ => None,
        }
    }
}

/// The policy applied to one registry: `configured` says where a token is
/// configured; `provider` what OIDC the job offers.
fn choose(
    policy: TrustedPublishing,
    configured: Option<String>,
    provider: Option<Provider>,
    trusted: impl FnOnce(Provider) -> Credential,
) -> anyhow::Result<Credential> {
    let fallback = configured.clone().map_or(Credential::Missing, Credential::Configured);
    match (policy, configured, provider) {
        (TrustedPublishing::Never, ..) => Ok(fallback),
        (TrustedPublishing::Always, _, Some(p)) => Ok(trusted(p)),
        (TrustedPublishing::Always, _, None) => Err(fail(
            Code::TrustedUnavailable,
            "[release] trusted-publishing = \"always\", but this job offers no OIDC token",
            "in GitHub Actions give the publishing job `permissions: id-token: write`; in GitLab CI add an \
             `id_tokens:` entry named as [cargo]/[python] id-token-variable says; or set trusted-publishing = \"auto\"",
        )),
        (TrustedPublishing::Auto, None, Some(p)) if in_ci() => Ok(trusted(p)),
        (TrustedPublishing::Auto, ..) => Ok(fallback),
    }
}

/// The cargo registry's credential (crates.io when `[cargo] registry` is unset).
pub fn cargo(root: &Path, config: &Config) -> anyhow::Result<Credential> {
    let registry = config.cargo_registry.as_deref();
    let configured = crate::registry::cargo_credential_source(root, registry);
    let provider = Provider::detect(&config.cargo_exchange.id_token_variable);
    choose(config.trusted_publishing, configured, provider, |provider| {
        let api = config.cargo_exchange.url.clone().unwrap_or_else(|| "https://crates.io".into());
        Credential::Trusted {
            provider,
            exchange: Exchange::Crates { api },
            variable: crate::registry::cargo_token_variable(registry),
        }
    })
}

/// The Python index's credential.
pub fn python(config: &Config) -> anyhow::Result<Credential> {
    let configured = crate::registry::uv_credential_source();
    let provider = Provider::detect(&config.python_exchange.id_token_variable);
    choose(config.trusted_publishing, configured, provider, |provider| {
        let base = config.python_exchange.url.clone().unwrap_or_else(|| pypi::base_of(&config.python_publish_url));
        Credential::Trusted { provider, exchange: Exchange::Pypi { base }, variable: "UV_PUBLISH_TOKEN".into() }
    })
}

/// The failure of an exchange, in the registry's own words.
fn refused(registry: &str, why: &str) -> anyhow::Error {
    fail(
        Code::TrustedExchange,
        format!("{registry} refused to exchange the job's OIDC token: {why}"),
        "check the trusted publisher configured on the registry (repository, workflow file, environment) and \
         the workflow's trigger, then `cargo xtask release --resume`",
    )
}
