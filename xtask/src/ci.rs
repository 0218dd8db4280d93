//! CI-native output, for GitHub Actions: errors as workflow-command
//! annotations (`::error title=…::…`, shown on the run's page and the pull
//! request) and the job summary (`$GITHUB_STEP_SUMMARY`, Markdown appended
//! to a file the runner renders). Outside GitHub Actions nothing here prints.
//! Below everything that reports: it imports nothing of the crate.

use std::path::PathBuf;

/// Whether this runs in GitHub Actions (the runner sets `GITHUB_ACTIONS=true`).
pub fn github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The job summary's file, in GitHub Actions.
pub fn step_summary() -> Option<PathBuf> {
    let file = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|f| !f.is_empty())?;
    github_actions().then(|| PathBuf::from(file))
}

/// The `::error::` line for a failure: its code as the title, the cause and
/// the next step as the message (one line: newlines are escaped as the
/// runner wants, `%0A`).
pub fn error_annotation(code: &str, cause: &str, help: &str) -> String {
    annotation(code, cause, "help", help)
}

/// An `::error::` line whose next step is labelled `label` (`help`, or
/// preflight's `fix`).
pub fn annotation(code: &str, cause: &str, label: &str, next: &str) -> String {
    let message = if next.is_empty() { cause.to_string() } else { format!("{cause}\n{label}: {next}") };
    format!("::error title={}::{}", escape_property(&format!("error[{code}]")), escape_data(&message))
}

/// A message of a workflow command: `%`, CR and LF escaped.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A property of a workflow command: also `:` and `,`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `text` in a Markdown table cell.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_are_one_escaped_line() {
        let line = error_annotation("XR048", "100% shallow: a, b\nsecond", "git fetch --unshallow --tags");
        assert_eq!(
            line,
            "::error title=error[XR048]::100%25 shallow: a, b%0Asecond%0Ahelp: git fetch --unshallow --tags"
        );
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
