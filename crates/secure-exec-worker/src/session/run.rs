//! The body of a session thread: isolate set-up, the event loop, and the result.

use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::time::Duration;

use secure_exec_proto::errors;
use secure_exec_proto::limits;
use secure_exec_proto::v1::{self, worker_message};

use super::control::{Control, Input, Stop};
use crate::budget::MemoryBudget;
use crate::guest::{self, Hooks, SessionState};
use crate::output::Output;
use crate::sessions::Sessions;
use crate::watchdog;

/// How long an opened session waits for its `Execute`.
const EXECUTE_WAIT: Duration = Duration::from_secs(30);
/// Longest sleep while timers are pending; the loop re-checks for stops at least this often.
const MAX_IDLE: Duration = Duration::from_millis(500);
/// How often a session with V8 work in the background checks for its completion.
const BACKGROUND_POLL: Duration = Duration::from_millis(1);

/// Appended to an error message cut at `limits::MAX_ERROR_MESSAGE_BYTES`.
pub(crate) const MESSAGE_MARKER: &str = "\n[secure-exec: error message truncated]";

const CJS_PARAMS: [&str; 5] = ["exports", "require", "module", "__filename", "__dirname"];

/// Resolved limits of one session.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) memory: u64,
    cpu: Option<Duration>,
    wall: Duration,
    output: u64,
    pub(crate) exports: u64,
}

impl Limits {
    /// The limits a host asked for, defaulted where zero and clamped into the ranges the
    /// worker can honour: the host checks them too, but the worker does not rely on it.
    pub(crate) fn from_proto(limits: Option<&v1::Limits>) -> Self {
        let pick = |value: u64, default: u64, (min, max): (u64, u64)| {
            if value == 0 { default } else { value.clamp(min, max) }
        };
        let limits = limits.cloned().unwrap_or_default();
        use secure_exec_proto::limits as agreed;
        Self {
            memory: pick(
                limits.memory_limit_bytes,
                agreed::DEFAULT_MEMORY_BYTES,
                agreed::MEMORY_BYTES,
            ),
            cpu: (limits.cpu_time_limit_ms > 0)
                .then(|| Duration::from_millis(limits.cpu_time_limit_ms.min(agreed::MAX_TIME_MS))),
            wall: Duration::from_millis(pick(
                limits.timeout_ms,
                agreed::DEFAULT_TIMEOUT_MS,
                (1, agreed::MAX_TIME_MS),
            )),
            output: pick(
                limits.max_output_bytes,
                agreed::DEFAULT_OUTPUT_BYTES,
                (1, agreed::MAX_OUTPUT_BYTES),
            ),
            exports: pick(
                limits.max_exports_bytes,
                agreed::DEFAULT_EXPORTS_BYTES,
                (1, agreed::MAX_EXPORTS_BYTES),
            ),
        }
    }
}

/// How the guest's code ended.
#[derive(Debug)]
enum Ending {
    /// Ran to completion: no code, timers or promise jobs left.
    Finished,
    /// An exception nobody caught (described).
    Threw(String),
    /// Stopped from outside or by `process.exit`.
    Stopped(Stop),
}

/// What the result is made of, before it is framed.
#[derive(Debug, Default)]
struct Verdict {
    code: i32,
    error: Option<(&'static str, String)>,
    exports_json: Option<String>,
}

impl Verdict {
    fn error(code: i32, error_code: &'static str, message: String) -> Self {
        Self { code, error: Some((error_code, message)), exports_json: None }
    }
}

/// An isolate and context with the guest environment installed, not yet used by any session.
///
/// Field order is drop order, and it matters: the handles go before the isolate they belong
/// to, and the budget (whose address the heap-limit callback holds) after it.
struct Prepared {
    environment: Result<(v8::Global<v8::Context>, Hooks), String>,
    isolate: v8::OwnedIsolate,
    _budget: Arc<MemoryBudget>,
}

impl Prepared {
    fn new(memory_limit: u64, control: &Arc<Control>, sessions: &Sessions) -> Self {
        let memory = usize::try_from(memory_limit).unwrap_or(usize::MAX);
        let budget = MemoryBudget::new(memory, Arc::clone(control));
        let params = v8::CreateParams::default()
            .heap_limits(0, memory)
            .array_buffer_allocator(budget.allocator())
            .allow_atomics_wait(false);
        let mut isolate = v8::Isolate::new(params);
        budget.install_heap_callback(&mut isolate);
        isolate.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
        isolate.set_promise_reject_callback(guest::promise_reject_callback);
        isolate.set_slot(SessionState {
            control: Arc::clone(control),
            // Replaced on assignment; nothing can print before then.
            output: Output::new(0, sessions.sink.clone(), 0),
            budget: Arc::clone(&budget),
            uncaught: None,
            rejections: Vec::new(),
        });
        control.attach_isolate(isolate.thread_safe_handle());
        let environment = {
            v8::scope!(let scope, &mut isolate);
            let context = v8::Context::new(scope, Default::default());
            let scope = &mut v8::ContextScope::new(scope, context);
            guest::install(scope, memory_limit)
                .map(|hooks| (v8::Global::new(scope, context), hooks))
        };
        Self { environment, isolate, _budget: budget }
    }
}

/// The whole life of a session thread.
pub(super) fn main(
    sessions: &Arc<Sessions>,
    control: &Arc<Control>,
    inbox: &std::sync::mpsc::Receiver<Input>,
    memory_limit: u64,
) {
    let _live = crate::threads::enter();
    let mut prepared = Prepared::new(memory_limit, control, sessions);
    let Some(open) = wait_for_assignment(inbox, control) else {
        // A spare retired unused: dispose quietly.
        control.detach_isolate();
        return;
    };
    let id = open.session_id;
    super::name_thread(&format!("session-{id}"));
    let mut limits = Limits::from_proto(open.limits.as_ref());
    limits.exports = limits::exports_cap(limits.exports, sessions.frame_len);
    let mut result = v1::SessionResult { session_id: id, ..Default::default() };

    let verdict = match wait_for_code(inbox, control) {
        Ok(execute) => run_session(
            &mut prepared,
            control,
            &open,
            &execute,
            limits,
            inbox,
            sessions,
            &mut result,
        ),
        Err(verdict) => verdict,
    };
    fill(&mut result, verdict);
    let _ = sessions
        .sink
        .send(v1::WorkerMessage { kind: Some(worker_message::Kind::SessionResult(result)) });

    // The result is out; disposal costs the host nothing now. The slot is held until the
    // isolate is gone.
    control.detach_isolate();
    prepared.isolate.cancel_terminate_execution();
    drop(prepared);
    sessions.finished(id);
}

/// A result for a session that never ran, stopped for `stop`.
pub(crate) fn stopped_result(session_id: u64, stop: Stop) -> v1::SessionResult {
    let mut result = v1::SessionResult { session_id, ..Default::default() };
    fill(&mut result, stopped_verdict(stop, None));
    result
}

fn fill(result: &mut v1::SessionResult, verdict: Verdict) {
    result.code = verdict.code;
    if let Some((code, message)) = verdict.error {
        result.error_code = code.to_owned();
        result.error_message = crate::output::cap(
            format!("{code}: {message}"),
            limits::MAX_ERROR_MESSAGE_BYTES,
            MESSAGE_MARKER,
        );
    }
    result.exports_json = verdict.exports_json;
}

/// Waits until the thread is given a session; `None` if it is retired first. An assignment
/// already queued wins over a stop: a session stopped (cancelled, shut down) before its thread
/// got to it must still report its result.
fn wait_for_assignment(
    inbox: &std::sync::mpsc::Receiver<Input>,
    control: &Control,
) -> Option<v1::OpenSession> {
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
        match inbox.recv() {
            Ok(Input::Assign(open)) => return Some(*open),
            Ok(Input::Wake | Input::Execute(_)) => continue,
            Err(_) => return None,
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

#[allow(clippy::too_many_arguments)]
fn run_session(
    prepared: &mut Prepared,
    control: &Arc<Control>,
    open: &v1::OpenSession,
    execute: &v1::Execute,
    limits: Limits,
    inbox: &std::sync::mpsc::Receiver<Input>,
    sessions: &Sessions,
    result: &mut v1::SessionResult,
) -> Verdict {
    let Prepared { environment, isolate, .. } = prepared;
    if let Some(state) = isolate.get_slot_mut::<SessionState>() {
        state.output = Output::new(control.id(), sessions.sink.clone(), limits.output);
    }
    let (context, hooks) = match environment {
        Ok(environment) => environment,
        Err(message) => {
            return Verdict::error(1, errors::INTERNAL, format!("guest environment: {message}"));
        }
    };

    let (clock, cpu_start) = watchdog::current_thread_clock().unwrap_or((0, Duration::ZERO));
    let verdict = {
        let watch =
            sessions.watchdog.watch(Arc::clone(control), clock, cpu_start, limits.cpu, limits.wall);
        let verdict = in_context(isolate, context, hooks, control, open, execute, limits, inbox);
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

#[allow(clippy::too_many_arguments)]
fn in_context(
    isolate: &mut v8::OwnedIsolate,
    context: &v8::Global<v8::Context>,
    hooks: &Hooks,
    control: &Control,
    open: &v1::OpenSession,
    execute: &v1::Execute,
    limits: Limits,
    inbox: &std::sync::mpsc::Receiver<Input>,
) -> Verdict {
    v8::scope!(let scope, isolate);
    let context = v8::Local::new(scope, context);
    let scope = &mut v8::ContextScope::new(scope, context);
    let filename = if execute.filename.is_empty() { "index.js" } else { &execute.filename };

    if let Err(message) = guest::configure(scope, hooks, &open.env, &open.argv, filename) {
        if let Some(stop) = control.stopped() {
            return stopped_verdict(stop, Some(limits));
        }
        return Verdict::error(1, errors::INTERNAL, format!("guest environment: {message}"));
    }

    let ending = run_to_completion(scope, hooks, control, execute, filename, inbox);
    match ending {
        Ending::Stopped(stop) => stopped_verdict(stop, Some(limits)),
        Ending::Threw(message) => Verdict::error(1, errors::GUEST_EXCEPTION, message),
        Ending::Finished => finish(scope, hooks, control, execute, limits),
    }
}

/// Runs the guest's code, then its timers and promise jobs until none are left.
fn run_to_completion(
    scope: &mut v8::PinScope<'_, '_>,
    hooks: &Hooks,
    control: &Control,
    execute: &v1::Execute,
    filename: &str,
    inbox: &std::sync::mpsc::Receiver<Input>,
) -> Ending {
    if let Some(ending) = run_main(scope, hooks, execute, filename) {
        return check(scope, control, ending);
    }
    loop {
        if let Some(ending) = after_macrotask(scope, control) {
            return ending;
        }
        // Work V8 finished in the background (async WebAssembly compiles) comes back as
        // foreground tasks; each is a macrotask of its own.
        if crate::platform::run_foreground_tasks(scope) {
            continue;
        }
        let next_timer = v8::Local::new(scope, &hooks.next_timer);
        let delay = match call(scope, next_timer, &[]) {
            Ok(value) => value.number_value(scope).unwrap_or(-1.0),
            Err(ending) => return check(scope, control, ending),
        };
        let background = scope.has_pending_background_tasks();
        // No timer left (-1), or a value the guest broke (NaN).
        let no_timer = delay.is_nan() || delay < 0.0;
        if no_timer && !background {
            return Ending::Finished;
        }
        // Sleep until the timer is due, waking early for a stop, and often while V8 works in
        // the background. Long waits are cut so a stop is never missed for long.
        let due = if no_timer { f64::INFINITY } else { delay / 1000.0 };
        let cap = if background { BACKGROUND_POLL } else { MAX_IDLE };
        let wait = Duration::from_secs_f64(due.min(cap.as_secs_f64()));
        if !wait.is_zero() {
            match inbox.recv_timeout(wait) {
                Ok(_) | Err(RecvTimeoutError::Disconnected) => continue,
                Err(RecvTimeoutError::Timeout) if due > cap.as_secs_f64() => continue,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        if let Some(stop) = control.stopped() {
            return Ending::Stopped(stop);
        }
        let fire_timer = v8::Local::new(scope, &hooks.fire_timer);
        if let Err(ending) = call(scope, fire_timer, &[]) {
            return check(scope, control, ending);
        }
    }
}

/// Compiles the code as a CommonJS module body and runs it. `Some` if it did not complete.
fn run_main(
    scope: &mut v8::PinScope<'_, '_>,
    hooks: &Hooks,
    execute: &v1::Execute,
    filename: &str,
) -> Option<Ending> {
    v8::tc_scope!(let tc, scope);
    let Some(code) = v8::String::new(tc, &execute.code) else {
        return Some(Ending::Threw("RangeError: the code is longer than V8 strings allow".into()));
    };
    let Some(name) = v8::String::new(tc, filename) else {
        return Some(Ending::Threw("RangeError: the filename is too long".into()));
    };
    let origin = guest::script_origin(tc, name.into());
    let mut source = v8::script_compiler::Source::new(code, Some(&origin));
    let params: Vec<_> = CJS_PARAMS.iter().filter_map(|p| v8::String::new(tc, p)).collect();
    let compiled = v8::script_compiler::compile_function(
        tc,
        &mut source,
        &params,
        &[],
        v8::script_compiler::CompileOptions::NoCompileOptions,
        v8::script_compiler::NoCacheReason::NoReason,
    );
    let Some(function) = compiled else { return Some(caught(tc)) };

    let module = v8::Local::new(tc, &hooks.module);
    let exports_key = v8::String::new(tc, "exports")?;
    let exports = module.get(tc, exports_key.into())?;
    let require = v8::Local::new(tc, &hooks.require);
    let dirname = v8::String::new(tc, "/")?;
    let args = [exports, require.into(), module.into(), name.into(), dirname.into()];
    match function.call(tc, exports, &args) {
        Some(_) => None,
        None => Some(caught(tc)),
    }
}

/// Turns what a TryCatch saw into an ending (a termination shows as no exception).
fn caught(tc: &mut v8::PinnedRef<'_, v8::TryCatch<'_, '_, v8::HandleScope<'_>>>) -> Ending {
    if tc.has_terminated() || !tc.has_caught() {
        return Ending::Stopped(Stop::Shutdown);
    }
    match tc.exception() {
        Some(exception) => Ending::Threw(guest::describe(tc, exception)),
        None => Ending::Stopped(Stop::Shutdown),
    }
}

/// Calls `function` with a TryCatch. `Err` carries how it ended if it threw or was stopped.
fn call<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    function: v8::Local<'s, v8::Function>,
    args: &[v8::Local<'s, v8::Value>],
) -> Result<v8::Local<'s, v8::Value>, Ending> {
    v8::tc_scope!(let tc, scope);
    let undefined = v8::undefined(tc);
    match function.call(tc, undefined.into(), args) {
        Some(value) => Ok(value),
        None => Err(caught(tc)),
    }
}

/// A stop recorded on the control outranks what the guest saw: a terminated call shows up as a
/// generic termination, and the control knows why.
fn check(scope: &mut v8::PinScope<'_, '_>, control: &Control, ending: Ending) -> Ending {
    if let Some(stop) = control.stopped() {
        if stop == Stop::Uncaught {
            if let Some(text) = uncaught(scope) {
                return Ending::Threw(text);
            }
        }
        return Ending::Stopped(stop);
    }
    ending
}

fn uncaught(scope: &mut v8::PinScope<'_, '_>) -> Option<String> {
    scope.get_slot_mut::<SessionState>().and_then(|state| state.uncaught.clone())
}

/// Runs promise jobs, then decides whether the session goes on.
fn after_macrotask(scope: &mut v8::PinScope<'_, '_>, control: &Control) -> Option<Ending> {
    if let Some(stop) = control.stopped() {
        return Some(check(scope, control, Ending::Stopped(stop)));
    }
    scope.perform_microtask_checkpoint();
    if let Some(stop) = control.stopped() {
        return Some(check(scope, control, Ending::Stopped(stop)));
    }
    let stats = scope.get_heap_statistics();
    control.record_heap(stats.used_heap_size(), stats.total_heap_size());
    let rejections = match scope.get_slot_mut::<SessionState>() {
        Some(state) => {
            state.budget.record_heap_used(stats.used_heap_size());
            std::mem::take(&mut state.rejections)
        }
        None => Vec::new(),
    };
    if let Some((_, reason)) = rejections.into_iter().next() {
        let reason = v8::Local::new(scope, &reason);
        let text = guest::describe(scope, reason);
        let text = text.strip_prefix("Uncaught ").unwrap_or(&text).to_owned();
        return Some(Ending::Threw(format!("Uncaught (in promise) {text}")));
    }
    None
}

/// The code finished on its own: work out the exit code and, for `run`, the exports.
fn finish(
    scope: &mut v8::PinScope<'_, '_>,
    hooks: &Hooks,
    control: &Control,
    execute: &v1::Execute,
    limits: Limits,
) -> Verdict {
    v8::tc_scope!(let tc, scope);
    let process = v8::Local::new(tc, &hooks.process);
    let code = v8::String::new(tc, "exitCode")
        .and_then(|key| process.get(tc, key.into()))
        .filter(|value| !value.is_null_or_undefined())
        .map(|value| value.integer_value(tc).and_then(|n| i32::try_from(n).ok()).unwrap_or(1))
        .unwrap_or(0);
    let mut verdict = Verdict { code, ..Verdict::default() };
    if execute.mode == v1::ExecuteMode::Run as i32 {
        match exports_json(tc, hooks, limits) {
            Ok(json) => verdict.exports_json = json,
            Err(error) => verdict = error,
        }
    }
    if let Some(stop) = control.stopped() {
        return stopped_verdict(stop, Some(limits));
    }
    verdict
}

fn exports_json(
    tc: &mut v8::PinnedRef<'_, v8::TryCatch<'_, '_, v8::HandleScope<'_>>>,
    hooks: &Hooks,
    limits: Limits,
) -> Result<Option<String>, Verdict> {
    let module = v8::Local::new(tc, &hooks.module);
    let key = v8::String::new(tc, "exports")
        .ok_or_else(|| Verdict::error(1, errors::INTERNAL, "cannot allocate a string".into()))?;
    let Some(exports) = module.get(tc, key.into()) else {
        return Err(Verdict::error(1, errors::GUEST_EXCEPTION, describe_caught(tc)));
    };
    if exports.is_undefined() {
        return Ok(None);
    }
    let not_serializable = |kind: &str| {
        Verdict::error(
            1,
            errors::EXPORTS_NOT_SERIALIZABLE,
            format!("module.exports is {kind}, which has no JSON form"),
        )
    };
    if exports.is_function() {
        return Err(not_serializable("a function"));
    }
    if exports.is_symbol() {
        return Err(not_serializable("a symbol"));
    }
    let Some(json) = v8::json::stringify(tc, exports) else {
        let reason = describe_caught(tc);
        return Err(Verdict::error(
            1,
            errors::EXPORTS_NOT_SERIALIZABLE,
            format!("module.exports cannot be converted to JSON: {reason}"),
        ));
    };
    let len = json.utf8_length(tc) as u64;
    if len > limits.exports {
        return Err(Verdict::error(
            1,
            errors::EXPORTS_TOO_LARGE,
            format!(
                "module.exports is {len} bytes as JSON, over the limit of {} bytes",
                limits.exports
            ),
        ));
    }
    let json = json.to_rust_string_lossy(tc);
    if json == "undefined" {
        return Err(not_serializable("a value whose toJSON() returns undefined"));
    }
    Ok(Some(json))
}

fn describe_caught(
    tc: &mut v8::PinnedRef<'_, v8::TryCatch<'_, '_, v8::HandleScope<'_>>>,
) -> String {
    match tc.exception() {
        Some(exception) if !tc.has_terminated() => guest::describe(tc, exception),
        _ => "execution was terminated".to_owned(),
    }
}

fn stopped_verdict(stop: Stop, limits: Option<Limits>) -> Verdict {
    let mb = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    match stop {
        Stop::Exit(code) => Verdict { code, ..Verdict::default() },
        Stop::MemoryLimit => Verdict::error(
            1,
            errors::MEMORY_LIMIT,
            match limits {
                Some(limits) => format!("memory limit of {} MB exceeded", mb(limits.memory)),
                None => "memory limit exceeded".into(),
            },
        ),
        Stop::CpuTimeLimit => Verdict::error(
            124,
            errors::CPU_TIME_LIMIT,
            match limits.and_then(|l| l.cpu) {
                Some(cpu) => format!("CPU time limit of {} ms exceeded", cpu.as_millis()),
                None => "CPU time limit exceeded".into(),
            },
        ),
        Stop::Timeout => Verdict::error(
            124,
            errors::TIMEOUT,
            match limits {
                Some(limits) => {
                    format!("wall-clock timeout of {} ms exceeded", limits.wall.as_millis())
                }
                None => "wall-clock timeout exceeded".into(),
            },
        ),
        Stop::Cancelled => {
            Verdict::error(130, errors::CANCELLED, "the host cancelled the session".into())
        }
        Stop::Shutdown => Verdict::error(
            1,
            errors::V8_PROCESS_CRASH,
            "the worker is shutting down (its host disposed it, closed the connection or sent \
             SIGTERM) and ended the session"
                .into(),
        ),
        Stop::Uncaught => Verdict::error(1, errors::GUEST_EXCEPTION, "uncaught exception".into()),
        Stop::TimerLimit => Verdict::error(
            1,
            errors::TIMER_LIMIT,
            format!("more than {} timers pending at once", limits::MAX_PENDING_TIMERS),
        ),
    }
}
