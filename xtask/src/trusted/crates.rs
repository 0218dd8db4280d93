//! crates.io's trusted-publishing exchange: `POST {api}/api/v1/trusted_publishing/tokens`
//! with `{"jwt"}` → `{"token"}` (it lives 30 minutes; the answer does not say),
//! revoked with `DELETE` on the same path and `Authorization: Bearer TOKEN`
//! (204). Errors are `{"errors":[{"detail"}]}`. The audience is the API's host.

use super::{http, refused, Secret};

pub fn tokens_url(api: &str) -> String {
    format!("{}/api/v1/trusted_publishing/tokens", api.trim_end_matches('/'))
}

/// The audience the JWT is asked for: the API's host (`crates.io`).
pub fn audience(api: &str) -> String {
    let rest = api.split_once("://").map_or(api, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h).into()
}

/// A token for `jwt`.
pub fn mint(api: &str, jwt: &Secret) -> anyhow::Result<Secret> {
    let url = tokens_url(api);
    crate::shell::trace_http("POST", &url);
    let body = serde_json::json!({ "jwt": jwt.expose() }).to_string();
    let answer = crate::tls::agent().build().post(&url).set("Content-Type", "application/json").send_string(&body);
    let text = http(answer, &url).map_err(|why| refused("the cargo registry", &detail(&why)))?;
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    match v["token"].as_str() {
        Some(t) if !t.is_empty() => Ok(Secret(t.to_string())),
        _ => Err(refused("the cargo registry", &format!("{url} answered without a token"))),
    }
}

/// Revokes `token` (204; a token already gone is no error worth stopping for).
pub fn revoke(api: &str, token: &Secret) -> Result<(), String> {
    let url = tokens_url(api);
    crate::shell::trace_http("DELETE", &url);
    let auth = format!("Bearer {}", token.expose());
    http(crate::tls::agent().build().delete(&url).set("Authorization", &auth).call(), &url).map(drop)
}

/// `{"errors":[{"detail"}]}` in a failure's text, shown as the details alone.
fn detail(why: &str) -> String {
    let Some(start) = why.find('{') else { return why.to_string() };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&why[start..]) else { return why.to_string() };
    let details: Vec<&str> =
        v["errors"].as_array().into_iter().flatten().filter_map(|e| e["detail"].as_str()).collect();
    if details.is_empty() {
        return why.to_string();
    }
    format!("{}{}", &why[..start], details.join("; "))
}
