//! The life of one C ABI call: the registry of calls by `operationId` ([`NativeCall`]: a
//! cancellation token and a bounded progress queue that `bastion_poll_progress` drains), and
//! [`execute`], which runs a call's async work ([`RunningCall`]) with its deadline and
//! cancellation. ("Native call", not "operation": ARM's operations are another thing.)
//!
//! A call is registered when it starts and marked finished when it returns. A finished call
//! stays only while it still has queued events, until the next poll takes them or,
//! unpolled, for [`FINISHED_RETENTION`].

use crate::buffers;
use crate::envelope::{ErrorKind, from_core};
use crate::request::CallSettings;
use crate::runtime;
use bastion_session::{BastionClient, OperationContext, ProgressEvent, ProgressSink};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use once_cell::sync::Lazy;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::envelope::FfiError;
use crate::events::EventType;
use crate::views::{HostResultEvent, HostSessionsOutcomeView};

/// Droppable events kept per call; past it the oldest `request` event goes first,
/// then the oldest other droppable event.
pub const MAX_QUEUED_EVENTS: usize = 4096;

/// How long a finished call's unpolled events are kept.
pub const FINISHED_RETENTION: Duration = Duration::from_secs(600);

/// Streamed sessions a call may hold unpolled before its listings wait for the next poll
/// (back-pressure: a reader slower than the network never has a host's pages pile up in
/// the library, only about this many sessions, a few megabytes).
pub(crate) const MAX_UNPOLLED_SESSIONS: usize = 10_000;

/// Streamed sessions one poll hands over at most (in whole `hostSessionsPage` events; a
/// single page larger than this still goes whole). The rest wait for the next poll, so no
/// poll envelope grows past a few pages: each envelope's buffer is held a while after it is
/// freed (see `buffers`), and ten pages in each made a listing's peak memory about 30 MB
/// larger.
pub(crate) const MAX_SESSIONS_PER_POLL: usize = 2_000;

/// How long a listing waits for a poll to make room before it concludes that nobody is
/// reading and stops waiting for the rest of the call (the sessions are then queued as
/// they come, as without back-pressure, so a caller that never polls cannot stall a call).
pub(crate) const ROOM_WAIT_LIMIT: Duration = Duration::from_secs(5);

/// How precious an event is when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Priority {
    /// Dropped first (`request` events).
    Low,
    /// Dropped when no `Low` event is left.
    Normal,
    /// Never dropped (`hostResult` carries data; `hostsDiscovered` is needed for totals).
    Keep,
}

struct Queued {
    priority: Priority,
    json: QueuedEvent,
}

/// A queued event: JSON written when it was queued, or a host result kept typed and
/// written once, when polled. [`QueuedEvent::write_to`] puts it into the poll's envelope.
pub(crate) enum QueuedEvent {
    /// An event already serialised.
    Json(Box<RawValue>),
    /// A `hostResult` event, serialised when polled.
    HostResult(Box<HostSessionsOutcomeView>),
    /// A `hostSessionsPage` event, serialised when queued into a page buffer (see
    /// `buffers::take_page`), and how many sessions it carries (for the back-pressure
    /// count).
    HostSessionsPage {
        /// The event's JSON (UTF-8).
        json: Vec<u8>,
        /// The sessions in it.
        sessions: usize,
    },
}

impl QueuedEvent {
    /// The streamed sessions the event carries (those of a `hostSessionsPage` event).
    fn session_count(&self) -> usize {
        match self {
            QueuedEvent::HostSessionsPage { sessions, .. } => *sessions,
            _ => 0,
        }
    }

    /// Appends the event's JSON to `out`; a page buffer goes back for the next page.
    pub(crate) fn write_to(self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            QueuedEvent::Json(raw) => out.extend_from_slice(raw.get().as_bytes()),
            QueuedEvent::HostResult(entry) => {
                serde_json::to_writer(&mut *out, &HostResultEvent::new(&entry))?
            }
            QueuedEvent::HostSessionsPage { json, .. } => {
                out.extend_from_slice(&json);
                buffers::give_back_page(json);
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct EventQueue {
    items: VecDeque<Queued>,
    droppable: usize,
    dropped: u64,
}

impl EventQueue {
    fn push(&mut self, priority: Priority, json: QueuedEvent) {
        if priority != Priority::Keep {
            if self.droppable >= MAX_QUEUED_EVENTS {
                let victim = self
                    .items
                    .iter()
                    .position(|q| q.priority == Priority::Low)
                    .or_else(|| {
                        self.items
                            .iter()
                            .position(|q| q.priority == Priority::Normal)
                    });
                if let Some(i) = victim {
                    self.items.remove(i);
                    self.droppable -= 1;
                    self.dropped += 1;
                }
            }
            self.droppable += 1;
        }
        self.items.push_back(Queued { priority, json });
    }

    /// Takes the events from the oldest on, stopping before a `hostSessionsPage` event
    /// that would take the sessions taken past `max_sessions` (the first event is always
    /// taken); the rest wait for the next poll. Also takes the count of dropped events.
    fn drain(&mut self, max_sessions: usize) -> (Vec<QueuedEvent>, u64) {
        let mut taken = Vec::new();
        let mut sessions = 0usize;
        while let Some(next) = self.items.front() {
            let carried = next.json.session_count();
            if !taken.is_empty() && carried > 0 && sessions + carried > max_sessions {
                break;
            }
            let Some(queued) = self.items.pop_front() else {
                break;
            };
            if queued.priority != Priority::Keep {
                self.droppable -= 1;
            }
            sessions += carried;
            taken.push(queued.json);
        }
        (taken, std::mem::take(&mut self.dropped))
    }
}

/// One running (or recently finished) call, as the registry holds it.
pub(crate) struct NativeCall {
    /// Cancelled by `bastion_cancel`; the core watches it.
    pub cancel: CancellationToken,
    tracked: bool,
    running: AtomicBool,
    queue: Mutex<EventQueue>,
    finished_at: Mutex<Option<Instant>>,
    /// Sessions queued in `hostSessionsPage` events and not yet polled.
    unpolled_sessions: AtomicUsize,
    /// Set when a wait for room gave up ([`ROOM_WAIT_LIMIT`]); cleared by the next poll.
    reader_absent: AtomicBool,
    /// Woken by every poll that takes events.
    polled: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means a panic elsewhere; the data (queues, maps) stays usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl NativeCall {
    fn new(tracked: bool) -> Self {
        NativeCall {
            cancel: CancellationToken::new(),
            tracked,
            running: AtomicBool::new(true),
            queue: Mutex::new(EventQueue::default()),
            finished_at: Mutex::new(None),
            unpolled_sessions: AtomicUsize::new(0),
            reader_absent: AtomicBool::new(false),
            polled: Notify::new(),
        }
    }

    /// Resolves when fewer than [`MAX_UNPOLLED_SESSIONS`] streamed sessions wait for a
    /// poll, or at once when nobody polls (see [`ROOM_WAIT_LIMIT`]).
    pub(crate) async fn room_for_sessions(&self) {
        if !self.tracked {
            return;
        }
        let wait = async {
            loop {
                let polled = self.polled.notified();
                tokio::pin!(polled);
                polled.as_mut().enable();
                if self.unpolled_sessions.load(Ordering::SeqCst) < MAX_UNPOLLED_SESSIONS
                    || self.reader_absent.load(Ordering::SeqCst)
                {
                    return;
                }
                polled.await;
            }
        };
        if tokio::time::timeout(ROOM_WAIT_LIMIT, wait).await.is_err() {
            tracing::debug!(target: "bastion_session_ffi", "no poll for {ROOM_WAIT_LIMIT:?}: streamed sessions are queued without waiting");
            self.reader_absent.store(true, Ordering::SeqCst);
        }
    }

    /// Queues `event` (serialised now) unless nobody can poll this call.
    pub(crate) fn push<T: Serialize + ?Sized>(&self, priority: Priority, event: &T) {
        if !self.tracked {
            return;
        }
        let Ok(json) = serde_json::value::to_raw_value(event) else {
            return;
        };
        lock(&self.queue).push(priority, QueuedEvent::Json(json));
    }

    /// Queues a `hostResult` event (never dropped), to be serialised once, when polled.
    pub(crate) fn push_host_result(&self, entry: HostSessionsOutcomeView) {
        if !self.tracked {
            return;
        }
        lock(&self.queue).push(Priority::Keep, QueuedEvent::HostResult(Box::new(entry)));
    }

    /// Queues a `hostSessionsPage` event (never dropped), serialised now: on the thread
    /// that read the page, into a page buffer used before, so that the poll that takes it,
    /// on the caller's thread, only copies its bytes, and the page's typed sessions are
    /// freed here, not there.
    pub(crate) fn push_host_sessions_page(&self, page: u32, entry: HostSessionsOutcomeView) {
        if !self.tracked {
            return;
        }
        let sessions = entry.session_count();
        let mut json = buffers::take_page();
        let event = match serde_json::to_writer(&mut json, &HostResultEvent::page(page, &entry)) {
            Ok(()) => QueuedEvent::HostSessionsPage { json, sessions },
            // Nothing in a view fails to serialise; should it ever, the caller still hears
            // of the page, as a host error instead of its sessions.
            Err(e) => {
                buffers::give_back_page(json);
                QueuedEvent::HostResult(Box::new(HostSessionsOutcomeView {
                    host: entry.host,
                    ok: false,
                    sessions: None,
                    error: Some(FfiError::internal(format!(
                        "internal error: page {page} of the host's sessions could not be written: {e}"
                    ))),
                }))
            }
        };
        if matches!(event, QueuedEvent::HostSessionsPage { .. }) {
            self.unpolled_sessions.fetch_add(sessions, Ordering::SeqCst);
        }
        lock(&self.queue).push(Priority::Keep, event);
    }
}

static REGISTRY: Lazy<Mutex<HashMap<String, Arc<NativeCall>>>> =
    Lazy::new(|| Mutex::new(HashMap::new()));

/// A started call; finishing it (on drop) marks it not running.
pub(crate) struct NativeCallHandle {
    id: Option<String>,
    call: Arc<NativeCall>,
}

impl NativeCallHandle {
    /// The registered call (its cancel token and progress queue).
    pub(crate) fn call(&self) -> &Arc<NativeCall> {
        &self.call
    }
}

impl Drop for NativeCallHandle {
    fn drop(&mut self) {
        self.call.running.store(false, Ordering::SeqCst);
        *lock(&self.call.finished_at) = Some(Instant::now());
        if let Some(id) = &self.id {
            let empty = lock(&self.call.queue).items.is_empty();
            if empty {
                let mut registry = lock(&REGISTRY);
                if registry.get(id).is_some_and(|o| Arc::ptr_eq(o, &self.call)) {
                    registry.remove(id);
                }
            }
        }
    }
}

/// Registers a call under `id` (if any). An `id` already used by a running call is
/// an `invalidRequest`; one of a finished call is replaced.
pub(crate) fn start(id: Option<&str>) -> Result<NativeCallHandle, FfiError> {
    let Some(id) = id else {
        return Ok(NativeCallHandle {
            id: None,
            call: Arc::new(NativeCall::new(false)),
        });
    };
    let call = Arc::new(NativeCall::new(true));
    let mut registry = lock(&REGISTRY);
    if registry
        .get(id)
        .is_some_and(|o| o.running.load(Ordering::SeqCst))
    {
        return Err(FfiError::invalid_request(
            "operationId",
            "is already used by a running call",
        ));
    }
    let now = Instant::now();
    registry.retain(|_, o| {
        o.running.load(Ordering::SeqCst)
            || lock(&o.finished_at).is_none_or(|t| now.duration_since(t) < FINISHED_RETENTION)
    });
    registry.insert(id.to_owned(), Arc::clone(&call));
    Ok(NativeCallHandle {
        id: Some(id.to_owned()),
        call,
    })
}

/// Cancels the running call `id`; `true` if there was one.
pub(crate) fn cancel(id: &str) -> bool {
    let registry = lock(&REGISTRY);
    match registry.get(id) {
        Some(op) if op.running.load(Ordering::SeqCst) => {
            op.cancel.cancel();
            true
        }
        _ => false,
    }
}

/// What `bastion_poll_progress` answers (written by `progress`).
pub(crate) struct Poll {
    /// Whether the call is still running.
    pub running: bool,
    /// The queued events, oldest first.
    pub events: Vec<QueuedEvent>,
    /// Events dropped since the last poll because the queue was full.
    pub dropped: u64,
}

/// Takes the queued events of `id`; forgets a finished call once drained.
pub(crate) fn poll(id: &str) -> Poll {
    let mut registry = lock(&REGISTRY);
    let Some(op) = registry.get(id).cloned() else {
        return Poll {
            running: false,
            events: Vec::new(),
            dropped: 0,
        };
    };
    // Read before draining: a call seen finished has queued all its events already.
    let running = op.running.load(Ordering::SeqCst);
    let (events, dropped, left) = {
        let mut queue = lock(&op.queue);
        let (events, dropped) = queue.drain(MAX_SESSIONS_PER_POLL);
        (events, dropped, !queue.items.is_empty())
    };
    let taken: usize = events.iter().map(QueuedEvent::session_count).sum();
    op.unpolled_sessions.fetch_sub(taken, Ordering::SeqCst);
    op.reader_absent.store(false, Ordering::SeqCst);
    op.polled.notify_waiters();
    if !running && !left {
        registry.remove(id);
    }
    Poll {
        running,
        events,
        dropped,
    }
}

// ---- running one call ---------------------------------------------------------------

/// Forwards the core's progress events into a call's queue.
struct QueueSink(Arc<NativeCall>);

impl ProgressSink for QueueSink {
    fn emit(&self, event: ProgressEvent) {
        let priority = match EventType::of(&event) {
            EventType::Request => Priority::Low,
            EventType::HostsDiscovered => Priority::Keep,
            _ => Priority::Normal,
        };
        self.0.push(priority, &event);
    }
}

/// A running call as its async work sees it: the client, the core's context, its
/// registry entry, its clock and deadline.
pub(crate) struct RunningCall {
    /// The client for this call's options.
    pub client: BastionClient,
    /// Cancellation (by `bastion_cancel`), deadline, progress, counters.
    pub ctx: OperationContext,
    /// The call's registry entry (to queue extra events such as `hostResult`).
    pub registered: Arc<NativeCall>,
    /// When the call started.
    pub started: Instant,
    /// The call's `timeoutSec`.
    pub timeout: Duration,
}

impl RunningCall {
    /// The error to answer with when the call was cancelled or passed its deadline, else
    /// `None`. RunningCall that returns data after an interruption answers this error with that
    /// data (see [`envelope::failure_with_data`](crate::envelope::failure_with_data)).
    pub(crate) fn interruption(&self) -> Option<FfiError> {
        if self.ctx.cancel.is_cancelled() {
            return Some(FfiError::cancelled());
        }
        self.ctx.check().err().map(|_| timeout_error(self.timeout))
    }
}

/// How long an interrupted call's work may take to hand back what it already knows (every
/// wait in the core ends at once on cancel or deadline; this only bounds bookkeeping).
const INTERRUPT_GRACE: Duration = Duration::from_millis(500);

fn timeout_error(timeout: Duration) -> FfiError {
    FfiError::new(
        ErrorKind::Timeout,
        format!(
            "the call did not finish within timeoutSec ({} s)",
            timeout.as_secs()
        ),
    )
}

/// Registers the call, runs `work` on the library runtime and blocks until it ends.
/// On a cancel or at the deadline the work gets [`INTERRUPT_GRACE`] to return what it
/// already knows (see [`RunningCall::interruption`]); past that the call answers `cancelled` or
/// `timeout` alone.
pub(crate) fn execute<T, F, Fut>(settings: CallSettings, work: F) -> Result<T, FfiError>
where
    F: FnOnce(RunningCall) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, FfiError>> + Send + 'static,
    T: Send + 'static,
{
    let handle = start(settings.operation_id.as_deref())?;
    let op = Arc::clone(handle.call());
    let op_id = settings.operation_id.clone().unwrap_or_default();
    let began = Instant::now();
    tracing::debug!(target: "bastion_session_ffi", operation_id = %op_id, endpoint = ?settings.options.arm_endpoint.as_ref().map(url::Url::as_str), "operation started");
    let timeout = settings.timeout;
    let options = settings.options;
    let outcome = runtime::run(async move {
        let started = Instant::now();
        let client = BastionClient::new(options).map_err(|e| from_core(&e))?;
        let ctx = OperationContext::new()
            .with_cancel(op.cancel.clone())
            .with_progress(Arc::new(QueueSink(Arc::clone(&op))))
            .with_timeout(timeout);
        let cancel = op.cancel.clone();
        let deadline = ctx
            .deadline
            .unwrap_or_else(|| tokio::time::Instant::now() + timeout);
        let fut = work(RunningCall {
            client,
            ctx,
            registered: op,
            started,
            timeout,
        });
        tokio::pin!(fut);
        let interrupted = tokio::select! {
            biased;
            _ = cancel.cancelled() => FfiError::cancelled(),
            _ = tokio::time::sleep_until(deadline) => timeout_error(timeout),
            r = &mut fut => return r,
        };
        match tokio::time::timeout(INTERRUPT_GRACE, fut).await {
            Ok(r) => r,
            Err(_) => Err(interrupted),
        }
    });
    drop(handle);
    let outcome = outcome?;
    tracing::debug!(
        target: "bastion_session_ffi",
        operation_id = %op_id,
        elapsed_ms = began.elapsed().as_millis() as u64,
        error = outcome.as_ref().err().map(|e| e.kind.name()),
        "operation finished"
    );
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn queue_drops_low_priority_first_and_keeps_results() {
        let mut q = EventQueue::default();
        let raw =
            |v: serde_json::Value| QueuedEvent::Json(serde_json::value::to_raw_value(&v).unwrap());
        let text = |e: QueuedEvent| {
            let mut out = Vec::new();
            e.write_to(&mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        q.push(Priority::Keep, raw(json!({"type": "hostResult"})));
        q.push(Priority::Normal, raw(json!({"type": "hostDone"})));
        for _ in 0..MAX_QUEUED_EVENTS {
            q.push(Priority::Low, raw(json!({"type": "request"})));
        }
        assert_eq!(q.dropped, 1);
        let (events, dropped) = q.drain(usize::MAX);
        assert_eq!(dropped, 1);
        assert_eq!(events.len(), MAX_QUEUED_EVENTS + 1);
        let mut events = events.into_iter();
        assert!(text(events.next().unwrap()).contains("hostResult"));
        assert!(text(events.next().unwrap()).contains("hostDone"));
    }

    fn page(sessions: usize) -> QueuedEvent {
        QueuedEvent::HostSessionsPage {
            json: format!(r#"{{"sessions":{sessions}}}"#).into_bytes(),
            sessions,
        }
    }

    #[test]
    fn a_poll_takes_pages_in_order_up_to_its_session_cap() {
        let mut q = EventQueue::default();
        q.push(
            Priority::Normal,
            QueuedEvent::Json(serde_json::value::to_raw_value(&json!({"type": "x"})).unwrap()),
        );
        for n in [1500, 400, 300, 5000, 10] {
            q.push(Priority::Keep, page(n));
        }
        let counts = |events: Vec<QueuedEvent>| -> Vec<usize> {
            events.iter().map(QueuedEvent::session_count).collect()
        };
        assert_eq!(counts(q.drain(2000).0), [0, 1500, 400]);
        assert_eq!(counts(q.drain(2000).0), [300]);
        // A page over the cap still goes, whole and alone.
        assert_eq!(counts(q.drain(2000).0), [5000]);
        assert_eq!(counts(q.drain(2000).0), [10]);
        assert!(q.items.is_empty());
        assert_eq!(q.droppable, 0);
    }

    #[test]
    fn a_finished_call_stays_until_a_poll_has_taken_its_last_page() {
        let h = start(Some("unit-op-capped")).unwrap();
        for _ in 0..3 {
            h.call()
                .unpolled_sessions
                .fetch_add(MAX_SESSIONS_PER_POLL, Ordering::SeqCst);
            lock(&h.call().queue).push(Priority::Keep, page(MAX_SESSIONS_PER_POLL));
        }
        drop(h);
        for left in [2, 1, 0] {
            let p = poll("unit-op-capped");
            assert!(!p.running);
            assert_eq!(p.events.len(), 1, "{left} pages left after this poll");
        }
        assert!(poll("unit-op-capped").events.is_empty());
    }

    #[test]
    fn lifecycle() {
        let h = start(Some("unit-op")).unwrap();
        assert!(start(Some("unit-op")).is_err());
        h.call().push(Priority::Normal, &json!({"type": "x"}));
        assert!(cancel("unit-op"));
        assert!(h.call().cancel.is_cancelled());
        let p = poll("unit-op");
        assert!(p.running && p.events.len() == 1);
        h.call().push(Priority::Normal, &json!({"type": "y"}));
        drop(h);
        assert!(!cancel("unit-op"));
        let p = poll("unit-op");
        assert!(!p.running && p.events.len() == 1);
        let p = poll("unit-op");
        assert!(!p.running && p.events.is_empty());
    }
}
