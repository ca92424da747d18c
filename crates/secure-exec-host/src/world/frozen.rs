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

use super::fs::{DirEntry, FsError, Metadata};

/// Bytes of file contents kept; past it, files are read from the host as for any directory.
pub const FROZEN_CONTENT_BYTES: usize = 64 * 1024 * 1024;
/// Answers of each kind kept (paths probed, listings, links).
const MAX_ENTRIES: usize = 65_536;

/// A map that stops growing at [`MAX_ENTRIES`] (later answers are simply not kept).
#[derive(Debug)]
pub(crate) struct Answers<K, V>(Mutex<HashMap<K, V>>);

impl<K: Eq + Hash, V: Clone> Answers<K, V> {
    fn new() -> Self {
        Self(Mutex::new(HashMap::new()))
    }

    pub(crate) fn get_or(&self, key: K, compute: impl FnOnce() -> V) -> V {
        if let Some(known) = self.0.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return known.clone();
        }
        // Computed outside the lock: two sessions asking at once both ask the host, and
        // either answer is the same.
        let value = compute();
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() < MAX_ENTRIES {
            map.insert(key, value.clone());
        }
        value
    }
}

#[derive(Debug)]
struct Contents {
    files: HashMap<PathBuf, (Arc<[u8]>, Metadata)>,
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
            metadata: Answers::new(),
            listings: Answers::new(),
            links: Answers::new(),
            canonical: Answers::new(),
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
        let known = self
            .contents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .files
            .get(path)
            .map(|(data, meta)| (Arc::clone(data), *meta));
        if let Some((data, meta)) = known {
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
            let end = start.saturating_add(len).min(data.len());
            return Ok((data[start..end].to_vec(), meta));
        }
        let (data, meta) = read()?;
        if offset == 0 && data.len() as u64 == meta.size {
            let mut contents = self.contents.lock().unwrap_or_else(PoisonError::into_inner);
            if contents.files.len() < MAX_ENTRIES
                && contents.bytes + data.len() <= FROZEN_CONTENT_BYTES
                && !contents.files.contains_key(path)
            {
                contents.bytes += data.len();
                contents.files.insert(path.to_path_buf(), (Arc::from(data.as_slice()), meta));
            }
        }
        Ok((data, meta))
    }
}
