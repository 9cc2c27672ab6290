//! Client certificate credential without openssl: we sign the client assertion (a JWT,
//! RS256, with the certificate's SHA-1 thumbprint as `x5t`) ourselves with `ring`, and
//! let azure_identity's `ClientAssertionCredential` exchange it for a token.
//!
//! Supported: a PEM file holding the certificate and its unencrypted RSA private key
//! (PKCS#8 or PKCS#1), as `AZURE_CLIENT_CERTIFICATE_PATH` commonly points to. PKCS#12
//! (`.pfx`) and encrypted keys need openssl, which this build avoids: they give an error
//! that says how to convert the file.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use azure_core::http::ClientMethodOptions;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use time::OffsetDateTime;

use super::source::auth_error;
use crate::error::{Error, Result};

const NAME: &str = "ClientCertificateCredential";

/// Signs client assertions for one application.
pub(crate) struct CertificateAssertion {
    client_id: String,
    audience: String,
    thumbprint: String,
    key: Arc<RsaKeyPair>,
}

impl std::fmt::Debug for CertificateAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAssertion")
            .field("client_id", &self.client_id)
            .field("x5t", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl CertificateAssertion {
    /// Reads the PEM at `path`. `audience` is the token endpoint URL.
    pub fn from_file(
        path: &Path,
        client_id: &str,
        audience: String,
        password: bool,
    ) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| {
            auth_error(
                NAME,
                format!("cannot read the certificate file '{}': {e}", path.display()),
            )
        })?;
        Self::from_pem(&bytes, client_id, audience, password)
            .map_err(|e| e.context(format!("certificate file '{}'", path.display())))
    }

    /// Reads a PEM holding the certificate and its unencrypted RSA key. `password` says
    /// whether the caller gave a certificate password: this build cannot use one (it reads
    /// no encrypted key and no PKCS#12), so a failure then says that the password is why.
    pub fn from_pem(pem: &[u8], client_id: &str, audience: String, password: bool) -> Result<Self> {
        let unsupported = || {
            let why = if password {
                "a certificate password was given, but this build reads no encrypted key or PKCS#12 (no openssl): \
                 only a PEM file with the certificate and its unencrypted RSA key is supported"
            } else {
                "only a PEM file with the certificate and its unencrypted RSA key is supported in this build \
                 (no openssl)"
            };
            auth_error(
                NAME,
                format!(
                    "{why}; convert a .pfx with `openssl pkcs12 -in cert.pfx -nodes -out cert.pem`"
                ),
            )
        };
        if pem.windows(9).any(|w| w == b"ENCRYPTED") {
            return Err(unsupported());
        }
        let cert = CertificateDer::pem_slice_iter(pem)
            .next()
            .and_then(|c| c.ok())
            .ok_or_else(unsupported)?;
        let key = PrivateKeyDer::from_pem_slice(pem).map_err(|_| unsupported())?;
        let key = match &key {
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => {
                return Err(auth_error(
                    NAME,
                    "the private key is not an RSA key (Entra ID needs RSA)",
                ));
            }
        }
        .map_err(|e| auth_error(NAME, format!("the RSA private key could not be read: {e}")))?;
        let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, cert.as_ref());
        Ok(CertificateAssertion {
            client_id: client_id.to_string(),
            audience,
            thumbprint: URL_SAFE_NO_PAD.encode(digest.as_ref()),
            key: Arc::new(key),
        })
    }

    /// A signed JWT valid for 10 minutes.
    pub fn jwt(&self, now: OffsetDateTime) -> Result<String> {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint});
        let iat = now.unix_timestamp();
        let claims = serde_json::json!({
            "aud": self.audience, "iss": self.client_id, "sub": self.client_id,
            "jti": crate::transport::request_id::new_client_request_id(), "nbf": iat, "iat": iat, "exp": iat + 600,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| {
                Error::new(
                    crate::error::ErrorKind::Auth,
                    format!("{NAME}: signing the client assertion failed"),
                )
            })?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

#[async_trait]
impl azure_identity::ClientAssertion for CertificateAssertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        self.jwt(OffsetDateTime::now_utc()).map_err(|e| {
            azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                e.message().to_string(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

    const PEM: &[u8] = include_bytes!("testdata/test-only-cert-and-key.pem");

    #[test]
    fn signs_a_verifiable_assertion_with_thumbprint() {
        let a = CertificateAssertion::from_pem(
            PEM,
            "client-1",
            "https://login.example/t/oauth2/v2.0/token".into(),
            false,
        )
        .unwrap();
        let jwt = a.jwt(OffsetDateTime::now_utc()).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(header["x5t"].as_str().unwrap())
                .unwrap()
                .len(),
            20
        );
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["aud"], "https://login.example/t/oauth2/v2.0/token");
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            600
        );
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, a.key.public().as_ref())
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .expect("signature verifies");
    }

    #[test]
    fn pfx_or_garbage_is_a_clear_error() {
        for bad in [
            &b"\x30\x82\x01\x00binary pfx"[..],
            b"",
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        ] {
            let e = CertificateAssertion::from_pem(bad, "c", "a".into(), false).unwrap_err();
            assert_eq!(e.kind(), crate::error::ErrorKind::Auth);
            assert!(e.message().contains("PEM"), "{e}");
        }
    }

    #[test]
    fn a_password_the_build_cannot_use_is_named_as_the_reason() {
        let encrypted =
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let with = CertificateAssertion::from_pem(encrypted, "c", "a".into(), true).unwrap_err();
        assert!(with.message().contains("password"), "{with}");
        let without =
            CertificateAssertion::from_pem(encrypted, "c", "a".into(), false).unwrap_err();
        assert!(!without.message().contains("password"), "{without}");
    }
}
