//! TLS trust: the emulator's self-signed certificate (`bastion-emulator --tls`) is refused
//! unless its CA is supplied (`ClientOptions::extra_ca_pem`, `extraCaCertificatePem` at the
//! C ABI). A refused server never receives a request, so the bearer token is never sent over
//! a channel the client does not trust; the refusal is a clear transport error that names the
//! certificate problem and comes promptly, even with the default retry policy; another
//! server's certificate is no substitute for the right one.

use std::time::{Duration, Instant};

use bastion_emulator::{EmulatorConfig, EmulatorHandle};
use bastion_session::{
    BastionClient, ClientOptions, CredentialSpec, ErrorKind, HostRef, OperationContext,
};

const TOKEN: &str = "tls-canary-token-6a0e3b91";

fn tls_emulator() -> EmulatorHandle {
    let mut config = EmulatorConfig::generated(1, 2);
    config.settings.token = TOKEN.to_string();
    config.settings.polls = 0;
    bastion_emulator::spawn_tls(config)
}

fn options(emulator: &EmulatorHandle, ca: Option<&str>) -> ClientOptions {
    let mut o = ClientOptions::default();
    o.arm_endpoint = Some(emulator.base_url().parse().unwrap());
    o.credential = CredentialSpec::AccessToken(TOKEN.into());
    o.extra_ca_pem = ca.map(str::to_string);
    o
}

fn host() -> HostRef {
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-0"
        .parse()
        .unwrap()
}

fn requests_served(emulator: &EmulatorHandle) -> u64 {
    emulator.stats()["total"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn the_self_signed_certificate_is_refused_without_its_ca_and_no_request_is_served() {
    let emulator = tls_emulator();
    assert!(emulator.base_url().starts_with("https://"));
    let started = Instant::now();
    let ctx = OperationContext::new().with_timeout(Duration::from_secs(60));
    let e = BastionClient::new(options(&emulator, None))
        .unwrap()
        .list_sessions(&host(), &ctx)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    let message = e.message().to_ascii_lowercase();
    assert!(
        message.contains("certificate") || message.contains("tls"),
        "the error should say it is about trust: {e}"
    );
    assert!(!e.message().contains(TOKEN));
    // The token never travelled: the server never saw a request.
    assert_eq!(requests_served(&emulator), 0, "{}", emulator.stats());
    // A certificate problem does not get better by retrying for a minute.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refusing took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn with_its_ca_the_emulator_is_trusted() {
    let emulator = tls_emulator();
    let pem = emulator
        .certificate_pem()
        .expect("a TLS emulator has a certificate");
    assert!(pem.contains("BEGIN CERTIFICATE"));
    let sessions = BastionClient::new(options(&emulator, Some(pem)))
        .unwrap()
        .list_sessions(&host(), &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2);
    assert!(requests_served(&emulator) >= 1);
}

#[tokio::test]
async fn another_servers_certificate_is_no_substitute() {
    let emulator = tls_emulator();
    let other = tls_emulator();
    let wrong = other.certificate_pem().unwrap();
    assert_ne!(Some(wrong), emulator.certificate_pem());
    let ctx = OperationContext::new().with_timeout(Duration::from_secs(60));
    let e = BastionClient::new(options(&emulator, Some(wrong)))
        .unwrap()
        .list_sessions(&host(), &ctx)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(requests_served(&emulator), 0);
}

#[tokio::test]
async fn a_pem_that_is_not_a_certificate_is_an_invalid_request() {
    let emulator = tls_emulator();
    for pem in [
        "not a pem",
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        "",
    ] {
        let outcome = match BastionClient::new(options(&emulator, Some(pem))) {
            Err(e) => Err(e),
            Ok(c) => c.list_sessions(&host(), &OperationContext::new()).await,
        };
        let e = outcome.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{pem:?}: {e}");
    }
    assert_eq!(requests_served(&emulator), 0);
}
