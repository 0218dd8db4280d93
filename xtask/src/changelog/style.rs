//! How a changelog writes its version headings, read from the file itself, so
//! a new section looks like the ones below it:
//!
//! | file                | heading                                | date                      |
//! |---------------------|----------------------------------------|---------------------------|
//! | Keep a Changelog    | `## [1.2.0](COMPARE-URL) - 2026-01-02` | ISO, after ` - `          |
//! | Untether            | `## v0.32.1 (2026-03-06)`              | ISO, in parentheses       |
//! | tokio               | `# 1.53.1 (November 21st, 2025)`       | in words, in parentheses  |
//! | ruff                | `## 0.16.4`                            | `Released on 2026-08-20.` |
//!
//! The newest version heading is the model: its level, brackets (and so the
//! compare link), `v` prefix, the text around the date and the date's format;
//! and the level of the first group heading under it (`### Added`). A file
//! without a version heading gets the Keep a Changelog style. Pure.

use std::ops::Range;

use super::read::Heading;

/// The style of a changelog's version sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Style {
    /// The `#` count of a version heading: 2, or 1 (tokio: `# 1.53.1 (...)`).
    pub level: usize,
    /// `[1.2.0]`, linked to the comparison with the previous tag when there is one.
    pub brackets: bool,
    /// The `v` (or `V`) before the version, as the file writes it.
    pub v: Option<char>,
    pub date: DatePlace,
    /// The `#` count of the group headings (`### Features`).
    pub group_level: usize,
}

/// Where a section says its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatePlace {
    /// In the heading, after the version: ` - 2026-01-02`, ` (2026-01-02)`.
    Heading(Dated),
    /// The first line of the section: `Released on 2026-08-20.` (ruff).
    FirstLine(Dated),
    /// Nowhere.
    Undated,
}

/// A date with the text around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dated {
    pub before: String,
    pub format: DateFormat,
    pub after: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `2026-01-02`.
    Iso,
    /// `November 21st, 2025`, `Mar 2nd, 2026`, `March 14, 2024`, `21 November 2025`.
    Words { short_month: bool, ordinal: bool, day_first: bool, comma: bool },
}

impl Default for Style {
    /// Keep a Changelog: `## [1.2.0](URL) - 2026-01-02`, groups at `###`.
    fn default() -> Style {
        Style {
            level: 2,
            brackets: true,
            v: None,
            date: DatePlace::Heading(Dated { before: " - ".into(), format: DateFormat::Iso, after: String::new() }),
            group_level: 3,
        }
    }
}

/// At most this much text between the version and the date is copied (` - `,
/// ` (`, ` released `); longer text is not a separator.
const MAX_BEFORE: usize = 16;

/// A date on the first line of a section counts when the line is this short.
const MAX_DATE_LINE: usize = 80;

impl Style {
    /// The style of the file whose headings are `hs`, modelled on the newest
    /// version heading (`newest`: its index in `hs`) at `level`.
    pub(super) fn of(text: &str, hs: &[Heading], level: usize, newest: Option<usize>) -> Style {
        let Some(at) = newest else { return Style { level, ..Style::default() } };
        let h = &hs[at];
        let (brackets, version, rest) = split_heading(h.text);
        let v = version.chars().next().filter(|c| matches!(c, 'v' | 'V'));
        let date = match DateFormat::find(rest) {
            Some((range, format)) => DatePlace::Heading(heading_date(rest, range, format)),
            None => first_line_date(text, hs, at),
        };
        let section_end = hs[at + 1..].iter().position(|n| n.level <= level).map_or(hs.len(), |i| at + 1 + i);
        let group_level =
            hs[at + 1..section_end].iter().map(|g| g.level).find(|&l| l > level).unwrap_or(level.max(2) + 1);
        Style { level, brackets, v, date, group_level }
    }

    /// The heading of `version` released on `iso_date` (`YYYY-MM-DD`), linked to `url` in brackets.
    pub fn heading(&self, version: &str, iso_date: &str, url: Option<&str>) -> String {
        let mut name = String::new();
        name.extend(self.v);
        name.push_str(version);
        let mut out = format!("{} ", "#".repeat(self.level));
        match (self.brackets, url) {
            (true, Some(url)) => out.push_str(&format!("[{name}]({url})")),
            (true, None) => out.push_str(&format!("[{name}]")),
            (false, _) => out.push_str(&name),
        }
        if let DatePlace::Heading(d) = &self.date {
            out.push_str(&d.render(iso_date));
        }
        out
    }

    /// The line a section starts with (ruff's `Released on DATE.`), if any.
    pub fn first_line(&self, iso_date: &str) -> Option<String> {
        match &self.date {
            DatePlace::FirstLine(d) => Some(d.render(iso_date)),
            _ => None,
        }
    }
}

impl Dated {
    fn render(&self, iso_date: &str) -> String {
        format!("{}{}{}", self.before, self.format.render(iso_date), self.after)
    }
}

/// `[1.2.0](url) - date` → (true, `1.2.0`, ` - date`); `v1.2.0 (date)` → (false, `v1.2.0`, ` (date)`).
fn split_heading(text: &str) -> (bool, &str, &str) {
    if let Some(inner) = text.strip_prefix('[') {
        if let Some(close) = inner.find(']') {
            let mut rest = &inner[close + 1..];
            // the link of the old version's comparison
            if rest.starts_with('(') {
                rest = rest.find(')').map_or("", |end| &rest[end + 1..]);
            }
            return (true, &inner[..close], rest);
        }
    }
    let end = text.find([' ', '\t', '(']).unwrap_or(text.len());
    (false, &text[..end], &text[end..])
}

/// The date of a heading, with the separator before it and the closing
/// punctuation after it (anything else after the date is that release's own).
fn heading_date(rest: &str, range: Range<usize>, format: DateFormat) -> Dated {
    let before = &rest[..range.start];
    let before = if before.len() <= MAX_BEFORE { before.to_string() } else { " - ".to_string() };
    let after: String = rest[range.end..].chars().take_while(|c| matches!(c, ')' | ']' | '*' | '_')).collect();
    Dated { before, format, after }
}

/// A section whose heading has no date may say it on its first line, alone in
/// its paragraph (ruff: `Released on 2026-08-20.`).
fn first_line_date(text: &str, hs: &[Heading], at: usize) -> DatePlace {
    let h = &hs[at];
    let body_start = h.start + text[h.start..].find('\n').map_or(text.len() - h.start, |n| n + 1);
    let body_end = hs.get(at + 1).map_or(text.len(), |n| n.start);
    let mut lines = text[body_start..body_end].lines().map(|l| l.trim_end_matches('\r')).skip_while(|l| l.is_empty());
    let (Some(first), next) = (lines.next(), lines.next()) else { return DatePlace::Undated };
    if next.is_some_and(|n| !n.trim().is_empty()) || first.len() > MAX_DATE_LINE {
        return DatePlace::Undated;
    }
    match DateFormat::find(first) {
        Some((range, format)) => DatePlace::FirstLine(Dated {
            before: first[..range.start].to_string(),
            format,
            after: first[range.end..].to_string(),
        }),
        None => DatePlace::Undated,
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The month a word names (`March`, `Mar`, `Mar.`, `Sept`) and whether it is short.
fn month(word: &str) -> Option<(usize, bool)> {
    let w = word.trim_end_matches('.');
    if w.len() < 3 {
        return None;
    }
    MONTHS.iter().position(|m| m.eq_ignore_ascii_case(w)).map(|i| (i, false)).or_else(|| {
        let short = w.eq_ignore_ascii_case("sept") || w.len() == 3;
        MONTHS.iter().position(|m| short && m.len() > 3 && m[..w.len()].eq_ignore_ascii_case(w)).map(|i| (i, true))
    })
}

/// `21st` → (21, true); `14` → (14, false).
fn day(word: &str) -> Option<(u32, bool)> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let n: u32 = word[..digits].parse().ok().filter(|d| (1..=31).contains(d))?;
    match &word[digits..].to_ascii_lowercase()[..] {
        "" => Some((n, false)),
        "st" | "nd" | "rd" | "th" => Some((n, true)),
        _ => None,
    }
}

fn year(word: &str) -> bool {
    word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit())
}

impl DateFormat {
    /// The first date in `text`: its byte range and format.
    pub fn find(text: &str) -> Option<(Range<usize>, DateFormat)> {
        // words with their byte ranges; a comma ends a word
        let mut words: Vec<(usize, usize)> = vec![];
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            let part = c.is_alphanumeric() || c == '-' || c == '.';
            match (start, part) {
                (None, true) => start = Some(i),
                (Some(s), false) => {
                    words.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        let word = |i: usize| words.get(i).map(|&(s, e)| text[s..e].trim_end_matches('.'));
        let comma_after = |i: usize| words.get(i).is_some_and(|&(_, e)| text[e..].starts_with(','));
        for i in 0..words.len() {
            let (s, e) = words[i];
            if is_iso(text[s..e].trim_end_matches('.')) {
                return Some((s..s + 10, DateFormat::Iso));
            }
            let w = word(i).unwrap_or("");
            // November 21st, 2025
            if let (Some((_, short_month)), Some((_, ordinal)), Some(y)) =
                (month(w), word(i + 1).and_then(day), word(i + 2))
            {
                if year(y) {
                    let comma = comma_after(i + 1);
                    let end = words[i + 2].0 + 4;
                    return Some((s..end, DateFormat::Words { short_month, ordinal, day_first: false, comma }));
                }
            }
            // 21 November 2025
            if let (Some((_, ordinal)), Some((_, short_month)), Some(y)) =
                (day(w), word(i + 1).and_then(month), word(i + 2))
            {
                if year(y) {
                    let comma = comma_after(i + 1);
                    let end = words[i + 2].0 + 4;
                    return Some((s..end, DateFormat::Words { short_month, ordinal, day_first: true, comma }));
                }
            }
        }
        None
    }

    /// `iso_date` (`YYYY-MM-DD`) in this format; unchanged when it is not one.
    pub fn render(self, iso_date: &str) -> String {
        let DateFormat::Words { short_month, ordinal, day_first, comma } = self else {
            return iso_date.to_string();
        };
        let parts: Vec<u32> = iso_date.split('-').filter_map(|p| p.parse().ok()).collect();
        let [y, m, d] = parts[..] else { return iso_date.to_string() };
        if !is_iso(iso_date) || !(1..=12).contains(&m) {
            return iso_date.to_string();
        }
        let name = MONTHS[m as usize - 1];
        let name = if short_month { &name[..3] } else { name };
        let suffix = match (ordinal, d % 10, d % 100) {
            (false, ..) => "",
            (true, _, 11..=13) => "th",
            (true, 1, _) => "st",
            (true, 2, _) => "nd",
            (true, 3, _) => "rd",
            (true, ..) => "th",
        };
        let comma = if comma { "," } else { "" };
        if day_first {
            format!("{d}{suffix} {name}{comma} {y}")
        } else {
            format!("{name} {d}{suffix}{comma} {y}")
        }
    }
}

/// `YYYY-MM-DD` exactly (the start of a longer word, `2026-01-02T10:00`, too).
fn is_iso(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
        && b.get(10).is_none_or(|c| !c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_found_and_written_back_alike() {
        for (text, iso) in [
            ("1.53.1 (November 21st, 2025)", "2025-11-21"),
            ("2.6.1 (Mar 2nd, 2026)", "2026-03-02"),
            ("0.4.4 (March 14, 2024)", "2024-03-14"),
            ("1.0.0 - 2026-01-02", "2026-01-02"),
            ("Released on 2026-08-20.", "2026-08-20"),
            ("1.0.0 (3rd January 2026)", "2026-01-03"),
            ("1.0.0 - 11 Dec 2026", "2026-12-11"),
        ] {
            let (range, format) = DateFormat::find(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(format.render(iso), text[range].to_string(), "{text}");
        }
        for none in ["1.2.0", "0.15.x", "v1.2.0 (yanked)", "May the 4th", "1.0.0 - 2026-1-2", "12026-01-02"] {
            assert_eq!(DateFormat::find(none), None, "{none}");
        }
        let words = DateFormat::Words { short_month: false, ordinal: true, day_first: false, comma: true };
        let ordinals: Vec<String> = ["01", "02", "03", "04", "11", "12", "13", "21", "22", "23", "31"]
            .iter()
            .map(|d| words.render(&format!("2026-01-{d}")))
            .collect();
        assert_eq!(
            ordinals,
            [
                "January 1st, 2026",
                "January 2nd, 2026",
                "January 3rd, 2026",
                "January 4th, 2026",
                "January 11th, 2026",
                "January 12th, 2026",
                "January 13th, 2026",
                "January 21st, 2026",
                "January 22nd, 2026",
                "January 23rd, 2026",
                "January 31st, 2026",
            ]
        );
        assert_eq!(words.render("not a date"), "not a date");
    }

    #[test]
    fn headings_are_split_into_their_parts() {
        assert_eq!(split_heading("[1.2.0](https://x/compare/a...b) - 2026-01-02"), (true, "1.2.0", " - 2026-01-02"));
        assert_eq!(split_heading("[v1.2.0] - 2026-01-02"), (true, "v1.2.0", " - 2026-01-02"));
        assert_eq!(split_heading("v0.32.1 (2026-03-06)"), (false, "v0.32.1", " (2026-03-06)"));
        assert_eq!(split_heading("0.16.4"), (false, "0.16.4", ""));
        let d = heading_date(" (2026-03-06) yanked", 2..12, DateFormat::Iso);
        assert_eq!((d.before.as_str(), d.after.as_str()), (" (", ")"));
    }
}
