//! The event loop of a session: the guest's code, then its promise jobs, V8's foreground
//! tasks and timers, until nothing is left or the session is stopped.

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use secure_exec_proto::v1;

use super::Session;
use crate::control::{Control, Stop};
use crate::guest::{self, Hooks};
use crate::state::SessionState;

/// Longest sleep while timers are pending; the loop re-checks for stops at least this often.
const MAX_IDLE: Duration = Duration::from_millis(500);
/// How often a session with V8 work in the background checks for its completion.
const BACKGROUND_POLL: Duration = Duration::from_millis(1);

/// How the guest's code ended.
#[derive(Debug)]
pub(super) enum Ending {
    /// Ran to completion: no code, timers or promise jobs left.
    Finished,
    /// An exception nobody caught (described).
    Threw(String),
    /// An exception an 'uncaughtException' listener threw (described): exit code 7.
    ListenerThrew(String),
    /// Stopped from outside or by `process.exit`.
    Stopped(Stop),
}

/// Runs the guest's code, then its timers and promise jobs until none are left.
pub(super) fn run_to_completion(
    scope: &mut v8::PinScope<'_, '_>,
    hooks: &Hooks,
    session: &Session<'_>,
    filename: &str,
) -> Ending {
    let Session { control, execute, inbox, .. } = *session;
    if let Some(ending) = run_main(scope, hooks, execute, filename) {
        return check(scope, control, ending);
    }
    // Whether 'beforeExit' was just emitted and nothing has run since: if its listeners gave
    // the session no more work, it ends, as Node's loop does (no second 'beforeExit').
    let mut before_exit_emitted = false;
    loop {
        if let Some(ending) = after_macrotask(scope, control) {
            return ending;
        }
        // Replies to host calls, each a macrotask of its own.
        match deliver_replies(scope, hooks, control) {
            Ok(true) => {
                before_exit_emitted = false;
                continue;
            }
            Ok(false) => {}
            Err(ending) => return check(scope, control, ending),
        }
        // Work V8 finished in the background (async WebAssembly compiles) comes back as
        // foreground tasks; each is a macrotask of its own.
        if crate::platform::run_foreground_tasks(scope) {
            before_exit_emitted = false;
            continue;
        }
        let next_timer = v8::Local::new(scope, &hooks.next_timer);
        let delay = match call(scope, next_timer, &[]) {
            Ok(value) => value.number_value(scope).unwrap_or(-1.0),
            Err(ending) => return check(scope, control, ending),
        };
        let background = scope.has_pending_background_tasks();
        let host_calls = scope.get_slot::<SessionState>().is_some_and(|s| s.host.waiting());
        // `nextTimer`: a delay (a timer keeps the session alive), `-1 - delay` (only unref'd
        // timers, which fire if the session goes on anyway), -Infinity (none), or a value the
        // guest broke (NaN).
        let no_timer = delay.is_nan() || delay < 0.0;
        let unrefed_due = if delay <= -1.0 && delay.is_finite() { -delay - 1.0 } else { f64::NAN };
        if no_timer && !background && !host_calls {
            if let Some(ending) = unsettled_entry(scope, filename) {
                return ending;
            }
            let emit_exit = v8::Local::new(scope, &hooks.emit_exit);
            // Nothing is left: 'beforeExit' listeners may give the session more work, as in
            // Node; then the 'exit' listeners run, then the promise jobs they queued; timers
            // they set never fire.
            if !before_exit_emitted {
                before_exit_emitted = true;
                let before = v8::Boolean::new(scope, true).into();
                let listened = match call(scope, emit_exit, &[before]) {
                    Ok(listened) => listened.is_true(),
                    Err(ending) => return check(scope, control, ending),
                };
                if let Some(ending) = after_macrotask(scope, control) {
                    return ending;
                }
                if listened {
                    continue;
                }
            }
            if let Err(ending) = call(scope, emit_exit, &[]) {
                return check(scope, control, ending);
            }
            if let Some(ending) = after_macrotask(scope, control) {
                return ending;
            }
            return Ending::Finished;
        }
        // Sleep until the timer is due, waking early for a stop, and often while V8 works in
        // the background. Long waits are cut so a stop is never missed for long.
        let due = if !no_timer {
            delay / 1000.0
        } else if unrefed_due.is_finite() {
            unrefed_due / 1000.0
        } else {
            f64::INFINITY
        };
        let cap = if background { BACKGROUND_POLL } else { MAX_IDLE };
        let wait = Duration::from_secs_f64(due.min(cap.as_secs_f64()));
        if !wait.is_zero() {
            // A host reply, like a stop, arrives with a wake-up.
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
        before_exit_emitted = false;
        if let Err(ending) = call(scope, fire_timer, &[]) {
            return check(scope, control, ending);
        }
    }
}

/// Hands the replies that arrived to the prelude's `hostReply`, running promise jobs after
/// each. `Ok(true)` if there were any.
fn deliver_replies(
    scope: &mut v8::PinScope<'_, '_>,
    hooks: &Hooks,
    control: &Control,
) -> Result<bool, Ending> {
    let replies = control.take_replies();
    let mut delivered = false;
    for reply in replies {
        let Some(reply) =
            scope.get_slot_mut::<SessionState>().and_then(|s| guest::settle_reply(s, reply))
        else {
            continue;
        };
        v8::scope!(let inner, scope);
        let id = v8::Number::new(inner, reply.call_id as f64);
        let Some(object) = guest::reply_object(inner, reply) else { continue };
        let host_reply = v8::Local::new(inner, &hooks.host_reply);
        call(inner, host_reply, &[id.into(), object.into()])?;
        delivered = true;
        if let Some(ending) = after_macrotask(inner, control) {
            return Err(ending);
        }
    }
    Ok(delivered)
}

/// Compiles the code as a CommonJS module body and runs it. `Some` if it did not complete.
fn run_main(
    scope: &mut v8::PinScope<'_, '_>,
    hooks: &Hooks,
    execute: &v1::Execute,
    filename: &str,
) -> Option<Ending> {
    if execute.format == "module" || filename.ends_with(".mjs") {
        return run_module(scope, hooks, &execute.code, filename);
    }
    v8::tc_scope!(let tc, scope);
    let Some(code) = v8::String::new(tc, &execute.code) else {
        return Some(Ending::Threw("RangeError: the code is longer than V8 strings allow".into()));
    };
    let Some(name) = v8::String::new(tc, filename) else {
        return Some(Ending::Threw("RangeError: the filename is too long".into()));
    };
    let origin = guest::script_origin(tc, name.into());
    let mut source = v8::script_compiler::Source::new(code, Some(&origin));
    let params: Vec<_> = guest::CJS_PARAMS.iter().filter_map(|p| v8::String::new(tc, p)).collect();
    let compiled = v8::script_compiler::compile_function(
        tc,
        &mut source,
        &params,
        &[],
        v8::script_compiler::CompileOptions::NoCompileOptions,
        v8::script_compiler::NoCacheReason::NoReason,
    );
    let Some(function) = compiled else {
        // Node runs a `.js` entry whose syntax only an ES module allows as one.
        if execute.format.is_empty() && needs_module(tc) {
            tc.reset();
            return run_module(tc, hooks, &execute.code, filename);
        }
        return Some(caught(tc));
    };

    let module = v8::Local::new(tc, &hooks.module);
    let exports_key = v8::String::new(tc, "exports")?;
    let exports = module.get(tc, exports_key.into())?;
    let require = v8::Local::new(tc, &hooks.require);
    let dirname = match filename.rfind('/') {
        Some(0) | None => "/",
        Some(at) => &filename[..at],
    };
    let dirname = v8::String::new(tc, dirname)?;
    let args = [exports, require.into(), module.into(), name.into(), dirname.into()];
    if function.call(tc, exports, &args).is_some() {
        return None;
    }
    // A throw from the top level goes to 'uncaughtException' listeners too, as in Node.
    offer_caught(tc).err()
}

/// The syntax errors that mean the code is an ES module (Node's detection looks for the same).
const MODULE_SYNTAX: [&str; 4] = [
    "Cannot use import statement outside a module",
    "Unexpected token 'export'",
    "Cannot use 'import.meta' outside a module",
    "await is only valid in async functions and the top level bodies of modules",
];

fn needs_module(tc: &mut v8::PinnedRef<'_, v8::TryCatch<'_, '_, v8::HandleScope<'_>>>) -> bool {
    let Some(exception) = tc.exception() else { return false };
    let Some(message) = exception.to_string(tc) else { return false };
    let message = message.to_rust_string_lossy(tc);
    MODULE_SYNTAX.iter().any(|marker| message.contains(marker))
}

/// Runs the entry as an ES module (through the loader in `node.js`). `Some` if it failed to
/// start; its evaluation goes on in the event loop.
fn run_module(
    scope: &mut v8::PinScope<'_, '_>,
    hooks: &Hooks,
    code: &str,
    filename: &str,
) -> Option<Ending> {
    v8::tc_scope!(let tc, scope);
    let Some(code) = v8::String::new(tc, code) else {
        return Some(Ending::Threw("RangeError: the code is longer than V8 strings allow".into()));
    };
    let name = v8::String::new(tc, filename)?;
    let run = v8::Local::new(tc, &hooks.run_module);
    let undefined = v8::undefined(tc);
    match run.call(tc, undefined.into(), &[code.into(), name.into()]) {
        Some(_) => None,
        None => Some(caught(tc)),
    }
}

/// A top-level await that never settled: Node warns and exits with 13.
fn unsettled_entry(scope: &mut v8::PinScope<'_, '_>, filename: &str) -> Option<Ending> {
    let entry = scope.get_slot::<SessionState>()?.modules.entry.clone()?;
    let entry = v8::Local::new(scope, entry);
    if entry.state() != v8::PromiseState::Pending {
        return None;
    }
    let warning = format!("Warning: Detected unsettled top-level await at file://{filename}\n");
    if let Some(state) = scope.get_slot_mut::<SessionState>() {
        state.output.write(v1::Stream::Stderr, warning, true);
    }
    Some(Ending::Stopped(Stop::Exit(13)))
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

/// Calls `function` with a TryCatch. `Err` carries how it ended if it threw (and no
/// 'uncaughtException' listener took the error) or was stopped.
fn call<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    function: v8::Local<'s, v8::Function>,
    args: &[v8::Local<'s, v8::Value>],
) -> Result<v8::Local<'s, v8::Value>, Ending> {
    v8::tc_scope!(let tc, scope);
    let undefined = v8::undefined(tc);
    match function.call(tc, undefined.into(), args) {
        Some(value) => Ok(value),
        None => offer_caught(tc).map(|()| undefined.into()),
    }
}

/// What a TryCatch caught, offered to the guest's 'uncaughtException' listeners: `Ok` if one
/// took it; else (or for a termination) how the session ends.
fn offer_caught(
    tc: &mut v8::PinnedRef<'_, v8::TryCatch<'_, '_, v8::HandleScope<'_>>>,
) -> Result<(), Ending> {
    match tc.exception() {
        Some(exception) if !tc.has_terminated() => {
            let exception = v8::Global::new(tc, exception);
            tc.reset();
            let exception = v8::Local::new(tc, &exception);
            offer(tc, exception, None)
        }
        _ => Err(caught(tc)),
    }
}

/// Offers an error nobody caught (with its promise, for an unhandled rejection) to the
/// guest's process listeners: `Ok` if one took it and the session goes on, else how the
/// session ends.
fn offer(
    scope: &mut v8::PinScope<'_, '_>,
    error: v8::Local<'_, v8::Value>,
    promise: Option<v8::Local<'_, v8::Promise>>,
) -> Result<(), Ending> {
    let dispatch = scope.get_slot::<SessionState>().and_then(|s| s.dispatch_uncaught.clone());
    let described = |scope: &mut v8::PinScope<'_, '_>| {
        let text = guest::describe(scope, error);
        match promise {
            Some(_) => {
                let text = text.strip_prefix("Uncaught ").unwrap_or(&text).to_owned();
                Ending::Threw(format!("Uncaught (in promise) {text}"))
            }
            None => Ending::Threw(text),
        }
    };
    let Some(dispatch) = dispatch else { return Err(described(scope)) };
    let dispatch = v8::Local::new(scope, &dispatch);
    let taken = {
        v8::tc_scope!(let tc, scope);
        let undefined = v8::undefined(tc);
        let promise: v8::Local<'_, v8::Value> = match promise {
            Some(promise) => promise.into(),
            None => v8::undefined(tc).into(),
        };
        match dispatch.call(tc, undefined.into(), &[error, promise]) {
            Some(taken) => taken.is_true(),
            // A listener that throws ends the session with its own error.
            None => {
                let listener = tc.get_slot_mut::<SessionState>().is_some_and(|s| s.listener_threw);
                return Err(match caught(tc) {
                    Ending::Threw(text) if listener => Ending::ListenerThrew(text),
                    other => other,
                });
            }
        }
    };
    if taken { Ok(()) } else { Err(described(scope)) }
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
    // Ticks, then promise jobs, until neither is left: Node's order. Promise jobs may queue
    // ticks (a stream resumed after an `await`), so the ticks are looked at again after every
    // round of jobs, and the session goes on only when a look finds none.
    let run_ticks = scope.get_slot::<SessionState>().and_then(|s| s.run_ticks.clone());
    let mut first = true;
    loop {
        let ran = match &run_ticks {
            Some(run_ticks) => {
                let run_ticks = v8::Local::new(scope, run_ticks);
                match call(scope, run_ticks, &[]) {
                    Ok(ran) => ran.is_true(),
                    Err(ending) => return Some(check(scope, control, ending)),
                }
            }
            None => false,
        };
        // After a checkpoint the job queue is empty; with no new ticks, nothing is left.
        if !ran && !first {
            break;
        }
        first = false;
        scope.perform_microtask_checkpoint();
        if let Some(stop) = control.stopped() {
            return Some(check(scope, control, Ending::Stopped(stop)));
        }
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
    for (promise, reason) in rejections {
        let promise = v8::Local::new(scope, &promise);
        let reason = v8::Local::new(scope, &reason);
        if let Err(ending) = offer(scope, reason, Some(promise)) {
            return Some(check(scope, control, ending));
        }
    }
    None
}
