//! Starting a worker: socketpair, fork/exec with the child's end as fd 3, and the handshake.
//!
//! Runs on the driver thread (see `driver`), so the parent-death signal set in the child is
//! tied to a thread that lives as long as the host.

use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use secure_exec_proto::v1::{self, host_message, worker_message};
use secure_exec_proto::{FrameCodec, limits, version};
use tokio::io::AsyncReadExt;
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio_util::codec::{FramedRead, FramedWrite};

use super::WorkerInfo;
use super::exit::{describe_exit, reap};
use crate::{Error, V8RuntimeOptions};

/// The descriptor number the worker finds its socket at.
const WORKER_FD: RawFd = 3;
/// Bytes of the worker's stderr kept for crash reports.
const STDERR_TAIL: usize = 8 * 1024;

/// How long a worker that failed the handshake gets to finish writing to stderr.
const HANDSHAKE_STDERR_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

pub(crate) type HostCodec = FrameCodec<v1::WorkerMessage, v1::HostMessage>;

/// A worker that completed the handshake.
pub(crate) struct Spawned {
    pub(crate) child: Child,
    pub(crate) reader: FramedRead<OwnedReadHalf, HostCodec>,
    pub(crate) writer: FramedWrite<OwnedWriteHalf, HostCodec>,
    pub(crate) info: WorkerInfo,
    pub(crate) stderr: StderrTail,
}

/// The last bytes the worker wrote to stderr, and whether it has closed it.
#[derive(Debug, Clone)]
pub(crate) struct StderrTail {
    bytes: Arc<Mutex<Vec<u8>>>,
    closed: watch::Receiver<bool>,
}

impl StderrTail {
    fn collect(mut stderr: tokio::process::ChildStderr) -> Self {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let (closed_tx, closed) = watch::channel(false);
        let sink = Arc::clone(&bytes);
        tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = stderr.read(&mut chunk).await {
                let mut tail = sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                tail.extend_from_slice(&chunk[..n]);
                if tail.len() > STDERR_TAIL {
                    let excess = tail.len() - STDERR_TAIL;
                    tail.drain(..excess);
                }
            }
            let _ = closed_tx.send(true);
        });
        Self { bytes, closed }
    }

    /// The tail as text, after waiting (briefly) for the worker to close stderr, so that the
    /// last words of a dying worker are not lost to a race.
    pub(crate) async fn text(&self, wait: std::time::Duration) -> String {
        let mut closed = self.closed.clone();
        let _ = tokio::time::timeout(wait, closed.wait_for(|closed| *closed)).await;
        let bytes = self.bytes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).trim().to_owned()
    }
}

/// Starts the worker and completes the handshake, or cleans up and explains why not.
pub(crate) async fn spawn(path: PathBuf, options: &V8RuntimeOptions) -> Result<Spawned, Error> {
    let spawn_error = |source| Error::Spawn { path: path.clone(), source };
    let (host_end, worker_end) = std::os::unix::net::UnixStream::pair().map_err(spawn_error)?;
    let mut command = command(&path, worker_end.as_raw_fd(), options);
    let mut child = command.spawn().map_err(spawn_error)?;
    // The child has its copy; ours must go so that the worker's exit reads as end-of-file.
    drop(worker_end);
    drop(command);

    let Some(stderr) = child.stderr.take() else {
        return Err(spawn_error(std::io::Error::other("stderr was not captured")));
    };
    let stderr = StderrTail::collect(stderr);
    tracing::debug!(path = %path.display(), pid = child.id(), "worker started, handshake next");
    match handshake(&mut child, host_end, &path, options, &stderr).await {
        Ok((reader, writer, info)) => {
            tracing::info!(
                pid = info.pid,
                path = %path.display(),
                v8 = %info.v8_version,
                max_frame_len = info.max_frame_len,
                "worker ready"
            );
            Ok(Spawned { child, reader, writer, info, stderr })
        }
        Err(err) => {
            tracing::warn!(path = %path.display(), error = %err, "worker handshake failed");
            reap(&mut child, std::time::Duration::ZERO).await;
            Err(err)
        }
    }
}

fn command(path: &Path, worker_fd: RawFd, options: &V8RuntimeOptions) -> Command {
    let mut command = Command::new(path);
    command.arg("--fd").arg(WORKER_FD.to_string());
    if !options.seccomp {
        command.arg("--no-seccomp");
    }
    if let Some(mb) = options.address_space_limit_mb {
        command.arg("--rlimit-as").arg((mb * 1024 * 1024).to_string());
    }
    if let Some(seconds) = options.cpu_seconds_limit {
        command.arg("--rlimit-cpu").arg(seconds.to_string());
    }
    command
        // The worker gets nothing of the host's environment.
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // SAFETY: getpid is async-signal-safe and called before fork.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe calls (dup2, fcntl, prctl, getppid, setpgid); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if worker_fd == WORKER_FD {
                // dup2 onto itself keeps close-on-exec; clear it explicitly.
                if libc::fcntl(WORKER_FD, libc::F_SETFD, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(worker_fd, WORKER_FD) != WORKER_FD {
                return Err(std::io::Error::last_os_error());
            }
            // The worker dies with the host, even on SIGKILL of the host.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The host may have died between fork and prctl; then nobody would signal us.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            // Its own process group: a signal to the host's group (Ctrl-C) does not reach
            // workers behind the host's back; the host ends them in order.
            if libc::setpgid(0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

type Framed =
    (FramedRead<OwnedReadHalf, HostCodec>, FramedWrite<OwnedWriteHalf, HostCodec>, WorkerInfo);

async fn handshake(
    child: &mut Child,
    socket: std::os::unix::net::UnixStream,
    path: &Path,
    options: &V8RuntimeOptions,
    stderr: &StderrTail,
) -> Result<Framed, Error> {
    let fail = |reason: String| Error::Handshake { path: path.to_path_buf(), reason };
    socket.set_nonblocking(true).map_err(|err| fail(format!("socket: {err}")))?;
    let socket = UnixStream::from_std(socket).map_err(|err| fail(format!("socket: {err}")))?;
    let (read_half, write_half) = socket.into_split();
    let mut reader = FramedRead::new(read_half, HostCodec::new(options.max_frame_len));
    let mut writer = FramedWrite::new(write_half, HostCodec::new(options.max_frame_len));

    let hello = v1::HostMessage {
        kind: Some(host_message::Kind::Hello(v1::Hello {
            protocol_version: version::CURRENT,
            host_version: env!("CARGO_PKG_VERSION").to_owned(),
            max_sessions: u32::try_from(options.max_sessions).unwrap_or(u32::MAX),
            max_frame_len: options.max_frame_len as u64,
        })),
    };
    if let Err(err) = writer.send(hello).await {
        return Err(fail(dying_words(child, stderr, format!("cannot send Hello: {err}")).await));
    }

    let first = tokio::select! {
        frame = tokio::time::timeout(options.handshake_timeout, reader.next()) => frame,
        status = child.wait() => {
            let status = match status {
                Ok(status) => describe_exit(status),
                Err(err) => format!("could not be waited for: {err}"),
            };
            let tail = stderr.text(HANDSHAKE_STDERR_WAIT).await;
            return Err(fail(with_stderr(format!("worker {status} before answering Hello"), &tail)));
        }
    };
    let ack = match first {
        Ok(Some(Ok(v1::WorkerMessage { kind: Some(worker_message::Kind::HelloAck(ack)) }))) => ack,
        Ok(Some(Ok(other))) => return Err(fail(format!("expected HelloAck, got {other:?}"))),
        Ok(Some(Err(err))) => {
            return Err(fail(dying_words(child, stderr, format!("bad frame: {err}")).await));
        }
        Ok(None) => {
            let reason = "worker closed the connection".to_owned();
            return Err(fail(dying_words(child, stderr, reason).await));
        }
        Err(_) => {
            return Err(fail(format!("no answer within {:?}", options.handshake_timeout)));
        }
    };
    if !version::is_compatible(ack.protocol_version) {
        return Err(Error::VersionMismatch {
            path: path.to_path_buf(),
            host: version::CURRENT,
            worker: ack.protocol_version,
            worker_version: ack.worker_version,
        });
    }
    if Some(ack.pid) != child.id() {
        return Err(fail(format!(
            "worker reports pid {} but the process started is {:?}",
            ack.pid,
            child.id()
        )));
    }
    // The worker answers with the limit both sides keep to; it may only lower ours.
    let agreed = usize::try_from(ack.max_frame_len).unwrap_or(usize::MAX);
    if !(limits::MIN_FRAME_LEN..=options.max_frame_len).contains(&agreed) {
        return Err(fail(format!(
            "worker proposes a frame limit of {} bytes; this host allows {} to {}",
            ack.max_frame_len,
            limits::MIN_FRAME_LEN,
            options.max_frame_len
        )));
    }
    reader.decoder_mut().set_max_frame_len(agreed);
    writer.encoder_mut().set_max_frame_len(agreed);
    let info = WorkerInfo {
        path: path.to_path_buf(),
        pid: ack.pid,
        worker_version: ack.worker_version,
        protocol_version: ack.protocol_version,
        v8_version: ack.v8_version,
        features: ack.features,
        max_frame_len: agreed,
    };
    Ok((reader, writer, info))
}

fn with_stderr(reason: String, tail: &str) -> String {
    if tail.is_empty() { reason } else { format!("{reason}; worker stderr: {tail}") }
}

/// `reason`, plus how the worker exited and what it wrote to stderr, if it is dying anyway.
async fn dying_words(child: &mut Child, stderr: &StderrTail, reason: String) -> String {
    let exited = match tokio::time::timeout(HANDSHAKE_STDERR_WAIT, child.wait()).await {
        Ok(Ok(status)) => format!("{reason}; worker {}", describe_exit(status)),
        _ => reason,
    };
    with_stderr(exited, &stderr.text(HANDSHAKE_STDERR_WAIT).await)
}
