//! What a session's result says: exit code, error code and message, exports.

use secure_exec_proto::errors;
use secure_exec_proto::limits as agreed;
use secure_exec_proto::v1;

use super::Session;
use super::limits::Limits;
use crate::control::Stop;
use crate::guest::{self, Hooks};

/// What the result is made of, before it is framed.
#[derive(Debug, Default)]
pub(super) struct Verdict {
    pub(super) code: i32,
    pub(super) error: Option<(&'static str, String)>,
    pub(super) exports_json: Option<String>,
}

impl Verdict {
    pub(super) fn error(code: i32, error_code: &'static str, message: String) -> Self {
        Self { code, error: Some((error_code, message)), exports_json: None }
    }
}

/// A result for a session that never ran, stopped for `stop`.
pub(crate) fn stopped_result(session_id: u64, stop: Stop) -> v1::SessionResult {
    let mut result = v1::SessionResult { session_id, ..Default::default() };
    fill(&mut result, stopped_verdict(stop, None));
    result
}

pub(super) fn fill(result: &mut v1::SessionResult, verdict: Verdict) {
    result.code = verdict.code;
    if let Some((code, message)) = verdict.error {
        result.error_code = code.to_owned();
        result.error_message = crate::output::cap(
            format!("{code}: {message}"),
            agreed::MAX_ERROR_MESSAGE_BYTES,
            crate::output::MESSAGE_MARKER,
        );
    }
    result.exports_json = verdict.exports_json;
}

/// The code finished on its own: work out the exit code and, for `run`, the exports.
pub(super) fn finish(
    scope: &mut v8::PinScope<'_, '_>,
    hooks: &Hooks,
    session: &Session<'_>,
) -> Verdict {
    v8::tc_scope!(let tc, scope);
    let process = v8::Local::new(tc, &hooks.process);
    let code = v8::String::new(tc, "exitCode")
        .and_then(|key| process.get(tc, key.into()))
        .filter(|value| !value.is_null_or_undefined())
        .map(|value| value.integer_value(tc).and_then(|n| i32::try_from(n).ok()).unwrap_or(1))
        .unwrap_or(0);
    let mut verdict = Verdict { code, ..Verdict::default() };
    if session.execute.mode == v1::ExecuteMode::Run as i32 {
        match exports_json(tc, hooks, session.limits) {
            Ok(json) => verdict.exports_json = json,
            Err(error) => verdict = error,
        }
    }
    if let Some(stop) = session.control.stopped() {
        return stopped_verdict(stop, Some(session.limits));
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

pub(super) fn stopped_verdict(stop: Stop, limits: Option<Limits>) -> Verdict {
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
            format!("more than {} timers pending at once", agreed::MAX_PENDING_TIMERS),
        ),
    }
}
