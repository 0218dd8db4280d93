//! What HTTPS trusts, for every request the tool makes (registries, forges).
//!
//! The platform's certificates, or the files `SSL_CERT_FILE` / `SSL_CERT_DIR` name when either is
//! set (what curl, uv, cargo and pip trust: behind a TLS-intercepting proxy its CA is there), and
//! the built-in web roots ureq trusted alone before. A certificate the server shows that none of
//! them vouches for is a final answer: it does not change on a retry.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::error::{fail, Code};

/// The client configuration, built once: reading the platform's store costs a few milliseconds.
fn config() -> &'static (Arc<rustls::ClientConfig>, Vec<String>) {
    static CONFIG: OnceLock<(Arc<rustls::ClientConfig>, Vec<String>)> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let native = rustls_native_certs::load_native_certs();
        // certificates rustls cannot parse are skipped, as every TLS client skips them
        roots.add_parsable_certificates(native.certs);
        let problems = native.errors.iter().map(|e| crate::config::one_line(&e.to_string())).collect();
        // ring is the provider ureq 2 builds (aws-lc-rs would add a C and cmake build). rustls
        // 0.23.48 deprecated ring's provider for having no post-quantum key exchange; registries and
        // forges all still speak X25519, and rustls itself calls it so. A repository that adopts the
        // xtask without a committed Cargo.lock gets the newest rustls: no warning may come of it.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports TLS 1.2 and 1.3")
            .with_root_certificates(roots)
            .with_no_client_auth();
        (Arc::new(config), problems)
    })
}

/// An HTTP client builder that trusts what this machine trusts; callers add their own settings.
pub fn agent() -> ureq::AgentBuilder {
    ureq::AgentBuilder::new().tls_config(config().0.clone()).timeout(Duration::from_secs(30)).redirects(5)
}

/// Why the server's certificate was refused, when that is why `t` failed.
pub fn certificate_refused(t: &ureq::Transport) -> Option<String> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(t);
    while let Some(e) = next {
        // rustls reports through std::io::Error, whose source() skips the error it wraps
        let inner = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn std::error::Error + 'static));
        for candidate in [Some(e), inner].into_iter().flatten() {
            if let Some(rustls::Error::InvalidCertificate(why)) = candidate.downcast_ref::<rustls::Error>() {
                return Some(format!("{why:?}"));
            }
        }
        next = e.source();
    }
    None
}

/// The failure for a refused certificate of `url` (the URL that failed, after redirects).
pub fn untrusted(url: &str, why: &str) -> anyhow::Error {
    let loading = match &config().1[..] {
        [] => String::new(),
        problems => format!(" (reading the certificates reported: {})", problems.join("; ")),
    };
    fail(
        Code::CertificateUntrusted,
        format!("{url}: the server's certificate is not trusted ({why})"),
        format!(
            "trusted are the platform's certificates, or those in SSL_CERT_FILE / SSL_CERT_DIR when set{loading}, and \
             the built-in web roots. Behind a TLS-intercepting proxy, install its CA in the system's store or point \
             SSL_CERT_FILE at a PEM file that holds it; a certificate error is not retried"
        ),
    )
}
