//! Frame codec tests: round trips, limits, and hostile bytes.

use bytes::{BufMut, BytesMut};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

use super::*;
use crate::v1::{self, host_message, worker_message};

type HostSide = FrameCodec<v1::WorkerMessage, v1::HostMessage>;
type WorkerSide = FrameCodec<v1::HostMessage, v1::WorkerMessage>;

fn output(text: &str) -> v1::WorkerMessage {
    v1::WorkerMessage {
        kind: Some(worker_message::Kind::Output(v1::Output {
            session_id: 7,
            stream: v1::Stream::Stdout as i32,
            text: text.to_owned(),
        })),
    }
}

#[test]
fn round_trip_several_frames_in_one_buffer() {
    let mut worker = WorkerSide::default();
    let mut host = HostSide::default();
    let mut buf = BytesMut::new();
    worker.encode(output("a"), &mut buf).unwrap();
    worker.encode(output("bc"), &mut buf).unwrap();
    assert_eq!(host.decode(&mut buf).unwrap(), Some(output("a")));
    assert_eq!(host.decode(&mut buf).unwrap(), Some(output("bc")));
    assert_eq!(host.decode(&mut buf).unwrap(), None);
    assert!(buf.is_empty());
}

#[test]
fn partial_frame_waits_for_more_bytes() {
    let mut worker = WorkerSide::default();
    let mut host = HostSide::default();
    let mut full = BytesMut::new();
    worker.encode(output("hello"), &mut full).unwrap();
    let mut buf = BytesMut::new();
    for (i, byte) in full.iter().enumerate() {
        buf.put_u8(*byte);
        let decoded = host.decode(&mut buf).unwrap();
        assert_eq!(decoded.is_some(), i == full.len() - 1);
    }
}

#[test]
fn oversized_frame_announced_by_peer_is_an_error() {
    let mut host = HostSide::new(1024);
    let mut buf = BytesMut::new();
    buf.put_u32(1025);
    buf.put_slice(&[0; 16]);
    assert!(matches!(host.decode(&mut buf), Err(FrameError::TooLarge { max: 1024 })));
}

#[test]
fn oversized_message_is_refused_on_encode() {
    let mut worker = WorkerSide::new(64);
    let mut buf = BytesMut::new();
    let err = worker.encode(output(&"x".repeat(100)), &mut buf).unwrap_err();
    assert!(matches!(err, FrameError::TooLarge { max: 64 }));
    assert!(buf.is_empty(), "nothing is written for a refused frame");
}

#[test]
fn garbage_body_is_a_decode_error() {
    let mut host = HostSide::default();
    let mut buf = BytesMut::new();
    buf.put_u32(3);
    buf.put_slice(&[0xff, 0xff, 0xff]);
    assert!(matches!(host.decode(&mut buf), Err(FrameError::Decode(_))));
}

#[test]
fn eof_inside_a_frame_is_an_error_and_clean_eof_is_none() {
    let mut host = HostSide::default();
    let mut buf = BytesMut::new();
    assert!(host.decode_eof(&mut buf).unwrap().is_none());
    buf.put_u32(10);
    buf.put_slice(&[1, 2]);
    assert!(matches!(host.decode_eof(&mut buf), Err(FrameError::Io(_))));
}

#[test]
fn unknown_oneof_variant_decodes_to_no_kind() {
    // A newer peer's message type: field 99, varint 1. Decoding must not fail or panic; the
    // receiver sees `kind: None` and treats it as a protocol error of its own choosing.
    let mut host = HostSide::default();
    let mut buf = BytesMut::new();
    buf.put_u32(3);
    buf.put_slice(&[0x98, 0x06, 0x01]);
    assert_eq!(host.decode(&mut buf).unwrap(), Some(v1::WorkerMessage { kind: None }));
}

fn arb_host_message() -> impl Strategy<Value = v1::HostMessage> {
    let limits = (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()).prop_map(
        |(m, c, t, o, e)| v1::Limits {
            memory_limit_bytes: m,
            cpu_time_limit_ms: c,
            timeout_ms: t,
            max_output_bytes: o,
            max_exports_bytes: e,
        },
    );
    prop_oneof![
        (any::<u32>(), ".*", any::<u32>(), any::<u64>()).prop_map(|(v, h, m, f)| {
            host_message::Kind::Hello(v1::Hello {
                protocol_version: v,
                host_version: h,
                max_sessions: m,
                max_frame_len: f,
            })
        }),
        (
            any::<u64>(),
            proptest::option::of(limits),
            proptest::collection::vec(".*", 0..4),
            any::<u64>(),
        )
            .prop_map(|(id, limits, argv, world)| {
                host_message::Kind::OpenSession(v1::OpenSession {
                    session_id: id,
                    limits,
                    env: Default::default(),
                    argv,
                    cwd: "/app".into(),
                    world,
                })
            }),
        (any::<u64>(), any::<u64>(), ".*", proptest::collection::vec(any::<u8>(), 0..64)).prop_map(
            |(session_id, call_id, error_code, data)| {
                host_message::Kind::HostReply(v1::HostReply {
                    session_id,
                    call_id,
                    error_code,
                    data,
                    stat: Some(v1::FileStat { size: 3, ..Default::default() }),
                    entries: vec![v1::DirEntry { name: "a".into(), kind: 1 }],
                    ..Default::default()
                })
            }
        ),
        (any::<u64>(), any::<i32>(), ".*", ".*").prop_map(|(id, mode, code, filename)| {
            host_message::Kind::Execute(v1::Execute {
                session_id: id,
                mode,
                code,
                filename,
                format: "module".into(),
            })
        }),
        any::<u64>()
            .prop_map(|id| host_message::Kind::CancelSession(v1::CancelSession { session_id: id })),
        any::<u64>().prop_map(|nonce| host_message::Kind::Ping(v1::Ping { nonce })),
    ]
    .prop_map(|kind| v1::HostMessage { kind: Some(kind) })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_either_side(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut host = HostSide::new(256);
        let mut worker = WorkerSide::new(256);
        let mut a = BytesMut::from(&bytes[..]);
        let mut b = BytesMut::from(&bytes[..]);
        // Keep decoding until the codec wants more bytes or reports an error; both are fine.
        while let Ok(Some(_)) = host.decode(&mut a) {}
        while let Ok(Some(_)) = worker.decode(&mut b) {}
        let _ = host.decode_eof(&mut a);
        let _ = worker.decode_eof(&mut b);
    }

    #[test]
    fn arbitrary_frames_with_valid_lengths_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut worker = WorkerSide::default();
        let mut buf = BytesMut::new();
        buf.put_u32(body.len() as u32);
        buf.put_slice(&body);
        match worker.decode(&mut buf) {
            Ok(Some(_)) | Err(FrameError::Decode(_)) => {}
            other => prop_assert!(false, "unexpected outcome {other:?}"),
        }
    }

    #[test]
    fn host_messages_round_trip(message in arb_host_message()) {
        let mut host = HostSide::default();
        let mut worker = WorkerSide::default();
        let mut buf = BytesMut::new();
        host.encode(message.clone(), &mut buf).unwrap();
        prop_assert_eq!(worker.decode(&mut buf).unwrap(), Some(message));
    }
}
