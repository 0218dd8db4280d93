//! `demo`: the README's first command. Copies the bundled example monorepo
//! (`xtask/demo/`, compiled into the binary) into a temporary folder, gives it a
//! history with tags and conventional commits, and runs `plan` and `graph` on it.

use std::path::{Path, PathBuf};

use xshell::{cmd, Shell};

use crate::commands;
use crate::error::Code;
use crate::flags::{ChangelogFormat, PlanFormat};
use crate::graph;
use crate::repo::Repo;
use crate::shell;

macro_rules! bundle {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../demo/", $path)))),*]
    };
}

/// The example repository, file by file.
pub const FILES: &[(&str, &str)] = bundle![
    "Cargo.toml",
    "crates/acme-core/Cargo.toml",
    "crates/acme-core/src/lib.rs",
    "crates/acme-http/Cargo.toml",
    "crates/acme-http/src/lib.rs",
    "crates/acme-cli/Cargo.toml",
    "crates/acme-cli/src/main.rs",
    "py/pyproject.toml",
    "py/packages/acme-models/pyproject.toml",
    "py/packages/acme-models/src/acme_models/__init__.py",
    "py/packages/acme-client/pyproject.toml",
    "py/packages/acme-client/src/acme_client/__init__.py",
    "py/packages/acme-tools/pyproject.toml",
    "py/packages/acme-tools/src/acme_tools/__init__.py",
    "xtask-release.toml",
];

/// The scripted history: (message, file to append a line to).
const HISTORY: &[(&str, &str)] = &[
    ("feat(core): add a streaming parser", "crates/acme-core/src/lib.rs"),
    ("fix(http): retry on connection reset", "crates/acme-http/src/lib.rs"),
    (
        "fix(models): store ids as strings\n\nIds no longer fit in 64 bits.\n\nBREAKING CHANGE: Model.id is a str now",
        "py/packages/acme-models/src/acme_models/__init__.py",
    ),
    ("chore(tools): tidy imports", "py/packages/acme-tools/src/acme_tools/__init__.py"),
    ("docs(core): explain the parser", "crates/acme-core/src/lib.rs"),
];

/// Writes the example into `dir` and commits a history with tags. Returns the
/// one-line story of what it did.
pub fn create(sh: &Shell, dir: &Path) -> anyhow::Result<Vec<String>> {
    for (rel, text) in FILES {
        let path = dir.join(rel);
        crate::shell::fs::create_dir_all(path.parent().expect("files are in folders"))?;
        crate::shell::fs::write(&path, text.as_bytes())?;
    }
    let mut story = vec![];
    let git = |args: &[&str]| -> anyhow::Result<()> {
        let args: Vec<&str> = args.to_vec();
        shell::output(
            cmd!(sh, "git -C {dir} -c user.name=demo -c user.email=demo@example.invalid -c commit.gpgsign=false -c tag.gpgsign=false {args...}"),
            Code::Git,
            "the demo needs git: install it and retry",
        )?;
        Ok(())
    };
    git(&["init", "-q", "-b", "main"])?;
    git(&["add", "-A"])?;
    git(&["commit", "-q", "--no-verify", "-m", "chore: initial import"])?;
    let tags =
        ["acme-core-v1.2.0", "acme-http-v0.4.1", "acme-models-v1.0.0", "acme-client-v0.3.0", "acme-tools-v0.2.0"];
    for t in tags {
        git(&["tag", "-a", t, "-m", t])?;
    }
    story.push(format!("initial import, tagged {} (acme-cli has no tag yet)", tags.join(", ")));
    for (msg, file) in HISTORY {
        let path = dir.join(file);
        let mut text = crate::shell::fs::read_to_string(&path)?;
        let comment = if file.ends_with(".py") { "#" } else { "//" };
        text.push_str(&format!("{comment} {}\n", msg.lines().next().unwrap_or("")));
        crate::shell::fs::write(&path, text.as_bytes())?;
        git(&["commit", "-q", "--no-verify", "-a", "-m", msg])?;
        story.push(format!("commit: {}", msg.replace("\n\n", " | ").replace('\n', " ")));
    }
    Ok(story)
}

pub fn run(sh: &Shell, keep: bool) -> anyhow::Result<()> {
    let dir = temp_dir();
    let result = (|| -> anyhow::Result<()> {
        println!("== xtask-release demo ==");
        println!("example monorepo: 3 crates (Cargo workspace) + 3 Python packages (uv workspace in py/)");
        println!("repository: {}\n", dir.display());
        for line in create(sh, &dir)? {
            println!("  {line}");
        }
        println!("\n== cargo xtask plan ==\n");
        let repo = || Repo::load(Some(&dir), None);
        commands::plan(sh, &repo()?, PlanFormat::Table, &Default::default())?;
        println!("\n== cargo xtask graph --format ascii ==\n");
        commands::graph(&repo()?, graph::Format::Ascii, None, None)?;
        println!("\n== cargo xtask graph (levels: each level only needs the ones above) ==\n");
        commands::graph(&repo()?, graph::Format::Levels, None, None)?;
        println!("\n== cargo xtask changelog --package acme-core (what the release adds to its CHANGELOG.md) ==\n");
        let only_core = crate::plan::Options { packages: vec!["acme-core".into()], ..Default::default() };
        commands::changelog(sh, &repo()?, ChangelogFormat::Markdown, &only_core)?;
        println!("\n== cargo xtask release --dry-run --offline --no-push ==\n");
        let release = crate::release::Options {
            mode: crate::shell::Mode::DryRun,
            offline: true,
            no_push: true,
            ..Default::default()
        };
        if let Err(err) = crate::release::run(sh, Some(&dir), None, &release) {
            // a machine without uv, for instance: the dry run still shows every step
            eprint!("{}", crate::error::render(&err).1);
        }
        println!(
            "\nWhat happened: acme-core has a feat (1.2.0 -> 1.3.0); acme-http a fix; acme-models a BREAKING CHANGE footer \
             (1.0.0 -> 2.0.0), which forces acme-client, whose `<2` requirement no longer admits it; acme-tools has only \
             a chore and is skipped; acme-cli has no tag and is released for the first time."
        );
        Ok(())
    })();
    if keep {
        println!("\nkept: {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn temp_dir() -> PathBuf {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!("xtask-release-demo-{}-{stamp}", std::process::id()))
}
