//! Node as the oracle: the same project run by `node` on the host and by the guest with the
//! project mounted, outputs compared.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use secure_exec_host::{
    ExecOptions, ExecResult, HostDir, NodeRuntime, NodeRuntimeOptions, SystemDriver, V8Runtime,
};

/// Where the guest sees a project.
pub(crate) const GUEST_DIR: &str = "/app";

/// A fresh directory under the system's temp dir, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("secure-exec-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // Canonical, so that it matches what Node reports (/tmp may be a link).
        Self(std::fs::canonicalize(&dir).unwrap())
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `files` (relative path, contents) into the directory.
    pub(crate) fn with_files(self, files: &[(&str, &str)]) -> Self {
        for (name, contents) in files {
            let path = self.0.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }
        self
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `node ENTRY` run in `dir`: its exit code, stdout and stderr.
pub(crate) fn node_in(dir: &Path, entry: &str) -> (i32, String, String) {
    let out =
        std::process::Command::new("node").arg(entry).current_dir(dir).output().unwrap_or_else(
            |err| panic!("`node` is needed as the oracle for these tests (it is on CI): {err}"),
        );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A runtime that sees `dir` read-write at [`GUEST_DIR`], working there.
pub(crate) fn runtime_in(v8: &V8Runtime, dir: &Path) -> NodeRuntime {
    runtime_with(v8, dir, SystemDriver::default())
}

/// [`runtime_in`] with `base` (a network policy, say) under the mount.
fn runtime_with(v8: &V8Runtime, dir: &Path, base: SystemDriver) -> NodeRuntime {
    NodeRuntime::new(NodeRuntimeOptions {
        v8_runtime: Some(v8.clone()),
        system: base.mount(GUEST_DIR, HostDir::read_write(dir)).with_cwd(GUEST_DIR),
        ..Default::default()
    })
}

/// Runs `entry` of the project in `dir` through the guest, its world built on `base`.
async fn guest_with(v8: &V8Runtime, dir: &Path, entry: &str, base: SystemDriver) -> ExecResult {
    let code = std::fs::read_to_string(dir.join(entry)).unwrap();
    let options =
        ExecOptions { filename: Some(format!("{GUEST_DIR}/{entry}")), ..Default::default() };
    runtime_with(v8, dir, base).exec_with(&code, options).await.unwrap()
}

/// Runs the project through Node and through the guest, each in a copy of its own, and
/// checks that they print the same (host paths in Node's output read as the guest's).
pub(crate) async fn same_as_node(v8: &V8Runtime, files: &[(&str, &str)], entry: &str) -> String {
    same_as_node_with(v8, files, entry, SystemDriver::default()).await
}

/// [`same_as_node`] with the guest's world built on `base`.
pub(crate) async fn same_as_node_with(
    v8: &V8Runtime,
    files: &[(&str, &str)],
    entry: &str,
    base: SystemDriver,
) -> String {
    let for_node = TempDir::new("node").with_files(files);
    let for_guest = TempDir::new("guest").with_files(files);
    let (code, stdout, stderr) = node_in(for_node.path(), entry);
    assert_eq!(code, 0, "node failed: {stderr}");
    let expected = stdout.replace(&for_node.path().display().to_string(), GUEST_DIR);
    let r = guest_with(v8, for_guest.path(), entry, base).await;
    assert_eq!(r.error_code, None, "{:?}\nstdout so far:\n{}", r.error_message, r.stdout);
    let (got, want): (Vec<&str>, Vec<&str>) =
        (r.stdout.lines().collect(), expected.lines().collect());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(
            g,
            w,
            "line {} differs from Node\nguest:\n{}\nnode:\n{expected}",
            i + 1,
            r.stdout
        );
    }
    assert_eq!(got.len(), want.len(), "guest:\n{}\nnode:\n{expected}", r.stdout);
    r.stdout
}
