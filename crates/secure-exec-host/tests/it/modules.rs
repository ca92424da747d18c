//! Module loading checked against Node: the same project through `node` and through the guest.

use crate::oracle;
use crate::support;

const CJS_PROJECT: &[(&str, &str)] = &[
    (
        "main.js",
        r#"
const path = require('path');
const log = (...a) => console.log(...a);
const code = (f) => { try { return JSON.stringify(f()); } catch (e) { return e.code + ' ' + e.message.split('\n')[0]; } };
log(require('./lib/math').add(2, 3), require('./lib/math.js') === require('./lib/math'));
log(require('./lib').name, require('./lib/index').name);
log(require('./data.json').items.length, require('./data').items[0]);
log(require('pkg-main').who, require('pkg-exports').kind, require('pkg-exports/feature').feature);
log(code(() => require('pkg-exports/hidden')));
log(require('pkg-dir-index').dir, require('nested-user').viaNested);
log(require('#internal').internal);
log(code(() => require('#missing')));
log(code(() => require('./nope')), code(() => require('no-such-package')));
log(code(() => require('node:nope')), code(() => require('')), code(() => require(42)));
log(path.relative(__dirname, require.resolve('./lib/math')), path.relative(__dirname, require.resolve('pkg-main')));
log(require.resolve('fs'), require.resolve('node:path'));
log(path.basename(__filename), __dirname === path.dirname(__filename), require.main === module);
log(module.id, typeof module.paths[0], module.children.length > 0);
const a = require('./cycle/a');
log(a.done, a.sawB, require('./cycle/b').sawPartialA);
log(require('./lib/this').same, require('./lib/exports-alias').value);
const { createRequire, builtinModules, isBuiltin } = require('module');
const req = createRequire(path.join(__dirname, 'lib', 'x.js'));
log(req('./math').add(1, 1), isBuiltin('fs'), isBuiltin('node:fs'), isBuiltin('nope'), builtinModules.includes('path'));
log(Object.keys(require.cache).map((k) => path.relative(__dirname, k)).sort().slice(0, 3));
log(require('fs') === require('node:fs'), require('path').sep, typeof require('util').promisify);
log(code(() => require('./bad-json.json')).split(':')[0]);
log(code(() => require('./throws')), code(() => require('./throws')));
log(require('./shebang').ok);
"#,
    ),
    ("lib/math.js", "exports.add = (a, b) => a + b;"),
    ("lib/index.js", "module.exports = { name: 'lib-index' };"),
    ("lib/this.js", "exports.same = this === module.exports;"),
    ("lib/exports-alias.js", "exports = { value: 'lost' }; module.exports.value = 'kept';"),
    ("data.json", "{ \"items\": [\"first\", 2] }"),
    ("bad-json.json", "{ nope"),
    ("throws.js", "throw new Error('module threw');"),
    ("shebang.js", "#!/usr/bin/env node\nexports.ok = 'shebang ok';"),
    (
        "cycle/a.js",
        "exports.done = false; const b = require('./b'); exports.sawB = b.done; exports.done = true;",
    ),
    ("cycle/b.js", "const a = require('./a'); exports.sawPartialA = a.done; exports.done = true;"),
    ("package.json", r##"{ "name": "app", "imports": { "#internal": "./internal.js" } }"##),
    ("internal.js", "exports.internal = 'from #internal';"),
    ("node_modules/pkg-main/package.json", r#"{ "name": "pkg-main", "main": "./src/entry.js" }"#),
    ("node_modules/pkg-main/src/entry.js", "exports.who = 'pkg-main entry';"),
    (
        "node_modules/pkg-exports/package.json",
        r#"{ "name": "pkg-exports", "exports": { ".": { "import": "./esm.mjs", "require": "./cjs.js" }, "./feature": "./feature.js" } }"#,
    ),
    ("node_modules/pkg-exports/cjs.js", "exports.kind = 'cjs via exports';"),
    ("node_modules/pkg-exports/esm.mjs", "export const kind = 'esm';"),
    ("node_modules/pkg-exports/feature.js", "exports.feature = 'feature';"),
    ("node_modules/pkg-exports/hidden.js", "exports.hidden = true;"),
    ("node_modules/pkg-dir-index/index.js", "exports.dir = 'dir index';"),
    ("node_modules/nested-user/package.json", r#"{ "name": "nested-user" }"#),
    ("node_modules/nested-user/index.js", "exports.viaNested = require('dep').v;"),
    ("node_modules/nested-user/node_modules/dep/index.js", "exports.v = 'nested dep';"),
];

#[tokio::test]
async fn commonjs_resolution_and_loading_match_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, CJS_PROJECT, "main.js").await;
}

/// The entry module and a required one have Node's shape: own keys, paths, parent (an
/// inherited accessor), `require` from the prototype, and `require('module')` the Module class.
#[tokio::test]
async fn module_objects_have_nodes_shape() {
    let main = r#"
const before = [Object.keys(module), module.path === __dirname, module.paths[0] === __dirname + '/node_modules',
  module.paths.at(-1), Object.hasOwn(module, 'require'), typeof module.require, module.id, module.loaded];
const dep = require('./dep');
const m = require.cache[require.resolve('./dep')];
const Module = require('module');
console.log(JSON.stringify(before));
console.log(JSON.stringify([Object.keys(m), m.parent === module, m.id === m.filename, m.path === __dirname,
  Object.hasOwn(m, 'parent'), module.children.length, module.children[0] === m, dep.x]));
console.log(Module === Module.Module, typeof Module.prototype.require, module instanceof Module,
  m instanceof Module, module.constructor.name, typeof Module._cache, Module.builtinModules.includes('fs'));
console.log(require('util').inspect(process).split('\n')[0], process.constructor.name);
"#;
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", main), ("dep.js", "exports.x = 1;")], "main.js").await;
}

#[tokio::test]
async fn builtin_modules_behave_as_in_node() {
    let script = r#"
const log = (...a) => console.log(...a);
log(typeof module.require);
const path = require('node:path');
log(path.join('/a/b', '../c', './d'), path.resolve('/x', 'y', '..', 'z'), path.extname('a.tar.gz'), path.parse('/home/u/f.txt').name);
log(path.normalize('a//b/../c/.'), path.isAbsolute('x'), path.relative('/a/b/c', '/a/d'), path.posix === path, path.format({ dir: '/d', base: 'f' }));
const util = require('util');
log(util.format('%s:%d:%i:%j', 'a', 1.5, 2.9, { k: 1 }), util.inspect({ a: [1, { b: 2 }] }), util.isDeepStrictEqual({ a: 1 }, { a: 1 }));
log(util.types.isPromise(Promise.resolve()), util.types.isRegExp(/x/), util.types.isUint8Array(new Uint8Array()));
log(Object.keys(util).includes('TextDecoder'), util.TextEncoder === TextEncoder, new util.TextDecoder().decode(new Uint8Array([104, 105])));
util.promisify((x, cb) => cb(null, x * 2))(21).then((v) => log('promisified', v));
const EventEmitter = require('events');
const e = new EventEmitter();
e.once('x', (v) => log('once', v)); e.on('x', (v) => log('on', v)); e.emit('x', 1); e.emit('x', 2);
log(e.listenerCount('x'), EventEmitter.defaultMaxListeners, typeof EventEmitter.once);
const { Buffer } = require('buffer');
const b = Buffer.from('héllo wörld');
log(b.length, b.toString('base64'), b.toString('hex').slice(0, 8), Buffer.concat([b, Buffer.from('!')]).toString(), b.slice(1, 3));
log(Buffer.byteLength('€'), Buffer.isBuffer(b), b.readUInt16BE(0), Buffer.alloc(3, 'ab'), Buffer.compare(Buffer.from('a'), Buffer.from('b')));
log(JSON.stringify(Buffer.from([1, 2])), b.equals(Buffer.from('héllo wörld')), Buffer.from('aGk=', 'base64').toString());
const assert = require('assert');
try { assert.strictEqual(1, 2); } catch (err) { log(err.code, err.name); }
try { assert.deepStrictEqual({ a: 1 }, { a: 1 }); log('deep equal'); } catch (err) { log('unexpected'); }
try { require('assert/strict').equal(1, '1'); } catch (err) { log(err.code); }
assert.throws(() => { throw new TypeError('x'); }, TypeError);
const qs = require('querystring');
log(qs.stringify({ a: [1, 2], b: 'x y' }), JSON.stringify(qs.parse('a=1&a=2&b=%20')));
const { StringDecoder } = require('string_decoder');
const d = new StringDecoder('utf8');
log(d.write(Buffer.from([0xE2, 0x82])) + '|' + d.write(Buffer.from([0xAC])) + '|' + d.end());
const url = require('url');
log(url.parse('http://u@h:8/p?q=1#f').pathname, url.fileURLToPath('file:///a/b%20c'), url.pathToFileURL('/x y').href, new url.URL('http://h/p').host);
const { Readable, Transform, pipeline, Writable } = require('stream');
const chunks = [];
pipeline(
  Readable.from(['a', 'b', 'c']),
  new Transform({ transform(chunk, enc, cb) { cb(null, String(chunk).toUpperCase()); } }),
  new Writable({ write(chunk, enc, cb) { chunks.push(String(chunk)); cb(); } }),
  (err) => log('pipeline', err, chunks.join('')),
);
const os = require('os');
log(os.EOL === '\n', os.platform(), typeof os.tmpdir(), require('tty').isatty(1));
const crypto = require('crypto');
log(crypto.createHash('sha1').update('abc').digest('hex'), crypto.createHash('md5').update('a').update('bc').digest('base64'));
log(crypto.createHmac('sha512', 'k').update('data').digest('hex').slice(0, 32), crypto.createHmac('sha256', 'x'.repeat(100)).update('d').digest('hex').slice(0, 16));
log(crypto.randomBytes(8).length, typeof crypto.randomUUID(), crypto.timingSafeEqual(Buffer.from('ab'), Buffer.from('ab')), crypto.getHashes().includes('sha256'));
const r = crypto.randomInt(10); log(r >= 0 && r < 10);
require('timers/promises').setTimeout(5, 'later').then((v) => log('timers/promises', v));
log(typeof require('timers').setTimeout, typeof require('perf_hooks').performance.now());
log(require('process') === process, typeof process.cwd(), typeof Buffer, Buffer === require('buffer').Buffer);
const util2 = require('util');
function Old() {} util2.inherits(Old, require('events'));
log(typeof new Old().on, typeof util2.deprecate(() => 1, 'x'), typeof util2.callbackify, typeof util2.TextEncoder, util2.types.isAsyncFunction(async () => {}));
log(util2.inspect('str'), util2.inspect([1, [2, [3, [4]]]], { depth: 0 }), util2.inspect(new Map([[1, { a: 1 }]])), util2.inspect(Symbol('s')));
log(util2.format('%s %O %%', 'a', { b: 1 }), util2.format('no args'), util2.format(1, 2, 'x'));
const { once: onceOf, EventEmitter: Emitter } = require('events');
const ee = new Emitter();
onceOf(ee, 'go').then(([v]) => log('once', v)); ee.emit('go', 9);
require('assert').rejects(Promise.reject(new Error('r'))).then(() => log('rejects ok'));
const { Duplex, PassThrough } = require('stream');
log(typeof Duplex, typeof PassThrough, typeof require('stream').Readable.from, typeof require('stream').promises.pipeline, typeof require('stream').finished);
log(require('path').delimiter, require('path').posix.sep);
log(Buffer.from('abc').toString('base64url'), Buffer.alloc(4).fill(1).readUInt32LE(0), Buffer.from([255]).readInt8(0), Buffer.from('ff', 'hex')[0]);
log(new Uint8Array(Buffer.from('hi')).length, Buffer.from('hi') instanceof Uint8Array, Buffer.poolSize, typeof Buffer.allocUnsafe);
const url2 = require('url');
log(url2.format({ protocol: 'http', host: 'a.com', pathname: '/x' }), url2.resolve('http://a/b/c', '../d'));
const qs2 = require('querystring'); log(qs2.escape('a b'), qs2.unescape('%20'));
log(typeof require('crypto').webcrypto.subtle.digest, typeof structuredClone, typeof queueMicrotask, typeof setImmediate);
log(require('os').EOL === '\\n', typeof require('os').cpus, require('util').isArray([]));
log(typeof util2.promisify(setTimeout)(0).then, util2.promisify.custom === Symbol.for('nodejs.util.promisify.custom'));
log(typeof global, global === globalThis, typeof globalThis.process, typeof require('timers').setInterval);
log(JSON.stringify(Object.keys(require('fs')).filter((k) => !k.startsWith('_')).length > 50));
log(process.platform, process.arch, typeof process.version, process.release.name, typeof process.hrtime.bigint(), process.hrtime().length);
log(Object.keys(process.memoryUsage()).sort().join(','), process.execArgv.length, typeof process.uptime(), process.listenerCount('nothing'), typeof process.cpuUsage().user);
process.once('custom', (v) => log('custom event', v)); log(process.emit('custom', 7), process.emit('custom', 8));
process.on('exit', (code) => { log('exit event', code); setTimeout(() => log('never'), 0); Promise.resolve().then(() => log('a promise job still runs')); });
"#;
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", script)], "main.js").await;
}

/// Import attributes are checked on every import of a module, as Node checks them, with
/// Node 22's codes (the version the guest reports; Node 20, on CI as the oracle, still names
/// them ERR_IMPORT_ASSERTION_*): a JSON module needs `type: 'json'` each time, a type
/// nobody knows is refused as such, and `type: 'json'` of anything else is incompatible.
#[tokio::test]
async fn import_attributes_are_checked_on_every_import() {
    let v8 = support::spawn().await;
    let dir = oracle::TempDir::new("attributes").with_files(&[
        ("data.json", r#"{ "k": [1, 2] }"#),
        ("plain.mjs", "export const x = 1;"),
        (
            "main.mjs",
            r#"
const show = async (label, f) => {
  try { const m = await f(); console.log(label, 'ok', JSON.stringify(m.default ?? m.x)); }
  catch (e) { console.log(label, e.name, e.code, e.message.replace(/file:\/\/\/.*\//, 'file:///DIR/')); }
};
await show('json', () => import('./data.json', { with: { type: 'json' } }));
await show('json again without a type', () => import('./data.json'));
await show('json again', () => import('./data.json', { with: { type: 'json' } }));
await show('css', () => import('./data.json', { with: { type: 'css' } }));
await show('module as json', () => import('./plain.mjs', { with: { type: 'json' } }));
await show('module', () => import('./plain.mjs'));
await show('module again as json', () => import('./plain.mjs', { with: { type: 'json' } }));
await show('builtin as json', () => import('node:path', { with: { type: 'json' } }));
"#,
        ),
    ]);
    let rt = oracle::runtime_in(&v8, dir.path());
    let options = secure_exec_host::ExecOptions {
        filename: Some(format!("{}/main.mjs", oracle::GUEST_DIR)),
        ..Default::default()
    };
    let code = std::fs::read_to_string(dir.path().join("main.mjs")).unwrap();
    let r = rt.exec_with(&code, options).await.unwrap();
    assert_eq!(r.error_code, None, "{r:?}");
    assert_eq!(
        r.stdout,
        "json ok {\"k\":[1,2]}\n\
         json again without a type TypeError ERR_IMPORT_ATTRIBUTE_MISSING Module \"file:///DIR/data.json\" needs an import attribute of \"type: json\"\n\
         json again ok {\"k\":[1,2]}\n\
         css TypeError ERR_IMPORT_ATTRIBUTE_UNSUPPORTED Import attribute \"type\" with value \"css\" is not supported\n\
         module as json TypeError ERR_IMPORT_ATTRIBUTE_TYPE_INCOMPATIBLE Module \"file:///DIR/plain.mjs\" is not of type \"json\"\n\
         module ok 1\n\
         module again as json TypeError ERR_IMPORT_ATTRIBUTE_TYPE_INCOMPATIBLE Module \"file:///DIR/plain.mjs\" is not of type \"json\"\n\
         builtin as json TypeError ERR_IMPORT_ATTRIBUTE_TYPE_INCOMPATIBLE Module \"node:path\" is not of type \"json\"\n",
        "{r:?}"
    );
    v8.dispose().await;
}

const ESM_PROJECT: &[(&str, &str)] = &[
    (
        "main.mjs",
        r#"
import { add, default as label } from './lib/math.mjs';
import { double } from './typed/double.js';
import cjs, { named, other } from './cjs/exports.cjs';
import reexported, { inner } from './cjs/reexport.js';
import data from './data.json' with { type: 'json' };
import { join } from 'path';
import EventEmitter, { once } from 'node:events';
import fsDefault, * as fsAll from 'fs';
import { kind } from 'pkg-exports';
import { a, b } from './cycle/a.mjs';
console.log(add(1, 2), label, double(4), named, other, Object.keys(cjs), inner, Object.keys(reexported));
console.log(data.items, join('x', 'y'), typeof EventEmitter, typeof once, fsDefault === fsAll.default, typeof fsAll.readFileSync, kind);
console.log(a, b);
console.log(import.meta.url.replace(/^file:\/\/.*\/app\//, 'file:///app/'), import.meta.filename.endsWith('main.mjs'), import.meta.dirname + '/main.mjs' === import.meta.filename);
console.log(import.meta.resolve('./lib/math.mjs').endsWith('/lib/math.mjs'), import.meta.resolve('node:fs'), import.meta.resolve('fs'));
const ns = await import('./cjs/exports.cjs');
console.log(Object.keys(ns).sort(), ns.default === cjs);
const again = await import('./lib/math.mjs');
console.log(again.add === add, Object.prototype.toString.call(again));
for (const spec of ['./missing.mjs', 'missing-package', './lib/math', 'node:nope']) {
  try { await import(spec); console.log('loaded', spec); } catch (e) { console.log(spec, e.code); }
}
try { await import('./bad-export.mjs'); } catch (e) { console.log(e.name, e.message); }
try { await import('./throws.mjs'); } catch (e) { console.log('threw', e.message); }
const { createRequire } = await import('module');
const require = createRequire(import.meta.url);
console.log(require('./cjs/exports.cjs').named);
try { require('./lib/math.mjs'); } catch (e) { console.log(e.code); }
console.log(await new Promise((resolve) => setTimeout(() => resolve('top-level await'), 5)));
console.log(typeof require, typeof module, typeof __filename, this);
"#,
    ),
    ("lib/math.mjs", "export const add = (a, b) => a + b; export default 'math';"),
    ("typed/package.json", r#"{ "type": "module" }"#),
    ("typed/double.js", "export function double(x) { return x * 2; }"),
    ("cjs/exports.cjs", "exports.named = 'N'; exports.other = 2;"),
    ("cjs/reexport.js", "module.exports = require('./inner.js');"),
    ("cjs/inner.js", "exports.inner = 'I'; exports.more = 1;"),
    ("data.json", r#"{ "items": [1, 2] }"#),
    ("bad-export.mjs", "import { nope } from './lib/math.mjs'; console.log(nope);"),
    ("throws.mjs", "throw new Error('module threw');"),
    ("cycle/a.mjs", "import { b } from './b.mjs'; export const a = 'a'; export { b };"),
    (
        "cycle/b.mjs",
        "import * as a from './a.mjs'; export const b = 'b'; export function seeA() { return a.a; }",
    ),
    (
        "node_modules/pkg-exports/package.json",
        r#"{ "name": "pkg-exports", "exports": { ".": { "import": "./esm.mjs", "require": "./cjs.js" } } }"#,
    ),
    ("node_modules/pkg-exports/cjs.js", "exports.kind = 'cjs';"),
    ("node_modules/pkg-exports/esm.mjs", "export const kind = 'esm via import condition';"),
];

#[tokio::test]
async fn es_modules_load_link_and_evaluate_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, ESM_PROJECT, "main.mjs").await;
}

#[tokio::test]
async fn a_js_entry_is_an_es_module_by_its_package_type_or_its_syntax() {
    use secure_exec_host::ExecOptions;
    let v8 = support::spawn().await;
    let dir = oracle::TempDir::new("esm-entry").with_files(&[
        ("typed/package.json", r#"{ "type": "module" }"#),
        ("typed/dep.js", "export const x = 'typed dep';"),
        ("plain/dep.mjs", "export const y = 'mjs dep';"),
    ]);
    let rt = oracle::runtime_in(&v8, dir.path());
    let run = |filename: &str, code: &str| {
        let options = ExecOptions { filename: Some(filename.into()), ..Default::default() };
        let (rt, code) = (rt.clone(), code.to_owned());
        async move { rt.exec_with(&code, options).await.unwrap() }
    };
    // "type": "module" makes a .js entry an ES module: `this` is undefined, no `require`.
    let r = run(
        "/app/typed/main.js",
        "import { x } from './dep.js'; console.log(x, this, typeof require)",
    )
    .await;
    assert_eq!(r.stdout, "typed dep undefined undefined\n", "{:?}", r.error_message);
    // Without a type, ES syntax in a .js entry makes it a module, as recent Node detects.
    let r = run("/app/plain/main.js", "import { y } from './dep.mjs'; console.log(y)").await;
    assert_eq!(r.stdout, "mjs dep\n", "{:?}", r.error_message);
    let r = run("/app/plain/tla.js", "const v = await Promise.resolve(7); console.log(v)").await;
    assert_eq!(r.stdout, "7\n", "{:?}", r.error_message);
    // CommonJS stays CommonJS.
    let r = run("/app/plain/cjs.js", "console.log(typeof require, typeof module)").await;
    assert_eq!(r.stdout, "function object\n", "{:?}", r.error_message);
    // An ES module's failure is the session's uncaught exception, with its own location.
    let r = run("/app/plain/boom.mjs", "throw new Error('esm boom')").await;
    assert_eq!(r.error_code, Some(secure_exec_host::ErrorCode::GuestException));
    let message = r.error_message.unwrap();
    assert!(message.starts_with("ERR_GUEST_EXCEPTION: Error: esm boom\n    at "), "{message}");
    assert!(message.contains("/app/plain/boom.mjs:1:7"), "{message}");
    // A top-level await that never settles ends the session with code 13, as in Node.
    let r = run("/app/plain/hang.mjs", "await new Promise(() => {})").await;
    assert_eq!((r.code, r.error_code), (13, None), "{r:?}");
    assert!(r.stderr.contains("Detected unsettled top-level await"), "{r:?}");
    // `run` of an ES module returns its namespace.
    let options = ExecOptions { filename: Some("/app/plain/ns.mjs".into()), ..Default::default() };
    let r = rt.run_with("export const a = 1; export default { b: 2 };", options).await.unwrap();
    assert_eq!(
        r.exports,
        Some(serde_json::json!({ "a": 1, "default": { "b": 2 } })),
        "{:?}",
        r.error_message
    );
}

/// `zlib` (pako) against Node's: data compressed by Node's own zlib decompresses the same,
/// every round trip holds, errors carry Node's codes, callbacks, promisify and streams work.
/// `util.types` makes V8's own checks, as Node's does: proxies, async generator functions and
/// look-alike errors and promises are told apart the same way.
#[tokio::test]
async fn util_types_tell_values_apart_as_in_node() {
    let script = r#"
const t = require('util').types;
const assert = require('assert');
const names = Object.keys(t).sort();
console.log(names.length, names.join(','), t.isProxy.name, t.isProxy.length);
const values = {
  proxy: new Proxy({}, {}), gen: function* () {}, agen: async function* () {}, afn: async () => {},
  map: new Map(), mapIter: new Map().keys(), setIter: new Set().values(), bigObj: Object(1n),
  date: new Date(), err: new TypeError('x'), fakeErr: Object.create(Error.prototype),
  u8: new Uint8Array(2), dv: new DataView(new ArrayBuffer(2)), sab: new SharedArrayBuffer(2),
  wm: new WeakMap(), args: (function () { return arguments; })(), prom: Promise.resolve(),
  fakeProm: { then() {} }, re: /x/, strObj: new String('s'), sym: Object(Symbol('s')), num: 1,
};
for (const n of names) {
  console.log(n, Object.entries(values).filter(([, v]) => t[n](v)).map(([k]) => k).join(' '));
}
import('node:path').then((ns) => console.log('namespace', t.isModuleNamespaceObject(ns)));
assert.deepStrictEqual(new Map([[1, { a: [1] }]]), new Map([[1, { a: [1] }]]));
try { assert.deepStrictEqual(new Date(0), new Date(1)); } catch (e) { console.log(e.code); }
try { assert.deepStrictEqual([/a/g], [/a/i]); } catch (e) { console.log(e.code); }
"#;
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", script)], "main.js").await;
}

#[tokio::test]
async fn zlib_behaves_as_in_node() {
    let made = std::process::Command::new("node")
        .args(["-e", "process.stdout.write(require('zlib').gzipSync('hello from node gzip '.repeat(20)).toString('base64'))"])
        .output()
        .expect("`node` is needed as the oracle for these tests (it is on CI)");
    let gzipped = String::from_utf8(made.stdout).unwrap();
    let script = format!(
        r#"
const zlib = require('zlib');
const text = 'hello world '.repeat(100);
const fromNode = Buffer.from('{gzipped}', 'base64');
console.log(zlib.gunzipSync(fromNode).toString().length, zlib.unzipSync(fromNode).toString().slice(0, 22));
for (const [c, d] of [['gzipSync', 'gunzipSync'], ['deflateSync', 'inflateSync'], ['deflateRawSync', 'inflateRawSync'], ['deflateSync', 'unzipSync'], ['gzipSync', 'unzipSync']]) {{
  console.log(c, d, zlib[d](zlib[c](text)).toString() === text, zlib[c](text).length < text.length);
}}
try {{ zlib.inflateSync(Buffer.from('not compressed')); }} catch (e) {{ console.log(e.code, e.errno, e.message); }}
console.log(typeof zlib.constants.Z_BEST_COMPRESSION, zlib.constants.Z_SYNC_FLUSH);
zlib.gzip(text, (err, buf) => zlib.gunzip(buf, (err2, back) => {{
  console.log('callbacks', err, err2, back.toString() === text);
  require('util').promisify(zlib.deflate)(text).then((b) => {{
    console.log('promisified', zlib.inflateSync(b).toString() === text);
    const {{ pipeline, Readable, Writable }} = require('stream');
    const out = [];
    pipeline(Readable.from([Buffer.from(text.slice(0, 500)), Buffer.from(text.slice(500))]), zlib.createGzip(), zlib.createGunzip(),
      new Writable({{ write(c, e, cb) {{ out.push(c); cb(); }} }}),
      (err) => console.log('streams', err, Buffer.concat(out).toString() === text));
  }});
}}));
"#
    );
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", &script)], "main.js").await;
}

/// Brotli, compared with Node: one-shot, callbacks, streams and pipelines, Node's parameters
/// and errors, and its exact bytes at the qualities where the two encoders agree (9 to 11).
#[tokio::test]
async fn brotli_behaves_as_in_node() {
    let script = r#"
const zlib = require('zlib');
const C = zlib.constants;
const { createHash } = require('crypto');
const digest = (b) => createHash('sha256').update(b).digest('hex').slice(0, 16);
const text = Array.from({ length: 20000 }, (_, i) => 'line ' + i + ' ' + (i * 7919 % 1000)).join('\n');
for (const q of [9, 10, 11]) {
  const c = zlib.brotliCompressSync(text, { params: { [C.BROTLI_PARAM_QUALITY]: q } });
  console.log(q, c.length, digest(c), zlib.brotliDecompressSync(c).toString() === text);
}
for (const q of [0, 1, 4, 5]) {
  const c = zlib.brotliCompressSync(text, { params: { [C.BROTLI_PARAM_QUALITY]: q, [C.BROTLI_PARAM_LGWIN]: 18 } });
  console.log(q, c.length < text.length / 2, zlib.brotliDecompressSync(c).toString() === text);
}
console.log(zlib.brotliCompressSync('hello world').toString('base64'), zlib.brotliCompressSync(Buffer.alloc(0)).toString('base64'));
console.log(zlib.brotliCompressSync('hello hello', { params: { [C.BROTLI_PARAM_MODE]: C.BROTLI_MODE_TEXT,
  [C.BROTLI_PARAM_SIZE_HINT]: 11 } }).toString('base64'));
for (const params of [{ 999: 1 }, { [C.BROTLI_PARAM_QUALITY]: 'x' }]) {
  try { zlib.brotliCompressSync('x', { params }); } catch (e) { console.log(e.name, e.code, e.message); }
}
try { zlib.brotliDecompressSync(zlib.brotliCompressSync('hello world').subarray(0, 5)); } catch (e) { console.log(e.code, e.errno, e.message); }
try { zlib.brotliDecompressSync(Buffer.from([0x1b, 0xff, 0xff, 0xff, 0xff])); } catch (e) { console.log(e.message, e.code.startsWith('ERR__ERROR_'), e.errno < 0); }
console.log(C.BROTLI_DEFAULT_QUALITY, C.BROTLI_DECODER_ERROR_FORMAT_PADDING_1, typeof zlib.BrotliCompress,
  new zlib.BrotliDecompress() instanceof require('stream').Transform);
const bomb = zlib.brotliCompressSync(Buffer.alloc(3 << 20, 'a'));
let n = 0;
let chunks = 0;
const d = zlib.createBrotliDecompress();
d.on('data', (c) => { n += c.length; chunks++; });
d.on('end', () => {
  console.log('bomb', bomb.length, n, chunks > 1);
  zlib.brotliCompress('callback data', (e, r) => zlib.brotliDecompress(r, (e2, r2) => {
    console.log('callbacks', e, e2, r2.toString());
    const { pipeline, Readable } = require('stream');
    pipeline(Readable.from([Buffer.from(text.slice(0, 1000)), Buffer.from(text.slice(1000))]),
      zlib.createBrotliCompress(), zlib.createBrotliDecompress(),
      async function* (source) { let s = ''; for await (const c of source) s += c; console.log('pipeline', s === text); },
      (err) => console.log('pipeline done', err));
  }));
});
d.end(bomb);
"#;
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", script)], "main.js").await;
}

/// A Brotli coder's memory counts against the session: Node's default encoder (quality 11,
/// a 4 MiB window) does not fit a 64 MB session, a small one does, a decompression bomb
/// streams out in bounded pieces while decompressing it whole stops at the memory limit, and
/// a long compression stops at the CPU limit; the worker goes on serving.
#[tokio::test]
async fn brotli_stays_within_the_sessions_memory_and_cpu_limits() {
    use secure_exec_host::{ErrorCode, ExecOptions};

    let v8 = support::spawn().await;
    let rt = support::on(&v8);
    let small = || ExecOptions { memory_limit: Some(64), ..Default::default() };
    let r = rt.exec_with("require('zlib').brotliCompressSync('x')", small()).await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit), "{:?}", r.error_message);
    let r = rt
        .exec_with(
            "const z = require('zlib'); const C = z.constants;\n\
             const c = z.brotliCompressSync('x'.repeat(1000), { params: { [C.BROTLI_PARAM_QUALITY]: 4,\n\
               [C.BROTLI_PARAM_LGWIN]: 18 } });\n\
             console.log(z.brotliDecompressSync(c).length)",
            small(),
        )
        .await
        .unwrap();
    assert_eq!((r.error_code, r.stdout.as_str()), (None, "1000\n"), "{:?}", r.error_message);

    // 256 MiB of zeros compress to a few hundred bytes.
    let bomb = "const z = require('zlib'); const C = z.constants;\n\
        const e = z.createBrotliCompress({ params: { [C.BROTLI_PARAM_QUALITY]: 1 } });\n\
        const parts = []; e.on('data', (c) => parts.push(c));\n\
        e.on('end', () => { globalThis.bomb = Buffer.concat(parts); run(); });\n\
        const block = Buffer.alloc(1 << 20);\n\
        for (let i = 0; i < 256; i++) e.write(block);\n\
        e.end();";
    let streamed = format!(
        "{bomb}\nfunction run() {{ let n = 0; const d = z.createBrotliDecompress();\n\
         d.on('data', (c) => {{ n += c.length; }}); d.on('end', () => console.log(bomb.length < 100000, n));\n\
         d.end(bomb); }}"
    );
    let r = rt.exec_with(&streamed, small()).await.unwrap();
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    assert_eq!(r.stdout, format!("true {}\n", 256 << 20));
    let whole = format!("{bomb}\nfunction run() {{ z.brotliDecompressSync(bomb); }}");
    let r = rt.exec_with(&whole, small()).await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit), "{:?}", r.error_message);

    let long = ExecOptions { cpu_time_limit_ms: Some(300), ..Default::default() };
    let started = std::time::Instant::now();
    let r = rt
        .exec_with(
            "const z = require('zlib');\n\
             z.brotliCompressSync(require('crypto').randomBytes(8 << 20),\n\
               { params: { [z.constants.BROTLI_PARAM_LGWIN]: 16 } })",
            long,
        )
        .await
        .unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::CpuTimeLimit), "{:?}", r.error_message);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
    let r = rt.exec("console.log('alive')").await.unwrap();
    assert_eq!(r.stdout, "alive\n");
    v8.dispose().await;
}

#[tokio::test]
async fn uncaught_exception_and_unhandled_rejection_listeners_keep_the_process_going() {
    let v8 = support::spawn().await;
    let script = "
process.on('uncaughtException', (err, origin) => console.log('caught', err.message, origin));
process.on('unhandledRejection', (reason, promise) =>
  console.log('rejected', reason.message, promise instanceof Promise));
Promise.reject(new Error('nobody handles this'));
queueMicrotask(() => { throw new Error('in a microtask'); });
setTimeout(() => { throw new Error('in a timer'); }, 1);
setTimeout(() => {
  process.removeAllListeners('unhandledRejection');
  Promise.reject(new Error('to the uncaughtException listener'));
  setTimeout(() => console.log('still running', process.exitCode), 1);
}, 20);
throw new Error('at the top level');
";
    oracle::same_as_node(&v8, &[("main.js", script)], "main.js").await;
    // What an 'unhandledRejection' listener throws goes to the 'uncaughtException' listeners.
    let script = "
process.on('uncaughtException', (e, origin) => console.log('uncaught', e.message, origin));
process.on('unhandledRejection', () => { throw new Error('from the listener'); });
Promise.reject(new Error('first'));
setTimeout(() => console.log('still running', process.exitCode), 5);
";
    oracle::same_as_node(&v8, &[("main.js", script)], "main.js").await;
    // An 'uncaughtException' listener that throws ends the process with exit code 7.
    let script = "process.on('uncaughtException', (e) => { console.log('saw', e.message); \
                  throw new Error('again'); });\nthrow new Error('first');";
    let dir = oracle::TempDir::new("code7").with_files(&[("main.js", script)]);
    let (node_code, node_stdout, _) = oracle::node_in(dir.path(), "main.js");
    let rt = support::on(&v8);
    let r = rt.exec(script).await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (node_code, node_stdout.as_str()), "{r:?}");
    assert_eq!(r.code, 7);
    assert!(r.error_message.unwrap_or_default().contains("Error: again"));
    // Without listeners the first one ends the session, as before.
    let r = rt.exec("setTimeout(() => { throw new Error('boom') }, 1)").await.unwrap();
    assert_eq!(r.code, 1);
    assert!(r.error_message.unwrap_or_default().contains("boom"));
    v8.dispose().await;
}

/// An error nobody takes ends the session as it ends Node's process: the 'exit' listeners run
/// with code 1 (whatever `exitCode` was), their output kept, what they throw ignored; from the
/// top level, a timer, a microtask or a rejection alike. Compared with Node's exit code and
/// output.
#[tokio::test]
async fn an_uncaught_error_runs_the_exit_listeners_with_code_1_as_in_node() {
    let v8 = support::spawn().await;
    let rt = support::on(&v8);
    let listen = "process.on('exit', (c) => console.log('exit', c, process.exitCode));";
    for (i, ending) in [
        "throw new Error('top');",
        "Promise.reject(new Error('rejected'));",
        "process.exitCode = 5; setTimeout(() => { throw 1; }, 0);",
        "queueMicrotask(() => null.x);",
        "process.on('exit', () => { throw new Error('in exit'); }); null.x;",
        "process.on('exit', () => Promise.resolve().then(() => console.log('never'))); null.x;",
    ]
    .into_iter()
    .enumerate()
    {
        let script = format!("{listen}\n{ending}");
        let dir = oracle::TempDir::new(&format!("exit{i}")).with_files(&[("main.js", &script)]);
        let (node_code, node_stdout, _) = oracle::node_in(dir.path(), "main.js");
        let r = rt.exec(&script).await.unwrap();
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (node_code, node_stdout.as_str()),
            "{script}: {r:?}"
        );
        assert_eq!(r.code, 1, "{script}");
        assert!(r.stdout.starts_with("exit 1 1\n"), "{script}: {r:?}");
    }
    v8.dispose().await;
}

/// 'beforeExit' as in Node: emitted when nothing is left, its listeners may give the session
/// more work (and it is emitted again once that is done), not emitted on `process.exit()` or
/// an uncaught error. Compared with Node's exit code and output.
#[tokio::test]
async fn before_exit_listeners_may_give_the_session_more_work_as_in_node() {
    let v8 = support::spawn().await;
    let rt = support::on(&v8);
    for (i, script) in [
        "let rounds = 0;\n\
         process.on('beforeExit', (code) => {\n\
           console.log('beforeExit', code, rounds);\n\
           if (++rounds < 3) setTimeout(() => console.log('work', rounds), 1);\n\
           else Promise.resolve().then(() => console.log('a promise job in the last round'));\n\
         });\n\
         process.on('exit', (code) => console.log('exit', code));\n\
         process.exitCode = 4;\n\
         console.log('main');",
        "process.on('beforeExit', () => console.log('never')); process.exit(2);",
        "process.on('beforeExit', () => console.log('never')); null.x;",
        "process.on('beforeExit', () => { console.log('once'); });",
    ]
    .into_iter()
    .enumerate()
    {
        let dir = oracle::TempDir::new(&format!("before{i}")).with_files(&[("main.js", script)]);
        let (node_code, node_stdout, _) = oracle::node_in(dir.path(), "main.js");
        let r = rt.exec(script).await.unwrap();
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (node_code, node_stdout.as_str()),
            "{script}: {r:?}"
        );
    }
    v8.dispose().await;
}

/// Sources of a kilobyte or more are shared by the worker's sessions (decoded once, keyed by
/// their digest): Latin-1, UTF-16, a byte-order mark, a `#!` line and ES modules read as
/// Node reads them, the first time and again from the shared copy.
#[tokio::test]
async fn large_sources_load_as_in_node_and_again_from_the_shared_copy() {
    let pad = format!("// {}\n", "x".repeat(1100));
    let files: Vec<(String, String)> = vec![
        ("ascii.js".into(), format!("{pad}exports.text = 'plain'; exports.fn = function named() {{ return 'ascii body'; }};")),
        ("latin1.js".into(), format!("{pad}exports.text = 'café déjà vu ½'; exports.fn = () => 'ü';")),
        ("wide.js".into(), format!("{pad}exports.text = '日本語 😀 ∑'; exports.fn = function () {{ return '€ \\u{{1F600}}'; }};")),
        ("bom.js".into(), format!("\u{FEFF}{pad}exports.text = 'bom ÿ';")),
        ("shebang.js".into(), format!("#!/usr/bin/env node\n{pad}exports.text = 'shebang';")),
        (
            "requires.js".into(),
            format!(
                "{pad}// require('./not-here') in a comment is fetched ahead and never loaded\n\
                 const a = require ( './ascii' );\nconst b = require(\"./latin1\");\n\
                 const c = require('./wide'), d = require(`./bom`);\nconst e = require('./sh' + 'ebang');\n\
                 exports.text = [a.text, b.text, c.text, d.text, e.text].join('|');"
            ),
        ),
        ("esm.mjs".into(), format!("{pad}import wide from './wide.js';\nexport const text = 'é ' + wide.text;\nexport default function f() {{ return 'ß'; }}")),
        (
            "main.js".into(),
            "const log = (...a) => console.log(...a);\n\
             for (const name of ['./ascii', './latin1', './wide', './bom', './shebang', './requires']) {\n\
               const m = require(name);\n\
               log(name, m.text, m.fn ? m.fn.toString() : '-', m.fn ? m.fn() : '-');\n\
             }\n\
             const text = require('fs').readFileSync(__dirname + '/wide.js', 'utf8');\n\
             log(text.length, text.includes(require('./wide').fn.toString()));\n\
             import('./esm.mjs').then((m) => log(m.text, m.default.toString(), m.default()));\n"
                .into(),
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    let v8 = support::spawn().await;
    let first = oracle::same_as_node(&v8, &files, "main.js").await;
    assert!(first.contains("日本語 😀 ∑") && first.contains("café"), "{first}");
    let again = oracle::same_as_node(&v8, &files, "main.js").await;
    assert_eq!(first, again);
    v8.dispose().await;
}

/// The shared copy is found by content: a module rewritten between sessions on a shared
/// read-write mount loads as it now is, and going back to an earlier text loads that again.
#[tokio::test]
async fn a_rewritten_module_loads_as_it_now_is() {
    let v8 = support::spawn().await;
    let workspace = secure_exec_host::MemFs::new();
    let rt = support::with_system(
        &v8,
        secure_exec_host::SystemDriver::default().mount("/ws", workspace.clone()),
    );
    let pad = "y".repeat(2000);
    for version in ["one", "two", "one", "three é", "three 日本"] {
        let code = format!(
            "const fs = require('fs');\n\
             fs.writeFileSync('/ws/m.js', '// {pad}\\nexports.version = () => {version:?};');\n\
             console.log(require('/ws/m.js').version());"
        );
        let r = rt.exec(&code).await.unwrap();
        assert_eq!(r.error_code, None, "{:?}", r.error_message);
        assert_eq!(r.stdout.trim(), version);
    }
    v8.dispose().await;
}

/// The worker remembers what a walk of literal requires fetched, to ask for all of it at once
/// next time, but only for sessions of the same world: a session of another driver, whose
/// root module has the same text at the same path, never asks its own filesystem for what the
/// first world's walk met there.
#[tokio::test]
async fn a_remembered_walk_is_asked_for_only_in_its_own_world() {
    use secure_exec_host::{ExecOptions, FileSystem, MemFs, SystemDriver, WriteMode};
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    let v8 = support::spawn().await;
    let world = |files: &[(&str, &str)]| {
        let fs = MemFs::new();
        for (name, text) in files {
            fs.write(Path::new(name), text.as_bytes(), WriteMode::default()).unwrap();
        }
        let asked = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = Arc::clone(&asked);
        let fs = support::HookedFs::new(fs, move |_, path| {
            seen.lock().unwrap().push(path.display().to_string());
        });
        (support::with_system(&v8, SystemDriver::default().mount("/app", fs)), asked)
    };
    let root = "exports.x = require('./x');";
    let (a, asked_in_a) = world(&[
        ("root.js", root),
        ("x.js", "module.exports = require('./only-in-a');"),
        ("only-in-a.js", "module.exports = 'a';"),
    ]);
    let (b, asked_in_b) = world(&[("root.js", root), ("x.js", "module.exports = 'b';")]);
    let entry = || ExecOptions { filename: Some("/app/main.js".into()), ..Default::default() };
    let code = "console.log(require('./root').x)";
    for (rt, expected) in [(&a, "a"), (&a, "a"), (&b, "b"), (&b, "b")] {
        let r = rt.exec_with(code, entry()).await.unwrap();
        assert_eq!(r.error_code, None, "{:?}", r.error_message);
        assert_eq!(r.stdout.trim(), expected);
    }
    assert!(asked_in_a.lock().unwrap().iter().any(|p| p.contains("only-in-a")));
    let asked_in_b = asked_in_b.lock().unwrap().clone();
    assert!(!asked_in_b.is_empty());
    assert!(!asked_in_b.iter().any(|p| p.contains("only-in-a")), "{asked_in_b:?}");
    v8.dispose().await;
}

/// Resolutions from a frozen `node_modules` are shared by the world's sessions, but a session
/// that changed its root resolves for itself: a `package.json` it wrote makes `dep` a
/// self-reference (Node resolves a package's own name before `node_modules`), and a file it
/// wrote is found; neither reaches the sessions after it.
#[tokio::test]
async fn a_session_that_changed_its_root_resolves_for_itself() {
    use secure_exec_host::{ExecOptions, HostDir, SystemDriver};

    let v8 = support::spawn().await;
    let dir = oracle::TempDir::new("shared-resolutions").with_files(&[
        ("dep/package.json", r#"{ "name": "dep", "main": "index.js" }"#),
        ("dep/index.js", "module.exports = 'from node_modules';"),
    ]);
    let rt = support::with_system(
        &v8,
        SystemDriver::default().mount("/app/node_modules", HostDir::frozen(dir.path())),
    );
    let entry = || ExecOptions { filename: Some("/app/main.js".into()), ..Default::default() };
    let plain = "let local; try { local = require('./local'); } catch (e) { local = e.code; } \
                 console.log(require('dep'), local)";
    let changed = "const fs = require('fs'); \
        fs.writeFileSync('/app/package.json', JSON.stringify({ name: 'dep', exports: './self.js' })); \
        fs.writeFileSync('/app/self.js', \"module.exports = 'itself';\"); \
        fs.writeFileSync('/app/local.js', \"module.exports = 'local';\"); ";
    let expect = |code: &str, stdout: &str| {
        let rt = rt.clone();
        let (code, stdout) = (code.to_owned(), stdout.to_owned());
        async move {
            let r = rt.exec_with(&code, entry()).await.unwrap();
            assert_eq!((r.error_code, r.stdout.as_str()), (None, stdout.as_str()), "{r:?}");
        }
    };
    expect(plain, "from node_modules MODULE_NOT_FOUND\n").await;
    expect(plain, "from node_modules MODULE_NOT_FOUND\n").await;
    expect(&format!("{changed}{plain}"), "itself local\n").await;
    expect(plain, "from node_modules MODULE_NOT_FOUND\n").await;
    v8.dispose().await;
}

/// Once most sessions require modules, spares build the module loader before their session is
/// known; a session on such a spare still gets its own entry (its filename, module paths,
/// `require.main`, `import.meta`) and sees the environment as a session that built it itself.
#[tokio::test]
async fn a_spare_with_the_module_loader_built_ahead_serves_its_own_entry() {
    use secure_exec_host::ExecOptions;

    let v8 = support::spawn().await;
    let rt = support::on(&v8);
    let probe = "const before = [Object.keys(module), module.paths, typeof module.require];
         const after = [require('path').sep, module.paths, require.main === module];
         import('node:path').then((path) => console.log(JSON.stringify(
           [before, after, __filename, typeof path.join])));";
    let at = |filename: &str| ExecOptions { filename: Some(filename.into()), ..Default::default() };
    // A worker that has served no session builds nothing ahead.
    let mut cold = Vec::new();
    for filename in ["/a/b/one.js", "/c/two.js"] {
        let r = rt.exec_with(probe, at(filename)).await.unwrap();
        assert_eq!(r.error_code, None, "{:?}", r.error_message);
        assert!(r.stdout.contains(filename), "{}", r.stdout);
        cold.push((filename, r.stdout));
    }
    for _ in 0..12 {
        let r = rt.exec("require('path')").await.unwrap();
        assert_eq!(r.error_code, None, "{:?}", r.error_message);
    }
    for _ in 0..3 {
        for (filename, expected) in &cold {
            let warm = rt.exec_with(probe, at(filename)).await.unwrap();
            assert_eq!(&warm.stdout, expected);
        }
    }
    v8.dispose().await;
}

/// A session is charged for the module sources it holds: a source larger than its memory
/// limit stops it with ERR_MEMORY_LIMIT, and the worker goes on serving.
#[tokio::test]
async fn a_module_source_counts_against_the_memory_limit() {
    let big = format!("//{}\nexports.ok = 'loaded';", "z".repeat(6 * 1024 * 1024));
    let dir = oracle::TempDir::new("big-source").with_files(&[("big.js", big.as_str())]);
    let v8 = support::spawn().await;
    let rt = support::with_system(
        &v8,
        secure_exec_host::SystemDriver::default()
            .mount("/app", secure_exec_host::HostDir::read_only(dir.path())),
    );
    let code = "console.log('start'); console.log(require('/app/big.js').ok);";
    let limit = |mb| secure_exec_host::ExecOptions { memory_limit: Some(mb), ..Default::default() };
    let r = rt.exec_with(code, limit(4)).await.unwrap();
    assert_eq!(r.error_code, Some(secure_exec_host::ErrorCode::MemoryLimit), "{r:?}");
    assert_eq!(r.stdout, "start\n", "{r:?}");
    let r = rt.exec_with(code, limit(128)).await.unwrap();
    assert_eq!((r.error_code, r.stdout.as_str()), (None, "start\nloaded\n"), "{r:?}");
    v8.dispose().await;
}

/// The CommonJS loader's internals that libraries replace, as Node's: `Module._resolveFilename`
/// (aliases), `Module.prototype.require` and `Module._load` (instrumentation, mocks),
/// `Module._extensions` (a new extension; a transform through `module._compile`; the longest
/// registered extension), `wrap`, `_nodeModulePaths`, `_findPath`, `_resolveLookupPaths`;
/// compared with Node.
#[tokio::test]
async fn loader_internals_that_libraries_replace_as_in_node() {
    let v8 = support::spawn().await;
    let files = [
        ("main.js", LOADER_HOOKS),
        (
            "lib/a.js",
            r#"module.exports = { name: 'a', from: __filename.slice(__filename.lastIndexOf('/')) };
"#,
        ),
        (
            "lib/b.json",
            r#"{"json": true}
"#,
        ),
        (
            "lib/note.txt",
            r#"hello from a text file
"#,
        ),
        (
            "lib/t.test.js",
            r#"module.exports = 'double extension';
"#,
        ),
        (
            "node_modules/dep/index.js",
            r#"module.exports = 'dep ' + require('./inner');
"#,
        ),
        (
            "node_modules/dep/inner.js",
            r#"module.exports = 'inner';
"#,
        ),
    ];
    oracle::same_as_node(&v8, &files, "main.js").await;
}

const LOADER_HOOKS: &str = r#"const Module = require('module');
const path = require('path');
console.log('same extensions', require.extensions === Module._extensions, Object.keys(Module._extensions).join());
console.log('wrap', JSON.stringify(Module.wrap('x')), Module.wrapper.length);
console.log('node_modules paths', Module._nodeModulePaths('/a/node_modules/b/c').join());
console.log('lookup', JSON.stringify(Module._resolveLookupPaths('fs', module)), Module._resolveLookupPaths('./x', module)[0] === __dirname);
// An alias through _resolveFilename, as module-alias does.
const original = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  if (request.startsWith('@lib/')) request = path.join(__dirname, 'lib', request.slice(5));
  return original.call(this, request, parent, isMain, options);
};
console.log('alias', require('@lib/a').name, require.resolve('@lib/b.json').endsWith('/lib/b.json'));
Module._resolveFilename = original;
// Counting requires through Module.prototype.require, as require-in-the-middle does.
const seen = [];
const originalRequire = Module.prototype.require;
Module.prototype.require = function (id) {
  seen.push(id);
  return originalRequire.apply(this, arguments);
};
require('dep');
require('path');
console.log('hooked require', seen.join());
Module.prototype.require = originalRequire;
// Mocking through Module._load.
const originalLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'mocked-thing') return { mocked: true };
  return originalLoad.apply(this, arguments);
};
console.log('mocked', JSON.stringify(require('mocked-thing')), require('./lib/a').name);
Module._load = originalLoad;
// A new extension, as a transpiler registers one.
Module._extensions['.txt'] = function (module, filename) {
  module.exports = require('fs').readFileSync(filename, 'utf8').trim().toUpperCase();
};
console.log('txt', require('./lib/note.txt'));
delete Module._extensions['.txt'];
// Transforming .js through module._compile, as pirates does.
const jsHandler = Module._extensions['.js'];
Module._extensions['.js'] = function (module, filename) {
  const compile = module._compile;
  module._compile = function (code, file) {
    module._compile = compile;
    return compile.call(this, code.replace("'double extension'", "'transformed'"), file);
  };
  return jsHandler(module, filename);
};
console.log('transformed', require('./lib/t.test.js'));
Module._extensions['.js'] = jsHandler;
// The longest registered extension wins.
Module._extensions['.test.js'] = (module) => { module.exports = 'by .test.js'; };
delete require.cache[require.resolve('./lib/t.test.js')];
console.log('longest', require('./lib/t.test.js'));
delete Module._extensions['.test.js'];
console.log('findPath', Module._findPath('dep', [path.join(__dirname, 'node_modules')]).endsWith('/dep/index.js'),
  Module._findPath('nope', [__dirname]));
const m = new Module('/virtual.js', module);
m._compile('module.exports = typeof require + " " + __filename', '/virtual.js');
console.log('compile', m.exports);
console.log('json through handler', JSON.stringify(require('./lib/b.json')));
console.log('builtin filename', Module._resolveFilename('fs', module), Module._resolveFilename('node:fs', module));
try { Module._resolveFilename('./missing', module); } catch (e) { console.log('missing', e.code); }
"#;
