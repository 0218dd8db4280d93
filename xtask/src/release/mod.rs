//! `release`: preflight → write (versions, requirements, lockfiles, commit,
//! tags) → publish each package in dependency order → push.
//!
//! It executes exactly the plan `plan` prints for the same arguments. Every
//! effect goes through `Ctx`, which in `--dry-run` prints the command or file
//! instead: one code path, two behaviours.

mod edit;
mod preflight;
mod progress;
mod publish;

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use xshell::{cmd, Cmd, Shell};

use crate::error::{fail, Code};
use crate::plan::{self, Entry, Plan};
use crate::repo::Repo;
use crate::shell;
use crate::version::{Ecosystem, Version};
use crate::workspace::{pep508::normalize, VersionSource};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub plan: plan::Options,
    pub dry_run: bool,
    pub jobs: usize,
    pub yes: bool,
    pub no_push: bool,
    /// Do not contact registries in preflight (dry runs without network).
    pub offline: bool,
}

/// The effect switch: runs commands and writes files, or prints them.
pub struct Ctx {
    pub dry_run: bool,
    pub root: PathBuf,
}

impl Ctx {
    /// Runs `cmd` (or prints it in a dry run) and returns its stdout.
    pub fn exec(&self, cmd: Cmd<'_>, code: Code, help: &str) -> anyhow::Result<Vec<u8>> {
        if self.dry_run {
            println!("  would run: {}", self.show(&cmd.to_string()));
            return Ok(vec![]);
        }
        shell::output(cmd, code, help)
    }

    /// Writes a file atomically (temp file, fsync, rename), or prints it in a dry run.
    pub fn write(&self, path: &Path, text: &str, what: &str) -> anyhow::Result<()> {
        if self.dry_run {
            println!("  would write: {} ({what})", self.show(&path.display().to_string()));
            return Ok(());
        }
        write_atomic(path, text.as_bytes())
    }

    /// Paths relative to the repository read better.
    fn show(&self, s: &str) -> String {
        s.replace(&format!("{}/", self.root.display()), "")
    }
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("xtask-tmp-{}", std::process::id()));
    let io = |e: std::io::Error| {
        fail(Code::Io, format!("cannot write {}: {e}", path.display()), "check permissions and free space")
    };
    {
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

pub fn run(sh: &Shell, repo: &Repo, opts: &Options) -> anyhow::Result<()> {
    let (graph, plan) = repo.plan(sh, &opts.plan)?;
    print!("{}", plan::render_table(&plan));
    let releases: Vec<&Entry> = plan.releases().collect();
    if releases.is_empty() {
        println!("\nnothing to release");
        return Ok(());
    }
    let ctx = Ctx { dry_run: opts.dry_run, root: repo.root.clone() };
    if opts.dry_run {
        println!(
            "\ndry run: nothing is written, published or pushed; these are the commands and files of a real release\n"
        );
    }

    println!("== preflight");
    let problems = preflight::run(sh, repo, &plan, opts)?;
    let preflight_failure = if problems.is_empty() {
        println!("  all checks passed");
        None
    } else {
        eprintln!("preflight found {} problem(s):", problems.len());
        for p in &problems {
            eprintln!("  - {}\n    fix: {}", p.problem, p.fix);
        }
        let err = fail(
            Code::PreflightFailed,
            format!("preflight found {} problem(s) (listed above); nothing was changed", problems.len()),
            "fix each problem as its `fix:` line says, then run the release again",
        );
        if !opts.dry_run {
            return Err(err);
        }
        Some(err)
    };
    if !opts.dry_run {
        confirm(opts.yes, releases.len())?;
    }

    println!("\n== write");
    let release = write(sh, &ctx, repo, &plan)?;

    println!("\n== publish ({} package(s), at most {} at a time)", releases.len(), opts.jobs.max(1));
    let outcomes = publish::run(&ctx, repo, &graph, &plan, &release, opts.jobs.max(1))?;

    println!("\n== push");
    push(sh, &ctx, repo, &release, opts.no_push)?;

    println!("\n== summary");
    for (e, outcome) in releases.iter().zip(&outcomes) {
        println!("  {} {} ({}): {}", e.name, e.next_version.as_deref().unwrap_or(""), e.ecosystem.as_str(), outcome);
    }
    if let Some(err) = preflight_failure {
        println!("\ndry run complete; a real release would have stopped at preflight:");
        return Err(err);
    }
    println!(
        "{} {} package(s)",
        if opts.dry_run { "dry run complete: would release" } else { "released" },
        releases.len()
    );
    Ok(())
}

fn confirm(yes: bool, n: usize) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(fail(
            Code::Confirmation,
            "standard input is not a terminal, so the release cannot ask for confirmation",
            "pass --yes to release without asking (CI, scripts), or --dry-run to see what would happen",
        ));
    }
    print!("\nRelease {n} package(s) as planned above? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        return Err(fail(Code::Confirmation, "release not confirmed; nothing was changed", "answer `y` to release"));
    }
    Ok(())
}

/// What the write step produced.
pub struct Release {
    /// The release commit (a placeholder in a dry run).
    pub commit: String,
    pub tags: Vec<String>,
    /// `.git/xtask-release/<commit>`: exported tree, artifacts, smoke tests.
    pub work: PathBuf,
    pub branch: String,
}

/// The versions every package has in the release commit: next for released
/// ones, current for the rest.
pub fn release_versions(repo: &Repo, plan: &Plan) -> HashMap<String, Version> {
    repo.ws
        .packages
        .iter()
        .filter_map(|p| {
            let v = plan.get(&p.name).and_then(|e| e.next.clone()).or_else(|| p.version.clone())?;
            Some((p.name.clone(), v))
        })
        .collect()
}

fn write(sh: &Shell, ctx: &Ctx, repo: &Repo, plan: &Plan) -> anyhow::Result<Release> {
    let root = &repo.root;
    let ws = &repo.ws;
    // every tag name is checked before anything is written
    let mut tags: Vec<String> = plan.releases().filter_map(|e| e.tag.clone()).collect();
    tags.extend(plan.umbrella_tag.clone());
    for t in &tags {
        crate::config::check_ref_name(t)
            .map_err(|why| fail(Code::TagFormat, format!("tag `{t}` {why}"), "change [tags] in xtask-release.toml"))?;
    }

    let mut files: HashMap<String, String> = HashMap::new();
    let mut load = |rel: &str| -> anyhow::Result<String> {
        if let Some(t) = files.get(rel) {
            return Ok(t.clone());
        }
        let t = std::fs::read_to_string(root.join(rel))
            .map_err(|e| fail(Code::Io, format!("cannot read {rel}: {e}"), "check the file"))?;
        files.insert(rel.to_string(), t.clone());
        Ok(t)
    };
    let mut edits: Vec<(String, String)> = vec![];
    let store = |edits: &mut Vec<(String, String)>, rel: &str, text: String| {
        edits.retain(|(r, _)| r != rel);
        edits.push((rel.to_string(), text));
    };
    let current =
        |edits: &Vec<(String, String)>, load: &mut dyn FnMut(&str) -> anyhow::Result<String>, rel: &str| match edits
            .iter()
            .find(|(r, _)| r == rel)
        {
            Some((_, t)) => Ok(t.clone()),
            None => load(rel),
        };
    let edit_err = |e: anyhow::Error| {
        fail(Code::ManifestSyntax, format!("cannot edit a manifest: {e:#}"), "fix the manifest; nothing was written")
    };

    // versions
    let mut workspace_version_done = false;
    for e in plan.releases() {
        let p = &ws.packages[ws.index_of(&e.name).expect("planned packages exist")];
        let new = e.next_version.clone().expect("released entries have a version");
        if e.next == p.version {
            continue; // an initial release of the version already written
        }
        match &p.version_source {
            VersionSource::Manifest => {
                let text = current(&edits, &mut load, &p.manifest)?;
                let out = edit::set_package_version(&text, &p.manifest, p.ecosystem, &new).map_err(edit_err)?;
                store(&mut edits, &p.manifest, out);
                println!("  {} {} -> {new} in {}", p.name, p.version_text, p.manifest);
            }
            VersionSource::CargoWorkspace => {
                if !workspace_version_done {
                    let rel = crate::workspace::join_rel(ws.cargo_root.as_deref().unwrap_or("."), "Cargo.toml");
                    let text = current(&edits, &mut load, &rel)?;
                    let out = edit::set_workspace_version(&text, &rel, &new).map_err(edit_err)?;
                    store(&mut edits, &rel, out);
                    println!("  [workspace.package] version {} -> {new} in {rel}", p.version_text);
                    workspace_version_done = true;
                }
            }
            VersionSource::File(rel) => {
                let text = current(&edits, &mut load, rel)?;
                let out = edit::set_file_version(&text, &p.version_text, &new).ok_or_else(|| {
                    fail(
                        Code::DynamicVersion,
                        format!("{rel} does not contain the version {}", p.version_text),
                        "make the version static",
                    )
                })?;
                store(&mut edits, rel, out);
                println!("  {} {} -> {new} in {rel}", p.name, p.version_text);
            }
            VersionSource::Missing => unreachable!("packages without a version are never released"),
        }
    }

    // internal requirements that no longer admit the new versions
    let mut cargo_released: HashMap<String, (String, Version)> = HashMap::new();
    let mut py_released: HashMap<String, Version> = HashMap::new();
    for e in plan.releases() {
        let next = e.next.clone().expect("released entries have a version");
        match e.ecosystem {
            Ecosystem::Cargo => {
                cargo_released.insert(e.path.clone(), (e.name.clone(), next));
            }
            Ecosystem::Python => {
                py_released.insert(normalize(&e.name), next);
            }
        }
    }
    let mut manifests: Vec<(String, String, Ecosystem)> =
        ws.packages.iter().map(|p| (p.manifest.clone(), p.dir.clone(), p.ecosystem)).collect();
    if let Some(dir) = &ws.cargo_root {
        let rel = crate::workspace::join_rel(dir, "Cargo.toml");
        if !manifests.iter().any(|(m, _, _)| *m == rel) {
            manifests.push((rel, dir.clone(), Ecosystem::Cargo));
        }
    }
    for (rel, dir, eco) in manifests {
        let text = current(&edits, &mut load, &rel)?;
        let (out, changes) = match eco {
            Ecosystem::Cargo if !cargo_released.is_empty() => {
                edit::update_cargo_requirements(&text, &rel, &dir, &cargo_released).map_err(edit_err)?
            }
            Ecosystem::Python if !py_released.is_empty() => {
                edit::update_python_requirements(&text, &rel, &py_released).map_err(edit_err)?
            }
            _ => continue,
        };
        for c in &changes {
            println!("  requirement on {} `{}` -> `{}` in {rel}", c.dependency, c.from, c.to);
        }
        if !changes.is_empty() {
            store(&mut edits, &rel, out);
        }
    }
    for (rel, text) in &edits {
        ctx.write(&root.join(rel), text, "version bump")?;
    }

    // lockfiles, only where they are tracked
    let has_cargo = plan.releases().any(|e| e.ecosystem == Ecosystem::Cargo);
    let has_python = plan.releases().any(|e| e.ecosystem == Ecosystem::Python);
    if let (true, Some(dir)) = (has_cargo, &ws.cargo_root) {
        let dir = root.join(dir);
        if dir.join("Cargo.lock").is_file() {
            ctx.exec(
                cmd!(sh, "cargo update --workspace --quiet --manifest-path {dir}/Cargo.toml"),
                Code::Tool,
                "fix what cargo reports; restore the work tree with `git checkout .`",
            )?;
        }
    }
    if let (true, Some(dir)) = (has_python, &ws.python_root) {
        let dir = root.join(dir);
        if dir.join("uv.lock").is_file() {
            ctx.exec(
                cmd!(sh, "uv lock --quiet --directory {dir}"),
                Code::Tool,
                "fix what uv reports; restore the work tree with `git checkout .`",
            )?;
        }
    }

    // one release commit, then annotated tags on it
    let names: Vec<String> =
        plan.releases().map(|e| format!("{}@{}", e.name, e.next_version.as_deref().unwrap_or(""))).collect();
    let subject = format!("chore(release): {}", names.join(", "));
    let body: String = plan.releases().map(|e| format!("- {}: {}\n", e.name, e.reason)).collect();
    let message = format!("{subject}\n\n{body}");
    // Hooks are skipped on purpose: the release commit only bumps versions, and a
    // hook that hangs or rewrites files must not stall or alter a release.
    ctx.exec(cmd!(sh, "git -C {root} add -u"), Code::Git, "check the work tree")?;
    // initial releases of the versions already in the manifests change nothing:
    // then HEAD itself is the release commit
    let staged = ctx.dry_run || cmd!(sh, "git -C {root} diff --cached --quiet").quiet().run().is_err();
    if staged {
        ctx.exec(
            cmd!(sh, "git -C {root} commit --quiet --no-verify -m {message}"),
            Code::Git,
            "check your git identity (user.name, user.email) and signing configuration",
        )?;
    } else {
        println!("  no file changed (initial releases of the current versions): tagging HEAD");
    }
    let commit = if ctx.dry_run {
        "RELEASE_COMMIT".to_string()
    } else {
        shell::read(cmd!(sh, "git -C {root} rev-parse HEAD"), Code::Git, "check the repository")?
    };
    for t in &tags {
        let msg = format!("Release {t}");
        ctx.exec(
            cmd!(sh, "git -C {root} tag -a {t} -m {msg} {commit}"),
            Code::Git,
            "check that the tag does not exist yet",
        )?;
    }
    let git_dir =
        shell::read(cmd!(sh, "git -C {root} rev-parse --absolute-git-dir"), Code::Git, "check the repository")?;
    let work = PathBuf::from(git_dir).join("xtask-release").join(&commit);
    let branch =
        shell::read(cmd!(sh, "git -C {root} symbolic-ref --quiet --short HEAD"), Code::Git, "check out a branch")?;
    Ok(Release { commit, tags, work, branch })
}

fn push(sh: &Shell, ctx: &Ctx, repo: &Repo, release: &Release, no_push: bool) -> anyhow::Result<()> {
    let root = &repo.root;
    let remote = &repo.config.remote;
    let branch = &release.branch;
    let refs: Vec<String> = std::iter::once(format!("refs/heads/{branch}"))
        .chain(release.tags.iter().map(|t| format!("refs/tags/{t}")))
        .collect();
    if no_push {
        println!("  not pushing (--no-push); push later with: git push --atomic {remote} {}", refs.join(" "));
        return Ok(());
    }
    ctx.exec(
        cmd!(sh, "git -C {root} push --atomic --quiet {remote} {refs...}"),
        Code::PushFailed,
        "the packages are published; bring the release commit onto the remote branch (git pull --rebase), then push it and the tags",
    )?;
    if ctx.dry_run {
        println!("  would check with `git ls-remote --tags {remote}` that every tag arrived");
        return Ok(());
    }
    let listed =
        shell::read(cmd!(sh, "git -C {root} ls-remote --tags {remote}"), Code::PushFailed, "check the remote")?;
    let mut peeled: HashMap<&str, &str> = HashMap::new();
    for line in listed.lines() {
        let Some((sha, name)) = line.split_once('\t') else {
            continue;
        };
        let Some(name) = name.strip_prefix("refs/tags/") else {
            continue;
        };
        match name.strip_suffix("^{}") {
            Some(tag) => {
                peeled.insert(tag, sha);
            }
            None => {
                peeled.entry(name).or_insert(sha);
            }
        }
    }
    for t in &release.tags {
        match peeled.get(t.as_str()) {
            Some(sha) if *sha == release.commit => {}
            Some(sha) => {
                return Err(fail(
                    Code::PushFailed,
                    format!("tag {t} on {remote} points at {sha}, not the release commit {}", release.commit),
                    "delete the remote tag if it is wrong, then push again",
                ))
            }
            None => {
                return Err(fail(
                    Code::PushFailed,
                    format!("tag {t} did not arrive on {remote}"),
                    "push the tags: git push --atomic REMOTE TAGS",
                ))
            }
        }
    }
    println!(
        "  pushed {branch} and {} tag(s) to {remote}; every tag points at {}",
        release.tags.len(),
        &release.commit[..12.min(release.commit.len())]
    );
    forge_release(sh, repo, release);
    Ok(())
}

/// GitHub releases through `gh`, when it is installed and the remote is on
/// GitHub. Optional: anything else is a warning, never a failure.
fn forge_release(sh: &Shell, repo: &Repo, release: &Release) {
    let root = &repo.root;
    let remote = &repo.config.remote;
    let url = cmd!(sh, "git -C {root} remote get-url {remote}").quiet().read().unwrap_or_default();
    if !url.contains("github.com") {
        println!("  no forge release: the remote is not on GitHub");
        return;
    }
    if cmd!(sh, "gh --version").quiet().ignore_stdout().run().is_err() {
        println!("  warning: no GitHub release: `gh` is not installed");
        return;
    }
    for t in &release.tags {
        let notes = format!("Release {t}");
        if let Err(e) = {
            let _dir = sh.push_dir(root);
            cmd!(sh, "gh release create {t} --verify-tag --title {t} --notes {notes}").quiet().run()
        } {
            println!("  warning: GitHub release {t} not created: {e}");
        }
    }
}
