//! Manifest editing: bump the version of a generated Cargo.toml / pyproject.toml
//! and read it back.
//!
//! The manifest is built from fuzz data: comments, extra keys before and after
//! the version, spacing, CRLF or LF, quote style, and four layouts (`[package]`
//! table, dotted keys, inline table, `[workspace.package]`). The new version
//! is a bump of the old one when that parses, else one made from fuzzed parts.
//! Checks: the output is the input with the old quoted value replaced by
//! `"new"` and not one other byte changed, and it parses back (toml_edit, then
//! `Version::parse`) to the new version.
//!
//! B8 (found here, fixed): the edit rewrote every CRLF line ending to LF.
//! `XTASK_FUZZ_SKIP_KNOWN=1` would tolerate it again (for the next known bug).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use toml_edit::{DocumentMut, Value};
use xtask::edits::manifest::{set_package_version, set_workspace_version};
use xtask::version::pep440::PreKind;
use xtask::version::{Ecosystem, Level, Version};

#[derive(Arbitrary, Debug)]
struct Input {
    python: bool,
    layout: u8,
    crlf: bool,
    old: String,
    single_quotes: bool,
    bump: u8,
    parts: (u64, u64, u64),
    top_comment: String,
    spaces: (u8, u8),
    trailing_comment: Option<String>,
    before: Vec<(String, String)>,
    after: Vec<(String, String)>,
}

fn strict() -> bool {
    // B1-B10 are fixed (fuzz/README.md): every check runs; kept as a switch for the next bug found
    std::env::var_os("XTASK_FUZZ_SKIP_KNOWN").is_none()
}

/// A comment's text: no line breaks or control characters.
fn comment(s: &str) -> String {
    s.chars().map(|c| if c.is_control() && c != '\t' { ' ' } else { c }).collect()
}

/// `x-key = "value"` entries: keys made bare-safe and distinct from name/version.
fn keys(entries: &[(String, String)], tag: &str) -> Vec<String> {
    entries
        .iter()
        .map(|(k, v)| {
            let k: String = k.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
            format!("x{tag}-{k} = {}", Value::from(v.as_str()))
        })
        .collect()
}

fn new_version(input: &Input, eco: Ecosystem) -> Version {
    const LEVELS: [Level; 4] = [Level::None, Level::Patch, Level::Minor, Level::Major];
    const KINDS: [PreKind; 3] = [PreKind::Alpha, PreKind::Beta, PreKind::Rc];
    let level = LEVELS[usize::from(input.bump) % 4];
    // (a number equal to u64::MAX makes bumps overflow: bug B1 of the `versions` target)
    let huge = |v: &Version| {
        let (a, b, c) = v.triple();
        [a, b, c].into_iter().chain(v.pre().map(|(_, n)| n)).any(|n| n == u64::MAX)
    };
    match Version::parse(eco, &input.old).ok().filter(|v| !huge(v)) {
        Some(old) if input.bump & 0x10 != 0 => {
            old.bump_pre(level, KINDS[usize::from(input.bump >> 5) % 3]).unwrap_or_else(|_| old.bump(level))
        }
        Some(old) => old.bump(level),
        None => {
            let (a, b, c) = input.parts;
            let pre =
                (input.bump & 0x10 != 0).then(|| (KINDS[usize::from(input.bump >> 5) % 3], u64::from(input.bump)));
            Version::from_parts(eco, (a, b, c), pre)
        }
    }
}

fuzz_target!(|input: Input| {
    let eco = if input.python { Ecosystem::Python } else { Ecosystem::Cargo };
    let table = if input.python { "project" } else { "package" };
    let workspace = !input.python && input.layout % 4 == 3;
    let nl = if input.crlf { "\r\n" } else { "\n" };
    let sp = |n: u8| [" ", "", "  ", "\t"][usize::from(n) % 4];
    let eq = format!("{}={}", sp(input.spaces.0), sp(input.spaces.1));

    // The old value as written: literal ('...') when asked and possible, else
    // the basic string toml_edit would write.
    let old_literal = if input.single_quotes && !input.old.contains(|c: char| c == '\'' || c.is_control()) {
        format!("'{}'", input.old)
    } else {
        Value::from(input.old.as_str()).to_string()
    };
    let before = keys(&input.before, "b");
    let after = keys(&input.after, "a");

    // head + old_literal + tail is the manifest.
    let mut head = format!("# {}{nl}", comment(&input.top_comment));
    let mut tail = input.trailing_comment.as_deref().map(|c| format!(" # {}", comment(c))).unwrap_or_default();
    match input.layout % 4 {
        1 => {
            // dotted keys at the top level
            head += &format!("{table}.name = \"x\"{nl}");
            for k in &before {
                head += &format!("{table}.{k}{nl}");
            }
            head += &format!("{table}.version{eq}");
            tail += nl;
            for k in &after {
                tail += &format!("{table}.{k}{nl}");
            }
        }
        2 => {
            // an inline table (no comments or line breaks inside)
            head += &format!("{table} = {{ name = \"x\", ");
            for k in &before {
                head += &format!("{k}, ");
            }
            head += &format!("version{eq}");
            for k in &after {
                tail.insert_str(0, &format!(", {k}"));
            }
            tail.insert_str(0, " }");
            tail += nl;
        }
        _ => {
            if workspace {
                head += &format!("[workspace]{nl}members = []{nl}{nl}[workspace.package]{nl}");
            } else {
                head += &format!("[{table}]{nl}name = \"x\"{nl}");
            }
            for k in &before {
                head += &format!("{k}{nl}");
            }
            head += &format!("version{eq}");
            tail += nl;
            for k in &after {
                tail += &format!("{k}{nl}");
            }
            tail += &format!("{nl}[dependencies]{nl}serde = \"1\" # keep{nl}");
        }
    }
    let text = format!("{head}{old_literal}{tail}");
    if text.parse::<DocumentMut>().is_err() {
        return; // e.g. two generated keys collide
    }

    let new = new_version(&input, eco);
    let new_s = new.to_string();
    let out = if workspace {
        set_workspace_version(&text, "Cargo.toml", &new_s)
    } else {
        set_package_version(&text, "manifest", eco, &new_s)
    }
    .unwrap_or_else(|e| panic!("edit failed: {e}\n{text}"));

    // Only the version literal changed.
    let mut expected = format!("{head}\"{new_s}\"{tail}");
    if input.crlf && !strict() {
        expected = expected.replace("\r\n", "\n"); // B8
    }
    assert_eq!(out, expected, "input:\n{text}");

    // And it reads back as the new version.
    let doc: DocumentMut = out.parse().expect("edited manifest parses");
    let item = if workspace { &doc["workspace"]["package"]["version"] } else { &doc[table]["version"] };
    let read = item.as_str().expect("version is a string");
    assert_eq!(read, new_s);
    assert_eq!(Version::parse(eco, read).as_ref(), Ok(&new));
});
