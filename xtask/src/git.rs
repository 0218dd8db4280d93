//! The git questions the tool asks, one named helper each, all through the
//! runner in `shell` (traced, coded). Commands that change the repository are
//! built where they are used and run through `shell::Ctx`, with `WRITE`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use xshell::{cmd, Shell};

use crate::error::{fail, Code};
use crate::shell;

/// Arguments for every git command that writes (commit, tag, push): hooks off.
/// A release commit only bumps versions; a hook must not hang or alter it, and
/// post-commit/reference-transaction hooks run even with `--no-verify`.
pub const WRITE: [&str; 2] = ["-c", "core.hooksPath=/dev/null"];

/// The commit HEAD points at.
pub fn head(sh: &Shell, root: &Path) -> anyhow::Result<String> {
    shell::read(cmd!(sh, "git -C {root} rev-parse HEAD"), Code::Git, "a release needs a commit to start from")
}

/// The absolute `.git` folder (also for worktrees).
pub fn git_dir(sh: &Shell, root: &Path) -> anyhow::Result<PathBuf> {
    let dir = shell::read(
        cmd!(sh, "git -C {root} rev-parse --absolute-git-dir"),
        Code::NotARepo,
        "pass the repository with --root",
    )?;
    Ok(PathBuf::from(dir))
}

/// The checked-out branch; `None` when HEAD is detached.
pub fn branch(sh: &Shell, root: &Path) -> Option<String> {
    shell::probe(cmd!(sh, "git -C {root} symbolic-ref --quiet --short HEAD"))
}

/// The checked-out branch, or an error saying a release needs one.
pub fn require_branch(sh: &Shell, root: &Path) -> anyhow::Result<String> {
    branch(sh, root).ok_or_else(|| fail(Code::Git, "HEAD is detached", "check out the branch to release from"))
}

/// The commit a tag points at (peeled), `None` when there is no such tag.
pub fn tag_commit(sh: &Shell, root: &Path, tag: &str) -> Option<String> {
    let spec = format!("refs/tags/{tag}^{{commit}}");
    shell::probe(cmd!(sh, "git -C {root} rev-parse --quiet --verify {spec}")).filter(|s| !s.is_empty())
}

/// `rev` resolved to a commit, `None` when it does not exist.
pub fn resolve(sh: &Shell, root: &Path, rev: &str) -> Option<String> {
    let spec = format!("{rev}^{{commit}}");
    shell::probe(cmd!(sh, "git -C {root} rev-parse --quiet --verify {spec}")).filter(|s| !s.is_empty())
}

/// The subject line of a commit.
pub fn subject(sh: &Shell, root: &Path, rev: &str) -> Option<String> {
    shell::probe(cmd!(sh, "git -C {root} log -1 --format=%s {rev}"))
}

/// The remote's URL as configured. `git remote get-url` would apply `insteadOf`
/// rewrites, which hide the forge a URL names.
pub fn remote_url(sh: &Shell, root: &Path, remote: &str) -> Option<String> {
    let key = format!("remote.{remote}.url");
    shell::probe(cmd!(sh, "git -C {root} config --get {key}")).filter(|s| !s.is_empty())
}

/// Which of `paths` (relative to `root`) HEAD has.
pub fn tracked(sh: &Shell, root: &Path, paths: &[String]) -> anyhow::Result<std::collections::HashSet<String>> {
    if paths.is_empty() {
        return Ok(Default::default());
    }
    let out = shell::read(
        cmd!(sh, "git -C {root} ls-tree -r --name-only HEAD -- {paths...}"),
        Code::Git,
        "check the repository",
    )?;
    Ok(out.lines().map(str::to_string).collect())
}

/// Is `ancestor` an ancestor of (or equal to) `rev`? `false` also when git
/// does not know `ancestor` (a remote commit never fetched).
pub fn is_ancestor(sh: &Shell, root: &Path, ancestor: &str, rev: &str) -> bool {
    shell::succeeds(cmd!(sh, "git -C {root} merge-base --is-ancestor {ancestor} {rev}"))
}

/// The folder git keeps a repository's shared state in (`.git`, or a
/// worktree's common folder), found without running git.
fn common_dir(root: &Path) -> Option<PathBuf> {
    let dot = root.ancestors().map(|d| d.join(".git")).find(|d| d.exists())?;
    let dir = if dot.is_dir() {
        dot
    } else {
        let text = std::fs::read_to_string(&dot).ok()?;
        let linked = text.trim().strip_prefix("gitdir:")?.trim().to_string();
        dot.parent()?.join(linked)
    };
    match std::fs::read_to_string(dir.join("commondir")) {
        Ok(common) => Some(dir.join(common.trim())),
        Err(_) => Some(dir),
    }
}

/// Whether the repository is a shallow clone (`git clone --depth`): git lists
/// the commits where its history is cut in `shallow`. Read without running git.
pub fn is_shallow(root: &Path) -> bool {
    common_dir(root).is_some_and(|d| d.join("shallow").exists())
}

/// Whether `remote` is set to fetch no tags (`git clone --no-tags` writes
/// `tagopt = --no-tags` to its section of `.git/config`). Read without running git.
pub fn fetches_no_tags(root: &Path, remote: &str) -> bool {
    let Some(text) = common_dir(root).and_then(|d| std::fs::read_to_string(d.join("config")).ok()) else {
        return false;
    };
    let header = format!("[remote \"{remote}\"]");
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == header;
        } else if inside {
            let setting = line.split_once('=').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim()));
            if setting.is_some_and(|(k, v)| k == "tagopt" && v == "--no-tags") {
                return true;
            }
        }
    }
    false
}

/// The remote's tags as `remote_tags` reads them, or `None` when the remote
/// cannot be read (none, offline, credentials needed: git is told never to
/// ask). For checks that are no reason to stop when the remote is away.
pub fn remote_tags_if_reachable(sh: &Shell, root: &Path, remote: &str) -> Option<HashMap<String, String>> {
    let mut ls = cmd!(sh, "git -C {root} ls-remote --tags {remote}").env("GIT_TERMINAL_PROMPT", "0");
    if std::env::var_os("GIT_SSH_COMMAND").is_none() {
        ls = ls.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    let listed = shell::probe(ls)?;
    Some(parse_ls_remote_tags(&listed))
}

/// Tags on the remote and the commits they point at (peeled), read with
/// `git ls-remote` (no fetch: nothing is written to `.git`).
pub fn remote_tags(sh: &Shell, root: &Path, remote: &str) -> anyhow::Result<HashMap<String, String>> {
    let listed = shell::read(
        cmd!(sh, "git -C {root} ls-remote --tags {remote}"),
        Code::Git,
        "check that the remote exists and can be reached",
    )?;
    Ok(parse_ls_remote_tags(&listed))
}

/// `ls-remote --tags` lines → tag name → commit (a peeled `^{}` line wins).
pub fn parse_ls_remote_tags(listed: &str) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    for line in listed.lines() {
        let Some((sha, name)) = line.split_once('\t') else { continue };
        let Some(name) = name.strip_prefix("refs/tags/") else { continue };
        match name.strip_suffix("^{}") {
            Some(tag) => {
                out.insert(tag.to_string(), sha.to_string());
            }
            None => {
                out.entry(name.to_string()).or_insert_with(|| sha.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peeled_lines_win() {
        let listed = "aaa\trefs/tags/v1\nbbb\trefs/tags/v1^{}\nccc\trefs/tags/light\n";
        let tags = parse_ls_remote_tags(listed);
        assert_eq!(tags["v1"], "bbb");
        assert_eq!(tags["light"], "ccc");
        let reversed = "bbb\trefs/tags/v1^{}\naaa\trefs/tags/v1\n";
        assert_eq!(parse_ls_remote_tags(reversed)["v1"], "bbb");
    }
}
