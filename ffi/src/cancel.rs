//! `bastion_cancel`: cancels a running operation by its `operationId`.

use std::ffi::c_char;

use crate::{boundary, calls};

/// Cancels the running call whose request carried `"operationId": operation_id`.
///
/// The cancelled call returns promptly (well within a second) with a `cancelled` error
/// envelope (code 3002).
///
/// - Returns 1 when a running operation was cancelled, 0 when no running operation has
///   that id (unknown, or already finished), -1 when `operation_id` is null, not UTF-8 or
///   too long.
/// - Ownership: `operation_id` is borrowed for the call only; nothing to free.
/// - Thread safety: meant to be called from another thread than the one blocked in the
///   call; safe from any thread at any time. Never unwinds.
///
/// # Safety
/// `operation_id` is null or a NUL-terminated string valid for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bastion_cancel(operation_id: *const c_char) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        boundary::call_i32(operation_id, "operation_id", -1, |id| {
            i32::from(calls::cancel(id))
        })
    }
}
