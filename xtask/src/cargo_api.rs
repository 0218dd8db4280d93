//! Publishing a `.crate` through a cargo registry's web API, as `cargo
//! publish` does (`PUT {api}/api/v1/crates/new`), so that the bytes uploaded
//! are exactly the `.crate` the release packaged and verified: `cargo publish`
//! would package the crate again (a second cargo run on every crate of the
//! dependency chain, its `Cargo.lock` resolved anew).
//!
//! - `new_crate`: the metadata cargo sends (`NewCrate` of cargo's `crates-io`
//!   crate), read from the `.crate`'s own `Cargo.toml` — the manifest cargo
//!   normalized for publishing, from which cargo itself builds that metadata
//!   (`prepare_transmit`): dependencies in cargo's order, version requirements
//!   and `cfg(…)` targets rendered as cargo renders them, "from the same
//!   registry" left out. A manifest with what this does not know (artifact
//!   dependencies) is `Unsupported`: the release then runs `cargo publish`.
//! - `body`: the request body (u32 LE length + JSON, u32 LE length + `.crate`).
//! - `api_of`: the registry's API from its index's `config.json`.
//! - `publish`: the request, the token as cargo sends it (`Authorization`,
//!   never shown); a refusal is a `Failure` whose `output` has the status and
//!   the registry's message, so that a 429 is waited out as for `cargo publish`.
//!
//! Below `release`; it imports `registry`, `tls`, `shell` (tracing) and `error`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use toml_edit::{DocumentMut, Item};
use xshell::{cmd, Shell};

use crate::error::{fail, Code, Failure};
use crate::registry::CargoIndex;

/// crates.io's index as cargo names it in a dependency from crates.io.
pub const CRATES_IO_INDEX: &str = "https://github.com/rust-lang/crates.io-index";

/// Why a `.crate` is published with `cargo publish` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// The registry the crate goes to: `None` is crates.io, else its index URL as
/// cargo is configured with it (`sparse+https://…`, `file://…`).
pub type Target<'a> = Option<&'a str>;

/// The metadata `cargo publish` sends for the crate whose normalized
/// `Cargo.toml` is `manifest`; `readme` reads a file of the `.crate` by its
/// path inside the package.
pub fn new_crate(
    manifest: &str,
    readme: impl Fn(&str) -> Option<String>,
    target: Target,
) -> Result<Value, Unsupported> {
    let doc: DocumentMut = manifest.parse().map_err(|e| Unsupported(format!("Cargo.toml: {e}")))?;
    let package = doc.get("package").ok_or_else(|| Unsupported("no [package]".into()))?;
    let text = |key: &str| package.get(key).and_then(Item::as_str).map(str::to_string);
    let list = |key: &str| strings(package.get(key));
    let readme_file = text("readme");
    let readme = match &readme_file {
        Some(path) => Some(readme(path).ok_or_else(|| Unsupported(format!("the .crate has no readme {path}")))?),
        None => None,
    };
    Ok(json!({
        "name": text("name").ok_or_else(|| Unsupported("no package.name".into()))?,
        "vers": text("version").ok_or_else(|| Unsupported("no package.version".into()))?,
        "deps": dependencies(&doc, target)?,
        "features": features(doc.get("features")),
        "authors": list("authors"),
        "description": text("description"),
        "documentation": text("documentation"),
        "homepage": text("homepage"),
        "readme": readme,
        "readme_file": readme_file,
        "keywords": list("keywords"),
        "categories": list("categories"),
        "license": text("license"),
        "license_file": text("license-file"),
        "repository": text("repository"),
        "badges": badges(doc.get("badges")),
        "links": text("links"),
        "rust_version": text("rust-version"),
    }))
}

/// Every dependency in cargo's order: the manifest's own tables (normal, dev,
/// build), then each `[target.KEY]` in key order with the same three; within a
/// table, by name (the normalized manifest's order).
fn dependencies(doc: &DocumentMut, target: Target) -> Result<Vec<Value>, Unsupported> {
    let mut out = vec![];
    let mut tables: Vec<(Option<String>, &Item)> = vec![(None, doc.as_item())];
    if let Some(targets) = doc.get("target").and_then(Item::as_table_like) {
        let mut keys: Vec<(&str, &Item)> = targets.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (key, item) in keys {
            tables.push((Some(platform(key).ok_or_else(|| Unsupported(format!("target `{key}`")))?), item));
        }
    }
    for (platform, table) in tables {
        for (section, kind) in
            [("dependencies", "normal"), ("dev-dependencies", "dev"), ("build-dependencies", "build")]
        {
            let Some(deps) = table.get(section).and_then(Item::as_table_like) else { continue };
            let mut deps: Vec<(&str, &Item)> = deps.iter().collect();
            deps.sort_by(|a, b| a.0.cmp(b.0));
            for (key, dep) in deps {
                out.push(dependency(key, dep, kind, platform.as_deref(), target)?);
            }
        }
    }
    Ok(out)
}

/// One dependency as cargo sends it (`NewCrateDependency`).
fn dependency(key: &str, dep: &Item, kind: &str, platform: Option<&str>, target: Target) -> Result<Value, Unsupported> {
    let field = |name: &str| dep.as_table_like().and_then(|t| t.get(name));
    for unknown in ["artifact", "lib", "target", "git", "path", "registry", "public"] {
        if field(unknown).is_some() {
            return Err(Unsupported(format!("dependency `{key}` has `{unknown}`")));
        }
    }
    let req = match dep.as_str() {
        Some(v) => Some(v.to_string()),
        None => field("version").and_then(Item::as_str).map(str::to_string),
    };
    let version_req = match req {
        None => "*".to_string(),
        Some(r) => semver::VersionReq::parse(&r)
            .map_err(|e| Unsupported(format!("dependency `{key}`: version `{r}`: {e}")))?
            .to_string(),
    };
    let flag = |name: &str, default: bool| field(name).and_then(Item::as_bool).unwrap_or(default);
    let package = field("package").and_then(Item::as_str);
    let mut d = json!({
        "optional": flag("optional", false),
        "default_features": flag("default-features", flag("default_features", true)),
        "name": package.unwrap_or(key),
        "features": strings(field("features")),
        "version_req": version_req,
        "target": platform,
        "kind": kind,
    });
    if let Some(registry) = registry_of(field("registry-index").and_then(Item::as_str), target) {
        d["registry"] = json!(registry);
    }
    if package.is_some() {
        d["explicit_name_in_toml"] = json!(key);
    }
    Ok(d)
}

/// A dependency's registry as the API takes it: `None` for "the registry the
/// crate goes to", else that registry's index (no `registry-index`: crates.io).
fn registry_of(index: Option<&str>, target: Target) -> Option<String> {
    let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
    match (index, target) {
        (None, None) => None,
        (None, Some(_)) => Some(CRATES_IO_INDEX.to_string()),
        (Some(i), Some(t)) if same(i, t) => None,
        (Some(i), _) => Some(i.to_string()),
    }
}

/// `[features]`, each value as written.
fn features(item: Option<&Item>) -> BTreeMap<String, Vec<String>> {
    let Some(table) = item.and_then(Item::as_table_like) else { return BTreeMap::new() };
    table.iter().map(|(k, v)| (k.to_string(), strings(Some(v)))).collect()
}

/// `[badges]`: each badge's string attributes.
fn badges(item: Option<&Item>) -> BTreeMap<String, BTreeMap<String, String>> {
    let Some(table) = item.and_then(Item::as_table_like) else { return BTreeMap::new() };
    let attributes = |v: &Item| -> BTreeMap<String, String> {
        v.as_table_like()
            .map(|t| t.iter().filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string()))).collect())
            .unwrap_or_default()
    };
    table.iter().map(|(k, v)| (k.to_string(), attributes(v))).collect()
}

/// An array of strings (absent: empty).
fn strings(item: Option<&Item>) -> Vec<String> {
    let Some(array) = item.and_then(Item::as_array) else { return vec![] };
    array.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

/// A `[target.KEY]` as cargo renders it: a target name as written, a
/// `cfg(…)` expression re-rendered (`cfg(all(unix, not(target_os = "macos")))`);
/// `None` when it does not parse.
pub fn platform(key: &str) -> Option<String> {
    let Some(inner) = key.trim().strip_prefix("cfg(").and_then(|s| s.strip_suffix(')')) else {
        return Some(key.to_string());
    };
    let tokens = cfg_tokens(inner)?;
    let (expr, rest) = cfg_expr(&tokens)?;
    rest.is_empty().then(|| format!("cfg({expr})"))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Open,
    Close,
    Comma,
    Equals,
}

fn cfg_tokens(s: &str) -> Option<Vec<Token>> {
    let mut out = vec![];
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' => drop(chars.next()),
            '(' | ')' | ',' | '=' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    ',' => Token::Comma,
                    _ => Token::Equals,
                });
            }
            '"' => {
                chars.next();
                let value: String = chars.by_ref().take_while(|&c| c != '"').collect();
                out.push(Token::Str(value));
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut ident = String::new();
                while let Some(&c) = chars.peek().filter(|c| c.is_alphanumeric() || **c == '_') {
                    ident.push(c);
                    chars.next();
                }
                out.push(Token::Ident(ident));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// One cfg expression: `name`, `name = "value"`, `all(…)`, `any(…)`, `not(…)`.
fn cfg_expr(tokens: &[Token]) -> Option<(String, &[Token])> {
    let (Token::Ident(name), rest) = tokens.split_first()? else { return None };
    match rest {
        [Token::Equals, Token::Str(value), rest @ ..] => Some((format!("{name} = \"{value}\""), rest)),
        [Token::Open, rest @ ..] if ["all", "any", "not"].contains(&name.as_str()) => {
            let (mut parts, mut rest) = (vec![], rest);
            loop {
                if let [Token::Close, after @ ..] = rest {
                    rest = after;
                    break;
                }
                let (part, after) = cfg_expr(rest)?;
                parts.push(part);
                rest = match after {
                    [Token::Comma, after @ ..] => after,
                    _ => after,
                };
            }
            (name != "not" || parts.len() == 1).then(|| (format!("{name}({})", parts.join(", ")), rest))
        }
        _ => Some((name.clone(), rest)),
    }
}

/// The body of the publish request.
pub fn body(meta: &Value, krate: &[u8]) -> Vec<u8> {
    let json = meta.to_string();
    let mut out = Vec::with_capacity(8 + json.len() + krate.len());
    out.extend((json.len() as u32).to_le_bytes());
    out.extend(json.as_bytes());
    out.extend((krate.len() as u32).to_le_bytes());
    out.extend(krate);
    out
}

/// The registry's API (`https://crates.io` for crates.io), from its index's `config.json`.
pub fn api_of(sh: &Shell, index: &CargoIndex, crates_io: bool) -> anyhow::Result<String> {
    if crates_io {
        return Ok("https://crates.io".into());
    }
    let unknown = || {
        fail(
            Code::RegistryUnreachable,
            "the cargo registry's index names no API in its config.json",
            "check the registry's index URL; a registry without an API cannot take uploads",
        )
    };
    let text = match index {
        CargoIndex::Sparse(base) => crate::registry::get_text(&format!("{}/config.json", base.trim_end_matches('/')))?,
        CargoIndex::GitPath(path) => crate::shell::probe(cmd!(sh, "git -C {path} show HEAD:config.json")),
    };
    let config: Value = text.and_then(|t| serde_json::from_str(&t).ok()).ok_or_else(unknown)?;
    let api = config["api"].as_str().ok_or_else(unknown)?;
    Ok(api.trim_end_matches('/').to_string())
}

/// `PUT {api}/api/v1/crates/new`; the registry's warnings. A refusal (an
/// HTTP error, or 200 with `{"errors": […]}` as some registries answer) is a
/// `PublishFailed` with the registry's message.
pub fn publish(api: &str, token: &str, name: &str, body: &[u8]) -> anyhow::Result<Vec<String>> {
    let url = format!("{api}/api/v1/crates/new");
    crate::shell::trace_http("PUT", &url);
    // large crates take longer than a query: the upload gets minutes, as cargo's does
    let agent = crate::tls::agent().timeout(Duration::from_secs(600)).build();
    let request = agent
        .put(&url)
        .set("Accept", "application/json")
        .set("Content-Type", "application/octet-stream")
        .set("User-Agent", concat!("xtask-release/", env!("CARGO_PKG_VERSION")))
        .set("Authorization", token);
    let refused = |status: String, text: &str| {
        let detail = errors_in(text).unwrap_or_else(|| text.trim().chars().take(300).collect());
        let mut f = Failure::new(
            Code::PublishFailed,
            format!("the cargo registry refused {name}: {status}: {detail}"),
            "fix what the registry says (token, crate metadata), then `cargo xtask release --resume`",
        );
        f.output = Some(format!("{status}\n{text}"));
        anyhow::Error::new(f)
    };
    match request.send_bytes(body) {
        Ok(resp) => {
            let text = resp.into_string().unwrap_or_default();
            if let Some(_errors) = errors_in(&text) {
                return Err(refused("HTTP 200".into(), &text));
            }
            Ok(warnings_in(&text))
        }
        Err(ureq::Error::Status(code, resp)) => {
            let reason = resp.status_text().to_string();
            let retry = resp.header("Retry-After").map(|r| format!("\nRetry-After: {r}")).unwrap_or_default();
            let text = resp.into_string().unwrap_or_default();
            Err(refused(format!("HTTP {code} {reason}{retry}"), &text))
        }
        Err(ureq::Error::Transport(t)) => {
            if let Some(why) = crate::tls::certificate_refused(&t) {
                return Err(crate::tls::untrusted(&url, &why));
            }
            Err(fail(
                Code::PublishFailed,
                format!("uploading {name} to {url} failed: {t}"),
                "the upload may or may not have reached the registry: `cargo xtask release --resume` asks it",
            ))
        }
    }
}

/// The `detail`s of `{"errors": [{"detail": …}]}`, joined.
fn errors_in(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    let errors = v["errors"].as_array()?;
    let details: Vec<&str> = errors.iter().filter_map(|e| e["detail"].as_str()).collect();
    (!details.is_empty()).then(|| details.join("; "))
}

/// The registry's warnings (invalid categories and badges, others), as cargo prints them.
fn warnings_in(text: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<Value>(text) else { return vec![] };
    let list = |key: &str| -> Vec<String> {
        v["warnings"][key].as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect()
    };
    let mut out = vec![];
    let categories = list("invalid_categories");
    if !categories.is_empty() {
        out.push(format!("the registry ignored these categories: {}", categories.join(", ")));
    }
    let badges = list("invalid_badges");
    if !badges.is_empty() {
        out.push(format!("the registry ignored these badges: {}", badges.join(", ")));
    }
    out.extend(list("other"));
    out
}

#[cfg(test)]
mod tests;
