//! The Cargo files init edits, formatting kept: `xtask` as a member of the
//! root workspace (or a workspace of its own), and the `xtask` alias in
//! `.cargo/config.toml`.

use std::path::Path;

use toml_edit::{DocumentMut, Item};

use super::change::{change, read_text, Change};
use super::{ALIAS, OWN_WORKSPACE};
use crate::error::{fail, Code};

/// `xtask` as a member of the root Cargo workspace, or a workspace of its own.
pub(super) fn register(target: &Path, notes: &mut Vec<String>) -> anyhow::Result<Option<Change>> {
    let mut c = change(target, "Cargo.toml", vec![], "", false)?;
    let Some(old) = read_text(&c) else {
        c.new = OWN_WORKSPACE.as_bytes().to_vec();
        c.what = "a workspace for the xtask".into();
        return Ok(Some(c));
    };
    let edited = add_member(&old).map_err(|e| {
        fail(
            Code::ManifestSyntax,
            format!("{}: {e}", target.join("Cargo.toml").display()),
            "fix the manifest; init changed nothing",
        )
    })?;
    match edited {
        Some(new) => {
            c.new = new.into_bytes();
            c.what = "xtask added to the workspace members".into();
            Ok(Some(c))
        }
        None => {
            notes.push("Cargo.toml: the workspace members already include xtask".into());
            Ok(None)
        }
    }
}

/// The root manifest with `xtask` among the workspace members, formatting
/// kept; `None` when a member entry already covers it. A single crate's
/// manifest gets a `[workspace]` (the crate stays its root and a member).
pub fn add_member(text: &str) -> Result<Option<String>, String> {
    let mut doc: DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| crate::config::one_line(&e.to_string()))?;
    let Some(ws) = doc.get_mut("workspace").and_then(Item::as_table_like_mut) else {
        let sep = if text.is_empty() || text.ends_with('\n') { "" } else { "\n" };
        return Ok(Some(format!("{text}{sep}\n[workspace]\nmembers = [\"xtask\"]\n")));
    };
    match ws.get_mut("members") {
        Some(item) => {
            let arr = item.as_array_mut().ok_or("`workspace.members` is not a list")?;
            let covered = arr
                .iter()
                .filter_map(|v| v.as_str())
                .any(|m| m.trim_end_matches('/') == "xtask" || glob::Pattern::new(m).is_ok_and(|p| p.matches("xtask")));
            if covered {
                return Ok(None);
            }
            let last = arr.iter().last().and_then(|v| v.decor().prefix()).and_then(|p| p.as_str()).map(str::to_string);
            let trailing = arr.trailing().as_str().unwrap_or("").to_string();
            let prefix = match last {
                // one member a line: what follows the last one's comma (a comment) stays with it
                Some(p) if p.contains('\n') && trailing.contains('\n') => {
                    let cut = trailing.rfind('\n').expect("checked");
                    arr.set_trailing(&trailing[cut..]);
                    format!("{}{}", &trailing[..=cut], p.rsplit('\n').next().unwrap_or(""))
                }
                Some(p) if !p.is_empty() => p,
                _ if arr.is_empty() => String::new(),
                _ => " ".into(),
            };
            arr.push("xtask");
            let last = arr.len() - 1;
            if let Some(v) = arr.get_mut(last) {
                v.decor_mut().set_prefix(prefix);
            }
        }
        None => {
            ws.insert("members", toml_edit::value(toml_edit::Array::from_iter(["xtask"])));
        }
    }
    Ok(Some(doc.to_string()))
}

/// The `xtask` alias in `.cargo/config.toml`, everything else in it kept.
pub(super) fn alias(target: &Path, notes: &mut Vec<String>) -> anyhow::Result<Option<Change>> {
    let mut c = change(target, ".cargo/config.toml", vec![], "the xtask alias", false)?;
    let old = read_text(&c);
    match add_alias(old.as_deref()) {
        Ok(Alias::New(text)) => {
            c.new = text.into_bytes();
            Ok(Some(c))
        }
        Ok(Alias::Present) => Ok(None),
        Ok(Alias::Other(v)) => {
            notes.push(format!(".cargo/config.toml: kept the alias `xtask = {v}` that is already there"));
            Ok(None)
        }
        Err(e) => Err(fail(
            Code::ConfigSyntax,
            format!("{}: {e}", target.join(".cargo/config.toml").display()),
            "fix the file (cargo cannot read it either); init changed nothing",
        )),
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Alias {
    New(String),
    Present,
    /// An `xtask` alias that runs something else: kept.
    Other(String),
}

pub fn add_alias(text: Option<&str>) -> Result<Alias, String> {
    let line = format!("xtask = \"{ALIAS}\"\n");
    let Some(text) = text else { return Ok(Alias::New(format!("[alias]\n{line}"))) };
    let mut doc: DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| crate::config::one_line(&e.to_string()))?;
    if doc.get("alias").is_some_and(|a| !a.is_table_like()) {
        return Err("`alias` is not a table".into());
    }
    match doc.get_mut("alias").and_then(Item::as_table_like_mut) {
        Some(table) => match table.get("xtask") {
            Some(v) if v.as_str() == Some(ALIAS) => Ok(Alias::Present),
            Some(v) => Ok(Alias::Other(v.to_string().trim().to_string())),
            None => {
                table.insert("xtask", toml_edit::value(ALIAS));
                Ok(Alias::New(doc.to_string()))
            }
        },
        None => {
            let sep = if text.is_empty() || text.ends_with('\n') { "" } else { "\n" };
            let gap = if text.is_empty() { "" } else { "\n" };
            Ok(Alias::New(format!("{text}{sep}{gap}[alias]\n{line}")))
        }
    }
}
