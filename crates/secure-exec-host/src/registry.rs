//! The process pool: which worker process a session runs in, per topology.
//!
//! - *shared*: one process for every runtime of the registry, started on first use and replaced
//!   on the next use after it crashed;
//! - *tenant*: one process per key, shared by the runtimes of that tenant, replaced the same way;
//! - *per-runtime* (dedicated): a process of its own, which the registry lists but does not
//!   keep alive: it is disposed when its last handle is dropped.
//!
//! Shared and tenant processes belong to the registry and live until [`Registry::shutdown`]
//! (or [`Registry::remove_tenant`]); for the global registry that is the life of the host,
//! and the workers die with it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::process::{ProcessState, WeakV8Runtime};
use crate::{Error, ProcessStats, V8Runtime, V8RuntimeOptions};

static GLOBAL: OnceLock<Registry> = OnceLock::new();

/// Options of a [`Registry`].
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Options for the shared process.
    pub shared: V8RuntimeOptions,
}

/// Which topology a listed process serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopologyKind {
    /// The registry's shared process.
    Shared,
    /// A tenant's process.
    Tenant,
    /// A dedicated (per-runtime) process.
    PerRuntime,
}

impl TopologyKind {
    /// `"shared"`, `"tenant"` or `"per-runtime"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::Tenant => "tenant",
            Self::PerRuntime => "per-runtime",
        }
    }
}

/// One live process of a registry.
#[derive(Debug, Clone)]
pub struct ProcessEntry {
    /// Its topology.
    pub topology: TopologyKind,
    /// The tenant key, for tenant processes.
    pub key: Option<String>,
    /// Its process id.
    pub pid: u32,
    /// Figures as of the process's last heartbeat (see [`V8Runtime::last_stats`]); `None`
    /// before its first.
    pub stats: Option<ProcessStats>,
    /// A handle to it.
    pub runtime: V8Runtime,
}

/// A pool of worker processes organised by topology. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: RegistryOptions,
    shared: Slot,
    tenants: Mutex<HashMap<String, Arc<Slot>>>,
    dedicated: Mutex<Vec<WeakV8Runtime>>,
}

/// One place in the pool that always holds the current process for its role.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    current: tokio::sync::Mutex<Option<V8Runtime>>,
    crashes: AtomicU64,
}

impl Slot {
    /// The slot's live process, starting one if there is none or the last one ended.
    pub(crate) async fn get(&self, options: &V8RuntimeOptions) -> Result<V8Runtime, Error> {
        let mut current = self.current.lock().await;
        if let Some(runtime) = current.as_ref() {
            match runtime.state() {
                ProcessState::Ready => return Ok(runtime.clone()),
                ProcessState::Crashed { .. } => {
                    self.crashes.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            }
        }
        let runtime =
            V8Runtime::spawn_in_lineage(options.clone(), self.crashes.load(Ordering::Relaxed))
                .await?;
        *current = Some(runtime.clone());
        Ok(runtime)
    }

    /// The slot's process if it is alive, without starting one.
    pub(crate) fn live(&self) -> Option<V8Runtime> {
        let current = self.current.try_lock().ok()?;
        current.as_ref().filter(|runtime| runtime.state() == ProcessState::Ready).cloned()
    }

    async fn take(&self) -> Option<V8Runtime> {
        self.current.lock().await.take()
    }
}

impl Registry {
    /// The process-wide registry that runtimes use by default.
    pub fn global() -> Registry {
        GLOBAL.get_or_init(|| Registry::new(RegistryOptions::default())).clone()
    }

    /// An independent pool.
    pub fn new(options: RegistryOptions) -> Registry {
        Registry {
            inner: Arc::new(Inner {
                options,
                shared: Slot::default(),
                tenants: Mutex::default(),
                dedicated: Mutex::default(),
            }),
        }
    }

    /// The shared process, started on first use and replaced after a crash.
    pub async fn shared(&self) -> Result<V8Runtime, Error> {
        self.inner.shared.get(&self.inner.options.shared).await
    }

    /// The process of tenant `key`: the same live process for the same key, a fresh one after
    /// it crashed or was disposed. `options` apply when a process has to be started.
    pub async fn tenant(
        &self,
        key: impl Into<String>,
        options: V8RuntimeOptions,
    ) -> Result<V8Runtime, Error> {
        let key = key.into();
        let slot = {
            let mut tenants = lock(&self.inner.tenants);
            Arc::clone(tenants.entry(key).or_default())
        };
        slot.get(&options).await
    }

    /// Disposes tenant `key`'s process and forgets the tenant.
    pub async fn remove_tenant(&self, key: &str) {
        let slot = lock(&self.inner.tenants).remove(key);
        if let Some(runtime) = match slot {
            Some(slot) => slot.take().await,
            None => None,
        } {
            runtime.dispose().await;
        }
    }

    /// A new process of its own (per-runtime topology). The registry lists it while it lives
    /// but holds no handle: dropping the returned runtime's last clone disposes it.
    pub async fn dedicated(&self, options: V8RuntimeOptions) -> Result<V8Runtime, Error> {
        let runtime = V8Runtime::spawn(options).await?;
        self.track_dedicated(&runtime);
        Ok(runtime)
    }

    pub(crate) fn track_dedicated(&self, runtime: &V8Runtime) {
        let mut dedicated = lock(&self.inner.dedicated);
        dedicated.retain(|weak| weak.upgrade().is_some_and(|r| r.state() == ProcessState::Ready));
        if !dedicated.iter().filter_map(WeakV8Runtime::upgrade).any(|r| r.same_process(runtime)) {
            dedicated.push(runtime.downgrade());
        }
    }

    /// Every live process with its topology, key, pid and stats. Answers at once: the stats
    /// are those of each process's last heartbeat; call [`V8Runtime::stats`] on an entry's
    /// `runtime` for figures fetched now.
    pub fn processes(&self) -> Vec<ProcessEntry> {
        let mut listed: Vec<(TopologyKind, Option<String>, V8Runtime)> = Vec::new();
        if let Some(runtime) = self.inner.shared.live() {
            listed.push((TopologyKind::Shared, None, runtime));
        }
        let tenants: Vec<(String, Arc<Slot>)> =
            lock(&self.inner.tenants).iter().map(|(k, s)| (k.clone(), Arc::clone(s))).collect();
        let mut tenants: Vec<_> =
            tenants.into_iter().filter_map(|(key, slot)| slot.live().map(|r| (key, r))).collect();
        tenants.sort_by(|a, b| a.0.cmp(&b.0));
        listed.extend(tenants.into_iter().map(|(key, r)| (TopologyKind::Tenant, Some(key), r)));
        let dedicated: Vec<V8Runtime> = lock(&self.inner.dedicated)
            .iter()
            .filter_map(WeakV8Runtime::upgrade)
            .filter(|r| r.state() == ProcessState::Ready)
            .collect();
        listed.extend(dedicated.into_iter().map(|r| (TopologyKind::PerRuntime, None, r)));

        listed
            .into_iter()
            .map(|(topology, key, runtime)| ProcessEntry {
                topology,
                key,
                pid: runtime.info().pid,
                stats: runtime.last_stats(),
                runtime,
            })
            .collect()
    }

    /// Disposes every process of the registry. Later use starts fresh processes.
    pub async fn shutdown(&self) {
        let mut runtimes: Vec<V8Runtime> = Vec::new();
        runtimes.extend(self.inner.shared.take().await);
        let tenants: Vec<Arc<Slot>> = lock(&self.inner.tenants).drain().map(|(_, s)| s).collect();
        for slot in tenants {
            runtimes.extend(slot.take().await);
        }
        runtimes.extend(lock(&self.inner.dedicated).drain(..).filter_map(|w| w.upgrade()));
        let disposals = runtimes.iter().map(V8Runtime::dispose);
        futures_util::future::join_all(disposals).await;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
