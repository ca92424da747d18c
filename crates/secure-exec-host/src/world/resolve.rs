//! Module resolution as Node does it, by oxc_resolver over the session's mount table.
//!
//! Runs on the host: it reads directories and `package.json` files, never guest source (which
//! is parsed only in the worker). `package.json` files nested deeper than any real one are
//! refused before they reach a JSON parser, so no file can exhaust a host thread's stack.
//!
//! A resolution that read only what reads alike for every session of its world (frozen
//! directories, and a private root still as it was made) is kept for them all
//! ([`SharedResolutions`]): a later session that has not changed its root gets it without
//! running the resolver, and on the host's I/O thread when the module's file is kept too.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use oxc_resolver::{FileMetadata, ModuleType, ResolveError, ResolveOptions, ResolverGeneric};

use super::fs::FileKind;
use super::mounts::{MountTable, normalize, parent};

/// Deepest nesting of a `package.json` the resolver will parse.
const MAX_JSON_DEPTH: usize = 256;
/// Largest `package.json` the resolver will read.
const MAX_PACKAGE_JSON: usize = 4 * 1024 * 1024;

/// The mount table as oxc_resolver sees a filesystem.
#[derive(Debug, Clone)]
pub(crate) struct WorldFs {
    mounts: Option<Arc<MountTable>>,
    /// Set once the session's resolvers read something that may read otherwise in another
    /// session. It stays set: they keep what they read, and answer later resolutions from it
    /// without reading again.
    read_unlike: Arc<AtomicBool>,
}

impl WorldFs {
    fn mounts(&self) -> io::Result<&MountTable> {
        self.mounts.as_deref().ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }

    /// Notes what was just read at `path` (normalised).
    fn read_at(&self, path: &str) {
        if self.mounts.as_ref().is_none_or(|mounts| !mounts.reads_alike(path)) {
            self.read_unlike.store(true, Ordering::Relaxed);
        }
    }
}

fn guest_path(path: &Path) -> io::Result<String> {
    let text = path.to_str().ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    normalize(text).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn fs_error(err: super::fs::FsError) -> io::Error {
    use super::fs::FsErrorCode;
    let kind = match err.code {
        FsErrorCode::NotFound | FsErrorCode::NotADirectory => io::ErrorKind::NotFound,
        FsErrorCode::PermissionDenied => io::ErrorKind::PermissionDenied,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, err.to_string())
}

/// Whether `text` nests arrays and objects deeper than `max` (strings are skipped).
fn too_deep(text: &str, max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

impl oxc_resolver::FileSystem for WorldFs {
    fn new() -> Self {
        Self { mounts: None, read_unlike: Arc::new(AtomicBool::new(true)) }
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        let path = guest_path(path)?;
        let text = package_json_text(self.mounts()?, &path);
        self.read_at(&path);
        text
    }

    fn metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        let path = guest_path(path)?;
        let meta = self.mounts()?.metadata(&path, true);
        self.read_at(&path);
        let meta = meta.map_err(fs_error)?;
        Ok(FileMetadata::new(meta.kind == FileKind::File, meta.kind == FileKind::Directory, false))
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        let path = guest_path(path)?;
        let meta = self.mounts()?.metadata(&path, false);
        self.read_at(&path);
        let meta = meta.map_err(fs_error)?;
        Ok(FileMetadata::new(
            meta.kind == FileKind::File,
            meta.kind == FileKind::Directory,
            meta.kind == FileKind::Symlink,
        ))
    }

    fn read_link(&self, path: &Path) -> Result<PathBuf, ResolveError> {
        let guest = guest_path(path).map_err(ResolveError::from)?;
        let target = self.mounts().map_err(ResolveError::from)?.read_link(&guest);
        self.read_at(&guest);
        match target {
            // An absolute target names a place on the host, not in the guest's world: the
            // link is not followed (and reading through it fails inside its mount).
            Ok(target) if target.starts_with('/') => {
                Err(ResolveError::PathNotSupported(path.into()))
            }
            Ok(target) => Ok(PathBuf::from(target)),
            Err(err) => Err(ResolveError::from(fs_error(err))),
        }
    }
}

/// How a resolved module is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Builtin,
    CommonJs,
    Module,
    Json,
    Wasm,
}

impl Format {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::CommonJs => "commonjs",
            Self::Module => "module",
            Self::Json => "json",
            Self::Wasm => "wasm",
        }
    }
}

/// A failed resolution, with Node's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

/// A module's guest path (or `node:NAME`) and how to load it, or why there is none.
pub(crate) type Resolved = Result<(String, Format), Unresolved>;

/// `import` or `require`, the normalised directory asked from, the specifier.
type Asked = (bool, String, String);

/// Bytes of resolutions one world keeps (paths, specifiers and messages); past it, later
/// ones are not kept.
const SHARED_BYTES: usize = 4 * 1024 * 1024;
/// What a kept resolution costs beside its strings.
const SHARED_OVERHEAD: usize = 96;

/// The resolutions of one world (a [`SystemDriver`](super::SystemDriver) and its clones; a
/// new mount makes a new one) that hold for every session that has not changed its private
/// root: each was worked out from frozen directories and an unchanged root only.
#[derive(Debug, Default)]
pub(crate) struct SharedResolutions {
    kept: Mutex<(HashMap<Asked, Resolved>, usize)>,
}

impl SharedResolutions {
    fn get(&self, asked: &Asked) -> Option<Resolved> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner).0.get(asked).cloned()
    }

    /// Keeps what resolving `specifier` from `from_dir` (`import` if `esm`) gave; only for
    /// a resolution worked out from what reads alike for every session of the world.
    pub(crate) fn keep(&self, specifier: &str, from_dir: &str, esm: bool, resolved: &Resolved) {
        let Some(asked) = asked(specifier, from_dir, esm) else { return };
        let strings = match resolved {
            Ok((path, _)) => path.len(),
            Err(unresolved) => unresolved.message.len(),
        };
        let cost = asked.1.len() + asked.2.len() + strings + SHARED_OVERHEAD;
        let mut guard = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let (kept, bytes) = &mut *guard;
        if *bytes + cost <= SHARED_BYTES && !kept.contains_key(&asked) {
            *bytes += cost;
            kept.insert(asked, resolved.clone());
        }
    }
}

/// The key a resolution is shared under, if `from_dir` is a guest path.
fn asked(specifier: &str, from_dir: &str, esm: bool) -> Option<Asked> {
    Some((esm, normalize(from_dir).ok()?, specifier.to_owned()))
}

/// A resolution the session's world shares, if there is one and the session's root is still
/// as it was made.
pub(crate) fn shared(
    shared: &SharedResolutions,
    mounts: &MountTable,
    specifier: &str,
    from_dir: &str,
    esm: bool,
) -> Option<Resolved> {
    if !mounts.root_as_made() {
        return None;
    }
    shared.get(&asked(specifier, from_dir, esm)?)
}

/// The two resolvers of a session (`require` and `import` conditions).
#[derive(Debug)]
pub(crate) struct Resolvers {
    require: ResolverGeneric<WorldFs>,
    import: ResolverGeneric<WorldFs>,
    /// Their file system's `read_unlike`.
    read_unlike: Arc<AtomicBool>,
}

impl Resolvers {
    pub(crate) fn new(mounts: Arc<MountTable>) -> Self {
        let base = ResolveOptions {
            extensions: vec![".js".into(), ".json".into(), ".node".into()],
            main_fields: vec!["main".into()],
            builtin_modules: true,
            module_type: true,
            symlinks: true,
            ..ResolveOptions::default()
        };
        let require = ResolveOptions {
            condition_names: vec!["node".into(), "require".into()],
            ..base.clone()
        };
        let import =
            ResolveOptions { condition_names: vec!["node".into(), "import".into()], ..base };
        let read_unlike = Arc::new(AtomicBool::new(false));
        let fs = WorldFs { mounts: Some(mounts), read_unlike: Arc::clone(&read_unlike) };
        Self {
            require: ResolverGeneric::new_with_file_system(fs.clone(), require),
            import: ResolverGeneric::new_with_file_system(fs, import),
            read_unlike,
        }
    }

    /// Whether the resolvers have read anything that may read otherwise in another session
    /// (then nothing they resolve is shared).
    pub(crate) fn read_unlike(&self) -> bool {
        self.read_unlike.load(Ordering::Relaxed)
    }

    /// Resolves `specifier` from the directory `from_dir`: the module's guest path (or
    /// `node:NAME`) and how to load it.
    pub(crate) fn resolve(&self, specifier: &str, from_dir: &str, esm: bool) -> Resolved {
        let not_found = if esm { "ERR_MODULE_NOT_FOUND" } else { "MODULE_NOT_FOUND" };
        let from_dir = normalize(from_dir).map_err(|_| Unresolved {
            code: not_found,
            message: format!("Cannot find module '{specifier}': {from_dir:?} is not a guest path"),
        })?;
        let resolver = if esm { &self.import } else { &self.require };
        match resolver.resolve(&from_dir, specifier) {
            Ok(resolution) => {
                let path = resolution.path().to_string_lossy().into_owned();
                let format = match resolution.module_type() {
                    Some(ModuleType::Module) => Format::Module,
                    Some(ModuleType::Json) => Format::Json,
                    Some(ModuleType::Wasm) => Format::Wasm,
                    Some(ModuleType::Addon) => {
                        return Err(Unresolved {
                            code: "ERR_NOT_SUPPORTED",
                            message: format!(
                                "Cannot load native addon '{path}': .node binaries cannot run in \
                                 secure-exec"
                            ),
                        });
                    }
                    Some(ModuleType::CommonJs) | None => {
                        if path.ends_with(".mjs") {
                            Format::Module
                        } else if path.ends_with(".json") {
                            Format::Json
                        } else {
                            Format::CommonJs
                        }
                    }
                };
                Ok((path, format))
            }
            Err(ResolveError::Builtin { resolved, .. }) => Ok((resolved, Format::Builtin)),
            Err(ResolveError::PackagePathNotExported { subpath, package_json_path, .. }) => {
                Err(Unresolved {
                    code: "ERR_PACKAGE_PATH_NOT_EXPORTED",
                    message: format!(
                        "Package subpath '{subpath}' is not defined by \"exports\" in {}",
                        package_json_path.display()
                    ),
                })
            }
            Err(ResolveError::PackageImportNotDefined(name, package)) => Err(Unresolved {
                code: "ERR_PACKAGE_IMPORT_NOT_DEFINED",
                message: format!(
                    "Package import specifier \"{name}\" is not defined in package {}",
                    package.display()
                ),
            }),
            Err(ResolveError::Json(err)) => Err(Unresolved {
                code: "ERR_INVALID_PACKAGE_CONFIG",
                message: format!("Invalid package config {}: {}", err.path.display(), err.message),
            }),
            Err(ResolveError::IOError(err)) => Err(Unresolved {
                code: if err.to_string().contains("nests deeper") {
                    "ERR_INVALID_PACKAGE_CONFIG"
                } else {
                    not_found
                },
                message: format!("Cannot find module '{specifier}': {err}"),
            }),
            Err(_) if esm => Err(Unresolved {
                code: not_found,
                message: format!("Cannot find module '{specifier}' imported from {from_dir}"),
            }),
            Err(_) => Err(Unresolved {
                code: not_found,
                message: format!("Cannot find module '{specifier}'"),
            }),
        }
    }
}

/// The text of the JSON file at `path`, refused (`InvalidData`) if it is larger, deeper or
/// other than UTF-8 as no real `package.json` is, before any JSON parser sees it.
fn package_json_text(mounts: &MountTable, path: &str) -> io::Result<String> {
    let (data, _) = mounts.read(path, 0, MAX_PACKAGE_JSON + 1).map_err(fs_error)?;
    if data.len() > MAX_PACKAGE_JSON {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{path} is too large")));
    }
    let text = String::from_utf8(data)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))?;
    if too_deep(&text, MAX_JSON_DEPTH) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{path} nests deeper than {MAX_JSON_DEPTH} levels"),
        ));
    }
    Ok(text)
}

/// The `"type"` of the package.json nearest to `dir` (walking up), if one says.
pub(crate) fn package_type(mounts: &MountTable, dir: &str) -> Option<String> {
    let mut dir = normalize(dir).ok()?;
    loop {
        let file =
            if dir == "/" { "/package.json".to_owned() } else { format!("{dir}/package.json") };
        match package_json_text(mounts, &file) {
            Ok(text) => {
                let value: serde_json::Value = serde_json::from_str(&text).ok()?;
                return value.get("type").and_then(|t| t.as_str()).map(str::to_owned);
            }
            // There but unreadable as a package.json: no type to be had from it.
            Err(err) if err.kind() == io::ErrorKind::InvalidData => return None,
            Err(_) => {}
        }
        if dir == "/" {
            return None;
        }
        dir = parent(&dir).to_owned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_nesting_is_measured_outside_strings() {
        assert!(!too_deep(r#"{"a": [1, {"b": "[[[[[["}]}"#, 3));
        assert!(too_deep(&"[".repeat(300), 256));
        assert!(!too_deep(&format!("{}{}", "[".repeat(256), "]".repeat(256)), 256));
    }
}
