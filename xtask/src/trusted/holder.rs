//! `Holder`: a registry token minted from the job's OIDC token, renewed with a
//! fresh JWT before it expires (a release can outlive a token), and revoked —
//! every token it minted — when it is dropped: on success and on failure alike.
//! A SIGKILL leaves the tokens to expire; a `--resume` mints anew.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{crates, pypi, Exchange, Provider, Secret};

/// How many exchanges are tried (each with a fresh JWT) before giving up.
const ATTEMPTS: u32 = 3;

pub struct Holder {
    provider: Provider,
    exchange: Exchange,
    /// The environment variable the token is handed over in.
    pub variable: String,
    tokens: Arc<Mutex<Tokens>>,
    /// Ctrl-C, SIGTERM and SIGHUP revoke the tokens before the xtask dies of them.
    _interrupt: crate::shell::Interrupt,
}

#[derive(Default)]
struct Tokens {
    current: Option<(Secret, Instant)>,
    /// Every token minted, to revoke at the end (a renewed one may still be in use).
    minted: Vec<Secret>,
}

impl Holder {
    pub fn new(provider: Provider, exchange: Exchange, variable: String) -> Holder {
        let tokens = Arc::new(Mutex::new(Tokens::default()));
        let (ex, held) = (exchange.clone(), tokens.clone());
        let _interrupt = crate::shell::on_interrupt(Arc::new(move || revoke(&ex, &held)));
        Holder { provider, exchange, variable, tokens, _interrupt }
    }

    /// What a lease does, as a dry run shows it.
    pub fn describe(&self) -> String {
        format!(
            "exchange the job's OIDC token ({}) for a registry token at {} (trusted publishing), handed over in {}",
            self.provider,
            self.exchange.mint_url(),
            self.variable
        )
    }

    /// A token that lives at least half its lifetime more: the current one, or a new one.
    pub fn lease(&self) -> anyhow::Result<Secret> {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let margin = self.exchange.lifetime() / 2;
        if let Some((token, expires)) = &tokens.current {
            if expires.saturating_duration_since(Instant::now()) > margin {
                return Ok(token.clone());
            }
        }
        let (token, expires) = self.mint()?;
        tokens.minted.push(token.clone());
        tokens.current = Some((token.clone(), expires));
        Ok(token)
    }

    /// One exchange with a fresh JWT (each is accepted once), retried on failure.
    fn mint(&self) -> anyhow::Result<(Secret, Instant)> {
        let mut last = None;
        for attempt in 1..=ATTEMPTS {
            match self.mint_once() {
                Ok(minted) => return Ok(minted),
                Err(e) => last = Some(e),
            }
            if attempt < ATTEMPTS {
                std::thread::sleep(Duration::from_millis(500 * u64::from(attempt)));
            }
        }
        Err(last.expect("tried at least once"))
    }

    fn mint_once(&self) -> anyhow::Result<(Secret, Instant)> {
        let asked = Instant::now();
        let lifetime = self.exchange.lifetime();
        let (token, lives) = match &self.exchange {
            Exchange::Crates { api } => (crates::mint(api, &self.provider.jwt(&crates::audience(api))?)?, lifetime),
            Exchange::Pypi { base } => {
                let jwt = self.provider.jwt(&pypi::audience(base)?)?;
                let (token, expires) = pypi::mint(base, &jwt)?;
                let said = expires.map(|e| Duration::from_secs(e.saturating_sub(now_unix())));
                (token, said.map_or(lifetime, |s| s.min(lifetime)))
            }
        };
        mask(&token);
        Ok((token, asked + lives))
    }

    /// Revokes (crates.io) or burns (PyPI) every token minted.
    pub fn revoke_all(&self) {
        revoke(&self.exchange, &self.tokens);
    }
}

/// Revokes every token in `tokens`, holding the lock throughout (an exit path
/// that comes second waits for the first); a failure is a warning.
fn revoke(exchange: &Exchange, tokens: &Mutex<Tokens>) {
    let mut tokens = tokens.lock().unwrap_or_else(|e| e.into_inner());
    for token in std::mem::take(&mut tokens.minted) {
        let done = match exchange {
            Exchange::Crates { api } => crates::revoke(api, &token),
            Exchange::Pypi { base } => pypi::burn(base, &token),
        };
        if let Err(why) = done {
            eprintln!("warning: a trusted-publishing token could not be revoked ({why}); it expires by itself");
        }
    }
    tokens.current = None;
}

impl Drop for Holder {
    fn drop(&mut self) {
        self.revoke_all();
    }
}

/// In GitHub Actions every minted token is masked before anything could print it.
/// The line holds the token, by the runner's design: the runner hides it from the log.
fn mask(token: &Secret) {
    if crate::ci::github_actions() {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "::add-mask::{}", token.expose());
        let _ = out.flush();
    }
}

fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}
