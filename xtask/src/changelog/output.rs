//! Text made from sections for outside the changelog files: release notes
//! (per package and umbrella) and the `changelog` command's Markdown and JSON.

use std::fmt::Write as _;

use super::{Section, Style};

/// A package's release notes: its section's body.
pub fn release_notes(section: &Section) -> String {
    section.body()
}

/// The notes of the whole release (umbrella tag): a table of every package and
/// version, then each package's notes under `## name version`.
pub fn umbrella_notes(sections: &[Section]) -> String {
    let mut out = String::from("| Package | Version |\n| --- | --- |\n");
    for s in sections {
        let _ = writeln!(out, "| {} | {} |", s.package, s.version);
    }
    for s in sections {
        let _ = write!(out, "\n{}\n\n{}", package_heading(s, 2), s.body());
    }
    out
}

pub(super) fn package_heading(s: &Section, level: usize) -> String {
    let hashes = "#".repeat(level);
    match &s.compare_url {
        Some(url) => format!("{hashes} [{} {}]({url})", s.package, s.version),
        None => format!("{hashes} {} {}", s.package, s.version),
    }
}

/// Every section with the file it goes to, for a person, each in its file's
/// style (`styles[i]` for `sections[i]`: `style_of` the file).
pub fn render_markdown(sections: &[Section], styles: &[Style]) -> String {
    let mut out = String::new();
    for (i, (s, style)) in sections.iter().zip(styles).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(out, "<!-- {}: {} {} -->\n{}", s.path, s.package, s.version, s.markdown_in(style));
    }
    out
}

/// `{"sections": [...]}`: each `Section`'s fields plus its `heading` and
/// `markdown` in its file's style.
pub fn render_json(sections: &[Section], styles: &[Style]) -> String {
    let list: Vec<serde_json::Value> = sections
        .iter()
        .zip(styles)
        .map(|(s, style)| {
            let mut v = serde_json::to_value(s).expect("plain data");
            v["heading"] = s.heading_in(style).into();
            v["markdown"] = s.markdown_in(style).into();
            v
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&serde_json::json!({ "sections": list })).expect("plain data");
    out.push('\n');
    out
}
