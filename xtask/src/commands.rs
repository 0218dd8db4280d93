//! The read-only commands, each in named steps: load what it needs, compute,
//! render, print. `release`, `rollback`, `init` and `demo` own theirs.

use std::collections::BTreeSet;

use xshell::Shell;

use crate::error::{fail, Code};
use crate::flags::{ChangelogFormat, CheckFormat, PlanFormat};
use crate::repo::Repo;
use crate::{changelog, check, graph, plan};

/// `help` and every `--help`.
pub fn help(text: &str) -> anyhow::Result<()> {
    print!("{text}");
    Ok(())
}

/// `explain [CODE]`: every code with its title, or one code's text.
pub fn explain(code: Option<&str>) -> anyhow::Result<()> {
    let Some(code) = code else {
        for c in Code::ALL {
            println!("{}  {}", c.id(), c.title());
        }
        return Ok(());
    };
    let c = Code::parse(code).ok_or_else(|| {
        fail(Code::Usage, format!("unknown error code `{code}`"), "`cargo xtask explain --list` lists them")
    })?;
    println!("{}: {}\n\n{}", c.id(), c.title(), c.text());
    Ok(())
}

/// `plan`: the plan, as a table, JSON or CSV.
pub fn plan(sh: &Shell, repo: &Repo, format: PlanFormat, opts: &plan::Options) -> anyhow::Result<()> {
    // a merged release pull request: its recorded plan is what `release` executes
    let plan = match crate::release::record::active(sh, repo)? {
        Some(active) => {
            let note = format!(
                "recorded release: {} in commit {} (made by `cargo xtask release-pr` or `release --stage`); `release` executes it as recorded",
                crate::release::record::PATH,
                active.short()
            );
            match format {
                PlanFormat::Table => println!("{note}\n"),
                PlanFormat::Json | PlanFormat::Csv => eprintln!("{note}"),
            }
            active.record.plan
        }
        None => repo.plan(sh, opts)?.1,
    };
    let out = match format {
        PlanFormat::Json => plan::render_json(&plan),
        PlanFormat::Csv => plan::render_csv(&plan),
        PlanFormat::Table => plan::render_table(&plan),
    };
    print!("{out}");
    // the table alone shows it (the JSON and CSV stay the plan's data)
    if format == PlanFormat::Table {
        if let Some(e) = crate::release::estimate(sh, repo, &plan, crate::release::Options::default().jobs()) {
            println!("estimate: {e}");
        }
    }
    Ok(())
}

/// `changelog`: the sections a release of the plan would write.
pub fn changelog(sh: &Shell, repo: &Repo, format: ChangelogFormat, opts: &plan::Options) -> anyhow::Result<()> {
    let (_, plan) = repo.plan(sh, opts)?;
    let sections = repo.changelog(sh, &plan)?;
    let styles = repo.changelog_styles(&sections);
    let out = match format {
        ChangelogFormat::Markdown if sections.is_empty() => "nothing to release: no changelog section\n".into(),
        ChangelogFormat::Markdown => changelog::render_markdown(&sections, &styles),
        ChangelogFormat::Json => changelog::render_json(&sections, &styles),
    };
    print!("{out}");
    Ok(())
}

/// `graph`: the internal dependency graph, whole or around one package.
pub fn graph(repo: &Repo, format: graph::Format, deps: Option<String>, rdeps: Option<String>) -> anyhow::Result<()> {
    // a version plan cannot read is no blank in the graph either: both fail alike
    repo.ws.require_plannable()?;
    let graph = repo.graph()?;
    let pick = |name: &str, flag: &str| repo.ws.lookup(name, flag);
    let show: BTreeSet<usize> = match (deps, rdeps) {
        (Some(n), _) => graph.deps_closure(pick(&n, "--deps")?),
        (_, Some(n)) => graph.rdeps_closure(pick(&n, "--rdeps")?),
        _ => (0..repo.ws.packages.len()).collect(),
    };
    print!("{}", graph::render(&repo.ws, &graph, &show, format));
    Ok(())
}

/// `check`: every check, then a failure naming the ones that failed.
pub fn check(repo: &Repo, format: CheckFormat) -> anyhow::Result<()> {
    let checks = check::run(repo);
    let out = match format {
        CheckFormat::Json => check::render_json(&checks),
        CheckFormat::Text => check::render_text(&checks),
    };
    print!("{out}");
    let failed: Vec<&str> = checks.iter().filter(|c| !c.ok).map(|c| c.name).collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(fail(
        Code::CheckFailed,
        format!("{} check(s) failed: {}", failed.len(), failed.join(", ")),
        "fix the problems listed above, then run `cargo xtask check` again",
    ))
}
