//! `bastion_get_sessions`: the active sessions of many Bastion hosts, named or discovered.

use std::collections::HashMap;
use std::ffi::c_char;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bastion_session::{BastionHost, BastionSession, SessionPageSink, SinkRoom};
use futures::StreamExt;
use serde::Serialize;

use crate::calls::NativeCall;
use crate::calls::{self, RunningCall};
use crate::envelope::{self, ErrorKind, FfiError};
use crate::hosts::{self, SubscriptionHostsOutcomeView};
use crate::request::{self, Call, HostSelection};
use crate::views::HostSessionsOutcomeView;
use crate::{boundary, test_hooks};

/// `data.stats`.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Stats {
    hosts_total: usize,
    hosts_failed: usize,
    sessions: usize,
    requests: u64,
    retries: u64,
    elapsed_ms: u64,
}

/// `data` of a `bastion_get_sessions` success.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionsData {
    hosts: Vec<HostSessionsOutcomeView>,
    /// With a `scope`: one entry per subscription searched (see `bastion_list_hosts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    subscriptions: Option<Vec<SubscriptionHostsOutcomeView>>,
    stats: Stats,
    /// Set when the call fails but still answers what it knows: it was cancelled or passed
    /// its deadline (the hosts known so far), or no subscription of its scope answered
    /// (`subscriptions` says why). The answer is then this error with this `data`.
    #[serde(skip)]
    interrupted: Option<FfiError>,
}

impl SessionsData {
    /// Builds the answer from host entries; `sessions` counts every session read, also
    /// those already streamed as `hostResult` events.
    pub fn new(
        hosts: Vec<HostSessionsOutcomeView>,
        sessions: usize,
        requests: u64,
        retries: u64,
        elapsed_ms: u64,
    ) -> Self {
        let stats = Stats {
            hosts_total: hosts.len(),
            hosts_failed: hosts.iter().filter(|h| !h.ok).count(),
            sessions,
            requests,
            retries,
            elapsed_ms,
        };
        SessionsData {
            hosts,
            subscriptions: None,
            stats,
            interrupted: None,
        }
    }
}

/// Queues each page of sessions the core reads as a `hostSessionsPage` event, so a host's
/// sessions reach the caller while its later pages are still being read.
struct PageEvents {
    call: Arc<NativeCall>,
    sessions: AtomicUsize,
}

impl SessionPageSink for PageEvents {
    fn page(&self, host: &BastionHost, page: u32, sessions: Vec<BastionSession>) {
        if sessions.is_empty() {
            // An empty page tells the caller nothing: the host's `hostResult` follows.
            return;
        }
        self.sessions.fetch_add(sessions.len(), Ordering::Relaxed);
        self.call.push_host_sessions_page(
            page,
            HostSessionsOutcomeView {
                host: host.clone(),
                ok: true,
                sessions: Some(sessions),
                error: None,
            },
        );
    }

    fn room(&self) -> SinkRoom {
        let call = Arc::clone(&self.call);
        Box::pin(async move { call.room_for_sessions().await })
    }
}

/// Lists the sessions; returns the success envelope.
pub(crate) fn get_sessions_json(text: &str) -> Result<String, FfiError> {
    let req = request::parse(text)?;
    test_hooks::before_call(&req)?;
    let settings = req.call_settings(Call::GetSessions)?;
    let selection = req.host_list()?;
    let stream_results = req.stream_results.unwrap_or(false);
    if stream_results && settings.operation_id.is_none() {
        // Streamed results go only to bastion_poll_progress(operationId): without an id
        // nobody could ever read them, and the sessions would be lost.
        return Err(FfiError::invalid_request(
            "streamResults",
            "needs an operationId: streamed results are read with bastion_poll_progress(operationId)",
        ));
    }
    let concurrency = settings.concurrency;
    let async_panic = test_hooks::async_panic(&req);
    if req.validate_only == Some(true) {
        // Every field checked and converted, names and ids by the core's rules: done.
        return envelope::success(&serde_json::json!({}));
    }
    drop(req);
    let data = calls::execute(settings, move |w: RunningCall| async move {
        test_hooks::maybe_panic_async(async_panic);
        let (hosts, subscriptions): (Vec<BastionHost>, _) = match selection {
            HostSelection::Hosts(refs) => (refs.into_iter().map(BastionHost::from).collect(), None),
            // The core emits `hostsDiscovered` itself.
            HostSelection::Scope(scope) => {
                let found = hosts::discover(&w, &scope).await?;
                if let Some(e) = found.failed {
                    // No subscription answered: nothing to list sessions of.
                    let mut data = SessionsData::new(
                        Vec::new(),
                        0,
                        w.ctx.stats.requests(),
                        w.ctx.stats.retries(),
                        w.started.elapsed().as_millis() as u64,
                    );
                    data.subscriptions = Some(found.subscriptions);
                    data.interrupted = Some(e);
                    return Ok(data);
                }
                (found.hosts, Some(found.subscriptions))
            }
        };
        let order: HashMap<String, usize> = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (h.id.to_ascii_lowercase(), i))
            .collect();
        // Streamed, each page's sessions are queued as soon as the core reads the page.
        let pages = Arc::new(PageEvents {
            call: w.registered.clone(),
            sessions: AtomicUsize::new(0),
        });
        let ctx = if stream_results {
            w.ctx.clone().with_session_pages(pages.clone())
        } else {
            w.ctx.clone()
        };
        let mut stream = w.client.list_sessions_many(hosts, concurrency, &ctx);
        let mut entries: Vec<(usize, HostSessionsOutcomeView)> = Vec::new();
        let mut sessions = 0;
        while let Some(outcome) = stream.next().await {
            let mut entry = HostSessionsOutcomeView::from_outcome(outcome);
            sessions += entry.sessions.as_ref().map_or(0, Vec::len);
            // A host the call's own timeout or cancel cut short is not streamed: it stays
            // in `data.hosts` beside the call's error, which already says what happened.
            let cut_short = entry
                .error
                .as_ref()
                .is_some_and(|e| matches!(e.kind, ErrorKind::Timeout | ErrorKind::Cancelled))
                && w.ctx.check().is_err();
            if stream_results {
                // The sessions went out page by page: neither the host's `hostResult` nor
                // data.hosts holds them again.
                entry.sessions = None;
                if !cut_short {
                    w.registered.push_host_result(HostSessionsOutcomeView {
                        host: entry.host.clone(),
                        ok: entry.ok,
                        sessions: None,
                        error: entry.error.clone(),
                    });
                }
            }
            let i = order
                .get(&entry.host.id.to_ascii_lowercase())
                .copied()
                .unwrap_or(usize::MAX);
            entries.push((i, entry));
        }
        entries.sort_by_key(|(i, _)| *i);
        let mut data = SessionsData::new(
            entries.into_iter().map(|(_, e)| e).collect(),
            sessions + pages.sessions.load(Ordering::Relaxed),
            w.ctx.stats.requests(),
            w.ctx.stats.retries(),
            w.started.elapsed().as_millis() as u64,
        );
        data.subscriptions = subscriptions;
        // Only a host that the cancel or the deadline cut short makes the call interrupted.
        let cut_short = data.hosts.iter().any(|h| {
            h.error
                .as_ref()
                .is_some_and(|e| matches!(e.kind, ErrorKind::Timeout | ErrorKind::Cancelled))
        });
        if cut_short {
            data.interrupted = w.interruption();
        }
        Ok(data)
    })?;
    match &data.interrupted {
        Some(e) => envelope::failure_with_data(e, &data),
        None => envelope::success(&data),
    }
}

/// Lists the active sessions of Bastion hosts.
///
/// `request_json` names the hosts (`hosts`) or where to find them (`scope`), the
/// credential and the options (see `ffi/CONTRACT.md`, `bastion_get_sessions`). Blocks
/// until every host answered or failed, the `operationId` is cancelled (`cancelled`), or
/// `timeoutSec` passes (`timeout`). One failing host is an entry with `"ok":false`, not a
/// failed call; with a `scope`, so is one failing subscription (`data.subscriptions`).
/// With `"streamResults":true` each host's sessions are delivered through
/// `bastion_poll_progress` instead: one `hostSessionsPage` event per page as soon as it is
/// read, then the host's `hostResult` event with its status and no sessions.
///
/// - Ownership: the caller owns the returned envelope and frees it with
///   `bastion_string_free`. `request_json` is borrowed for the call only; secrets in it are
///   zeroed in the library's copies when the call ends.
/// - Never returns null. Never unwinds: a panic becomes an `internal` error envelope.
/// - Thread safety: any number of threads may call at once, also from inside a tokio
///   runtime; the work runs on the library's own runtime.
///
/// # Safety
/// `request_json` is null or a NUL-terminated string valid for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bastion_get_sessions(request_json: *const c_char) -> *mut c_char {
    // SAFETY: forwarded caller contract.
    unsafe {
        boundary::call_json(
            "bastion_get_sessions",
            request_json,
            "request_json",
            get_sessions_json,
        )
    }
}
