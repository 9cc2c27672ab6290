//! The `credential` object of a request: its types, which fields go with which `type`, the
//! caller's environment variables, and redaction.
//!
//! Secrets (`token`, `clientSecret`, `certificatePassword`) are held in [`Secret`], which
//! zeroes its bytes on drop and never prints them. [`redact_values`] keeps any value the
//! caller sent (perhaps a secret in the wrong field) out of parse errors.

use bastion_session::options::{CREDENTIAL_CHAIN_VARIABLES, TRANSPORT_VARIABLES};
use bastion_session::{CredentialSpec, EnvSettings, SecretString};
use serde::Deserialize;
use zeroize::Zeroize;

use super::fields::{parse_url, required};
use crate::envelope::FfiError;

/// A secret string from a request: zeroed on drop, redacted in `Debug`.
#[derive(Deserialize, Default)]
#[serde(transparent)]
pub(crate) struct Secret(String);

impl Secret {
    /// The secret text (hand it on, never log it).
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `credential`: one flat object; [`CredentialRequest::to_spec`] checks which fields go with
/// which `type`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CredentialRequest {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub token: Option<Secret>,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub authority_host: Option<String>,
    pub certificate_path: Option<String>,
    pub certificate_password: Option<Secret>,
    pub token_file_path: Option<String>,
    pub object_id: Option<String>,
    pub resource_id: Option<String>,
    /// The caller's environment variables the transport and the credential read (names in
    /// the core's `TRANSPORT_VARIABLES` / `CREDENTIAL_CHAIN_VARIABLES`); when present, the
    /// process environment is not read at all.
    pub environment: Option<std::collections::BTreeMap<String, Secret>>,
}

/// The credential types that read the credential variables (`CREDENTIAL_CHAIN_VARIABLES`):
/// the chain reads them all, workload and managed identity their own ones (and key their
/// cached provider by the whole list). The other types read none.
const TYPES_READING_CREDENTIAL_VARIABLES: &[&str] =
    &["default", "workloadIdentity", "managedIdentity"];

/// Removes the content of double-quoted strings from a serde message, so that a value
/// the caller sent (perhaps a secret in the wrong place) is never echoed back.
pub(super) fn redact_values(message: &str) -> String {
    // `invalid type: integer `123`, expected ...`: the unexpected part is the caller's value.
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(i) = rest.find(", expected ")
        {
            let what = prefix.trim_end_matches([':', ' ']);
            return format!("{what}{}", redact_values(&rest[i..]));
        }
    }
    let mut out = String::with_capacity(message.len());
    let mut in_quotes = false;
    let mut after_variant = false;
    for (i, ch) in message.char_indices() {
        if ch == '"' {
            if in_quotes {
                out.push_str("…\"");
            } else {
                out.push('"');
            }
            in_quotes = !in_quotes;
            continue;
        }
        if in_quotes {
            continue;
        }
        // `unknown variant `X`, expected ...`: X is the caller's value.
        if ch == '`' && message[..i].ends_with("unknown variant ") {
            after_variant = true;
            out.push_str("`…");
            continue;
        }
        if after_variant {
            if ch == '`' {
                after_variant = false;
                out.push('`');
            }
            continue;
        }
        out.push(ch);
    }
    out
}

fn secret(path: &str, value: &Option<Secret>) -> Result<SecretString, FfiError> {
    match value {
        Some(s) if !s.expose().is_empty() => Ok(SecretString::new(s.expose())),
        Some(_) => Err(FfiError::invalid_request(path, "must not be empty")),
        None => Err(FfiError::invalid_request(path, "is required")),
    }
}

impl CredentialRequest {
    /// The core's credential, checking which fields go with the `type`.
    pub(super) fn to_spec(&self) -> Result<CredentialSpec, FfiError> {
        let kind = self.kind.as_deref().unwrap_or("default");
        let allowed: &[&str] = match kind {
            "accessToken" => &["token"],
            "clientSecret" => &["tenantId", "clientId", "clientSecret", "authorityHost"],
            "clientCertificate" => &[
                "tenantId",
                "clientId",
                "certificatePath",
                "certificatePassword",
            ],
            "workloadIdentity" => &["tenantId", "clientId", "tokenFilePath"],
            "managedIdentity" => &["clientId", "objectId", "resourceId"],
            "azureCli" => &["tenantId"],
            "default" => &[],
            _ => {
                return Err(FfiError::invalid_request(
                    "credential.type",
                    "unknown credential type; expected accessToken, clientSecret, \
                     clientCertificate, workloadIdentity, managedIdentity, azureCli or default",
                ));
            }
        };
        let present = [
            ("token", self.token.is_some()),
            ("tenantId", self.tenant_id.is_some()),
            ("clientId", self.client_id.is_some()),
            ("clientSecret", self.client_secret.is_some()),
            ("authorityHost", self.authority_host.is_some()),
            ("certificatePath", self.certificate_path.is_some()),
            ("certificatePassword", self.certificate_password.is_some()),
            ("tokenFilePath", self.token_file_path.is_some()),
            ("objectId", self.object_id.is_some()),
            ("resourceId", self.resource_id.is_some()),
        ];
        if let Some((name, _)) = present
            .iter()
            .find(|(name, there)| *there && !allowed.contains(name))
        {
            return Err(FfiError::invalid_request(
                &format!("credential.{name}"),
                format!("is not a field of credential type {kind}"),
            ));
        }
        Ok(match kind {
            "accessToken" => CredentialSpec::AccessToken(secret("credential.token", &self.token)?),
            "clientSecret" => CredentialSpec::ClientSecret {
                tenant_id: required("credential.tenantId", &self.tenant_id)?.to_owned(),
                client_id: required("credential.clientId", &self.client_id)?.to_owned(),
                secret: secret("credential.clientSecret", &self.client_secret)?,
                authority_host: self
                    .authority_host
                    .as_deref()
                    .map(|u| parse_url("credential.authorityHost", u))
                    .transpose()?,
            },
            "clientCertificate" => CredentialSpec::ClientCertificate {
                tenant_id: required("credential.tenantId", &self.tenant_id)?.to_owned(),
                client_id: required("credential.clientId", &self.client_id)?.to_owned(),
                certificate_path: required("credential.certificatePath", &self.certificate_path)?
                    .into(),
                password: self
                    .certificate_password
                    .as_ref()
                    .map(|p| SecretString::new(p.expose())),
            },
            "workloadIdentity" => CredentialSpec::WorkloadIdentity {
                tenant_id: self.tenant_id.clone(),
                client_id: self.client_id.clone(),
                token_file_path: self.token_file_path.as_ref().map(Into::into),
            },
            "managedIdentity" => {
                let ids = [&self.client_id, &self.object_id, &self.resource_id];
                if ids.iter().filter(|v| v.is_some()).count() > 1 {
                    return Err(FfiError::invalid_request(
                        "credential",
                        "give at most one of clientId, objectId and resourceId",
                    ));
                }
                CredentialSpec::ManagedIdentity {
                    client_id: self.client_id.clone(),
                    object_id: self.object_id.clone(),
                    resource_id: self.resource_id.clone(),
                }
            }
            "azureCli" => CredentialSpec::AzureCli {
                tenant_id: self.tenant_id.clone(),
            },
            _ => CredentialSpec::Default,
        })
    }
}

impl CredentialRequest {
    /// The caller's environment variables (`credential.environment`), checked against the
    /// names this call reads; `None` when the request has none (the process environment
    /// is read then).
    ///
    /// A name the call does not read is refused, naming it and never its value: one the
    /// library never reads (a typo, another tool's secret), and a credential variable with a
    /// credential type that reads none (an access token, a client secret or certificate,
    /// the Azure CLI). So no value the library would not use enters its process-wide caches.
    pub(super) fn env_settings(&self) -> Result<Option<EnvSettings>, FfiError> {
        let Some(vars) = &self.environment else {
            return Ok(None);
        };
        let kind = self.kind.as_deref().unwrap_or("default");
        let reads_credential_variables = TYPES_READING_CREDENTIAL_VARIABLES.contains(&kind);
        let mut settings = EnvSettings::new();
        for (name, value) in vars {
            let name = name.as_str();
            if CREDENTIAL_CHAIN_VARIABLES.contains(&name) && !reads_credential_variables {
                return Err(FfiError::invalid_request(
                    &format!("credential.environment.{name}"),
                    format!(
                        "is not read with credential type {kind}: only the default, \
                         workloadIdentity and managedIdentity credentials read the credential \
                         variables; leave it out"
                    ),
                ));
            }
            if !CREDENTIAL_CHAIN_VARIABLES.contains(&name) && !TRANSPORT_VARIABLES.contains(&name) {
                return Err(FfiError::invalid_request(
                    &format!("credential.environment.{name}"),
                    "is not a variable the library reads (see ffi/CONTRACT.md, `credential`: \
                     the proxy and CA variables, and the credential variables)",
                ));
            }
            settings.set(name, value.expose());
        }
        Ok(Some(settings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        assert_eq!(
            redact_values(r#"invalid type: string "abc", expected u64 at line 1"#),
            "invalid type, expected u64 at line 1"
        );
        assert_eq!(
            redact_values("unknown variant `abc`, expected `x`"),
            "unknown variant `…`, expected `x`"
        );
    }
}
