//! Pacing uploads to the registries' rate limits: one `Bucket` per limited
//! action (a new crate, a new version, ...) of each registry, shared by the
//! release's threads. An upload takes a token first; while none is there the
//! package waits without its job slot (`Slot::idle`), and the next token goes
//! to the waiting package with the longest chain of dependents behind it.
//! With `[release] pacing = false` nothing waits here (a refusal, 429, is
//! still waited out, in `wait_out_refusal`).

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::schedule::Slot;
use crate::config::Config;
use crate::error::{fail, Code, Failure};
use crate::rate::{human, Action, Bucket, Limit, Limits};
use crate::version::Ecosystem;

type Key = (Ecosystem, Action);

pub struct Pacer {
    limits: BTreeMap<Ecosystem, Limits>,
    enabled: bool,
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    buckets: BTreeMap<Key, Bucket<Instant>>,
    /// Packages waiting for a token: (key, priority, package index).
    waiting: Vec<(Key, usize, usize)>,
}

impl Pacer {
    /// `enabled`: pacing on (`[release] pacing`) in a run that uploads (a
    /// dry run uploads nothing, so it never waits).
    pub fn new(config: &Config, enabled: bool) -> Pacer {
        let limits = [Ecosystem::Cargo, Ecosystem::Python].into_iter().map(|e| (e, config.rate_limits(e))).collect();
        Pacer { limits, enabled: enabled && config.pacing, state: Mutex::new(State::default()), wake: Condvar::new() }
    }

    /// Takes a token for `action` on `eco`'s registry for package `i`
    /// (`priority`: its chain of dependents), waiting idle for one; `show`
    /// is told what is waited for and until when. Returns how long it waited.
    pub fn take(
        &self,
        eco: Ecosystem,
        action: Action,
        (i, priority): (usize, usize),
        slot: &Slot,
        show: impl Fn(&str),
    ) -> Duration {
        self.take_then(eco, action, (i, priority), |wait| slot.idle(wait), show)
    }

    /// `take` outside the scheduler (rollback's yanks, one at a time): the
    /// wait holds no job slot to lend.
    pub fn take_here(&self, eco: Ecosystem, action: Action, show: impl Fn(&str)) -> Duration {
        self.take_then(eco, action, (0, 0), |wait| wait(), show)
    }

    /// `take`, the waiting done through `idle`.
    fn take_then(
        &self,
        eco: Ecosystem,
        action: Action,
        (i, priority): (usize, usize),
        idle: impl FnOnce(&dyn Fn()),
        show: impl Fn(&str),
    ) -> Duration {
        let Some(limit) = self.limits[&eco].of(action).filter(|_| self.enabled) else {
            return Duration::ZERO;
        };
        let key = (eco, action);
        let start = Instant::now();
        // a little slower than the registry refills: a token taken here reaches the registry a moment later
        // (cargo starting, the upload), and a registry that refilled from that later moment must have it
        let shown = limit.describe(action.noun(eco == Ecosystem::Cargo));
        let margin = (limit.every / 50).clamp(Duration::from_millis(100), Duration::from_secs(2));
        let limit = Limit { every: limit.every + margin, ..limit };
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.buckets.entry(key).or_insert_with(|| Bucket::new(limit, start));
        if s.buckets.get_mut(&key).expect("made").take(start).is_ok() {
            return Duration::ZERO;
        }
        s.waiting.push((key, priority, i));
        drop(s);
        idle(&|| self.wait_turn(key, (i, priority), &shown, &show));
        start.elapsed()
    }

    /// Waits until this package is the first waiting for `key` and a token is there.
    fn wait_turn(&self, key: Key, (i, priority): (usize, usize), limit: &str, show: &dyn Fn(&str)) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = Instant::now();
            let first = s.waiting.iter().filter(|w| w.0 == key).max_by_key(|w| (w.1, std::cmp::Reverse(w.2)));
            let mine = first.is_some_and(|w| w.2 == i && w.1 == priority);
            let bucket = s.buckets.get_mut(&key).expect("made before waiting");
            let at = bucket.ready_at(now);
            if mine && at <= now && bucket.take(now).is_ok() {
                s.waiting.retain(|w| w.2 != i || w.0 != key);
                self.wake.notify_all();
                return;
            }
            if mine {
                let next = if key.1 == Action::Yank { "yank" } else { "upload" };
                show(&format!("rate limit: {limit}; next {next} in {}", human(at - now)));
            }
            let pause = at.saturating_duration_since(now).clamp(Duration::from_millis(20), Duration::from_secs(1));
            s = self.wake.wait_timeout(s, pause).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

/// The longest a refused upload (429) is waited out before the release
/// stops, resumably (`XTASK_MAX_RATE_WAIT`, seconds; default 15 minutes).
pub fn max_refusal_wait() -> Duration {
    let secs = std::env::var("XTASK_MAX_RATE_WAIT").ok().and_then(|s| s.parse().ok()).unwrap_or(900);
    Duration::from_secs(secs)
}

/// How long to wait before trying a refused upload again: until the time
/// the registry named, else `fallback` (the limit's period); `None` when
/// that is beyond `max_refusal_wait`.
pub fn refusal_wait(output: &str, fallback: Duration, now: SystemTime) -> Result<Duration, SystemTime> {
    let until = crate::rate::retry_after(output, now).unwrap_or(now + fallback);
    let wait = until.duration_since(now).unwrap_or_default() + Duration::from_secs(1);
    if wait > max_refusal_wait() {
        Err(until)
    } else {
        Ok(wait)
    }
}

/// Runs `attempt` again while the registry refuses it for its rate limit
/// (429, in the output of the failed program): each refusal is waited out by
/// `wait` (told how long: until the time the registry named, else
/// `fallback`). `Ok(Err(until))`: refused for longer than
/// `max_refusal_wait`, until then; `Err`: the attempt failed otherwise.
pub fn while_refused<T>(
    mut attempt: impl FnMut() -> anyhow::Result<T>,
    fallback: Duration,
    mut wait: impl FnMut(Duration),
) -> anyhow::Result<Result<T, SystemTime>> {
    loop {
        let err = match attempt() {
            Ok(t) => return Ok(Ok(t)),
            Err(err) => err,
        };
        let output = err.downcast_ref::<Failure>().and_then(|f| f.output.clone()).unwrap_or_default();
        if !crate::rate::is_rate_limited(&output) {
            return Err(err);
        }
        match refusal_wait(&output, fallback, SystemTime::now()) {
            Ok(w) => wait(w),
            Err(until) => return Ok(Err(until)),
        }
    }
}

/// The stop when a registry refuses uploads for longer than the release waits.
pub fn refused_until(name: &str, until: SystemTime) -> anyhow::Error {
    let secs = until.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    fail(
        Code::RateLimited,
        format!(
            "the registry refuses to take {name} for now (rate limit, 429) until {}",
            crate::rate::http_date_text(secs)
        ),
        "run `cargo xtask release --resume` after that time (or raise XTASK_MAX_RATE_WAIT to wait in the release)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 429 is waited out until the time it names (a second more), else for the limit's period; a
    /// time beyond the longest wait is the time to resume after.
    #[test]
    fn a_refusal_is_waited_out_until_the_time_it_names() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_781_449_000);
        let cargo = "status 429 Too Many Requests): You have published too many new crates in a short period of \
                     time. Please try again after Sun, 14 Jun 2026 14:59:56 GMT and see https://crates.io/docs/rate-limits";
        assert_eq!(refusal_wait(cargo, Duration::from_secs(600), now), Ok(Duration::from_secs(197)));
        assert_eq!(refusal_wait("429 Too Many Requests", Duration::from_secs(60), now), Ok(Duration::from_secs(61)));
        // uv on PyPI's new-project limit: no retry time, so the limit's period
        let uv = "error: Failed to publish `dist/a-0.1.0-py3-none-any.whl` to `https://upload.pypi.org/legacy/`\n  \
                  Caused by: Server returned status code 429 Too Many Requests. Server says: 429 Too many new projects created";
        assert!(crate::rate::is_rate_limited(uv));
        assert_eq!(refusal_wait(uv, Duration::from_secs(180), now), Ok(Duration::from_secs(181)));
        let late = now - Duration::from_secs(3600);
        assert_eq!(
            refusal_wait(cargo, Duration::from_secs(600), late),
            Err(SystemTime::UNIX_EPOCH + Duration::from_secs(1_781_449_196))
        );
    }
}
