//! PyPI's trusted-publishing exchange, on the upload URL's host: the audience
//! from `GET /_/oidc/audience`, a token from `POST /_/oidc/mint-token`
//! `{"token": JWT}` → `{"success","token","expires"}` (15 minutes; errors are 422
//! `{"message","errors":[{"code","description"}]}`), burnt with
//! `POST /_/oidc/burn-token` `{"token"}` (202).

use super::{http, refused, Secret};

/// `scheme://host[:port]` of the publish URL: where PyPI serves the exchange.
pub fn base_of(publish_url: &str) -> String {
    let (scheme, rest) = publish_url.split_once("://").unwrap_or(("https", publish_url));
    format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest))
}

pub fn mint_url(base: &str) -> String {
    format!("{base}/_/oidc/mint-token")
}

/// The audience the index wants the JWT for.
pub fn audience(base: &str) -> anyhow::Result<String> {
    let url = format!("{base}/_/oidc/audience");
    crate::shell::trace_http("GET", &url);
    let text =
        http(crate::tls::agent().build().get(&url).call(), &url).map_err(|why| refused("the Python index", &why))?;
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    v["audience"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| refused("the Python index", &format!("{url} named no audience")))
}

/// A token for `jwt`, and when it expires (unix seconds), as the index says.
pub fn mint(base: &str, jwt: &Secret) -> anyhow::Result<(Secret, Option<u64>)> {
    let url = mint_url(base);
    crate::shell::trace_http("POST", &url);
    let body = serde_json::json!({ "token": jwt.expose() }).to_string();
    let answer = crate::tls::agent().build().post(&url).set("Content-Type", "application/json").send_string(&body);
    let text = http(answer, &url).map_err(|why| refused("the Python index", &errors(&why)))?;
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    match v["token"].as_str() {
        Some(t) if !t.is_empty() && v["success"].as_bool() != Some(false) => {
            Ok((Secret(t.to_string()), v["expires"].as_u64()))
        }
        _ => Err(refused("the Python index", &format!("{url} answered without a token"))),
    }
}

/// Burns `token` (202).
pub fn burn(base: &str, token: &Secret) -> Result<(), String> {
    let url = format!("{base}/_/oidc/burn-token");
    crate::shell::trace_http("POST", &url);
    let body = serde_json::json!({ "token": token.expose() }).to_string();
    let answer = crate::tls::agent().build().post(&url).set("Content-Type", "application/json").send_string(&body);
    http(answer, &url).map(drop)
}

/// `{"message","errors":[{"code","description"}]}` in a failure's text, as `code: description` lines.
fn errors(why: &str) -> String {
    let Some(start) = why.find('{') else { return why.to_string() };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&why[start..]) else { return why.to_string() };
    let list: Vec<String> = v["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| format!("{}: {}", e["code"].as_str().unwrap_or("?"), e["description"].as_str().unwrap_or("")))
        .collect();
    let message = v["message"].as_str().unwrap_or("");
    format!("{}{message} ({})", &why[..start], list.join("; "))
}
