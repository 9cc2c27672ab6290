//! The retry policy of one ARM request, as pure decisions: which answers are worth
//! another attempt, how long to back off (exponential, with jitter and a growing floor),
//! what `Retry-After` asks for, and when a low `x-ms-ratelimit-remaining-*` budget should
//! slow us down. The loop that applies them lives in the ARM pipeline
//! ([`ArmPipeline::send`](crate::pipeline::ArmPipeline::send)), because it also needs the
//! token provider.
//!
//! Retried: 408, 429, 500, 502, 503, 504 and failures without an answer that may pass
//! (a dropped or reset connection, a timeout). Other 4xx are never retried, nor are
//! failures that a retry meets again (see `http::TransportFailure::permanent`).
//!
//! Every wait read from an answer is clamped here to [`MAX_SERVICE_WAIT`] before it becomes
//! a [`Duration`], so no header value (`retry-after-ms: 1e30`, `Retry-After: 99999999999`,
//! a date in the year 9999) can overflow a conversion or an `Instant` addition later; the
//! callers clamp it further (the retry policy's `max_delay`, the poll interval bounds), and
//! the operation's deadline cuts any sleep.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::options::RetryPolicy;

/// Statuses worth another attempt.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// The longest wait any header can ask for (one day); longer values are cut to it.
pub(crate) const MAX_SERVICE_WAIT: Duration = Duration::from_secs(86_400);

/// `secs` as a wait: `None` when negative or not a number, at most [`MAX_SERVICE_WAIT`].
fn wait_from_secs(secs: f64) -> Option<Duration> {
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(
        Duration::try_from_secs_f64(secs.min(MAX_SERVICE_WAIT.as_secs_f64()))
            .unwrap_or(MAX_SERVICE_WAIT),
    )
}

/// The wait before retry number `attempt` (from 1): `base · 2^(attempt-1)`, times a
/// jitter in [0.8, 1.3), capped at `max_delay`.
pub(crate) fn backoff_delay(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
    let jitter = 0.8 + fastrand::f64() * 0.5;
    let secs = policy.base_delay.as_secs_f64() * exp * jitter;
    // A caller's `max_delay` near `Duration::MAX` does not survive the round trip through
    // f64: fall back to it rather than panic.
    Duration::try_from_secs_f64(secs.min(policy.max_delay.as_secs_f64()))
        .map_or(policy.max_delay, |d| d.min(policy.max_delay))
}

/// `wait`, raised to the floor for the `attempt`-th consecutive wait (from 1):
/// `min_delay · 2^(attempt-1)`, at most `8 · min_delay`.
pub(crate) fn floored(policy: &RetryPolicy, attempt: u32, wait: Duration) -> Duration {
    let exp = attempt.saturating_sub(1).min(3);
    wait.max(policy.min_delay * (1u32 << exp))
}

/// The wait the service asked for: `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds)
/// or `Retry-After` (seconds, possibly fractional, or an HTTP date), at most
/// [`MAX_SERVICE_WAIT`]. Negative, `NaN` or unreadable values are ignored; infinite ones
/// are the maximum.
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(wait) = get(name)
            .and_then(|v| v.parse::<f64>().ok())
            .and_then(|ms| wait_from_secs(ms / 1000.0))
        {
            return Some(wait);
        }
    }
    let v = get("retry-after")?;
    if let Ok(secs) = v.parse::<f64>() {
        return wait_from_secs(secs);
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_SERVICE_WAIT),
    )
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
    fn hostile_waits_are_clamped_never_a_panic() {
        let now = SystemTime::now();
        let day = Some(MAX_SERVICE_WAIT);
        for (name, value) in [
            ("retry-after-ms", "1e30"),
            ("retry-after-ms", "inf"),
            ("x-ms-retry-after-ms", "1.8e308"),
            ("Retry-After", "99999999999"),
            ("Retry-After", "1e300"),
            ("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"),
        ] {
            assert_eq!(
                parse_retry_after(&headers(&[(name, value)]), now),
                day,
                "{name}: {value}"
            );
        }
        for (name, value) in [("retry-after-ms", "NaN"), ("Retry-After", "-1e300")] {
            assert_eq!(parse_retry_after(&headers(&[(name, value)]), now), None);
        }
        // A NaN in the first header does not hide a good second one.
        assert_eq!(
            parse_retry_after(
                &headers(&[("retry-after-ms", "NaN"), ("x-ms-retry-after-ms", "300")]),
                now
            ),
            Some(Duration::from_millis(300))
        );
        let huge = RetryPolicy {
            max_delay: Duration::MAX,
            ..RetryPolicy::default()
        };
        assert!(backoff_delay(&huge, 40) <= Duration::MAX);
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
}
