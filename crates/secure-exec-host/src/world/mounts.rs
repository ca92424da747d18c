//! The mount table of one session: which filesystem serves a guest path, and the operations
//! that span several steps or several mounts (recursive mkdir and rm, copies, renames).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::frozen::{Digest, SourceRead};
use super::fs::{DirEntry, FileKind, FileSystem, FsError, FsErrorCode, Metadata, WriteMode};
use super::{HostDir, MemFs};

/// Longest guest path accepted, in bytes (Linux's `PATH_MAX`).
pub(super) const MAX_PATH: usize = 4096;

/// A filesystem at a guest path.
#[derive(Debug, Clone)]
pub(crate) struct Mount {
    /// Normalised, absolute (`/` for the root).
    pub(crate) at: String,
    pub(crate) fs: Arc<dyn FileSystem>,
    /// The session's own in-memory root, made for it alone: no other session, and no handle
    /// of the embedder's, reaches it.
    pub(crate) private: Option<MemFs>,
    /// The same directory as `fs` when it is a frozen [`HostDir`]: module sources read from it
    /// come with their digest.
    pub(crate) frozen: Option<HostDir>,
}

/// The mounts of one session, deepest first, so the first match is the one that serves a path.
#[derive(Debug)]
pub(crate) struct MountTable {
    mounts: Vec<Mount>,
    /// The session's private root and how many changes it had when the session began.
    root: Option<(MemFs, u64)>,
}

/// `path` as an absolute guest path without `.`, `..` or repeated slashes: `..` at the root
/// stays at the root, as it does on Linux. `EINVAL` for a relative path or a NUL byte.
pub(crate) fn normalize(path: &str) -> Result<String, FsError> {
    // An empty path names nothing, as open("") finds nothing on Linux.
    if path.is_empty() {
        return Err(FsErrorCode::NotFound.into());
    }
    if !path.starts_with('/') {
        return Err(FsErrorCode::InvalidArgument.into());
    }
    check_bytes(path)?;
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            name => parts.push(name),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

/// The directory holding `path` (a normalised guest path); `/` for `/` itself.
pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(at) => &path[..at],
    }
}

/// What Linux refuses of any path it is given, absolute or not: a NUL byte (`EINVAL`), more
/// than `PATH_MAX` bytes (`ENAMETOOLONG`).
fn check_bytes(path: &str) -> Result<(), FsError> {
    if path.contains('\0') {
        return Err(FsErrorCode::InvalidArgument.into());
    }
    if path.len() > MAX_PATH {
        return Err(FsErrorCode::NameTooLong.into());
    }
    Ok(())
}

fn is_within(path: &str, root: &str) -> bool {
    root == "/" || path == root || path.strip_prefix(root).is_some_and(|rest| rest.starts_with('/'))
}

fn join(root: &str, rel: &Path) -> String {
    let rel = rel.to_string_lossy();
    match (root, rel.is_empty()) {
        (root, true) => root.to_owned(),
        ("/", false) => format!("/{rel}"),
        (root, false) => format!("{root}/{rel}"),
    }
}

impl MountTable {
    pub(crate) fn new(mut mounts: Vec<Mount>) -> Self {
        mounts.sort_by_key(|m| std::cmp::Reverse(m.at.len()));
        let root = mounts.iter().find_map(|m| m.private.clone()).map(|r| {
            let made = r.generation();
            (r, made)
        });
        Self { mounts, root }
    }

    /// Whether the session's private root (if it has one) is still as it was made: then it
    /// reads the same as every other session's.
    pub(crate) fn root_as_made(&self) -> bool {
        self.root.as_ref().is_none_or(|(root, made)| root.generation() == *made)
    }

    /// Whether what `path` (normalised) reads as is the same for every session of the world
    /// that has not changed its root: it lies on a frozen directory, on a private root still
    /// as made, or on no mount at all. Asked after the read, so that a change made meanwhile
    /// counts.
    pub(crate) fn reads_alike(&self, path: &str) -> bool {
        match self.locate(path) {
            Ok((mount, _)) if mount.frozen.is_some() => true,
            Ok((mount, _)) => mount.private.is_some() && self.root_as_made(),
            Err(_) => true,
        }
    }

    /// A file a frozen directory keeps whole, if `path` (normalised) is one and has at most
    /// `max` bytes: memory only, no read from the host.
    pub(crate) fn kept_file(&self, path: &str, max: u64) -> Option<(Arc<[u8]>, Metadata, Digest)> {
        let (mount, rel) = self.locate(path).ok()?;
        if self.synthetic_dir(path).is_some() {
            return None;
        }
        mount.frozen.as_ref()?.kept(&rel).filter(|(_, meta, _)| meta.size <= max)
    }

    /// How many mounts there are (the root included).
    pub(crate) fn len(&self) -> usize {
        self.mounts.len()
    }

    /// The mount serving `path` (normalised) and the path within it; `ENOENT` outside every
    /// mount.
    pub(crate) fn locate(&self, path: &str) -> Result<(&Mount, PathBuf), FsError> {
        let mount = self
            .mounts
            .iter()
            .find(|m| is_within(path, &m.at))
            .ok_or(FsError::new(FsErrorCode::NotFound))?;
        let rest = if mount.at == "/" { &path[1..] } else { &path[mount.at.len()..] };
        Ok((mount, PathBuf::from(rest.trim_start_matches('/'))))
    }

    /// Whether `path` (normalised) lies on the session's private in-memory root, and that
    /// root holds no link (so that resolving a path costs no more than its length).
    pub(crate) fn on_plain_private_root(&self, path: &str) -> bool {
        self.locate(path)
            .is_ok_and(|(mount, _)| mount.private.as_ref().is_some_and(|root| !root.has_links()))
    }

    /// Names of mount points (or directories leading to them) directly inside `dir`.
    fn mount_children(&self, dir: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .mounts
            .iter()
            .filter(|m| m.at != dir && is_within(&m.at, dir))
            .filter_map(|m| {
                let rest = if dir == "/" { &m.at[1..] } else { &m.at[dir.len() + 1..] };
                rest.split('/').next().map(str::to_owned)
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn writable(&self, path: &str) -> Result<(&Mount, PathBuf), FsError> {
        let (mount, rel) = self.locate(path)?;
        if mount.fs.read_only() {
            return Err(FsErrorCode::ReadOnly.into());
        }
        self.make_real_parents(mount, path)?;
        Ok((mount, rel))
    }

    /// A directory that exists only because mounts lie beneath it (`/app` under a mount at
    /// `/app/node_modules`) is a real one on Linux, where a program may make files: before
    /// anything is made in one, it is made in the mount that serves it, with the directories
    /// above it that are missing there too.
    fn make_real_parents(&self, mount: &Mount, path: &str) -> Result<(), FsError> {
        let mut dir = parent(path);
        if dir == mount.at || self.synthetic_dir(dir).is_none() {
            return Ok(());
        }
        let mut missing = Vec::new();
        while dir != mount.at && is_within(dir, &mount.at) {
            let (_, rel) = self.locate(dir)?;
            if mount.fs.metadata(&rel).is_ok() {
                break;
            }
            dir = parent(dir);
            missing.push(rel);
        }
        for rel in missing.into_iter().rev() {
            match mount.fs.create_dir(&rel) {
                Err(err) if err.code != FsErrorCode::Exists => return Err(err),
                _ => {}
            }
        }
        Ok(())
    }

    /// A directory that exists only because mounts lie beneath it.
    fn synthetic_dir(&self, path: &str) -> Option<Metadata> {
        if self.mount_children(path).is_empty() {
            return None;
        }
        let epoch = SystemTime::UNIX_EPOCH;
        Some(Metadata {
            kind: FileKind::Directory,
            size: 4096,
            permissions: 0o755,
            modified: epoch,
            accessed: epoch,
            created: epoch,
            inode: 0,
            links: 1,
        })
    }

    pub(crate) fn read(
        &self,
        path: &str,
        offset: u64,
        len: usize,
    ) -> Result<(Vec<u8>, Metadata), FsError> {
        let (mount, rel) = self.locate(path)?;
        if self.synthetic_dir(path).is_some() && mount.fs.metadata(&rel).is_err() {
            return Err(FsErrorCode::IsADirectory.into());
        }
        mount.fs.read(&rel, offset, len)
    }

    /// A module's source: as [`read`](Self::read) from the start, with the bytes' SHA-256
    /// when a frozen directory keeps the file whole.
    pub(crate) fn read_source(&self, path: &str, len: usize) -> Result<SourceRead, FsError> {
        let (mount, rel) = self.locate(path)?;
        let frozen = mount.frozen.as_ref().filter(|_| self.synthetic_dir(path).is_none());
        match frozen.and_then(|dir| dir.read_frozen(&rel, len)) {
            Some(read) => read,
            None => self.read(path, 0, len).map(|(data, meta)| (data, meta, None)),
        }
    }

    pub(crate) fn write(&self, path: &str, data: &[u8], mode: WriteMode) -> Result<(), FsError> {
        let (mount, rel) = self.writable(path)?;
        if rel.as_os_str().is_empty() {
            return Err(FsErrorCode::IsADirectory.into());
        }
        mount.fs.write(&rel, data, mode)
    }

    pub(crate) fn truncate(&self, path: &str, len: u64) -> Result<(), FsError> {
        let (mount, rel) = self.writable(path)?;
        mount.fs.truncate(&rel, len)
    }

    pub(crate) fn set_permissions(&self, path: &str, mode: u32) -> Result<(), FsError> {
        let (mount, rel) = self.writable(path)?;
        mount.fs.set_permissions(&rel, mode)
    }

    pub(crate) fn set_times(
        &self,
        path: &str,
        accessed: SystemTime,
        modified: SystemTime,
    ) -> Result<(), FsError> {
        let (mount, rel) = self.writable(path)?;
        mount.fs.set_times(&rel, accessed, modified)
    }

    pub(crate) fn metadata(&self, path: &str, follow: bool) -> Result<Metadata, FsError> {
        let (mount, rel) = self.locate(path)?;
        let found = if follow { mount.fs.metadata(&rel) } else { mount.fs.symlink_metadata(&rel) };
        match found {
            Err(err) if err.code == FsErrorCode::NotFound => self.synthetic_dir(path).ok_or(err),
            other => other,
        }
    }

    pub(crate) fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let (mount, rel) = self.locate(path)?;
        let extra = self.mount_children(path);
        let mut entries = match mount.fs.read_dir(&rel) {
            Ok(entries) => entries,
            Err(err) if err.code == FsErrorCode::NotFound && !extra.is_empty() => Vec::new(),
            Err(err) => return Err(err),
        };
        for name in extra {
            if !entries.iter().any(|e| e.name == name) {
                entries.push(DirEntry { name, kind: FileKind::Directory });
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Creates `path`; with `recursive`, its missing parents too, returning the first
    /// directory it created (Node's return value), if any.
    pub(crate) fn create_dir(
        &self,
        path: &str,
        recursive: bool,
    ) -> Result<Option<String>, FsError> {
        if self.metadata(path, true).is_ok() && self.synthetic_dir(path).is_some() {
            return if recursive { Ok(None) } else { Err(FsErrorCode::Exists.into()) };
        }
        let (mount, rel) = self.writable(path)?;
        if !recursive {
            return mount.fs.create_dir(&rel).map(|()| None);
        }
        let mut first = None;
        let mut prefix = PathBuf::new();
        for part in rel.components() {
            prefix.push(part);
            match mount.fs.metadata(&prefix) {
                Ok(meta) if meta.kind == FileKind::Directory => continue,
                Ok(_) => return Err(FsErrorCode::NotADirectory.into()),
                Err(err) if err.code != FsErrorCode::NotFound => return Err(err),
                Err(_) => {}
            }
            match mount.fs.create_dir(&prefix) {
                Ok(()) => {
                    first.get_or_insert_with(|| join(&mount.at, &prefix));
                }
                Err(err) if err.code == FsErrorCode::Exists => {}
                Err(err) => return Err(err),
            }
        }
        Ok(first)
    }

    pub(crate) fn remove_file(&self, path: &str) -> Result<(), FsError> {
        let (mount, rel) = self.writable(path)?;
        if self.synthetic_dir(path).is_some() {
            return Err(FsErrorCode::IsADirectory.into());
        }
        mount.fs.remove_file(&rel)
    }

    pub(crate) fn remove_dir(&self, path: &str) -> Result<(), FsError> {
        if self.mounts.iter().any(|m| is_within(&m.at, path)) {
            // A mount point, or a directory with one beneath it: busy, as on Linux.
            return Err(FsError::with_detail(
                FsErrorCode::NotPermitted,
                "operation not permitted (a filesystem is mounted there)",
            ));
        }
        let (mount, rel) = self.writable(path)?;
        mount.fs.remove_dir(&rel)
    }

    /// `rm`: a file, or with `recursive` a whole tree (never crossing into another mount);
    /// with `force` a missing path is no error.
    pub(crate) fn remove(&self, path: &str, recursive: bool, force: bool) -> Result<(), FsError> {
        let meta = match self.metadata(path, false) {
            Ok(meta) => meta,
            Err(err) if force && err.code == FsErrorCode::NotFound => return Ok(()),
            Err(err) => return Err(err),
        };
        if meta.kind != FileKind::Directory {
            return self.remove_file(path);
        }
        if !recursive {
            return Err(FsError::with_detail(
                FsErrorCode::IsADirectory,
                "is a directory (rm needs { recursive: true } for one)",
            ));
        }
        if self.mounts.iter().any(|m| is_within(&m.at, path)) {
            return self.remove_dir(path);
        }
        let (mount, rel) = self.writable(path)?;
        // Depth-first without recursion: a guest can make trees deeper than a host stack.
        let mut stack = vec![(rel, false)];
        while let Some((dir, listed)) = stack.pop() {
            if listed {
                mount.fs.remove_dir(&dir)?;
                continue;
            }
            stack.push((dir.clone(), true));
            for entry in mount.fs.read_dir(&dir)? {
                let child = dir.join(&entry.name);
                if entry.kind == FileKind::Directory {
                    stack.push((child, false));
                } else {
                    mount.fs.remove_file(&child)?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn rename(&self, from: &str, to: &str) -> Result<(), FsError> {
        let (source, from_rel) = self.writable(from)?;
        let (target, to_rel) = self.writable(to)?;
        if !Arc::ptr_eq(&source.fs, &target.fs) || source.at != target.at {
            return Err(FsErrorCode::CrossDevice.into());
        }
        if from_rel.as_os_str().is_empty() || to_rel.as_os_str().is_empty() {
            return Err(FsErrorCode::NotPermitted.into());
        }
        source.fs.rename(&from_rel, &to_rel)
    }

    /// Copies a file's bytes, `chunk` at a time, across mounts if need be.
    pub(crate) fn copy(
        &self,
        from: &str,
        to: &str,
        exclusive: bool,
        chunk: usize,
        mut charge: impl FnMut(usize) -> Result<(), FsError>,
    ) -> Result<(), FsError> {
        let (source, from_rel) = self.locate(from)?;
        let (target, to_rel) = self.writable(to)?;
        if source.fs.metadata(&from_rel)?.kind == FileKind::Directory {
            return Err(FsErrorCode::IsADirectory.into());
        }
        let mut offset = 0u64;
        let mut mode = WriteMode { exclusive, ..WriteMode::default() };
        loop {
            let (data, meta) = source.fs.read(&from_rel, offset, chunk)?;
            charge(data.len())?;
            target.fs.write(&to_rel, &data, mode)?;
            offset += data.len() as u64;
            mode = WriteMode { append: true, ..WriteMode::default() };
            if data.len() < chunk || offset >= meta.size {
                return Ok(());
            }
        }
    }

    pub(crate) fn canonicalize(&self, path: &str) -> Result<String, FsError> {
        let (mount, rel) = self.locate(path)?;
        match mount.fs.canonicalize(&rel) {
            Ok(resolved) => Ok(join(&mount.at, &resolved)),
            Err(err) if err.code == FsErrorCode::NotFound && self.synthetic_dir(path).is_some() => {
                Ok(path.to_owned())
            }
            Err(err) => Err(err),
        }
    }

    pub(crate) fn read_link(&self, path: &str) -> Result<String, FsError> {
        let (mount, rel) = self.locate(path)?;
        Ok(mount.fs.read_link(&rel)?.to_string_lossy().into_owned())
    }

    /// `symlink`: makes `path` a link to `target`, which is stored as the guest gave it (an
    /// empty one names nothing: `ENOENT`, as on Linux).
    pub(crate) fn symlink(&self, path: &str, target: &str) -> Result<(), FsError> {
        check_bytes(target)?;
        if self.synthetic_dir(path).is_some() {
            return Err(FsErrorCode::Exists.into());
        }
        let (mount, rel) = self.writable(path)?;
        if target.is_empty() {
            return Err(FsErrorCode::NotFound.into());
        }
        mount.fs.symlink(target, &rel)
    }

    /// `access`: whether the path exists, and with `writable` whether it may be changed.
    pub(crate) fn access(&self, path: &str, writable: bool) -> Result<(), FsError> {
        self.metadata(path, true)?;
        if writable {
            self.writable(path)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_paths_are_normalised_and_never_climb_above_the_root() {
        assert_eq!(normalize("/a/./b//c/").ok().as_deref(), Some("/a/b/c"));
        assert_eq!(normalize("/../../etc/passwd").ok().as_deref(), Some("/etc/passwd"));
        assert_eq!(normalize("/app/../..").ok().as_deref(), Some("/"));
        assert!(normalize("relative").is_err());
        assert_eq!(normalize("").map_err(|e| e.code), Err(FsErrorCode::NotFound));
        assert!(normalize("/a\0b").is_err());
    }
}
