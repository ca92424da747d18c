//! The host's I/O thread: one long-lived thread running a current-thread tokio runtime.
//!
//! Every worker's connection, child process and timers live here, not on the caller's
//! runtime. That makes the library usable from any executor and any number of short-lived
//! runtimes (each `#[tokio::test]` has its own), and it matters for process lifetime: Linux
//! delivers the parent-death signal when the *thread* that forked a child exits, so workers are
//! spawned from this thread, which lives as long as the host process.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Handle;

static DRIVER: OnceLock<Handle> = OnceLock::new();

/// The driver runtime, started on first use.
pub(crate) fn handle() -> &'static Handle {
    DRIVER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned =
            std::thread::Builder::new().name("secure-exec-driver".into()).spawn(move || {
                let runtime =
                    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                        Ok(runtime) => runtime,
                        Err(err) => {
                            let _ = tx.send(Err(err));
                            return;
                        }
                    };
                let _ = tx.send(Ok(runtime.handle().clone()));
                runtime.block_on(std::future::pending::<()>());
            });
        let started = spawned.map_err(|err| err.to_string()).and_then(|_| {
            rx.recv()
                .map_err(|_| "driver thread ended during start-up".to_owned())?
                .map_err(|err| err.to_string())
        });
        match started {
            Ok(handle) => handle,
            // Without its I/O thread the library can do nothing at all; a machine that cannot
            // start one thread or an epoll instance is not one we can recover on.
            Err(err) => panic!("secure-exec: cannot start the driver thread: {err}"),
        }
    })
}

/// Runs `future` on the driver and waits for it from any executor. If the returned future is
/// dropped first, the task is aborted (which, for a session, cancels it).
pub(crate) async fn run<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    struct AbortOnDrop(tokio::task::JoinHandle<()>);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = handle().spawn(async move {
        let _ = tx.send(future.await);
    });
    let _guard = AbortOnDrop(task);
    match rx.await {
        Ok(output) => output,
        // The task only goes away without sending if it panicked; surface that as a panic here
        // too rather than inventing a result.
        Err(_) => panic!("secure-exec: a driver task panicked"),
    }
}

/// Tasks alive on the driver (connection actors, writers, stderr readers, sessions in flight).
pub(crate) fn alive_tasks() -> usize {
    DRIVER.get().map_or(0, |handle| handle.metrics().num_alive_tasks())
}
