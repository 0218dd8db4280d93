//! Web links into a repository on a forge, and percent-encoding. Pure.

use std::fmt::Write as _;

use super::Kind;

/// Web links into a repository, for changelogs and messages. Pure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    pub kind: Kind,
    /// The repository's web page, without a trailing slash.
    pub web: String,
}

impl Links {
    /// GitLab puts repository pages under `/-/`.
    fn dash(&self) -> &'static str {
        if self.kind == Kind::GitLab {
            "/-"
        } else {
            ""
        }
    }

    pub fn commit(&self, hash: &str) -> String {
        format!("{}{}/commit/{hash}", self.web, self.dash())
    }

    /// The changes between two tags.
    pub fn compare(&self, from: &str, to: &str) -> String {
        format!("{}{}/compare/{}...{}", self.web, self.dash(), encode_path(from), encode_path(to))
    }

    /// `#N`: GitHub and Gitea send an issue link of a pull request on to it.
    pub fn issue(&self, n: u64) -> String {
        format!("{}{}/issues/{n}", self.web, self.dash())
    }

    /// A file as of a tag.
    pub fn file(&self, tag: &str, path: &str) -> String {
        match self.kind {
            Kind::Gitea => format!("{}/src/tag/{}/{}", self.web, encode_path(tag), encode_path(path)),
            _ => format!("{}{}/blob/{}/{}", self.web, self.dash(), encode_path(tag), encode_path(path)),
        }
    }

    /// The release page of a tag.
    pub fn release(&self, tag: &str) -> String {
        format!("{}{}/releases/tag/{}", self.web, self.dash(), encode_path(tag))
    }

    /// The page that creates a release for a tag by hand.
    pub fn new_release(&self, tag: &str, title: &str, prerelease: bool) -> String {
        match self.kind {
            Kind::GitHub => format!(
                "{}/releases/new?tag={}&title={}{}",
                self.web,
                encode(tag),
                encode(title),
                if prerelease { "&prerelease=1" } else { "" }
            ),
            Kind::Gitea => format!("{}/releases/new?tag={}", self.web, encode(tag)),
            Kind::GitLab => format!("{}/-/releases/new?tag_name={}", self.web, encode(tag)),
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Percent-encodes a path, keeping its slashes.
pub(super) fn encode_path(s: &str) -> String {
    s.split('/').map(encode).collect::<Vec<_>>().join("/")
}
