//! PyPI's side of the stand-in: `/_/oidc/mint-token`, `/_/oidc/burn-token`
//! and the upload, which needs `__token__` with a live minted token and is
//! forwarded to pypiserver.

use std::net::TcpStream;
use std::time::Instant;

use super::{accept_jwt, base64url_decode, forward, now_unix, random_hex, refuse, respond, Minted, Request, Shared};

fn pypi_error(code: &str, description: &str) -> (u16, String) {
    let body = serde_json::json!({
        "message": "Token request failed",
        "errors": [{ "code": code, "description": description }],
    });
    (422, body.to_string())
}

pub(super) fn pypi_mint(shared: &Shared, req: &Request) -> (u16, String) {
    let jwt = req.json()["token"].as_str().unwrap_or("").to_string();
    if let Err(why) = accept_jwt(shared, &jwt, "pypi") {
        return pypi_error("invalid-publisher", &format!("valid token, but no corresponding publisher ({why})"));
    }
    let token = format!("pypi-{}", random_hex(shared, "pypi"));
    let minted = Minted { registry: "pypi", token: token.clone(), minted: Instant::now(), revoked: false };
    shared.state.lock().unwrap().minted.push(minted);
    let expires = now_unix() + shared.lifetime.as_secs();
    (200, serde_json::json!({ "success": true, "token": token, "expires": expires }).to_string())
}

pub(super) fn pypi_burn(shared: &Shared, req: &Request) -> (u16, String) {
    let token = req.json()["token"].as_str().unwrap_or("").to_string();
    let mut s = shared.state.lock().unwrap();
    if let Some(m) = s.minted.iter_mut().find(|m| m.token == token && m.registry == "pypi") {
        m.revoked = true;
    }
    (202, r#"{"success":true}"#.into())
}

/// The password of basic auth `__token__:TOKEN`.
fn basic_token(req: &Request) -> Option<String> {
    let encoded = req.header("authorization")?.strip_prefix("Basic ")?;
    let standard = encoded.trim_end_matches('=').replace('+', "-").replace('/', "_");
    let decoded = String::from_utf8(base64url_decode(&standard)?).ok()?;
    decoded.strip_prefix("__token__:").map(str::to_string)
}

pub(super) fn pypi_upload(shared: &Shared, req: &Request, conn: &TcpStream) -> std::io::Result<()> {
    let refusal = match basic_token(req) {
        Some(token) => refuse(shared, "pypi", &token),
        None => Some("no __token__ credentials".into()),
    };
    if let Some(why) = refusal {
        shared.state.lock().unwrap().refused.push(format!("upload: {why}"));
        let body = format!("403 Forbidden: Invalid or non-existent authentication information ({why})");
        return respond(conn, 403, "text/plain", body.as_bytes());
    }
    shared.state.lock().unwrap().published.push("upload".into());
    // pypiserver takes uploads at its root
    let req = Request {
        path: "/".into(),
        ..Request {
            method: req.method.clone(),
            path: String::new(),
            headers: req.headers.clone(),
            body: req.body.clone(),
        }
    };
    forward(shared.up.pypi.unwrap_or(0), &req, conn)
}
