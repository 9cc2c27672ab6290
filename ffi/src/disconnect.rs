//! `bastion_disconnect_sessions`: disconnects sessions by id, host by host.

use std::ffi::c_char;

use bastion_session::{HostDisconnectOutcome, SessionDisconnectResult};
use futures::StreamExt;
use serde::Serialize;

use crate::calls::{self, RunningCall};
use crate::envelope::{self, ErrorKind, FfiError, from_core};
use crate::request::{self, Call};
use crate::{boundary, test_hooks};

/// The JSON view of the core's [`HostDisconnectOutcome`]: one host's entry in
/// `data.results`. A failed host (`ok: false`) still lists every
/// requested id in `sessions` when it got as far as knowing them (see
/// `HostDisconnectOutcome::partial`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HostDisconnectOutcomeView {
    host_resource_id: String,
    host_name: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    sessions: Option<Vec<SessionDisconnectResult>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<FfiError>,
}

impl From<HostDisconnectOutcome> for HostDisconnectOutcomeView {
    fn from(o: HostDisconnectOutcome) -> Self {
        let (ok, sessions, error) = match o.result {
            Ok(s) => (true, Some(s), None),
            Err(e) => (
                false,
                (!o.partial.is_empty()).then_some(o.partial),
                Some(from_core(&e)),
            ),
        };
        HostDisconnectOutcomeView {
            host_resource_id: o.host.resource_id(),
            host_name: o.host.name,
            ok,
            sessions,
            error,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    hosts_total: usize,
    hosts_failed: usize,
    requests: u64,
    retries: u64,
    elapsed_ms: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DisconnectData {
    results: Vec<HostDisconnectOutcomeView>,
    stats: Stats,
    /// Set when the call was cancelled or passed its deadline: the answer is then this
    /// error, with the results known so far as its `data`.
    #[serde(skip)]
    interrupted: Option<FfiError>,
}

/// Disconnects the sessions; returns the success envelope.
pub(crate) fn disconnect_json(text: &str) -> Result<String, FfiError> {
    let req = request::parse(text)?;
    test_hooks::before_call(&req)?;
    let settings = req.call_settings(Call::Disconnect)?;
    let (targets, chunk) = req.disconnect_targets()?;
    let concurrency = settings.concurrency;
    let async_panic = test_hooks::async_panic(&req);
    if req.validate_only == Some(true) {
        // Every field checked and converted, names and ids by the core's rules: done.
        return envelope::success(&serde_json::json!({}));
    }
    drop(req);
    let order: Vec<String> = targets
        .iter()
        .map(|t| t.host.resource_id().to_ascii_lowercase())
        .collect();
    let data = calls::execute(settings, move |w: RunningCall| async move {
        test_hooks::maybe_panic_async(async_panic);
        let mut results: Vec<HostDisconnectOutcomeView> = w
            .client
            .disconnect_sessions_many(targets, chunk, concurrency, &w.ctx)
            .map(HostDisconnectOutcomeView::from)
            .collect()
            .await;
        // Only a host that the cancel or the deadline cut short makes the call interrupted.
        let cut_short = results.iter().any(|r| {
            r.error
                .as_ref()
                .is_some_and(|e| matches!(e.kind, ErrorKind::Timeout | ErrorKind::Cancelled))
        });
        let interrupted = if cut_short { w.interruption() } else { None };
        results.sort_by_key(|r| {
            let id = r.host_resource_id.to_ascii_lowercase();
            order.iter().position(|o| *o == id).unwrap_or(usize::MAX)
        });
        Ok(DisconnectData {
            stats: Stats {
                hosts_total: results.len(),
                hosts_failed: results.iter().filter(|r| !r.ok).count(),
                requests: w.ctx.stats.requests(),
                retries: w.ctx.stats.retries(),
                elapsed_ms: w.started.elapsed().as_millis() as u64,
            },
            results,
            interrupted,
        })
    })?;
    match &data.interrupted {
        Some(e) => envelope::failure_with_data(e, &data),
        None => envelope::success(&data),
    }
}

/// Disconnects Bastion sessions by id.
///
/// `request_json` lists `targets`, each a host and its `sessionIds` (see
/// `ffi/CONTRACT.md`, `bastion_disconnect_sessions`). The library sends one
/// `disconnectActiveSessions` request per host per `chunkSize` ids. Every requested id
/// appears exactly once per host in the answer; a failing host is an entry with
/// `"ok":false`. Blocks until done, cancelled or past `timeoutSec`; a cancelled or timed
/// out call answers the `cancelled`/`timeout` error envelope with the results known so
/// far as its `data` (ids never sent are `NotAttempted`, ids in flight `Unknown`).
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
pub unsafe extern "C" fn bastion_disconnect_sessions(request_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded caller contract.
    unsafe {
        boundary::call_json(
            "bastion_disconnect_sessions",
            request_json,
            "request_json",
            disconnect_json,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: &str) -> String {
        serde_json::json!({
            "validateOnly": true,
            // Nothing listens there: a request that were sent would fail, not succeed.
            "armEndpoint": "http://127.0.0.1:9",
            "credential": {"type": "accessToken", "token": "t"},
            "targets": [{"subscriptionId": "00000000-0000-0000-0000-000000000001",
                         "resourceGroupName": "rg-0", "name": name, "sessionIds": ["s-1"]}],
        })
        .to_string()
    }

    #[test]
    fn validate_only_checks_names_and_sends_nothing() {
        let ok = disconnect_json(&request("bh-0")).expect("a valid request is accepted");
        assert_eq!(ok, envelope::success(&serde_json::json!({})).unwrap());
        let e = disconnect_json(&request("bh-")).expect_err("the core's rule refuses 'bh-'");
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        assert_eq!(e.target.as_deref(), Some("targets[0].name"));
    }
}
