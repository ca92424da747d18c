//! The connection actor: one task per worker that owns its socket, its child process and its
//! table of sessions in flight.
//!
//! Everything that touches a worker goes through here as a [`Command`], and everything the
//! worker says is checked here: a message that breaks the protocol (garbage, a session it was
//! never given, a second result) ends the worker as surely as a crash. When the actor ends,
//! for whatever reason, it reaps the child, marks the process crashed or disposed, closes the
//! session budget, and completes every session still in flight with `ERR_V8_PROCESS_CRASH`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use secure_exec_proto::v1::{self, host_message, worker_message};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::process::Child;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{FramedRead, FramedWrite};

use super::exit::{describe_exit, reap, terminate};
use super::spawn::{HostCodec, Spawned, StderrTail};
use super::{Process, ProcessState};
use crate::ErrorCode;
use crate::options::{OutputCallback, OutputStream};
use crate::result::{Report, SessionMetrics};

/// The request id of heartbeat stats requests (`stats()` calls count up from 1).
const HEARTBEAT_REQUEST: u64 = 0;
/// How long a worker whose socket closed gets to finish dying before it is killed.
const EXIT_PATIENCE: Duration = Duration::from_millis(100);
/// How long to wait for a dying worker's last stderr bytes.
const STDERR_PATIENCE: Duration = Duration::from_millis(100);
/// Slack over the output cap for the worker's truncation marker.
const MARKER_SLACK: usize = 256;

/// Requests to the actor.
pub(crate) enum Command {
    /// Start a session: send `OpenSession` and `Execute`, then route its output and result.
    Open(Box<Open>),
    /// The caller went away; ask the worker to stop the session.
    Cancel(u64),
    /// Live figures from the worker.
    Stats(oneshot::Sender<v1::StatsReply>),
    /// End the worker (SIGTERM, grace, SIGKILL) and report when it is reaped.
    Dispose(Option<oneshot::Sender<()>>),
}

/// What `Command::Open` carries.
pub(crate) struct Open {
    pub(crate) open: v1::OpenSession,
    pub(crate) execute: v1::Execute,
    pub(crate) session: Session,
}

/// A session in flight, as the actor tracks it.
pub(crate) struct Session {
    pub(crate) done: oneshot::Sender<Report>,
    pub(crate) on_output: Option<OutputCallback>,
    pub(crate) max_output: u64,
    pub(crate) timeout: Duration,
}

struct InFlight {
    session: Session,
    stdout: String,
    stderr: String,
    deadline: Instant,
}

/// Why the actor stopped serving.
enum End {
    /// `dispose()` or the last handle was dropped.
    Disposed(Vec<oneshot::Sender<()>>),
    /// The worker exited or closed the socket: it is dying, give it a moment to finish.
    Died(String),
    /// The worker broke the protocol or stopped answering: kill it at once.
    Untrusted(String),
}

pub(crate) fn start(
    process: Arc<Process>,
    spawned: Spawned,
    commands: mpsc::UnboundedReceiver<Command>,
) {
    let Spawned { child, reader, writer, info: _, stderr } = spawned;
    let (outbox, writer_inbox) = mpsc::unbounded_channel();
    let writer = tokio::spawn(write_frames(writer, writer_inbox));
    let actor = Actor {
        process,
        outbox,
        sessions: HashMap::new(),
        stats: HashMap::new(),
        next_request: 0,
        last_heard: Instant::now(),
    };
    tokio::spawn(actor.run(child, reader, writer, commands, stderr));
}

struct Actor {
    process: Arc<Process>,
    outbox: mpsc::UnboundedSender<v1::HostMessage>,
    sessions: HashMap<u64, InFlight>,
    stats: HashMap<u64, oneshot::Sender<v1::StatsReply>>,
    next_request: u64,
    last_heard: Instant,
}

impl Actor {
    async fn run(
        mut self,
        mut child: Child,
        mut reader: FramedRead<OwnedReadHalf, HostCodec>,
        mut writer: tokio::task::JoinHandle<String>,
        mut commands: mpsc::UnboundedReceiver<Command>,
        stderr: StderrTail,
    ) {
        let options = self.process.options.clone();
        let mut heartbeat = tokio::time::interval(options.heartbeat_interval);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let end = loop {
            tokio::select! {
                frame = reader.next() => match frame {
                    Some(Ok(message)) => {
                        self.last_heard = Instant::now();
                        if let Err(violation) = self.on_message(message) {
                            break End::Untrusted(format!("broke the protocol: {violation}"));
                        }
                    }
                    Some(Err(err)) => break End::Untrusted(format!("sent a bad frame: {err}")),
                    None => break End::Died("closed the connection".into()),
                },
                command = commands.recv() => match command {
                    Some(Command::Dispose(done)) => break End::Disposed(done.into_iter().collect()),
                    Some(command) => self.on_command(command),
                    // Every handle is gone (only possible once the process is dropped).
                    None => break End::Disposed(Vec::new()),
                },
                failure = &mut writer => {
                    break End::Died(match failure {
                        Ok(why) => why,
                        Err(err) => format!("lost its writer task: {err}"),
                    });
                }
                status = child.wait() => {
                    break End::Died(match status {
                        Ok(status) => describe_exit(status),
                        Err(err) => format!("could not be waited for: {err}"),
                    });
                }
                _ = heartbeat.tick() => {
                    if let Some(why) = self.overdue(&options) {
                        break End::Untrusted(why);
                    }
                    // The heartbeat asks for figures: any answer proves liveness, and
                    // `last_stats()` stays fresh without a round trip.
                    self.send(host_message::Kind::StatsRequest(v1::StatsRequest {
                        request_id: HEARTBEAT_REQUEST,
                    }));
                }
            }
        };
        writer.abort();
        self.finish(end, child, commands, stderr).await;
    }

    fn send(&self, kind: host_message::Kind) {
        // The writer only goes away once the socket is broken, which the reader reports too.
        let _ = self.outbox.send(v1::HostMessage { kind: Some(kind) });
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Open(request) => {
                let Open { open, execute, session } = *request;
                let id = open.session_id;
                let deadline = Instant::now() + session.timeout + self.process.options.result_grace;
                self.sessions.insert(
                    id,
                    InFlight { session, stdout: String::new(), stderr: String::new(), deadline },
                );
                self.send(host_message::Kind::OpenSession(open));
                self.send(host_message::Kind::Execute(execute));
            }
            Command::Cancel(id) => {
                if self.sessions.contains_key(&id) {
                    self.send(host_message::Kind::CancelSession(v1::CancelSession {
                        session_id: id,
                    }));
                }
            }
            Command::Stats(reply) => {
                self.next_request += 1;
                self.stats.insert(self.next_request, reply);
                self.send(host_message::Kind::StatsRequest(v1::StatsRequest {
                    request_id: self.next_request,
                }));
            }
            Command::Dispose(_) => {}
        }
    }

    /// Checks a worker message and acts on it. `Err` means the worker cannot be trusted.
    fn on_message(&mut self, message: v1::WorkerMessage) -> Result<(), String> {
        match message.kind {
            None => Err("a message of unknown kind".into()),
            Some(worker_message::Kind::HelloAck(_)) => Err("a second HelloAck".into()),
            Some(worker_message::Kind::Pong(_)) => Ok(()),
            Some(worker_message::Kind::ProtocolError(error)) => {
                Err(format!("the worker reported a protocol error: {}", error.message))
            }
            Some(worker_message::Kind::Output(output)) => self.on_output(output),
            Some(worker_message::Kind::SessionResult(result)) => self.on_result(result),
            Some(worker_message::Kind::StatsReply(reply)) => {
                self.process.record_stats(&reply);
                if reply.request_id != HEARTBEAT_REQUEST {
                    let waiter = self.stats.remove(&reply.request_id).ok_or_else(|| {
                        format!("stats reply {} nobody asked for", reply.request_id)
                    })?;
                    let _ = waiter.send(reply);
                }
                Ok(())
            }
        }
    }

    fn on_output(&mut self, output: v1::Output) -> Result<(), String> {
        let flight = self
            .sessions
            .get_mut(&output.session_id)
            .ok_or_else(|| format!("output for unknown session {}", output.session_id))?;
        let (stream, buffer) = match v1::Stream::try_from(output.stream) {
            Ok(v1::Stream::Stdout) => (OutputStream::Stdout, &mut flight.stdout),
            Ok(v1::Stream::Stderr) => (OutputStream::Stderr, &mut flight.stderr),
            _ => return Err(format!("output on unknown stream {}", output.stream)),
        };
        // The worker caps output itself; the host holds it to the same cap in case it does not.
        let cap = usize::try_from(flight.session.max_output).unwrap_or(usize::MAX);
        let room = cap.saturating_add(MARKER_SLACK).saturating_sub(buffer.len());
        let mut text = output.text;
        if text.len() > room {
            let mut end = room;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
        }
        if text.is_empty() {
            return Ok(());
        }
        buffer.push_str(&text);
        if let Some(callback) = &flight.session.on_output {
            callback(stream, &text);
        }
        Ok(())
    }

    fn on_result(&mut self, result: v1::SessionResult) -> Result<(), String> {
        // Checked while the session is still in the table, so that if the result is bad the
        // session fails with the reason, like every other session of this worker.
        if !self.sessions.contains_key(&result.session_id) {
            return Err(format!("a result for unknown session {}", result.session_id));
        }
        let error_code = match result.error_code.as_str() {
            "" => None,
            code => Some(
                ErrorCode::from_worker(code)
                    .ok_or_else(|| format!("unknown error code {code:?}"))?,
            ),
        };
        let error_message = error_code.map(|code| {
            let prefix = code.as_str();
            if result.error_message.starts_with(prefix) {
                result.error_message.clone()
            } else {
                format!("{prefix}: {}", result.error_message)
            }
        });
        let exports = match result.exports_json {
            None => None,
            Some(json) => Some(
                serde_json::from_str(&json)
                    .map_err(|err| format!("exports are not JSON: {err}"))?,
            ),
        };
        let Some(flight) = self.sessions.remove(&result.session_id) else {
            return Err(format!("a result for unknown session {}", result.session_id));
        };
        let report = Report {
            code: result.code,
            error_code,
            error_message,
            stdout: flight.stdout,
            stderr: flight.stderr,
            exports,
            metrics: SessionMetrics {
                cpu_time: Duration::from_micros(result.cpu_time_us),
                heap_used_bytes: result.heap_used_bytes,
                wall_time: Duration::ZERO,
            },
        };
        let _ = flight.session.done.send(report);
        Ok(())
    }

    /// Why the worker must be given up on, if it must: silent past the heartbeat timeout, or
    /// holding a session far past its deadline.
    fn overdue(&self, options: &crate::V8RuntimeOptions) -> Option<String> {
        let silent = self.last_heard.elapsed();
        if silent > options.heartbeat_timeout {
            return Some(format!("stopped answering (silent for {} ms)", silent.as_millis()));
        }
        let now = Instant::now();
        self.sessions.iter().find(|(_, flight)| now > flight.deadline).map(|(id, flight)| {
            format!(
                "did not end session {id} within {} ms of its {} ms timeout",
                options.result_grace.as_millis(),
                flight.session.timeout.as_millis()
            )
        })
    }

    async fn finish(
        mut self,
        end: End,
        mut child: Child,
        mut commands: mpsc::UnboundedReceiver<Command>,
        stderr: StderrTail,
    ) {
        let pid = self.process.pid;
        let (state, message, waiters) = match end {
            End::Disposed(waiters) => {
                // Refuse new sessions before the slow part.
                self.process.set_state(ProcessState::Disposed);
                self.process.budget.close();
                let status = terminate(&mut child, self.process.options.dispose_grace).await;
                let how = status.map_or_else(|| "could not be reaped".to_owned(), describe_exit);
                (
                    ProcessState::Disposed,
                    format!("V8 worker process {pid} was disposed ({how})"),
                    waiters,
                )
            }
            End::Died(why) => Self::crashed(pid, &mut child, &stderr, why, EXIT_PATIENCE).await,
            End::Untrusted(why) => {
                Self::crashed(pid, &mut child, &stderr, why, Duration::ZERO).await
            }
        };
        self.process.set_state(state);
        self.process.budget.close();
        for (_, flight) in self.sessions.drain() {
            let mut report = Report::failed(1, ErrorCode::V8ProcessCrash, &message);
            report.stdout = flight.stdout;
            report.stderr = flight.stderr;
            let _ = flight.session.done.send(report);
        }
        self.stats.clear();
        // Sessions that raced the end into the command queue fail the same way.
        commands.close();
        while let Ok(command) = commands.try_recv() {
            match command {
                Command::Open(request) => {
                    let report = Report::failed(1, ErrorCode::V8ProcessCrash, &message);
                    let _ = request.session.done.send(report);
                }
                Command::Dispose(Some(done)) => {
                    let _ = done.send(());
                }
                Command::Cancel(_) | Command::Stats(_) | Command::Dispose(None) => {}
            }
        }
        for waiter in waiters {
            let _ = waiter.send(());
        }
    }
}

impl Actor {
    /// Reaps a worker that died (`patience` for it to finish dying) or is given up on (no
    /// patience: killed at once), and says what happened, with its last stderr words.
    async fn crashed(
        pid: u32,
        child: &mut Child,
        stderr: &StderrTail,
        why: String,
        patience: Duration,
    ) -> (ProcessState, String, Vec<oneshot::Sender<()>>) {
        let status = reap(child, patience).await;
        let tail = stderr.text(STDERR_PATIENCE).await;
        let (exit_code, signal) = status.map_or((None, None), |status| {
            use std::os::unix::process::ExitStatusExt;
            (status.code(), status.signal())
        });
        let mut reason = match status.map(describe_exit) {
            // When the process died, that is the story; how the socket noticed is not.
            Some(exited) if !patience.is_zero() => exited,
            Some(exited) => format!("{why}; it was killed ({exited})"),
            None => why,
        };
        if !tail.is_empty() {
            reason = format!("{reason}; worker stderr: {tail}");
        }
        let message = format!("V8 worker process {pid} {reason}");
        (ProcessState::Crashed { exit_code, signal, reason: message.clone() }, message, Vec::new())
    }
}

/// Writes frames until the socket fails; returns why. Batches what is queued into one flush.
async fn write_frames(
    mut writer: FramedWrite<OwnedWriteHalf, HostCodec>,
    mut inbox: mpsc::UnboundedReceiver<v1::HostMessage>,
) -> String {
    let mut batch = Vec::with_capacity(64);
    while inbox.recv_many(&mut batch, 64).await > 0 {
        for message in batch.drain(..) {
            if let Err(err) = writer.feed(message).await {
                return format!("could not be written to: {err}");
            }
        }
        if let Err(err) = writer.flush().await {
            return format!("could not be written to: {err}");
        }
    }
    // Only reached when the actor dropped its sender, i.e. it has already ended.
    std::future::pending().await
}
