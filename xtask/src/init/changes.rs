//! The files init writes, each computed whole as a `Change`: the copied
//! xtask source, its own `Cargo.lock`, `/target` ignored, and the
//! configuration; their summary, their diffs and the writing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use xshell::{cmd, Shell};

use super::cargo_setup::{alias, register};
use super::change::{change, read_text, Change};
use super::{diff, lock};
use crate::config::FILE_NAME;
use crate::error::{fail, Code};
use crate::shell::{self, Ctx};

/// Every file init would write (with `into`: the xtask's too), unchanged ones
/// dropped; `notes` gets what was left as it is.
pub(super) fn changes(
    sh: &Shell,
    target: &Path,
    into: bool,
    config: String,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<Change>> {
    let mut changes: Vec<Change> = vec![];
    if into {
        changes.extend(xtask_files(sh, target, notes)?);
    }
    changes.push(change(target, FILE_NAME, config.into_bytes(), "the configuration", false)?);
    changes.retain(|c| c.old.as_deref() != Some(&c.new[..]));
    Ok(changes)
}

/// What `--into` adds: the xtask's source (unless it is already there), its
/// workspace membership and lockfile, the alias, `/target` ignored.
fn xtask_files(sh: &Shell, target: &Path, notes: &mut Vec<String>) -> anyhow::Result<Vec<Change>> {
    let mut changes: Vec<Change> = vec![];
    let source = template_source()?;
    let same = source.canonicalize().ok() == target.join("xtask").canonicalize().ok();
    if !same {
        changes.extend(template(&source, target)?);
    }
    changes.extend(register(target, notes)?);
    changes.extend(own_lock(&source, target, &changes, notes)?);
    notes.extend(ignored_lock(sh, target));
    changes.extend(alias(target, notes)?);
    changes.extend(ignore_target(sh, target)?);
    Ok(changes)
}

/// The unified diff of every change that shows one.
pub(super) fn diffs(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes.iter().filter(|c| c.diff) {
        let old = c.old.as_ref().map(|o| String::from_utf8_lossy(o).into_owned());
        out.push_str(&diff::unified(&c.rel, old.as_deref(), &String::from_utf8_lossy(&c.new)));
    }
    out
}

/// This xtask's own folder: where it was built (the running repository's `xtask/`).
fn template_source() -> anyhow::Result<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    if dir.join("Cargo.toml").is_file() && dir.join("src/main.rs").is_file() {
        return Ok(dir.to_path_buf());
    }
    Err(fail(
        Code::InitSource,
        format!("this xtask's source is not in {} any more (it was built there)", dir.display()),
        "run init from a repository that holds the xtask's source: cargo xtask init --into DIR",
    ))
}

/// The copy of `source` into `target/xtask`: every file but `target/`, a
/// lockfile and hidden files, in path order.
fn template(source: &Path, target: &Path) -> anyhow::Result<Vec<Change>> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) -> anyhow::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| shell::fs::error("read the folder", dir, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name.starts_with('.') || name == "target" || name == "Cargo.lock" {
                continue;
            }
            let r = format!("{rel}/{name}");
            if p.is_dir() {
                walk(&p, &r, out)?;
            } else {
                out.push((r, p));
            }
        }
        Ok(())
    }
    let mut files = vec![];
    walk(source, "xtask", &mut files)?;
    files.into_iter().map(|(rel, path)| change(target, &rel, shell::fs::read(&path)?, "the xtask", true)).collect()
}

/// The `Cargo.lock` of the xtask's own workspace, when init makes one: what
/// the xtask was built with, cut to what it reaches (`lock::closure`), so that
/// the first build changes nothing. A Cargo workspace that exists keeps its
/// lockfile, which the first build extends.
fn own_lock(
    source: &Path,
    target: &Path,
    changes: &[Change],
    notes: &mut Vec<String>,
) -> anyhow::Result<Option<Change>> {
    let own = changes.iter().any(|c| c.rel == "Cargo.toml" && c.old.is_none());
    if !own || target.join("Cargo.lock").exists() {
        return Ok(None);
    }
    let built_with = [source.join("Cargo.lock"), source.join("../Cargo.lock")].into_iter().find(|p| p.is_file());
    let text = built_with.map(|p| shell::fs::read_to_string(&p)).transpose()?;
    let Some(lock) = text.as_deref().and_then(|t| lock::closure(t, "xtask")) else {
        notes.push("no Cargo.lock to start from: the first `cargo xtask` writes one; commit it".into());
        return Ok(None);
    };
    let mut c = change(target, "Cargo.lock", lock.into_bytes(), "the versions the xtask is built with", false)?;
    c.diff = false;
    Ok(Some(c))
}

/// What to say when git ignores the root `Cargo.lock` (libraries often do):
/// then every clone builds the xtask with the newest compatible versions of
/// its dependencies, not the ones it was tested with.
fn ignored_lock(sh: &Shell, target: &Path) -> Option<String> {
    let rule = shell::probe(cmd!(sh, "git -C {target} check-ignore --verbose --no-index Cargo.lock"))?;
    // SOURCE:LINE:PATTERN<TAB>PATH
    let rule = rule.split('\t').next().unwrap_or(&rule);
    let rule = match rule.rsplitn(3, ':').collect::<Vec<_>>()[..] {
        [pattern, line, source] => format!("`{pattern}` in {source}, line {line}"),
        _ => rule.to_string(),
    };
    Some(format!(
        "Cargo.lock is ignored by git ({rule}): every clone builds the xtask with the newest compatible versions of \
         its dependencies, not the ones it was tested with; to pin them, commit Cargo.lock (take it out of the \
         ignore file)"
    ))
}

/// `/target` in `.gitignore`, unless git ignores it already: as a path or as a
/// folder (`/target/` matches `target/` only, and no `target` folder may exist yet).
pub(super) fn ignore_target(sh: &Shell, target: &Path) -> anyhow::Result<Option<Change>> {
    let ignored = |path: &str| shell::succeeds(cmd!(sh, "git -C {target} check-ignore -q {path}"));
    if ignored("target") || ignored("target/") {
        return Ok(None);
    }
    let mut c = change(target, ".gitignore", vec![], "cargo's build folder ignored", false)?;
    let old = read_text(&c).unwrap_or_default();
    let sep = if old.is_empty() || old.ends_with('\n') { "" } else { "\n" };
    c.new = format!("{old}{sep}/target\n").into_bytes();
    Ok(Some(c))
}

pub(super) fn summary(changes: &[Change]) -> String {
    let mut s = String::new();
    let template: Vec<&Change> = changes.iter().filter(|c| c.template).collect();
    if !template.is_empty() {
        let new = template.iter().filter(|c| c.old.is_none()).count();
        let _ = writeln!(
            s,
            "  {:<8} xtask/ ({} file(s): {new} new, {} changed) from {}",
            "copy",
            template.len(),
            template.len() - new,
            Path::new(env!("CARGO_MANIFEST_DIR")).display()
        );
    }
    for c in changes.iter().filter(|c| !c.template) {
        let _ = writeln!(s, "  {:<8} {} ({})", if c.old.is_some() { "change" } else { "new" }, c.rel, c.what);
    }
    s
}

pub(super) fn write(ctx: &Ctx, target: &Path, changes: &[Change]) -> anyhow::Result<()> {
    let template: Vec<(PathBuf, Vec<u8>)> =
        changes.iter().filter(|c| c.template).map(|c| (target.join(&c.rel), c.new.clone())).collect();
    ctx.write_files(&target.join("xtask"), &template, "this xtask's source")?;
    for c in changes.iter().filter(|c| !c.template) {
        let path = target.join(&c.rel);
        if let Some(dir) = path.parent() {
            ctx.create_dir_all(dir)?;
        }
        ctx.write(&path, &c.new, &c.what)?;
    }
    Ok(())
}
