//! Serving a session's host calls off the I/O thread.
//!
//! Each session has a queue; up to [`threads_per_session`] threads of the blocking pool drain
//! it, and each reply goes straight to the connection's writer. Nothing here runs on the
//! driver thread but `submit`, which queues: a slow filesystem (the embedder's, or a network
//! mount) delays its own session's calls and no one else's I/O. The exception is a small step
//! on the session's private in-memory root (`world::served_inline`: a stat, 64 KiB read or
//! written, never a listing, a recursion or a link), answered in `submit` itself while none
//! of the session's calls is on the pool: it costs less than the two thread hand-offs the
//! pool would add (a `statSync` round trip went from 0.25–0.32 to 0.14–0.23 ms). A call
//! beyond the session's bound on calls in flight is answered at once with
//! `ERR_HOST_CALL_LIMIT`.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use secure_exec_proto::limits;
use secure_exec_proto::v1::{self, host_message};
use tokio::sync::mpsc;

use crate::world::{self, SessionWorld};

/// Blocking-pool threads one session's calls may occupy at once: as many as the machine has
/// cores, from 2 to 8, so that one session cannot take the whole pool. Module loading sends a
/// level of requires at once; on a small machine more threads than cores only add wake-ups
/// (measured on 2 cores: a session requiring semver, 45 files, cost the host 4.1 ms of CPU
/// with 8 threads, 2.8 ms with 2).
fn threads_per_session() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8))
}

/// One session's host calls.
pub(crate) struct CallQueue {
    world: Arc<SessionWorld>,
    outbox: mpsc::UnboundedSender<v1::HostMessage>,
    data_cap: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    waiting: VecDeque<v1::HostCall>,
    /// Threads draining the queue.
    draining: usize,
    /// Calls received and not yet answered.
    in_flight: usize,
}

fn send(outbox: &mpsc::UnboundedSender<v1::HostMessage>, reply: v1::HostReply) {
    // The writer only goes away with the connection, and then nobody waits for the reply.
    let _ = outbox.send(v1::HostMessage { kind: Some(host_message::Kind::HostReply(reply)) });
}

impl CallQueue {
    pub(crate) fn new(
        world: Arc<SessionWorld>,
        outbox: mpsc::UnboundedSender<v1::HostMessage>,
        max_frame_len: usize,
    ) -> Arc<Self> {
        Arc::new(Self {
            world,
            outbox,
            data_cap: limits::host_data_cap(max_frame_len),
            state: Mutex::new(State::default()),
        })
    }

    /// The session has its result: calls still queued are not carried out.
    pub(crate) fn end(&self) {
        self.world.end();
    }

    /// Queues `call`, starting a thread to drain the queue if the session may have another.
    pub(crate) fn submit(self: &Arc<Self>, call: v1::HostCall) {
        if let Some(v1::host_call::Op::Resolve(resolve)) = &call.op {
            if let Some(mut reply) = world::resolved_inline(&self.world, resolve, self.data_cap) {
                if !self.world.ended() {
                    reply.session_id = call.session_id;
                    reply.call_id = call.call_id;
                    send(&self.outbox, reply);
                }
                return;
            }
        }
        let start = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.in_flight >= limits::MAX_HOST_CALLS_IN_FLIGHT {
                drop(state);
                send(
                    &self.outbox,
                    v1::HostReply {
                        session_id: call.session_id,
                        call_id: call.call_id,
                        error_code: "ERR_HOST_CALL_LIMIT".into(),
                        error_message: format!(
                            "a session may have at most {} host calls in flight",
                            limits::MAX_HOST_CALLS_IN_FLIGHT
                        ),
                        ..Default::default()
                    },
                );
                return;
            }
            state.in_flight += 1;
            if let Some(v1::host_call::Op::Net(net)) = call.op {
                drop(state);
                self.serve_net(call.session_id, call.call_id, net);
                return;
            }
            // Only while none of the session's calls is on the pool: a pool thread serving one
            // may hold the lock of the session's root.
            if state.draining == 0 && world::served_inline(&self.world, &call.op) {
                drop(state);
                self.serve(call);
                return;
            }
            state.waiting.push_back(call);
            let start = state.draining < threads_per_session();
            if start {
                state.draining += 1;
            }
            start
        };
        if start {
            let queue = Arc::clone(self);
            tokio::task::spawn_blocking(move || queue.drain());
        }
    }

    /// A network call runs as a task on the I/O thread: it waits on sockets, never on files.
    fn serve_net(self: &Arc<Self>, session_id: u64, call_id: u64, call: v1::NetCall) {
        let queue = Arc::clone(self);
        tokio::spawn(async move {
            let reply = queue.world.net().serve(call, queue.data_cap).await;
            // A session that has its result needs no more answers.
            queue.answered(session_id, call_id, (!queue.world.ended()).then_some(reply));
        });
    }

    /// A call is over: it no longer counts as in flight, and its reply, if the session still
    /// wants one, goes to the writer.
    fn answered(&self, session_id: u64, call_id: u64, reply: Option<v1::HostReply>) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).in_flight -= 1;
        if let Some(mut reply) = reply {
            reply.session_id = session_id;
            reply.call_id = call_id;
            send(&self.outbox, reply);
        }
    }

    fn drain(&self) {
        loop {
            let call = {
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                match state.waiting.pop_front() {
                    Some(call) => call,
                    None => {
                        state.draining -= 1;
                        return;
                    }
                }
            };
            self.serve(call);
        }
    }

    /// Carries out one call and sends its reply.
    fn serve(&self, call: v1::HostCall) {
        let (session_id, call_id) = (call.session_id, call.call_id);
        // A session that has its result needs no more answers.
        let reply = (!self.world.ended()).then(|| {
            let served = catch_unwind(AssertUnwindSafe(|| {
                world::serve(&self.world, call.op, self.data_cap)
            }));
            served.unwrap_or_else(|_| v1::HostReply {
                error_code: "EIO".into(),
                error_message: "i/o error (the host's filesystem failed)".into(),
                ..Default::default()
            })
        });
        self.answered(session_id, call_id, reply);
    }
}
