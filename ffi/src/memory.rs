//! Strings handed to the caller, and `bastion_string_free`, their only destructor.
//!
//! Every envelope leaves the library as a `CString` turned into a raw pointer; the caller
//! gives it back exactly once to `bastion_string_free`, which rebuilds and drops it.

use std::ffi::{CString, c_char};

use crate::envelope;

/// Moves `json` to the heap as a NUL-terminated string the caller owns.
///
/// JSON produced by `serde_json` never contains a raw NUL (it escapes U+0000), so the
/// fallback is unreachable in practice; it still yields a valid envelope.
pub(crate) fn into_c_string(json: String) -> *mut c_char {
    match CString::new(json) {
        Ok(s) => s.into_raw(),
        Err(_) => CString::new(envelope::FALLBACK_FAILURE)
            .map(CString::into_raw)
            .unwrap_or(std::ptr::null_mut()),
    }
}

/// Frees a string this library returned. Safe code path of `bastion_string_free`.
///
/// # Safety
/// `s` is null, or a pointer returned by a `bastion_*` export that returns `char *`
/// and not yet freed.
pub(crate) unsafe fn free_c_string(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    // SAFETY: per the contract, `s` came from `CString::into_raw` in `into_c_string`.
    drop(unsafe { CString::from_raw(s) });
}

/// Frees a string returned by any `bastion_*` export that returns `char *`.
///
/// - Ownership: takes back ownership of `s`; after the call `s` is dangling.
/// - A null `s` is a no-op.
/// - Freeing the same pointer twice, or a pointer this library did not return (including
///   the static string of `bastion_version`), is a caller error with undefined behaviour,
///   exactly as with `free`.
/// - Thread safety: may be called from any thread, also one other than the allocating one.
/// - Never unwinds.
///
/// # Safety
/// `s` is null, or a pointer returned by a `bastion_*` export that returns `char *` and
/// not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bastion_string_free(s: *mut c_char) {
    // SAFETY: forwarded caller contract; a panic (none is possible) is swallowed.
    let _ = std::panic::catch_unwind(|| unsafe { free_c_string(s) });
}
