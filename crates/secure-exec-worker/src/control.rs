//! What the rest of the worker knows about a running session, and how it is stopped.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use secure_exec_proto::v1;
use std::sync::mpsc;

/// Why a session stopped before its code finished on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The session's thread used more CPU time than its limit.
    CpuTimeLimit,
    /// The session ran longer than its wall-clock limit.
    Timeout,
    /// The V8 heap or ArrayBuffer memory went past the session's budget.
    MemoryLimit,
    /// The host cancelled the session.
    Cancelled,
    /// The host closed the connection or asked the worker to shut down.
    Shutdown,
    /// The guest asked for more pending timers than a session may have.
    TimerLimit,
    /// The guest called `process.exit(code)`.
    Exit(i32),
    /// An exception escaped a microtask (already recorded by the session).
    Uncaught,
}

/// Messages to a session's thread.
#[derive(Debug)]
pub(crate) enum Input {
    /// A prepared thread becomes this session.
    Assign(Box<v1::OpenSession>),
    /// The code to run; the first and only `Execute` starts the session.
    Execute(v1::Execute),
    /// Something changed (a stop was requested): re-check instead of sleeping on.
    Wake,
}

/// Shared between the session's thread, the connection (cancel, shutdown) and the watchdog.
#[derive(Debug)]
pub(crate) struct Control {
    /// The session id; 0 while the thread is a spare not yet assigned to a session.
    id: AtomicU64,
    stop: Mutex<Option<Stop>>,
    isolate: Mutex<Option<v8::IsolateHandle>>,
    input: mpsc::Sender<Input>,
    heap_used: AtomicU64,
    heap_total: AtomicU64,
    /// Host replies not yet taken by the session thread, and the signal that one came (or a
    /// stop did) for a thread blocked on a call.
    replies: Mutex<VecDeque<v1::HostReply>>,
    replied: Condvar,
}

/// How a blocking host call ended without its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unanswered {
    /// The session was stopped while it waited.
    Stopped(Stop),
    /// No reply within the wait's bound.
    TimedOut,
}

impl Control {
    pub(crate) fn new() -> (Self, mpsc::Receiver<Input>) {
        let (input, inbox) = mpsc::channel();
        let control = Self {
            id: AtomicU64::new(0),
            stop: Mutex::new(None),
            isolate: Mutex::new(None),
            input,
            heap_used: AtomicU64::new(0),
            heap_total: AtomicU64::new(0),
            replies: Mutex::new(VecDeque::new()),
            replied: Condvar::new(),
        };
        (control, inbox)
    }

    pub(crate) fn id(&self) -> u64 {
        self.id.load(Ordering::Relaxed)
    }

    /// Makes this (prepared) thread the session `open` describes.
    pub(crate) fn assign(&self, open: v1::OpenSession) {
        self.id.store(open.session_id, Ordering::Relaxed);
        // A send error means the thread is gone; the session then never reports, which the
        // caller cannot tell apart from a crash. Threads only exit on their own after a stop.
        let _ = self.input.send(Input::Assign(Box::new(open)));
    }

    /// Delivers the session's code to its thread.
    pub(crate) fn execute(&self, execute: v1::Execute) {
        // A send error means the thread already ended (for example it was cancelled while
        // waiting); there is nobody left to run the code, which is what we want.
        let _ = self.input.send(Input::Execute(execute));
    }

    /// Requests that the session stop for `reason`. The first reason wins; later ones are
    /// ignored so that, say, a timeout racing a memory limit reports the one that happened first.
    pub(crate) fn stop(&self, reason: Stop) -> bool {
        {
            let mut stop = lock(&self.stop);
            if stop.is_some() {
                return false;
            }
            *stop = Some(reason);
        }
        if let Some(isolate) = lock(&self.isolate).as_ref() {
            isolate.terminate_execution();
        }
        let _ = self.input.send(Input::Wake);
        // A thread blocked on a host call wakes too (taking the lock orders this after its
        // check of `stopped`).
        drop(lock(&self.replies));
        self.replied.notify_all();
        true
    }

    /// Interrupts the JavaScript the session runs without stopping the session (a script's
    /// own timeout); the session thread resumes with [`Control::resume`].
    pub(crate) fn interrupt(&self) {
        if let Some(isolate) = lock(&self.isolate).as_ref() {
            isolate.terminate_execution();
        }
    }

    /// Lets the session's JavaScript run again after [`Control::interrupt`], unless the
    /// session was stopped meanwhile (its termination must stand); true if it may go on.
    /// Holding the stop lock orders this against [`Control::stop`].
    pub(crate) fn resume(&self) -> bool {
        let stop = lock(&self.stop);
        if stop.is_some() {
            return false;
        }
        if let Some(isolate) = lock(&self.isolate).as_ref() {
            isolate.cancel_terminate_execution();
        }
        true
    }

    /// Hands a host reply to the session thread: a blocked call takes it, else the event loop.
    pub(crate) fn deliver(&self, reply: v1::HostReply) {
        lock(&self.replies).push_back(reply);
        self.replied.notify_all();
        let _ = self.input.send(Input::Wake);
    }

    /// Replies that arrived, in order, except those a blocked call is waiting for.
    pub(crate) fn take_replies(&self) -> VecDeque<v1::HostReply> {
        std::mem::take(&mut *lock(&self.replies))
    }

    /// Waits for the reply to `call_id` until the session is stopped or `bound` passes; other
    /// replies stay queued for the event loop.
    pub(crate) fn wait_reply(
        &self,
        call_id: u64,
        bound: Duration,
    ) -> Result<v1::HostReply, Unanswered> {
        let deadline = Instant::now() + bound;
        let mut replies = lock(&self.replies);
        loop {
            if let Some(at) = replies.iter().position(|r| r.call_id == call_id) {
                if let Some(reply) = replies.remove(at) {
                    return Ok(reply);
                }
            }
            if let Some(stop) = self.stopped() {
                return Err(Unanswered::Stopped(stop));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Unanswered::TimedOut);
            }
            replies = match self.replied.wait_timeout(replies, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    pub(crate) fn stopped(&self) -> Option<Stop> {
        *lock(&self.stop)
    }

    /// Makes the isolate reachable for `stop`. If a stop came first, it takes effect now.
    pub(crate) fn attach_isolate(&self, handle: v8::IsolateHandle) {
        let mut isolate = lock(&self.isolate);
        if self.stopped().is_some() {
            handle.terminate_execution();
        }
        *isolate = Some(handle);
    }

    /// Called before the isolate is disposed, so nobody terminates a dead isolate.
    pub(crate) fn detach_isolate(&self) {
        lock(&self.isolate).take();
    }

    pub(crate) fn record_heap(&self, used: usize, total: usize) {
        self.heap_used.store(used as u64, Ordering::Relaxed);
        self.heap_total.store(total as u64, Ordering::Relaxed);
    }

    pub(crate) fn heap(&self) -> (u64, u64) {
        (self.heap_used.load(Ordering::Relaxed), self.heap_total.load(Ordering::Relaxed))
    }
}

/// Locks ignoring poison: every critical section here leaves the data consistent, and the
/// worker aborts on panic anyway.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
