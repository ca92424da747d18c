//! Two tenants and one dedicated runtime on a registry of their own. Tenant "acme"'s worker is
//! killed in the middle of a session (standing in for any crash); the other tenant and the
//! dedicated runtime finish their sessions untouched, and the registry gives "acme" a fresh
//! process on its next session.
//!
//! Run with `cargo run --release -p secure-exec-host --example multi_tenant` after
//! `cargo xtask build` (it finds the worker in `target/release`).

use std::time::Duration;

use secure_exec_host::{
    NodeRuntime, NodeRuntimeOptions, Registry, RegistryOptions, Topology, V8RuntimeOptions,
};

type AnyError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let registry = Registry::new(RegistryOptions::default());
    let runtime = |topology| {
        NodeRuntime::new(NodeRuntimeOptions {
            topology,
            registry: Some(registry.clone()),
            process_options: V8RuntimeOptions { max_sessions: 4, ..Default::default() },
            memory_limit: Some(64),
            cpu_time_limit_ms: Some(1_000),
            ..Default::default()
        })
    };
    let acme = runtime(Topology::Tenant("acme".into()));
    let globex = runtime(Topology::Tenant("globex".into()));
    let dedicated = runtime(Topology::PerRuntime);

    for (name, rt) in [("acme", &acme), ("globex", &globex), ("dedicated", &dedicated)] {
        let r = rt
            .exec(&format!(
                "console.log('hello from {name}', {{ sum: [1, 2, 3].reduce((a, b) => a + b) }})"
            ))
            .await?;
        print!("{name:>9}: {}", r.stdout);
    }
    print_processes("three processes", &registry).await;

    // Long sessions everywhere; then acme's worker dies.
    let long = "let n = 0; const t = setInterval(() => { if (++n === 20) { clearInterval(t); console.log('finished', n) } }, 25)";
    let sessions: Vec<_> = [("acme", &acme), ("globex", &globex), ("dedicated", &dedicated)]
        .into_iter()
        .map(|(name, rt)| {
            let rt = rt.clone();
            tokio::spawn(async move { (name, rt.exec(long).await) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let acme_pid = acme.v8_runtime().await?.info().pid;
    println!("\nkilling acme's worker (pid {acme_pid}) with SIGKILL");
    // SAFETY: kill(2) on a worker this program started.
    unsafe { libc::kill(acme_pid as libc::pid_t, libc::SIGKILL) };

    for session in sessions {
        let (name, result) = session.await?;
        let r = result?;
        match r.error_code {
            None => print!("{name:>9}: code {} {}", r.code, r.stdout),
            Some(code) => println!("{name:>9}: code {} {code}", r.code),
        }
    }

    let r = acme.exec("console.log('acme is back')").await?;
    print!("\n{:>9}: {}", "acme", r.stdout);
    print_processes("after the crash", &registry).await;
    registry.shutdown().await;
    Ok(())
}

async fn print_processes(title: &str, registry: &Registry) {
    println!("\n{title}:");
    println!(
        "  {:<12} {:<8} {:>7} {:>9} {:>7} {:>8}",
        "topology", "key", "pid", "rss (MB)", "total", "crashes"
    );
    for entry in registry.processes() {
        // `entry.stats` is as of the last heartbeat (up to a second old): ask for figures now.
        let stats = entry.runtime.stats().await.ok();
        let (rss, total, crashes) = stats
            .as_ref()
            .map_or((0.0, 0, 0), |s| (s.rss_bytes as f64 / 1e6, s.total_sessions, s.crashes));
        println!(
            "  {:<12} {:<8} {:>7} {:>9.1} {:>7} {:>8}",
            entry.topology.as_str(),
            entry.key.as_deref().unwrap_or("-"),
            entry.pid,
            rss,
            total,
            crashes
        );
    }
}
