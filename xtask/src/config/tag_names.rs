//! Tag templates and tag names: a template's check, its rendering, and git's
//! rules for a ref name.

use crate::error::{fail, Code};

pub(super) fn validate_template(t: &str, key: &str, needs_name: bool) -> anyhow::Result<()> {
    let help = format!("set `{key}`, e.g. \"{{name}}-v{{version}}\" (per package) or \"v{{version}}\" (umbrella)");
    if !t.contains("{version}") {
        return Err(fail(Code::TagFormat, format!("`{key}` = {t:?} has no {{version}}"), help));
    }
    if needs_name && !t.contains("{name}") {
        return Err(fail(
            Code::TagFormat,
            format!("`{key}` = {t:?} has no {{name}}: two packages would share a tag"),
            help,
        ));
    }
    let rest = t.replace("{name}", "").replace("{version}", "");
    if rest.contains(['{', '}']) {
        return Err(fail(Code::TagFormat, format!("`{key}` = {t:?} has an unknown placeholder"), help));
    }
    // a sample tag must be a valid ref; real names and versions are checked again per package
    let sample = t.replace("{name}", "pkg").replace("{version}", "1.0.0");
    if let Err(why) = check_ref_name(&sample) {
        return Err(fail(Code::TagFormat, format!("`{key}` = {t:?} gives tags like `{sample}`, which {why}"), help));
    }
    Ok(())
}

/// Renders a tag template.
pub fn render_tag(template: &str, name: &str, version: &str) -> String {
    template.replace("{name}", name).replace("{version}", version)
}

/// git's rules for a ref name (`git check-ref-format`), applied to a tag name.
pub fn check_ref_name(tag: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("git refuses as a tag name: {why}"));
    if tag.is_empty() || tag == "@" {
        return bad("empty or `@`");
    }
    if tag.starts_with('-') {
        return bad("it starts with `-`");
    }
    if tag.starts_with('/') || tag.ends_with('/') || tag.contains("//") {
        return bad("a leading, trailing or double `/`");
    }
    if tag.ends_with('.') {
        return bad("it ends with `.`");
    }
    if tag.contains("..") || tag.contains("@{") {
        return bad("it contains `..` or `@{`");
    }
    if let Some(c) = tag.chars().find(|c| c.is_ascii_control() || " ~^:?*[\\".contains(*c)) {
        return bad(&format!("it contains {c:?}"));
    }
    for part in tag.split('/') {
        if part.starts_with('.') || part.ends_with(".lock") {
            return bad("a part starts with `.` or ends with `.lock`");
        }
    }
    Ok(())
}
