//! Per-operation state: cancellation, deadline, progress sink and counters.
//!
//! Every wait in the crate goes through [`OperationContext::run`] or
//! [`OperationContext::sleep`], so cancelling or passing the deadline interrupts an HTTP
//! request or a `Retry-After` sleep at once.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::model::{BastionHost, BastionSession};
use crate::progress::{NoProgress, ProgressEvent, ProgressSink};

/// Counters of one operation.
#[derive(Debug, Default)]
pub struct OperationStats {
    requests: AtomicU64,
    retries: AtomicU64,
    items: AtomicU64,
}

impl OperationStats {
    /// HTTP requests sent (including retries and polls).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Retries made.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    pub(crate) fn add_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Items read so far (sessions, disconnect results, hosts), plus those reserved for
    /// requests in flight.
    pub fn items(&self) -> u64 {
        self.items.load(Ordering::Relaxed)
    }

    /// Counts `n` more items read (across every page and host); returns the new total.
    pub(crate) fn add_items(&self, n: usize) -> u64 {
        self.items.fetch_add(n as u64, Ordering::Relaxed) + n as u64
    }

    /// Reserves `n` items of a budget of `max` before a request whose answer holds at most
    /// that many is sent: false, and nothing reserved, when they do not fit.
    pub(crate) fn reserve_items(&self, n: usize, max: u64) -> bool {
        self.items
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |have| {
                have.checked_add(n as u64).filter(|total| *total <= max)
            })
            .is_ok()
    }

    /// Gives back `n` reserved items (their answer is about to be counted as read, or
    /// never came).
    pub(crate) fn release_items(&self, n: usize) {
        let _ = self
            .items
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |have| {
                Some(have.saturating_sub(n as u64))
            });
    }
}

/// Receives a host's sessions page by page, as soon as each page is read, when the caller
/// asked for them that way ([`OperationContext::with_session_pages`]).
///
/// Sessions handed here are not returned again: the host's outcome then carries no
/// sessions, only its status (a host that fails on page 50 has had pages 1 to 49 handed
/// here, then reports its error). Called inline on the task reading the host, in page
/// order per host: it must be cheap and must not block.
pub trait SessionPageSink: Send + Sync {
    /// One page of `host`'s sessions; pages are numbered from 1.
    fn page(&self, host: &BastionHost, page: u32, sessions: Vec<BastionSession>);

    /// Resolves when the sink can take another page. A listing awaits it before it asks
    /// for its next page, so a sink whose reader lags holds the reading back instead of
    /// letting unread pages pile up in memory. The wait ends early on cancellation or the
    /// deadline. The default never waits.
    fn room(&self) -> SinkRoom {
        Box::pin(std::future::ready(()))
    }
}

/// What [`SessionPageSink::room`] returns: a future that resolves when the sink has room.
pub type SinkRoom = std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// What one operation carries through every call: clone it freely (all shared).
#[derive(Clone)]
pub struct OperationContext {
    /// Cancel this to stop the operation; calls return [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled).
    pub cancel: CancellationToken,
    /// Where progress events go.
    pub progress: Arc<dyn ProgressSink>,
    /// When the operation must end; calls return [`ErrorKind::Timeout`](crate::error::ErrorKind::Timeout) after it.
    pub deadline: Option<Instant>,
    /// Counters.
    pub stats: Arc<OperationStats>,
    /// Where session listings hand each page of sessions, if the caller streams them.
    session_pages: Option<Arc<dyn SessionPageSink>>,
}

impl Default for OperationContext {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for OperationContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperationContext")
            .field("cancelled", &self.cancel.is_cancelled())
            .field("deadline", &self.deadline)
            .field("stats", &self.stats)
            .field("session_pages", &self.session_pages.is_some())
            .finish_non_exhaustive()
    }
}

impl OperationContext {
    /// No deadline, no progress, a fresh cancellation token.
    pub fn new() -> Self {
        OperationContext {
            cancel: CancellationToken::new(),
            progress: Arc::new(NoProgress),
            deadline: None,
            stats: Arc::new(OperationStats::default()),
            session_pages: None,
        }
    }

    /// Sets the deadline to `timeout` from now.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.deadline = Some(Instant::now() + timeout);
        self
    }

    /// Uses `token` for cancellation.
    pub fn with_cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// Sends progress events to `sink`.
    pub fn with_progress(mut self, sink: Arc<dyn ProgressSink>) -> Self {
        self.progress = sink;
        self
    }

    /// Hands the sessions of every host this context lists to `sink`, page by page as each
    /// page is read, instead of returning them in the host's outcome.
    pub fn with_session_pages(mut self, sink: Arc<dyn SessionPageSink>) -> Self {
        self.session_pages = Some(sink);
        self
    }

    /// The sink set by [`with_session_pages`](Self::with_session_pages), if any.
    pub fn session_pages(&self) -> Option<&Arc<dyn SessionPageSink>> {
        self.session_pages.as_ref()
    }

    /// Sends an event to the sink.
    pub fn emit(&self, event: ProgressEvent) {
        self.progress.emit(event);
    }

    /// Fails if cancelled or past the deadline.
    pub fn check(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            return Err(Error::cancelled());
        }
        if let Some(d) = self.deadline {
            if Instant::now() >= d {
                return Err(deadline_error());
            }
        }
        Ok(())
    }

    /// Time left before the deadline (`None` when there is none).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Runs `fut` unless the operation is cancelled or its deadline passes first.
    pub async fn run<T>(&self, fut: impl Future<Output = T>) -> Result<T> {
        self.check()?;
        let deadline = self.deadline;
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(Error::cancelled()),
            _ = async move {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending::<()>().await,
                }
            } => Err(deadline_error()),
            v = fut => Ok(v),
        }
    }

    /// Sleeps for `dur`, interrupted by cancellation or the deadline.
    pub async fn sleep(&self, dur: Duration) -> Result<()> {
        self.run(tokio::time::sleep(dur)).await
    }
}

fn deadline_error() -> Error {
    Error::timeout("the operation's deadline passed before it finished")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sleep_is_cut_by_cancel() {
        let ctx = OperationContext::new();
        let c = ctx.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            c.cancel();
        });
        let start = std::time::Instant::now();
        let e = ctx.sleep(Duration::from_secs(30)).await.unwrap_err();
        assert!(e.is_cancelled());
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn deadline_gives_timeout() {
        let ctx = OperationContext::new().with_timeout(Duration::from_millis(30));
        let e = ctx.sleep(Duration::from_secs(30)).await.unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Timeout);
    }
}
