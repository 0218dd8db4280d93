//! A stand-in forge: a minimal HTTP/1.1 server on 127.0.0.1 that answers the
//! releases endpoints of GitHub (REST 2022-11-28), Gitea/Forgejo (`/api/v1`)
//! and GitLab (`/api/v4`) as their documentation describes them. It is a
//! stand-in because no forge server can be installed on the machines these
//! tests run on; everything else in the suite talks to real programs.
//!
//! It checks the token the way each forge does (`Authorization: Bearer` /
//! `token`, `PRIVATE-TOKEN`), refuses duplicates as the forge does (GitHub 422
//! `already_exists`, Gitea and GitLab 409), refuses GitHub bodies over 125,000
//! characters, records every request (to check where the token went), and
//! answers queued faults (`push_fault`: 401, 403 with rate-limit headers, 404,
//! 429, 5xx ...) before anything else.
//!
//! Pull requests (GitHub only): `GET …/pulls?head=OWNER:BRANCH&state=open`
//! (a JSON array), `POST …/pulls` (201; 422 "A pull request already exists for
//! OWNER:BRANCH." when one is open for the head), `PATCH …/pulls/{number}` (200).
//!
//! Used by the unit tests of `xtask::forge` and, through `#[path]`, by the e2e
//! tests as `mod forge_server`.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::stand_in_http::{read_request, respond};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    GitHub,
    Gitea,
    GitLab,
}

/// One request as the server saw it, and the status it answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The raw request target (percent-encoded as sent).
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub status: u16,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRelease {
    pub id: u64,
    pub tag: String,
    pub name: String,
    pub body: String,
    pub prerelease: bool,
}

/// A pull request as GitHub stores it (`head` and `base` are branch names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPull {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub head: String,
    pub base: String,
    /// `open` or `closed`.
    pub state: String,
}

struct Fault {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Default)]
struct State {
    releases: Vec<StoredRelease>,
    pulls: Vec<StoredPull>,
    next_id: u64,
    /// GitHub numbers pull requests (with issues) apart from release ids.
    next_pull: u64,
    requests: Vec<Recorded>,
    faults: VecDeque<Fault>,
}

pub struct ForgeServer {
    pub flavor: Flavor,
    pub url: String,
    token: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl ForgeServer {
    /// Starts the server; requests must carry `token`.
    pub fn start(flavor: Flavor, token: &str) -> ForgeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State { next_id: 1, next_pull: 1, ..State::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp, tok) = (state.clone(), stop.clone(), token.to_string());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let _ = serve(conn, flavor, &tok, &st);
                }
            }
        });
        ForgeServer { flavor, url: format!("http://127.0.0.1:{port}"), token: token.to_string(), state, stop, port }
    }

    /// The API base a client uses: the root for GitHub (like api.github.com),
    /// `/api/v1` for Gitea, `/api/v4` for GitLab.
    pub fn api_url(&self) -> String {
        match self.flavor {
            Flavor::GitHub => self.url.clone(),
            Flavor::Gitea => format!("{}/api/v1", self.url),
            Flavor::GitLab => format!("{}/api/v4", self.url),
        }
    }

    /// The next request gets this answer instead of the normal one (faults queue up).
    pub fn push_fault(&self, status: u16, headers: &[(&str, &str)], body: &str) {
        let headers = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.state.lock().unwrap().faults.push_back(Fault { status, headers, body: body.to_string() });
    }

    /// A release made by someone else.
    pub fn add_release(&self, tag: &str, body: &str) {
        let mut s = self.state.lock().unwrap();
        let id = s.next_id;
        s.next_id += 1;
        s.releases.push(StoredRelease { id, tag: tag.into(), name: tag.into(), body: body.into(), prerelease: false });
    }

    pub fn releases(&self) -> Vec<StoredRelease> {
        self.state.lock().unwrap().releases.clone()
    }

    pub fn pulls(&self) -> Vec<StoredPull> {
        self.state.lock().unwrap().pulls.clone()
    }

    /// A pull request merged or closed on the forge.
    pub fn close_pull(&self, number: u64) {
        let mut s = self.state.lock().unwrap();
        s.pulls.iter_mut().filter(|p| p.number == number).for_each(|p| p.state = "closed".into());
    }

    /// A pull request's body edited on the forge (by a person, a bot).
    pub fn edit_pull_body(&self, number: u64, body: &str) {
        let mut s = self.state.lock().unwrap();
        s.pulls.iter_mut().filter(|p| p.number == number).for_each(|p| p.body = body.into());
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }
}

impl Drop for ForgeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wake the accept loop
    }
}

fn serve(conn: TcpStream, flavor: Flavor, token: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let Some(req) = read_request(&conn)? else { return Ok(()) };
    let (method, path, body) = (req.method.clone(), req.path.clone(), req.text());
    let headers = req.headers;
    let mut s = state.lock().unwrap();
    let (status, extra, answer) = match s.faults.pop_front() {
        Some(f) => (f.status, f.headers, f.body),
        None => {
            let (status, answer) = route(flavor, token, &method, &path, &headers, &body, &mut s);
            (status, vec![], answer)
        }
    };
    s.requests.push(Recorded { method, path, headers, body, status });
    drop(s);
    respond(&conn, status, "application/json", &extra, answer.as_bytes())
}

fn decode(s: &str) -> String {
    crate::registry::percent_decode(s)
}

fn json(v: serde_json::Value) -> String {
    v.to_string()
}

fn release_json(flavor: Flavor, base: &str, r: &StoredRelease) -> String {
    match flavor {
        Flavor::GitLab => json(serde_json::json!({
            "tag_name": r.tag, "name": r.name, "description": r.body,
            "_links": {"self": format!("{base}/releases/{}", r.tag)},
        })),
        _ => json(serde_json::json!({
            "id": r.id, "tag_name": r.tag, "name": r.name, "body": r.body, "prerelease": r.prerelease,
            "draft": false, "html_url": format!("{base}/releases/tag/{}", r.tag),
        })),
    }
}

/// The forge's answer to a request: (status, JSON body).
fn route(
    flavor: Flavor,
    token: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &str,
    s: &mut State,
) -> (u16, String) {
    if !authorized(flavor, token, headers) {
        return unauthorized(flavor);
    }
    if flavor == Flavor::GitHub {
        if let Some(rest) = path.strip_prefix("/repos/o/r/pulls") {
            return pulls(method, rest, body, s);
        }
    }
    let Some(rest) = releases_path(flavor, path) else { return not_found() };
    match (method, rest) {
        ("POST", "") => create(flavor, body, s),
        (m, rest) => existing(flavor, m, rest, s),
    }
}

/// Where the releases shown live on the (made-up) web.
const BASE: &str = "https://forge.example/o/r";

fn not_found() -> (u16, String) {
    (404, json(serde_json::json!({"message": "Not Found"})))
}

/// Whether the request carries the token the way the forge wants it.
fn authorized(flavor: Flavor, token: &str, headers: &[(String, String)]) -> bool {
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match flavor {
        Flavor::GitHub => header("authorization") == Some(&format!("Bearer {token}")),
        Flavor::Gitea => header("authorization") == Some(&format!("token {token}")),
        Flavor::GitLab => header("private-token") == Some(token),
    }
}

/// The forge's 401, in its words.
fn unauthorized(flavor: Flavor) -> (u16, String) {
    let message = match flavor {
        Flavor::GitHub => "Bad credentials",
        Flavor::Gitea => "token is required",
        Flavor::GitLab => "401 Unauthorized",
    };
    (401, json(serde_json::json!({ "message": message })))
}

/// The path after the repository's releases endpoint (the repository prefix
/// each forge uses), `None` for another repository or endpoint.
fn releases_path(flavor: Flavor, path: &str) -> Option<&str> {
    match flavor {
        Flavor::GitHub => path.strip_prefix("/repos/o/r/releases"),
        Flavor::Gitea => path.strip_prefix("/api/v1/repos/o/r/releases"),
        // the project path must be one URL-encoded segment
        Flavor::GitLab => path.strip_prefix("/api/v4/projects/group%2Fsub%2Fr/releases"),
    }
}

/// `POST …/releases`: stores a new release, or refuses it as the forge does
/// (no tag, a GitHub body too long, a tag that has a release).
fn create(flavor: Flavor, body: &str, s: &mut State) -> (u16, String) {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let Some(tag) = v["tag_name"].as_str() else {
        return (
            422,
            json(
                serde_json::json!({"message": "Validation Failed", "errors": [{"field": "tag_name", "code": "missing_field"}]}),
            ),
        );
    };
    let text = if flavor == Flavor::GitLab { &v["description"] } else { &v["body"] };
    let text = text.as_str().unwrap_or("").to_string();
    if flavor == Flavor::GitHub && text.chars().count() > 125_000 {
        return (
            422,
            json(
                serde_json::json!({"message": "Validation Failed", "errors": [{"field": "body", "code": "custom", "message": "body is too long (maximum is 125000 characters)"}]}),
            ),
        );
    }
    if s.releases.iter().any(|r| r.tag == tag) {
        return already_exists(flavor);
    }
    let id = s.next_id;
    s.next_id += 1;
    let r = StoredRelease {
        id,
        tag: tag.to_string(),
        name: v["name"].as_str().unwrap_or(tag).to_string(),
        body: text,
        prerelease: v["prerelease"].as_bool().unwrap_or(false),
    };
    let answer = release_json(flavor, BASE, &r);
    s.releases.push(r);
    (201, answer)
}

/// The forge's refusal of a second release for a tag.
fn already_exists(flavor: Flavor) -> (u16, String) {
    match flavor {
        Flavor::GitHub => (
            422,
            json(
                serde_json::json!({"message": "Validation Failed", "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]}),
            ),
        ),
        Flavor::Gitea => (409, json(serde_json::json!({"message": "Release is has no Tag: release already exists"}))),
        Flavor::GitLab => (409, json(serde_json::json!({"message": "Release already exists"}))),
    }
}

/// GET or DELETE of one release. GitHub/Gitea: `/tags/{tag}` (GET) and
/// `/{id}` (DELETE); GitLab: `/{tag}` (GET, DELETE).
fn existing(flavor: Flavor, method: &str, rest: &str, s: &mut State) -> (u16, String) {
    let by_tag = match flavor {
        Flavor::GitLab => rest.strip_prefix('/').map(decode),
        _ => rest.strip_prefix("/tags/").map(decode),
    };
    let by_id = match flavor {
        Flavor::GitLab => None,
        _ => rest.strip_prefix('/').and_then(|id| id.parse::<u64>().ok()),
    };
    let at = match (by_tag, by_id) {
        (Some(tag), _) => s.releases.iter().position(|r| r.tag == tag),
        (None, Some(id)) => s.releases.iter().position(|r| r.id == id),
        _ => return not_found(),
    };
    let Some(at) = at else { return not_found() };
    match method {
        "GET" => (200, release_json(flavor, BASE, &s.releases[at])),
        "DELETE" if flavor == Flavor::GitLab => {
            let r = s.releases.remove(at);
            (200, release_json(flavor, BASE, &r))
        }
        "DELETE" if by_id.is_some() => {
            s.releases.remove(at);
            (204, String::new())
        }
        _ => (405, json(serde_json::json!({"message": "Method Not Allowed"}))),
    }
}

/// GitHub's pull request JSON (the fields a client reads).
fn pull_json(p: &StoredPull) -> serde_json::Value {
    serde_json::json!({
        "number": p.number, "state": p.state, "title": p.title, "body": p.body,
        "html_url": format!("https://forge.example/o/r/pull/{}", p.number),
        "head": {"ref": p.head, "label": format!("o:{}", p.head)},
        "base": {"ref": p.base, "label": format!("o:{}", p.base)},
    })
}

/// `…/pulls` (`rest` after it): list with `head`/`state` filters, create, update.
fn pulls(method: &str, rest: &str, body: &str, s: &mut State) -> (u16, String) {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let text = |k: &str| v[k].as_str().map(str::to_string);
    match (method, rest) {
        ("GET", query) if query.is_empty() || query.starts_with('?') => {
            let param = |name: &str| {
                query.trim_start_matches('?').split('&').find_map(|kv| {
                    let (k, val) = kv.split_once('=')?;
                    (k == name).then(|| decode(val))
                })
            };
            let state = param("state").unwrap_or_else(|| "open".into());
            let head = param("head");
            let listed: Vec<serde_json::Value> = s
                .pulls
                .iter()
                .filter(|p| state == "all" || p.state == state)
                .filter(|p| head.as_ref().is_none_or(|h| *h == format!("o:{}", p.head)))
                .map(pull_json)
                .collect();
            (200, json(serde_json::Value::Array(listed)))
        }
        ("POST", "") => {
            let (Some(title), Some(head), Some(base)) = (text("title"), text("head"), text("base")) else {
                return (
                    422,
                    json(
                        serde_json::json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "missing_field"}]}),
                    ),
                );
            };
            if s.pulls.iter().any(|p| p.state == "open" && p.head == head) {
                let message = format!("A pull request already exists for o:{head}.");
                return (
                    422,
                    json(
                        serde_json::json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom", "message": message}]}),
                    ),
                );
            }
            let number = s.next_pull;
            s.next_pull += 1;
            let p =
                StoredPull { number, title, body: text("body").unwrap_or_default(), head, base, state: "open".into() };
            let answer = json(pull_json(&p));
            s.pulls.push(p);
            (201, answer)
        }
        ("PATCH", number) => {
            let number = number.strip_prefix('/').and_then(|n| n.parse::<u64>().ok());
            let Some(p) = s.pulls.iter_mut().find(|p| Some(p.number) == number) else { return not_found() };
            if let Some(t) = text("title") {
                p.title = t;
            }
            if let Some(b) = text("body") {
                p.body = b;
            }
            (200, json(pull_json(p)))
        }
        _ => not_found(),
    }
}
