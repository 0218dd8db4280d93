//! The credential decision and the exchange helpers, pure parts.

use super::*;

fn github() -> Provider {
    Provider::GitHub { url: "https://example.invalid/token".into(), token: Secret("x".into()) }
}

fn trusted(p: Provider) -> Credential {
    Credential::Trusted {
        provider: p,
        exchange: Exchange::Crates { api: "https://crates.io".into() },
        variable: "V".into(),
    }
}

#[test]
fn the_policy_decides_between_a_configured_token_and_trusted_publishing() {
    use TrustedPublishing::*;
    let conf = || Some("CARGO_REGISTRY_TOKEN".to_string());
    assert_eq!(
        choose(Never, conf(), Some(github()), trusted).unwrap(),
        Credential::Configured("CARGO_REGISTRY_TOKEN".into())
    );
    assert_eq!(choose(Never, None, Some(github()), trusted).unwrap(), Credential::Missing);
    assert!(matches!(choose(Always, conf(), Some(github()), trusted).unwrap(), Credential::Trusted { .. }));
    let err = choose(Always, conf(), None, trusted).unwrap_err();
    assert!(format!("{err}").contains("XR150"), "{err}");
    // auto: a configured token wins
    assert_eq!(
        choose(Auto, conf(), Some(github()), trusted).unwrap(),
        Credential::Configured("CARGO_REGISTRY_TOKEN".into())
    );
}

#[test]
fn audiences_and_bases() {
    assert_eq!(crates::audience("https://crates.io"), "crates.io");
    assert_eq!(crates::audience("http://127.0.0.1:8080/"), "127.0.0.1");
    assert_eq!(pypi::base_of("https://upload.pypi.org/legacy/"), "https://upload.pypi.org");
    assert_eq!(pypi::base_of("http://127.0.0.1:9/"), "http://127.0.0.1:9");
    assert_eq!(encode("a b&c"), "a%20b%26c");
}

#[test]
fn a_credential_is_shown_without_its_secret() {
    let shown = trusted(github()).to_string();
    assert_eq!(
        shown,
        "trusted publishing (GitHub Actions OIDC, exchanged at https://crates.io/api/v1/trusted_publishing/tokens; handed over in V)"
    );
    assert_eq!(format!("{:?}", Secret("s3cret".into())), "Secret(***)");
}
