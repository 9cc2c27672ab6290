//! Sending one ARM request reliably: retries with exponential backoff and jitter,
//! `Retry-After` honoured, a bounded number of attempts and a total deadline, one token
//! refresh on a 401, and slowing down when ARM says its rate-limit budget is nearly spent.
//!
//! Retried: 408, 429, 500, 502, 503, 504 and failures without an answer (connection
//! refused or dropped, timeouts). Other 4xx are never retried. A 429 is ARM saying "not
//! yet", not a failure: it closes the subscription's [`throttle_gate`](crate::throttle_gate)
//! for every request of the process, and it does not count against `max_retries`; only
//! the request's total deadline and the caller's deadline bound how long it waits.
//!
//! Retrying a `disconnectActiveSessions` POST is safe because disconnecting is
//! idempotent: if the first attempt did reach the service, the second one reports the
//! already-gone ids as `NotFound`/`Disconnected` instead of failing.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::arm_error::{self, Operation};
use crate::client::Arm;
use crate::context::OperationContext;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{self, RequestSpec, Response};
use crate::options::RetryPolicy;
use crate::progress::ProgressEvent;
use crate::throttle_gate::{self, bucket_of};

/// Statuses worth another attempt.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// The wait before retry number `attempt` (from 1): `base · 2^(attempt-1)`, times a
/// jitter in [0.8, 1.3), capped at `max_delay`.
pub(crate) fn backoff_delay(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
    let jitter = 0.8 + fastrand::f64() * 0.5;
    let secs = policy.base_delay.as_secs_f64() * exp * jitter;
    Duration::from_secs_f64(secs.min(policy.max_delay.as_secs_f64()))
}

/// `wait`, raised to the floor for the `attempt`-th consecutive wait (from 1):
/// `min_delay · 2^(attempt-1)`, at most `8 · min_delay`.
pub(crate) fn floored(policy: &RetryPolicy, attempt: u32, wait: Duration) -> Duration {
    let exp = attempt.saturating_sub(1).min(3);
    wait.max(policy.min_delay * (1u32 << exp))
}

/// The wait the service asked for: `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds)
/// or `Retry-After` (seconds, possibly fractional, or an HTTP date).
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = get(name)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
        {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let v = get("retry-after")?;
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A small pause when `x-ms-ratelimit-remaining-subscription-{reads,writes}` is below the
/// threshold, growing as the budget nears zero (at most `base_delay`), so many parallel
/// hosts slow down before ARM answers 429.
pub(crate) fn ratelimit_pause(
    policy: &RetryPolicy,
    headers: &HeaderMap,
    is_write: bool,
) -> Option<Duration> {
    let name = if is_write {
        "x-ms-ratelimit-remaining-subscription-writes"
    } else {
        "x-ms-ratelimit-remaining-subscription-reads"
    };
    let remaining: u32 = headers.get(name)?.to_str().ok()?.trim().parse().ok()?;
    let threshold = policy.ratelimit_threshold;
    if threshold == 0 || remaining >= threshold {
        return None;
    }
    let share = f64::from(threshold - remaining) / f64::from(threshold);
    Some(policy.base_delay.mul_f64(share))
}

/// A random client request id (UUID v4 shape) for `x-ms-client-request-id`.
pub(crate) fn new_client_request_id() -> String {
    let a = fastrand::u128(..);
    let b = (a & !(0xF000u128 << 64)) | (0x4000u128 << 64);
    let b = (b & !(0xC000u128 << 48)) | (0x8000u128 << 48);
    let h = format!("{b:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Sends `spec`, retrying as described above, and returns a 2xx answer or an error.
/// `target` is the host id (or the scope) the request is about, for messages and progress.
pub(crate) async fn send(
    arm: &Arm,
    spec: &RequestSpec,
    op: Operation,
    target: &str,
    ctx: &OperationContext,
) -> Result<Response> {
    http::check_followup(&arm.endpoint, &spec.url)?;
    let policy = &arm.retry;
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
        let token = ctx.run(arm.tokens.token()).await??;
        let outcome = http::send_once(
            &arm.http,
            spec,
            token.expose(),
            &client_request_id,
            arm.request_timeout,
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
            Ok(resp) if resp.status == 401 && arm.tokens.refreshable() && !refreshed => {
                // The cached token may have been revoked or expired early: drop it, get a
                // fresh one and try once more.
                tracing::debug!("ARM answered 401; refreshing the token once");
                arm.tokens.invalidate(&token);
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
                if resp.status == 429 {
                    if let Some(b) = &bucket {
                        throttle_gate::gate().close(b, wait);
                    }
                }
                (Some(resp.status), wait, Err(resp))
            }
            Ok(resp) => return Err(arm_error::from_response(&resp, op, target)),
            Err(tf) => (
                None,
                floored(
                    policy,
                    budgeted_retries + 1,
                    backoff_delay(policy, budgeted_retries + 1),
                ),
                Ok(tf),
            ),
        };
        let permanent = matches!(&failure, Ok(tf) if tf.permanent);
        let throttled = status == Some(429);
        let in_budget = !permanent
            && (throttled || budgeted_retries < policy.max_retries)
            && started.elapsed() + wait <= policy.total_deadline;
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
                        "{} on '{target}' failed after {} attempt{}: {}",
                        op.describe(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::now();
        assert_eq!(
            parse_retry_after(&headers(&[("Retry-After", "3")]), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after(&headers(&[("Retry-After", "0.5")]), now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after(
                &headers(&[("retry-after-ms", "250"), ("Retry-After", "9")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_retry_after(&headers(&[("x-ms-retry-after-ms", "1200")]), now),
            Some(Duration::from_millis(1200))
        );
        let later = now + Duration::from_secs(120);
        let date = httpdate::fmt_http_date(later);
        let d = parse_retry_after(&headers(&[("Retry-After", &date)]), now).unwrap();
        assert!(
            d >= Duration::from_secs(119) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(100));
        assert_eq!(
            parse_retry_after(&headers(&[("Retry-After", &past)]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after(&headers(&[("Retry-After", "soon")]), now),
            None
        );
        assert_eq!(
            parse_retry_after(&headers(&[("Retry-After", "-1")]), now),
            None
        );
        assert_eq!(parse_retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let p = RetryPolicy::default();
        for _ in 0..100 {
            let d1 = backoff_delay(&p, 1).as_secs_f64();
            assert!((0.64..1.04).contains(&d1), "{d1}");
            let d3 = backoff_delay(&p, 3).as_secs_f64();
            assert!((2.56..4.16).contains(&d3), "{d3}");
            assert!(backoff_delay(&p, 20) <= p.max_delay);
        }
    }

    #[test]
    fn every_wait_has_a_growing_floor() {
        let p = RetryPolicy::default();
        let ms = Duration::from_millis;
        assert_eq!(floored(&p, 1, ms(1)), ms(250));
        assert_eq!(floored(&p, 2, ms(1)), ms(500));
        assert_eq!(floored(&p, 3, Duration::ZERO), ms(1000));
        assert_eq!(floored(&p, 9, ms(1)), ms(2000));
        assert_eq!(floored(&p, 1, ms(3000)), ms(3000));
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s));
        }
        for s in [400, 401, 403, 404, 409, 501, 202] {
            assert!(!is_retryable_status(s));
        }
    }

    #[test]
    fn ratelimit_pause_scales() {
        let p = RetryPolicy::default();
        let h = headers(&[("x-ms-ratelimit-remaining-subscription-writes", "0")]);
        assert_eq!(ratelimit_pause(&p, &h, true), Some(p.base_delay));
        assert_eq!(ratelimit_pause(&p, &h, false), None);
        let h = headers(&[("x-ms-ratelimit-remaining-subscription-reads", "10")]);
        assert_eq!(ratelimit_pause(&p, &h, false), Some(p.base_delay / 2));
        let h = headers(&[("x-ms-ratelimit-remaining-subscription-reads", "11999")]);
        assert_eq!(ratelimit_pause(&p, &h, false), None);
    }

    #[test]
    fn client_request_ids_look_like_uuids() {
        let id = new_client_request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, new_client_request_id());
    }
}
