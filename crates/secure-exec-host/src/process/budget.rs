//! The per-process session budget: at most `max_sessions` running, a bounded FIFO queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a session got no slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Denied {
    /// `max_queued` sessions were already waiting.
    QueueFull,
    /// The wait went past `queue_timeout`.
    QueueTimeout,
    /// The process crashed or was disposed.
    Closed,
}

/// Slots for running sessions. Tokio's semaphore hands permits out in request order, so the
/// queue is FIFO across every runtime sharing the process.
#[derive(Debug)]
pub(crate) struct Budget {
    slots: Arc<Semaphore>,
    max_sessions: usize,
    waiting: AtomicUsize,
    max_queued: usize,
    queue_timeout: Duration,
}

/// A running session's slot; dropping it frees the slot.
pub(crate) type Slot = OwnedSemaphorePermit;

impl Budget {
    pub(crate) fn new(max_sessions: usize, max_queued: usize, queue_timeout: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max_sessions)),
            max_sessions,
            waiting: AtomicUsize::new(0),
            max_queued,
            queue_timeout,
        }
    }

    pub(crate) async fn acquire(&self) -> Result<Slot, Denied> {
        match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(slot) => return Ok(slot),
            Err(tokio::sync::TryAcquireError::Closed) => return Err(Denied::Closed),
            Err(tokio::sync::TryAcquireError::NoPermits) => {}
        }
        let queued = self.waiting.fetch_add(1, Ordering::SeqCst);
        struct Leave<'a>(&'a AtomicUsize);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _leave = Leave(&self.waiting);
        if queued >= self.max_queued {
            return Err(Denied::QueueFull);
        }
        match tokio::time::timeout(self.queue_timeout, Arc::clone(&self.slots).acquire_owned())
            .await
        {
            Ok(Ok(slot)) => Ok(slot),
            Ok(Err(_)) => Err(Denied::Closed),
            Err(_) => Err(Denied::QueueTimeout),
        }
    }

    /// Slots held by running sessions (0 once closed).
    pub(crate) fn in_use(&self) -> usize {
        if self.slots.is_closed() {
            return 0;
        }
        self.max_sessions.saturating_sub(self.slots.available_permits())
    }

    /// Sessions waiting for a slot.
    pub(crate) fn queued(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Fails every waiting and future acquire with [`Denied::Closed`].
    pub(crate) fn close(&self) {
        self.slots.close();
    }
}
