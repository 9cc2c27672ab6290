//! ARM-like throttling: a read and a write token bucket per subscription.

use std::collections::HashMap;
use std::time::Instant;

use crate::config::ThrottleSettings;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    refill_per_sec: f64,
    updated: Instant,
}

impl Bucket {
    fn new(capacity: f64, refill_per_sec: f64) -> Self {
        Bucket {
            tokens: capacity,
            capacity,
            refill_per_sec,
            updated: Instant::now(),
        }
    }

    /// Takes one token: `Ok(remaining)` or `Err(seconds until one is there)`.
    fn take(&mut self, now: Instant) -> Result<u64, u64> {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.refill_per_sec).min(self.capacity);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(self.tokens.floor() as u64)
        } else {
            let wait = (1.0 - self.tokens) / self.refill_per_sec.max(0.001);
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

/// The outcome of asking the throttle about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleDecision {
    /// Allowed; the remaining budget goes into `x-ms-ratelimit-remaining-subscription-*`.
    Allowed { remaining: u64, write: bool },
    /// Refused: answer 429 with this `Retry-After`.
    Throttled { retry_after_secs: u64, write: bool },
}

/// Buckets by subscription.
#[derive(Debug)]
pub struct Throttle {
    settings: ThrottleSettings,
    buckets: HashMap<(String, bool), Bucket>,
}

impl Throttle {
    /// Full buckets for every subscription.
    pub fn new(settings: ThrottleSettings) -> Self {
        Throttle {
            settings,
            buckets: HashMap::new(),
        }
    }

    /// Charges one request: writes (POST) and reads (GET) have separate buckets.
    pub fn charge(&mut self, subscription: &str, write: bool) -> ThrottleDecision {
        let s = self.settings;
        let bucket = self
            .buckets
            .entry((subscription.to_ascii_lowercase(), write))
            .or_insert_with(|| {
                if write {
                    Bucket::new(s.write_capacity, s.write_refill_per_sec)
                } else {
                    Bucket::new(s.read_capacity, s.read_refill_per_sec)
                }
            });
        match bucket.take(Instant::now()) {
            Ok(remaining) => ThrottleDecision::Allowed { remaining, write },
            Err(retry_after_secs) => ThrottleDecision::Throttled {
                retry_after_secs,
                write,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_runs_dry_then_refuses_with_a_retry_after() {
        let mut t = Throttle::new(ThrottleSettings {
            write_capacity: 3.0,
            write_refill_per_sec: 1.0,
            ..Default::default()
        });
        for expected in [2, 1, 0] {
            assert_eq!(
                t.charge("s", true),
                ThrottleDecision::Allowed {
                    remaining: expected,
                    write: true
                }
            );
        }
        assert!(matches!(
            t.charge("s", true),
            ThrottleDecision::Throttled {
                retry_after_secs: 1,
                ..
            }
        ));
        // Reads and other subscriptions have their own buckets.
        assert!(matches!(
            t.charge("s", false),
            ThrottleDecision::Allowed { .. }
        ));
        assert!(matches!(
            t.charge("other", true),
            ThrottleDecision::Allowed { .. }
        ));
    }
}
