//! Commit messages in the convention a repository follows (`[commits]
//! convention`): Conventional Commits 1.0 (`type(scope)!: description`, a body,
//! and footers; a `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer marks a
//! breaking change and describes it), or `area: subject` (tokio's: `macros:
//! upgrade syn to v3`), where the prefix says where, not how much, so the bump
//! is given by hand. Pure code: takes the message text, returns what it means.

/// How a repository's commit messages say what changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Convention {
    /// Conventional Commits: the type says the bump (`fix` patch, `feat` minor, `!` major).
    #[default]
    Conventional,
    /// `area: subject`: the changelog keeps the subject whole; `--bump` says the bump.
    Area,
}

impl Convention {
    pub const NAMES: &'static [&'static str] = &["conventional", "area"];

    pub fn from_name(name: &str) -> Option<Convention> {
        match name {
            "conventional" => Some(Convention::Conventional),
            "area" => Some(Convention::Area),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Convention::Conventional => "conventional",
            Convention::Area => "area",
        }
    }
}

/// The kind of every commit of the `area` convention: its prefix is no type.
pub const AREA_KIND: &str = "change";

/// An area is a short prefix (`rt`, `io,net`, `time (alt timer)`, `tokio-util`),
/// not a sentence that happens to hold a colon.
const MAX_AREA: usize = 40;

/// What a commit does to a package, ordered by how far it moves the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// Not a conventional commit, or a type that releases nothing (chore, docs ...).
    Other,
    /// `fix` and `perf`.
    Fix,
    /// `feat`.
    Feature,
    /// `!` after the type/scope, or a breaking-change footer.
    Breaking,
}

impl Change {
    #[cfg(test)]
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Other => "other",
            Change::Fix => "fix",
            Change::Feature => "feat",
            Change::Breaking => "breaking",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventional {
    /// Lower-cased type (`feat`, `fix` ...): the spec says types are case-insensitive.
    pub kind: String,
    pub scope: Option<String>,
    pub breaking: bool,
    pub description: String,
    /// The description of the break: the text of the `BREAKING CHANGE:`
    /// footer(s), lines joined by spaces (several footers by `; `).
    pub breaking_note: Option<String>,
}

impl Conventional {
    pub fn change(&self) -> Change {
        if self.breaking {
            return Change::Breaking;
        }
        match self.kind.as_str() {
            "feat" => Change::Feature,
            "fix" | "perf" => Change::Fix,
            _ => Change::Other,
        }
    }
}

/// Parses a whole commit message (subject, body and footers). `None` when the
/// subject is not a conventional header.
pub fn parse(message: &str) -> Option<Conventional> {
    let message = message.trim_start_matches(['\n', '\r', ' ']);
    let (subject, body) = message.split_once('\n').unwrap_or((message, ""));
    let (head, description) = subject.split_once(':')?;
    let description = description.strip_prefix(' ')?.trim();
    if description.is_empty() {
        return None;
    }
    let (head, bang) = match head.strip_suffix('!') {
        Some(h) => (h, true),
        None => (head, false),
    };
    let (kind, scope) = match head.split_once('(') {
        Some((kind, rest)) => {
            let scope = rest.strip_suffix(')')?;
            if scope.is_empty() || scope.contains(['(', ')']) {
                return None;
            }
            (kind, Some(scope.to_string()))
        }
        None => (head, None),
    };
    if kind.is_empty() || !kind.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_') {
        return None;
    }
    let breaking_note = breaking_note(body);
    let breaking = bang || breaking_note.is_some() || body.lines().any(|l| breaking_footer(l).is_some());
    Some(Conventional {
        kind: kind.to_ascii_lowercase(),
        scope,
        breaking,
        description: description.to_string(),
        breaking_note,
    })
}

/// Parses a message in `convention`.
pub fn parse_as(convention: Convention, message: &str) -> Option<Conventional> {
    match convention {
        Convention::Conventional => parse(message),
        Convention::Area => parse_area(message),
    }
}

/// Parses an `area: subject` message: the kind is `AREA_KIND`, the scope the
/// area (`None` when the subject has none), the description the whole subject,
/// area included; a breaking footer counts as in Conventional Commits. `None`
/// for an empty subject.
pub fn parse_area(message: &str) -> Option<Conventional> {
    let message = message.trim_start_matches(['\n', '\r', ' ']);
    let (subject, body) = message.split_once('\n').unwrap_or((message, ""));
    let subject = subject.trim();
    if subject.is_empty() {
        return None;
    }
    let area = subject.split_once(": ").map(|(a, _)| a).filter(|a| {
        a.len() <= MAX_AREA
            && a.starts_with(|c: char| c.is_alphanumeric())
            && a.chars().all(|c| c.is_alphanumeric() || " -_,./()+*&".contains(c))
    });
    let breaking_note = breaking_note(body);
    Some(Conventional {
        kind: AREA_KIND.to_string(),
        scope: area.map(str::to_string),
        breaking: breaking_note.is_some() || body.lines().any(|l| breaking_footer(l).is_some()),
        description: subject.to_string(),
        breaking_note,
    })
}

/// The spec's footer token `BREAKING CHANGE` (or `BREAKING-CHANGE`), followed by
/// `: ` or ` #`; it must be upper case. The value's first line (`#` kept after ` #`).
fn breaking_footer(line: &str) -> Option<&str> {
    let line = line.trim_end_matches('\r');
    ["BREAKING CHANGE", "BREAKING-CHANGE"].iter().find_map(|token| {
        let rest = line.strip_prefix(token)?;
        match rest.strip_prefix(':') {
            Some(value) if value.is_empty() || value.starts_with(' ') => Some(value.trim()),
            Some(_) => None,
            None => rest.starts_with(" #").then(|| rest.trim()),
        }
    })
}

/// Whether a line starts a footer: `Token: value` or `Token #value`, the
/// token a word (`Refs`, `Signed-off-by`) or `BREAKING CHANGE`.
fn is_footer(line: &str) -> bool {
    if breaking_footer(line).is_some() {
        return true;
    }
    let token_len = line.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'-').count();
    token_len > 0 && (line[token_len..].starts_with(": ") || line[token_len..].starts_with(" #"))
}

/// The description of the break: each `BREAKING CHANGE:` footer's value, which
/// runs until the next footer (Conventional Commits 1.0, 16), lines joined.
fn breaking_note(body: &str) -> Option<String> {
    let mut notes: Vec<String> = vec![];
    let mut current: Option<Vec<&str>> = None;
    for line in body.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(value) = breaking_footer(line) {
            notes.extend(current.take().map(|parts| parts.join(" ")));
            current = Some(vec![value].into_iter().filter(|v| !v.is_empty()).collect());
        } else if is_footer(line) {
            notes.extend(current.take().map(|parts| parts.join(" ")));
        } else if let Some(parts) = current.as_mut() {
            parts.extend(Some(line.trim()).filter(|l| !l.is_empty()));
        }
    }
    notes.extend(current.map(|parts| parts.join(" ")));
    notes.retain(|n| !n.is_empty());
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// The `#123` references in a description (`(#123)` from a squash merge, `fixes #4`):
/// each with its byte range (the `#` and the digits). A `#` inside a word or
/// followed by a letter (`C#`, `#tag`) is not a reference.
pub fn references(text: &str) -> Vec<(std::ops::Range<usize>, u64)> {
    let bytes = text.as_bytes();
    let mut out = vec![];
    for (at, _) in text.match_indices('#') {
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || matches!(bytes[at - 1], b'&' | b'/' | b'#')) {
            continue;
        }
        let digits = bytes[at + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        let end = at + 1 + digits;
        if digits == 0 || digits > 12 || bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
            continue;
        }
        if let Ok(n) = text[at + 1..end].parse() {
            out.push((at..end, n));
        }
    }
    out
}

/// The change a message makes: `Other` when it is not conventional.
#[cfg(test)]
pub fn classify(message: &str) -> Change {
    parse(message).map_or(Change::Other, |c| c.change())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let c = parse("feat(parser): add arrays").unwrap();
        assert_eq!((c.kind.as_str(), c.scope.as_deref(), c.breaking), ("feat", Some("parser"), false));
        assert_eq!(c.description, "add arrays");
        assert!(parse("fix!: drop old API").unwrap().breaking);
        assert!(parse("refactor(core)!: rename").unwrap().breaking);
        assert_eq!(parse("FEAT: shout").unwrap().kind, "feat");
        for not in [
            "Merge branch 'x'",
            "feat add x",
            "feat:no space",
            "feat(): empty scope",
            "feat(a)(b): x",
            ": nothing",
            "fe at: x",
            "feat: ",
            "",
        ] {
            assert_eq!(parse(not), None, "{not:?}");
        }
    }

    #[test]
    fn footers() {
        assert_eq!(classify("fix: a\n\nBREAKING CHANGE: the API moved"), Change::Breaking);
        assert_eq!(classify("chore: a\n\nbody\n\nBREAKING-CHANGE: x\nRefs: #1"), Change::Breaking);
        assert_eq!(classify("fix: a\r\n\r\nBREAKING CHANGE: crlf\r\n"), Change::Breaking);
        // not a footer: lower case, or in the middle of a sentence
        assert_eq!(classify("fix: a\n\nbreaking change: no"), Change::Fix);
        assert_eq!(classify("fix: a\n\nthis is a BREAKING CHANGE: maybe"), Change::Fix);
        // the subject line is not a footer
        assert_eq!(classify("BREAKING CHANGE: x"), Change::Other);
    }

    #[test]
    fn breaking_footers_describe_the_break() {
        let note = |m: &str| parse(m).unwrap().breaking_note;
        assert_eq!(
            note("feat: x\n\nBREAKING CHANGE: input must now be non-empty").as_deref(),
            Some("input must now be non-empty")
        );
        // a value runs until the next footer, over lines and blank lines
        assert_eq!(
            note("fix: x\n\nbody\n\nBREAKING-CHANGE: the file moved\r\nto `~/.x`\r\n\r\nand is TOML\r\nRefs: #1\r\n")
                .as_deref(),
            Some("the file moved to `~/.x` and is TOML")
        );
        assert_eq!(
            note("feat!: x\n\nBREAKING CHANGE: one\nSigned-off-by: A <a@b>\nBREAKING CHANGE #12").as_deref(),
            Some("one; #12")
        );
        assert_eq!(note("feat!: x\n\nBREAKING CHANGE:"), None, "a breaking change without words");
        assert!(parse("feat: x\n\nBREAKING CHANGE:").unwrap().breaking);
        assert_eq!(note("feat!: x\n\nbreaking change: lower case is no footer"), None);
        assert_eq!(note("feat: x\n\nBREAKING CHANGES: not the token"), None);
    }

    #[test]
    fn area_subjects() {
        let c = parse_area("macros: upgrade syn to v3 (#7001)\n\nbody").unwrap();
        assert_eq!((c.kind.as_str(), c.scope.as_deref()), (AREA_KIND, Some("macros")));
        assert_eq!(c.description, "macros: upgrade syn to v3 (#7001)", "the area stays in the text");
        assert!(!c.breaking);
        assert_eq!(c.change(), Change::Other, "an area says nothing about the bump");
        for (subject, area) in [
            ("time (alt timer): ensure timers stay in the same runtime", Some("time (alt timer)")),
            ("io,net: add `try_io`", Some("io,net")),
            ("tokio-util: prepare 0.7.19", Some("tokio-util")),
            ("Revert \"Pin stable to 1.94 for tokio-1.51.x\" (#8106)", None),
            ("Fix the build: again", Some("Fix the build")),
            ("`a: b` is a quote: not an area", None),
            ("feat(api)!: a conventional subject", None),
        ] {
            assert_eq!(parse_area(subject).unwrap().scope.as_deref(), area, "{subject}");
        }
        let b =
            parse_area("sync: remove `Semaphore::forget`\n\nBREAKING CHANGE: use `SemaphorePermit::forget`").unwrap();
        assert!(b.breaking);
        assert_eq!(b.breaking_note.as_deref(), Some("use `SemaphorePermit::forget`"));
        assert_eq!(parse_area("\n\n"), None);
        assert_eq!(parse_as(Convention::Conventional, "macros: upgrade syn").unwrap().kind, "macros");
        assert_eq!(parse_as(Convention::Area, "macros: upgrade syn").unwrap().kind, AREA_KIND);
        assert_eq!(Convention::from_name("area"), Some(Convention::Area));
        assert_eq!(Convention::from_name("angular"), None);
    }

    #[test]
    fn references_in_descriptions() {
        let refs = |t: &str| references(t).into_iter().map(|(_, n)| n).collect::<Vec<_>>();
        assert_eq!(refs("add arrays (#12)"), [12]);
        assert_eq!(refs("fix #3, #4 and (#5)"), [3, 4, 5]);
        for none in ["C# support", "a#1", "#tag", "#12a", "&#38;", "#", "issue #"] {
            assert!(refs(none).is_empty(), "{none:?}");
        }
        assert_eq!(references("x (#7)")[0].0, 3..5);
    }

    #[test]
    fn changes() {
        assert_eq!(classify("feat: x"), Change::Feature);
        assert_eq!(classify("perf(io): x"), Change::Fix);
        assert_eq!(classify("docs: x"), Change::Other);
        assert_eq!(classify("not conventional"), Change::Other);
        assert_eq!(classify("feat: \u{1e}\u{1f}\u{0} weird bytes \u{fffd}"), Change::Feature);
    }
}
