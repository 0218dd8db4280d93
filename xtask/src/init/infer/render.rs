//! The configuration file for what was found and inferred, each key with
//! its evidence in a comment.

use std::fmt::Write as _;

use super::{Convention, Found, Inferred};
use crate::version::Ecosystem;

/// The configuration file for what was found and inferred.
pub fn render(found: &Found, inferred: &Inferred) -> String {
    let q = |s: &str| toml_edit::Value::from(s).to_string().trim().to_string();
    let mut s = String::from(
        "# xtask-release configuration, written by `cargo xtask init` from what it found\n\
         # in this repository. Every key is optional; see README.md, \"Configuration\".\n",
    );
    let python_root = found.python_root.as_ref().filter(|r| r.value != ".");
    if python_root.is_some() || found.python_index.is_some() {
        s.push_str("\n[python]\n");
        if let Some(r) = python_root {
            let _ = writeln!(s, "# {}\nroot = {}", r.why, q(&r.value));
        }
        if let Some(ix) = &found.python_index {
            let _ = writeln!(s, "# {}\npublish-url = {}\nindex-url = {}", ix.why, q(&ix.value.0), q(&ix.value.1));
        }
    }
    let cargo_root = found.cargo_root.as_ref().filter(|r| r.value != ".");
    if cargo_root.is_some() || found.cargo_registry.is_some() {
        s.push_str("\n[cargo]\n");
        if let Some(r) = cargo_root {
            let _ = writeln!(s, "# {}\nroot = {}", r.why, q(&r.value));
        }
        if let Some(r) = &found.cargo_registry {
            let _ = writeln!(s, "# {}\nregistry = {}", r.why, q(&r.value));
        }
    }
    let tags = render_tags(inferred);
    if !tags.is_empty() {
        let _ = write!(s, "\n[tags]\n{tags}");
    }
    if tags.is_empty() && inferred.groups.is_empty() {
        let why = if found.tags.is_empty() {
            "No release tags found: each package's first release is tagged".to_string()
        } else if inferred.cargo_tags.is_empty() && inferred.python_tags.is_empty() {
            format!(
                "None of the {} tag(s) is a release of a package here: each first release is tagged",
                found.tags.len()
            )
        } else {
            "The release tags follow the default template,".to_string()
        };
        let _ = writeln!(s, "\n# {why} {} (tags.package).", crate::config::DEFAULT_TAG);
    }
    for g in &inferred.groups {
        let members: Vec<String> = g.members.iter().map(|m| q(m)).collect();
        let _ = write!(s, "\n[[groups]]\n# {}\nname = {}\nmembers = [{}]\n", g.why, q(&g.name), members.join(", "));
        if !g.tag.is_empty() {
            let _ = writeln!(s, "tag = {}", list(&g.tag));
        }
    }
    if let Some(c) = &found.no_changelogs {
        let _ = writeln!(s, "\n[changelog]\n# {}\nenabled = false", c.why);
    }
    if let Some(b) = &found.branch {
        let _ = writeln!(s, "\n[release]\n# {}\nallow-branches = [{}]", b.why, q(&b.value));
    }
    s
}

/// One template, or a list of them.
fn list(cs: &[Convention]) -> String {
    let q = |s: &str| toml_edit::Value::from(s).to_string().trim().to_string();
    if cs.len() == 1 {
        q(&cs[0].template)
    } else {
        format!("[{}]", cs.iter().map(|c| q(&c.template)).collect::<Vec<_>>().join(", "))
    }
}

/// "N tag(s) like NEWEST" for each template.
fn evidence(cs: &[Convention]) -> String {
    let parts: Vec<String> = cs.iter().map(|c| format!("{} tag(s) like {}", c.count, c.newest)).collect();
    let tail = if cs.len() > 1 { ": a release writes the first template, history is read with all" } else { "" };
    format!("{}{tail}", parts.join(", "))
}

/// The body of `[tags]`: per-package templates under `package` (or one key per
/// ecosystem when they differ or one has an umbrella), the umbrellas with
/// the ecosystems' per-package templates after them, `separate`, `umbrella`.
fn render_tags(inferred: &Inferred) -> String {
    let q = |s: &str| toml_edit::Value::from(s).to_string().trim().to_string();
    let default = |cs: &[Convention]| cs.is_empty() || (cs.len() == 1 && cs[0].template == crate::config::DEFAULT_TAG);
    let (cargo, python) = (&inferred.cargo_tags, &inferred.python_tags);
    let mut tags = String::new();
    let umbrellas = inferred.cargo_umbrella.is_some() || inferred.python_umbrella.is_some();
    let same = cargo.iter().map(|c| &c.template).eq(python.iter().map(|c| &c.template));
    if !umbrellas && (cargo.is_empty() || python.is_empty() || same) {
        let cs = if cargo.is_empty() { python } else { cargo };
        if !default(cs) {
            let ev = if same && !python.is_empty() {
                format!("crates: {}; Python packages: {}", evidence(cargo), evidence(python))
            } else {
                evidence(cs)
            };
            let _ = writeln!(tags, "# {ev}\npackage = {}", list(cs));
        }
    } else {
        for (eco, key, what) in [(Ecosystem::Cargo, "cargo", "crate"), (Ecosystem::Python, "python", "Python package")]
        {
            let own = inferred.tags(eco);
            match inferred.umbrella_of(eco) {
                Some(u) => {
                    let all: Vec<Convention> = u.templates.iter().chain(own).cloned().collect();
                    let _ = writeln!(
                        tags,
                        "# {key}: {}: one tag for every {what}, at one version ({} at the version of {})\n{key} = {}",
                        evidence(&all),
                        u.members,
                        u.templates[0].newest,
                        list(&all)
                    );
                }
                None if !default(own) => {
                    let _ = writeln!(tags, "# {key}: {}\n{key} = {}", evidence(own), list(own));
                }
                None => {}
            }
        }
        let separate: Vec<String> = [&inferred.cargo_umbrella, &inferred.python_umbrella]
            .into_iter()
            .flatten()
            .flat_map(|u| u.separate.iter().map(|m| q(m)))
            .collect();
        if !separate.is_empty() {
            let _ = writeln!(
                tags,
                "# at versions of their own, not the umbrella's: tagged with their ecosystem's template with {{name}}\nseparate = [{}]",
                separate.join(", ")
            );
        }
    }
    if let Some(u) = &inferred.umbrella {
        let _ = writeln!(
            tags,
            "# {} tag(s) like {} beside the packages' own tags: one more tag per release\numbrella = {}",
            u.count,
            u.newest,
            q(&u.template)
        );
    }
    tags
}
