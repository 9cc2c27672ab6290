//! Sending one ARM request reliably. The decisions come from the transport layer's
//! [`retry`](crate::transport::retry) policy; this loop adds what needs a credential: the
//! bearer token on every attempt and one refresh after a 401.
//!
//! A 429 is ARM saying "not yet", not a failure: it closes the subscription's
//! [`throttle_gate`](crate::transport::throttle_gate) for every request of the process,
//! and it does not count against `max_retries`; only the request's total deadline and the
//! caller's deadline bound how long it waits.
//!
//! Retrying a `disconnectActiveSessions` POST is safe because disconnecting is
//! idempotent: if the first attempt did reach the service, the second one reports the
//! already-gone ids as `NotFound`/`Disconnected` instead of failing.

use std::time::SystemTime;

use super::ArmPipeline;
use crate::context::OperationContext;
use crate::error::{Error, ErrorKind, Result};
use crate::progress::ProgressEvent;
use crate::transport::arm_error::{self, ArmOperation};
use crate::transport::http::{self, RequestSpec, Response};
use crate::transport::request_id::new_client_request_id;
use crate::transport::retry::{
    backoff_delay, floored, is_retryable_status, parse_retry_after, ratelimit_pause,
};
use crate::transport::throttle_gate::{self, bucket_of};

impl ArmPipeline {
    /// Sends `spec` and returns a 2xx answer or an error: retries with exponential backoff
    /// and jitter, `Retry-After` honoured, a bounded number of attempts and a total deadline,
    /// one token refresh on a 401, a pause when ARM's rate-limit budget is nearly spent, and
    /// the subscription's throttle gate closed on a 429.
    /// `target` is the host id (or the scope) the request is about, for messages and progress.
    ///
    /// A failure says whether the request may have reached ARM
    /// ([`Error::may_have_reached_service`]), and a deadline that passes between attempts
    /// names the last attempt's failure, the real cause.
    pub async fn send(
        &self,
        spec: &RequestSpec,
        op: ArmOperation,
        target: &str,
        ctx: &OperationContext,
    ) -> Result<Response> {
        let mut seen = Attempts::default();
        self.send_retried(spec, op, target, ctx, &mut seen)
            .await
            .map_err(|e| seen.explain(e, op, target))
    }

    async fn send_retried(
        &self,
        spec: &RequestSpec,
        op: ArmOperation,
        target: &str,
        ctx: &OperationContext,
        seen: &mut Attempts,
    ) -> Result<Response> {
        http::check_followup(&self.endpoint, &spec.url)?;
        let policy = &self.retry;
        let started = tokio::time::Instant::now();
        // The same client request id on every attempt, as the Azure SDK guidelines ask.
        let client_request_id = new_client_request_id();
        let bucket = bucket_of(&spec.url, spec.method != reqwest::Method::GET);
        let mut retries = 0u32;
        // Retries that count against `max_retries`: every one but those after a 429.
        let mut budgeted_retries = 0u32;
        let mut refreshed = false;
        loop {
            if let Some(wait) = bucket
                .as_ref()
                .and_then(|b| throttle_gate::gate().wait_for(b))
            {
                tracing::debug!(
                    wait_ms = wait.as_millis() as u64,
                    "ARM throttled this subscription; waiting for its Retry-After"
                );
                ctx.sleep(wait).await?;
            }
            let token = ctx.run(self.tokens.token()).await??;
            seen.count += 1;
            let outcome = http::send_once(
                &self.http,
                spec,
                token.expose(),
                &client_request_id,
                self.request_timeout,
                ctx,
            )
            .await?;
            let (status, wait, failure) = match outcome {
                Ok(resp) if (200..300).contains(&resp.status) => {
                    if let Some(p) =
                        ratelimit_pause(policy, &resp.headers, spec.method != reqwest::Method::GET)
                    {
                        tracing::debug!(
                            pause_ms = p.as_millis() as u64,
                            "ARM rate-limit budget is low; slowing down"
                        );
                        ctx.sleep(p).await?;
                    }
                    return Ok(resp);
                }
                Ok(resp) if resp.status == 401 && self.tokens.refreshable() && !refreshed => {
                    // The cached token may have been revoked or expired early: drop it, get a
                    // fresh one and try once more.
                    tracing::debug!("ARM answered 401; refreshing the token once");
                    self.tokens.invalidate(&token);
                    refreshed = true;
                    continue;
                }
                Ok(resp) if is_retryable_status(resp.status) => {
                    // A 429 backs off on its own count, and a `Retry-After: 0` never turns into
                    // a tight loop: the wait is Retry-After when positive, else the backoff.
                    let attempt = if resp.status == 429 {
                        retries - budgeted_retries + 1
                    } else {
                        budgeted_retries + 1
                    };
                    let wait = parse_retry_after(&resp.headers, SystemTime::now())
                        .filter(|d| !d.is_zero())
                        .map(|d| d.min(policy.max_delay))
                        .unwrap_or_else(|| backoff_delay(policy, attempt));
                    let wait = floored(policy, attempt, wait);
                    seen.last_cause = Some(
                        arm_error::from_response(&resp, op, target)
                            .message()
                            .to_string(),
                    );
                    // A 429 was refused unread; a 5xx or 408 may have been acted on.
                    seen.reached |= resp.status != 429;
                    if resp.status == 429 {
                        if let Some(b) = &bucket {
                            throttle_gate::gate().close(b, wait);
                        }
                    }
                    (Some(resp.status), wait, Err(resp))
                }
                Ok(resp) => return Err(arm_error::from_response(&resp, op, target)),
                Err(tf) => {
                    seen.last_cause = Some(tf.message.clone());
                    seen.reached |= !tf.not_sent;
                    (
                        None,
                        floored(
                            policy,
                            budgeted_retries + 1,
                            backoff_delay(policy, budgeted_retries + 1),
                        ),
                        Ok(tf),
                    )
                }
            };
            let permanent = matches!(&failure, Ok(tf) if tf.permanent);
            let throttled = status == Some(429);
            let in_budget = !permanent
                && (throttled || budgeted_retries < policy.max_retries)
                && started.elapsed().saturating_add(wait) <= policy.total_deadline;
            if !in_budget {
                return Err(match failure {
                    Err(resp) => arm_error::from_response(&resp, op, target).context(format!(
                        "gave up after {} attempt{}",
                        retries + 1,
                        if retries == 0 { "" } else { "s" }
                    )),
                    Ok(tf) => Error::new(
                        ErrorKind::Transport,
                        format!(
                            "{} on {} failed after {} attempt{}: {}",
                            op.describe(),
                            arm_error::on_target(target),
                            retries + 1,
                            if retries == 0 { "" } else { "s" },
                            tf.message
                        ),
                    )
                    .with_target(target),
                });
            }
            retries += 1;
            if !throttled {
                budgeted_retries += 1;
            }
            ctx.stats.add_retry();
            tracing::debug!(
                status,
                wait_ms = wait.as_millis() as u64,
                retry = retries,
                "retrying"
            );
            ctx.emit(ProgressEvent::Retrying {
                host: target.to_string(),
                status,
                delay_ms: wait.as_millis() as u64,
                attempt: retries,
            });
            ctx.sleep(wait).await?;
        }
    }
}

/// What the attempts of one request met, to explain its final error.
#[derive(Debug, Default)]
struct Attempts {
    /// Attempts sent.
    count: u32,
    /// Why the latest failed attempt failed (ARM's words, or the transport failure).
    last_cause: Option<String>,
    /// Some attempt may have reached ARM (a 5xx or 408, or a failure after connecting).
    reached: bool,
}

impl Attempts {
    /// `e` with what the attempts showed: marked as possibly applied when any attempt may
    /// have reached ARM, and, for a deadline that passed while retrying, the last cause.
    fn explain(&self, e: Error, op: ArmOperation, target: &str) -> Error {
        let e = if self.reached { e.reached() } else { e };
        match &self.last_cause {
            Some(cause) if e.kind() == ErrorKind::Timeout => {
                let reached = e.may_have_reached_service();
                let e = Error::timeout(format!(
                    "the operation's deadline passed while {} on {} was being retried ({} attempt{} sent); the last failure: {cause}",
                    op.describe(),
                    arm_error::on_target(target),
                    self.count,
                    if self.count == 1 { "" } else { "s" },
                ))
                .with_target(target);
                if reached { e.reached() } else { e }
            }
            _ => e,
        }
    }
}
