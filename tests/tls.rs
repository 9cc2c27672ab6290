//! TLS: an extra trusted CA (as for the emulator's `--tls` certificate) makes a
//! self-signed loopback server trusted; without it the same server is refused.
//! Verification is never switched off.

use std::sync::Arc;
use std::time::Duration;

use bastion_session::{
    BastionClient, ClientOptions, CredentialSpec, ErrorKind, HostRef, OperationContext,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A one-answer-per-connection HTTPS server; returns its port and certificate PEM.
async fn tls_server() -> (u16, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let pem = ck.cert.pem();
    let cert = ck.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let mut buf = vec![0u8; 8192];
                let _ = tls.read(&mut buf).await;
                let body = "[]";
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, pem)
}

fn options(port: u16, ca: Option<String>) -> ClientOptions {
    let mut o = ClientOptions::default();
    o.arm_endpoint = Some(format!("https://localhost:{port}/").parse().unwrap());
    o.credential = CredentialSpec::AccessToken("t".into());
    o.extra_ca_pem = ca;
    o.retry.max_retries = 0;
    o.connect_timeout = Duration::from_secs(5);
    o
}

fn host() -> HostRef {
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/bastionHosts/bh"
        .parse()
        .unwrap()
}

#[tokio::test]
async fn extra_ca_makes_a_self_signed_server_trusted() {
    let (port, pem) = tls_server().await;
    let c = BastionClient::new(options(port, Some(pem))).unwrap();
    let s = c
        .list_sessions(&host(), &OperationContext::new())
        .await
        .unwrap();
    assert!(s.is_empty());
}

#[tokio::test]
async fn without_the_ca_the_server_is_refused() {
    let (port, _) = tls_server().await;
    let c = BastionClient::new(options(port, None)).unwrap();
    let e = c
        .list_sessions(&host(), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
}
