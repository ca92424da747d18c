//! The registry's lifecycle: listing under traffic, respawn backoff, tenant options, idle
//! eviction and the tenant cap; dispose asking the worker to shut down first.

use std::time::Duration;

use secure_exec_host::{
    ErrorCode, ExecOptions, ProcessState, Registry, RegistryOptions, TopologyKind, V8RuntimeOptions,
};

use crate::support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_lists_every_live_process_under_traffic() {
    let registry = Registry::new(RegistryOptions::default());
    let shared = support::shared(&registry);
    let tenant = support::tenant(&registry, "busy");
    let _ = shared.exec("1").await.unwrap();
    let _ = tenant.exec("1").await.unwrap();
    let traffic: Vec<_> = (0..6)
        .map(|i| {
            let rt = if i % 2 == 0 { shared.clone() } else { tenant.clone() };
            tokio::spawn(async move {
                for _ in 0..40 {
                    let r = rt.exec("1").await.unwrap();
                    assert_eq!(r.code, 0);
                }
            })
        })
        .collect();
    let mut listings = 0;
    while !traffic.iter().all(|t| t.is_finished()) {
        let listed = registry.processes();
        let kinds: Vec<TopologyKind> = listed.iter().map(|p| p.topology).collect();
        assert_eq!(kinds, vec![TopologyKind::Shared, TopologyKind::Tenant], "listing {listings}");
        listings += 1;
        tokio::task::yield_now().await;
    }
    for task in traffic {
        task.await.unwrap();
    }
    assert!(listings > 0);
    registry.shutdown().await;
}

#[tokio::test]
async fn a_slot_that_keeps_crashing_is_respawned_with_backoff() {
    let registry = Registry::new(RegistryOptions {
        respawn_backoff: Duration::from_secs(3),
        ..Default::default()
    });
    let first = registry.shared().await.unwrap();
    support::kill(first.info().pid, libc::SIGKILL);
    support::wait_until(Duration::from_secs(5), || first.state() != ProcessState::Ready).await;
    // The first crash is respawned at once.
    let second = registry.shared().await.unwrap();
    assert_eq!(second.state(), ProcessState::Ready);
    assert!(!second.same_process(&first));
    support::kill(second.info().pid, libc::SIGKILL);
    support::wait_until(Duration::from_secs(5), || second.state() != ProcessState::Ready).await;
    // A second crash soon after: no spawn storm; callers get the crash at once.
    let during = registry.shared().await.unwrap();
    assert!(during.same_process(&second), "respawned without waiting");
    let r = support::shared(&registry).exec("1").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash));
    // After the delay, a fresh process.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let third = loop {
        let current = registry.shared().await.unwrap();
        if current.state() == ProcessState::Ready {
            break current;
        }
        assert!(std::time::Instant::now() < deadline, "never respawned");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!third.same_process(&second));
    assert_eq!(third.stats().await.unwrap().crashes, 2);
    registry.shutdown().await;
}

#[tokio::test]
async fn a_tenant_keeps_the_options_it_was_started_with() {
    let registry = Registry::new(RegistryOptions::default());
    let options = V8RuntimeOptions { max_sessions: 3, ..Default::default() };
    let runtime = registry.tenant("t", options.clone()).await.unwrap();
    let again = registry.tenant("t", options).await.unwrap();
    assert!(runtime.same_process(&again));
    let other = V8RuntimeOptions { max_sessions: 5, ..Default::default() };
    let err = registry.tenant("t", other.clone()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidOptions);
    assert!(err.to_string().contains("tenant \"t\""), "{err}");
    // Removing the tenant lets it start over with new options.
    registry.remove_tenant("t").await;
    let fresh = registry.tenant("t", other).await.unwrap();
    assert_eq!(fresh.options().max_sessions, 5);
    registry.shutdown().await;
}

#[tokio::test]
async fn idle_tenants_are_disposed_and_forgotten() {
    let registry = Registry::new(RegistryOptions {
        tenant_idle_timeout: Duration::from_millis(300),
        ..Default::default()
    });
    let rt = support::tenant(&registry, "sleepy");
    let long = tokio::spawn({
        let rt = rt.clone();
        async move { rt.exec("setTimeout(() => console.log('done'), 800)").await.unwrap() }
    });
    let runtime = registry.tenant("sleepy", V8RuntimeOptions::default()).await.unwrap();
    let pid = runtime.info().pid;
    drop(runtime);
    // A session running is not idle, however long it runs.
    assert_eq!(long.await.unwrap().stdout, "done\n");
    support::wait_until(Duration::from_secs(10), || {
        registry.processes().iter().all(|p| p.key.as_deref() != Some("sleepy"))
    })
    .await;
    support::wait_until(Duration::from_secs(10), || support::is_reaped(pid)).await;
    // The next use starts a fresh process.
    let r = rt.exec("console.log('back')").await.unwrap();
    assert_eq!(r.stdout, "back\n");
    registry.shutdown().await;
}

#[tokio::test]
async fn the_tenant_cap_evicts_the_least_recently_used_idle_tenant() {
    let registry = Registry::new(RegistryOptions { max_tenants: 2, ..Default::default() });
    let a = support::tenant(&registry, "a");
    let b = support::tenant(&registry, "b");
    let _ = a.exec("1").await.unwrap();
    let _ = b.exec("1").await.unwrap();
    let a_pid = registry.tenant("a", V8RuntimeOptions::default()).await.unwrap().info().pid;
    // "b" was used last (the lookup above touched "a": use "b" again).
    let _ = b.exec("1").await.unwrap();
    let c = support::tenant(&registry, "c");
    assert_eq!(c.exec("console.log('c')").await.unwrap().stdout, "c\n");
    let keys: Vec<Option<String>> = registry.processes().into_iter().map(|p| p.key).collect();
    assert_eq!(keys, vec![Some("b".to_owned()), Some("c".to_owned())]);
    support::wait_until(Duration::from_secs(10), || support::is_reaped(a_pid)).await;

    // With every tenant busy, a new one is refused.
    let busy: Vec<_> = [b.clone(), c.clone()]
        .into_iter()
        .map(|rt| tokio::spawn(async move { rt.exec("setTimeout(() => {}, 1500)").await.unwrap() }))
        .collect();
    for key in ["b", "c"] {
        let runtime = registry.tenant(key, V8RuntimeOptions::default()).await.unwrap();
        support::wait_for_active_sessions(&runtime, 1).await;
    }
    let err = support::tenant(&registry, "d").exec("1").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::TenantLimit, "{err}");
    for task in busy {
        assert_eq!(task.await.unwrap().code, 0);
    }
    registry.shutdown().await;
}

#[tokio::test]
async fn dispose_asks_the_worker_to_end_its_sessions_first() {
    let v8 = support::spawn().await;
    let rt = support::on(&v8);
    let (options, mut started) = support::signal_on_output("started");
    let running = tokio::spawn(async move {
        rt.exec_with(
            "console.log('started'); setInterval(() => {}, 50)",
            ExecOptions { timeout_ms: Some(60_000), ..options },
        )
        .await
        .unwrap()
    });
    started.recv().await.expect("the session printed");
    let pid = v8.info().pid;
    v8.dispose().await;
    let r = running.await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash));
    // The worker's own words: it ended the session on the host's request.
    let message = r.error_message.unwrap();
    assert!(message.contains("shutting down"), "{message}");
    assert_eq!(r.stdout, "started\n");
    assert_eq!(v8.state(), ProcessState::Disposed);
    assert!(support::is_reaped(pid));
}
