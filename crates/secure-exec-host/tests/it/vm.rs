//! `vm`: contexts whose global is the guest's object, scripts, functions, timeouts and error
//! decoration, checked against Node; and that a context reaches nothing new and stays under
//! the session's limits.

use secure_exec_host::{ErrorCode, ExecOptions};

use crate::{oracle, support};

#[tokio::test]
async fn vm_contexts_scripts_and_functions_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", VM)], "main.js").await;
}

/// A script's timeout never outlives the session's own limits, and one that fires just as its
/// script ends does not end the next.
#[tokio::test]
async fn a_script_timeout_yields_to_the_session_limits() {
    let (rt, v8) = support::runtime().await;
    let pid = v8.pid();
    let endless = "require('vm').runInNewContext('while (true) {}', {}, { timeout: 60000 })";
    let cpu = ExecOptions { cpu_time_limit_ms: Some(200), ..Default::default() };
    let r = rt.exec_with(endless, cpu).await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::CpuTimeLimit), "{r:?}");
    let wall = ExecOptions { timeout_ms: Some(300), ..Default::default() };
    let r = rt.exec_with(endless, wall).await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::Timeout), "{r:?}");
    // Scripts of every length under a 1 ms timeout: some finish, some time out, and the
    // session goes on after each.
    let racing = "const vm = require('vm'); let done = 0, timedOut = 0;
        for (let i = 0; i < 3000; i++) {
          try { vm.runInThisContext('for (let j = 0; j < ' + (i % 50) * 1000 + '; j++);', { timeout: 1 }); done++; }
          catch (e) { if (e.code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw e; timedOut++; }
        }
        console.log(done + timedOut, timedOut > 0)";
    let r = rt.exec(racing).await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "3000 true\n"), "{r:?}");
    assert_eq!(v8.pid(), pid);
}

/// Contexts are the session's memory; code caches the guest makes are never consumed; a
/// context's global has V8's built-ins only; hostile nesting is a RangeError.
#[tokio::test]
async fn vm_contexts_stay_inside_the_session() {
    let (rt, v8) = support::runtime().await;
    let pid = v8.pid();
    let many =
        "const vm = require('vm'); const keep = []; while (true) keep.push(vm.createContext({}))";
    let memory = ExecOptions { memory_limit: Some(32), ..Default::default() };
    let r = rt.exec_with(many, memory).await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit), "{r:?}");
    let code = "const vm = require('vm');
        const made = new vm.Script('6 * 7', { produceCachedData: true }).cachedData;
        const given = new vm.Script('6 * 7', { cachedData: made });
        const forged = new vm.Script('6 * 7', { cachedData: Buffer.alloc(made.length, 0xff) });
        console.log(made.length > 0, given.cachedDataRejected, given.runInThisContext(), forged.runInNewContext({}));
        console.log(vm.runInNewContext('[typeof require, typeof process, typeof setTimeout, typeof Buffer].join()'));
        try { vm.runInNewContext('('.repeat(100000) + ')'.repeat(100000)); } catch (e) { console.log(e.name); }";
    let r = rt.exec(code).await.unwrap();
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "true true 42 42\nundefined,undefined,undefined,undefined\nRangeError\n"),
        "{r:?}"
    );
    assert_eq!(v8.pid(), pid);
}

/// Hostile uses of `vm` (throwing and revoked proxies as the context, recursion, a frozen or
/// prototype-less global, contexts by the thousand, arguments V8 refuses without an exception
/// where Node's process crashes) end as exceptions; the worker goes on.
#[tokio::test]
async fn hostile_vm_use_is_an_exception_and_the_worker_serves_on() {
    let (rt, v8) = support::runtime().await;
    let pid = v8.pid();
    let options = ExecOptions { memory_limit: Some(256), ..Default::default() };
    let r = rt.exec_with(HOSTILE, options).await.unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    for line in [
        "recursive RangeError at true",
        "indexKeys zero,one",
        "compileFunctionBadParams TypeError",
        "compileFunctionExtensionsProxy vm.compileFunction() cannot compile with these params or contextExtensions",
        "manyContexts 2000",
        "alive",
    ] {
        assert!(r.stdout.lines().any(|l| l == line), "{line:?} missing from:\n{}", r.stdout);
    }
    assert_eq!(v8.pid(), pid);
    let r = rt.exec("console.log(require('vm').runInNewContext('6 * 7'))").await.unwrap();
    assert_eq!(r.stdout, "42\n");
    // Accessors the guest puts on Array.prototype do not reach a context's own bookkeeping.
    let tampered = "for (const i of ['0', '1']) Object.defineProperty(Array.prototype, i, \
        { get() { return {}; }, set() {}, configurable: true }); \
        const vm = require('vm'); process.stdout.write(String(vm.runInContext('a + 1', vm.createContext({ a: 5 }))));";
    let r = rt.exec(tampered).await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "6"), "{r:?}");
}

const HOSTILE: &str = r#"const vm = require('vm');
const tries = {
  proxySandbox: () => { const p = new Proxy({}, { get() { throw new Error('get trap'); }, has() { throw new Error('has'); }, set() { throw new Error('set'); }, defineProperty() { throw new Error('def'); }, deleteProperty() { throw new Error('del'); }, ownKeys() { throw new Error('keys'); }, getOwnPropertyDescriptor() { throw new Error('gopd'); } }); const c = vm.createContext(p); return [vm.runInContext('typeof Array', c), vm.runInContext('try { x = 1 } catch (e) { e.message }', c), vm.runInContext('try { Object.keys(globalThis) } catch (e) { e.message }', c)].join('|'); },
  revoked: () => { const { proxy, revoke } = Proxy.revocable({}, {}); const c = vm.createContext(proxy); revoke(); return vm.runInContext('try { y = 2; typeof y } catch (e) { e.message }', c); },
  mainGlobal: () => { const c = vm.createContext(globalThis); return vm.runInContext('typeof require + " " + typeof process', c); },
  recursive: () => { let depth = 0; const make = () => { depth++; return vm.runInNewContext('f()', { f: make }); }; try { make(); } catch (e) { return e.name + ' at ' + (depth > 100); } },
  getterCreatesContexts: () => { const o = {}; Object.defineProperty(o, 'g', { get() { return vm.runInNewContext('40 + 2'); } }); return vm.runInContext('g', vm.createContext(o)); },
  setProto: () => { const c = vm.createContext({}); return vm.runInContext('Object.setPrototypeOf(globalThis, null); typeof Object', c); },
  frozenGlobal: () => { const c = vm.createContext({}); return vm.runInContext('Object.freeze(globalThis); try { z = 1 } catch (e) {} typeof z', c); },
  deleteBuiltins: () => { const c = vm.createContext({}); return vm.runInContext('delete globalThis.Array; delete globalThis.Object; typeof Array', c); },
  symbolKeys: () => { const s = Symbol('s'); const c = vm.createContext({ [s]: 1 }); return vm.runInContext('globalThis[Symbol.for("x")] = 2; Object.getOwnPropertySymbols(globalThis).length', c); },
  indexKeys: () => { const c = vm.createContext({ 0: 'zero' }); return vm.runInContext('globalThis[1] = "one"; [globalThis[0], globalThis[1]].join()', c); },
  accessorDefine: () => { const c = vm.createContext({}); vm.runInContext('Object.defineProperty(globalThis, "acc", { get() { return 5 }, configurable: true })', c); return typeof Object.getOwnPropertyDescriptor(c, 'acc').get; },
  contextOfContext: () => { const c = vm.createContext({}); const inner = vm.runInContext('this', c); try { return vm.runInContext('1', inner); } catch (e) { return e.code; } },
  hugeTimeout: () => vm.runInNewContext('1', {}, { timeout: 4294967295 }),
  timeoutInPromise: async () => { try { await vm.runInNewContext('new Promise(r => r(1))', {}, { timeout: 5 }); return 'ok'; } catch (e) { return e.code; } },
  compileFunctionBadParams: () => { try { vm.compileFunction('return 1', ['a b']); } catch (e) { return e.name; } },
  compileFunctionExtensionsProxy: () => { const p = new Proxy({}, { has() { throw new Error('has trap'); } }); try { return vm.compileFunction('return q', [], { contextExtensions: [p] })(); } catch (e) { return e.message; } },
  scriptInOtherContextThrowsObject: () => { try { vm.runInNewContext('throw { a: 1 }'); } catch (e) { return JSON.stringify(e); } },
  errorWithThrowingStack: () => { try { vm.runInNewContext('const e = new Error("x"); Object.defineProperty(e, "stack", { get() { throw new Error("stack getter") } }); throw e'); } catch (e) { return e.message; } },
  longLine: () => { try { vm.runInNewContext('x'.repeat(200000) + '.y'); } catch (e) { return e.name + ' ' + e.stack.length; } },
  manyContexts: () => { let n = 0; for (let i = 0; i < 2000; i++) { vm.createContext({ i }); n++; } return n; },
  wasmOff: () => { try { vm.createContext({}, { codeGeneration: { wasm: false } }); } catch (e) { return e.code; } },
};
(async () => {
  for (const [name, f] of Object.entries(tries)) {
    try { console.log(name, await f()); } catch (e) { console.log(name, 'threw', e && e.name, e && e.message); }
  }
  console.log('alive');
})();
"#;

const VM: &str = r#"const vm = require('vm');
const show = (name, f) => {
  try {
    const v = f();
    console.log(name, typeof v === 'function' ? 'function ' + v.name : v);
  } catch (e) {
    console.log(name, 'threw', e instanceof Error ? e.name : typeof e, e.code, e.message);
  }
};
// Contexts: the sandbox is the global, declarations land on it.
const ctx = { a: 2, list: [1, 2] };
show('runInNewContext', () => vm.runInNewContext('a + 1', { a: 2 }));
show('createContext same', () => vm.createContext(ctx) === ctx);
show('isContext', () => [vm.isContext(ctx), vm.isContext({})].join());
show('declarations', () => { vm.runInContext('var x = 5; y = 6; function f() { return 7 } this.z = 8; globalThis.w = 9', ctx); return JSON.stringify(ctx) + ' ' + typeof ctx.f; });
show('reads', () => vm.runInContext('[typeof a, typeof Array, typeof require, typeof process, typeof console, a * x].join()', ctx));
show('this', () => vm.runInContext('this', ctx) === ctx);
// Sorted: this V8 lists the global's own keys before the object's, Node 20's after.
show('globalThis keys', () => vm.runInContext('Object.keys(globalThis).sort().join()', ctx));
show('own builtins', () => vm.runInContext('list instanceof Array', ctx));
show('new array', () => vm.runInContext('[1] instanceof Array', ctx) + ' ' + (vm.runInContext('[1]', ctx) instanceof Array));
show('delete', () => { vm.runInContext('delete y', ctx); return 'y' in ctx; });
show('define', () => { vm.runInContext('Object.defineProperty(globalThis, "d", { value: 1, enumerable: true })', ctx); return ctx.d; });
show('getter', () => { const o = { get g() { return 'got'; } }; vm.createContext(o); return vm.runInContext('g', o); });
show('sandbox change', () => { ctx.a = 40; return vm.runInContext('a', ctx); });
show('strict undeclared', () => vm.runInContext('"use strict"; undeclared = 1', vm.createContext({})));
show('ReferenceError', () => vm.runInNewContext('nope'));
show('ReferenceError class', () => { try { vm.runInNewContext('nope'); } catch (e) { return (e instanceof ReferenceError) + ' ' + e.constructor.name; } });
show('SyntaxError', () => new vm.Script('let let = 1', { filename: 'bad.js' }));
show('thrown value', () => vm.runInNewContext('throw 42'));
show('Script', () => { const s = new vm.Script('n = (typeof n === "number" ? n : 0) + 1'); const c = vm.createContext({}); s.runInContext(c); s.runInContext(c); return c.n + ' ' + s.runInNewContext({ n: 10 }); });
show('Script keys', () => Object.keys(new vm.Script('1')).join());
show('runInThisContext', () => vm.runInThisContext('typeof require + " " + typeof globalThis.process'));
show('runInThisContext var', () => { vm.runInThisContext('var leaked = 3'); return globalThis.leaked; });
show('compileFunction', () => vm.compileFunction('return a + b + c', ['a', 'b'], { contextExtensions: [{ c: 100 }] })(1, 2));
show('compileFunction name', () => vm.compileFunction('return 1').name);
show('compileFunction ctx', () => vm.compileFunction('return typeof require + q', [], { parsingContext: vm.createContext({ q: 'Q' }) })());
show('compileFunction syntax', () => vm.compileFunction('return )'));
show('bad context', () => vm.runInContext('1', {}));
show('bad code options', () => vm.runInNewContext('1', {}, { filename: 5 }));
show('bad timeout', () => vm.runInNewContext('1', {}, { timeout: -1 }));
show('timeout', () => vm.runInNewContext('while (true) {}', {}, { timeout: 50 }));
show('after timeout', () => vm.runInNewContext('1 + 1', {}, { timeout: 50 }));
show('timeout not hit', () => vm.runInNewContext('let s = 0; for (let i = 0; i < 1000; i++) s += i; s', {}, { timeout: 1000 }));
show('timeout caught inside', () => vm.runInNewContext('try { while (true) {} } catch (e) { "caught" }', {}, { timeout: 30 }));
show('nested timeout', () => vm.runInNewContext('inner()', { inner: () => { try { return vm.runInNewContext('while (true) {}', {}, { timeout: 20 }); } catch (e) { return e.code; } } }, { timeout: 2000 }));
show('strings off', () => vm.runInNewContext('eval("1 + 1")', {}, { contextCodeGeneration: { strings: false } }));
show('strings off Function', () => vm.runInNewContext('new Function("return 1")()', {}, { contextCodeGeneration: { strings: false } }));
show('strings on', () => vm.runInNewContext('eval("1 + 1")', {}, { contextCodeGeneration: { strings: true } }));
show('cachedData', () => { const s = new vm.Script('1 + 1', { produceCachedData: true }); return s.cachedDataProduced + ' ' + Buffer.isBuffer(s.cachedData) + ' ' + Buffer.isBuffer(s.createCachedData()); });
show('microtasks', () => { const c = vm.createContext({ out: [] }); vm.runInContext('Promise.resolve().then(() => out.push("later")); out.push("now")', c); return c.out.join(); });
show('promise from context', () => typeof vm.runInNewContext('Promise.resolve(1)').then);
show('symbols', () => { const s = Symbol('k'); const c = vm.createContext({ [s]: 1 }); return vm.runInContext('Object.getOwnPropertySymbols(globalThis).length', c); });
show('frozen sandbox', () => { const c = vm.createContext(Object.freeze({ k: 1 })); return vm.runInContext('k = 2; k', c); });
show('proto chain', () => { const c = vm.createContext(Object.create({ inherited: 'yes' })); return vm.runInContext('inherited', c); });
show('eval in ctx', () => vm.runInNewContext('eval("var e = 1"); e', {}));
show('JSON', () => vm.runInNewContext('JSON.stringify({a: [1, {b: 2}]})'));
show('exports', () => Object.keys(vm).filter((k) => !['SourceTextModule', 'SyntheticModule', 'Module', 'measureMemory', 'constants'].includes(k)).sort().join());
// Errors from vm scripts: stacks decorated with the source line and carets (displayErrors).
for (const [code, opts] of [['\n\nthrow new Error("boom")', { filename: 'my.js' }], ['  foo.bar()', {}], ['let x = ;', {}], ['\tnull.x', {filename: 't.js', lineOffset: 3}]]) {
  try { vm.runInNewContext(code, {}, opts); } catch (e) { console.log(JSON.stringify(e.stack.split('\n').slice(0, 5))); }
}
try { vm.runInNewContext('throw new Error("quiet")', {}, { displayErrors: false }); } catch (e) { console.log(JSON.stringify(e.stack.split('\n').slice(0, 2))); }
try { vm.compileFunction('return )', [], { filename: 'cf.js' }); } catch (e) { console.log(JSON.stringify(e.stack.split('\n').slice(0, 5))); }
try { vm.runInNewContext('f()', { f() { vm.runInNewContext('throw new TypeError("inner")', {}, { filename: 'in.js' }); } }, { filename: 'out.js' }); } catch (e) { console.log(JSON.stringify(e.stack.split('\n').slice(0, 6))); }
try { vm.runInNewContext('throw new Error("x")', {}, { filename: 'o.js', lineOffset: 10 }); } catch (e) { console.log(e.stack.split('\n')[5]); }
try { vm.runInThisContext('throw new Error("s")', 'named.js'); } catch (e) { console.log(e.stack.split('\n')[0]); }
(async () => {
  try { await vm.runInNewContext('import("fs")'); console.log('import ok'); } catch (e) { console.log('import', e.name, e.code, e.message); }
  try { const ns = await vm.runInThisContext('import("path")', { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER }); console.log('import main', typeof ns.join); } catch (e) { console.log('import main', e.code, e.message); }
  console.log('async result', await vm.runInNewContext('(async () => 5)()'));
})();
"#;
