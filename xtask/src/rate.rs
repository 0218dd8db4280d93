//! Registry rate limits, pure: a `Limit` (a burst, then one more every so
//! often), the limits the public registries enforce (crates.io's rate limiter
//! defaults; PyPI's new-project limit), the `Bucket` that counts them as the
//! registry does, and the retry time a refused (429) upload names.
//! Below `config` (which reads `[cargo.rate-limit]`/`[python.rate-limit]`);
//! it imports nothing of the crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A token bucket's settings: `burst` at once, then one every `every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub burst: u32,
    pub every: Duration,
}

impl Limit {
    pub const fn new(burst: u32, every_seconds: u64) -> Limit {
        Limit { burst, every: Duration::from_secs(every_seconds) }
    }

    /// The least time `n` actions take from a full bucket: the burst at
    /// once, then one every `every`.
    pub fn least_time(self, n: u32) -> Duration {
        self.every * n.saturating_sub(self.burst)
    }

    /// "30 new versions at once, then 1 a minute".
    pub fn describe(self, what: &str) -> String {
        format!("{} {what} at once, then 1 {}", self.burst, per(self.every))
    }
}

/// "a minute", "every 10 minutes", "every 2 s".
fn per(every: Duration) -> String {
    let s = every.as_secs();
    match s {
        60 => "a minute".into(),
        3600 => "an hour".into(),
        s if s.is_multiple_of(3600) => format!("every {} hours", s / 3600),
        s if s.is_multiple_of(60) => format!("every {} minutes", s / 60),
        _ => format!("every {} s", every.as_secs_f64()),
    }
}

/// What a registry limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// The first upload of a crate or project.
    New,
    /// A new version of one that exists.
    Update,
    /// A yank or unyank (rollback).
    Yank,
}

impl Action {
    pub fn noun(self, cargo: bool) -> &'static str {
        match (self, cargo) {
            (Action::New, true) => "new crates",
            (Action::New, false) => "new projects",
            (Action::Update, _) => "new versions",
            (Action::Yank, _) => "yanks",
        }
    }
}

/// One registry's limits; `None`: not limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    pub new: Option<Limit>,
    pub update: Option<Limit>,
    pub yank: Option<Limit>,
}

impl Limits {
    /// crates.io's rate limiter with its default settings.
    pub const CRATES_IO: Limits =
        Limits { new: Some(Limit::new(5, 600)), update: Some(Limit::new(30, 60)), yank: Some(Limit::new(100, 60)) };
    /// PyPI: 20 new projects an hour per user (40 an hour per address, the
    /// looser one for one machine); uploads of new versions are not limited.
    pub const PYPI: Limits = Limits { new: Some(Limit::new(20, 180)), update: None, yank: None };

    pub fn of(&self, action: Action) -> Option<Limit> {
        match action {
            Action::New => self.new,
            Action::Update => self.update,
            Action::Yank => self.yank,
        }
    }
}

/// A token bucket counted as crates.io's limiter counts it: whole tokens,
/// one added every `every` since the last refill, never more than `burst`;
/// it starts full.
#[derive(Debug, Clone)]
pub struct Bucket<T> {
    limit: Limit,
    tokens: u32,
    last_refill: T,
}

/// A point in time a bucket is counted at: `Instant` in a release,
/// `Duration` from the start in the estimate's simulation and in tests.
pub trait Clock: Copy + Ord + std::ops::Add<Duration, Output = Self> {
    fn since(self, earlier: Self) -> Duration;
}

impl Clock for std::time::Instant {
    fn since(self, earlier: Self) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl Clock for Duration {
    fn since(self, earlier: Self) -> Duration {
        self.saturating_sub(earlier)
    }
}

impl<T: Clock> Bucket<T> {
    pub fn new(limit: Limit, now: T) -> Bucket<T> {
        Bucket { limit, tokens: limit.burst, last_refill: now }
    }

    fn refill(&mut self, now: T) {
        let every = self.limit.every.as_nanos().max(1);
        let add = (now.since(self.last_refill).as_nanos() / every) as u32;
        if add > 0 {
            self.tokens = (self.tokens + add).min(self.limit.burst);
            self.last_refill =
                if self.tokens == self.limit.burst { now } else { self.last_refill + self.limit.every * add };
        }
    }

    /// Takes a token now, or says when the next one is there.
    pub fn take(&mut self, now: T) -> Result<(), T> {
        self.refill(now);
        if self.tokens > 0 {
            self.tokens -= 1;
            Ok(())
        } else {
            Err(self.last_refill + self.limit.every)
        }
    }

    /// When a token is there (`now` if one is).
    pub fn ready_at(&mut self, now: T) -> T {
        self.refill(now);
        if self.tokens > 0 {
            now
        } else {
            self.last_refill + self.limit.every
        }
    }
}

/// The time a refused upload may be tried again, from what the registry
/// answered (as cargo prints it): crates.io's "Please try again after
/// <HTTP-date>", or a `Retry-After: SECONDS` header; `None` without either.
pub fn retry_after(text: &str, now: SystemTime) -> Option<SystemTime> {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(at) = flat.find("try again after ") {
        let rest = &flat[at + "try again after ".len()..];
        // "Sun, 14 Jun 2026 14:59:56 GMT": six words
        let date: Vec<&str> = rest.split(' ').take(6).collect();
        if let Some(t) = http_date(&date.join(" ")) {
            return Some(t);
        }
    }
    let lower = flat.to_ascii_lowercase();
    let at = lower.find("retry-after:")?;
    let secs: String = lower[at + 12..].trim_start().chars().take_while(char::is_ascii_digit).collect();
    secs.parse().ok().map(|s| now + Duration::from_secs(s))
}

/// Whether a failed upload's output is a rate limit's refusal (HTTP 429).
pub fn is_rate_limited(text: &str) -> bool {
    text.contains("429") && (text.contains("Too Many Requests") || text.to_ascii_lowercase().contains("too many"))
}

/// An IMF-fixdate (`Sun, 14 Jun 2026 14:59:56 GMT`, RFC 9110), the form HTTP
/// dates are sent in.
pub fn http_date(s: &str) -> Option<SystemTime> {
    let w: Vec<&str> = s.trim_end_matches(['.', ',']).split(' ').collect();
    let [_, day, month, year, time, "GMT"] = w.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| m == month)? as u32 + 1;
    let (day, year): (u32, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<u64> = time.split(':').map(str::parse).collect::<Result<_, _>>().ok()?;
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    let days = days_from_civil(year, month, day);
    let secs = days.checked_mul(86_400)? + (h * 3600 + m * 60 + sec) as i64;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// `secs` since 1970 as an IMF-fixdate: `Sun, 14 Jun 2026 14:59:56 GMT`.
pub fn http_date_text(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = (secs / 86_400) as i64;
    let (y, m, d) = civil_from_days(days);
    let t = secs % 86_400;
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[m as usize - 1],
        t / 3600,
        (t / 60) % 60,
        t % 60
    )
}

/// The inverse of `days_from_civil` (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A wait as people say it: "40 s", "9 min 5 s", "1 h 2 min".
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 if s.is_multiple_of(60) => format!("{} min", s / 60),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    /// crates.io's counting: the burst at once, then a whole token every
    /// period since the last refill; a refusal names when the next one is.
    #[test]
    fn a_bucket_counts_as_the_registry_does() {
        let mut b = Bucket::new(Limit::new(2, 10), S(0));
        assert_eq!(b.take(S(0)), Ok(()));
        assert_eq!(b.take(S(1)), Ok(()));
        assert_eq!(b.take(S(2)), Err(S(10)));
        assert_eq!(b.take(S(9)), Err(S(10)));
        assert_eq!(b.take(S(10)), Ok(()));
        assert_eq!(b.take(S(15)), Err(S(20)));
        assert_eq!(b.ready_at(S(15)), S(20));
        // a long pause refills up to the burst, no more
        assert_eq!(b.take(S(100)), Ok(()));
        assert_eq!(b.take(S(100)), Ok(()));
        assert_eq!(b.take(S(100)), Err(S(110)));
    }

    #[test]
    fn least_time_and_description() {
        let l = Limits::CRATES_IO.update.unwrap();
        assert_eq!(l.least_time(70), S(40 * 60));
        assert_eq!(l.least_time(30), S(0));
        assert_eq!(l.describe("new versions"), "30 new versions at once, then 1 a minute");
        assert_eq!(
            Limits::CRATES_IO.new.unwrap().describe("new crates"),
            "5 new crates at once, then 1 every 10 minutes"
        );
        assert_eq!(Limit::new(5, 2).describe("new versions"), "5 new versions at once, then 1 every 2 s");
    }

    /// What cargo prints when crates.io refuses a publish, and a bare
    /// `Retry-After` header.
    #[test]
    fn the_retry_time_is_read_from_the_refusal() {
        let cargo = "error: failed to publish to registry at https://crates.io\n\nCaused by:\n  the remote server \
                     responded with an error (status 429 Too Many Requests): You have published too many new crates \
                     in a short period of time. Please try again after Sun, 14 Jun 2026 14:59:56 GMT and see \
                     https://crates.io/docs/rate-limits for more information on rate limits.";
        assert!(is_rate_limited(cargo));
        let t = retry_after(cargo, UNIX_EPOCH).unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_secs(), 1_781_449_196);
        let now = UNIX_EPOCH + S(1000);
        assert_eq!(retry_after("HTTP/1.1 429 Too Many Requests\nRetry-After: 38\n", now), Some(now + S(38)));
        assert_eq!(retry_after("status 500", now), None);
        assert!(!is_rate_limited("error: status 500 Internal Server Error"));
        assert_eq!(http_date("Thu, 01 Jan 1970 00:01:00 GMT"), Some(UNIX_EPOCH + S(60)));
        assert_eq!(
            http_date("Sat, 29 Feb 2020 12:00:00 GMT").map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs()),
            Some(1_582_977_600)
        );
        assert_eq!(http_date("yesterday"), None);
        assert_eq!(http_date_text(1_781_449_196), "Sun, 14 Jun 2026 14:59:56 GMT");
        assert_eq!(http_date_text(1_582_977_600), "Sat, 29 Feb 2020 12:00:00 GMT");
    }

    #[test]
    fn waits_read_as_people_say_them() {
        assert_eq!(human(S(40)), "40 s");
        assert_eq!(human(S(545)), "9 min 5 s");
        assert_eq!(human(S(600)), "10 min");
        assert_eq!(human(S(3720)), "1 h 2 min");
    }
}
