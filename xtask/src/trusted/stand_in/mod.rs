//! Stand-ins for trusted publishing, on 127.0.0.1: GitHub Actions' OIDC token
//! service, crates.io's trusted-publishing token endpoint and PyPI's
//! audience/mint/burn endpoints. They are stand-ins because no OIDC provider
//! and no crates.io or PyPI can run on the machines these tests run on; the
//! registries behind them are the real local ones (cargo-http-registry,
//! pypiserver), to which everything else is forwarded.
//!
//! They answer as the real services do (paths, status codes, JSON shapes):
//! - OIDC (GitHub's protocol): `GET {ACTIONS_ID_TOKEN_REQUEST_URL}&audience=AUD`
//!   with `Authorization: Bearer {ACTIONS_ID_TOKEN_REQUEST_TOKEN}` → `{"value": JWT}`,
//!   a JWT with a fresh `jti` each time.
//! - crates.io: `POST /api/v1/trusted_publishing/tokens {"jwt"}` → `{"token":"cio_tp_…"}`
//!   (a JWT is accepted once), `DELETE` the same path with `Authorization: Bearer`
//!   → 204; errors `{"errors":[{"detail"}]}`; a publish (`PUT /api/v1/crates/new`)
//!   needs a minted token that is neither revoked nor expired, and a new crate is
//!   refused (403 "Trusted Publishing tokens do not support creating new crates").
//!   The cargo index is served as a sparse index (`/index/`, crates.io's kind) from
//!   the real registry's folder; its `config.json` names this server as the `api`.
//! - PyPI: `GET /_/oidc/audience` → `{"audience"}`, `POST /_/oidc/mint-token
//!   {"token": JWT}` → `{"success","token","expires"}` or 422 `{"message","errors":
//!   [{"code","description"}]}`, `POST /_/oidc/burn-token {"token"}` → 202; an
//!   upload (`POST /`) needs `__token__` and a live minted token as basic auth.
//!
//! Time is scaled: a token lives `lifetime` (crates.io's 30 minutes, PyPI's 15,
//! shrunk to seconds) so that a release outlives it and renewal is exercised.
//! Every minted token and every request's authorization is recorded, for the
//! tests' leak and revocation checks.
//!
//! Used by the e2e tests through `#[path]` as `mod trusted_server`.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::registry::index_path;
use crate::stand_in_http::{read_request, Request};

mod pypi;
use pypi::{pypi_burn, pypi_mint, pypi_upload};

/// crates.io's answer to a new crate under trusted publishing.
pub const NEW_CRATE: &str =
    "Trusted Publishing tokens do not support creating new crates. Publish the crate manually, first";

/// What the stand-in stands in front of.
#[derive(Debug, Clone, Default)]
pub struct Upstreams {
    /// cargo-http-registry's port and index folder.
    pub cargo: Option<(u16, PathBuf)>,
    /// pypiserver's port.
    pub pypi: Option<u16>,
}

/// A token a registry minted, and what became of it.
#[derive(Debug, Clone)]
pub struct Minted {
    pub registry: &'static str,
    pub token: String,
    pub minted: Instant,
    pub revoked: bool,
}

#[derive(Default)]
struct State {
    /// jti → audience, of every JWT issued; `used` the ones exchanged.
    issued: HashMap<String, String>,
    used: HashSet<String>,
    minted: Vec<Minted>,
    /// Publishes refused, with why.
    refused: Vec<String>,
    /// Publishes accepted, with the crate or file.
    published: Vec<String>,
    /// Exchanges that had to be refused (a replayed JWT...).
    exchange_errors: Vec<String>,
}

pub struct TrustedServer {
    pub url: String,
    pub port: u16,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub request_token: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

struct Shared {
    state: Arc<Mutex<State>>,
    up: Upstreams,
    lifetime: Duration,
    request_token: String,
    port: u16,
    counter: AtomicU64,
}

impl TrustedServer {
    pub fn start(up: Upstreams, lifetime: Duration) -> TrustedServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let request_token = format!("request-token-{port}");
        let shared = Arc::new(Shared {
            state: state.clone(),
            up,
            lifetime,
            request_token: request_token.clone(),
            port,
            counter: AtomicU64::new(0),
        });
        let sp = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let shared = shared.clone();
                    std::thread::spawn(move || {
                        let _ = serve(conn, &shared);
                    });
                }
            }
        });
        TrustedServer { url: format!("http://127.0.0.1:{port}"), port, request_token, state, stop }
    }

    /// GitHub's request URL has a query already (`?api-version=2.0`).
    pub fn request_url(&self) -> String {
        format!("{}/oidc/token?api-version=2.0", self.url)
    }

    /// The environment a GitHub Actions job with `permissions: id-token: write` has.
    pub fn github_env(&self) -> Vec<(String, String)> {
        vec![
            ("GITHUB_ACTIONS".into(), "true".into()),
            ("ACTIONS_ID_TOKEN_REQUEST_URL".into(), self.request_url()),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(), self.request_token.clone()),
        ]
    }

    /// The sparse index cargo reads (`CARGO_REGISTRIES_<NAME>_INDEX`).
    pub fn sparse_index(&self) -> String {
        format!("sparse+{}/index/", self.url)
    }

    pub fn minted(&self) -> Vec<Minted> {
        self.state.lock().unwrap().minted.clone()
    }

    pub fn refused(&self) -> Vec<String> {
        self.state.lock().unwrap().refused.clone()
    }

    pub fn published(&self) -> Vec<String> {
        self.state.lock().unwrap().published.clone()
    }

    pub fn exchange_errors(&self) -> Vec<String> {
        self.state.lock().unwrap().exchange_errors.clone()
    }

    /// A JWT as the issuer would give one (for a replay test).
    pub fn issue(&self, audience: &str) -> String {
        let shared = Shared {
            state: self.state.clone(),
            up: Upstreams::default(),
            lifetime: Duration::ZERO,
            request_token: String::new(),
            port: self.port,
            counter: AtomicU64::new(1_000_000),
        };
        jwt(&shared, audience)
    }
}

impl Drop for TrustedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The answer with no extra headers.
fn respond(conn: &TcpStream, status: u16, ctype: &str, body: &[u8]) -> std::io::Result<()> {
    crate::stand_in_http::respond(conn, status, ctype, &[], body)
}

fn serve(conn: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let Some(req) = read_request(&conn)? else { return Ok(()) };
    let path = req.path.split('?').next().unwrap_or("").to_string();
    match (req.method.as_str(), path.as_str()) {
        ("GET", "/oidc/token") => {
            let (status, body) = oidc(shared, &req);
            respond(&conn, status, "application/json", body.as_bytes())
        }
        ("POST", "/api/v1/trusted_publishing/tokens") => {
            let (status, body) = crates_exchange(shared, &req);
            respond(&conn, status, "application/json", body.as_bytes())
        }
        ("DELETE", "/api/v1/trusted_publishing/tokens") => {
            let (status, body) = crates_revoke(shared, &req);
            respond(&conn, status, "application/json", body.as_bytes())
        }
        ("PUT", "/api/v1/crates/new") => crates_publish(shared, &req, &conn),
        ("GET", p) if p.starts_with("/index/") => crates_index(shared, &p["/index/".len()..], &conn),
        ("GET", p) if p.starts_with("/api/v1/crates/") => {
            let port = shared.up.cargo.as_ref().map_or(0, |c| c.0);
            forward(port, &req, &conn)
        }
        ("GET", "/_/oidc/audience") => respond(&conn, 200, "application/json", br#"{"audience":"pypi"}"#),
        ("POST", "/_/oidc/mint-token") => {
            let (status, body) = pypi_mint(shared, &req);
            respond(&conn, status, "application/json", body.as_bytes())
        }
        ("POST", "/_/oidc/burn-token") => {
            let (status, body) = pypi_burn(shared, &req);
            respond(&conn, status, "application/json", body.as_bytes())
        }
        ("POST", "/") | ("POST", "/legacy/") => pypi_upload(shared, &req, &conn),
        _ => respond(&conn, 404, "application/json", br#"{"errors":[{"detail":"Not Found"}]}"#),
    }
}

fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

fn random_hex(shared: &Shared, what: &str) -> String {
    let n = shared.counter.fetch_add(1, Ordering::SeqCst);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    let digest = Sha256::digest(format!("{what}-{n}-{nanos}-{}", shared.port).as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// A JWT as GitHub's issuer makes one (the signature is the stand-in's own).
fn jwt(shared: &Shared, audience: &str) -> String {
    let jti = random_hex(shared, "jti");
    let now = now_unix();
    let header = base64url(br#"{"alg":"RS256","typ":"JWT","kid":"stand-in"}"#);
    let claims = serde_json::json!({
        "iss": "https://token.actions.githubusercontent.com",
        "aud": audience,
        "sub": "repo:example/project:ref:refs/heads/main",
        "repository": "example/project",
        "workflow_ref": "example/project/.github/workflows/release.yml@refs/heads/main",
        "event_name": "workflow_dispatch",
        "jti": jti,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    });
    let payload = base64url(claims.to_string().as_bytes());
    let signature = base64url(&Sha256::digest(format!("{header}.{payload}").as_bytes()));
    shared.state.lock().unwrap().issued.insert(jti, audience.to_string());
    format!("{header}.{payload}.{signature}")
}

/// The `jti` of a JWT this issuer made, when it is one.
fn jti_of(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64url_decode(payload)?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v["jti"].as_str().map(str::to_string)
}

fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = vec![];
    for c in s.bytes() {
        bits = (bits << 6) | A.iter().position(|&a| a == c)? as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    Some(out)
}

fn oidc(shared: &Shared, req: &Request) -> (u16, String) {
    if req.header("authorization") != Some(&format!("Bearer {}", shared.request_token)) {
        return (401, r#"{"message":"Bad credentials"}"#.into());
    }
    let audience = req.path.split(['?', '&']).find_map(|p| p.strip_prefix("audience=")).unwrap_or("");
    (200, serde_json::json!({ "value": jwt(shared, audience), "count": 1 }).to_string())
}

/// Takes a JWT for `audience`: issued here, for that audience, never used before.
fn accept_jwt(shared: &Shared, jwt: &str, audience: &str) -> Result<(), String> {
    let mut s = shared.state.lock().unwrap();
    let Some(jti) = jti_of(jwt) else { return Err("Failed to decode JWT".into()) };
    match s.issued.get(&jti) {
        None => return Err("Invalid JWT".into()),
        Some(aud) if aud != audience => return Err(format!("Invalid audience: {aud}")),
        Some(_) => {}
    }
    if !s.used.insert(jti) {
        s.exchange_errors.push("replayed JWT".into());
        return Err("JWT has already been used".into());
    }
    Ok(())
}

fn crates_error(status: u16, detail: &str) -> (u16, String) {
    (status, serde_json::json!({ "errors": [{ "detail": detail }] }).to_string())
}

fn crates_exchange(shared: &Shared, req: &Request) -> (u16, String) {
    let jwt = req.json()["jwt"].as_str().unwrap_or("").to_string();
    if let Err(why) = accept_jwt(shared, &jwt, "127.0.0.1") {
        return crates_error(400, &why);
    }
    let token = format!("cio_tp_{}", random_hex(shared, "crates"));
    let minted = Minted { registry: "crates.io", token: token.clone(), minted: Instant::now(), revoked: false };
    shared.state.lock().unwrap().minted.push(minted);
    (200, serde_json::json!({ "token": token }).to_string())
}

fn crates_revoke(shared: &Shared, req: &Request) -> (u16, String) {
    let token = req.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).unwrap_or("");
    let mut s = shared.state.lock().unwrap();
    match s.minted.iter_mut().find(|m| m.token == token && m.registry == "crates.io") {
        Some(m) => {
            m.revoked = true;
            (204, String::new())
        }
        None => crates_error(401, "authentication failed"),
    }
}

/// Why `token` cannot publish now, if it cannot.
fn refuse(shared: &Shared, registry: &str, token: &str) -> Option<String> {
    let s = shared.state.lock().unwrap();
    let Some(m) = s.minted.iter().find(|m| m.token == token && m.registry == registry) else {
        return Some(format!("not a minted token ({} chars)", token.len()));
    };
    if m.revoked {
        return Some("the token was revoked".into());
    }
    if m.minted.elapsed() > shared.lifetime {
        return Some("the token expired".into());
    }
    None
}

/// A cargo publish body: u32 length + JSON metadata + u32 length + .crate.
fn crate_name(body: &[u8]) -> Option<String> {
    let n = u32::from_le_bytes(body.get(..4)?.try_into().ok()?) as usize;
    let meta: serde_json::Value = serde_json::from_slice(body.get(4..4 + n)?).ok()?;
    Some(format!("{} {}", meta["name"].as_str()?, meta["vers"].as_str()?))
}

fn crates_publish(shared: &Shared, req: &Request, conn: &TcpStream) -> std::io::Result<()> {
    let token = req.header("authorization").unwrap_or("").to_string();
    let what = crate_name(&req.body).unwrap_or_default();
    let refusal = refuse(shared, "crates.io", &token);
    let name = what.split(' ').next().unwrap_or("").to_string();
    let (port, root) = shared.up.cargo.clone().unwrap_or_default();
    let new = !root.join(index_path(&name)).exists();
    let answer = match (refusal, new) {
        (Some(why), _) => Some(crates_error(403, &format!("authentication failed: {why}"))),
        (None, true) => Some(crates_error(403, NEW_CRATE)),
        (None, false) => None,
    };
    if let Some((status, body)) = answer {
        shared.state.lock().unwrap().refused.push(format!("{what}: {body}"));
        return respond(conn, status, "application/json", body.as_bytes());
    }
    shared.state.lock().unwrap().published.push(what);
    forward(port, req, conn)
}

/// The sparse index, from the real registry's folder; `config.json` names this server.
fn crates_index(shared: &Shared, rel: &str, conn: &TcpStream) -> std::io::Result<()> {
    let Some((port, root)) = shared.up.cargo.clone() else { return respond(conn, 404, "text/plain", b"") };
    if rel == "config.json" {
        let config = serde_json::json!({
            "dl": format!("http://127.0.0.1:{port}/api/v1/crates/{{crate}}/{{version}}/download"),
            "api": format!("http://127.0.0.1:{}", shared.port),
        });
        return respond(conn, 200, "application/json", config.to_string().as_bytes());
    }
    if rel.contains("..") {
        return respond(conn, 404, "text/plain", b"");
    }
    match std::fs::read(root.join(rel)) {
        Ok(bytes) => respond(conn, 200, "text/plain", &bytes),
        Err(_) => respond(conn, 404, "text/plain", b""),
    }
}

/// The request, to the real server behind, and its answer back.
fn forward(port: u16, req: &Request, mut conn: &TcpStream) -> std::io::Result<()> {
    let mut up = TcpStream::connect(("127.0.0.1", port))?;
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.path);
    for (k, v) in &req.headers {
        if k != "connection" && k != "content-length" {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", req.body.len()));
    up.write_all(head.as_bytes())?;
    up.write_all(&req.body)?;
    let mut answer = vec![];
    up.read_to_end(&mut answer)?;
    conn.write_all(&answer)?;
    conn.flush()
}
