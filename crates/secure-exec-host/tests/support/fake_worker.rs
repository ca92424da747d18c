//! A worker that speaks the protocol badly, for the host's robustness tests.
//!
//! Started by a test through a small shell wrapper (`exec fake_worker <mode> --fd 3`). It
//! completes the handshake correctly (right version, its own pid), then misbehaves as `mode`
//! says when the first session arrives:
//!
//! - `ok`: answers every session properly (the control: proves the fake speaks the protocol);
//! - `garbage`: a frame whose body is not a message;
//! - `oversized`: announces a frame of 64 MiB;
//! - `unknown-session`: output for a session it was never given;
//! - `duplicate-result`: the result, twice;
//! - `bad-error-code`: a result with an error code that does not exist;
//! - `bad-exports`: `run` exports that are not JSON;
//! - `silent`: never answers anything again (not even pings);
//! - `replay <file>`: the bytes of `<file>`, verbatim (for property tests).
//!
//! Then it idles until the host closes the connection or kills it.

use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::os::unix::net::UnixStream;

use bytes::BytesMut;
use secure_exec_proto::v1::{self, host_message, worker_message};
use secure_exec_proto::{FrameCodec, version};
use tokio_util::codec::{Decoder, Encoder};

type Codec = FrameCodec<v1::HostMessage, v1::WorkerMessage>;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let replay = if mode == "replay" { args.next() } else { None };
    // SAFETY: the host passes the connected socket as fd 3.
    let mut socket = unsafe { UnixStream::from_raw_fd(3) };
    let mut codec = Codec::default();
    let mut buffer = BytesMut::new();

    let Some(v1::HostMessage { kind: Some(host_message::Kind::Hello(hello)) }) =
        next(&mut socket, &mut codec, &mut buffer)
    else {
        return;
    };
    let max_frame_len = secure_exec_proto::limits::agree_frame_len(
        hello.max_frame_len,
        secure_exec_proto::DEFAULT_MAX_FRAME_LEN,
    ) as u64;
    send(
        &mut socket,
        &mut codec,
        worker_message::Kind::HelloAck(v1::HelloAck {
            protocol_version: version::CURRENT,
            worker_version: "0.0.0-fake".into(),
            pid: std::process::id(),
            v8_version: "none".into(),
            features: vec![],
            max_frame_len,
        }),
    );

    let mut misbehaved = false;
    while let Some(message) = next(&mut socket, &mut codec, &mut buffer) {
        if mode == "silent" {
            continue;
        }
        match message.kind {
            Some(host_message::Kind::Ping(ping)) => {
                send(
                    &mut socket,
                    &mut codec,
                    worker_message::Kind::Pong(v1::Pong { nonce: ping.nonce }),
                );
            }
            Some(host_message::Kind::Execute(execute)) if !misbehaved => {
                if mode != "ok" {
                    misbehaved = true;
                }
                misbehave(&mode, replay.as_deref(), &execute, &mut socket, &mut codec);
            }
            _ => {}
        }
    }
}

fn misbehave(
    mode: &str,
    replay: Option<&str>,
    execute: &v1::Execute,
    socket: &mut UnixStream,
    codec: &mut Codec,
) {
    let id = execute.session_id;
    let result = |error_code: &str, exports_json: Option<String>| {
        worker_message::Kind::SessionResult(v1::SessionResult {
            session_id: id,
            code: if error_code.is_empty() { 0 } else { 1 },
            error_code: error_code.into(),
            error_message: error_code.into(),
            exports_json,
            ..Default::default()
        })
    };
    let output = |session_id| {
        worker_message::Kind::Output(v1::Output {
            session_id,
            stream: v1::Stream::Stdout as i32,
            text: "fake output\n".into(),
        })
    };
    match mode {
        "ok" => {
            send(socket, codec, output(id));
            let exports =
                (execute.mode == v1::ExecuteMode::Run as i32).then(|| "{\"fake\":true}".to_owned());
            send(socket, codec, result("", exports));
        }
        "garbage" => raw(socket, &[0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]),
        "oversized" => raw(socket, &(64u32 << 20).to_be_bytes()),
        "unknown-session" => send(socket, codec, output(id + 1000)),
        "duplicate-result" => {
            send(socket, codec, result("", None));
            send(socket, codec, result("", None));
        }
        "bad-error-code" => send(socket, codec, result("ERR_MADE_UP", None)),
        "bad-exports" => send(socket, codec, result("", Some("{not json".into()))),
        "replay" => {
            let bytes = replay.and_then(|path| std::fs::read(path).ok()).unwrap_or_default();
            raw(socket, &bytes);
        }
        other => eprintln!("fake worker: unknown mode {other:?}"),
    }
}

fn next(
    socket: &mut UnixStream,
    codec: &mut Codec,
    buffer: &mut BytesMut,
) -> Option<v1::HostMessage> {
    loop {
        if let Ok(Some(message)) = codec.decode(buffer) {
            return Some(message);
        }
        let mut chunk = [0u8; 4096];
        match socket.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

fn send(socket: &mut UnixStream, codec: &mut Codec, kind: worker_message::Kind) {
    let mut out = BytesMut::new();
    if codec.encode(v1::WorkerMessage { kind: Some(kind) }, &mut out).is_ok() {
        let _ = socket.write_all(&out);
    }
}

fn raw(socket: &mut UnixStream, bytes: &[u8]) {
    let _ = socket.write_all(bytes);
}
