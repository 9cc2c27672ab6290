//! Progress events of long operations and the sink they are sent to.
//!
//! The events are the ones of `bastion_poll_progress` in `ffi/CONTRACT.md`; they
//! serialise to exactly that JSON (`{"type":"polling","host":...,"delayMs":...}`).
//! No event carries a token: tokens only ever travel in headers, and the query values of
//! request URLs other than `api-version` (ARM signs its polling URLs) are redacted.

use serde::{Deserialize, Serialize};

/// Something that happened during an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ProgressEvent {
    /// Host discovery finished.
    HostsDiscovered {
        /// Hosts found.
        count: usize,
    },
    /// Work on a host began.
    HostStarted {
        /// Host resource id.
        host: String,
    },
    /// Waiting before the next poll of a long-running operation.
    Polling {
        /// Host resource id.
        host: String,
        /// The wait.
        delay_ms: u64,
        /// Poll number, from 1.
        attempt: u32,
    },
    /// Waiting before retrying a failed request.
    Retrying {
        /// Host resource id (or the scope, during discovery).
        host: String,
        /// The status that caused the retry; `None` for a connection failure.
        status: Option<u16>,
        /// The wait.
        delay_ms: u64,
        /// Retry number, from 1.
        attempt: u32,
    },
    /// A page of an answer was read.
    PageRead {
        /// Host resource id (or the scope, during discovery).
        host: String,
        /// Page number, from 1.
        page: u32,
        /// Items on it.
        items: usize,
    },
    /// Work on a host ended.
    HostDone {
        /// Host resource id.
        host: String,
        /// Whether it succeeded.
        ok: bool,
        /// Sessions read (or results, for disconnect).
        sessions: usize,
        /// Hosts done so far.
        done: usize,
        /// Hosts in all.
        total: usize,
    },
    /// One HTTP request finished.
    Request {
        /// HTTP method.
        method: String,
        /// URL (no secrets: tokens are only ever in headers).
        url: String,
        /// Status; `None` when no answer came.
        status: Option<u16>,
        /// Time taken.
        elapsed_ms: u64,
    },
}

/// Receives progress events. Must be cheap and must not block: it is called inline.
pub trait ProgressSink: Send + Sync {
    /// Called for each event.
    fn emit(&self, event: ProgressEvent);
}

/// A sink that drops every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn emit(&self, _event: ProgressEvent) {}
}

impl<F: Fn(ProgressEvent) + Send + Sync> ProgressSink for F {
    fn emit(&self, event: ProgressEvent) {
        self(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_in_the_contract() {
        let e = ProgressEvent::Polling {
            host: "h".into(),
            delay_ms: 1000,
            attempt: 1,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"polling","host":"h","delayMs":1000,"attempt":1}"#
        );
        let e = ProgressEvent::HostsDiscovered { count: 3 };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"hostsDiscovered","count":3}"#
        );
        let e = ProgressEvent::Request {
            method: "POST".into(),
            url: "u".into(),
            status: Some(202),
            elapsed_ms: 5,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"request","method":"POST","url":"u","status":202,"elapsedMs":5}"#
        );
    }
}
