//! The whole command line in one place: help texts and parsing into `Command`.
//! Unknown commands and flags are usage errors (exit 2) that name the word.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::error::{fail, Code};
use crate::plan::{BumpArg, Options};
use crate::shell::Mode;
use crate::version::{parse_pre, Level};

pub const HELP: &str = "\
xtask-release: release automation for Cargo and uv workspaces

USAGE:
    cargo xtask <COMMAND> [--root DIR] [--config FILE] [OPTIONS]

COMMANDS:
    plan         Show what a release would do: versions, order, reasons
    graph        Show the internal dependency graph
    release      Release: bump, commit, tag, publish in dependency order, push
    rollback     Delete the last release's tags (and yank with --yank)
    changelog    Show the changelog sections the next release would write
    check        Run health checks on the repository
    explain      Explain an error code (e.g. `cargo xtask explain XR030`)
    demo         Run plan and graph on a bundled example repository
    init         Configure this repository, or copy the xtask into another one
    completions  Print shell completions: bash, zsh or fish
    help         Show this text, or a command's (`cargo xtask help plan`)

GLOBAL OPTIONS:
    --root DIR      Repository to act on (default: the one containing the xtask)
    --config FILE   Configuration file (default: ROOT/xtask-release.toml)
    -v, --verbose   Print every command the tool runs (also XTASK_TRACE=1)
    -h, --help      Show help

Errors print `error[CODE]: cause` and a `help:` line; exit status 1, or 2 for
a bad command line.
";

pub const PLAN_HELP: &str = "\
cargo xtask plan: show what a release would do

USAGE:
    cargo xtask plan [--root DIR] [--config FILE] [OPTIONS]

Discovers every package, reads the history since each package's last tag once,
infers the next versions from Conventional Commits, and prints one row per
package in release order. Writes nothing.

OPTIONS:
    --format FORMAT        table (default), json or csv
    --package NAME         Release only NAME and what it needs (repeatable)
    --exclude NAME         Leave NAME out (repeatable)
    --force-unchanged      Release packages without releasable changes too
    --bump BUMP            patch, minor, major, or an explicit version
    --pre KIND             Start or advance a pre-release: rc, alpha or beta
    -h, --help             Show this text
";

pub const RELEASE_HELP: &str = "\
cargo xtask release: release the packages `plan` shows

USAGE:
    cargo xtask release [--root DIR] [--config FILE] [OPTIONS]

Runs exactly the plan that `plan` prints for the same options: preflight (all
problems at once), then writes versions, internal requirements and lockfiles,
makes one release commit with a tag per package, publishes each package from
that commit as soon as its dependencies are published (build, verify, checksum,
publish, wait for the registry, compare its checksum, smoke test), and pushes
the commit and tags atomically.

OPTIONS:
    --dry-run              Print every command and file write; change nothing
                           (no file, ref, journal, lock, registry or remote)
    --jobs N               Publish at most N packages at a time (default 4)
    --yes                  Do not ask for confirmation (required without a terminal)
    --no-push              Do not push the release commit and tags
    --offline              With --dry-run only: do not contact registries in preflight
    --resume               Continue an interrupted or failed release from its journal
    --abandon              Drop an unfinished release's journal; print what is public
    --clear-stale-lock     Take over a lock taken on another host (or unreadable);
                           a lock whose process is gone on this host is taken over
                           without it
    --package NAME         Release only NAME and what it needs (repeatable)
    --exclude NAME         Leave NAME out (repeatable)
    --force-unchanged      Release packages without releasable changes too
    --bump BUMP            patch, minor, major, or an explicit version
    --pre KIND             Start or advance a pre-release: rc, alpha or beta
    -h, --help             Show this text

COMBINATIONS:
    --dry-run goes with every accepted combination and then changes nothing.
    --resume takes --jobs, --no-push, --yes, --clear-stale-lock (and --offline
    with --dry-run); it executes the plan recorded in the journal, so --package,
    --exclude, --force-unchanged, --bump and --pre are refused with it.
    --abandon takes only --clear-stale-lock and --dry-run.
    --resume with --abandon, and --offline without --dry-run, are refused.
    Refused combinations are usage errors (exit 2).

Credentials come from each tool's own settings: UV_PUBLISH_TOKEN (or
UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD) for uv; CARGO_REGISTRY_TOKEN,
CARGO_REGISTRIES_<NAME>_TOKEN or `cargo login` for cargo. They are never
passed on a command line or printed.
";

pub const ROLLBACK_HELP: &str = "\
cargo xtask rollback: undo what can be undone of the last release

USAGE:
    cargo xtask rollback [--root DIR] [--config FILE] [--dry-run] [--yank]

Reads the last release from .git/xtask-release (or the unfinished journal),
deletes the forge releases it made (through the forge's API, token from the
forge's usual variable), deletes its tags locally and on the remote, and with
--yank yanks its crates (`cargo yank`). What a
registry cannot yank (Python indexes have no yank API) is listed with what to
do by hand. The release commit stays: `git revert` it to undo the bumps.

OPTIONS:
    --dry-run     Print what would be deleted or yanked; change nothing
    --yank        Also yank the released versions where the registry allows
    -h, --help    Show this text
";

pub const CHANGELOG_HELP: &str = "\
cargo xtask changelog: show what the next release adds to the changelogs

USAGE:
    cargo xtask changelog [--root DIR] [--config FILE] [OPTIONS]

Renders, and writes nothing, the changelog section of every package that
`plan` releases with the same options: the text `release` puts into each
package's changelog and uses as the notes of its forge release.

OPTIONS:
    --format FORMAT        markdown (default) or json
    --package NAME         Release only NAME and what it needs (repeatable)
    --exclude NAME         Leave NAME out (repeatable)
    --force-unchanged      Release packages without releasable changes too
    --bump BUMP            patch, minor, major, or an explicit version
    --pre KIND             Start or advance a pre-release: rc, alpha or beta
    -h, --help             Show this text
";

pub const GRAPH_HELP: &str = "\
cargo xtask graph: show the internal dependency graph

USAGE:
    cargo xtask graph [--root DIR] [--config FILE] [OPTIONS]

Edges are normal and build dependencies between packages of the repository;
dev-dependencies do not order publishing and are not drawn.

OPTIONS:
    --format FORMAT    levels (default), ascii, dot, mermaid or json
    --deps NAME        Only NAME and what it depends on, transitively
    --rdeps NAME       Only NAME and what depends on it, transitively
    -h, --help         Show this text
";

pub const CHECK_HELP: &str = "\
cargo xtask check: run health checks on the repository

USAGE:
    cargo xtask check [--root DIR] [--config FILE] [--format text|json]

Checks: cycles, self-dependencies, dependencies on members that do not exist,
versions invalid for their ecosystem, internal requirements the dependency's
current version does not satisfy, missing license or description, lockfiles
out of date with the manifests, tag names git would refuse, changelogs that
do not parse or whose newest section is not the manifest's version, version
literals (`__version__`) and [[version-files]] that disagree with the manifest.
Exits 1 when any check fails.

OPTIONS:
    --format FORMAT    text (default) or json
    -h, --help         Show this text
";

pub const EXPLAIN_HELP: &str = "\
cargo xtask explain: explain an error code

USAGE:
    cargo xtask explain CODE
    cargo xtask explain --list

OPTIONS:
    --list        List every code with its title
    -h, --help    Show this text
";

pub const DEMO_HELP: &str = "\
cargo xtask demo: see the tool work on a bundled example

USAGE:
    cargo xtask demo [--keep]

Copies the bundled example monorepo (three crates and a uv workspace of three
Python packages) into a temporary folder, gives it a git history with tags and
conventional commits, then runs `plan`, `graph`, `changelog` and a dry-run
release on it. Needs git only.

OPTIONS:
    --keep        Keep the temporary repository and print its path
    -h, --help    Show this text
";

pub const COMPLETIONS_HELP: &str = "\
cargo xtask completions: print shell completions

USAGE:
    cargo xtask completions bash|zsh|fish

Prints a completion script for `cargo xtask`: its commands, their flags and
the values they take. Load it in the shell's start-up file:
    bash   source <(cargo xtask completions bash)        (~/.bashrc)
    zsh    source <(cargo xtask completions zsh)         (~/.zshrc, after compinit)
    fish   cargo xtask completions fish | source         (config.fish)

OPTIONS:
    -h, --help    Show this text
";

pub const INIT_HELP: &str = "\
cargo xtask init: set a repository up for xtask-release

USAGE:
    cargo xtask init [--into DIR] [--dry-run] [--yes]

Without --into, writes xtask-release.toml for the repository the xtask is in.
With --into DIR, also copies this xtask (its own source, xtask/) into DIR,
makes it a member of DIR's Cargo workspace (or gives it a workspace of its own
when DIR has none), adds the `xtask` alias to DIR/.cargo/config.toml (keeping
what the file holds) and has git ignore /target.

The configuration is inferred from the repository: the Python and Cargo roots,
the registries the manifests name, groups of packages released together, and
the tag formats of its history (`{name}-v{version}`, `{name}@{version}`,
`py/{name}-{version}`, an umbrella `v{version}` ...), so that `plan` finds each
package's last release. What was inferred, and why, is printed.

Running it again changes nothing. An existing xtask-release.toml (or copied
xtask file) that differs is replaced only with --yes. The repository must be a
git repository without uncommitted changes.

OPTIONS:
    --into DIR    Copy the xtask into the repository DIR and set it up there
    --dry-run     Print what would change, as diffs; write nothing
    --yes         Replace an existing xtask-release.toml or xtask file
    -h, --help    Show this text
";

#[derive(Debug)]
pub struct Global {
    pub verbose: bool,
    pub root: Option<PathBuf>,
    pub config: Option<PathBuf>,
}

/// A closed set of words a flag accepts (`--format json`).
pub trait Choice: Copy + Sized + 'static {
    const ALL: &'static [(&'static str, Self)];
}

macro_rules! choice_enum {
    ($name:ident { $($variant:ident = $word:literal),* $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant,)* }
        impl Choice for $name {
            const ALL: &'static [(&'static str, Self)] = &[$(($word, $name::$variant),)*];
        }
    };
}

choice_enum!(PlanFormat { Table = "table", Json = "json", Csv = "csv" });
impl Choice for crate::graph::Format {
    const ALL: &'static [(&'static str, Self)] = {
        use crate::graph::Format::*;
        &[("levels", Levels), ("ascii", Ascii), ("dot", Dot), ("mermaid", Mermaid), ("json", Json)]
    };
}
choice_enum!(CheckFormat { Text = "text", Json = "json" });
choice_enum!(ChangelogFormat { Markdown = "markdown", Json = "json" });
choice_enum!(CompletionShell { Bash = "bash", Zsh = "zsh", Fish = "fish" });

#[derive(Debug)]
pub enum Command {
    Help(&'static str),
    Plan { format: PlanFormat, opts: Options },
    Release(crate::release::Options),
    Rollback(crate::release::rollback::Options),
    Graph { format: crate::graph::Format, deps: Option<String>, rdeps: Option<String> },
    Check { format: CheckFormat },
    Changelog { format: ChangelogFormat, opts: Options },
    Explain { code: Option<String> },
    Demo { keep: bool },
    Init(crate::init::Options),
    Completions(CompletionShell),
}

/// A command's help text, by its name (`help` is the top one).
pub fn command_help(name: &str) -> Option<&'static str> {
    match name {
        "plan" => Some(PLAN_HELP),
        "release" => Some(RELEASE_HELP),
        "rollback" => Some(ROLLBACK_HELP),
        "changelog" => Some(CHANGELOG_HELP),
        "graph" => Some(GRAPH_HELP),
        "check" => Some(CHECK_HELP),
        "explain" => Some(EXPLAIN_HELP),
        "demo" => Some(DEMO_HELP),
        "init" => Some(INIT_HELP),
        "completions" => Some(COMPLETIONS_HELP),
        "help" => Some(HELP),
        _ => None,
    }
}

pub fn parse(raw: Vec<OsString>) -> anyhow::Result<(Global, Command)> {
    let mut args = pico_args::Arguments::from_vec(raw);
    let help = args.contains(["-h", "--help"]);
    let global = Global {
        verbose: args.contains(["-v", "--verbose"]),
        root: args.opt_value_from_os_str("--root", |s| Ok::<_, String>(PathBuf::from(s))).map_err(usage)?,
        config: args.opt_value_from_os_str("--config", |s| Ok::<_, String>(PathBuf::from(s))).map_err(usage)?,
    };
    let sub = args.subcommand().map_err(usage)?;
    let text = command_help;
    let Some(sub) = sub else {
        if help {
            return Ok((global, Command::Help(HELP)));
        }
        return Err(usage_msg("no command given".into(), "run `cargo xtask help` for the list of commands"));
    };
    let Some(sub_help) = text(&sub) else {
        return Err(usage_msg(format!("unknown command `{sub}`"), "run `cargo xtask help` for the list of commands"));
    };
    if help {
        return Ok((global, Command::Help(sub_help)));
    }
    let cmd = match sub.as_str() {
        "help" => {
            let topic: Option<String> = args.opt_free_from_str().map_err(usage)?;
            match topic {
                None => Command::Help(HELP),
                Some(t) => Command::Help(text(&t).ok_or_else(|| {
                    usage_msg(format!("unknown command `{t}`"), "run `cargo xtask help` for the list of commands")
                })?),
            }
        }
        "plan" => {
            let format = choice(&mut args, "--format", PlanFormat::Table)?;
            let opts = plan_options(&mut args)?;
            Command::Plan { format, opts }
        }
        "release" => Command::Release(release_options(&mut args)?),
        "rollback" => Command::Rollback(crate::release::rollback::Options {
            mode: Mode::dry_run_if(args.contains("--dry-run")),
            yank: args.contains("--yank"),
        }),
        "graph" => {
            let format = choice(&mut args, "--format", crate::graph::Format::Levels)?;
            let deps: Option<String> = args.opt_value_from_str("--deps").map_err(usage)?;
            let rdeps: Option<String> = args.opt_value_from_str("--rdeps").map_err(usage)?;
            if deps.is_some() && rdeps.is_some() {
                return Err(usage_msg("--deps and --rdeps cannot be combined".into(), "give one of them"));
            }
            Command::Graph { format, deps, rdeps }
        }
        "check" => Command::Check { format: choice(&mut args, "--format", CheckFormat::Text)? },
        "changelog" => {
            let format = choice(&mut args, "--format", ChangelogFormat::Markdown)?;
            let opts = plan_options(&mut args)?;
            Command::Changelog { format, opts }
        }
        "explain" => {
            let list = args.contains("--list");
            let code: Option<String> = args.opt_free_from_str().map_err(usage)?;
            if code.is_none() && !list {
                return Err(usage_msg("explain needs a code".into(), "e.g. `cargo xtask explain XR030`, or `--list`"));
            }
            Command::Explain { code: if list { None } else { code } }
        }
        "demo" => Command::Demo { keep: args.contains("--keep") },
        "completions" => {
            let shell: Option<String> = args.opt_free_from_str().map_err(usage)?;
            let Some(shell) = shell else {
                return Err(usage_msg(
                    "completions needs a shell".into(),
                    "e.g. `cargo xtask completions bash` (bash, zsh or fish)",
                ));
            };
            Command::Completions(word(&shell, "completions")?)
        }
        "init" => Command::Init(crate::init::Options {
            into: args.opt_value_from_os_str("--into", |s| Ok::<_, String>(PathBuf::from(s))).map_err(usage)?,
            mode: Mode::dry_run_if(args.contains("--dry-run")),
            yes: args.contains("--yes"),
        }),
        _ => unreachable!("every command has a help text"),
    };
    finish(args)?;
    Ok((global, cmd))
}

/// `release` flags, with the combinations that make no sense refused here
/// (exit 2), so that every accepted combination means exactly one thing.
fn release_options(args: &mut pico_args::Arguments) -> anyhow::Result<crate::release::Options> {
    let dry_run = args.contains("--dry-run");
    let yes = args.contains("--yes");
    let no_push = args.contains("--no-push");
    let offline = args.contains("--offline");
    let resume = args.contains("--resume");
    let abandon = args.contains("--abandon");
    let clear_stale_lock = args.contains("--clear-stale-lock");
    let jobs: Option<usize> = args.opt_value_from_str("--jobs").map_err(usage)?;
    if jobs == Some(0) {
        return Err(usage_msg("--jobs must be at least 1".into(), "use --jobs 1 to publish one package at a time"));
    }
    let plan = plan_options(args)?;
    let plan_flags = [
        ("--package", !plan.packages.is_empty()),
        ("--exclude", !plan.exclude.is_empty()),
        ("--force-unchanged", plan.force_unchanged),
        ("--bump", plan.bump.is_some()),
        ("--pre", plan.pre.is_some()),
    ];
    let given =
        |flags: &[(&'static str, bool)]| flags.iter().filter(|(_, on)| *on).map(|(f, _)| *f).collect::<Vec<_>>();
    if offline && !dry_run {
        return Err(usage_msg(
            "--offline only applies to --dry-run (a real release must ask the registries)".into(),
            "add --dry-run, or leave out --offline",
        ));
    }
    if resume && abandon {
        return Err(usage_msg(
            "--resume and --abandon cannot be combined".into(),
            "continue with --resume, or drop with --abandon",
        ));
    }
    if resume || abandon {
        let mode = if resume { "--resume" } else { "--abandon" };
        let refused = given(&plan_flags);
        if let Some(flag) = refused.first() {
            return Err(usage_msg(
                format!("{flag} cannot be combined with {mode}: it executes the plan recorded in the journal"),
                &format!("leave out {}", refused.join(", ")),
            ));
        }
    }
    if abandon {
        let refused =
            given(&[("--no-push", no_push), ("--jobs", jobs.is_some()), ("--yes", yes), ("--offline", offline)]);
        if let Some(flag) = refused.first() {
            return Err(usage_msg(
                format!("{flag} has no meaning with --abandon, which only drops the journal"),
                "--abandon takes --dry-run and --clear-stale-lock",
            ));
        }
    }
    let mode = Mode::dry_run_if(dry_run);
    Ok(crate::release::Options { plan, mode, jobs, yes, no_push, offline, resume, abandon, clear_stale_lock })
}

pub fn plan_options(args: &mut pico_args::Arguments) -> anyhow::Result<Options> {
    let packages: Vec<String> = args.values_from_str("--package").map_err(usage)?;
    let exclude: Vec<String> = args.values_from_str("--exclude").map_err(usage)?;
    let force_unchanged = args.contains("--force-unchanged");
    let bump: Option<String> = args.opt_value_from_str("--bump").map_err(usage)?;
    let bump = bump.map(|b| match b.as_str() {
        "patch" => BumpArg::Level(Level::Patch),
        "minor" => BumpArg::Level(Level::Minor),
        "major" => BumpArg::Level(Level::Major),
        _ => BumpArg::Version(b),
    });
    let pre: Option<String> = args.opt_value_from_str("--pre").map_err(usage)?;
    let pre = match pre {
        None => None,
        Some(p) => Some(parse_pre(&p).ok_or_else(|| {
            usage_msg(format!("--pre `{p}` is not rc, alpha or beta"), "use --pre rc, --pre beta or --pre alpha")
        })?),
    };
    Ok(Options { packages, exclude, force_unchanged, bump, pre })
}

fn choice<T: Choice + PartialEq>(args: &mut pico_args::Arguments, flag: &'static str, default: T) -> anyhow::Result<T> {
    let Some(v) = args.opt_value_from_str::<_, String>(flag).map_err(usage)? else { return Ok(default) };
    if let Some((_, c)) = T::ALL.iter().find(|(w, _)| *w == v) {
        return Ok(*c);
    }
    let words: Vec<&str> = T::ALL.iter().map(|(w, _)| *w).collect();
    let default_word = T::ALL.iter().find(|(_, c)| *c == default).map_or("", |(w, _)| *w);
    Err(usage_msg(format!("{flag} `{v}` is not one of {}", words.join(", ")), &format!("use {flag} {default_word}")))
}

/// A free word that must be one of `T`'s (`completions bash`).
fn word<T: Choice>(v: &str, command: &str) -> anyhow::Result<T> {
    if let Some((_, c)) = T::ALL.iter().find(|(w, _)| *w == v) {
        return Ok(*c);
    }
    let words: Vec<&str> = T::ALL.iter().map(|(w, _)| *w).collect();
    Err(usage_msg(
        format!("{command} `{v}` is not one of {}", words.join(", ")),
        &format!("e.g. `cargo xtask {command} {}`", words[0]),
    ))
}

fn finish(args: pico_args::Arguments) -> anyhow::Result<()> {
    let rest = args.finish();
    if let Some(first) = rest.first() {
        let word = first.to_string_lossy();
        let what = if word.starts_with('-') { "unknown flag" } else { "unexpected argument" };
        return Err(usage_msg(format!("{what} `{word}`"), "run the command with --help to see what it accepts"));
    }
    Ok(())
}

fn usage(e: pico_args::Error) -> anyhow::Error {
    usage_msg(e.to_string(), "run the command with --help to see what it accepts")
}

fn usage_msg(cause: String, help: &str) -> anyhow::Error {
    fail(Code::Usage, cause, help)
}
