//! Options for processes ([`V8RuntimeOptions`]), runtimes ([`NodeRuntimeOptions`]) and single
//! executions ([`ExecOptions`]), with their defaults and the ranges they are checked against.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::{Error, Registry, SystemDriver, V8Runtime};

use secure_exec_proto::limits;

/// Default `memory_limit`: 128 MB of V8 heap plus ArrayBuffer memory per session.
pub const DEFAULT_MEMORY_LIMIT_MB: u64 = limits::DEFAULT_MEMORY_BYTES / MB;
/// Default `timeout_ms`: every session ends after 30 s of wall-clock time unless told otherwise.
pub const DEFAULT_TIMEOUT_MS: u64 = limits::DEFAULT_TIMEOUT_MS;
/// Default `max_output_bytes`: 1 MiB captured per stream per session.
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = limits::DEFAULT_OUTPUT_BYTES;
/// Default `max_exports_bytes`: 4 MiB of JSON from `run`.
pub const DEFAULT_MAX_EXPORTS_BYTES: u64 = limits::DEFAULT_EXPORTS_BYTES;
/// Default `max_sessions` per worker process.
pub const DEFAULT_MAX_SESSIONS: usize = 16;

/// `memory_limit` is given in MB (MiB), the protocol carries bytes.
const MB: u64 = 1024 * 1024;

/// Called with each chunk of guest console output as it arrives, in order, on a thread of the
/// host's blocking pool (never the I/O thread that serves every worker). A slow callback delays
/// only its own session's result, which comes once the callback has seen all the output; one
/// that panics is not called again, and its session is stopped with `ERR_OUTPUT_CALLBACK`.
pub type OutputCallback = Arc<dyn Fn(OutputStream, &str) + Send + Sync>;

/// Which console stream a chunk of output belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputStream {
    /// `console.log`, `info`, `debug`, `process.stdout.write`.
    Stdout,
    /// `console.warn`, `error`, `trace`, `process.stderr.write`.
    Stderr,
}

/// How a worker process is started and run. Every field has a documented default.
#[derive(Debug, Clone, PartialEq)]
pub struct V8RuntimeOptions {
    /// The `secure-exec-worker` executable. Default: `SECURE_EXEC_WORKER`, else beside the
    /// current executable (or its parent for `deps/` and `examples/`), else `PATH`.
    pub worker_path: Option<PathBuf>,
    /// Sessions (isolates) running at once in this process, shared by every runtime attached
    /// to it. Default [`DEFAULT_MAX_SESSIONS`]. The worker enforces it too.
    pub max_sessions: usize,
    /// Sessions that may wait for a free slot; more fail with `ERR_SESSION_QUEUE_FULL`.
    /// Default 1024.
    pub max_queued: usize,
    /// Longest wait for a slot before `ERR_SESSION_QUEUE_TIMEOUT`. Default 30 s.
    pub queue_timeout: Duration,
    /// How long `dispose` gives the worker to end its sessions and exit after asking it to
    /// shut down, and again after SIGTERM, before SIGKILL. Default 2 s.
    pub dispose_grace: Duration,
    /// Longest wait for the worker's handshake at spawn. Default 10 s.
    pub handshake_timeout: Duration,
    /// How often the host pings a worker that has been silent. Default 1 s.
    pub heartbeat_interval: Duration,
    /// A worker silent for this long is killed and its sessions get `ERR_V8_PROCESS_CRASH`.
    /// Default 5 s.
    pub heartbeat_timeout: Duration,
    /// How long past a session's own timeout the host waits for the worker to report it
    /// before giving the worker up as wedged (killed, `ERR_V8_PROCESS_CRASH`). The worker
    /// itself aborts 5 s after a stop it cannot carry out, so keep this above that. Default
    /// 10 s.
    pub result_grace: Duration,
    /// Largest frame this host accepts and sends, 1 MiB to 256 MiB. Default 16 MiB. The
    /// handshake settles on the smaller of this and the worker's own limit (16 MiB), which
    /// bounds what one session may send: code, filename, `env` and `argv` that do not fit are
    /// `ERR_INVALID_OPTIONS`.
    pub max_frame_len: usize,
    /// Install the worker's seccomp filter (see docs/security.md). Default `true`; turn off
    /// only to debug the worker under tools the filter would stop.
    pub seccomp: bool,
    /// Cap on the worker's address space (`RLIMIT_AS`), in MB. Default: none. V8 reserves far
    /// more address space than it uses (WebAssembly memories reserve several GB each), so set
    /// it generously; a worker that hits it crashes.
    pub address_space_limit_mb: Option<u64>,
    /// Cap on the worker's total CPU time (`RLIMIT_CPU`), in seconds, across all its sessions.
    /// Default: none. Past it the kernel kills the worker (a crash, `SIGXCPU`/`SIGKILL`).
    pub cpu_seconds_limit: Option<u64>,
}

impl Default for V8RuntimeOptions {
    fn default() -> Self {
        Self {
            worker_path: None,
            max_sessions: DEFAULT_MAX_SESSIONS,
            max_queued: 1024,
            queue_timeout: Duration::from_secs(30),
            dispose_grace: Duration::from_secs(2),
            handshake_timeout: Duration::from_secs(10),
            heartbeat_interval: Duration::from_secs(1),
            heartbeat_timeout: Duration::from_secs(5),
            result_grace: Duration::from_secs(10),
            max_frame_len: secure_exec_proto::DEFAULT_MAX_FRAME_LEN,
            seccomp: true,
            address_space_limit_mb: None,
            cpu_seconds_limit: None,
        }
    }
}

impl V8RuntimeOptions {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let invalid = |msg: String| Err(Error::InvalidOptions(msg));
        if self.max_sessions == 0 || self.max_sessions > 4096 {
            return invalid(format!("max_sessions must be 1..=4096, got {}", self.max_sessions));
        }
        if self.max_frame_len < limits::MIN_FRAME_LEN || self.max_frame_len > 256 * 1024 * 1024 {
            return invalid(format!(
                "max_frame_len must be between {} and {} bytes (1 MiB to 256 MiB), got {}",
                limits::MIN_FRAME_LEN,
                256 * 1024 * 1024,
                self.max_frame_len
            ));
        }
        if self.address_space_limit_mb.is_some_and(|mb| !(256..=1 << 30).contains(&mb)) {
            return invalid("address_space_limit_mb must be at least 256".into());
        }
        if self.cpu_seconds_limit == Some(0) {
            return invalid("cpu_seconds_limit must be greater than zero".into());
        }
        for (name, value) in [
            ("handshake_timeout", self.handshake_timeout),
            ("heartbeat_interval", self.heartbeat_interval),
            ("heartbeat_timeout", self.heartbeat_timeout),
            ("result_grace", self.result_grace),
        ] {
            if value.is_zero() {
                return invalid(format!("{name} must be greater than zero"));
            }
        }
        Ok(())
    }
}

/// Which worker process a [`NodeRuntime`](crate::NodeRuntime) runs its sessions in, when it is
/// not given an explicit `v8_runtime`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Topology {
    /// The registry's one shared process (started on first use, replaced after a crash).
    #[default]
    Shared,
    /// A process per tenant key, shared by every runtime with that key.
    Tenant(String),
    /// A process of this runtime's own, replaced on next use after a crash.
    PerRuntime,
}

/// Options of a [`NodeRuntime`](crate::NodeRuntime): where it runs and its per-session
/// defaults.
#[derive(Clone, Default)]
pub struct NodeRuntimeOptions {
    /// Run every session in this process. It never respawns: after it crashes, sessions fail
    /// with `ERR_V8_PROCESS_CRASH` until a new `V8Runtime` is given. Overrides `topology`.
    pub v8_runtime: Option<V8Runtime>,
    /// Where sessions run without `v8_runtime`. Default: [`Topology::Shared`].
    pub topology: Topology,
    /// The registry for `topology`. Default: [`Registry::global()`].
    pub registry: Option<Registry>,
    /// Options for processes this runtime starts through `Tenant` or `PerRuntime`.
    pub process_options: V8RuntimeOptions,
    /// Per-session memory budget in MB (V8 heap plus ArrayBuffers). Default 128.
    pub memory_limit: Option<u64>,
    /// Per-session CPU time budget of the session's thread, in ms. Default: none.
    pub cpu_time_limit_ms: Option<u64>,
    /// Per-session wall-clock bound in ms. Default 30 000.
    pub timeout_ms: Option<u64>,
    /// Captured bytes per stream per session. Default 1 MiB.
    pub max_output_bytes: Option<u64>,
    /// Largest `run` exports as JSON, in bytes. Default 4 MiB.
    pub max_exports_bytes: Option<u64>,
    /// `process.env` for the guest. Default: empty.
    pub env: BTreeMap<String, String>,
    /// Extra `process.argv` entries after `[process.execPath, filename]` (the guest's execPath
    /// is `/usr/local/bin/node`, as Node's first entry is its own path).
    pub argv: Vec<String>,
    /// The guest's world: its filesystems (mounts), working directory and I/O bounds.
    /// Default: an in-memory `/` (empty but for `/tmp`), fresh for every session, no host path
    /// visible.
    pub system: SystemDriver,
}

impl fmt::Debug for NodeRuntimeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeRuntimeOptions")
            .field("v8_runtime", &self.v8_runtime.as_ref().map(V8Runtime::pid))
            .field("topology", &self.topology)
            .field("process_options", &self.process_options)
            .field("memory_limit", &self.memory_limit)
            .field("cpu_time_limit_ms", &self.cpu_time_limit_ms)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_output_bytes", &self.max_output_bytes)
            .field("max_exports_bytes", &self.max_exports_bytes)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .field("argv", &self.argv)
            .field("system", &self.system)
            .finish_non_exhaustive()
    }
}

/// Per-call overrides for `exec_with` / `run_with`; `None` keeps the runtime's setting.
#[derive(Clone, Default)]
pub struct ExecOptions {
    /// See [`NodeRuntimeOptions::memory_limit`].
    pub memory_limit: Option<u64>,
    /// See [`NodeRuntimeOptions::cpu_time_limit_ms`].
    pub cpu_time_limit_ms: Option<u64>,
    /// See [`NodeRuntimeOptions::timeout_ms`].
    pub timeout_ms: Option<u64>,
    /// See [`NodeRuntimeOptions::max_output_bytes`].
    pub max_output_bytes: Option<u64>,
    /// See [`NodeRuntimeOptions::max_exports_bytes`].
    pub max_exports_bytes: Option<u64>,
    /// The guest path of the code: shown in stack traces, and where its relative `require`s
    /// and `import`s start. Relative to the working directory; default `index.js` there.
    pub filename: Option<String>,
    /// Receives output chunks as they are produced (they are also in the result).
    pub on_output: Option<OutputCallback>,
}

impl fmt::Debug for ExecOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecOptions")
            .field("memory_limit", &self.memory_limit)
            .field("cpu_time_limit_ms", &self.cpu_time_limit_ms)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_output_bytes", &self.max_output_bytes)
            .field("max_exports_bytes", &self.max_exports_bytes)
            .field("filename", &self.filename)
            .field("on_output", &self.on_output.as_ref().map(|_| "callback"))
            .finish()
    }
}

/// The limits one session runs with, after defaults and checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionLimits {
    pub(crate) memory_limit_mb: u64,
    pub(crate) cpu_time_limit_ms: Option<u64>,
    pub(crate) timeout_ms: u64,
    pub(crate) max_output_bytes: u64,
    pub(crate) max_exports_bytes: u64,
}

impl SessionLimits {
    /// Merges per-call overrides over runtime defaults and checks every value.
    pub(crate) fn resolve(runtime: &NodeRuntimeOptions, call: &ExecOptions) -> Result<Self, Error> {
        let memory = call.memory_limit.or(runtime.memory_limit);
        let cpu = call.cpu_time_limit_ms.or(runtime.cpu_time_limit_ms);
        let timeout = call.timeout_ms.or(runtime.timeout_ms);
        let output = call.max_output_bytes.or(runtime.max_output_bytes);
        let exports = call.max_exports_bytes.or(runtime.max_exports_bytes);
        Ok(Self {
            memory_limit_mb: check(
                "memory_limit",
                memory,
                limits::MEMORY_BYTES.0 / MB,
                limits::MEMORY_BYTES.1 / MB,
                "MB",
            )?
            .unwrap_or(DEFAULT_MEMORY_LIMIT_MB),
            cpu_time_limit_ms: check("cpu_time_limit_ms", cpu, 1, limits::MAX_TIME_MS, "ms")?,
            timeout_ms: check("timeout_ms", timeout, 1, limits::MAX_TIME_MS, "ms")?
                .unwrap_or(DEFAULT_TIMEOUT_MS),
            max_output_bytes: check(
                "max_output_bytes",
                output,
                1,
                limits::MAX_OUTPUT_BYTES,
                "bytes",
            )?
            .unwrap_or(DEFAULT_MAX_OUTPUT_BYTES),
            max_exports_bytes: check(
                "max_exports_bytes",
                exports,
                1,
                limits::MAX_EXPORTS_BYTES,
                "bytes",
            )?
            .unwrap_or(DEFAULT_MAX_EXPORTS_BYTES),
        })
    }

    pub(crate) fn to_proto(self) -> secure_exec_proto::v1::Limits {
        secure_exec_proto::v1::Limits {
            memory_limit_bytes: self.memory_limit_mb * MB,
            cpu_time_limit_ms: self.cpu_time_limit_ms.unwrap_or(0),
            timeout_ms: self.timeout_ms,
            max_output_bytes: self.max_output_bytes,
            max_exports_bytes: self.max_exports_bytes,
        }
    }
}

fn check(
    name: &str,
    value: Option<u64>,
    min: u64,
    max: u64,
    unit: &str,
) -> Result<Option<u64>, Error> {
    match value {
        Some(v) if v < min || v > max => Err(Error::InvalidOptions(format!(
            "{name} must be between {min} and {max} {unit}, got {v}"
        ))),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_without_a_timeout_gets_the_30_s_wall_clock_bound() {
        let limits =
            SessionLimits::resolve(&NodeRuntimeOptions::default(), &ExecOptions::default())
                .expect("defaults are valid");
        assert_eq!(limits.timeout_ms, 30_000);
        assert_eq!(limits.to_proto().timeout_ms, 30_000);
        let call = ExecOptions { timeout_ms: Some(5), ..Default::default() };
        let limits = SessionLimits::resolve(&NodeRuntimeOptions::default(), &call).expect("valid");
        assert_eq!(limits.timeout_ms, 5);
    }
}
