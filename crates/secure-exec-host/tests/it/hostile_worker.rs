//! The host trusts no bytes from a worker: garbage, oversized frames, frames for sessions it
//! never gave, duplicate results, made-up error codes, bad exports, or silence all end that
//! worker (killed and reaped) and fail its sessions with `ERR_V8_PROCESS_CRASH`, within a
//! bounded time; the host never panics and never waits forever.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use secure_exec_host::{ErrorCode, ProcessState, V8Runtime, V8RuntimeOptions};
use secure_exec_proto::v1::{self, worker_message};

use crate::support;

async fn spawn_fake(mode: &str) -> (V8Runtime, support::FakeWorker) {
    let fake = support::fake_worker(mode);
    let options = V8RuntimeOptions {
        heartbeat_interval: Duration::from_millis(100),
        heartbeat_timeout: Duration::from_millis(600),
        ..fake.options()
    };
    (support::spawn_with(options).await, fake)
}

/// Runs one session on a misbehaving fake and checks the worker was given up on for `why`.
async fn assert_given_up(mode: &str, run: bool, why: &str) {
    let (v8, _fake) = spawn_fake(mode).await;
    let pid = v8.pid().unwrap();
    let rt = support::on(&v8);
    let started = Instant::now();
    let (code, error_code, message) = if run {
        let r = rt.run("module.exports = 1").await.unwrap();
        (r.code, r.error_code, r.error_message)
    } else {
        let r = rt.exec("1").await.unwrap();
        (r.code, r.error_code, r.error_message)
    };
    assert!(started.elapsed() < Duration::from_secs(5), "{mode}: took {:?}", started.elapsed());
    assert_eq!((code, error_code), (1, Some(ErrorCode::V8ProcessCrash)), "{mode}: {message:?}");
    let message = message.unwrap();
    assert!(message.contains(why), "{mode}: {message}");
    match v8.state() {
        ProcessState::Crashed { reason, .. } => assert!(reason.contains(why), "{reason}"),
        other => panic!("{mode}: state {other:?}"),
    }
    support::wait_until(Duration::from_secs(5), || support::is_reaped(pid)).await;
    let r = rt.exec("1").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash), "{mode}: later sessions refused");
}

#[tokio::test]
async fn the_fake_worker_speaks_the_protocol_when_it_behaves() {
    let (v8, _fake) = spawn_fake("ok").await;
    let rt = support::on(&v8);
    let r = rt.exec("1").await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "fake output\n"));
    let r = rt.run("1").await.unwrap();
    assert_eq!(r.exports, Some(serde_json::json!({"fake": true})));
    assert_eq!(v8.state(), ProcessState::Ready);
}

#[tokio::test]
async fn garbage_ends_the_worker() {
    assert_given_up("garbage", false, "sent a bad frame: undecodable frame").await;
}

#[tokio::test]
async fn an_oversized_frame_ends_the_worker() {
    assert_given_up("oversized", false, "frame larger than the maximum of 16777216 bytes").await;
}

#[tokio::test]
async fn output_for_a_session_it_was_never_given_ends_the_worker() {
    assert_given_up("unknown-session", false, "output for unknown session 1001").await;
}

#[tokio::test]
async fn a_made_up_error_code_ends_the_worker() {
    assert_given_up("bad-error-code", false, "unknown error code \"ERR_MADE_UP\"").await;
}

#[tokio::test]
async fn exports_that_are_not_json_end_the_worker() {
    assert_given_up("bad-exports", true, "exports are not JSON").await;
}

#[tokio::test]
async fn a_silent_worker_is_detected_by_heartbeat() {
    assert_given_up("silent", false, "stopped answering").await;
}

#[tokio::test]
async fn a_duplicate_result_ends_the_worker() {
    let (v8, _fake) = spawn_fake("duplicate-result").await;
    let rt = support::on(&v8);
    let r = rt.exec("1").await.unwrap();
    assert_eq!(r.code, 0, "the first result is the session's");
    support::wait_until(Duration::from_secs(5), || v8.state() != ProcessState::Ready).await;
    match v8.state() {
        ProcessState::Crashed { reason, .. } => {
            assert!(reason.contains("a result for unknown session 1"), "{reason}");
        }
        other => panic!("state {other:?}"),
    }
}

fn arb_worker_message() -> impl Strategy<Value = v1::WorkerMessage> {
    let session = prop_oneof![Just(1u64), any::<u64>()];
    let code = prop_oneof![
        Just(String::new()),
        Just("ERR_GUEST_EXCEPTION".to_owned()),
        Just("ERR_V8_PROCESS_CRASH".to_owned()),
        ".{0,20}"
    ];
    prop_oneof![
        (session.clone(), any::<i32>(), ".{0,40}").prop_map(|(session_id, stream, text)| {
            worker_message::Kind::Output(v1::Output { session_id, stream, text })
        }),
        (session, any::<i32>(), code, ".{0,40}", proptest::option::of(".{0,40}")).prop_map(
            |(session_id, code, error_code, error_message, exports_json)| {
                worker_message::Kind::SessionResult(v1::SessionResult {
                    session_id,
                    code,
                    error_code,
                    error_message,
                    exports_json,
                    ..Default::default()
                })
            }
        ),
        any::<u64>().prop_map(|request_id| worker_message::Kind::StatsReply(v1::StatsReply {
            request_id,
            ..Default::default()
        })),
        any::<u64>().prop_map(|nonce| worker_message::Kind::Pong(v1::Pong { nonce })),
        Just(worker_message::Kind::HelloAck(v1::HelloAck::default())),
    ]
    .prop_map(|kind| v1::WorkerMessage { kind: Some(kind) })
}

fn arb_reply() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        proptest::collection::vec(arb_worker_message(), 0..6)
            .prop_map(|messages| messages.iter().flat_map(support::frame).collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever a worker answers to a session, the host returns a result, in bounded time.
    #[test]
    fn arbitrary_worker_replies_never_panic_or_hang_the_host(reply in arb_reply()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let fake = support::fake_worker_replaying(&reply);
            let options = V8RuntimeOptions {
                heartbeat_interval: Duration::from_millis(100),
                heartbeat_timeout: Duration::from_millis(500),
                result_grace: Duration::from_millis(500),
                ..fake.options()
            };
            let v8 = support::spawn_with(options).await;
            let rt = support::on(&v8);
            let r = tokio::time::timeout(
                Duration::from_secs(10),
                rt.exec_with("1", secure_exec_host::ExecOptions { timeout_ms: Some(200), ..Default::default() }),
            )
            .await
            .expect("the host answered in bounded time")
            .expect("a session result, never an Err");
            // A nonzero code without an error code is legitimate (`process.exit(3)`); what must
            // hold is that an error code always comes with a message that starts with it.
            prop_assert_eq!(r.error_code.is_some(), r.error_message.is_some(), "{:?}", r);
            if let (Some(code), Some(message)) = (r.error_code, &r.error_message) {
                prop_assert!(message.starts_with(code.as_str()), "{}", message);
            }
            v8.dispose().await;
            Ok(())
        })?;
    }
}
