//! Per package: the last tag, the commits since it, their notes. Pure.

use std::collections::HashMap;
use std::sync::Arc;

use crate::tags::match_tag;
use crate::version::Version;
use crate::workspace::Package;

use super::*;

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
