//! The help texts: the top one (`HELP`), one per command, and `command_help`
//! to find a command's by its name.

pub const HELP: &str = "\
xtask-release: release automation for Cargo and uv workspaces

USAGE:
    cargo xtask <COMMAND> [--root DIR] [--config FILE] [OPTIONS]

COMMANDS:
    plan         Show what a release would do: versions, order, reasons
    graph        Show the internal dependency graph
    release      Release: bump, commit, tag, publish in dependency order, push
    release-pr   Open or update the release pull request (protected branches)
    rollback     Delete the last release's tags (and yank with --yank)
    changelog    Show the changelog sections the next release would write
    check        Run health checks on the repository
    explain      Explain an error code (e.g. `cargo xtask explain XR030`)
    demo         Run plan and graph on a bundled example repository
    init         Configure this repository, or copy the xtask into another one
    completions  Print shell completions: bash, zsh or fish
    ci           Write the GitHub Actions release workflow (`ci --github`)
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
    --stage                Make the release commit with its record (and the
                           artifacts a CI matrix must build) and push it to the
                           branch; publish nothing (then: --artifacts)
    --artifacts DIR        Publish the staged release with the native packages'
                           files a CI matrix built, from DIR (checked first)
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
    --stage takes the plan's options, --yes, --no-push (keep the commit local)
    and --dry-run; --artifacts takes --jobs, --yes, --no-push, --dry-run.
    --resume with --abandon, and --offline without --dry-run, are refused.
    Refused combinations are usage errors (exit 2).

Credentials come from each tool's own settings: UV_PUBLISH_TOKEN (or
UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD) for uv; CARGO_REGISTRY_TOKEN,
CARGO_REGISTRIES_<NAME>_TOKEN or `cargo login` for cargo. They are never
passed on a command line or printed.
";

pub const RELEASE_PR_HELP: &str = "\
cargo xtask release-pr: open or update the release pull request

USAGE:
    cargo xtask release-pr [--root DIR] [--config FILE] [OPTIONS]

For a branch that only takes pull requests. Computes the plan, makes the
release commit on HEAD (versions, requirements, lockfiles, changelogs, and the
plan recorded in .xtask-release/plan.json) in a temporary worktree, leaving the
checkout as it is, force-pushes it with a lease to the release branch
([release] pr-branch, default release/next) and opens the branch's pull request,
or updates the open one. Run it again after new commits: same branch, same pull
request. Once it is merged, `cargo xtask release` tags the merged commit and
publishes exactly the recorded versions. The forge token comes from GH_TOKEN or
GITHUB_TOKEN (GITEA_TOKEN, FORGEJO_TOKEN; GITLAB_TOKEN).

OPTIONS:
    --dry-run              Print the commands, files and forge calls; change nothing
    --package NAME         Release only NAME and what it needs (repeatable)
    --exclude NAME         Leave NAME out (repeatable)
    --force-unchanged      Release packages without releasable changes too
    --bump BUMP            patch, minor, major, or an explicit version
    --pre KIND             Start or advance a pre-release: rc, alpha or beta
    -h, --help             Show this text
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

pub const CI_HELP: &str = "\
cargo xtask ci: release from GitHub Actions

USAGE:
    cargo xtask ci --github [--dry-run] [--yes]
    cargo xtask ci --next

--github writes .github/workflows/release.yml for this repository: a push to
a release branch ([release] allow-branches) opens or updates the release pull
request, and merging it releases the recorded plan; workflow_dispatch does the
same on demand. Each job has only the permissions it uses (id-token: write only
where it publishes), one release runs at a time, checkouts fetch the whole
history and its tags, and the xtask's build is cached. Running it again changes
nothing; a workflow that was edited is replaced only with --yes.

--next is the workflow's first step: it prints what this commit calls for
(release-pr, release or nothing) and writes `next=WORD` to $GITHUB_OUTPUT.

OPTIONS:
    --github      Write the GitHub Actions workflow
    --next        Say what this push should do (the workflow runs it)
    --dry-run     With --github: print the workflow as a diff; write nothing
    --yes         With --github: replace a workflow that differs
    -h, --help    Show this text
";

/// A command's help text, by its name (`help` is the top one).
pub fn command_help(name: &str) -> Option<&'static str> {
    match name {
        "plan" => Some(PLAN_HELP),
        "release" => Some(RELEASE_HELP),
        "release-pr" => Some(RELEASE_PR_HELP),
        "rollback" => Some(ROLLBACK_HELP),
        "changelog" => Some(CHANGELOG_HELP),
        "graph" => Some(GRAPH_HELP),
        "check" => Some(CHECK_HELP),
        "explain" => Some(EXPLAIN_HELP),
        "demo" => Some(DEMO_HELP),
        "init" => Some(INIT_HELP),
        "completions" => Some(COMPLETIONS_HELP),
        "ci" => Some(CI_HELP),
        "help" => Some(HELP),
        _ => None,
    }
}
