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
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::process::{ProcessState, WeakV8Runtime};
use crate::{Error, ProcessStats, V8Runtime, V8RuntimeOptions, driver};

static GLOBAL: OnceLock<Registry> = OnceLock::new();

/// A process that crashed after running at least this long counts as having worked: its slot
/// is respawned at once and its backoff starts over.
const STABLE_UPTIME: Duration = Duration::from_secs(10);

/// Options of a [`Registry`].
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Options for the shared process.
    pub shared: V8RuntimeOptions,
    /// A tenant whose process has started no session for this long (and runs none) is
    /// disposed and forgotten; its next use starts a fresh process. Default 10 minutes.
    pub tenant_idle_timeout: Duration,
    /// Most tenants a registry keeps. A new tenant beyond it evicts the least recently used
    /// idle one; if every tenant is busy, `tenant()` fails with `ERR_TENANT_LIMIT`. Default 1024.
    pub max_tenants: usize,
    /// A slot whose process keeps crashing within 10 s of starting is respawned after a delay
    /// that starts here and doubles with each such crash; meanwhile its sessions fail at once
    /// with `ERR_V8_PROCESS_CRASH`. The first crash is respawned at once. Default 100 ms.
    pub respawn_backoff: Duration,
    /// The longest respawn delay. Default 30 s.
    pub max_respawn_backoff: Duration,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            shared: V8RuntimeOptions::default(),
            tenant_idle_timeout: Duration::from_secs(600),
            max_tenants: 1024,
            respawn_backoff: Duration::from_millis(100),
            max_respawn_backoff: Duration::from_secs(30),
        }
    }
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
    /// Whether the idle-tenant sweeper runs.
    sweeping: OnceLock<()>,
}

/// One place in the pool that always holds the current process for its role.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    /// The process, behind an async lock held while one is started, so that concurrent
    /// callers share one spawn.
    current: tokio::sync::Mutex<Option<V8Runtime>>,
    /// The same process, for answering at once without waiting on a spawn in progress.
    published: Mutex<Option<V8Runtime>>,
    crashes: AtomicU64,
    state: Mutex<SlotState>,
}

#[derive(Debug, Default)]
struct SlotState {
    /// The options the slot's processes run with (tenants: fixed by the first caller).
    options: Option<V8RuntimeOptions>,
    /// Crashes in a row of processes that died young.
    quick_crashes: u32,
    /// Whether the current (crashed) process has been counted.
    counted: bool,
    /// No respawn before this.
    retry_at: Option<Instant>,
    last_used: Option<Instant>,
}

/// How a slot respawns.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Backoff {
    pub(crate) first: Duration,
    pub(crate) max: Duration,
}

impl Backoff {
    fn delay(self, quick_crashes: u32) -> Duration {
        if quick_crashes <= 1 {
            return Duration::ZERO;
        }
        let doublings = (quick_crashes - 2).min(20);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

impl Slot {
    /// The slot's live process, starting one if there is none or the last one ended. After
    /// crashes in quick succession the respawn waits out a backoff, during which the crashed
    /// process is returned: its sessions fail at once with `ERR_V8_PROCESS_CRASH`.
    pub(crate) async fn get(
        &self,
        options: &V8RuntimeOptions,
        backoff: Backoff,
        role: &str,
    ) -> Result<V8Runtime, Error> {
        let mut current = self.current.lock().await;
        lock(&self.state).last_used = Some(Instant::now());
        if let Some(runtime) = current.as_ref() {
            match runtime.state() {
                ProcessState::Ready => return Ok(runtime.clone()),
                ProcessState::Crashed { .. } => {
                    let mut state = lock(&self.state);
                    if !state.counted {
                        state.counted = true;
                        self.crashes.fetch_add(1, Ordering::Relaxed);
                        state.quick_crashes = if runtime.uptime() < STABLE_UPTIME {
                            state.quick_crashes + 1
                        } else {
                            1
                        };
                        let delay = backoff.delay(state.quick_crashes);
                        state.retry_at = Some(Instant::now() + delay);
                        tracing::info!(
                            role,
                            crashes = self.crashes.load(Ordering::Relaxed),
                            delay_ms = delay.as_millis() as u64,
                            "worker crashed; respawning"
                        );
                    }
                    if state.retry_at.is_some_and(|at| Instant::now() < at) {
                        return Ok(runtime.clone());
                    }
                }
                ProcessState::Disposed => {}
            }
        }
        let crashes = self.crashes.load(Ordering::Relaxed);
        let runtime = V8Runtime::spawn_in_lineage(options.clone(), crashes).await?;
        {
            let mut state = lock(&self.state);
            state.counted = false;
            state.retry_at = None;
        }
        *current = Some(runtime.clone());
        *lock(&self.published) = Some(runtime.clone());
        Ok(runtime)
    }

    /// The slot's process if it is alive, without starting one or waiting.
    pub(crate) fn live(&self) -> Option<V8Runtime> {
        lock(&self.published)
            .as_ref()
            .filter(|runtime| runtime.state() == ProcessState::Ready)
            .cloned()
    }

    /// Whether the slot may be evicted: no session started for `idle`, none running or queued.
    fn idle_for(&self, idle: Duration) -> bool {
        let quiet = lock(&self.state).last_used.is_none_or(|at| at.elapsed() >= idle);
        quiet && self.live().is_none_or(|runtime| !runtime.busy())
    }

    fn last_used(&self) -> Option<Instant> {
        lock(&self.state).last_used
    }

    async fn take(&self) -> Option<V8Runtime> {
        lock(&self.published).take();
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
                sweeping: OnceLock::new(),
            }),
        }
    }

    /// The options it was created with.
    pub fn options(&self) -> &RegistryOptions {
        &self.inner.options
    }

    pub(crate) fn backoff(&self) -> Backoff {
        Backoff {
            first: self.inner.options.respawn_backoff,
            max: self.inner.options.max_respawn_backoff,
        }
    }

    /// The shared process, started on first use and replaced after a crash (with backoff, see
    /// [`RegistryOptions::respawn_backoff`]).
    pub async fn shared(&self) -> Result<V8Runtime, Error> {
        self.inner.shared.get(&self.inner.options.shared, self.backoff(), "shared").await
    }

    /// The process of tenant `key`: the same live process for the same key, a fresh one after
    /// it crashed or was disposed. The first call for a key fixes the tenant's `options`; a
    /// later call with different ones is `ERR_INVALID_OPTIONS` (remove the tenant first to
    /// change them). A new tenant beyond `max_tenants` evicts the least recently used idle
    /// tenant, or fails with `ERR_TENANT_LIMIT` if none is idle.
    pub async fn tenant(
        &self,
        key: impl Into<String>,
        options: V8RuntimeOptions,
    ) -> Result<V8Runtime, Error> {
        let key = key.into();
        self.start_sweeper();
        let (slot, evicted) = {
            let mut tenants = lock(&self.inner.tenants);
            let mut evicted = None;
            if !tenants.contains_key(&key) && tenants.len() >= self.inner.options.max_tenants {
                let victim = tenants
                    .iter()
                    .filter(|(_, slot)| slot.idle_for(Duration::ZERO))
                    .min_by_key(|(_, slot)| slot.last_used())
                    .map(|(key, _)| key.clone());
                let Some(victim) = victim else {
                    return Err(Error::TenantLimit(format!(
                        "the registry holds its maximum of {} tenants and none is idle",
                        self.inner.options.max_tenants
                    )));
                };
                tracing::info!(tenant = %victim, "evicting the least recently used idle tenant");
                evicted = tenants.remove(&victim);
            }
            let slot = Arc::clone(tenants.entry(key.clone()).or_default());
            let mut state = lock(&slot.state);
            // Marked used while the map is locked, so that the idle sweeper (which holds the same
            // lock) cannot take the tenant away between here and its session.
            state.last_used = Some(Instant::now());
            match &state.options {
                Some(existing) if *existing != options => {
                    return Err(Error::InvalidOptions(format!(
                        "tenant {key:?} already runs with other V8RuntimeOptions; remove the \
                         tenant first to change them"
                    )));
                }
                Some(_) => {}
                None => state.options = Some(options.clone()),
            }
            drop(state);
            (slot, evicted)
        };
        if let Some(evicted) = evicted {
            dispose_later(evicted);
        }
        slot.get(&options, self.backoff(), "tenant").await
    }

    /// Disposes idle tenants every so often; holds the registry weakly, so it ends with it.
    fn start_sweeper(&self) {
        self.inner.sweeping.get_or_init(|| {
            let inner: Weak<Inner> = Arc::downgrade(&self.inner);
            let idle = self.inner.options.tenant_idle_timeout;
            let every = (idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(30));
            driver::handle().spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    let Some(inner) = inner.upgrade() else { return };
                    let mut expired: Vec<(String, Arc<Slot>)> = Vec::new();
                    lock(&inner.tenants).retain(|key, slot| {
                        let keep = !slot.idle_for(idle);
                        if !keep {
                            expired.push((key.clone(), Arc::clone(slot)));
                        }
                        keep
                    });
                    for (key, slot) in expired {
                        tracing::info!(tenant = %key, "disposing an idle tenant");
                        dispose_later(slot);
                    }
                }
            });
        });
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

/// Disposes the slot's process on the driver, without making the caller wait.
fn dispose_later(slot: Arc<Slot>) {
    driver::handle().spawn(async move {
        if let Some(runtime) = slot.take().await {
            runtime.dispose().await;
        }
    });
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
