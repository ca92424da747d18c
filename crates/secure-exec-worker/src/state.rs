//! What a session keeps in its isolate's slot, for the native callbacks of the guest
//! environment (and the test-only fault hooks) to reach.

use std::sync::Arc;

use crate::budget::MemoryBudget;
use crate::control::Control;
use crate::guest::{HostCalls, ModuleTable};
use crate::output::Output;

/// Per-session state kept in the isolate's slot, reachable from native callbacks.
#[derive(Debug)]
pub(crate) struct SessionState {
    pub(crate) control: Arc<Control>,
    pub(crate) output: Output,
    pub(crate) budget: Arc<MemoryBudget>,
    /// The first exception nobody caught (from a microtask or `reportError`), described.
    pub(crate) uncaught: Option<String>,
    /// When the session's code started (`performance.now()` counts from here).
    pub(crate) started: std::time::Instant,
    /// Rejected promises without a handler, since the last check.
    pub(crate) rejections: Vec<(v8::Global<v8::Promise>, v8::Global<v8::Value>)>,
    /// Host calls in flight and reply bytes not yet taken.
    pub(crate) host: HostCalls,
    /// The worker's shared module sources this session holds.
    pub(crate) sources: crate::guest::SessionSources,
    /// The session's ES modules.
    pub(crate) modules: ModuleTable,
    /// The prelude's `loadNode`, for an `import()` that comes before any `require`.
    pub(crate) load_node: Option<v8::Global<v8::Function>>,
    /// The prelude's `runTicks`: `process.nextTick` callbacks, run before promise jobs.
    pub(crate) run_ticks: Option<v8::Global<v8::Function>>,
    /// The prelude's `dispatchUncaught(error, promise)`: hands an error nobody caught to the
    /// guest's 'uncaughtException' / 'unhandledRejection' listeners; true if one took it.
    pub(crate) dispatch_uncaught: Option<v8::Global<v8::Function>>,
    /// The session's world, as the host names it: walks are remembered per world
    /// (`guest::walks`).
    pub(crate) world: u64,
    /// The session's open Brotli streams (`guest::brotli`).
    pub(crate) brotli: crate::guest::BrotliStreams,
    /// The session's streaming `TextDecoder`s in legacy encodings (`guest::text_decoders`).
    pub(crate) text_decoders: crate::guest::TextDecoders,
    /// The session's running hashes and HMACs (`guest::hashers`).
    pub(crate) hashers: crate::guest::Hashers,
    /// The lazily built parts of the environment the session used (`guest::demand`).
    pub(crate) used: u32,
    /// An 'uncaughtException' listener threw (the session ends with exit code 7).
    pub(crate) listener_threw: bool,
    /// The session's script deadline (`vm`'s `timeout`), while the watchdog watches it.
    pub(crate) script_timer: Option<crate::watchdog::ScriptTimer>,
    /// What the session compiled without a code-cache entry (made after its result).
    pub(crate) uncached: Vec<(crate::guest::code_cache::Key, crate::guest::code_cache::Compiled)>,
    /// Guest-environment scripts (node.js, vendor.js, web.js) this session compiled first,
    /// whose code caches are made after its result.
    pub(crate) script_caches:
        Vec<(v8::Global<v8::UnboundScript>, &'static std::sync::OnceLock<Vec<u8>>)>,
}
