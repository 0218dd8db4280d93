//! Readers of one value of the file: a string, a list, a relative path, tag
//! templates; each fails with what the key must be.

use toml_edit::Item;

use super::{RateLimitConfig, FILE_NAME};
use crate::error::{fail, Code};
use crate::rate::Limit;

pub(super) fn wrong_type(key: &str, expected: &str) -> anyhow::Error {
    fail(Code::ConfigValue, format!("`{key}` must be {expected}"), format!("fix `{key}` in {FILE_NAME}"))
}

pub(super) fn string(item: &Item, key: &str) -> anyhow::Result<String> {
    item.as_str().map(str::to_string).ok_or_else(|| wrong_type(key, "a string"))
}

/// A relative file path that stays inside its folder.
pub(super) fn relative_file(item: &Item, key: &str) -> anyhow::Result<String> {
    let p = string(item, key)?;
    let bad = p.is_empty()
        || p.starts_with('/')
        || p.contains('\\')
        || p.ends_with('/')
        || p.split('/').any(|part| part == ".." || part.is_empty());
    if bad {
        return Err(wrong_type(key, "a relative file path inside the repository, e.g. \"CHANGELOG.md\""));
    }
    Ok(p)
}

/// A tag template or a non-empty list of them (the first is the one written).
pub(super) fn templates(item: &Item, key: &str) -> anyhow::Result<Vec<String>> {
    if let Some(s) = item.as_str() {
        return Ok(vec![s.to_string()]);
    }
    let list = strings(item, key).map_err(|_| wrong_type(key, "a tag template or a list of them"))?;
    if list.is_empty() {
        return Err(wrong_type(key, "a tag template or a non-empty list of them (the first is written)"));
    }
    Ok(list)
}

pub(super) fn strings(item: &Item, key: &str) -> anyhow::Result<Vec<String>> {
    let arr = item.as_array().ok_or_else(|| wrong_type(key, "a list of strings"))?;
    arr.iter().map(|v| v.as_str().map(str::to_string).ok_or_else(|| wrong_type(key, "a list of strings"))).collect()
}

/// A `rate-limit` table: `new`, `update`, `yank`, each `{ burst = N,
/// every-seconds = S }` or `false` (not limited).
pub(super) fn rate_limit(item: &Item, key: &str) -> anyhow::Result<RateLimitConfig> {
    let table = item.as_table_like().ok_or_else(|| wrong_type(key, "a table of new, update, yank"))?;
    let mut out = RateLimitConfig::default();
    for (action, v) in table.iter() {
        let at = format!("{key}.{action}");
        let slot = match action {
            "new" => &mut out.new,
            "update" => &mut out.update,
            "yank" => &mut out.yank,
            _ => return Err(super::schema::unknown_key_in(action, &["new", "update", "yank"], &format!("{key}."))),
        };
        *slot = Some(limit(v, &at)?);
    }
    Ok(out)
}

/// `{ burst = 30, every-seconds = 60 }`, or `false`.
fn limit(item: &Item, key: &str) -> anyhow::Result<Option<Limit>> {
    const SHAPE: &str = "{ burst = N, every-seconds = S } (whole numbers of at least 1), or false";
    if item.as_bool() == Some(false) {
        return Ok(None);
    }
    let t = item.as_table_like().ok_or_else(|| wrong_type(key, SHAPE))?;
    let whole = |k: &str| t.get(k).and_then(Item::as_integer).filter(|n| *n >= 1);
    let (Some(burst), Some(every)) = (whole("burst"), whole("every-seconds")) else {
        return Err(wrong_type(key, SHAPE));
    };
    if let Some((k, _)) = t.iter().find(|(k, _)| !["burst", "every-seconds"].contains(k)) {
        return Err(super::schema::unknown_key_in(k, &["burst", "every-seconds"], &format!("{key}.")));
    }
    Ok(Some(Limit::new(u32::try_from(burst).unwrap_or(u32::MAX), every as u64)))
}
