//! `bastion_list_hosts`: discovers the Bastion hosts of subscriptions or a resource group.

use std::ffi::c_char;

use bastion_session::BastionHost;
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
    stats: Stats,
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
    let data = calls::execute(settings, move |w: RunningCall| async move {
        test_hooks::maybe_panic_async(async_panic);
        let hosts = w
            .client
            .list_hosts(&scope, &w.ctx)
            .await
            .map_err(|e| from_core(&e))?;
        Ok(HostsData {
            stats: Stats {
                hosts_total: hosts.len(),
                requests: w.ctx.stats.requests(),
                retries: w.ctx.stats.retries(),
                elapsed_ms: w.started.elapsed().as_millis() as u64,
            },
            hosts,
        })
    })?;
    envelope::success(&data)
}

/// Lists the Bastion hosts in each subscription of `scope` (or in its resource group).
///
/// See `ffi/CONTRACT.md`, `bastion_list_hosts`. A subscription or resource group that does
/// not exist fails the call (`notFound`).
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
