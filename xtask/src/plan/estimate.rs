//! How long a release takes, and what bounds it: the dependency chain (the
//! longest chain of packages that wait for one another), the job slots (all
//! the work ÷ `--jobs`), or a registry's rate limit (the uploads beyond each
//! limit's burst, one per period). The largest of the three is the estimate.
//! Pure: whether a package is new on its registry is judged from the plan (no
//! release tag yet), so a first release counts as new crates or projects; a
//! package's own work is a model (`Work`), not a measurement.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use super::Plan;
use crate::config::Config;
use crate::rate::{human, Action, Limit};
use crate::version::Ecosystem;

/// The release's estimated duration and what bounds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    pub duration: Duration,
    pub bound: Bound,
    /// Some package's work is what it took in the last release here (`Measured`), not the model.
    pub measured: bool,
}

/// Each package's own work in the last release made here, by journal key
/// (rate-limit waits left out): it replaces the model for that package.
pub type Measured = HashMap<String, Duration>;

/// What a release cannot be faster than.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// A registry's limit: `registry` allows `limit` of `what`.
    Limit { registry: String, limit: Limit, what: &'static str },
    /// The longest chain of packages that wait for one another, in order.
    Chain(Vec<String>),
    /// All the packages' work shared by `jobs` job slots.
    Jobs { packages: usize, jobs: usize },
}

/// One package's own work, modeled in seconds per stage (a real release to
/// the public registries, measured roughly: `cargo package` with its verify
/// build of a crate of middling size, the upload and cargo's wait until the
/// index serves it, a smoke test building a consumer of the crate; for
/// Python a `uv build`, the upload, the poll until the index lists the file,
/// and the smoke test's `uv venv` + install + import).
struct Work {
    build: u64,
    publish: u64,
    smoke: u64,
}

const CARGO: Work = Work { build: 20, publish: 10, smoke: 15 };
const PYTHON: Work = Work { build: 5, publish: 10, smoke: 10 };

/// A package's modeled work.
fn work(eco: Ecosystem, smoke_test: bool) -> Duration {
    let w = match eco {
        Ecosystem::Cargo => CARGO,
        Ecosystem::Python => PYTHON,
    };
    Duration::from_secs(w.build + w.publish + if smoke_test { w.smoke } else { 0 })
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = human(self.duration);
        match &self.bound {
            Bound::Limit { registry, limit, what } => write!(
                f,
                "at least {d}: {registry} allows {} (request a higher limit from the registry for large releases)",
                limit.describe(what)
            ),
            Bound::Chain(chain) => write!(f, "about {d}: the dependency chain {}", shown_chain(chain)),
            Bound::Jobs { packages, jobs } => write!(
                f,
                "about {d}: the work of {packages} packages on {jobs} job slots (`release --jobs N` runs more at once)"
            ),
        }?;
        if self.measured && !matches!(self.bound, Bound::Limit { .. }) {
            write!(f, "; each package's work as long as in the last release")?;
        }
        Ok(())
    }
}

/// `a → b → c`; a long chain by its ends and its length.
fn shown_chain(chain: &[String]) -> String {
    if chain.len() <= 6 {
        return chain.join(" → ");
    }
    let n = chain.len();
    format!("{} → … → {} ({n} packages)", chain[..2].join(" → "), chain[n - 2..].join(" → "))
}

/// The estimate for the plan's release with `jobs` job slots; `None` when
/// nothing is released.
pub fn estimate(plan: &Plan, config: &Config, jobs: usize) -> Option<Estimate> {
    estimate_with(plan, config, jobs, &Measured::new())
}

/// `estimate`, with each package's work as `measured` says where it says it.
pub fn estimate_with(plan: &Plan, config: &Config, jobs: usize, measured: &Measured) -> Option<Estimate> {
    let jobs = jobs.max(1);
    let cost =
        |e: &super::Entry| measured.get(e.key()).copied().unwrap_or_else(|| work(e.ecosystem, config.smoke_test));
    let (chain_time, chain) = longest_chain(plan, &cost);
    if chain.is_empty() {
        return None;
    }
    let all: Duration = plan.releases().map(cost).sum();
    let measured = plan.releases().any(|e| measured.contains_key(e.key()));
    let mut best = Estimate { duration: chain_time, bound: Bound::Chain(chain), measured };
    let per_job = all / jobs as u32;
    if per_job > best.duration {
        let bound = Bound::Jobs { packages: plan.releases().count(), jobs };
        best = Estimate { duration: per_job, bound, measured };
    }
    match limit_bound(plan, config) {
        Some(l) if l.duration > best.duration => Some(l),
        _ => Some(best),
    }
}

/// The longest chain of released packages that wait for one another (through
/// packages not released too), by modeled work, and its packages in order.
fn longest_chain(plan: &Plan, cost: &dyn Fn(&super::Entry) -> Duration) -> (Duration, Vec<String>) {
    let index: HashMap<(Ecosystem, &str), usize> =
        plan.packages.iter().enumerate().map(|(k, e)| ((e.ecosystem, e.name.as_str()), k)).collect();
    // a dependency's name, in the package's ecosystem first (a maturin package's crate is in the other)
    let dep = |k: usize, name: &str| {
        let eco = plan.packages[k].ecosystem;
        let other = if eco == Ecosystem::Cargo { Ecosystem::Python } else { Ecosystem::Cargo };
        index.get(&(eco, name)).or_else(|| index.get(&(other, name))).copied()
    };
    // each package's chain: its own work after its longest dependency's chain
    let mut memo: Vec<Option<(Duration, Option<usize>)>> = vec![None; plan.packages.len()];
    fn finish(
        k: usize,
        plan: &Plan,
        cost: &dyn Fn(&super::Entry) -> Duration,
        dep: &dyn Fn(usize, &str) -> Option<usize>,
        memo: &mut Vec<Option<(Duration, Option<usize>)>>,
    ) -> Duration {
        if let Some((t, _)) = memo[k] {
            return t;
        }
        memo[k] = Some((Duration::ZERO, None)); // a cycle (none in a plan) ends here
        let e = &plan.packages[k];
        let mut before = (Duration::ZERO, None);
        for d in e.dependencies.iter().filter_map(|n| dep(k, n)) {
            let t = finish(d, plan, cost, dep, memo);
            if t > before.0 {
                before = (t, Some(d));
            }
        }
        let own = if e.status == super::Status::Release { cost(e) } else { Duration::ZERO };
        memo[k] = Some((before.0 + own, before.1));
        before.0 + own
    }
    let mut last = None;
    for k in 0..plan.packages.len() {
        let t = finish(k, plan, cost, &dep, &mut memo);
        if last.is_none_or(|(best, _)| t > best) {
            last = Some((t, k));
        }
    }
    let Some((time, mut k)) = last.filter(|(t, _)| !t.is_zero()) else { return (Duration::ZERO, vec![]) };
    let mut chain = vec![];
    loop {
        let e = &plan.packages[k];
        if e.status == super::Status::Release {
            chain.push(e.name.clone());
        }
        match memo[k].and_then(|m| m.1) {
            Some(d) => k = d,
            None => break,
        }
    }
    chain.reverse();
    (time, chain)
}

/// The registry limit that bounds the plan's release most, if one does.
fn limit_bound(plan: &Plan, config: &Config) -> Option<Estimate> {
    let mut best: Option<Estimate> = None;
    for eco in [Ecosystem::Cargo, Ecosystem::Python] {
        let limits = config.rate_limits(eco);
        let releases: Vec<_> = plan.releases().filter(|e| e.ecosystem == eco).collect();
        let new = releases.iter().filter(|e| e.last_tag.is_none()).count() as u32;
        for (action, n) in [(Action::New, new), (Action::Update, releases.len() as u32 - new)] {
            let Some(limit) = limits.of(action) else { continue };
            let at_least = limit.least_time(n);
            if at_least > best.as_ref().map_or(Duration::ZERO, |b| b.duration) {
                let registry = registry_name(config, eco);
                let what = action.noun(eco == Ecosystem::Cargo);
                let bound = Bound::Limit { registry, limit, what };
                best = Some(Estimate { duration: at_least, bound, measured: false });
            }
        }
    }
    best
}

fn registry_name(config: &Config, eco: Ecosystem) -> String {
    match eco {
        Ecosystem::Cargo => {
            config.cargo_registry.as_ref().map_or("crates.io".into(), |r| format!("the registry `{r}`"))
        }
        Ecosystem::Python if config.python_publish_url.contains("pypi.org") => "PyPI".into(),
        Ecosystem::Python => "the Python index".into(),
    }
}

#[cfg(test)]
mod tests;
