//! The version everywhere it is written besides the manifest:
//!
//! - a Python package's `__version__ = "…"` or `VERSION = "…"` literal (also
//!   `__version__: str = "…"`) at the top level of `__init__.py`,
//!   `_version.py`, `version.py` or `__about__.py` of its import package
//!   (`src/<name>/` or `<name>/` in its folder). A literal equal to the
//!   manifest's version is part of the package's version and moves with it;
//!   one that differs is left alone and reported by `check`.
//! - `[[version-files]]` entries: a glob, and a template (the text with the
//!   current version, replaced by the same with the new one) or a pattern
//!   (`{version}` stands for any version).
//!
//! Pure apart from reading files: `places` finds them, `rewrite` edits text.

use std::path::Path;

use crate::config::{Config, VersionFileConfig, VersionFind};
use crate::error::{fail, Code};
use crate::version::Ecosystem;
use crate::workspace::{join_rel, pep508::normalize, Package, VersionSource, Workspace};

/// Files of an import package that may hold the version.
pub const PYTHON_FILES: &[&str] = &["__init__.py", "_version.py", "version.py", "__about__.py"];
/// The variables read as the version.
pub const PYTHON_NAMES: &[&str] = &["__version__", "VERSION"];

/// A version literal in Python source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// The file, relative to the repository root.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// `__version__` or `VERSION`.
    pub name: String,
    pub value: String,
}

/// One place a package's version is written, besides its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A Python literal equal to the manifest's version.
    Literal(Literal),
    /// A file a `[[version-files]]` entry names (its index in the config).
    Configured { path: String, entry: usize },
}

impl Place {
    pub fn path(&self) -> &str {
        match self {
            Place::Literal(l) => &l.path,
            Place::Configured { path, .. } => path,
        }
    }
}

/// The version literals of a Python package's import package, in file order.
pub fn python_literals(root: &Path, p: &Package) -> Vec<Literal> {
    // a VCS plugin writes its version file at build time: not ours to move
    if p.ecosystem != Ecosystem::Python || matches!(p.version_source, VersionSource::Vcs(_)) {
        return vec![];
    }
    literals_in(root, &p.dir, &p.name)
}

/// The version literals of the Python package `name` in folder `dir` (relative
/// to `root`): in the exported release tree as in the work tree.
pub fn literals_in(root: &Path, dir: &str, name: &str) -> Vec<Literal> {
    let import = normalize(name).replace('-', "_");
    let mut out = vec![];
    for sub in [format!("src/{import}"), import.clone()] {
        for file in PYTHON_FILES {
            let rel = join_rel(dir, &format!("{sub}/{file}"));
            let Ok(text) = std::fs::read_to_string(root.join(&rel)) else { continue };
            for (i, line) in text.lines().enumerate() {
                if let Some((name, value, _)) = parse_literal(line) {
                    out.push(Literal {
                        path: rel.clone(),
                        line: i + 1,
                        name: name.to_string(),
                        value: value.to_string(),
                    });
                }
            }
        }
    }
    out
}

/// `__version__ = "1.2.0"`, `VERSION = '1.2.0'`, `__version__: str = "1.2.0"`
/// at the start of a line → (name, value, byte range of the value).
pub fn parse_literal(line: &str) -> Option<(&str, &str, std::ops::Range<usize>)> {
    let name = PYTHON_NAMES.iter().find(|n| line.starts_with(**n))?;
    let mut rest = &line[name.len()..];
    let mut at = name.len();
    let skip_ws = |s: &str| s.len() - s.trim_start_matches([' ', '\t']).len();
    let n = skip_ws(rest);
    (rest, at) = (&rest[n..], at + n);
    if let Some(after) = rest.strip_prefix(':') {
        // an annotation: `: str` or `: Final[str]`, up to the `=`
        let eq = after.find('=')?;
        if after[..eq].contains(['"', '\'', '#']) {
            return None;
        }
        (rest, at) = (&after[eq..], at + 1 + eq);
    }
    let after = rest.strip_prefix('=')?;
    if after.starts_with('=') {
        return None; // a comparison
    }
    (rest, at) = (after, at + 1);
    let n = skip_ws(rest);
    (rest, at) = (&rest[n..], at + n);
    let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &rest[1..];
    let end = body.find(q)?;
    let value = &body[..end];
    if value.is_empty() || value.contains(['\\', '{']) {
        return None;
    }
    let tail = body[end + 1..].trim();
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    Some((name, value, at + 1..at + 1 + end))
}

/// Every place of a package's version besides the manifest (and besides the
/// file that is its dynamic version source), in a stable order. A configured
/// file that does not exist is skipped here; `rewrite` decides whether a
/// file's pattern matches.
pub fn places(root: &Path, config: &Config, ws: &Workspace, p: &Package) -> anyhow::Result<Vec<Place>> {
    let source = source_file(p);
    let mut out: Vec<Place> = python_literals(root, p)
        .into_iter()
        .filter(|l| Some(l.path.as_str()) != source && same(p, &l.value))
        .map(Place::Literal)
        .collect();
    for (entry, f) in config.version_files.iter().enumerate() {
        if !applies(ws, f, p)? {
            continue;
        }
        for path in glob_files(root, &f.path)? {
            out.push(Place::Configured { path, entry });
        }
    }
    Ok(out)
}

/// The file a dynamic version is read from: it is the version itself, not
/// another place of it.
fn source_file(p: &Package) -> Option<&str> {
    match &p.version_source {
        VersionSource::File { path, .. } => Some(path.as_str()),
        _ => None,
    }
}

/// Does a `[[version-files]]` entry apply to `p`?
pub fn applies(ws: &Workspace, f: &VersionFileConfig, p: &Package) -> anyhow::Result<bool> {
    let Some(name) = &f.package else { return Ok(true) };
    let i = ws.lookup(name, "[[version-files]] package")?;
    Ok(ws.packages[i].name == p.name && ws.packages[i].ecosystem == p.ecosystem)
}

/// The files a glob names, relative to the root, sorted.
pub fn glob_files(root: &Path, pattern: &str) -> anyhow::Result<Vec<String>> {
    let full = format!("{}/{pattern}", glob::Pattern::escape(&root.to_string_lossy()));
    let paths = glob::glob(&full)
        .map_err(|e| fail(Code::ConfigValue, format!("[[version-files]] path `{pattern}`: {e}"), "fix the glob"))?;
    let mut out: Vec<String> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .filter_map(|p| p.strip_prefix(root).ok().map(|r| r.to_string_lossy().replace('\\', "/")))
        .collect();
    out.sort();
    Ok(out)
}

/// The versions compared as versions of the package's ecosystem.
fn same(p: &Package, text: &str) -> bool {
    crate::version::same_version(p.ecosystem, &p.version_text, text)
}

/// `text` with the version at `place` moved from `old` to `new`; `None` when
/// the place no longer holds it (a literal edited since, a template or pattern
/// that matches nothing).
pub fn rewrite(text: &str, place: &Place, config: &Config, name: &str, old: &str, new: &str) -> Option<String> {
    match place {
        Place::Literal(l) => {
            let mut out = String::with_capacity(text.len());
            let mut done = false;
            for (i, line) in text.split_inclusive('\n').enumerate() {
                match parse_literal(line) {
                    Some((n, v, range)) if i + 1 == l.line && n == l.name && v == l.value => {
                        out.push_str(&line[..range.start]);
                        out.push_str(new);
                        out.push_str(&line[range.end..]);
                        done = true;
                    }
                    _ => out.push_str(line),
                }
            }
            done.then_some(out)
        }
        Place::Configured { entry, .. } => match &config.version_files[*entry].find {
            VersionFind::Template(t) => {
                let from = fill(t, name, old);
                let to = fill(t, name, new);
                text.contains(&from).then(|| text.replace(&from, &to))
            }
            VersionFind::Pattern(pat) => replace_pattern(text, &pat.replace("{name}", name), new),
        },
    }
}

/// A template with its placeholders filled in.
fn fill(template: &str, name: &str, version: &str) -> String {
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let mut parts = core.split('.');
    let (major, minor, patch) = (parts.next().unwrap_or(""), parts.next().unwrap_or("0"), parts.next().unwrap_or("0"));
    template
        .replace("{name}", name)
        .replace("{version}", version)
        .replace("{major}", major)
        .replace("{minor}", minor)
        .replace("{patch}", patch)
}

/// Every `prefix VERSION suffix` in `text` gets `new` as its version, where
/// VERSION is a run of version characters. `None` when nothing matches.
fn replace_pattern(text: &str, pattern: &str, new: &str) -> Option<String> {
    let (prefix, suffix) = pattern.split_once("{version}")?;
    let is_version_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '!' | '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut found = false;
    while let Some(at) = if prefix.is_empty() { None } else { rest.find(prefix) } {
        let start = at + prefix.len();
        let len = rest[start..].find(|c: char| !is_version_char(c)).unwrap_or(rest.len() - start);
        let after = &rest[start + len..];
        if len > 0 && rest[start..].starts_with(|c: char| c.is_ascii_digit()) && after.starts_with(suffix) {
            out.push_str(&rest[..start]);
            out.push_str(new);
            out.push_str(suffix);
            rest = &after[suffix.len()..];
            found = true;
        } else {
            out.push_str(&rest[..start]);
            rest = &rest[start..];
        }
    }
    out.push_str(rest);
    found.then_some(out)
}

/// Disagreements for `check`: literals that are not the manifest's version
/// (`true`), configured places whose template does not find the current
/// version (`false`).
pub fn disagreements(root: &Path, config: &Config, ws: &Workspace, p: &Package) -> Vec<(bool, String)> {
    let mut out = vec![];
    let source = source_file(p);
    for l in python_literals(root, p) {
        if Some(l.path.as_str()) != source && !same(p, &l.value) {
            let text =
                format!("{}:{}: {} is {:?}, the manifest says {}", l.path, l.line, l.name, l.value, p.version_text);
            out.push((true, text));
        }
    }
    let Ok(places) = places(root, config, ws, p) else { return out };
    for place in places.iter().filter(|pl| matches!(pl, Place::Configured { .. })) {
        let Ok(text) = std::fs::read_to_string(root.join(place.path())) else { continue };
        if let Place::Configured { entry, path } = place {
            if let VersionFind::Template(t) = &config.version_files[*entry].find {
                if config.version_files[*entry].package.is_some() && !text.contains(&fill(t, &p.name, &p.version_text))
                {
                    let want = fill(t, &p.name, &p.version_text);
                    out.push((false, format!("{path}: `{want}` is not there ([[version-files]] template)")));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
