//! The release commit of a release pull request, made in a temporary worktree
//! of HEAD (`.git/xtask-release/pr-worktree`) so that the checkout, its index
//! and its branch stay as they are. A worktree a killed run left is removed
//! first; the commit object stays in the repository for the push.

use std::path::Path;

use xshell::{cmd, Shell};

use crate::changelog::Section;
use crate::edits::{self, Show};
use crate::error::Code;
use crate::git;
use crate::plan::Plan;
use crate::release::{record, write};
use crate::repo::Repo;
use crate::shell::Ctx;

/// Makes the release commit on `base` and returns it (a placeholder in a dry run).
pub fn release_commit(
    sh: &Shell,
    ctx: &Ctx,
    repo: &Repo,
    plan: &Plan,
    sections: &[Section],
    record: &record::Record,
    base: &str,
) -> anyhow::Result<String> {
    let root = &repo.root;
    let git_dir = git::git_dir(sh, root)?;
    let wt = git_dir.join("xtask-release/pr-worktree");
    remove_left_behind(sh, ctx, root, &git_dir, &wt)?;
    // hooks off: a post-checkout hook must not hang or alter the release
    let write = git::WRITE;
    ctx.exec(
        cmd!(sh, "git -C {root} {write...} worktree add --detach --quiet {wt} {base}"),
        Code::Git,
        "check that .git/xtask-release/pr-worktree can be made",
    )?;
    let made = fill_and_commit(sh, ctx, repo, plan, sections, record, &wt);
    let removed = remove(sh, ctx, root, &wt);
    let commit = made?;
    removed?;
    Ok(commit)
}

/// The edits, the lockfiles and the record written into the worktree, and the commit.
fn fill_and_commit(
    sh: &Shell,
    ctx: &Ctx,
    repo: &Repo,
    plan: &Plan,
    sections: &[Section],
    record: &record::Record,
    wt: &Path,
) -> anyhow::Result<String> {
    let show = ctx.mode.pick(Show::Sections, Show::Changes);
    let edits = edits::compute_edits(repo.tree(), plan, sections, show)?.placed()?;
    // paths shown relative to the worktree, as they are in the commit
    let wctx = Ctx::new(ctx.mode, wt.to_path_buf());
    write::apply_in(sh, &wctx, wt, repo, plan, &edits)?;
    let file = wt.join(record::PATH);
    let dir = file.parent().expect("the record is in a folder").to_path_buf();
    wctx.effect(format_args!("create the folder {}", dir.display()), || {
        std::fs::create_dir_all(&dir).map_err(|e| crate::shell::fs::error("create", &dir, e))
    })?;
    wctx.write(&file, record.to_text().as_bytes(), "the recorded release")?;
    wctx.exec(cmd!(sh, "git -C {wt} add -A"), Code::Git, "check the worktree")?;
    let message = write::message(plan);
    let write = git::WRITE;
    wctx.exec(
        cmd!(sh, "git -C {wt} {write...} commit --quiet --no-verify -m {message}"),
        Code::Git,
        "check your git identity (user.name, user.email) and signing configuration",
    )?;
    ctx.mode.pick_with(|| Ok("RELEASE_COMMIT".to_string()), || git::head(sh, wt))
}

/// What a killed run left: the worktree's folder, or git's note of it.
fn remove_left_behind(sh: &Shell, ctx: &Ctx, root: &Path, git_dir: &Path, wt: &Path) -> anyhow::Result<()> {
    if wt.exists() {
        return remove(sh, ctx, root, wt);
    }
    if git_dir.join("worktrees/pr-worktree").exists() {
        ctx.exec(cmd!(sh, "git -C {root} worktree prune"), Code::Git, "run `git worktree prune` by hand")?;
    }
    Ok(())
}

fn remove(sh: &Shell, ctx: &Ctx, root: &Path, wt: &Path) -> anyhow::Result<()> {
    ctx.exec(
        cmd!(sh, "git -C {root} worktree remove --force {wt}"),
        Code::Git,
        "remove it by hand: git worktree remove --force .git/xtask-release/pr-worktree",
    )?;
    Ok(())
}
