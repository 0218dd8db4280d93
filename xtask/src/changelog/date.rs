//! Release dates: `today` (or `SOURCE_DATE_EPOCH`) as `YYYY-MM-DD`.

/// Today's date in UTC, `YYYY-MM-DD`; `SOURCE_DATE_EPOCH` (seconds) when set,
/// for reproducible output.
pub fn today() -> String {
    let secs =
        std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
        });
    date_of(secs)
}

/// The UTC date of a Unix time, `YYYY-MM-DD` (proleptic Gregorian).
pub fn date_of(unix_secs: i64) -> String {
    // days to civil date: Howard Hinnant's algorithm
    let z = unix_secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
