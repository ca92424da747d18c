//! Delivering a session's output to the embedder's `on_output` callback, off the I/O thread.
//!
//! The connection actor serves every session of its worker and the driver thread serves every
//! worker, so no user code may run there: a callback that blocks would stall every worker's
//! heartbeat, one that panics would end the actor. Each session with a callback gets a task on
//! the blocking pool instead, fed through an unbounded channel (bounded in practice by the
//! session's output cap, which the actor enforces before queueing). The session's report goes
//! through the same channel, after its output: the caller gets its result once the callback
//! has seen every chunk. A slow callback therefore slows only its own session; a panicking one
//! stops being called, its session is cancelled, and the result says why.

use std::panic::{AssertUnwindSafe, catch_unwind};

use tokio::sync::{mpsc, oneshot};

use super::actor::Command;
use crate::ErrorCode;
use crate::options::{OutputCallback, OutputStream};
use crate::result::Report;

enum Item {
    Chunk(OutputStream, String),
    Finish(Report, oneshot::Sender<Report>),
}

/// The sending side, held by the actor for one session.
pub(crate) struct Delivery {
    items: mpsc::UnboundedSender<Item>,
}

impl Delivery {
    /// Starts delivering to `callback`; a panic in it sends `Command::CallbackPanicked(id)` to
    /// the actor so that the session is cancelled.
    pub(crate) fn start(
        id: u64,
        callback: OutputCallback,
        commands: mpsc::UnboundedSender<Command>,
    ) -> Self {
        let (items, mut inbox) = mpsc::unbounded_channel();
        tokio::task::spawn_blocking(move || {
            let mut panicked: Option<String> = None;
            while let Some(item) = inbox.blocking_recv() {
                match item {
                    Item::Chunk(stream, text) => {
                        if panicked.is_some() {
                            continue;
                        }
                        let call = catch_unwind(AssertUnwindSafe(|| callback(stream, &text)));
                        if let Err(payload) = call {
                            panicked = Some(panic_message(payload.as_ref()));
                            let _ = commands.send(Command::CallbackPanicked(id));
                        }
                    }
                    Item::Finish(mut report, done) => {
                        if let Some(message) = panicked.take() {
                            report.code = 1;
                            report.error_code = Some(ErrorCode::OutputCallback);
                            report.error_message = Some(format!(
                                "{}: the on_output callback panicked ({message}); the session \
                                 was stopped",
                                ErrorCode::OutputCallback.as_str()
                            ));
                        }
                        let _ = done.send(report);
                        return;
                    }
                }
            }
        });
        Self { items }
    }

    pub(crate) fn chunk(&self, stream: OutputStream, text: String) {
        let _ = self.items.send(Item::Chunk(stream, text));
    }

    /// Hands over the session's report, to be sent once every chunk before it is delivered.
    pub(crate) fn finish(self, report: Report, done: oneshot::Sender<Report>) {
        if let Err(mpsc::error::SendError(Item::Finish(report, done))) =
            self.items.send(Item::Finish(report, done))
        {
            // The task is gone (the runtime is shutting down): answer directly.
            let _ = done.send(report);
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}
