//! The forge releases: one per tag of the release, made through the forge's
//! REST API (`crate::forge`) after the push, with the changelog sections the
//! journal holds as notes. A release that exists for a tag is left alone, so a
//! resume never makes two; the tags whose release this run created are
//! journaled for `rollback`. Without a token the release still completes and
//! the person is told how to make them afterwards.

use xshell::Shell;

use super::journal::Handle;
use super::Release;
use crate::changelog::{self, Section};
use crate::forge::{self, Connection, Created, ForgeTarget, NewRelease};
use crate::repo::Repo;
use crate::shell::Ctx;

pub fn run(sh: &Shell, ctx: &Ctx, repo: &Repo, release: &Release, h: &Handle, no_push: bool) -> anyhow::Result<()> {
    let Some(target) = repo.forge(sh)? else {
        println!("  no forge releases: the remote's host is not a known forge and [forge] does not name one");
        return Ok(());
    };
    let j = h.get();
    let releases = new_releases(&target, &release.tags, &j.changelog, j.plan.umbrella_tag.as_deref());
    let kind = target.kind.title();
    if no_push {
        println!("  no {kind} releases: the tags were not pushed (--no-push)");
        if !ctx.dry_run {
            println!("  after pushing, make them by hand:");
            for r in &releases {
                println!("    {}: {}", r.tag, target.links().new_release(&r.tag, &r.name, r.prerelease));
            }
        }
        return Ok(());
    }
    if ctx.dry_run {
        let token = matches!(forge::connect_env(target.clone()), Connection::Ready(_));
        let vars = target.kind.token_vars().join(" or ");
        println!(
            "  {kind} releases on {} (token from {vars}: {})",
            target.repository,
            if token { "set" } else { "not set" }
        );
        for r in &releases {
            println!("  {} `{}`{}:", r.tag, r.name, if r.prerelease { " (pre-release)" } else { "" });
            for call in target.create_calls(&r.tag) {
                println!("    would {call}");
            }
        }
        return Ok(());
    }
    let client = match forge::connect_env(target) {
        Connection::Ready(c) => c,
        Connection::NoToken(manual) => {
            print!("  {}", manual.instructions(&releases));
            return Ok(());
        }
    };
    for r in &releases {
        match client.create(r)? {
            Created::Created(made) => {
                h.transition("forge release created", |j| j.forge_releases.push(r.tag.clone()))?;
                println!("  created the {kind} release {}: {}", r.tag, made.url.as_deref().unwrap_or(""));
            }
            Created::Existed(_) => println!("  the {kind} release {} exists: left as it is", r.tag),
        }
    }
    Ok(())
}

/// A release per tag: a package's tag gets its changelog section as notes, the
/// umbrella tag the notes of every package.
pub fn new_releases(
    target: &ForgeTarget,
    tags: &[String],
    sections: &[Section],
    umbrella: Option<&str>,
) -> Vec<NewRelease> {
    let links = target.links();
    let mut out = vec![];
    for tag in tags {
        if Some(tag.as_str()) == umbrella {
            out.push(NewRelease {
                tag: tag.clone(),
                name: tag.clone(),
                body: changelog::umbrella_notes(sections),
                prerelease: sections.iter().any(|s| s.prerelease),
                changelog_url: None,
            });
        } else if let Some(s) = sections.iter().find(|s| s.tag.as_deref() == Some(tag.as_str())) {
            out.push(NewRelease {
                tag: tag.clone(),
                name: format!("{} {}", s.package, s.version),
                body: changelog::release_notes(s),
                prerelease: s.prerelease,
                changelog_url: Some(links.file(tag, &s.path)),
            });
        } else {
            out.push(NewRelease {
                tag: tag.clone(),
                name: tag.clone(),
                body: format!("Release {tag}"),
                prerelease: false,
                changelog_url: None,
            });
        }
    }
    out
}
