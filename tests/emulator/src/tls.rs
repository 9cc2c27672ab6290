//! TLS with a certificate generated at start-up (self-signed, for `localhost` and
//! `127.0.0.1`), so clients can be tested against HTTPS and against an untrusted CA.

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};

/// A generated certificate: the acceptor that serves it and its PEM for clients to trust.
pub struct GeneratedTls {
    /// Serves TLS with the certificate.
    pub acceptor: TlsAcceptor,
    /// The certificate, PEM-encoded (it is its own CA).
    pub certificate_pem: String,
}

/// Generates a self-signed certificate and a TLS acceptor for it.
pub fn generate() -> anyhow::Result<GeneratedTls> {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let rcgen::CertifiedKey { cert, signing_key } = rcgen::generate_simple_self_signed(names)?;
    let key = PrivateKeyDer::Pkcs8(signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)?;
    Ok(GeneratedTls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        certificate_pem: cert.pem(),
    })
}
