//! History in one pass: a single `git log` over HEAD with the changed file
//! names, and a single `git for-each-ref` for the tags. Each commit is assigned
//! to the packages whose folders it touches as it streams in, and only what
//! planning needs is kept (a classified message, not its text), so a history of
//! 100,000 commits costs a few megabytes. Per package, only commits that are not
//! ancestors of its last tag count.
//!
//! For changelogs, the subject of each conventional commit that touches a
//! package is kept too (type, scope, breaking flag, description, and of the body
//! only a `BREAKING CHANGE:` footer's description: one shared text buffer, a few
//! dozen bytes a commit), and `analyze` keeps only the notes of the
//! commits since each package's last tag, and since its last final (non
//! pre-release) tag for the pre-release rollup, in one list shared by all
//! packages (`PackageNotes`).
//!
//! `read_log`/`read_tags` run git; `LogParser` and `analyze` are pure.
//!
//! `parse` holds the streaming log parser, `analyze` the per-package
//! analysis, `notes` the changelog notes kept for it.

mod analyze;
mod notes;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use xshell::{cmd, Shell};

use crate::commits::{Change, Convention};
use crate::error::Code;
use crate::shell;
use crate::version::{Ecosystem, Version};
use crate::workspace::Package;

pub use analyze::analyze;
pub use notes::{Note, NoteStore, PackageNotes, RawNote, NO_NOTE};
pub use parse::LogParser;

/// A commit id: SHA-1 (20 bytes) or SHA-256 (32 bytes), zero-padded.
pub type Oid = [u8; 32];

#[derive(Debug, Default)]
pub struct Log {
    /// Newest first, as `git log` prints them.
    pub commits: Vec<Commit>,
    pub by_hash: HashMap<Oid, u32>,
    /// Conventional types seen, interned: `Commit::kind` indexes this.
    pub kinds: Vec<String>,
    /// What changelogs need of the conventional commits that touch a package:
    /// `Commit::note` indexes this.
    pub notes: Vec<RawNote>,
    /// The descriptions of `notes`, one after the other.
    pub text: String,
    /// Scopes seen, interned: `RawNote::scope` indexes this.
    pub scopes: Vec<String>,
    /// Bytes of a commit id: 20 (SHA-1) or 32 (SHA-256).
    pub oid_len: u8,
}

#[derive(Debug)]
pub struct Commit {
    pub parents: Vec<Oid>,
    /// Indices of the packages whose folders the commit touches.
    pub touched: Vec<u32>,
    /// Index into `Log::kinds`: the conventional type, or `breaking`/`other`.
    pub kind: u16,
    pub change: Change,
    /// Index into `Log::notes`, or `NO_NOTE`.
    pub note: u32,
}

#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    /// The commit the tag points at (peeled for annotated tags).
    pub commit: String,
}

/// What the history says about one package.
#[derive(Debug, Clone, Default)]
pub struct PackageHistory {
    /// The newest tag matching the package's tag format whose version parses
    /// and whose commit is in HEAD's history.
    pub last_tag: Option<(String, Version)>,
    /// Indices into `Log::commits` of the commits since that tag touching the package.
    pub commits: Vec<usize>,
    /// The largest change among them.
    pub change: Option<Change>,
    /// Commit count per conventional type (`feat`, `fix`, `breaking`, `other` ...).
    pub kinds: BTreeMap<String, usize>,
    /// Every tag name of this package, whatever its commit.
    pub tags: Vec<String>,
    /// What its changelog needs.
    pub notes: PackageNotes,
}

/// Reads all of HEAD's history once, assigning commits to `packages`.
///
/// Its output (hundreds of megabytes for a long history) is parsed as it
/// streams (`shell::stream`), never held whole.
pub fn read_log(root: &Path, packages: &[Package], convention: Convention) -> anyhow::Result<Log> {
    let nonce = nonce();
    let format = format!("--format=%x00{nonce}%H %P%x00%B");
    let args = [
        "-C",
        root.to_str().unwrap_or("."),
        "-c",
        "log.showSignature=false",
        "log",
        "-z",
        "--name-only",
        "--no-renames",
        "--no-color",
        "--encoding=UTF-8",
        &format,
        "HEAD",
        "--",
    ];
    let help = "a plan needs at least one commit: commit the work tree first (git add -A && git commit)";
    let mut parser = LogParser::new(&nonce, packages, convention);
    shell::stream("git", &args, Code::Git, help, |chunk| parser.feed(chunk))?;
    Ok(parser.finish())
}

pub fn read_tags(sh: &Shell, root: &Path) -> anyhow::Result<Vec<Tag>> {
    let out = shell::output(
        cmd!(sh, "git -C {root} for-each-ref --format=%(refname:strip=2)%00%(objectname)%00%(*objectname) refs/tags"),
        Code::Git,
        "check that the repository is not damaged (git fsck)",
    )?;
    let text = String::from_utf8_lossy(&out);
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut parts = line.split('\0');
            let name = parts.next()?.to_string();
            let object = parts.next()?;
            let peeled = parts.next().unwrap_or("");
            let commit = if peeled.is_empty() { object } else { peeled };
            Some(Tag { name, commit: commit.to_string() })
        })
        .collect())
}

/// Whether `tag` looks like a release: it ends in a version with a dot
/// (`v0.35.4`, `0.16.4`, `name@1.7.0`, `py-1.2.0rc1`), after a non-digit.
pub fn looks_like_release(tag: &str) -> bool {
    tag.char_indices().any(|(i, c)| {
        let after_digit = tag[..i].chars().last().is_some_and(|p| p.is_ascii_digit() || p == '.');
        let rest = &tag[i..];
        c.is_ascii_digit()
            && !after_digit
            && rest.contains('.')
            && [Ecosystem::Cargo, Ecosystem::Python].iter().any(|&e| Version::parse(e, rest).is_ok())
    })
}

/// When no package reads any tag (`any_read` false): how many tags look like
/// releases, and the first few of them. `None` otherwise.
pub fn unread_release_tags(tags: &[Tag], any_read: bool) -> Option<(usize, Vec<&str>)> {
    if any_read {
        return None;
    }
    let release: Vec<&str> = tags.iter().map(|t| t.name.as_str()).filter(|t| looks_like_release(t)).collect();
    (!release.is_empty()).then(|| (release.len(), release.into_iter().take(3).collect()))
}

/// A marker that no commit message or file name contains: each record starts
/// with NUL + marker, and git cannot put a NUL inside a message or a `-z` path.
fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.write_u32(std::process::id());
    format!("XTASKREC{:016x}", h.finish())
}

pub fn oid(hex: &str) -> Option<Oid> {
    if !(hex.len() == 40 || hex.len() == 64) || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}
