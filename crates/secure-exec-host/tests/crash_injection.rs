//! The crash-injection matrix: real faults in a worker with several sessions in flight.
//!
//! For each fault (SIGSEGV, abort, Rust panic, fatal V8 OOM, a session stuck in native code, a
//! frozen process, a system call outside the sandbox's allow-list (x86_64 and x32), external
//! SIGKILL / SIGTERM), on a worker running several sessions:
//! every affected session ends with `ERR_V8_PROCESS_CRASH`, none hangs, this host process lives,
//! a session on another `V8Runtime` running at the same time completes correctly, and a new
//! `V8Runtime` recovers. Prints a table (fault x outcome x time from fault to result) and exits
//! non-zero if any row fails.
//!
//! Needs `SECURE_EXEC_FAULT_WORKER` (a worker built with `--features fault-injection`) and a
//! normal worker; `cargo xtask crash-test` provides both.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use secure_exec_host::{
    ErrorCode, ExecOptions, ExecResult, NodeRuntime, NodeRuntimeOptions, ProcessState, RunResult,
    V8Runtime, V8RuntimeOptions,
};

/// Sessions kept busy on the faulty worker besides the one that triggers the fault.
const BYSTANDERS: usize = 3;
/// No affected session may take longer than this to get its result.
const RESULT_BOUND: Duration = Duration::from_secs(20);

#[derive(Clone, Copy)]
enum Trigger {
    /// Guest code calls `__secureExecFault(kind)`, then runs `then`.
    Guest { kind: &'static str, then: &'static str, options: fn() -> ExecOptions },
    /// The test sends a signal to the worker.
    Signal(i32),
}

struct Fault {
    name: &'static str,
    trigger: Trigger,
    /// The signal the worker should be found dead of (`None`: any).
    expect_signal: Option<i32>,
    /// Text the crash reason must hold (`""`: anything).
    expect_reason: &'static str,
}

fn no_options() -> ExecOptions {
    ExecOptions::default()
}

fn small_heap() -> ExecOptions {
    ExecOptions { memory_limit: Some(16), ..Default::default() }
}

fn short_timeout() -> ExecOptions {
    ExecOptions { timeout_ms: Some(300), ..Default::default() }
}

fn faults() -> Vec<Fault> {
    let guest = |kind, then, options| Trigger::Guest { kind, then, options };
    vec![
        Fault {
            name: "SIGSEGV",
            trigger: guest("segfault", "", no_options),
            expect_signal: Some(libc::SIGSEGV),
            expect_reason: "",
        },
        Fault {
            name: "abort()",
            trigger: guest("abort", "", no_options),
            expect_signal: Some(libc::SIGABRT),
            expect_reason: "",
        },
        Fault {
            name: "Rust panic",
            trigger: guest("panic", "", no_options),
            expect_signal: Some(libc::SIGABRT),
            expect_reason: "",
        },
        Fault {
            name: "fatal V8 OOM",
            trigger: guest("oom", "const a = []; while (true) a.push(new Array(1e6))", small_heap),
            expect_signal: None,
            expect_reason: "",
        },
        Fault {
            name: "hang in native code",
            trigger: guest("hang", "", short_timeout),
            expect_signal: Some(libc::SIGABRT),
            expect_reason: "",
        },
        Fault {
            name: "frozen (SIGSTOP)",
            trigger: guest("freeze", "", no_options),
            expect_signal: Some(libc::SIGKILL),
            expect_reason: "",
        },
        Fault {
            name: "unlisted system call",
            trigger: guest("unlisted-syscall", "", no_options),
            expect_signal: None,
            expect_reason: "the sandbox stopped system call 153 (vhangup)",
        },
        Fault {
            name: "x32 system call",
            trigger: guest("x32-syscall", "", no_options),
            expect_signal: None,
            expect_reason: "the sandbox stopped x32 system call 1073741863 (getpid)",
        },
        Fault {
            name: "external SIGKILL",
            trigger: Trigger::Signal(libc::SIGKILL),
            expect_signal: Some(libc::SIGKILL),
            expect_reason: "",
        },
        Fault {
            name: "external SIGTERM",
            trigger: Trigger::Signal(libc::SIGTERM),
            // Taken as an orderly shutdown: every session gets its result, then exit 0.
            expect_signal: None,
            expect_reason: "exited with code 0",
        },
    ]
}

struct Row {
    fault: &'static str,
    affected: usize,
    worker_end: String,
    fault_to_result: Duration,
    other_runtime: &'static str,
    recovered: &'static str,
    failures: Vec<String>,
}

fn main() -> ExitCode {
    let Some(fault_worker) = std::env::var_os("SECURE_EXEC_FAULT_WORKER").map(PathBuf::from) else {
        eprintln!("SECURE_EXEC_FAULT_WORKER is not set; run `cargo xtask crash-test`");
        return ExitCode::FAILURE;
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start tokio: {err}");
            return ExitCode::FAILURE;
        }
    };
    let rows = runtime.block_on(async {
        let mut rows = Vec::new();
        for fault in faults() {
            rows.push(run_fault(&fault, &fault_worker).await);
        }
        rows
    });
    print_table(&rows);
    let sandbox_ok = runtime.block_on(sandbox_self_test(&fault_worker));
    let resumed_ok = runtime.block_on(stopped_and_continued(&fault_worker));
    if sandbox_ok && resumed_ok && rows.iter().all(|row| row.failures.is_empty()) {
        ExitCode::SUCCESS
    } else {
        for row in rows.iter().filter(|row| !row.failures.is_empty()) {
            eprintln!("FAILED {}: {}", row.fault, row.failures.join("; "));
        }
        ExitCode::FAILURE
    }
}

fn fault_options(worker: &PathBuf) -> V8RuntimeOptions {
    V8RuntimeOptions {
        worker_path: Some(worker.clone()),
        heartbeat_interval: Duration::from_millis(250),
        heartbeat_timeout: Duration::from_secs(1),
        ..Default::default()
    }
}

async fn run_fault(fault: &Fault, fault_worker: &PathBuf) -> Row {
    let mut failures = Vec::new();
    let victim = match V8Runtime::spawn(fault_options(fault_worker)).await {
        Ok(v8) => v8,
        Err(err) => return failed_row(fault, format!("cannot spawn the fault worker: {err}")),
    };
    if !victim.info().features.iter().any(|f| f == "fault-injection") {
        return failed_row(fault, "the fault worker lacks the fault-injection feature".into());
    }
    let other = match V8Runtime::spawn(V8RuntimeOptions::default()).await {
        Ok(v8) => v8,
        Err(err) => return failed_row(fault, format!("cannot spawn a second worker: {err}")),
    };
    let pid = victim.info().pid;
    let victim_rt = on(&victim);
    let other_rt = on(&other);

    // Bystanders: idle sessions that would run for a minute.
    let bystanders: Vec<_> = (0..BYSTANDERS)
        .map(|i| {
            let rt = victim_rt.clone();
            tokio::spawn(async move {
                let code = format!("console.log('bystander {i}'); setInterval(() => {{}}, 50)");
                rt.exec_with(&code, ExecOptions { timeout_ms: Some(60_000), ..Default::default() })
                    .await
            })
        })
        .collect();
    // A session on another process that spans the fault.
    let neighbour = tokio::spawn(async move {
        other_rt
            .exec("let n = 0; const t = setInterval(() => { if (++n === 40) { clearInterval(t); console.log('neighbour', n) } }, 25)")
            .await
    });
    if let Err(err) = wait_for_sessions(&victim, BYSTANDERS).await {
        failures.push(err);
    }

    let started = Instant::now();
    let mut affected = bystanders;
    match fault.trigger {
        Trigger::Guest { kind, then, options } => {
            let rt = victim_rt.clone();
            let code = format!("__secureExecFault('{kind}'); {then}");
            affected.push(tokio::spawn(async move { rt.exec_with(&code, options()).await }));
        }
        Trigger::Signal(signal) => {
            // SAFETY: kill(2) on the worker this test started.
            unsafe { libc::kill(pid as libc::pid_t, signal) };
        }
    }

    let mut slowest = Duration::ZERO;
    let count = affected.len();
    for session in affected {
        match tokio::time::timeout(RESULT_BOUND, session).await {
            Ok(Ok(Ok(result))) => {
                slowest = slowest.max(started.elapsed());
                check_crashed(&result, &mut failures);
            }
            Ok(Ok(Err(err))) => failures.push(format!("a session returned Err: {err}")),
            Ok(Err(err)) => failures.push(format!("a session task failed: {err}")),
            Err(_) => failures.push(format!("a session hung past {RESULT_BOUND:?}")),
        }
    }

    // A worker that shuts down in order (SIGTERM) sends its sessions' results before it
    // exits: give it a bounded moment to be gone.
    let deadline = Instant::now() + Duration::from_secs(5);
    while victim.state() == ProcessState::Ready && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let worker_end = match victim.state() {
        ProcessState::Crashed { signal, exit_code, reason } => {
            if !reason.contains(fault.expect_reason) {
                failures.push(format!(
                    "crash reason {reason:?} does not say {:?}",
                    fault.expect_reason
                ));
            }
            if fault.expect_signal.is_some() && signal != fault.expect_signal {
                failures.push(format!(
                    "worker ended with signal {signal:?}, expected {:?}",
                    fault.expect_signal
                ));
            }
            match (signal, exit_code) {
                (Some(signal), _) => format!("signal {signal}"),
                (None, Some(code)) => format!("exit {code}"),
                _ => "unknown".into(),
            }
        }
        other => {
            failures.push(format!("worker state is {other:?}, expected Crashed"));
            "not crashed".into()
        }
    };
    if std::path::Path::new(&format!("/proc/{pid}")).exists() {
        failures.push(format!("worker {pid} was not reaped"));
    }

    let other_runtime = match tokio::time::timeout(RESULT_BOUND, neighbour).await {
        Ok(Ok(Ok(r))) if r.code == 0 && r.stdout == "neighbour 40\n" => "completed",
        Ok(Ok(Ok(r))) => {
            failures.push(format!("the other runtime's session went wrong: {r:?}"));
            "WRONG"
        }
        _ => {
            failures.push("the other runtime's session did not finish".into());
            "HUNG"
        }
    };
    other.dispose().await;

    // The old handle refuses at once; a new runtime works.
    let refused = victim_rt.exec("1").await;
    if !matches!(&refused, Ok(r) if r.error_code == Some(ErrorCode::V8ProcessCrash)) {
        failures.push(format!("the crashed handle did not refuse: {refused:?}"));
    }
    let recovered = match V8Runtime::spawn(fault_options(fault_worker)).await {
        Ok(fresh) => {
            let r = on(&fresh).exec("console.log('alive')").await;
            fresh.dispose().await;
            match r {
                Ok(r) if r.code == 0 && r.stdout == "alive\n" => "yes",
                other => {
                    failures.push(format!("the new runtime failed: {other:?}"));
                    "NO"
                }
            }
        }
        Err(err) => {
            failures.push(format!("cannot spawn a new runtime: {err}"));
            "NO"
        }
    };

    Row {
        fault: fault.name,
        affected: count,
        worker_end,
        fault_to_result: slowest,
        other_runtime,
        recovered,
        failures,
    }
}

/// Runs the worker's sandbox self-test with the filter on (every forbidden call refused) and
/// off (the same calls get through, so the test can tell the difference). The contrast run
/// leaves out process creation: without the filter a real fork of the worker would happen, and
/// what that costs depends on the machine, not on our sandbox.
async fn sandbox_self_test(fault_worker: &PathBuf) -> bool {
    let mut ok = true;
    let mut reports = Vec::new();
    for seccomp in [true, false] {
        let options = V8RuntimeOptions { seccomp, ..fault_options(fault_worker) };
        let code = format!("module.exports = JSON.parse(__secureExecSandboxSelfTest({seccomp}))");
        let report = match V8Runtime::spawn(options).await {
            Ok(v8) => {
                let r = on(&v8).run(&code).await;
                v8.dispose().await;
                match r {
                    Ok(RunResult { exports: Some(exports), .. }) => exports,
                    Ok(r) => {
                        eprintln!(
                            "sandbox self-test (seccomp {seccomp}) gave no report: code {}, \
                             error {:?} {:?}, stderr {:?}",
                            r.code, r.error_code, r.error_message, r.stderr
                        );
                        return false;
                    }
                    Err(err) => {
                        eprintln!("sandbox self-test could not run: {err}");
                        return false;
                    }
                }
            }
            Err(err) => {
                eprintln!("sandbox self-test could not spawn a worker: {err}");
                return false;
            }
        };
        reports.push(report);
    }
    let (on_report, off_report) = (&reports[0], &reports[1]);
    println!("| {:<28} | {:<14} | {:<18} |", "call", "seccomp on", "seccomp off");
    println!("|{}|{}|{}|", "-".repeat(30), "-".repeat(16), "-".repeat(20));
    let calls =
        on_report.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
    if calls.is_empty() {
        eprintln!("sandbox self-test returned nothing: {on_report}");
        return false;
    }
    for call in calls {
        let with = on_report[&call].as_str().unwrap_or("?");
        let without = off_report[&call].as_str().unwrap_or("not attempted");
        println!("| {call:<28} | {with:<14} | {without:<18} |");
        let expected = match call.as_str() {
            "kill (self, signal 0)" | "prlimit64 (self, read)" | "thread" => "allowed",
            "clone3" => "ENOSYS",
            _ => "EPERM",
        };
        if with != expected {
            eprintln!("FAILED sandbox: {call} was {with}, expected {expected}");
            ok = false;
        }
    }
    if !off_report["open"].as_str().is_some_and(|o| o.starts_with("allowed")) {
        eprintln!("FAILED sandbox: without the filter, open should be allowed: {off_report}");
        ok = false;
    }
    println!();
    ok
}

/// A worker stopped and continued (job control, a debugger) while a thread sleeps resumes the
/// sleep through `restart_syscall`: the sandbox must let it, and the session goes on.
async fn stopped_and_continued(fault_worker: &PathBuf) -> bool {
    let v8 = match V8Runtime::spawn(fault_options(fault_worker)).await {
        Ok(v8) => v8,
        Err(err) => {
            eprintln!("FAILED stop/continue: cannot spawn the fault worker: {err}");
            return false;
        }
    };
    let pid = v8.info().pid;
    let (printed, mut sleeping) = tokio::sync::mpsc::unbounded_channel();
    let options = ExecOptions {
        on_output: Some(std::sync::Arc::new(move |_, text: &str| {
            if text.contains("sleeping") {
                let _ = printed.send(());
            }
        })),
        ..Default::default()
    };
    let rt = on(&v8);
    let session = tokio::spawn(async move {
        rt.exec_with(
            "console.log('sleeping'); __secureExecFault('sleep'); console.log('slept')",
            options,
        )
        .await
    });
    let _ = tokio::time::timeout(RESULT_BOUND, sleeping.recv()).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        // SAFETY: kill(2) on the worker this test started.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGSTOP);
            libc::kill(pid as libc::pid_t, libc::SIGCONT);
        }
    }
    let outcome = tokio::time::timeout(RESULT_BOUND, session).await;
    let ok = matches!(
        &outcome,
        Ok(Ok(Ok(r))) if r.code == 0 && r.stdout == "sleeping\nslept\n"
    ) && v8.state() == ProcessState::Ready;
    if ok {
        println!("stopped and continued three times during a sleep: the session completed\n");
    } else {
        eprintln!("FAILED stop/continue: {outcome:?}, worker {:?}", v8.state());
    }
    v8.dispose().await;
    ok
}

fn check_crashed(result: &ExecResult, failures: &mut Vec<String>) {
    let crashed = result.code == 1
        && result.error_code == Some(ErrorCode::V8ProcessCrash)
        && result.error_message.as_deref().is_some_and(|m| m.starts_with("ERR_V8_PROCESS_CRASH"));
    if !crashed {
        failures.push(format!("a session did not get ERR_V8_PROCESS_CRASH: {result:?}"));
    }
}

fn on(v8: &V8Runtime) -> NodeRuntime {
    NodeRuntime::new(NodeRuntimeOptions { v8_runtime: Some(v8.clone()), ..Default::default() })
}

async fn wait_for_sessions(v8: &V8Runtime, n: usize) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if v8.stats().await.is_ok_and(|stats| stats.active_sessions >= n) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Err(format!("never saw {n} sessions running"))
}

fn failed_row(fault: &Fault, why: String) -> Row {
    Row {
        fault: fault.name,
        affected: 0,
        worker_end: "-".into(),
        fault_to_result: Duration::ZERO,
        other_runtime: "-",
        recovered: "-",
        failures: vec![why],
    }
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "| {:<20} | {:>8} | {:<18} | {:<12} | {:>17} | {:<13} | {:<9} |",
        "fault",
        "sessions",
        "outcome",
        "worker end",
        "fault→result (ms)",
        "other runtime",
        "recovered"
    );
    println!(
        "|{}|",
        [
            "-".repeat(22),
            "-".repeat(10),
            "-".repeat(20),
            "-".repeat(14),
            "-".repeat(19),
            "-".repeat(15),
            "-".repeat(11)
        ]
        .join("|")
    );
    for row in rows {
        let outcome = if row.failures.is_empty() { "all CRASH, no hang" } else { "FAILED" };
        println!(
            "| {:<20} | {:>8} | {:<18} | {:<12} | {:>17.1} | {:<13} | {:<9} |",
            row.fault,
            row.affected,
            outcome,
            row.worker_end,
            row.fault_to_result.as_secs_f64() * 1000.0,
            row.other_runtime,
            row.recovered
        );
    }
    println!();
}
