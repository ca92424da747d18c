//! One session: a fresh isolate and context on a thread of its own, from `Execute` to result.

pub(crate) mod control;
mod run;

use std::sync::{Arc, mpsc};

use secure_exec_proto::v1;
use tokio::sync::mpsc::UnboundedSender;

use crate::table::Table;
use crate::watchdog::Watchdog;
use control::{Control, Input};

/// Session threads get a generous stack: V8 sizes its own stack limit below it, and deep guest
/// recursion must end in a RangeError, never in a guard-page crash.
const STACK_SIZE: usize = 8 * 1024 * 1024;

/// Everything a session thread needs.
#[derive(Debug)]
pub(crate) struct Start {
    pub(crate) control: Arc<Control>,
    pub(crate) inbox: mpsc::Receiver<Input>,
    pub(crate) open: v1::OpenSession,
    pub(crate) sink: UnboundedSender<v1::WorkerMessage>,
    pub(crate) table: Arc<Table>,
    pub(crate) watchdog: Watchdog,
}

/// Starts the session's thread. The thread removes the session from the table and sends its
/// result as its last two acts, in that order, so the host never sees a result for a session
/// whose isolate is still alive.
pub(crate) fn spawn(start: Start) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(format!("session-{}", start.control.id))
        .stack_size(STACK_SIZE)
        .spawn(move || run::main(start))
        .map(drop)
}
