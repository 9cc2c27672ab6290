//! Adapters over azure_identity 1.0 for the credentials it does well: client secret,
//! workload identity and the Azure CLI. Their tokens go through our cache like any other.
//!
//! Client certificates: azure_identity's own credential needs openssl, so we sign the
//! client assertion ourselves (`certificate`) and use its `ClientAssertionCredential`.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions as AzClientOptions, Transport};
use url::Url;

use super::source::auth_error;
use crate::cloud::AzureEnvironment;
use crate::credential::{AccessToken, SecretString, TokenSource};
use crate::error::{Error, ErrorKind, Result};

/// An azure_identity credential as a [`TokenSource`].
pub(crate) struct AzIdentity {
    name: &'static str,
    cred: Arc<dyn TokenCredential>,
}

#[async_trait]
impl TokenSource for AzIdentity {
    async fn get_token(&self, scope: &str) -> Result<AccessToken> {
        let t = self
            .cred
            .get_token(&[scope], None)
            .await
            .map_err(|e| auth_error(self.name, e))?;
        Ok(AccessToken {
            token: SecretString::new(t.token.secret()),
            expires_on: t.expires_on,
        })
    }

    fn name(&self) -> String {
        self.name.into()
    }
}

fn az_options(
    environment: AzureEnvironment,
    authority_host: Option<&Url>,
    http: &reqwest::Client,
) -> AzClientOptions {
    let cloud = match authority_host {
        Some(a) => {
            let mut c = CustomConfiguration::default();
            c.authority_host = a.as_str().trim_end_matches('/').to_string();
            CloudConfiguration::Custom(c)
        }
        None => match environment {
            AzureEnvironment::AzureCloud => CloudConfiguration::AzurePublic,
            AzureEnvironment::AzureUSGovernment => CloudConfiguration::AzureGovernment,
            AzureEnvironment::AzureChinaCloud => CloudConfiguration::AzureChina,
        },
    };
    AzClientOptions {
        transport: Some(Transport::new(Arc::new(http.clone()))),
        cloud: Some(Arc::new(cloud)),
        ..Default::default()
    }
}

pub(crate) fn client_secret(
    tenant_id: &str,
    client_id: &str,
    secret: &SecretString,
    authority_host: Option<&Url>,
    environment: AzureEnvironment,
    http: &reqwest::Client,
) -> Result<Arc<dyn TokenSource>> {
    let name = "ClientSecretCredential";
    let options = azure_identity::ClientSecretCredentialOptions {
        client_options: az_options(environment, authority_host, http),
    };
    let cred = azure_identity::ClientSecretCredential::new(
        tenant_id,
        client_id.to_string(),
        secret.expose().to_string().into(),
        Some(options),
    )
    .map_err(|e| Error::new(ErrorKind::Auth, format!("{name}: {e}")))?;
    Ok(Arc::new(AzIdentity { name, cred }))
}

pub(crate) fn workload_identity(
    tenant_id: Option<String>,
    client_id: Option<String>,
    token_file_path: Option<PathBuf>,
    environment: AzureEnvironment,
    http: &reqwest::Client,
) -> Result<Arc<dyn TokenSource>> {
    let name = "WorkloadIdentityCredential";
    let mut options = azure_identity::WorkloadIdentityCredentialOptions::default();
    options.credential_options.client_options = az_options(environment, None, http);
    options.tenant_id = tenant_id;
    options.client_id = client_id;
    options.token_file_path = token_file_path;
    let cred = azure_identity::WorkloadIdentityCredential::new(Some(options))
        .map_err(|e| Error::new(ErrorKind::Auth, format!("{name}: {e}")))?;
    Ok(Arc::new(AzIdentity { name, cred }))
}

pub(crate) fn azure_cli(tenant_id: Option<String>) -> Result<Arc<dyn TokenSource>> {
    let name = "AzureCliCredential";
    let options = azure_identity::AzureCliCredentialOptions {
        tenant_id,
        ..Default::default()
    };
    let cred = azure_identity::AzureCliCredential::new(Some(options))
        .map_err(|e| Error::new(ErrorKind::Auth, format!("{name}: {e}")))?;
    Ok(Arc::new(AzIdentity { name, cred }))
}

pub(crate) fn client_certificate(
    tenant_id: &str,
    client_id: &str,
    path: &std::path::Path,
    has_password: bool,
    environment: AzureEnvironment,
    http: &reqwest::Client,
) -> Result<Arc<dyn TokenSource>> {
    let name = "ClientCertificateCredential";
    let audience = format!(
        "{}/{tenant_id}/oauth2/v2.0/token",
        environment.authority_host()
    );
    let assertion = super::certificate::CertificateAssertion::from_file(
        path,
        client_id,
        audience,
        has_password,
    )?;
    let options = azure_identity::ClientAssertionCredentialOptions {
        client_options: az_options(environment, None, http),
    };
    let cred = azure_identity::ClientAssertionCredential::new(
        tenant_id.to_string(),
        client_id.to_string(),
        assertion,
        Some(options),
    )
    .map_err(|e| Error::new(ErrorKind::Auth, format!("{name}: {e}")))?;
    Ok(Arc::new(AzIdentity { name, cred }))
}
