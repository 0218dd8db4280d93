//! The release pull request's body: the plan as a table, what merging does,
//! and the release notes (cut to the forge's limit by `forge::fit_body` when sent).

use std::fmt::Write as _;

use crate::changelog::{self, Section};
use crate::plan::Plan;
use crate::release::record;

pub fn render(plan: &Plan, sections: &[Section], base: &str) -> String {
    let mut out = String::from("## Release\n\nMerging this pull request releases:\n\n");
    out.push_str("| Package | Ecosystem | Version | Tag |\n|---|---|---|---|\n");
    for e in plan.releases() {
        let next = e.next_version.as_deref().unwrap_or("");
        let tag = e.tag.as_deref().map(|t| format!("`{t}`")).unwrap_or_default();
        let _ = writeln!(out, "| {} | {} | {} → {next} | {tag} |", e.name, e.ecosystem.as_str(), e.version);
    }
    if let Some(u) = &plan.umbrella_tag {
        let _ = writeln!(out, "\nUmbrella tag: `{u}`.");
    }
    let _ = write!(
        out,
        "\nThe release commit records this plan in `{}`. After the merge (merge commit, squash or rebase), \
         `cargo xtask release` on `{base}` tags the merged commit and publishes exactly these versions; it \
         bumps and commits nothing again. New commits on `{base}` update this pull request when \
         `cargo xtask release-pr` runs again.\n",
        record::PATH
    );
    if !sections.is_empty() {
        out.push_str("\n## Release notes\n");
        for s in sections {
            let _ = write!(out, "\n### {} {}\n\n{}", s.package, s.version, changelog::release_notes(s));
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}
