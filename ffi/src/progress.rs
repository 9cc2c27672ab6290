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
    envelope::success(&calls::poll(operation_id))
}

/// Returns the progress events queued for `operation_id` since the last poll, oldest
/// first, as an envelope: `{"ok":true,"data":{"running":bool,"events":[...]}}` (see
/// `ffi/CONTRACT.md` for the event types). An unknown or finished operation answers
/// `"running":false` with whatever was still queued, then nothing more.
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
