//! The buffers envelopes are serialised into, and what happens to them after
//! `bastion_string_free`: a short quarantine, then reuse.
//!
//! Reuse: writing into memory the process has touched before is about eight times faster
//! than into fresh pages (100,000 sessions: 32 ms against 250–350 ms on the development
//! machine, where each first touch of a page costs a fault), and a streamed listing writes
//! one envelope per poll. So a few freed buffers are kept for the next envelopes
//! ([`SPARE_BUFFERS`], up to [`SPARE_BUFFER_MAX_BYTES`] each).
//!
//! Quarantine: a buffer handed out again at once would come back at the address the caller
//! just freed, and then a careless second `bastion_string_free` of the old pointer would
//! free the new string instead of being ignored (the table of live strings in `memory`
//! recognises addresses, not strings). So a freed buffer is held, untouched, until
//! [`QUARANTINED_BUFFERS`] more strings were freed after it: within that window no
//! envelope can be written at its address, neither from the spares nor by the allocator.
//! To bound the memory held, the quarantine also lets its oldest buffers go early once it
//! holds more than [`QUARANTINE_MAX_BYTES`]; the most recently freed buffer always stays.
//!
//! Streamed pages: a listing serialises each page of sessions into a buffer of its own when
//! it reads the page, and the next poll copies it into its envelope. Those buffers are
//! used again for later pages ([`take_page`], [`give_back_page`]) for the same reason.
//!
//! This module sits below both `envelope` (which takes buffers) and `memory` (which gives
//! them back), so those two do not import each other.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

/// How many freed envelope buffers are kept for reuse once out of quarantine.
pub(crate) const SPARE_BUFFERS: usize = 2;

/// The largest freed buffer kept for reuse (64 MiB); larger ones go back to the allocator
/// when they leave the quarantine.
pub(crate) const SPARE_BUFFER_MAX_BYTES: usize = 64 * 1024 * 1024;

/// How many later frees a freed buffer waits for before its memory can hold a new
/// envelope (see the module's documentation).
pub(crate) const QUARANTINED_BUFFERS: usize = 4;

/// The most the quarantine holds in all (128 MiB): past it, its oldest buffers leave
/// early, except the most recently freed one.
pub(crate) const QUARANTINE_MAX_BYTES: usize = 128 * 1024 * 1024;

/// Freed buffers: in quarantine (oldest first), and spares ready for reuse.
struct Pool {
    quarantine: VecDeque<Vec<u8>>,
    quarantined_bytes: usize,
    spare: Vec<Vec<u8>>,
}

impl Pool {
    const fn new() -> Self {
        Pool {
            quarantine: VecDeque::new(),
            quarantined_bytes: 0,
            spare: Vec::new(),
        }
    }

    /// Puts `buffer` into quarantine; returns the buffers that left it and are neither
    /// kept as spares (too large, or enough spares) for the caller to free.
    fn admit(&mut self, buffer: Vec<u8>) -> Vec<Vec<u8>> {
        let mut released = Vec::new();
        self.quarantined_bytes += buffer.capacity();
        self.quarantine.push_back(buffer);
        while self.quarantine.len() > QUARANTINED_BUFFERS
            || (self.quarantined_bytes > QUARANTINE_MAX_BYTES && self.quarantine.len() > 1)
        {
            let Some(mut old) = self.quarantine.pop_front() else {
                break;
            };
            self.quarantined_bytes -= old.capacity();
            if old.capacity() <= SPARE_BUFFER_MAX_BYTES && self.spare.len() < SPARE_BUFFERS {
                old.clear();
                self.spare.push(old);
            } else {
                released.push(old);
            }
        }
        released
    }
}

static POOL: Mutex<Pool> = Mutex::new(Pool::new());

fn pool() -> MutexGuard<'static, Pool> {
    // A poisoned lock only means a panic elsewhere; the buffers stay usable.
    POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An empty buffer to serialise an envelope into: a spare one when there is one.
pub(crate) fn take() -> Vec<u8> {
    pool().spare.pop().unwrap_or_default()
}

/// Takes back the buffer of a freed string: it enters the quarantine, and the buffer that
/// leaves it (if any) becomes a spare or goes back to the allocator.
pub(crate) fn give_back(buffer: Vec<u8>) {
    let released = pool().admit(buffer);
    // Large buffers are returned to the allocator outside the lock.
    drop(released);
}

// ---- streamed pages ------------------------------------------------------------------

/// How many emptied page buffers are kept: the pages a listing may hold unpolled
/// (10,000 sessions, ten pages of 1,000), and two more.
pub(crate) const SPARE_PAGE_BUFFERS: usize = 12;

/// The largest page buffer kept (4 MiB); larger ones go back to the allocator.
pub(crate) const SPARE_PAGE_BUFFER_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Buffers that a streamed page's `hostSessionsPage` event is serialised into when the
/// page is read, until a poll copies it into its envelope. Never handed to the caller, so
/// no quarantine: a buffer is reused as soon as its page was copied, and a listing of many
/// pages writes each one into memory already touched.
static PAGE_SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

fn page_spare() -> MutexGuard<'static, Vec<Vec<u8>>> {
    // A poisoned lock only means a panic elsewhere; the buffers stay usable.
    PAGE_SPARE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An empty buffer to serialise a page event into: a kept one when there is one.
pub(crate) fn take_page() -> Vec<u8> {
    page_spare().pop().unwrap_or_default()
}

/// Takes back a page buffer whose bytes were copied: kept for the next page, unless
/// enough are kept or it is too large.
pub(crate) fn give_back_page(mut buffer: Vec<u8>) {
    if buffer.capacity() == 0 || buffer.capacity() > SPARE_PAGE_BUFFER_MAX_BYTES {
        return;
    }
    buffer.clear();
    let mut spare = page_spare();
    if spare.len() < SPARE_PAGE_BUFFERS {
        spare.push(buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_buffer_given_back_is_taken_again_empty_within_the_limits() {
        let mut buffer = take_page();
        buffer.extend_from_slice(&[b'x'; 5000]);
        let address = buffer.as_ptr() as usize;
        give_back_page(buffer);
        // Other tests may take page buffers meanwhile; ours is kept or handed out again.
        let again = take_page();
        assert!(again.is_empty());
        let kept = again.as_ptr() as usize == address
            || page_spare().iter().any(|b| b.as_ptr() as usize == address);
        assert!(kept, "the page buffer given back was not kept");
        give_back_page(again);
        let huge = Vec::with_capacity(SPARE_PAGE_BUFFER_MAX_BYTES + 1);
        let address = huge.as_ptr() as usize;
        give_back_page(huge);
        assert!(!page_spare().iter().any(|b| b.as_ptr() as usize == address));
        for _ in 0..SPARE_PAGE_BUFFERS + 3 {
            give_back_page(Vec::with_capacity(16));
        }
        assert!(page_spare().len() <= SPARE_PAGE_BUFFERS);
    }

    #[test]
    fn a_freed_buffer_waits_in_quarantine_then_is_reused_within_the_limits() {
        let mut pool = Pool::new();
        let first = Vec::<u8>::with_capacity(1000);
        let address = first.as_ptr() as usize;
        assert!(pool.admit(first).is_empty());
        for _ in 0..QUARANTINED_BUFFERS {
            assert!(pool.spare.is_empty(), "a buffer left quarantine too early");
            assert!(pool.admit(Vec::with_capacity(10)).is_empty());
        }
        // Now the first one is out of quarantine, and the next envelope may use it.
        assert_eq!(pool.spare.pop().map(|b| b.as_ptr() as usize), Some(address));
        // A buffer over the spare limit goes back to the allocator when it leaves.
        pool.admit(Vec::with_capacity(SPARE_BUFFER_MAX_BYTES + 1));
        let mut released = Vec::new();
        for _ in 0..QUARANTINED_BUFFERS {
            released.extend(pool.admit(Vec::with_capacity(10)));
        }
        assert!(
            released
                .iter()
                .any(|b| b.capacity() > SPARE_BUFFER_MAX_BYTES)
        );
        assert!(pool.spare.len() <= SPARE_BUFFERS);
        assert!(
            pool.spare
                .iter()
                .all(|b| b.capacity() <= SPARE_BUFFER_MAX_BYTES)
        );
        assert_eq!(pool.quarantine.len(), QUARANTINED_BUFFERS);
    }

    #[test]
    fn the_quarantine_lets_its_oldest_go_past_its_byte_limit_but_keeps_the_newest() {
        let mut pool = Pool::new();
        // Capacity only: these pages are never touched.
        let big = QUARANTINE_MAX_BYTES / 2 + 1;
        for _ in 0..3 {
            drop(pool.admit(Vec::with_capacity(big)));
        }
        assert_eq!(pool.quarantine.len(), 1);
        assert!(pool.quarantined_bytes <= big + 64);
        // The newest stays even when it alone is over the limit.
        drop(pool.admit(Vec::with_capacity(QUARANTINE_MAX_BYTES + 1)));
        assert_eq!(pool.quarantine.len(), 1);
    }
}
