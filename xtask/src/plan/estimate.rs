//! How long a release takes at least, when a registry's rate limit is what
//! bounds it: the uploads beyond each limit's burst, one per period. Pure:
//! whether a package is new on its registry is judged from the plan (no
//! release tag yet), so a first release counts as new crates or projects.

use std::fmt;
use std::time::Duration;

use super::Plan;
use crate::config::Config;
use crate::rate::{human, Action, Limit};
use crate::version::Ecosystem;

/// The release's least duration under a registry's limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    pub at_least: Duration,
    /// Which registry, which limit.
    pub registry: String,
    pub limit: Limit,
    pub what: &'static str,
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at least {}: {} allows {} (request a higher limit from the registry for large releases)",
            human(self.at_least),
            self.registry,
            self.limit.describe(self.what)
        )
    }
}

/// The registry limit that bounds the plan's release, if one does.
pub fn estimate(plan: &Plan, config: &Config) -> Option<Estimate> {
    let mut best: Option<Estimate> = None;
    for eco in [Ecosystem::Cargo, Ecosystem::Python] {
        let limits = config.rate_limits(eco);
        let releases: Vec<_> = plan.releases().filter(|e| e.ecosystem == eco).collect();
        let new = releases.iter().filter(|e| e.last_tag.is_none()).count() as u32;
        for (action, n) in [(Action::New, new), (Action::Update, releases.len() as u32 - new)] {
            let Some(limit) = limits.of(action) else { continue };
            let at_least = limit.least_time(n);
            if at_least > best.as_ref().map_or(Duration::ZERO, |b| b.at_least) {
                let registry = registry_name(config, eco);
                best = Some(Estimate { at_least, registry, limit, what: action.noun(eco == Ecosystem::Cargo) });
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
