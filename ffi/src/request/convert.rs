//! The parsed request into the core's types: client options, the call's deadline and
//! concurrency, the hosts or scope of a listing, the targets of a disconnect.
//!
//! Names and ids (subscription ids, resource group and host names, resource ids) are the
//! core's to validate; its error goes through as an `invalidRequest` whose target is the
//! field's JSON path.

use bastion_session::{
    AzureEnvironment, ClientOptions, CredentialSpec, DisconnectTarget, HostRef, HostScope,
};
use std::str::FromStr;
use std::time::Duration;

use super::credential::CredentialRequest;
use super::parse::{Call, Request, required};
use crate::envelope::FfiError;

/// Default overall deadline of a call (`timeoutSec`).
pub(crate) const DEFAULT_TIMEOUT_SEC: u64 = 300;

/// What every call needs besides its own fields.
pub(crate) struct Common {
    pub options: ClientOptions,
    pub operation_id: Option<String>,
    pub timeout: Duration,
    pub concurrency: usize,
}

pub(super) fn parse_url(path: &str, text: &str) -> Result<url::Url, FfiError> {
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
        if let Some(settings) = self
            .credential
            .as_ref()
            .map(CredentialRequest::env_settings)
            .transpose()?
            .flatten()
        {
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
