//! The one wrapper around every export: pointer check, UTF-8, size limit, panic capture,
//! envelope. Nothing that crosses into C leaves this module other than a valid envelope
//! pointer (or a plain integer for `bastion_cancel`).
//!
//! Panics: a process-wide hook (installed once, chained to the previous one) records the
//! location and, only for `&'static str` payloads, the text of panics raised on a thread
//! that is inside an export or is a worker of the library runtime, and prints nothing for
//! them. Formatted payloads are dropped because they may carry runtime data (a URL, a
//! token); a static payload is a literal from source code and cannot. Panics elsewhere in
//! the host process go to the previous hook unchanged.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::ffi::{CStr, c_char};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::envelope::{self, FfiError};
use crate::memory;

/// The largest request accepted, in bytes (64 MiB); larger requests are `invalidArgument`.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

thread_local! {
    /// Whether panics on this thread are captured (inside an export, or a runtime worker).
    static CAPTURE: Cell<u32> = const { Cell::new(0) };
    /// What the hook recorded about the last captured panic on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the capturing panic hook once per process.
pub(crate) fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURE.with(Cell::get) > 0 {
                let location = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let text = static_text(info.payload())
                    .map(|t| format!(": {t}"))
                    .unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{location}{text}")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Marks the current thread as one whose panics are captured for good (runtime workers).
pub(crate) fn capture_panics_on_this_thread() {
    CAPTURE.with(|c| c.set(c.get() + 1));
}

fn static_text(payload: &(dyn Any + Send)) -> Option<&'static str> {
    payload.downcast_ref::<&'static str>().copied()
}

/// Turns a caught panic into the `internal` error; call on the thread that panicked.
pub(crate) fn panic_error(payload: Box<dyn Any + Send>) -> FfiError {
    let recorded = LAST_PANIC.with(|p| p.borrow_mut().take());
    let detail = recorded.unwrap_or_else(|| {
        static_text(payload.as_ref())
            .map(|t| format!(": {t}"))
            .unwrap_or_default()
    });
    // Dropping a payload may itself panic (a payload with a panicking Drop); don't.
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
    FfiError::internal(format!(
        "internal error: the library panicked{detail} (a bug in bastion_session_ffi; please report it)"
    ))
}

/// Counts this thread as inside an export while alive.
struct CaptureGuard;

impl CaptureGuard {
    fn enter() -> Self {
        install_panic_hook();
        crate::logging::init();
        capture_panics_on_this_thread();
        CaptureGuard
    }
}

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CAPTURE.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

/// Reads the caller's NUL-terminated argument as UTF-8 within the size limit.
///
/// # Safety
/// `arg` is null or points to a NUL-terminated string valid for the whole call.
unsafe fn read_arg<'a>(arg: *const c_char, what: &str) -> Result<&'a str, FfiError> {
    if arg.is_null() {
        return Err(FfiError::invalid_argument(format!(
            "{what} is a null pointer"
        )));
    }
    // SAFETY: non-null, and NUL-terminated and alive for the call per the contract.
    let bytes = unsafe { CStr::from_ptr(arg) }.to_bytes();
    if bytes.len() > MAX_REQUEST_BYTES {
        return Err(FfiError::invalid_argument(format!(
            "{what} is {} bytes; the limit is {MAX_REQUEST_BYTES} bytes (64 MiB)",
            bytes.len()
        )));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        FfiError::invalid_argument(format!(
            "{what} is not valid UTF-8 (first invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Runs `body` on the caller's string argument and returns an envelope the caller owns.
///
/// `body` returns a complete success envelope (see [`envelope::success`]) or an error;
/// a null pointer, invalid UTF-8, an oversized argument and a panic become error
/// envelopes here.
///
/// # Safety
/// `arg` is null or points to a NUL-terminated string valid for the whole call.
pub(crate) unsafe fn call_json(
    export: &'static str,
    arg: *const c_char,
    what: &str,
    body: impl FnOnce(&str) -> Result<String, FfiError>,
) -> *mut c_char {
    let guard = CaptureGuard::enter();
    tracing::debug!(target: "bastion_session_ffi", export, "call");
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: forwarded caller contract.
        let text = unsafe { read_arg(arg, what) }?;
        body(text)
    }));
    let json = match outcome {
        Ok(Ok(json)) => json,
        Ok(Err(error)) => {
            tracing::debug!(target: "bastion_session_ffi", export, kind = error.kind.name(), "error");
            envelope::failure(&error)
        }
        Err(payload) => {
            let error = panic_error(payload);
            tracing::error!(target: "bastion_session_ffi", export, message = %error.message, "panic");
            envelope::failure(&error)
        }
    };
    drop(guard);
    memory::into_c_string(json)
}

/// Runs `body` on the caller's string argument and returns its integer, or `on_error`
/// for a null pointer, invalid UTF-8, an oversized argument or a panic.
///
/// # Safety
/// `arg` is null or points to a NUL-terminated string valid for the whole call.
pub(crate) unsafe fn call_i32(
    arg: *const c_char,
    what: &str,
    on_error: i32,
    body: impl FnOnce(&str) -> i32,
) -> i32 {
    let _guard = CaptureGuard::enter();
    panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: forwarded caller contract.
        match unsafe { read_arg(arg, what) } {
            Ok(text) => body(text),
            Err(_) => on_error,
        }
    }))
    .unwrap_or(on_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    fn run(arg: *const c_char, body: impl FnOnce(&str) -> Result<String, FfiError>) -> String {
        let out = unsafe { call_json("test", arg, "request", body) };
        let s = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
        memory::free_c_string(out);
        s
    }

    #[test]
    fn null_and_utf8_and_panic() {
        assert!(run(std::ptr::null(), |_| unreachable!()).contains("\"code\":1001"));
        let bad = CString::new(vec![b'{', 0xff, b'}']).unwrap();
        let s = run(bad.as_ptr(), |_| unreachable!());
        assert!(s.contains("not valid UTF-8"), "{s}");
        let ok = CString::new("{}").unwrap();
        let s = run(ok.as_ptr(), |_| panic!("static boom"));
        assert!(
            s.contains("\"code\":9001") && s.contains("static boom"),
            "{s}"
        );
        assert!(s.contains("\"expected\":false"), "{s}");
        let secret = String::from("s3cr3t");
        let s = run(ok.as_ptr(), |_| panic!("formatted {secret}"));
        assert!(s.contains("\"code\":9001") && !s.contains("s3cr3t"), "{s}");
    }
}
