//! One pause per subscription when ARM throttles. ARM's token buckets belong to the
//! subscription (reads and writes apart), not to one request: when a 429 says "come back
//! in N seconds", every request of this process to the same subscription and bucket waits
//! too, instead of each host in a fan-out spending its own retries against an empty
//! bucket. A little jitter spreads the waiters out when the gate opens again.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

/// The most jitter added after the gate opens, so waiters do not all fire at once.
const RELEASE_JITTER: Duration = Duration::from_millis(500);

/// Which bucket a request is charged to: the endpoint's host and port, the subscription,
/// and whether it is a write (POST) or a read (GET).
type BucketKey = (String, String, bool);

/// Closed-until instants per bucket, shared by every client in the process.
#[derive(Debug, Default)]
pub(crate) struct ThrottleGate {
    closed_until: Mutex<HashMap<BucketKey, Instant>>,
}

/// The process-wide gate.
pub(crate) fn gate() -> &'static ThrottleGate {
    static GATE: OnceLock<ThrottleGate> = OnceLock::new();
    GATE.get_or_init(ThrottleGate::default)
}

/// The bucket of a request URL (`/subscriptions/{id}/...`), if it names a subscription.
pub(crate) fn bucket_of(url: &Url, is_write: bool) -> Option<BucketKey> {
    let mut segments = url.path_segments()?;
    let first = segments.next()?;
    if !first.eq_ignore_ascii_case("subscriptions") {
        return None;
    }
    let subscription = segments.next()?.to_ascii_lowercase();
    let host = format!(
        "{}:{}",
        url.host_str().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or_default()
    );
    Some((host, subscription, is_write))
}

impl ThrottleGate {
    /// After a 429: nobody sends to this bucket for `wait`.
    pub(crate) fn close(&self, bucket: &BucketKey, wait: Duration) {
        // A wait too long to add to now is as good as the longest one we ever honour.
        let now = Instant::now();
        let until = now
            .checked_add(wait)
            .unwrap_or(now + crate::transport::retry::MAX_SERVICE_WAIT);
        let mut map = self
            .closed_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = map.entry(bucket.clone()).or_insert(until);
        if *entry < until {
            *entry = until;
        }
    }

    /// How long a request to this bucket should wait before it is sent (with jitter), or
    /// `None` when the gate is open.
    pub(crate) fn wait_for(&self, bucket: &BucketKey) -> Option<Duration> {
        let mut map = self
            .closed_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let until = *map.get(bucket)?;
        let now = Instant::now();
        if until <= now {
            map.remove(bucket);
            return None;
        }
        let jitter = RELEASE_JITTER.mul_f64(fastrand::f64());
        Some(until - now + jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn buckets_are_per_host_subscription_and_kind() {
        let a = bucket_of(
            &url("https://management.azure.com/subscriptions/ABC/resourceGroups/x"),
            true,
        );
        assert_eq!(
            a,
            Some(("management.azure.com:443".into(), "abc".into(), true))
        );
        let other_port = bucket_of(&url("http://127.0.0.1:8080/subscriptions/abc/x"), true);
        assert_ne!(
            other_port,
            bucket_of(&url("http://127.0.0.1:8081/subscriptions/abc/x"), true)
        );
        assert_eq!(
            bucket_of(&url("https://management.azure.com/providers/x"), true),
            None
        );
        let read = bucket_of(
            &url("https://management.azure.com/subscriptions/abc/x"),
            false,
        );
        assert_ne!(a, read);
    }

    #[tokio::test]
    async fn a_closed_gate_holds_back_its_bucket_only() {
        let gate = ThrottleGate::default();
        let writes = bucket_of(&url("http://127.0.0.1/subscriptions/s/x"), true).unwrap();
        let reads = bucket_of(&url("http://127.0.0.1/subscriptions/s/x"), false).unwrap();
        assert_eq!(gate.wait_for(&writes), None);
        gate.close(&writes, Duration::from_secs(2));
        let wait = gate.wait_for(&writes).expect("closed");
        assert!(
            wait > Duration::from_millis(1500) && wait <= Duration::from_millis(2500),
            "{wait:?}"
        );
        assert_eq!(gate.wait_for(&reads), None);
        // A shorter Retry-After never shortens a longer pause.
        gate.close(&writes, Duration::from_millis(10));
        assert!(gate.wait_for(&writes).unwrap() > Duration::from_secs(1));
    }
}
