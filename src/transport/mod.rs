//! Layer 2, transport: everything about sending one HTTP request to ARM and reading its
//! answer, with no notion of credentials or of which Bastion operation is running.
//!
//! - `http`: the shared reqwest client (rustls + ring, extra CA, proxy), the loopback
//!   rule for plain HTTP, one request attempt with redacted logging.
//! - `dns`: host name lookups through the system resolver, failing with a type of our own
//!   so that a lookup failure is recognised structurally (and what each platform says).
//! - `request_id`: the `x-ms-client-request-id` of each request.
//! - `retry`: which failures are retried, backoff with jitter, `Retry-After` parsing,
//!   slowing down on low `x-ms-ratelimit-remaining-*`.
//! - `throttle_gate`: a 429 pauses every request of the process to that subscription's
//!   bucket for its `Retry-After`, so a fan-out queues behind ARM instead of giving up.
//! - `arm_error`: turning ARM error answers into [`Error`](crate::error::Error)s.

pub(crate) mod arm_error;
pub(crate) mod dns;
pub(crate) mod http;
pub(crate) mod request_id;
pub(crate) mod retry;
pub(crate) mod throttle_gate;
