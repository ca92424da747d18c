//! Per-session limits: memory, CPU time, wall clock, output and exports. Each limit ends only
//! the session that broke it; the worker goes on serving.

use std::time::{Duration, Instant};

use secure_exec_host::{ErrorCode, ExecOptions, NodeRuntime, NodeRuntimeOptions};

use crate::support;

fn memory(mb: u64) -> ExecOptions {
    ExecOptions { memory_limit: Some(mb), ..Default::default() }
}

fn cpu(ms: u64) -> ExecOptions {
    ExecOptions { cpu_time_limit_ms: Some(ms), ..Default::default() }
}

fn wall(ms: u64) -> ExecOptions {
    ExecOptions { timeout_ms: Some(ms), ..Default::default() }
}

/// Asserts the worker behind `rt` still runs code correctly.
async fn still_serving(rt: &NodeRuntime) {
    let r = rt.exec("console.log([1, 2, 3].map(x => x * 2).join(','))").await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "2,4,6\n"), "{r:?}");
}

#[tokio::test]
async fn the_seed_oom_example_is_contained_to_its_session() {
    let (rt, v8) = support::runtime().await;
    let pid = v8.pid();
    let started = Instant::now();
    let r =
        rt.exec_with("const a = []; while (true) a.push(new Array(1e6))", memory(8)).await.unwrap();
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit));
    assert_eq!(r.error_message.as_deref(), Some("ERR_MEMORY_LIMIT: memory limit of 8 MB exceeded"));
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(v8.pid(), pid, "the worker survived");
    still_serving(&rt).await;
}

#[tokio::test]
async fn memory_limit_stops_strings_and_objects() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec_with("let s = 'x'; const keep = []; while (true) { s = s + s.slice(0, 1e5) + 'y'; keep.push(s) }", memory(16))
        .await
        .unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit), "{r:?}");
    let r = rt
        .exec_with(
            "const m = new Map(); let i = 0; while (true) m.set(i++, { i, text: 'v' + i })",
            memory(16),
        )
        .await
        .unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit), "{r:?}");
    still_serving(&rt).await;
}

#[tokio::test]
async fn array_buffers_count_against_the_memory_limit() {
    let (rt, _v8) = support::runtime().await;
    // One buffer past the budget fails outright.
    let r = rt.exec_with("new ArrayBuffer(64 * 1024 * 1024)", memory(16)).await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit), "{r:?}");
    // Many small ones add up, and catching the allocation failure does not help the guest.
    let r = rt
        .exec_with(
            "const keep = []; while (true) { try { keep.push(new Uint8Array(1024 * 1024)) } catch (e) { console.log('caught') } }",
            memory(16),
        )
        .await
        .unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit), "{r:?}");
    // Within budget, buffers work.
    let r = rt
        .exec_with(
            "const b = new Uint8Array(4 * 1024 * 1024); b[0] = 7; console.log(b[0], b.length)",
            memory(16),
        )
        .await
        .unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "7 4194304\n"), "{r:?}");
    // Buffers the session let go of are not held against it before V8 collects them: a
    // stream's worth of spent chunks, many times the budget, passes through.
    let r = rt
        .exec_with(
            "let total = 0; for (let i = 0; i < 400; i++) total += new Uint8Array(1024 * 1024).length;\n\
             console.log(total)",
            memory(16),
        )
        .await
        .unwrap();
    assert_eq!((r.error_code, r.stdout.as_str()), (None, "419430400\n"), "{r:?}");
    still_serving(&rt).await;
}

/// A string a native makes (`buf.toString`, `readFileSync(file, 'latin1')`) is checked against
/// the budget before it is made, since V8 lets a native create one past the heap limit. Garbage
/// the session let go of counts until V8 collects it, so it is collected before a string is
/// refused: once, a 40 MiB file read as text in a 128 MB session failed when the machine was
/// busy. A string that does not fit beside what the session holds is still refused.
#[tokio::test]
async fn garbage_is_collected_before_a_natives_string_is_refused() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec_with(
            "const a = Buffer.alloc(50 << 20, 0x61); let t = a.toString('latin1'); t = null;\n\
             const u = a.toString('latin1'); console.log(u.length)",
            memory(128),
        )
        .await
        .unwrap();
    assert_eq!((r.error_code, r.stdout.as_str()), (None, "52428800\n"), "{r:?}");
    let r = rt
        .exec_with(
            "const a = Buffer.alloc(50 << 20, 0x61); const t = a.toString('latin1');\n\
             const u = a.toString('latin1'); console.log(t.length + u.length)",
            memory(128),
        )
        .await
        .unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit), "{r:?}");
    still_serving(&rt).await;
}

#[tokio::test]
async fn a_memory_limit_hit_leaves_concurrent_sessions_running() {
    let (rt, _v8) = support::runtime().await;
    let neighbour = tokio::spawn({
        let rt = rt.clone();
        async move {
            rt.exec("let n = 0; const t = setInterval(() => { if (++n === 20) { clearInterval(t); console.log('done', n) } }, 5)")
                .await
                .unwrap()
        }
    });
    let r =
        rt.exec_with("const a = []; while (true) a.push(new Array(1e6))", memory(8)).await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit));
    let n = neighbour.await.unwrap();
    assert_eq!((n.code, n.stdout.as_str()), (0, "done 20\n"), "{n:?}");
}

#[tokio::test]
async fn cpu_limit_stops_a_tight_loop_with_code_124() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec_with("while (true) {}", cpu(50)).await.unwrap();
    assert_eq!(r.code, 124);
    assert_eq!(r.error_code, Some(ErrorCode::CpuTimeLimit));
    assert_eq!(
        r.error_message.as_deref(),
        Some("ERR_CPU_TIME_LIMIT: CPU time limit of 50 ms exceeded")
    );
    still_serving(&rt).await;
}

#[tokio::test]
async fn termination_cannot_be_caught_or_outlived() {
    let (rt, _v8) = support::runtime().await;
    let attempts = [
        "try { while (true) {} } catch (e) { console.log('caught') } finally { console.log('finally') }",
        "try { throw 1 } finally { while (true) {} }",
        "try { while (true) {} } finally { while (true) {} }",
        "function again() { const end = Date.now() + 5; while (Date.now() < end) {} setTimeout(again, 0) } again()",
        "function spin() { queueMicrotask(spin) } spin()",
        "function spin() { Promise.resolve().then(spin) } spin()",
        "async function f() { while (true) { await null } } f()",
    ];
    for code in attempts {
        let r = rt.exec_with(code, cpu(50)).await.unwrap();
        assert_eq!((r.code, r.error_code), (124, Some(ErrorCode::CpuTimeLimit)), "{code}: {r:?}");
        assert_eq!(r.stdout, "", "{code}");
    }
    still_serving(&rt).await;
}

#[tokio::test]
async fn waiting_burns_no_cpu_so_the_wall_clock_ends_it() {
    let (rt, _v8) = support::runtime().await;
    let started = Instant::now();
    let r = rt
        .exec_with(
            "(async () => { await new Promise(resolve => setTimeout(resolve, 3600 * 1000)); console.log('never') })()",
            ExecOptions { cpu_time_limit_ms: Some(50), timeout_ms: Some(200), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(r.code, 124);
    assert_eq!(r.error_code, Some(ErrorCode::Timeout));
    assert_eq!(
        r.error_message.as_deref(),
        Some("ERR_TIMEOUT: wall-clock timeout of 200 ms exceeded")
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    still_serving(&rt).await;
}

#[tokio::test]
async fn the_cpu_clock_ignores_time_spent_waiting() {
    let (rt, _v8) = support::runtime().await;
    // 300 ms of sleeping timers under a 100 ms CPU budget: fine, little CPU is used.
    let r = rt
        .exec_with(
            "let n = 0; const t = setInterval(() => { if (++n === 30) clearInterval(t) }, 10)",
            cpu(100),
        )
        .await
        .unwrap();
    assert_eq!((r.code, r.error_code), (0, None), "{r:?}");
}

#[tokio::test]
async fn a_runtime_wide_timeout_ends_a_session_that_would_run_forever() {
    let v8 = support::spawn().await;
    let rt = NodeRuntime::new(NodeRuntimeOptions {
        v8_runtime: Some(v8.clone()),
        timeout_ms: Some(150),
        ..Default::default()
    });
    let r = rt.exec("setInterval(() => {}, 1000)").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::Timeout));
}

#[tokio::test]
async fn per_call_options_override_runtime_defaults() {
    let v8 = support::spawn().await;
    let rt = NodeRuntime::new(NodeRuntimeOptions {
        v8_runtime: Some(v8.clone()),
        cpu_time_limit_ms: Some(10_000),
        ..Default::default()
    });
    let r = rt.exec_with("while (true) {}", cpu(30)).await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::CpuTimeLimit));
    let r = rt.exec_with("for (let i = 0; i < 1e6; i++) {}", ExecOptions::default()).await.unwrap();
    assert_eq!(r.code, 0);
}

#[tokio::test]
async fn limits_hit_many_times_leave_the_worker_healthy() {
    let (rt, v8) = support::runtime().await;
    let pid = v8.pid();
    for round in 0..5 {
        let r = rt.exec_with("while (true) {}", cpu(20)).await.unwrap();
        assert_eq!(r.error_code, Some(ErrorCode::CpuTimeLimit), "round {round}");
        let r = rt
            .exec_with("const a = []; while (true) a.push(new Array(1e5))", memory(16))
            .await
            .unwrap();
        assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit), "round {round}");
        let r = rt.exec_with("new Promise(r => setTimeout(r, 60000))", wall(30)).await.unwrap();
        assert_eq!(r.error_code, Some(ErrorCode::Timeout), "round {round}");
        still_serving(&rt).await;
    }
    assert_eq!(v8.pid(), pid);
}

#[tokio::test]
async fn output_is_capped_with_a_marker() {
    let (rt, _v8) = support::runtime().await;
    let options = ExecOptions { max_output_bytes: Some(1000), ..Default::default() };
    let r = rt
        .exec_with("for (let i = 0; i < 100000; i++) console.log('line ' + i); console.error('e'.repeat(5000))", options)
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    let marker = "\n[secure-exec: stdout truncated after 1000 bytes]\n";
    assert!(r.stdout.ends_with(marker), "{:?}", &r.stdout[r.stdout.len().saturating_sub(80)..]);
    assert_eq!(r.stdout.len(), 1000 + marker.len());
    assert!(r.stdout.starts_with("line 0\nline 1\n"));
    assert!(r.stderr.ends_with("\n[secure-exec: stderr truncated after 1000 bytes]\n"));
}

#[tokio::test]
async fn a_print_loop_is_bounded_by_the_cap_not_by_memory() {
    let (rt, v8) = support::runtime().await;
    // Gigabytes of output would be produced without the cap; the session stays small.
    let r = rt
        .exec_with(
            "const line = 'z'.repeat(1 << 20); for (let i = 0; i < 4096; i++) console.log(line)",
            ExecOptions { timeout_ms: Some(20_000), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{:?}", r.error_message);
    assert!(r.stdout.len() <= secure_exec_host::DEFAULT_MAX_OUTPUT_BYTES as usize + 100);
    let stats = v8.stats().await.unwrap();
    assert!(stats.rss_bytes < 512 * 1024 * 1024, "worker RSS {}", stats.rss_bytes);
}

#[tokio::test]
async fn multibyte_output_is_cut_on_a_character_boundary() {
    let (rt, _v8) = support::runtime().await;
    let options = ExecOptions { max_output_bytes: Some(10), ..Default::default() };
    let r = rt.exec_with("console.log('ééééééééé')", options).await.unwrap();
    assert!(r.stdout.starts_with("ééééé\n[secure-exec"), "{:?}", r.stdout);
}

#[tokio::test]
async fn too_large_exports_are_a_clear_error_not_a_broken_connection() {
    let (rt, v8) = support::runtime().await;
    let r = rt
        .run_with(
            "module.exports = { big: 'x'.repeat(2 * 1024 * 1024) }",
            ExecOptions { max_exports_bytes: Some(1024 * 1024), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(r.code, 1);
    assert_eq!(r.error_code, Some(ErrorCode::ExportsTooLarge));
    assert!(r.error_message.unwrap().contains("over the limit of 1048576 bytes"));
    // Even past the frame size, the default exports cap keeps the connection intact.
    let r = rt.run("module.exports = 'y'.repeat(20 * 1024 * 1024)").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::ExportsTooLarge), "{:?}", r.error_message);
    assert_eq!(v8.state(), secure_exec_host::ProcessState::Ready);
    still_serving(&rt).await;
}

#[tokio::test]
async fn a_zero_output_cap_is_invalid_options() {
    let (rt, _v8) = support::runtime().await;
    let err = rt
        .exec_with("1", ExecOptions { max_output_bytes: Some(0), ..Default::default() })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("max_output_bytes must be between"), "{err}");
}

/// Code compiled in the background while a session's heap is at its limit fails in its own
/// session: a memory-limit stop, never a fatal out-of-memory of the worker the other sessions
/// share (V8 compiles Sparkplug code on the session's own thread here: a background
/// compiler's failed allocation would abort the process).
#[tokio::test]
async fn code_compiled_near_the_memory_limit_never_ends_the_worker() {
    let (rt, v8) = support::runtime().await;
    let pid = v8.pid();
    let code = "const keep = []; let n = 0;\n\
                function work(i) { let s = 0; for (let k = 0; k < 50; k++) s += (i * k) % 7; return s; }\n\
                for (;;) { const f = new Function('x', 'let t = 0; for (let j = 0; j < 20; j++) t += x * j + ' + n + '; return t;');\n\
                  for (let r = 0; r < 30; r++) f(r) + work(r); keep.push(f, 'v'.repeat(64) + n++); }";
    for _ in 0..12 {
        for limit in [4, 6, 8] {
            let r = rt.exec_with(code, memory(limit)).await.unwrap();
            assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit), "{r:?}");
        }
    }
    assert_eq!(v8.pid(), pid, "the worker survived");
    still_serving(&rt).await;
}
