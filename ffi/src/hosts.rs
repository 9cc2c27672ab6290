//! `bastion_list_hosts`: discovers the Bastion hosts of subscriptions or a resource group.

use std::ffi::c_char;

use bastion_session::{BastionHost, HostScope, SubscriptionHostsOutcome};
use serde::Serialize;

use crate::calls::{self, RunningCall};
use crate::envelope::{self, FfiError, from_core};
use crate::request::{self, Call};
use crate::{boundary, test_hooks};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    hosts_total: usize,
    requests: u64,
    retries: u64,
    elapsed_ms: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HostsData {
    hosts: Vec<BastionHost>,
    subscriptions: Vec<SubscriptionHostsOutcomeView>,
    stats: Stats,
}

/// One subscription's entry in `data.subscriptions`: where hosts were looked for, and
/// whether that worked (with how many hosts were found) or its error.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubscriptionHostsOutcomeView {
    subscription_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group_name: Option<String>,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    hosts_found: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<FfiError>,
}

/// What a discovery over a scope found: the hosts of every subscription that answered,
/// one entry per subscription, and the call's error when no subscription answered.
pub(crate) struct Discovery {
    pub hosts: Vec<BastionHost>,
    pub subscriptions: Vec<SubscriptionHostsOutcomeView>,
    pub failed: Option<FfiError>,
}

/// Discovers the hosts of `scope`, one outcome per subscription. The call fails (`Err`)
/// only for a scope the core refuses; when every subscription failed, `failed` is the
/// call's error: the interruption (timeout, cancel) if there was one, else the first
/// subscription's error.
pub(crate) async fn discover(w: &RunningCall, scope: &HostScope) -> Result<Discovery, FfiError> {
    let outcomes = w
        .client
        .discover_hosts(scope, &w.ctx)
        .await
        .map_err(|e| from_core(&e))?;
    let mut hosts = Vec::new();
    let mut subscriptions = Vec::with_capacity(outcomes.len());
    for SubscriptionHostsOutcome {
        subscription_id,
        resource_group_name,
        result,
    } in outcomes
    {
        let entry = match result {
            Ok(found) => {
                let n = found.len();
                hosts.extend(found);
                SubscriptionHostsOutcomeView {
                    subscription_id,
                    resource_group_name,
                    ok: true,
                    hosts_found: Some(n),
                    error: None,
                }
            }
            Err(e) => SubscriptionHostsOutcomeView {
                subscription_id,
                resource_group_name,
                ok: false,
                hosts_found: None,
                error: Some(from_core(&e)),
            },
        };
        subscriptions.push(entry);
    }
    let failed = if subscriptions.iter().any(|s| s.ok) {
        None
    } else {
        w.interruption()
            .or_else(|| subscriptions.iter().find_map(|s| s.error.clone()))
    };
    Ok(Discovery {
        hosts,
        subscriptions,
        failed,
    })
}

/// Lists the hosts; returns the success envelope.
pub(crate) fn list_hosts_json(text: &str) -> Result<String, FfiError> {
    let req = request::parse(text)?;
    test_hooks::before_call(&req)?;
    let settings = req.call_settings(Call::ListHosts)?;
    let scope = req.host_scope()?;
    let async_panic = test_hooks::async_panic(&req);
    if req.validate_only == Some(true) {
        // Every field checked and converted, names and ids by the core's rules: done.
        return envelope::success(&serde_json::json!({}));
    }
    drop(req);
    let (data, failed) = calls::execute(settings, move |w: RunningCall| async move {
        test_hooks::maybe_panic_async(async_panic);
        let found = discover(&w, &scope).await?;
        let data = HostsData {
            stats: Stats {
                hosts_total: found.hosts.len(),
                requests: w.ctx.stats.requests(),
                retries: w.ctx.stats.retries(),
                elapsed_ms: w.started.elapsed().as_millis() as u64,
            },
            hosts: found.hosts,
            subscriptions: found.subscriptions,
        };
        Ok((data, found.failed))
    })?;
    match failed {
        Some(e) => envelope::failure_with_data(&e, &data),
        None => envelope::success(&data),
    }
}

/// Lists the Bastion hosts in each subscription of `scope` (or in its resource group).
///
/// See `ffi/CONTRACT.md`, `bastion_list_hosts`. `data.subscriptions` has one entry per
/// subscription: one that fails (forbidden, not found ...) is an entry with `"ok":false`
/// and its error, and the hosts of the others are still listed. Only when no subscription
/// answered does the call fail, with the first subscription's error (and the same `data`).
///
/// - Ownership: the caller owns the returned envelope and frees it with
///   `bastion_string_free`. `request_json` is borrowed for the call only.
/// - Never returns null. Never unwinds: a panic becomes an `internal` error envelope.
/// - Thread safety: any number of threads may call at once, also from inside a tokio
///   runtime.
///
/// # Safety
/// `request_json` is null or a NUL-terminated string valid for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bastion_list_hosts(request_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded caller contract.
    unsafe {
        boundary::call_json(
            "bastion_list_hosts",
            request_json,
            "request_json",
            list_hosts_json,
        )
    }
}
