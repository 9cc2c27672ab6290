//! Fault injection: faults scripted for the next matching requests, and faults thrown at a
//! configured rate.

use serde::Deserialize;

/// What an injected fault does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum FaultKind {
    /// 429 with `Retry-After`.
    #[serde(rename = "429")]
    TooManyRequests,
    /// 500 Internal Server Error.
    #[serde(rename = "500")]
    InternalServerError,
    /// 503 Service Unavailable with `Retry-After`.
    #[serde(rename = "503")]
    ServiceUnavailable,
    /// Headers and part of the body are sent, then the connection is dropped.
    #[serde(rename = "drop")]
    DropConnection,
}

/// A fault for the next `count` requests of an operation (`*` or absent: any ARM request).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScriptedFault {
    /// Operation name as counted in `/_emulator/stats` (e.g. `getActiveSessions`), or `*`.
    #[serde(default)]
    pub operation: Option<String>,
    /// The fault.
    pub fault: FaultKind,
    /// How many matching requests get it.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

impl ScriptedFault {
    fn matches(&self, operation: &str) -> bool {
        match self.operation.as_deref() {
            None | Some("*") => true,
            Some(op) => op.eq_ignore_ascii_case(operation),
        }
    }
}

/// Decides, request by request, whether to inject a fault.
#[derive(Debug)]
pub struct FaultInjector {
    scripted: Vec<ScriptedFault>,
    rate: f64,
    dice: fastrand::Rng,
}

impl FaultInjector {
    /// A new injector with scripted faults and a random rate.
    pub fn new(scripted: Vec<ScriptedFault>, rate: f64, seed: u64) -> Self {
        FaultInjector {
            scripted,
            rate: rate.clamp(0.0, 1.0),
            dice: fastrand::Rng::with_seed(seed),
        }
    }

    /// Appends scripted faults (used by `POST /_emulator/faults`).
    pub fn script(&mut self, faults: impl IntoIterator<Item = ScriptedFault>) {
        self.scripted.extend(faults);
    }

    /// The fault for this request, if any: a scripted one first, then the dice.
    pub fn next(&mut self, operation: &str) -> Option<FaultKind> {
        if let Some(i) = self.scripted.iter().position(|f| f.matches(operation)) {
            let fault = self.scripted[i].fault;
            self.scripted[i].count -= 1;
            if self.scripted[i].count == 0 {
                self.scripted.remove(i);
            }
            return Some(fault);
        }
        if self.rate > 0.0 && self.dice.f64() < self.rate {
            return Some(match self.dice.u8(0..4) {
                0 => FaultKind::TooManyRequests,
                1 => FaultKind::InternalServerError,
                2 => FaultKind::ServiceUnavailable,
                _ => FaultKind::DropConnection,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_faults_apply_to_matching_operations_then_run_out() {
        let mut f = FaultInjector::new(
            vec![ScriptedFault {
                operation: Some("getActiveSessions".into()),
                fault: FaultKind::TooManyRequests,
                count: 2,
            }],
            0.0,
            1,
        );
        assert_eq!(f.next("getHost"), None);
        assert_eq!(
            f.next("getActiveSessions"),
            Some(FaultKind::TooManyRequests)
        );
        assert_eq!(
            f.next("getActiveSessions"),
            Some(FaultKind::TooManyRequests)
        );
        assert_eq!(f.next("getActiveSessions"), None);
    }

    #[test]
    fn rate_injects_roughly_that_share() {
        let mut f = FaultInjector::new(Vec::new(), 0.1, 7);
        let hits = (0..10_000).filter(|_| f.next("x").is_some()).count();
        assert!((800..1200).contains(&hits), "{hits}");
    }
}
