use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::config::ForgeConfig;
use crate::error::Code;

fn t(kind: Kind, repository: &str, web: &str, api: &str) -> ForgeTarget {
    ForgeTarget { kind, repository: repository.into(), web: web.into(), api: api.into() }
}

#[test]
fn detects_forges_from_remote_urls() {
    let gh = t(Kind::GitHub, "o/r", "https://github.com/o/r", "https://api.github.com");
    for url in [
        "git@github.com:o/r.git",
        "git@github.com:o/r",
        "https://github.com/o/r.git",
        "https://github.com/o/r/",
        "https://user:secret@github.com/o/r.git",
        "ssh://git@github.com/o/r",
        "ssh://git@ssh.github.com:443/o/r.git",
        "git+ssh://git@github.com/o/r.git",
    ] {
        assert_eq!(detect(url).as_ref(), Some(&gh), "{url}");
    }
    assert_eq!(
        detect("https://gitlab.com/group/sub/r.git"),
        Some(t(Kind::GitLab, "group/sub/r", "https://gitlab.com/group/sub/r", "https://gitlab.com/api/v4"))
    );
    assert_eq!(
        detect("git@gitlab.example.com:group/r.git"),
        Some(t(Kind::GitLab, "group/r", "https://gitlab.example.com/group/r", "https://gitlab.example.com/api/v4"))
    );
    assert_eq!(
        detect("ssh://git@codeberg.org/o/r"),
        Some(t(Kind::Gitea, "o/r", "https://codeberg.org/o/r", "https://codeberg.org/api/v1"))
    );
    assert_eq!(
        detect("http://gitea.local:3000/o/r.git"),
        Some(t(Kind::Gitea, "o/r", "http://gitea.local:3000/o/r", "http://gitea.local:3000/api/v1"))
    );
    assert_eq!(
        detect("https://git.example.com/forgejo/o/r").map(|t| t.kind),
        None,
        "a path segment does not name the forge"
    );
    assert_eq!(
        detect("https://forgejo.example.com/sub/o/r"),
        Some(t(Kind::Gitea, "o/r", "https://forgejo.example.com/sub/o/r", "https://forgejo.example.com/sub/api/v1"))
    );
    assert_eq!(
        detect("git@github.example.com:o/r.git"),
        Some(t(Kind::GitHub, "o/r", "https://github.example.com/o/r", "https://github.example.com/api/v3"))
    );
    assert_eq!(
        detect("ssh://git@gitlab.example.com:2222/g/r.git").unwrap().web,
        "https://gitlab.example.com/g/r",
        "an ssh port is not the web port"
    );
    for none in [
        "/srv/git/r.git",
        "file:///srv/git/r.git",
        "../r",
        "https://example.com/o/r.git",
        "git@github.com:r.git",
        "https://github.com/",
        "",
        "C:\\repos\\r",
    ] {
        assert_eq!(detect(none), None, "{none}");
    }
}

#[test]
fn resolves_config_and_environment() {
    let none = |_: &str| None;
    let cfg = |kind: Option<&str>, repo: Option<&str>, api: Option<&str>| ForgeConfig {
        kind: kind.map(str::to_string),
        repository: repo.map(str::to_string),
        api_url: api.map(str::to_string),
    };
    let gh = Some("git@github.com:o/r.git");
    assert_eq!(resolve(&cfg(None, None, None), gh, none).unwrap().unwrap().api, "https://api.github.com");
    assert_eq!(resolve(&cfg(Some("none"), None, None), gh, none).unwrap(), None);
    assert_eq!(resolve(&cfg(None, None, None), Some("/srv/r.git"), none).unwrap(), None);
    assert_eq!(resolve(&cfg(None, None, None), None, none).unwrap(), None);
    // GitHub Enterprise through GITHUB_API_URL, or the configured api-url (which wins)
    let env = |k: &str| (k == "GITHUB_API_URL").then(|| "https://ghe.example.com/api/v3/".to_string());
    let t = resolve(&cfg(None, None, None), Some("https://ghe.example.com/o/r"), env).unwrap();
    assert_eq!(t, None, "ghe.example.com does not say github: kind is needed");
    let t = resolve(&cfg(Some("github"), None, None), Some("https://ghe.example.com/o/r"), env).unwrap().unwrap();
    assert_eq!((t.api.as_str(), t.web.as_str()), ("https://ghe.example.com/api/v3", "https://ghe.example.com/o/r"));
    let t = resolve(&cfg(Some("github"), None, Some("https://x.example/api")), gh, env).unwrap().unwrap();
    assert_eq!(t.api, "https://x.example/api");
    // a self-hosted forge under an unknown name
    let t = resolve(&cfg(Some("gitea"), None, None), Some("git@git.example.com:o/r.git"), none).unwrap().unwrap();
    assert_eq!((t.api.as_str(), t.repository.as_str()), ("https://git.example.com/api/v1", "o/r"));
    // repository from the config, no remote
    let t = resolve(&cfg(Some("github"), Some("a/b"), None), None, none).unwrap().unwrap();
    assert_eq!((t.web.as_str(), t.api.as_str()), ("https://github.com/a/b", "https://api.github.com"));
    let t = resolve(&cfg(Some("gitlab"), Some("g/s/p"), Some("https://gl.example/api/v4")), None, none).unwrap();
    assert_eq!(t.unwrap().web, "https://gl.example/g/s/p");
    let err = resolve(&cfg(Some("gitea"), Some("a/b"), None), None, none).unwrap_err();
    assert_eq!(err.downcast_ref::<crate::error::Failure>().unwrap().code, Code::ConfigValue);
    let err = resolve(&cfg(Some("gitea"), None, None), None, none).unwrap_err();
    assert_eq!(err.downcast_ref::<crate::error::Failure>().unwrap().code, Code::ConfigValue);
    // repository overrides the remote's path
    let t = resolve(&cfg(None, Some("x/y"), None), gh, none).unwrap().unwrap();
    assert_eq!(t.web, "https://github.com/x/y");
}

#[test]
fn links() {
    let gh = Links { kind: Kind::GitHub, web: "https://github.com/o/r".into() };
    assert_eq!(gh.commit("abc"), "https://github.com/o/r/commit/abc");
    assert_eq!(gh.compare("a-v1.0.0", "a-v1.1.0"), "https://github.com/o/r/compare/a-v1.0.0...a-v1.1.0");
    assert_eq!(gh.issue(12), "https://github.com/o/r/issues/12");
    assert_eq!(gh.file("a@1.0", "crates/a/CHANGELOG.md"), "https://github.com/o/r/blob/a%401.0/crates/a/CHANGELOG.md");
    assert_eq!(
        gh.new_release("v1.0.0-rc.1", "a 1.0.0-rc.1", true),
        "https://github.com/o/r/releases/new?tag=v1.0.0-rc.1&title=a%201.0.0-rc.1&prerelease=1"
    );
    let gl = Links { kind: Kind::GitLab, web: "https://gitlab.com/g/s/r".into() };
    assert_eq!(gl.commit("abc"), "https://gitlab.com/g/s/r/-/commit/abc");
    assert_eq!(gl.compare("v1", "v2"), "https://gitlab.com/g/s/r/-/compare/v1...v2");
    assert_eq!(gl.issue(3), "https://gitlab.com/g/s/r/-/issues/3");
    assert_eq!(gl.new_release("v2", "v2", false), "https://gitlab.com/g/s/r/-/releases/new?tag_name=v2");
    let gt = Links { kind: Kind::Gitea, web: "https://codeberg.org/o/r".into() };
    assert_eq!(gt.file("v1", "CHANGELOG.md"), "https://codeberg.org/o/r/src/tag/v1/CHANGELOG.md");
    assert_eq!(gt.release("ns/v1"), "https://codeberg.org/o/r/releases/tag/ns/v1");
}

#[test]
fn bodies_are_cut_at_the_limit_with_a_link() {
    let line = "- a line of notes that is long enough to matter\n";
    let body = line.repeat(3000); // 144,000 chars
    let out = fit_body(Kind::GitHub, &body, Some("https://x/CHANGELOG.md"));
    assert!(out.chars().count() <= 125_000);
    assert!(out.ends_with("in the [changelog](https://x/CHANGELOG.md).*\n"), "{}", &out[out.len() - 200..]);
    let kept = out.split("\n\n*These notes").next().unwrap();
    assert!(kept.lines().all(|l| l == line.trim_end()), "cut at a line end");
    assert_eq!(fit_body(Kind::GitHub, "short", None), "short");
    // Gitea counts bytes: multi-byte text is cut on a character boundary
    let wide = "- ünïcödé ✓✓✓✓\n".repeat(4000);
    let out = fit_body(Kind::Gitea, &wide, None);
    assert!(out.len() <= 60_000);
    assert!(out.ends_with("in the changelog.*\n"));
    assert_eq!(fit_body(Kind::GitLab, &body, None), body);
}

#[test]
fn tokens_stay_out_of_debug_and_manual_instructions() {
    let target = t(Kind::GitHub, "o/r", "https://github.com/o/r", "https://api.github.com");
    let env = |k: &str| (k == "GITHUB_TOKEN").then(|| "canary-token-123".to_string());
    let Connection::Ready(c) = connect(target.clone(), env) else { panic!("token not found") };
    assert!(!format!("{c:?}").contains("canary-token-123"));
    let Connection::NoToken(m) = connect(target, |_| Some("  ".into())) else { panic!("a blank token is no token") };
    let text = m.instructions(&[NewRelease {
        tag: "a-v1.0.0".into(),
        name: "a 1.0.0".into(),
        body: "notes".into(),
        prerelease: false,
        changelog_url: None,
    }]);
    assert!(text.contains("GH_TOKEN or GITHUB_TOKEN"), "{text}");
    assert!(text.contains("  a-v1.0.0: https://github.com/o/r/releases/new?tag=a-v1.0.0&title=a%201.0.0\n"), "{text}");
}

// ---- against the stand-in forge server (forge/stand_in.rs) ----

use stand_in::{Flavor, ForgeServer};

const TOKEN: &str = "canary-forge-token-7f3a";

fn client(server: &ForgeServer, flavor: Flavor) -> Client {
    let (kind, var) = match flavor {
        Flavor::GitHub => (Kind::GitHub, "GITHUB_TOKEN"),
        Flavor::Gitea => (Kind::Gitea, "GITEA_TOKEN"),
        Flavor::GitLab => (Kind::GitLab, "GITLAB_TOKEN"),
    };
    let repository = if flavor == Flavor::GitLab { "group/sub/r" } else { "o/r" };
    let target = ForgeTarget {
        kind,
        repository: repository.into(),
        web: format!("https://forge.example/{repository}"),
        api: server.api_url(),
    };
    let Connection::Ready(mut c) = connect(target, |k| (k == var).then(|| TOKEN.to_string())) else {
        panic!("no token")
    };
    c.retry = Retry { attempts: 3, backoff: Duration::from_millis(10), max_wait: Duration::from_secs(5) };
    c
}

fn new(tag: &str, body: &str, prerelease: bool) -> NewRelease {
    NewRelease { tag: tag.into(), name: tag.into(), body: body.into(), prerelease, changelog_url: None }
}

fn code(err: &anyhow::Error) -> Code {
    err.downcast_ref::<crate::error::Failure>().expect("a coded failure").code
}

/// The token is in the forge's auth header of every request, and nowhere else.
fn token_only_in_auth_header(server: &ForgeServer, flavor: Flavor) {
    let requests = server.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        let (name, value) = match flavor {
            Flavor::GitHub => ("authorization", format!("Bearer {TOKEN}")),
            Flavor::Gitea => ("authorization", format!("token {TOKEN}")),
            Flavor::GitLab => ("private-token", TOKEN.to_string()),
        };
        assert_eq!(r.header(name), Some(value.as_str()), "{} {}", r.method, r.path);
        assert!(!r.path.contains(TOKEN) && !r.body.contains(TOKEN), "{} {}", r.method, r.path);
        let elsewhere = r.headers.iter().filter(|(k, _)| k != name).any(|(_, v)| v.contains(TOKEN));
        assert!(!elsewhere, "token in another header of {} {}", r.method, r.path);
    }
}

#[test]
fn create_find_delete_on_every_forge() {
    for flavor in [Flavor::GitHub, Flavor::Gitea, Flavor::GitLab] {
        let server = ForgeServer::start(flavor, TOKEN);
        let c = client(&server, flavor);
        assert_eq!(c.find("a/v1.0.0").unwrap(), None, "{flavor:?}");
        let made = c.create(&new("a/v1.0.0", "### Features\n\n- x\n", false)).unwrap();
        let Created::Created(r) = &made else { panic!("{flavor:?}: {made:?}") };
        assert_eq!(r.tag, "a/v1.0.0");
        assert!(r.url.is_some());
        // a second create (a resumed release) leaves the first alone
        let again = c.create(&new("a/v1.0.0", "other notes", false)).unwrap();
        assert!(matches!(again, Created::Existed(_)), "{flavor:?}: {again:?}");
        let stored = server.releases();
        assert_eq!(stored.len(), 1, "{flavor:?}");
        assert_eq!(stored[0].body, "### Features\n\n- x\n");
        assert_eq!(c.find("a/v1.0.0").unwrap().unwrap().tag, "a/v1.0.0");
        // pre-releases: a flag on GitHub and Gitea, the name on GitLab
        c.create(&new("a/v1.1.0-rc.1", "rc", true)).unwrap();
        let rc = server.releases().into_iter().find(|r| r.tag == "a/v1.1.0-rc.1").unwrap();
        match flavor {
            Flavor::GitLab => assert_eq!((rc.prerelease, rc.name.as_str()), (false, "a/v1.1.0-rc.1 (pre-release)")),
            _ => assert_eq!((rc.prerelease, rc.name.as_str()), (true, "a/v1.1.0-rc.1")),
        }
        assert!(c.delete("a/v1.0.0").unwrap(), "{flavor:?}");
        assert!(!c.delete("a/v1.0.0").unwrap(), "{flavor:?}");
        assert_eq!(c.find("a/v1.0.0").unwrap(), None);
        assert_eq!(server.releases().len(), 1);
        token_only_in_auth_header(&server, flavor);
    }
}

#[test]
fn bad_token_is_a_named_error_without_the_token() {
    for flavor in [Flavor::GitHub, Flavor::Gitea, Flavor::GitLab] {
        let server = ForgeServer::start(flavor, "another-token");
        let c = client(&server, flavor);
        let err = c.create(&new("v1", "x", false)).unwrap_err();
        assert_eq!(code(&err), Code::ForgeAuth, "{flavor:?}: {err:#}");
        let f = err.downcast_ref::<crate::error::Failure>().unwrap();
        let shown = format!("{err:#} {}", f.help);
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("401"), "{shown}");
    }
    // 403 that is not a rate limit: no release rights
    let server = ForgeServer::start(Flavor::GitHub, TOKEN);
    server.push_fault(403, &[], r#"{"message":"Resource not accessible by integration"}"#);
    let err = client(&server, Flavor::GitHub).find("v1").unwrap_err();
    assert_eq!(code(&err), Code::ForgeAuth);
    assert!(format!("{err}").contains("Resource not accessible"), "{err}");
}

#[test]
fn rate_limits_are_waited_out_a_bounded_number_of_times() {
    let server = ForgeServer::start(Flavor::GitHub, TOKEN);
    let reset = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().to_string();
    server.push_fault(403, &[("retry-after", "0")], r#"{"message":"You have exceeded a secondary rate limit"}"#);
    server.push_fault(403, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &reset)], "{}");
    server.push_fault(429, &[], "{}");
    let c = client(&server, Flavor::GitHub);
    // GET: 403, 403, 429 (3 attempts: fails) — then the next call gets through
    let err = c.find("v1").unwrap_err();
    assert_eq!(code(&err), Code::ForgeUnreachable, "{err:#}");
    assert!(matches!(c.create(&new("v1", "x", false)).unwrap(), Created::Created(_)));
    assert_eq!(server.requests().len(), 5, "3 tries of the first GET, then GET and POST");
    // a wait longer than max_wait fails at once, naming the wait
    server.push_fault(429, &[("retry-after", "3600")], "{}");
    let err = c.find("v1").unwrap_err();
    assert_eq!(code(&err), Code::ForgeUnreachable);
    assert!(format!("{err}").contains("3600 s"), "{err}");
    // 5xx are retried too
    server.push_fault(502, &[], "bad gateway");
    assert!(c.find("v1").unwrap().is_some());
    token_only_in_auth_header(&server, Flavor::GitHub);
}

#[test]
fn release_made_in_the_meantime_is_left_alone() {
    for flavor in [Flavor::GitHub, Flavor::Gitea, Flavor::GitLab] {
        let server = ForgeServer::start(flavor, TOKEN);
        server.add_release("v2", "by hand");
        // the lookup misses it (404), the create is refused as a duplicate (422/409): found, kept
        server.push_fault(404, &[], r#"{"message":"Not Found"}"#);
        let c = client(&server, flavor);
        let made = c.create(&new("v2", "ours", false)).unwrap();
        assert!(matches!(made, Created::Existed(_)), "{flavor:?}: {made:?}");
        assert_eq!(server.releases()[0].body, "by hand");
        let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
        let conflict = if flavor == Flavor::GitHub { 422 } else { 409 };
        assert_eq!(statuses, [404, conflict, 200], "{flavor:?}");
    }
}

#[test]
fn refusals_are_named() {
    let server = ForgeServer::start(Flavor::GitHub, TOKEN);
    server.push_fault(404, &[], r#"{"message":"Not Found"}"#); // GET: none
    server.push_fault(404, &[], r#"{"message":"Not Found"}"#); // POST: no such repository
    let err = client(&server, Flavor::GitHub).create(&new("v1", "x", false)).unwrap_err();
    assert_eq!(code(&err), Code::ForgeRejected);
    let f = err.downcast_ref::<crate::error::Failure>().unwrap();
    assert!(f.help.contains("[forge] repository"), "{}", f.help);
    server.push_fault(422, &[], r#"{"message":"Validation Failed","errors":[{"code":"invalid","field":"tag_name"}]}"#);
    let err = client(&server, Flavor::GitHub).find("v1").unwrap_err();
    assert!(format!("{err}").contains("Validation Failed"), "{err}");
    // nothing listening: bounded retries, then XR133
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut c = client(&server, Flavor::GitHub);
    c.target.api = format!("http://127.0.0.1:{port}");
    let err = c.find("v1").unwrap_err();
    assert_eq!(code(&err), Code::ForgeUnreachable);
    assert!(format!("{err}").contains("3 times"), "{err}");
}

#[test]
fn long_bodies_are_cut_before_sending() {
    let server = ForgeServer::start(Flavor::GitHub, TOKEN);
    let c = client(&server, Flavor::GitHub);
    let mut r = new("v1", &"- line\n".repeat(20_000), false);
    r.changelog_url = Some("https://forge.example/o/r/blob/v1/CHANGELOG.md".into());
    c.create(&r).unwrap();
    let stored = &server.releases()[0];
    assert!(stored.body.chars().count() <= 125_000, "the stand-in refuses longer bodies with 422");
    assert!(stored.body.contains("(https://forge.example/o/r/blob/v1/CHANGELOG.md)"));
}

/// Release pull requests against the stand-in GitHub (`stand_in.rs`): none
/// open, one opened, found again by its head, updated in place; a second one
/// for the same head is refused as GitHub refuses it.
#[test]
fn github_pull_requests_are_found_opened_and_updated() {
    let server = ForgeServer::start(Flavor::GitHub, TOKEN);
    let c = client(&server, Flavor::GitHub);
    let new = NewPull {
        title: "chore(release): a@1.1.0".into(),
        body: "plan".into(),
        head: "release/next".into(),
        base: "main".into(),
    };
    assert_eq!(c.find_pull("release/next").unwrap(), None);
    let opened = c.open_pull(&new).unwrap();
    assert_eq!(opened.number, 1);
    assert_eq!(opened.url.as_deref(), Some("https://forge.example/o/r/pull/1"));
    assert_eq!(c.find_pull("release/next").unwrap(), Some(opened.clone()));
    assert_eq!(c.find_pull("other").unwrap(), None);
    let updated = c.update_pull(1, &NewPull { body: "new plan".into(), ..new.clone() }).unwrap();
    assert_eq!(updated.number, 1);
    let pulls = server.pulls();
    assert_eq!(pulls.len(), 1);
    assert_eq!(
        (pulls[0].body.as_str(), pulls[0].head.as_str(), pulls[0].base.as_str()),
        ("new plan", "release/next", "main")
    );
    let err = c.open_pull(&new).unwrap_err();
    assert_eq!(code(&err), Code::ForgeRejected, "{err:#}");
    assert!(format!("{err:#}").contains("A pull request already exists"), "{err:#}");
    let get = server.requests().into_iter().find(|r| r.method == "GET").unwrap();
    assert_eq!(get.path, "/repos/o/r/pulls?head=o%3Arelease%2Fnext&state=open");
}

/// GitHub numbers pull requests apart from release ids (a release made first
/// does not take number 1), and a pull request read back shows its own title
/// and body, so an update that would change nothing is skipped.
#[test]
fn pull_request_numbers_are_not_release_ids_and_a_found_one_shows_its_body() {
    let server = ForgeServer::start(Flavor::GitHub, TOKEN);
    server.add_release("v1.0.0", "notes");
    let c = client(&server, Flavor::GitHub);
    let new = NewPull {
        title: "chore(release): a@1.1.0".into(),
        body: "plan".into(),
        head: "rel".into(),
        base: "main".into(),
    };
    assert_eq!(c.open_pull(&new).unwrap().number, 1);
    let found = c.find_pull("rel").unwrap().unwrap();
    assert!(found.shows(Kind::GitHub, &new), "{found:?}");
    assert!(!found.shows(Kind::GitHub, &NewPull { body: "other".into(), ..new }), "{found:?}");
}
