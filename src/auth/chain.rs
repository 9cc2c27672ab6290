//! The default credential chain (azure_identity 1.0 has none): environment service
//! principal, workload identity, managed identity, Azure CLI, narrowed by
//! `AZURE_TOKEN_CREDENTIALS` (`dev` = Azure CLI; `prod` = environment, workload identity,
//! managed identity; or one credential's name).
//!
//! A credential whose settings are absent is skipped with a reason; the first one that
//! gives a token is kept for later calls. When none works, the error lists each
//! credential and why (never a secret). Managed identity comes late, so IMDS is only
//! probed when nothing before it applies.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::source::{Vars, env};
use super::{identity, managed_identity};
use crate::cloud::AzureEnvironment;
use crate::credential::{AccessToken, SecretString, TokenSource};
use crate::error::{Error, ErrorKind, Result};

const ENV: &str = "EnvironmentCredential";
const WI: &str = "WorkloadIdentityCredential";
const MI: &str = "ManagedIdentityCredential";
const CLI: &str = "AzureCliCredential";

/// One link: a usable source, or why it was skipped.
struct Link {
    name: &'static str,
    source: std::result::Result<Arc<dyn TokenSource>, String>,
}

pub(crate) struct Chain {
    links: Vec<Link>,
    chosen: Mutex<Option<usize>>,
}

/// Which credentials `AZURE_TOKEN_CREDENTIALS` allows.
pub(crate) fn allowed(value: Option<&str>) -> Result<Vec<&'static str>> {
    let all = vec![ENV, WI, MI, CLI];
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(all);
    };
    match v.to_ascii_lowercase().as_str() {
        "dev" => Ok(vec![CLI]),
        "prod" => Ok(vec![ENV, WI, MI]),
        other => all
            .into_iter()
            .find(|n| n.eq_ignore_ascii_case(other))
            .map(|n| vec![n])
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Auth,
                    format!(
                        "AZURE_TOKEN_CREDENTIALS is '{v}', which is not 'dev', 'prod' or one of \
                         {ENV}, {WI}, {MI}, {CLI}"
                    ),
                )
            }),
    }
}

pub(crate) fn default_chain(
    environment: AzureEnvironment,
    http: &reqwest::Client,
    vars: Vars,
) -> Result<Arc<dyn TokenSource>> {
    let env = |name: &str| env(&vars, name);
    let names = allowed(env("AZURE_TOKEN_CREDENTIALS").as_deref())?;
    let mut links = Vec::new();
    for name in names {
        let source = match name {
            ENV => match (env("AZURE_TENANT_ID"), env("AZURE_CLIENT_ID"), env("AZURE_CLIENT_SECRET"), env("AZURE_CLIENT_CERTIFICATE_PATH")) {
                (Some(t), Some(c), Some(s), _) => identity::client_secret(&t, &c, &SecretString::new(s), None, environment, http)
                    .map_err(|e| e.message().to_string()),
                (Some(t), Some(c), None, Some(p)) => identity::client_certificate(
                    &t,
                    &c,
                    std::path::Path::new(&p),
                    env("AZURE_CLIENT_CERTIFICATE_PASSWORD").is_some(),
                    environment,
                    http,
                )
                .map_err(|e| e.message().to_string()),
                _ => Err("skipped: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) are not all set".into()),
            },
            WI => match (env("AZURE_FEDERATED_TOKEN_FILE"), env("AZURE_TENANT_ID"), env("AZURE_CLIENT_ID")) {
                (Some(f), Some(t), Some(c)) => {
                    identity::workload_identity(Some(t), Some(c), Some(f.into()), environment, http).map_err(|e| e.message().to_string())
                }
                _ => Err("skipped: AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID are not all set".into()),
            },
            MI => {
                // As in the other Azure SDKs' default chains, AZURE_CLIENT_ID picks a
                // user-assigned identity.
                let id = managed_identity::UserAssigned::from_parts(env("AZURE_CLIENT_ID"), None, None)?;
                Ok(Arc::new(managed_identity::ManagedIdentitySource::new(id, environment, vars.clone())) as Arc<dyn TokenSource>)
            }
            _ => {
                if on_path("az", env("PATH")) {
                    identity::azure_cli(None).map_err(|e| e.message().to_string())
                } else {
                    Err("skipped: the Azure CLI ('az') is not on PATH".into())
                }
            }
        };
        links.push(Link { name, source });
    }
    Ok(Arc::new(Chain {
        links,
        chosen: Mutex::new(None),
    }))
}

fn on_path(exe: &str, path: Option<String>) -> bool {
    let Some(path) = path else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        ["", ".cmd", ".exe", ".bat"]
            .iter()
            .any(|ext| dir.join(format!("{exe}{ext}")).is_file())
    })
}

#[async_trait]
impl TokenSource for Chain {
    async fn get_token(&self, scope: &str) -> Result<AccessToken> {
        let chosen = *self.chosen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = chosen {
            if let Ok(src) = &self.links[i].source {
                return src.get_token(scope).await;
            }
        }
        let mut why = Vec::new();
        for (i, link) in self.links.iter().enumerate() {
            match &link.source {
                Err(reason) => why.push(format!("{}: {reason}", link.name)),
                Ok(src) => match src.get_token(scope).await {
                    Ok(t) => {
                        tracing::debug!(
                            credential = link.name,
                            "credential chain: using this credential"
                        );
                        *self.chosen.lock().unwrap_or_else(|p| p.into_inner()) = Some(i);
                        return Ok(t);
                    }
                    Err(e) => why.push(format!("{}: {}", link.name, e.message())),
                },
            }
        }
        Err(Error::new(
            ErrorKind::Auth,
            format!(
                "no credential in the default chain could get a token (pass an access token, or set \
                 AZURE_TOKEN_CREDENTIALS to pick one): {}",
                why.join("; ")
            ),
        ))
    }

    fn name(&self) -> String {
        "DefaultCredentialChain".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_credentials_narrowing() {
        assert_eq!(allowed(None).unwrap(), vec![ENV, WI, MI, CLI]);
        assert_eq!(allowed(Some("dev")).unwrap(), vec![CLI]);
        assert_eq!(allowed(Some("PROD")).unwrap(), vec![ENV, WI, MI]);
        assert_eq!(
            allowed(Some("managedidentitycredential")).unwrap(),
            vec![MI]
        );
        assert_eq!(allowed(Some("EnvironmentCredential")).unwrap(), vec![ENV]);
        let e = allowed(Some("bogus")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(e.message().contains("bogus"));
    }
}
