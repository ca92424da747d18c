//! [`MemFs`]: a filesystem in the host's memory.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::fs::{DirEntry, FileKind, FileSystem, FsError, FsErrorCode, Metadata, WriteMode};
use super::mounts::MAX_PATH;

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
    /// Counts the changes made (each before it is made, under the tree's lock), read without
    /// the lock: a session's shared resolutions hold only while its root is as it was made.
    generation: Arc<AtomicU64>,
}

#[derive(Debug)]
struct Tree {
    nodes: HashMap<String, Node>,
    used: u64,
    quota: u64,
    next_inode: u64,
    /// Symbolic links held.
    links: usize,
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
            Body::Symlink(_) => 0o777,
        };
        Self { body, inode, modified: now, accessed: now, created: now, permissions }
    }
}

#[derive(Debug)]
enum Body {
    File(Vec<u8>),
    Dir(BTreeSet<String>),
    /// Where the link points, as it was given.
    Symlink(String),
}

impl Body {
    /// Bytes charged to the quota beside the entry's own cost.
    fn size(&self) -> u64 {
        match self {
            Self::File(data) => data.len() as u64,
            Self::Dir(_) => 0,
            Self::Symlink(target) => target.len() as u64,
        }
    }
}

/// The most symbolic links one path may pass through, as Linux's.
const MAX_LINKS: usize = 40;
/// The most components resolving one path may walk, links followed.
const MAX_STEPS: usize = 4096;

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
            links: 0,
        };
        Self { inner: Arc::new(Mutex::new(tree)), generation: Arc::default() }
    }

    /// Bytes in use against the quota.
    pub fn used_bytes(&self) -> u64 {
        self.lock().used
    }

    /// Whether it holds a symbolic link: resolving a path then walks as far as links lead.
    pub(crate) fn has_links(&self) -> bool {
        self.lock().links > 0
    }

    /// How many changes have been made so far (failed attempts may count).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tree> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The tree, to change: the change is counted before it can be seen.
    fn lock_to_change(&self) -> std::sync::MutexGuard<'_, Tree> {
        let tree = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        tree
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
            // A resolved path has no link left among its parents.
            Some(Body::File(_) | Body::Symlink(_)) => Err(FsErrorCode::NotADirectory.into()),
            None => {
                self.parent_dir(parent)?;
                Err(FsErrorCode::NotFound.into())
            }
        }
    }

    /// `key` with every symbolic link along it replaced by where it points (the last
    /// component's too when `follow_last`). Links resolve within this filesystem, as in a
    /// chroot: an absolute target starts again from its root, and `..` stops there. Missing
    /// components are kept, for the caller to create or refuse.
    fn resolve(&self, key: &str, follow_last: bool) -> Result<String, FsError> {
        let mut pending: Vec<&str> = key.split('/').filter(|p| !p.is_empty()).rev().collect();
        // The resolved path so far, and where each of its components starts.
        let mut here = String::new();
        let mut starts: Vec<usize> = Vec::new();
        let (mut links, mut steps) = (0, 0);
        while let Some(part) = pending.pop() {
            // Links can make a path of a few bytes walk far: the walk is bounded, as the
            // path it reaches is.
            steps += 1;
            if steps > MAX_STEPS || here.len() > MAX_PATH {
                return Err(FsErrorCode::NameTooLong.into());
            }
            match part {
                "." => continue,
                ".." => {
                    here.truncate(starts.pop().unwrap_or(0));
                    continue;
                }
                _ => {
                    starts.push(here.len());
                    if !here.is_empty() {
                        here.push('/');
                    }
                    here.push_str(part);
                }
            }
            if pending.is_empty() && !follow_last {
                break;
            }
            let Some(Body::Symlink(target)) = self.nodes.get(&here).map(|n| &n.body) else {
                continue;
            };
            links += 1;
            if links > MAX_LINKS {
                return Err(FsErrorCode::TooManyLinks.into());
            }
            here.truncate(starts.pop().unwrap_or(0));
            if target.starts_with('/') {
                here.clear();
                starts.clear();
            }
            pending.extend(target.split('/').filter(|p| !p.is_empty()).rev());
        }
        Ok(here)
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
        self.charge(ENTRY_COST + body.size())?;
        if matches!(body, Body::Symlink(_)) {
            self.links += 1;
        }
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
        self.used = self.used.saturating_sub(ENTRY_COST + node.body.size());
        if matches!(node.body, Body::Symlink(_)) {
            self.links -= 1;
        }
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
        Body::Symlink(target) => (FileKind::Symlink, target.len() as u64),
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
        let node = tree.get(&tree.resolve(&key(path)?, true)?)?;
        match &node.body {
            Body::File(data) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
                let end = start.saturating_add(len).min(data.len());
                Ok((data[start..end].to_vec(), metadata(node)))
            }
            Body::Dir(_) => Err(FsErrorCode::IsADirectory.into()),
            Body::Symlink(_) => Err(FsErrorCode::TooManyLinks.into()),
        }
    }

    fn write(&self, path: &Path, data: &[u8], mode: WriteMode) -> Result<(), FsError> {
        let mut tree = self.lock_to_change();
        // As open(2): an exclusive create fails on a link, even one that leads nowhere; any
        // other write goes where the link points (creating the file there).
        let key = tree.resolve(&key(path)?, !mode.exclusive)?;
        tree.parent_dir(&key)?;
        let existing = tree.nodes.get(&key).map(|node| match &node.body {
            Body::File(bytes) => Ok(bytes.len() as u64),
            Body::Dir(_) => Err(FsError::new(FsErrorCode::IsADirectory)),
            Body::Symlink(_) => Err(FsError::new(FsErrorCode::Exists)),
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
        let mut tree = self.lock_to_change();
        let key = tree.resolve(&key(path)?, true)?;
        let old_len = match &tree.get(&key)?.body {
            Body::File(bytes) => bytes.len() as u64,
            Body::Dir(_) => return Err(FsErrorCode::IsADirectory.into()),
            Body::Symlink(_) => return Err(FsErrorCode::TooManyLinks.into()),
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
        let mut tree = self.lock_to_change();
        let key = tree.resolve(&key(path)?, true)?;
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
        let mut tree = self.lock_to_change();
        let key = tree.resolve(&key(path)?, true)?;
        tree.get(&key)?;
        if let Some(node) = tree.nodes.get_mut(&key) {
            node.accessed = accessed;
            node.modified = modified;
        }
        Ok(())
    }

    fn metadata(&self, path: &Path) -> Result<Metadata, FsError> {
        let tree = self.lock();
        Ok(metadata(tree.get(&tree.resolve(&key(path)?, true)?)?))
    }

    fn symlink_metadata(&self, path: &Path) -> Result<Metadata, FsError> {
        let tree = self.lock();
        Ok(metadata(tree.get(&tree.resolve(&key(path)?, false)?)?))
    }

    fn read_dir(&self, path: &Path) -> Result<Vec<DirEntry>, FsError> {
        let tree = self.lock();
        let key = tree.resolve(&key(path)?, true)?;
        match &tree.get(&key)?.body {
            Body::Dir(children) => Ok(children
                .iter()
                .map(|name| {
                    let child = if key.is_empty() { name.clone() } else { format!("{key}/{name}") };
                    let kind = match tree.nodes.get(&child).map(|n| &n.body) {
                        Some(Body::Dir(_)) => FileKind::Directory,
                        Some(Body::Symlink(_)) => FileKind::Symlink,
                        _ => FileKind::File,
                    };
                    DirEntry { name: name.clone(), kind }
                })
                .collect()),
            Body::File(_) | Body::Symlink(_) => Err(FsErrorCode::NotADirectory.into()),
        }
    }

    fn create_dir(&self, path: &Path) -> Result<(), FsError> {
        let mut tree = self.lock_to_change();
        let key = tree.resolve(&key(path)?, false)?;
        tree.parent_dir(&key)?;
        if tree.nodes.contains_key(&key) {
            return Err(FsErrorCode::Exists.into());
        }
        tree.insert(key, Body::Dir(BTreeSet::new()))
    }

    fn remove_file(&self, path: &Path) -> Result<(), FsError> {
        let mut tree = self.lock_to_change();
        let key = tree.resolve(&key(path)?, false)?;
        match &tree.get(&key)?.body {
            Body::File(_) | Body::Symlink(_) => {
                tree.remove(&key);
                Ok(())
            }
            // Linux's unlink on a directory.
            Body::Dir(_) => Err(FsErrorCode::IsADirectory.into()),
        }
    }

    fn remove_dir(&self, path: &Path) -> Result<(), FsError> {
        let mut tree = self.lock_to_change();
        let key = tree.resolve(&key(path)?, false)?;
        match &tree.get(&key)?.body {
            Body::Dir(_) if key.is_empty() => Err(FsErrorCode::NotPermitted.into()),
            Body::Dir(children) if !children.is_empty() => Err(FsErrorCode::NotEmpty.into()),
            Body::Dir(_) => {
                tree.remove(&key);
                Ok(())
            }
            Body::File(_) | Body::Symlink(_) => Err(FsErrorCode::NotADirectory.into()),
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<(), FsError> {
        let mut tree = self.lock_to_change();
        let (from, to) = (tree.resolve(&key(from)?, false)?, tree.resolve(&key(to)?, false)?);
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
                (Body::File(_) | Body::Symlink(_), true) => {
                    return Err(FsErrorCode::NotADirectory.into());
                }
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
        let tree = self.lock();
        let key = tree.resolve(&key(path)?, true)?;
        tree.get(&key)?;
        Ok(PathBuf::from(key))
    }

    fn read_link(&self, path: &Path) -> Result<PathBuf, FsError> {
        let tree = self.lock();
        match &tree.get(&tree.resolve(&key(path)?, false)?)?.body {
            Body::Symlink(target) => Ok(PathBuf::from(target)),
            _ => Err(FsErrorCode::InvalidArgument.into()),
        }
    }

    fn symlink(&self, target: &str, link: &Path) -> Result<(), FsError> {
        let mut tree = self.lock_to_change();
        let key = tree.resolve(&key(link)?, false)?;
        tree.parent_dir(&key)?;
        if key.is_empty() || tree.nodes.contains_key(&key) {
            return Err(FsErrorCode::Exists.into());
        }
        tree.insert(key, Body::Symlink(target.to_owned()))
    }
}
