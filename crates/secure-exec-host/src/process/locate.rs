//! Finding the `secure-exec-worker` executable.

use std::path::{Path, PathBuf};

use crate::Error;

/// The worker's file name.
pub const WORKER_NAME: &str = "secure-exec-worker";
/// Environment variable naming the worker executable.
pub const WORKER_ENV: &str = "SECURE_EXEC_WORKER";

/// The worker to start: `explicit` if given, else `$SECURE_EXEC_WORKER`, else beside the
/// current executable (or one level up from cargo's `deps/` and `examples/` folders), else on
/// `PATH`. An explicit path or variable that does not name an executable is an error of its
/// own, not a reason to look elsewhere: a configured worker that silently changes is worse than
/// a clear failure.
pub(crate) fn locate(explicit: Option<&Path>) -> Result<PathBuf, Error> {
    let mut tried = Vec::new();
    if let Some(path) = explicit {
        return found(path, &mut tried);
    }
    if let Some(path) = std::env::var_os(WORKER_ENV).filter(|p| !p.is_empty()) {
        return found(Path::new(&path), &mut tried);
    }
    for candidate in beside_current_exe().into_iter().chain(on_path()) {
        if is_executable(&candidate) {
            return Ok(candidate);
        }
        tried.push(candidate);
    }
    Err(Error::WorkerNotFound { tried })
}

fn found(path: &Path, tried: &mut Vec<PathBuf>) -> Result<PathBuf, Error> {
    if is_executable(path) {
        return Ok(path.to_path_buf());
    }
    tried.push(path.to_path_buf());
    Err(Error::WorkerNotFound { tried: std::mem::take(tried) })
}

fn beside_current_exe() -> Vec<PathBuf> {
    let Some(dir) =
        std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf))
    else {
        return Vec::new();
    };
    let mut candidates = vec![dir.join(WORKER_NAME)];
    if matches!(dir.file_name().and_then(|n| n.to_str()), Some("deps" | "examples")) {
        if let Some(parent) = dir.parent() {
            candidates.push(parent.join(WORKER_NAME));
        }
    }
    candidates
}

fn on_path() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|dir| dir.join(WORKER_NAME)).collect())
        .unwrap_or_default()
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
