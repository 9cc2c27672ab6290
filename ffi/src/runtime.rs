//! The process-wide tokio runtime, and `run`, the only place where an export blocks.
//!
//! Every call is spawned onto the library runtime and the calling thread waits on a std
//! channel. That one shape works from a plain thread and from inside any tokio runtime
//! (where `block_on` would panic), and many callers never wait on each other.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

use futures::FutureExt;
use once_cell::sync::Lazy;
use tokio::runtime::Runtime;

use crate::boundary;
use crate::envelope::FfiError;

/// Worker threads of the library runtime: 2 to 4, following the machine.
fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 4)
}

static RUNTIME: Lazy<Result<Runtime, String>> = Lazy::new(|| {
    boundary::install_panic_hook();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("bastion-ffi")
        .enable_all()
        .on_thread_start(boundary::capture_panics_on_this_thread)
        .build()
        .map_err(|e| format!("could not start the library's tokio runtime: {e}"))
});

/// The library runtime (created on first use, never dropped).
pub(crate) fn runtime() -> Result<&'static Runtime, FfiError> {
    RUNTIME.as_ref().map_err(|e| FfiError::internal(e.clone()))
}

/// Runs `work` on the library runtime and blocks the calling thread until it ends.
///
/// A panic inside `work` becomes an `internal` error.
pub(crate) fn run<F>(work: F) -> Result<F::Output, FfiError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = runtime()?;
    let (tx, rx) = mpsc::sync_channel(1);
    rt.spawn(async move {
        let outcome = AssertUnwindSafe(work)
            .catch_unwind()
            .await
            .map_err(boundary::panic_error);
        let _ = tx.send(outcome);
    });
    rx.recv()
        .map_err(|_| FfiError::internal("internal error: the library runtime dropped the call"))?
}
