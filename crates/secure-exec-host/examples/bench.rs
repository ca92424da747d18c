//! The performance figures of docs/performance.md. Run through `cargo xtask bench`, which
//! builds the release worker first; `--quick` runs fewer iterations, `--check` compares with
//! the committed baseline and fails on a regression beyond a generous factor (exit status 3,
//! so that `cargo xtask bench --check` can tell a regression from a failure to measure).
//!
//! Prints a table and writes `results.json` to `$SECURE_EXEC_BENCH_DIR` (default
//! `target/bench`). `--scale` measures how throughput grows with worker processes instead (see
//! docs/performance.md) and writes its own `results.json`; `--modules` measures and prints only
//! the module-loading figures.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secure_exec_host::{
    ErrorCode, ExecOptions, HostDir, NetPolicy, NodeRuntime, NodeRuntimeOptions, Registry,
    RegistryOptions, SystemDriver, Topology, V8Runtime, V8RuntimeOptions,
};
use serde_json::{Value, json};

// The integration tests' local HTTP server, for the network figures.
#[allow(dead_code)]
#[path = "../tests/it/http_server.rs"]
mod http_server;

type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// A regression is a figure worse than baseline by more than this factor (machines are noisy).
const CHECK_FACTOR: f64 = 3.0;

/// Exit status of a `--check` run that found a regression.
const REGRESSION_EXIT: u8 = 3;

struct Figure {
    name: &'static str,
    value: f64,
    unit: &'static str,
    /// `true` if lower is better.
    lower_is_better: bool,
    goal: Option<f64>,
}

struct Plan {
    latency_runs: usize,
    spawn_runs: usize,
    throughput_window: Duration,
    sequential_sessions: usize,
    overshoot_runs: usize,
    crash_runs: usize,
    module_runs: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let check = args.iter().any(|a| a == "--check");
    if args.iter().any(|a| a == "--scale") {
        // `--processes 1,16` measures only those rows.
        let only: Option<Vec<usize>> = args
            .iter()
            .position(|a| a == "--processes")
            .and_then(|at| args.get(at + 1))
            .map(|list| list.split(',').filter_map(|n| n.trim().parse().ok()).collect());
        return match scale(quick, only).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("bench: {err}");
                ExitCode::FAILURE
            }
        };
    }
    if args.iter().any(|a| a == "--modules") {
        return match modules_only(quick).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("bench: {err}");
                ExitCode::FAILURE
            }
        };
    }
    match bench(quick, check).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(REGRESSION_EXIT),
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `--modules`: only the module-loading figures, printed (no results file, no check).
async fn modules_only(quick: bool) -> Result<(), AnyError> {
    let mut figures = Vec::new();
    modules(&mut figures, &plan(quick)).await?;
    print_table(&figures);
    Ok(())
}

fn plan(quick: bool) -> Plan {
    if quick {
        Plan {
            latency_runs: 300,
            spawn_runs: 10,
            throughput_window: Duration::from_secs(2),
            sequential_sessions: 300,
            overshoot_runs: 5,
            crash_runs: 3,
            module_runs: 40,
        }
    } else {
        Plan {
            latency_runs: 1000,
            spawn_runs: 20,
            throughput_window: Duration::from_secs(5),
            sequential_sessions: 1000,
            overshoot_runs: 20,
            crash_runs: 10,
            module_runs: 200,
        }
    }
}

async fn bench(quick: bool, check: bool) -> Result<bool, AnyError> {
    let plan = plan(quick);
    let mut figures = Vec::new();
    let goal = |value| Some(value);

    // Spawn: until the handshake is done.
    let mut spawns = Vec::new();
    for _ in 0..plan.spawn_runs {
        let started = Instant::now();
        let v8 = V8Runtime::spawn(V8RuntimeOptions::default()).await?;
        spawns.push(started.elapsed());
        v8.dispose().await;
    }
    figures.push(ms("spawn (median)", percentile(&mut spawns, 50.0), goal(10.0)));

    // Latency on a warm process, sequential.
    let v8 = V8Runtime::spawn(V8RuntimeOptions::default()).await?;
    let rt = on(&v8);
    warm_up(&rt).await?;
    for (label50, label99, code, run) in [
        ("exec p50", "exec p99", "let x = 1 + 1", false),
        ("exec console.log p50", "exec console.log p99", "console.log('hello', { a: 1 })", false),
        (
            "run small export p50",
            "run small export p99",
            "module.exports = { a: 1, b: [1, 2] }",
            true,
        ),
    ] {
        let mut times = Vec::with_capacity(plan.latency_runs);
        for _ in 0..plan.latency_runs {
            let started = Instant::now();
            let code_ok = if run { rt.run(code).await?.code } else { rt.exec(code).await?.code };
            times.push(started.elapsed());
            if code_ok != 0 {
                return Err(format!("{code:?} failed").into());
            }
        }
        let is_trivial = label50 == "exec p50";
        figures.push(ms(
            label50,
            percentile(&mut times, 50.0),
            if is_trivial { goal(1.0) } else { None },
        ));
        figures.push(ms(
            label99,
            percentile(&mut times, 99.0),
            if is_trivial { goal(5.0) } else { None },
        ));
    }
    // Back to back, every session shares the cores with the disposal of the one before and
    // the spare built to replace it; a caller that waits between sessions leaves that work
    // to the pause.
    let runs = plan.latency_runs / 3;
    let mut times =
        timed_sessions(&rt, "let x = 1 + 1", ExecOptions::default(), runs, PAUSE).await?;
    figures.push(ms("exec p50, 20 ms apart", percentile(&mut times, 50.0), None));

    // Memory: idle, after N sequential sessions, and per extra concurrent idle session.
    let fresh = V8Runtime::spawn(V8RuntimeOptions::default()).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle = fresh.stats().await?.rss_bytes;
    figures.push(mb("worker RSS idle", idle, goal(20.0)));
    let fresh_rt = on(&fresh);
    let before = fresh.stats().await?.rss_bytes;
    for _ in 0..plan.sequential_sessions {
        let _ = fresh_rt
            .exec("const o = { a: [1, 2, 3], s: 'x'.repeat(100) }; JSON.stringify(o)")
            .await?;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = fresh.stats().await?.rss_bytes;
    figures.push(Figure {
        name: if quick {
            "RSS growth after 300 sessions"
        } else {
            "RSS growth after 1000 sessions"
        },
        value: after.saturating_sub(before) as f64 / 1e6,
        unit: "MB",
        lower_is_better: true,
        goal: goal(5.0),
    });
    let concurrent = 16;
    let idle_sessions: Vec<_> = (0..concurrent)
        .map(|_| {
            let rt = fresh_rt.clone();
            tokio::spawn(async move { rt.exec("setTimeout(() => {}, 1500)").await })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while fresh.stats().await?.active_sessions < concurrent && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let with_sessions = fresh.stats().await?.rss_bytes;
    figures.push(mb("RSS with 16 idle sessions", with_sessions, None));
    figures.push(Figure {
        name: "RSS per extra session",
        value: with_sessions.saturating_sub(after) as f64 / 1e6 / concurrent as f64,
        unit: "MB",
        lower_is_better: true,
        goal: None,
    });

    // Workers that ran 50 sessions and then sat quiet for 5 s (their spares retire after 3 s).
    // The first exec after the quiet is one sample per worker: three workers wait together and
    // the median counts, since one busy moment can make a single sample ten times longer.
    let mut quiet = Vec::new();
    for _ in 0..3 {
        let v8 = V8Runtime::spawn(V8RuntimeOptions::default()).await?;
        let rt = on(&v8);
        for _ in 0..50 {
            if rt.exec("JSON.stringify({ a: [1, 2, 3] })").await?.code != 0 {
                return Err("a session before the quiet period failed".into());
            }
        }
        quiet.push((v8, rt));
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let first = &quiet[0].0;
    figures.push(mb("worker RSS after 5 s quiet", first.stats().await?.rss_bytes, goal(12.0)));
    if let Some(private) = anonymous_bytes(first.info().pid) {
        figures.push(mb("worker private memory after 5 s quiet", private, None));
    }
    let mut firsts = Vec::new();
    for (_, rt) in &quiet {
        let started = Instant::now();
        if rt.exec("1").await?.code != 0 {
            return Err("the first session after the quiet period failed".into());
        }
        firsts.push(started.elapsed());
    }
    figures.push(ms("first exec after quiet", percentile(&mut firsts, 50.0), None));
    for (v8, _) in quiet {
        v8.dispose().await;
    }
    for session in idle_sessions {
        let _ = session.await??;
    }
    fresh.dispose().await;

    // Throughput: 64 concurrent callers, trivial execs.
    let shared = Registry::new(RegistryOptions::default());
    let shared_rt = NodeRuntime::new(NodeRuntimeOptions {
        registry: Some(shared.clone()),
        ..Default::default()
    });
    warm_up(&shared_rt).await?;
    let rate = throughput(vec![shared_rt], 64, plan.throughput_window).await?;
    figures.push(rate_figure("throughput, shared process", rate, goal(2000.0)));
    shared.shutdown().await;
    let tenants = Registry::new(RegistryOptions::default());
    let tenant_rts: Vec<NodeRuntime> = ["t1", "t2"]
        .iter()
        .map(|key| {
            NodeRuntime::new(NodeRuntimeOptions {
                topology: Topology::Tenant((*key).into()),
                registry: Some(tenants.clone()),
                ..Default::default()
            })
        })
        .collect();
    for rt in &tenant_rts {
        warm_up(rt).await?;
    }
    let rate = throughput(tenant_rts, 64, plan.throughput_window).await?;
    figures.push(rate_figure("throughput, 2 tenant processes", rate, None));
    tenants.shutdown().await;

    // CPU-limit overshoot: CPU used by `while (true) {}` under a 50 ms limit, minus 50 ms.
    let mut overshoots = Vec::new();
    for _ in 0..plan.overshoot_runs {
        let r = rt
            .exec_with(
                "while (true) {}",
                ExecOptions { cpu_time_limit_ms: Some(50), ..Default::default() },
            )
            .await?;
        let metrics = r.metrics;
        if r.error_code != Some(ErrorCode::CpuTimeLimit) {
            return Err(format!("the CPU limit did not hold: {r:?}").into());
        }
        overshoots.push(metrics.cpu_time.saturating_sub(Duration::from_millis(50)));
    }
    figures.push(ms(
        "CPU-limit overshoot (median)",
        percentile(&mut overshoots.clone(), 50.0),
        goal(10.0),
    ));
    figures.push(ms("CPU-limit overshoot (max)", percentile(&mut overshoots, 100.0), None));

    // Memory-limit stop time: the seed's OOM example with an 8 MB limit.
    let mut stops = Vec::new();
    for _ in 0..plan.overshoot_runs {
        let started = Instant::now();
        let r = rt
            .exec_with(
                "const a = []; while (true) a.push(new Array(1e6))",
                ExecOptions { memory_limit: Some(8), ..Default::default() },
            )
            .await?;
        stops.push(started.elapsed());
        if r.error_code != Some(ErrorCode::MemoryLimit) {
            return Err(format!("the memory limit did not hold: {r:?}").into());
        }
    }
    figures.push(ms("memory-limit stop time (median)", percentile(&mut stops, 50.0), None));
    v8.dispose().await;

    // Modules: a session that loads a package from a mounted node_modules, and the cost of one
    // host call.
    modules(&mut figures, &plan).await?;

    // Network: fetches through the host from a local server.
    network(&mut figures, &plan).await?;

    // Crash: SIGKILL of the worker to ERR_V8_PROCESS_CRASH in the caller's hands.
    let mut crashes = Vec::new();
    for _ in 0..plan.crash_runs {
        let victim = V8Runtime::spawn(V8RuntimeOptions::default()).await?;
        let victim_rt = on(&victim);
        let killed_at = Arc::new(std::sync::Mutex::new(None::<Instant>));
        let session = tokio::spawn(async move {
            let r = victim_rt.exec("setInterval(() => {}, 1000)").await;
            (r, Instant::now())
        });
        while victim.stats().await?.active_sessions < 1 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let pid = victim.info().pid;
        *killed_at.lock().map_err(|_| "poisoned")? = Some(Instant::now());
        // SAFETY: kill(2) on a worker this program started.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        let (r, got_at) = session.await?;
        if r?.error_code != Some(ErrorCode::V8ProcessCrash) {
            return Err("a killed worker's session did not report a crash".into());
        }
        let killed = killed_at.lock().map_err(|_| "poisoned")?.ok_or("no kill time")?;
        crashes.push(got_at.duration_since(killed));
    }
    figures.push(ms("crash to error (median)", percentile(&mut crashes, 50.0), goal(5.0)));

    print_table(&figures);
    let results = json!({
        "machine": machine(),
        "quick": quick,
        "figures": figures.iter().map(|f| json!({
            "name": f.name, "value": round(f.value), "unit": f.unit,
            "lower_is_better": f.lower_is_better, "goal": f.goal,
        })).collect::<Vec<_>>(),
    });
    write_results(&results)?;

    if check {
        let path = std::env::var_os("SECURE_EXEC_BENCH_BASELINE")
            .map_or_else(|| PathBuf::from("bench/baseline.json"), PathBuf::from);
        return compare(&figures, &path);
    }
    Ok(true)
}

/// The npm packages of the module figures, installed from the test fixture's lockfile with
/// `npm ci` into target/npm-fixture (once per lockfile).
fn npm_packages() -> Result<PathBuf, AnyError> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixture = root.join("tests/fixtures/npm");
    let target = root.join("../../target/npm-fixture");
    std::fs::create_dir_all(&target)?;
    let lock = std::fs::read_to_string(fixture.join("package-lock.json"))?;
    let stamp = target.join("installed-lock.json");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(lock.as_str()) {
        for name in ["package.json", "package-lock.json"] {
            std::fs::copy(fixture.join(name), target.join(name))?;
        }
        let status = std::process::Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&target)
            .status()
            .map_err(|err| format!("`npm` is needed for the module figures: {err}"))?;
        if !status.success() {
            return Err(format!("npm ci failed: {status}").into());
        }
        std::fs::write(&stamp, &lock)?;
    }
    Ok(std::fs::canonicalize(target.join("node_modules"))?)
}

async fn modules(figures: &mut Vec<Figure>, plan: &Plan) -> Result<(), AnyError> {
    let packages = npm_packages()?;
    let v8 = V8Runtime::spawn(V8RuntimeOptions::default()).await?;
    let rt = NodeRuntime::new(NodeRuntimeOptions {
        v8_runtime: Some(v8.clone()),
        system: SystemDriver::default()
            .mount("/app/node_modules", HostDir::frozen(&packages))
            .with_cwd("/app"),
        ..Default::default()
    });
    warm_up(&rt).await?;
    let entry = || ExecOptions { filename: Some("/app/main.js".into()), ..Default::default() };
    for (label50, label99, code) in [
        ("require('semver') p50", "require('semver') p99", "require('semver').valid('1.2.3')"),
        ("require('lodash') p50", "require('lodash') p99", "require('lodash').chunk([1, 2], 1)"),
        ("require('zod') p50", "require('zod') p99", "require('zod').z.string().parse('x')"),
        (
            "import nanoid (ESM) p50",
            "import nanoid (ESM) p99",
            "import('nanoid').then((m) => m.nanoid())",
        ),
    ] {
        let mut times =
            timed_sessions(&rt, code, entry(), plan.module_runs, Duration::ZERO).await?;
        let goal = if label50.starts_with("require") { Some(5.0) } else { None };
        figures.push(ms(label50, percentile(&mut times, 50.0), goal));
        figures.push(ms(label99, percentile(&mut times, 99.0), None));
    }
    for (label, code) in [
        ("require('semver') p50, 20 ms apart", "require('semver').valid('1.2.3')"),
        ("require('lodash') p50, 20 ms apart", "require('lodash').chunk([1, 2], 1)"),
        ("require('zod') p50, 20 ms apart", "require('zod').z.string().parse('x')"),
    ] {
        let mut times = timed_sessions(&rt, code, entry(), plan.module_runs, PAUSE).await?;
        figures.push(ms(label, percentile(&mut times, 50.0), None));
    }
    // One host call: 2,000 statSync calls in one session, per call.
    let calls = 2000;
    let code = format!(
        "const fs = require('fs'); fs.writeFileSync('/f', 'x'); \
         const t = performance.now(); for (let i = 0; i < {calls}; i++) fs.statSync('/f'); \
         console.log((performance.now() - t) / {calls})"
    );
    let mut per_call = Vec::new();
    for _ in 0..5 {
        let r = rt.exec(&code).await?;
        let ms: f64 = r.stdout.trim().parse().map_err(|_| format!("no timing: {r:?}"))?;
        per_call.push(Duration::from_secs_f64(ms / 1000.0));
    }
    figures.push(Figure {
        name: "host call round trip (statSync)",
        value: percentile(&mut per_call, 50.0).as_secs_f64() * 1e6,
        unit: "µs",
        lower_is_better: true,
        goal: None,
    });
    v8.dispose().await;
    Ok(())
}

/// The overhead of a fetch through the host against a local server: one request's round trip
/// inside a session, a whole session that makes one, and the rate a large body streams at.
async fn network(figures: &mut Vec<Figure>, plan: &Plan) -> Result<(), AnyError> {
    let server = http_server::Server::start();
    let v8 = V8Runtime::spawn(V8RuntimeOptions::default()).await?;
    let policy = NetPolicy {
        allow: NetPolicy::parse_list(&format!("127.0.0.1:{}", server.port))?,
        max_requests: 100_000,
        max_response_bytes: 1 << 30,
        ..NetPolicy::default()
    };
    let rt = NodeRuntime::new(NodeRuntimeOptions {
        v8_runtime: Some(v8.clone()),
        system: SystemDriver::default().with_net_policy(policy),
        ..Default::default()
    });
    warm_up(&rt).await?;
    let url = server.url("/json");
    let module = || ExecOptions { filename: Some("/bench.mjs".into()), ..Default::default() };

    // Round trips inside one session, each timed by the guest.
    let requests = plan.module_runs.max(100);
    let code = format!(
        "const times = []; for (let i = 0; i < {requests} + 5; i++) {{ \
           const t = performance.now(); await (await fetch('{url}')).text(); \
           if (i >= 5) times.push(performance.now() - t); }} \
         times.sort((a, b) => a - b); console.log(times[times.length >> 1]);"
    );
    let r = rt.exec_with(&code, module()).await?;
    let p50: f64 = r.stdout.trim().parse().map_err(|_| format!("no timing: {r:?}"))?;
    figures.push(ms("fetch round trip p50 (local)", Duration::from_secs_f64(p50 / 1000.0), None));

    // Whole sessions that make one request.
    let code = format!("const r = await fetch('{url}'); await r.json();");
    let mut times = timed_sessions(&rt, &code, module(), plan.module_runs, Duration::ZERO).await?;
    figures.push(ms("session with one fetch p50", percentile(&mut times, 50.0), None));

    // A large body, streamed through the guest.
    let bytes: u64 = 64 << 20;
    let url = server.url(&format!("/big?n={bytes}"));
    let code = format!(
        "const r = await fetch('{url}'); let n = 0; const t = performance.now(); \
         for await (const piece of r.body) n += piece.length; \
         if (n !== {bytes}) throw new Error('short body: ' + n); \
         console.log(performance.now() - t);"
    );
    let mut rates = Vec::new();
    for _ in 0..3 {
        let r = rt.exec_with(&code, module()).await?;
        let took: f64 = r.stdout.trim().parse().map_err(|_| format!("no timing: {r:?}"))?;
        rates.push(bytes as f64 / 1e6 / (took / 1000.0));
    }
    rates.sort_by(f64::total_cmp);
    figures.push(Figure {
        name: "fetch body streamed (64 MiB)",
        value: rates[rates.len() / 2],
        unit: "MB/s",
        lower_is_better: false,
        goal: None,
    });
    v8.dispose().await;
    Ok(())
}

/// `runs` sessions of `code`, each timed from the call to its result, after 3 that fill the
/// worker's code caches.
async fn timed_sessions(
    rt: &NodeRuntime,
    code: &str,
    options: ExecOptions,
    runs: usize,
    pause: Duration,
) -> Result<Vec<Duration>, AnyError> {
    let mut times = Vec::with_capacity(runs);
    for run in 0..runs + 3 {
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        let started = Instant::now();
        let r = rt.exec_with(code, options.clone()).await?;
        if r.code != 0 {
            return Err(format!("{code}: {:?}", r.error_message).into());
        }
        if run >= 3 {
            times.push(started.elapsed());
        }
    }
    Ok(times)
}

/// `$SECURE_EXEC_BENCH_DIR` (default `target/bench`), where results are written.
fn bench_dir() -> PathBuf {
    std::env::var_os("SECURE_EXEC_BENCH_DIR")
        .map_or_else(|| PathBuf::from("target/bench"), PathBuf::from)
}

/// Writes `results.json` to [`bench_dir`].
fn write_results(results: &Value) -> Result<(), AnyError> {
    let dir = bench_dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("results.json"), serde_json::to_string_pretty(results)?)?;
    println!("wrote {}", dir.join("results.json").display());
    Ok(())
}

fn on(v8: &V8Runtime) -> NodeRuntime {
    NodeRuntime::new(NodeRuntimeOptions { v8_runtime: Some(v8.clone()), ..Default::default() })
}

async fn warm_up(rt: &NodeRuntime) -> Result<(), AnyError> {
    for _ in 0..50 {
        let _ = rt.exec("1").await?;
    }
    Ok(())
}

async fn throughput(
    runtimes: Vec<NodeRuntime>,
    callers: usize,
    window: Duration,
) -> Result<f64, AnyError> {
    let (done, elapsed) = sessions_in(runtimes, callers, window).await?;
    Ok(done as f64 / elapsed.as_secs_f64())
}

/// Trivial sessions completed by `callers` tasks over `runtimes` in about `window`, and how
/// long they took.
async fn sessions_in(
    runtimes: Vec<NodeRuntime>,
    callers: usize,
    window: Duration,
) -> Result<(u64, Duration), AnyError> {
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + window;
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|i| {
            let rt = runtimes[i % runtimes.len()].clone();
            let (done, failed) = (Arc::clone(&done), Arc::clone(&failed));
            tokio::spawn(async move {
                while Instant::now() < stop {
                    match rt.exec("let x = 1 + 1").await {
                        Ok(r) if r.code == 0 => done.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed();
    if failed.load(Ordering::Relaxed) > 0 {
        return Err(format!(
            "{} sessions failed during the throughput run",
            failed.load(Ordering::Relaxed)
        )
        .into());
    }
    Ok((done.load(Ordering::Relaxed), elapsed))
}

/// One row of the scaling table.
struct ScaleRow {
    processes: usize,
    callers: usize,
    rate: f64,
    host_cpu_us: f64,
    worker_cpu_us: f64,
}

/// CPU time (user + system) of this process so far, in microseconds.
fn own_cpu_us() -> f64 {
    // SAFETY: getrusage fills the struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF covers every thread of this process.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    us(usage.ru_utime) + us(usage.ru_stime)
}

/// CPU time (user + system) of process `pid` so far, in microseconds.
/// The process's anonymous (private, not file-backed) memory, from /proc.
fn anonymous_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let line = text.lines().find(|line| line.starts_with("Anonymous:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn process_cpu_us(pid: u32) -> f64 {
    // SAFETY: sysconf reads a constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // The command name may hold spaces: fields count from the closing parenthesis.
    let Some(rest) = stat.rfind(')').map(|at| &stat[at + 2..]) else { return 0.0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (field(11) + field(12)) / ticks * 1e6
}

async fn scale_row(
    processes: usize,
    callers: usize,
    window: Duration,
) -> Result<ScaleRow, AnyError> {
    let mut workers = Vec::with_capacity(processes);
    for _ in 0..processes {
        workers.push(V8Runtime::spawn(V8RuntimeOptions::default()).await?);
    }
    let runtimes: Vec<NodeRuntime> = workers.iter().map(on).collect();
    for rt in &runtimes {
        warm_up(rt).await?;
    }
    let pids: Vec<u32> = workers.iter().map(|w| w.info().pid).collect();
    let worker_before: f64 = pids.iter().map(|&pid| process_cpu_us(pid)).sum();
    let host_before = own_cpu_us();
    let (done, elapsed) = sessions_in(runtimes, callers, window).await?;
    let host = own_cpu_us() - host_before;
    let worker: f64 = pids.iter().map(|&pid| process_cpu_us(pid)).sum::<f64>() - worker_before;
    for worker in workers {
        worker.dispose().await;
    }
    let sessions = done.max(1) as f64;
    Ok(ScaleRow {
        processes,
        callers,
        rate: done as f64 / elapsed.as_secs_f64(),
        host_cpu_us: host / sessions,
        worker_cpu_us: worker / sessions,
    })
}

/// Throughput of trivial sessions for 1, 2, 4, 8 and 16 worker processes (up to the core
/// count), 128 callers spread over them, with the host's and the workers' CPU time per
/// session; and the same for one caller on one process ("alone"), the cost of a session
/// without contention.
async fn scale(quick: bool, only: Option<Vec<usize>>) -> Result<(), AnyError> {
    let window = if quick { Duration::from_secs(2) } else { Duration::from_secs(5) };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows = Vec::new();
    if only.is_none() {
        rows.push(scale_row(1, 1, window).await?);
    }
    let counts = only.unwrap_or_else(|| {
        [1, 2, 4, 8, 16].into_iter().filter(|&n| n == 1 || n <= cores).collect()
    });
    for processes in counts {
        rows.push(scale_row(processes, 128, window).await?);
    }
    println!(
        "\n| {:>9} | {:>7} | {:>10} | {:>21} | {:>23} |",
        "processes", "callers", "execs/s", "host CPU µs / session", "worker CPU µs / session"
    );
    println!(
        "|{}|{}|{}|{}|{}|",
        "-".repeat(11),
        "-".repeat(9),
        "-".repeat(12),
        "-".repeat(23),
        "-".repeat(25)
    );
    for row in &rows {
        println!(
            "| {:>9} | {:>7} | {:>10.0} | {:>21.0} | {:>23.0} |",
            row.processes, row.callers, row.rate, row.host_cpu_us, row.worker_cpu_us
        );
    }
    println!();
    let results = json!({
        "machine": machine(),
        "quick": quick,
        "window_s": window.as_secs_f64(),
        "scale": rows.iter().map(|r| json!({
            "processes": r.processes,
            "callers": r.callers,
            "execs_per_s": round(r.rate),
            "host_cpu_us_per_session": round(r.host_cpu_us),
            "worker_cpu_us_per_session": round(r.worker_cpu_us),
        })).collect::<Vec<_>>(),
    });
    write_results(&results)?;
    Ok(())
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

/// The pause between the sessions of the "apart" figures: a caller that is not saturating
/// the worker.
const PAUSE: Duration = Duration::from_millis(20);

fn ms(name: &'static str, value: Duration, goal: Option<f64>) -> Figure {
    Figure { name, value: value.as_secs_f64() * 1000.0, unit: "ms", lower_is_better: true, goal }
}

fn mb(name: &'static str, bytes: u64, goal: Option<f64>) -> Figure {
    Figure { name, value: bytes as f64 / 1e6, unit: "MB", lower_is_better: true, goal }
}

fn rate_figure(name: &'static str, rate: f64, goal: Option<f64>) -> Figure {
    Figure { name, value: rate, unit: "execs/s", lower_is_better: false, goal }
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn print_table(figures: &[Figure]) {
    println!("\n| {:<34} | {:>10} | {:<8} | {:<14} |", "figure", "value", "unit", "goal");
    println!("|{}|{}|{}|{}|", "-".repeat(36), "-".repeat(12), "-".repeat(10), "-".repeat(16));
    for f in figures {
        let goal = match f.goal {
            None => String::new(),
            Some(goal) => {
                let met = if f.lower_is_better { f.value <= goal } else { f.value >= goal };
                format!(
                    "{} {goal} {}",
                    if f.lower_is_better { "≤" } else { "≥" },
                    if met { "met" } else { "MISSED" }
                )
            }
        };
        println!("| {:<34} | {:>10.3} | {:<8} | {:<14} |", f.name, f.value, f.unit, goal);
    }
    println!();
}

fn compare(figures: &[Figure], path: &PathBuf) -> Result<bool, AnyError> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read the baseline {}: {err}", path.display()))?;
    let baseline: Value = serde_json::from_str(&text)?;
    let mut regressed_names = Vec::new();
    for f in figures {
        let Some(base) = baseline["figures"]
            .as_array()
            .and_then(|all| all.iter().find(|b| b["name"] == f.name))
            .and_then(|b| b["value"].as_f64())
        else {
            continue;
        };
        // Tiny figures are dominated by noise; compare them against a floor.
        let floor = if f.unit == "ms" {
            1.0
        } else if f.unit == "MB" {
            2.0
        } else {
            0.0
        };
        let regressed = if f.lower_is_better {
            f.value > base.max(floor) * CHECK_FACTOR
        } else {
            f.value < base / CHECK_FACTOR
        };
        if regressed {
            eprintln!(
                "REGRESSION {}: {:.3} {} against baseline {:.3}",
                f.name, f.value, f.unit, base
            );
            regressed_names.push(f.name);
        }
    }
    // For `cargo xtask bench --check`, which measures again and fails only on a figure that
    // regressed both times: one name a line.
    let listed: String = regressed_names.iter().map(|name| format!("{name}\n")).collect();
    std::fs::write(bench_dir().join("regressions.txt"), listed)?;
    let ok = regressed_names.is_empty();
    if ok {
        println!("no regression beyond {CHECK_FACTOR}x of {}", path.display());
    }
    Ok(ok)
}

fn machine() -> Value {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_default();
    json!({ "cpus": cpus, "cpu": model, "os": std::env::consts::OS })
}
