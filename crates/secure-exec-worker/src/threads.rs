//! A tally of the worker's threads, for stats: after the sandbox the worker cannot read
//! `/proc/self`, so it counts what it starts.

use std::sync::atomic::{AtomicU32, Ordering};

static LIVE: AtomicU32 = AtomicU32::new(1);

/// Counts the calling thread as live until the returned guard drops.
pub(crate) fn enter() -> Live {
    LIVE.fetch_add(1, Ordering::Relaxed);
    Live(())
}

/// Counts `n` threads that live as long as the process (V8's platform workers).
pub(crate) fn add_permanent(n: u32) {
    LIVE.fetch_add(n, Ordering::Relaxed);
}

/// Threads alive now.
pub(crate) fn count() -> u32 {
    LIVE.load(Ordering::Relaxed)
}

/// One live thread.
#[derive(Debug)]
pub(crate) struct Live(());

impl Drop for Live {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}
