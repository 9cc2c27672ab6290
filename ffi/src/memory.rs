//! Strings handed to the caller, and `bastion_string_free`, their only destructor.
//!
//! Every envelope leaves the library as the buffer it was serialised into, NUL appended in
//! place, and is recorded in a table of live strings (address → length and capacity).
//! `bastion_string_free` takes it out of that table, so a pointer freed twice or never
//! handed out is recognised and ignored instead of corrupting the heap. The freed buffer
//! goes to `buffers`, whose quarantine keeps its address from being handed out again at
//! once (so a second free of the same pointer still finds nothing in the table).

use std::collections::HashMap;
use std::ffi::c_char;
use std::sync::{Mutex, MutexGuard};

use once_cell::sync::Lazy;

use crate::{buffers, envelope};

/// Length (with the NUL) and capacity of a string handed out, by its address.
struct Handed {
    len: usize,
    capacity: usize,
}

static LIVE: Lazy<Mutex<HashMap<usize, Handed>>> = Lazy::new(|| Mutex::new(HashMap::new()));

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Hands `json` to the caller as a NUL-terminated string it frees with
/// `bastion_string_free`.
///
/// JSON produced by `serde_json` never contains a raw NUL (it escapes U+0000), so the
/// fallback is unreachable in practice; it still yields a valid envelope. The check uses
/// the vectorised `memchr`: an envelope of 100,000 sessions is 55 MB.
pub(crate) fn into_c_string(json: String) -> *mut c_char {
    let mut bytes = json.into_bytes();
    if memchr::memchr(0, &bytes).is_some() {
        bytes.clear();
        bytes.extend_from_slice(envelope::FALLBACK_FAILURE.as_bytes());
    }
    bytes.push(0);
    let handed = Handed {
        len: bytes.len(),
        capacity: bytes.capacity(),
    };
    let ptr = bytes.as_mut_ptr();
    std::mem::forget(bytes);
    lock(&LIVE).insert(ptr as usize, handed);
    ptr.cast::<c_char>()
}

/// Frees a string this library returned: the safe code path of `bastion_string_free`.
/// A pointer that is not a live string of this library (freed already, or never handed
/// out) is not touched; `false` then. Null is a no-op (`true`).
pub(crate) fn free_c_string(s: *mut c_char) -> bool {
    if s.is_null() {
        return true;
    }
    let Some(handed) = lock(&LIVE).remove(&(s as usize)) else {
        return false;
    };
    // SAFETY: the table holds exactly the pointer, length and capacity of a Vec<u8> that
    // `into_c_string` forgot, and removing it above makes this the only reconstruction.
    let buffer = unsafe { Vec::from_raw_parts(s.cast::<u8>(), handed.len, handed.capacity) };
    buffers::give_back(buffer);
    true
}

/// Frees a string returned by any `bastion_*` export that returns `char *`.
///
/// - Ownership: takes back ownership of `s`; after the call `s` is dangling.
/// - A null `s` is a no-op.
/// - Freeing the same pointer twice, or a pointer this library did not return (including
///   the static string of `bastion_version`), is a caller error. The library keeps a table
///   of the strings it handed out and ignores a pointer that is not in it, so such a call
///   does nothing; it cannot tell a pointer freed twice from one whose address was handed
///   out again in between, so free each string exactly once.
/// - Thread safety: may be called from any thread, also one other than the allocating one.
/// - Never unwinds.
///
/// # Safety
/// `s` is null or a pointer returned by a `bastion_*` export that returns `char *` and
/// not yet freed. The library never dereferences a pointer that is not in its table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bastion_string_free(s: *mut c_char) {
    // A panic (none is possible) is swallowed.
    let _ = std::panic::catch_unwind(|| {
        if !free_c_string(s) {
            tracing::debug!(target: "bastion_session_ffi", "bastion_string_free: not a live string of this library; ignored");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn round_trip(json: &str) -> String {
        let p = into_c_string(json.to_string());
        assert!(!p.is_null());
        let text = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
        assert!(free_c_string(p));
        text
    }

    #[test]
    fn an_envelope_crosses_whole_and_one_with_a_nul_becomes_the_fallback() {
        let long = format!("{{\"data\":\"{}\"}}", "x".repeat(100_000));
        assert_eq!(round_trip(&long), long);
        assert_eq!(round_trip(""), "");
        assert_eq!(round_trip("{\"a\":\"b\0c\"}"), envelope::FALLBACK_FAILURE);
    }

    #[test]
    fn a_pointer_freed_twice_or_never_handed_out_is_ignored() {
        let p = into_c_string("{\"twice\":true}".to_string());
        assert!(free_c_string(p));
        assert!(!free_c_string(p));
        let mut foreign = *b"not ours\0";
        assert!(!free_c_string(foreign.as_mut_ptr().cast()));
        assert_eq!(&foreign, b"not ours\0");
        assert!(free_c_string(std::ptr::null_mut()));
    }
}
