//! The worker's end of the host connection: handshake, dispatch, and the frame writer.
//!
//! One task reads host messages in order and acts on each at once (nothing here blocks on a
//! session); session threads hand their output and results to a writer task through an
//! unbounded channel. The channel is bounded in practice: each session caps its output and
//! exports, and at most `max_sessions` sessions exist.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use secure_exec_proto::v1::{self, host_message, worker_message};
use secure_exec_proto::{FrameCodec, version};
use tokio::net::UnixStream;
use tokio::sync::mpsc;
use tokio_util::codec::{FramedRead, FramedWrite};

use crate::sessions::{Refusal, Sessions};
use crate::watchdog::Watchdog;

/// How long the host has to say `Hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long sessions get to wind down when the connection closes.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Sessions a worker runs at once when the host does not say.
const DEFAULT_MAX_SESSIONS: usize = 64;

type Codec = FrameCodec<v1::HostMessage, v1::WorkerMessage>;

fn message(kind: worker_message::Kind) -> v1::WorkerMessage {
    v1::WorkerMessage { kind: Some(kind) }
}

/// Serves the host until the connection closes or breaks, then ends every session.
pub(crate) async fn serve(socket: std::os::unix::net::UnixStream) -> anyhow::Result<()> {
    socket.set_nonblocking(true).context("cannot make the host socket non-blocking")?;
    let socket = UnixStream::from_std(socket).context("cannot register the host socket")?;
    let (read_half, write_half) = socket.into_split();
    let mut reader = FramedRead::new(read_half, Codec::default());
    let (sink, outbox) = mpsc::unbounded_channel::<v1::WorkerMessage>();
    let writer = tokio::spawn(write_frames(FramedWrite::new(write_half, Codec::default()), outbox));

    let hello = match tokio::time::timeout(HELLO_TIMEOUT, reader.next()).await {
        Ok(Some(Ok(v1::HostMessage { kind: Some(host_message::Kind::Hello(hello)) }))) => hello,
        Ok(Some(Ok(_))) => bail!("the host's first message was not Hello"),
        Ok(Some(Err(err))) => bail!("bad first frame from the host: {err}"),
        Ok(None) => return Ok(()),
        Err(_) => bail!("no Hello from the host within {HELLO_TIMEOUT:?}"),
    };
    let ack = v1::HelloAck {
        protocol_version: version::CURRENT,
        worker_version: env!("CARGO_PKG_VERSION").to_owned(),
        pid: std::process::id(),
        v8_version: v8::V8::get_version().to_owned(),
        features: crate::FEATURES.iter().map(|f| (*f).to_owned()).collect(),
    };
    let _ = sink.send(message(worker_message::Kind::HelloAck(ack)));
    if !version::is_compatible(hello.protocol_version) {
        drop(sink);
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, writer).await;
        bail!(
            "host speaks protocol {}, this worker speaks {}",
            hello.protocol_version,
            version::CURRENT
        );
    }

    let max_sessions = match usize::try_from(hello.max_sessions) {
        Ok(0) | Err(_) => DEFAULT_MAX_SESSIONS,
        Ok(n) => n,
    };
    let watchdog = Watchdog::start().context("cannot start the watchdog thread")?;
    let state = Dispatch { sessions: Sessions::new(max_sessions, sink.clone(), watchdog), sink };
    state.sessions.prewarm();

    let ending = loop {
        match reader.next().await {
            None => break Ok(()),
            Some(Err(err)) => break Err(anyhow::anyhow!("bad frame from the host: {err}")),
            Some(Ok(v1::HostMessage { kind: None })) => {
                break Err(anyhow::anyhow!(
                    "host sent a message of a kind this worker does not know"
                ));
            }
            Some(Ok(v1::HostMessage { kind: Some(kind) })) => match state.handle(kind) {
                Flow::Continue => {}
                Flow::Shutdown => break Ok(()),
                Flow::Violation(why) => {
                    let error = v1::ProtocolError { message: why.clone() };
                    let _ = state.sink.send(message(worker_message::Kind::ProtocolError(error)));
                    break Err(anyhow::anyhow!("protocol violation by the host: {why}"));
                }
            },
        }
    };

    // Whatever ended the connection, no session outlives it.
    let sessions = Arc::clone(&state.sessions);
    let stopped = tokio::task::spawn_blocking(move || sessions.shutdown(SHUTDOWN_GRACE))
        .await
        .unwrap_or(false);
    drop(state);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, writer).await;
    if !stopped {
        eprintln!("secure-exec-worker: sessions still running at shutdown; exiting anyway");
    }
    ending
}

enum Flow {
    Continue,
    Shutdown,
    Violation(String),
}

struct Dispatch {
    sessions: Arc<Sessions>,
    sink: mpsc::UnboundedSender<v1::WorkerMessage>,
}

impl Dispatch {
    fn handle(&self, kind: host_message::Kind) -> Flow {
        match kind {
            host_message::Kind::Hello(_) => return Flow::Violation("second Hello".into()),
            host_message::Kind::OpenSession(open) => self.open(open),
            host_message::Kind::Execute(execute) => {
                if let Err(why) = self.sessions.execute(execute) {
                    return Flow::Violation(why);
                }
            }
            host_message::Kind::CancelSession(cancel) => self.sessions.cancel(cancel.session_id),
            host_message::Kind::StatsRequest(request) => {
                let (active, total, heap_used, heap_total) = self.sessions.stats();
                let reply = v1::StatsReply {
                    request_id: request.request_id,
                    active_sessions: u32::try_from(active).unwrap_or(u32::MAX),
                    total_sessions: total,
                    heap_used_bytes: heap_used,
                    heap_total_bytes: heap_total,
                    threads: thread_count(),
                };
                let _ = self.sink.send(message(worker_message::Kind::StatsReply(reply)));
            }
            host_message::Kind::Ping(ping) => {
                let pong = v1::Pong { nonce: ping.nonce };
                let _ = self.sink.send(message(worker_message::Kind::Pong(pong)));
            }
            host_message::Kind::Shutdown(_) => return Flow::Shutdown,
        }
        Flow::Continue
    }

    fn open(&self, open: v1::OpenSession) {
        let id = open.session_id;
        let why = match self.sessions.open(open) {
            Ok(()) => return,
            Err(Refusal::Full) => format!(
                "the worker already runs its maximum of {} sessions",
                self.sessions.max_sessions()
            ),
            Err(Refusal::DuplicateId) => format!("session id {id} is already in use"),
        };
        let result = v1::SessionResult {
            session_id: id,
            code: 1,
            error_code: "ERR_SESSION_REFUSED".to_owned(),
            error_message: format!("ERR_SESSION_REFUSED: {why}"),
            ..Default::default()
        };
        let _ = self.sink.send(message(worker_message::Kind::SessionResult(result)));
    }
}

async fn write_frames(
    mut writer: FramedWrite<tokio::net::unix::OwnedWriteHalf, Codec>,
    mut outbox: mpsc::UnboundedReceiver<v1::WorkerMessage>,
) {
    let mut batch = Vec::with_capacity(64);
    while outbox.recv_many(&mut batch, 64).await > 0 {
        for message in batch.drain(..) {
            if let Err(err) = writer.feed(message).await {
                // An unwritable message (for example over the frame limit) would leave the
                // host waiting forever for what it describes; a broken socket means the host
                // is gone. Either way this worker can no longer keep its promises.
                eprintln!("secure-exec-worker: cannot send to the host: {err}");
                crate::exit_now(3);
            }
        }
        if writer.flush().await.is_err() {
            return;
        }
    }
}

fn thread_count() -> u32 {
    std::fs::read_dir("/proc/self/task").map(|dir| dir.count() as u32).unwrap_or(0)
}
