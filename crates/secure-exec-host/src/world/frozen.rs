//! What sessions learn of a frozen [`HostDir`](super::HostDir), kept for all of them.
//!
//! Every session resolves and loads its modules again, and each resolution probes the
//! filesystem for candidates (`x`, `x.js`, `x.json`, `x/package.json`, ...) through cap-std,
//! three system calls apiece: for a package of 45 files that is about 800 calls and 4 ms of
//! host CPU per session. A directory its embedder promises not to change needs none of that
//! after the first session: answers (failures included, which is most of what probing finds)
//! are kept here, bounded, and shared by every session of every runtime the directory is
//! mounted in. Only reads are cached; a frozen directory is read-only.

use std::collections::HashMap;
use std::hash::Hash;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest as _, Sha256};

use super::fs::{DirEntry, FsError, Metadata};

/// Bytes of file contents kept; past it, files are read from the host as for any directory.
pub const FROZEN_CONTENT_BYTES: usize = 64 * 1024 * 1024;
/// Entries of file contents kept.
const MAX_FILES: usize = 65_536;
/// Bytes of answers of each kind kept (paths probed, listings, links): a guest probing paths
/// that do not exist, however long, cannot grow them past this.
const ANSWER_BYTES: usize = 8 * 1024 * 1024;
/// What an answer costs beside the bytes of its paths and names.
const ANSWER_OVERHEAD: usize = 128;

/// A map that stops growing at [`ANSWER_BYTES`] (later answers are simply not kept).
#[derive(Debug)]
pub(crate) struct Answers<K, V> {
    map: Mutex<(HashMap<K, V>, usize)>,
    /// The bytes of an entry's paths and names.
    weigh: fn(&K, &V) -> usize,
}

impl<K: Eq + Hash, V: Clone> Answers<K, V> {
    fn new(weigh: fn(&K, &V) -> usize) -> Self {
        Self { map: Mutex::new((HashMap::new(), 0)), weigh }
    }

    pub(crate) fn get_or(&self, key: K, compute: impl FnOnce() -> V) -> V {
        if let Some(known) = self.map.lock().unwrap_or_else(PoisonError::into_inner).0.get(&key) {
            return known.clone();
        }
        // Computed outside the lock: two sessions asking at once both ask the host, and
        // either answer is the same.
        let value = compute();
        let cost = (self.weigh)(&key, &value).saturating_add(ANSWER_OVERHEAD);
        let mut guard = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let (map, bytes) = &mut *guard;
        if *bytes + cost <= ANSWER_BYTES && !map.contains_key(&key) {
            *bytes += cost;
            map.insert(key, value.clone());
        }
        value
    }
}

fn path_bytes(path: &Path) -> usize {
    path.as_os_str().len()
}

fn error_bytes(err: &FsError) -> usize {
    err.detail.as_ref().map_or(0, String::len)
}

fn weigh_path<K: AsRef<Path>>(key: &K, value: &Result<PathBuf, FsError>) -> usize {
    path_bytes(key.as_ref()) + value.as_ref().map_or_else(error_bytes, |p| path_bytes(p))
}

/// The SHA-256 of a kept file's bytes.
pub(crate) type Digest = [u8; 32];

/// Bytes read, the file's metadata, and the whole file's digest when it is kept.
pub(crate) type SourceRead = (Vec<u8>, Metadata, Option<Digest>);

/// A file kept whole.
#[derive(Debug)]
struct Kept {
    data: Arc<[u8]>,
    meta: Metadata,
    /// Worked out once, when the file is kept: a module's source goes to the worker with it,
    /// which then need not hash the bytes in every session (540 KB of lodash: 0.35 ms of the
    /// session's thread).
    digest: Digest,
}

#[derive(Debug)]
struct Contents {
    files: HashMap<PathBuf, Kept>,
    bytes: usize,
}

/// The answers of one frozen directory.
#[derive(Debug)]
pub(crate) struct FrozenCache {
    /// By path and whether links were followed.
    pub(crate) metadata: Answers<(PathBuf, bool), Result<Metadata, FsError>>,
    pub(crate) listings: Answers<PathBuf, Result<Vec<DirEntry>, FsError>>,
    pub(crate) links: Answers<PathBuf, Result<PathBuf, FsError>>,
    pub(crate) canonical: Answers<PathBuf, Result<PathBuf, FsError>>,
    contents: Mutex<Contents>,
}

impl FrozenCache {
    pub(crate) fn new() -> Self {
        Self {
            metadata: Answers::new(|(path, _), value| {
                path_bytes(path) + value.as_ref().err().map_or(0, error_bytes)
            }),
            listings: Answers::new(|path, value| {
                path_bytes(path)
                    + value.as_ref().map_or_else(error_bytes, |entries| {
                        entries.iter().map(|e| e.name.len() + 16).sum()
                    })
            }),
            links: Answers::new(weigh_path),
            canonical: Answers::new(weigh_path),
            contents: Mutex::new(Contents { files: HashMap::new(), bytes: 0 }),
        }
    }

    /// `len` bytes of the file at `path` from `offset`, from what is kept or by `read` (the
    /// same read from the host). A read that got a whole file (what loading a module does) is
    /// kept while there is room.
    pub(crate) fn read(
        &self,
        path: &Path,
        offset: u64,
        len: usize,
        read: impl FnOnce() -> Result<(Vec<u8>, Metadata), FsError>,
    ) -> Result<(Vec<u8>, Metadata), FsError> {
        self.read_kept(path, offset, len, read).map(|(data, meta, _)| (data, meta))
    }

    /// As [`read`](Self::read), with the whole file's digest when it is kept: the digest
    /// always belongs to the bytes returned, taken under one lock from one entry.
    pub(crate) fn read_kept(
        &self,
        path: &Path,
        offset: u64,
        len: usize,
        read: impl FnOnce() -> Result<(Vec<u8>, Metadata), FsError>,
    ) -> Result<SourceRead, FsError> {
        if let Some((data, meta, digest)) = self.kept(path) {
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
            let end = start.saturating_add(len).min(data.len());
            let whole = start == 0 && end == data.len();
            return Ok((data[start..end].to_vec(), meta, whole.then_some(digest)));
        }
        let (data, meta) = read()?;
        let mut digest = None;
        if offset == 0
            && data.len() as u64 == meta.size
            && self.contents().has_room(path, data.len())
        {
            // Hashed outside the lock; another reader may keep the file meanwhile, and then
            // this copy is dropped (a frozen file's bytes are the same either way).
            let sum: Digest = Sha256::digest(&data).into();
            let mut contents = self.contents();
            if contents.has_room(path, data.len()) {
                contents.bytes += data.len();
                let kept = Kept { data: Arc::from(data.as_slice()), meta, digest: sum };
                contents.files.insert(path.to_path_buf(), kept);
                digest = Some(sum);
            }
        }
        Ok((data, meta, digest))
    }

    /// The file at `path` if it is kept whole.
    pub(crate) fn kept(&self, path: &Path) -> Option<(Arc<[u8]>, Metadata, Digest)> {
        let contents = self.contents();
        contents.files.get(path).map(|kept| (Arc::clone(&kept.data), kept.meta, kept.digest))
    }

    fn contents(&self) -> std::sync::MutexGuard<'_, Contents> {
        self.contents.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Contents {
    /// Whether a file of `len` bytes at `path`, not kept yet, fits the bounds.
    fn has_room(&self, path: &Path, len: usize) -> bool {
        self.files.len() < MAX_FILES
            && self.bytes + len <= FROZEN_CONTENT_BYTES
            && !self.files.contains_key(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::fs::FileKind;

    fn file(bytes: &[u8]) -> Result<(Vec<u8>, Metadata), FsError> {
        let now = std::time::SystemTime::now();
        let meta = Metadata {
            kind: FileKind::File,
            size: bytes.len() as u64,
            permissions: 0o644,
            modified: now,
            accessed: now,
            created: now,
            inode: 1,
            links: 1,
        };
        Ok((bytes.to_vec(), meta))
    }

    #[test]
    fn a_kept_file_comes_with_the_digest_of_exactly_the_bytes_returned() {
        let cache = FrozenCache::new();
        let text = b"module.exports = 42;\n".repeat(100);
        let sum: Digest = Sha256::digest(&text).into();
        let path = Path::new("lib/index.js");
        // A part read first is not kept, and has no digest.
        let (part, _, digest) = cache.read_kept(path, 5, 10, || file(&text[5..15])).unwrap();
        assert_eq!((part.as_slice(), digest), (&text[5..15], None));
        // The whole file is kept, hashed once.
        let (whole, _, digest) = cache.read_kept(path, 0, 1 << 20, || file(&text)).unwrap();
        assert_eq!((whole.as_slice(), digest), (text.as_slice(), Some(sum)));
        let (again, _, digest) =
            cache.read_kept(path, 0, 1 << 20, || panic!("a kept file is not read again")).unwrap();
        assert_eq!((again.as_slice(), digest), (text.as_slice(), Some(sum)));
        // A part of a kept file is served from it, without the whole file's digest.
        let (part, _, digest) = cache.read_kept(path, 0, 10, || panic!("kept")).unwrap();
        assert_eq!((part.as_slice(), digest), (&text[..10], None));
        let (tail, _, digest) = cache.read_kept(path, 10, 1 << 20, || panic!("kept")).unwrap();
        assert_eq!((tail.as_slice(), digest), (&text[10..], None));
    }

    #[test]
    fn answers_stop_growing_at_their_byte_bound_and_keep_what_they_hold() {
        let answers: Answers<PathBuf, Result<PathBuf, FsError>> = Answers::new(weigh_path);
        let long = "x".repeat(4000);
        let asked = std::cell::Cell::new(0);
        let ask = |n: usize| {
            answers.get_or(PathBuf::from(format!("{long}{n}")), || {
                asked.set(asked.get() + 1);
                Ok(PathBuf::from("target"))
            })
        };
        // Each entry weighs about 4 KB: the 8 MiB bound keeps about 2,000 of them.
        for n in 0..4000 {
            assert_eq!(ask(n), Ok(PathBuf::from("target")));
        }
        assert_eq!(asked.get(), 4000);
        let kept = answers.map.lock().unwrap_or_else(PoisonError::into_inner).0.len();
        assert!((1900..2100).contains(&kept), "kept {kept}");
        assert!(answers.map.lock().unwrap_or_else(PoisonError::into_inner).1 <= ANSWER_BYTES);
        // What was kept is answered without asking; what was not is asked again.
        assert!(ask(0).is_ok());
        assert_eq!(asked.get(), 4000);
        assert!(ask(3999).is_ok());
        assert_eq!(asked.get(), 4001);
    }
}
