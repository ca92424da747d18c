//! Shared helpers for the integration tests.

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
