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
        // what to do after the push; a dry run pushes nothing to come back to
        ctx.quietly(|| {
            println!("  after pushing, make them by hand:");
            for r in &releases {
                println!("    {}: {}", r.tag, target.links().new_release(&r.tag, &r.name, r.prerelease));
            }
            Ok(())
        })?;
        return Ok(());
    }
    let connection = forge::connect_env(target.clone());
    let calls = Calls { target: &target, releases: &releases, token: matches!(connection, Connection::Ready(_)) };
    ctx.effect(calls, || create(h, connection, &releases, kind))
}

/// Makes each release (one that exists is left alone), journaling the ones
/// made; without a token, tells the person how to make them.
fn create(h: &Handle, connection: Connection, releases: &[NewRelease], kind: &str) -> anyhow::Result<()> {
    let client = match connection {
        Connection::Ready(c) => c,
        Connection::NoToken(manual) => {
            print!("  {}", manual.instructions(releases));
            return Ok(());
        }
    };
    for r in releases {
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

/// The forge calls of the releases, as a dry run shows them.
struct Calls<'a> {
    target: &'a ForgeTarget,
    releases: &'a [NewRelease],
    token: bool,
}

impl std::fmt::Display for Calls<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (target, vars) = (self.target, self.target.kind.token_vars().join(" or "));
        let token = if self.token { "set" } else { "not set" };
        write!(f, "make {} releases on {} (token from {vars}: {token}):", target.kind.title(), target.repository)?;
        for r in self.releases {
            write!(f, "\n  {} `{}`{}:", r.tag, r.name, if r.prerelease { " (pre-release)" } else { "" })?;
            for call in target.create_calls(&r.tag) {
                write!(f, "\n    would {call}")?;
            }
        }
        Ok(())
    }
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
