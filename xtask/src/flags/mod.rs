//! The whole command line in one place: help texts and parsing into `Command`.
//! Unknown commands and flags are usage errors (exit 2) that name the word.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::error::{fail, Code};
use crate::plan::{BumpArg, Options};
use crate::shell::Mode;
use crate::version::{parse_pre, Level};

mod help;
pub use help::{
    command_help, CHANGELOG_HELP, CHECK_HELP, CI_HELP, COMPLETIONS_HELP, DEMO_HELP, EXPLAIN_HELP, GRAPH_HELP, HELP,
    INIT_HELP, PLAN_HELP, RELEASE_HELP, RELEASE_PR_HELP, ROLLBACK_HELP,
};

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
    ReleasePr(crate::release_pr::Options),
    Rollback(crate::release::rollback::Options),
    Graph { format: crate::graph::Format, deps: Option<String>, rdeps: Option<String> },
    Check { format: CheckFormat },
    Changelog { format: ChangelogFormat, opts: Options },
    Explain { code: Option<String> },
    Demo { keep: bool },
    Init(crate::init::Options),
    Completions(CompletionShell),
    Ci(crate::workflow::Options),
}

/// The command line, read in order: `--help`, the global options, the command
/// word, then that command's flags; a leftover word is a usage error.
pub fn parse(raw: Vec<OsString>) -> anyhow::Result<(Global, Command)> {
    let mut args = pico_args::Arguments::from_vec(raw);
    let help = args.contains(["-h", "--help"]);
    let global = global(&mut args)?;
    let sub = args.subcommand().map_err(usage)?;
    let sub_help = help_of(sub.as_deref(), help)?;
    if help {
        return Ok((global, Command::Help(sub_help)));
    }
    let sub = sub.expect("`help_of` refuses no command without --help");
    let cmd = command(&sub, &mut args)?;
    finish(args)?;
    Ok((global, cmd))
}

/// `-v`, `--root` and `--config`, which every command takes.
fn global(args: &mut pico_args::Arguments) -> anyhow::Result<Global> {
    Ok(Global {
        verbose: args.contains(["-v", "--verbose"]),
        root: args.opt_value_from_os_str("--root", |s| Ok::<_, String>(PathBuf::from(s))).map_err(usage)?,
        config: args.opt_value_from_os_str("--config", |s| Ok::<_, String>(PathBuf::from(s))).map_err(usage)?,
    })
}

/// The help text of the command word (`HELP` without one, when `--help` is
/// given); an error for no command or an unknown one.
fn help_of(sub: Option<&str>, help: bool) -> anyhow::Result<&'static str> {
    match sub {
        None if help => Ok(HELP),
        None => Err(usage_msg("no command given".into(), "run `cargo xtask help` for the list of commands")),
        Some(sub) => command_help(sub).ok_or_else(|| unknown_command(sub)),
    }
}

fn unknown_command(name: &str) -> anyhow::Error {
    usage_msg(format!("unknown command `{name}`"), "run `cargo xtask help` for the list of commands")
}

/// The flags of command `sub` (a known one).
fn command(sub: &str, args: &mut pico_args::Arguments) -> anyhow::Result<Command> {
    Ok(match sub {
        "help" => help_topic(args)?,
        "plan" => {
            let format = choice(args, "--format", PlanFormat::Table)?;
            let opts = plan_options(args)?;
            Command::Plan { format, opts }
        }
        "release" => Command::Release(release_options(args)?),
        "release-pr" => Command::ReleasePr(crate::release_pr::Options {
            mode: Mode::dry_run_if(args.contains("--dry-run")),
            plan: plan_options(args)?,
        }),
        "rollback" => Command::Rollback(crate::release::rollback::Options {
            mode: Mode::dry_run_if(args.contains("--dry-run")),
            yank: args.contains("--yank"),
        }),
        "graph" => graph(args)?,
        "check" => Command::Check { format: choice(args, "--format", CheckFormat::Text)? },
        "changelog" => {
            let format = choice(args, "--format", ChangelogFormat::Markdown)?;
            let opts = plan_options(args)?;
            Command::Changelog { format, opts }
        }
        "explain" => explain(args)?,
        "demo" => Command::Demo { keep: args.contains("--keep") },
        "completions" => completions(args)?,
        "ci" => ci(args)?,
        "init" => Command::Init(crate::init::Options {
            into: args.opt_value_from_os_str("--into", |s| Ok::<_, String>(PathBuf::from(s))).map_err(usage)?,
            mode: Mode::dry_run_if(args.contains("--dry-run")),
            yes: args.contains("--yes"),
        }),
        _ => unreachable!("every command has a help text"),
    })
}

/// `ci --github [--dry-run] [--yes]` or `ci --next`: exactly one of the two.
fn ci(args: &mut pico_args::Arguments) -> anyhow::Result<Command> {
    let (github, next) = (args.contains("--github"), args.contains("--next"));
    let (dry_run, yes) = (args.contains("--dry-run"), args.contains("--yes"));
    let opts = match (github, next) {
        (true, false) => crate::workflow::Options::Github { mode: Mode::dry_run_if(dry_run), yes },
        (false, true) if !dry_run && !yes => crate::workflow::Options::Next,
        (false, true) => {
            return Err(usage_msg("--next takes no --dry-run or --yes".into(), "run `cargo xtask ci --next` alone"))
        }
        _ => {
            return Err(usage_msg(
                "ci needs one of --github and --next".into(),
                "write the workflow with `cargo xtask ci --github`; see `cargo xtask help ci`",
            ))
        }
    };
    Ok(Command::Ci(opts))
}

/// `help [COMMAND]`.
fn help_topic(args: &mut pico_args::Arguments) -> anyhow::Result<Command> {
    let topic: Option<String> = args.opt_free_from_str().map_err(usage)?;
    Ok(match topic {
        None => Command::Help(HELP),
        Some(t) => Command::Help(command_help(&t).ok_or_else(|| unknown_command(&t))?),
    })
}

/// `graph [--format F] [--deps NAME | --rdeps NAME]`.
fn graph(args: &mut pico_args::Arguments) -> anyhow::Result<Command> {
    let format = choice(args, "--format", crate::graph::Format::Levels)?;
    let deps: Option<String> = args.opt_value_from_str("--deps").map_err(usage)?;
    let rdeps: Option<String> = args.opt_value_from_str("--rdeps").map_err(usage)?;
    if deps.is_some() && rdeps.is_some() {
        return Err(usage_msg("--deps and --rdeps cannot be combined".into(), "give one of them"));
    }
    Ok(Command::Graph { format, deps, rdeps })
}

/// `explain CODE` or `explain --list`.
fn explain(args: &mut pico_args::Arguments) -> anyhow::Result<Command> {
    let list = args.contains("--list");
    let code: Option<String> = args.opt_free_from_str().map_err(usage)?;
    if code.is_none() && !list {
        return Err(usage_msg("explain needs a code".into(), "e.g. `cargo xtask explain XR030`, or `--list`"));
    }
    Ok(Command::Explain { code: if list { None } else { code } })
}

/// `completions SHELL`.
fn completions(args: &mut pico_args::Arguments) -> anyhow::Result<Command> {
    let shell: Option<String> = args.opt_free_from_str().map_err(usage)?;
    let Some(shell) = shell else {
        return Err(usage_msg(
            "completions needs a shell".into(),
            "e.g. `cargo xtask completions bash` (bash, zsh or fish)",
        ));
    };
    Ok(Command::Completions(word(&shell, "completions")?))
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
    let stage = args.contains("--stage");
    let artifacts: Option<std::path::PathBuf> = args.opt_value_from_str("--artifacts").map_err(usage)?;
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
    let staged = [("--stage", stage), ("--artifacts", artifacts.is_some())];
    let journal = [("--resume", resume), ("--abandon", abandon), ("--clear-stale-lock", clear_stale_lock)];
    refuse_with_staging(&given(&staged), &given(&journal), stage && jobs.is_some())?;
    let mode = Mode::dry_run_if(dry_run);
    Ok(crate::release::Options {
        plan,
        mode,
        jobs,
        yes,
        no_push,
        offline,
        resume,
        abandon,
        clear_stale_lock,
        stage,
        artifacts,
    })
}

/// `--stage` and `--artifacts` are two halves of a release: neither goes with
/// the other, nor with the flags of a journal (a resume continues either).
fn refuse_with_staging(staged: &[&str], journal: &[&str], stage_with_jobs: bool) -> anyhow::Result<()> {
    if let (Some(a), Some(b)) = (staged.first(), journal.first().or(staged.get(1))) {
        return Err(usage_msg(
            format!("{a} cannot be combined with {b}"),
            "--stage makes the release commit, --artifacts publishes it; --resume continues either from its journal",
        ));
    }
    if stage_with_jobs {
        return Err(usage_msg(
            "--jobs has no meaning with --stage, which publishes nothing".into(),
            "leave out --jobs",
        ));
    }
    Ok(())
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
