//! The schema: the tables and keys the file may have, and the check that it
//! has no others (with a "did you mean").

use toml_edit::{DocumentMut, Item, Table};

use super::values::wrong_type;
use crate::error::{fail, Code};

/// The schema: table → keys. `ARRAYS` are arrays of tables.
const SCHEMA: &[(&str, &[&str])] = &[
    (
        "python",
        &[
            "root",
            "publish-url",
            "index-url",
            "platform-tags",
            "rate-limit",
            "trusted-publishing-url",
            "id-token-variable",
        ],
    ),
    ("cargo", &["root", "registry", "rate-limit", "trusted-publishing-url", "id-token-variable"]),
    ("tags", &["package", "umbrella", "python", "cargo", "separate"]),
    ("groups", &["name", "members", "tag"]),
    ("version-files", &["path", "package", "template", "pattern"]),
    ("release", &["allow-branches", "remote", "smoke-test", "pacing", "trusted-publishing", "pr-branch"]),
    ("smoke-tests", &["package", "import", "run"]),
    ("changelog", &["enabled", "path", "workspace", "sections", "hidden"]),
    ("forge", &["kind", "repository", "api-url"]),
    ("commits", &["convention"]),
    ("matrix", &["packages", "platforms"]),
];

/// The schema's arrays of tables.
const ARRAYS: &[&str] = &["groups", "version-files", "smoke-tests"];

pub(super) fn check_keys(doc: &DocumentMut) -> anyhow::Result<()> {
    let tables: Vec<&str> = SCHEMA.iter().map(|(t, _)| *t).collect();
    for (key, item) in doc.iter() {
        let Some((_, keys)) = SCHEMA.iter().find(|(t, _)| *t == key) else {
            return Err(unknown_key(key, &tables, ""));
        };
        let check_table = |t: &Table| -> anyhow::Result<()> {
            for (k, _) in t.iter() {
                if !keys.contains(&k) {
                    return Err(unknown_key(k, keys, &format!("{key}.")));
                }
            }
            Ok(())
        };
        match item {
            Item::Table(t) => check_table(t)?,
            Item::ArrayOfTables(a) if ARRAYS.contains(&key) => {
                for t in a.iter() {
                    check_table(t)?;
                }
            }
            Item::Value(v) if v.is_inline_table() => {
                let t = v.as_inline_table().expect("checked").clone().into_table();
                check_table(&t)?;
            }
            _ if ARRAYS.contains(&key) => return Err(wrong_type(key, &format!("[[{key}]] tables"))),
            _ => return Err(wrong_type(key, "a table")),
        }
    }
    Ok(())
}

/// An unknown key of a nested table (`cargo.rate-limit.nwe`).
pub(super) fn unknown_key_in(key: &str, known: &[&str], prefix: &str) -> anyhow::Error {
    unknown_key(key, known, prefix)
}

fn unknown_key(key: &str, known: &[&str], prefix: &str) -> anyhow::Error {
    let help = match did_you_mean(key, known) {
        Some(s) => format!("did you mean `{prefix}{s}`? Known keys: {}", known.join(", ")),
        None => format!("known keys here: {}", known.join(", ")),
    };
    fail(Code::ConfigUnknownKey, format!("unknown key `{prefix}{key}`"), help)
}

/// The closest known word within a small edit distance.
pub fn did_you_mean<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known.iter().map(|k| (edit_distance(word, k), *k)).filter(|(d, k)| *d <= (k.len() / 3).max(2)).min().map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
