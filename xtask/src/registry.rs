//! Reading registries: what a PyPI-style simple index and a cargo index say
//! about a version, and its checksum. Read-only; publishing is done by uv and
//! cargo themselves.
//!
//! - Python: the simple index (`INDEX/NAME/`), PEP 691 JSON when the server
//!   offers it, else the HTML with `#sha256=` on each file link.
//! - Cargo: a sparse HTTP index (crates.io's kind) or a git index reached by
//!   `file://` (the local test registry's kind); `cksum` of the version's line.
//!
//! HTTP 429 and 5xx and connection failures are retried with backoff
//! (honouring `Retry-After`); 404 means "not there"; a certificate that is
//! not trusted (`crate::tls`) is final.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use xshell::{cmd, Shell};

use crate::error::{fail, Code};
use crate::workspace::pep508::normalize;

/// A file a Python index serves for a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    pub filename: String,
    pub sha256: Option<String>,
}

/// How many times a failing request is tried, and the first pause.
const ATTEMPTS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// GET with retries. `Ok(None)` for 404/410. A certificate the server shows that is not trusted
/// is final (another attempt gets the same certificate); errors name the URL that failed.
fn get(url: &str, accept: &str) -> anyhow::Result<Option<(String, String)>> {
    let agent = crate::tls::agent().build();
    let mut pause = FIRST_BACKOFF;
    let mut last_error = String::new();
    for attempt in 1..=ATTEMPTS {
        crate::shell::trace_http("GET", url);
        match agent.get(url).set("Accept", accept).set("Cache-Control", "no-cache").call() {
            Ok(resp) => {
                let ctype = resp.content_type().to_string();
                let body = resp.into_string().map_err(|e| {
                    fail(
                        Code::RegistryUnreachable,
                        format!("reading {url}: {e}"),
                        "check the network and the index URL",
                    )
                })?;
                return Ok(Some((ctype, body)));
            }
            Err(ureq::Error::Status(404 | 410, _)) => return Ok(None),
            Err(ureq::Error::Status(code, resp)) if code == 429 || code >= 500 => {
                let retry_after = resp.header("Retry-After").and_then(|v| v.trim().parse::<u64>().ok());
                last_error = format!("HTTP {code}");
                if let Some(s) = retry_after {
                    pause = Duration::from_secs(s.min(60));
                }
            }
            Err(ureq::Error::Status(code, resp)) => {
                return Err(fail(
                    Code::RegistryUnreachable,
                    format!("{} answered HTTP {code}", resp.get_url()),
                    "check the index URL in xtask-release.toml and your access to it",
                ))
            }
            Err(ureq::Error::Transport(t)) => {
                // after a redirect, the URL that failed is not the one asked for
                let failed = t.url().map_or_else(|| url.to_string(), |u| u.to_string());
                if let Some(why) = crate::tls::certificate_refused(&t) {
                    return Err(crate::tls::untrusted(&failed, &why));
                }
                last_error = t.to_string();
            }
        }
        if attempt < ATTEMPTS {
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(10));
        }
    }
    Err(fail(
        Code::RegistryUnreachable,
        format!("{url} failed {ATTEMPTS} times, last: {last_error}"),
        "the registry is down or unreachable; retry later (a release resumes with --resume)",
    ))
}

/// GET `url` as text (retried as every read is); `None` for 404/410.
pub fn get_text(url: &str) -> anyhow::Result<Option<String>> {
    Ok(get(url, "application/json, */*")?.map(|(_, body)| body))
}

/// The files the index serves for `name`; `None` when the project does not exist.
pub fn pypi_files(index_url: &str, name: &str) -> anyhow::Result<Option<Vec<RemoteFile>>> {
    let url = format!("{}/{}/", index_url.trim_end_matches('/'), normalize(name));
    let Some((ctype, body)) = get(&url, "application/vnd.pypi.simple.v1+json, text/html;q=0.1")? else {
        return Ok(None);
    };
    if ctype.starts_with("application/vnd.pypi.simple.v1+json") || ctype == "application/json" {
        let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| {
            fail(Code::RegistryUnreachable, format!("{url}: invalid PEP 691 JSON: {e}"), "check the index URL")
        })?;
        let files = v["files"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| {
                        Some(RemoteFile {
                            filename: f["filename"].as_str()?.to_string(),
                            sha256: f["hashes"]["sha256"].as_str().map(str::to_string),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        return Ok(Some(files));
    }
    Ok(Some(parse_simple_html(&body)))
}

/// The versions the index has files for (from the file names: PEP 625 sdists
/// `name-VERSION.tar.gz` and wheels `name-VERSION-TAGS.whl`).
pub fn pypi_versions(index_url: &str, name: &str) -> anyhow::Result<Vec<String>> {
    let files = pypi_files(index_url, name)?.unwrap_or_default();
    let mut out: Vec<String> = files.iter().filter_map(|f| version_of_file(name, &f.filename)).collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// `my_pkg-1.2.0-py3-none-any.whl` or `My-Pkg-1.2.0.tar.gz` → `1.2.0`, when the
/// file belongs to `name`.
pub fn version_of_file(name: &str, file: &str) -> Option<String> {
    let stem = normalize(name).replace('-', "_");
    let head = file.get(..stem.len())?;
    if head.to_ascii_lowercase().replace(['-', '.'], "_") != stem || file.as_bytes().get(stem.len()) != Some(&b'-') {
        return None;
    }
    let rest = &file[stem.len() + 1..];
    let version = match rest.strip_suffix(".tar.gz").or_else(|| rest.strip_suffix(".zip")) {
        Some(v) => v,
        None => rest.strip_suffix(".whl")?.split('-').next()?,
    };
    Some(version.to_string())
}

/// File links of a PEP 503 page: `<a href="URL#sha256=HEX">FILE</a>`.
pub fn parse_simple_html(html: &str) -> Vec<RemoteFile> {
    let mut out = vec![];
    let mut rest = html;
    while let Some(i) = rest.find("href=") {
        rest = &rest[i + 5..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(end) = rest[1..].find(quote) else {
            break;
        };
        let href = &rest[1..1 + end];
        rest = &rest[1 + end..];
        let (path, fragment) = href.split_once('#').unwrap_or((href, ""));
        let filename = percent_decode(path.rsplit('/').next().unwrap_or(path));
        let sha256 = fragment.strip_prefix("sha256=").map(|h| h.to_ascii_lowercase());
        if !filename.is_empty() {
            out.push(RemoteFile { filename, sha256 });
        }
    }
    out
}

/// `%2B` → `+` (file names in index links; the forge stand-in reuses it).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where a cargo registry's index is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CargoIndex {
    /// `sparse+https://...`: one HTTP file per crate.
    Sparse(String),
    /// A git index on this machine (`file://PATH`).
    GitPath(PathBuf),
}

impl CargoIndex {
    /// The registry `name` as cargo would find it: `CARGO_REGISTRIES_<NAME>_INDEX`,
    /// then `[registries.NAME] index` in the repository's and CARGO_HOME's config.
    /// `None` is crates.io.
    pub fn resolve(root: &Path, name: Option<&str>) -> anyhow::Result<CargoIndex> {
        let Some(name) = name else {
            return Ok(CargoIndex::Sparse("https://index.crates.io/".into()));
        };
        let url = std::env::var(format!("CARGO_REGISTRIES_{}_INDEX", env_name(name)))
            .ok()
            .or_else(|| config_files(root).iter().find_map(|f| registry_index_in(f, name)))
            .ok_or_else(|| {
                fail(
                    Code::UnknownRegistry,
                    format!("cargo registry `{name}` is not configured"),
                    format!("add [registries.{name}] index = \"...\" to .cargo/config.toml, or set CARGO_REGISTRIES_{}_INDEX", env_name(name)),
                )
            })?;
        if let Some(s) = url.strip_prefix("sparse+") {
            return Ok(CargoIndex::Sparse(s.to_string()));
        }
        if let Some(p) = url.strip_prefix("file://") {
            return Ok(CargoIndex::GitPath(PathBuf::from(p)));
        }
        Err(fail(
            Code::UnknownRegistry,
            format!("registry `{name}` has index {url}: only sparse (sparse+http...) and local git (file://) indexes can be read"),
            "use the registry's sparse index URL",
        ))
    }

    /// The index URL as cargo is configured with it (`sparse+…`, `file://…`).
    pub fn url(&self) -> String {
        match self {
            CargoIndex::Sparse(base) => format!("sparse+{base}"),
            CargoIndex::GitPath(path) => format!("file://{}", path.display()),
        }
    }

    /// The `cksum` of `name`@`version` in the index, `None` when it is not there.
    pub fn cksum(&self, sh: &Shell, name: &str, version: &str) -> anyhow::Result<Option<String>> {
        let text = self.entries(sh, name)?.unwrap_or_default();
        Ok(text.lines().find_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).ok()?;
            (v["vers"].as_str()? == version).then(|| v["cksum"].as_str().unwrap_or_default().to_string())
        }))
    }

    /// Whether the index has `name` at all (any version, yanked ones too).
    pub fn has_crate(&self, sh: &Shell, name: &str) -> anyhow::Result<bool> {
        Ok(self.entries(sh, name)?.is_some_and(|t| !t.trim().is_empty()))
    }

    /// Every version of `name` the index lists that is not yanked.
    pub fn versions(&self, sh: &Shell, name: &str) -> anyhow::Result<Vec<String>> {
        let text = self.entries(sh, name)?.unwrap_or_default();
        Ok(text
            .lines()
            .filter_map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).ok()?;
                (!v["yanked"].as_bool().unwrap_or(false)).then(|| v["vers"].as_str().map(str::to_string))?
            })
            .collect())
    }

    /// The index file of `name` (one JSON line per version), `None` when there is none.
    fn entries(&self, sh: &Shell, name: &str) -> anyhow::Result<Option<String>> {
        let rel = index_path(name);
        let text = match self {
            CargoIndex::Sparse(base) => {
                let url = format!("{}/{rel}", base.trim_end_matches('/'));
                match get(&url, "*/*")? {
                    Some((_, body)) => body,
                    None => return Ok(None),
                }
            }
            CargoIndex::GitPath(path) => {
                let spec = format!("HEAD:{rel}");
                // a missing file is "not there"; a missing index is an error (asked
                // only then: polling reads an existing file with one git call)
                match crate::shell::probe(cmd!(sh, "git -C {path} show {spec}")) {
                    Some(text) => text,
                    None if crate::shell::succeeds(cmd!(sh, "git -C {path} rev-parse --verify --quiet HEAD")) => {
                        return Ok(None)
                    }
                    None => {
                        return Err(fail(
                            Code::RegistryUnreachable,
                            format!("cannot read the git index at {}", path.display()),
                            "check the registry's index path",
                        ))
                    }
                }
            }
        };
        Ok(Some(text))
    }
}

/// cargo's index layout: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd...`.
pub fn index_path(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
}

pub fn env_name(registry: &str) -> String {
    registry.to_ascii_uppercase().replace('-', "_")
}

pub fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"))
}

fn config_files(root: &Path) -> Vec<PathBuf> {
    vec![
        root.join(".cargo/config.toml"),
        root.join(".cargo/config"),
        cargo_home().join("config.toml"),
        cargo_home().join("config"),
    ]
}

fn registry_index_in(file: &Path, name: &str) -> Option<String> {
    let doc: toml_edit::DocumentMut = std::fs::read_to_string(file).ok()?.parse().ok()?;
    doc.get("registries")?.get(name)?.get("index")?.as_str().map(str::to_string)
}

/// The variable cargo reads the registry's token from.
pub fn cargo_token_variable(name: Option<&str>) -> String {
    match name {
        None => "CARGO_REGISTRY_TOKEN".to_string(),
        Some(n) => format!("CARGO_REGISTRIES_{}_TOKEN", env_name(n)),
    }
}

/// Where cargo finds a token for the registry (environment, credentials file
/// or a credential provider), shown without it; `None` when it has none.
pub fn cargo_credential_source(root: &Path, name: Option<&str>) -> Option<String> {
    let env_key = cargo_token_variable(name);
    if std::env::var_os(&env_key).is_some_and(|v| !v.is_empty()) {
        return Some(env_key);
    }
    if let Some((file, _)) = credentials_file_token(name) {
        return Some(file.display().to_string());
    }
    credential_provider(root).map(|f| format!("the credential provider {} names", f.display()))
}

/// The token `cargo login` wrote for the registry (CARGO_HOME's credentials
/// file, read as cargo's default provider `cargo:token` reads it) and the
/// file; `None` when there is none, or when a credential provider is
/// configured (cargo would ask that one, so the tool leaves the upload to cargo).
pub fn cargo_login_token(root: &Path, name: Option<&str>) -> Option<(PathBuf, String)> {
    if credential_provider(root).is_some() {
        return None;
    }
    credentials_file_token(name)
}

/// `token` of the registry's table in CARGO_HOME's `credentials.toml` (or the old `credentials`).
fn credentials_file_token(name: Option<&str>) -> Option<(PathBuf, String)> {
    let home = cargo_home();
    [home.join("credentials.toml"), home.join("credentials")].into_iter().find_map(|file| {
        let doc: toml_edit::DocumentMut = std::fs::read_to_string(&file).ok()?.parse().ok()?;
        let table = match name {
            None => doc.get("registry"),
            Some(n) => doc.get("registries").and_then(|r| r.get(n)),
        };
        let token = table?.get("token")?.as_str()?.to_string();
        (!token.is_empty()).then_some((file, token))
    })
}

/// The configuration file that names a credential provider (`credential-provider`
/// of a registry, `global-credential-providers`), if one does.
/// The environment's provider variables count too (the variable's name stands for the file).
fn credential_provider(root: &Path) -> Option<PathBuf> {
    let set = std::env::vars_os().filter(|(_, v)| !v.is_empty()).filter_map(|(k, _)| k.into_string().ok());
    if let Some(variable) = provider_variable(set) {
        return Some(PathBuf::from(format!("${variable}")));
    }
    let ancestors = root.ancestors().skip(1).flat_map(|d| [d.join(".cargo/config.toml"), d.join(".cargo/config")]);
    config_files(root).into_iter().chain(ancestors).find(|f| {
        std::fs::read_to_string(f)
            .is_ok_and(|t| t.contains("credential-provider") || t.contains("global-credential-providers"))
    })
}

/// The variable among `set` (the names of the set variables) that names a credential
/// provider: `CARGO_REGISTRY_CREDENTIAL_PROVIDER`, `CARGO_REGISTRIES_<NAME>_CREDENTIAL_PROVIDER`
/// or `CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS`.
fn provider_variable(set: impl IntoIterator<Item = String>) -> Option<String> {
    set.into_iter().find(|k| {
        k == "CARGO_REGISTRY_CREDENTIAL_PROVIDER"
            || k == "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS"
            || (k.starts_with("CARGO_REGISTRIES_") && k.ends_with("_CREDENTIAL_PROVIDER"))
    })
}

/// Whether cargo has a token for the registry (`cargo_credential_source`).
pub fn cargo_has_credentials(root: &Path, name: Option<&str>) -> bool {
    cargo_credential_source(root, name).is_some()
}

/// Where uv finds credentials for publishing (token or username/password, or
/// an explicit choice of its own trusted publishing), shown without them.
pub fn uv_credential_source() -> Option<String> {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if set("UV_PUBLISH_TOKEN") {
        Some("UV_PUBLISH_TOKEN".into())
    } else if set("UV_PUBLISH_USERNAME") && set("UV_PUBLISH_PASSWORD") {
        Some("UV_PUBLISH_USERNAME and UV_PUBLISH_PASSWORD".into())
    } else if std::env::var("UV_PUBLISH_TRUSTED_PUBLISHING").is_ok_and(|v| v == "always") {
        Some("uv's own trusted publishing (UV_PUBLISH_TRUSTED_PUBLISHING=always)".into())
    } else {
        None
    }
}

/// Whether uv has credentials for publishing (`uv_credential_source`).
pub fn uv_has_credentials() -> bool {
    uv_credential_source().is_some()
}

/// Polls `check` until it returns `Some`, with growing pauses, up to `timeout`.
pub fn poll<T>(timeout: Duration, mut check: impl FnMut() -> anyhow::Result<Option<T>>) -> anyhow::Result<Option<T>> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(200);
    loop {
        if let Some(v) = check()? {
            return Ok(Some(v));
        }
        if start.elapsed() >= timeout {
            return Ok(None);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_provider_variables() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(provider_variable(names(&["PATH", "CARGO_REGISTRY_TOKEN"])), None);
        assert_eq!(provider_variable(names(&["CARGO_REGISTRIES_MY_TOKEN"])), None);
        for v in [
            "CARGO_REGISTRY_CREDENTIAL_PROVIDER",
            "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS",
            "CARGO_REGISTRIES_MY_REG_CREDENTIAL_PROVIDER",
        ] {
            assert_eq!(provider_variable(names(&["HOME", v])).as_deref(), Some(v));
        }
    }

    #[test]
    fn versions_from_file_names() {
        assert_eq!(version_of_file("My-Pkg", "my_pkg-1.2.0-py3-none-any.whl").as_deref(), Some("1.2.0"));
        assert_eq!(version_of_file("my.pkg", "My-Pkg-1.2.0rc1.tar.gz").as_deref(), Some("1.2.0rc1"));
        assert_eq!(version_of_file("pkg", "pkg_extra-1.0.tar.gz"), None);
        assert_eq!(version_of_file("pkg", "pkg-1.0.exe"), None);
    }

    #[test]
    fn index_paths() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("abc"), "3/a/abc");
        assert_eq!(index_path("Serde_json"), "se/rd/serde_json");
    }

    #[test]
    fn simple_html() {
        let html = r#"<a href="/packages/my_pp-1.0.0-py3-none-any.whl#sha256=7EC5">my_pp</a><br>
            <a href='../../x/my_pp-1.0.0%2Blocal.tar.gz#sha256=21c4' data-requires-python="&gt;=3.9">x</a>"#;
        assert_eq!(
            parse_simple_html(html),
            vec![
                RemoteFile { filename: "my_pp-1.0.0-py3-none-any.whl".into(), sha256: Some("7ec5".into()) },
                RemoteFile { filename: "my_pp-1.0.0+local.tar.gz".into(), sha256: Some("21c4".into()) },
            ]
        );
    }
}
