//! What init found and inferred, one line each with the evidence, and each
//! package's last release as `plan` will read it.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::infer::{self, Found, Inferred, TagRef};
use super::look::Look;
use crate::config::Config;
use crate::version::{Ecosystem, Version};
use crate::workspace::Workspace;

/// What was found and inferred, and each package's last release as `plan` will read it.
pub(super) fn report(look: &Look, inferred: &Inferred, config: &Config) -> String {
    let mut s = String::from("found:\n");
    let f = &look.found;
    report_roots(&mut s, f);
    report_packages(&mut s, f);
    report_tags(&mut s, f, inferred);
    report_groups(&mut s, inferred);
    if let Some(b) = &f.branch {
        line(&mut s, "release branch", &b.value, &b.why);
    }
    if let Some(ws) = &look.ws {
        report_last_releases(&mut s, look, config, ws);
    }
    s
}

/// One finding: what, its value, why.
fn line(s: &mut String, what: &str, value: &str, why: &str) {
    let _ = writeln!(s, "  {what:<15} {value:<22} {why}");
}

/// "TEMPLATE (N tag(s), newest TAG)" for each template.
fn conventions(cs: &[infer::Convention]) -> String {
    cs.iter()
        .map(|c| format!("{} ({} tag(s), newest {})", c.template, c.count, c.newest))
        .collect::<Vec<_>>()
        .join(", ")
}

fn report_roots(s: &mut String, f: &Found) {
    match &f.python_root {
        Some(r) => line(s, "python root", &r.value, &r.why),
        None => line(s, "python root", "-", "no uv workspace or Python project in the top two folder levels"),
    }
    match &f.cargo_root {
        Some(r) => line(s, "cargo root", &r.value, &r.why),
        None => line(s, "cargo root", "-", "no Cargo workspace or crate in the top two folder levels"),
    }
}

/// How many packages of each kind, and where they are published.
fn report_packages(s: &mut String, f: &Found) {
    let publishable = f.packages.iter().filter(|p| p.publishable).count();
    let crates = f.packages.iter().filter(|p| p.ecosystem == Ecosystem::Cargo).count();
    line(
        s,
        "packages",
        &f.packages.len().to_string(),
        &format!(
            "{crates} crate(s), {} Python package(s); {} never published",
            f.packages.len() - crates,
            f.packages.len() - publishable
        ),
    );
    if let Some(r) = &f.cargo_registry {
        line(s, "cargo registry", &r.value, &r.why);
    }
    if let Some(r) = &f.python_index {
        line(s, "python index", &r.value.0, &r.why);
    }
}

/// The tag conventions: per package, each ecosystem's umbrella, the umbrella beside them.
fn report_tags(s: &mut String, f: &Found, inferred: &Inferred) {
    line(s, "tags", &f.tags.len().to_string(), "in the repository");
    if !inferred.cargo_tags.is_empty() {
        line(s, "  crates", "", &conventions(&inferred.cargo_tags));
    }
    if !inferred.python_tags.is_empty() {
        line(s, "  python", "", &conventions(&inferred.python_tags));
    }
    for (eco, what) in [(Ecosystem::Cargo, "  crates, one"), (Ecosystem::Python, "  python, one")] {
        if let Some(u) = inferred.umbrella_of(eco) {
            let separate = if u.separate.is_empty() {
                String::new()
            } else {
                format!("; at versions of their own (separate): {}", u.separate.join(", "))
            };
            let why = format!("{} package(s) at its version, {}{separate}", u.members, conventions(&u.templates));
            line(s, what, &u.templates[0].template, &why);
        }
    }
    if let Some(u) = &inferred.umbrella {
        line(
            s,
            "  umbrella",
            &u.template,
            &format!("{} tag(s) beside the packages' own, newest {}", u.count, u.newest),
        );
    }
}

/// The groups, and the tags no package here has.
fn report_groups(s: &mut String, inferred: &Inferred) {
    for g in &inferred.groups {
        line(s, "group", &g.name, &format!("{}: {}", g.members.join(", "), g.why));
    }
    if inferred.unrecognized_count > 0 {
        line(
            s,
            "  not read",
            &inferred.unrecognized_count.to_string(),
            &format!(
                "tag(s) of no package here (no convention found, or not at the version a package had there), e.g. {}",
                inferred.unrecognized.join(", ")
            ),
        );
    }
}

/// Where `plan` will stop, and each package's last release (what `plan` starts from).
fn report_last_releases(s: &mut String, look: &Look, config: &Config, ws: &Workspace) {
    for problem in crate::tags::umbrella_problems(config, ws) {
        let _ = writeln!(s, "note: `plan` will stop: {} ({})", problem.cause, problem.help);
    }
    s.push_str("last release per package (what `plan` starts from):\n");
    let groups = crate::tags::tag_groups(config, ws);
    for (i, p) in ws.packages.iter().enumerate() {
        let last = if p.unpublishable.is_some() {
            "never published".to_string()
        } else {
            last_release(&crate::tags::tag_patterns(config, p, groups[i]), p.ecosystem, &look.found.tags, &look.history)
                .unwrap_or_else(|| format!("none: a first release of {}", p.version_text))
        };
        let _ = writeln!(s, "  {:<24} {last}", ws.id(i));
    }
}

/// The tag matching `patterns` with the highest version HEAD reaches, read as `plan` reads it.
fn last_release(patterns: &[String], eco: Ecosystem, tags: &[TagRef], history: &HashSet<String>) -> Option<String> {
    tags.iter()
        .filter(|t| history.contains(&t.commit))
        .filter_map(|t| {
            let v = patterns
                .iter()
                .filter_map(|pat| crate::tags::match_tag(pat, &t.name))
                .find_map(|v| Version::parse(eco, v).ok())?;
            Some((v, t.name.clone()))
        })
        .max_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal))
        .map(|(_, name)| name)
}
