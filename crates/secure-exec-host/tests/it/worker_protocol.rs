//! What the worker enforces by itself, spoken to over the raw protocol.

use secure_exec_proto::v1::{self, host_message, worker_message};

use crate::support::RawWorker;

fn open(id: u64) -> host_message::Kind {
    host_message::Kind::OpenSession(v1::OpenSession { session_id: id, ..Default::default() })
}

fn execute(id: u64, code: &str) -> host_message::Kind {
    host_message::Kind::Execute(v1::Execute {
        session_id: id,
        mode: v1::ExecuteMode::Exec as i32,
        code: code.into(),
        filename: "raw.js".into(),
        ..Default::default()
    })
}

fn result_of(message: v1::WorkerMessage) -> Option<v1::SessionResult> {
    match message.kind {
        Some(worker_message::Kind::SessionResult(result)) => Some(result),
        _ => None,
    }
}

#[test]
fn the_worker_refuses_sessions_beyond_its_own_limit() {
    let (mut worker, ack) = RawWorker::start(1);
    assert_eq!(ack.protocol_version, secure_exec_proto::version::CURRENT);
    // One runs, one waits for its slot (the host may open while an isolate is being disposed),
    // and the third is refused.
    worker.send(open(1));
    worker.send(execute(1, "setTimeout(() => {}, 200)"));
    worker.send(open(2));
    worker.send(execute(2, "1"));
    worker.send(open(3));
    let refused = result_of(worker.recv()).expect("a refusal");
    assert_eq!(refused.session_id, 3);
    assert_eq!(refused.error_code, "ERR_SESSION_REFUSED");
    assert!(refused.error_message.contains("maximum of 1 sessions"), "{refused:?}");
    let first = result_of(worker.recv()).expect("the first session's result");
    assert_eq!((first.session_id, first.code), (1, 0));
    let second = result_of(worker.recv()).expect("the parked session's result");
    assert_eq!((second.session_id, second.code, second.error_code.as_str()), (2, 0, ""));
}

#[test]
fn a_parked_session_can_be_cancelled() {
    let (mut worker, _) = RawWorker::start(1);
    worker.send(open(1));
    worker.send(execute(1, "setTimeout(() => {}, 300)"));
    worker.send(open(2));
    worker.send(host_message::Kind::CancelSession(v1::CancelSession { session_id: 2 }));
    let cancelled = result_of(worker.recv()).expect("the cancelled session's result");
    assert_eq!((cancelled.session_id, cancelled.error_code.as_str()), (2, "ERR_CANCELLED"));
    let first = result_of(worker.recv()).expect("the first session's result");
    assert_eq!((first.session_id, first.code), (1, 0));
}

#[test]
fn the_worker_refuses_a_duplicate_session_id() {
    let (mut worker, _) = RawWorker::start(4);
    worker.send(open(7));
    worker.send(open(7));
    let refused = result_of(worker.recv()).expect("a refusal");
    assert_eq!((refused.session_id, refused.error_code.as_str()), (7, "ERR_SESSION_REFUSED"));
    worker.send(execute(7, "1"));
    assert_eq!(result_of(worker.recv()).map(|r| r.code), Some(0));
}

#[test]
fn the_worker_exits_when_the_host_goes_away() {
    let (mut worker, _) = RawWorker::start(4);
    worker.send(open(1));
    worker.send(execute(1, "setInterval(() => {}, 10)"));
    worker.socket_shutdown();
    assert!(worker.wait().success());
}

#[test]
fn garbage_from_the_host_ends_the_worker_without_a_crash() {
    let (mut worker, _) = RawWorker::start(4);
    worker.send_bytes(&[0, 0, 0, 3, 0xff, 0xff, 0xff]);
    assert!(worker.try_recv().is_none(), "the worker closes the connection");
    let status = worker.wait();
    assert_eq!(status.code(), Some(2), "a clean error exit, not a signal: {status:?}");
}

#[test]
fn an_oversized_frame_from_the_host_ends_the_worker() {
    let (mut worker, _) = RawWorker::start(4);
    worker.send_bytes(&(64u32 * 1024 * 1024).to_be_bytes());
    assert!(worker.try_recv().is_none());
    assert_eq!(worker.wait().code(), Some(2));
}

#[test]
fn execute_for_an_unknown_session_is_a_protocol_error() {
    let (mut worker, _) = RawWorker::start(4);
    worker.send(execute(99, "1"));
    match worker.recv().kind {
        Some(worker_message::Kind::ProtocolError(error)) => {
            assert!(error.message.contains("unknown session 99"), "{error:?}");
        }
        other => panic!("expected a protocol error, got {other:?}"),
    }
    assert_eq!(worker.wait().code(), Some(2));
}

#[test]
fn ping_is_answered() {
    let (mut worker, _) = RawWorker::start(4);
    worker.send(host_message::Kind::Ping(v1::Ping { nonce: 42 }));
    match worker.recv().kind {
        Some(worker_message::Kind::Pong(pong)) => assert_eq!(pong.nonce, 42),
        other => panic!("expected Pong, got {other:?}"),
    }
}

fn arb_host_message() -> impl proptest::strategy::Strategy<Value = host_message::Kind> {
    use proptest::prelude::*;
    let id = prop_oneof![1u64..4, any::<u64>()];
    let code = prop_oneof![
        Just("console.log('hi')".to_owned()),
        Just("while (true) {}".to_owned()),
        Just("setTimeout(() => {}, 50)".to_owned()),
        Just("throw new Error('x')".to_owned()),
        Just("module.exports = { a: [1, 2] }".to_owned()),
        ".{0,30}",
    ];
    let limits = (any::<u64>(), 0u64..200, any::<u64>(), any::<u64>(), any::<u64>()).prop_map(
        |(
            memory_limit_bytes,
            cpu_time_limit_ms,
            timeout_ms,
            max_output_bytes,
            max_exports_bytes,
        )| {
            v1::Limits {
                memory_limit_bytes,
                cpu_time_limit_ms,
                timeout_ms: timeout_ms % 2000,
                max_output_bytes,
                max_exports_bytes,
            }
        },
    );
    prop_oneof![
        (id.clone(), proptest::option::of(limits), proptest::collection::vec(".{0,8}", 0..3))
            .prop_map(|(session_id, limits, argv)| host_message::Kind::OpenSession(
                v1::OpenSession {
                    session_id,
                    limits,
                    env: [("K".to_owned(), "V".to_owned())].into(),
                    argv,
                    ..Default::default()
                }
            )),
        (id.clone(), any::<u64>(), "[A-Z]{0,6}", proptest::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(session_id, call_id, error_code, data)| host_message::Kind::HostReply(
                v1::HostReply { session_id, call_id, error_code, data, ..Default::default() }
            )),
        (id.clone(), -1i32..4, code).prop_map(|(session_id, mode, code)| {
            host_message::Kind::Execute(v1::Execute {
                session_id,
                mode,
                code,
                filename: String::new(),
                format: ["", "module", "commonjs"][(session_id % 3) as usize].into(),
            })
        }),
        id.prop_map(|session_id| host_message::Kind::CancelSession(v1::CancelSession {
            session_id
        })),
        any::<u64>().prop_map(|request_id| host_message::Kind::StatsRequest(v1::StatsRequest {
            request_id
        })),
        any::<u64>().prop_map(|nonce| host_message::Kind::Ping(v1::Ping { nonce })),
        Just(host_message::Kind::Hello(v1::Hello::default())),
        Just(host_message::Kind::Shutdown(v1::Shutdown {})),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

    /// Whatever valid-but-hostile messages a host sends, the worker answers or closes cleanly:
    /// it never dies of a signal (a crash) and always exits once the host goes away.
    #[test]
    fn arbitrary_host_messages_never_crash_the_worker(
        messages in proptest::collection::vec(arb_host_message(), 0..8),
    ) {
        let (mut worker, _) = RawWorker::start(2);
        for kind in messages {
            worker.send_if_open(kind);
        }
        // The worker reads everything sent before the end-of-file, so no wait is needed.
        worker.socket_shutdown();
        let status = worker.wait();
        proptest::prop_assert!(
            matches!(status.code(), Some(0 | 2)),
            "the worker ended with {status:?}"
        );
    }
}

/// `Shutdown` and SIGTERM both end the worker in order: every running session sends its
/// result first (the worker's own "shutting down" verdict), then the worker exits with 0.
#[test]
fn shutdown_and_sigterm_end_running_sessions_with_results_then_exit() {
    for by_signal in [false, true] {
        let (mut worker, _) = RawWorker::start(16);
        worker.send(open(1));
        worker.send(execute(1, "console.log('up'); setInterval(() => {}, 50)"));
        match worker.recv().kind {
            Some(worker_message::Kind::Output(output)) => assert_eq!(output.text, "up\n"),
            other => panic!("expected output, got {other:?}"),
        }
        if by_signal {
            worker.signal(libc::SIGTERM);
        } else {
            worker.send(host_message::Kind::Shutdown(v1::Shutdown {}));
        }
        let result = result_of(worker.recv()).expect("the session's result");
        assert_eq!(result.session_id, 1);
        assert_eq!(result.error_code, "ERR_V8_PROCESS_CRASH", "{result:?}");
        assert!(result.error_message.contains("shutting down"), "{result:?}");
        assert_eq!(worker.wait().code(), Some(0), "by signal: {by_signal}");
    }
}
