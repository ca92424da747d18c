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

use super::delivery::Delivery;
use super::exit::{describe_exit, reap, terminate};
use super::host_calls::CallQueue;
use super::spawn::{HostCodec, Spawned, StderrTail};
use super::{Process, ProcessState};
use crate::ErrorCode;
use crate::options::{OutputCallback, OutputStream};
use crate::result::{Report, SessionMetrics};
use crate::world::SessionWorld;

/// The request id of heartbeat stats requests (`stats()` calls count up from 1).
const HEARTBEAT_REQUEST: u64 = 0;
/// How long a worker whose socket closed gets to finish dying before it is killed.
const EXIT_PATIENCE: Duration = Duration::from_millis(100);
/// How long to wait for a dying worker's last stderr bytes.
const STDERR_PATIENCE: Duration = Duration::from_millis(100);
/// Slack over the output cap for the worker's truncation marker.
const MARKER_SLACK: usize = 256;

fn take_waiters(
    disposing: &mut Option<(Vec<oneshot::Sender<()>>, tokio::time::Instant)>,
) -> Vec<oneshot::Sender<()>> {
    disposing.take().map(|(waiters, _)| waiters).unwrap_or_default()
}

/// Requests to the actor.
pub(crate) enum Command {
    /// Start a session: send `OpenSession` and `Execute`, then route its output and result.
    Open(Box<Open>),
    /// The caller went away; ask the worker to stop the session.
    Cancel(u64),
    /// The session's output callback panicked; stop the session.
    CallbackPanicked(u64),
    /// Live figures from the worker.
    Stats(oneshot::Sender<v1::StatsReply>),
    /// End the worker (`Shutdown`, then SIGTERM, grace, SIGKILL) and report when it is reaped.
    Dispose(Option<oneshot::Sender<()>>),
    /// Unit tests: make the actor panic, as a bug in it would.
    #[cfg(test)]
    Panic,
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
    pub(crate) world: Arc<SessionWorld>,
}

struct InFlight {
    done: oneshot::Sender<Report>,
    /// Where the embedder's callback is called, if it gave one.
    delivery: Option<Delivery>,
    max_output: u64,
    timeout: Duration,
    stdout: String,
    stderr: String,
    deadline: Instant,
    /// The session's host calls (and its world).
    calls: Calls,
}

/// A session's host calls, ended however the session leaves the actor: its result, a crash,
/// or the actor itself going away (its open network requests are cancelled then too).
struct Calls(Arc<CallQueue>);

impl Drop for Calls {
    fn drop(&mut self) {
        self.0.end();
    }
}

impl InFlight {
    /// Reports the session's end, after its output if a callback is still receiving it.
    fn complete(self, mut report: Report) {
        self.calls.0.end();
        report.stdout = self.stdout;
        report.stderr = self.stderr;
        match self.delivery {
            Some(delivery) => delivery.finish(report, self.done),
            None => {
                let _ = self.done.send(report);
            }
        }
    }
}

/// Marks the process crashed if the actor's task ends without running `finish` (a panic in
/// the actor, or the driver runtime dropping the task): its sessions' report channels close,
/// which they report as a crash; the budget closes, so queued sessions fail at once; and the
/// registry, seeing the state, replaces the process. The child was started with
/// `kill_on_drop`, so dropping it kills it, and the runtime reaps it.
struct EndGuard {
    process: Arc<Process>,
    armed: bool,
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        if self.armed {
            let reason = format!(
                "V8 worker process {} lost its connection task on the host, which ended \
                 unexpectedly; the worker was killed",
                self.process.pid
            );
            tracing::error!(pid = self.process.pid, "connection task ended unexpectedly");
            self.process.set_state(ProcessState::Crashed { exit_code: None, signal: None, reason });
            self.process.budget.close();
        }
    }
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
    let guard = EndGuard { process: Arc::clone(&process), armed: true };
    let actor = Actor {
        process,
        outbox,
        sessions: HashMap::new(),
        stats: HashMap::new(),
        next_request: 0,
        last_heard: Instant::now(),
    };
    tokio::spawn(actor.run(child, reader, writer, commands, stderr, guard));
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
        mut guard: EndGuard,
    ) {
        let options = self.process.options.clone();
        let mut heartbeat = tokio::time::interval(options.heartbeat_interval);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Set by `dispose`: the worker was asked to shut down; whoever waits for the end, and
        // until when the worker gets to end its sessions and exit on its own.
        let mut disposing: Option<(Vec<oneshot::Sender<()>>, tokio::time::Instant)> = None;
        let end = loop {
            let shutdown_over = async {
                match &disposing {
                    Some((_, deadline)) => tokio::time::sleep_until(*deadline).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                frame = reader.next() => match frame {
                    Some(Ok(message)) => {
                        self.last_heard = Instant::now();
                        if let Err(violation) = self.on_message(message) {
                            break End::Untrusted(format!("broke the protocol: {violation}"));
                        }
                    }
                    Some(Err(err)) => break End::Untrusted(format!("sent a bad frame: {err}")),
                    None if disposing.is_some() => break End::Disposed(take_waiters(&mut disposing)),
                    None => break End::Died("closed the connection".into()),
                },
                command = commands.recv() => match command {
                    Some(Command::Dispose(done)) => match &mut disposing {
                        Some((waiters, _)) => waiters.extend(done),
                        None => {
                            // Refuse new sessions at once, then ask the worker to end the
                            // running ones (they get their results) and exit.
                            tracing::debug!(pid = self.process.pid, "disposing: asking the worker to shut down");
                            self.process.set_state(ProcessState::Disposed);
                            self.process.budget.close();
                            self.send(host_message::Kind::Shutdown(v1::Shutdown {}));
                            let deadline = tokio::time::Instant::now() + options.dispose_grace;
                            disposing = Some((done.into_iter().collect(), deadline));
                        }
                    },
                    Some(command) => self.on_command(command),
                    // Every handle is gone (only possible once the process is dropped).
                    None => break End::Disposed(take_waiters(&mut disposing)),
                },
                () = shutdown_over => break End::Disposed(take_waiters(&mut disposing)),
                failure = &mut writer => {
                    break End::Died(match failure {
                        Ok(why) => why,
                        Err(err) => format!("lost its writer task: {err}"),
                    });
                }
                status = child.wait(), if disposing.is_none() => {
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
        let end = match end {
            // A worker that exited, or stopped reading (it is shutting down), may still have
            // results on the way: read what it sent before failing its sessions.
            End::Died(why) => match self.drain(&mut reader, options.dispose_grace, why).await {
                // Ending while it was being disposed is what was asked of it.
                End::Died(_) if disposing.is_some() => End::Disposed(take_waiters(&mut disposing)),
                end => end,
            },
            end => end,
        };
        self.finish(end, child, commands, stderr).await;
        guard.armed = false;
    }

    /// Reads the worker's last messages until it closes the connection, for at most `limit`.
    async fn drain(
        &mut self,
        reader: &mut FramedRead<OwnedReadHalf, HostCodec>,
        limit: Duration,
        why: String,
    ) -> End {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, reader.next()).await {
                Ok(Some(Ok(message))) => {
                    if let Err(violation) = self.on_message(message) {
                        return End::Untrusted(format!("broke the protocol: {violation}"));
                    }
                }
                Ok(Some(Err(err))) => return End::Untrusted(format!("sent a bad frame: {err}")),
                Ok(None) => return End::Died(why),
                Err(_) => {
                    return End::Untrusted(format!("{why}, and did not end within {limit:?}"));
                }
            }
        }
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
                let delivery = session
                    .on_output
                    .map(|callback| Delivery::start(id, callback, self.process.commands.clone()));
                let flight = InFlight {
                    done: session.done,
                    delivery,
                    max_output: session.max_output,
                    timeout: session.timeout,
                    stdout: String::new(),
                    stderr: String::new(),
                    deadline,
                    calls: Calls(CallQueue::new(
                        session.world,
                        self.outbox.clone(),
                        self.process.info.max_frame_len,
                    )),
                };
                if self.process.state() != ProcessState::Ready {
                    // Raced a dispose into the queue: the worker is already shutting down.
                    let reason = self.process.unavailable().unwrap_or_default();
                    flight.complete(Report::failed(1, ErrorCode::V8ProcessCrash, reason));
                    return;
                }
                self.sessions.insert(id, flight);
                self.send(host_message::Kind::OpenSession(open));
                self.send(host_message::Kind::Execute(execute));
            }
            Command::Cancel(id) | Command::CallbackPanicked(id) => {
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
            #[cfg(test)]
            Command::Panic => panic!("injected panic in the connection actor"),
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
            Some(worker_message::Kind::HostCall(call)) => self.on_host_call(call),
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
        let cap = usize::try_from(flight.max_output).unwrap_or(usize::MAX);
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
        if let Some(delivery) = &flight.delivery {
            delivery.chunk(stream, text);
        }
        Ok(())
    }

    /// Queues a session's host call for the blocking pool (see `host_calls.rs`).
    fn on_host_call(&mut self, call: v1::HostCall) -> Result<(), String> {
        let flight = self
            .sessions
            .get(&call.session_id)
            .ok_or_else(|| format!("a host call for unknown session {}", call.session_id))?;
        flight.calls.0.submit(call);
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
            stdout: String::new(),
            stderr: String::new(),
            exports,
            stdout_truncated: result.stdout_truncated,
            stderr_truncated: result.stderr_truncated,
            metrics: SessionMetrics {
                cpu_time: Duration::from_micros(result.cpu_time_us),
                heap_used_bytes: result.heap_used_bytes,
                wall_time: Duration::ZERO,
            },
        };
        flight.complete(report);
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
                flight.timeout.as_millis()
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
                // A worker that ended its sessions and closed the connection is exiting: a
                // moment for that, then SIGTERM, `dispose_grace`, SIGKILL.
                let status = match tokio::time::timeout(EXIT_PATIENCE, child.wait()).await {
                    Ok(Ok(status)) => Some(status),
                    _ => terminate(&mut child, self.process.options.dispose_grace).await,
                };
                let how = status.map_or_else(|| "could not be reaped".to_owned(), describe_exit);
                (
                    ProcessState::Disposed,
                    format!("V8 worker process {pid} was disposed ({how})"),
                    waiters,
                )
            }
            End::Died(why) => Self::crashed(pid, &mut child, &stderr, why, EXIT_PATIENCE).await,
            End::Untrusted(why) => {
                tracing::warn!(pid, reason = %why, "killing a worker that broke the protocol or stopped answering");
                Self::crashed(pid, &mut child, &stderr, why, Duration::ZERO).await
            }
        };
        match &state {
            ProcessState::Crashed { reason, .. } => {
                tracing::warn!(pid, reason = %reason, sessions = self.sessions.len(), "worker crashed")
            }
            _ => tracing::info!(pid, how = %message, "worker disposed"),
        }
        self.process.set_state(state);
        self.process.budget.close();
        for (_, flight) in self.sessions.drain() {
            flight.complete(Report::failed(1, ErrorCode::V8ProcessCrash, &message));
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
                Command::Cancel(_)
                | Command::CallbackPanicked(_)
                | Command::Stats(_)
                | Command::Dispose(None) => {}
                #[cfg(test)]
                Command::Panic => {}
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
