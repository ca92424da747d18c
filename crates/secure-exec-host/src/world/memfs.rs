//! [`MemFs`]: a filesystem in the host's memory.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::fs::{DirEntry, FileKind, FileSystem, FsError, FsErrorCode, Metadata, WriteMode};

/// What each entry costs against the quota besides its bytes, so that a million empty files
/// are not free.
const ENTRY_COST: u64 = 256;
/// The quota of [`MemFs::new`]: 64 MiB.
pub const DEFAULT_MEMFS_QUOTA: u64 = 64 * 1024 * 1024;

/// A filesystem held in memory, with a size quota (`ENOSPC` past it).
///
/// Clones share their contents: a `MemFs` mounted into several runtimes, or kept by the
/// embedder between sessions, is one workspace they all see. The default world's `/` is a fresh
/// `MemFs` for every session instead, so nothing passes from one session to the next there.
#[derive(Debug, Clone)]
pub struct MemFs {
    inner: Arc<Mutex<Tree>>,
}

#[derive(Debug)]
struct Tree {
    nodes: HashMap<String, Node>,
    used: u64,
    quota: u64,
    next_inode: u64,
}

#[derive(Debug)]
struct Node {
    body: Body,
    inode: u64,
    modified: SystemTime,
    accessed: SystemTime,
    created: SystemTime,
    /// Permission bits, as `chmod` left them; nothing else reads them (the guest is root).
    permissions: u32,
}

impl Node {
    fn new(body: Body, inode: u64) -> Self {
        let now = SystemTime::now();
        let permissions = match body {
            Body::File(_) => 0o644,
            Body::Dir(_) => 0o755,
        };
        Self { body, inode, modified: now, accessed: now, created: now, permissions }
    }
}

#[derive(Debug)]
enum Body {
    File(Vec<u8>),
    Dir(BTreeSet<String>),
}

impl Default for MemFs {
    fn default() -> Self {
        Self::new()
    }
}

impl MemFs {
    /// An empty filesystem with the default quota (64 MiB).
    pub fn new() -> Self {
        Self::with_quota(DEFAULT_MEMFS_QUOTA)
    }

    /// An empty filesystem that holds at most `bytes` (file contents plus a small cost per
    /// entry).
    pub fn with_quota(bytes: u64) -> Self {
        let root = Node::new(Body::Dir(BTreeSet::new()), 1);
        let tree = Tree {
            nodes: HashMap::from([(String::new(), root)]),
            used: ENTRY_COST,
            quota: bytes,
            next_inode: 2,
        };
        Self { inner: Arc::new(Mutex::new(tree)) }
    }

    /// Bytes in use against the quota.
    pub fn used_bytes(&self) -> u64 {
        self.lock().used
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tree> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn key(path: &Path) -> Result<String, FsError> {
    path.to_str().map(str::to_owned).ok_or(FsError::new(FsErrorCode::InvalidArgument))
}

fn split(key: &str) -> (&str, &str) {
    match key.rfind('/') {
        Some(at) => (&key[..at], &key[at + 1..]),
        None => ("", key),
    }
}

impl Tree {
    /// Checks that `key`'s parent is a directory: `ENOENT` if a component is missing,
    /// `ENOTDIR` if one is a file.
    fn parent_dir(&self, key: &str) -> Result<(), FsError> {
        if key.is_empty() {
            return Ok(());
        }
        let (parent, _) = split(key);
        match self.nodes.get(parent).map(|n| &n.body) {
            Some(Body::Dir(_)) => Ok(()),
            Some(Body::File(_)) => Err(FsErrorCode::NotADirectory.into()),
            None => {
                self.parent_dir(parent)?;
                Err(FsErrorCode::NotFound.into())
            }
        }
    }

    fn get(&self, key: &str) -> Result<&Node, FsError> {
        self.parent_dir(key)?;
        self.nodes.get(key).ok_or(FsErrorCode::NotFound.into())
    }

    fn charge(&mut self, bytes: u64) -> Result<(), FsError> {
        let after = self.used.saturating_add(bytes);
        if after > self.quota {
            return Err(FsError::with_detail(
                FsErrorCode::NoSpace,
                format!(
                    "no space left on device (the in-memory filesystem holds {} bytes)",
                    self.quota
                ),
            ));
        }
        self.used = after;
        Ok(())
    }

    fn insert(&mut self, key: String, body: Body) -> Result<(), FsError> {
        let size = match &body {
            Body::File(data) => data.len() as u64,
            Body::Dir(_) => 0,
        };
        self.charge(ENTRY_COST + size)?;
        let (parent, name) = split(&key);
        let name = name.to_owned();
        if let Some(Node { body: Body::Dir(children), modified, .. }) = self.nodes.get_mut(parent) {
            children.insert(name);
            *modified = SystemTime::now();
        }
        let inode = self.next_inode;
        self.next_inode += 1;
        self.nodes.insert(key, Node::new(body, inode));
        Ok(())
    }

    fn remove(&mut self, key: &str) -> Option<Node> {
        let node = self.nodes.remove(key)?;
        let size = match &node.body {
            Body::File(data) => data.len() as u64,
            Body::Dir(_) => 0,
        };
        self.used = self.used.saturating_sub(ENTRY_COST + size);
        let (parent, name) = split(key);
        if let Some(Node { body: Body::Dir(children), modified, .. }) = self.nodes.get_mut(parent) {
            children.remove(name);
            *modified = SystemTime::now();
        }
        Some(node)
    }
}

fn metadata(node: &Node) -> Metadata {
    let (kind, size) = match &node.body {
        Body::File(data) => (FileKind::File, data.len() as u64),
        Body::Dir(_) => (FileKind::Directory, 4096),
    };
    Metadata {
        kind,
        size,
        permissions: node.permissions,
        modified: node.modified,
        accessed: node.accessed,
        created: node.created,
        inode: node.inode,
        links: 1,
    }
}

impl FileSystem for MemFs {
    fn read(&self, path: &Path, offset: u64, len: usize) -> Result<(Vec<u8>, Metadata), FsError> {
        let tree = self.lock();
        let node = tree.get(&key(path)?)?;
        match &node.body {
            Body::File(data) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
                let end = start.saturating_add(len).min(data.len());
                Ok((data[start..end].to_vec(), metadata(node)))
            }
            Body::Dir(_) => Err(FsErrorCode::IsADirectory.into()),
        }
    }

    fn write(&self, path: &Path, data: &[u8], mode: WriteMode) -> Result<(), FsError> {
        let key = key(path)?;
        let mut tree = self.lock();
        tree.parent_dir(&key)?;
        let existing = tree.nodes.get(&key).map(|node| match &node.body {
            Body::File(bytes) => Ok(bytes.len() as u64),
            Body::Dir(_) => Err(FsError::new(FsErrorCode::IsADirectory)),
        });
        let old_len = match existing {
            None if mode.must_exist => return Err(FsErrorCode::NotFound.into()),
            None => return tree.insert(key, Body::File(data.to_vec())).map(|_| ()),
            Some(_) if mode.exclusive => return Err(FsErrorCode::Exists.into()),
            Some(found) => found?,
        };
        let new_len = if mode.append {
            old_len + data.len() as u64
        } else if let Some(at) = mode.offset {
            old_len.max(at.saturating_add(data.len() as u64))
        } else {
            data.len() as u64
        };
        if new_len > old_len {
            tree.charge(new_len - old_len)?;
        } else {
            tree.used = tree.used.saturating_sub(old_len - new_len);
        }
        let Some(node) = tree.nodes.get_mut(&key) else { return Err(FsErrorCode::NotFound.into()) };
        if let Body::File(bytes) = &mut node.body {
            if mode.append {
                bytes.extend_from_slice(data);
            } else if let Some(at) = mode.offset {
                let at = usize::try_from(at).map_err(|_| FsError::new(FsErrorCode::NoSpace))?;
                if bytes.len() < at + data.len() {
                    bytes.resize(at + data.len(), 0);
                }
                bytes[at..at + data.len()].copy_from_slice(data);
            } else {
                bytes.clear();
                bytes.extend_from_slice(data);
            }
        }
        node.modified = SystemTime::now();
        Ok(())
    }

    fn truncate(&self, path: &Path, len: u64) -> Result<(), FsError> {
        let key = key(path)?;
        let mut tree = self.lock();
        let old_len = match &tree.get(&key)?.body {
            Body::File(bytes) => bytes.len() as u64,
            Body::Dir(_) => return Err(FsErrorCode::IsADirectory.into()),
        };
        if len > old_len {
            tree.charge(len - old_len)?;
        } else {
            tree.used = tree.used.saturating_sub(old_len - len);
        }
        if let Some(Node { body: Body::File(bytes), modified, .. }) = tree.nodes.get_mut(&key) {
            bytes.resize(usize::try_from(len).unwrap_or(usize::MAX), 0);
            *modified = SystemTime::now();
        }
        Ok(())
    }

    fn set_permissions(&self, path: &Path, mode: u32) -> Result<(), FsError> {
        let key = key(path)?;
        let mut tree = self.lock();
        tree.get(&key)?;
        if let Some(node) = tree.nodes.get_mut(&key) {
            node.permissions = mode & 0o7777;
        }
        Ok(())
    }

    fn set_times(
        &self,
        path: &Path,
        accessed: SystemTime,
        modified: SystemTime,
    ) -> Result<(), FsError> {
        let key = key(path)?;
        let mut tree = self.lock();
        tree.get(&key)?;
        if let Some(node) = tree.nodes.get_mut(&key) {
            node.accessed = accessed;
            node.modified = modified;
        }
        Ok(())
    }

    fn metadata(&self, path: &Path) -> Result<Metadata, FsError> {
        let tree = self.lock();
        Ok(metadata(tree.get(&key(path)?)?))
    }

    fn symlink_metadata(&self, path: &Path) -> Result<Metadata, FsError> {
        self.metadata(path)
    }

    fn read_dir(&self, path: &Path) -> Result<Vec<DirEntry>, FsError> {
        let key = key(path)?;
        let tree = self.lock();
        match &tree.get(&key)?.body {
            Body::Dir(children) => Ok(children
                .iter()
                .map(|name| {
                    let child = if key.is_empty() { name.clone() } else { format!("{key}/{name}") };
                    let kind = match tree.nodes.get(&child).map(|n| &n.body) {
                        Some(Body::Dir(_)) => FileKind::Directory,
                        _ => FileKind::File,
                    };
                    DirEntry { name: name.clone(), kind }
                })
                .collect()),
            Body::File(_) => Err(FsErrorCode::NotADirectory.into()),
        }
    }

    fn create_dir(&self, path: &Path) -> Result<(), FsError> {
        let key = key(path)?;
        let mut tree = self.lock();
        tree.parent_dir(&key)?;
        if tree.nodes.contains_key(&key) {
            return Err(FsErrorCode::Exists.into());
        }
        tree.insert(key, Body::Dir(BTreeSet::new()))
    }

    fn remove_file(&self, path: &Path) -> Result<(), FsError> {
        let key = key(path)?;
        let mut tree = self.lock();
        match &tree.get(&key)?.body {
            Body::File(_) => {
                tree.remove(&key);
                Ok(())
            }
            // Linux's unlink on a directory.
            Body::Dir(_) => Err(FsErrorCode::IsADirectory.into()),
        }
    }

    fn remove_dir(&self, path: &Path) -> Result<(), FsError> {
        let key = key(path)?;
        let mut tree = self.lock();
        match &tree.get(&key)?.body {
            Body::Dir(_) if key.is_empty() => Err(FsErrorCode::NotPermitted.into()),
            Body::Dir(children) if !children.is_empty() => Err(FsErrorCode::NotEmpty.into()),
            Body::Dir(_) => {
                tree.remove(&key);
                Ok(())
            }
            Body::File(_) => Err(FsErrorCode::NotADirectory.into()),
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<(), FsError> {
        let (from, to) = (key(from)?, key(to)?);
        let mut tree = self.lock();
        let source_is_dir = matches!(tree.get(&from)?.body, Body::Dir(_));
        tree.parent_dir(&to)?;
        if from == to {
            return Ok(());
        }
        if from.is_empty() || to.starts_with(&format!("{from}/")) || (to.is_empty()) {
            return Err(FsErrorCode::InvalidArgument.into());
        }
        if let Some(target) = tree.nodes.get(&to) {
            match (&target.body, source_is_dir) {
                (Body::Dir(_), false) => return Err(FsErrorCode::IsADirectory.into()),
                (Body::File(_), true) => return Err(FsErrorCode::NotADirectory.into()),
                (Body::Dir(children), true) if !children.is_empty() => {
                    return Err(FsErrorCode::NotEmpty.into());
                }
                _ => {
                    tree.remove(&to);
                }
            }
        }
        // Move the entry and everything under it; the quota is unchanged.
        let prefix = format!("{from}/");
        let moved: Vec<String> =
            tree.nodes.keys().filter(|k| k.starts_with(&prefix)).cloned().collect();
        let Some(node) = tree.nodes.remove(&from) else { return Err(FsErrorCode::NotFound.into()) };
        let (old_parent, old_name) = split(&from);
        if let Some(Node { body: Body::Dir(children), .. }) = tree.nodes.get_mut(old_parent) {
            children.remove(old_name);
        }
        let (new_parent, new_name) = split(&to);
        if let Some(Node { body: Body::Dir(children), .. }) = tree.nodes.get_mut(new_parent) {
            children.insert(new_name.to_owned());
        }
        tree.nodes.insert(to.clone(), node);
        for old in moved {
            if let Some(child) = tree.nodes.remove(&old) {
                tree.nodes.insert(format!("{to}/{}", &old[prefix.len()..]), child);
            }
        }
        Ok(())
    }

    fn canonicalize(&self, path: &Path) -> Result<PathBuf, FsError> {
        self.metadata(path)?;
        Ok(path.to_path_buf())
    }

    fn read_link(&self, path: &Path) -> Result<PathBuf, FsError> {
        self.metadata(path)?;
        Err(FsErrorCode::InvalidArgument.into())
    }
}
