//! Following `getActiveSessions`, a long-running operation (LRO), to its final answer.
//!
//! POST; a 200 (or other non-202 2xx) carries the result. A 202 starts polling:
//! - with `Azure-AsyncOperation`: GET that status resource until `Succeeded`, `Failed` or
//!   `Canceled`, then GET `Location` for the result;
//! - with only `Location`: GET it while it answers 202 (following a re-sent `Location`);
//!   any other 2xx is the result;
//! - with neither: send the POST again after `Retry-After` or a backoff. (The official
//!   Python SDK fails in this case; we don't.)
//!
//! Every wait honours `Retry-After`, clamped to the poll interval bounds, and the whole
//! LRO is bounded by its own timeout as well as the operation's deadline. We only poll
//! because this operation is an LRO *and* the status is 202: stray LRO headers on a 200
//! are ignored (spec issue #21471).

use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use crate::context::OperationContext;
use crate::error::{Error, ErrorKind, Result};
use crate::options::PollOptions;
use crate::pipeline::{ArmPipeline, paging};
use crate::progress::ProgressEvent;
use crate::transport::arm_error::ArmOperation;
use crate::transport::http::{RequestSpec, Response};
use crate::transport::retry;

/// Follows the answer `first` to the POST `post` until it is the final result: polls
/// while ARM answers 202, sends the POST again when a 202 gives no way to poll.
pub(super) async fn final_answer(
    pipeline: &ArmPipeline,
    post: &RequestSpec,
    first: Response,
    target: &str,
    ctx: &OperationContext,
) -> Result<Response> {
    let op = ArmOperation::ListSessions;
    let lro_deadline = Instant::now() + pipeline.poll.lro_timeout;
    let mut polls = 0u32;
    let mut reposts = 0u32;
    let mut resp = first;
    loop {
        if resp.status != 202 {
            return Ok(resp);
        }
        let async_op = header_url(&resp, "azure-asyncoperation")?;
        let location = header_url(&resp, "location")?;
        match (async_op, location) {
            (Some(status_url), location) => {
                let location = wait_async_operation(
                    pipeline,
                    &resp,
                    status_url,
                    location,
                    target,
                    lro_deadline,
                    &mut polls,
                    ctx,
                )
                .await?;
                match location {
                    Some(loc) => {
                        resp = get(pipeline, loc, target, ctx).await?;
                        // The result URL may itself still answer 202; keep following it.
                    }
                    None => {
                        // Succeeded without a Location to read the result from: ask again.
                        resp = pipeline.send(post, op, target, ctx).await?;
                    }
                }
            }
            (None, Some(loc)) => {
                wait_poll(pipeline, &resp, target, lro_deadline, &mut polls, ctx).await?;
                resp = get(pipeline, loc, target, ctx).await?;
                if resp.status == 202
                    && header_url(&resp, "location")?.is_none()
                    && header_url(&resp, "azure-asyncoperation")?.is_none()
                {
                    // A poll answer without a new Location means "same place again".
                    let same = resp.url.clone();
                    resp.headers.insert(
                        reqwest::header::LOCATION,
                        reqwest::header::HeaderValue::from_str(same.as_str()).map_err(|_| {
                            Error::invalid_response("the polling URL is not a valid header value")
                        })?,
                    );
                }
            }
            (None, None) => {
                // No way to poll: the operation must be asked for again.
                reposts += 1;
                wait_poll(pipeline, &resp, target, lro_deadline, &mut polls, ctx).await?;
                tracing::debug!(
                    reposts,
                    "202 without Location or Azure-AsyncOperation; sending the POST again"
                );
                resp = pipeline.send(post, op, target, ctx).await?;
            }
        }
    }
}

async fn get(
    pipeline: &ArmPipeline,
    url: Url,
    target: &str,
    ctx: &OperationContext,
) -> Result<Response> {
    pipeline
        .send(
            &RequestSpec {
                method: reqwest::Method::GET,
                url,
                body: None,
            },
            ArmOperation::ListSessions,
            target,
            ctx,
        )
        .await
}

/// A polling URL from a header, resolved against the answer's URL.
fn header_url(resp: &Response, name: &str) -> Result<Option<Url>> {
    match resp.header(name) {
        None => Ok(None),
        Some(v) => paging::resolve(&resp.url, v)
            .map(Some)
            .map_err(|e| e.context(format!("header '{name}'"))),
    }
}

/// The wait before the next poll: `Retry-After` (or the default) clamped to the bounds.
pub(crate) fn poll_delay(
    arm_poll: &PollOptions,
    resp_headers: &reqwest::header::HeaderMap,
) -> Duration {
    let asked = retry::parse_retry_after(resp_headers, SystemTime::now())
        .unwrap_or(arm_poll.default_interval);
    asked.clamp(
        arm_poll.min_interval,
        arm_poll.max_interval.max(arm_poll.min_interval),
    )
}

async fn wait_poll(
    pipeline: &ArmPipeline,
    resp: &Response,
    target: &str,
    lro_deadline: Instant,
    polls: &mut u32,
    ctx: &OperationContext,
) -> Result<()> {
    let delay = retry::floored(
        &pipeline.retry,
        *polls + 1,
        poll_delay(&pipeline.poll, &resp.headers),
    );
    // `checked_add`: no addition of a wait may panic, whatever a header asked for.
    if Instant::now()
        .checked_add(delay)
        .is_none_or(|at| at > lro_deadline)
    {
        return Err(Error::timeout(format!(
            "getActiveSessions on '{target}' did not finish within {} s (the LRO timeout)",
            pipeline.poll.lro_timeout.as_secs()
        ))
        .with_target(target));
    }
    *polls += 1;
    ctx.emit(ProgressEvent::Polling {
        host: target.to_string(),
        delay_ms: delay.as_millis() as u64,
        attempt: *polls,
    });
    tracing::debug!(
        host = target,
        delay_ms = delay.as_millis() as u64,
        attempt = *polls,
        "waiting before polling"
    );
    ctx.sleep(delay).await
}

/// Polls an `Azure-AsyncOperation` status resource to a terminal state; returns the
/// `Location` to read the result from (the latest one seen), if any.
#[allow(clippy::too_many_arguments)]
async fn wait_async_operation(
    pipeline: &ArmPipeline,
    first: &Response,
    status_url: Url,
    mut location: Option<Url>,
    target: &str,
    lro_deadline: Instant,
    polls: &mut u32,
    ctx: &OperationContext,
) -> Result<Option<Url>> {
    let mut last = first.clone();
    let mut status_url = status_url;
    loop {
        wait_poll(pipeline, &last, target, lro_deadline, polls, ctx).await?;
        let resp = get(pipeline, status_url.clone(), target, ctx).await?;
        if let Some(l) = header_url(&resp, "location")? {
            location = Some(l);
        }
        if let Some(a) = header_url(&resp, "azure-asyncoperation")? {
            status_url = a;
        }
        let v: Value = serde_json::from_slice(&resp.body).map_err(|e| {
            Error::invalid_response(format!(
                "the operation status answer is not valid JSON: {e}"
            ))
            .with_target(target)
        })?;
        let status = v.get("status").and_then(Value::as_str).unwrap_or("");
        match status.to_ascii_lowercase().as_str() {
            "succeeded" => return Ok(location),
            "failed" | "canceled" | "cancelled" => {
                let (code, message) = v
                    .get("error")
                    .map(|e| {
                        (
                            e.get("code").and_then(Value::as_str).map(str::to_string),
                            e.get("message").and_then(Value::as_str).map(str::to_string),
                        )
                    })
                    .unwrap_or((None, None));
                let mut msg =
                    format!("getActiveSessions on '{target}' ended with status '{status}'");
                if let Some(m) = &message {
                    msg.push_str(&format!(": {m}"));
                }
                if let Some(id) = resp.request_id() {
                    msg.push_str(&format!(" [request id {id}]"));
                }
                let mut e = Error::new(ErrorKind::Server, msg)
                    .with_target(target)
                    .with_http_status(resp.status);
                if let Some(c) = code {
                    e = e.with_arm_code(c);
                }
                if let Some(id) = resp.request_id() {
                    e = e.with_request_id(id);
                }
                return Err(e);
            }
            "" if resp.status != 202 => {
                return Err(Error::invalid_response(
                    "the operation status answer has no 'status' field",
                )
                .with_target(target));
            }
            _ => {
                // InProgress, Running, Accepted or a 202 without a body: keep polling.
                last = resp;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    #[test]
    fn poll_delay_clamps_retry_after() {
        let p = PollOptions::default();
        let mut h = HeaderMap::new();
        assert_eq!(poll_delay(&p, &h), Duration::from_secs(2));
        h.insert("retry-after", "0".parse().unwrap());
        assert_eq!(poll_delay(&p, &h), Duration::from_secs(1));
        h.insert("retry-after", "600".parse().unwrap());
        assert_eq!(poll_delay(&p, &h), Duration::from_secs(60));
        h.insert("retry-after", "5".parse().unwrap());
        assert_eq!(poll_delay(&p, &h), Duration::from_secs(5));
    }
}
