//! Topologies, the registry, the per-process session budget, lifecycle and stats.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use secure_exec_host::{
    ErrorCode, ExecOptions, NodeRuntime, NodeRuntimeOptions, ProcessState, Registry,
    RegistryOptions, Topology, TopologyKind, V8RuntimeOptions,
};

use crate::support;

use support::{shared, tenant};

fn per_runtime(registry: &Registry) -> NodeRuntime {
    NodeRuntime::new(NodeRuntimeOptions {
        topology: Topology::PerRuntime,
        registry: Some(registry.clone()),
        ..Default::default()
    })
}

async fn pid_of(rt: &NodeRuntime) -> u32 {
    rt.v8_runtime().await.unwrap().pid().unwrap()
}

const LONG: &str = "let n = 0; const t = setInterval(() => { if (++n === 30) { clearInterval(t); console.log('done') } }, 10)";

#[tokio::test]
async fn a_tenant_crash_spares_other_tenants_and_the_registry_recovers() {
    let registry = Registry::new(RegistryOptions::default());
    let a = tenant(&registry, "A");
    let a2 = tenant(&registry, "A");
    let b = tenant(&registry, "B");
    let a_pid = pid_of(&a).await;
    assert_eq!(pid_of(&a2).await, a_pid, "same key, same process");
    assert_ne!(pid_of(&b).await, a_pid, "another key, another process");

    let b_session = tokio::spawn({
        let b = b.clone();
        async move { b.exec(LONG).await.unwrap() }
    });
    let a_sessions: Vec<_> = [a.clone(), a2.clone()]
        .into_iter()
        .map(|rt| tokio::spawn(async move { rt.exec("setInterval(() => {}, 100)").await.unwrap() }))
        .collect();
    support::wait_for_active_sessions(&a.v8_runtime().await.unwrap(), 2).await;
    support::kill(a_pid, libc::SIGKILL);

    for session in a_sessions {
        let r = session.await.unwrap();
        assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash), "{r:?}");
    }
    let r = b_session.await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "done\n"), "{r:?}");

    let new_pid = pid_of(&a).await;
    assert_ne!(new_pid, a_pid, "tenant A gets a fresh process");
    let r = a2.exec("console.log('A again')").await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "A again\n"));
    let stats =
        registry.tenant("A", V8RuntimeOptions::default()).await.unwrap().stats().await.unwrap();
    assert_eq!(stats.crashes, 1, "{stats:?}");
    registry.shutdown().await;
}

#[tokio::test]
async fn a_shared_crash_fails_every_runtime_on_it_and_the_next_session_gets_a_new_process() {
    let registry = Registry::new(RegistryOptions::default());
    let one = shared(&registry);
    let two = shared(&registry);
    let pid = pid_of(&one).await;
    assert_eq!(pid_of(&two).await, pid);
    let sessions: Vec<_> = [one.clone(), two.clone()]
        .into_iter()
        .map(|rt| tokio::spawn(async move { rt.exec("setInterval(() => {}, 100)").await.unwrap() }))
        .collect();
    support::wait_for_active_sessions(&registry.shared().await.unwrap(), 2).await;
    support::kill(pid, libc::SIGKILL);
    for session in sessions {
        assert_eq!(session.await.unwrap().error_code, Some(ErrorCode::V8ProcessCrash));
    }
    let r = two.exec("console.log('shared again')").await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "shared again\n"));
    assert_ne!(pid_of(&one).await, pid);
    registry.shutdown().await;
}

#[tokio::test]
async fn a_per_runtime_crash_touches_only_that_runtime() {
    let registry = Registry::new(RegistryOptions::default());
    let mine = per_runtime(&registry);
    let other = per_runtime(&registry);
    let mine_pid = pid_of(&mine).await;
    let other_pid = pid_of(&other).await;
    assert_ne!(mine_pid, other_pid);
    let other_session = tokio::spawn({
        let other = other.clone();
        async move { other.exec(LONG).await.unwrap() }
    });
    let doomed = tokio::spawn({
        let mine = mine.clone();
        async move { mine.exec("while (true) {}").await.unwrap() }
    });
    support::wait_for_active_sessions(&mine.v8_runtime().await.unwrap(), 1).await;
    support::kill(mine_pid, libc::SIGKILL);
    assert_eq!(doomed.await.unwrap().error_code, Some(ErrorCode::V8ProcessCrash));
    let r = other_session.await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "done\n"));
    assert_eq!(pid_of(&other).await, other_pid, "the other runtime kept its process");
    let r = mine.exec("console.log('mine again')").await.unwrap();
    assert_eq!(r.stdout, "mine again\n");
    assert_ne!(pid_of(&mine).await, mine_pid, "a per-runtime topology respawns on next use");
    registry.shutdown().await;
}

#[tokio::test]
async fn an_explicit_handle_never_respawns() {
    let v8 = support::spawn().await;
    let rt = support::on(&v8);
    support::kill(v8.pid().unwrap(), libc::SIGKILL);
    support::wait_until(Duration::from_secs(5), || v8.state() != ProcessState::Ready).await;
    for _ in 0..3 {
        let r = rt.exec("1").await.unwrap();
        assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash));
    }
    assert!(rt.v8_runtime().await.unwrap().same_process(&v8));
}

#[tokio::test]
async fn processes_lists_every_live_process_with_its_topology() {
    let registry = Registry::new(RegistryOptions::default());
    let s = shared(&registry);
    let t = tenant(&registry, "tenant-1");
    let d = per_runtime(&registry);
    let dedicated = registry.dedicated(V8RuntimeOptions::default()).await.unwrap();
    for rt in [&s, &t, &d] {
        assert_eq!(rt.exec("1").await.unwrap().code, 0);
    }
    let listed = registry.processes();
    let mut kinds: Vec<(TopologyKind, Option<String>)> =
        listed.iter().map(|p| (p.topology, p.key.clone())).collect();
    kinds.sort_by_key(|(k, key)| (k.as_str(), key.clone()));
    assert_eq!(
        kinds,
        vec![
            (TopologyKind::PerRuntime, None),
            (TopologyKind::PerRuntime, None),
            (TopologyKind::Shared, None),
            (TopologyKind::Tenant, Some("tenant-1".into())),
        ]
    );
    for entry in &listed {
        let stats = entry.stats.as_ref().expect("a live process answers stats");
        assert_eq!(stats.pid, entry.pid);
        assert!(stats.rss_bytes > 0);
    }
    let pids: Vec<u32> = listed.iter().map(|p| p.pid).collect();
    drop(listed);
    drop(dedicated);
    registry.shutdown().await;
    drop(d);
    for pid in pids {
        support::wait_until(Duration::from_secs(5), || support::is_reaped(pid)).await;
    }
    assert!(registry.processes().is_empty());
}

#[tokio::test]
async fn max_sessions_is_a_fifo_budget_shared_by_every_runtime_on_the_process() {
    let v8 = support::spawn_with(V8RuntimeOptions { max_sessions: 2, ..Default::default() }).await;
    let first = support::on(&v8);
    let second = support::on(&v8);
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut sessions = Vec::new();
    for i in 0..5 {
        let rt = if i % 2 == 0 { first.clone() } else { second.clone() };
        let order = Arc::clone(&order);
        sessions.push(tokio::spawn(async move {
            // Each waits a little longer than the one before, so that the order in which they
            // finish is the order in which they got a slot.
            let code = format!("setTimeout(() => console.log('session {i}'), {})", 150 + 50 * i);
            let r = rt.exec(&code).await.unwrap();
            order.lock().unwrap().push(i);
            r
        }));
        // Enqueue in a known order: the next session starts once this one is seen running
        // (the first two) or waiting (the rest).
        if i < 2 {
            support::wait_for_active_sessions(&v8, i + 1).await;
        } else {
            support::wait_for_queued_sessions(&v8, i - 1).await;
        }
    }
    let mut most = 0;
    let watcher = async {
        while !sessions.iter().all(|s| s.is_finished()) {
            let stats = v8.stats().await.unwrap();
            most = most.max(stats.active_sessions);
            assert!(stats.active_sessions <= 2, "{stats:?}");
            assert!(stats.active_sessions + stats.queued_sessions <= 5, "{stats:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    watcher.await;
    assert_eq!(most, 2, "the budget was used");
    for (i, session) in sessions.into_iter().enumerate() {
        let r = session.await.unwrap();
        assert_eq!((r.code, r.stdout.clone()), (0, format!("session {i}\n")));
    }
    let order = order.lock().unwrap().clone();
    assert_eq!(order, vec![0, 1, 2, 3, 4], "sessions ran in arrival order");
    let stats = support::wait_for_idle(&v8).await;
    assert_eq!((stats.active_sessions, stats.queued_sessions, stats.total_sessions), (0, 0, 5));
}

#[tokio::test]
async fn queue_overflow_and_queue_timeout_have_their_codes() {
    let v8 = support::spawn_with(V8RuntimeOptions {
        max_sessions: 1,
        max_queued: 1,
        queue_timeout: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let rt = support::on(&v8);
    let busy = tokio::spawn({
        let rt = rt.clone();
        async move { rt.exec("setTimeout(() => {}, 1000)").await.unwrap() }
    });
    support::wait_for_active_sessions(&v8, 1).await;
    let queued = tokio::spawn({
        let rt = rt.clone();
        async move { rt.exec("1").await.unwrap() }
    });
    support::wait_for_queued_sessions(&v8, 1).await;
    let r = rt.exec("1").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::SessionQueueFull), "{r:?}");
    assert!(r.error_message.unwrap().starts_with("ERR_SESSION_QUEUE_FULL"));
    let r = queued.await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::SessionQueueTimeout), "{r:?}");
    assert_eq!(busy.await.unwrap().code, 0);
}

#[tokio::test]
async fn a_crash_empties_the_queue() {
    let v8 = support::spawn_with(V8RuntimeOptions { max_sessions: 1, ..Default::default() }).await;
    let rt = support::on(&v8);
    let running = tokio::spawn({
        let rt = rt.clone();
        async move { rt.exec("while (true) {}").await.unwrap() }
    });
    support::wait_for_active_sessions(&v8, 1).await;
    let waiting: Vec<_> = (0..3)
        .map(|_| {
            let rt = rt.clone();
            tokio::spawn(async move { rt.exec("1").await.unwrap() })
        })
        .collect();
    support::wait_for_queued_sessions(&v8, 3).await;
    support::kill(v8.pid().unwrap(), libc::SIGKILL);
    // Every session answers (a generous bound: without the crash they would wait forever).
    let bounded = |task| tokio::time::timeout(Duration::from_secs(20), task);
    let r = bounded(running).await.expect("the running session answered").unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash));
    for session in waiting {
        let r = bounded(session).await.expect("a queued session answered").unwrap();
        assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash));
    }
}

#[tokio::test]
async fn a_worker_outlives_the_thread_that_spawned_it() {
    // Spawned from a short-lived thread with its own runtime, which then exits. Linux sends the
    // parent-death signal when the forking *thread* exits; the worker must not get it.
    let v8 = std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(support::spawn())
    })
    .join()
    .unwrap();
    // Not synchronisation: a window in which a parent-death signal, sent as the forking
    // thread exits, would have arrived and been noticed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(v8.state(), ProcessState::Ready);
    let r = support::on(&v8).exec("console.log('still here')").await.unwrap();
    assert_eq!(r.stdout, "still here\n");
}

#[tokio::test]
async fn stats_report_sessions_heap_and_uptime() {
    let v8 = support::spawn().await;
    let rt = support::on(&v8);
    let idle = v8.stats().await.unwrap();
    assert_eq!((idle.active_sessions, idle.total_sessions, idle.heap_used_bytes), (0, 0, 0));
    assert!(idle.rss_bytes > 1024 * 1024, "{idle:?}");
    assert!(idle.threads >= 2, "{idle:?}");
    let running = tokio::spawn({
        let rt = rt.clone();
        async move {
            rt.exec_with(
                "const keep = new Array(1e5).fill('x'); setTimeout(() => console.log(keep.length), 300)",
                ExecOptions::default(),
            )
            .await
            .unwrap()
        }
    });
    // The worker samples a session's heap after each macrotask: wait for the sample.
    let busy = support::wait_for_stats(&v8, "the session's heap", |s| {
        s.active_sessions == 1 && s.heap_used_bytes > 100_000
    })
    .await;
    assert_eq!(busy.active_sessions, 1);
    assert!(busy.heap_used_bytes > 100_000, "{busy:?}");
    assert!(busy.heap_total_bytes >= busy.heap_used_bytes, "{busy:?}");
    assert_eq!(running.await.unwrap().stdout, "100000\n");
    let after = support::wait_for_idle(&v8).await;
    assert_eq!((after.active_sessions, after.total_sessions), (0, 1));
    assert!(after.uptime >= busy.uptime);
    v8.dispose().await;
    assert!(v8.stats().await.is_err(), "a disposed process has no stats");
}

/// Kept apart from other registries: this one is the process-wide default.
#[tokio::test]
async fn the_global_registry_is_the_default() {
    let rt = NodeRuntime::new(NodeRuntimeOptions::default());
    let runtime = rt.v8_runtime().await.unwrap();
    let global = Registry::global().shared().await.unwrap();
    assert!(runtime.same_process(&global));
    let listed = Registry::global().processes();
    assert!(
        listed.iter().any(|p| p.topology == TopologyKind::Shared && p.pid == global.info().pid)
    );
}
