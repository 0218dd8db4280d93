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
    /// Byte range of the specifier in the parsed text (empty, at the insertion
    /// point, when there is none), so a rewrite changes nothing else.
    pub spec_range: std::ops::Range<usize>,
    pub url: Option<String>,
    /// The environment marker as written after `;`, trimmed.
    pub marker: Option<String>,
}

impl Requirement {
    /// `text` (the string this was parsed from) with the specifier replaced.
    pub fn with_specifier(&self, text: &str, spec: &str) -> String {
        let r = &self.spec_range;
        let mut out = String::with_capacity(text.len() + spec.len());
        out.push_str(&text[..r.start]);
        out.push_str(spec);
        out.push_str(&text[r.end..]);
        out
    }
}

pub fn parse(input: &str) -> Result<Requirement, String> {
    let bad = |why: &str| format!("`{input}` is not a PEP 508 requirement: {why}");
    if input.trim().is_empty() {
        return Err(bad("it is empty"));
    }
    let lead = input.len() - input.trim_start().len();
    let s = input.trim_end();
    let mut pos = lead;
    let name_len =
        s[pos..].find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).unwrap_or(s.len() - pos);
    let name = &s[pos..pos + name_len];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(bad("it must start with a package name"));
    }
    pos += name_len;
    let skip_ws = |pos: usize| pos + (s[pos..].len() - s[pos..].trim_start().len());
    let mut extras = vec![];
    let after_ws = skip_ws(pos);
    if s[after_ws..].starts_with('[') {
        let close = s[after_ws..].find(']').ok_or_else(|| bad("unclosed `[`"))? + after_ws;
        extras = s[after_ws + 1..close].split(',').map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect();
        pos = close + 1;
    }
    let marker_at = s[pos..].find(';').map(|i| i + pos);
    let body_end = marker_at.unwrap_or(s.len());
    let marker = marker_at.map(|i| s[i + 1..].trim().to_string()).filter(|m| !m.is_empty());
    let body = &s[pos..body_end];
    let body_start = pos + (body.len() - body.trim_start().len());
    let trimmed = body.trim();
    if let Some(u) = trimmed.strip_prefix('@') {
        return Ok(Requirement {
            name: name.to_string(),
            extras,
            specifier: String::new(),
            spec_range: pos..pos,
            url: Some(u.trim().to_string()),
            marker,
        });
    }
    let (spec_start, spec_text) = match trimmed.strip_prefix('(') {
        Some(inner) => {
            let inner = inner.strip_suffix(')').ok_or_else(|| bad("unclosed `(`"))?;
            let lead = inner.len() - inner.trim_start().len();
            (body_start + 1 + lead, inner.trim())
        }
        None => (body_start, trimmed),
    };
    if !spec_text.is_empty() && !spec_text.starts_with(['=', '<', '>', '!', '~']) {
        return Err(bad(&format!("unexpected `{spec_text}`")));
    }
    let spec_range = if spec_text.is_empty() { pos..pos } else { spec_start..spec_start + spec_text.len() };
    Ok(Requirement { name: name.to_string(), extras, specifier: spec_text.to_string(), spec_range, url: None, marker })
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
        let r = parse("My_Pkg[cli, extra2] >=1.0,<2 ; python_version >= '3.9' and sys_platform != 'win32'").unwrap();
        assert_eq!(r.name, "My_Pkg");
        assert_eq!(r.extras, ["cli", "extra2"]);
        assert_eq!(r.specifier, ">=1.0,<2");
        assert_eq!(r.marker.as_deref(), Some("python_version >= '3.9' and sys_platform != 'win32'"));
        let r = parse("core").unwrap();
        assert_eq!((r.specifier.as_str(), r.marker), ("", None));
        let r = parse("core (==1.0)").unwrap();
        assert_eq!(r.specifier, "==1.0");
        let r = parse("pkg @ https://example.invalid/pkg.whl ; os_name == 'nt'").unwrap();
        assert_eq!(r.url.as_deref(), Some("https://example.invalid/pkg.whl"));
        assert!(parse(">=1").is_err());
        let text = "  models[speed] >=1.2,<2 ; python_version >= '3.9'";
        let r = parse(text).unwrap();
        assert_eq!(r.with_specifier(text, "==2.0.0"), "  models[speed] ==2.0.0 ; python_version >= '3.9'");
        let text = "models; os_name == 'nt'";
        assert_eq!(parse(text).unwrap().with_specifier(text, "==1.0"), "models==1.0; os_name == 'nt'");
        let text = "core ( >=1.0 )";
        assert_eq!(parse(text).unwrap().with_specifier(text, "==2"), "core ( ==2 )");
        assert!(parse("a[b").is_err());
        assert!(parse("a 1.0").is_err());
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize("Foo.Bar__baz-"), "foo-bar-baz");
        assert_eq!(normalize("a-b"), normalize("A_B"));
    }
}
