//! How a verified `.crate` reaches its registry (`Route`): its own bytes
//! through the registry's web API (`crate::cargo_api`) when the token is one
//! the release can hold — a trusted-publishing token it minted, the token in
//! `CARGO_REGISTRY_TOKEN` / `CARGO_REGISTRIES_<NAME>_TOKEN`, or the one `cargo
//! login` wrote to CARGO_HOME's credentials file (read as cargo's default
//! provider reads it) — else `cargo publish`, which packages the crate again:
//! when a credential provider is configured, only cargo may ask it.

use serde_json::Value;

use super::publish::{read_from_tar, Artifact, Job};
use crate::cargo_api;
use crate::error::{fail, Code};
use crate::trusted::Secret;

/// The crate an upload is of.
pub struct Named<'a> {
    pub name: &'a str,
    pub version: &'a str,
    /// `NAME-VERSION.crate`.
    pub file: &'a str,
}

/// The way a crate is uploaded.
pub enum Route {
    /// The verified `.crate`, through the registry's API.
    Api(Upload),
    /// `cargo publish --no-verify` (it packages again).
    Cargo,
}

/// An upload through the API: where, with which token, what.
pub struct Upload {
    api: String,
    token: TokenFrom,
    /// The metadata cargo would send (`Value::Null` in a dry run: nothing was built).
    meta: Value,
    /// The verified `.crate` (kept in `dist`).
    path: std::path::PathBuf,
}

/// Where the upload's token comes from (never the token).
enum TokenFrom {
    /// Minted by trusted publishing (`Holder::lease`).
    Trusted,
    /// This environment variable.
    Variable(String),
    /// The credentials file `cargo login` wrote.
    File(std::path::PathBuf),
}

impl Job<'_> {
    /// The route of `c`'s upload: the API when the registry names one, the
    /// token is the release's own and the crate's manifest is one whose
    /// metadata is built as cargo builds it; else `cargo publish`.
    pub(super) fn cargo_route(&self, c: &Named, built: Option<&Artifact>) -> anyhow::Result<Route> {
        let Some(api) = self.cargo_api else { return Ok(Route::Cargo) };
        let registry = self.repo.config.cargo_registry.as_deref();
        let variable = crate::registry::cargo_token_variable(registry);
        let token = if self.holders.cargo.is_some() {
            TokenFrom::Trusted
        } else if std::env::var_os(&variable).is_some_and(|v| !v.is_empty()) {
            TokenFrom::Variable(variable)
        } else if let Some((file, _)) = crate::registry::cargo_login_token(&self.repo.root, registry) {
            TokenFrom::File(file)
        } else {
            return Ok(Route::Cargo);
        };
        // a dry run built nothing: what a real run does with the manifest it cannot tell
        let Some(built) = built else {
            let path = self.dist(c.name).join(c.file);
            return Ok(Route::Api(Upload { api: api.to_string(), token, meta: Value::Null, path }));
        };
        let root = format!("{}-{}", c.name, c.version);
        let manifest = read_from_tar(&built.path, &format!("{root}/Cargo.toml"), "check the .crate")?;
        let readme = |path: &str| read_from_tar(&built.path, &format!("{root}/{path}"), "").ok();
        let target = registry.and(self.index.map(|i| i.url()));
        match cargo_api::new_crate(&manifest, readme, target.as_deref()) {
            Ok(meta) => Ok(Route::Api(Upload { api: api.to_string(), token, meta, path: built.path.clone() })),
            Err(cargo_api::Unsupported(why)) => {
                println!("  {}: uploaded by `cargo publish` ({why})", c.name);
                Ok(Route::Cargo)
            }
        }
    }

    /// The verified `.crate` uploaded through the API (a dry run says so).
    pub(super) fn cargo_api_publish(&self, c: &Named, upload: &Upload) -> anyhow::Result<()> {
        let source = match &upload.token {
            TokenFrom::Trusted => "the trusted-publishing token".to_string(),
            TokenFrom::Variable(v) => format!("the token in {v}"),
            TokenFrom::File(f) => format!("the token `cargo login` wrote in {}", f.display()),
        };
        let what = format!(
            "upload {} (the bytes packaged and verified above) to {}/api/v1/crates/new with {source}",
            c.file, upload.api
        );
        let token = match &upload.token {
            TokenFrom::Trusted => {
                let holder = self.holders.cargo.as_ref().expect("a trusted route has a holder");
                self.ctx.effect(holder.describe(), || holder.lease().map(Some))?
            }
            TokenFrom::Variable(v) => std::env::var(v).ok().map(Secret::new),
            TokenFrom::File(_) => {
                let registry = self.repo.config.cargo_registry.as_deref();
                crate::registry::cargo_login_token(&self.repo.root, registry).map(|(_, t)| Secret::new(t))
            }
        };
        let warnings = self.ctx.effect(what, || {
            let token = token.as_ref().ok_or_else(|| {
                fail(Code::PublishFailed, format!("{source} is gone"), "set it again (or `cargo login`) and resume")
            })?;
            let body = cargo_api::body(&upload.meta, &crate::shell::fs::read(&upload.path)?);
            cargo_api::publish(&upload.api, token.expose(), c.name, &body)
        })?;
        for w in warnings {
            println!("  {}: {w}", c.name);
        }
        Ok(())
    }
}
