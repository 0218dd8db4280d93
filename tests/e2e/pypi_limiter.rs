//! A stand-in for PyPI's new-project rate limit, in front of the local pypiserver (which limits
//! nothing, and no local index does): it forwards every upload, and refuses the upload of a project
//! the index does not have yet beyond its bucket as PyPI's upload endpoint does (warehouse's
//! `forklift/legacy.py`: `_exc_with_message(HTTPTooManyRequests, "Too many new projects created")`):
//! status line `429 Too many new projects created`, no `Retry-After`, and for a client that accepts
//! JSON (uv asks for it) pyramid's error body `{"message", "code", "title"}`. The bucket is counted
//! on a scaled clock (seconds, not an hour).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use xtask::rate::{Bucket, Limit};

pub struct PypiLimiter {
    /// The upload URL to give `[python] publish-url`.
    pub url: String,
    /// Uploads refused with 429.
    pub refused: Arc<AtomicUsize>,
}

struct State {
    new: Bucket<Instant>,
    /// Projects an accepted upload created.
    known: HashSet<String>,
}

/// Starts the stand-in in front of pypiserver on `upstream`, new projects limited by `new`.
pub fn start(upstream: u16, new: Limit) -> PypiLimiter {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = Arc::new(Mutex::new(State { new: Bucket::new(new, Instant::now()), known: HashSet::new() }));
    let refused = Arc::new(AtomicUsize::new(0));
    let r = refused.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let (state, r) = (state.clone(), r.clone());
            std::thread::spawn(move || {
                let _ = serve(conn, upstream, &state, &r);
            });
        }
    });
    PypiLimiter { url: format!("http://127.0.0.1:{port}/"), refused }
}

fn serve(mut conn: TcpStream, upstream: u16, state: &Mutex<State>, refused: &AtomicUsize) -> std::io::Result<()> {
    let (head, body) = read_request(&conn)?;
    if head.starts_with("POST ") {
        let name = form_field(&body, "name").unwrap_or_default().to_lowercase().replace(['_', '.'], "-");
        let mut s = state.lock().unwrap();
        let new = !s.known.contains(&name);
        if new && s.new.take(Instant::now()).is_err() {
            refused.fetch_add(1, Ordering::SeqCst);
            drop(s);
            return refuse(&mut conn);
        }
        s.known.insert(name);
    }
    forward(&mut conn, upstream, &head, &body)
}

/// PyPI's refusal of a new project: the message in the status line and in pyramid's JSON body.
fn refuse(conn: &mut TcpStream) -> std::io::Result<()> {
    let body = serde_json::json!({
        "message": "The action could not be performed because there were too many requests by the client.\n\n\nToo many new projects created\n\n",
        "code": "429 Too many new projects created",
        "title": "Too Many Requests",
    })
    .to_string();
    write!(
        conn,
        "HTTP/1.1 429 Too many new projects created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The request's head (without the framing headers) and its body, chunked or not.
fn read_request(conn: &TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut reader = BufReader::new(conn);
    let (mut head, mut length, mut chunked) = (String::new(), 0usize, false);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        } else if lower.starts_with("transfer-encoding:") {
            chunked = lower.contains("chunked");
        } else if !lower.starts_with("connection:") && !lower.starts_with("expect:") {
            head.push_str(&line);
        }
    }
    let mut body = vec![];
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok((head, body))
}

/// A multipart form field's value.
fn form_field(body: &[u8], field: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let at = text.find(&format!("name=\"{field}\""))?;
    let rest = &text[at..];
    let start = rest.find("\r\n\r\n")? + 4;
    let end = rest[start..].find("\r\n")?;
    Some(rest[start..start + end].to_string())
}

/// The request to pypiserver, its answer back.
fn forward(conn: &mut TcpStream, upstream: u16, head: &str, body: &[u8]) -> std::io::Result<()> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    up.write_all(head.as_bytes())?;
    write!(up, "content-length: {}\r\nconnection: close\r\n\r\n", body.len())?;
    up.write_all(body)?;
    let mut answer = vec![];
    up.read_to_end(&mut answer)?;
    conn.write_all(&answer)
}
