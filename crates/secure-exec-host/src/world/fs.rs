//! The filesystem interface a mount is served by, and the errors it speaks (Node's codes).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A filesystem the guest can see at a mount point: [`MemFs`](super::MemFs),
/// [`HostDir`](super::HostDir), or an embedder's own backend (a database, an object store).
///
/// Paths handed in are relative to the mount's root, already normalised: no `.` or `..`
/// components, no leading `/`; the empty path is the root itself. The guest's calls arrive on
/// the host's blocking thread pool, never on its I/O thread, several at once: implementations
/// must be safe to call concurrently. Recursive operations (`mkdir -p`, `rm -r`, copies) are
/// built from these by the mount table, so a backend implements single steps only.
pub trait FileSystem: Send + Sync + fmt::Debug {
    /// At most `len` bytes from `offset` (fewer at the end of the file), and the file's
    /// metadata as it was read.
    fn read(&self, path: &Path, offset: u64, len: usize) -> Result<(Vec<u8>, Metadata), FsError>;
    /// Writes `data` as `mode` says.
    fn write(&self, path: &Path, data: &[u8], mode: WriteMode) -> Result<(), FsError>;
    /// Sets a file's length, cutting or zero-filling.
    fn truncate(&self, path: &Path, len: u64) -> Result<(), FsError>;
    /// Metadata, following a final symbolic link.
    fn metadata(&self, path: &Path) -> Result<Metadata, FsError>;
    /// Metadata of the path itself (a symbolic link is reported as one).
    fn symlink_metadata(&self, path: &Path) -> Result<Metadata, FsError>;
    /// The entries of a directory (without `.` and `..`), in any order.
    fn read_dir(&self, path: &Path) -> Result<Vec<DirEntry>, FsError>;
    /// Creates one directory; its parent must exist.
    fn create_dir(&self, path: &Path) -> Result<(), FsError>;
    /// Removes a file or symbolic link.
    fn remove_file(&self, path: &Path) -> Result<(), FsError>;
    /// Removes an empty directory.
    fn remove_dir(&self, path: &Path) -> Result<(), FsError>;
    /// Renames within this filesystem, replacing a file at `to`.
    fn rename(&self, from: &Path, to: &Path) -> Result<(), FsError>;
    /// The path with every symbolic link followed, relative to the root. A link that leads
    /// out of this filesystem is an error, never a way out.
    fn canonicalize(&self, path: &Path) -> Result<PathBuf, FsError>;
    /// Where a symbolic link points, as stored.
    fn read_link(&self, path: &Path) -> Result<PathBuf, FsError>;
    /// Whether every change is refused (`EROFS`); the mount table then refuses writes before
    /// they reach the backend.
    fn read_only(&self) -> bool {
        false
    }
    /// Makes `link` a symbolic link to `target` (never empty), stored as given (`fs.symlink`).
    /// A backend without links refuses with `EPERM`, as a filesystem without them does.
    fn symlink(&self, target: &str, link: &Path) -> Result<(), FsError> {
        let _ = (target, link);
        Err(FsError::new(FsErrorCode::NotPermitted))
    }
    /// Sets the permission bits (`chmod`). A backend without them refuses with `EPERM`, as a
    /// filesystem without Unix modes does.
    fn set_permissions(&self, path: &Path, mode: u32) -> Result<(), FsError> {
        let _ = (path, mode);
        Err(FsError::new(FsErrorCode::NotPermitted))
    }
    /// Sets the access and modification times (`utimes`), following a final symbolic link. A
    /// backend without them refuses with `EPERM`.
    fn set_times(
        &self,
        path: &Path,
        accessed: SystemTime,
        modified: SystemTime,
    ) -> Result<(), FsError> {
        let _ = (path, accessed, modified);
        Err(FsError::new(FsErrorCode::NotPermitted))
    }
}

/// How [`FileSystem::write`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteMode {
    /// Add to the end instead of replacing the contents.
    pub append: bool,
    /// Write at this position, keeping the rest of the file (`fs.write` on a descriptor).
    pub offset: Option<u64>,
    /// Fail with `EEXIST` if the file exists (`wx`).
    pub exclusive: bool,
    /// Fail with `ENOENT` if the file does not exist (`r+`) instead of creating it.
    pub must_exist: bool,
}

/// What kind of entry a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (only from `symlink_metadata` and `read_dir`).
    Symlink,
}

/// What `stat` tells the guest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metadata {
    /// The kind of entry.
    pub kind: FileKind,
    /// Length in bytes (0 for directories where the backend has no figure).
    pub size: u64,
    /// Permission bits (`0o644`, `0o755`); the file-type bits are added from `kind`.
    pub permissions: u32,
    /// Last modification.
    pub modified: SystemTime,
    /// Last access (the modification time where the backend does not track it).
    pub accessed: SystemTime,
    /// Creation (the modification time where the backend does not track it).
    pub created: SystemTime,
    /// A number unique to the entry within its filesystem (0 if the backend has none).
    pub inode: u64,
    /// Hard links (1 where the backend has no figure).
    pub links: u64,
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name (one path component).
    pub name: String,
    /// Its kind (a symbolic link is reported as one, not followed).
    pub kind: FileKind,
}

/// A failed filesystem operation, as Node reports it: an errno code the guest's `err.code`
/// carries, and optionally a more specific description than the code's usual one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsError {
    /// Node's error code.
    pub code: FsErrorCode,
    /// Said instead of the code's usual description (for example why a link was refused).
    pub detail: Option<String>,
}

impl FsError {
    /// An error with the code's usual description.
    pub const fn new(code: FsErrorCode) -> Self {
        Self { code, detail: None }
    }

    /// An error with a description of its own.
    pub fn with_detail(code: FsErrorCode, detail: impl Into<String>) -> Self {
        Self { code, detail: Some(detail.into()) }
    }

    /// What the guest's message says after the code.
    pub fn description(&self) -> String {
        self.detail.clone().unwrap_or_else(|| self.code.description().to_owned())
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description())
    }
}

impl std::error::Error for FsError {}

impl From<FsErrorCode> for FsError {
    fn from(code: FsErrorCode) -> Self {
        Self::new(code)
    }
}

/// The errno codes a guest's filesystem call can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FsErrorCode {
    /// No such file or directory (also: a path outside every mount).
    NotFound,
    /// The path exists.
    Exists,
    /// A component of the path is not a directory.
    NotADirectory,
    /// A directory where a file was expected.
    IsADirectory,
    /// A directory that is not empty.
    NotEmpty,
    /// The mount is read-only.
    ReadOnly,
    /// Refused (a link leading out of its mount, a host permission).
    PermissionDenied,
    /// The operation is not permitted.
    NotPermitted,
    /// A rename across mounts.
    CrossDevice,
    /// The filesystem's quota is used up.
    NoSpace,
    /// An invalid argument (such as a NUL byte in a path).
    InvalidArgument,
    /// Too many symbolic links.
    TooManyLinks,
    /// The name is too long.
    NameTooLong,
    /// The backend failed.
    Io,
}

impl FsErrorCode {
    /// Node's `err.code`, such as `"ENOENT"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "ENOENT",
            Self::Exists => "EEXIST",
            Self::NotADirectory => "ENOTDIR",
            Self::IsADirectory => "EISDIR",
            Self::NotEmpty => "ENOTEMPTY",
            Self::ReadOnly => "EROFS",
            Self::PermissionDenied => "EACCES",
            Self::NotPermitted => "EPERM",
            Self::CrossDevice => "EXDEV",
            Self::NoSpace => "ENOSPC",
            Self::InvalidArgument => "EINVAL",
            Self::TooManyLinks => "ELOOP",
            Self::NameTooLong => "ENAMETOOLONG",
            Self::Io => "EIO",
        }
    }

    /// The description Node (libuv) gives the code.
    pub const fn description(self) -> &'static str {
        match self {
            Self::NotFound => "no such file or directory",
            Self::Exists => "file already exists",
            Self::NotADirectory => "not a directory",
            Self::IsADirectory => "illegal operation on a directory",
            Self::NotEmpty => "directory not empty",
            Self::ReadOnly => "read-only file system",
            Self::PermissionDenied => "permission denied",
            Self::NotPermitted => "operation not permitted",
            Self::CrossDevice => "cross-device link not permitted",
            Self::NoSpace => "no space left on device",
            Self::InvalidArgument => "invalid argument",
            Self::TooManyLinks => "too many symbolic links encountered",
            Self::NameTooLong => "name too long",
            Self::Io => "i/o error",
        }
    }
}

impl From<std::io::Error> for FsError {
    fn from(err: std::io::Error) -> Self {
        use std::io::ErrorKind;
        let code = match err.raw_os_error() {
            Some(libc::ENOENT) => FsErrorCode::NotFound,
            Some(libc::EEXIST) => FsErrorCode::Exists,
            Some(libc::ENOTDIR) => FsErrorCode::NotADirectory,
            Some(libc::EISDIR) => FsErrorCode::IsADirectory,
            Some(libc::ENOTEMPTY) => FsErrorCode::NotEmpty,
            Some(libc::EROFS) => FsErrorCode::ReadOnly,
            Some(libc::EACCES) => FsErrorCode::PermissionDenied,
            Some(libc::EPERM) => FsErrorCode::NotPermitted,
            Some(libc::EXDEV) => FsErrorCode::CrossDevice,
            Some(libc::ENOSPC | libc::EDQUOT) => FsErrorCode::NoSpace,
            Some(libc::EINVAL) => FsErrorCode::InvalidArgument,
            Some(libc::ELOOP) => FsErrorCode::TooManyLinks,
            Some(libc::ENAMETOOLONG) => FsErrorCode::NameTooLong,
            Some(_) => FsErrorCode::Io,
            None => match err.kind() {
                ErrorKind::NotFound => FsErrorCode::NotFound,
                ErrorKind::AlreadyExists => FsErrorCode::Exists,
                // cap-std's refusal of a path that would leave its directory.
                ErrorKind::PermissionDenied => {
                    return FsError::with_detail(
                        FsErrorCode::PermissionDenied,
                        "permission denied (the path leads outside its mount)",
                    );
                }
                ErrorKind::InvalidInput => FsErrorCode::InvalidArgument,
                _ => FsErrorCode::Io,
            },
        };
        FsError::new(code)
    }
}
