//! One session: a fresh isolate and context on a thread of its own, from `Execute` to result.
//!
//! A session thread starts *prepared*: it creates its isolate and context and runs the guest
//! environment's prelude before it knows which session it will be (see `Sessions` for
//! spares), then waits to be assigned one. It serves exactly one session and exits.

pub(crate) mod control;
mod run;

use std::sync::Arc;

use crate::sessions::Sessions;
use control::Control;
pub(crate) use run::{Limits, MESSAGE_MARKER, stopped_result};

/// Session threads get a generous stack: V8 sizes its own stack limit below it, and deep guest
/// recursion must end in a RangeError, never in a guard-page crash.
const STACK_SIZE: usize = 8 * 1024 * 1024;

/// Starts a thread that prepares an isolate for `memory_limit` bytes and waits for its session.
/// The thread sends the session's result, disposes its isolate, then reports to `sessions`, in
/// that order.
pub(crate) fn spawn(sessions: Arc<Sessions>, memory_limit: u64) -> std::io::Result<Arc<Control>> {
    let (control, inbox) = Control::new();
    let control = Arc::new(control);
    let thread_control = Arc::clone(&control);
    std::thread::Builder::new()
        .name("session-spare".into())
        .stack_size(STACK_SIZE)
        .spawn(move || run::main(&sessions, &thread_control, &inbox, memory_limit))?;
    Ok(control)
}

/// Renames the calling thread (as seen in /proc and debuggers); names are cut to 15 bytes.
fn name_thread(name: &str) {
    let mut bytes: Vec<u8> = name.bytes().take(15).collect();
    bytes.push(0);
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes from our buffer.
    unsafe { libc::prctl(libc::PR_SET_NAME, bytes.as_ptr() as libc::c_ulong, 0, 0, 0) };
}
