//! The release's job summary in CI (`$GITHUB_STEP_SUMMARY`): the plan as a
//! Markdown table and what was published where, with a link to each
//! package's page where the registry is a public one. Pure: `execute` appends
//! it through the mode switch.

use std::fmt::Write;

use super::journal::Outcome;
use crate::ci::cell;
use crate::config::Config;
use crate::plan::{Entry, Plan, Status};
use crate::version::Ecosystem;
use crate::workspace::pep508::normalize;

/// The summary of a release of `plan`; `outcomes` are its releases' (in
/// `plan.releases()` order).
pub fn markdown(config: &Config, plan: &Plan, outcomes: &[Outcome]) -> String {
    let released = plan.releases().count();
    let mut s = format!("## xtask-release: {released} package(s) released\n\n");
    s += "| package | ecosystem | version | tag | outcome |\n|---|---|---|---|---|\n";
    let mut outcome = outcomes.iter();
    for e in &plan.packages {
        let (version, what) = match e.status {
            Status::Release => {
                let what = outcome.next().map_or("—", |o| o.as_str());
                let next = e.next_version.as_deref().unwrap_or("");
                let version = if next == e.version {
                    format!("{next} (first release)")
                } else {
                    format!("{} → {next}", e.version)
                };
                (version, what.to_string())
            }
            _ => (e.version.clone(), format!("{}: {}", e.status.as_str(), e.reason)),
        };
        let name = match (e.status, page(config, e)) {
            (Status::Release, Some(url)) => format!("[{}]({url})", cell(&e.name)),
            _ => cell(&e.name),
        };
        let tag = e.tag.as_deref().filter(|_| e.status == Status::Release).map_or(String::new(), |t| format!("`{t}`"));
        let _ = writeln!(s, "| {name} | {} | {} | {tag} | {} |", e.ecosystem.as_str(), cell(&version), cell(&what));
    }
    s.push('\n');
    s
}

/// The released version's page on a public registry (crates.io, PyPI, TestPyPI).
fn page(config: &Config, e: &Entry) -> Option<String> {
    let version = e.next_version.as_deref()?;
    match e.ecosystem {
        Ecosystem::Cargo if config.cargo_registry.is_none() => {
            Some(format!("https://crates.io/crates/{}/{version}", e.name))
        }
        Ecosystem::Python => {
            let host = ["https://pypi.org/", "https://test.pypi.org/"]
                .into_iter()
                .find(|h| config.python_index_url.starts_with(h))?;
            Some(format!("{host}project/{}/{version}/", normalize(&e.name)))
        }
        Ecosystem::Cargo => None,
    }
}

/// Appends `text` to the job summary's file.
pub fn append(file: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(file)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}
