//! Integration tests: the public API against real worker processes.
//!
//! The worker is found the way users find it (`SECURE_EXEC_WORKER`, or beside the test
//! executable's `deps/` folder); `cargo xtask test` builds it first.

// Helpers outside #[test] functions unwrap too: any failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod http_server;
mod oracle;
mod support;

mod basics;
mod callbacks;
mod churn;
mod escapes;
mod guest_env;
mod guest_fs;
mod hostile_guest;
mod hostile_worker;
mod limits;
mod modules;
mod network;
mod node_surface;
mod node_test;
mod npm_packages;
mod process;
mod registry;
mod sandbox;
mod topology;
mod vm;
mod web_globals;
mod worker_protocol;
