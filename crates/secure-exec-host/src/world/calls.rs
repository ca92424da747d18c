//! Answers to a session's host calls. Runs on the host's blocking pool (small steps on the
//! session's private in-memory root on its I/O thread: `served_inline`); never trusts the call:
//! every path is normalised again and every byte counted against the session's bounds.

use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use secure_exec_proto::v1::{self, FsOp, host_call};

use super::SessionWorld;
use super::fs::{FileKind, FsError, FsErrorCode, Metadata, WriteMode};
use super::mounts::normalize;
use super::resolve::{Format, Unresolved};

/// Why a call failed: Node's code and the message's description.
struct Failure {
    code: String,
    message: String,
}

impl From<FsError> for Failure {
    fn from(err: FsError) -> Self {
        Self { code: err.code.as_str().to_owned(), message: err.description() }
    }
}

impl From<Unresolved> for Failure {
    fn from(unresolved: Unresolved) -> Self {
        Self { code: unresolved.code.to_owned(), message: unresolved.message }
    }
}

fn failed(failure: Failure) -> v1::HostReply {
    v1::HostReply { error_code: failure.code, error_message: failure.message, ..Default::default() }
}

type Answer = Result<v1::HostReply, Failure>;

/// Carries out one call for a session; the reply's ids are the caller's to fill in.
/// `data_cap` bounds the bytes a reply carries (it must fit one frame).
pub(crate) fn serve(
    world: &SessionWorld,
    op: Option<host_call::Op>,
    data_cap: usize,
) -> v1::HostReply {
    let answer = match op {
        Some(host_call::Op::Fs(call)) => fs_call(world, call, data_cap),
        Some(host_call::Op::Resolve(call)) => resolve(world, &call, data_cap),
        // Network calls are served on the I/O thread (`CallQueue::serve_net`), never here.
        Some(host_call::Op::Net(_)) | None => Err(Failure {
            code: "ERR_INVALID_ARG_VALUE".into(),
            message: "an empty host call".into(),
        }),
    };
    answer.unwrap_or_else(failed)
}

/// The most bytes a call served on the I/O thread may carry.
const INLINE_BYTES: u64 = 64 * 1024;
/// The longest path a call served on the I/O thread may name: resolving one looks up each of
/// its prefixes.
const INLINE_PATH: usize = 1024;

/// Whether `op` may be answered on the host's I/O thread, which every session of the host
/// shares: a step whose cost does not grow with what the guest stored (no listing, no
/// directory renamed, no recursion, at most 64 KiB read or written, a path of at most 1 KiB and
/// no link to follow), on the session's private in-memory root, whose lock nothing outside the
/// session ever holds. The caller makes sure
/// none of the session's own calls is being served on the pool meanwhile. Everything else,
/// and everything on a mount of the embedder's, goes to the blocking pool.
pub(crate) fn served_inline(world: &SessionWorld, op: &Option<host_call::Op>) -> bool {
    let Some(host_call::Op::Fs(call)) = op else { return false };
    if call.path.len() > INLINE_PATH || call.to.len() > INLINE_PATH {
        return false;
    }
    let private =
        |path: &str| normalize(path).ok().filter(|p| world.mounts.on_plain_private_root(p));
    let Some(path) = private(&call.path) else { return false };
    let is_file =
        || world.mounts.metadata(&path, false).is_ok_and(|meta| meta.kind == FileKind::File);
    match FsOp::try_from(call.op).unwrap_or(FsOp::Unspecified) {
        // `readFile` asks for as much as a reply carries: what counts is what the file holds
        // past the offset.
        FsOp::Read => {
            (1..=INLINE_BYTES).contains(&call.length)
                || world
                    .mounts
                    .metadata(&path, true)
                    .is_ok_and(|meta| meta.size.saturating_sub(call.offset) <= INLINE_BYTES)
        }
        FsOp::Write => call.data.len() as u64 <= INLINE_BYTES,
        FsOp::Mkdir | FsOp::Rmdir | FsOp::Rm => !call.recursive,
        FsOp::Rename => private(&call.to).is_some() && is_file(),
        FsOp::Stat
        | FsOp::Lstat
        | FsOp::Unlink
        | FsOp::Realpath
        | FsOp::Access
        | FsOp::Readlink
        | FsOp::Symlink
        | FsOp::Chmod
        | FsOp::Utimes => true,
        FsOp::Readdir | FsOp::Copy | FsOp::Truncate | FsOp::Unspecified => false,
    }
}

fn io_limit(what: &str, limit: u64) -> Failure {
    Failure {
        code: "ERR_IO_LIMIT".into(),
        message: format!("the session may {what} at most {limit} bytes through the host"),
    }
}

impl SessionWorld {
    fn charge_read(&self, bytes: usize) -> Result<(), Failure> {
        let total = self.read.fetch_add(bytes as u64, Ordering::Relaxed) + bytes as u64;
        if total > self.max_read { Err(io_limit("read", self.max_read)) } else { Ok(()) }
    }

    fn charge_write(&self, bytes: usize) -> Result<(), Failure> {
        let total = self.written.fetch_add(bytes as u64, Ordering::Relaxed) + bytes as u64;
        if total > self.max_written { Err(io_limit("write", self.max_written)) } else { Ok(()) }
    }
}

fn millis(time: SystemTime) -> f64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs_f64() * 1000.0,
        Err(before) => -before.duration().as_secs_f64() * 1000.0,
    }
}

/// A time from the guest (milliseconds since the epoch, either side of it); not a number, or
/// one past what the system can hold, is an invalid argument.
fn time_of(ms: f64) -> Result<SystemTime, FsError> {
    let invalid = || FsError::new(FsErrorCode::InvalidArgument);
    if !ms.is_finite() {
        return Err(invalid());
    }
    let since = std::time::Duration::try_from_secs_f64(ms.abs() / 1000.0).map_err(|_| invalid())?;
    let time =
        if ms >= 0.0 { UNIX_EPOCH.checked_add(since) } else { UNIX_EPOCH.checked_sub(since) };
    time.ok_or_else(invalid)
}

fn kind(kind: FileKind) -> v1::FileKind {
    match kind {
        FileKind::File => v1::FileKind::File,
        FileKind::Directory => v1::FileKind::Directory,
        FileKind::Symlink => v1::FileKind::Symlink,
    }
}

fn stat(meta: &Metadata) -> v1::FileStat {
    let type_bits = match meta.kind {
        FileKind::File => 0o100_000,
        FileKind::Directory => 0o040_000,
        FileKind::Symlink => 0o120_000,
    };
    v1::FileStat {
        kind: kind(meta.kind) as i32,
        size: meta.size,
        mode: type_bits | (meta.permissions & 0o7777),
        mtime_ms: millis(meta.modified),
        atime_ms: millis(meta.accessed),
        ctime_ms: millis(meta.modified),
        birthtime_ms: millis(meta.created),
        ino: meta.inode,
        nlink: meta.links,
    }
}

fn fs_call(world: &SessionWorld, call: v1::FsCall, data_cap: usize) -> Answer {
    let mounts = &world.mounts;
    let path = normalize(&call.path)?;
    let mut reply = v1::HostReply::default();
    let op = FsOp::try_from(call.op).unwrap_or(FsOp::Unspecified);
    match op {
        FsOp::Read => {
            let want = match usize::try_from(call.length) {
                Ok(0) | Err(_) => data_cap,
                Ok(n) => n.min(data_cap),
            };
            let (data, meta) = mounts.read(&path, call.offset, want)?;
            world.charge_read(data.len())?;
            reply.data = data;
            reply.stat = Some(stat(&meta));
        }
        FsOp::Write => {
            if call.data.len() > data_cap {
                return Err(FsError::new(FsErrorCode::InvalidArgument).into());
            }
            world.charge_write(call.data.len())?;
            let mode = WriteMode {
                append: call.append,
                offset: call.positioned.then_some(call.offset),
                exclusive: call.exclusive,
                must_exist: call.must_exist,
            };
            mounts.write(&path, &call.data, mode)?;
        }
        FsOp::Stat | FsOp::Lstat => {
            reply.stat = Some(stat(&mounts.metadata(&path, op == FsOp::Stat)?));
        }
        FsOp::Readdir => {
            let entries = mounts.read_dir(&path)?;
            // Each entry costs its name and a few bytes of framing; the reply must fit a frame.
            let size: usize = entries.iter().map(|e| e.name.len() + 8).sum();
            if size > data_cap {
                return Err(Failure {
                    code: "ERR_IO_LIMIT".into(),
                    message: format!(
                        "the directory has {} entries, more than one listing can carry",
                        entries.len()
                    ),
                });
            }
            reply.entries = entries
                .into_iter()
                .map(|e| v1::DirEntry { name: e.name, kind: kind(e.kind) as i32 })
                .collect();
        }
        FsOp::Mkdir => {
            reply.path = mounts.create_dir(&path, call.recursive)?.unwrap_or_default();
        }
        FsOp::Rmdir if call.recursive => mounts.remove(&path, true, false)?,
        FsOp::Rmdir => mounts.remove_dir(&path)?,
        FsOp::Unlink => mounts.remove_file(&path)?,
        FsOp::Rm => mounts.remove(&path, call.recursive, call.force)?,
        FsOp::Rename => mounts.rename(&path, &normalize(&call.to)?)?,
        FsOp::Copy => {
            let to = normalize(&call.to)?;
            let mut failure = None;
            let copied = mounts.copy(&path, &to, call.exclusive, data_cap, |n| {
                let charged = world.charge_read(n).and_then(|()| world.charge_write(n));
                charged.map_err(|f| {
                    failure = Some(f);
                    FsError::new(FsErrorCode::NoSpace)
                })
            });
            if let Some(failure) = failure {
                return Err(failure);
            }
            copied?;
        }
        FsOp::Realpath => reply.path = mounts.canonicalize(&path)?,
        FsOp::Access => mounts.access(&path, call.writable)?,
        FsOp::Readlink => reply.path = mounts.read_link(&path)?,
        // The target travels verbatim: it is where the link points, not a path to normalise.
        FsOp::Symlink => mounts.symlink(&path, &call.to)?,
        FsOp::Truncate => {
            world.charge_write(0)?;
            mounts.truncate(&path, call.offset)?;
        }
        FsOp::Chmod => mounts.set_permissions(&path, call.mode)?,
        FsOp::Utimes => {
            mounts.set_times(&path, time_of(call.atime_ms)?, time_of(call.mtime_ms)?)?
        }
        FsOp::Unspecified => {
            return Err(Failure {
                code: "ERR_INVALID_ARG_VALUE".into(),
                message: format!("unknown filesystem operation {}", call.op),
            });
        }
    }
    Ok(reply)
}

/// The most bytes of a module's source a resolution answered on the I/O thread may carry (a
/// copy out of memory).
const INLINE_SOURCE: u64 = 1024 * 1024;

/// The answer to `call` if the session's world shares its resolution and, for a load, a
/// frozen directory keeps the module's file whole: then it costs lookups and a copy, no read,
/// and is answered on the host's I/O thread instead of the blocking pool.
pub(crate) fn resolved_inline(
    world: &SessionWorld,
    call: &v1::ResolveCall,
    data_cap: usize,
) -> Option<v1::HostReply> {
    if call.specifier.len() > INLINE_PATH || call.from_dir.len() > INLINE_PATH {
        return None;
    }
    let answer = match world.shared_resolution(&call.specifier, &call.from_dir, call.esm)? {
        Err(unresolved) => Err(Failure::from(unresolved)),
        Ok((path, format)) => {
            let mut reply =
                v1::HostReply { format: format.as_str().to_owned(), ..Default::default() };
            if call.load && format != Format::Builtin {
                let max = INLINE_SOURCE.min(data_cap as u64);
                let (data, _, digest) = world.mounts.kept_file(&path, max)?;
                if let Err(failure) = world.charge_read(data.len()) {
                    return Some(failed(failure));
                }
                reply.data = data.to_vec();
                reply.digest = digest.to_vec();
            }
            reply.path = path;
            Ok(reply)
        }
    };
    Some(answer.unwrap_or_else(failed))
}

fn resolve(world: &SessionWorld, call: &v1::ResolveCall, data_cap: usize) -> Answer {
    let (path, format) = world.resolve(&call.specifier, &call.from_dir, call.esm)?;
    let mut reply = v1::HostReply { format: format.as_str().to_owned(), ..Default::default() };
    if call.load && format != Format::Builtin {
        let (data, meta, digest) = world.mounts.read_source(&path, data_cap)?;
        if meta.size > data.len() as u64 {
            return Err(Failure {
                code: "ERR_MODULE_TOO_LARGE".into(),
                message: format!(
                    "module {path} has {} bytes; the most one module may have is {data_cap}",
                    meta.size
                ),
            });
        }
        world.charge_read(data.len())?;
        reply.data = data;
        reply.digest = digest.map(Vec::from).unwrap_or_default();
    }
    reply.path = path;
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{HostDir, MemFs, SystemDriver};

    fn fs_op(op: FsOp, path: &str) -> v1::FsCall {
        v1::FsCall { op: op as i32, path: path.into(), ..Default::default() }
    }

    fn inline(world: &SessionWorld, call: v1::FsCall) -> bool {
        served_inline(world, &Some(host_call::Op::Fs(call)))
    }

    fn resolve_call(specifier: &str, from_dir: &str) -> v1::ResolveCall {
        v1::ResolveCall {
            specifier: specifier.into(),
            from_dir: from_dir.into(),
            load: true,
            ..Default::default()
        }
    }

    /// A directory under the system's temporary one, removed when dropped.
    struct Scratch(std::path::PathBuf);

    impl Scratch {
        fn new(files: &[(&str, &str)]) -> Self {
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir =
                std::env::temp_dir().join(format!("secure-exec-calls-{}-{n}", std::process::id()));
            for (path, text) in files {
                let path = dir.join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            Self(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn resolutions_are_shared_only_while_what_they_read_reads_alike() {
        let dir = Scratch::new(&[
            ("node_modules/dep/package.json", r#"{ "main": "lib.js" }"#),
            ("node_modules/dep/lib.js", "module.exports = 1;"),
        ]);
        let frozen = SystemDriver::default()
            .mount("/app/node_modules", HostDir::frozen(dir.0.join("node_modules")))
            .mount("/ro", HostDir::read_only(&dir.0));
        let resolve = |world: &SessionWorld, specifier: &str, from: &str| {
            serve(world, Some(host_call::Op::Resolve(resolve_call(specifier, from))), 1 << 20)
        };
        let inline = |world: &SessionWorld, specifier: &str, from: &str| {
            resolved_inline(world, &resolve_call(specifier, from), 1 << 20)
        };

        // Nothing is shared before a session has resolved it.
        let first = frozen.session();
        assert!(inline(&first, "dep", "/app").is_none());
        let found = resolve(&first, "dep", "/app");
        assert_eq!(found.path, "/app/node_modules/dep/lib.js");
        assert_eq!(found.data, b"module.exports = 1;");
        assert_eq!(resolve(&first, "./x", "/app").error_code, "MODULE_NOT_FOUND");

        // Another session of the world gets both on the I/O thread, the file with its digest.
        let second = frozen.clone().session();
        let shared = inline(&second, "dep", "/app").expect("shared");
        assert_eq!(
            (shared.path.as_str(), shared.data.as_slice()),
            (found.path.as_str(), &found.data[..])
        );
        assert_eq!(shared.digest.len(), 32);
        assert_eq!(inline(&second, "./x", "/app").expect("shared").error_code, "MODULE_NOT_FOUND");
        // ... until it changes its root: then it resolves for itself, and finds what it wrote.
        second.mounts.write("/app/x.js", b"1", WriteMode::default()).unwrap();
        assert!(inline(&second, "./x", "/app").is_none());
        assert!(inline(&second, "dep", "/app").is_none());
        assert_eq!(resolve(&second, "./x", "/app").path, "/app/x.js");
        // What it resolved after the change is not shared with the others.
        let third = frozen.session();
        assert_eq!(inline(&third, "./x", "/app").expect("shared").error_code, "MODULE_NOT_FOUND");

        // A directory that may change is read again by every session: nothing resolved from it
        // (or by a session's resolvers once they read it) is shared.
        assert_eq!(
            resolve(&third, "./node_modules/dep", "/ro").path,
            "/ro/node_modules/dep/lib.js"
        );
        assert_eq!(resolve(&third, "./y", "/app").error_code, "MODULE_NOT_FOUND");
        let fourth = frozen.session();
        assert!(inline(&fourth, "./node_modules/dep", "/ro").is_none());
        assert!(inline(&fourth, "./y", "/app").is_none());

        // A new mount is a new world, which starts afresh.
        let other = frozen.mount("/data", MemFs::new()).session();
        assert!(inline(&other, "dep", "/app").is_none());
    }

    #[test]
    fn only_small_steps_on_the_private_root_are_served_on_the_io_thread() {
        let host = std::env::temp_dir();
        let shared = MemFs::new();
        let world = SystemDriver::default()
            .mount("/host", HostDir::read_only(&host))
            .mount("/shared", shared)
            .session();
        let big = vec![7u8; 100 * 1024];
        world.mounts.write("/big", &big, WriteMode::default()).unwrap();
        world.mounts.write("/small", b"x", WriteMode::default()).unwrap();
        world.mounts.create_dir("/dir", false).unwrap();

        assert!(inline(&world, fs_op(FsOp::Stat, "/small")));
        assert!(inline(&world, fs_op(FsOp::Access, "/missing")));
        assert!(inline(&world, v1::FsCall { to: "small".into(), ..fs_op(FsOp::Symlink, "/link") }));
        // A read that asks for a whole reply's worth: what the file holds decides.
        let read = |path: &str, length| v1::FsCall { length, ..fs_op(FsOp::Read, path) };
        assert!(inline(&world, read("/small", 0)));
        assert!(inline(&world, read("/small", 1 << 20)));
        assert!(!inline(&world, read("/big", 1 << 20)));
        assert!(inline(&world, v1::FsCall { offset: 90 * 1024, ..read("/big", 1 << 20) }));
        let write = |len| v1::FsCall { data: vec![0; len], ..fs_op(FsOp::Write, "/w") };
        assert!(inline(&world, write(64 * 1024)));
        assert!(!inline(&world, write(64 * 1024 + 1)));
        // Costs that grow with what the guest stored stay on the pool.
        assert!(!inline(&world, fs_op(FsOp::Readdir, "/")));
        assert!(!inline(&world, v1::FsCall { recursive: true, ..fs_op(FsOp::Rm, "/dir") }));
        let rename =
            |from: &str, to: &str| v1::FsCall { to: to.into(), ..fs_op(FsOp::Rename, from) };
        assert!(inline(&world, rename("/small", "/moved")));
        assert!(!inline(&world, rename("/dir", "/moved")));
        assert!(!inline(&world, fs_op(FsOp::Copy, "/small")));
        assert!(!inline(&world, fs_op(FsOp::Truncate, "/small")));
        assert!(!inline(&world, fs_op(FsOp::Stat, &format!("/{}", "a".repeat(2000)))));
        // Mounts of the embedder's: a host directory does I/O, and a MemFs of its own may be
        // shared with other sessions, whose calls hold its lock.
        assert!(!inline(&world, fs_op(FsOp::Stat, "/host")));
        assert!(!inline(&world, fs_op(FsOp::Stat, "/shared")));
        assert!(!inline(&world, rename("/small", "/shared/x")));
        assert!(!inline(&world, fs_op(FsOp::Stat, "relative")));
        let resolve = host_call::Op::Resolve(v1::ResolveCall::default());
        assert!(!served_inline(&world, &Some(resolve)));
        // Once the root holds a link, a short path may walk far: its calls go to the pool.
        world.mounts.symlink("/link", "small").unwrap();
        assert!(!inline(&world, fs_op(FsOp::Stat, "/small")));
    }
}
