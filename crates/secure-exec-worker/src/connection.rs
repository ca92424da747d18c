//! The worker's end of the host connection: handshake, dispatch, and the frame writer.
//!
//! Plain blocking I/O on threads, no async runtime: the main thread reads host messages in
//! order and acts on each at once (nothing here waits on a session); a writer thread sends what
//! session threads queue. The queue is bounded in practice: each session caps its output and
//! exports, and at most `max_sessions` sessions exist. Keeping to threads also keeps the
//! worker's file descriptors to the socket and stdio alone.

use std::io::Write;
use std::os::fd::AsRawFd as _;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::{BufMut as _, BytesMut};
use secure_exec_proto::v1::{self, host_message, worker_message};
use secure_exec_proto::{DEFAULT_MAX_FRAME_LEN, FrameCodec, FrameError, errors, limits, version};
use tokio_util::codec::{Decoder, Encoder};

use crate::admission::{Admission, Refusal};
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

/// Least room a read from the socket is given.
const READ_CHUNK: usize = 64 * 1024;

/// Reads whole frames from the socket.
struct FrameReader {
    socket: Arc<UnixStream>,
    codec: Codec,
    buffer: BytesMut,
}

impl FrameReader {
    /// The next message; `Ok(None)` at a clean end-of-file.
    fn next(&mut self) -> Result<Option<v1::HostMessage>, FrameError> {
        loop {
            if let Some(message) = self.codec.decode(&mut self.buffer)? {
                return Ok(Some(message));
            }
            // Straight into the buffer, as much as the socket holds: the codec has reserved
            // room for the whole frame once its length was read, so a large reply is one
            // read, not a copy per 64 KiB and a reallocation per doubling.
            if self.buffer.capacity() - self.buffer.len() < READ_CHUNK {
                self.buffer.reserve(READ_CHUNK);
            }
            let spare = self.buffer.chunk_mut();
            // SAFETY: `spare` is writable memory of `spare.len()` bytes that the buffer owns;
            // read(2) writes at most that many bytes into it.
            let read = unsafe {
                libc::read(self.socket.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len())
            };
            let n = match usize::try_from(read) {
                Ok(n) => n,
                Err(_) => {
                    let err = std::io::Error::last_os_error();
                    if err.kind() == std::io::ErrorKind::Interrupted {
                        continue;
                    }
                    return Err(err.into());
                }
            };
            // SAFETY: read(2) initialised the first `n` bytes of the spare capacity.
            unsafe { self.buffer.advance_mut(n) };
            if n == 0 {
                return self.codec.decode_eof(&mut self.buffer);
            }
        }
    }
}

/// Serves the host until the connection closes or breaks, then ends every session.
pub(crate) fn serve(socket: UnixStream, watchdog: Watchdog) -> anyhow::Result<()> {
    // One descriptor shared by the reading and the writing thread (no dup: the worker's open
    // files stay the socket and stdio).
    let socket = Arc::new(socket);
    let writer_socket = Arc::clone(&socket);
    let mut reader = FrameReader { socket, codec: Codec::default(), buffer: BytesMut::new() };

    reader.socket.set_read_timeout(Some(HELLO_TIMEOUT)).context("cannot set a read timeout")?;
    let hello = match reader.next() {
        Ok(Some(v1::HostMessage { kind: Some(host_message::Kind::Hello(hello)) })) => hello,
        Ok(Some(_)) => bail!("the host's first message was not Hello"),
        Ok(None) => return Ok(()),
        Err(FrameError::Io(err))
            if matches!(
                err.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            bail!("no Hello from the host within {HELLO_TIMEOUT:?}")
        }
        Err(err) => bail!("bad first frame from the host: {err}"),
    };
    reader.socket.set_read_timeout(None).context("cannot clear the read timeout")?;
    // From here on neither side sends a frame larger than the smaller of both limits.
    let frame_len = limits::agree_frame_len(hello.max_frame_len, DEFAULT_MAX_FRAME_LEN);
    reader.codec.set_max_frame_len(frame_len);

    let (sink, outbox) = mpsc::channel::<v1::WorkerMessage>();
    let (written, writer_done) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("writer".into())
        .spawn(move || {
            let _live = crate::threads::enter();
            write_frames(writer_socket, &outbox, frame_len);
            let _ = written.send(());
        })
        .context("cannot start the writer thread")?;
    let ack = v1::HelloAck {
        protocol_version: version::CURRENT,
        worker_version: env!("CARGO_PKG_VERSION").to_owned(),
        pid: std::process::id(),
        v8_version: v8::V8::get_version().to_owned(),
        features: crate::FEATURES.iter().map(|f| (*f).to_owned()).collect(),
        max_frame_len: frame_len as u64,
    };
    let _ = sink.send(message(worker_message::Kind::HelloAck(ack)));
    if !version::is_compatible(hello.protocol_version) {
        drop(sink);
        let _ = writer_done.recv_timeout(SHUTDOWN_GRACE);
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
    let dispatch = Dispatch {
        sessions: Admission::new(max_sessions, frame_len, sink.clone(), watchdog),
        sink,
    };
    dispatch.sessions.prewarm();

    let ending = loop {
        match reader.next() {
            Ok(None) => break Ok(()),
            Err(err) => break Err(anyhow::anyhow!("bad frame from the host: {err}")),
            Ok(Some(v1::HostMessage { kind: None })) => {
                break Err(anyhow::anyhow!(
                    "host sent a message of a kind this worker does not know"
                ));
            }
            Ok(Some(v1::HostMessage { kind: Some(kind) })) => match dispatch.handle(kind) {
                Flow::Continue => {}
                Flow::Shutdown => break Ok(()),
                Flow::Violation(why) => {
                    let error = v1::ProtocolError { message: why.clone() };
                    let _ = dispatch.sink.send(message(worker_message::Kind::ProtocolError(error)));
                    break Err(anyhow::anyhow!("protocol violation by the host: {why}"));
                }
            },
        }
    };

    // Whatever ended the connection, no session outlives it.
    let stopped = dispatch.sessions.shutdown(SHUTDOWN_GRACE);
    drop(dispatch);
    let _ = writer_done.recv_timeout(SHUTDOWN_GRACE);
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
    sessions: Arc<Admission>,
    sink: mpsc::Sender<v1::WorkerMessage>,
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
            host_message::Kind::HostReply(reply) => self.sessions.reply(reply),
            host_message::Kind::StatsRequest(request) => {
                let (active, total, heap_used, heap_total) = self.sessions.stats();
                let reply = v1::StatsReply {
                    request_id: request.request_id,
                    active_sessions: u32::try_from(active).unwrap_or(u32::MAX),
                    total_sessions: total,
                    heap_used_bytes: heap_used,
                    heap_total_bytes: heap_total,
                    threads: crate::threads::count(),
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
            error_code: errors::SESSION_REFUSED.to_owned(),
            error_message: format!("{}: {why}", errors::SESSION_REFUSED),
            ..Default::default()
        };
        let _ = self.sink.send(message(worker_message::Kind::SessionResult(result)));
    }
}

/// Writes frames until every sender is gone, batching what is queued into one write.
fn write_frames(
    socket: Arc<UnixStream>,
    outbox: &mpsc::Receiver<v1::WorkerMessage>,
    frame_len: usize,
) {
    let mut codec = Codec::new(frame_len);
    let mut buffer = BytesMut::with_capacity(64 * 1024);
    while let Ok(first) = outbox.recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            encode_bounded(&mut codec, message, &mut buffer);
            next = if buffer.len() < 256 * 1024 { outbox.try_recv().ok() } else { None };
        }
        if (&*socket).write_all(&buffer).is_err() {
            // The host is gone; the reader sees end-of-file and shuts the worker down.
            return;
        }
        buffer.clear();
    }
}

/// Encodes `outgoing`. Everything a session sends is bounded before it gets here (output in
/// chunks, capped error messages and exports), so a message over the frame limit is a bug in
/// those bounds; it must still not end the worker, which serves other sessions: a result is
/// replaced by a short `ERR_INTERNAL` one (the host must hear that the session ended), anything
/// else is dropped with a note on stderr.
fn encode_bounded(codec: &mut Codec, outgoing: v1::WorkerMessage, buffer: &mut BytesMut) {
    let mark = buffer.len();
    let replacement = match &outgoing.kind {
        Some(worker_message::Kind::SessionResult(result)) => Some(v1::SessionResult {
            session_id: result.session_id,
            code: 1,
            error_code: errors::INTERNAL.to_owned(),
            error_message: format!(
                "{}: the session's result was larger than the {} byte frame limit",
                errors::INTERNAL,
                codec.max_frame_len()
            ),
            ..Default::default()
        }),
        _ => None,
    };
    let Err(err) = codec.encode(outgoing, buffer) else { return };
    buffer.truncate(mark);
    eprintln!("secure-exec-worker: dropped a message for the host: {err}");
    if let Some(result) = replacement {
        let result = message(worker_message::Kind::SessionResult(result));
        let _ = codec.encode(result, buffer).inspect_err(|_| buffer.truncate(mark));
    }
}
