//! Shared helpers for the integration tests.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secure_exec_host::{NodeRuntime, NodeRuntimeOptions, V8Runtime, V8RuntimeOptions};

/// A fresh worker process of this test's own.
pub(crate) async fn spawn() -> V8Runtime {
    spawn_with(V8RuntimeOptions::default()).await
}

pub(crate) async fn spawn_with(options: V8RuntimeOptions) -> V8Runtime {
    match V8Runtime::spawn(options).await {
        Ok(runtime) => runtime,
        Err(err) => panic!("cannot start a worker (build it with `cargo xtask test`): {err}"),
    }
}

/// A runtime on a fresh process of its own, and that process.
pub(crate) async fn runtime() -> (NodeRuntime, V8Runtime) {
    let v8 = spawn().await;
    (on(&v8), v8)
}

pub(crate) fn on(v8: &V8Runtime) -> NodeRuntime {
    NodeRuntime::new(NodeRuntimeOptions { v8_runtime: Some(v8.clone()), ..Default::default() })
}

/// A runtime on `v8` whose world is `system`.
pub(crate) fn with_system(v8: &V8Runtime, system: secure_exec_host::SystemDriver) -> NodeRuntime {
    NodeRuntime::new(NodeRuntimeOptions {
        v8_runtime: Some(v8.clone()),
        system,
        ..Default::default()
    })
}

/// A runtime on `registry`'s process for tenant `key`.
pub(crate) fn tenant(registry: &secure_exec_host::Registry, key: &str) -> NodeRuntime {
    NodeRuntime::new(NodeRuntimeOptions {
        topology: secure_exec_host::Topology::Tenant(key.into()),
        registry: Some(registry.clone()),
        ..Default::default()
    })
}

/// A runtime on `registry`'s shared process.
pub(crate) fn shared(registry: &secure_exec_host::Registry) -> NodeRuntime {
    NodeRuntime::new(NodeRuntimeOptions { registry: Some(registry.clone()), ..Default::default() })
}

/// Sends `signal` to `pid`.
pub(crate) fn kill(pid: u32, signal: i32) {
    // SAFETY: plain kill(2) on a pid the test owns.
    let rc = unsafe { libc::kill(pid as libc::pid_t, signal) };
    assert_eq!(rc, 0, "kill({pid}, {signal}) failed: {}", std::io::Error::last_os_error());
}

/// Whether `pid` no longer exists (neither running nor a zombie).
pub(crate) fn is_reaped(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Polls `condition` until it holds, failing the test after `limit`.
pub(crate) async fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "condition not met within {limit:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Polls the worker's stats until `done` holds (failing after 10 s) and returns them.
pub(crate) async fn wait_for_stats(
    v8: &V8Runtime,
    what: &str,
    done: impl Fn(&secure_exec_host::ProcessStats) -> bool,
) -> secure_exec_host::ProcessStats {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = v8.stats().await.unwrap();
        if done(&stats) {
            return stats;
        }
        assert!(Instant::now() < deadline, "never saw {what}: {stats:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Waits until the worker reports at least `n` live sessions.
pub(crate) async fn wait_for_active_sessions(v8: &V8Runtime, n: usize) {
    wait_for_stats(v8, &format!("{n} active sessions"), |s| s.active_sessions >= n).await;
}

/// Waits until the worker has no live session (a session's slot is held until its isolate is
/// disposed, just after its result is sent).
pub(crate) async fn wait_for_idle(v8: &V8Runtime) -> secure_exec_host::ProcessStats {
    wait_for_stats(v8, "an idle worker", |s| s.active_sessions == 0).await
}

/// Waits until at least `n` sessions wait for a slot of the process.
pub(crate) async fn wait_for_queued_sessions(v8: &V8Runtime, n: usize) {
    wait_for_stats(v8, &format!("{n} queued sessions"), |s| s.queued_sessions >= n).await;
}

/// Options whose output callback reports when `text` has been printed.
pub(crate) fn signal_on_output(
    text: &'static str,
) -> (secure_exec_host::ExecOptions, tokio::sync::mpsc::UnboundedReceiver<()>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let options = secure_exec_host::ExecOptions {
        on_output: Some(std::sync::Arc::new(move |_, chunk: &str| {
            if chunk.contains(text) {
                let _ = tx.send(());
            }
        })),
        ..Default::default()
    };
    (options, rx)
}

/// A stand-in worker: a shell script that writes prepared bytes to the host socket (fd 3),
/// then idles. It lets tests play a worker that speaks the protocol badly.
pub(crate) struct FakeWorker {
    dir: PathBuf,
}

impl FakeWorker {
    /// Replies with these frames to whatever the host says, then stays silent.
    pub(crate) fn replying(frames: &[Vec<u8>]) -> Self {
        let fake = Self::new();
        std::fs::write(fake.dir.join("reply.bin"), frames.concat()).unwrap();
        fake.write_script(&format!(
            "cat '{}' >&3\nexec sleep 30",
            fake.dir.join("reply.bin").display()
        ));
        fake
    }

    /// Runs `body` as the worker.
    pub(crate) fn script(body: &str) -> Self {
        let fake = Self::new();
        fake.write_script(body);
        fake
    }

    fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "secure-exec-fake-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn write_script(&self, body: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.join("worker.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Writes a file beside the script and returns its path.
    pub(crate) fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub(crate) fn options(&self) -> V8RuntimeOptions {
        V8RuntimeOptions { worker_path: Some(self.dir.join("worker.sh")), ..Default::default() }
    }
}

impl Drop for FakeWorker {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One length-delimited frame holding `message`.
pub(crate) fn frame(message: &impl prost::Message) -> Vec<u8> {
    let body = message.encode_to_vec();
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

/// A `HelloAck` frame claiming `protocol_version` and `pid`.
pub(crate) fn hello_ack(protocol_version: u32, pid: u32) -> Vec<u8> {
    use secure_exec_proto::v1;
    frame(&v1::WorkerMessage {
        kind: Some(v1::worker_message::Kind::HelloAck(v1::HelloAck {
            protocol_version,
            worker_version: "0.0.0-fake".into(),
            pid,
            v8_version: "none".into(),
            features: vec![],
            max_frame_len: secure_exec_proto::DEFAULT_MAX_FRAME_LEN as u64,
        })),
    })
}

/// A worker process driven over the raw protocol, without the host library: for checking what
/// the worker itself enforces.
pub(crate) struct RawWorker {
    child: std::process::Child,
    socket: std::os::unix::net::UnixStream,
}

impl RawWorker {
    /// Starts the worker the tests use, with our end of a socketpair, and says `Hello`.
    pub(crate) fn start(max_sessions: u32) -> (Self, secure_exec_proto::v1::HelloAck) {
        Self::start_with_frame_len(max_sessions, 0)
    }

    /// As [`start`](Self::start), asking for a frame limit of `max_frame_len` (0: none).
    pub(crate) fn start_with_frame_len(
        max_sessions: u32,
        max_frame_len: u64,
    ) -> (Self, secure_exec_proto::v1::HelloAck) {
        use secure_exec_proto::v1;
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let path = worker_path();
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        let fd = theirs.as_raw_fd();
        let mut command = std::process::Command::new(path);
        command.arg("--fd").arg("3").stderr(std::process::Stdio::null());
        // SAFETY: only dup2 and fcntl between fork and exec.
        unsafe {
            command.pre_exec(move || {
                if fd == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0);
                } else {
                    libc::dup2(fd, 3);
                }
                Ok(())
            });
        }
        let child = command.spawn().unwrap();
        drop(theirs);
        ours.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut raw = Self { child, socket: ours };
        raw.send(v1::host_message::Kind::Hello(v1::Hello {
            protocol_version: secure_exec_proto::version::CURRENT,
            host_version: "test".into(),
            max_sessions,
            max_frame_len,
        }));
        match raw.recv().kind {
            Some(v1::worker_message::Kind::HelloAck(ack)) => (raw, ack),
            other => panic!("expected HelloAck, got {other:?}"),
        }
    }

    pub(crate) fn send(&mut self, kind: secure_exec_proto::v1::host_message::Kind) {
        use std::io::Write;
        let message = secure_exec_proto::v1::HostMessage { kind: Some(kind) };
        self.socket.write_all(&frame(&message)).unwrap();
    }

    /// Sends unless the worker has already closed the connection.
    pub(crate) fn send_if_open(&mut self, kind: secure_exec_proto::v1::host_message::Kind) {
        use std::io::Write;
        let message = secure_exec_proto::v1::HostMessage { kind: Some(kind) };
        let _ = self.socket.write_all(&frame(&message));
    }

    pub(crate) fn send_bytes(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.socket.write_all(bytes).unwrap();
    }

    /// The next message, or a panic after 10 s.
    pub(crate) fn recv(&mut self) -> secure_exec_proto::v1::WorkerMessage {
        self.try_recv().expect("the worker closed the connection")
    }

    /// The next message, or `None` at end-of-file.
    pub(crate) fn try_recv(&mut self) -> Option<secure_exec_proto::v1::WorkerMessage> {
        use std::io::Read;
        let mut len = [0u8; 4];
        if self.socket.read_exact(&mut len).is_err() {
            return None;
        }
        let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
        self.socket.read_exact(&mut body).unwrap();
        Some(prost::Message::decode(&body[..]).unwrap())
    }

    /// Sends `signal` to the worker.
    pub(crate) fn signal(&mut self, signal: i32) {
        kill(self.child.id(), signal);
    }

    /// Closes the host's end, as a host that exits would.
    pub(crate) fn socket_shutdown(&mut self) {
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
    }

    /// Waits (bounded) for the worker to exit and returns its status.
    pub(crate) fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the worker did not exit");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for RawWorker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The worker executable the tests run against.
pub(crate) fn worker_path() -> PathBuf {
    if let Some(path) = std::env::var_os(secure_exec_host::WORKER_ENV) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join(secure_exec_host::WORKER_NAME)
}

/// A worker played by the `fake_worker` test program in `mode` (see its documentation).
pub(crate) fn fake_worker(mode: &str) -> FakeWorker {
    FakeWorker::script(&format!("exec '{}' {mode} \"$@\"", fake_worker_program().display()))
}

/// A `fake_worker` that answers the first session with exactly `bytes`.
pub(crate) fn fake_worker_replaying(bytes: &[u8]) -> FakeWorker {
    let fake = FakeWorker::new();
    let reply = fake.file("reply.bin", bytes);
    let program = fake_worker_program();
    fake.write_script(&format!("exec '{}' replay '{}' \"$@\"", program.display(), reply.display()));
    fake
}

/// The `fake_worker` example beside this test binary, as `cargo build --example fake_worker`
/// leaves it (`cargo xtask test` builds it first; `cargo test` alone builds examples under
/// hashed names only).
fn fake_worker_program() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let program = exe.parent().unwrap().parent().unwrap().join("examples/fake_worker");
    assert!(
        program.exists(),
        "{} is missing: run `cargo build -p secure-exec-host --example fake_worker` (cargo xtask test does)",
        program.display()
    );
    program
}

/// An embedder's own backend: a MemFs that calls `hook(operation, path)` before it answers
/// anything about a path (`operation` is the `FileSystem` method's name).
#[derive(Clone)]
pub(crate) struct HookedFs {
    inner: secure_exec_host::MemFs,
    hook: std::sync::Arc<Hook>,
}

type Hook = dyn Fn(&str, &std::path::Path) + Send + Sync;

impl HookedFs {
    pub(crate) fn new(
        inner: secure_exec_host::MemFs,
        hook: impl Fn(&str, &std::path::Path) + Send + Sync + 'static,
    ) -> Self {
        Self { inner, hook: std::sync::Arc::new(hook) }
    }
}

impl std::fmt::Debug for HookedFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookedFs").field("inner", &self.inner).finish_non_exhaustive()
    }
}

/// Each method calls the hook with its name and path, then the MemFs.
macro_rules! hooked {
    ($($name:ident($path:ident $(, $arg:ident: $ty:ty)*) -> $out:ty;)*) => {
        $(fn $name(&self, $path: &std::path::Path $(, $arg: $ty)*) -> Result<$out, FsError> {
            (self.hook)(stringify!($name), $path);
            self.inner.$name($path $(, $arg)*)
        })*
    };
}

use secure_exec_host::{DirEntry, FileSystem, FsError, Metadata, WriteMode};

impl FileSystem for HookedFs {
    hooked! {
        read(path, offset: u64, len: usize) -> (Vec<u8>, Metadata);
        write(path, data: &[u8], mode: WriteMode) -> ();
        truncate(path, len: u64) -> ();
        metadata(path) -> Metadata;
        symlink_metadata(path) -> Metadata;
        read_dir(path) -> Vec<DirEntry>;
        create_dir(path) -> ();
        remove_file(path) -> ();
        remove_dir(path) -> ();
        rename(path, to: &std::path::Path) -> ();
        canonicalize(path) -> PathBuf;
        read_link(path) -> PathBuf;
    }
}
