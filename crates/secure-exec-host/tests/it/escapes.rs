//! Guest escape attempts: each fails with a clear error, or reaches only the guest's own
//! world, and leaves no trace in the next session.

use secure_exec_host::{ErrorCode, ExecOptions, NodeRuntime};

use crate::support;

/// A session that checks every built-in it relies on is pristine.
const PRISTINE: &str = r#"
    const checks = {
        objectProto: Object.getOwnPropertyNames(Object.prototype).length === 12 && ({}).polluted === undefined,
        arrayMap: [1, 2].map(x => x * 2).join() === '2,4',
        json: JSON.parse('{"a":1}').a === 1 && JSON.stringify({ b: 2 }) === '{"b":2}',
        consoleIsOurs: typeof console.log === 'function',
        noLeak: typeof leaked === 'undefined' && typeof globalThis.leaked === 'undefined',
        functionCtor: Function.prototype.constructor === Function,
        wasm: typeof WebAssembly.Module === 'function',
        math: Math.max(1, 2) === 2,
    };
    const bad = Object.keys(checks).filter(k => !checks[k]);
    console.log(bad.length === 0 ? 'pristine' : 'TAINTED ' + bad.join(','));
"#;

async fn assert_pristine(rt: &NodeRuntime) {
    let r = rt.exec(PRISTINE).await.unwrap();
    assert_eq!(r.stdout, "pristine\n", "{r:?}");
}

#[tokio::test]
async fn modules_the_sandbox_cannot_offer_fail_clearly_and_fs_shows_no_host_path() {
    let (rt, _v8) = support::runtime().await;
    // They load (a package that requires one at its top still works); using one throws.
    for (module, call) in [
        ("child_process", "spawn('ls')"),
        ("node:net", "connect(80)"),
        ("worker_threads", "Worker()"),
        ("repl", "start()"),
        ("cluster", "fork()"),
        ("dgram", "createSocket('udp4')"),
        ("tls", "connect(443)"),
        ("http", "createServer()"),
        ("http2", "connect('https://example.com')"),
    ] {
        let name = module.trim_start_matches("node:");
        let code = format!(
            "const m = require('{module}'); try {{ m.{call}; console.log('RAN') }} catch (e) {{ console.log(e.code, e.message) }}"
        );
        let r = rt.exec(&code).await.unwrap();
        assert!(r.stdout.starts_with("ERR_NOT_SUPPORTED "), "{module}: {r:?}");
        assert!(r.stdout.contains(&format!("'{name}'")), "{module}: {r:?}");
    }
    let r = rt
        .exec("const { isIP } = require('net'); const { isMainThread } = require('worker_threads'); console.log(isIP('1.2.3.4'), isIP('::1'), isIP('x'), isMainThread)")
        .await
        .unwrap();
    assert_eq!(r.stdout, "4 6 0 true\n", "{r:?}");
    // The default world is an empty in-memory root: nothing of the host is there.
    let r = rt
        .exec("const fs = require('fs'); console.log(fs.readdirSync('/'), fs.existsSync('/etc/passwd'), fs.existsSync('/proc/self'))")
        .await
        .unwrap();
    assert_eq!(r.stdout, "[ 'tmp' ] false false\n", "{r:?}");
    assert_pristine(&rt).await;
}

#[tokio::test]
async fn process_binding_and_friends_do_not_exist() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec("console.log(typeof process.binding, typeof process._linkedBinding, typeof process.dlopen)")
        .await
        .unwrap();
    assert_eq!(r.stdout, "undefined undefined undefined\n");
    // process.kill reaches no process: the guest may only probe itself.
    let r = rt
        .exec(
            r#"for (const [pid, sig] of [[1, 'SIGKILL'], [1, 'SIGTERM'], [0, 'SIGKILL'], [-1, 'SIGKILL'], [2, 0]]) {
                 try { process.kill(pid, sig); console.log('sent'); } catch (e) { console.log(e.code); }
               }
               console.log(process.kill(process.pid, 0));"#,
        )
        .await
        .unwrap();
    assert_eq!(
        r.stdout, "ERR_NOT_SUPPORTED\nERR_NOT_SUPPORTED\nESRCH\nESRCH\nESRCH\ntrue\n",
        "{r:?}"
    );
    let r = rt.exec("process.binding('spawn_sync')").await.unwrap();
    assert!(r.error_message.unwrap().contains("TypeError: process.binding is not a function"));
}

#[tokio::test]
async fn global_tampering_and_prototype_pollution_do_not_survive_the_session() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec(
            r#"
            Object.prototype.polluted = 'yes';
            Object.defineProperty(Object.prototype, 'sneaky', { get() { return 1 }, configurable: false });
            Array.prototype.map = function () { return ['hijacked'] };
            JSON.parse = () => ({ a: 'hijacked' });
            Function.prototype.constructor = function evil() {};
            globalThis.leaked = 'secret';
            console.log = () => {};
            Math.max = () => -1;
            WebAssembly.Module = null;
            Object.freeze(Object.prototype);
            "#,
        )
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    assert_pristine(&rt).await;
}

#[tokio::test]
async fn function_constructor_and_eval_reach_only_the_guest_global() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec(
            r#"
            const g1 = Function('return this')();
            const g2 = (0, eval)('this');
            const g3 = ({}).constructor.constructor('return globalThis')();
            console.log(g1 === globalThis, g2 === globalThis, g3 === globalThis);
            console.log(typeof g1.require, typeof g1.process.binding, eval('typeof module'), eval('1 + 1'));
            console.log(Object.keys(g1.process.env).length);
            "#,
        )
        .await
        .unwrap();
    assert_eq!(r.stdout, "true true true\nundefined undefined object 2\n0\n", "{r:?}");
}

#[tokio::test]
async fn webassembly_memory_cannot_grow_past_the_memory_limit() {
    let (rt, _v8) = support::runtime().await;
    let options = ExecOptions { memory_limit: Some(16), ..Default::default() };
    // One page-less module defining a memory with no maximum: (memory 1).
    let module = "new Uint8Array([0,97,115,109,1,0,0,0, 5,3,1,0,1, 7,7,1,3,109,101,109,2,0])";
    let code = format!(
        r#"
        const results = [];
        const m = new WebAssembly.Memory({{ initial: 1 }});
        try {{ m.grow(1000) }} catch (e) {{ results.push('js grow: ' + e.name) }}
        results.push('grow within: ' + m.grow(100));
        try {{ new WebAssembly.Memory({{ initial: 4096 }}) }} catch (e) {{ results.push('create: ' + e.name) }}
        new WebAssembly.Instance(new WebAssembly.Module({module}));
        results.push('module memory max ok');
        console.log(results.join('\n'));
        "#
    );
    let r = rt.exec_with(&code, options.clone()).await.unwrap();
    // The JS memory took the whole budget: the module's memory does not fit.
    assert_eq!(r.error_code, Some(ErrorCode::GuestException), "{r:?}");
    assert!(
        r.error_message
            .unwrap()
            .contains("would exceed the session's memory limit of 16777216 bytes")
    );

    // A module's own unbounded memory is clamped to the limit; growing past it fails inside
    // WebAssembly (grow returns -1) and through the JS API.
    let code = format!(
        r#"
        const instance = new WebAssembly.Instance(new WebAssembly.Module({module}));
        const mem = instance.exports.mem;
        let outcome;
        try {{ mem.grow(10000); outcome = 'grew' }} catch (e) {{ outcome = e.name }}
        console.log(outcome, mem.grow(200), mem.buffer.byteLength / 65536);
        "#
    );
    let r = rt.exec_with(&code, options).await.unwrap();
    assert_eq!(r.stdout, "RangeError 1 201\n", "{r:?}");
    assert_pristine(&rt).await;
}

#[tokio::test]
async fn the_original_webassembly_constructors_are_out_of_reach() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec(
            r#"
            const bytes = new Uint8Array([0,97,115,109,1,0,0,0]);
            const mod = new WebAssembly.Module(bytes);
            const inst = new WebAssembly.Instance(mod);
            const mem = new WebAssembly.Memory({ initial: 1 });
            console.log(
                Object.getPrototypeOf(mod).constructor === WebAssembly.Module,
                Object.getPrototypeOf(inst).constructor === WebAssembly.Instance,
                mem.constructor === WebAssembly.Memory,
                typeof WebAssembly.compileStreaming,
            );
            "#,
        )
        .await
        .unwrap();
    assert_eq!(r.stdout, "true true true undefined\n", "{r:?}");
}

#[tokio::test]
async fn atomics_wait_on_the_main_thread_is_refused() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec("Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000)")
        .await
        .unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::GuestException));
    let message = r.error_message.unwrap();
    assert!(message.contains("TypeError") && message.contains("Atomics.wait"), "{message}");
}

#[tokio::test]
async fn heavy_string_and_regex_work_stays_under_the_cpu_limit() {
    let (rt, _v8) = support::runtime().await;
    let cpu = ExecOptions { cpu_time_limit_ms: Some(100), ..Default::default() };
    for code in [
        // Catastrophic backtracking.
        "/^(a+)+$/.test('a'.repeat(40) + 'b')",
        // Quadratic string building.
        "let s = ''; for (let i = 0; ; i++) { s = s.slice(1) + String.fromCharCode(65 + i % 26) + s }",
        // Sorting a huge array over and over.
        "const a = Array.from({ length: 1e5 }, (_, i) => (i * 7919) % 1e5); while (true) a.slice().sort((x, y) => x - y)",
    ] {
        let r = rt.exec_with(code, cpu.clone()).await.unwrap();
        assert!(
            matches!(r.error_code, Some(ErrorCode::CpuTimeLimit | ErrorCode::MemoryLimit)),
            "{code}: {r:?}"
        );
    }
    let r = rt
        .exec_with(
            "const s = 'x'.repeat(2 ** 27).toUpperCase(); console.log(s.length)",
            ExecOptions { memory_limit: Some(64), ..Default::default() },
        )
        .await
        .unwrap();
    assert!(
        matches!(r.error_code, Some(ErrorCode::MemoryLimit | ErrorCode::GuestException)),
        "{r:?}"
    );
    assert_pristine(&rt).await;
}

mod host_mounts {
    use secure_exec_host::{HostDir, NodeRuntime, NodeRuntimeOptions, SystemDriver};

    use crate::oracle::TempDir;
    use crate::support;

    /// A project with links that point out of it, next to a secret it must never read.
    fn project() -> (TempDir, TempDir) {
        let outside = TempDir::new("outside").with_files(&[("secret.txt", "SECRET")]);
        let dir = TempDir::new("mount").with_files(&[
            ("inside.txt", "fine"),
            ("addon/index.js", "module.exports = require('./native.node')"),
            ("addon/native.node", "\x7fELF not really"),
            ("node_modules/bin-pkg/package.json", r#"{"main": "build/Release/x.node"}"#),
            ("node_modules/bin-pkg/build/Release/x.node", "\x7fELF"),
        ]);
        let secret = outside.path().join("secret.txt");
        std::os::unix::fs::symlink(&secret, dir.path().join("abs-link")).unwrap();
        std::os::unix::fs::symlink(
            "../../../../../../../../etc/passwd",
            dir.path().join("rel-link"),
        )
        .unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("dir-link")).unwrap();
        std::os::unix::fs::symlink("inside.txt", dir.path().join("ok-link")).unwrap();
        (dir, outside)
    }

    fn runtime(v8: &secure_exec_host::V8Runtime, dir: &TempDir, writable: bool) -> NodeRuntime {
        let mount =
            if writable { HostDir::read_write(dir.path()) } else { HostDir::read_only(dir.path()) };
        NodeRuntime::new(NodeRuntimeOptions {
            v8_runtime: Some(v8.clone()),
            system: SystemDriver::default().mount("/app", mount).with_cwd("/app"),
            ..Default::default()
        })
    }

    #[tokio::test]
    async fn links_and_dot_dot_never_leave_a_host_mount() {
        let v8 = support::spawn().await;
        let (dir, outside) = project();
        let rt = runtime(&v8, &dir, true);
        let r = rt
            .exec_with(
                r#"
                const fs = require('fs');
                const tryIt = (what, f) => { try { const v = f(); console.log(what, 'GOT', String(v).slice(0, 40)); } catch (e) { console.log(what, e.code); } };
                tryIt('abs link', () => fs.readFileSync('abs-link', 'utf8'));
                tryIt('rel link', () => fs.readFileSync('rel-link', 'utf8'));
                tryIt('dir link', () => fs.readFileSync('dir-link/secret.txt', 'utf8'));
                tryIt('dir link list', () => fs.readdirSync('dir-link'));
                tryIt('write through link', () => fs.writeFileSync('dir-link/planted.txt', 'x'));
                tryIt('realpath abs', () => fs.realpathSync('abs-link'));
                tryIt('dot dot', () => fs.readFileSync('../../../../../../etc/passwd', 'utf8'));
                tryIt('dot dot abs', () => fs.readFileSync('/app/../../../etc/passwd', 'utf8'));
                tryIt('dot dot list', () => fs.readdirSync('/app/../..'));
                tryIt('dot dot write', () => fs.writeFileSync('/app/../../../etc/planted', 'x'));
                tryIt('require dot dot', () => require('../../../etc/passwd'));
                tryIt('require abs', () => require('/etc/passwd'));
                tryIt('ok link', () => fs.readFileSync('ok-link', 'utf8'));
                tryIt('lstat link', () => fs.lstatSync('abs-link').isSymbolicLink());
                tryIt('readlink', () => fs.readlinkSync('ok-link'));
                "#,
                secure_exec_host::ExecOptions {
                    filename: Some("/app/main.js".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(r.error_code, None, "{:?}", r.error_message);
        assert_eq!(
            r.stdout,
            "abs link EACCES\nrel link EACCES\ndir link EACCES\ndir link list EACCES\n\
             write through link EACCES\nrealpath abs EACCES\ndot dot ENOENT\ndot dot abs ENOENT\n\
             dot dot list GOT app,tmp\ndot dot write ENOENT\nrequire dot dot MODULE_NOT_FOUND\n\
             require abs MODULE_NOT_FOUND\nok link GOT fine\nlstat link GOT true\nreadlink GOT inside.txt\n"
        );
        assert!(!outside.path().join("planted.txt").exists());
        assert!(!std::path::Path::new("/etc/planted").exists());
    }

    /// A guest may make links in a writable host mount, but only links that stay inside it:
    /// the embedder's own programs would follow one that leads out.
    #[tokio::test]
    async fn links_a_guest_makes_in_a_host_mount_stay_inside_it() {
        let v8 = support::spawn().await;
        let (dir, _outside) = project();
        let rt = runtime(&v8, &dir, true);
        let r = rt
            .exec(
                r#"
                const fs = require('fs');
                fs.mkdirSync('/app/sub');
                for (const [target, link] of [['/etc/passwd', 'abs'], ['../../etc/passwd', 'up'],
                  ['../../x', 'sub/up2'], ['sub/../../x', 'mixed'], ['../inside.txt', 'sub/ok'], ['inside.txt', 'ok2']]) {
                  try { fs.symlinkSync(target, '/app/' + link); console.log(link, fs.readFileSync('/app/' + link, 'utf8')); }
                  catch (e) { console.log(link, e.code); }
                }
                "#,
            )
            .await
            .unwrap();
        assert_eq!(r.error_code, None, "{:?}", r.error_message);
        assert_eq!(
            r.stdout,
            "abs EPERM
up EPERM
sub/up2 EPERM
mixed EPERM
sub/ok fine
ok2 fine
"
        );
        for refused in ["abs", "up", "sub/up2", "mixed"] {
            assert!(std::fs::symlink_metadata(dir.path().join(refused)).is_err(), "{refused}");
        }
        let made = std::fs::read_link(dir.path().join("sub/ok")).unwrap();
        assert_eq!(made, std::path::Path::new("../inside.txt"));
    }

    #[tokio::test]
    async fn native_addons_are_refused() {
        let v8 = support::spawn().await;
        let (dir, _outside) = project();
        let rt = runtime(&v8, &dir, false);
        for code in ["require('./addon')", "require('./addon/native.node')", "require('bin-pkg')"] {
            let r = rt
                .exec_with(
                    &format!("try {{ {code} }} catch (e) {{ console.log(e.code) }}"),
                    secure_exec_host::ExecOptions {
                        filename: Some("/app/main.js".into()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            assert_eq!(r.stdout, "ERR_NOT_SUPPORTED\n", "{code}: {:?}", r.error_message);
        }
    }
}
