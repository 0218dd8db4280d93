//! `rollback`: undo what can be undone of the last release. Its tags go,
//! locally and on the remote; a GitHub release made with `gh` goes; with
//! `--yank`, crates are yanked (`cargo yank`), and for what a registry cannot
//! yank the person is told what to do. The release commit stays in history:
//! `git revert` it if the version bumps must go too.

use std::path::Path;

use xshell::{cmd, Shell};

use super::journal::{self, Journal};
use super::Ctx;
use crate::error::{fail, Code};
use crate::repo::Repo;
use crate::shell;
use crate::version::Ecosystem;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dry_run: bool,
    pub yank: bool,
}

pub fn run(sh: &Shell, root: Option<&Path>, config: Option<&Path>, opts: &Options) -> anyhow::Result<()> {
    let repo = Repo::load(root, config)?;
    let root = &repo.root;
    let git_dir =
        shell::read(cmd!(sh, "git -C {root} rev-parse --absolute-git-dir"), Code::Git, "check the repository")?;
    let state = journal::state_dir(Path::new(&git_dir));
    let record = last_release(&state)?;
    let Some(j) = record else {
        return Err(fail(
            Code::NothingToResume,
            "no release is recorded in .git/xtask-release (last-release.json or journal.json)",
            "delete tags by hand: git tag -d TAG && git push REMOTE --delete refs/tags/TAG",
        ));
    };
    let ctx = Ctx { dry_run: opts.dry_run, root: root.clone() };
    let _lock = if opts.dry_run { None } else { Some(journal::Lock::acquire(&state, false)?) };
    let remote = &repo.config.remote;
    println!("rolling back the release of {}", j.tags.join(", "));
    if opts.dry_run {
        println!("dry run: nothing is deleted or yanked\n");
    }

    // tags: local, then remote (only those that are there)
    let local: Vec<String> = j
        .tags
        .iter()
        .filter(|t| {
            let r = format!("refs/tags/{t}");
            cmd!(sh, "git -C {root} rev-parse --quiet --verify {r}").quiet().ignore_stdout().run().is_ok()
        })
        .cloned()
        .collect();
    if !local.is_empty() {
        ctx.exec(cmd!(sh, "git -C {root} tag -d {local...}"), Code::Git, "delete the tags by hand")?;
    }
    let mut manual: Vec<String> = vec![];
    let remote_exists = cmd!(sh, "git -C {root} remote get-url {remote}").quiet().ignore_stdout().run().is_ok();
    if remote_exists {
        let listed =
            shell::read(cmd!(sh, "git -C {root} ls-remote --tags --refs {remote}"), Code::Git, "check the remote")?;
        let on_remote: Vec<String> = j
            .tags
            .iter()
            .filter(|t| listed.lines().any(|l| l.ends_with(&format!("\trefs/tags/{t}"))))
            .map(|t| format!("refs/tags/{t}"))
            .collect();
        if !on_remote.is_empty() {
            ctx.exec(
                cmd!(sh, "git -C {root} -c core.hooksPath=/dev/null push --atomic --no-verify --quiet {remote} --delete {on_remote...}"),
                Code::PushFailed,
                "delete the remote tags by hand: git push REMOTE --delete refs/tags/TAG",
            )?;
        }
        forge_delete(sh, &ctx, &repo, &j, &mut manual);
    }

    if opts.yank {
        for e in j.plan.releases() {
            let version = e.next_version.clone().unwrap_or_default();
            let name = &e.name;
            match e.ecosystem {
                Ecosystem::Cargo => {
                    let registry: Vec<String> =
                        repo.config.cargo_registry.iter().flat_map(|r| ["--registry".to_string(), r.clone()]).collect();
                    let result = ctx.exec(
                        cmd!(sh, "cargo yank --quiet --version {version} {registry...} {name}"),
                        Code::Tool,
                        "yank by hand",
                    );
                    if let Err(err) = result {
                        manual.push(format!(
                            "{name} {version}: the cargo registry refused the yank ({}); yank it where the registry allows, or ask its operators",
                            crate::config::one_line(&format!("{err}"))
                        ));
                    }
                }
                Ecosystem::Python => manual.push(format!(
                    "{name} {version}: Python indexes have no yank API for uploads; yank it (PEP 592) in {}'s web interface, or delete the files where the index allows",
                    repo.config.python_index_url
                )),
            }
        }
    } else {
        println!("versions stay on their registries (pass --yank to yank what can be yanked)");
    }
    if let Some(c) = &j.release_commit {
        println!("the release commit {c} stays in history: `git revert {c}` undoes its version bumps");
    }
    if !opts.dry_run {
        let from = if state.join("journal.json").exists() { "journal.json" } else { "last-release.json" };
        std::fs::rename(state.join(from), state.join(format!("rolled-back-{}.json", journal::now_unix())))?;
    }
    if !manual.is_empty() {
        eprintln!("left for you to do:");
        for m in &manual {
            eprintln!("  - {m}");
        }
        return Err(fail(
            Code::RollbackIncomplete,
            format!("rollback done except {} step(s) only a person can do (listed above)", manual.len()),
            "do them by hand; the tags are already gone",
        ));
    }
    println!("rollback {}", if opts.dry_run { "dry run complete" } else { "complete" });
    Ok(())
}

/// The last release: an unfinished journal, else `last-release.json`.
fn last_release(state: &Path) -> anyhow::Result<Option<Journal>> {
    if let Some(j) = journal::Handle::load(state)? {
        return Ok(Some(j));
    }
    let path = state.join("last-release.json");
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
    let mut j: Journal = serde_json::from_str(&text).map_err(|e| {
        fail(Code::JournalInvalid, format!("{} cannot be read: {e}", path.display()), "delete the tags by hand")
    })?;
    j.plan.reparse();
    Ok(Some(j))
}

fn forge_delete(sh: &Shell, ctx: &Ctx, repo: &Repo, j: &Journal, manual: &mut Vec<String>) {
    let root = &repo.root;
    let remote = &repo.config.remote;
    // the URL as configured (`remote get-url` would apply insteadOf rewrites)
    let key = format!("remote.{remote}.url");
    let url = cmd!(sh, "git -C {root} config --get {key}").quiet().read().unwrap_or_default();
    if !url.contains("github.com") {
        return;
    }
    if cmd!(sh, "gh --version").quiet().ignore_stdout().run().is_err() {
        manual.push("delete the GitHub releases of these tags (gh is not installed)".into());
        return;
    }
    let _dir = sh.push_dir(root);
    for t in &j.tags {
        if ctx.exec(cmd!(sh, "gh release delete {t} --yes"), Code::Tool, "delete it on GitHub").is_err() {
            manual.push(format!("delete the GitHub release {t}"));
        }
    }
}
