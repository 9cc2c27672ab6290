//! `getActiveSessions`: the active sessions of one Bastion host. A POST that may start a
//! long-running operation (`lro`), whose result is read page by page.

mod lro;

use std::future::Future;

use crate::context::OperationContext;
use crate::error::Result;
use crate::model::{ArmSession, BastionSession};
use crate::pipeline::{ArmPipeline, paging};
use crate::resource_id::HostRef;
use crate::transport::arm_error::ArmOperation;
use crate::transport::http::{RequestSpec, Response};

/// Lists the active sessions of `host`, polling and paging as needed.
pub(crate) async fn get_active_sessions(
    pipeline: &ArmPipeline,
    host: &HostRef,
    ctx: &OperationContext,
) -> Result<Vec<BastionSession>> {
    let (first_page, target) = first_page(pipeline, host, ctx).await?;
    // Sessions are read straight from each page's bytes (no `Value` tree in between).
    paging::collect_all_as(
        pipeline,
        first_page,
        ArmOperation::ListSessions,
        &target,
        ctx,
        |item: ArmSession| item.0,
    )
    .await
}

/// Lists the active sessions of `host` like [`get_active_sessions`], handing each page's
/// sessions to `on_page` (page number from 1, then the sessions) as soon as the page is
/// read, and awaiting the future it returns before reading the next page; returns how many
/// sessions were handed over. A page that fails ends the listing with its error; the pages
/// before it have been handed over already.
pub(crate) async fn get_active_sessions_by_page<Room: Future<Output = ()>>(
    pipeline: &ArmPipeline,
    host: &HostRef,
    ctx: &OperationContext,
    on_page: impl FnMut(u32, Vec<BastionSession>) -> Room,
) -> Result<usize> {
    let (first_page, target) = first_page(pipeline, host, ctx).await?;
    paging::for_each_page_as(
        pipeline,
        first_page,
        ArmOperation::ListSessions,
        &target,
        ctx,
        |item: ArmSession| item.0,
        on_page,
    )
    .await
}

/// POSTs `getActiveSessions` for `host` and follows the operation to its first page of
/// results; returns that page and the host's resource id (the target of every error).
async fn first_page(
    pipeline: &ArmPipeline,
    host: &HostRef,
    ctx: &OperationContext,
) -> Result<(Response, String)> {
    ctx.check()?;
    let target = host.resource_id();
    pipeline.check_budget(ctx, &target)?;
    let post = RequestSpec {
        method: reqwest::Method::POST,
        url: pipeline.url_for(&format!("{target}/getActiveSessions"))?,
        body: None,
    };
    let first = pipeline
        .send(&post, ArmOperation::ListSessions, &target, ctx)
        .await?;
    let answer = lro::final_answer(pipeline, &post, first, &target, ctx).await?;
    Ok((answer, target))
}
