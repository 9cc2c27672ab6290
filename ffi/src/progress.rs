//! `bastion_poll_progress`: drains an operation's progress queue.

use std::ffi::c_char;

use crate::envelope::{self, FfiError};
use crate::{boundary, calls};

/// Drains the progress queue of `operation_id` into a success envelope.
pub(crate) fn poll_json(operation_id: &str) -> Result<String, FfiError> {
    let n = operation_id.chars().count();
    if !(1..=128).contains(&n) {
        return Err(FfiError::invalid_argument(format!(
            "operation_id must be 1 to 128 characters, got {n}"
        )));
    }
    write_poll(calls::poll(operation_id))
}

/// Writes the success envelope of a poll, `{"schemaVersion":1,"ok":true,"data":{"running":
/// bool,"events":[...]}}` (with `"dropped":n` after the events when some were dropped),
/// into a reused envelope buffer. Each event's JSON is copied as it was queued: a page of
/// sessions was serialised by the listing when it read the page.
fn write_poll(poll: calls::Poll) -> Result<String, FfiError> {
    let mut out = crate::buffers::take();
    out.extend_from_slice(b"{\"schemaVersion\":");
    out.extend_from_slice(envelope::SCHEMA_VERSION.to_string().as_bytes());
    out.extend_from_slice(b",\"ok\":true,\"data\":{\"running\":");
    out.extend_from_slice(if poll.running { b"true" } else { b"false" });
    out.extend_from_slice(b",\"events\":[");
    for (i, event) in poll.events.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        event
            .write_to(&mut out)
            .map_err(|e| FfiError::internal(format!("could not serialise the answer: {e}")))?;
    }
    out.push(b']');
    if poll.dropped > 0 {
        out.extend_from_slice(b",\"dropped\":");
        out.extend_from_slice(poll.dropped.to_string().as_bytes());
    }
    out.extend_from_slice(b"}}");
    // SAFETY: every piece is UTF-8: the literals above, numbers, and JSON that serde_json
    // wrote (queued events and page buffers), which is UTF-8 by construction.
    Ok(unsafe { String::from_utf8_unchecked(out) })
}

/// Returns the progress events queued for `operation_id` since the last poll, oldest
/// first, as an envelope: `{"ok":true,"data":{"running":bool,"events":[...]}}` (see
/// `ffi/CONTRACT.md` for the event types). One poll hands over at most 2,000 streamed
/// sessions (whole `hostSessionsPage` events); later events wait for the next poll. An
/// unknown or finished operation answers `"running":false` with what is still queued:
/// poll until a poll returns no events, then nothing more comes.
///
/// - Ownership: the caller owns the returned string and frees it with
///   `bastion_string_free`. `operation_id` is borrowed for the call only.
/// - Never returns null; a null or non-UTF-8 `operation_id` gives an `invalidArgument`
///   error envelope.
/// - Thread safety: safe from any thread, concurrently with the running call. Does not
///   block on the operation. Never unwinds.
///
/// # Safety
/// `operation_id` is null or a NUL-terminated string valid for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bastion_poll_progress(operation_id: *const c_char) -> *mut c_char {
    // SAFETY: forwarded caller contract.
    unsafe {
        boundary::call_json(
            "bastion_poll_progress",
            operation_id,
            "operation_id",
            poll_json,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::{self, MAX_QUEUED_EVENTS, Priority};
    use crate::views::HostSessionsOutcomeView;
    use bastion_session::{BastionHost, BastionSession, HostRef};
    use serde_json::{Value, json};

    #[test]
    fn a_poll_envelope_carries_queued_events_and_pages_as_json() {
        let handle = calls::start(Some("progress-unit-envelope")).unwrap();
        let call = handle.call();
        call.push(Priority::Normal, &json!({"type": "hostStarted", "n": 1}));
        let host = BastionHost::from(
            HostRef::new("00000000-0000-0000-0000-000000000001", "rg", "bh").unwrap(),
        );
        let session = BastionSession {
            session_id: Some("s-1".into()),
            user_name: Some("quote\" and \\ slash".into()),
            ..BastionSession::default()
        };
        call.push_host_sessions_page(
            3,
            HostSessionsOutcomeView {
                host,
                ok: true,
                sessions: Some(vec![session]),
                error: None,
            },
        );
        for _ in 0..MAX_QUEUED_EVENTS + 2 {
            call.push(Priority::Low, &json!({"type": "request"}));
        }
        let text = poll_json("progress-unit-envelope").unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schemaVersion"], envelope::SCHEMA_VERSION);
        assert_eq!(v["ok"], true);
        assert_eq!(v["data"]["running"], true);
        assert_eq!(v["data"]["dropped"], 3);
        let events = v["data"]["events"].as_array().unwrap();
        assert_eq!(events[0], json!({"type": "hostStarted", "n": 1}));
        assert_eq!(events[1]["type"], "hostSessionsPage");
        assert_eq!(events[1]["page"], 3);
        let sessions = events[1]["result"]["sessions"].as_array().unwrap();
        assert_eq!(sessions[0]["sessionId"], "s-1");
        assert_eq!(sessions[0]["userName"], "quote\" and \\ slash");
        drop(handle);
        let text = poll_json("progress-unit-envelope").unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["data"], json!({"running": false, "events": []}));
    }
}
