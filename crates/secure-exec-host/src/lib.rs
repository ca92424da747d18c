//! Run untrusted JavaScript in V8 isolates inside separate worker processes.
//!
//! A session (one `exec` or `run`) is a fresh V8 isolate on its own thread inside a worker
//! process (`secure-exec-worker`), which this crate spawns and talks to over one Unix domain
//! socket. A crash, OOM or runaway loop in a worker fails only the sessions in it, each with
//! [`ErrorCode::V8ProcessCrash`]; the host lives on.
//!
//! ```no_run
//! use secure_exec_host::{NodeRuntime, NodeRuntimeOptions, V8Runtime, V8RuntimeOptions};
//!
//! # async fn demo() -> Result<(), secure_exec_host::Error> {
//! let v8 = V8Runtime::spawn(V8RuntimeOptions::default()).await?;
//! let rt = NodeRuntime::new(NodeRuntimeOptions { v8_runtime: Some(v8.clone()), ..Default::default() });
//! let r = rt.exec("console.log(6 * 7)").await?;
//! assert_eq!((r.code, r.stdout.as_str()), (0, "42\n"));
//! let r = rt.run("module.exports = { a: 42 }").await?;
//! assert_eq!(r.exports, Some(serde_json::json!({ "a": 42 })));
//! v8.dispose().await;
//! # Ok(()) }
//! ```
//!
//! Layers: [`NodeRuntime`] (sessions with Node-like semantics and limits) → [`V8Runtime`] (one
//! worker process) → the connection actor on the host's I/O thread → the worker. The guest's
//! files and modules come from the host: [`SystemDriver`] describes that world (mounts of
//! [`MemFs`], [`HostDir`] or the embedder's own [`FileSystem`]), deny by default. [`Registry`]
//! chooses processes by [`Topology`]. This crate never links V8; only the worker does.

mod driver;
mod error;
mod net;
mod node;
mod options;
mod process;
mod registry;
mod result;
mod world;

pub use error::{Error, ErrorCode};

/// Tasks alive on the library's I/O thread: a few per live worker process plus one per session
/// in flight. For leak checks and diagnostics; it returns to its earlier value once processes
/// are disposed and sessions have ended.
pub fn io_tasks() -> usize {
    driver::alive_tasks()
}
pub use net::policy::{
    DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_MAX_REQUEST_BODY_BYTES, DEFAULT_MAX_REQUESTS,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS,
};
pub use net::{HostPattern, NetFilter, NetPolicy, NetRequest, NetRule, NetRuleError};
pub use node::NodeRuntime;
pub use options::{
    DEFAULT_MAX_EXPORTS_BYTES, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_SESSIONS,
    DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT_MS, ExecOptions, NodeRuntimeOptions, OutputCallback,
    OutputStream, Topology, V8RuntimeOptions,
};
pub use process::{ProcessState, ProcessStats, V8Runtime, WORKER_ENV, WORKER_NAME, WorkerInfo};
pub use registry::{ProcessEntry, Registry, RegistryOptions, TopologyKind};
pub use result::{ExecResult, RunResult, SessionMetrics};
pub use world::{
    DEFAULT_MAX_READ_BYTES, DEFAULT_MAX_WRITE_BYTES, DEFAULT_MEMFS_QUOTA, DirEntry,
    FROZEN_CONTENT_BYTES, FileKind, FileSystem, FsError, FsErrorCode, HostDir, MemFs, Metadata,
    SystemDriver, WriteMode,
};
