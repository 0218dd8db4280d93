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

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use xshell::{cmd, Shell};

use crate::commits::{self, Change, Convention};
use crate::error::Code;
use crate::shell;
use crate::tags::match_tag;
use crate::version::{Ecosystem, Version};
use crate::workspace::Package;

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

/// No note: the commit is not conventional or touches no package.
pub const NO_NOTE: u32 = u32::MAX;

/// A conventional commit's subject as the log parser keeps it: 16 bytes, and
/// its text in `Log::text` (`NoteText`; the commit id is the key of `by_hash`).
#[derive(Debug, Clone, Copy)]
pub struct RawNote {
    /// Index into `Log::kinds`: the commit's own type (`feat`, `refactor` ...).
    pub kind: u16,
    pub breaking: bool,
    /// Index into `Log::scopes`, or `NO_NOTE`.
    pub scope: u32,
    /// Byte range of the text in `Log::text`: the description, or `description\0breaking note`.
    pub start: u32,
    pub len: u32,
}

/// One changelog line's worth of a commit: its subject, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The full commit id (hex).
    pub hash: String,
    /// The conventional type, lower case (`feat`, `fix`, `refactor` ...).
    pub kind: String,
    pub scope: Option<String>,
    /// `!` in the header or a `BREAKING CHANGE:` footer.
    pub breaking: bool,
    /// The subject after `type(scope)!: `.
    pub description: String,
    /// What the `BREAKING CHANGE:` footer says about the break (the changelog shows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaking_note: Option<Box<str>>,
    /// `#123` references in the description.
    pub refs: Vec<u64>,
}

impl Note {
    /// The abbreviated commit id (7 hex digits).
    pub fn short(&self) -> &str {
        &self.hash[..7.min(self.hash.len())]
    }
}

/// The notes every package of one analysis shares, packed (about 40 bytes and
/// the description per commit: 100,000 commits cost a few MiB); `get` gives a
/// `Note`.
#[derive(Debug, Default)]
pub struct NoteStore {
    /// Commit ids, `id_len` bytes each.
    ids: Vec<u8>,
    id_len: usize,
    text: String,
    /// Types and scopes, interned.
    strings: Vec<String>,
    notes: Vec<Packed>,
}

#[derive(Debug, Clone, Copy)]
struct Packed {
    kind: u32,
    /// Index into `strings`, or `NO_NOTE`.
    scope: u32,
    /// The range of `text`: the description, or `description\0breaking note`.
    start: u32,
    len: u32,
    breaking: bool,
}

impl NoteStore {
    pub fn len(&self) -> usize {
        self.notes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }

    /// Note `i` (panics when out of range, like indexing).
    pub fn get(&self, i: u32) -> Note {
        let p = self.notes[i as usize];
        let id = &self.ids[i as usize * self.id_len..(i as usize + 1) * self.id_len];
        let (description, breaking_note) = unpack(&self.text[p.start as usize..(p.start + p.len) as usize]);
        let (description, breaking_note) = (description.to_string(), breaking_note.map(Box::from));
        Note {
            hash: id.iter().map(|b| format!("{b:02x}")).collect(),
            kind: self.strings[p.kind as usize].clone(),
            scope: (p.scope != NO_NOTE).then(|| self.strings[p.scope as usize].clone()),
            breaking: p.breaking,
            refs: commits::references(&description).into_iter().map(|(_, n)| n).collect(),
            description,
            breaking_note,
        }
    }

    /// A store holding `notes`, in order (for callers and tests that build
    /// notes themselves). Hashes are hex; all must have the same length.
    pub fn from_notes(notes: &[Note]) -> NoteStore {
        let mut store = NoteStore { id_len: notes.first().map_or(20, |n| n.hash.len() / 2), ..NoteStore::default() };
        let mut ids = HashMap::new();
        for n in notes {
            let id: Vec<u8> = (0..store.id_len)
                .map(|i| n.hash.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0))
                .collect();
            let text = pack(&n.description.replace('\0', ""), n.breaking_note.as_deref());
            store.push(Some(&id), &n.kind, n.scope.as_deref(), n.breaking, &text, &mut ids);
        }
        store
    }

    fn intern(&mut self, s: &str, ids: &mut HashMap<String, u32>) -> u32 {
        if let Some(&i) = ids.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_string());
        ids.insert(s.to_string(), i);
        i
    }

    /// Adds a note; `id` is appended unless the ids were written beforehand (`None`).
    fn push(
        &mut self,
        id: Option<&[u8]>,
        kind: &str,
        scope: Option<&str>,
        breaking: bool,
        text: &str,
        ids: &mut HashMap<String, u32>,
    ) {
        if let Some(id) = id {
            self.ids.extend_from_slice(&id[..self.id_len]);
        }
        let kind = self.intern(kind, ids);
        let scope = scope.map_or(NO_NOTE, |s| self.intern(s, ids));
        let start = self.text.len() as u32;
        self.text.push_str(text);
        self.notes.push(Packed { kind, scope, start, len: text.len() as u32, breaking });
    }
}

/// A note's text as kept: the description, and after a NUL the breaking
/// footer's description when there is one. A NUL cannot be in a commit message
/// (`git log -z` separates records with it), so it costs one byte, and only
/// for the notes that have one, instead of a length per note.
fn pack(description: &str, breaking_note: Option<&str>) -> String {
    match breaking_note {
        Some(n) => format!("{description}\0{n}"),
        None => description.to_string(),
    }
}

/// `pack` undone: (description, breaking note).
fn unpack(text: &str) -> (&str, Option<&str>) {
    match text.split_once('\0') {
        Some((d, n)) => (d, Some(n)),
        None => (text, None),
    }
}

/// The changelog notes of one package: indices into `store`, which every
/// package of one analysis shares, newest first (log order). Only conventional
/// commits have notes.
#[derive(Debug, Clone, Default)]
pub struct PackageNotes {
    pub store: Arc<NoteStore>,
    /// Commits since the package's last tag.
    pub since_tag: Vec<u32>,
    /// Commits since its last final (not pre-release) tag: what a final release
    /// after release candidates rolls up. Equal to `since_tag` when the last tag
    /// is final.
    pub since_final: Vec<u32>,
    /// The newest final tag in HEAD's history (the compare base of a final release).
    pub last_final_tag: Option<String>,
}

impl PackageNotes {
    pub fn since_tag(&self) -> impl Iterator<Item = Note> + '_ {
        self.since_tag.iter().map(|&i| self.store.get(i))
    }

    pub fn since_final(&self) -> impl Iterator<Item = Note> + '_ {
        self.since_final.iter().map(|&i| self.store.get(i))
    }
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

/// Incremental parser for `git log -z --name-only --format=%x00MARK%H %P%x00%B`.
/// Each record: `\0MARK<hash> <parents>\0<message>\0[\n]file\0file\0...`.
/// Feed it any chunks; records split across chunks are handled.
pub struct LogParser {
    marker: Vec<u8>,
    buf: Vec<u8>,
    /// Start of the unparsed part of `buf`.
    pos: usize,
    log: Log,
    dirs: HashMap<String, u32>,
    root_pkg: Option<u32>,
    kind_ids: HashMap<String, u16>,
    scope_ids: HashMap<String, u32>,
    convention: Convention,
}

impl LogParser {
    pub fn new(nonce: &str, packages: &[Package], convention: Convention) -> LogParser {
        let mut marker = vec![0u8];
        marker.extend_from_slice(nonce.as_bytes());
        let dirs: HashMap<String, u32> = packages.iter().enumerate().map(|(i, p)| (p.dir.clone(), i as u32)).collect();
        let root_pkg = dirs.get(".").copied();
        let mut p = LogParser {
            marker,
            buf: vec![],
            pos: 0,
            log: Log::default(),
            dirs,
            root_pkg,
            kind_ids: HashMap::new(),
            scope_ids: HashMap::new(),
            convention,
        };
        p.kind_id("other");
        p
    }

    fn kind_id(&mut self, kind: &str) -> u16 {
        if let Some(&id) = self.kind_ids.get(kind) {
            return id;
        }
        let id = self.log.kinds.len() as u16;
        self.log.kinds.push(kind.to_string());
        self.kind_ids.insert(kind.to_string(), id);
        id
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        // the buffer is taken out while its records are parsed: no copy of each
        let mut buf = std::mem::take(&mut self.buf);
        buf.extend_from_slice(chunk);
        while let Some(start) = find(&buf[self.pos..], &self.marker).map(|i| self.pos + i) {
            let body = start + self.marker.len();
            let Some(next) = find(&buf[body..], &self.marker).map(|i| body + i) else {
                self.pos = start;
                break;
            };
            self.record(&buf[body..next]);
            self.pos = next;
        }
        // drop what is parsed once it is most of the buffer (amortized O(n))
        if self.pos > 0 && self.pos * 2 >= buf.len() {
            buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf = buf;
    }

    pub fn finish(mut self) -> Log {
        let buf = std::mem::take(&mut self.buf);
        if let Some(start) = find(&buf[self.pos..], &self.marker).map(|i| self.pos + i) {
            self.record(&buf[start + self.marker.len()..]);
        }
        self.log
    }

    fn record(&mut self, record: &[u8]) {
        let mut fields = record.splitn(3, |&b| b == 0);
        let head = String::from_utf8_lossy(fields.next().unwrap_or_default());
        let message = String::from_utf8_lossy(fields.next().unwrap_or_default());
        let mut ids = head.split_whitespace();
        let Some(hash) = ids.next().and_then(oid) else { return };
        let parents: Vec<Oid> = ids.filter_map(oid).collect();
        let mut touched: Vec<u32> = vec![];
        for f in fields.next().unwrap_or_default().split(|&b| b == 0) {
            let f = f.strip_prefix(b"\n").unwrap_or(f);
            if f.is_empty() {
                continue;
            }
            let f = String::from_utf8_lossy(f);
            // a file belongs to the deepest package folder above it
            let mut owner = self.root_pkg;
            let mut end = f.len();
            while let Some(slash) = f[..end].rfind('/') {
                if let Some(&p) = self.dirs.get(&f[..slash]) {
                    owner = Some(p);
                    break;
                }
                end = slash;
            }
            if let Some(p) = owner {
                if !touched.contains(&p) {
                    touched.push(p);
                }
            }
        }
        // a merge says what its branch did, which that branch's commits list already
        let merge = self.convention == Convention::Area && parents.len() > 1;
        let conventional = if merge { None } else { commits::parse_as(self.convention, &message) };
        let change = conventional.as_ref().map_or(Change::Other, |c| c.change());
        let kind = match (&conventional, change) {
            (_, Change::Breaking) => self.kind_id("breaking"),
            (Some(c), _) => {
                let k = c.kind.clone();
                self.kind_id(&k)
            }
            (None, _) => 0,
        };
        if self.log.oid_len == 0 {
            self.log.oid_len = (head.split_whitespace().next().map_or(40, str::len) / 2) as u8;
        }
        let note = match conventional {
            Some(c) if !touched.is_empty() => self.note(c),
            _ => NO_NOTE,
        };
        self.log.by_hash.insert(hash, self.log.commits.len() as u32);
        self.log.commits.push(Commit { parents, touched, kind, change, note });
    }

    fn note(&mut self, c: commits::Conventional) -> u32 {
        let scope = match c.scope {
            None => NO_NOTE,
            Some(s) => match self.scope_ids.get(&s) {
                Some(&id) => id,
                None => {
                    let id = self.log.scopes.len() as u32;
                    self.log.scopes.push(s.clone());
                    self.scope_ids.insert(s, id);
                    id
                }
            },
        };
        let kind = self.kind_id(&c.kind);
        let start = self.log.text.len() as u32;
        self.log.text.push_str(&c.description);
        // of the body, only what the changelog shows: the description of a break
        if let Some(note) = &c.breaking_note {
            self.log.text.push('\0');
            self.log.text.push_str(note);
        }
        let len = self.log.text.len() as u32 - start;
        self.log.notes.push(RawNote { kind, breaking: c.breaking, scope, start, len });
        (self.log.notes.len() - 1) as u32
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    // the marker starts with NUL: jump between NULs instead of testing every byte
    let mut i = 0;
    while let Some(z) = hay[i..].iter().position(|&b| b == needle[0]) {
        let at = i + z;
        if hay.len() - at < needle.len() {
            return None;
        }
        // most NULs end a file name: the byte after tells at once
        if hay.get(at + 1) == needle.get(1) && &hay[at..at + needle.len()] == needle {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Finds each package's last tag and the commits since it. Pure.
/// `patterns(i)` gives package `i`'s tag patterns (`Config::tag_patterns`:
/// templates with `{name}` filled in); the highest version matching any of them
/// is its last tag.
pub fn analyze(
    log: &Log,
    tags: &[Tag],
    packages: &[Package],
    patterns: &dyn Fn(usize) -> Vec<String>,
) -> Vec<PackageHistory> {
    let mut touched: Vec<Vec<usize>> = vec![vec![]; packages.len()];
    for (ci, c) in log.commits.iter().enumerate() {
        for &p in &c.touched {
            touched[p as usize].push(ci);
        }
    }
    let ancestry = Ancestry::new(log);
    let histories = packages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut h = PackageHistory::default();
            let patterns = patterns(i);
            let mut last_commit = None;
            let mut last_final: Option<(String, Version, usize)> = None;
            for t in tags {
                let Some(version) = patterns
                    .iter()
                    .filter_map(|pat| match_tag(pat, &t.name))
                    .find_map(|v| Version::parse(p.ecosystem, v).ok())
                else {
                    continue;
                };
                h.tags.push(t.name.clone());
                let Some(&at) = oid(&t.commit).and_then(|o| log.by_hash.get(&o)) else {
                    continue; // not in HEAD's history (another branch)
                };
                if !version.is_pre() && last_final.as_ref().is_none_or(|(_, best, _)| version > *best) {
                    last_final = Some((t.name.clone(), version.clone(), at as usize));
                }
                if h.last_tag.as_ref().is_none_or(|(_, best)| version > *best) {
                    h.last_tag = Some((t.name.clone(), version));
                    last_commit = Some(at as usize);
                }
            }
            let since: Vec<usize> = match last_commit {
                None => touched[i].clone(),
                Some(tc) => {
                    let ancestors = ancestry.of(tc);
                    touched[i].iter().copied().filter(|&c| !ancestors.contains(c)).collect()
                }
            };
            for &c in &since {
                let commit = &log.commits[c];
                *h.kinds.entry(log.kinds[commit.kind as usize].clone()).or_default() += 1;
                h.change = h.change.max(Some(commit.change));
            }
            // the pre-release rollup: commits since the last final tag
            let with_note = |cs: &[usize]| -> Vec<u32> {
                cs.iter().copied().filter(|&c| log.commits[c].note != NO_NOTE).map(|c| c as u32).collect()
            };
            let since_final = match &last_final {
                Some((_, _, fc)) if Some(*fc) == last_commit => with_note(&since),
                None => with_note(&touched[i]),
                Some((_, _, fc)) => {
                    let ancestors = ancestry.of(*fc);
                    let all: Vec<usize> = touched[i].iter().copied().filter(|&c| !ancestors.contains(c)).collect();
                    with_note(&all)
                }
            };
            h.notes = PackageNotes {
                store: Arc::default(),
                since_tag: with_note(&since),
                since_final,
                last_final_tag: last_final.map(|(t, _, _)| t),
            };
            h.commits = since;
            h
        })
        .collect();
    share_notes(log, histories)
}

/// Replaces the commit indices in each package's notes by indices into one
/// `NoteStore` shared by all packages, holding only the commits some package
/// needs.
fn share_notes(log: &Log, mut hs: Vec<PackageHistory>) -> Vec<PackageHistory> {
    // commit index -> position in the store (NO_NOTE: not needed)
    let mut index: Vec<u32> = vec![NO_NOTE; log.commits.len()];
    for h in &hs {
        for &c in h.notes.since_tag.iter().chain(&h.notes.since_final) {
            index[c as usize] = 0;
        }
    }
    let mut used = 0u32;
    let mut text_len = 0;
    for (c, slot) in index.iter_mut().enumerate() {
        if *slot != NO_NOTE {
            *slot = used;
            used += 1;
            text_len += log.notes[log.commits[c].note as usize].len as usize;
        }
    }
    let id_len = if log.oid_len == 0 { 20 } else { log.oid_len as usize };
    let mut store = NoteStore {
        ids: vec![0; used as usize * id_len],
        id_len,
        text: String::with_capacity(text_len),
        notes: Vec::with_capacity(used as usize),
        strings: vec![],
    };
    for (oid, &c) in &log.by_hash {
        let k = index[c as usize];
        if k != NO_NOTE {
            store.ids[k as usize * id_len..(k as usize + 1) * id_len].copy_from_slice(&oid[..id_len]);
        }
    }
    let mut strings = HashMap::new();
    for (c, _) in index.iter().enumerate().filter(|(_, &k)| k != NO_NOTE) {
        let raw = log.notes[log.commits[c].note as usize];
        let scope = (raw.scope != NO_NOTE).then(|| log.scopes[raw.scope as usize].as_str());
        let text = &log.text[raw.start as usize..(raw.start + raw.len) as usize];
        store.push(None, &log.kinds[raw.kind as usize], scope, raw.breaking, text, &mut strings);
    }
    let store = Arc::new(store);
    for h in &mut hs {
        h.notes.store = store.clone();
        for list in [&mut h.notes.since_tag, &mut h.notes.since_final] {
            for c in list.iter_mut() {
                *c = index[*c as usize];
            }
        }
    }
    hs
}

/// Which commits are ancestors of a commit. For a linear history (every commit's
/// only parent is the next one in the log) that is an index comparison; with
/// merges, a walk over parents (resolved to log indices once, so that a walk
/// hashes nothing), remembered per starting commit.
struct Ancestry {
    linear: bool,
    /// Commit `c`'s parents are `parents[starts[c]..starts[c + 1]]`.
    starts: Vec<u32>,
    parents: Vec<u32>,
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

impl Ancestry {
    fn new(log: &Log) -> Ancestry {
        let n = log.commits.len();
        let mut starts = Vec::with_capacity(n + 1);
        let mut parents = Vec::with_capacity(n);
        let mut linear = true;
        for (i, c) in log.commits.iter().enumerate() {
            starts.push(parents.len() as u32);
            // a parent outside the log (a shallow cut) is no ancestor we can walk
            let known: Vec<u32> = c.parents.iter().filter_map(|p| log.by_hash.get(p).copied()).collect();
            linear &= match (c.parents.len(), known.as_slice()) {
                (0, _) => i + 1 == n,
                (1, [p]) => *p as usize == i + 1,
                _ => false,
            };
            parents.extend(known);
        }
        starts.push(parents.len() as u32);
        Ancestry { linear, starts, parents, cache: Default::default() }
    }

    fn of(&self, start: usize) -> Ancestors {
        if self.linear {
            return Ancestors::From(start);
        }
        if let Some(set) = self.cache.borrow().get(&start) {
            return Ancestors::Set(set.clone());
        }
        let mut seen = vec![false; self.starts.len() - 1];
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(c) = stack.pop() {
            for &p in &self.parents[self.starts[c] as usize..self.starts[c + 1] as usize] {
                if !seen[p as usize] {
                    seen[p as usize] = true;
                    stack.push(p as usize);
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

    fn pkg(dir: &str) -> Package {
        crate::test_support::package(dir)
    }

    fn hostile_log(nonce: &str) -> Vec<u8> {
        let h1 = "a".repeat(40);
        let h2 = "b".repeat(40);
        let mut out = Vec::new();
        out.extend_from_slice(
            format!("\0{nonce}{h1} {h2}\0feat: x\n\nbody \u{1e}\u{1f} XTASKREC {nonce}\n\0\ncrates/a/src/lib.rs\0py/b c/x.py\0")
                .as_bytes(),
        );
        out.extend_from_slice(format!("\0{nonce}{h2} \0fix: bad ").as_bytes());
        out.extend_from_slice(b"\xff bytes\n\n\nBREAKING CHANGE: yes\0\ncrates/a/Cargo.toml\0README.md\0");
        out
    }

    #[test]
    fn notes_since_the_last_tag_and_the_last_final_tag() {
        let nonce = "XTASKRECn";
        let packages = vec![pkg("crates/a"), pkg("crates/b")];
        let h = |n: u8| format!("{n}").repeat(40);
        // newest first: 5 feat(api)! (#5), 4 not conventional, 3 chore (tag rc), 2 fix (a and b), 1 feat (tag 1.1.0)
        let commits = [
            (5, "feat(api)!: e (#5)", "crates/a/x"),
            (4, "tidy up", "crates/a/x"),
            (3, "chore: c", "crates/a/x"),
            (2, "fix(io): b\n\nbody", "crates/a/x\0crates/b/y"),
            (1, "feat: a", "crates/a/x"),
        ];
        let mut bytes = vec![];
        for (n, msg, files) in commits {
            let parent = if n > 1 { h(n - 1) } else { String::new() };
            bytes.extend_from_slice(format!("\0{nonce}{} {parent}\0{msg}\0\n{files}\0", h(n)).as_bytes());
        }
        let mut parser = LogParser::new(nonce, &packages, Convention::Conventional);
        parser.feed(&bytes);
        let log = parser.finish();
        assert_eq!(log.notes.len(), 4, "the non-conventional commit has no note");
        assert_eq!(log.text, "e (#5)cba", "of the messages only the descriptions are kept, no body");
        let tags =
            vec![Tag { name: "a-v1.1.0".into(), commit: h(1) }, Tag { name: "a-v1.2.0-rc.1".into(), commit: h(3) }];
        let hs = analyze(&log, &tags, &packages, &|i| vec![format!("{}-v{{version}}", packages[i].name)]);
        let a = &hs[0].notes;
        let descriptions = |it: Vec<Note>| it.iter().map(|n| n.description.clone()).collect::<Vec<_>>();
        assert_eq!(descriptions(a.since_tag().collect()), ["e (#5)"]);
        assert_eq!(descriptions(a.since_final().collect()), ["e (#5)", "c", "b"]);
        assert_eq!(a.last_final_tag.as_deref(), Some("a-v1.1.0"));
        let e = a.since_tag().next().unwrap();
        assert_eq!(
            (e.kind.as_str(), e.scope.as_deref(), e.breaking, e.refs.as_slice()),
            ("feat", Some("api"), true, &[5][..])
        );
        assert_eq!(e.hash, h(5));
        assert_eq!(e.short(), "5555555");
        let b = &hs[1].notes;
        assert_eq!(descriptions(b.since_final().collect()), ["b"]);
        assert_eq!(b.since_tag, b.since_final);
        assert!(b.last_final_tag.is_none());
        // one shared list, only the commits some package needs (not `feat: a`, before a-v1.1.0)
        assert!(Arc::ptr_eq(&a.store, &b.store));
        assert_eq!(a.store.len(), 3);
        assert_eq!(a.since_final[2], b.since_final[0]);
    }

    #[test]
    fn a_breaking_footer_is_kept_and_nothing_else_of_the_body() {
        let packages = vec![pkg("crates/a")];
        let msg =
            "fix(io): b\n\nA long body\nthat no changelog shows.\n\nBREAKING CHANGE: reads are buffered\nRefs: #3";
        let bytes = format!("\0XTASKRECf{} \0{msg}\0\ncrates/a/x\0", "1".repeat(40));
        let mut parser = LogParser::new("XTASKRECf", &packages, Convention::Conventional);
        parser.feed(bytes.as_bytes());
        let log = parser.finish();
        assert_eq!(log.text, "b\0reads are buffered");
        let hs = analyze(&log, &[], &packages, &|_| vec!["a-v{version}".into()]);
        let n = hs[0].notes.since_tag().next().unwrap();
        assert_eq!((n.description.as_str(), n.breaking_note.as_deref()), ("b", Some("reads are buffered")));
        // a note built by hand packs and unpacks alike, a NUL in its text dropped
        let back = NoteStore::from_notes(&[Note { description: "x\0y".into(), ..n.clone() }]).get(0);
        assert_eq!((back.description.as_str(), back.breaking_note.as_deref()), ("xy", Some("reads are buffered")));
    }

    #[test]
    fn parses_hostile_messages_in_any_chunking() {
        let nonce = "XTASKRECabc";
        let packages = vec![pkg("crates/a"), pkg("py/b c")];
        let bytes = hostile_log(nonce);
        for chunk in [1, 2, 3, 7, 64, bytes.len()] {
            let mut p = LogParser::new(nonce, &packages, Convention::Conventional);
            for c in bytes.chunks(chunk) {
                p.feed(c);
            }
            let log = p.finish();
            assert_eq!(log.commits.len(), 2, "chunk {chunk}");
            assert_eq!(log.commits[0].parents, vec![oid(&"b".repeat(40)).unwrap()]);
            assert_eq!(log.commits[0].touched, vec![0, 1]);
            assert_eq!(log.kinds[log.commits[0].kind as usize], "feat");
            assert_eq!(log.commits[1].change, Change::Breaking);
            assert_eq!(log.commits[1].touched, vec![0], "README.md belongs to no package");
            assert!(log.commits[1].parents.is_empty());
        }
    }
}
