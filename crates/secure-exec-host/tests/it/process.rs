//! Worker processes: spawn errors, handshake, concurrency, crashes and dispose.

use std::time::{Duration, Instant};

use secure_exec_host::{
    Error, ErrorCode, NodeRuntime, NodeRuntimeOptions, ProcessState, V8Runtime, V8RuntimeOptions,
};

use crate::support;

#[tokio::test]
async fn a_missing_worker_lists_the_places_tried() {
    let missing = std::path::PathBuf::from("/nonexistent/dir/secure-exec-worker");
    let err = V8Runtime::spawn(V8RuntimeOptions {
        worker_path: Some(missing.clone()),
        ..Default::default()
    })
    .await
    .unwrap_err();
    match &err {
        Error::WorkerNotFound { tried } => assert_eq!(tried, &vec![missing]),
        other => panic!("unexpected error {other:?}"),
    }
    assert_eq!(err.code(), "ERR_WORKER_NOT_FOUND");
    assert!(err.to_string().contains("/nonexistent/dir/secure-exec-worker"), "{err}");

    // Through a runtime, the same failure is an `Err` from exec: no session was attempted.
    let rt = NodeRuntime::new(NodeRuntimeOptions {
        topology: secure_exec_host::Topology::PerRuntime,
        process_options: V8RuntimeOptions {
            worker_path: Some("/nonexistent/dir/secure-exec-worker".into()),
            ..Default::default()
        },
        ..Default::default()
    });
    let err = rt.exec("1").await.unwrap_err();
    assert_eq!(err.code(), "ERR_WORKER_NOT_FOUND");
}

#[tokio::test]
async fn handshake_reports_versions_and_pid() {
    let v8 = support::spawn().await;
    let info = v8.info().clone();
    assert_eq!(Some(info.pid), v8.pid());
    assert_eq!(info.protocol_version, secure_exec_proto::version::CURRENT);
    assert!(info.v8_version.starts_with("15."), "{info:?}");
    assert!(info.features.is_empty(), "the default worker has no test-only features: {info:?}");
    assert_eq!(v8.state(), ProcessState::Ready);
}

#[tokio::test]
async fn the_default_worker_has_no_fault_injection() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec("console.log(typeof __secureExecFault)").await.unwrap();
    assert_eq!(r.stdout, "undefined\n");
}

#[tokio::test]
async fn a_worker_speaking_another_protocol_version_fails_the_spawn() {
    let fake = support::FakeWorker::replying(&[support::hello_ack(999, std::process::id())]);
    let err = V8Runtime::spawn(fake.options()).await.unwrap_err();
    match &err {
        Error::VersionMismatch { host, worker, .. } => {
            assert_eq!((*host, *worker), (secure_exec_proto::version::CURRENT, 999));
        }
        other => panic!("unexpected error {other:?}"),
    }
    let text = err.to_string();
    assert!(text.starts_with("ERR_PROTOCOL_VERSION_MISMATCH"), "{text}");
    assert!(text.contains("protocol 999"), "{text}");
}

#[tokio::test]
async fn a_worker_that_never_answers_fails_the_spawn_in_bounded_time() {
    let fake = support::FakeWorker::replying(&[]);
    let started = Instant::now();
    let err = V8Runtime::spawn(V8RuntimeOptions {
        handshake_timeout: Duration::from_millis(300),
        ..fake.options()
    })
    .await
    .unwrap_err();
    assert_eq!(err.code(), "ERR_HANDSHAKE", "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_worker_that_exits_at_once_fails_the_spawn_with_its_stderr() {
    let fake = support::FakeWorker::script("echo 'worker cannot start: no V8' >&2; exit 7");
    let err = V8Runtime::spawn(fake.options()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("ERR_HANDSHAKE"), "{text}");
    assert!(text.contains("no V8"), "{text}");
}

#[tokio::test]
async fn fifty_concurrent_sessions_on_one_worker_are_all_correct() {
    let v8 = support::spawn_with(V8RuntimeOptions { max_sessions: 64, ..Default::default() }).await;
    let rt = support::on(&v8);
    let sessions = (0..50).map(|i| {
        let rt = rt.clone();
        tokio::spawn(async move {
            let code = format!(
                "globalThis.mine = {i}; await_later(); function await_later() {{ setTimeout(() => console.log(globalThis.mine * 2), {}) }}",
                i % 7
            );
            (i, rt.exec(&code).await.unwrap())
        })
    });
    for session in futures_util::future::join_all(sessions).await {
        let (i, r) = session.unwrap();
        assert_eq!((r.code, r.stdout.clone()), (0, format!("{}\n", i * 2)), "{r:?}");
    }
}

#[tokio::test]
async fn sigkill_during_a_busy_loop_is_a_crash_and_a_new_runtime_recovers() {
    let v8 = support::spawn().await;
    let rt = support::on(&v8);
    let pid = v8.pid().unwrap();
    let (options, mut started) = support::signal_on_output("started");
    let running = tokio::spawn({
        let rt = rt.clone();
        async move { rt.exec_with("console.log('started'); while (true) {}", options).await }
    });
    started.recv().await.unwrap();
    support::kill(pid, libc::SIGKILL);

    let r = tokio::time::timeout(Duration::from_secs(10), running).await.unwrap().unwrap().unwrap();
    assert_eq!(r.code, 1);
    assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash));
    let message = r.error_message.unwrap();
    assert!(message.starts_with("ERR_V8_PROCESS_CRASH"), "{message}");
    assert!(message.contains("signal 9 (SIGKILL)"), "{message}");
    assert_eq!(r.stdout, "started\n", "output produced before the crash is kept");

    match v8.state() {
        ProcessState::Crashed { signal, exit_code, .. } => {
            assert_eq!((signal, exit_code), (Some(libc::SIGKILL), None));
        }
        other => panic!("unexpected state {other:?}"),
    }
    assert_eq!(v8.pid(), None);

    // The same handle refuses at once; it never respawns.
    let started = Instant::now();
    let r = rt.exec("console.log('hello')").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(support::is_reaped(pid), "the crashed worker was reaped");

    let fresh = support::spawn().await;
    let r = support::on(&fresh).exec("console.log('recovered')").await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "recovered\n"));
    assert_ne!(fresh.pid(), Some(pid));
}

#[tokio::test]
async fn dispose_terminates_reaps_and_fails_active_sessions() {
    let v8 = support::spawn().await;
    let rt = support::on(&v8);
    let pid = v8.pid().unwrap();
    let running = tokio::spawn({
        let rt = rt.clone();
        async move { rt.exec("setInterval(() => {}, 1000)").await }
    });
    support::wait_for_active_sessions(&v8, 1).await;
    v8.dispose().await;
    assert_eq!(v8.state(), ProcessState::Disposed);
    assert!(support::is_reaped(pid), "dispose reaps the worker");
    let r = running.await.unwrap().unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash));
    let message = r.error_message.unwrap();
    assert!(message.contains("shutting down") && message.contains("disposed"), "{message}");

    let r = rt.exec("1").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash));
    v8.dispose().await; // a second dispose returns at once
}

#[tokio::test]
async fn dropping_the_last_handle_disposes_the_process() {
    let v8 = support::spawn().await;
    let pid = v8.pid().unwrap();
    let clone = v8.clone();
    drop(v8);
    assert!(!support::is_reaped(pid), "a clone keeps the process");
    drop(clone);
    support::wait_until(Duration::from_secs(5), || support::is_reaped(pid)).await;
}

#[tokio::test]
async fn invalid_options_are_errors_before_any_session() {
    let (rt, _v8) = support::runtime().await;
    for options in [
        secure_exec_host::ExecOptions { memory_limit: Some(0), ..Default::default() },
        secure_exec_host::ExecOptions { memory_limit: Some(1 << 40), ..Default::default() },
        secure_exec_host::ExecOptions { cpu_time_limit_ms: Some(0), ..Default::default() },
        secure_exec_host::ExecOptions { timeout_ms: Some(0), ..Default::default() },
        secure_exec_host::ExecOptions { timeout_ms: Some(u64::MAX), ..Default::default() },
    ] {
        let err = rt.exec_with("1", options.clone()).await.unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_OPTIONS", "{options:?}");
        assert!(err.to_string().contains("must be between"), "{err}");
    }
    let err = V8Runtime::spawn(V8RuntimeOptions { max_sessions: 0, ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_OPTIONS");
}
