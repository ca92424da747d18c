//! The life of a session thread: prepare an isolate, wait to be assigned a session and its
//! code, run it, send the result, dispose the isolate, give the slot back.

use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::time::Duration;

use secure_exec_proto::errors;
use secure_exec_proto::limits;
use secure_exec_proto::v1::{self, worker_message};

use super::event_loop::{Ending, run_to_completion};
use super::limits::Limits;
use super::prepared::Prepared;
use super::verdict::{Verdict, fill, finish, stopped_verdict};
use super::{Admitter, Session};
use crate::control::{Control, Input};
use crate::guest::{self, Hooks};
use crate::output::Output;
use crate::state::SessionState;
use crate::watchdog;

/// How long an opened session waits for its `Execute`.
const EXECUTE_WAIT: Duration = Duration::from_secs(30);
/// How long a spare waits for a session before it retires, giving its isolate's memory back:
/// a worker that sits quiet holds no prepared isolates (the next session creates its own, and
/// spares are made again behind it).
const SPARE_IDLE: Duration = Duration::from_secs(3);

/// The whole life of a session thread.
pub(super) fn main(
    admitter: &Arc<dyn Admitter>,
    control: &Arc<Control>,
    inbox: &std::sync::mpsc::Receiver<Input>,
    memory_limit: u64,
    spare: bool,
) {
    let _live = crate::threads::enter();
    let mut prepared = Prepared::new(memory_limit, control, admitter.as_ref(), spare);
    let Some(open) = wait_for_assignment(inbox, control, admitter.as_ref()) else {
        // A spare retired unused: dispose quietly.
        control.detach_isolate();
        drop(prepared);
        admitter.retired();
        return;
    };
    let id = open.session_id;
    super::name_thread(&format!("session-{id}"));
    let mut limits = Limits::from_proto(open.limits.as_ref());
    limits.exports = limits::exports_cap(limits.exports, admitter.frame_len());
    let mut result = v1::SessionResult { session_id: id, ..Default::default() };

    let verdict = match wait_for_code(inbox, control) {
        Ok(execute) => {
            let session = Session { control, open: &open, execute: &execute, limits, inbox };
            run_session(&mut prepared, &session, admitter.as_ref(), &mut result)
        }
        Err(verdict) => verdict,
    };
    fill(&mut result, verdict);
    let _ = admitter
        .sink()
        .send(v1::WorkerMessage { kind: Some(worker_message::Kind::SessionResult(result)) });

    // The result is out; disposal costs the host nothing now. The slot is held until the
    // isolate is gone.
    control.detach_isolate();
    if let Some(state) = prepared.isolate.get_slot::<SessionState>() {
        guest::demand::record(state.used);
    }
    prepared.isolate.cancel_terminate_execution();
    crate::guest::code_cache::fill(&mut prepared.isolate);
    drop(prepared);
    Arc::clone(admitter).finished(id);
}

/// Waits until the thread is given a session; `None` if it is retired first. An assignment
/// already queued wins over a stop: a session stopped (cancelled, shut down) before its thread
/// got to it must still report its result.
fn wait_for_assignment(
    inbox: &std::sync::mpsc::Receiver<Input>,
    control: &Arc<Control>,
    admitter: &dyn Admitter,
) -> Option<v1::OpenSession> {
    let mut may_retire = true;
    loop {
        match inbox.try_recv() {
            Ok(Input::Assign(open)) => return Some(*open),
            Ok(Input::Wake | Input::Execute(_)) => continue,
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        if control.stopped().is_some() {
            return None;
        }
        let waited = if may_retire {
            inbox.recv_timeout(SPARE_IDLE)
        } else {
            inbox.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match waited {
            Ok(Input::Assign(open)) => return Some(*open),
            Ok(Input::Wake | Input::Execute(_)) => continue,
            Err(RecvTimeoutError::Timeout) => {
                if admitter.retire(control) {
                    return None;
                }
                // Taken for a session just now: its assignment is on the way.
                may_retire = false;
            }
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}

fn wait_for_code(
    inbox: &std::sync::mpsc::Receiver<Input>,
    control: &Control,
) -> Result<v1::Execute, Verdict> {
    let deadline = std::time::Instant::now() + EXECUTE_WAIT;
    loop {
        if let Some(stop) = control.stopped() {
            return Err(stopped_verdict(stop, None));
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match inbox.recv_timeout(left) {
            Ok(Input::Execute(execute)) => return Ok(execute),
            Ok(Input::Wake | Input::Assign(_)) => continue,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                return Err(Verdict::error(
                    1,
                    errors::INTERNAL,
                    format!("no code arrived for session {} within {EXECUTE_WAIT:?}", control.id()),
                ));
            }
        }
    }
}

/// Runs the session in its prepared isolate under the watchdog, and records what it cost.
fn run_session(
    prepared: &mut Prepared,
    session: &Session<'_>,
    admitter: &dyn Admitter,
    result: &mut v1::SessionResult,
) -> Verdict {
    let Session { control, limits, .. } = *session;
    let Prepared { environment, isolate, .. } = prepared;
    if let Some(state) = isolate.get_slot_mut::<SessionState>() {
        state.world = session.open.world;
        state.started = std::time::Instant::now();
        state.output = Output::new(control.id(), admitter.sink().clone(), limits.output);
    }
    let (context, hooks) = match environment {
        Ok(environment) => environment,
        Err(message) => {
            return Verdict::error(1, errors::INTERNAL, format!("guest environment: {message}"));
        }
    };

    let (clock, cpu_start) = watchdog::current_thread_clock().unwrap_or((0, Duration::ZERO));
    let verdict = {
        let watch = admitter.watchdog().watch(
            Arc::clone(control),
            clock,
            cpu_start,
            limits.cpu,
            limits.wall,
        );
        if let Some(state) = isolate.get_slot_mut::<SessionState>() {
            state.script_timer = Some(watch.script_timer());
        }
        let verdict = in_context(isolate, context, hooks, session);
        if let Some(state) = isolate.get_slot_mut::<SessionState>() {
            state.script_timer = None;
        }
        drop(watch);
        verdict
    };
    if let Some(used) = watchdog::read_clock(clock) {
        result.cpu_time_us = u64::try_from(used.saturating_sub(cpu_start).as_micros()).unwrap_or(0);
    }
    result.heap_used_bytes = isolate.get_heap_statistics().used_heap_size() as u64;
    if let Some(state) = isolate.get_slot::<SessionState>() {
        result.stdout_truncated = state.output.truncated(v1::Stream::Stdout);
        result.stderr_truncated = state.output.truncated(v1::Stream::Stderr);
    }
    verdict
}

/// Configures the guest environment for the session and runs it to its end.
fn in_context(
    isolate: &mut v8::OwnedIsolate,
    context: &v8::Global<v8::Context>,
    hooks: &Hooks,
    session: &Session<'_>,
) -> Verdict {
    let Session { control, open, execute, limits, .. } = *session;
    v8::scope!(let scope, isolate);
    let context = v8::Local::new(scope, context);
    let scope = &mut v8::ContextScope::new(scope, context);
    let filename = if execute.filename.is_empty() { "index.js" } else { &execute.filename };

    if let Err(message) = guest::configure(scope, hooks, &open.env, &open.argv, filename, &open.cwd)
    {
        if let Some(stop) = control.stopped() {
            return stopped_verdict(stop, Some(limits));
        }
        return Verdict::error(1, errors::INTERNAL, format!("guest environment: {message}"));
    }

    let ending = run_to_completion(scope, hooks, session, filename);
    match ending {
        Ending::Stopped(stop) => stopped_verdict(stop, Some(limits)),
        Ending::Threw(message) => Verdict::error(1, errors::GUEST_EXCEPTION, message),
        Ending::ListenerThrew(message) => Verdict::error(7, errors::GUEST_EXCEPTION, message),
        Ending::Finished => finish(scope, hooks, session),
    }
}
