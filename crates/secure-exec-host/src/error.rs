//! Errors: [`ErrorCode`] for what happened to a session, [`Error`] for failing to attempt one.

use std::path::PathBuf;

use secure_exec_proto::errors;

/// Every stable error code of secure-exec. Stable: `as_str()` values never change meaning.
///
/// Carried in [`ExecResult::error_code`](crate::ExecResult::error_code) for what happened to a
/// session (the result's `error_message` always starts with the code's string), and returned by
/// [`Error::code`] for why a session could not be attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The worker process died (or was killed, disposed, or found misbehaving) while the session
    /// was queued or running, or before it started. `ERR_V8_PROCESS_CRASH`.
    V8ProcessCrash,
    /// The guest threw an exception nobody caught, or left a rejected promise unhandled.
    /// `ERR_GUEST_EXCEPTION`.
    GuestException,
    /// The session's V8 heap plus ArrayBuffer memory went past `memory_limit`. `ERR_MEMORY_LIMIT`.
    MemoryLimit,
    /// The session's thread used more CPU time than `cpu_time_limit_ms`. `ERR_CPU_TIME_LIMIT`.
    CpuTimeLimit,
    /// The session ran longer than `timeout_ms` of wall-clock time. `ERR_TIMEOUT`.
    Timeout,
    /// The process's session queue was full. `ERR_SESSION_QUEUE_FULL`.
    SessionQueueFull,
    /// The session waited in the queue longer than `queue_timeout`. `ERR_SESSION_QUEUE_TIMEOUT`.
    SessionQueueTimeout,
    /// The worker refused to open the session (its own session limit). `ERR_SESSION_REFUSED`.
    SessionRefused,
    /// `run`: `module.exports` has no JSON form (a function, a cycle, a BigInt).
    /// `ERR_EXPORTS_NOT_SERIALIZABLE`.
    ExportsNotSerializable,
    /// `run`: `module.exports` as JSON is larger than allowed. `ERR_EXPORTS_TOO_LARGE`.
    ExportsTooLarge,
    /// The session was cancelled (its caller went away). `ERR_CANCELLED`.
    Cancelled,
    /// The guest kept more timers pending at once than a session may (100 000).
    /// `ERR_TIMER_LIMIT`.
    TimerLimit,
    /// The embedder's `on_output` callback panicked; the session was stopped.
    /// `ERR_OUTPUT_CALLBACK`.
    OutputCallback,
    /// Something inside the worker failed that is not the guest's doing. `ERR_INTERNAL`.
    Internal,
    /// [`Error::WorkerNotFound`]. `ERR_WORKER_NOT_FOUND`.
    WorkerNotFound,
    /// [`Error::Spawn`]. `ERR_SPAWN`.
    Spawn,
    /// [`Error::Handshake`]. `ERR_HANDSHAKE`.
    Handshake,
    /// [`Error::VersionMismatch`]. `ERR_PROTOCOL_VERSION_MISMATCH`.
    ProtocolVersionMismatch,
    /// [`Error::InvalidOptions`]. `ERR_INVALID_OPTIONS`.
    InvalidOptions,
    /// [`Error::TenantLimit`]. `ERR_TENANT_LIMIT`.
    TenantLimit,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 20] = [
        Self::V8ProcessCrash,
        Self::GuestException,
        Self::MemoryLimit,
        Self::CpuTimeLimit,
        Self::Timeout,
        Self::SessionQueueFull,
        Self::SessionQueueTimeout,
        Self::SessionRefused,
        Self::ExportsNotSerializable,
        Self::ExportsTooLarge,
        Self::Cancelled,
        Self::TimerLimit,
        Self::OutputCallback,
        Self::Internal,
        Self::WorkerNotFound,
        Self::Spawn,
        Self::Handshake,
        Self::ProtocolVersionMismatch,
        Self::InvalidOptions,
        Self::TenantLimit,
    ];

    /// The stable string form, such as `"ERR_V8_PROCESS_CRASH"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V8ProcessCrash => errors::V8_PROCESS_CRASH,
            Self::GuestException => errors::GUEST_EXCEPTION,
            Self::MemoryLimit => errors::MEMORY_LIMIT,
            Self::CpuTimeLimit => errors::CPU_TIME_LIMIT,
            Self::Timeout => errors::TIMEOUT,
            Self::SessionQueueFull => "ERR_SESSION_QUEUE_FULL",
            Self::SessionQueueTimeout => "ERR_SESSION_QUEUE_TIMEOUT",
            Self::SessionRefused => errors::SESSION_REFUSED,
            Self::ExportsNotSerializable => errors::EXPORTS_NOT_SERIALIZABLE,
            Self::ExportsTooLarge => errors::EXPORTS_TOO_LARGE,
            Self::Cancelled => errors::CANCELLED,
            Self::TimerLimit => errors::TIMER_LIMIT,
            Self::OutputCallback => "ERR_OUTPUT_CALLBACK",
            Self::Internal => errors::INTERNAL,
            Self::WorkerNotFound => "ERR_WORKER_NOT_FOUND",
            Self::Spawn => "ERR_SPAWN",
            Self::Handshake => "ERR_HANDSHAKE",
            Self::ProtocolVersionMismatch => "ERR_PROTOCOL_VERSION_MISMATCH",
            Self::InvalidOptions => "ERR_INVALID_OPTIONS",
            Self::TenantLimit => "ERR_TENANT_LIMIT",
        }
    }

    /// The code for a stable string, if it is one.
    pub fn from_str_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The code a worker reported in a session result, if it is one a worker may send.
    pub(crate) fn from_worker(code: &str) -> Option<Self> {
        errors::ALL.contains(&code).then(|| Self::from_str_code(code)).flatten()
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_str_code(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code {text:?}")))
    }
}

/// The host could not attempt a session at all: no worker, a failed spawn or handshake, or
/// invalid options. What happens to a session once attempted is an `Ok` result instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The worker executable was not found; lists every place looked in.
    #[error("ERR_WORKER_NOT_FOUND: secure-exec-worker executable not found; tried: {}", display_paths(.tried))]
    WorkerNotFound {
        /// Where the host looked, in order.
        tried: Vec<PathBuf>,
    },
    /// The worker process could not be started.
    #[error("ERR_SPAWN: cannot start worker {}: {source}", .path.display())]
    Spawn {
        /// The executable.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The worker started but the handshake failed.
    #[error("ERR_HANDSHAKE: worker {} failed the handshake: {reason}", .path.display())]
    Handshake {
        /// The executable.
        path: PathBuf,
        /// What went wrong, with the worker's stderr if it said anything.
        reason: String,
    },
    /// The worker speaks another protocol version (a stale or mismatched binary).
    #[error(
        "ERR_PROTOCOL_VERSION_MISMATCH: worker {} speaks protocol {worker} (version {worker_version}), this host speaks {host}",
        .path.display()
    )]
    VersionMismatch {
        /// The executable.
        path: PathBuf,
        /// The host's protocol version.
        host: u32,
        /// The worker's protocol version.
        worker: u32,
        /// The worker's package version.
        worker_version: String,
    },
    /// An option was out of range, or a request too large to send to a worker.
    #[error("ERR_INVALID_OPTIONS: {0}")]
    InvalidOptions(String),
    /// A registry already holds `max_tenants` tenants and none of them is idle.
    #[error("ERR_TENANT_LIMIT: {0}")]
    TenantLimit(String),
    /// The process is not usable any more (crashed or disposed) for a request that is not a
    /// session, such as `stats()`.
    #[error("ERR_V8_PROCESS_CRASH: {0}")]
    ProcessUnavailable(String),
}

impl Error {
    /// The stable code at the start of the message.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::WorkerNotFound { .. } => ErrorCode::WorkerNotFound,
            Self::Spawn { .. } => ErrorCode::Spawn,
            Self::Handshake { .. } => ErrorCode::Handshake,
            Self::VersionMismatch { .. } => ErrorCode::ProtocolVersionMismatch,
            Self::InvalidOptions(_) => ErrorCode::InvalidOptions,
            Self::TenantLimit(_) => ErrorCode::TenantLimit,
            Self::ProcessUnavailable(_) => ErrorCode::V8ProcessCrash,
        }
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_string() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_str_code(code.as_str()), Some(code));
        }
    }

    #[test]
    fn every_worker_code_is_known_and_host_codes_are_not_accepted_from_a_worker() {
        for code in errors::ALL {
            assert!(ErrorCode::from_worker(code).is_some(), "{code}");
        }
        assert_eq!(ErrorCode::from_worker("ERR_INVALID_OPTIONS"), None);
        assert_eq!(ErrorCode::from_worker("ERR_SESSION_QUEUE_FULL"), None);
    }

    #[test]
    fn every_error_message_starts_with_its_code() {
        let error = Error::InvalidOptions("x".into());
        assert!(error.to_string().starts_with(error.code().as_str()));
        let error = Error::TenantLimit("y".into());
        assert!(error.to_string().starts_with(error.code().as_str()));
    }
}
