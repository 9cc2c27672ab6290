//! Test-only hooks: the request field `_panic`, honoured only in debug builds (release
//! builds refuse it as an unknown field), makes a call panic so tests can check that a
//! panic becomes an `internal` envelope and never crosses into C.
//!
//! `"_panic": "sync"` panics on the caller's thread with a static message, `"async"`
//! inside the runtime task, `"secret"` with a formatted message that includes the request's
//! token (to prove such text never reaches the envelope).

use crate::envelope::FfiError;
use crate::request::Request;

/// What `_panic` asked for in the runtime task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AsyncPanic {
    /// No panic.
    None,
    /// Panic with a static message.
    Static,
}

/// Panics on the caller's thread when the request asks for it.
pub(crate) fn before_call(req: &Request) -> Result<(), FfiError> {
    #[cfg(debug_assertions)]
    match req.test_panic.as_deref() {
        Some("sync") => panic!("test panic requested by _panic=sync"),
        Some("secret") => {
            let token = req
                .credential
                .as_ref()
                .and_then(|c| c.token.as_ref())
                .map(|t| t.expose().to_owned())
                .unwrap_or_default();
            panic!("test panic carrying the token {token}");
        }
        Some("async") | None => {}
        Some(_) => {
            return Err(FfiError::invalid_request(
                "_panic",
                "must be sync, async or secret",
            ));
        }
    }
    let _ = req;
    Ok(())
}

/// Whether the request asks for a panic inside the runtime task.
pub(crate) fn async_panic(req: &Request) -> AsyncPanic {
    #[cfg(debug_assertions)]
    if req.test_panic.as_deref() == Some("async") {
        return AsyncPanic::Static;
    }
    let _ = req;
    AsyncPanic::None
}

/// Panics (inside the runtime task) when asked to.
pub(crate) fn maybe_panic_async(what: AsyncPanic) {
    if what == AsyncPanic::Static {
        panic!("test panic requested by _panic=async");
    }
}
