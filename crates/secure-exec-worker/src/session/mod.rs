//! One session: a fresh isolate and context on a thread of its own, from `Execute` to result.
//!
//! A session thread starts *prepared* (`prepared.rs`): it creates its isolate and context and
//! runs the guest environment's prelude before it knows which session it will be (see
//! `admission.rs` for spares), then waits to be assigned one (`thread.rs`). It serves exactly
//! one session — the event loop in `event_loop.rs`, the result in `verdict.rs` — and exits.

mod event_loop;
mod limits;
mod prepared;
mod thread;
mod verdict;

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use secure_exec_proto::v1;

use crate::control::{Control, Input};
use crate::watchdog::Watchdog;
pub(crate) use limits::Limits;
pub(crate) use verdict::stopped_result;

/// What a session thread needs from the part of the worker that admitted it (kept to a trait,
/// so that sessions do not depend on admission, which starts them).
pub(crate) trait Admitter: Send + Sync {
    /// Where results and output go (the connection's writer).
    fn sink(&self) -> &Sender<v1::WorkerMessage>;
    /// The CPU-time and wall-clock watchdog.
    fn watchdog(&self) -> &Watchdog;
    /// The frame limit agreed with the host; results are bounded by it.
    fn frame_len(&self) -> usize;
    /// Called once the session's result is sent and its isolate disposed: its slot is free.
    fn finished(self: Arc<Self>, id: u64);
    /// A spare that waited [`SPARE_IDLE`](thread) unassigned asks to retire: `true` if it was
    /// still a spare (it then disposes its isolate and calls [`Admitter::retired`]), `false` if
    /// it is being assigned a session right now.
    fn retire(&self, control: &Arc<Control>) -> bool;
    /// A retired spare's isolate is gone.
    fn retired(&self);
}

/// What one running session is: shared by the event loop and result building, so that they
/// need no long argument lists.
#[derive(Clone, Copy)]
struct Session<'a> {
    control: &'a Arc<Control>,
    open: &'a v1::OpenSession,
    execute: &'a v1::Execute,
    limits: Limits,
    inbox: &'a Receiver<Input>,
}

/// Session threads get a generous stack: V8 sizes its own stack limit below it, and deep guest
/// recursion must end in a RangeError, never in a guard-page crash.
const STACK_SIZE: usize = 8 * 1024 * 1024;

/// Starts a thread that prepares an isolate for `memory_limit` bytes and waits for its session.
/// The thread sends the session's result, disposes its isolate, then reports to its admitter, in
/// that order. A `spare` (made before its session is known) also builds ahead the parts of the
/// guest environment recent sessions used (`guest::demand`); a thread started for a waiting
/// session builds them only if its session uses them.
pub(crate) fn spawn(
    admitter: Arc<dyn Admitter>,
    memory_limit: u64,
    spare: bool,
) -> std::io::Result<Arc<Control>> {
    let (control, inbox) = Control::new();
    let control = Arc::new(control);
    let thread_control = Arc::clone(&control);
    std::thread::Builder::new()
        .name("session-spare".into())
        .stack_size(STACK_SIZE)
        .spawn(move || thread::main(&admitter, &thread_control, &inbox, memory_limit, spare))?;
    Ok(control)
}

/// Renames the calling thread (as seen in /proc and debuggers); names are cut to 15 bytes.
fn name_thread(name: &str) {
    let mut bytes: Vec<u8> = name.bytes().take(15).collect();
    bytes.push(0);
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes from our buffer.
    unsafe { libc::prctl(libc::PR_SET_NAME, bytes.as_ptr() as libc::c_ulong, 0, 0, 0) };
}
