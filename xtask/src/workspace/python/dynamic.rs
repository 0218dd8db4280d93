//! Dynamic versions (`dynamic = ["version"]`): where the build backend takes
//! the version from (maturin's crate, a VCS plugin, a hatch/pdm `path`,
//! setuptools `attr` or `file`), and reading it there.

use toml_edit::{DocumentMut, Item};

use super::maturin::{maturin_crate, MaturinCrate};
use super::pattern::VersionPattern;
use crate::error::Code;
use crate::workspace::pep508::{self, normalize};
use crate::workspace::{join_rel, Vcs, VersionSource, Workspace};

/// A dynamic version, found.
pub(super) struct Found {
    pub(super) text: String,
    pub(super) source: VersionSource,
    /// maturin: the crate it comes from.
    pub(super) maturin: Option<MaturinCrate>,
}

/// `[build-system] build-backend`.
pub(super) fn backend(doc: &DocumentMut) -> Option<&str> {
    doc.get("build-system").and_then(|b| b.get("build-backend")).and_then(Item::as_str)
}

/// Whether `[build-system] requires` names the distribution `dist`.
fn build_requires(doc: &DocumentMut, dist: &str) -> bool {
    doc.get("build-system").and_then(|b| b.get("requires")).and_then(Item::as_array).is_some_and(|a| {
        a.iter().filter_map(|v| v.as_str()).any(|r| pep508::parse(r).is_ok_and(|r| normalize(&r.name) == dist))
    })
}

/// Why uv never builds this project, if it does not: `[tool.uv] package =
/// false`, or no `[build-system]` without `package = true` (a virtual project).
pub(super) fn virtual_reason(doc: &DocumentMut) -> Option<String> {
    let package = doc.get("tool").and_then(|t| t.get("uv")).and_then(|u| u.get("package")).and_then(Item::as_bool);
    match package {
        Some(false) => Some("virtual: [tool.uv] package = false (uv never builds it)".into()),
        None if doc.get("build-system").is_none() => {
            Some("virtual: no [build-system] (uv never builds it; add one to publish it)".into())
        }
        _ => None,
    }
}

/// `[tool]`, looked up by a path of keys.
#[derive(Clone, Copy)]
struct Tool<'a>(Option<&'a Item>);

impl<'a> Tool<'a> {
    fn get(self, path: &[&str]) -> Option<&'a Item> {
        let mut item = self.0?;
        for k in path {
            item = item.get(k)?;
        }
        Some(item)
    }

    fn str(self, path: &[&str]) -> Option<&'a str> {
        self.get(path).and_then(Item::as_str)
    }
}

/// Why no version was found: the message says what was tried.
fn not_found(why: String) -> (Code, String) {
    (Code::DynamicVersion, why)
}

impl Found {
    fn file(text: String, path: String, pattern: Option<String>) -> Found {
        Found { text, source: VersionSource::File { path, pattern }, maturin: None }
    }
}

/// Finds a dynamic version: maturin's crate, a VCS plugin, a hatch/pdm
/// `path`, setuptools `attr` or `file`. The error says what was tried.
pub(super) fn dynamic_version(ws: &Workspace, member_dir: &str, doc: &DocumentMut) -> Result<Found, (Code, String)> {
    let tool = Tool(doc.get("tool"));
    if backend(doc) == Some("maturin") {
        let c = maturin_crate(ws, member_dir, doc).map_err(not_found)?;
        return Ok(Found { text: c.text.clone(), source: c.source.clone(), maturin: Some(c) });
    }
    if let Some(v) = vcs_plugin(doc, tool) {
        return Ok(Found { text: String::new(), source: VersionSource::Vcs(v), maturin: None });
    }
    if let Some(path) = tool.str(&["hatch", "version", "path"]) {
        let pattern = tool.str(&["hatch", "version", "pattern"]).map(str::to_string);
        return hatch_file(ws, member_dir, path, pattern);
    }
    let st = tool.get(&["setuptools", "dynamic", "version"]);
    let candidates: Vec<(String, String)> = if let Some(p) = tool.str(&["pdm", "version", "path"]) {
        vec![(p.to_string(), "__version__".into())]
    } else if let Some(attr) = st.and_then(|v| v.get("attr")).and_then(Item::as_str) {
        attr_candidates(attr)?
    } else if let Some(file) = st.and_then(|v| v.get("file")).and_then(Item::as_str) {
        let rel = join_rel(member_dir, file);
        let text =
            std::fs::read_to_string(ws.root.join(&rel)).map_err(|e| not_found(format!("cannot read {rel}: {e}")))?;
        return Ok(Found::file(text.trim().to_string(), rel, None));
    } else {
        return Err(not_found(
            "no version source: none of [tool.hatch.version] path or source, [tool.pdm.version], \
             [tool.setuptools.dynamic] version, [tool.setuptools_scm], [tool.uv-dynamic-versioning] or a maturin \
             build-backend says where the version comes from"
                .into(),
        ));
    };
    assignment_in(ws, member_dir, &candidates)
}

/// The VCS plugin that takes the version from git tags, when one does: named
/// as hatch's or pdm's version source, or, where no version file is named, by
/// its own table or build requirement.
fn vcs_plugin(doc: &DocumentMut, tool: Tool) -> Option<Vcs> {
    match tool.str(&["hatch", "version", "source"]) {
        Some("vcs") => return Some(Vcs::SetuptoolsScm),
        Some("uv-dynamic-versioning") => return Some(Vcs::UvDynamicVersioning),
        _ => {}
    }
    if tool.str(&["pdm", "version", "source"]) == Some("scm") {
        return Some(Vcs::PdmScm);
    }
    let names_a_file = tool.str(&["hatch", "version", "path"]).is_some()
        || tool.str(&["pdm", "version", "path"]).is_some()
        || tool.get(&["setuptools", "dynamic", "version"]).is_some();
    if names_a_file {
        return None;
    }
    if tool.get(&["uv-dynamic-versioning"]).is_some() {
        return Some(Vcs::UvDynamicVersioning);
    }
    if tool.get(&["setuptools_scm"]).is_some()
        || tool.get(&["vcs-versioning"]).is_some()
        || build_requires(doc, "setuptools-scm")
        || build_requires(doc, "vcs-versioning")
    {
        return Some(Vcs::SetuptoolsScm);
    }
    None
}

/// hatch's `path`: the version where `pattern` (or hatch's default) finds it.
fn hatch_file(ws: &Workspace, member_dir: &str, path: &str, pattern: Option<String>) -> Result<Found, (Code, String)> {
    let rel = join_rel(member_dir, path);
    let text = std::fs::read_to_string(ws.root.join(&rel))
        .map_err(|e| not_found(format!("[tool.hatch.version] path = \"{path}\": cannot read {rel}: {e}")))?;
    let found = match &pattern {
        Some(p) => {
            let pat = VersionPattern::parse(p).map_err(|why| {
                (Code::VersionPattern, format!("[tool.hatch.version] pattern `{p}` cannot be honored: {why}"))
            })?;
            pat.find(&text).map(|(a, b)| text[a..b].to_string())
        }
        None => VersionPattern::hatch_default().find(&text).map(|(a, b)| text[a..b].to_string()),
    };
    let v = found.ok_or_else(|| {
        not_found(match &pattern {
            Some(p) => format!("{rel} has no line [tool.hatch.version] pattern `{p}` matches"),
            None => {
                format!("{rel} has no `__version__ = \"...\"` or `VERSION = \"...\"` line (hatch's default pattern)")
            }
        })
    })?;
    Ok(Found::file(v, rel, pattern))
}

/// setuptools `attr = "pkg.mod.VAR"`: the files that may hold `VAR`, with it.
fn attr_candidates(attr: &str) -> Result<Vec<(String, String)>, (Code, String)> {
    let (module, var) = attr.rsplit_once('.').ok_or(not_found(format!("attr `{attr}` has no module")))?;
    let m = module.replace('.', "/");
    Ok([format!("src/{m}/__init__.py"), format!("{m}/__init__.py"), format!("src/{m}.py"), format!("{m}.py")]
        .into_iter()
        .map(|f| (f, var.to_string()))
        .collect())
}

/// The `var = "..."` line of the first of the `candidates` (file, var) that exists.
fn assignment_in(ws: &Workspace, member_dir: &str, candidates: &[(String, String)]) -> Result<Found, (Code, String)> {
    for (file, var) in candidates {
        let rel = join_rel(member_dir, file);
        let Ok(text) = std::fs::read_to_string(ws.root.join(&rel)) else {
            continue;
        };
        if let Some(v) = find_assignment(&text, var) {
            return Ok(Found::file(v, rel, None));
        }
        return Err(not_found(format!("{rel} has no `{var} = \"...\"` line")));
    }
    Err(not_found(format!(
        "none of {} exists",
        candidates.iter().map(|(f, _)| join_rel(member_dir, f)).collect::<Vec<_>>().join(", ")
    )))
}

/// The string value of `var = "..."` (or `var: str = '...'`) at the start of a line.
pub(super) fn find_assignment(text: &str, var: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(var)?.trim_start();
        let rest = match rest.strip_prefix(':') {
            Some(r) => r.split_once('=')?.1,
            None => rest.strip_prefix('=')?,
        }
        .trim();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let inner = &rest[1..];
        Some(inner[..inner.find(quote)?].to_string())
    })
}
