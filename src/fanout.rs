//! Layer 6, fan-out over many hosts and subscriptions: bounded concurrency, each host's
//! outcome streamed as soon as it completes, one host's (or subscription's) failure never
//! stopping the others. Works on the ARM operations and the pipeline, never on the client.
//!
//! A panic while one host is worked on (a bug of ours, or of a caller's progress or page
//! sink, which run inline) is caught at that host: it becomes that host's `internal` error
//! (in a disconnect, every id of the host `Unknown`, since any chunk may have been
//! applied), and the other hosts' outcomes arrive as usual.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};

use crate::context::OperationContext;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    BastionHost, DisconnectTarget, HostDisconnectOutcome, HostScope, HostSessionsOutcome,
    SubscriptionHostsOutcome,
};
use crate::names;
use crate::operations::disconnect_active_sessions::{all_unknown, disconnect_active_sessions};
use crate::operations::get_active_sessions::{get_active_sessions, get_active_sessions_by_page};
use crate::operations::list_hosts::list_hosts;
use crate::options::DEFAULT_CONCURRENCY;
use crate::pipeline::ArmPipeline;
use crate::progress::ProgressEvent;

/// Runs one host's `work`; if it panics, the host's outcome is `on_panic` of the
/// `internal` error instead (and `hostDone` is still emitted for it).
async fn caught<T>(
    work: impl Future<Output = T>,
    host: &str,
    ctx: &OperationContext,
    done: &AtomicUsize,
    total: usize,
    on_panic: impl FnOnce(Error) -> T,
) -> T {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(outcome) => outcome,
        Err(_) => {
            // The payload is not shown: a panic's text may hold anything, secrets too.
            tracing::error!(host, "the work on this host panicked; the host fails alone");
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            // A sink that panicked once may panic again: that must not end the call either.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
                ctx.emit(ProgressEvent::HostDone {
                    host: host.to_string(),
                    ok: false,
                    sessions: 0,
                    done: n,
                    total,
                })
            }));
            on_panic(
                Error::new(
                    ErrorKind::Internal,
                    "an internal error (a panic) ended the work on this host; the other hosts were not affected. Please report it with the steps that led to it",
                )
                .with_target(host),
            )
        }
    }
}

fn limit(concurrency: usize) -> usize {
    if concurrency == 0 {
        DEFAULT_CONCURRENCY
    } else {
        concurrency
    }
}

/// The sessions of each of `hosts`, at most `concurrency` hosts at once.
pub(crate) fn sessions(
    pipeline: Arc<ArmPipeline>,
    hosts: Vec<BastionHost>,
    concurrency: usize,
    ctx: OperationContext,
) -> BoxStream<'static, HostSessionsOutcome> {
    let total = hosts.len();
    let done = Arc::new(AtomicUsize::new(0));
    futures::stream::iter(hosts)
        .map(move |host| {
            let (pipeline, ctx, done) = (pipeline.clone(), ctx.clone(), done.clone());
            let (id, kept) = (host.id.clone(), host.clone());
            let (ctx2, done2) = (ctx.clone(), done.clone());
            let work = async move {
                ctx.emit(ProgressEvent::HostStarted {
                    host: host.id.clone(),
                });
                // With a page sink, each page goes there as soon as it is read and the
                // outcome carries the host's status only (its sessions are not kept twice).
                let (result, read) = match ctx.session_pages() {
                    Some(sink) => {
                        let sink = sink.clone();
                        let result = get_active_sessions_by_page(
                            &pipeline,
                            &host.host_ref(),
                            &ctx,
                            |page, sessions| {
                                sink.page(&host, page, sessions);
                                sink.room()
                            },
                        )
                        .await;
                        let read = result.as_ref().map_or(0, |n| *n);
                        (result.map(|_| Vec::new()), read)
                    }
                    None => {
                        let result = get_active_sessions(&pipeline, &host.host_ref(), &ctx).await;
                        let read = result.as_ref().map_or(0, Vec::len);
                        (result, read)
                    }
                };
                let result = result.map_err(|e| e.or_target(&host.id));
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                ctx.emit(ProgressEvent::HostDone {
                    host: host.id.clone(),
                    ok: result.is_ok(),
                    sessions: read,
                    done: n,
                    total,
                });
                HostSessionsOutcome { host, result }
            };
            async move {
                caught(work, &id, &ctx2, &done2, total, |e| HostSessionsOutcome {
                    host: kept,
                    result: Err(e),
                })
                .await
            }
        })
        .buffer_unordered(limit(concurrency))
        .boxed()
}

/// Disconnects the sessions of each target, at most `concurrency` hosts at once.
pub(crate) fn disconnects(
    pipeline: Arc<ArmPipeline>,
    targets: Vec<DisconnectTarget>,
    chunk_size: usize,
    concurrency: usize,
    ctx: OperationContext,
) -> BoxStream<'static, HostDisconnectOutcome> {
    let total = targets.len();
    let done = Arc::new(AtomicUsize::new(0));
    futures::stream::iter(targets)
        .map(move |t| {
            let (pipeline, ctx, done) = (pipeline.clone(), ctx.clone(), done.clone());
            let (host_id, kept) = (t.host.resource_id(), t.clone());
            let (ctx2, done2) = (ctx.clone(), done.clone());
            let work = async move {
                let id = t.host.resource_id();
                ctx.emit(ProgressEvent::HostStarted { host: id.clone() });
                let (sessions, error) = disconnect_active_sessions(
                    &pipeline,
                    &t.host,
                    &t.session_ids,
                    chunk_size,
                    &ctx,
                )
                .await;
                let (result, partial) = match error {
                    None => (Ok(sessions), Vec::new()),
                    Some(e) => (Err(e.or_target(&id)), sessions),
                };
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                ctx.emit(ProgressEvent::HostDone {
                    host: id,
                    ok: result.is_ok(),
                    sessions: result.as_ref().map_or(0, Vec::len),
                    done: n,
                    total,
                });
                HostDisconnectOutcome {
                    host: t.host,
                    result,
                    partial,
                }
            };
            async move {
                caught(work, &host_id, &ctx2, &done2, total, |e| {
                    HostDisconnectOutcome {
                        partial: all_unknown(&kept.session_ids, &e),
                        host: kept.host,
                        result: Err(e),
                    }
                })
                .await
            }
        })
        .buffer_unordered(limit(concurrency))
        .boxed()
}

/// Discovers the hosts of each distinct subscription of `scope` (in its resource group,
/// when the scope names one), at most [`DEFAULT_CONCURRENCY`] subscriptions at once, and
/// returns one outcome per subscription in the scope's order. A subscription that fails
/// (403, 404, a transport failure) is reported in its outcome; the others are still
/// listed. The call itself fails only for a scope that is not valid, or when `ctx` is
/// already cancelled or past its deadline. Emits `hostsDiscovered` with the hosts found.
pub(crate) async fn discover_hosts(
    pipeline: Arc<ArmPipeline>,
    scope: &HostScope,
    ctx: &OperationContext,
) -> Result<Vec<SubscriptionHostsOutcome>> {
    ctx.check()?;
    let (subscriptions, resource_group) = checked_scope(scope)?;
    let outcomes: Vec<SubscriptionHostsOutcome> = futures::stream::iter(subscriptions)
        .map(|subscription_id| {
            let (pipeline, ctx, rg) = (pipeline.clone(), ctx.clone(), resource_group.clone());
            async move {
                let result = list_hosts(&pipeline, &subscription_id, rg.as_deref(), &ctx).await;
                SubscriptionHostsOutcome {
                    subscription_id,
                    resource_group_name: rg,
                    result,
                }
            }
        })
        .buffered(DEFAULT_CONCURRENCY)
        .collect()
        .await;
    let count = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .map(Vec::len)
        .sum();
    ctx.emit(ProgressEvent::HostsDiscovered { count });
    Ok(outcomes)
}

/// The distinct subscriptions of `scope` (trimmed, in order; compared case-insensitively,
/// as GUIDs) and its resource group, each checked by its rule in [`crate::names`].
fn checked_scope(scope: &HostScope) -> Result<(Vec<String>, Option<String>)> {
    let mut subscriptions: Vec<String> = Vec::new();
    for s in &scope.subscription_ids {
        let s = s.trim();
        names::validate_subscription_id(s)?;
        if !subscriptions
            .iter()
            .any(|seen| seen.eq_ignore_ascii_case(s))
        {
            subscriptions.push(s.to_string());
        }
    }
    if subscriptions.is_empty() {
        return Err(Error::invalid_request(
            "no subscription id was given to discover Bastion hosts in",
        ));
    }
    let resource_group = scope
        .resource_group_name
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if let Some(rg) = resource_group {
        names::validate_resource_group_name(rg)?;
    }
    Ok((subscriptions, resource_group.map(str::to_string)))
}
