//! Request parsing: the caller's JSON into typed, validated values, with errors that name
//! the JSON path. Unknown fields are refused everywhere (`deny_unknown_fields`), so a typo
//! is an `invalidRequest`, never silently ignored.
//!
//! Secrets (`token`, `clientSecret`, `certificatePassword`) are held in [`Secret`], which
//! zeroes its bytes on drop and never prints them. The request text itself is borrowed
//! from the caller and never copied.

use bastion_session::{
    AzureEnvironment, ClientOptions, CredentialSpec, DisconnectTarget, HostRef, HostScope,
    SecretString,
};
use serde::Deserialize;
use std::str::FromStr;
use std::time::Duration;
use zeroize::Zeroize;

use crate::envelope::{ErrorKind, FfiError, SCHEMA_VERSION};

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

/// Which export a request is for; decides which request fields are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    /// `bastion_get_sessions`
    GetSessions,
    /// `bastion_disconnect_sessions`
    Disconnect,
    /// `bastion_list_hosts`
    ListHosts,
}

/// The request object of every export (fields a call does not use are refused by
/// [`Request::check_fields_for`]).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Request {
    pub schema_version: Option<u32>,
    pub operation_id: Option<String>,
    pub credential: Option<CredentialRequest>,
    pub arm_endpoint: Option<String>,
    pub environment: Option<String>,
    pub api_version: Option<String>,
    pub timeout_sec: Option<u64>,
    pub concurrency: Option<u32>,
    pub max_retries: Option<u32>,
    pub poll_interval_min_sec: Option<f64>,
    pub poll_interval_max_sec: Option<f64>,
    pub extra_ca_certificate_pem: Option<String>,
    pub proxy: Option<String>,
    pub stream_results: Option<bool>,
    pub hosts: Option<Vec<HostRequest>>,
    pub scope: Option<ScopeRequest>,
    pub targets: Option<Vec<TargetRequest>>,
    pub chunk_size: Option<u32>,
    /// Test hook, honoured only in debug builds: `"sync"` panics in the export's own
    /// thread, `"async"` inside the runtime task. Release builds refuse the field.
    #[cfg(debug_assertions)]
    #[serde(rename = "_panic")]
    pub test_panic: Option<String>,
}

/// `credential`: one flat object; [`Request::check_credential`] checks which fields go with
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
    /// The caller's environment variables the credential, proxy and TLS read (names in
    /// [`ENVIRONMENT_NAMES`] / [`ENVIRONMENT_PREFIXES`]); when present, the process
    /// environment is not read at all.
    pub environment: Option<std::collections::BTreeMap<String, Secret>>,
}

/// Variables `credential.environment` may carry, besides the [`ENVIRONMENT_PREFIXES`].
pub(crate) const ENVIRONMENT_NAMES: &[&str] = &[
    "AZURE_TOKEN_CREDENTIALS",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
    "PATH",
];

/// Prefixes of the variables `credential.environment` may carry.
pub(crate) const ENVIRONMENT_PREFIXES: &[&str] = &["AZURE_", "IDENTITY_", "MSI_", "IMDS_"];

/// One host: a resource id, or subscription + resource group + name.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct HostRequest {
    pub resource_id: Option<String>,
    pub subscription_id: Option<String>,
    pub resource_group_name: Option<String>,
    pub name: Option<String>,
}

/// `scope`: subscriptions and an optional resource group.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ScopeRequest {
    pub subscription_ids: Vec<String>,
    pub resource_group_name: Option<String>,
}

/// One `targets[]` entry of a disconnect request.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct TargetRequest {
    pub host_resource_id: Option<String>,
    pub subscription_id: Option<String>,
    pub resource_group_name: Option<String>,
    pub name: Option<String>,
    pub session_ids: Vec<String>,
}

/// Removes the content of double-quoted strings from a serde message, so that a value
/// the caller sent (perhaps a secret in the wrong place) is never echoed back.
fn redact_values(message: &str) -> String {
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

/// The JSON path of a serde_path_to_error path, `$` for the root.
fn path_string(path: &serde_path_to_error::Path) -> String {
    let s = path.to_string();
    if s == "." || s == "?" || s.is_empty() {
        "$".to_owned()
    } else {
        s
    }
}

/// Parses `text` strictly into a [`Request`].
///
/// A request whose `schemaVersion` is present and not 1 is `unsupportedSchema` even when
/// other fields are unknown (a newer schema may add fields).
pub(crate) fn parse(text: &str) -> Result<Request, FfiError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let request: Request = match serde_path_to_error::deserialize(&mut de) {
        Ok(request) => request,
        Err(error) => {
            check_schema_loosely(text)?;
            let path = path_string(error.path());
            return Err(FfiError::invalid_request(
                &path,
                redact_values(&error.inner().to_string()),
            ));
        }
    };
    de.end()
        .map_err(|e| FfiError::invalid_request("$", redact_values(&e.to_string())))?;
    check_schema(request.schema_version.map(u64::from))?;
    Ok(request)
}

fn check_schema(version: Option<u64>) -> Result<(), FfiError> {
    match version {
        None => Ok(()),
        Some(v) if v == u64::from(SCHEMA_VERSION) => Ok(()),
        Some(v) => {
            let mut e = FfiError::new(
                ErrorKind::UnsupportedSchema,
                format!(
                    "request schemaVersion {v} is not supported; this library speaks schemaVersion {SCHEMA_VERSION}"
                ),
            );
            e.target = Some("schemaVersion".to_owned());
            Err(e)
        }
    }
}

/// After a strict parse failed: is this a request of another schema version?
fn check_schema_loosely(text: &str) -> Result<(), FfiError> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "schemaVersion")]
        schema_version: Option<serde_json::Value>,
    }
    if let Ok(Probe {
        schema_version: Some(v),
    }) = serde_json::from_str::<Probe>(text)
    {
        match v.as_u64() {
            Some(n) => check_schema(Some(n))?,
            None if !v.is_null() => {
                return Err(FfiError::new(
                    ErrorKind::UnsupportedSchema,
                    "request schemaVersion is not a number; this library speaks schemaVersion 1",
                ));
            }
            None => {}
        }
    }
    Ok(())
}

/// Checks `value` lies in `lo..=hi`, naming `path` otherwise.
pub(crate) fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    path: &str,
    value: Option<T>,
    lo: T,
    hi: T,
) -> Result<Option<T>, FfiError> {
    match value {
        Some(v) if !(lo..=hi).contains(&v) => Err(FfiError::invalid_request(
            path,
            format!("must be between {lo} and {hi}, got {v}"),
        )),
        other => Ok(other),
    }
}

impl Request {
    /// Refuses fields that `call` does not use, naming the field.
    pub(crate) fn check_fields_for(&self, call: Call) -> Result<(), FfiError> {
        let refuse = |path: &str, present: bool, only: &str| {
            if present {
                Err(FfiError::invalid_request(
                    path,
                    format!("this field is only accepted by {only}"),
                ))
            } else {
                Ok(())
            }
        };
        if call != Call::GetSessions {
            refuse(
                "streamResults",
                self.stream_results.is_some(),
                "bastion_get_sessions",
            )?;
            refuse("hosts", self.hosts.is_some(), "bastion_get_sessions")?;
        }
        if call != Call::Disconnect {
            refuse(
                "targets",
                self.targets.is_some(),
                "bastion_disconnect_sessions",
            )?;
            refuse(
                "chunkSize",
                self.chunk_size.is_some(),
                "bastion_disconnect_sessions",
            )?;
        }
        if call == Call::Disconnect {
            refuse(
                "scope",
                self.scope.is_some(),
                "bastion_get_sessions and bastion_list_hosts",
            )?;
        }
        Ok(())
    }

    /// Validates the common fields' values (ranges, lengths).
    pub(crate) fn check_common(&self) -> Result<(), FfiError> {
        if let Some(id) = &self.operation_id {
            let n = id.chars().count();
            if !(1..=128).contains(&n) {
                return Err(FfiError::invalid_request(
                    "operationId",
                    format!("must be 1 to 128 characters, got {n}"),
                ));
            }
        }
        in_range("timeoutSec", self.timeout_sec, 1, 86_400)?;
        in_range("concurrency", self.concurrency, 1, 256)?;
        in_range("maxRetries", self.max_retries, 0, 20)?;
        let min = in_range(
            "pollIntervalMinSec",
            self.poll_interval_min_sec,
            0.0,
            3600.0,
        )?;
        let max = in_range(
            "pollIntervalMaxSec",
            self.poll_interval_max_sec,
            0.0,
            3600.0,
        )?;
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            return Err(FfiError::invalid_request(
                "pollIntervalMinSec",
                "must not be larger than pollIntervalMaxSec",
            ));
        }
        in_range("chunkSize", self.chunk_size, 1, 10_000)?;
        if let Some(env) = &self.environment
            && !matches!(
                env.as_str(),
                "AzureCloud" | "AzureUSGovernment" | "AzureChinaCloud"
            )
        {
            return Err(FfiError::invalid_request(
                "environment",
                "must be AzureCloud, AzureUSGovernment or AzureChinaCloud",
            ));
        }
        Ok(())
    }
}

/// Reads a required string field, naming it when it is missing or empty.
pub(crate) fn required<'a>(path: &str, value: &'a Option<String>) -> Result<&'a str, FfiError> {
    match value.as_deref() {
        Some(v) if !v.trim().is_empty() => Ok(v),
        Some(_) => Err(FfiError::invalid_request(path, "must not be empty")),
        None => Err(FfiError::invalid_request(path, "is required")),
    }
}

// ---- conversion into the core's types -------------------------------------------------

/// Default overall deadline of a call (`timeoutSec`).
pub(crate) const DEFAULT_TIMEOUT_SEC: u64 = 300;

/// What every call needs besides its own fields.
pub(crate) struct Common {
    pub options: ClientOptions,
    pub operation_id: Option<String>,
    pub timeout: Duration,
    pub concurrency: usize,
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
    fn to_spec(&self) -> Result<CredentialSpec, FfiError> {
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

fn parse_url(path: &str, text: &str) -> Result<url::Url, FfiError> {
    let url = url::Url::parse(text)
        .map_err(|e| FfiError::invalid_request(path, format!("is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FfiError::invalid_request(
            path,
            "must be an http or https URL",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FfiError::invalid_request(
            path,
            "must not carry a user name or password",
        ));
    }
    Ok(url)
}

/// A host reference from `resourceId`, or from `subscriptionId` + `resourceGroupName` +
/// `name` (exactly one of the two forms).
fn host_ref(
    path: &str,
    resource_id: &Option<String>,
    subscription_id: &Option<String>,
    resource_group_name: &Option<String>,
    name: &Option<String>,
    id_field: &str,
) -> Result<HostRef, FfiError> {
    let parts = [subscription_id, resource_group_name, name];
    match resource_id {
        Some(id) => {
            if parts.iter().any(|p| p.is_some()) {
                return Err(FfiError::invalid_request(
                    path,
                    format!(
                        "give either {id_field} or subscriptionId + resourceGroupName + name, not both"
                    ),
                ));
            }
            HostRef::from_str(id)
                .map_err(|e| FfiError::invalid_request(&format!("{path}.{id_field}"), e.message()))
        }
        None => {
            if parts.iter().all(|p| p.is_none()) {
                return Err(FfiError::invalid_request(
                    path,
                    format!("give {id_field}, or subscriptionId + resourceGroupName + name"),
                ));
            }
            let sub = required(&format!("{path}.subscriptionId"), subscription_id)?;
            let rg = required(&format!("{path}.resourceGroupName"), resource_group_name)?;
            let n = required(&format!("{path}.name"), name)?;
            HostRef::new(sub, rg, n).map_err(|e| FfiError::invalid_request(path, e.message()))
        }
    }
}

impl Request {
    /// Checks everything shared and builds the core's client options.
    pub(crate) fn common(&self, call: Call) -> Result<Common, FfiError> {
        self.check_fields_for(call)?;
        self.check_common()?;
        let mut options = ClientOptions::default();
        if let Some(env) = &self.environment {
            options.environment = AzureEnvironment::from_str(env)
                .map_err(|e| FfiError::invalid_request("environment", e.message()))?;
        }
        if let Some(endpoint) = &self.arm_endpoint {
            options.arm_endpoint = Some(parse_url("armEndpoint", endpoint)?);
        }
        if let Some(v) = &self.api_version {
            if v.trim().is_empty() {
                return Err(FfiError::invalid_request("apiVersion", "must not be empty"));
            }
            options.api_version = v.clone();
        }
        options.credential = match &self.credential {
            Some(c) => c.to_spec()?,
            None => CredentialSpec::Default,
        };
        if let Some(vars) = self
            .credential
            .as_ref()
            .and_then(|c| c.environment.as_ref())
        {
            let mut settings = bastion_session::EnvSettings::new();
            for (name, value) in vars {
                let known = ENVIRONMENT_NAMES.contains(&name.as_str())
                    || ENVIRONMENT_PREFIXES.iter().any(|p| name.starts_with(p));
                if !known {
                    return Err(FfiError::invalid_request(
                        &format!("credential.environment.{name}"),
                        "is not a variable the library reads (AZURE_*, IDENTITY_*, MSI_*, IMDS_*, \
                         AZURE_TOKEN_CREDENTIALS, the proxy variables, NO_PROXY, SSL_CERT_FILE, PATH)",
                    ));
                }
                settings.set(name.clone(), value.expose());
            }
            options.env_settings = Some(std::sync::Arc::new(settings));
        }
        if let Some(n) = self.max_retries {
            options.retry.max_retries = n;
        }
        if let Some(s) = self.poll_interval_min_sec {
            options.poll.min_interval = Duration::from_secs_f64(s);
        }
        if let Some(s) = self.poll_interval_max_sec {
            options.poll.max_interval = Duration::from_secs_f64(s);
        }
        if options.poll.min_interval > options.poll.max_interval {
            return Err(FfiError::invalid_request(
                "pollIntervalMinSec",
                "must not be larger than pollIntervalMaxSec (default 60)",
            ));
        }
        options.extra_ca_pem = self.extra_ca_certificate_pem.clone();
        if let Some(p) = &self.proxy {
            parse_url("proxy", p)?;
            options.proxy = Some(p.clone());
        }
        // The call's deadline (`timeoutSec`) is enforced around the whole call; the core's
        // per-host LRO timeout stays its own (a host hitting it is a failed host entry).
        let timeout = Duration::from_secs(self.timeout_sec.unwrap_or(DEFAULT_TIMEOUT_SEC));
        Ok(Common {
            options,
            operation_id: self.operation_id.clone(),
            timeout,
            concurrency: self
                .concurrency
                .map_or(bastion_session::DEFAULT_CONCURRENCY, |c| c as usize),
        })
    }

    /// The hosts named by `hosts` (exactly one of `hosts` and `scope` must be given).
    pub(crate) fn host_list(&self) -> Result<HostSelection, FfiError> {
        match (&self.hosts, &self.scope) {
            (Some(_), Some(_)) => Err(FfiError::invalid_request(
                "hosts",
                "give either hosts or scope, not both",
            )),
            (None, None) => Err(FfiError::invalid_request(
                "hosts",
                "give hosts (a list of Bastion hosts) or scope (subscriptions to search)",
            )),
            (Some(hosts), None) => {
                if hosts.is_empty() {
                    return Err(FfiError::invalid_request("hosts", "must not be empty"));
                }
                hosts
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        host_ref(
                            &format!("hosts[{i}]"),
                            &h.resource_id,
                            &h.subscription_id,
                            &h.resource_group_name,
                            &h.name,
                            "resourceId",
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(HostSelection::Hosts)
            }
            (None, Some(_)) => self.host_scope().map(HostSelection::Scope),
        }
    }

    /// The `scope` (required).
    pub(crate) fn host_scope(&self) -> Result<HostScope, FfiError> {
        let Some(scope) = &self.scope else {
            return Err(FfiError::invalid_request("scope", "is required"));
        };
        if scope.subscription_ids.is_empty() {
            return Err(FfiError::invalid_request(
                "scope.subscriptionIds",
                "must not be empty",
            ));
        }
        for (i, s) in scope.subscription_ids.iter().enumerate() {
            if s.trim().is_empty() || s.contains(['/', '?', '#']) {
                return Err(FfiError::invalid_request(
                    &format!("scope.subscriptionIds[{i}]"),
                    "is not a subscription id",
                ));
            }
        }
        if let Some(rg) = &scope.resource_group_name
            && (rg.trim().is_empty() || rg.contains(['/', '?', '#']))
        {
            return Err(FfiError::invalid_request(
                "scope.resourceGroupName",
                "is not a resource group name",
            ));
        }
        Ok(HostScope {
            subscription_ids: scope.subscription_ids.clone(),
            resource_group_name: scope.resource_group_name.clone(),
        })
    }

    /// The disconnect targets (required, each with at least one session id).
    pub(crate) fn disconnect_targets(&self) -> Result<(Vec<DisconnectTarget>, usize), FfiError> {
        let Some(targets) = &self.targets else {
            return Err(FfiError::invalid_request("targets", "is required"));
        };
        if targets.is_empty() {
            return Err(FfiError::invalid_request("targets", "must not be empty"));
        }
        let out = targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let path = format!("targets[{i}]");
                let host = host_ref(
                    &path,
                    &t.host_resource_id,
                    &t.subscription_id,
                    &t.resource_group_name,
                    &t.name,
                    "hostResourceId",
                )?;
                if t.session_ids.is_empty() {
                    return Err(FfiError::invalid_request(
                        &format!("{path}.sessionIds"),
                        "must not be empty",
                    ));
                }
                if let Some(j) = t.session_ids.iter().position(|s| s.trim().is_empty()) {
                    return Err(FfiError::invalid_request(
                        &format!("{path}.sessionIds[{j}]"),
                        "must not be empty",
                    ));
                }
                Ok(DisconnectTarget {
                    host,
                    session_ids: t.session_ids.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let chunk = self
            .chunk_size
            .map_or(bastion_session::DEFAULT_DISCONNECT_CHUNK, |c| c as usize);
        Ok((out, chunk))
    }
}

/// How a `bastion_get_sessions` request names its hosts.
pub(crate) enum HostSelection {
    /// An explicit list.
    Hosts(Vec<HostRef>),
    /// Discover them first.
    Scope(HostScope),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> FfiError {
        parse(text).expect_err(text)
    }

    #[test]
    fn unknown_field_names_its_path() {
        let e = err(r#"{"credential":{"type":"accessToken","tokne":"x"}}"#);
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        assert_eq!(e.target.as_deref(), Some("credential.tokne"));
        assert!(e.message.contains("tokne"), "{}", e.message);
    }

    #[test]
    fn wrong_type_names_path_and_hides_value() {
        let e = err(
            r#"{"hosts":[{"resourceId":"ok"},{"resourceId":"s3cr3t-token-like"}],"timeoutSec":"s3cr3t"}"#,
        );
        assert_eq!(e.target.as_deref(), Some("timeoutSec"));
        assert!(!e.message.contains("s3cr3t"), "{}", e.message);
        let e = err(r#"{"credential":"s3cr3t"}"#);
        assert!(!e.message.contains("s3cr3t"), "{}", e.message);
        let e = err(r#"{"credential":{"type":"accessToken","token":987654321}}"#);
        assert!(!e.message.contains("987654321"), "{}", e.message);
        let e = err(r#"{"hosts":[{"resourceId":5}]}"#);
        assert_eq!(e.target.as_deref(), Some("hosts[0].resourceId"));
    }

    #[test]
    fn schema_versions() {
        assert_eq!(
            err(r#"{"schemaVersion":2}"#).kind,
            ErrorKind::UnsupportedSchema
        );
        assert_eq!(
            err(r#"{"schemaVersion":2,"newField":1}"#).kind,
            ErrorKind::UnsupportedSchema
        );
        assert!(parse(r#"{"schemaVersion":1}"#).is_ok());
        assert_eq!(err("{} x").kind, ErrorKind::InvalidRequest);
        assert_eq!(err("[").kind, ErrorKind::InvalidRequest);
    }

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
