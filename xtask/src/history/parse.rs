//! The streaming parser of the one `git log` pass.

use std::collections::HashMap;

use crate::commits::{self, Change, Convention};
use crate::workspace::Package;

use super::*;

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
