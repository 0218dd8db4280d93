//! The release branch on the remote: where it is (the push's lease), whether
//! it already holds the release commit (same tree, on the same base: then
//! nothing is pushed), and the force-push with a lease.

use xshell::{cmd, Shell};

use crate::error::{fail, Code};
use crate::git;
use crate::repo::Repo;
use crate::shell::{self, Ctx};

/// The release branch's commit on the remote (the push's lease), `None` when
/// it does not exist yet.
pub fn remote_branch(sh: &Shell, repo: &Repo, branch: &str) -> anyhow::Result<Option<String>> {
    let (root, remote) = (&repo.root, &repo.config.remote);
    let head_ref = format!("refs/heads/{branch}");
    let listed = shell::read(
        cmd!(sh, "git -C {root} ls-remote {remote} {head_ref}").env("GIT_TERMINAL_PROMPT", "0"),
        Code::ReleasePrPush,
        "check that the remote exists and can be reached",
    )?;
    Ok(listed.split_whitespace().next().map(str::to_string))
}

/// Whether the remote's release branch (`remote`, its commit) already is the
/// release `commit` would be: one commit whose only parent is `base`, with
/// the same tree. The commit ids differ (dates), what the branch holds does
/// not. A real run fetches the remote's commit if the clone lacks it; a dry
/// run has no release commit to compare and says what it would compare.
pub fn holds(sh: &Shell, ctx: &Ctx, repo: &Repo, remote: &str, commit: &str, base: &str) -> anyhow::Result<bool> {
    let short = &remote[..12.min(remote.len())];
    let what = format_args!("compare the release commit's tree and parent with {} at {short}", repo.config.pr_branch);
    ctx.effect_or(what, false, || {
        let root = &repo.root;
        if git::resolve(sh, root, remote).is_none() {
            let (name, head_ref) = (&repo.config.remote, format!("refs/heads/{}", repo.config.pr_branch));
            shell::read(
                cmd!(sh, "git -C {root} fetch --quiet --no-tags --no-write-fetch-head {name} {head_ref}")
                    .env("GIT_TERMINAL_PROMPT", "0"),
                Code::ReleasePrPush,
                "check that the remote can be fetched from",
            )?;
        }
        let parents = shell::read(
            cmd!(sh, "git -C {root} rev-list --parents -n 1 {remote}"),
            Code::Git,
            "check the release branch on the remote",
        )?;
        let same_base = parents.split_whitespace().skip(1).eq([base]);
        Ok(same_base && tree(sh, repo, remote)? == tree(sh, repo, commit)?)
    })
}

fn tree(sh: &Shell, repo: &Repo, commit: &str) -> anyhow::Result<String> {
    let (root, spec) = (&repo.root, format!("{commit}^{{tree}}"));
    let tree = shell::probe(cmd!(sh, "git -C {root} rev-parse --quiet --verify {spec}")).filter(|t| !t.is_empty());
    tree.ok_or_else(|| fail(Code::Git, format!("no tree for commit {commit}"), "check the repository: git fsck"))
}

/// Force-pushes `commit` to the release branch, if it still is where it was
/// read (`lease`; `None`: it must not exist).
pub fn push(sh: &Shell, ctx: &Ctx, repo: &Repo, commit: &str, branch: &str, lease: Option<&str>) -> anyhow::Result<()> {
    let (root, remote) = (&repo.root, &repo.config.remote);
    let lease = format!("--force-with-lease=refs/heads/{branch}:{}", lease.unwrap_or(""));
    let refspec = format!("{commit}:refs/heads/{branch}");
    let write = git::WRITE;
    ctx.exec(
        cmd!(sh, "git -C {root} {write...} push --no-verify --quiet {lease} {remote} {refspec}"),
        Code::ReleasePrPush,
        "the release branch moved on the remote since it was read, or cannot be pushed: run release-pr again",
    )?;
    ctx.quietly(|| {
        println!("  pushed {} to {remote} {branch}", &commit[..12.min(commit.len())]);
        Ok(())
    })
}
