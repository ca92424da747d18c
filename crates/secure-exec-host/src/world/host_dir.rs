//! [`HostDir`]: a directory of the host, seen by the guest through a capability.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use cap_fs_ext::{DirExt, SystemTimeSpec};
use cap_std::fs::{Dir, MetadataExt, OpenOptions, Permissions, PermissionsExt};

use super::frozen::{Answers, Digest, FrozenCache, SourceRead};
use super::fs::{DirEntry, FileKind, FileSystem, FsError, FsErrorCode, Metadata, WriteMode};

/// A host directory mounted into the guest's world, read-only or read-write.
///
/// Every operation goes through a [`cap_std::fs::Dir`] opened on the directory: paths are
/// resolved by cap-std beneath it, so neither `..` nor a symbolic link (relative or absolute)
/// can reach anything outside it; such a path fails with `EACCES`. Native addons (`.node`
/// files) are never loaded from it, whatever the mount allows.
///
/// A directory that will not change while it is mounted (a deployed application, an
/// installed `node_modules`) is best mounted [`frozen`](Self::frozen): sessions then share
/// what they learn of it and load modules from it without system calls.
#[derive(Debug, Clone)]
pub struct HostDir {
    dir: Result<Arc<Dir>, String>,
    path: PathBuf,
    writable: bool,
    frozen: Option<Arc<FrozenCache>>,
}

impl HostDir {
    /// The directory at `path`, which the guest may read but not change (`EROFS`).
    pub fn read_only(path: impl AsRef<Path>) -> Self {
        Self::open(path.as_ref(), false)
    }

    /// The directory at `path`, which the guest may read and change.
    pub fn read_write(path: impl AsRef<Path>) -> Self {
        Self::open(path.as_ref(), true)
    }

    /// The directory at `path`, read-only (`EROFS`), whose contents its embedder promises not
    /// to change while it is mounted. What sessions learn of it — metadata, listings, link
    /// targets, failures, and whole files read (up to [`FROZEN_CONTENT_BYTES`] of contents and
    /// 8 MiB of each other kind of answer) — is kept by this value and its clones and shared
    /// by every session they serve, so that resolving and loading modules from it costs no
    /// system calls after the first session.
    /// If the directory does change, sessions may go on seeing what it was: mount such a
    /// directory with [`read_only`](Self::read_only).
    ///
    /// [`FROZEN_CONTENT_BYTES`]: crate::FROZEN_CONTENT_BYTES
    pub fn frozen(path: impl AsRef<Path>) -> Self {
        Self { frozen: Some(Arc::new(FrozenCache::new())), ..Self::open(path.as_ref(), false) }
    }

    fn open(path: &Path, writable: bool) -> Self {
        let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority())
            .map(Arc::new)
            .map_err(|err| format!("cannot open host directory {}: {err}", path.display()));
        Self { dir, path: path.to_path_buf(), writable, frozen: None }
    }

    /// Whether it was mounted with [`frozen`](Self::frozen).
    pub fn is_frozen(&self) -> bool {
        self.frozen.is_some()
    }

    /// The host path it was opened at.
    pub fn host_path(&self) -> &Path {
        &self.path
    }

    /// Why the directory could not be opened, if it could not; a driver with such a mount is
    /// refused when a session starts (`ERR_INVALID_OPTIONS`).
    pub fn open_error(&self) -> Option<&str> {
        self.dir.as_ref().err().map(String::as_str)
    }

    fn dir(&self) -> Result<&Dir, FsError> {
        self.dir.as_deref().map_err(|why| FsError::with_detail(FsErrorCode::Io, why.clone()))
    }

    fn writable(&self) -> Result<&Dir, FsError> {
        if !self.writable {
            return Err(FsErrorCode::ReadOnly.into());
        }
        self.dir()
    }
}

/// The root itself is named `.` to cap-std.
fn rel(path: &Path) -> &Path {
    if path.as_os_str().is_empty() { Path::new(".") } else { path }
}

fn kind(file_type: cap_std::fs::FileType) -> FileKind {
    if file_type.is_dir() {
        FileKind::Directory
    } else if file_type.is_symlink() {
        FileKind::Symlink
    } else {
        FileKind::File
    }
}

fn convert(meta: &cap_std::fs::Metadata) -> Metadata {
    let modified = meta.modified().map(|t| t.into_std()).unwrap_or(SystemTime::UNIX_EPOCH);
    Metadata {
        kind: kind(meta.file_type()),
        size: meta.len(),
        permissions: meta.mode() & 0o7777,
        modified,
        accessed: meta.accessed().map(|t| t.into_std()).unwrap_or(modified),
        created: meta.created().map(|t| t.into_std()).unwrap_or(modified),
        inode: meta.ino(),
        links: meta.nlink(),
    }
}

/// The reads of a directory, straight from the host.
impl HostDir {
    /// `read()`, or for a frozen directory what it answered before under `key`.
    fn answer<K: Eq + std::hash::Hash, T: Clone>(
        &self,
        answers: impl FnOnce(&FrozenCache) -> &Answers<K, Result<T, FsError>>,
        key: impl FnOnce() -> K,
        read: impl FnOnce() -> Result<T, FsError>,
    ) -> Result<T, FsError> {
        match &self.frozen {
            Some(cache) => answers(cache).get_or(key(), read),
            None => read(),
        }
    }

    fn read_uncached(
        &self,
        path: &Path,
        offset: u64,
        len: usize,
    ) -> Result<(Vec<u8>, Metadata), FsError> {
        let mut file = self.dir()?.open(rel(path))?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(FsErrorCode::IsADirectory.into());
        }
        file.seek(SeekFrom::Start(offset))?;
        let mut data = Vec::with_capacity(len.min(meta.len().saturating_sub(offset) as usize));
        file.take(len as u64).read_to_end(&mut data)?;
        Ok((data, convert(&meta)))
    }

    fn metadata_uncached(&self, path: &Path, follow: bool) -> Result<Metadata, FsError> {
        let dir = self.dir()?;
        let meta = if follow { dir.metadata(rel(path))? } else { dir.symlink_metadata(rel(path))? };
        Ok(convert(&meta))
    }

    fn read_dir_uncached(&self, path: &Path) -> Result<Vec<DirEntry>, FsError> {
        let mut entries = Vec::new();
        for entry in self.dir()?.read_dir(rel(path))? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            entries.push(DirEntry { name, kind: kind(entry.file_type()?) });
        }
        Ok(entries)
    }

    fn canonicalize_uncached(&self, path: &Path) -> Result<PathBuf, FsError> {
        let resolved = self.dir()?.canonicalize(rel(path))?;
        // cap-std answers relative to the directory, `.` for the root itself.
        Ok(if resolved == Path::new(".") { PathBuf::new() } else { resolved })
    }

    fn read_link_uncached(&self, path: &Path) -> Result<PathBuf, FsError> {
        Ok(self.dir()?.read_link_contents(rel(path))?)
    }
}

/// What a frozen directory keeps, for loading modules.
impl HostDir {
    /// A whole file (at most `len` bytes) of a frozen directory, with its digest when the
    /// directory keeps it; `None` for a directory that is not frozen.
    pub(crate) fn read_frozen(
        &self,
        path: &Path,
        len: usize,
    ) -> Option<Result<SourceRead, FsError>> {
        let cache = self.frozen.as_ref()?;
        Some(cache.read_kept(path, 0, len, || self.read_uncached(path, 0, len)))
    }

    /// A file of a frozen directory kept whole: its bytes, metadata and digest.
    pub(crate) fn kept(&self, path: &Path) -> Option<(Arc<[u8]>, Metadata, Digest)> {
        self.frozen.as_ref()?.kept(path)
    }
}

impl FileSystem for HostDir {
    fn read(&self, path: &Path, offset: u64, len: usize) -> Result<(Vec<u8>, Metadata), FsError> {
        let read = || self.read_uncached(path, offset, len);
        match &self.frozen {
            Some(cache) => cache.read(path, offset, len, read),
            None => read(),
        }
    }

    fn write(&self, path: &Path, data: &[u8], mode: WriteMode) -> Result<(), FsError> {
        let dir = self.writable()?;
        let mut options = OpenOptions::new();
        options.write(true);
        if mode.exclusive {
            options.create_new(true);
        } else if !mode.must_exist {
            options.create(true);
        }
        if mode.append {
            options.append(true);
        } else if mode.offset.is_none() {
            options.truncate(true);
        }
        let mut file = dir.open_with(rel(path), &options)?;
        if let Some(at) = mode.offset {
            file.seek(SeekFrom::Start(at))?;
        }
        file.write_all(data)?;
        Ok(())
    }

    fn truncate(&self, path: &Path, len: u64) -> Result<(), FsError> {
        let file = self.writable()?.open_with(rel(path), OpenOptions::new().write(true))?;
        file.set_len(len)?;
        Ok(())
    }

    fn set_permissions(&self, path: &Path, mode: u32) -> Result<(), FsError> {
        // The read, write and execute bits only: a guest may not make a host file set-user-ID
        // or set-group-ID (it would run with the host user's rights for anyone who runs it).
        let permissions = Permissions::from_mode(mode & 0o777);
        Ok(self.writable()?.set_permissions(rel(path), permissions)?)
    }

    fn set_times(
        &self,
        path: &Path,
        accessed: SystemTime,
        modified: SystemTime,
    ) -> Result<(), FsError> {
        let at = |time| Some(SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(time)));
        Ok(self.writable()?.set_times(rel(path), at(accessed), at(modified))?)
    }

    fn metadata(&self, path: &Path) -> Result<Metadata, FsError> {
        let key = || (path.to_path_buf(), true);
        self.answer(|c| &c.metadata, key, || self.metadata_uncached(path, true))
    }

    fn symlink_metadata(&self, path: &Path) -> Result<Metadata, FsError> {
        let key = || (path.to_path_buf(), false);
        self.answer(|c| &c.metadata, key, || self.metadata_uncached(path, false))
    }

    fn read_dir(&self, path: &Path) -> Result<Vec<DirEntry>, FsError> {
        self.answer(|c| &c.listings, || path.to_path_buf(), || self.read_dir_uncached(path))
    }

    fn create_dir(&self, path: &Path) -> Result<(), FsError> {
        Ok(self.writable()?.create_dir(rel(path))?)
    }

    fn remove_file(&self, path: &Path) -> Result<(), FsError> {
        let dir = self.writable()?;
        if dir.symlink_metadata(rel(path))?.is_dir() {
            return Err(FsErrorCode::IsADirectory.into());
        }
        Ok(dir.remove_file(rel(path))?)
    }

    fn remove_dir(&self, path: &Path) -> Result<(), FsError> {
        if path.as_os_str().is_empty() {
            return Err(FsErrorCode::NotPermitted.into());
        }
        Ok(self.writable()?.remove_dir(rel(path))?)
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<(), FsError> {
        let dir = self.writable()?;
        Ok(dir.rename(rel(from), dir, rel(to))?)
    }

    fn canonicalize(&self, path: &Path) -> Result<PathBuf, FsError> {
        self.answer(|c| &c.canonical, || path.to_path_buf(), || self.canonicalize_uncached(path))
    }

    fn read_link(&self, path: &Path) -> Result<PathBuf, FsError> {
        self.answer(|c| &c.links, || path.to_path_buf(), || self.read_link_uncached(path))
    }

    fn read_only(&self) -> bool {
        !self.writable
    }

    /// Only a link that stays inside the directory: cap-std would never follow one out, but
    /// the embedder's own programs might, so none is made (absolute targets, or more `..`
    /// than the link has parents here).
    fn symlink(&self, target: &str, link: &Path) -> Result<(), FsError> {
        let dir = self.writable()?;
        let mut depth = link.components().count().saturating_sub(1);
        let escapes = target.starts_with('/')
            || target.split('/').any(|part| match part {
                ".." if depth == 0 => true,
                ".." => {
                    depth -= 1;
                    false
                }
                "" | "." => false,
                _ => {
                    depth += 1;
                    false
                }
            });
        if escapes {
            return Err(FsError::with_detail(
                FsErrorCode::NotPermitted,
                "operation not permitted (a link in a host directory must stay inside it)",
            ));
        }
        Ok(dir.symlink(target, rel(link))?)
    }
}
