//! The worker's live sessions, and the session budget it enforces on its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::session::control::{Control, Stop, lock};

/// Why a session could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `max_sessions` sessions are already live.
    Full,
    /// A live session already has this id.
    DuplicateId,
}

#[derive(Debug)]
pub(crate) struct Table {
    max_sessions: usize,
    live: Mutex<HashMap<u64, Arc<Control>>>,
    emptied: Condvar,
    total: AtomicU64,
}

impl Table {
    pub(crate) fn new(max_sessions: usize) -> Self {
        Self {
            max_sessions: max_sessions.max(1),
            live: Mutex::default(),
            emptied: Condvar::new(),
            total: AtomicU64::new(0),
        }
    }

    /// Admits a session if the budget allows. A session stays counted until its thread has
    /// disposed its isolate, so the number of live isolates never exceeds `max_sessions`.
    pub(crate) fn admit(&self, control: Arc<Control>) -> Result<(), Refusal> {
        let mut live = lock(&self.live);
        if live.contains_key(&control.id) {
            return Err(Refusal::DuplicateId);
        }
        if live.len() >= self.max_sessions {
            return Err(Refusal::Full);
        }
        live.insert(control.id, control);
        self.total.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    pub(crate) fn get(&self, id: u64) -> Option<Arc<Control>> {
        lock(&self.live).get(&id).cloned()
    }

    pub(crate) fn remove(&self, id: u64) {
        let mut live = lock(&self.live);
        live.remove(&id);
        if live.is_empty() {
            self.emptied.notify_all();
        }
    }

    pub(crate) fn max_sessions(&self) -> usize {
        self.max_sessions
    }

    /// (live sessions, sessions ever admitted, heap used, heap total).
    pub(crate) fn stats(&self) -> (usize, u64, u64, u64) {
        let live = lock(&self.live);
        let (used, total) = live.values().fold((0, 0), |(u, t), control| {
            let (cu, ct) = control.heap();
            (u + cu, t + ct)
        });
        (live.len(), self.total.load(Ordering::Relaxed), used, total)
    }

    /// Stops every live session and waits (bounded) for their threads to finish.
    pub(crate) fn stop_all(&self, reason: Stop, wait: Duration) -> bool {
        let live = lock(&self.live);
        for control in live.values() {
            control.stop(reason);
        }
        let (live, _) = self
            .emptied
            .wait_timeout_while(live, wait, |live| !live.is_empty())
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.is_empty()
    }
}
