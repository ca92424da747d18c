//! The stable error codes a worker puts in `SessionResult.error_code`, defined once for both
//! sides: the worker writes them, the host maps them onto its public `ErrorCode` and treats any
//! other string from a worker as a protocol violation.

/// The worker is shutting down (the host closed the connection or asked it to) and ended the
/// session; hosts report it like a crash, since the process is going away.
pub const V8_PROCESS_CRASH: &str = "ERR_V8_PROCESS_CRASH";
/// An exception nobody caught, or a rejected promise nobody handled.
pub const GUEST_EXCEPTION: &str = "ERR_GUEST_EXCEPTION";
/// V8 heap plus ArrayBuffer and WebAssembly memory went past the session's budget.
pub const MEMORY_LIMIT: &str = "ERR_MEMORY_LIMIT";
/// The session's thread used more CPU time than its limit.
pub const CPU_TIME_LIMIT: &str = "ERR_CPU_TIME_LIMIT";
/// The session ran past its wall-clock limit.
pub const TIMEOUT: &str = "ERR_TIMEOUT";
/// The worker already runs (and has parked) as many sessions as it may.
pub const SESSION_REFUSED: &str = "ERR_SESSION_REFUSED";
/// `module.exports` has no JSON form.
pub const EXPORTS_NOT_SERIALIZABLE: &str = "ERR_EXPORTS_NOT_SERIALIZABLE";
/// `module.exports` as JSON is larger than the session's cap.
pub const EXPORTS_TOO_LARGE: &str = "ERR_EXPORTS_TOO_LARGE";
/// The host cancelled the session.
pub const CANCELLED: &str = "ERR_CANCELLED";
/// The guest kept more timers pending than a session may (see `limits::MAX_PENDING_TIMERS`).
pub const TIMER_LIMIT: &str = "ERR_TIMER_LIMIT";
/// Something inside the worker failed that is not the guest's doing.
pub const INTERNAL: &str = "ERR_INTERNAL";

/// Every code a worker may send.
pub const ALL: [&str; 11] = [
    V8_PROCESS_CRASH,
    GUEST_EXCEPTION,
    MEMORY_LIMIT,
    CPU_TIME_LIMIT,
    TIMEOUT,
    SESSION_REFUSED,
    EXPORTS_NOT_SERIALIZABLE,
    EXPORTS_TOO_LARGE,
    CANCELLED,
    TIMER_LIMIT,
    INTERNAL,
];
