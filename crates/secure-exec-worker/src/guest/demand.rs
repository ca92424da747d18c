//! Which lazily built parts of the guest environment recent sessions used, so that spares
//! build those parts ahead of demand.
//!
//! The module loader (`node.js`), the npm implementations of built-ins (`vendor.js`) and the
//! web globals (`web.js`) are built on a session's first use, since sessions that use none
//! should pay nothing for them; built in a spare instead, they cost a session nothing on its
//! latency path (2 ms for the loader, 0.9 ms for the web globals, on a 2-core machine). Only our own scripts are built ahead, and
//! only their top levels, which read nothing of any session: a spare still serves one session
//! and has run no guest code. Each part is built ahead once half of the last
//! [`WINDOW`] sessions used it, so a worker whose sessions stop requiring stops paying for it.

use std::sync::atomic::{AtomicU32, Ordering};

/// `PART.NODE` in prelude.js: the module loader and the built-ins written here.
pub(crate) const NODE: u32 = 1;
/// `PART.VENDOR`: the npm implementations of built-ins.
pub(crate) const VENDOR: u32 = 2;
/// `PART.WEB`: the web platform globals (`performance`, `URL`, `TextDecoder`, ...).
pub(crate) const WEB: u32 = 4;
const PARTS: [u32; 3] = [NODE, VENDOR, WEB];

/// Sessions remembered per part.
const WINDOW: u32 = 8;

/// Smallest memory limit a spare builds parts ahead for: what they put on the heap (0.8 MB)
/// then counts against a session that may never use them, which a small budget should not
/// carry, and a spare must not meet its limit before its session is known.
pub(crate) const MIN_MEMORY_LIMIT: u64 = 32 * 1024 * 1024;

/// Per part, a bit per recent session (newest lowest): whether it used the part.
static RECENT: [AtomicU32; 3] = [AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0)];

/// Records which parts (a mask) a finished session used.
pub(crate) fn record(used: u32) {
    for (part, recent) in PARTS.iter().zip(&RECENT) {
        let bit = u32::from(used & part != 0);
        let _ = recent.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
            Some(((bits << 1) | bit) & ((1 << WINDOW) - 1))
        });
    }
}

/// The parts (a mask) a spare should build ahead.
pub(crate) fn wanted() -> u32 {
    PARTS
        .iter()
        .zip(&RECENT)
        .filter(|(_, recent)| recent.load(Ordering::Relaxed).count_ones() * 2 >= WINDOW)
        .fold(0, |mask, (part, _)| mask | part)
}
