//! Fan-out over many hosts: bounded concurrency, each host's outcome streamed as soon as
//! it completes, one host's failure never stopping the others.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::client::BastionClient;
use crate::context::OperationContext;
use crate::model::{BastionHost, DisconnectTarget, HostDisconnectOutcome, HostSessionsOutcome};
use crate::options::DEFAULT_CONCURRENCY;
use crate::progress::ProgressEvent;

fn limit(concurrency: usize) -> usize {
    if concurrency == 0 {
        DEFAULT_CONCURRENCY
    } else {
        concurrency
    }
}

pub(crate) fn sessions(
    client: BastionClient,
    hosts: Vec<BastionHost>,
    concurrency: usize,
    ctx: OperationContext,
) -> BoxStream<'static, HostSessionsOutcome> {
    let total = hosts.len();
    let done = Arc::new(AtomicUsize::new(0));
    futures::stream::iter(hosts)
        .map(move |host| {
            let (client, ctx, done) = (client.clone(), ctx.clone(), done.clone());
            async move {
                ctx.emit(ProgressEvent::HostStarted {
                    host: host.id.clone(),
                });
                let result = client
                    .list_sessions(&host.host_ref(), &ctx)
                    .await
                    .map_err(|e| e.or_target(&host.id));
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                ctx.emit(ProgressEvent::HostDone {
                    host: host.id.clone(),
                    ok: result.is_ok(),
                    sessions: result.as_ref().map_or(0, Vec::len),
                    done: n,
                    total,
                });
                HostSessionsOutcome { host, result }
            }
        })
        .buffer_unordered(limit(concurrency))
        .boxed()
}

pub(crate) fn disconnects(
    client: BastionClient,
    targets: Vec<DisconnectTarget>,
    chunk_size: usize,
    concurrency: usize,
    ctx: OperationContext,
) -> BoxStream<'static, HostDisconnectOutcome> {
    let total = targets.len();
    let done = Arc::new(AtomicUsize::new(0));
    futures::stream::iter(targets)
        .map(move |t| {
            let (client, ctx, done) = (client.clone(), ctx.clone(), done.clone());
            async move {
                let id = t.host.resource_id();
                ctx.emit(ProgressEvent::HostStarted { host: id.clone() });
                let (sessions, error) = client
                    .disconnect_accounted(&t.host, &t.session_ids, chunk_size, &ctx)
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
            }
        })
        .buffer_unordered(limit(concurrency))
        .boxed()
}
