//! `release`: preflight → write (versions, requirements, lockfiles, commit,
//! tags) → publish each package in dependency order → push.
//!
//! It executes exactly the plan `plan` prints for the same arguments. Every
//! effect goes through `Ctx`, which in `--dry-run` prints the command or file
//! instead: one code path, two behaviours.

pub mod edit;
mod journal;
mod preflight;
mod progress;
mod publish;
pub mod rollback;
mod write;

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use xshell::{cmd, Cmd, Shell};

use crate::error::{fail, Code};
use crate::plan::{self, Entry, Plan};
use crate::repo::Repo;
use crate::shell;
use crate::version::Version;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub plan: plan::Options,
    pub dry_run: bool,
    pub jobs: usize,
    pub yes: bool,
    pub no_push: bool,
    /// Do not contact registries in preflight (dry runs without network).
    pub offline: bool,
    /// Continue the release the journal records.
    pub resume: bool,
    /// Drop the unfinished release's journal, saying what is public.
    pub abandon: bool,
    /// Take over a lock left by a process that is gone.
    pub clear_stale_lock: bool,
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

/// `release`: loads the repository itself, because a resume first restores
/// files an interrupted write step may have left half-written.
pub fn run(sh: &Shell, root: Option<&Path>, config: Option<&Path>, opts: &Options) -> anyhow::Result<()> {
    let root = Repo::locate(root)?;
    let git_dir = shell::read(
        cmd!(sh, "git -C {root} rev-parse --absolute-git-dir"),
        Code::NotARepo,
        "pass the repository with --root",
    )?;
    let state = journal::state_dir(Path::new(&git_dir));
    let existing = journal::Handle::load(&state)?;
    if opts.abandon {
        return abandon(&state, existing);
    }
    if opts.resume {
        let Some(j) = existing else {
            return Err(fail(
                Code::NothingToResume,
                "no unfinished release is recorded",
                "start one with `cargo xtask release`",
            ));
        };
        let lock = journal::Lock::acquire(&state, opts.clear_stale_lock)?;
        println!(
            "resuming the release started at unix time {} from {}",
            j.started_unix,
            &j.base_commit[..12.min(j.base_commit.len())]
        );
        restore_interrupted_write(sh, &root, &git_dir, &j)?;
        let repo = Repo::load(Some(&root), config)?;
        let plan = j.plan.clone();
        print!("{}", plan::render_table(&plan));
        let handle = journal::Handle::resume(&state, j);
        let ctx = Ctx { dry_run: false, root: repo.root.clone() };
        let result = execute(sh, &ctx, &repo, &plan, Some(&handle), opts);
        drop(lock);
        return result.inspect_err(|_| unfinished_note());
    }
    if let Some(j) = existing {
        eprintln!("an unfinished release is recorded in .git/xtask-release/journal.json:");
        for line in j.public_summary() {
            eprintln!("  {line}");
        }
        return Err(fail(
            Code::Unfinished,
            "an earlier release did not finish",
            "continue it with `cargo xtask release --resume`, or drop it with `cargo xtask release --abandon`",
        ));
    }

    let repo = Repo::load(Some(&root), config)?;
    let (_, plan) = repo.plan(sh, &opts.plan)?;
    print!("{}", plan::render_table(&plan));
    let releases = plan.releases().count();
    if releases == 0 {
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
    let problems = preflight::run(sh, &repo, &plan, opts)?;
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
    if opts.dry_run {
        execute(sh, &ctx, &repo, &plan, None, opts)?;
        if let Some(err) = preflight_failure {
            println!("\ndry run complete; a real release would have stopped at preflight:");
            return Err(err);
        }
        return Ok(());
    }
    confirm(opts.yes, releases)?;
    let lock = journal::Lock::acquire(&state, opts.clear_stale_lock)?;
    let base_commit = shell::read(cmd!(sh, "git -C {root} rev-parse HEAD"), Code::Git, "check the repository")?;
    let branch =
        shell::read(cmd!(sh, "git -C {root} symbolic-ref --quiet --short HEAD"), Code::Git, "check out a branch")?;
    let mut touched: Vec<String> = write::compute_edits(&repo, &plan, false)?.into_iter().map(|(rel, _)| rel).collect();
    touched.extend(write::lockfiles(&repo, &plan));
    let handle = journal::Handle::create(
        &state,
        journal::Journal {
            format: journal::FORMAT,
            started_unix: journal::now_unix(),
            base_commit,
            branch,
            plan: plan.clone(),
            no_push: opts.no_push,
            touched,
            release_commit: None,
            tags: write::tags(&plan)?,
            steps: Default::default(),
            packages: Default::default(),
            finished: false,
        },
    )?;
    let result = execute(sh, &ctx, &repo, &plan, Some(&handle), opts);
    drop(lock);
    result.inspect_err(|_| unfinished_note())
}

fn unfinished_note() {
    eprintln!(
        "the release is recorded in .git/xtask-release/journal.json: continue it with `cargo xtask release --resume` \
         (nothing is published twice), or see what is public and drop it with `--abandon`"
    );
}

/// After a crash in the write step, HEAD is still the base commit and some of
/// the files the release writes may be half-written: they are restored from
/// HEAD (they were clean when the release started), and a `.git/index.lock`
/// left by a killed `git commit` is removed.
fn restore_interrupted_write(sh: &Shell, root: &Path, git_dir: &str, j: &journal::Journal) -> anyhow::Result<()> {
    if j.release_commit.is_some() || j.step("write").is_none() {
        return Ok(());
    }
    let head = shell::read(cmd!(sh, "git -C {root} rev-parse HEAD"), Code::Git, "check the repository")?;
    if head != j.base_commit {
        return Ok(()); // a commit was made: `execute` adopts or rejects it
    }
    let index_lock = Path::new(git_dir).join("index.lock");
    if index_lock.exists() {
        eprintln!("note: removing .git/index.lock left by the interrupted release commit");
        std::fs::remove_file(&index_lock)?;
    }
    let touched = &j.touched;
    if !touched.is_empty() {
        shell::output(
            cmd!(sh, "git -C {root} checkout HEAD -- {touched...}"),
            Code::Git,
            "restore the files by hand (git checkout HEAD -- FILES), then --resume",
        )?;
    }
    Ok(())
}

fn abandon(state: &Path, existing: Option<journal::Journal>) -> anyhow::Result<()> {
    let Some(j) = existing else {
        return Err(fail(Code::NothingToResume, "no unfinished release is recorded", "nothing to abandon"));
    };
    println!("abandoning the release started at unix time {}. What is public:", j.started_unix);
    for line in j.public_summary() {
        println!("  {line}");
    }
    if let Some(c) = &j.release_commit {
        println!("The release commit {c} and its tags stay in the local repository.");
        println!("`cargo xtask rollback` deletes the tags (and with --yank yanks what a registry can yank);");
        println!("`git reset --hard {}` drops the release commit if it was not pushed.", j.base_commit);
    } else {
        println!("No release commit was made. Files the release may have changed: {}", j.touched.join(", "));
        println!("Restore them with: git checkout HEAD -- {}", j.touched.join(" "));
    }
    // kept as the last release, so that rollback can find its tags
    std::fs::rename(state.join("journal.json"), state.join("last-release.json"))?;
    Ok(())
}

/// Write, tag, publish and push, skipping what the journal says is done.
fn execute(
    sh: &Shell,
    ctx: &Ctx,
    repo: &Repo,
    plan: &Plan,
    journal: Option<&journal::Handle>,
    opts: &Options,
) -> anyhow::Result<()> {
    let root = &repo.root;
    let j = journal.map(journal::Handle::get);
    let tags = write::tags(plan)?;
    let releases: Vec<&Entry> = plan.releases().collect();

    println!("\n== write");
    let done_commit = j.as_ref().and_then(|j| j.release_commit.clone());
    let commit = match done_commit {
        Some(c) => {
            println!("  release commit {c} (from the journal)");
            c
        }
        None => {
            let head = shell::read(cmd!(sh, "git -C {root} rev-parse HEAD"), Code::Git, "check the repository")?;
            let adopted = match &j {
                Some(j) if head != j.base_commit => {
                    // a crash between `git commit` and the journal write
                    let parent =
                        cmd!(sh, "git -C {root} rev-parse HEAD~1").quiet().ignore_status().read().unwrap_or_default();
                    let subject = cmd!(sh, "git -C {root} log -1 --format=%s").quiet().read().unwrap_or_default();
                    if parent != j.base_commit || !subject.starts_with("chore(release): ") {
                        return Err(fail(
                            Code::ResumeMismatch,
                            format!(
                                "HEAD is {head}, neither the release's base {} nor a release commit on it",
                                j.base_commit
                            ),
                            "check out the release's branch as the release left it, or --abandon",
                        ));
                    }
                    println!("  adopting the release commit {head} made before the interruption");
                    Some(head)
                }
                _ => None,
            };
            match adopted {
                Some(c) => {
                    if let Some(h) = journal {
                        h.transition("commit adopted", |j| {
                            j.release_commit = Some(c.clone());
                            j.steps.insert("commit".into(), journal::Step::Done);
                        })?;
                    }
                    c
                }
                None => {
                    let edits = write::compute_edits(repo, plan, true)?;
                    mark(journal, "write", journal::Step::Started)?;
                    write::apply(sh, ctx, repo, plan, &edits)?;
                    mark(journal, "write", journal::Step::Done)?;
                    mark(journal, "commit", journal::Step::Started)?;
                    let c = write::commit(sh, ctx, repo, plan)?;
                    if let Some(h) = journal {
                        h.transition("commit done", |j| {
                            j.release_commit = Some(c.clone());
                            j.steps.insert("commit".into(), journal::Step::Done);
                        })?;
                    }
                    c
                }
            }
        }
    };
    if !j.as_ref().is_some_and(|j| j.step("tags") == Some(journal::Step::Done)) {
        mark(journal, "tags", journal::Step::Started)?;
        write::ensure_tags(sh, ctx, repo, &tags, &commit)?;
        mark(journal, "tags", journal::Step::Done)?;
    }
    let git_dir =
        shell::read(cmd!(sh, "git -C {root} rev-parse --absolute-git-dir"), Code::Git, "check the repository")?;
    let work = journal::state_dir(Path::new(&git_dir)).join(&commit);
    let branch = match &j {
        Some(j) => j.branch.clone(),
        None => {
            shell::read(cmd!(sh, "git -C {root} symbolic-ref --quiet --short HEAD"), Code::Git, "check out a branch")?
        }
    };
    let release = Release { commit, tags, work, branch };

    println!("\n== publish ({} package(s), at most {} at a time)", releases.len(), opts.jobs.max(1));
    let graph = repo.graph()?;
    let outcomes = publish::run(ctx, repo, &graph, plan, &release, opts.jobs.max(1), journal)?;

    println!("\n== push");
    let no_push = j.as_ref().map_or(opts.no_push, |j| j.no_push) || opts.no_push;
    if !j.as_ref().is_some_and(|j| j.step("push") == Some(journal::Step::Done)) {
        mark(journal, "push", journal::Step::Started)?;
        push(sh, ctx, repo, &release, no_push)?;
        mark(journal, "push", journal::Step::Done)?;
    }

    println!("\n== summary");
    for (e, outcome) in releases.iter().zip(&outcomes) {
        println!("  {} {} ({}): {}", e.name, e.next_version.as_deref().unwrap_or(""), e.ecosystem.as_str(), outcome);
    }
    if let Some(h) = journal {
        h.finish()?;
        let _ = std::fs::remove_dir_all(&release.work);
    }
    println!(
        "{} {} package(s)",
        if ctx.dry_run { "dry run complete: would release" } else { "released" },
        releases.len()
    );
    Ok(())
}

fn mark(journal: Option<&journal::Handle>, step: &str, state: journal::Step) -> anyhow::Result<()> {
    match journal {
        Some(h) => h.step(step, state),
        None => Ok(()),
    }
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
        cmd!(sh, "git -C {root} -c core.hooksPath=/dev/null push --atomic --no-verify --quiet {remote} {refs...}"),
        Code::PushFailed,
        "the packages are published; merge the remote branch (git pull --no-rebase, which keeps the tagged release commit), then `cargo xtask release --resume` pushes the branch and tags",
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
    // the URL as configured (`remote get-url` would apply insteadOf rewrites)
    let key = format!("remote.{remote}.url");
    let url = cmd!(sh, "git -C {root} config --get {key}").quiet().read().unwrap_or_default();
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
