//! The guest's world on the host side: the filesystems a session sees ([`SystemDriver`] and its
//! mounts), module resolution over them, and the answers to the worker's host calls.
//!
//! The path of one host call: the guest calls `fs.readFileSync` → the worker's session thread
//! sends `HostCall` → the connection actor (`process/actor.rs`) hands it to `calls::serve` on
//! the blocking pool → [`MountTable`](mounts::MountTable) finds the mount → its
//! [`FileSystem`] reads → `HostReply` goes back through the actor's writer → the session thread
//! wakes with the bytes.

mod calls;
mod frozen;
mod fs;
mod host_dir;
mod memfs;
mod mounts;
mod resolve;

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

pub use frozen::FROZEN_CONTENT_BYTES;
pub use fs::{DirEntry, FileKind, FileSystem, FsError, FsErrorCode, Metadata, WriteMode};
pub use host_dir::HostDir;
pub use memfs::{DEFAULT_MEMFS_QUOTA, MemFs};

pub(crate) use calls::{resolved_inline, serve, served_inline};

use crate::Error;
use crate::net::{NetPolicy, NetRule, NetSession, Reach};
use mounts::{Mount, MountTable, normalize};

/// Default bound on the bytes one session may read through host calls: 1 GiB.
pub const DEFAULT_MAX_READ_BYTES: u64 = 1024 * 1024 * 1024;
/// Default bound on the bytes one session may write through host calls: 256 MiB.
pub const DEFAULT_MAX_WRITE_BYTES: u64 = 256 * 1024 * 1024;

/// The world a session's guest sees: its filesystems, working directory and network. Deny by
/// default: [`SystemDriver::default()`] shows no host path at all, only an in-memory filesystem
/// at `/` (empty but for `/tmp`), fresh for every session, and reaches no host on the network.
///
/// ```
/// use secure_exec_host::{HostDir, MemFs, SystemDriver};
///
/// let workspace = MemFs::new(); // shared by every session given this driver
/// let driver = SystemDriver::default()
///     .mount("/app", HostDir::read_only("."))
///     .mount("/workspace", workspace.clone())
///     .with_cwd("/app")
///     .allow_net("api.example.com:443".parse().unwrap());
/// # let _ = driver;
/// ```
#[derive(Debug, Clone)]
pub struct SystemDriver {
    mounts: Vec<Mount>,
    problems: Vec<String>,
    root_quota: u64,
    cwd: String,
    max_read_bytes: u64,
    max_write_bytes: u64,
    net: Reach,
    /// The embedder's extra TLS roots so far.
    net_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// Names this driver's mounts to the worker (`OpenSession.world`): clones share it, a new
    /// mount gets a new one.
    world: u64,
    /// The resolutions its sessions share; a new mount starts afresh, as `world` does.
    resolutions: Arc<resolve::SharedResolutions>,
}

/// A number no other driver's mounts in this process have.
fn new_world() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Default for SystemDriver {
    fn default() -> Self {
        Self {
            mounts: Vec::new(),
            problems: Vec::new(),
            root_quota: DEFAULT_MEMFS_QUOTA,
            cwd: "/".to_owned(),
            max_read_bytes: DEFAULT_MAX_READ_BYTES,
            max_write_bytes: DEFAULT_MAX_WRITE_BYTES,
            net: Reach::default(),
            net_roots: Vec::new(),
            world: new_world(),
            resolutions: Arc::default(),
        }
    }
}

impl SystemDriver {
    /// The default world (same as `default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Mounts `fs` at the absolute guest path `at`, over whatever is there (the deepest mount
    /// serves a path). Mounting at `/` replaces the fresh in-memory root. A relative `at`, or
    /// a [`HostDir`] that could not be opened, makes sessions fail with `ERR_INVALID_OPTIONS`.
    pub fn mount<F: FileSystem + 'static>(mut self, at: &str, fs: F) -> Self {
        let host_dir = (&fs as &dyn Any).downcast_ref::<HostDir>();
        if let Some(why) = host_dir.and_then(HostDir::open_error) {
            self.problems.push(format!("mount {at}: {why}"));
        }
        let frozen = host_dir.filter(|dir| dir.is_frozen()).cloned();
        self.world = new_world();
        self.resolutions = Arc::default();
        match normalize(at) {
            Ok(at) => {
                self.mounts.retain(|m| m.at != at);
                self.mounts.push(Mount { at, fs: Arc::new(fs), private: None, frozen });
            }
            Err(_) => self.problems.push(format!("mount point {at:?} is not an absolute path")),
        }
        self
    }

    /// The guest's working directory (`process.cwd()`, where relative paths and a relative
    /// `ExecOptions::filename` start). Default `/`.
    pub fn with_cwd(mut self, cwd: &str) -> Self {
        match normalize(cwd) {
            Ok(cwd) => self.cwd = cwd,
            Err(_) => self.problems.push(format!("cwd {cwd:?} is not an absolute path")),
        }
        self
    }

    /// The quota of the fresh in-memory `/` each session gets. Default 64 MiB.
    pub fn with_root_quota(mut self, bytes: u64) -> Self {
        self.root_quota = bytes;
        self
    }

    /// Bounds on the bytes one session may read and write through the host; past them its
    /// calls fail with `ERR_IO_LIMIT`. Defaults 1 GiB and 256 MiB.
    pub fn with_io_limits(mut self, read_bytes: u64, written_bytes: u64) -> Self {
        self.max_read_bytes = read_bytes;
        self.max_write_bytes = written_bytes;
        self
    }

    /// Adds a rule to the network policy (nothing is reachable without one):
    /// `allow_net(NetRule::host(HostPattern::Any))` admits any public host, and
    /// `"127.0.0.1:8080".parse()` one local port. See [`NetPolicy`] for what a rule admits.
    pub fn allow_net(mut self, rule: NetRule) -> Self {
        Arc::make_mut(&mut self.net.policy).allow.push(rule);
        self
    }

    /// Replaces the network policy: its rules and its per-session bounds.
    pub fn with_net_policy(mut self, policy: NetPolicy) -> Self {
        self.net.policy = Arc::new(policy);
        self
    }

    /// An embedder's check on every request (and every redirect hop) the rules admitted:
    /// returning `false` refuses it with `ERR_ACCESS_DENIED`. It can narrow the policy, never
    /// widen it. It runs on the host's I/O thread: keep it quick.
    pub fn with_net_filter<F>(mut self, filter: F) -> Self
    where
        F: Fn(&crate::NetRequest<'_>) -> bool + Send + Sync + 'static,
    {
        self.net.filter = Some(Arc::new(filter));
        self
    }

    /// Root certificates (PEM) to trust for `https` besides Mozilla's, such as a company's
    /// own CA. Certificates that do not parse make sessions fail with `ERR_INVALID_OPTIONS`.
    pub fn with_net_root_certificates(mut self, pem: impl AsRef<[u8]>) -> Self {
        let built = crate::net::pem_certificates(pem.as_ref()).and_then(|mut certs| {
            self.net_roots.append(&mut certs);
            crate::net::tls_config(&self.net_roots)
        });
        match built {
            Ok(config) => self.net.tls = Some(Arc::new(config)),
            Err(why) => self.problems.push(why),
        }
        self
    }

    /// The network policy.
    pub fn net_policy(&self) -> &NetPolicy {
        &self.net.policy
    }

    /// The guest's working directory.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// The number that names this driver's mounts to the worker.
    pub(crate) fn world(&self) -> u64 {
        self.world
    }

    /// `Err(ERR_INVALID_OPTIONS)` naming every mount or setting that cannot work.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidOptions(format!("system driver: {}", self.problems.join("; "))))
        }
    }

    /// The world of one new session: the mounts, over a fresh in-memory root unless one is
    /// mounted at `/`.
    pub(crate) fn session(&self) -> Arc<SessionWorld> {
        let mut mounts = self.mounts.clone();
        if !mounts.iter().any(|m| m.at == "/") {
            let root = MemFs::with_quota(self.root_quota);
            // `os.tmpdir()` is `/tmp`, as on Linux: programs make their scratch files there.
            let _ = root.create_dir(std::path::Path::new("tmp"));
            mounts.push(Mount {
                at: "/".to_owned(),
                fs: Arc::new(root.clone()),
                private: Some(root),
                frozen: None,
            });
        }
        Arc::new(SessionWorld {
            mounts: Arc::new(MountTable::new(mounts)),
            resolvers: OnceLock::new(),
            resolutions: Arc::clone(&self.resolutions),
            read: AtomicU64::new(0),
            written: AtomicU64::new(0),
            max_read: self.max_read_bytes,
            max_written: self.max_write_bytes,
            ended: AtomicBool::new(false),
            net: NetSession::new(self.net.clone()),
        })
    }
}

/// `path` normalised as the guest sees it, if it is a usable absolute path.
pub(crate) fn normalize_path(path: &str) -> Option<String> {
    normalize(path).ok()
}

/// One session's view of its world, shared by the calls it has in flight.
#[derive(Debug)]
pub(crate) struct SessionWorld {
    mounts: Arc<MountTable>,
    resolvers: OnceLock<resolve::Resolvers>,
    resolutions: Arc<resolve::SharedResolutions>,
    read: AtomicU64,
    written: AtomicU64,
    max_read: u64,
    max_written: u64,
    ended: AtomicBool,
    net: NetSession,
}

impl SessionWorld {
    /// The session has its result: calls still queued for it are not carried out.
    pub(crate) fn end(&self) {
        self.ended.store(true, Ordering::Relaxed);
        self.net.end();
    }

    /// The session's network requests.
    pub(crate) fn net(&self) -> &NetSession {
        &self.net
    }

    pub(crate) fn ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// How the entry at `path` runs: `"module"` or `"commonjs"` when its extension or the
    /// nearest package.json says, else empty (the worker detects it from the syntax). Reads
    /// files: call it off the I/O thread.
    pub(crate) fn entry_format(&self, path: &str) -> String {
        if path.ends_with(".mjs") {
            return "module".into();
        }
        if path.ends_with(".cjs") {
            return "commonjs".into();
        }
        match resolve::package_type(&self.mounts, mounts::parent(path)).as_deref() {
            Some("module") => "module".into(),
            Some("commonjs") => "commonjs".into(),
            _ => String::new(),
        }
    }

    /// Whether anything but the fresh in-memory root is mounted (only then can a package.json
    /// be there before the session writes one).
    pub(crate) fn has_mounts(&self) -> bool {
        self.mounts.len() > 1
    }

    fn resolvers(&self) -> &resolve::Resolvers {
        self.resolvers.get_or_init(|| resolve::Resolvers::new(Arc::clone(&self.mounts)))
    }

    /// Resolves `specifier` from `from_dir` (`import` if `esm`), through the resolutions the
    /// world shares. Reads files: call it off the I/O thread.
    fn resolve(&self, specifier: &str, from_dir: &str, esm: bool) -> resolve::Resolved {
        if let Some(resolved) = self.shared_resolution(specifier, from_dir, esm) {
            return resolved;
        }
        let resolvers = self.resolvers();
        let resolved = resolvers.resolve(specifier, from_dir, esm);
        if !resolvers.read_unlike() {
            self.resolutions.keep(specifier, from_dir, esm, &resolved);
        }
        resolved
    }

    /// A resolution the world shares, if there is one for the session: memory only.
    fn shared_resolution(
        &self,
        specifier: &str,
        from_dir: &str,
        esm: bool,
    ) -> Option<resolve::Resolved> {
        resolve::shared(&self.resolutions, &self.mounts, specifier, from_dir, esm)
    }
}
