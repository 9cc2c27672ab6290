//! What credential to use ([`CredentialSpec`]), the secret wrapper ([`SecretString`]) and
//! the [`TokenSource`] trait every credential implements. The implementations live in
//! the private `auth` module.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use url::Url;
use zeroize::Zeroizing;

use crate::error::Result;

/// A secret string: zeroed on drop, `Debug` prints `***`, never serialised.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        SecretString(Zeroizing::new(secret.into()))
    }

    /// The secret itself. Only pass it to where it is needed (a header, a token request).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        SecretString::new(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString::new(s)
    }
}

/// A bearer token and when it expires.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The token.
    pub token: SecretString,
    /// When it expires.
    pub expires_on: OffsetDateTime,
}

/// Something that produces bearer tokens for a scope.
///
/// The crate wraps every source in a cache (refresh 5 minutes before expiry), so an
/// implementation may fetch on every call. Implement it to plug in your own credential
/// through [`CredentialSpec::Custom`].
#[async_trait]
pub trait TokenSource: Send + Sync {
    /// A token for `scope` (e.g. `https://management.azure.com/.default`).
    async fn get_token(&self, scope: &str) -> Result<AccessToken>;

    /// A short name for messages (e.g. `ManagedIdentityCredential`).
    fn name(&self) -> String;
}

/// Which credential to use to get ARM tokens.
#[derive(Clone, Default)]
pub enum CredentialSpec {
    /// A bearer token for ARM, used as is (never refreshed).
    AccessToken(SecretString),
    /// An Entra ID application with a client secret.
    ClientSecret {
        /// Tenant (directory) id.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// The client secret.
        secret: SecretString,
        /// Authority host; the environment's when `None`.
        authority_host: Option<Url>,
    },
    /// An Entra ID application with a certificate: a PEM file holding the certificate and
    /// its unencrypted RSA key. PKCS#12 (`.pfx`) and encrypted keys would need openssl,
    /// which this build avoids; they give an [`Auth`](crate::ErrorKind::Auth) error that
    /// says how to convert the file.
    ClientCertificate {
        /// Tenant (directory) id.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// Path of the certificate file.
        certificate_path: PathBuf,
        /// Password of the certificate file.
        password: Option<SecretString>,
    },
    /// Workload identity federation (Kubernetes and the like); unset fields come from
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`.
    WorkloadIdentity {
        /// Tenant id.
        tenant_id: Option<String>,
        /// Client id.
        client_id: Option<String>,
        /// Path of the federated token file.
        token_file_path: Option<PathBuf>,
    },
    /// Managed identity: `IDENTITY_ENDPOINT`+`IDENTITY_HEADER` (App Service, Automation),
    /// `MSI_ENDPOINT`+`MSI_SECRET` (hybrid workers), else IMDS with a short probe.
    /// At most one of the ids selects a user-assigned identity.
    ManagedIdentity {
        /// Client id of a user-assigned identity.
        client_id: Option<String>,
        /// Object (principal) id of a user-assigned identity.
        object_id: Option<String>,
        /// Resource id of a user-assigned identity.
        resource_id: Option<String>,
    },
    /// The Azure CLI's signed-in account (`az account get-access-token`).
    AzureCli {
        /// Tenant to get the token for.
        tenant_id: Option<String>,
    },
    /// The chain: environment service principal, workload identity, managed identity,
    /// Azure CLI; narrowed by `AZURE_TOKEN_CREDENTIALS`.
    #[default]
    Default,
    /// A caller-supplied token source (tests, embedding applications).
    Custom(Arc<dyn TokenSource>),
}

impl fmt::Debug for CredentialSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSpec::AccessToken(_) => f.write_str("AccessToken(***)"),
            CredentialSpec::ClientSecret {
                tenant_id,
                client_id,
                authority_host,
                ..
            } => f
                .debug_struct("ClientSecret")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("secret", &"***")
                .field("authority_host", authority_host)
                .finish(),
            CredentialSpec::ClientCertificate {
                tenant_id,
                client_id,
                certificate_path,
                ..
            } => f
                .debug_struct("ClientCertificate")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("certificate_path", certificate_path)
                .finish_non_exhaustive(),
            CredentialSpec::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file_path,
            } => f
                .debug_struct("WorkloadIdentity")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("token_file_path", token_file_path)
                .finish(),
            CredentialSpec::ManagedIdentity {
                client_id,
                object_id,
                resource_id,
            } => f
                .debug_struct("ManagedIdentity")
                .field("client_id", client_id)
                .field("object_id", object_id)
                .field("resource_id", resource_id)
                .finish(),
            CredentialSpec::AzureCli { tenant_id } => f
                .debug_struct("AzureCli")
                .field("tenant_id", tenant_id)
                .finish(),
            CredentialSpec::Default => f.write_str("Default"),
            CredentialSpec::Custom(s) => write!(f, "Custom({})", s.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let spec = CredentialSpec::ClientSecret {
            tenant_id: "t".into(),
            client_id: "c".into(),
            secret: "hunter2".into(),
            authority_host: None,
        };
        let text = format!("{spec:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!format!("{:?}", CredentialSpec::AccessToken("tok123".into())).contains("tok123"));
        assert_eq!(format!("{:?}", SecretString::new("x")), "***");
    }
}
