//! The credential each registry's publish uses (`crate::trusted` decides):
//! preflight's line per registry and its problems (none configured, trusted
//! publishing required but unavailable, a crate's first release under trusted
//! publishing), and the token holders the publish step leases from.

use xshell::Shell;

use super::problem::Problem;
use super::Options;
use crate::error::{Code, Failure};
use crate::plan::Plan;
use crate::registry::CargoIndex;
use crate::repo::Repo;
use crate::trusted::{self, Credential, Holder};
use crate::version::Ecosystem;

/// The credentials the release's registries get (`None`: that ecosystem releases nothing).
#[derive(Default)]
pub struct Credentials {
    pub cargo: Option<Credential>,
    pub python: Option<Credential>,
}

/// What mints the tokens of a release under trusted publishing; dropping it revokes them.
#[derive(Default)]
pub struct Holders {
    pub cargo: Option<Holder>,
    pub python: Option<Holder>,
}

impl Holders {
    /// The holders for the registries `plan` publishes to (a resume decides anew: it mints anew).
    pub fn new(repo: &Repo, plan: &Plan) -> anyhow::Result<Holders> {
        let has = |eco| plan.releases().any(|e| e.ecosystem == eco);
        let cargo = if has(Ecosystem::Cargo) { trusted::cargo(&repo.root, &repo.config)?.holder() } else { None };
        let python = if has(Ecosystem::Python) { trusted::python(&repo.config)?.holder() } else { None };
        Ok(Holders { cargo, python })
    }
}

/// The line per registry (which credential, never a secret), and the problems.
pub fn check(repo: &Repo, opts: &Options, has_python: bool, has_cargo: bool) -> (Credentials, Vec<Problem>) {
    let mut out = vec![];
    let mut creds = Credentials::default();
    // a dry run (and --stage) publishes nothing and needs no credential, but it says which one a
    // real run would use
    let publishes = !opts.stage && opts.mode.pick(false, true);
    if has_cargo {
        let registry = repo.config.cargo_registry.as_deref();
        let label = format!("cargo registry `{}`", registry.unwrap_or("crates-io"));
        let missing = Missing {
            problem: format!("no token for the cargo registry `{}`", registry.unwrap_or("crates-io")),
            fix: format!("set {}, or run `cargo login`", crate::registry::cargo_token_variable(registry)),
        };
        creds.cargo = decided(trusted::cargo(&repo.root, &repo.config), &label, missing, publishes, &mut out);
    }
    if has_python {
        let label = format!("Python index {}", repo.config.python_publish_url);
        let missing = Missing {
            problem: "no credentials for `uv publish`".into(),
            fix: "set UV_PUBLISH_TOKEN, or UV_PUBLISH_USERNAME and UV_PUBLISH_PASSWORD".into(),
        };
        creds.python = decided(trusted::python(&repo.config), &label, missing, publishes, &mut out);
    }
    (creds, out)
}

/// The problem of a registry with no credential, and its fix.
struct Missing {
    problem: String,
    fix: String,
}

/// One registry's decision: printed, and a problem when a real run could not publish.
fn decided(
    credential: anyhow::Result<Credential>,
    label: &str,
    missing: Missing,
    publishes: bool,
    out: &mut Vec<Problem>,
) -> Option<Credential> {
    match credential {
        Ok(c) => {
            println!("  credentials: {label}: {c}");
            if c == Credential::Missing && publishes {
                let ci = if trusted::in_ci() {
                    " (for trusted publishing the job needs `permissions: id-token: write`)"
                } else {
                    ""
                };
                out.push(Problem {
                    problem: missing.problem,
                    fix: format!("{}{ci}", missing.fix),
                    code: Code::PreflightFailed,
                });
            }
            Some(c)
        }
        Err(e) => {
            let (problem, fix) = match e.downcast_ref::<Failure>() {
                Some(f) => (f.cause.clone(), f.help.clone()),
                None => (format!("{e:#}"), missing.fix),
            };
            out.push(Problem { problem: format!("{label}: {problem}"), fix, code: Code::TrustedUnavailable });
            None
        }
    }
}

/// Under trusted publishing, a crate that is not on the registry yet: its first
/// version must be published with a token (crates.io refuses to create a crate
/// with a trusted-publishing token).
pub fn first_releases(sh: &Shell, plan: &Plan, cargo: Option<&Credential>, index: Option<&CargoIndex>) -> Vec<Problem> {
    let (Some(Credential::Trusted { .. }), Some(index)) = (cargo, index) else { return vec![] };
    let mut out = vec![];
    for e in plan.releases().filter(|e| e.ecosystem == Ecosystem::Cargo) {
        // an index that cannot be read is reported by the registry checks
        if index.has_crate(sh, &e.name).unwrap_or(true) {
            continue;
        }
        out.push(Problem {
            problem: format!(
                "{} is not on the cargo registry yet, and a first release cannot be made with trusted publishing \
                 (crates.io: \"Trusted Publishing tokens do not support creating new crates\")",
                e.name
            ),
            fix: format!(
                "publish its first version with a token (CARGO_REGISTRY_TOKEN, or `cargo publish -p {}` from your \
                 machine), add the trusted publisher in the crate's settings on crates.io, then release from CI; or \
                 leave it out with --exclude {}",
                e.name, e.name
            ),
            code: Code::TrustedNewCrate,
        });
    }
    out
}
