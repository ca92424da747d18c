//! Admission of sessions: under `max_sessions` a session runs, waits for a slot (parked) or is
//! refused; spare threads with prepared isolates; shutdown of them all.
//!
//! A session occupies a slot from admission until its thread has disposed its isolate, so the
//! worker never holds more than `max_sessions` session isolates. Results go out *before* the
//! isolate is disposed (disposal is off the latency path), so the host may open its next session
//! while the slot is still held; such an open waits here ("parked", no isolate, at most
//! `max_sessions` of them) and starts the moment a slot frees. Opens beyond that are refused.
//!
//! Spares: up to [`SPARES`] threads that have already created an isolate and context with the
//! guest environment, for the memory limit most recently asked for, each waiting to become a
//! session. A spare has never run guest code and is used once, so no state passes between
//! sessions; it only moves isolate creation ahead of demand. A spare taken while another is
//! ready is replaced when a session ends, not beside the session that took it. A spare that
//! waits 3 s unused retires (a quiet worker holds no isolates, and gives the memory back); the
//! next session creates its own isolate and spares are made again behind it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use secure_exec_proto::errors;
use secure_exec_proto::v1::{self, worker_message};
use std::sync::mpsc::Sender;

use crate::control::{Control, Stop, lock};
use crate::session::{self, Admitter, Limits};
use crate::watchdog::Watchdog;

/// Prepared threads kept ready (bounded by `max_sessions`).
const SPARES: usize = 2;

/// Why a session could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `max_sessions` sessions run and as many wait already.
    Full,
    /// A live session already has this id.
    DuplicateId,
}

/// Everything session threads share with the connection.
#[derive(Debug)]
pub(crate) struct Admission {
    max_sessions: usize,
    spares_wanted: usize,
    /// The frame limit agreed with the host; results are bounded by it.
    pub(crate) frame_len: usize,
    pub(crate) sink: Sender<v1::WorkerMessage>,
    pub(crate) watchdog: Watchdog,
    state: Mutex<State>,
    idle: Condvar,
}

#[derive(Debug, Default)]
struct State {
    running: HashMap<u64, Arc<Control>>,
    parked: VecDeque<Parked>,
    spares: Vec<Spare>,
    /// The memory limit spares are owed for, while a refill waits for a session to end.
    owed: Option<u64>,
    total: u64,
    closed: bool,
}

#[derive(Debug)]
struct Parked {
    open: v1::OpenSession,
    execute: Option<v1::Execute>,
}

#[derive(Debug)]
struct Spare {
    control: Arc<Control>,
    memory_limit: u64,
}

impl Admission {
    pub(crate) fn new(
        max_sessions: usize,
        frame_len: usize,
        sink: Sender<v1::WorkerMessage>,
        watchdog: Watchdog,
    ) -> Arc<Self> {
        let max_sessions = max_sessions.max(1);
        Arc::new(Self {
            max_sessions,
            spares_wanted: SPARES.min(max_sessions),
            frame_len,
            sink,
            watchdog,
            state: Mutex::default(),
            idle: Condvar::new(),
        })
    }

    pub(crate) fn max_sessions(&self) -> usize {
        self.max_sessions
    }

    /// Prepares spares for sessions with the default limits.
    pub(crate) fn prewarm(self: &Arc<Self>) {
        let mut state = lock(&self.state);
        self.refill(&mut state, Limits::from_proto(None).memory);
    }

    /// Admits a session: starts it, parks it until a slot frees, or refuses it.
    pub(crate) fn open(self: &Arc<Self>, open: v1::OpenSession) -> Result<(), Refusal> {
        let mut state = lock(&self.state);
        let id = open.session_id;
        if id == 0
            || state.running.contains_key(&id)
            || state.parked.iter().any(|p| p.open.session_id == id)
        {
            return Err(Refusal::DuplicateId);
        }
        if state.closed {
            return Err(Refusal::Full);
        }
        if state.running.len() < self.max_sessions {
            self.launch(&mut state, open, None);
            Ok(())
        } else if state.parked.len() < self.max_sessions {
            state.parked.push_back(Parked { open, execute: None });
            Ok(())
        } else {
            Err(Refusal::Full)
        }
    }

    /// Hands a session its code. `Err` if no such session was opened.
    pub(crate) fn execute(&self, execute: v1::Execute) -> Result<(), String> {
        let mut state = lock(&self.state);
        let id = execute.session_id;
        if let Some(control) = state.running.get(&id) {
            control.execute(execute);
            return Ok(());
        }
        match state.parked.iter_mut().find(|p| p.open.session_id == id) {
            Some(parked) if parked.execute.is_none() => {
                parked.execute = Some(execute);
                Ok(())
            }
            Some(_) => Err(format!("a second Execute for session {id}")),
            None => Err(format!("Execute for unknown session {id}")),
        }
    }

    /// Hands a host reply to its session. A reply for a session that has ended is dropped:
    /// the host may answer a call after the session it came from was stopped.
    pub(crate) fn reply(&self, reply: v1::HostReply) {
        let state = lock(&self.state);
        if let Some(control) = state.running.get(&reply.session_id) {
            control.deliver(reply);
        }
    }

    /// Stops a session. A late cancel (the session just finished) is not an error.
    pub(crate) fn cancel(&self, id: u64) {
        let mut state = lock(&self.state);
        if let Some(control) = state.running.get(&id) {
            control.stop(Stop::Cancelled);
        } else if let Some(index) = state.parked.iter().position(|p| p.open.session_id == id) {
            state.parked.remove(index);
            drop(state);
            self.send_result(session::stopped_result(id, Stop::Cancelled));
        }
    }

    /// A session's result is sent and its isolate disposed: its slot goes to the next parked
    /// session, if any.
    fn release(self: &Arc<Self>, id: u64) {
        let mut state = lock(&self.state);
        state.running.remove(&id);
        if !state.closed {
            if let Some(parked) = state.parked.pop_front() {
                self.launch(&mut state, parked.open, parked.execute);
            }
        }
        if let Some(memory_limit) = state.owed.take() {
            self.refill(&mut state, memory_limit);
        }
        if state.running.is_empty() {
            self.idle.notify_all();
        }
    }

    /// (running sessions, sessions ever admitted, heap used, heap total).
    pub(crate) fn stats(&self) -> (usize, u64, u64, u64) {
        let state = lock(&self.state);
        let (used, total) = state.running.values().fold((0, 0), |(u, t), control| {
            let (cu, ct) = control.heap();
            (u + cu, t + ct)
        });
        (state.running.len(), state.total, used, total)
    }

    /// Stops every session and spare, refuses new ones, and waits (bounded) for the running
    /// sessions' threads to finish. Returns whether they did.
    pub(crate) fn shutdown(&self, wait: Duration) -> bool {
        let mut state = lock(&self.state);
        state.closed = true;
        for control in state.running.values() {
            control.stop(Stop::Shutdown);
        }
        for spare in state.spares.drain(..) {
            spare.control.stop(Stop::Shutdown);
        }
        let parked: Vec<Parked> = state.parked.drain(..).collect();
        for parked in parked {
            self.send_result(session::stopped_result(parked.open.session_id, Stop::Shutdown));
        }
        let (state, _) = self
            .idle
            .wait_timeout_while(state, wait, |state| !state.running.is_empty())
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.running.is_empty()
    }

    /// Starts `open` on a spare prepared for its memory limit, or on a new thread, and tops
    /// the spares up for that limit.
    fn launch(
        self: &Arc<Self>,
        state: &mut State,
        open: v1::OpenSession,
        execute: Option<v1::Execute>,
    ) {
        let id = open.session_id;
        let memory_limit = Limits::from_proto(open.limits.as_ref()).memory;
        let spare = state.spares.iter().position(|s| s.memory_limit == memory_limit);
        let control = match spare {
            Some(index) => Ok(state.spares.remove(index).control),
            None => session::spawn(Arc::clone(self) as Arc<dyn Admitter>, memory_limit, false),
        };
        match control {
            Ok(control) => {
                control.assign(open);
                if let Some(execute) = execute {
                    control.execute(execute);
                }
                state.running.insert(id, control);
                state.total += 1;
            }
            Err(err) => {
                let mut result =
                    v1::SessionResult { session_id: id, code: 1, ..Default::default() };
                result.error_code = errors::INTERNAL.into();
                result.error_message =
                    format!("{}: cannot start a session thread: {err}", errors::INTERNAL);
                self.send_result(result);
            }
        }
        // A spare built beside the session it would follow competes with that session for
        // the cores (on two cores a trivial session took 2.7 ms instead of 1.0 ms). While
        // another spare is ready, the refill waits for a session to end.
        if state.spares.iter().any(|s| s.memory_limit == memory_limit) {
            state.owed = Some(memory_limit);
        } else {
            self.refill(state, memory_limit);
        }
    }

    /// Keeps `spares_wanted` spares for `memory_limit`, retiring spares for other limits to
    /// make room: the pool follows the limit sessions actually use.
    fn refill(self: &Arc<Self>, state: &mut State, memory_limit: u64) {
        if state.closed {
            return;
        }
        while state.spares.iter().filter(|s| s.memory_limit == memory_limit).count()
            < self.spares_wanted
        {
            if state.spares.len() >= self.spares_wanted {
                if let Some(index) =
                    state.spares.iter().position(|s| s.memory_limit != memory_limit)
                {
                    state.spares.remove(index).control.stop(Stop::Shutdown);
                }
            }
            match session::spawn(Arc::clone(self) as Arc<dyn Admitter>, memory_limit, true) {
                Ok(control) => state.spares.push(Spare { control, memory_limit }),
                // No spare is no failure: sessions then create their isolate when they start.
                Err(_) => break,
            }
        }
    }

    fn send_result(&self, result: v1::SessionResult) {
        let _ = self
            .sink
            .send(v1::WorkerMessage { kind: Some(worker_message::Kind::SessionResult(result)) });
    }
}

impl Admitter for Admission {
    fn sink(&self) -> &Sender<v1::WorkerMessage> {
        &self.sink
    }

    fn watchdog(&self) -> &Watchdog {
        &self.watchdog
    }

    fn frame_len(&self) -> usize {
        self.frame_len
    }

    fn finished(self: Arc<Self>, id: u64) {
        self.release(id);
    }

    fn retire(&self, control: &Arc<Control>) -> bool {
        let mut state = lock(&self.state);
        match state.spares.iter().position(|spare| Arc::ptr_eq(&spare.control, control)) {
            Some(index) => {
                state.spares.remove(index);
                true
            }
            None => false,
        }
    }

    fn retired(&self) {
        let state = lock(&self.state);
        if state.spares.is_empty() && state.running.is_empty() {
            drop(state);
            // The worker is quiet: hand the memory its isolates freed back to the system
            // instead of keeping it in the allocator's arenas.
            release_free_memory();
        }
    }
}

/// Returns the allocator's free memory to the system.
fn release_free_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only walks the allocator's own free lists; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}
