//! A session's limits as the worker applies them.

use std::time::Duration;

use secure_exec_proto::v1;

/// Resolved limits of one session.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) memory: u64,
    pub(crate) cpu: Option<Duration>,
    pub(crate) wall: Duration,
    pub(crate) output: u64,
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
