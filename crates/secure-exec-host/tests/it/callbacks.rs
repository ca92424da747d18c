//! The embedder's `on_output` callback runs off the host's I/O thread: a slow one slows only its
//! own session, a panicking one fails only its own session.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use secure_exec_host::{ErrorCode, ExecOptions, OutputCallback, ProcessState, V8RuntimeOptions};

use crate::support;

/// Heartbeats every 50 ms, silence tolerated for 500 ms: a callback blocking the I/O thread for
/// longer would get the worker killed as unresponsive.
fn impatient() -> V8RuntimeOptions {
    V8RuntimeOptions {
        heartbeat_interval: Duration::from_millis(50),
        heartbeat_timeout: Duration::from_millis(500),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_slow_callback_slows_only_its_own_session() {
    let v8 = support::spawn_with(impatient()).await;
    let pid = v8.pid();
    let rt = support::on(&v8);
    let slow_done = Arc::new(AtomicBool::new(false));
    let chunks = Arc::new(AtomicUsize::new(0));
    let callback: OutputCallback = {
        let slow_done = Arc::clone(&slow_done);
        let chunks = Arc::clone(&chunks);
        Arc::new(move |_, _: &str| {
            if chunks.fetch_add(1, Ordering::SeqCst) == 0 {
                // Far past the heartbeat timeout.
                std::thread::sleep(Duration::from_millis(1500));
                slow_done.store(true, Ordering::SeqCst);
            }
        })
    };
    let slow = tokio::spawn({
        let rt = rt.clone();
        async move {
            let options = ExecOptions { on_output: Some(callback), ..Default::default() };
            rt.exec_with("console.log('one'); console.log('two')", options).await.unwrap()
        }
    });
    support::wait_until(Duration::from_secs(10), || chunks.load(Ordering::SeqCst) > 0).await;
    // While the callback blocks, other sessions and heartbeats go on.
    let other = rt.exec("console.log('unaffected')").await.unwrap();
    assert_eq!(other.stdout, "unaffected\n");
    assert!(!slow_done.load(Ordering::SeqCst), "the other session waited for the slow callback");
    let slow = slow.await.unwrap();
    assert_eq!((slow.code, slow.stdout.as_str()), (0, "one\ntwo\n"));
    assert!(slow_done.load(Ordering::SeqCst), "the result came before the callback finished");
    assert_eq!(chunks.load(Ordering::SeqCst), 2, "every chunk reached the callback first");
    assert_eq!(v8.state(), ProcessState::Ready);
    assert_eq!(v8.pid(), pid);
}

#[tokio::test]
async fn a_panicking_callback_fails_only_its_own_session() {
    let v8 = support::spawn_with(impatient()).await;
    let pid = v8.pid();
    let rt = support::on(&v8);
    let neighbour = tokio::spawn({
        let rt = rt.clone();
        async move {
            rt.exec("let n = 0; const t = setInterval(() => { if (++n === 10) { clearInterval(t); console.log('neighbour', n) } }, 20)")
                .await
                .unwrap()
        }
    });
    let callback: OutputCallback = Arc::new(|_, text: &str| {
        if text.contains("boom") {
            panic!("the embedder's callback failed");
        }
    });
    let options =
        ExecOptions { on_output: Some(callback), timeout_ms: Some(20_000), ..Default::default() };
    // Would print for 20 s; the panic stops it.
    let started = std::time::Instant::now();
    let r = rt
        .exec_with("console.log('boom'); setInterval(() => console.log('more'), 10)", options)
        .await
        .unwrap();
    assert_eq!(r.code, 1);
    assert_eq!(r.error_code, Some(ErrorCode::OutputCallback), "{:?}", r.error_message);
    let message = r.error_message.unwrap();
    assert!(message.starts_with("ERR_OUTPUT_CALLBACK"), "{message}");
    assert!(message.contains("the embedder's callback failed"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(15), "the session was not stopped");
    let neighbour = neighbour.await.unwrap();
    assert_eq!(neighbour.stdout, "neighbour 10\n");
    let after = rt.exec("console.log('next')").await.unwrap();
    assert_eq!(after.stdout, "next\n");
    assert_eq!(v8.pid(), pid);
}

#[tokio::test]
async fn truncation_flags_and_metrics_reach_the_result() {
    let (rt, _v8) = support::runtime().await;
    let options = ExecOptions { max_output_bytes: Some(100), ..Default::default() };
    let r =
        rt.exec_with("console.log('x'.repeat(1000)); console.error('e')", options).await.unwrap();
    assert!(r.stdout_truncated);
    assert!(!r.stderr_truncated);
    let r = rt.exec("for (let i = 0; i < 3e6; i++) {}").await.unwrap();
    assert!(r.metrics.cpu_time > Duration::ZERO, "{:?}", r.metrics);
    assert!(r.metrics.wall_time >= r.metrics.cpu_time, "{:?}", r.metrics);
    assert!(r.metrics.heap_used_bytes > 0);
    let r = rt.run("module.exports = 1").await.unwrap();
    assert!(r.metrics.wall_time > Duration::ZERO);
}
