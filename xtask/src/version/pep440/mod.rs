//! PEP 440 versions and specifiers: the part a release tool needs.
//!
//! Parsing accepts every spelling PEP 440 normalizes (`1.0-RC.1`, `v1.0`,
//! `1.0.post-1`, `1.0_dev`), `Display` writes the normal form (`1.0rc1`).
//! Comparison follows the spec's ordering (dev < pre < final < post, epochs,
//! trailing zeros ignored). Specifiers implement `== != <= >= < > ~= ===` and
//! `==X.*` / `!=X.*`.
//!
//! Assumption: pre-release filtering (a specifier not naming a pre-release
//! excludes them when *resolving*) is an installer's policy and is not applied by
//! `Specifiers::contains`: we ask "is this version inside the range".

use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PreKind {
    Alpha,
    Beta,
    Rc,
}

/// Equality, ordering and hashing follow PEP 440: `1.0 == 1.0.0`.
#[derive(Debug, Clone)]
pub struct Pep440 {
    pub epoch: u64,
    pub release: Vec<u64>,
    pub pre: Option<(PreKind, u64)>,
    pub post: Option<u64>,
    pub dev: Option<u64>,
    pub local: Option<String>,
}

impl Pep440 {
    pub fn new(release: Vec<u64>) -> Pep440 {
        Pep440 { epoch: 0, release, pre: None, post: None, dev: None, local: None }
    }

    pub fn parse(input: &str) -> Result<Pep440, String> {
        let s = input.trim().to_ascii_lowercase();
        let bad = |why: &str| format!("`{input}` is not a PEP 440 version: {why}");
        let mut p = Cursor { s: s.as_bytes(), i: 0, too_large: false };
        if p.peek() == Some(b'v') {
            p.i += 1;
        }
        let mut v = p.epoch_and_release().map_err(bad)?;
        v.pre = p.pre_release();
        v.post = p.post_release();
        v.dev = p.dev_release();
        if p.peek() == Some(b'+') {
            v.local = Some(local_label(&s[p.i + 1..]).ok_or_else(|| bad("bad local version label"))?);
            p.i = s.len();
        }
        // a number past u64 is refused, not read as 0 or dropped (found by fuzz/ pep440_reference)
        if p.too_large {
            return Err(bad("a number is too large"));
        }
        if p.i != s.len() {
            return Err(bad(&format!("unexpected `{}`", &s[p.i..])));
        }
        Ok(v)
    }

    /// A pre-release or dev-release (what pip leaves out unless asked).
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// major.minor.patch, missing parts as 0.
    pub fn triple(&self) -> (u64, u64, u64) {
        let r = |i: usize| self.release.get(i).copied().unwrap_or(0);
        (r(0), r(1), r(2))
    }

    /// The same release with pre, post, dev and local parts removed.
    pub fn base(&self) -> Pep440 {
        Pep440 { epoch: self.epoch, release: self.release.clone(), ..Pep440::new(vec![]) }
    }

    fn cmp_key(&self) -> impl Ord + '_ {
        let mut release: Vec<u64> = self.release.clone();
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        // dev-only releases sort before the pre-releases of the same release
        let pre = match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => (0, None),
            (Some(p), _, _) => (1, Some(p)),
            (None, _, _) => (2, None),
        };
        let post = (self.post.is_some(), self.post.unwrap_or(0));
        let dev = (self.dev.is_none(), self.dev.unwrap_or(0));
        let local = self.local.as_deref().map(local_key);
        (self.epoch, release, pre, post, dev, local)
    }
}

/// A local version segment: numeric ones sort above alphanumeric ones, and by value.
#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
enum LocalSeg {
    Alpha(String),
    Num(u64),
}

fn local_key(s: &str) -> Vec<LocalSeg> {
    s.split('.')
        .map(|seg| match seg.parse::<u64>() {
            Ok(n) => LocalSeg::Num(n),
            Err(_) => LocalSeg::Alpha(seg.to_string()),
        })
        .collect()
}

impl PartialEq for Pep440 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440 {}

impl std::hash::Hash for Pep440 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut release = self.release.as_slice();
        while release.len() > 1 && release.last() == Some(&0) {
            release = &release[..release.len() - 1];
        }
        // hashed as compared: `1+01` equals `1+1`
        (self.epoch, release, self.pre, self.post, self.dev, self.local.as_deref().map(local_key)).hash(state);
    }
}

impl Ord for Pep440 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_key().cmp(&other.cmp_key())
    }
}

impl PartialOrd for Pep440 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Pep440 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}!", self.epoch)?;
        }
        let release: Vec<String> = self.release.iter().map(u64::to_string).collect();
        f.write_str(&release.join("."))?;
        if let Some((kind, n)) = self.pre {
            let tag = match kind {
                PreKind::Alpha => "a",
                PreKind::Beta => "b",
                PreKind::Rc => "rc",
            };
            write!(f, "{tag}{n}")?;
        }
        if let Some(n) = self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = self.dev {
            write!(f, ".dev{n}")?;
        }
        if let Some(l) = &self.local {
            write!(f, "+{l}")?;
        }
        Ok(())
    }
}

/// `007` → `7`, `0` and `00` → `0`; anything with a letter as it is.
fn without_leading_zeros(seg: &str) -> &str {
    if seg.bytes().all(|c| c.is_ascii_digit()) {
        let trimmed = seg.trim_start_matches('0');
        if trimmed.is_empty() {
            "0"
        } else {
            trimmed
        }
    } else {
        seg
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
    /// A run of digits did not fit a u64.
    too_large: bool,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn peek_at(&self, k: usize) -> Option<u8> {
        self.s.get(self.i + k).copied()
    }
    fn number(&mut self) -> Option<u64> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let n = std::str::from_utf8(&self.s[start..self.i]).ok()?.parse().ok();
        self.too_large |= n.is_none() && self.i > start;
        n
    }
    fn separator(&mut self) {
        if matches!(self.peek(), Some(b'.' | b'-' | b'_')) {
            self.i += 1;
        }
    }
    fn word<T: Copy>(&mut self, words: &[(&str, T)]) -> Option<T> {
        for (w, t) in words {
            if self.s[self.i..].starts_with(w.as_bytes()) {
                self.i += w.len();
                return Some(*t);
            }
        }
        None
    }

    /// `[N!]N(.N)*`: the version with only its epoch and release set.
    fn epoch_and_release(&mut self) -> Result<Pep440, &'static str> {
        let first = self.number().ok_or("it must start with a number")?;
        let mut v = Pep440::new(vec![first]);
        if self.peek() == Some(b'!') {
            self.i += 1;
            v.epoch = first;
            v.release = vec![self.number().ok_or("a number must follow the epoch")?];
        }
        while self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
            v.release.push(self.number().ok_or("bad release segment")?);
        }
        Ok(v)
    }

    /// `[sep](a|b|rc|alpha|beta|c|pre|preview)[sep][N]`; nothing read when absent.
    fn pre_release(&mut self) -> Option<(PreKind, u64)> {
        let save = self.i;
        self.separator();
        if let Some(kind) = self.word(&[
            ("alpha", PreKind::Alpha),
            ("a", PreKind::Alpha),
            ("beta", PreKind::Beta),
            ("b", PreKind::Beta),
            ("preview", PreKind::Rc),
            ("pre", PreKind::Rc),
            ("rc", PreKind::Rc),
            ("c", PreKind::Rc),
        ]) {
            self.separator();
            Some((kind, self.number().unwrap_or(0)))
        } else {
            self.i = save;
            None
        }
    }

    /// `-N` or `[sep](post|rev|r)[sep][N]`; nothing read when absent.
    fn post_release(&mut self) -> Option<u64> {
        let save = self.i;
        if self.peek() == Some(b'-') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
            return self.number();
        }
        self.separator();
        if self.word(&[("post", ()), ("rev", ()), ("r", ())]).is_some() {
            self.separator();
            Some(self.number().unwrap_or(0))
        } else {
            self.i = save;
            None
        }
    }

    /// `[sep]dev[sep][N]`; nothing read when absent.
    fn dev_release(&mut self) -> Option<u64> {
        let save = self.i;
        self.separator();
        if self.word(&[("dev", ())]).is_some() {
            self.separator();
            Some(self.number().unwrap_or(0))
        } else {
            self.i = save;
            None
        }
    }
}

/// The text after `+` in its normal form: `.` between segments, numeric ones
/// without leading zeros (`+01` is `+1`); `None` when it is not a local label.
fn local_label(rest: &str) -> Option<String> {
    let ok = !rest.is_empty()
        && rest.split(['.', '-', '_']).all(|seg| !seg.is_empty() && seg.bytes().all(|c| c.is_ascii_alphanumeric()));
    if !ok {
        return None;
    }
    let segments: Vec<&str> = rest.split(['.', '-', '_']).map(without_leading_zeros).collect();
    Some(segments.join("."))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
    Compatible,
    Arbitrary,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Specifier {
    pub op: Op,
    pub version: Pep440,
    /// `==1.2.*`
    pub wildcard: bool,
    raw_version: String,
}

/// A comma-separated specifier set, e.g. `>=1.0,<2`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Specifiers(pub Vec<Specifier>);

impl Specifiers {
    pub fn parse(input: &str) -> Result<Specifiers, String> {
        let input = input.trim();
        if input.is_empty() {
            return Ok(Specifiers(vec![]));
        }
        input.split(',').map(|part| Specifier::parse(part.trim())).collect::<Result<_, _>>().map(Specifiers)
    }

    pub fn contains(&self, v: &Pep440) -> bool {
        self.0.iter().all(|s| s.contains(v))
    }
}

impl Specifier {
    pub fn parse(s: &str) -> Result<Specifier, String> {
        let ops = [
            ("===", Op::Arbitrary),
            ("~=", Op::Compatible),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        let (op, rest) = ops
            .iter()
            .find_map(|(t, op)| s.strip_prefix(t).map(|r| (*op, r.trim())))
            .ok_or_else(|| format!("`{s}` is not a version specifier (expected ==, >=, ~= ...)"))?;
        let (text, wildcard) = match rest.strip_suffix(".*") {
            Some(t) if matches!(op, Op::Eq | Op::Ne) => (t, true),
            _ => (rest, false),
        };
        let version = if op == Op::Arbitrary {
            Pep440::parse(text).unwrap_or_else(|_| Pep440::new(vec![]))
        } else {
            Pep440::parse(text).map_err(|e| format!("in specifier `{s}`: {e}"))?
        };
        if op == Op::Compatible && version.release.len() < 2 {
            return Err(format!("`{s}`: ~= needs at least two release segments"));
        }
        Ok(Specifier { op, version, wildcard, raw_version: text.to_string() })
    }

    pub fn contains(&self, v: &Pep440) -> bool {
        let spec = &self.version;
        // local labels of the candidate are ignored unless the specifier has one
        let cand = if spec.local.is_none() { Pep440 { local: None, ..v.clone() } } else { v.clone() };
        match self.op {
            Op::Arbitrary => v.to_string() == self.raw_version,
            Op::Eq if self.wildcard => prefix_match(spec, &cand),
            Op::Ne if self.wildcard => !prefix_match(spec, &cand),
            Op::Eq => cand == *spec,
            Op::Ne => cand != *spec,
            Op::Le => cand <= *spec,
            Op::Ge => cand >= *spec,
            Op::Lt => cand < *spec && !(!spec.is_prerelease() && cand.is_prerelease() && cand.base() == spec.base()),
            Op::Gt => cand > *spec && !(spec.post.is_none() && cand.post.is_some() && cand.base() == spec.base()),
            Op::Compatible => {
                let mut prefix = spec.base();
                prefix.release.pop();
                cand >= *spec && prefix_match(&prefix, &cand)
            }
        }
    }
}

fn prefix_match(prefix: &Pep440, v: &Pep440) -> bool {
    if prefix.epoch != v.epoch {
        return false;
    }
    // `==1.2.*` also demands the same pre/post/dev parts where the prefix has them
    let mut release = v.release.clone();
    while release.len() < prefix.release.len() {
        release.push(0);
    }
    release[..prefix.release.len()] == prefix.release[..] && (prefix.pre.is_none() || prefix.pre == v.pre)
}

impl fmt::Display for Specifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Le => "<=",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Gt => ">",
            Op::Compatible => "~=",
            Op::Arbitrary => "===",
        };
        write!(f, "{op}{}{}", self.raw_version, if self.wildcard { ".*" } else { "" })
    }
}

#[cfg(test)]
mod tests;
