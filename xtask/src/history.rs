//! History in one pass: a single `git log` over HEAD with the changed file
//! names, and a single `git for-each-ref` for the tags. Each commit is assigned
//! to the packages whose folders it touches; per package, only commits that are
//! not ancestors of its last tag count.
//!
//! `read_log`/`read_tags` run git; `parse_log` and `analyze` are pure.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use xshell::{cmd, Shell};

use crate::commits::{self, Change};
use crate::config::render_tag;
use crate::error::Code;
use crate::shell;
use crate::version::Version;
use crate::workspace::Package;

#[derive(Debug, Default)]
pub struct Log {
    /// Newest first, as `git log` prints them.
    pub commits: Vec<Commit>,
    pub by_hash: HashMap<String, usize>,
}

#[derive(Debug)]
pub struct Commit {
    pub parents: Vec<String>,
    /// The whole message, lossily decoded: invalid UTF-8 never stops a plan.
    pub message: String,
    pub files: Vec<String>,
}

impl Commit {
    #[cfg(test)]
    pub fn subject(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
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
}

/// Reads all of HEAD's history once. A repository without commits is an error.
pub fn read_log(sh: &Shell, root: &Path) -> anyhow::Result<Log> {
    let nonce = nonce();
    let format = format!("--format=%x00{nonce}%H %P%x00%B");
    let out = shell::output(
        cmd!(sh, "git -C {root} -c log.showSignature=false log -z --name-only --no-renames --no-color --encoding=UTF-8 {format} HEAD --"),
        Code::Git,
        "a plan needs at least one commit: commit the work tree first (git add -A && git commit)",
    )?;
    Ok(parse_log(&out, &nonce))
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

/// A marker that no commit message or file name contains: each record starts
/// with NUL + marker, and git cannot put a NUL inside a message or a `-z` path.
fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.write_u32(std::process::id());
    format!("XTASKREC{:016x}", h.finish())
}

/// Parses `git log -z --name-only --format=%x00MARK%H %P%x00%B`.
/// Each record: `\0MARK<hash> <parents>\0<message>\0[\n]file\0file\0...`.
pub fn parse_log(out: &[u8], nonce: &str) -> Log {
    let mut log = Log::default();
    let mut marker = vec![0u8];
    marker.extend_from_slice(nonce.as_bytes());
    let mut starts = vec![];
    let mut i = 0;
    while let Some(pos) = find(&out[i..], &marker) {
        starts.push(i + pos);
        i += pos + marker.len();
    }
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(out.len());
        let record = &out[start + marker.len()..end];
        let mut fields = record.splitn(3, |&b| b == 0);
        let head = String::from_utf8_lossy(fields.next().unwrap_or_default());
        let message = String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
        let files: Vec<String> = fields
            .next()
            .unwrap_or_default()
            .split(|&b| b == 0)
            .map(|f| f.strip_prefix(b"\n").unwrap_or(f))
            .filter(|f| !f.is_empty())
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        let mut ids = head.split_whitespace();
        let Some(hash) = ids.next().filter(|h| h.len() >= 40 && h.bytes().all(|c| c.is_ascii_hexdigit())) else {
            continue;
        };
        log.by_hash.insert(hash.to_string(), log.commits.len());
        log.commits.push(Commit { parents: ids.map(str::to_string).collect(), message, files });
    }
    log
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Assigns commits to packages and finds each package's last tag. Pure.
pub fn analyze(log: &Log, tags: &[Tag], packages: &[Package], tag_template: &str) -> Vec<PackageHistory> {
    // folder → package; a file belongs to the deepest package folder above it
    let dirs: HashMap<&str, usize> = packages.iter().enumerate().map(|(i, p)| (p.dir.as_str(), i)).collect();
    let root_pkg = dirs.get(".").copied();
    let mut touched: Vec<Vec<usize>> = vec![vec![]; packages.len()];
    let mut mark = vec![usize::MAX; packages.len()];
    for (ci, c) in log.commits.iter().enumerate() {
        for f in &c.files {
            let mut owner = root_pkg;
            let mut end = f.len();
            while let Some(slash) = f[..end].rfind('/') {
                if let Some(&p) = dirs.get(&f[..slash]) {
                    owner = Some(p);
                    break;
                }
                end = slash;
            }
            if let Some(p) = owner {
                if mark[p] != ci {
                    mark[p] = ci;
                    touched[p].push(ci);
                }
            }
        }
    }

    let ancestry = Ancestry::new(log);
    let classified: Vec<Option<commits::Conventional>> =
        log.commits.iter().map(|c| commits::parse(&c.message)).collect();
    packages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut h = PackageHistory::default();
            let template = render_tag(tag_template, &p.name, "\u{0}");
            let (prefix, suffix) = template.split_once('\u{0}').unwrap_or((&template, ""));
            for t in tags {
                let Some(v) = t.name.strip_prefix(prefix).and_then(|r| r.strip_suffix(suffix)) else {
                    continue;
                };
                let Ok(version) = Version::parse(p.ecosystem, v) else {
                    continue;
                };
                h.tags.push(t.name.clone());
                if !log.by_hash.contains_key(&t.commit) {
                    continue; // not in HEAD's history (another branch)
                }
                if h.last_tag.as_ref().is_none_or(|(_, best)| version > *best) {
                    h.last_tag = Some((t.name.clone(), version));
                }
            }
            let tag_commit = h
                .last_tag
                .as_ref()
                .and_then(|(name, _)| tags.iter().find(|t| t.name == *name))
                .and_then(|t| log.by_hash.get(&t.commit).copied());
            let since: Vec<usize> = match tag_commit {
                None => touched[i].clone(),
                Some(tc) => {
                    let ancestors = ancestry.of(tc);
                    touched[i].iter().copied().filter(|&c| !ancestors.contains(c)).collect()
                }
            };
            for &c in &since {
                let change = classified[c].as_ref().map_or(Change::Other, |cc| cc.change());
                let kind = match (&classified[c], change) {
                    (_, Change::Breaking) => "breaking".to_string(),
                    (Some(cc), _) => cc.kind.clone(),
                    (None, _) => "other".to_string(),
                };
                *h.kinds.entry(kind).or_default() += 1;
                h.change = h.change.max(Some(change));
            }
            h.commits = since;
            h
        })
        .collect()
}

/// Which commits are ancestors of a commit. For a linear history (every commit's
/// only parent is the next one in the log) that is an index comparison; with
/// merges, a walk over parents, remembered per starting commit.
struct Ancestry<'a> {
    log: &'a Log,
    linear: bool,
    cache: std::cell::RefCell<HashMap<usize, std::rc::Rc<Vec<bool>>>>,
}

enum Ancestors {
    From(usize),
    Set(std::rc::Rc<Vec<bool>>),
}

impl Ancestors {
    /// Whether commit `c` is the starting commit or one of its ancestors.
    fn contains(&self, c: usize) -> bool {
        match self {
            Ancestors::From(start) => c >= *start,
            Ancestors::Set(set) => set[c],
        }
    }
}

impl<'a> Ancestry<'a> {
    fn new(log: &'a Log) -> Ancestry<'a> {
        let n = log.commits.len();
        let linear = log.commits.iter().enumerate().all(|(i, c)| match c.parents.as_slice() {
            [] => i + 1 == n,
            [p] => log.by_hash.get(p) == Some(&(i + 1)),
            _ => false,
        });
        Ancestry { log, linear, cache: Default::default() }
    }

    fn of(&self, start: usize) -> Ancestors {
        if self.linear {
            return Ancestors::From(start);
        }
        if let Some(set) = self.cache.borrow().get(&start) {
            return Ancestors::Set(set.clone());
        }
        let mut seen = vec![false; self.log.commits.len()];
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(c) = stack.pop() {
            for p in &self.log.commits[c].parents {
                if let Some(&pi) = self.log.by_hash.get(p) {
                    if !seen[pi] {
                        seen[pi] = true;
                        stack.push(pi);
                    }
                }
            }
        }
        let set = std::rc::Rc::new(seen);
        self.cache.borrow_mut().insert(start, set.clone());
        Ancestors::Set(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hostile_messages() {
        let nonce = "XTASKRECabc";
        let h1 = "a".repeat(40);
        let h2 = "b".repeat(40);
        let mut out = Vec::new();
        out.extend_from_slice(format!("\0{nonce}{h1} {h2}\0feat: x\n\nbody \u{1e}\u{1f} XTASKREC {nonce}\n\0\ncrates/a/src/lib.rs\0py/b c/x.py\0").as_bytes());
        out.extend_from_slice(format!("\0{nonce}{h2} \0fix: bad ").as_bytes());
        out.extend_from_slice(b"\xff bytes\n\0\ncrates/a/Cargo.toml\0");
        let log = parse_log(&out, nonce);
        assert_eq!(log.commits.len(), 2);
        assert_eq!(log.commits[0].parents, vec![h2.clone()]);
        assert!(log.commits[0].message.contains("body"));
        assert_eq!(log.commits[0].files, vec!["crates/a/src/lib.rs", "py/b c/x.py"]);
        assert_eq!(log.commits[1].subject(), "fix: bad \u{fffd} bytes");
        assert_eq!(log.commits[1].files, vec!["crates/a/Cargo.toml"]);
        assert!(log.commits[1].parents.is_empty());
    }
}
