//! Preflight: every reason a release would fail, collected before anything is
//! changed, each with its fix. Read-only: no fetch (`git ls-remote` tells what
//! the remote has without writing to `.git`).

use xshell::{cmd, Shell};

use std::collections::HashMap;

use super::Options;
use crate::error::{fail, Code, Failure};
use crate::plan::Plan;
use crate::registry::{self, CargoIndex};
use crate::repo::Repo;
use crate::shell::{self, Ctx};
use crate::version::{Ecosystem, Version};
use crate::version_files;
use crate::workspace::DepKind;

pub use super::problem::Problem;

fn problem(p: impl Into<String>, fix: impl Into<String>) -> Problem {
    Problem { problem: p.into(), fix: fix.into(), code: Code::PreflightFailed }
}

/// The code of a failed preflight: the most specific one among its problems.
pub fn failure_code(problems: &[Problem]) -> Code {
    problems.iter().map(|p| p.code).find(|c| *c != Code::PreflightFailed).unwrap_or(Code::PreflightFailed)
}

/// Runs a read-only git command; `None` when it fails. `--no-optional-locks`:
/// `git status` would otherwise refresh `.git/index`, and a dry run writes nothing.
fn git(sh: &Shell, root: &std::path::Path, args: &[&str]) -> Option<String> {
    shell::probe(cmd!(sh, "git --no-optional-locks -C {root} {args...}"))
}

/// The fix for a planned version a registry has: a fresh release runs only when
/// no unfinished one is recorded, so it was published before, not interrupted.
const PUBLISHED_BEFORE: &str =
    "that version was published before (no unfinished release is recorded): plan one above it with --bump VERSION, or leave the package out with --exclude";

pub fn run(sh: &Shell, repo: &Repo, plan: &Plan, opts: &Options) -> anyhow::Result<Vec<Problem>> {
    let root = &repo.root;
    let has_cargo = plan.releases().any(|e| e.ecosystem == Ecosystem::Cargo);
    let has_python = plan.releases().any(|e| e.ecosystem == Ecosystem::Python);
    let have_uv = have(sh, "uv");
    let mut out = missing_tools(sh, has_python, has_cargo, have_uv);
    out.extend(uncommitted_changes(sh, root));
    let branch = git(sh, root, &["symbolic-ref", "--quiet", "--short", "HEAD"]);
    out.extend(branch_problems(repo, branch.as_deref()));
    out.extend(shallow_clone(sh, root));
    let (remote_problems, remote_tags) = remote_problems(sh, repo, opts, branch.as_deref());
    out.extend(remote_problems);
    out.extend(existing_tags(sh, repo, plan, &remote_tags));
    // every changelog has a place for its section (the write step reads the same files)
    out.extend(unplaced_changelogs(repo, plan)?);
    out.extend(stale_lockfiles(sh, repo, plan, have_uv)?);
    out.extend(version_literals(repo, plan));
    out.extend(smoke_tests(repo));
    let (credentials, problems) = super::credentials::check(repo, opts, has_python, has_cargo);
    out.extend(problems);

    // planned versions must not be on the registries yet
    if opts.offline {
        println!("  --offline: registries not checked");
        return Ok(out);
    }
    let registry = repo.config.cargo_registry.as_deref();
    let index = match has_cargo.then(|| CargoIndex::resolve(root, registry)).transpose() {
        Ok(i) => i,
        Err(e) => {
            out.push(problem(format!("{e}"), "configure the registry"));
            None
        }
    };
    out.extend(super::credentials::first_releases(sh, plan, credentials.cargo.as_ref(), index.as_ref()));
    out.extend(unpublished_dependencies(sh, repo, plan, index.as_ref()));
    out.extend(already_published(sh, repo, plan, index.as_ref()));
    Ok(out)
}

/// Prints what preflight found; the reason a real run stops there (a dry run
/// goes on and reports it last, `finish`).
pub fn report(ctx: &Ctx, problems: &[Problem]) -> anyhow::Result<Option<anyhow::Error>> {
    if problems.is_empty() {
        println!("  all checks passed");
        return Ok(None);
    }
    eprintln!("preflight found {} problem(s):", problems.len());
    for p in problems {
        eprintln!("  - {}\n    fix: {}", p.problem, p.fix);
        // in GitHub Actions each problem is also an annotation of its own, with its fix
        if crate::ci::github_actions() {
            println!("{}", crate::ci::annotation(p.code.id(), &p.problem, "fix", &p.fix));
        }
    }
    let err = fail(
        failure_code(problems),
        format!("preflight found {} problem(s) (listed above); nothing was changed", problems.len()),
        "fix each problem as its `fix:` line says, then run the release again",
    );
    Ok(ctx.stops(vec![err])?.pop())
}

/// Preflight of a recorded release (`release/recorded.rs`): the checks of a
/// fresh one less what the release commit settled. Its tags are made on the
/// merged commit (one on another commit stops the tag step, XR042), its files
/// were written and reviewed in the pull request, and a version a registry has
/// is a publication this release resumes (the publish step skips it when the
/// checksum is ours, and stops when it is not).
pub fn recorded(sh: &Shell, repo: &Repo, plan: &Plan, opts: &Options) -> Vec<Problem> {
    let root = &repo.root;
    let has_cargo = plan.releases().any(|e| e.ecosystem == Ecosystem::Cargo);
    let has_python = plan.releases().any(|e| e.ecosystem == Ecosystem::Python);
    let mut out = missing_tools(sh, has_python, has_cargo, have(sh, "uv"));
    out.extend(uncommitted_changes(sh, root));
    let branch = git(sh, root, &["symbolic-ref", "--quiet", "--short", "HEAD"]);
    out.extend(branch_problems(repo, branch.as_deref()));
    out.extend(shallow_clone(sh, root));
    out.extend(remote_problems(sh, repo, opts, branch.as_deref()).0);
    out.extend(smoke_tests(repo));
    out.extend(super::credentials::check(repo, opts, has_python, has_cargo).1);
    out
}

/// Whether `program --version` runs.
fn have(sh: &Shell, program: &str) -> bool {
    shell::succeeds(cmd!(sh, "{program} --version"))
}

/// The tools the planned releases need: uv for Python packages, cargo for crates.
fn missing_tools(sh: &Shell, has_python: bool, has_cargo: bool, have_uv: bool) -> Vec<Problem> {
    let mut out = vec![];
    if has_python && !have_uv {
        out.push(problem(
            "`uv` is not installed (needed to build and publish Python packages)",
            "install it: `pip install uv` (or see uv's documentation), then retry",
        ));
    }
    if has_cargo && !have(sh, "cargo") {
        out.push(problem("`cargo` is not installed", "install a Rust toolchain with rustup"));
    }
    out
}

/// The work tree is clean: a release commits exactly the version bumps.
fn uncommitted_changes(sh: &Shell, root: &std::path::Path) -> Option<Problem> {
    match git(sh, root, &["status", "--porcelain", "--untracked-files=normal"]) {
        Some(s) if !s.is_empty() => {
            let files: Vec<&str> = s.lines().take(5).map(|l| l.get(3..).unwrap_or(l)).collect();
            Some(problem(
                format!("the work tree has uncommitted changes ({} file(s): {})", s.lines().count(), files.join(", ")),
                "commit or stash them: a release commits exactly the version bumps",
            ))
        }
        Some(_) => None,
        None => Some(problem("`git status` failed", "check the repository")),
    }
}

/// HEAD is on a branch, one of [release] allow-branches.
fn branch_problems(repo: &Repo, branch: Option<&str>) -> Option<Problem> {
    let config = &repo.config;
    let Some(b) = branch else {
        return Some(problem("HEAD is detached", "check out one of the allowed branches: git switch main"));
    };
    let allowed = config.allow_branches.iter().any(|pat| glob::Pattern::new(pat).is_ok_and(|p| p.matches(b)));
    (!allowed).then(|| {
        problem(
            format!("branch `{b}` is not allowed to release (allowed: {})", config.allow_branches.join(", ")),
            "switch to an allowed branch, or add it to [release] allow-branches",
        )
    })
}

/// The clone has its whole history and tags.
fn shallow_clone(sh: &Shell, root: &std::path::Path) -> Option<Problem> {
    (git(sh, root, &["rev-parse", "--is-shallow-repository"]).as_deref() == Some("true"))
        .then(|| problem("the clone is shallow: history and tags are incomplete", "git fetch --unshallow --tags"))
}

/// The remote exists (unless nothing is pushed) and the branch is not behind
/// it; with the remote's tags (`git ls-remote` lines, empty when unread).
fn remote_problems(sh: &Shell, repo: &Repo, opts: &Options, branch: Option<&str>) -> (Vec<Problem>, String) {
    let root = &repo.root;
    let remote = &repo.config.remote;
    let mut out = vec![];
    if git(sh, root, &["remote", "get-url", remote]).is_none() {
        if !opts.no_push {
            out.push(problem(
                format!("there is no remote `{remote}` to push to"),
                format!("add it (git remote add {remote} URL), set [release] remote, or pass --no-push"),
            ));
        }
        return (out, String::new());
    }
    let Some(b) = branch else { return (out, String::new()) };
    let head_ref = format!("refs/heads/{b}");
    match git(sh, root, &["ls-remote", remote, &head_ref]) {
        None => {
            out.push(problem(format!("cannot reach the remote `{remote}`"), "check the network and the remote URL"))
        }
        Some(line) => {
            if let Some(sha) = line.split_whitespace().next() {
                if git(sh, root, &["merge-base", "--is-ancestor", sha, "HEAD"]).is_none() {
                    out.push(problem(
                        format!("`{b}` is behind {remote}/{b}"),
                        format!("git pull --rebase {remote} {b}, check the plan again, then release"),
                    ));
                }
            }
        }
    }
    let remote_tags = git(sh, root, &["ls-remote", "--tags", "--refs", remote]).unwrap_or_default();
    (out, remote_tags)
}

/// The planned tags are neither local nor on the remote (`remote_tags`).
fn existing_tags(sh: &Shell, repo: &Repo, plan: &Plan, remote_tags: &str) -> Vec<Problem> {
    let remote = &repo.config.remote;
    let local_tags = git(sh, &repo.root, &["tag", "--list"]).unwrap_or_default();
    let mut out = vec![];
    for t in &plan.tags() {
        if local_tags.lines().any(|l| l == t) {
            // no unfinished release is recorded (a fresh release runs only then): nothing to resume
            out.push(problem(
                format!("tag `{t}` already exists, and no unfinished release is recorded"),
                format!("that version was tagged before: plan one above it (--bump VERSION), or delete the tag (git tag -d {t}) if it never was a release"),
            ));
        } else if remote_tags.lines().any(|l| l.ends_with(&format!("refs/tags/{t}"))) {
            out.push(problem(
                format!("tag `{t}` already exists on {remote}"),
                "fetch the tags (git fetch --tags) and plan again",
            ));
        }
    }
    out
}

/// The lockfiles the release updates are in sync (read-only checks); an
/// ignored one is no part of the release.
fn stale_lockfiles(sh: &Shell, repo: &Repo, plan: &Plan, have_uv: bool) -> anyhow::Result<Vec<Problem>> {
    let root = &repo.root;
    let mut out = vec![];
    for rel in crate::edits::lockfiles(sh, repo.tree(), plan)? {
        let dir = root.join(&rel);
        let dir = dir.parent().unwrap_or(root);
        if rel.ends_with("Cargo.lock") {
            let ok = shell::succeeds(cmd!(
                sh,
                "cargo metadata --locked --format-version 1 --manifest-path {dir}/Cargo.toml"
            ));
            if !ok {
                out.push(problem(
                    format!("{rel} is out of sync with the manifests (`cargo metadata --locked` fails)"),
                    format!("run `cargo update --workspace` and commit {rel}"),
                ));
            }
        } else if have_uv && !shell::succeeds(cmd!(sh, "uv lock --check --quiet --directory {dir}")) {
            out.push(problem(
                format!("{rel} is out of sync with the manifests (`uv lock --check` fails)"),
                format!("run `uv lock` and commit {rel}"),
            ));
        }
    }
    Ok(out)
}

/// Planned versions a registry already has (the cargo registry only when its
/// `index` resolved).
fn already_published(sh: &Shell, repo: &Repo, plan: &Plan, index: Option<&CargoIndex>) -> Vec<Problem> {
    let config = &repo.config;
    let mut out = vec![];
    for e in plan.releases() {
        let version = e.next_version.as_deref().unwrap_or_default();
        match e.ecosystem {
            Ecosystem::Python => match registry::pypi_files(&config.python_index_url, &e.name) {
                Ok(files) => {
                    let prefix = format!("{}-{version}", super::wheel::normalize_dist(&e.name));
                    let present = files.unwrap_or_default().into_iter().any(|f| {
                        f.filename.starts_with(&format!("{prefix}.tar.gz"))
                            || f.filename.starts_with(&format!("{prefix}-"))
                    });
                    if present {
                        out.push(problem(
                            format!("{} {version} is already on {}", e.name, config.python_index_url),
                            PUBLISHED_BEFORE,
                        ));
                    }
                }
                Err(err) => out.push(unreadable(&err, "check [python] index-url and the network")),
            },
            Ecosystem::Cargo => {
                let Some(index) = index else { continue };
                match index.cksum(sh, &e.name, version) {
                    Ok(Some(_)) => out.push(problem(
                        format!("{} {version} is already on the cargo registry", e.name),
                        PUBLISHED_BEFORE,
                    )),
                    Ok(None) => {}
                    Err(err) => out.push(unreadable(&err, "check [cargo] registry and the network")),
                }
            }
        }
    }
    out
}

/// A `__version__` literal of a released Python package that is not its manifest's version: the
/// release moves only literals that equal it, so the wheel would say another version (`check`
/// reports the same, XR136). Tag, manifest and literal agree before anything is written.
fn version_literals(repo: &Repo, plan: &Plan) -> Vec<Problem> {
    let ws = &repo.ws;
    let mut out = vec![];
    for e in plan.releases().filter(|e| e.ecosystem == Ecosystem::Python) {
        let Some(p) = ws.index_in(Ecosystem::Python, &e.name).map(|i| &ws.packages[i]) else { continue };
        for (_, text) in version_files::disagreements(&repo.root, &repo.config, ws, p).into_iter().filter(|d| d.0) {
            out.push(Problem {
                problem: format!("{}: {text}", e.name),
                fix: format!(
                    "set it to {} (the release then moves both), or read the version at run time (importlib.metadata)",
                    p.version_text
                ),
                code: Code::VersionLiteralDiffers,
            });
        }
    }
    out
}

/// `[[smoke-tests]]` entries must name Python packages of the repository.
fn smoke_tests(repo: &Repo) -> Vec<Problem> {
    let ws = &repo.ws;
    let mut out = vec![];
    for s in &repo.config.smoke_tests {
        let found = super::smoke::smoke_package(ws, s).map(|i| ws.packages[i].ecosystem);
        let why = match found {
            Ok(Ecosystem::Python) => continue,
            Ok(Ecosystem::Cargo) => "a crate (a crate's smoke test builds a crate that depends on it)".to_string(),
            Err(e) => crate::config::one_line(&format!("{e}")),
        };
        out.push(Problem {
            problem: format!("[[smoke-tests]] package = \"{}\": {why}", s.package),
            fix: "name a Python package of the repository (`cargo xtask plan` lists them), or remove the entry".into(),
            code: Code::ConfigValue,
        });
    }
    out
}

/// A registry that could not be read, as a problem in its own words (they name the URL that
/// failed): an untrusted certificate keeps its code and its help, anything else gets `fix`.
fn unreadable(err: &anyhow::Error, fix: &str) -> Problem {
    match err.downcast_ref::<Failure>() {
        Some(f) if f.code == Code::CertificateUntrusted => {
            Problem { problem: f.cause.clone(), fix: f.help.clone(), code: f.code }
        }
        Some(f) => problem(format!("cannot read the registry: {}", f.cause), fix),
        None => problem(format!("cannot read the registry: {}", crate::config::one_line(&format!("{err:#}"))), fix),
    }
}

/// The changelogs a release of `plan` could not put its section into, one
/// problem each (XR137): found before anything is written, never written into
/// the wrong place.
fn unplaced_changelogs(repo: &Repo, plan: &Plan) -> anyhow::Result<Vec<Problem>> {
    let sections = repo.changelog_with(plan, None);
    let edits = crate::edits::compute_edits(repo.tree(), plan, &sections, crate::edits::Show::Nothing)?;
    Ok(edits
        .unplaced
        .iter()
        .map(|u| Problem {
            problem: u.problem(),
            fix: crate::edits::Unplaced::HELP.into(),
            code: Code::ChangelogUnplaceable,
        })
        .collect())
}

/// Internal dependencies of released packages that this release does not
/// release must already be on their registry at a version the requirement
/// admits: one problem listing every one that is not, before anything is written.
fn unpublished_dependencies(sh: &Shell, repo: &Repo, plan: &Plan, index: Option<&CargoIndex>) -> Option<Problem> {
    let ws = &repo.ws;
    let mut known: HashMap<String, Result<Vec<String>, String>> = HashMap::new();
    let mut missing: Vec<String> = vec![];
    for e in plan.releases() {
        let Some(p) = ws.index_in(e.ecosystem, &e.name).map(|i| &ws.packages[i]) else { continue };
        // a crate compiled into a wheel is built from the tree, never fetched from its registry
        for d in p.deps.iter().filter(|d| d.kind != DepKind::Dev && d.kind != DepKind::Compiled) {
            let Some(q) = ws.dep_index(p, d).map(|i| &ws.packages[i]) else { continue };
            let released = |x: &crate::plan::Entry| x.name == q.name && x.ecosystem == q.ecosystem;
            if plan.releases().any(released) {
                continue;
            }
            if let Some(why) = &q.unpublishable {
                missing.push(format!("{} needs {}, which is never published ({why})", p.name, q.name));
                continue;
            }
            let versions = known.entry(q.name.clone()).or_insert_with(|| match q.ecosystem {
                Ecosystem::Python => registry::pypi_versions(&repo.config.python_index_url, &q.name)
                    .map_err(|e| crate::config::one_line(&format!("{e}"))),
                Ecosystem::Cargo => match index {
                    Some(index) => index.versions(sh, &q.name).map_err(|e| crate::config::one_line(&format!("{e}"))),
                    None => Err("the cargo registry is not configured".into()),
                },
            });
            let Ok(versions) = versions else { continue }; // unreachable registries are reported below
            let admitted =
                versions.iter().filter_map(|v| Version::parse(q.ecosystem, v).ok()).any(|v| d.req.admits(&v));
            if !admitted {
                let req = if d.req_text.is_empty() { "any version".to_string() } else { format!("`{}`", d.req_text) };
                let has = if versions.is_empty() { "none".to_string() } else { versions.join(", ") };
                missing.push(format!(
                    "{} needs {} {req}, which this release does not release and its registry does not have (it has: {has})",
                    p.name, q.name
                ));
            }
        }
    }
    if missing.is_empty() {
        return None;
    }
    Some(Problem {
        problem: format!(
            "{} internal dependenc{} not on the registry:\n      {}",
            missing.len(),
            if missing.len() == 1 { "y is" } else { "ies are" },
            missing.join("\n      ")
        ),
        fix: "publish them first (`cargo xtask release --package NAME`), or include them in this release \
              (`--force-unchanged`, or leave out the --exclude)"
            .into(),
        code: Code::DependencyNotPublished,
    })
}
