//! Module resolution as Node does it, by oxc_resolver over the session's mount table.
//!
//! Runs on the host: it reads directories and `package.json` files, never guest source (which
//! is parsed only in the worker). `package.json` files nested deeper than any real one are
//! refused before they reach a JSON parser, so no file can exhaust a host thread's stack.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxc_resolver::{FileMetadata, ModuleType, ResolveError, ResolveOptions, ResolverGeneric};

use super::fs::FileKind;
use super::mounts::{MountTable, normalize};

/// Deepest nesting of a `package.json` the resolver will parse.
const MAX_JSON_DEPTH: usize = 256;
/// Largest `package.json` the resolver will read.
const MAX_PACKAGE_JSON: usize = 4 * 1024 * 1024;

/// The mount table as oxc_resolver sees a filesystem.
#[derive(Debug, Clone)]
pub(crate) struct WorldFs {
    mounts: Option<Arc<MountTable>>,
}

impl WorldFs {
    fn mounts(&self) -> io::Result<&MountTable> {
        self.mounts.as_deref().ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
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
        Self { mounts: None }
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        package_json_text(self.mounts()?, &guest_path(path)?)
    }

    fn metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        let meta = self.mounts()?.metadata(&guest_path(path)?, true).map_err(fs_error)?;
        Ok(FileMetadata::new(meta.kind == FileKind::File, meta.kind == FileKind::Directory, false))
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        let meta = self.mounts()?.metadata(&guest_path(path)?, false).map_err(fs_error)?;
        Ok(FileMetadata::new(
            meta.kind == FileKind::File,
            meta.kind == FileKind::Directory,
            meta.kind == FileKind::Symlink,
        ))
    }

    fn read_link(&self, path: &Path) -> Result<PathBuf, ResolveError> {
        let guest = guest_path(path).map_err(ResolveError::from)?;
        let target = self.mounts().map_err(ResolveError::from)?.read_link(&guest);
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

/// The two resolvers of a session (`require` and `import` conditions).
#[derive(Debug)]
pub(crate) struct Resolvers {
    require: ResolverGeneric<WorldFs>,
    import: ResolverGeneric<WorldFs>,
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
        let fs = WorldFs { mounts: Some(mounts) };
        Self {
            require: ResolverGeneric::new_with_file_system(fs.clone(), require),
            import: ResolverGeneric::new_with_file_system(fs, import),
        }
    }

    /// Resolves `specifier` from the directory `from_dir`: the module's guest path (or
    /// `node:NAME`) and how to load it.
    pub(crate) fn resolve(
        &self,
        specifier: &str,
        from_dir: &str,
        esm: bool,
    ) -> Result<(String, Format), Unresolved> {
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
        dir = match dir.rfind('/') {
            Some(0) | None => "/".to_owned(),
            Some(at) => dir[..at].to_owned(),
        };
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
