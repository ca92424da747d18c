//! The guest's world: the natives the prelude is built on, and reading values back out.
//!
//! `prelude.js` builds console, process, timers and module/require from four natives
//! (`print`, `exit`, `reportError`, `timerLimit`), and `web.js` (loaded on first use through
//! `loadWeb`) the web platform globals from those in `web.rs`, so the surface the guest can
//! reach in Rust stays small.

use std::sync::OnceLock;

use secure_exec_proto::limits::{MAX_ERROR_MESSAGE_BYTES, MAX_PENDING_TIMERS};
use secure_exec_proto::v1;

use crate::control::Stop;
pub(crate) use crate::state::SessionState;

mod brotli;
mod buffer;
mod cipher;
pub(crate) mod code_cache;
pub(crate) mod demand;
mod digest_store;
mod ecdh;
mod hashers;
mod held;
mod host;
mod kdf;
mod keys;
mod modules;
mod serialization;
mod sources;
mod text_decoders;
mod types;
mod vm;
mod walks;
mod web;

pub(crate) use brotli::BrotliStreams;
pub(crate) use hashers::Hashers;
pub(crate) use host::{HostCalls, reply_object, settle_reply};
pub(crate) use modules::{ModuleTable, configure_isolate};
pub(crate) use sources::SessionSources;
pub(crate) use text_decoders::TextDecoders;

const PRELUDE: &str = include_str!("prelude.js");
const WEB: &str = include_str!("web.js");
const NODE: &str = include_str!("node.js");
const VENDOR: &str = include_str!("vendor.js");
const NET: &str = include_str!("net.js");
const TEST_RUNNER: &str = include_str!("test_runner.js");

/// Whether the scripts above are all ASCII (`cargo xtask builtins` escapes everything else), so
/// that sessions can hand them to V8 as external one-byte strings over the binary's own copy.
fn scripts_are_ascii() -> bool {
    static ASCII: OnceLock<bool> = OnceLock::new();
    *ASCII
        .get_or_init(|| [PRELUDE, WEB, NODE, VENDOR, NET, TEST_RUNNER].iter().all(|s| s.is_ascii()))
}

/// `process.argv[0]`: the guest's `process.execPath` (prelude.js), as Node puts its own path
/// there; tools such as yargs look for `node` in it.
const GUEST_EXEC_PATH: &str = "/usr/local/bin/node";

/// The parameters of a CommonJS module's function, in Node's order.
pub(crate) const CJS_PARAMS: [&str; 5] =
    ["exports", "require", "module", "__filename", "__dirname"];

/// What the worker keeps from the prelude to drive the session.
#[derive(Debug)]
pub(crate) struct Hooks {
    pub(crate) module: v8::Global<v8::Object>,
    pub(crate) process: v8::Global<v8::Object>,
    pub(crate) require: v8::Global<v8::Function>,
    pub(crate) next_timer: v8::Global<v8::Function>,
    pub(crate) fire_timer: v8::Global<v8::Function>,
    /// `hostReply(id, reply)`: hands an async host call's reply to whoever waits for it.
    pub(crate) host_reply: v8::Global<v8::Function>,
    /// Per-session settings the prelude reads (`cwd`).
    pub(crate) session: v8::Global<v8::Object>,
    /// `runModule(source, filename)`: runs the entry as an ES module.
    pub(crate) run_module: v8::Global<v8::Function>,
    /// `emitExit()`: runs the guest's 'exit' listeners when its work is done;
    /// `emitExit(true)` its 'beforeExit' listeners, answering whether there were any.
    pub(crate) emit_exit: v8::Global<v8::Function>,
    /// `prepare(parts)`: builds the lazily built parts of the environment (`demand.rs`).
    pub(crate) prepare: v8::Global<v8::Function>,
}

/// The prelude compiled once, as V8 code cache: later sessions skip parsing and compiling it.
static PRELUDE_CACHE: OnceLock<Vec<u8>> = OnceLock::new();
/// The same for `web.js`.
static WEB_CACHE: OnceLock<Vec<u8>> = OnceLock::new();
/// The same for `node.js`.
static NODE_CACHE: OnceLock<Vec<u8>> = OnceLock::new();
/// The same for `vendor.js`.
static VENDOR_CACHE: OnceLock<Vec<u8>> = OnceLock::new();
/// The same for `net.js`.
static NET_CACHE: OnceLock<Vec<u8>> = OnceLock::new();
/// The same for `test_runner.js`.
static TEST_RUNNER_CACHE: OnceLock<Vec<u8>> = OnceLock::new();

/// Compiles `code` (from the code cache in `cache` once there is one) and runs it; returns the
/// script and what it evaluated to.
fn compile_cached<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    code: &'static str,
    name: &str,
    cache: &OnceLock<Vec<u8>>,
) -> Result<(v8::Local<'s, v8::Script>, v8::Local<'s, v8::Value>), String> {
    let code = if scripts_are_ascii() {
        v8::String::new_external_onebyte_static(scope, code.as_bytes())
            .ok_or_else(|| format!("{name} is too long for a string"))?
    } else {
        new_string(scope, code)?
    };
    let name = new_string(scope, name)?;
    let origin = script_origin(scope, name.into());
    let (mut source, options) = code_cache::source(code, &origin, cache.get().map(Vec::as_slice));
    let script = v8::script_compiler::compile(
        scope,
        &mut source,
        options,
        v8::script_compiler::NoCacheReason::NoReason,
    )
    .ok_or_else(|| format!("{} does not compile", name.to_rust_string_lossy(scope)))?;
    let value = script.run(scope).ok_or("a guest-environment script did not evaluate")?;
    Ok((script, value))
}

/// Runs the prelude in the current context, installing the guest's globals.
pub(crate) fn install<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    memory_limit: u64,
) -> Result<Hooks, String> {
    let natives = v8::Object::new(scope);
    set_function(scope, natives, "print", print);
    set_function(scope, natives, "exit", exit);
    set_function(scope, natives, "listenerThrew", listener_threw);
    set_function(scope, natives, "reportError", report_error);
    set_function(scope, natives, "timerLimit", timer_limit);
    #[cfg(feature = "fault-injection")]
    {
        let global = scope.get_current_context().global(scope);
        set_function(scope, global, "__secureExecFault", crate::faults::fault);
        set_function(
            scope,
            global,
            "__secureExecSandboxSelfTest",
            crate::faults::sandbox_self_test,
        );
    }

    web::install(scope, natives);
    buffer::install(scope, natives);
    text_decoders::install(scope, natives);
    hashers::install(scope, natives);
    host::install(scope, natives);
    modules::install(scope, natives);
    sources::install(scope, natives);
    walks::install(scope, natives);
    types::install(scope, natives);
    kdf::install(scope, natives);
    cipher::install(scope, natives);
    brotli::install(scope, natives);
    keys::install(scope, natives);
    ecdh::install(scope, natives);
    serialization::install(scope, natives);
    vm::install(scope, natives);
    set_function(scope, natives, "loadWeb", load_web);
    set_function(scope, natives, "loadNode", load_node);
    set_function(scope, natives, "loadVendor", load_vendor);
    set_function(scope, natives, "used", used);
    set_function(scope, natives, "loadNet", load_net);
    set_function(scope, natives, "loadTestRunner", load_test_runner);
    set_function(scope, natives, "compileFunction", compile_function);
    set_function(scope, natives, "asyncContext", async_context);
    set_function(scope, natives, "setAsyncContext", set_async_context);
    let undefined = v8::undefined(scope);

    let (script, prelude) = compile_cached(scope, PRELUDE, "secure-exec:prelude", &PRELUDE_CACHE)?;
    let prelude =
        v8::Local::<v8::Function>::try_from(prelude).map_err(|_| "prelude is no function")?;
    let limit = v8::Number::new(scope, memory_limit as f64);
    let max_timers = v8::Number::new(scope, MAX_PENDING_TIMERS as f64);
    let hooks = prelude
        .call(scope, undefined.into(), &[natives.into(), limit.into(), max_timers.into()])
        .ok_or("prelude failed")?;
    let hooks =
        v8::Local::<v8::Object>::try_from(hooks).map_err(|_| "prelude returned no object")?;
    if PRELUDE_CACHE.get().is_none() {
        // Functions compile lazily, on first use, and the cache holds only compiled ones: it
        // is made after a warm-up (formatting output) and after this isolate's session has
        // run (`code_cache::fill`: the event loop's hooks, exit, results), so that later
        // sessions compile none of the prelude again.
        let warm_up: v8::Global<v8::Function> = hook(scope, hooks, "warmUp")?;
        let warm_up = v8::Local::new(scope, &warm_up);
        warm_up.call(scope, undefined.into(), &[]).ok_or("prelude warm-up failed")?;
        let script = v8::Global::new(scope, script.get_unbound_script(scope));
        state(scope).script_caches.push((script, &PRELUDE_CACHE));
    }
    let load_node: v8::Global<v8::Function> = hook(scope, hooks, "loadNode")?;
    state(scope).load_node = Some(load_node);
    let run_ticks: v8::Global<v8::Function> = hook(scope, hooks, "runTicks")?;
    state(scope).run_ticks = Some(run_ticks);
    let dispatch: v8::Global<v8::Function> = hook(scope, hooks, "dispatchUncaught")?;
    state(scope).dispatch_uncaught = Some(dispatch);
    Ok(Hooks {
        run_module: hook(scope, hooks, "runModule")?,
        emit_exit: hook(scope, hooks, "emitExit")?,
        module: hook(scope, hooks, "module")?,
        process: hook(scope, hooks, "process")?,
        require: hook(scope, hooks, "require")?,
        next_timer: hook(scope, hooks, "nextTimer")?,
        fire_timer: hook(scope, hooks, "fireTimer")?,
        host_reply: hook(scope, hooks, "hostReply")?,
        session: hook(scope, hooks, "session")?,
        prepare: hook(scope, hooks, "prepare")?,
    })
}

/// Gives a prepared environment its session's `process.env`, `process.argv` and filename.
pub(crate) fn configure(
    scope: &mut v8::PinScope<'_, '_>,
    hooks: &Hooks,
    env: &std::collections::HashMap<String, String>,
    argv: &[String],
    filename: &str,
    cwd: &str,
) -> Result<(), String> {
    let env_object = v8::Object::new(scope);
    let mut sorted: Vec<_> = env.iter().collect();
    sorted.sort();
    for (key, value) in sorted {
        let key = new_string(scope, key)?;
        let value = new_string(scope, value)?;
        env_object.set(scope, key.into(), value.into());
    }
    let mut argv_values =
        vec![new_string(scope, GUEST_EXEC_PATH)?.into(), new_string(scope, filename)?.into()];
    for arg in argv {
        argv_values.push(new_string(scope, arg)?.into());
    }
    let argv_array = v8::Array::new_with_elements(scope, &argv_values);
    let filename_value = new_string(scope, filename)?;
    // Node's `module.path` and `module.paths`: the entry's directory and every `node_modules`
    // from there up (none inside a `node_modules` directory itself).
    let dir = match filename.rfind('/') {
        Some(0) | None => "/",
        Some(at) => &filename[..at],
    };
    let mut paths = Vec::new();
    let mut at = dir;
    loop {
        if !at.rsplit('/').next().is_some_and(|name| name.starts_with("node_modules")) {
            let base = if at == "/" { "" } else { at };
            paths.push(new_string(scope, &format!("{base}/node_modules"))?.into());
        }
        match at.rfind('/') {
            _ if at == "/" => break,
            Some(0) | None => at = "/",
            Some(slash) => at = &at[..slash],
        }
    }
    let paths = v8::Array::new_with_elements(scope, &paths);
    let dir = new_string(scope, dir)?;

    let cwd = new_string(scope, if cwd.is_empty() { "/" } else { cwd })?;
    let process = v8::Local::new(scope, &hooks.process);
    let module = v8::Local::new(scope, &hooks.module);
    let session = v8::Local::new(scope, &hooks.session);
    for (target, key, value) in [
        (process, "env", env_object.into()),
        (process, "argv", argv_array.into()),
        (module, "filename", filename_value.into()),
        (module, "path", dir.into()),
        (module, "paths", paths.into()),
        (session, "cwd", cwd.into()),
    ] {
        let key = new_string(scope, key)?;
        target.set(scope, key.into(), value).ok_or("cannot configure the guest environment")?;
    }
    Ok(())
}

fn hook<'s, T>(
    scope: &mut v8::PinScope<'s, '_>,
    hooks: v8::Local<'s, v8::Object>,
    key: &str,
) -> Result<v8::Global<T>, String>
where
    v8::Local<'s, T>: TryFrom<v8::Local<'s, v8::Value>>,
{
    let name = new_string(scope, key)?;
    let value =
        hooks.get(scope, name.into()).ok_or_else(|| format!("prelude hook {key} missing"))?;
    let local = v8::Local::<T>::try_from(value)
        .map_err(|_| format!("prelude hook {key} has the wrong type"))?;
    Ok(v8::Global::new(scope, local))
}

pub(crate) fn new_string<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    text: &str,
) -> Result<v8::Local<'s, v8::String>, String> {
    v8::String::new(scope, text)
        .ok_or_else(|| format!("string of {} bytes is too long", text.len()))
}

pub(crate) fn script_origin<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    name: v8::Local<'s, v8::Value>,
) -> v8::ScriptOrigin<'s> {
    v8::ScriptOrigin::new(scope, name, 0, 0, false, 0, None, false, false, false, None)
}

/// Charges `len` bytes the session will hold outside its heap (a shared source, a Brotli
/// coder). If they do not fit, garbage is collected first, since buffers the session no
/// longer holds are only given back when V8 collects them, and they are asked for again;
/// false, and the session stopped with `ERR_MEMORY_LIMIT`, if they still do not fit.
pub(crate) fn hold(scope: &mut v8::PinScope<'_, '_>, len: usize) -> bool {
    let budget = std::sync::Arc::clone(&state(scope).budget);
    if budget.try_charge_held(len) {
        return true;
    }
    scope.low_memory_notification();
    budget.charge_held(len)
}

pub(super) fn set_function(
    scope: &mut v8::PinScope<'_, '_>,
    target: v8::Local<'_, v8::Object>,
    name: &str,
    callback: impl v8::MapFnTo<v8::FunctionCallback>,
) {
    let Some(function) = v8::Function::new(scope, callback) else { return };
    let Some(key) = v8::String::new(scope, name) else { return };
    target.set(scope, key.into(), function.into());
}

pub(super) fn state<'a>(scope: &'a mut v8::PinScope<'_, '_>) -> &'a mut SessionState {
    match scope.get_slot_mut::<SessionState>() {
        Some(state) => state,
        // Natives are only installed in isolates that carry a session state.
        None => unreachable_state(),
    }
}

#[cold]
fn unreachable_state() -> ! {
    eprintln!("secure-exec-worker: native called in an isolate without a session");
    std::process::abort()
}

/// `print(stream, text)`: console output, cut at the session's cap without ever converting
/// more of a huge string than fits.
fn print(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let stream = if args.get(0).int32_value(scope) == Some(2) {
        v1::Stream::Stderr
    } else {
        v1::Stream::Stdout
    };
    let Some(text) = args.get(1).to_string(scope) else { return };
    let room = state(scope).output.room(stream);
    if room == 0 {
        return;
    }
    let (text, complete) = prefix(scope, text, room);
    state(scope).output.write(stream, text, complete);
}

/// At most `max` bytes of `text` as UTF-8, cut on a character boundary, and whether that is all
/// of it. Never converts more of a huge string than fits.
fn prefix(
    scope: &mut v8::PinScope<'_, '_>,
    text: v8::Local<'_, v8::String>,
    max: usize,
) -> (String, bool) {
    if text.length().saturating_mul(3) <= max {
        return (text.to_rust_string_lossy(scope), true);
    }
    let mut buffer = vec![0u8; max];
    let written = text.write_utf8_v2(scope, &mut buffer, v8::WriteFlags::kReplaceInvalidUtf8, None);
    buffer.truncate(written);
    let complete = written == text.utf8_length(scope);
    (String::from_utf8_lossy(&buffer).into_owned(), complete)
}

/// `text` as a Rust string of at most [`MAX_ERROR_MESSAGE_BYTES`], with a marker if cut.
fn bounded(scope: &mut v8::PinScope<'_, '_>, text: v8::Local<'_, v8::String>) -> String {
    let (mut text, complete) = prefix(scope, text, MAX_ERROR_MESSAGE_BYTES);
    if !complete {
        text.push_str(crate::output::MESSAGE_MARKER);
    }
    text
}

/// Runs one of the lazily loaded guest scripts (`web.js`, `node.js`): a function expression,
/// called with the natives; returns what it returns. The first run leaves its code cache for
/// every later session.
fn load_script(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
    code: &'static str,
    name: &str,
    cache: &'static OnceLock<Vec<u8>>,
) {
    let first = cache.get().is_none();
    let Ok((script, function)) = compile_cached(scope, code, name, cache) else { return };
    let Ok(function) = v8::Local::<v8::Function>::try_from(function) else { return };
    let undefined = v8::undefined(scope);
    let passed: Vec<_> = (0..args.length()).map(|i| args.get(i)).collect();
    let Some(result) = function.call(scope, undefined.into(), &passed) else { return };
    if first {
        // The cache is made once the session is over, so that it holds the functions the
        // session compiled as it used the script, not only its top level.
        let script = v8::Global::new(scope, script.get_unbound_script(scope));
        state(scope).script_caches.push((script, cache));
    }
    rv.set(result);
}

/// `loadWeb(natives)`: the web platform globals, built the first time the guest touches one,
/// so that sessions that never do pay nothing for them.
fn load_web(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    rv: v8::ReturnValue<'_>,
) {
    load_script(scope, &args, rv, WEB, "secure-exec:web", &WEB_CACHE);
}

/// `loadNode(natives, ...)`: the module loader and Node's built-in modules, built on the
/// first `require`.
fn load_node(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    rv: v8::ReturnValue<'_>,
) {
    load_script(scope, &args, rv, NODE, "secure-exec:node", &NODE_CACHE);
}

/// `loadVendor(process)`: the npm implementations of Node's built-in modules (`vendor.js`),
/// built the first time the guest requires one.
fn load_vendor(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    rv: v8::ReturnValue<'_>,
) {
    load_script(scope, &args, rv, VENDOR, "secure-exec:vendor", &VENDOR_CACHE);
}

/// `used(part)`: the session used a lazily built part of the environment (`demand.rs`).
fn used(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let part = args.get(0).uint32_value(scope).unwrap_or(0);
    state(scope).used |= part;
}

/// Builds the parts of the environment recent sessions used (`demand.rs`), in a spare.
pub(crate) fn prepare(scope: &mut v8::PinScope<'_, '_>, hooks: &Hooks) {
    let parts = demand::wanted();
    if parts == 0 {
        return;
    }
    let prepare = v8::Local::new(scope, &hooks.prepare);
    let undefined = v8::undefined(scope);
    let parts = v8::Integer::new_from_unsigned(scope, parts);
    // A part that fails to build is built again, on its first use, where the failure shows.
    let _ = prepare.call(scope, undefined.into(), &[parts.into()]);
}

/// `loadNet(natives, deps)`: fetch, the http(s) clients and dns (`net.js`), built the first
/// time the guest touches one.
fn load_net(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    rv: v8::ReturnValue<'_>,
) {
    load_script(scope, &args, rv, NET, "secure-exec:net", &NET_CACHE);
}

/// `loadTestRunner(deps)`: `node:test` (`test_runner.js`), built on its first `require`.
fn load_test_runner(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    rv: v8::ReturnValue<'_>,
) {
    load_script(scope, &args, rv, TEST_RUNNER, "secure-exec:test_runner", &TEST_RUNNER_CACHE);
}

/// `compileFunction(source, filename)`: a CommonJS module body compiled as a function of
/// `(exports, require, module, __filename, __dirname)`. A syntax error (or a source nested too
/// deeply for the parser, a RangeError) is thrown to the guest.
fn compile_function<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_>,
) {
    let Ok(source) = v8::Local::<v8::String>::try_from(args.get(0)) else { return };
    let Ok(name) = v8::Local::<v8::String>::try_from(args.get(1)) else { return };
    let key = code_cache::key_of(scope, code_cache::Kind::Function, source);
    let cached = key.as_ref().and_then(code_cache::get);
    let origin = script_origin(scope, name.into());
    let (mut source, options) = code_cache::source(source, &origin, cached.as_deref());
    let params: Vec<_> = CJS_PARAMS.iter().filter_map(|p| v8::String::new(scope, p)).collect();
    let Some(function) = v8::script_compiler::compile_function(
        scope,
        &mut source,
        &params,
        &[],
        options,
        v8::script_compiler::NoCacheReason::NoReason,
    ) else {
        return;
    };
    code_cache::remember(scope, key, cached.is_some(), &source, |scope| {
        code_cache::Compiled::Function(v8::Global::new(scope, function))
    });
    rv.set(function.into());
}

/// `asyncContext()`: the frame `AsyncLocalStorage` reads (undefined when none). V8 carries it
/// into promise jobs itself (continuation-preserved embedder data); the prelude carries it into
/// timers, ticks and host-call callbacks.
fn async_context<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'_>,
) {
    rv.set(scope.get_continuation_preserved_embedder_data());
}

/// `setAsyncContext(frame)`: makes `frame` the current one.
fn set_async_context(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    scope.set_continuation_preserved_embedder_data(args.get(0));
}

/// `exit(code)`: ends the session now with `code`.
fn exit(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let value = args.get(0);
    let code = if value.is_null_or_undefined() {
        0
    } else {
        // Like Node: integers are kept, anything else is a usage error reported as exit 1.
        value.integer_value(scope).and_then(|n| i32::try_from(n).ok()).unwrap_or(1)
    };
    state(scope).control.stop(Stop::Exit(code));
}

/// `listenerThrew()`: an 'uncaughtException' listener is throwing; the session ends with exit
/// code 7 and that error, as Node's process does.
fn listener_threw(
    scope: &mut v8::PinScope<'_, '_>,
    _args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    state(scope).listener_threw = true;
}

/// `timerLimit()`: the guest asked for one timer more than a session may keep pending.
fn timer_limit(
    scope: &mut v8::PinScope<'_, '_>,
    _args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    state(scope).control.stop(Stop::TimerLimit);
}

/// `reportError(error)`: an exception escaped a microtask; the session ends with it.
fn report_error(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let description = describe(scope, args.get(0));
    let state = state(scope);
    state.uncaught.get_or_insert(description);
    state.control.stop(Stop::Uncaught);
}

/// A thrown value as text: the stack of an Error (which starts with its message), else the
/// value's string form. Reading `stack` may run a guest getter; its exceptions are swallowed.
pub(crate) fn describe(
    scope: &mut v8::PinScope<'_, '_>,
    value: v8::Local<'_, v8::Value>,
) -> String {
    v8::tc_scope!(let tc, scope);
    if let Ok(object) = v8::Local::<v8::Object>::try_from(value) {
        if value.is_native_error() || value.is_object() {
            let key = v8::String::new(tc, "stack");
            if let Some(stack) = key.and_then(|key| object.get(tc, key.into())) {
                if let Ok(stack) = v8::Local::<v8::String>::try_from(stack) {
                    if stack.length() > 0 && value.is_native_error() {
                        return bounded(tc, stack);
                    }
                }
            }
        }
    }
    let text = match value.to_string(tc) {
        Some(text) => bounded(tc, text),
        None => "<exception that cannot be converted to a string>".to_owned(),
    };
    if value.is_native_error() { text } else { format!("Uncaught {text}") }
}

/// Records promises rejected without a handler; checked after each macrotask.
pub(crate) extern "C" fn promise_reject_callback(message: v8::PromiseRejectMessage<'_>) {
    v8::callback_scope!(unsafe scope, &message);
    let promise = message.get_promise();
    match message.get_event() {
        v8::PromiseRejectEvent::PromiseRejectWithNoHandler => {
            let value = message.get_value().unwrap_or_else(|| v8::undefined(scope).into());
            let promise = v8::Global::new(scope, promise);
            let value = v8::Global::new(scope, value);
            if let Some(state) = scope.get_slot_mut::<SessionState>() {
                state.rejections.push((promise, value));
            }
        }
        v8::PromiseRejectEvent::PromiseHandlerAddedAfterReject => {
            let Some(state) = scope.get_slot_mut::<SessionState>() else { return };
            let pending = std::mem::take(&mut state.rejections);
            let kept: Vec<_> =
                pending.into_iter().filter(|(p, _)| v8::Local::new(scope, p) != promise).collect();
            if let Some(state) = scope.get_slot_mut::<SessionState>() {
                state.rejections = kept;
            }
        }
        _ => {}
    }
}
