//! A worker process and its handle, [`V8Runtime`].
//!
//! `V8Runtime` is a cheap handle (`Arc` inside). The process behind it is served by one actor
//! task on the driver thread (`actor`); sessions ask that actor to run code and wait for its
//! report. Dropping the last handle disposes the process.

mod actor;
mod budget;
mod delivery;
mod exit;
mod host_calls;
mod locate;
mod spawn;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secure_exec_proto::v1;
use tokio::sync::{mpsc, oneshot};

pub use locate::{WORKER_ENV, WORKER_NAME};

use crate::options::{OutputCallback, SessionLimits};
use crate::result::Report;
use crate::world::SessionWorld;
use crate::{Error, ErrorCode, V8RuntimeOptions, driver};
use actor::Command;
use budget::{Budget, Denied};

/// How long `stats()` waits for the worker's figures.
const STATS_TIMEOUT: Duration = Duration::from_secs(2);

/// Where a worker process stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessState {
    /// Serving sessions.
    Ready,
    /// Died or was given up on; accepts no sessions. `exit_code` / `signal` come from the
    /// process's exit status when it could be collected.
    Crashed {
        /// The exit code, if it exited.
        exit_code: Option<i32>,
        /// The signal that killed it, if one did.
        signal: Option<i32>,
        /// What happened, as sessions were told.
        reason: String,
    },
    /// Ended by `dispose()` or by dropping every handle.
    Disposed,
}

/// What the worker said about itself in the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerInfo {
    /// The executable that was started.
    pub path: PathBuf,
    /// Its process id.
    pub pid: u32,
    /// Its package version.
    pub worker_version: String,
    /// The protocol version it speaks.
    pub protocol_version: u32,
    /// The V8 version it embeds.
    pub v8_version: String,
    /// Build features that change guest-visible behaviour (empty in release builds).
    pub features: Vec<String>,
    /// The frame limit agreed in the handshake (the smaller of `max_frame_len` and the
    /// worker's own): no message either way is larger, so it bounds the code, filename, `env`
    /// and `argv` one session can send.
    pub max_frame_len: usize,
}

/// Live figures of one worker process.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProcessStats {
    /// Process id.
    pub pid: u32,
    /// Resident set size, in bytes.
    pub rss_bytes: u64,
    /// Sessions running in the worker (isolates alive).
    pub active_sessions: usize,
    /// Sessions waiting for a slot.
    pub queued_sessions: usize,
    /// Sessions this process has run (or is running).
    pub total_sessions: u64,
    /// Earlier processes in the same registry slot that crashed (0 outside a registry).
    pub crashes: u64,
    /// Time since the process was started.
    pub uptime: Duration,
    /// V8 heap in use, summed over live isolates.
    pub heap_used_bytes: u64,
    /// V8 heap reserved, summed over live isolates.
    pub heap_total_bytes: u64,
    /// Threads in the worker process.
    pub threads: u32,
}

/// What one session asks of a process: the two messages that start it (their session ids are
/// filled in when it gets a slot) and how to report it.
pub(crate) struct SessionRequest {
    pub(crate) open: v1::OpenSession,
    pub(crate) execute: v1::Execute,
    pub(crate) limits: SessionLimits,
    pub(crate) on_output: Option<OutputCallback>,
    /// What the session's host calls act on.
    pub(crate) world: Arc<SessionWorld>,
}

impl SessionRequest {
    /// `Err(ERR_INVALID_OPTIONS)` if either message would not fit in one frame of
    /// `max_frame_len` bytes: such a frame would make the worker end the connection, failing
    /// every session on it, so it is refused here instead.
    pub(crate) fn check_size(&self, max_frame_len: usize) -> Result<(), Error> {
        use prost::Message as _;
        // Measured before the session id is set (0, which is not encoded): allow for the
        // largest id (a tag and a 10-byte varint) and the `HostMessage` wrapper (a tag and a
        // length of at most 5 bytes).
        const ALLOWANCE: usize = 11 + 6;
        let open_len = self.open.encoded_len() + ALLOWANCE;
        let execute_len = self.execute.encoded_len() + ALLOWANCE;
        if open_len > max_frame_len {
            return Err(Error::InvalidOptions(format!(
                "env and argv take {open_len} bytes; the most one session may send is \
                 {max_frame_len} bytes (the worker's frame limit)"
            )));
        }
        if execute_len > max_frame_len {
            return Err(Error::InvalidOptions(format!(
                "code and filename take {execute_len} bytes; the most one session may send is \
                 {max_frame_len} bytes (the worker's frame limit)"
            )));
        }
        Ok(())
    }
}

/// The process behind the handles, shared with its actor.
#[derive(Debug)]
pub(crate) struct Process {
    pid: u32,
    info: WorkerInfo,
    options: V8RuntimeOptions,
    commands: mpsc::UnboundedSender<Command>,
    state: Mutex<ProcessState>,
    budget: Budget,
    next_session: AtomicU64,
    started: Instant,
    crashes_before: u64,
    /// The worker's latest figures (refreshed by every heartbeat and `stats()` call).
    latest: Mutex<Option<v1::StatsReply>>,
}

impl Process {
    fn record_stats(&self, reply: &v1::StatsReply) {
        *self.latest.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(*reply);
    }

    fn stats_from(&self, reply: &v1::StatsReply) -> ProcessStats {
        ProcessStats {
            pid: self.pid,
            rss_bytes: rss_bytes(self.pid),
            active_sessions: reply.active_sessions as usize,
            queued_sessions: self.budget.queued(),
            total_sessions: reply.total_sessions,
            crashes: self.crashes_before,
            uptime: self.started.elapsed(),
            heap_used_bytes: reply.heap_used_bytes,
            heap_total_bytes: reply.heap_total_bytes,
            threads: reply.threads,
        }
    }

    fn set_state(&self, state: ProcessState) {
        let mut current = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Disposed is final: a process disposed on purpose does not later read as crashed.
        if *current != ProcessState::Disposed {
            *current = state;
        }
    }

    fn state(&self) -> ProcessState {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn unavailable(&self) -> Option<String> {
        match self.state() {
            ProcessState::Ready => None,
            ProcessState::Crashed { reason, .. } => Some(reason),
            ProcessState::Disposed => Some(format!("V8 worker process {} was disposed", self.pid)),
        }
    }
}

/// A handle that does not keep the process alive.
#[derive(Debug, Clone)]
pub(crate) struct WeakV8Runtime {
    handle: std::sync::Weak<Handle>,
}

impl WeakV8Runtime {
    pub(crate) fn upgrade(&self) -> Option<V8Runtime> {
        self.handle.upgrade().map(|handle| V8Runtime { handle })
    }
}

/// Disposes the process when the last handle goes.
#[derive(Debug)]
struct Handle {
    process: Arc<Process>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.process.commands.send(Command::Dispose(None));
    }
}

/// A handle to one V8 worker process. Cheap to clone; every clone refers to the same process.
///
/// The process is disposed by [`dispose`](Self::dispose) or when the last clone is dropped.
/// After a crash it accepts no sessions (each fails at once with `ERR_V8_PROCESS_CRASH`) and it
/// never respawns: spawn a new `V8Runtime`, or use a [`Topology`](crate::Topology) that does.
#[derive(Debug, Clone)]
pub struct V8Runtime {
    handle: Arc<Handle>,
}

impl V8Runtime {
    /// Starts a worker process and completes the handshake.
    pub async fn spawn(options: V8RuntimeOptions) -> Result<Self, Error> {
        Self::spawn_in_lineage(options, 0).await
    }

    pub(crate) async fn spawn_in_lineage(
        options: V8RuntimeOptions,
        crashes_before: u64,
    ) -> Result<Self, Error> {
        options.validate()?;
        let path = locate::locate(options.worker_path.as_deref())?;
        driver::run(async move {
            let spawned = spawn::spawn(path, &options).await?;
            let (commands, inbox) = mpsc::unbounded_channel();
            let process = Arc::new(Process {
                pid: spawned.info.pid,
                info: spawned.info.clone(),
                budget: Budget::new(
                    options.max_sessions,
                    options.max_queued,
                    options.queue_timeout,
                ),
                options,
                commands,
                state: Mutex::new(ProcessState::Ready),
                next_session: AtomicU64::new(1),
                started: Instant::now(),
                crashes_before,
                latest: Mutex::new(None),
            });
            actor::start(Arc::clone(&process), spawned, inbox);
            Ok(Self { handle: Arc::new(Handle { process }) })
        })
        .await
    }

    fn process(&self) -> &Arc<Process> {
        &self.handle.process
    }

    /// The worker's process id while it is ready; `None` once it crashed or was disposed.
    pub fn pid(&self) -> Option<u32> {
        (self.process().state() == ProcessState::Ready).then_some(self.process().pid)
    }

    /// Where the process stands.
    pub fn state(&self) -> ProcessState {
        self.process().state()
    }

    /// What the worker reported in the handshake.
    pub fn info(&self) -> &WorkerInfo {
        &self.process().info
    }

    /// The options it was started with.
    pub fn options(&self) -> &V8RuntimeOptions {
        &self.process().options
    }

    /// How long the process has existed.
    pub(crate) fn uptime(&self) -> Duration {
        self.process().started.elapsed()
    }

    /// Whether sessions run or wait on the process (as the host counts them).
    pub(crate) fn busy(&self) -> bool {
        let budget = &self.process().budget;
        budget.in_use() > 0 || budget.queued() > 0
    }

    pub(crate) fn downgrade(&self) -> WeakV8Runtime {
        WeakV8Runtime { handle: Arc::downgrade(&self.handle) }
    }

    /// Whether two handles refer to the same process.
    pub fn same_process(&self, other: &V8Runtime) -> bool {
        Arc::ptr_eq(self.process(), other.process())
    }

    /// Ends the process. New sessions are refused at once; the worker is asked to shut down, so
    /// sessions still running get their results (`ERR_V8_PROCESS_CRASH`) right away; if it has
    /// not exited within `dispose_grace`, SIGTERM, `dispose_grace` again, then SIGKILL. Always
    /// reaps it. Returns once the process is gone; calling it again, or on a crashed process,
    /// returns at once.
    pub async fn dispose(&self) {
        let (done, reaped) = oneshot::channel();
        if self.process().commands.send(Command::Dispose(Some(done))).is_err() {
            return;
        }
        // The actor answers after the reap; if it already ended, the sender is dropped.
        let bound = self.process().options.dispose_grace * 2 + Duration::from_secs(10);
        let _ = driver::run(async move { tokio::time::timeout(bound, reaped).await }).await;
    }

    /// Live figures: RSS, sessions, heap, threads.
    pub async fn stats(&self) -> Result<ProcessStats, Error> {
        let process = Arc::clone(self.process());
        if let Some(reason) = process.unavailable() {
            return Err(Error::ProcessUnavailable(reason));
        }
        let (ask, answer) = oneshot::channel();
        let sent = process.commands.send(Command::Stats(ask));
        let unavailable = || {
            Error::ProcessUnavailable(format!("V8 worker process {} is not answering", process.pid))
        };
        if sent.is_err() {
            return Err(unavailable());
        }
        let reply = driver::run(async move { tokio::time::timeout(STATS_TIMEOUT, answer).await })
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(unavailable)?;
        Ok(process.stats_from(&reply))
    }

    /// Figures without a round trip: the worker's as of its last heartbeat (at most
    /// `heartbeat_interval` old) with the host's own (RSS, queue, uptime) fresh. `None` once
    /// the process is gone, or before its first heartbeat.
    pub fn last_stats(&self) -> Option<ProcessStats> {
        let process = self.process();
        if process.unavailable().is_some() {
            return None;
        }
        let latest = *process.latest.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        latest.map(|reply| process.stats_from(&reply))
    }

    /// Runs one session to its end. Never fails: whatever happens is in the report.
    pub(crate) async fn session(&self, request: SessionRequest) -> Report {
        let runtime = self.clone();
        driver::run(async move { runtime.session_on_driver(request).await }).await
    }

    async fn session_on_driver(self, request: SessionRequest) -> Report {
        let process = self.process();
        if let Some(reason) = process.unavailable() {
            return Report::failed(1, ErrorCode::V8ProcessCrash, reason);
        }
        let slot = match process.budget.acquire().await {
            Ok(slot) => slot,
            Err(Denied::QueueFull) => {
                tracing::warn!(
                    pid = process.pid,
                    queued = process.options.max_queued,
                    "session queue full"
                );
                return Report::failed(
                    1,
                    ErrorCode::SessionQueueFull,
                    format!(
                        "{} sessions already wait for V8 worker process {}",
                        process.options.max_queued, process.pid
                    ),
                );
            }
            Err(Denied::QueueTimeout) => {
                tracing::warn!(pid = process.pid, "session waited past queue_timeout");
                return Report::failed(
                    1,
                    ErrorCode::SessionQueueTimeout,
                    format!(
                        "no session slot on V8 worker process {} within {} ms",
                        process.pid,
                        process.options.queue_timeout.as_millis()
                    ),
                );
            }
            Err(Denied::Closed) => {
                let reason = process
                    .unavailable()
                    .unwrap_or_else(|| format!("V8 worker process {} ended", process.pid));
                return Report::failed(1, ErrorCode::V8ProcessCrash, reason);
            }
        };

        let id = process.next_session.fetch_add(1, Ordering::Relaxed);
        let (done, report) = oneshot::channel();
        let timeout = Duration::from_millis(request.limits.timeout_ms);
        let open = v1::OpenSession { session_id: id, ..request.open };
        let execute = v1::Execute { session_id: id, ..request.execute };
        let session = actor::Session {
            done,
            on_output: request.on_output,
            max_output: request.limits.max_output_bytes,
            timeout,
            world: request.world,
        };
        if process
            .commands
            .send(Command::Open(Box::new(actor::Open { open, execute, session })))
            .is_err()
        {
            let reason = process.unavailable().unwrap_or_else(|| "the worker is gone".into());
            return Report::failed(1, ErrorCode::V8ProcessCrash, reason);
        }

        // If the caller stops waiting, the session is cancelled rather than left running.
        struct CancelOnDrop<'a> {
            commands: &'a mpsc::UnboundedSender<Command>,
            id: u64,
            armed: bool,
        }
        impl Drop for CancelOnDrop<'_> {
            fn drop(&mut self) {
                if self.armed {
                    let _ = self.commands.send(Command::Cancel(self.id));
                }
            }
        }
        let mut cancel = CancelOnDrop { commands: &process.commands, id, armed: true };
        // The actor always answers: with the worker's result, or with a crash report when it
        // ends; its own backstop bounds how long a silent worker can keep a session.
        tracing::debug!(pid = process.pid, session = id, "session started");
        let report = report.await.unwrap_or_else(|_| {
            Report::failed(1, ErrorCode::V8ProcessCrash, "the worker connection ended")
        });
        cancel.armed = false;
        drop(slot);
        report
    }
}

fn rss_bytes(pid: u32) -> u64 {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};
    let Ok(mut system) = System::new() else { return 0 };
    let pid = Pid::from_u32(pid);
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        true,
        ProcessRefreshKind::nothing().with_memory(),
    );
    system.process(pid).map_or(0, |process| process.memory())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NodeRuntime, NodeRuntimeOptions, Registry, RegistryOptions};

    /// An actor task that dies (here: a panic, as a bug would cause) leaves its process
    /// crashed, its sessions with results, and the registry replaces it.
    #[tokio::test]
    async fn an_actor_that_ends_abnormally_crashes_its_process_and_is_replaced() {
        let registry = Registry::new(RegistryOptions::default());
        let rt = NodeRuntime::new(NodeRuntimeOptions {
            registry: Some(registry.clone()),
            ..Default::default()
        });
        let first = registry.shared().await.expect("a worker (run through `cargo xtask test`)");
        let pid = first.info().pid;
        let running = tokio::spawn({
            let rt = rt.clone();
            async move { rt.exec("setTimeout(() => {}, 20000)").await }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while first.last_stats().is_none_or(|s| s.active_sessions == 0) {
            assert!(Instant::now() < deadline, "the session never started");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = first.process().commands.send(Command::Panic);
        let r = tokio::time::timeout(Duration::from_secs(10), running)
            .await
            .expect("the session got a result in bounded time")
            .expect("the session task")
            .expect("a result");
        assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash), "{r:?}");
        match first.state() {
            ProcessState::Crashed { reason, .. } => {
                assert!(reason.contains("connection task"), "{reason}")
            }
            other => panic!("state {other:?}"),
        }
        let later = rt.exec("1").await.expect("a result");
        assert_eq!(later.code, 0, "the registry replaced the process: {later:?}");
        let second = registry.shared().await.expect("a worker");
        assert_ne!(second.info().pid, pid);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            assert!(Instant::now() < deadline, "the worker of the dead actor was not reaped");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        registry.shutdown().await;
    }
}
