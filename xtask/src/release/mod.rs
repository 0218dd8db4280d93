//! `release`: preflight → write (versions, requirements, lockfiles, commit,
//! tags) → publish each package in dependency order → push → forge releases.
//!
//! It executes exactly the plan `plan` prints for the same arguments. Every
//! mode walks the same code: a dry run, a fresh release and a resume all call
//! `execute` with a `Ctx` (run or print) and a journal `Handle` (on disk, or in
//! memory for a dry run). No branch of this module decides to act on its own:
//! whether an effect happens is decided in one place, `shell::Ctx`.

mod announce;
mod artifacts;
mod cargo;
mod cargo_upload;
mod credentials;
mod journal;
mod lock;
mod pace;
mod preflight;
mod problem;
mod progress;
mod publish;
pub use publish::{add_worktree, forget_worktree};
mod push;
mod python;
pub mod record;
mod recorded;
pub mod rollback;
mod schedule;
mod smoke;
mod summary;
mod wheel;
pub mod write;
mod zip;

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use xshell::{cmd, Shell};

use crate::edits::Show;
use crate::error::{fail, Code};
use crate::git;
use crate::plan::{self, Entry, Plan};
use crate::repo::Repo;
use crate::shell::{self, Ctx, Mode};
use crate::version::Version;
use crate::workspace::PackageId;
use journal::{GlobalStep, Handle, Journal, Step};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub plan: plan::Options,
    pub mode: Mode,
    /// `--jobs`; `None` when not given (4).
    pub jobs: Option<usize>,
    pub yes: bool,
    pub no_push: bool,
    /// With `--dry-run`: do not contact registries in preflight.
    pub offline: bool,
    /// Continue the release the journal records.
    pub resume: bool,
    /// Drop the unfinished release's journal, saying what is public.
    pub abandon: bool,
    /// Take over a lock from another host (or one that cannot be read).
    pub clear_stale_lock: bool,
    /// `--stage`: make the recorded release commit and push it, publish nothing.
    pub stage: bool,
    /// `--artifacts DIR`: the native packages' files a CI matrix built.
    pub artifacts: Option<PathBuf>,
}

impl Options {
    pub fn jobs(&self) -> usize {
        self.jobs.unwrap_or(4).max(1)
    }
}

/// `release`: loads the repository itself, because a resume first restores
/// files an interrupted write step may have left half-written.
pub fn run(sh: &Shell, root: Option<&Path>, config: Option<&Path>, opts: &Options) -> anyhow::Result<()> {
    let root = Repo::locate(root)?;
    let state = journal::state_dir(&git::git_dir(sh, &root)?);
    let existing = Handle::load(&state)?;
    let ctx = Ctx::new(opts.mode, root.clone());
    if opts.abandon {
        return abandon(sh, &ctx, &state, existing, opts);
    }
    if opts.resume {
        let Some(j) = existing else {
            return Err(fail(
                Code::NothingToResume,
                "no unfinished release is recorded",
                "start one with `cargo xtask release`",
            ));
        };
        return resume(sh, &ctx, &state, j, config, opts);
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
    fresh(sh, &ctx, &state, config, opts)
}

fn dry_run_banner(ctx: &Ctx, what: &str) {
    let banner =
        format!("\ndry run: nothing is written, published or pushed; these are the commands and files of {what}\n\n");
    print!("{}", ctx.mode.pick(banner.as_str(), ""));
}

/// A new release: plan, preflight, confirm, lock, journal, execute.
fn fresh(sh: &Shell, ctx: &Ctx, state: &Path, config: Option<&Path>, opts: &Options) -> anyhow::Result<()> {
    let repo = Repo::load(Some(&ctx.root), config)?;
    if let Some(active) = record::active(sh, &repo)? {
        return recorded::run(sh, ctx, state, &repo, active, opts);
    }
    if let Some(dir) = &opts.artifacts {
        return Err(fail(
            Code::NotStaged,
            format!("--artifacts {}: HEAD carries no staged release (no {} whose tags are missing)", dir.display(), record::PATH),
            "check out the staged release commit the matrix built from, or stage one with `cargo xtask release --stage`",
        ));
    }
    let (_, plan) = repo.plan(sh, &opts.plan)?;
    print!("{}", plan::render_table(&plan));
    let releases = plan.releases().count();
    if releases == 0 {
        println!("\nnothing to release");
        return lock::clear_if_gone(ctx, state);
    }
    dry_run_banner(ctx, "a real release");
    println!("== preflight");
    let problems = preflight::run(sh, &repo, &plan, opts)?;
    let mut stop = preflight::report(ctx, &problems)?;
    if let Some(e) = estimate(sh, &repo, &plan, opts.jobs()) {
        println!("estimate: {e}");
    }
    ctx.quietly(|| confirm(opts.yes, releases))?;
    let lock = take_lock(ctx, state, opts.clear_stale_lock, &mut stop)?;
    let root = &repo.root;
    let changelog = repo.changelog(sh, &plan)?;
    let touched = plan.files.clone();
    let journal = Journal {
        format: journal::FORMAT,
        started_unix: journal::now_unix(),
        base_commit: git::head(sh, root)?,
        // a detached HEAD is a preflight problem; a dry run goes on to show the rest
        branch: ctx.mode.pick_with(
            || Ok(git::branch(sh, root).unwrap_or_else(|| "HEAD".into())),
            || git::require_branch(sh, root),
        )?,
        plan: plan.clone(),
        no_push: opts.no_push,
        touched,
        release_commit: None,
        tags: write::tags(&plan)?,
        changelog,
        forge_releases: vec![],
        prebuilt: Default::default(),
        steps: Default::default(),
        packages: Default::default(),
        finished: false,
    };
    // a dry run's journal lives in memory
    let handle = Handle::create(ctx.mode.pick(None, Some(state)), journal)?;
    let result = execute(sh, ctx, state, &repo, &plan, &handle, opts);
    drop(lock);
    finish(ctx, result, stop)
}

/// Continues the release the journal records, in whatever state a crash or a
/// failure left it. A lock whose holder is gone is taken over.
fn resume(
    sh: &Shell,
    ctx: &Ctx,
    state: &Path,
    j: Journal,
    config: Option<&Path>,
    opts: &Options,
) -> anyhow::Result<()> {
    let mut stop = None;
    let lock = take_lock(ctx, state, opts.clear_stale_lock, &mut stop)?;
    println!(
        "resuming the release started at unix time {} from {}",
        j.started_unix,
        &j.base_commit[..12.min(j.base_commit.len())]
    );
    dry_run_banner(ctx, "finishing it");
    restore_interrupted_write(sh, ctx, &j)?;
    let repo = Repo::load(Some(&ctx.root), config)?;
    let plan = j.plan.clone();
    print!("{}", plan::render_table(&plan));
    let handle = Handle::resume(ctx.mode.pick(None, Some(state)), j);
    let result = execute(sh, ctx, state, &repo, &plan, &handle, opts);
    drop(lock);
    finish(ctx, result, stop)
}

/// The end of a release or resume: a failure points at `--resume`; a dry run
/// that found a reason a real run would stop reports it last.
fn finish(ctx: &Ctx, result: anyhow::Result<()>, stop: Option<anyhow::Error>) -> anyhow::Result<()> {
    if let Err(err) = result {
        // a dry run recorded nothing
        ctx.quietly(|| {
            eprintln!(
                "the release is recorded in .git/xtask-release/journal.json: continue it with `cargo xtask release --resume` \
                 (nothing is published twice), or see what is public and drop it with `--abandon`"
            );
            Ok(())
        })?;
        return Err(err);
    }
    match stop {
        Some(err) => {
            println!("\ndry run complete; a real run would have stopped earlier, for this reason:");
            Err(err)
        }
        None => Ok(()),
    }
}

/// Takes the release lock; a dry run only says what a real run would find.
/// A reason a real run would stop is kept in `stop` and the dry run goes on.
fn take_lock(
    ctx: &Ctx,
    state: &Path,
    clear_stale: bool,
    stop: &mut Option<anyhow::Error>,
) -> anyhow::Result<Option<lock::Lock>> {
    // a dry run takes no lock: it says what a real run would find
    let lock = ctx.mode.pick_with(
        || lock_seen(state, clear_stale, stop).map(|()| None),
        || lock::Lock::acquire(state, clear_stale).map(Some),
    )?;
    // what a killed release left running is stopped before anything is touched
    shell::stop_left_behind(ctx, state)?;
    ctx.quietly(|| {
        shell::track_children(state);
        Ok(())
    })?;
    Ok(lock)
}

/// What a dry run says of the release lock, and the reason a real run would
/// stop there, kept in `stop`.
fn lock_seen(state: &Path, clear_stale: bool, stop: &mut Option<anyhow::Error>) -> anyhow::Result<()> {
    let holder = lock::inspect(state)?;
    let (line, blocks) = match &holder {
        lock::Holder::Free => ("would take the release lock".to_string(), false),
        lock::Holder::Gone(_) => (format!("{}: would take it over", lock::describe(&holder)), false),
        lock::Holder::OtherHost(_) | lock::Holder::Unreadable if clear_stale => {
            (format!("{}: would clear it (--clear-stale-lock)", lock::describe(&holder)), false)
        }
        _ => (lock::describe(&holder), true),
    };
    println!("  {line}");
    if blocks && stop.is_none() {
        *stop = Some(fail(Code::Locked, lock::describe(&holder), "wait for it to finish, or see --clear-stale-lock"));
    }
    Ok(())
}

/// After a crash in the write step, HEAD is still the base commit and some of
/// the files the release writes may be half-written: they are restored from
/// HEAD (they were clean when the release started), and a `.git/index.lock`
/// left by a killed `git commit` is removed.
fn restore_interrupted_write(sh: &Shell, ctx: &Ctx, j: &Journal) -> anyhow::Result<()> {
    if j.release_commit.is_some() || j.step(GlobalStep::Write).is_none() {
        return Ok(());
    }
    let root = &ctx.root;
    let mut written: Vec<PathBuf> = j.touched.iter().map(|rel| root.join(rel)).collect();
    written.push(git::git_dir(sh, root)?.join("xtask-release/journal.json"));
    remove_temp_files(ctx, &written)?;
    if git::head(sh, root)? != j.base_commit {
        return Ok(()); // a commit was made: `execute` adopts or rejects it
    }
    let index_lock = git::git_dir(sh, root)?.join("index.lock");
    if index_lock.exists() {
        ctx.remove_file(&index_lock, "left by the interrupted release commit")?;
    }
    // files HEAD has are checked out again; files the write step created
    // (a first changelog) are taken out of the index and deleted
    let at_head = git::tracked(sh, root, &j.touched)?;
    let (tracked, created): (Vec<&String>, Vec<&String>) = j.touched.iter().partition(|t| at_head.contains(*t));
    if !tracked.is_empty() {
        ctx.exec(
            cmd!(sh, "git -C {root} checkout HEAD -- {tracked...}"),
            Code::Git,
            "restore the files by hand (git checkout HEAD -- FILES), then --resume",
        )?;
    }
    if !created.is_empty() {
        ctx.exec(
            cmd!(sh, "git -C {root} rm --cached --quiet --ignore-unmatch -- {created...}"),
            Code::Git,
            "unstage the files by hand (git rm --cached FILES), then --resume",
        )?;
        for rel in j.touched.iter().filter(|rel| !at_head.contains(*rel) && root.join(rel).exists()) {
            ctx.remove_file(&root.join(rel), "created by the interrupted write step")?;
        }
    }
    Ok(())
}

/// The temporary files a kill inside an atomic write left beside the files
/// the write step writes (`STEM.xtask-tmp-PID`, `shell::temp_file`).
fn remove_temp_files(ctx: &Ctx, written: &[PathBuf]) -> anyhow::Result<()> {
    for path in written {
        let (Some(dir), Some(stem)) = (path.parent(), path.file_stem().and_then(|s| s.to_str())) else { continue };
        let prefix = format!("{stem}.{}", shell::TEMP_MARK);
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let ours = name
                .to_str()
                .and_then(|n| n.strip_prefix(&prefix))
                .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
            if ours {
                ctx.remove_file(&entry.path(), "left by a write the interruption cut short")?;
            }
        }
    }
    Ok(())
}

fn abandon(sh: &Shell, ctx: &Ctx, state: &Path, existing: Option<Journal>, opts: &Options) -> anyhow::Result<()> {
    let Some(j) = existing else {
        return Err(fail(Code::NothingToResume, "no unfinished release is recorded", "nothing to abandon"));
    };
    let mut stop = None;
    let lock = take_lock(ctx, state, opts.clear_stale_lock, &mut stop)?;
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
    ctx.rename(&state.join("journal.json"), &state.join("last-release.json"), "the journal becomes the last release")?;
    // nothing resumes it: its worktree (registered with git) and artifacts go
    if let Some(c) = j.release_commit.as_deref().filter(|c| state.join(c).exists()) {
        let work = state.join(c);
        publish::forget_worktree(sh, ctx, &ctx.root, &work.join("tree"))?;
        ctx.remove_dir_all(&work, "the abandoned release's tree and artifacts")?;
    }
    drop(lock);
    finish(ctx, Ok(()), stop)
}

/// Write, tag, publish and push, skipping what the journal says is done.
fn execute(
    sh: &Shell,
    ctx: &Ctx,
    state: &Path,
    repo: &Repo,
    plan: &Plan,
    h: &Handle,
    opts: &Options,
) -> anyhow::Result<()> {
    let j = h.get();
    let releases: Vec<&Entry> = plan.releases().collect();
    println!("\n== write");
    let commit = release_commit(sh, ctx, repo, plan, h, &j)?;
    let tags = write::tags(plan)?;
    if j.step(GlobalStep::Tags) != Some(Step::Done) {
        h.step(GlobalStep::Tags, Step::Started)?;
        write::ensure_tags(sh, ctx, repo, &tags, &commit)?;
        h.step(GlobalStep::Tags, Step::Done)?;
    }
    let work = state.join(&commit);
    let release = Release { commit, tags, work, branch: j.branch.clone(), prebuilt: j.prebuilt.clone() };

    println!("\n== publish ({} package(s), at most {} at a time)", releases.len(), opts.jobs());
    let graph = repo.graph()?;
    let outcomes = publish::run(ctx, repo, &graph, plan, &release, opts.jobs(), h)?;

    println!("\n== push");
    if j.step(GlobalStep::Push) != Some(Step::Done) {
        h.step(GlobalStep::Push, Step::Started)?;
        push::push(sh, ctx, repo, &release, j.no_push || opts.no_push)?;
        h.step(GlobalStep::Push, Step::Done)?;
    }

    println!("\n== forge releases");
    if j.step(GlobalStep::Forge) != Some(Step::Done) {
        h.step(GlobalStep::Forge, Step::Started)?;
        announce::run(sh, ctx, repo, &release, h, j.no_push || opts.no_push)?;
        h.step(GlobalStep::Forge, Step::Done)?;
    }

    println!("\n== summary");
    for (e, outcome) in releases.iter().zip(&outcomes) {
        println!("  {} {} ({}): {}", e.name, e.next_version.as_deref().unwrap_or(""), e.ecosystem.as_str(), outcome);
    }
    if let Some(file) = crate::ci::step_summary() {
        let md = summary::markdown(&repo.config, plan, &outcomes);
        ctx.effect("append the plan and what was published to the job summary ($GITHUB_STEP_SUMMARY)", || {
            summary::append(&file, &md)
        })?;
    }
    h.finish()?;
    publish::forget_worktree(sh, ctx, &repo.root, &release.work.join("tree"))?;
    ctx.remove_dir_all(&release.work, "the exported tree and artifacts of the finished release")?;
    println!("{} {} package(s)", ctx.mode.pick("dry run complete: would release", "released"), releases.len());
    Ok(())
}

/// The release commit: from the journal, adopted after a crash right after
/// `git commit`, or made now (write step, then commit).
fn release_commit(sh: &Shell, ctx: &Ctx, repo: &Repo, plan: &Plan, h: &Handle, j: &Journal) -> anyhow::Result<String> {
    let root = &repo.root;
    if let Some(c) = &j.release_commit {
        println!("  release commit {c} (from the journal)");
        return Ok(c.clone());
    }
    let head = git::head(sh, root)?;
    if head != j.base_commit {
        // a crash between `git commit` and the journal write
        let parent = git::resolve(sh, root, "HEAD~1").unwrap_or_default();
        let subject = git::subject(sh, root, "HEAD").unwrap_or_default();
        if parent != j.base_commit || !subject.starts_with("chore(release): ") {
            return Err(fail(
                Code::ResumeMismatch,
                format!("HEAD is {head}, neither the release's base {} nor a release commit on it", j.base_commit),
                "check out the release's branch as the release left it, or --abandon",
            ));
        }
        println!("  adopting the release commit {head} made before the interruption");
        h.transition("commit adopted", |j| {
            j.release_commit = Some(head.clone());
            j.steps.insert(GlobalStep::Commit, Step::Done);
        })?;
        return Ok(head);
    }
    let show = ctx.mode.pick(Show::Sections, Show::Changes);
    let edits = crate::edits::compute_edits(repo.tree(), plan, &j.changelog, show)?.placed()?;
    let created: Vec<String> =
        edits.iter().filter(|(rel, _)| !root.join(rel).exists()).map(|(r, _)| r.clone()).collect();
    h.step(GlobalStep::Write, Step::Started)?;
    let armed = shell::failpoints("write");
    write::apply(sh, ctx, repo, plan, &edits)?;
    h.step(GlobalStep::Write, Step::Done)?;
    h.step(GlobalStep::Commit, Step::Started)?;
    let c = write::commit(sh, ctx, repo, plan, &created)?;
    drop(armed);
    h.transition("commit done", |j| {
        j.release_commit = Some(c.clone());
        j.steps.insert(GlobalStep::Commit, Step::Done);
    })?;
    Ok(c)
}

/// Preflight and the confirmation as a release runs them, for `release
/// --stage`: the reason a real run stops there is returned (a dry run goes on
/// and reports it last).
pub fn preflight_stage(
    sh: &Shell,
    ctx: &Ctx,
    repo: &Repo,
    plan: &Plan,
    opts: &Options,
) -> anyhow::Result<Option<anyhow::Error>> {
    println!("== preflight");
    let problems = preflight::run(sh, repo, plan, opts)?;
    let stop = preflight::report(ctx, &problems)?;
    if let Some(e) = estimate(sh, repo, plan, opts.jobs()) {
        println!("estimate of the publishing: {e}");
    }
    ctx.quietly(|| confirm(opts.yes, plan.releases().count()))?;
    Ok(stop)
}

/// The plan's estimate with `jobs` slots, each package's work as long as in
/// the last release made here where it took part (`Journal::last_durations`).
pub fn estimate(sh: &Shell, repo: &Repo, plan: &Plan, jobs: usize) -> Option<crate::plan::Estimate> {
    // a plain clone's .git is its git folder: no git call for it
    let dot_git = repo.root.join(".git");
    let git_dir = if dot_git.is_dir() { Ok(dot_git) } else { git::git_dir(sh, &repo.root) };
    let measured = git_dir.map(|d| Handle::last_durations(&journal::state_dir(&d)));
    crate::plan::estimate_with(plan, &repo.config, jobs, &measured.unwrap_or_default())
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
    stdin.lock().read_line(&mut answer).map_err(|e| {
        fail(Code::Confirmation, format!("reading the answer: {e}"), "answer `y` to release, or pass --yes")
    })?;
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
    /// Packages built on the CI matrix (`--artifacts`): their checked files.
    pub prebuilt: std::collections::BTreeMap<String, Vec<PathBuf>>,
}

/// The versions every package has in the release commit: next for released
/// ones, current for the rest.
pub fn release_versions(repo: &Repo, plan: &Plan) -> HashMap<PackageId, Version> {
    // by identity: a crate and a Python package may share a name (and release together)
    let planned: HashMap<PackageId, &Version> =
        plan.packages.iter().filter_map(|e| Some((e.id(), e.next.as_ref()?))).collect();
    (0..repo.ws.packages.len())
        .filter_map(|i| {
            let id = repo.ws.package_id(i);
            let v = planned.get(&id).map(|v| (*v).clone()).or_else(|| repo.ws.packages[i].version.clone())?;
            Some((id, v))
        })
        .collect()
}
