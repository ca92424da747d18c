//! The hostile-guest corpus: programs that try to end or wedge the worker they run on.
//!
//! Each runs on one shared worker next to a sibling session. Every program must end with a
//! result carrying its own clear error code (never `ERR_V8_PROCESS_CRASH`), the sibling must
//! complete, and the worker must be the same process afterwards.

use futures_util::StreamExt as _;
use secure_exec_host::{ErrorCode, ExecOptions, NodeRuntime, V8RuntimeOptions};

use crate::support;

/// How a program may end: `Ok` for a clean finish, or the error code it must get.
type Outcome = Option<ErrorCode>;

const OK: &[Outcome] = &[None];
const THROWS: &[Outcome] = &[Some(ErrorCode::GuestException)];
const CPU: &[Outcome] = &[Some(ErrorCode::CpuTimeLimit)];
const MEMORY: &[Outcome] = &[Some(ErrorCode::MemoryLimit)];
const NOT_JSON: &[Outcome] = &[Some(ErrorCode::ExportsNotSerializable)];
const TOO_LARGE: &[Outcome] = &[Some(ErrorCode::ExportsTooLarge)];

struct Case {
    name: &'static str,
    /// `run` (exports are read) rather than `exec`.
    run: bool,
    code: &'static str,
    expect: &'static [Outcome],
    /// Overrides of the corpus defaults (64 MB, 1 s of CPU, 5 s wall clock).
    options: fn() -> ExecOptions,
}

const fn exec(name: &'static str, code: &'static str, expect: &'static [Outcome]) -> Case {
    Case { name, run: false, code, expect, options: ExecOptions::default }
}

const fn run(name: &'static str, code: &'static str, expect: &'static [Outcome]) -> Case {
    Case { name, run: true, code, expect, options: ExecOptions::default }
}

fn big_output() -> ExecOptions {
    ExecOptions { max_output_bytes: Some(64 << 20), ..ExecOptions::default() }
}

fn short_timeout() -> ExecOptions {
    ExecOptions { timeout_ms: Some(300), ..ExecOptions::default() }
}

const CORPUS: &[Case] = &[
    // Giant throws and messages: each is cut to a bounded message, never a giant frame.
    exec("throw of a 17 MiB string", "throw 'x'.repeat(17 << 20)", THROWS),
    exec("Error with a 20 MiB message", "throw new Error('y'.repeat(20 << 20))", THROWS),
    exec(
        "prepareStackTrace returning 20 MiB",
        "Error.prepareStackTrace = () => 'z'.repeat(20 << 20); throw new Error('a')",
        THROWS,
    ),
    exec(
        "prepareStackTrace that throws",
        "Error.prepareStackTrace = () => { throw new Error('nested') }; throw new Error('a')",
        THROWS,
    ),
    exec(
        "prepareStackTrace that never returns",
        "Error.prepareStackTrace = () => { for (;;) {} }; throw new Error('a')",
        CPU,
    ),
    exec(
        "stack getter that throws",
        "const e = new Error('a'); Object.defineProperty(e, 'stack', { get() { throw 1 } }); throw e",
        THROWS,
    ),
    exec(
        "thrown object whose Symbol.toPrimitive throws",
        "throw { [Symbol.toPrimitive]() { throw new Error('no') } }",
        THROWS,
    ),
    exec(
        "thrown object whose toString returns 30 MiB",
        "throw { toString() { return 'q'.repeat(30 << 20) } }",
        THROWS,
    ),
    exec("thrown object whose toString never returns", "throw { toString() { for (;;) {} } }", CPU),
    exec(
        "thrown object whose toString recurses forever",
        "throw { toString() { return String(this) } }",
        THROWS,
    ),
    exec("thrown symbol", "throw Symbol('s')", THROWS),
    exec("error whose cause is itself", "const e = new Error('a'); e.cause = e; throw e", THROWS),
    exec(
        "error subclass with a throwing name getter",
        "class E extends Error { get name() { throw 1 } }; throw new E('x')",
        THROWS,
    ),
    exec(
        "unhandled rejection with a 20 MiB reason",
        "Promise.reject('r'.repeat(20 << 20))",
        THROWS,
    ),
    exec(
        "microtask throwing a 20 MiB string",
        "queueMicrotask(() => { throw 'm'.repeat(20 << 20) })",
        THROWS,
    ),
    // Stack exhaustion.
    exec("unbounded recursion", "function f() { f() } f()", THROWS),
    exec("deeply nested source", "eval('('.repeat(1e6) + '1' + ')'.repeat(1e6))", THROWS),
    exec("deeply nested JSON", "JSON.parse('['.repeat(1e6))", THROWS),
    // Exports that fight serialisation.
    run(
        "exports with a throwing getter",
        "module.exports = { get a() { throw new Error('g') } }",
        NOT_JSON,
    ),
    run(
        "exports whose toJSON throws",
        "module.exports = { toJSON() { throw new Error('j') } }",
        NOT_JSON,
    ),
    run("exports whose toJSON never returns", "module.exports = { toJSON() { for (;;) {} } }", CPU),
    run(
        "exports behind a throwing Proxy trap",
        "module.exports = new Proxy({}, { ownKeys() { throw new Error('trap') } })",
        NOT_JSON,
    ),
    run(
        "exports as a revoked Proxy",
        "const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); module.exports = proxy",
        NOT_JSON,
    ),
    run("exports with a cycle", "const o = {}; o.o = o; module.exports = o", NOT_JSON),
    run("exports with a BigInt", "module.exports = { n: 1n }", NOT_JSON),
    run("exports of 20 MiB", "module.exports = 'e'.repeat(20 << 20)", TOO_LARGE),
    run("exports of a 3e6-item array", "module.exports = new Array(3e6).fill(1)", TOO_LARGE),
    // console.log arguments that fight formatting.
    exec(
        "console.log of a throwing getter",
        "console.log({ get a() { throw new Error('x') } })",
        OK,
    ),
    exec(
        "console.log of a Proxy whose traps throw",
        "console.log(new Proxy({}, { ownKeys() { throw new Error('k') }, get() { throw new Error('g') }, getPrototypeOf() { throw new Error('p') } }))",
        &[None, Some(ErrorCode::GuestException)],
    ),
    exec(
        "console.log %d of a throwing Symbol.toPrimitive",
        "console.log('%d', { [Symbol.toPrimitive]() { throw new Error('prim') } })",
        THROWS,
    ),
    Case {
        options: big_output,
        ..exec("console.log of a 60 MiB string", "console.log('y'.repeat(60 << 20))", OK)
    },
    exec("console.log of a million-item array", "console.log(new Array(1e6).fill(0))", OK),
    exec(
        "console.log of a 200 000-entry Map",
        "console.log(new Map(Array.from({ length: 2e5 }, (_, i) => [i, i])))",
        OK,
    ),
    exec(
        "console.log of an object with 200 000 keys",
        "const o = {}; for (let i = 0; i < 2e5; i++) o['k' + i] = i; console.log(o)",
        OK,
    ),
    exec(
        "console.log of a 100 000-deep object",
        "let o = {}; for (let i = 0; i < 1e5; i++) o = { o }; console.log(o)",
        OK,
    ),
    exec(
        "console.dir of a 100 000-deep object at infinite depth",
        "let o = {}; for (let i = 0; i < 1e5; i++) o = { o }; console.dir(o, { depth: Infinity })",
        THROWS,
    ),
    exec(
        "process.stdout.write of a 30 MiB string",
        "process.stdout.write('w'.repeat(30 << 20))",
        OK,
    ),
    // Not a chunk: a TypeError, as Node's, before its toString could run.
    exec(
        "process.stdout.write of an object whose toString returns 30 MiB",
        "process.stdout.write({ toString() { return 'w'.repeat(30 << 20) } })",
        THROWS,
    ),
    exec("100 000 lines of output", "for (let i = 0; i < 1e5; i++) console.log(i)", OK),
    // process.exit with odd arguments.
    exec("process.exit(2 ** 53)", "process.exit(2 ** 53)", OK),
    exec("process.exit(-1)", "process.exit(-1)", OK),
    exec("process.exit('abc')", "process.exit('abc')", OK),
    exec(
        "process.exit with a throwing valueOf",
        "process.exit({ valueOf() { throw new Error('v') } })",
        &[None, Some(ErrorCode::GuestException)],
    ),
    exec(
        "process.exit with a valueOf that never returns",
        "process.exit({ valueOf() { for (;;) {} } })",
        CPU,
    ),
    // Timers and job queues.
    exec(
        "a million pending timers",
        "for (let i = 0; i < 1e6; i++) setTimeout(() => {}, 1e9)",
        &[Some(ErrorCode::TimerLimit)],
    ),
    exec(
        "a million timers set and cleared",
        "for (let i = 0; i < 1e6; i++) clearTimeout(setTimeout(() => {}, 1e9))",
        OK,
    ),
    exec(
        "50 000 timers that all fire",
        "let n = 0; for (let i = 0; i < 5e4; i++) setTimeout(() => n++, 0); setTimeout(() => console.log(n), 2)",
        OK,
    ),
    exec("endless microtasks", "function f() { Promise.resolve().then(f) } f()", CPU),
    exec("endless nextTick", "function f() { process.nextTick(f) } f()", CPU),
    Case {
        options: short_timeout,
        ..exec(
            "an interval that never ends",
            "setInterval(() => {}, 0)",
            &[Some(ErrorCode::Timeout)],
        )
    },
    exec(
        "timers with a trapped Array.prototype",
        "Object.defineProperty(Array.prototype, '0', { set() { throw new Error('trap') } }); setTimeout(() => {}, 1)",
        &[None, Some(ErrorCode::GuestException)],
    ),
    exec(
        "a guest that breaks Map.prototype still gets its timers",
        "Map.prototype.get = () => { throw 1 }; setTimeout(() => console.log('ok'), 1)",
        OK,
    ),
    // Memory and CPU.
    exec(
        "arrays until the heap is full",
        "const a = []; for (;;) a.push(new Array(1e5).fill(1))",
        MEMORY,
    ),
    exec(
        "a 2 GiB ArrayBuffer",
        "new ArrayBuffer(2 ** 31)",
        &[Some(ErrorCode::MemoryLimit), Some(ErrorCode::GuestException)],
    ),
    exec("a 4 GiB WebAssembly memory", "new WebAssembly.Memory({ initial: 65536 })", THROWS),
    exec(
        "a string doubled until it breaks",
        "let s = 'ab'; for (;;) s += s",
        &[Some(ErrorCode::GuestException), Some(ErrorCode::MemoryLimit)],
    ),
    exec("catastrophic regex backtracking", "/(a+)+$/.test('a'.repeat(40) + 'b')", CPU),
    // The web globals' natives, fed hostile input.
    exec(
        "TextEncoder of 40 million characters",
        "new TextEncoder().encode('\\u00e9'.repeat(4e7))",
        &[Some(ErrorCode::MemoryLimit), Some(ErrorCode::GuestException)],
    ),
    exec(
        "TextDecoder of 50 MB of malformed input",
        "new TextDecoder().decode(new Uint8Array(5e7).fill(0xC3))",
        &[
            Some(ErrorCode::MemoryLimit),
            Some(ErrorCode::GuestException),
            Some(ErrorCode::CpuTimeLimit),
        ],
    ),
    exec(
        "20,000 running hashes left unfinished",
        "const c = require('crypto'); const b = Buffer.alloc(70000); for (let i = 0; i < 2e4; i++) c.createHash('sha256').update(b)",
        &[None, Some(ErrorCode::MemoryLimit), Some(ErrorCode::CpuTimeLimit)],
    ),
    exec(
        "streaming TextDecoders left open without end",
        "for (;;) new TextDecoder('gbk').decode(new Uint8Array([0x81]), { stream: true })",
        &[Some(ErrorCode::MemoryLimit), Some(ErrorCode::CpuTimeLimit)],
    ),
    exec(
        "10,000 one-MiB writes queued at once",
        "const b = Buffer.alloc(1 << 20, 1); for (let i = 0; i < 1e4; i++) require('fs').writeFile('/f' + i, b, () => {})",
        MEMORY,
    ),
    exec(
        "Buffer.toString of 40 MB as hex",
        "Buffer.alloc(4e7, 0xab).toString('hex')",
        &[Some(ErrorCode::MemoryLimit), Some(ErrorCode::GuestException)],
    ),
    exec(
        "Buffer's natives on detached views, odd offsets and lying lengths",
        "const b = Buffer.alloc(8); const d = new Uint8Array(new ArrayBuffer(8)); d.buffer.transfer(); \
         Object.setPrototypeOf(d, Buffer.prototype); \
         console.log(d.toString('hex'), d.write('ab', 'hex'), b.write('\\u20ac', 7), b.hexSlice(5, 2), \
         b.write('aGk=', 3, 99, 'base64'), b.toString('base64', -5, 1e12), Buffer.byteLength('\\ud800'))",
        OK,
    ),
    exec("a 17 MiB URL", "new URL('http://a/' + 'x'.repeat(17 << 20))", THROWS),
    exec(
        "structuredClone of a 100 000-deep object",
        "let o = {}; for (let i = 0; i < 1e5; i++) o = { o }; structuredClone(o)",
        THROWS,
    ),
    exec(
        "web natives on detached and odd buffers",
        "const a = new Uint8Array(new ArrayBuffer(8)); a.buffer.transfer(); crypto.getRandomValues(a); new TextEncoder().encodeInto('abc', a); try { new TextDecoder().decode(a) } catch {} console.log(a.length)",
        OK,
    ),
    // The web globals are built on first use, from the built-ins as they are then: a guest
    // that broke WeakMap first breaks its own URL, and nothing else.
    exec(
        "web globals after tampered prototypes",
        "Uint8Array.prototype.set = null; Map.prototype.get = null; WeakMap.prototype.get = () => { throw 1 }; console.log(new TextDecoder().decode(new TextEncoder().encode('ok')), new URL('http://h').host)",
        &[None, Some(ErrorCode::GuestException)],
    ),
    exec(
        "Atomics.wait on the session thread",
        "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)",
        THROWS,
    ),
];

/// The sibling: a session that waits on a timer while the hostile one runs.
const SIBLING: &str = "setTimeout(() => console.log('sibling done'), 200)";

async fn outcome(rt: &NodeRuntime, case: &Case) -> (i32, Outcome, String, usize) {
    let base = (case.options)();
    let options = ExecOptions {
        memory_limit: base.memory_limit.or(Some(64)),
        cpu_time_limit_ms: base.cpu_time_limit_ms.or(Some(1000)),
        timeout_ms: base.timeout_ms.or(Some(5000)),
        ..base
    };
    if case.run {
        let r = rt.run_with(case.code, options).await.unwrap();
        (r.code, r.error_code, r.error_message.unwrap_or_default(), r.stdout.len())
    } else {
        let r = rt.exec_with(case.code, options).await.unwrap();
        (r.code, r.error_code, r.error_message.unwrap_or_default(), r.stdout.len())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hostile_guest_ends_or_wedges_a_shared_worker() {
    assert!(CORPUS.len() >= 40, "the corpus holds {} programs", CORPUS.len());
    let v8 = support::spawn_with(V8RuntimeOptions { max_sessions: 16, ..Default::default() }).await;
    let pid = v8.pid().unwrap();
    let rt = support::on(&v8);

    let checks = futures_util::stream::iter(CORPUS)
        .map(|case| {
            let rt = rt.clone();
            async move {
                let sibling = rt.exec(SIBLING);
                let hostile = outcome(&rt, case);
                let (sibling, (code, error, message, stdout_len)) = tokio::join!(sibling, hostile);
                let sibling = sibling.unwrap();
                let mut problems = Vec::new();
                if !case.expect.contains(&error) {
                    problems.push(format!(
                        "expected one of {:?}, got {error:?} (code {code}): {}",
                        case.expect,
                        message.chars().take(300).collect::<String>()
                    ));
                }
                if let Some(error) = error {
                    if !message.starts_with(error.as_str()) {
                        problems
                            .push(format!("message does not start with its code: {message:.200}"));
                    }
                }
                if message.len() > 80 * 1024 {
                    problems
                        .push(format!("error message of {} bytes is not bounded", message.len()));
                }
                if sibling.stdout != "sibling done\n" || sibling.error_code.is_some() {
                    problems.push(format!("the sibling did not complete: {sibling:?}"));
                }
                if case.name == "console.log of a 60 MiB string" && stdout_len != (60 << 20) + 1 {
                    problems.push(format!("stdout held {stdout_len} bytes"));
                }
                (case.name, problems)
            }
        })
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await;

    let failures: Vec<String> = checks
        .into_iter()
        .filter(|(_, problems)| !problems.is_empty())
        .map(|(name, problems)| format!("{name}: {}", problems.join("; ")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} programs misbehaved:\n{}",
        failures.len(),
        CORPUS.len(),
        failures.join("\n")
    );
    assert_eq!(v8.pid(), Some(pid), "the worker was replaced: {:?}", v8.state());
    let after = rt.exec("console.log('still serving')").await.unwrap();
    assert_eq!(after.stdout, "still serving\n");
}

#[tokio::test]
async fn a_giant_throw_is_reported_cut_to_a_bounded_message() {
    let (rt, v8) = support::runtime().await;
    let pid = v8.pid();
    let r = rt.exec("throw 'x'.repeat(17 << 20)").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::GuestException));
    let message = r.error_message.unwrap();
    assert!(message.starts_with("ERR_GUEST_EXCEPTION: Uncaught xxxx"), "{message:.100}");
    assert!(
        message.ends_with("[secure-exec: error message truncated]"),
        "{}",
        &message[message.len() - 100..]
    );
    assert!(message.len() <= secure_exec_proto::limits::MAX_ERROR_MESSAGE_BYTES + 64);
    assert_eq!(v8.pid(), pid);
}

#[tokio::test]
async fn output_larger_than_a_frame_arrives_whole_in_chunks() {
    let v8 = support::spawn_with(V8RuntimeOptions { max_frame_len: 1 << 20, ..Default::default() })
        .await;
    assert_eq!(v8.info().max_frame_len, 1 << 20);
    let rt = support::on(&v8);
    let chunks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&chunks);
    let options = ExecOptions {
        max_output_bytes: Some(8 << 20),
        on_output: Some(std::sync::Arc::new(move |_, _: &str| {
            seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })),
        ..ExecOptions::default()
    };
    let r = rt.exec_with("console.log('y'.repeat(4 << 20))", options).await.unwrap();
    assert_eq!((r.code, r.error_code), (0, None), "{:?}", r.error_message);
    assert_eq!(r.stdout.len(), (4 << 20) + 1);
    assert!(r.stdout.bytes().take(4 << 20).all(|b| b == b'y'));
    assert!(chunks.load(std::sync::atomic::Ordering::Relaxed) >= 16, "one write came in one piece");
}

#[tokio::test]
async fn exports_are_capped_by_the_agreed_frame_limit() {
    let v8 = support::spawn_with(V8RuntimeOptions { max_frame_len: 1 << 20, ..Default::default() })
        .await;
    let rt = support::on(&v8);
    let r = rt.run("module.exports = 'e'.repeat(2 << 20)").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::ExportsTooLarge), "{:?}", r.error_message);
    let r = rt.run("module.exports = 'e'.repeat(512 << 10)").await.unwrap();
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    assert_eq!(r.exports.unwrap().as_str().map(str::len), Some(512 << 10));
    assert_eq!(v8.state(), secure_exec_host::ProcessState::Ready);
}

#[tokio::test]
async fn requests_too_large_for_a_frame_are_refused_before_they_reach_the_worker() {
    let v8 = support::spawn_with(V8RuntimeOptions { max_frame_len: 1 << 20, ..Default::default() })
        .await;
    let pid = v8.pid();
    let big = "v".repeat(2 << 20);
    let cases: Vec<(&str, secure_exec_host::NodeRuntimeOptions, ExecOptions, String)> = vec![
        (
            "env",
            secure_exec_host::NodeRuntimeOptions {
                v8_runtime: Some(v8.clone()),
                env: [("BIG".to_owned(), big.clone())].into(),
                ..Default::default()
            },
            ExecOptions::default(),
            "1".into(),
        ),
        (
            "argv",
            secure_exec_host::NodeRuntimeOptions {
                v8_runtime: Some(v8.clone()),
                argv: vec![big.clone()],
                ..Default::default()
            },
            ExecOptions::default(),
            "1".into(),
        ),
        (
            "filename",
            secure_exec_host::NodeRuntimeOptions {
                v8_runtime: Some(v8.clone()),
                ..Default::default()
            },
            ExecOptions { filename: Some(big.clone()), ..ExecOptions::default() },
            "1".into(),
        ),
        (
            "code",
            secure_exec_host::NodeRuntimeOptions {
                v8_runtime: Some(v8.clone()),
                ..Default::default()
            },
            ExecOptions::default(),
            format!("// {big}"),
        ),
    ];
    for (what, options, call, code) in cases {
        let err = NodeRuntime::new(options).exec_with(&code, call).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidOptions, "{what}: {err}");
        // A filename that long is no usable guest path before it is too large for a frame.
        let why = if what == "filename" { "guest path" } else { "frame limit" };
        assert!(err.to_string().contains(why), "{what}: {err}");
    }
    let r = support::on(&v8).exec("console.log('alive')").await.unwrap();
    assert_eq!(r.stdout, "alive\n");
    assert_eq!(v8.pid(), pid);
    // Just under the limit still runs.
    let code = format!("/*{}*/ console.log('fits')", "c".repeat((1 << 20) - 4096));
    let r = support::on(&v8).exec(&code).await.unwrap();
    assert_eq!(r.stdout, "fits\n", "{:?}", r.error_message);
}

#[test]
fn the_worker_agrees_to_the_smaller_frame_limit() {
    let (mut worker, ack) = support::RawWorker::start_with_frame_len(4, 2 << 20);
    assert_eq!(ack.max_frame_len, 2 << 20);
    worker.socket_shutdown();
    assert!(worker.wait().success());
    let (mut worker, ack) = support::RawWorker::start_with_frame_len(4, 1 << 30);
    assert_eq!(ack.max_frame_len, secure_exec_proto::DEFAULT_MAX_FRAME_LEN as u64);
    worker.socket_shutdown();
    assert!(worker.wait().success());
}

/// Modules nested deeper than any parser's stack: required, imported, imported as CommonJS
/// (its export names read by the lexer), as JSON, and as a package.json the host reads. Each
/// is an error in the guest; the worker and the host live on.
#[tokio::test]
async fn deeply_nested_modules_are_errors_in_the_guest_never_a_crash() {
    use crate::oracle::{self, TempDir};
    const DEPTH: usize = 100_000;
    let parens = format!("module.exports = {}1{};", "(".repeat(DEPTH), ")".repeat(DEPTH));
    let arrays = format!("export default {}{};", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let calls = format!("exports.x = {}0{};", "f(".repeat(DEPTH), ")".repeat(DEPTH));
    let json = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let package = format!(
        r#"{{"name": "deep", "main": "index.js", "x": {}{}}}"#,
        "[".repeat(DEPTH),
        "]".repeat(DEPTH)
    );
    let dir = TempDir::new("deep").with_files(&[
        ("parens.js", &parens),
        ("arrays.mjs", &arrays),
        ("calls.cjs", &calls),
        ("deep.json", &json),
        ("node_modules/deep/package.json", &package),
        ("node_modules/deep/index.js", "module.exports = 'reached';"),
    ]);
    let v8 = support::spawn().await;
    let pid = v8.pid();
    let rt = oracle::runtime_in(&v8, dir.path());
    let attempts = [
        "require('./parens.js')",
        "await import('./arrays.mjs')",
        "await import('./calls.cjs')",
        "require('./calls.cjs')",
        "require('./deep.json')",
        "await import('./deep.json', { with: { type: 'json' } })",
        "require('deep')",
    ];
    for attempt in attempts {
        let code = format!(
            "import {{ createRequire }} from 'module'; const require = createRequire(import.meta.url);\n\
             try {{ {attempt}; console.log('loaded'); }} catch (e) {{ console.log(e.name, e.code || '') }}"
        );
        let options = ExecOptions { filename: Some("/app/main.mjs".into()), ..Default::default() };
        let r = rt.exec_with(&code, options).await.unwrap();
        assert_eq!(r.error_code, None, "{attempt}: {:?}", r.error_message);
        let line = r.stdout.trim();
        assert!(
            line.starts_with("RangeError")
                || line.starts_with("SyntaxError")
                || line.starts_with("Error ERR_INVALID_PACKAGE_CONFIG")
                || line == "loaded",
            "{attempt}: {line}"
        );
    }
    assert_eq!(v8.pid(), pid, "the worker lived through every one");
    let r = rt.exec("console.log('alive')").await.unwrap();
    assert_eq!(r.stdout, "alive\n");
}
