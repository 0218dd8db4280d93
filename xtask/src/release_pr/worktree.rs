//! The release commit of a release pull request, made in a temporary worktree
//! of HEAD (`.git/xtask-release/pr-worktree`) so that the checkout, its index
//! and its branch stay as they are. A worktree a killed run left is removed
//! first (`release::add_worktree`); the commit object stays for the push.

use std::path::Path;

use xshell::{cmd, Shell};

use crate::changelog::Section;
use crate::edits::{self, Show};
use crate::error::Code;
use crate::git;
use crate::plan::Plan;
use crate::release::{add_worktree, forget_worktree, record, write};
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
    let wt = git::git_dir(sh, root)?.join("xtask-release/pr-worktree");
    add_worktree(sh, ctx, root, &wt, base)?;
    let made = fill_and_commit(sh, ctx, repo, plan, sections, record, &wt);
    let removed = forget_worktree(sh, ctx, root, &wt);
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
