//! Project automation, run as `cargo xtask <task>`.
//!
//! Tasks build what they need first, so each works from a fresh clone:
//! - `build`: release worker and CLI.
//! - `test`: the release worker, then every test against it, then the crash-injection suite.
//! - `crash-test`: a worker with the test-only `fault-injection` feature (in its own target
//!   directory, so it never replaces the normal worker), then the fault matrix.
//! - `lint`: `cargo fmt --check` and clippy with warnings denied, also on feature-gated code.
//! - `ci`: lint, test, and the benchmark regression check.
//! - `bench [--check] [--quick] [--scale | --modules]`: the performance figures, or with
//!   `--scale` how throughput grows with worker processes (see docs/performance.md), or with
//!   `--modules` only the module-loading figures.
//! - `soak [--sessions N]`: many mixed sessions on one worker, watching for leaks.
//! - `builtins [--check]`: bundles the pinned npm implementations of Node's built-in modules
//!   (xtask/builtins) into the worker's `vendor.js`; `--check` fails if the committed bundle
//!   differs from what the lockfile gives.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use anyhow::{Context, bail};

const HELP: &str = "\
usage: cargo xtask <task>

tasks:
  build                 release worker and CLI (target/release)
  test                  release worker, all tests against it, then crash-test
  crash-test            fault-injection worker and the crash matrix
  lint                  cargo fmt --check, clippy -D warnings
  ci                    lint, test, bench --check --quick
  bench [--check] [--quick] [--scale | --modules]
                        performance figures; --check compares with bench/baseline.json;
                        --scale [--processes 1,16]: throughput for 1..16 worker
                        processes (or those listed), CPU per session;
                        --modules: only the module-loading figures
  soak [--sessions N]   mixed sessions on one worker; prints resource figures
  builtins [--check]    bundle xtask/builtins into the worker's vendor.js (needs npm);
                        --check fails if the committed bundle is stale
";

fn main() {
    if let Err(err) = run() {
        eprintln!("xtask: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let root = root()?;
    match task.as_str() {
        "build" => build(&root),
        "test" => {
            test(&root)?;
            crash_test(&root)
        }
        "crash-test" => crash_test(&root),
        "lint" => lint(&root),
        "ci" => {
            builtins(&root, &["--check".into()])?;
            lint(&root)?;
            test(&root)?;
            crash_test(&root)?;
            bench(&root, &["--check".into(), "--quick".into()])
        }
        "bench" => bench(&root, &rest),
        "soak" => soak(&root, &rest),
        "builtins" => builtins(&root, &rest),
        "" | "help" | "--help" | "-h" => {
            eprint!("{HELP}");
            Ok(())
        }
        other => bail!("unknown task {other:?}\n\n{HELP}"),
    }
}

fn root() -> anyhow::Result<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    Ok(manifest.parent().context("xtask lives inside the workspace")?.to_path_buf())
}

fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}

/// Runs `command` to its end and returns how it ended.
fn exit_status(command: &mut Command) -> anyhow::Result<ExitStatus> {
    eprintln!("xtask: running {command:?}");
    command.status().with_context(|| format!("cannot run {command:?}"))
}

fn status(mut command: Command) -> anyhow::Result<()> {
    let status = exit_status(&mut command)?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

fn build(root: &Path) -> anyhow::Result<()> {
    let mut command = cargo(root);
    command.args(["build", "--release", "-p", "secure-exec-worker", "-p", "secure-exec-cli"]);
    status(command)
}

fn release_worker(root: &Path) -> PathBuf {
    root.join("target/release/secure-exec-worker")
}

fn fault_target_dir(root: &Path) -> PathBuf {
    root.join("target/fault-injection")
}

fn test(root: &Path) -> anyhow::Result<()> {
    build(root)?;
    // The misbehaving worker of the robustness tests, under the name they look for.
    let mut command = cargo(root);
    command.args(["build", "-p", "secure-exec-host", "--example", "fake_worker"]);
    status(command)?;
    let mut command = cargo(root);
    command
        .args(["test", "--workspace", "--exclude", "secure-exec-worker", "--all-targets"])
        .env("SECURE_EXEC_WORKER", release_worker(root));
    status(command)?;
    // Doc tests are not part of --all-targets.
    let mut command = cargo(root);
    command.args(["test", "--workspace", "--exclude", "secure-exec-worker", "--doc"]);
    status(command)
}

fn crash_test(root: &Path) -> anyhow::Result<()> {
    build(root)?;
    let mut command = cargo(root);
    command
        .args(["build", "--release", "-p", "secure-exec-worker", "--features", "fault-injection"])
        .arg("--target-dir")
        .arg(fault_target_dir(root));
    status(command)?;
    let mut command = cargo(root);
    command
        .args(["test", "-p", "secure-exec-host", "--test", "crash_injection"])
        .env("SECURE_EXEC_WORKER", release_worker(root))
        .env("SECURE_EXEC_FAULT_WORKER", fault_target_dir(root).join("release/secure-exec-worker"));
    status(command)
}

fn lint(root: &Path) -> anyhow::Result<()> {
    let mut command = cargo(root);
    command.args(["fmt", "--all", "--check"]);
    status(command)?;
    let mut command = cargo(root);
    command.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
    status(command)?;
    let mut command = cargo(root);
    command.args([
        "clippy",
        "-p",
        "secure-exec-worker",
        "--features",
        "fault-injection",
        "--",
        "-D",
        "warnings",
    ]);
    status(command)
}

/// Exit status of `examples/bench.rs --check` when it found a regression.
const BENCH_REGRESSION_EXIT: i32 = 3;

fn bench(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let results = root.join("target/bench");
    let env = [
        ("SECURE_EXEC_BENCH_DIR", results.clone()),
        ("SECURE_EXEC_BENCH_BASELINE", root.join("bench/baseline.json")),
    ];
    if !args.iter().any(|a| a == "--check") {
        return run_example(root, "bench", args, &env);
    }
    // One busy moment on a shared machine can triple a latency figure; a real regression
    // shows up twice in a row, so a regression is measured once more, and the run fails only
    // on a figure that regressed both times.
    build(root)?;
    let regressions = |status: ExitStatus, command: &Command| -> anyhow::Result<Vec<String>> {
        if status.success() {
            return Ok(Vec::new());
        }
        if status.code() != Some(BENCH_REGRESSION_EXIT) {
            bail!("{command:?} failed: {status}");
        }
        let listed = std::fs::read_to_string(results.join("regressions.txt"))
            .context("the bench reported a regression but listed none")?;
        Ok(listed.lines().map(str::to_owned).collect())
    };
    let mut command = example(root, "bench", args, &env);
    let first = regressions(exit_status(&mut command)?, &command)?;
    if first.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: the bench reported a regression ({}); measuring once more", first.join(", "));
    let mut command = example(root, "bench", args, &env);
    let second = regressions(exit_status(&mut command)?, &command)?;
    let twice: Vec<&str> =
        second.iter().filter(|name| first.contains(name)).map(String::as_str).collect();
    if !twice.is_empty() {
        bail!("regressed twice in a row: {}", twice.join(", "));
    }
    if !second.is_empty() {
        eprintln!(
            "xtask: no figure regressed twice in a row (then: {}); a busy machine, not a regression",
            second.join(", ")
        );
    }
    Ok(())
}

fn soak(root: &Path, args: &[String]) -> anyhow::Result<()> {
    run_example(root, "soak", args, &[])
}

/// Runs a release example of the host crate against the release worker.
fn run_example(
    root: &Path,
    name: &str,
    args: &[String],
    env: &[(&str, PathBuf)],
) -> anyhow::Result<()> {
    build(root)?;
    status(example(root, name, args, env))
}

/// The command that runs a release example of the host crate against the release worker.
fn example(root: &Path, name: &str, args: &[String], env: &[(&str, PathBuf)]) -> Command {
    let mut command = cargo(root);
    command
        .args(["run", "--release", "-p", "secure-exec-host", "--example", name, "--"])
        .args(args)
        .env("SECURE_EXEC_WORKER", release_worker(root))
        .envs(env.iter().map(|(key, value)| (*key, value)));
    command
}

/// Where the bundle of npm built-ins goes.
const VENDOR_JS: &str = "crates/secure-exec-worker/src/guest/vendor.js";

/// Edits to the bundled packages: (why, code, replacement). Each must match exactly once, so a
/// new pin that changes the code fails the task instead of keeping a stale edit.
const BUNDLE_PATCHES: &[(&str, &str, &str)] = &[
    (
        "get-intrinsic reads a property of null only to catch the TypeError it throws; V8 \
         re-parses the enclosing function to word that error's message, which cost every session \
         loading util or assert about 0.3 ms. Throwing a TypeError itself gives the same \
         prototype chain",
        "null.error;",
        "throw new $TypeError();",
    ),
    (
        "util.types is V8's own checks, as in Node (guest/types.rs), which the worker hands the \
         bundle: the package's approximations (no isProxy, async generator functions not \
         generator functions, look-alike errors taken for errors) cost a session 1 ms to load",
        "exports2.types = require_types();",
        "exports2.types = secureExecUtilTypes;",
    ),
    (
        "keeps V8's isRegExp in util.types (the package puts its own over it)",
        "exports2.types.isRegExp = isRegExp;",
        "",
    ),
    ("keeps V8's isDate in util.types", "exports2.types.isDate = isDate;", ""),
    (
        "assert throws Node's AssertionError (node.js), whose messages and diffs are Node's \
         current ones over the guest's util.inspect; the package's is an older port",
        "module2.exports = AssertionError;",
        "module2.exports = secureExecAssertionError;",
    ),
    (
        "names the class of assert.throws' comparisons as Node does (`Comparison`, not the \
         bundler's renamed `Comparison2`)",
        "_createClass(function Comparison2(obj, keys, actual) {",
        "_createClass(function Comparison(obj, keys, actual) {",
    ),
    ("the same", "_classCallCheck(this, Comparison2);", "_classCallCheck(this, Comparison);"),
    (
        "assert.throws / rejects with a regular expression, an Error class or a validation \
         function that the error does not satisfy: Node's AssertionError (as Node 20 words it), \
         where the package throws the error itself",
        r#"      if (error && !expectedException(actual, error, message, stackStartFn)) {
        throw actual;
      }
    }"#,
        r#"      if (error) secureExecExpectedException(actual, error, message, stackStartFn);
    }
    function secureExecExpectedException(actual, expected, message, fn) {
      var generatedMessage = false;
      var isError = function(value) {
        return value instanceof Error || Object.prototype.toString.call(value) === "[object Error]";
      };
      if (typeof expected !== "function") {
        if (!isRegExp(expected)) {
          expectedException(actual, expected, message, fn);
          return;
        }
        var str = String(actual);
        if (RegExpPrototypeTest(expected, str)) return;
        if (!message) {
          generatedMessage = true;
          message = "The input did not match the regular expression " + inspect(expected) + ". Input:\n\n" + inspect(str) + "\n";
        }
      } else if (expected.prototype !== void 0 && actual instanceof expected) {
        return;
      } else if (Error.isPrototypeOf(expected)) {
        if (!message) {
          generatedMessage = true;
          message = "The error is expected to be an instance of \"" + expected.name + "\". Received ";
          if (isError(actual)) {
            var name = actual.constructor && actual.constructor.name || actual.name;
            message += expected.name === name ? "an error with identical name but a different prototype." : "\"" + name + "\"";
            if (actual.message) message += "\n\nError message:\n\n" + actual.message;
          } else {
            message += "\"" + inspect(actual, { depth: -1 }) + "\"";
          }
        }
      } else {
        var res = expected.call({}, actual);
        if (res === true) return;
        if (!message) {
          generatedMessage = true;
          var fnName = expected.name ? "\"" + expected.name + "\" " : "";
          message = "The " + fnName + "validation function is expected to return \"true\". Received " + inspect(res);
          if (isError(actual)) message += "\n\nCaught error:\n\n" + actual;
        }
      }
      var err = new AssertionError({ actual: actual, expected: expected, message: message, operator: fn.name, stackStartFn: fn });
      err.generatedMessage = generatedMessage;
      throw err;
    }"#,
    ),
    (
        "assert.ok without a message: the call quoted from its source, generated, as Node \
         words and marks it (node.js)",
        "} else if (message instanceof Error) {",
        "} else if (message == null) {\n          generatedMessage = true;\n          \
         message = secureExecOkMessage(fn);\n        } else if (message instanceof Error) {",
    ),
    (
        "keeps V8's isNativeError in util.types (the package's takes any object whose prototype \
         chain has Error.prototype)",
        "exports2.types.isNativeError = isError;",
        "",
    ),
    (
        "Buffers are made as Node makes them: by a subclass of Uint8Array that shares Buffer's \
         prototype (Node's FastBuffer) rather than by setPrototypeOf on each, and small ones \
         from allocUnsafe, from() and concat() as views of a shared 8 KiB pool, so that a small \
         Buffer costs no backing store of its own",
        "    Buffer2.TYPED_ARRAY_SUPPORT = typedArraySupport();
    if (!Buffer2.TYPED_ARRAY_SUPPORT && typeof console !== \"undefined\" && typeof console.error === \"function\") {
      console.error(
        \"This browser lacks typed array (Uint8Array) support which is required by `buffer` v5.x. Use `buffer` v4.x if you require old browser support.\"
      );
    }",
        "    class FastBuffer extends Uint8Array {
      constructor(bufferOrLength, byteOffset, length) {
        super(bufferOrLength, byteOffset, length);
      }
    }
    FastBuffer.prototype.constructor = Buffer2;
    Buffer2.prototype = FastBuffer.prototype;
    let poolSize, poolOffset, allocPool;
    function createPool() {
      poolSize = Buffer2.poolSize;
      allocPool = new ArrayBuffer(poolSize);
      poolOffset = 0;
    }
    function allocate(size) {
      if (size <= 0) return new FastBuffer();
      if (size < Buffer2.poolSize >>> 1) {
        if (allocPool === void 0 || size > poolSize - poolOffset) createPool();
        const b = new FastBuffer(allocPool, poolOffset, size);
        poolOffset += size;
        if (poolOffset & 7) poolOffset = (poolOffset | 7) + 1;
        return b;
      }
      return createBuffer(size);
    }",
    ),
    (
        "Buffer has no marks of the polyfill (packages test TYPED_ARRAY_SUPPORT or _isBuffer to \
         tell it from Node's): isBuffer is instanceof, as Node's",
        "    Buffer2.isBuffer = function isBuffer(b) {
      return b != null && b._isBuffer === true && b !== Buffer2.prototype;
    };",
        "    Buffer2.isBuffer = function isBuffer(b) {
      return b instanceof Buffer2;
    };",
    ),
    ("the same", "    Buffer2.prototype._isBuffer = true;\n", ""),
    (
        "the same",
        "      const buf = new Uint8Array(length);
      Object.setPrototypeOf(buf, Buffer2.prototype);
      return buf;",
        "      return new FastBuffer(length);",
    ),
    (
        "the same",
        "      let buf;
      if (byteOffset === void 0 && length === void 0) {
        buf = new Uint8Array(array);
      } else if (length === void 0) {
        buf = new Uint8Array(array, byteOffset);
      } else {
        buf = new Uint8Array(array, byteOffset, length);
      }
      Object.setPrototypeOf(buf, Buffer2.prototype);
      return buf;",
        "      return new FastBuffer(array, byteOffset, length);",
    ),
    (
        "the same",
        "      const newBuf = this.subarray(start, end);
      Object.setPrototypeOf(newBuf, Buffer2.prototype);
      return newBuf;",
        "      return new FastBuffer(this.buffer, this.byteOffset + start, end - start);",
    ),
    (
        "the same",
        "      return createBuffer(size < 0 ? 0 : checked(size) | 0);",
        "      return allocate(size < 0 ? 0 : checked(size) | 0);",
    ),
    (
        "the same: allocUnsafeSlow never pools",
        "    Buffer2.allocUnsafeSlow = function(size) {
      return allocUnsafe(size);
    };",
        "    Buffer2.allocUnsafeSlow = function(size) {
      assertSize(size);
      return createBuffer(size < 0 ? 0 : checked(size) | 0);
    };",
    ),
    ("the same", "      let buf = createBuffer(length);", "      let buf = allocate(length);"),
    (
        "the same",
        "      if (isInstance(arrayView, Uint8Array)) {
        const copy = new Uint8Array(arrayView);
        return fromArrayBuffer(copy.buffer, copy.byteOffset, copy.byteLength);
      }",
        "      if (isInstance(arrayView, Uint8Array)) {
        const buf = allocate(arrayView.length);
        if (buf.length > 0) buf.set(arrayView);
        return buf;
      }",
    ),
    (
        "the same",
        "      const length = array.length < 0 ? 0 : checked(array.length) | 0;
      const buf = createBuffer(length);",
        "      const length = array.length < 0 ? 0 : checked(array.length) | 0;
      const buf = allocate(length);",
    ),
    (
        "string_decoder decodes to base64url too, as Node's does",
        "case \"base64\":\n          case \"ascii\":\n          case \"hex\":\n            return enc;",
        "case \"base64\":\n          case \"base64url\":\n          case \"ascii\":\n          case \"hex\":\n            return enc;",
    ),
    (
        "the same",
        "case \"base64\":\n          this.text = base64Text;",
        "case \"base64\":\n        case \"base64url\":\n          this.text = base64Text;",
    ),
    (
        "the same",
        "if (n === 0) return buf.toString(\"base64\", i);",
        "if (n === 0) return buf.toString(this.encoding, i);",
    ),
    (
        "the same",
        "return buf.toString(\"base64\", i, buf.length - n);",
        "return buf.toString(this.encoding, i, buf.length - n);",
    ),
    (
        "the same",
        "this.lastChar.toString(\"base64\", 0, 3 - this.lastNeed)",
        "this.lastChar.toString(this.encoding, 0, 3 - this.lastNeed)",
    ),
    (
        "base64url is one of Buffer's encodings, as in Node",
        "switch (String(encoding).toLowerCase()) {\n        case \"hex\":",
        "switch (String(encoding).toLowerCase()) {\n        case \"base64url\":\n        case \"hex\":",
    ),
    (
        "Buffer's string conversions are the worker's natives (guest/buffer.rs), with \
         Node's rules; the package converts a byte at a time in JavaScript, 20 to 50 times \
         slower than Node on a large file",
        r#"return hexSlice(this, start, end);"#,
        r#"return secureExecBuffer.slice(this, start, end, "hex");"#,
    ),
    (
        "the same",
        r#"return utf8Slice(this, start, end);"#,
        r#"return secureExecBuffer.slice(this, start, end, "utf8");"#,
    ),
    (
        "the same",
        r#"return asciiSlice(this, start, end);"#,
        r#"return secureExecBuffer.slice(this, start, end, "ascii");"#,
    ),
    (
        "the same",
        r#"return latin1Slice(this, start, end);"#,
        r#"return secureExecBuffer.slice(this, start, end, "latin1");"#,
    ),
    (
        "the same",
        r#"case "base64":
            return base64Slice(this, start, end);"#,
        r#"case "base64":
          case "base64url":
            return secureExecBuffer.slice(this, start, end, encoding);"#,
    ),
    (
        "the same",
        r#"return utf16leSlice(this, start, end);"#,
        r#"return secureExecBuffer.slice(this, start, end, "utf16le");"#,
    ),
    (
        "the same",
        r#"return utf8Slice(this, 0, length);"#,
        r#"return secureExecBuffer.slice(this, 0, length, "utf8");"#,
    ),
    (
        "the same",
        r#"return hexWrite(this, string, offset, length);"#,
        r#"return secureExecBuffer.write(this, string, offset, length, "hex");"#,
    ),
    (
        "the same",
        r#"return utf8Write(this, string, offset, length);"#,
        r#"return secureExecBuffer.write(this, string, offset, length, "utf8");"#,
    ),
    (
        "the same",
        r#"return asciiWrite(this, string, offset, length);"#,
        r#"return secureExecBuffer.write(this, string, offset, length, "latin1");"#,
    ),
    (
        "the same",
        r#"case "base64":
            return base64Write(this, string, offset, length);"#,
        r#"case "base64":
          case "base64url":
            return secureExecBuffer.write(this, string, offset, length, encoding);"#,
    ),
    (
        "the same",
        r#"return ucs2Write(this, string, offset, length);"#,
        r#"return secureExecBuffer.write(this, string, offset, length, "utf16le");"#,
    ),
    (
        "the same",
        r#"return utf8ToBytes(string).length;"#,
        r#"return secureExecBuffer.byteLength(string, "utf8");"#,
    ),
    (
        "the same",
        r#"return mustMatch ? -1 : utf8ToBytes(string).length;"#,
        r#"return mustMatch ? -1 : secureExecBuffer.byteLength(string, "utf8");"#,
    ),
    (
        "the same",
        r#"case "base64":
            return base64ToBytes(string).length;"#,
        r#"case "base64":
          case "base64url":
            return secureExecBuffer.byteLength(string, encoding);"#,
    ),
];

/// Installs the pinned packages of xtask/builtins (`npm ci`, no install scripts) and bundles
/// them with esbuild into the worker's `vendor.js`, wrapped as a function the worker calls.
fn builtins(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let check = args.iter().any(|a| a == "--check");
    let dir = root.join("xtask/builtins");
    let mut command = Command::new("npm");
    command
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir);
    status(command).context("npm is needed to bundle the built-in modules")?;
    let bundled = root.join("target/builtins/bundle.js");
    let mut command = Command::new(dir.join("node_modules/.bin/esbuild"));
    command
        .args([
            "entry.js",
            "--bundle",
            "--format=cjs",
            "--platform=browser",
            "--target=es2022",
            // ASCII (other characters escaped): the worker hands the bundle to V8 as an external
            // one-byte string, without a copy.
            "--charset=ascii",
            "--legal-comments=inline",
            "--log-level=warning",
            "--alias:process=./process.js",
        ])
        .arg(format!("--outfile={}", bundled.display()))
        .current_dir(&dir);
    status(command)?;
    let mut body = std::fs::read_to_string(&bundled)
        .with_context(|| format!("cannot read {}", bundled.display()))?;
    for (why, from, to) in BUNDLE_PATCHES {
        if body.matches(from).count() != 1 {
            bail!("the bundle no longer has `{from}` once ({why}): review the patch");
        }
        body = body.replacen(from, to, 1);
    }
    let wrapped = format!(
        "// Generated by `cargo xtask builtins` from xtask/builtins (package.json and its lockfile):\n\
         // well-kept npm implementations of Node's built-in modules, bundled by esbuild, with\n\
         // their licence comments. Do not edit; change the pins and run the task again.\n\
         //\n\
         // A function of the guest's `process`, `util.types`, `AssertionError`, assert.ok's\n\
         // message maker and Buffer's string conversions, called the first time the guest\n\
         // requires one of the modules (node.js);\n\
         // each module is built on its own first use.\n\
         (function vendor(secureExecProcess, secureExecUtilTypes, secureExecAssertionError, secureExecOkMessage, secureExecBuffer) {{\n\
         var global = globalThis, self = globalThis;\n\
         var module = {{ exports: {{}} }};\n\
         {body}\n\
         return module.exports;\n\
         }})\n"
    );
    let target = root.join(VENDOR_JS);
    if check {
        let committed = std::fs::read_to_string(&target).unwrap_or_default();
        if committed != wrapped {
            bail!("{VENDOR_JS} is not what xtask/builtins gives; run `cargo xtask builtins`");
        }
        eprintln!("xtask: {VENDOR_JS} is up to date");
        return Ok(());
    }
    std::fs::write(&target, wrapped)
        .with_context(|| format!("cannot write {}", target.display()))?;
    eprintln!("xtask: wrote {VENDOR_JS}");
    Ok(())
}
