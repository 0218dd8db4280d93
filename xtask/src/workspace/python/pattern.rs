//! hatch's `[tool.hatch.version] pattern`: the subset of a Python regular
//! expression it needs, parsed into tokens and matched with backtracking
//! (no regex engine).

/// The subset of a Python regular expression hatch's `pattern` needs: literal
/// text, `^`, `(?i)`, whitespace runs, quote classes and back-references to
/// them, and the `version` group followed by what ends it.
#[derive(Debug, Clone)]
pub struct VersionPattern {
    tokens: Vec<Tok>,
    anchored: bool,
    ignore_case: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(char),
    /// whitespace (`\s`) or spaces only (` `), at least `min` of them
    Space {
        min: usize,
        any_ws: bool,
    },
    /// `[\'"]`: one of these characters; `(...)` around it makes it group `n`
    Class(Vec<char>, Option<usize>),
    /// `\N`: what group N matched
    Backref(usize),
    /// `v?`-like optional literal
    Opt(char),
    /// `(__version__|VERSION)`: one of these words
    Alt(Vec<String>),
    /// `(?::\s*str)?`-like optional literal run
    OptRun(Vec<Tok>),
    Version,
}

impl VersionPattern {
    /// hatch's default: `__version__` or `VERSION` (any case, optionally
    /// annotated `: str`) set to a quoted string, the version optionally after a `v`.
    pub fn hatch_default() -> VersionPattern {
        VersionPattern::parse(r#"(?i)^(__version__|VERSION)(?:\s*:\s*str)? *= *(['"])v?(?P<version>.+?)\2"#)
            .expect("the default pattern is in the subset")
    }

    pub fn parse(p: &str) -> Result<VersionPattern, String> {
        let (ignore_case, p) = match p.strip_prefix("(?i)") {
            Some(rest) => (true, rest),
            None => (false, p),
        };
        let (anchored, p) = match p.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, p),
        };
        let mut groups = 0;
        let tokens = parse_tokens(p, &mut groups)?;
        if tokens.iter().filter(|t| **t == Tok::Version).count() != 1 {
            return Err("it needs exactly one `(?P<version>...)` group".into());
        }
        Ok(VersionPattern { tokens, anchored, ignore_case })
    }

    /// The byte range of the version in the first line that matches.
    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches(['\n', '\r']);
            let starts: Vec<usize> =
                if self.anchored { vec![0] } else { body.char_indices().map(|(i, _)| i).chain([body.len()]).collect() };
            for s in starts {
                let mut m = Caps { groups: vec![None; 10], version: None };
                if self.run(&self.tokens, body, s, &mut m).is_some() {
                    if let Some((a, b)) = m.version {
                        return Some((offset + a, offset + b));
                    }
                }
            }
            offset += line.len();
        }
        None
    }

    fn eq(&self, a: char, b: char) -> bool {
        if self.ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    }

    /// Matches `toks` at `pos`; returns the end. Backtracks over whitespace
    /// runs, optional parts and the (lazy) version group.
    fn run(&self, toks: &[Tok], s: &str, pos: usize, m: &mut Caps) -> Option<usize> {
        let Some((first, rest)) = toks.split_first() else { return Some(pos) };
        let next = s[pos..].chars().next();
        match first {
            Tok::Lit(c) => (next.is_some_and(|n| self.eq(n, *c))).then(|| self.run(rest, s, pos + c.len_utf8(), m))?,
            Tok::Opt(c) => {
                if next.is_some_and(|n| self.eq(n, *c)) {
                    if let Some(end) = self.run(rest, s, pos + c.len_utf8(), m) {
                        return Some(end);
                    }
                }
                self.run(rest, s, pos, m)
            }
            Tok::Space { min, any_ws } => self.run_space(*min, *any_ws, rest, s, pos, m),
            Tok::Class(chars, group) => {
                let c = next.filter(|n| chars.contains(n))?;
                if let Some(g) = group {
                    m.groups[*g] = Some(c);
                }
                self.run(rest, s, pos + c.len_utf8(), m)
            }
            Tok::Backref(g) => {
                let c = m.groups.get(*g).copied().flatten()?;
                (next == Some(c)).then(|| self.run(rest, s, pos + c.len_utf8(), m))?
            }
            Tok::Alt(words) => self.run_alt(words, rest, s, pos, m),
            Tok::OptRun(inner) => {
                let mut all: Vec<Tok> = inner.clone();
                all.extend(rest.iter().cloned());
                self.run(&all, s, pos, m).or_else(|| self.run(rest, s, pos, m))
            }
            Tok::Version => self.run_version(rest, s, pos, m),
        }
    }

    /// A whitespace run of at least `min`, then `rest`: the longest run first.
    fn run_space(&self, min: usize, any_ws: bool, rest: &[Tok], s: &str, pos: usize, m: &mut Caps) -> Option<usize> {
        let run: Vec<usize> = s[pos..]
            .char_indices()
            .take_while(|(_, c)| if any_ws { c.is_whitespace() } else { *c == ' ' })
            .map(|(i, c)| pos + i + c.len_utf8())
            .collect();
        let ends: Vec<usize> = std::iter::once(pos).chain(run).collect();
        for (n, &end) in ends.iter().enumerate().rev() {
            if n < min {
                break;
            }
            if let Some(e) = self.run(rest, s, end, m) {
                return Some(e);
            }
        }
        None
    }

    /// One of `words`, then `rest`.
    fn run_alt(&self, words: &[String], rest: &[Tok], s: &str, pos: usize, m: &mut Caps) -> Option<usize> {
        for w in words {
            let end = pos + w.len();
            if s.get(pos..end).is_some_and(|t| if self.ignore_case { t.eq_ignore_ascii_case(w) } else { t == w }) {
                if let Some(e) = self.run(rest, s, end, m) {
                    return Some(e);
                }
            }
        }
        None
    }

    /// The version group, lazy: the shortest non-empty version after which `rest` matches.
    fn run_version(&self, rest: &[Tok], s: &str, pos: usize, m: &mut Caps) -> Option<usize> {
        for (i, c) in s[pos..].char_indices() {
            let end = pos + i + c.len_utf8();
            if let Some(e) = self.run(rest, s, end, m) {
                m.version = Some((pos, end));
                return Some(e);
            }
        }
        None
    }
}

/// What a match captured so far: each group's character (a quote class's),
/// and the version's byte range.
struct Caps {
    groups: Vec<Option<char>>,
    version: Option<(usize, usize)>,
}

fn unsupported<T>(what: &str) -> Result<T, String> {
    Err(format!("{what} is outside the subset the tool reads without a regex engine"))
}

fn parse_tokens(p: &str, groups: &mut usize) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // a quantifier on the token before it
        let quant = chars.get(i + 1).copied();
        i = match c {
            '\\' => escape(&chars, i, &mut out)?,
            '[' => class(&chars, i, &mut out)?,
            '(' => group(&chars, i, groups, &mut out)?,
            '.' | '*' | '+' | '?' | '|' | '$' | '{' | ')' | ']' => {
                return unsupported(&format!("`{c}` here"));
            }
            ' ' if matches!(quant, Some('*') | Some('+')) => {
                out.push(Tok::Space { min: usize::from(quant == Some('+')), any_ws: false });
                i + 2
            }
            _ if quant == Some('?') => {
                out.push(Tok::Opt(c));
                i + 2
            }
            _ => {
                out.push(Tok::Lit(c));
                i + 1
            }
        };
    }
    Ok(out)
}

/// The escape at `i` (`\s`, `\s*`, `\s+`, a back-reference `\N`, an escaped
/// literal); returns the index after it.
fn escape(chars: &[char], i: usize, out: &mut Vec<Tok>) -> Result<usize, String> {
    let e = *chars.get(i + 1).ok_or("it ends with a lone `\\`")?;
    let i = i + 2;
    if e == 's' {
        return Ok(match chars.get(i) {
            Some('*') => {
                out.push(Tok::Space { min: 0, any_ws: true });
                i + 1
            }
            Some('+') => {
                out.push(Tok::Space { min: 1, any_ws: true });
                i + 1
            }
            _ => {
                // exactly one: approximated by "at least one"
                out.push(Tok::Space { min: 1, any_ws: true });
                i
            }
        });
    }
    if let Some(d) = e.to_digit(10) {
        out.push(Tok::Backref(d as usize));
        return Ok(i);
    }
    if e.is_ascii_alphanumeric() {
        return unsupported(&format!("`\\{e}`"));
    }
    out.push(Tok::Lit(e));
    Ok(i)
}

/// The character class at `i` (a set of quotes); returns the index after it.
fn class(chars: &[char], i: usize, out: &mut Vec<Tok>) -> Result<usize, String> {
    let end = (i + 1..chars.len()).find(|&k| chars[k] == ']' && chars[k - 1] != '\\').ok_or("a `[` is not closed")?;
    let set: Vec<char> = chars[i + 1..end].iter().copied().filter(|c| *c != '\\').collect();
    if set.is_empty() || set.iter().any(|c| matches!(c, '^' | '-')) {
        return unsupported("a character class other than a set of quotes");
    }
    out.push(Tok::Class(set, None));
    Ok(end + 1)
}

/// The group at `i`: the version group, a non-capturing group (optional or
/// not), an alternation of words, or a numbered group (around a class, it
/// becomes group `groups`); returns the index after it.
fn group(chars: &[char], i: usize, groups: &mut usize, out: &mut Vec<Tok>) -> Result<usize, String> {
    let close = matching_paren(chars, i).ok_or("a `(` is not closed")?;
    let inner: String = chars[i + 1..close].iter().collect();
    let after = chars.get(close + 1).copied();
    let next = close + 1;
    if let Some(body) = inner.strip_prefix("?P<version>") {
        if body.contains(['(', ')']) {
            return unsupported("a group inside the version group");
        }
        out.push(Tok::Version);
        return Ok(next);
    }
    if let Some(body) = inner.strip_prefix("?:") {
        let toks = parse_tokens(body, &mut 0)?;
        if after == Some('?') {
            out.push(Tok::OptRun(toks));
            return Ok(next + 1);
        }
        out.extend(toks);
        return Ok(next);
    }
    if inner.starts_with('?') {
        return unsupported(&format!("the group `({inner})`"));
    }
    *groups += 1;
    if inner.contains('|') {
        let words: Vec<String> = inner.split('|').map(|w| w.replace('\\', "")).collect();
        if words.iter().any(|w| w.is_empty() || w.contains(['[', '(', '*', '+', '?', '.'])) {
            return unsupported("an alternation of anything but plain words");
        }
        out.push(Tok::Alt(words));
        return Ok(next);
    }
    let toks = parse_tokens(&inner, &mut 0)?;
    match toks.as_slice() {
        [Tok::Class(set, None)] => out.push(Tok::Class(set.clone(), Some(*groups))),
        _ => out.extend(toks),
    }
    Ok(next)
}

fn matching_paren(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = open;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}
