//! What a session produced.

use crate::ErrorCode;

/// The outcome of `exec`: exit code, error (if any), captured console output and what the
/// session cost.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[must_use]
pub struct ExecResult {
    /// 0 on success; the guest's `process.exit` / `process.exitCode`; 1 for exceptions, memory
    /// limit and crashes; 124 for CPU and wall-clock limits.
    pub code: i32,
    /// Starts with the error code, then a human-readable explanation (for exceptions, the JS
    /// message and stack).
    pub error_message: Option<String>,
    /// Why the session failed, if it did.
    pub error_code: Option<ErrorCode>,
    /// Everything `console.log` / `info` / `debug` printed, up to the output cap.
    pub stdout: String,
    /// Everything `console.warn` / `error` printed, up to the output cap.
    pub stderr: String,
    /// Whether stdout went past `max_output_bytes` and was cut (a marker line ends it).
    pub stdout_truncated: bool,
    /// Whether stderr went past `max_output_bytes` and was cut (a marker line ends it).
    pub stderr_truncated: bool,
    /// CPU time, heap and wall-clock time of the session.
    pub metrics: SessionMetrics,
}

/// The outcome of `run`: as [`ExecResult`], plus `module.exports` as JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[must_use]
pub struct RunResult {
    /// See [`ExecResult::code`].
    pub code: i32,
    /// See [`ExecResult::error_message`].
    pub error_message: Option<String>,
    /// See [`ExecResult::error_code`].
    pub error_code: Option<ErrorCode>,
    /// See [`ExecResult::stdout`].
    pub stdout: String,
    /// See [`ExecResult::stderr`].
    pub stderr: String,
    /// See [`ExecResult::stdout_truncated`].
    pub stdout_truncated: bool,
    /// See [`ExecResult::stderr_truncated`].
    pub stderr_truncated: bool,
    /// See [`ExecResult::metrics`].
    pub metrics: SessionMetrics,
    /// `module.exports` as JSON; `None` when it is `undefined` or the session failed.
    pub exports: Option<serde_json::Value>,
}

/// What a session cost (the `metrics` of a result).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SessionMetrics {
    /// CPU time of the session's thread while the guest's code ran (what
    /// `cpu_time_limit_ms` is measured against). Zero if the session never ran.
    pub cpu_time: std::time::Duration,
    /// V8 heap in use when the guest's code ended, in bytes.
    pub heap_used_bytes: u64,
    /// Wall-clock time from the call to its result, queueing included.
    pub wall_time: std::time::Duration,
}

/// A finished session, as the process layer reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Report {
    pub(crate) code: i32,
    pub(crate) error_code: Option<ErrorCode>,
    pub(crate) error_message: Option<String>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) exports: Option<serde_json::Value>,
    pub(crate) stdout_truncated: bool,
    pub(crate) stderr_truncated: bool,
    pub(crate) metrics: SessionMetrics,
}

impl Report {
    /// A session that failed before or without reaching the guest.
    pub(crate) fn failed(
        code: i32,
        error_code: ErrorCode,
        message: impl std::fmt::Display,
    ) -> Self {
        Self {
            code,
            error_code: Some(error_code),
            error_message: Some(format!("{}: {message}", error_code.as_str())),
            stdout: String::new(),
            stderr: String::new(),
            exports: None,
            stdout_truncated: false,
            stderr_truncated: false,
            metrics: SessionMetrics::default(),
        }
    }

    pub(crate) fn into_exec(self) -> ExecResult {
        ExecResult {
            code: self.code,
            error_message: self.error_message,
            error_code: self.error_code,
            stdout: self.stdout,
            stderr: self.stderr,
            stdout_truncated: self.stdout_truncated,
            stderr_truncated: self.stderr_truncated,
            metrics: self.metrics,
        }
    }

    pub(crate) fn into_run(self) -> RunResult {
        RunResult {
            code: self.code,
            error_message: self.error_message,
            error_code: self.error_code,
            stdout: self.stdout,
            stderr: self.stderr,
            stdout_truncated: self.stdout_truncated,
            stderr_truncated: self.stderr_truncated,
            metrics: self.metrics,
            exports: self.exports,
        }
    }
}
