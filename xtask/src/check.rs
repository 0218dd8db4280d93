//! `check`: health checks that report every problem at once. Reads only.

use std::collections::HashMap;
use std::fmt::Write;

use serde::Serialize;
use toml_edit::{DocumentMut, Item};

use crate::changelog;
use crate::config::check_ref_name;
use crate::error::{Code, Failure};
use crate::repo::Repo;
use crate::version::{same_version, Ecosystem};
use crate::workspace::{join_rel, pep508::normalize, Workspace};

#[derive(Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Serialize)]
pub struct Problem {
    pub code: &'static str,
    pub package: String,
    pub message: String,
    pub help: String,
}

/// Every check, in the order the report lists them.
pub fn run(repo: &Repo) -> Vec<Check> {
    let ws = &repo.ws;
    let sh = xshell::Shell::new().ok();
    vec![
        fails("cycles", cycle_problems(repo)),
        fails("unknown-members", issue_problems(ws, &[Code::UnknownMember], false)),
        warns("membership", membership_warnings(ws)),
        fails("versions", version_problems(ws)),
        fails("requirements", requirement_problems(ws)),
        fails("metadata", metadata_problems(ws)),
        fails("lockfiles", lockfile_problems(repo)),
        fails("tags", tag_problems(repo)),
    ]
    .into_iter()
    .chain(release_tag_warnings(repo, sh.as_ref()))
    .chain([
        fails("groups", group_problems(repo)),
        fails("changelogs", changelog_problems(repo)),
        fails("version-places", version_place_problems(repo)),
    ])
    .collect()
}

/// A check that fails when it has problems.
fn fails(name: &'static str, problems: Vec<Problem>) -> Check {
    Check { name, ok: problems.is_empty(), problems }
}

/// A check whose problems are warnings: it passes whatever it finds.
fn warns(name: &'static str, problems: Vec<Problem>) -> Check {
    Check { name, ok: true, problems }
}

fn problem(code: Code, package: &str, message: String, help: String) -> Problem {
    Problem { code: code.id(), package: package.to_string(), message, help }
}

/// The dependency graph: cycles and self-dependencies.
fn cycle_problems(repo: &Repo) -> Vec<Problem> {
    let mut out = vec![];
    if let Err(e) = repo.graph() {
        if let Some(f) = e.downcast_ref::<Failure>() {
            out.push(problem(f.code, "", f.cause.clone(), f.help.clone()));
        }
    }
    out
}

/// The workspace discovery's issues with one of `codes`, errors or warnings.
fn issue_problems(ws: &Workspace, codes: &[Code], warning: bool) -> Vec<Problem> {
    ws.issues
        .iter()
        .filter(|i| codes.contains(&i.code) && i.warning == warning)
        .map(|i| problem(i.code, &i.package, i.message.clone(), i.help.clone()))
        .collect()
}

/// Warnings: uv ignores a members entry that matches nothing (and a source no
/// member requires), so the release does too.
fn membership_warnings(ws: &Workspace) -> Vec<Problem> {
    let mut out = issue_problems(ws, &[Code::MemberGlob], false);
    out.extend(issue_problems(ws, &[Code::MemberGlob, Code::UnknownMember], true));
    out
}

/// Versions that do not parse or cannot be read, and local versions PyPI refuses.
fn version_problems(ws: &Workspace) -> Vec<Problem> {
    let codes = [
        Code::InvalidVersion,
        Code::MissingVersion,
        Code::DynamicVersion,
        Code::VersionPattern,
        Code::DynamicDependencies,
        Code::ManifestSyntax,
    ];
    let local = ws.packages.iter().filter(|p| p.unpublishable.is_none()).filter_map(|p| {
        let local = p.version.as_ref()?.local()?;
        Some(problem(
            Code::LocalVersion,
            &p.name,
            format!("{} {} has a local version part (`+{local}`), which PyPI refuses", p.name, p.version_text),
            format!("remove `+{local}` from the version in {}", p.manifest),
        ))
    });
    issue_problems(ws, &codes, false).into_iter().chain(local).collect()
}

/// Internal requirements must admit the dependency's current version (and a
/// published crate's path dependency needs a version).
fn requirement_problems(ws: &Workspace) -> Vec<Problem> {
    let mut out = vec![];
    for p in &ws.packages {
        for d in &p.deps {
            let Some(j) = ws.dep_index(p, d) else {
                continue;
            };
            let Some(v) = &ws.packages[j].version else {
                continue;
            };
            if !d.req.admits(v) {
                out.push(problem(
                    Code::InvalidVersion,
                    &p.name,
                    format!("requires {} `{}` but {} is at {v} ({})", d.name, d.req_text, d.name, p.manifest),
                    format!("update the requirement on {} in {}", d.name, p.manifest),
                ));
            }
            if p.ecosystem == Ecosystem::Cargo
                && d.req_text.is_empty()
                && d.kind != crate::workspace::DepKind::Dev
                && p.unpublishable.is_none()
            {
                out.push(problem(
                    Code::UnversionedPathDependency,
                    &p.name,
                    format!("path dependency on {} has no version; cargo cannot publish it ({})", d.name, p.manifest),
                    format!("add `version = \"{}\"` next to the path", ws.packages[j].version_text),
                ));
            }
        }
    }
    out
}

/// Metadata a registry wants: a description and a license.
fn metadata_problems(ws: &Workspace) -> Vec<Problem> {
    let mut out = vec![];
    for p in ws.packages.iter().filter(|p| p.unpublishable.is_none()) {
        if p.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
            out.push(problem(
                Code::MissingMetadata,
                &p.name,
                format!("no description in {}", p.manifest),
                "add a one-line `description`".into(),
            ));
        }
        if !p.license {
            let what = if p.ecosystem == Ecosystem::Cargo {
                "`license` or `license-file`"
            } else {
                "`license` (or a License classifier)"
            };
            out.push(problem(
                Code::MissingMetadata,
                &p.name,
                format!("no license in {}", p.manifest),
                format!("add {what}"),
            ));
        }
    }
    out
}

/// Tag names for the current versions must be valid refs, one package's each.
fn tag_problems(repo: &Repo) -> Vec<Problem> {
    let ws = &repo.ws;
    let mut out = vec![];
    let tag_groups = crate::tags::tag_groups(&repo.config, ws);
    // each package's tag at its current version, and that version
    let current: Vec<(String, String)> = (ws.packages.iter().enumerate())
        .map(|(i, p)| (crate::tags::tag_of(&repo.config, p, tag_groups[i], &p.version_text).0, p.version_text.clone()))
        .collect();
    for (i, p) in ws.packages.iter().enumerate() {
        let (t, key) = crate::tags::tag_of(&repo.config, p, tag_groups[i], &p.version_text);
        if let Err(why) = check_ref_name(&t) {
            out.push(problem(
                Code::TagFormat,
                &p.name,
                format!("tag `{t}` {why}"),
                format!("change {key} in xtask-release.toml"),
            ));
        }
        // reported once, on the later ecosystem
        let earlier = |k: usize| (ws.packages[k].ecosystem < p.ecosystem || k == i).then(|| current[k].clone());
        if let Some(q) = crate::tags::twin(ws, &tag_groups, i, earlier).map(|k| &ws.packages[k]) {
            out.push(problem(
                Code::TagCollision,
                &p.name,
                format!(
                    "{} {} and {} {} would both be tagged `{t}`",
                    q.ecosystem.as_str(),
                    q.name,
                    p.ecosystem.as_str(),
                    p.name
                ),
                "give one ecosystem its own template, e.g. [tags] python = \"py-{name}-v{version}\"".into(),
            ));
        }
    }
    out.extend(
        crate::tags::umbrella_problems(&repo.config, ws).into_iter().map(|f| problem(f.code, "", f.cause, f.help)),
    );
    out
}

/// Two warnings from the repository's tags: tags that look like releases, none
/// of them read ("release-tags"), and a manifest behind its last tag (the plan
/// starts from the tag's version: "tag-versions").
fn release_tag_warnings(repo: &Repo, sh: Option<&xshell::Shell>) -> [Check; 2] {
    let all_tags = sh.and_then(|sh| crate::history::read_tags(sh, &repo.root).ok()).unwrap_or_default();
    let unread = repo.unread_tags(&all_tags, repo.reads_any(&all_tags));
    let unread = unread.into_iter().map(|f| problem(f.code, "", f.cause, f.help)).collect();
    let behind = sh.map(|sh| repo.behind_tags(sh, &all_tags)).unwrap_or_default();
    let behind = behind.into_iter().map(|(name, f)| problem(f.code, &name, f.cause, f.help)).collect();
    [warns("release-tags", unread), warns("tag-versions", behind)]
}

/// Synchronized groups share one version and name known packages.
fn group_problems(repo: &Repo) -> Vec<Problem> {
    let ws = &repo.ws;
    let mut out = vec![];
    for g in repo.config.groups.iter().filter(|g| g.umbrella.is_none()) {
        let versions: Vec<(String, String)> = g
            .members
            .iter()
            .filter_map(|m| {
                ws.index_of(m).map(|i| {
                    (
                        m.clone(),
                        ws.packages[i]
                            .version
                            .as_ref()
                            .map(|v| v.to_ecosystem(Ecosystem::Python).to_string())
                            .unwrap_or_default(),
                    )
                })
            })
            .collect();
        if versions.windows(2).any(|w| w[0].1 != w[1].1) {
            let list: Vec<String> = versions.iter().map(|(n, v)| format!("{n} {v}")).collect();
            out.push(problem(
                Code::ConfigValue,
                &g.name,
                format!("group `{}` members differ: {}", g.name, list.join(", ")),
                "set every member to the same version".into(),
            ));
        }
        for m in &g.members {
            if ws.index_of(m).is_none() {
                out.push(problem(
                    Code::UnknownPackage,
                    &g.name,
                    format!("group `{}` names unknown package `{m}`", g.name),
                    "fix [[groups]] members".into(),
                ));
            }
        }
    }
    out
}

/// The version wherever else it is written ([[version-files]]).
fn version_place_problems(repo: &Repo) -> Vec<Problem> {
    let mut out = vec![];
    for p in repo.ws.packages.iter().filter(|p| p.unpublishable.is_none()) {
        for (literal, message) in crate::version_files::disagreements(&repo.root, &repo.config, &repo.ws, p) {
            let (code, help) = if literal {
                (Code::VersionLiteralDiffers, format!("set it to {} (the release then moves both)", p.version_text))
            } else {
                (Code::VersionFileNoMatch, "fix the file or the [[version-files]] entry".to_string())
            };
            out.push(problem(code, &p.name, message, help));
        }
    }
    out
}

/// Each package's changelog parses and its newest section is the manifest's
/// version; the workspace changelog has a title.
fn changelog_problems(repo: &Repo) -> Vec<Problem> {
    let config = &repo.config.changelog;
    let mut out = vec![];
    if !config.enabled {
        return out;
    }
    let problem = |code: Code, package: &str, message: String, help: &str| Problem {
        code: code.id(),
        package: package.to_string(),
        message,
        help: help.to_string(),
    };
    let invalid_help = "fix the heading it names (Keep a Changelog: `## [VERSION] - DATE`, newest first)";
    for p in repo.ws.packages.iter().filter(|p| p.unpublishable.is_none() && !p.version_text.is_empty()) {
        let rel = join_rel(&p.dir, &config.path);
        let Ok(text) = std::fs::read_to_string(repo.root.join(&rel)) else { continue };
        if let Err(e) = changelog::parse(&text) {
            out.push(problem(Code::ChangelogInvalid, &p.name, format!("{rel}: {e}"), invalid_help));
            continue;
        }
        if let Err(why) = changelog::check(&text, p.ecosystem, &p.version_text) {
            out.push(problem(
                Code::ChangelogVersion,
                &p.name,
                format!("{rel}: {why}"),
                "add the missing section (`cargo xtask changelog` shows the next one), or fix the manifest's version",
            ));
        }
    }
    if let Some(rel) = &config.workspace {
        if let Ok(text) = std::fs::read_to_string(repo.root.join(rel)) {
            if let Err(e) = changelog::validate_workspace(&text) {
                out.push(problem(Code::ChangelogInvalid, "", format!("{rel}: {e}"), invalid_help));
            }
        }
    }
    out
}

/// Lockfiles must list every member at its manifest version.
fn lockfile_problems(repo: &Repo) -> Vec<Problem> {
    let ws = &repo.ws;
    let mut out = vec![];
    let mut compare = |lock_rel: String, eco: Ecosystem, fix: &str| {
        let members: Vec<_> = ws.packages.iter().filter(|p| p.ecosystem == eco).collect();
        if members.is_empty() {
            return;
        }
        let text = match std::fs::read_to_string(repo.root.join(&lock_rel)) {
            Ok(t) => t,
            // a repository may keep its lockfile out on purpose (libraries often do)
            Err(_) if git_ignores(&repo.root, &lock_rel) => return,
            Err(_) => {
                out.push(Problem {
                    code: Code::Io.id(),
                    package: String::new(),
                    message: format!("{lock_rel} is missing"),
                    help: format!("run `{fix}` and commit the lockfile"),
                });
                return;
            }
        };
        let locked = match text.parse::<DocumentMut>() {
            Ok(doc) => locked_members(&doc),
            Err(e) => {
                out.push(Problem {
                    code: Code::ManifestSyntax.id(),
                    package: String::new(),
                    message: format!("{lock_rel} is not valid TOML: {}", crate::config::one_line(&e.to_string())),
                    help: format!("regenerate it with `{fix}`"),
                });
                return;
            }
        };
        for p in members {
            match locked.get(&normalize(&p.name)) {
                None => out.push(Problem {
                    code: Code::InvalidVersion.id(),
                    package: p.name.clone(),
                    message: format!("{lock_rel} does not list {}", p.name),
                    help: format!("run `{fix}` and commit the lockfile"),
                }),
                Some(Some(v)) if !same_version(eco, v, &p.version_text) => out.push(Problem {
                    code: Code::InvalidVersion.id(),
                    package: p.name.clone(),
                    message: format!("{lock_rel} has {} {v} but {} says {}", p.name, p.manifest, p.version_text),
                    help: format!("the lockfile is older than the manifest: run `{fix}` and commit it"),
                }),
                _ => {}
            }
        }
    };
    if let Some(dir) = &ws.cargo_root {
        compare(join_rel(dir, "Cargo.lock"), Ecosystem::Cargo, "cargo update --workspace");
    }
    if let Some(dir) = &ws.python_root {
        let lock = join_rel(dir, "uv.lock");
        // a single project (no [tool.uv.workspace]) need not commit a uv.lock: only a present one is compared
        if is_uv_workspace(&repo.root, dir) || repo.root.join(&lock).is_file() {
            compare(lock, Ecosystem::Python, "uv lock");
        }
    }
    out
}

/// Whether the pyproject.toml in `dir` declares a uv workspace.
fn is_uv_workspace(root: &std::path::Path, dir: &str) -> bool {
    std::fs::read_to_string(root.join(join_rel(dir, "pyproject.toml")))
        .ok()
        .and_then(|t| t.parse::<DocumentMut>().ok())
        .is_some_and(|d| d.get("tool").and_then(|t| t.get("uv")).and_then(|u| u.get("workspace")).is_some())
}

/// Whether git ignores `rel` (`.gitignore` files, `.git/info/exclude`, the
/// configured excludes file), asked with `git check-ignore`, which only reads.
/// Exit 0 is "ignored"; 1 ("not ignored") and any failure (no git) are not.
fn git_ignores(root: &std::path::Path, rel: &str) -> bool {
    let Ok(sh) = xshell::Shell::new() else { return false };
    crate::shell::output(xshell::cmd!(sh, "git -C {root} check-ignore -q -- {rel}"), Code::Git, "").is_ok()
}

/// Local packages of a Cargo.lock (no `source`) or uv.lock (editable, virtual
/// or directory source): normalized name → version (uv omits dynamic ones).
fn locked_members(doc: &DocumentMut) -> HashMap<String, Option<String>> {
    let mut out = HashMap::new();
    let Some(pkgs) = doc.get("package").and_then(Item::as_array_of_tables) else {
        return out;
    };
    for t in pkgs.iter() {
        let Some(name) = t.get("name").and_then(Item::as_str) else {
            continue;
        };
        let local = match t.get("source") {
            None => true,
            Some(s) => s.as_table_like().is_some_and(|s| {
                s.contains_key("editable") || s.contains_key("virtual") || s.contains_key("directory")
            }),
        };
        if local {
            out.insert(normalize(name), t.get("version").and_then(Item::as_str).map(str::to_string));
        }
    }
    out
}

pub fn render_text(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let status = match (c.ok, c.problems.is_empty()) {
            (false, _) => "FAIL",
            (true, false) => "warn",
            (true, true) => "ok  ",
        };
        let _ = writeln!(out, "{status} {}", c.name);
        for p in &c.problems {
            let who = if p.package.is_empty() { String::new() } else { format!("{}: ", p.package) };
            let _ = writeln!(out, "     [{}] {who}{}", p.code, p.message);
            let _ = writeln!(out, "     help: {}", p.help);
        }
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    let _ = writeln!(out, "\n{} checks, {failed} failed", checks.len());
    out
}

pub fn render_json(checks: &[Check]) -> String {
    let ok = checks.iter().all(|c| c.ok);
    let mut s = serde_json::to_string_pretty(&serde_json::json!({"ok": ok, "checks": checks})).expect("plain data");
    s.push('\n');
    s
}
