//! Test-only fault injection (`--features fault-injection`): real crashes on demand.
//!
//! `__secureExecFault(kind)` in guest code triggers one of: `segfault` (a write to an unmapped
//! address), `abort`, `panic` (a Rust panic, which the worker's hook turns into an abort),
//! `oom` (the session's next heap-limit hit is a fatal V8 out-of-memory), `hang` (the session
//! thread blocks in native code where termination cannot reach it) and `freeze` (the whole
//! process stops itself with SIGSTOP). The feature is never part of a release build.

use crate::guest::SessionState;

pub(crate) fn fault(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let kind = args.get(0).to_rust_string_lossy(scope);
    eprintln!("secure-exec-worker: injected fault {kind:?}");
    match kind.as_str() {
        "segfault" => {
            // SAFETY: deliberately not safe: the point is a real SIGSEGV from a bad write.
            unsafe { std::ptr::write_volatile(std::ptr::without_provenance_mut::<u64>(8), 1) };
        }
        "abort" => std::process::abort(),
        "panic" => panic!("injected panic"),
        "oom" => {
            if let Some(state) = scope.get_slot::<SessionState>() {
                state.budget.disable_headroom();
            }
        }
        "hang" => loop {
            std::thread::park();
        },
        "freeze" => {
            // SAFETY: raising a signal at ourselves.
            unsafe { libc::raise(libc::SIGSTOP) };
        }
        other => {
            let message = format!("unknown fault {other:?}");
            if let Some(message) = v8::String::new(scope, &message) {
                let error = v8::Exception::type_error(scope, message);
                scope.throw_exception(error);
            }
        }
    }
}
