//! A stand-in for crates.io's rate limiter, in front of the local cargo
//! registry (cargo-http-registry enforces no limits, and no local registry
//! does): it forwards every request, and refuses a publish beyond the bucket
//! as crates.io does — HTTP 429 with a `Retry-After` header and the
//! "Please try again after <HTTP-date>" message in crates.io's error shape
//! (`{"errors":[{"detail": …}]}`). The buckets are crates.io's (whole
//! tokens, full at the start, one more every period), on a scaled clock:
//! periods of seconds instead of minutes.
//!
//! Yanks (`DELETE /api/v1/crates/NAME/VERSION/yank`) it answers itself, as
//! crates.io does (`{"ok":true}`, or 429 beyond the yank bucket with
//! crates.io's yank message): cargo-http-registry has no yank endpoint.
//!
//! It serves the registry's index as a sparse index (`/index/`, crates.io's
//! kind), read from the registry's folder, whose `config.json` names this
//! server as the API: cargo's publishes come here (`sparse_index` is the URL
//! to give cargo), downloads go to the registry itself.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use xtask::rate::{http_date_text, Bucket, Limit};

pub struct Limiter {
    pub port: u16,
    /// The index URL for cargo (`CARGO_REGISTRIES_<NAME>_INDEX`).
    pub sparse_index: String,
    /// Publishes refused with 429.
    pub refused: Arc<AtomicUsize>,
    /// Publishes let through.
    pub accepted: Arc<AtomicUsize>,
    /// Yanks refused with 429.
    pub yanks_refused: Arc<AtomicUsize>,
    /// Yanks answered `ok`, `NAME VERSION`, in the order they came.
    pub yanked: Arc<Mutex<Vec<String>>>,
}

struct Buckets {
    new: Bucket<Instant>,
    update: Bucket<Instant>,
    yank: Bucket<Instant>,
    /// Crates the registry has: a publish of another is a new crate.
    known: HashSet<String>,
}

/// Starts the limiter in front of the cargo registry on `upstream`, whose
/// index is the git folder `index`; yanks unlimited.
pub fn start(upstream: u16, index: &Path, new: Limit, update: Limit) -> Limiter {
    start_with_yanks(upstream, index, [new, update, Limit::new(u32::MAX, 1)])
}

/// `start`, with the limits of new crates, new versions and yanks.
pub fn start_with_yanks(upstream: u16, index: &Path, [new, update, yank]: [Limit; 3]) -> Limiter {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let now = Instant::now();
    let buckets = Arc::new(Mutex::new(Buckets {
        new: Bucket::new(new, now),
        update: Bucket::new(update, now),
        yank: Bucket::new(yank, now),
        known: HashSet::new(),
    }));
    let (refused, accepted) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let yanks = Yanks { refused: Arc::new(AtomicUsize::new(0)), done: Arc::new(Mutex::new(vec![])) };
    let (r, a, y) = (refused.clone(), accepted.clone(), yanks.clone());
    let index = index.to_path_buf();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let (buckets, r, a, y, index) = (buckets.clone(), r.clone(), a.clone(), y.clone(), index.clone());
            std::thread::spawn(move || {
                let _ = serve(conn, (upstream, port, &index), &buckets, (&r, &a), &y);
            });
        }
    });
    let sparse_index = format!("sparse+http://127.0.0.1:{port}/index/");
    Limiter { port, sparse_index, refused, accepted, yanks_refused: yanks.refused, yanked: yanks.done }
}

/// What the limiter counts of yanks.
#[derive(Clone)]
struct Yanks {
    refused: Arc<AtomicUsize>,
    done: Arc<Mutex<Vec<String>>>,
}

struct Request {
    head: String,
    method: String,
    path: String,
    body: Vec<u8>,
}

fn read_request(conn: &TcpStream) -> std::io::Result<Request> {
    let mut reader = BufReader::new(conn);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut words = head.split_whitespace();
    let (method, path) = (words.next().unwrap_or("").to_string(), words.next().unwrap_or("").to_string());
    Ok(Request { head, method, path, body })
}

fn serve(
    mut conn: TcpStream,
    (upstream, port, index): (u16, u16, &Path),
    buckets: &Mutex<Buckets>,
    (refused, accepted): (&AtomicUsize, &AtomicUsize),
    yanks: &Yanks,
) -> std::io::Result<()> {
    let req = read_request(&conn)?;
    if let Some(rel) = req.path.strip_prefix("/index/").filter(|_| req.method == "GET") {
        return serve_index(&mut conn, (upstream, port, index), rel);
    }
    if let Some(rest) = req.path.strip_prefix("/api/v1/crates/").filter(|_| req.method == "DELETE") {
        return yank(&mut conn, rest, buckets, yanks);
    }
    if req.method == "PUT" && req.path == "/api/v1/crates/new" {
        if let Err(at) = take(buckets, crate_name(&req.body).unwrap_or_default()) {
            refused.fetch_add(1, Ordering::SeqCst);
            return refuse(&mut conn, at, "You have published too many crates");
        }
        accepted.fetch_add(1, Ordering::SeqCst);
    }
    forward(&mut conn, upstream, &req)
}

/// The sparse index: `config.json` naming this server's API and the
/// registry's downloads, the other files as the registry's folder has them.
fn serve_index(conn: &mut TcpStream, (upstream, port, index): (u16, u16, &Path), rel: &str) -> std::io::Result<()> {
    let (status, body) = if rel == "config.json" {
        let config = serde_json::json!({
            "dl": format!("http://127.0.0.1:{upstream}/api/v1/crates/{{crate}}/{{version}}/download"),
            "api": format!("http://127.0.0.1:{port}"),
        });
        ("200 OK", config.to_string().into_bytes())
    } else if rel.contains("..") {
        ("404 Not Found", vec![])
    } else {
        match std::fs::read(index.join(rel)) {
            Ok(bytes) => ("200 OK", bytes),
            Err(_) => ("404 Not Found", vec![]),
        }
    };
    write!(conn, "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len())?;
    conn.write_all(&body)
}

/// A token from the bucket the publish spends: `Err(when the next one is)`.
fn take(buckets: &Mutex<Buckets>, name: String) -> Result<(), Instant> {
    let mut b = buckets.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    let new = !b.known.contains(&name);
    let taken = if new { b.new.take(now) } else { b.update.take(now) };
    if taken.is_ok() {
        b.known.insert(name);
    }
    taken
}

/// The publish body: a u32 (little endian) length, then the JSON metadata.
fn crate_name(body: &[u8]) -> Option<String> {
    let len = u32::from_le_bytes(body.get(..4)?.try_into().ok()?) as usize;
    let meta: serde_json::Value = serde_json::from_slice(body.get(4..4 + len)?).ok()?;
    meta["name"].as_str().map(str::to_string)
}

/// `NAME/VERSION/yank`, answered as crates.io answers: `{"ok":true}`, or
/// 429 beyond the yank bucket.
fn yank(conn: &mut TcpStream, rest: &str, buckets: &Mutex<Buckets>, yanks: &Yanks) -> std::io::Result<()> {
    let parts: Vec<&str> = rest.split('/').collect();
    let [name, version, "yank"] = parts.as_slice() else {
        return write!(conn, "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    };
    let taken = buckets.lock().unwrap_or_else(|e| e.into_inner()).yank.take(Instant::now());
    if let Err(at) = taken {
        yanks.refused.fetch_add(1, Ordering::SeqCst);
        return refuse(conn, at, "You have yanked or unyanked too many versions");
    }
    yanks.done.lock().unwrap_or_else(|e| e.into_inner()).push(format!("{name} {version}"));
    let body = r#"{"ok":true}"#;
    write!(
        conn,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// crates.io's refusal: 429, `Retry-After`, the time in the message
/// (`what`: the action's message, "You have published too many crates").
fn refuse(conn: &mut TcpStream, at: Instant, what: &str) -> std::io::Result<()> {
    let wait = at.saturating_duration_since(Instant::now());
    let when = SystemTime::now() + wait + Duration::from_millis(999);
    let secs = when.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let detail = format!(
        "{what} in a short period of time. Please try again after {} and see \
         https://crates.io/docs/rate-limits for more information on rate limits.",
        http_date_text(secs)
    );
    let body = serde_json::json!({ "errors": [{ "detail": detail }] }).to_string();
    let retry = wait.as_secs() + 1;
    write!(
        conn,
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: {retry}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The request to the registry, its answer back, on a connection of its own.
fn forward(conn: &mut TcpStream, upstream: u16, req: &Request) -> std::io::Result<()> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    let head: String = req
        .head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    up.write_all(head.as_bytes())?;
    up.write_all(b"connection: close\r\n\r\n")?;
    up.write_all(&req.body)?;
    let mut answer = vec![];
    up.read_to_end(&mut answer)?;
    conn.write_all(&answer)
}
