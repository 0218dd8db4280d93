//! The changelog notes a history keeps: one shared store of conventional
//! subjects, indexed per package.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::commits;

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
    pub(super) ids: Vec<u8>,
    pub(super) id_len: usize,
    pub(super) text: String,
    /// Types and scopes, interned.
    pub(super) strings: Vec<String>,
    pub(super) notes: Vec<Packed>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Packed {
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
    pub(super) fn push(
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
