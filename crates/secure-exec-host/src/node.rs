//! [`NodeRuntime`]: runs code with Node-like semantics in the process its options choose.

use std::sync::Arc;

use secure_exec_proto::v1;

use crate::options::{ExecOptions, SessionLimits};
use crate::process::SessionRequest;
use crate::registry::Slot;
use crate::result::Report;
use crate::{Error, ExecResult, NodeRuntimeOptions, Registry, RunResult, Topology, V8Runtime};

/// Runs JavaScript sessions. Cheap to clone; clones share options and (for
/// [`Topology::PerRuntime`]) the process.
///
/// Every `exec` / `run` is one session: a fresh isolate, nothing kept from earlier sessions.
/// They return `Err` only when no session could be attempted (no worker, a failed spawn or
/// handshake, invalid options); everything that happens to the session itself, including the
/// worker dying, is an `Ok` result with a nonzero `code` and an `error_code`.
#[derive(Debug, Clone)]
pub struct NodeRuntime {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: NodeRuntimeOptions,
    registry: Registry,
    /// The process of a `PerRuntime` runtime.
    own: Slot,
}

enum Mode {
    Exec,
    Run,
}

impl NodeRuntime {
    /// A runtime with these options. Nothing starts until the first session.
    pub fn new(options: NodeRuntimeOptions) -> Self {
        let registry = options.registry.clone().unwrap_or_else(Registry::global);
        Self { inner: Arc::new(Inner { options, registry, own: Slot::default() }) }
    }

    /// The options it was created with.
    pub fn options(&self) -> &NodeRuntimeOptions {
        &self.inner.options
    }

    /// Runs `code` for its effects.
    pub async fn exec(&self, code: &str) -> Result<ExecResult, Error> {
        self.exec_with(code, ExecOptions::default()).await
    }

    /// Runs `code` for its effects, with per-call options.
    pub async fn exec_with(&self, code: &str, options: ExecOptions) -> Result<ExecResult, Error> {
        Ok(self.session(code, Mode::Exec, options).await?.into_exec())
    }

    /// Runs `code` as a CommonJS module and returns `module.exports` as JSON.
    pub async fn run(&self, code: &str) -> Result<RunResult, Error> {
        self.run_with(code, ExecOptions::default()).await
    }

    /// Runs `code` as a CommonJS module, with per-call options.
    pub async fn run_with(&self, code: &str, options: ExecOptions) -> Result<RunResult, Error> {
        Ok(self.session(code, Mode::Run, options).await?.into_run())
    }

    /// The process the next session would run in, started if need be.
    pub async fn v8_runtime(&self) -> Result<V8Runtime, Error> {
        let options = &self.inner.options;
        if let Some(runtime) = &options.v8_runtime {
            return Ok(runtime.clone());
        }
        let registry = &self.inner.registry;
        match &options.topology {
            Topology::Shared => registry.shared().await,
            Topology::Tenant(key) => {
                registry.tenant(key.clone(), options.process_options.clone()).await
            }
            Topology::PerRuntime => {
                let runtime = self
                    .inner
                    .own
                    .get(&options.process_options, registry.backoff(), "per-runtime")
                    .await?;
                registry.track_dedicated(&runtime);
                Ok(runtime)
            }
        }
    }

    async fn session(&self, code: &str, mode: Mode, call: ExecOptions) -> Result<Report, Error> {
        let started = std::time::Instant::now();
        let options = &self.inner.options;
        let limits = SessionLimits::resolve(options, &call)?;
        options.system.validate()?;
        let cwd = options.system.cwd().to_owned();
        let filename = entry_path(&cwd, call.filename.as_deref().unwrap_or("index.js"))?;
        let world = options.system.session();
        let format = entry_format(&world, &filename).await;
        let runtime = self.v8_runtime().await?;
        let mode = match mode {
            Mode::Exec => v1::ExecuteMode::Exec,
            Mode::Run => v1::ExecuteMode::Run,
        };
        let request = SessionRequest {
            open: v1::OpenSession {
                session_id: 0,
                limits: Some(limits.to_proto()),
                env: options.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                argv: options.argv.clone(),
                cwd,
                world: options.system.world(),
            },
            execute: v1::Execute {
                session_id: 0,
                mode: mode as i32,
                code: code.to_owned(),
                filename,
                format,
            },
            limits,
            on_output: call.on_output,
            world,
        };
        request.check_size(runtime.info().max_frame_len)?;
        let mut report = runtime.session(request).await;
        report.metrics.wall_time = started.elapsed();
        Ok(report)
    }
}

/// The entry's absolute guest path: `filename` from the working directory.
fn entry_path(cwd: &str, filename: &str) -> Result<String, Error> {
    let joined =
        if filename.starts_with('/') { filename.to_owned() } else { format!("{cwd}/{filename}") };
    crate::world::normalize_path(&joined).ok_or_else(|| {
        let shown: String = filename.chars().take(80).collect();
        Error::InvalidOptions(format!(
            "filename {shown:?} is not a usable guest path (no NUL bytes, at most 4096 bytes)"
        ))
    })
}

/// How the entry runs (see `SessionWorld::entry_format`); the package.json lookup reads files,
/// so it runs on the blocking pool, and only when something is mounted.
async fn entry_format(
    world: &std::sync::Arc<crate::world::SessionWorld>,
    filename: &str,
) -> String {
    if filename.ends_with(".mjs") || filename.ends_with(".cjs") || !world.has_mounts() {
        return world.entry_format(filename);
    }
    let (world, filename) = (std::sync::Arc::clone(world), filename.to_owned());
    crate::driver::run(async move {
        tokio::task::spawn_blocking(move || world.entry_format(&filename)).await.unwrap_or_default()
    })
    .await
}
