//! The JSON request types and the strict parse: unknown fields are refused everywhere
//! (`deny_unknown_fields`), so a typo is an `invalidRequest` naming its JSON path, never
//! silently ignored. A request of another `schemaVersion` is `unsupportedSchema`, also when
//! it does not parse as this version's.

use serde::Deserialize;

use super::credential::{CredentialRequest, redact_values};
use crate::envelope::{ErrorKind, FfiError, SCHEMA_VERSION};

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
    /// `true`: check and convert the request, answer `{}` and send nothing.
    pub validate_only: Option<bool>,
    pub hosts: Option<Vec<HostRequest>>,
    pub scope: Option<ScopeRequest>,
    pub targets: Option<Vec<TargetRequest>>,
    pub chunk_size: Option<u32>,
    /// Items one call may read (default 500,000), 1 to 10,000,000.
    pub max_items_per_call: Option<u32>,
    /// Test hook, honoured only in debug builds: `"sync"` panics in the export's own
    /// thread, `"async"` inside the runtime task. Release builds refuse the field.
    #[cfg(debug_assertions)]
    #[serde(rename = "_panic")]
    pub test_panic: Option<String>,
}

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
    pub(crate) fn check_shared_fields(&self) -> Result<(), FfiError> {
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
        in_range("maxItemsPerCall", self.max_items_per_call, 1, 10_000_000)?;
        // The canonical names only (exact case): the module maps aliases before it sends.
        if let Some(env) = &self.environment
            && !bastion_session::AzureEnvironment::ALL
                .iter()
                .any(|cloud| cloud.as_str() == env)
        {
            return Err(FfiError::invalid_request(
                "environment",
                "must be AzureCloud, AzureUSGovernment or AzureChinaCloud",
            ));
        }
        Ok(())
    }
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
}
