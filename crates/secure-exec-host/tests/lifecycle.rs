//! Workers die with their host, however the host ends: normal return, panic, or SIGKILL.
//!
//! This test program runs itself as a helper host (`SECURE_EXEC_HELPER_HOST=<ending>`) that
//! starts shared, tenant and dedicated workers, prints their pids, and then ends as told. The
//! parent checks that every worker is gone within a second.

// The helper unwraps: any failure there shows as a missing pid line in the parent.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use secure_exec_host::{NodeRuntime, NodeRuntimeOptions, Registry, Topology, V8RuntimeOptions};

const HELPER_ENV: &str = "SECURE_EXEC_HELPER_HOST";
const WORKERS_GONE_WITHIN: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    if let Ok(ending) = std::env::var(HELPER_ENV) {
        helper(&ending);
        return ExitCode::SUCCESS;
    }
    let mut failed = false;
    for ending in ["return", "panic", "sigkill"] {
        match check(ending) {
            Ok(elapsed) => println!("host ending by {ending}: all workers gone after {elapsed:?}"),
            Err(why) => {
                eprintln!("host ending by {ending}: FAILED: {why}");
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// The helper host: three topologies, one session each, pids on stdout, then the ending.
fn helper(ending: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let pids = runtime.block_on(async {
        let registry = Registry::global();
        let shared = NodeRuntime::new(NodeRuntimeOptions::default());
        let tenant = NodeRuntime::new(NodeRuntimeOptions {
            topology: Topology::Tenant("helper".into()),
            ..Default::default()
        });
        let dedicated = registry.dedicated(V8RuntimeOptions::default()).await.unwrap();
        let mut pids = Vec::new();
        for rt in [shared, tenant] {
            assert_eq!(rt.exec("1").await.unwrap().code, 0);
            pids.push(rt.v8_runtime().await.unwrap().pid().unwrap());
        }
        pids.push(dedicated.pid().unwrap());
        // Keep the dedicated process alive past this block.
        std::mem::forget(dedicated);
        pids
    });
    let line: Vec<String> = pids.iter().map(u32::to_string).collect();
    println!("pids {}", line.join(" "));
    match ending {
        "return" => {}
        "panic" => panic!("the helper host panics on purpose"),
        _ => std::thread::sleep(Duration::from_secs(60)),
    }
}

fn check(ending: &str) -> Result<Duration, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .env(HELPER_ENV, ending)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the helper: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
    let pids: Vec<u32> = line
        .strip_prefix("pids ")
        .ok_or_else(|| format!("unexpected helper output {line:?}"))?
        .split_whitespace()
        .map(|p| p.parse().map_err(|e| format!("bad pid {p:?}: {e}")))
        .collect::<Result<_, _>>()?;
    if pids.len() != 3 {
        return Err(format!("expected 3 worker pids, got {pids:?}"));
    }
    if ending == "sigkill" {
        // SAFETY: kill(2) on the helper we started.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let ended = Instant::now();
    if ending == "return" && !status.success() {
        return Err(format!("the helper failed: {status}"));
    }
    while pids.iter().any(|&pid| running(pid)) {
        if ended.elapsed() > WORKERS_GONE_WITHIN {
            let alive: Vec<_> = pids.iter().filter(|&&pid| running(pid)).collect();
            return Err(format!(
                "workers {alive:?} still running {WORKERS_GONE_WITHIN:?} after the host ended"
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(ended.elapsed())
}

/// Whether `pid` is a running process. An exited worker whose new parent has not reaped it yet
/// shows as a zombie ("Z"), which is not running.
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}
