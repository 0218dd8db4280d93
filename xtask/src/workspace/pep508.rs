//! PEP 508 dependency specifiers, split into their parts without losing any:
//! `name[extras] (specifier) ; marker` or `name[extras] @ url ; marker`.
//! The marker and extras are kept as written so that a rewrite (pinning an
//! internal requirement) changes the version part and nothing else.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub name: String,
    pub extras: Vec<String>,
    /// The version specifier as written, without parentheses (`>=1.0,<2`), or "".
    pub specifier: String,
    pub url: Option<String>,
    /// The environment marker as written after `;`, trimmed.
    pub marker: Option<String>,
}

pub fn parse(input: &str) -> Result<Requirement, String> {
    let s = input.trim();
    let bad = |why: &str| format!("`{input}` is not a PEP 508 requirement: {why}");
    let name_end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(s.len());
    let name = &s[..name_end];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(bad("it must start with a package name"));
    }
    let mut rest = s[name_end..].trim_start();
    let mut extras = vec![];
    if let Some(r) = rest.strip_prefix('[') {
        let close = r.find(']').ok_or_else(|| bad("unclosed `[`"))?;
        extras = r[..close]
            .split(',')
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect();
        rest = r[close + 1..].trim_start();
    }
    let (before_marker, marker) = match rest.find(';') {
        Some(i) => (&rest[..i], Some(rest[i + 1..].trim().to_string())),
        None => (rest, None),
    };
    let before_marker = before_marker.trim();
    let (specifier, url) = if let Some(u) = before_marker.strip_prefix('@') {
        (String::new(), Some(u.trim().to_string()))
    } else {
        let spec = before_marker
            .strip_prefix('(')
            .map_or(before_marker, |s| s.trim_end_matches(')'));
        (spec.trim().to_string(), None)
    };
    if !specifier.is_empty() && !specifier.starts_with(['=', '<', '>', '!', '~']) {
        return Err(bad(&format!("unexpected `{specifier}`")));
    }
    Ok(Requirement {
        name: name.to_string(),
        extras,
        specifier,
        url,
        marker: marker.filter(|m| !m.is_empty()),
    })
}

/// PEP 503 normalization: lower case, runs of `-_.` become one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        let r = parse(
            "My_Pkg[cli, extra2] >=1.0,<2 ; python_version >= '3.9' and sys_platform != 'win32'",
        )
        .unwrap();
        assert_eq!(r.name, "My_Pkg");
        assert_eq!(r.extras, ["cli", "extra2"]);
        assert_eq!(r.specifier, ">=1.0,<2");
        assert_eq!(
            r.marker.as_deref(),
            Some("python_version >= '3.9' and sys_platform != 'win32'")
        );
        let r = parse("core").unwrap();
        assert_eq!((r.specifier.as_str(), r.marker), ("", None));
        let r = parse("core (==1.0)").unwrap();
        assert_eq!(r.specifier, "==1.0");
        let r = parse("pkg @ https://example.invalid/pkg.whl ; os_name == 'nt'").unwrap();
        assert_eq!(r.url.as_deref(), Some("https://example.invalid/pkg.whl"));
        assert!(parse(">=1").is_err());
        assert!(parse("a[b").is_err());
        assert!(parse("a 1.0").is_err());
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize("Foo.Bar__baz-"), "foo-bar-baz");
        assert_eq!(normalize("a-b"), normalize("A_B"));
    }
}
