//! Readers of one value of the file: a string, a list, a relative path, tag
//! templates; each fails with what the key must be.

use toml_edit::Item;

use super::FILE_NAME;
use crate::error::{fail, Code};

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
