//! The soak: many mixed sessions on one worker, checking every result and the resources of
//! worker and host before and after. Shared by `cargo xtask soak` (examples/soak.rs, 10,000
//! sessions) and the short version in the test suite (tests/it/soak.rs).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secure_exec_host::{
    ErrorCode, ExecOptions, FileSystem, MemFs, NodeRuntime, NodeRuntimeOptions, SystemDriver,
    V8Runtime, WriteMode,
};

/// Resources at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resources {
    pub(crate) worker_threads: usize,
    pub(crate) worker_fds: usize,
    pub(crate) worker_rss: u64,
    pub(crate) host_fds: usize,
    pub(crate) host_tasks: usize,
}

/// What a soak found.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) sessions: u64,
    pub(crate) elapsed: Duration,
    pub(crate) kinds: [u64; 7],
    pub(crate) before: Resources,
    pub(crate) after: Resources,
    pub(crate) failures: Vec<String>,
}

pub(crate) const KIND_NAMES: [&str; 7] =
    ["ok", "exception", "memory limit", "CPU limit", "timeout", "run exports", "modules, fs"];

/// A small package tree every module session loads: CommonJS requiring CommonJS and JSON, and
/// an ES module importing both.
fn library() -> MemFs {
    let lib = MemFs::new();
    let files: [(&str, &str); 5] = [
        ("pkg/package.json", r#"{ "name": "pkg", "main": "main.js" }"#),
        (
            "pkg/main.js",
            "const { twice } = require('./util'); module.exports = { twice, data: require('./data.json') };",
        ),
        ("pkg/util.js", "exports.twice = (n) => n * 2;"),
        ("pkg/data.json", r#"{ "answer": 42 }"#),
        (
            "esm.mjs",
            "import pkg from './pkg/main.js'; export const four = pkg.twice(2); export default pkg.data.answer;",
        ),
    ];
    let _ = lib.create_dir(std::path::Path::new("pkg"));
    for (path, text) in files {
        let _ = lib.write(std::path::Path::new(path), text.as_bytes(), WriteMode::default());
    }
    lib
}

fn count(path: &str) -> usize {
    std::fs::read_dir(path).map_or(0, |dir| dir.count())
}

async fn resources(v8: &V8Runtime) -> Result<Resources, String> {
    // A session's slot (and thread) goes away just after its result: wait for quiet.
    let deadline = Instant::now() + Duration::from_secs(10);
    let pid = v8.info().pid;
    loop {
        let stats = v8.stats().await.map_err(|e| e.to_string())?;
        let threads = count(&format!("/proc/{pid}/task"));
        let tasks = secure_exec_host::io_tasks();
        if stats.active_sessions == 0
            && threads == stats.threads as usize
            && tasks == settled(tasks).await
        {
            return Ok(Resources {
                worker_threads: threads,
                worker_fds: count(&format!("/proc/{pid}/fd")),
                worker_rss: stats.rss_bytes,
                host_fds: count("/proc/self/fd"),
                host_tasks: tasks,
            });
        }
        if Instant::now() > deadline {
            return Err(format!("the worker never went quiet: {stats:?}, {threads} threads"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The I/O task count once the tasks of the last call have wound down.
async fn settled(mut tasks: usize) -> usize {
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let now = secure_exec_host::io_tasks();
        if now == tasks {
            return now;
        }
        tasks = now;
    }
    tasks
}

async fn one(rt: &NodeRuntime, i: u64) -> Result<usize, String> {
    let kind = match i % 10 {
        0..=3 => 0,
        4 => 6,
        5 => 1,
        6 => 2,
        7 => 3,
        8 => 4,
        _ => 5,
    };
    let fail = |what: String| Err(format!("session {i} ({}): {what}", KIND_NAMES[kind]));
    match kind {
        0 => {
            let r = rt
                .exec(&format!("setTimeout(() => console.log({i} * 2), 0)"))
                .await
                .map_err(|e| e.to_string())?;
            if (r.code, r.stdout.as_str()) != (0, format!("{}\n", i * 2).as_str()) {
                return fail(format!("{r:?}"));
            }
        }
        1 => {
            let r = rt
                .exec(&format!("throw new Error('boom {i}')"))
                .await
                .map_err(|e| e.to_string())?;
            if r.error_code != Some(ErrorCode::GuestException)
                || !r.error_message.as_deref().is_some_and(|m| m.contains(&format!("boom {i}")))
            {
                return fail(format!("{r:?}"));
            }
        }
        2 => {
            let options = ExecOptions { memory_limit: Some(16), ..Default::default() };
            let r = rt
                .exec_with("const a = []; while (true) a.push(new Array(1e5))", options)
                .await
                .map_err(|e| e.to_string())?;
            if r.error_code != Some(ErrorCode::MemoryLimit) {
                return fail(format!("{r:?}"));
            }
        }
        3 => {
            let options = ExecOptions { cpu_time_limit_ms: Some(20), ..Default::default() };
            let r = rt.exec_with("while (true) {}", options).await.map_err(|e| e.to_string())?;
            if (r.code, r.error_code) != (124, Some(ErrorCode::CpuTimeLimit)) {
                return fail(format!("{r:?}"));
            }
        }
        4 => {
            let options = ExecOptions { timeout_ms: Some(30), ..Default::default() };
            let r = rt
                .exec_with("setInterval(() => {}, 1000)", options)
                .await
                .map_err(|e| e.to_string())?;
            if (r.code, r.error_code) != (124, Some(ErrorCode::Timeout)) {
                return fail(format!("{r:?}"));
            }
        }
        6 => {
            let code = format!(
                "const fs = require('fs'); const pkg = require('/lib/pkg'); \
                 fs.writeFileSync('/out.txt', String(pkg.twice({i}))); \
                 import('/lib/esm.mjs').then((m) => console.log(fs.readFileSync('/out.txt', 'utf8'), m.four, m.default, pkg.data.answer));"
            );
            let r = rt.exec(&code).await.map_err(|e| e.to_string())?;
            if (r.code, r.stdout.as_str()) != (0, format!("{} 4 42 42\n", i * 2).as_str()) {
                return fail(format!("{r:?}"));
            }
        }
        _ => {
            let r = rt
                .run(&format!("module.exports = {{ i: {i}, list: [1, 2, 3] }}"))
                .await
                .map_err(|e| e.to_string())?;
            if r.exports != Some(serde_json::json!({ "i": i, "list": [1, 2, 3] })) {
                return fail(format!("{r:?}"));
            }
        }
    }
    Ok(kind)
}

/// Runs `sessions` mixed sessions from `concurrency` callers on one fresh worker.
pub(crate) async fn soak(sessions: u64, concurrency: u64) -> Report {
    let v8 = match V8Runtime::spawn(Default::default()).await {
        Ok(v8) => v8,
        Err(err) => panic!("cannot start a worker: {err}"),
    };
    let rt = NodeRuntime::new(NodeRuntimeOptions {
        v8_runtime: Some(v8.clone()),
        system: SystemDriver::default().mount("/lib", library()),
        ..Default::default()
    });
    let mut failures = Vec::new();
    // Warm up every kind once, so first-use allocations are not counted as growth.
    for i in 0..20 {
        if let Err(err) = one(&rt, i).await {
            failures.push(err);
        }
    }
    let before = match resources(&v8).await {
        Ok(resources) => resources,
        Err(err) => panic!("{err}"),
    };
    let next = Arc::new(AtomicU64::new(0));
    let kinds: Arc<[AtomicU64; 7]> = Arc::new(Default::default());
    let started = Instant::now();
    let callers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (rt, next, kinds) = (rt.clone(), Arc::clone(&next), Arc::clone(&kinds));
            tokio::spawn(async move {
                let mut failures = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= sessions {
                        return failures;
                    }
                    match one(&rt, i).await {
                        Ok(kind) => {
                            kinds[kind].fetch_add(1, Ordering::Relaxed);
                        }
                        Err(err) => failures.push(err),
                    }
                }
            })
        })
        .collect();
    for caller in callers {
        match caller.await {
            Ok(found) => failures.extend(found),
            Err(err) => failures.push(format!("a caller panicked: {err}")),
        }
    }
    let elapsed = started.elapsed();
    let after = match resources(&v8).await {
        Ok(resources) => resources,
        Err(err) => panic!("{err}"),
    };
    let report_kinds = std::array::from_fn(|k| kinds[k].load(Ordering::Relaxed));
    v8.dispose().await;
    Report { sessions, elapsed, kinds: report_kinds, before, after, failures }
}

impl Report {
    /// Problems beyond wrong results: resources that grew. `rss_bound` is the allowed RSS growth.
    pub(crate) fn leaks(&self, rss_bound: u64) -> Vec<String> {
        let mut leaks = Vec::new();
        let (b, a) = (self.before, self.after);
        if a.worker_threads != b.worker_threads {
            leaks.push(format!("worker threads {} -> {}", b.worker_threads, a.worker_threads));
        }
        if a.worker_fds != b.worker_fds {
            leaks.push(format!("worker fds {} -> {}", b.worker_fds, a.worker_fds));
        }
        if a.worker_rss > b.worker_rss + rss_bound {
            leaks.push(format!(
                "worker RSS grew by {} bytes (bound {rss_bound})",
                a.worker_rss - b.worker_rss
            ));
        }
        if a.host_fds != b.host_fds {
            leaks.push(format!("host fds {} -> {}", b.host_fds, a.host_fds));
        }
        if a.host_tasks != b.host_tasks {
            leaks.push(format!("host I/O tasks {} -> {}", b.host_tasks, a.host_tasks));
        }
        leaks
    }

    /// The figures, as a table.
    pub(crate) fn table(&self) -> String {
        let (b, a) = (self.before, self.after);
        let mut out = String::new();
        let secs = self.elapsed.as_secs_f64();
        out.push_str(&format!(
            "{} sessions in {:.1} s ({:.0}/s), {} wrong\n",
            self.sessions,
            secs,
            self.sessions as f64 / secs,
            self.failures.len()
        ));
        for (name, n) in KIND_NAMES.iter().zip(self.kinds) {
            out.push_str(&format!("  {name:<12} {n}\n"));
        }
        out.push_str(&format!("| {:<16} | {:>12} | {:>12} |\n", "resource", "before", "after"));
        out.push_str(&format!("|{}|{}|{}|\n", "-".repeat(18), "-".repeat(14), "-".repeat(14)));
        let rows = [
            ("worker threads", b.worker_threads as f64, a.worker_threads as f64),
            ("worker fds", b.worker_fds as f64, a.worker_fds as f64),
            ("worker RSS (MB)", b.worker_rss as f64 / 1e6, a.worker_rss as f64 / 1e6),
            ("host fds", b.host_fds as f64, a.host_fds as f64),
            ("host I/O tasks", b.host_tasks as f64, a.host_tasks as f64),
        ];
        for (name, before, after) in rows {
            out.push_str(&format!("| {name:<16} | {before:>12.1} | {after:>12.1} |\n"));
        }
        out
    }
}
