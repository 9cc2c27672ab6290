//! The parsed request into the core's types: client options, the call's deadline and
//! concurrency, the hosts or scope of a listing, the targets of a disconnect.
//!
//! Names and ids (subscription ids, resource group and host names, resource ids) are the
//! core's to validate; its error goes through as an `invalidRequest` whose target is the
//! field's JSON path.

use bastion_session::{
    AzureEnvironment, ClientOptions, CredentialSpec, DisconnectTarget, HostRef, HostScope, names,
};
use std::str::FromStr;
use std::time::Duration;

use super::credential::CredentialRequest;
use super::fields::parse_url;
use super::parse::{Call, Request};
use crate::envelope::FfiError;

/// Default overall deadline of a call (`timeoutSec`).
pub(crate) const DEFAULT_TIMEOUT_SEC: u64 = 300;

/// What every call needs besides its own fields.
pub(crate) struct CallSettings {
    pub options: ClientOptions,
    pub operation_id: Option<String>,
    pub timeout: Duration,
    pub concurrency: usize,
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
            let sub = present(&format!("{path}.subscriptionId"), subscription_id)?;
            let rg = present(&format!("{path}.resourceGroupName"), resource_group_name)?;
            let n = present(&format!("{path}.name"), name)?;
            // Each part through its own core rule, so the error names the field.
            core_rule(path, "subscriptionId", names::validate_subscription_id(sub))?;
            core_rule(
                path,
                "resourceGroupName",
                names::validate_resource_group_name(rg),
            )?;
            core_rule(path, "name", names::validate_bastion_host_name(n))?;
            HostRef::new(sub, rg, n).map_err(|e| FfiError::invalid_request(path, e.message()))
        }
    }
}

/// A field that must be there; its value is left to the core's rules.
fn present<'a>(path: &str, value: &'a Option<String>) -> Result<&'a str, FfiError> {
    value
        .as_deref()
        .ok_or_else(|| FfiError::invalid_request(path, "is required"))
}

/// The core's verdict on one field, as an `invalidRequest` whose target is `parent.field`.
fn core_rule(
    parent: &str,
    field: &str,
    verdict: bastion_session::Result<()>,
) -> Result<(), FfiError> {
    verdict.map_err(|e| {
        let path = if parent.is_empty() {
            field.to_owned()
        } else {
            format!("{parent}.{field}")
        };
        FfiError::invalid_request(&path, e.message())
    })
}

impl Request {
    /// Checks everything shared and builds the core's client options.
    pub(crate) fn call_settings(&self, call: Call) -> Result<CallSettings, FfiError> {
        self.check_fields_for(call)?;
        self.check_shared_fields()?;
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
        if let Some(n) = self.max_items_per_call {
            options.max_items_per_call = n as usize;
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
        Ok(CallSettings {
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
                    .map(|refs| HostSelection::Hosts(distinct_hosts(refs)))
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
            core_rule(
                "scope",
                &format!("subscriptionIds[{i}]"),
                names::validate_subscription_id(s),
            )?;
        }
        if let Some(rg) = &scope.resource_group_name {
            core_rule(
                "scope",
                "resourceGroupName",
                names::validate_resource_group_name(rg),
            )?;
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
        let out = merge_targets(out);
        let chunk = self
            .chunk_size
            .map_or(bastion_session::DEFAULT_DISCONNECT_CHUNK, |c| c as usize);
        Ok((out, chunk))
    }
}

/// The hosts in first-seen order, each once: ARM compares names case-insensitively, so
/// two spellings of one resource id (or an id and its three parts) are one host.
fn distinct_hosts(refs: Vec<HostRef>) -> Vec<HostRef> {
    let mut seen = std::collections::HashSet::new();
    refs.into_iter()
        .filter(|h| seen.insert(h.resource_id().to_ascii_lowercase()))
        .collect()
}

/// One target per host, in first-seen order: the session ids of targets naming the same
/// host (compared as [`distinct_hosts`] does) join the first one's (the core drops repeated
/// ids), so a host is never sent two racing disconnect requests.
fn merge_targets(targets: Vec<DisconnectTarget>) -> Vec<DisconnectTarget> {
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out: Vec<DisconnectTarget> = Vec::with_capacity(targets.len());
    for t in targets {
        let key = t.host.resource_id().to_ascii_lowercase();
        match index.get(&key) {
            Some(&i) => out[i].session_ids.extend(t.session_ids),
            None => {
                index.insert(key, out.len());
                out.push(t);
            }
        }
    }
    out
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
    use crate::envelope::ErrorKind;
    use crate::request::parse;

    const SUB: &str = "00000000-0000-0000-0000-000000000001";

    fn id(sub: &str, rg: &str, name: &str) -> String {
        format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/bastionHosts/{name}"
        )
    }

    fn hosts_error(hosts: serde_json::Value) -> FfiError {
        let text = serde_json::json!({ "hosts": hosts }).to_string();
        match parse(&text).unwrap().host_list() {
            Ok(_) => panic!("{text} was accepted"),
            Err(e) => e,
        }
    }

    /// The core's rule decides, and its message reaches the caller under the field's path.
    #[test]
    fn names_and_ids_are_refused_by_the_core_rule_naming_the_field() {
        let cases = [
            (
                serde_json::json!([{"subscriptionId": "x", "resourceGroupName": "rg", "name": "b"}]),
                "hosts[0].subscriptionId",
                names::validate_subscription_id("x"),
            ),
            (
                serde_json::json!([{"subscriptionId": SUB, "resourceGroupName": "a/b", "name": "b"}]),
                "hosts[0].resourceGroupName",
                names::validate_resource_group_name("a/b"),
            ),
            (
                serde_json::json!([{"subscriptionId": SUB, "resourceGroupName": "rg", "name": "bh-"}]),
                "hosts[0].name",
                names::validate_bastion_host_name("bh-"),
            ),
            (
                serde_json::json!([{"subscriptionId": SUB, "resourceGroupName": "rg", "name": ""}]),
                "hosts[0].name",
                names::validate_bastion_host_name(""),
            ),
            (
                serde_json::json!([{"resourceId": id(SUB, "rg", "..")}]),
                "hosts[0].resourceId",
                id(SUB, "rg", "..").parse::<HostRef>().map(|_| ()),
            ),
        ];
        for (hosts, target, core) in cases {
            let e = hosts_error(hosts);
            let core = core.expect_err("the core refuses it too");
            assert_eq!(e.kind, ErrorKind::InvalidRequest);
            assert_eq!(e.target.as_deref(), Some(target));
            assert!(
                e.message.contains(core.message()),
                "{} vs {}",
                e.message,
                core.message()
            );
        }
    }

    #[test]
    fn scope_values_go_through_the_core_rules() {
        let scope = |v: serde_json::Value| {
            parse(&serde_json::json!({ "scope": v }).to_string())
                .unwrap()
                .host_scope()
        };
        let e = scope(serde_json::json!({"subscriptionIds": [SUB, "a/b"]})).unwrap_err();
        assert_eq!(e.target.as_deref(), Some("scope.subscriptionIds[1]"));
        assert!(e.message.contains("'a/b' is not a GUID"), "{}", e.message);
        let e = scope(serde_json::json!({"subscriptionIds": [SUB], "resourceGroupName": "rg."}))
            .unwrap_err();
        assert_eq!(e.target.as_deref(), Some("scope.resourceGroupName"));
        assert!(e.message.contains("period"), "{}", e.message);
        assert!(
            scope(serde_json::json!({"subscriptionIds": [SUB], "resourceGroupName": "rg-ü"}))
                .is_ok()
        );
    }

    #[test]
    fn hosts_are_sent_once_and_targets_merged() {
        let text = serde_json::json!({ "hosts": [
            {"resourceId": id(SUB, "rg-0", "bh-0")},
            {"resourceId": format!("{}/", id(SUB, "RG-0", "BH-0").replace("resourceGroups", "resourcegroups"))},
            {"subscriptionId": SUB, "resourceGroupName": "rg-0", "name": "bh-0"},
            {"subscriptionId": SUB, "resourceGroupName": "rg-0", "name": "bh-1"},
        ]})
        .to_string();
        let HostSelection::Hosts(hosts) = parse(&text).unwrap().host_list().unwrap() else {
            panic!("hosts expected");
        };
        let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["bh-0", "bh-1"]);

        let text = serde_json::json!({ "targets": [
            {"hostResourceId": id(SUB, "rg-0", "bh-0"), "sessionIds": ["a", "b"]},
            {"hostResourceId": id(SUB, "rg-0", "bh-1"), "sessionIds": ["c"]},
            {"subscriptionId": SUB, "resourceGroupName": "RG-0", "name": "bh-0", "sessionIds": ["b", "d"]},
        ]})
        .to_string();
        let (targets, _) = parse(&text).unwrap().disconnect_targets().unwrap();
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].host.name, "bh-0");
        assert_eq!(targets[0].session_ids, ["a", "b", "b", "d"]);
        assert_eq!(targets[1].session_ids, ["c"]);
    }
}
