//! The rest of Node's surface (process, os and `constants`, util, events, buffer, stream, zlib,
//! url, module, console, fs vectors, sync and the standard descriptors, crypto's key derivation
//! and AES, Web Crypto's symmetric algorithms, readline, AsyncLocalStorage, diagnostics_channel,
//! MessageChannel), each checked against Node itself.

use secure_exec_host::{ErrorCode, ExecOptions};

use crate::{oracle, support};

#[tokio::test]
async fn process_os_constants_and_util_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", PROCESS_AND_UTIL)], "main.js").await;
}

#[tokio::test]
async fn events_buffer_stream_zlib_url_module_and_console_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", LIBRARIES)], "main.js").await;
}

/// Buffer's string encodings (natives in the worker): every encoding both ways, malformed
/// UTF-8, lone surrogates, partial writes, Node's lenient hex and base64 (each UTF-16 unit read
/// by its low byte), and 3 MiB round trips that cross the natives' pieces; compared with Node.
#[tokio::test]
async fn buffer_string_encodings_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", BUFFER_ENCODINGS)], "main.js").await;
}

/// Buffer's search, comparison, fill and byte swaps (Node's rules: empty needles, negative and
/// past-the-end offsets, two-byte searches, range errors), `atob` / `btoa` with Node's errors,
/// `TextDecoder` (fatal, BOM, streaming, 3 MiB), base64url in Buffer and string_decoder, and
/// Node's pool of small Buffers and their prototype; compared with Node.
#[tokio::test]
async fn buffer_search_compare_fill_pool_and_base64_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", BUFFER_SEARCH)], "main.js").await;
    oracle::same_as_node(&v8, &[("main.js", BASE64_AND_DECODERS)], "main.js").await;
    oracle::same_as_node(&v8, &[("main.js", BUFFER_POOL)], "main.js").await;
}

/// Hashes and HMACs fed past 64 KiB run in a native hasher (`copy()` included, and streams
/// piped through one), compared with Node; and hashing 96 MiB in a 32 MB session gives Node's
/// digest, as the data is no longer held until `digest()`.
#[tokio::test]
async fn running_hashes_as_in_node_and_in_bounded_memory() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", RUNNING_HASHES)], "main.js").await;
    let dir = oracle::TempDir::new("long-hash").with_files(&[("main.js", LONG_HASH)]);
    let (code, expected, _) = oracle::node_in(dir.path(), "main.js");
    assert_eq!(code, 0);
    let rt = oracle::runtime_in(&v8, dir.path());
    let options = ExecOptions {
        filename: Some("/app/main.js".into()),
        memory_limit: Some(32),
        ..Default::default()
    };
    let r = rt.exec_with(LONG_HASH, options).await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, expected.as_str()), "{:?}", r.error_message);
}

const LONG_HASH: &str = "const c = require('crypto'); const h = c.createHash('sha256'); \
    const m = c.createHmac('sha1', 'k'); const b = Buffer.alloc(1 << 20, 7); \
    for (let i = 0; i < 96; i++) { h.update(b); m.update(b); } \
    console.log(h.digest('hex'), m.digest('hex'));";

/// AES-GCM's tag carried as a running GHASH: every split of the text across `update` calls,
/// with and without AAD, decryption and a forged tag, compared with Node; and 100 MiB
/// encrypted in a 48 MB session, whose tag is Node's (the text it covers is no longer held
/// until `final()`).
#[tokio::test]
async fn gcm_tags_as_in_node_and_in_bounded_memory() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", GCM_SPLITS)], "main.js").await;
    let dir = oracle::TempDir::new("long-gcm").with_files(&[("main.js", LONG_GCM)]);
    let (code, expected, _) = oracle::node_in(dir.path(), "main.js");
    assert_eq!(code, 0);
    let rt = oracle::runtime_in(&v8, dir.path());
    let options = ExecOptions {
        filename: Some("/app/main.js".into()),
        memory_limit: Some(48),
        ..Default::default()
    };
    let r = rt.exec_with(LONG_GCM, options).await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, expected.as_str()), "{:?}", r.error_message);
}

const LONG_GCM: &str = "const c = require('crypto'); \
    const e = c.createCipheriv('aes-256-gcm', Buffer.alloc(32, 1), Buffer.alloc(12, 2)); \
    const b = Buffer.alloc(1 << 20, 3); for (let i = 0; i < 100; i++) e.update(b); e.final(); \
    console.log(e.getAuthTag().toString('hex'));";

/// `stream/consumers` over Node streams, web streams and generators; the list of built-in
/// modules, Node's internal http pieces and `domain` by name; compared with Node.
#[tokio::test]
async fn stream_consumers_and_the_builtin_module_list_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", CONSUMERS)], "main.js").await;
    // path, path.posix and path.win32: their members in Node's order, and the same objects.
    oracle::same_as_node(&v8, &[("main.js", PATH_MEMBERS)], "main.js").await;
}

const CONSUMERS: &str = r#"
const consumers = require('stream/consumers');
const { Readable } = require('stream');
const { text, json, buffer, arrayBuffer, blob } = require('node:stream/consumers');
(async () => {
  console.log(Object.keys(consumers).join(' '));
  console.log(await text(Readable.from(['h\u00e9', Buffer.from([0xe2, 0x82]), Buffer.from([0xac, 0x21])])));
  console.log(await json(Readable.from([Buffer.from('{"a":'), '[1,2]}'])));
  const b = await buffer(Readable.from([Buffer.from('ab'), new Uint8Array([99])]));
  console.log(Buffer.isBuffer(b), b.toString());
  const ab = await arrayBuffer(Readable.from(['xyz']));
  console.log(ab instanceof ArrayBuffer, ab.byteLength);
  const bl = await blob(Readable.from(['blob', ' data']));
  console.log(bl.size, await bl.text());
  async function* gen() { yield 'from '; yield 'a generator'; }
  console.log(await text(gen()));
  console.log(await text(new Blob(['web ', 'stream']).stream()));
  await json(Readable.from(['{bad'])).catch((e) => console.log(e.name));
  const mods = require('module').builtinModules;
  console.log(mods.length, mods.includes('stream/consumers'), mods.includes('domain'), JSON.stringify(mods) === JSON.stringify([...mods].sort()));
  console.log(Object.keys(require('_http_agent')).join(' '), typeof require('_http_outgoing').OutgoingMessage, require('_http_common').CRLF === '\r\n',
    require('_http_common')._checkIsHttpToken('Content-Type'), require('_http_common')._checkIsHttpToken('bad header'), require('_http_common').methods.includes('PATCH'));
  console.log(typeof require('domain').create, require('domain').active);
})();
"#;

/// `v8.serialize` / `deserialize`: V8's wire format with views written as Node's
/// DefaultSerializer writes them (the payload compared byte for byte; the header's version
/// number is V8's own), views over the input where aligned, Node's own output read back,
/// and the refusals; compared with Node.
#[tokio::test]
async fn v8_serialize_and_deserialize_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", V8_SERIALIZE)], "main.js").await;
}

const V8_SERIALIZE: &str = r#"
const v8 = require('v8'); const util = require('util');
const hex = (b) => b.toString('hex');
// The payload after V8's two-byte header (its version number differs between V8 releases).
const payload = (b) => hex(b).slice(4);
const values = [1, -0, 2 ** 40, 'text', 'caf\u00e9 \u{1F600}', true, null, undefined, 10n, [1, , 'x'], { a: 1, b: { c: [2] } },
  new Date(0), /re/gi, new Map([[1, 'a']]), new Set(['s']), new Uint8Array([1, 2, 3]), Buffer.from('buf'),
  new Float64Array([1.5]), new ArrayBuffer(3), new Int16Array([1, -1]),
  new BigInt64Array([5n]), new Uint8ClampedArray([9]), new Uint32Array([7]), [new Uint8Array(2), new Uint8Array(2)],
  Object.assign(new RangeError('r'), { stack: 'RangeError: r' }), new Number(3), new String('boxed'), [undefined, null]];
for (const value of values) {
  const bytes = v8.serialize(value);
  const back = v8.deserialize(bytes);
  console.log(Buffer.isBuffer(bytes), bytes[0], payload(bytes), util.inspect(back), back?.constructor?.name, Buffer.isBuffer(back));
}
const shared = { s: 1 }; const cyclic = { shared, again: shared }; cyclic.self = cyclic;
const c = v8.deserialize(v8.serialize(cyclic));
console.log(c.self === c, c.shared === c.again);
// A Buffer over a larger pool: only its own bytes are written.
console.log(payload(v8.serialize(Buffer.from('pooled bytes').subarray(2, 6))));
const view = v8.deserialize(v8.serialize(new DataView(new Uint8Array([5, 6, 7]).buffer, 1)));
console.log(view.byteLength, view.byteOffset - view.buffer.byteLength + 2, view.getUint8(0), view.getUint8(1));
// Views over the input where aligned (as Node), copies where not.
const f = v8.serialize({ pad: 'x', f: new Float64Array([2.5, 3.5]), u: new Uint8Array([4]) });
for (const shift of [0, 1, 3]) {
  const input = Buffer.concat([Buffer.alloc(shift), f]).subarray(shift);
  const back = v8.deserialize(input);
  console.log(shift, back.f, back.u, back.u.buffer === input.buffer);
}
// What Node 20 wrote (wire format version 15) reads here too.
const fromNode = Buffer.from('ff0f6f2201616f2201625c0a0362756622016641024e000000000000f03f4e000000000000f83f240002220163272201782c017b037b01', 'hex');
console.log(util.inspect(v8.deserialize(fromNode)));
for (const bad of [() => {}, Symbol('s'), new WeakMap(), Promise.resolve(), { f() {} }]) {
  try { v8.serialize(bad); } catch (e) { console.log(e.name, e.message); }
}
for (const bad of ['string', 5, Buffer.from([0xff, 0x0f, 0x5c]), Buffer.from([0xff, 0x0f, 0x5c, 99, 0, 0, 0, 0]), Buffer.alloc(0), Buffer.from([1, 2, 3]),
  Buffer.from([0xff, 0x0f, 0x5c, 1, 200])]) {
  try { console.log(v8.deserialize(bad)); } catch (e) { console.log(e instanceof Error); }
}
console.log(v8.deserialize(v8.serialize('x'.repeat(100000))).length);
let deep = []; for (let i = 0; i < 100000; i++) deep = [deep];
try { v8.serialize(deep); console.log('deep ok'); } catch (e) { console.log('deep', e.name, e.message); }
"#;

/// util.inspect of promises (their state), errors (brackets, properties, cause, errors,
/// subclasses), dates and regular expressions with properties, boxed symbols, weak
/// collections, function kinds, ArrayBuffers and DataViews; compared with Node.
#[tokio::test]
async fn inspect_of_promises_errors_and_buffers_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", INSPECT_MORE)], "main.js").await;
}

const INSPECT_MORE: &str = r#"
const util = require('util');
// Promises show their state, without handling a rejection.
console.log(Promise.resolve(1), new Promise(() => {}), { p: Promise.resolve({ a: 1 }) });
const rejected = Promise.reject(3); console.log(rejected); rejected.catch(() => {});
// Errors: brackets without frames, own properties, cause, AggregateError's errors, subclasses.
const plain = new Error('plain'); plain.stack = 'Error: plain';
const coded = new Error('props'); coded.stack = 'Error: props'; coded.code = 'E_X'; coded.errno = -2;
console.log(util.inspect(plain), util.inspect(coded), [plain], { e: plain });
const custom = new Error('m'); custom.stack = 'custom stack text'; console.log(util.inspect(custom));
const withCause = new Error('outer', { cause: 'why' }); withCause.stack = 'Error: outer';
console.log(withCause);
const agg = new AggregateError([plain], 'many'); agg.stack = 'AggregateError: many'; console.log(agg);
class MyError extends Error {} const mine = new MyError('sub'); mine.stack = 'Error: sub'; console.log(mine);
const framed = new Error('framed'); framed.stack = 'Error: framed\n    at somewhere (file.js:1:1)'; framed.code = 'E_F';
console.log(framed); console.log({ nested: framed });
const named = new Error('n'); named.name = 'Custom'; named.stack = 'Custom: n'; console.log(named);
// Dates and regular expressions with properties, boxed symbols and bigints, weak collections.
const d = new Date(0); d.extra = 1; const r = /x/g; r.flag = true; console.log(d, r);
console.log(new WeakMap(), new WeakSet(), Object(Symbol('b')), Object(1n));
// Function kinds and classes.
class Base {} class Derived extends Base {}
console.log([function named() {}, class K {}, async () => {}, function* g() {}, async function* ag() {}, Derived]);
// ArrayBuffers and DataViews.
console.log(new ArrayBuffer(3), new DataView(new ArrayBuffer(2)), new SharedArrayBuffer(2), [new ArrayBuffer(1)]);
console.log(new ArrayBuffer(0), new Uint8Array([1, 2, 255]).buffer, new Uint8Array(300).fill(171).buffer);
const withProp = new ArrayBuffer(2); withProp.tag = 'x'; console.log(withProp);
console.log(util.inspect(new ArrayBuffer(120), { maxArrayLength: 4 }));
class MyBuf extends ArrayBuffer {} console.log(new MyBuf(1));
console.log(util.inspect(new DataView(new ArrayBuffer(4), 1, 2), { depth: 0 }));
"#;

/// util.inspect of the web classes as Node shows them (their state, not their fields):
/// TextEncoder/Decoder, AbortController/Signal, Event, Blob, File, Headers (names as first
/// given), Request, Response, the WHATWG streams; and empty objects shown whole past the
/// depth limit; compared with Node.
#[tokio::test]
async fn inspect_of_web_classes_and_deep_empty_objects_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", INSPECT_WEB), ("depth.js", INSPECT_DEPTH)], "main.js")
        .await;
    oracle::same_as_node(&v8, &[("main.js", INSPECT_DEPTH)], "main.js").await;
}

const INSPECT_WEB: &str = r#"
const util = require('util');
console.log(new TextEncoder(), new TextDecoder(), new TextDecoder('utf-16le', { fatal: true }));
console.log(new AbortController(), AbortSignal.abort());
const event = new Event('x', { cancelable: true }); event.preventDefault();
// One line whatever the time stamp's length (the layout depends on it).
console.log(util.inspect(event, { breakLength: Infinity }).replace(/timeStamp: [0-9.]+/, 'timeStamp: T'));
console.log(new Blob(['ab'], { type: 'Text/Plain' }), new File(['abc'], 'f.txt', { lastModified: 1700000000000 }));
const h = new Headers({ 'B-x': '2', a: '1' }); h.append('A', '3'); h.append('Set-Cookie', 'x=1'); h.append('set-cookie', 'y=2');
console.log(h, new Headers([['Zz', '1'], ['aa', '2']]), new Headers());
console.log(new Response('x'), new Response(null, { status: 404, statusText: 'Not Found', headers: { 'X-Y': 'z' } }));
console.log(new Request('http://a.b/path', { method: 'POST', body: 'x', headers: { Accept: 'a/b' } }));
const rs = new ReadableStream(); rs.getReader();
console.log(new ReadableStream(), rs, new ReadableStream({ type: 'bytes' }));
console.log(new WritableStream(), new TransformStream());
console.log(util.inspect({ deep: { deeper: { controller: new AbortController() } } }));
"#;

const INSPECT_DEPTH: &str = r#"
const util = require('util');
class K {} class L { constructor() { this.x = 1; } }
for (const v of [{}, [], new Map(), new Set(), Object.create(null), new K(), new L(), [1], new Map([[1, 2]]), { x: 1 }, new Uint8Array(0), new Uint8Array(1), function f() {}, new Date(0), /x/, new ArrayBuffer(0), Promise.resolve(), new WeakMap()]) {
  console.log(util.inspect({ a: { b: { c: v } } }));
}
"#;

/// timers/promises as Node's: an AbortSignal aborts a wait before or during it (an
/// AbortError with the reason as its cause), options are validated, `ref: false` lets the
/// session end, setInterval's iterator ends on return or abort; compared with Node.
#[tokio::test]
async fn timers_promises_abort_and_validate_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", TIMERS_PROMISES)], "main.js").await;
}

const TIMERS_PROMISES: &str = r#"
const tp = require('timers/promises');
const show = (label) => [(v) => console.log(label, 'resolved', v), (e) => console.log(label, 'rejected', e.name, e.code, e.message, e.cause instanceof Error ? e.cause.name + ':' + e.cause.message : e.cause)];
const ac = new AbortController(); setTimeout(() => ac.abort(), 5);
tp.setTimeout(1000, 'v', { signal: ac.signal }).then(...show('during'));
const ac2 = new AbortController(); ac2.abort('early');
tp.setTimeout(10, 'v', { signal: ac2.signal }).then(...show('before'));
tp.setImmediate('i', { signal: ac2.signal }).then(...show('immediate aborted'));


for (const bad of [5, { signal: 5 }, { ref: 5 }, null]) tp.setTimeout(1, 1, bad).then(...show('bad'));
tp.setTimeout(100000, 'unref', { ref: false }).then(...show('never'));
const ac3 = new AbortController(); setTimeout(() => ac3.abort(new Error('why')), 5);
tp.setTimeout(1000, 'v', { signal: ac3.signal }).then(...show('reason'));
(async () => {
  let n = 0; for await (const v of tp.setInterval(2, 'x')) { if (++n === 3) break; } console.log('interval done', n);
  const ac4 = new AbortController(); const it = tp.setInterval(5, 'y', { signal: ac4.signal });
  console.log(await it.next()); ac4.abort();
  try { await it.next(); } catch (e) { console.log('interval', e.name, e.code); }
  console.log(await it.next());
  const ac5 = new AbortController(); ac5.abort();
  const it2 = tp.setInterval(5, 'z', { signal: ac5.signal });
  try { await it2.next(); } catch (e) { console.log('interval pre', e.name); }
  console.log(await tp.scheduler.wait(1), await tp.scheduler.yield(), await tp.setImmediate('i'), await tp.setTimeout(3, 'plain'));
})();
"#;

/// util.inspect's options (`depth: null`, `compact` as a number, `false` and `true`,
/// `breakLength`, `sorted`, `getters`, `numericSeparator`, `maxStringLength`), Node's choice
/// of quotes and escapes for strings, and util.format's `%s`; compared with Node.
#[tokio::test]
async fn inspect_options_quotes_and_format_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", INSPECT_OPTIONS)], "main.js").await;
    oracle::same_as_node(&v8, &[("main.js", INSPECT_COMPACT)], "main.js").await;
}

/// assert's messages and diffs as Node's (its AssertionError, `throws` with an unmatched
/// class, pattern or validation function, `ok`'s quote of the failing call), and inspect's prefixes for subclassed typed arrays,
/// Maps and Sets (`Buffer(2) [Uint8Array]`) and `customInspect: false`; compared with Node.
#[tokio::test]
async fn assertion_messages_and_subclass_prefixes_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", ASSERT_MESSAGES)], "main.js").await;
    oracle::same_as_node(&v8, &[("main.js", ASSERT_THROWS)], "main.js").await;
    oracle::same_as_node(&v8, &[("main.js", SUBCLASS_PREFIXES)], "main.js").await;
    // assert.ok / assert without a message quote the call from its file.
    oracle::same_as_node(&v8, &[("main.js", ASSERT_OK_QUOTES)], "main.js").await;
    oracle::same_as_node(&v8, &[("main.js", ASSERT_OK_CALLS)], "main.js").await;
    oracle::same_as_node(&v8, &[("main.mjs", ASSERT_OK_MODULE)], "main.mjs").await;
    // Control characters in the quoted call are escaped as Node escapes them.
    oracle::same_as_node(&v8, &[("main.js", ASSERT_OK_ESCAPES)], "main.js").await;
}

/// Smaller members Node has: URL.parse, Blob URLs (URL.createObjectURL / revokeObjectURL,
/// buffer.resolveObjectURL), util.transferableAbortSignal / Controller,
/// querystring.unescapeBuffer, stream.duplexPair, events.EventEmitterAsyncResource (its
/// listeners in the context it was made in), util.MIMEType, dns's codes and result order;
/// compared with Node.
#[tokio::test]
async fn smaller_members_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", SMALLER_MEMBERS)], "main.js").await;
    // util.MIMEType / MIMEParams, and dns's error codes and result order.
    oracle::same_as_node(&v8, &[("main.js", MIME_AND_DNS)], "main.js").await;
    // zlib's constants (and their old names on the module), Buffer's per-encoding slices and
    // writes, process's listener methods.
    oracle::same_as_node(&v8, &[("main.js", CONSTANTS_AND_LISTENERS)], "main.js").await;
}

/// Hashes, HMACs and ciphers are Transform streams and Sign / Verify Writable ones (written,
/// piped, read, iterated, a bad decrypt as the stream's error), built as streams only when used
/// as one; compared with Node.
#[tokio::test]
async fn crypto_objects_are_streams_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", CRYPTO_STREAMS)], "main.js").await;
    // hash.copy(): a hash that goes on from what the first had (an HMAC has none).
    oracle::same_as_node(&v8, &[("main.js", HASH_COPY)], "main.js").await;
}

/// A proxy is inspected by its target without running its traps (`showProxy` shows the
/// handler too, a revoked one says so), and util.types knows KeyObjects and CryptoKeys;
/// compared with Node.
#[tokio::test]
async fn proxies_inspect_without_traps_and_key_types_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", PROXIES)], "main.js").await;
}

const PROXIES: &str = r#"
const util = require('util');
const p = new Proxy({ a: 1 }, { get(t, k) { console.log('TRAP', String(k)); return t[k]; }, ownKeys(t) { console.log('TRAP ownKeys'); return Reflect.ownKeys(t); } });
console.log(p); console.log(util.inspect(p, { showProxy: true }));
const r = Proxy.revocable({}, {}); r.revoke(); console.log(r.proxy, util.inspect(r.proxy, { showProxy: true }));
console.log([new Proxy([1, 2], {})], new Proxy(function f() {}, {}), util.inspect(new Proxy(new Proxy({ b: 2 }, {}), {}), { showProxy: true }));
console.log(util.inspect({ deep: { er: { p: new Proxy({}, {}) } } }, { showProxy: true }), util.inspect(new Proxy(new Map([[1, 2]]), {})));
const { KeyObject, createSecretKey, generateKeyPairSync } = require('crypto');
console.log(util.types.isKeyObject(createSecretKey(Buffer.from('k'))), util.types.isKeyObject(generateKeyPairSync('ed25519').publicKey), util.types.isKeyObject({}), util.types.isCryptoKey({}));
crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign']).then((k) => console.log(util.types.isCryptoKey(k), util.types.isKeyObject(k), KeyObject.from ? 'from' : ''));
"#;

const INSPECT_OPTIONS: &str = r#"
const util = require('util');
const obj = { b: 2, a: { z: [1, { deep: true }], y: 'str' }, get g() { return 42; }, s: new Set([1, 2]), m: new Map([['k', { v: 1 }]]) };
console.log(util.inspect(obj, { sorted: true }));
console.log(util.inspect(obj, { compact: false }));
console.log(util.inspect(obj, { compact: 1, breakLength: 40 }));
console.log(util.inspect(obj, { getters: true }));
console.log(util.inspect(obj, { depth: 0 }), util.inspect(obj, { depth: Infinity }));
console.log(util.inspect([1, 2, 3], { showHidden: true }));
console.log(util.inspect('a\nb\'c"'), util.inspect("it's"), util.inspect(`both ' and "`), util.inspect('x'.repeat(30), { maxStringLength: 10 }));
console.log(util.inspect(new Array(5)), util.inspect([1, , , 4]), util.inspect(Object.assign([1, 2], { extra: true })));
console.log(util.inspect(-0), util.inspect([0, -0]), util.inspect(123456789.123, { numericSeparator: true }), util.inspect(1234567n, { numericSeparator: true }));
console.log(util.inspect({ a: 1, b: 'two', c: [3] }, { breakLength: Infinity }), util.inspect(Symbol.iterator), util.inspect(null), util.inspect(undefined));
console.log(util.inspect(new Set()), util.inspect(new Map()), util.inspect([]), util.inspect({}), util.inspect(Object.create(null)));
console.log(util.inspect({ __proto__: { inherited: 1 }, own: 1 }), util.inspect(new (class extends Map {})([[1, 2]])), util.inspect(new (class Q extends Array {})(1, 2)));
console.log(util.inspect(globalThis.process.versions.node.split('.').length), util.inspect(Math), util.inspect(JSON), util.inspect(Reflect).slice(0, 20));
console.log(util.inspect(function () {}), util.inspect(() => {}), util.inspect(Object.assign(function f() {}, { a: 1 })), util.inspect(Math.max));
const circ = { name: 'c' }; circ.self = circ; circ.list = [circ, { back: circ }]; console.log(util.inspect(circ));
console.log(util.format('%s', { a: { b: { c: 1 } } }), util.format('%s', [1, [2, [3, [4]]]]), util.format('%d', '42abc'), util.format('%i', 3.9), util.format('%s', 2n), util.format('%o', 'str'));
console.log(util.format('a', 'b', 1, { c: 2 }), util.format('%s:%s', 'only'), util.format(1, 2), util.format('%%s %s', 'x'), util.format('%j', { toJSON() { return 'j'; } }));
"#;

const INSPECT_COMPACT: &str = r#"
const util = require('util');
console.log(util.inspect({ a: { b: { c: { d: 1 } } } }, { depth: null }));
console.log(util.inspect({ a: { b: { c: { d: 1 } } }, e: 1 }, { depth: null }));
console.log(util.inspect([[[[1]]]], { depth: null }));
console.log(util.inspect({ x: 1, a: { b: { c: { d: 1 } } } }, { depth: 10 }));
console.log(util.inspect({ a: [{ b: { c: 1 } }], z: { y: 2 } }, { depth: null }));
console.dir({ a: { b: { c: { d: { e: 1 } } } } }, { depth: null });
console.log(JSON.stringify(util.inspect({ a: 1, b: { c: 2 } }, { compact: false })));
console.log(util.inspect({ a: 1, b: { c: { d: 2 } } }, { compact: 1 }));
console.log(util.inspect({ a: 1, b: { c: { d: 2 } } }, { compact: true }));
console.log(util.inspect({ a: 'x'.repeat(70), b: 1 }, { compact: true }));
"#;

/// readFile / writeFile / appendFile on an open descriptor or FileHandle work from its
/// position on (no truncation), and the standard streams by descriptor and by /dev path
/// (stdin empty, stdout the session's); compared with Node.
#[tokio::test]
async fn file_descriptors_and_standard_streams_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", FD_FILES)], "main.js").await;
    oracle::same_as_node(&v8, &[("main.js", STANDARD_STREAMS)], "main.js").await;
}

const FD_FILES: &str = r#"
const fs = require('fs'); const p = __dirname + '/fdw.txt';
fs.writeFileSync(p, '0123456789');
let fd = fs.openSync(p, 'r+'); fs.writeSync(fd, 'ab'); fs.writeFileSync(fd, 'XY'); fs.closeSync(fd); console.log(fs.readFileSync(p, 'utf8'));
fd = fs.openSync(p, 'r'); const b = Buffer.alloc(3); fs.readSync(fd, b); console.log(b.toString(), fs.readFileSync(fd, 'utf8')); fs.closeSync(fd);
fd = fs.openSync(p, 'a'); fs.writeFileSync(fd, 'Z'); fs.appendFileSync(fd, 'W'); fs.closeSync(fd); console.log(fs.readFileSync(p, 'utf8'));
(async () => {
  const fh = await fs.promises.open(p, 'r+'); await fh.write('q'); await fh.writeFile('RS'); console.log(fs.readFileSync(p, 'utf8'));
  await fh.read(Buffer.alloc(2), 0, 2, null); console.log(await fh.readFile('utf8')); await fh.close();
  fs.writeFile(p, 'cb', () => { const fd2 = fs.openSync(p, 'r+'); fs.writeFile(fd2, 'Q', () => { fs.closeSync(fd2); console.log(fs.readFileSync(p, 'utf8')); fs.unlinkSync(p); }); });
})();
"#;

const STANDARD_STREAMS: &str = r#"
const fs = require('fs');
fs.writeFileSync(1, 'via writeFileSync fd 1\n');
fs.writeSync(1, 'via writeSync\n');
fs.appendFileSync(1, 'via appendFileSync\n');
try { fs.writeFileSync('/dev/stdout', 'via /dev/stdout\n'); } catch (e) { console.log('dev stdout', e.code); }
try { console.log(JSON.stringify(fs.readFileSync(0, 'utf8'))); } catch (e) { console.log('stdin', e.code); }
try { console.log(JSON.stringify(fs.readFileSync('/dev/stdin', 'utf8'))); } catch (e) { console.log('dev stdin', e.code); }
process.stdout.write('done\n');
"#;

/// fs.glob / globSync / promises.glob and path.matchesGlob, Node 22's (the version the guest
/// reports; CI's Node 20 has none to compare with), over minimatch as there: patterns walked
/// from their literal prefix, `cwd`, `exclude`, `withFileTypes`, several patterns, absolute
/// ones.
#[tokio::test]
async fn glob_finds_files_as_node_22_does() {
    let v8 = support::spawn().await;
    let dir = oracle::TempDir::new("glob").with_files(&[
        ("tree/a/one.txt", "1"),
        ("tree/a/b/two.txt", "22"),
        ("tree/top.md", "3"),
        ("tree/.hidden.txt", "h"),
        ("main.js", GLOB),
    ]);
    let rt = oracle::runtime_in(&v8, dir.path());
    let code = std::fs::read_to_string(dir.path().join("main.js")).unwrap();
    let options = ExecOptions {
        filename: Some(format!("{}/main.js", oracle::GUEST_DIR)),
        ..Default::default()
    };
    let r = rt.exec_with(&code, options).await.unwrap();
    assert_eq!(r.error_code, None, "{r:?}");
    assert_eq!(
        r.stdout,
        "[ 'a/b/two.txt', 'a/one.txt' ]\n\
         [ 'a', 'top.md' ] [ 'a', 'a/b', 'a/b/two.txt', 'a/one.txt' ]\n\
         [ 'a/one.txt', 'top.md' ] []\n\
         [ 'a/b/two.txt' ]\n\
         [ 'a', 'a/one.txt', 'top.md' ]\n\
         [ 'one.txt:true:a', 'top.md:true:', 'two.txt:true:a/b' ]\n\
         [ 'top.md' ] [ 'a' ] []\n\
         true false false true\n\
         ERR_INVALID_ARG_TYPE\n\
         cb null [ 'a/b', 'a/one.txt' ]\n\
         promise [ 'a/b/two.txt', 'a/one.txt' ]\n",
        "{r:?}"
    );
    v8.dispose().await;
}

const GLOB: &str = r#"
const fs = require('fs'); const path = require('path');
const sorted = (a) => [...a].sort();
const dir = path.join(__dirname, 'tree');
console.log(sorted(fs.globSync('**/*.txt', { cwd: dir })));
console.log(sorted(fs.globSync('*', { cwd: dir })), sorted(fs.globSync('a/**', { cwd: dir })));
console.log(sorted(fs.globSync(['**/*.md', 'a/*.txt'], { cwd: dir })), fs.globSync('nothing/*', { cwd: dir }));
console.log(sorted(fs.globSync(dir + '/**/two.*')).map((p) => path.relative(dir, p)));
console.log(sorted(fs.globSync('**', { cwd: dir, exclude: (p) => p.startsWith('a/b') })));
console.log(sorted(fs.globSync('**/*.{txt,md}', { cwd: dir, withFileTypes: true }).map((d) => d.name + ':' + d.isFile() + ':' + path.relative(dir, d.parentPath))));
console.log(fs.globSync('top.md', { cwd: dir }), fs.globSync('a', { cwd: dir }), fs.globSync('missing.md', { cwd: dir }));
// One after the other: two host walks at once may end in either order.
fs.glob('a/*', { cwd: dir }, (err, m) => {
  console.log('cb', err, sorted(m));
  (async () => { const all = []; for await (const p of fs.promises.glob('**/*.txt', { cwd: dir })) all.push(p); console.log('promise', sorted(all)); })();
});
console.log(path.matchesGlob('/x/y/z.js', '/x/**/*.js'), path.matchesGlob('a.md', '*.js'), path.matchesGlob('.hidden', '*'), path.matchesGlob('a/b', 'a/{b,c}'));
try { fs.globSync(5); } catch (e) { console.log(e.code); }
"#;

#[tokio::test]
async fn fs_vectors_sync_and_async_iterators_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", FS_AND_ASYNC)], "main.js").await;
}

#[tokio::test]
async fn pbkdf2_hkdf_and_hash_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", KEY_DERIVATION)], "main.js").await;
}

#[tokio::test]
async fn key_derivation_stops_at_the_cpu_limit_and_missing_crypto_is_not_supported() {
    let (rt, _v8) = support::runtime().await;
    let options = ExecOptions { cpu_time_limit_ms: Some(50), ..Default::default() };
    let r = rt
        .exec_with("require('crypto').pbkdf2Sync('pw', 'salt', 2000000000, 32, 'sha512')", options)
        .await
        .unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::CpuTimeLimit), "{r:?}");
    let options = ExecOptions { cpu_time_limit_ms: Some(50), ..Default::default() };
    let r = rt
        .exec_with(
            "require('crypto').scryptSync('p', 's', 32, { N: 65536, maxmem: 2 ** 28 })",
            options,
        )
        .await
        .unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::CpuTimeLimit), "{r:?}");
    // scrypt's working memory counts against the session's memory limit.
    let options = ExecOptions { memory_limit: Some(16), ..Default::default() };
    let r = rt
        .exec_with(
            "require('crypto').scryptSync('p', 's', 32, { N: 65536, maxmem: 2 ** 28 })",
            options,
        )
        .await
        .unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::MemoryLimit), "{r:?}");
    let r = rt
        .exec(
            "const c = require('crypto');
             for (const name of ['createDiffieHellman', 'X509Certificate']) {
               try { c[name](); } catch (e) { console.log(name, e.code, e.message); }
             }
             try { c.createECDH('secp521r1'); } catch (e) { console.log(e.code, e.message); }
             try { c.generateKeyPairSync('dsa', { modulusLength: 1024 }); } catch (e) { console.log(e.code, e.message); }
             try { c.createCipheriv('des-ede3-cbc', Buffer.alloc(24), Buffer.alloc(8)); }
             catch (e) { console.log(e.code); }",
        )
        .await
        .unwrap();
    assert_eq!(
        r.stdout,
        "createDiffieHellman ERR_NOT_SUPPORTED crypto.createDiffieHellman() is not supported in secure-exec\n\
         X509Certificate ERR_NOT_SUPPORTED crypto.X509Certificate() is not supported in secure-exec\n\
         ERR_NOT_SUPPORTED The curve secp521r1 is not supported in secure-exec\n\
         ERR_NOT_SUPPORTED Generating dsa key pairs is not supported in secure-exec\n\
         ERR_CRYPTO_UNKNOWN_CIPHER\n",
        "{r:?}"
    );
}

/// Asymmetric keys in node:crypto (RSA, EC on P-256 and P-384, Ed25519): generated, written
/// and read back in every format (PEM, DER, JWK; PKCS #8, SPKI, PKCS #1, SEC 1), signing and
/// verifying (PKCS #1 v1.5, PSS, DER and IEEE P1363 ECDSA), createSign / createVerify (spent
/// after one signature, SHA-224 too), the callback forms, and Node's errors; compared with Node.
#[tokio::test]
async fn asymmetric_keys_sign_and_verify_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", ASYMMETRIC)], "main.js").await;
}

/// createSign and createVerify hash their data as it comes: a stream four times the session's
/// memory limit signs and verifies (gathered until `sign()`, it ended the session).
#[tokio::test]
async fn create_sign_streams_its_data_in_bounded_memory() {
    let (rt, _v8) = support::runtime().await;
    let code = r#"
        const c = require('crypto');
        const { privateKey, publicKey } = c.generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const sign = c.createSign('sha256'), verify = c.createVerify('sha256');
        for (let i = 0; i < 128; i++) {
          const piece = Buffer.alloc(1 << 20, i);
          sign.update(piece);
          verify.update(piece);
        }
        console.log(verify.verify(publicKey, sign.sign(privateKey)));
    "#;
    let options = ExecOptions { memory_limit: Some(32), ..Default::default() };
    let r = rt.exec_with(code, options).await.unwrap();
    assert_eq!((r.error_code, r.stdout.as_str()), (None, "true\n"), "{r:?}");
}

/// A public key read from an X.509 certificate (as JWT libraries verify against an issuer's
/// published certificates): its details, the same key as its private half's, verification.
/// The certificates and keys are self-signed test fixtures, made with `openssl req -x509`.
#[tokio::test]
async fn public_keys_come_from_certificates_as_in_node() {
    let v8 = support::spawn().await;
    let files = [
        ("main.js", CERTIFICATES),
        ("ec.pem", include_str!("../fixtures/certs/ec.pem")),
        ("ec.key", include_str!("../fixtures/certs/ec.key")),
        ("rsa.pem", include_str!("../fixtures/certs/rsa.pem")),
        ("rsa.key", include_str!("../fixtures/certs/rsa.key")),
    ];
    oracle::same_as_node(&v8, &files, "main.js").await;
}

const CERTIFICATES: &str = r#"
const c = require('crypto'); const fs = require('fs'); const path = require('path');
for (const name of ['ec', 'rsa']) {
  const cert = fs.readFileSync(path.join(__dirname, name + '.pem'), 'utf8');
  const key = fs.readFileSync(path.join(__dirname, name + '.key'), 'utf8');
  const pub = c.createPublicKey(cert);
  console.log(name, pub.type, pub.asymmetricKeyType, pub.asymmetricKeyDetails,
    pub.export({ type: 'spki', format: 'pem' }) === c.createPublicKey(key).export({ type: 'spki', format: 'pem' }));
  const sig = c.sign('sha256', Buffer.from('m'), key);
  console.log(c.verify('sha256', Buffer.from('m'), cert, sig), c.verify('sha256', Buffer.from('n'), cert, sig));
  try { c.createPrivateKey(cert); } catch (e) { console.log(e.code, e.message); }
}
"#;

/// RSA encryption (`publicEncrypt` and its siblings, in every padding), ECDH on raw keys
/// (`createECDH` on P-256, P-384 and secp256k1, every point form), `diffieHellman` over EC
/// KeyObjects and secret-key generation, with fixed keys so that points and secrets are
/// compared byte for byte, and Node's errors; compared with Node.
#[tokio::test]
async fn rsa_encryption_and_key_agreement_as_in_node() {
    let v8 = support::spawn().await;
    let files = [("main.js", KEY_EXCHANGE), ("rsa.key", include_str!("../fixtures/certs/rsa.key"))];
    oracle::same_as_node(&v8, &files, "main.js").await;
}

/// Web Crypto's RSA-OAEP and ECDH: keys imported in every format and generated, OAEP
/// ciphertexts that node:crypto decrypts and back, ECDH bits from fixed keys, and Node's
/// refusals; compared with Node.
#[tokio::test]
async fn web_crypto_encryption_and_key_agreement_as_in_node() {
    let v8 = support::spawn().await;
    let files =
        [("main.js", WEB_KEY_EXCHANGE), ("rsa.key", include_str!("../fixtures/certs/rsa.key"))];
    oracle::same_as_node(&v8, &files, "main.js").await;
}

/// X25519 through node:crypto (KeyObjects in JWK, PEM and DER, key pairs, diffieHellman)
/// and Web Crypto (import, export, generate, deriveBits and deriveKey), checked against RFC
/// 7748's test vectors and compared with Node, refusals included.
#[tokio::test]
async fn x25519_as_in_node_and_rfc_7748() {
    let v8 = support::spawn().await;
    let out = oracle::same_as_node(&v8, &[("main.js", X25519)], "main.js").await;
    assert!(
        out.contains(
            "node:crypto 4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        ),
        "{out}"
    );
}

const X25519: &str = r#"
// RFC 7748's test vectors (section 6.1), through node:crypto and Web Crypto.
const c = require('crypto'); const { subtle } = globalThis.crypto;
const b64 = (hex) => Buffer.from(hex, 'hex').toString('base64url');
const alice = { kty: 'OKP', crv: 'X25519', d: b64('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'), x: b64('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a') };
const bob = { kty: 'OKP', crv: 'X25519', d: b64('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'), x: b64('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f') };
const show = async (label, f) => { try { const r = await f(); console.log(label, r instanceof ArrayBuffer || Buffer.isBuffer(r) ? Buffer.from(r).toString('hex') : r); } catch (e) { console.log(label, 'threw', e.name, e.code, e.message); } };
(async () => {
  const a = c.createPrivateKey({ key: alice, format: 'jwk' });
  const bPub = c.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: bob.x }, format: 'jwk' });
  console.log(a.asymmetricKeyType, a.asymmetricKeyDetails, c.createPublicKey(a).export({ format: 'jwk' }).x === alice.x);
  await show('node:crypto', () => c.diffieHellman({ privateKey: a, publicKey: bPub }));
  console.log(a.export({ type: 'pkcs8', format: 'der' }).toString('hex'), bPub.export({ type: 'spki', format: 'der' }).toString('hex'));
  console.log(a.export({ type: 'pkcs8', format: 'pem' }).split('\n').length, Object.keys(a.export({ format: 'jwk' })));
  const back = c.createPrivateKey(a.export({ type: 'pkcs8', format: 'pem' }));
  console.log(back.equals(a), c.createPublicKey(bPub.export({ type: 'spki', format: 'pem' })).equals(bPub));
  await show('sign', () => c.sign(null, Buffer.from('x'), a));
  await show('small order', () => c.diffieHellman({ privateKey: a, publicKey: c.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64('00'.repeat(32)) }, format: 'jwk' }) }));
  await show('x25519 and ec', () => c.diffieHellman({ privateKey: a, publicKey: c.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey }));
  const pair = c.generateKeyPairSync('x25519', { publicKeyEncoding: { type: 'spki', format: 'pem' } });
  console.log(typeof pair.publicKey, pair.privateKey.asymmetricKeyType);
  const wa = await subtle.importKey('jwk', alice, { name: 'X25519' }, true, ['deriveBits']);
  const wb = await subtle.importKey('raw', Buffer.from(bob.x, 'base64url'), { name: 'X25519' }, true, []);
  console.log(wa.algorithm, wa.usages, wb.type, wb.usages);
  await show('subtle', () => subtle.deriveBits({ name: 'X25519', public: wb }, wa, 256));
  await show('subtle 100', () => subtle.deriveBits({ name: 'X25519', public: wb }, wa, 100));
  await show('subtle null', () => subtle.deriveBits({ name: 'X25519', public: wb }, wa, null));
  console.log(Object.keys(await subtle.exportKey('jwk', wa)), Buffer.from(await subtle.exportKey('raw', wb)).toString('hex'));
  console.log(Buffer.from(await subtle.exportKey('spki', wb)).toString('hex'), Buffer.from(await subtle.exportKey('pkcs8', wa)).length);
  const key = await subtle.deriveKey({ name: 'X25519', public: wb }, await subtle.importKey('jwk', alice, { name: 'X25519' }, false, ['deriveKey']), { name: 'AES-GCM', length: 128 }, true, ['encrypt']);
  console.log(Buffer.from(await subtle.exportKey('raw', key)).toString('hex'));
  const g = await subtle.generateKey({ name: 'X25519' }, false, ['deriveKey', 'deriveBits']);
  console.log(g.publicKey.usages, g.privateKey.usages, g.privateKey.extractable);
  await show('bad usage generate', () => subtle.generateKey({ name: 'X25519' }, true, ['sign']));
  await show('bad usage import', () => subtle.importKey('raw', Buffer.from(bob.x, 'base64url'), { name: 'X25519' }, true, ['deriveBits']));
  const e = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
  await show('mixed', () => subtle.deriveBits({ name: 'X25519', public: e.publicKey }, wa, 256));
})();
"#;

/// Ciphertexts cross between Node (OpenSSL) and the guest: what one encrypts to the fixture
/// key, the other decrypts, in OAEP with a label and in privateEncrypt's PKCS #1 v1.5.
#[tokio::test]
async fn rsa_ciphertexts_cross_between_node_and_the_guest() {
    let key = format!("{:?}", include_str!("../fixtures/certs/rsa.key"));
    crossing_node_and_the_guest(
        &format!("const pem = {key};\n{NODE_ENCRYPTS}"),
        |from_node| format!("const pem = {key};\nconst fromNode = {from_node};\n{GUEST_DECRYPTS}"),
        "from node from node signed by node",
        |ours| format!("const pem = {key};\nconst ours = {ours};\n{NODE_DECRYPTS}"),
        "from the guest from the guest signed in the guest\n",
    )
    .await;
}

const NODE_ENCRYPTS: &str = r#"
const c = require('crypto');
process.stdout.write(JSON.stringify({
  oaep: c.publicEncrypt({ key: pem, oaepHash: 'sha256', oaepLabel: Buffer.from('label') }, Buffer.from('from node')).toString('base64'),
  pkcs1: c.publicEncrypt({ key: pem, padding: c.constants.RSA_PKCS1_PADDING }, Buffer.from('from node')).toString('base64'),
  signed: c.privateEncrypt(pem, Buffer.from('signed by node')).toString('base64'),
}));
"#;

const GUEST_DECRYPTS: &str = r#"
const c = require('crypto');
const b = (text) => Buffer.from(text, 'base64');
// Node 20 refuses PKCS #1 v1.5 private decryption; with no padding the block is unpadded here.
const raw = c.privateDecrypt({ key: pem, padding: c.constants.RSA_NO_PADDING }, b(fromNode.pkcs1));
console.log([
  c.privateDecrypt({ key: pem, oaepHash: 'sha256', oaepLabel: Buffer.from('label') }, b(fromNode.oaep)).toString(),
  raw.subarray(raw.indexOf(0, 2) + 1).toString(),
  c.publicDecrypt(pem, b(fromNode.signed)).toString(),
].join(' '));
console.log(JSON.stringify({
  oaep: c.publicEncrypt({ key: pem, oaepHash: 'sha512', oaepLabel: Buffer.from('other') }, Buffer.from('from the guest')).toString('base64'),
  pkcs1: c.publicEncrypt({ key: pem, padding: c.constants.RSA_PKCS1_PADDING }, Buffer.from('from the guest')).toString('base64'),
  signed: c.privateEncrypt(pem, Buffer.from('signed in the guest')).toString('base64'),
}));
"#;

const NODE_DECRYPTS: &str = r#"
const c = require('crypto');
const b = (text) => Buffer.from(text, 'base64');
const raw = c.privateDecrypt({ key: pem, padding: c.constants.RSA_NO_PADDING }, b(ours.pkcs1));
console.log([
  c.privateDecrypt({ key: pem, oaepHash: 'sha512', oaepLabel: Buffer.from('other') }, b(ours.oaep)).toString(),
  raw.subarray(raw.indexOf(0, 2) + 1).toString(),
  c.publicDecrypt(pem, b(ours.signed)).toString(),
].join(' '));
"#;

const KEY_EXCHANGE: &str = r#"
const c = require('crypto'); const fs = require('fs'); const path = require('path');
const show = (label, f) => { try { const r = f(); console.log(label, Buffer.isBuffer(r) ? r.toString('hex') : r); } catch (e) { console.log(label, 'threw', e.name, e.code, e.message, e.library, e.reason); } };
const pem = fs.readFileSync(path.join(__dirname, 'rsa.key'), 'utf8');
const privateKey = c.createPrivateKey(pem);
const publicKey = c.createPublicKey(pem);
const data = Buffer.from('a secret message');
// RSA: round trips in every padding, deterministic forms compared byte for byte.
show('oaep', () => c.privateDecrypt(privateKey, c.publicEncrypt(publicKey, data)).toString());
show('oaep sha256 label', () => c.privateDecrypt({ key: pem, oaepHash: 'sha256', oaepLabel: Buffer.from('label') },
  c.publicEncrypt({ key: publicKey, oaepHash: 'sha256', oaepLabel: Buffer.from('label') }, data)).toString());
show('oaep wrong label', () => c.privateDecrypt({ key: pem, oaepHash: 'sha256' },
  c.publicEncrypt({ key: publicKey, oaepHash: 'sha256', oaepLabel: Buffer.from('label') }, data)));
show('oaep string data', () => c.privateDecrypt(privateKey, c.publicEncrypt(pem, 'text')).toString());
show('oaep length', () => c.publicEncrypt(publicKey, data).length);
show('pkcs1 encrypt', () => c.publicEncrypt({ key: publicKey, padding: c.constants.RSA_PKCS1_PADDING }, data).length);
show('pkcs1 private decrypt', () => c.privateDecrypt({ key: privateKey, padding: c.constants.RSA_PKCS1_PADDING }, Buffer.alloc(256)));
show('privateEncrypt', () => c.privateEncrypt(privateKey, data));
show('publicDecrypt', () => c.publicDecrypt(publicKey, c.privateEncrypt(pem, data)).toString());
show('publicDecrypt by private', () => c.publicDecrypt(privateKey, c.privateEncrypt(privateKey, data)).toString());
const block = Buffer.alloc(256, 3);
show('no padding', () => c.publicEncrypt({ key: publicKey, padding: c.constants.RSA_NO_PADDING }, block));
show('no padding back', () => c.privateDecrypt({ key: privateKey, padding: c.constants.RSA_NO_PADDING },
  c.publicEncrypt({ key: publicKey, padding: c.constants.RSA_NO_PADDING }, block)).equals(block));
show('no padding short', () => c.publicEncrypt({ key: publicKey, padding: 3 }, data));
show('no padding modulus', () => c.publicEncrypt({ key: publicKey, padding: 3 }, Buffer.alloc(256, 255)));
show('too long', () => c.publicEncrypt(publicKey, Buffer.alloc(250)));
show('privateEncrypt too long', () => c.privateEncrypt(privateKey, Buffer.alloc(250)));
show('garbage', () => c.privateDecrypt(privateKey, Buffer.alloc(256, 7)));
show('garbage public', () => c.publicDecrypt(publicKey, Buffer.alloc(256, 7)));
show('bad digest', () => c.publicEncrypt({ key: publicKey, oaepHash: 'nope' }, data));
show('digest type', () => c.publicEncrypt({ key: publicKey, oaepHash: 5 }, data));
show('private for private op', () => c.privateDecrypt(publicKey, data));
const ec = c.createPrivateKey({ key: { kty: 'EC', x: 'CzIdnCLHQzerDcfyjdBOMAg97XteonrWf086LZFYfpU', y: 'b4_1OPEfIDzMlw5E1BgDFKbvDVj0ItSbGtVHhq1Zsx4', crv: 'P-256', d: 'Gt4HoF5HM7nwE4EPGnPxOYjO8HuEVCOHeXl4-whgf74' }, format: 'jwk' });
show('ec key', () => c.publicEncrypt(ec, data));
// ECDH with fixed keys: points and secrets are deterministic.
const jwks = {
  'P-256': [{ kty: 'EC', x: 'CzIdnCLHQzerDcfyjdBOMAg97XteonrWf086LZFYfpU', y: 'b4_1OPEfIDzMlw5E1BgDFKbvDVj0ItSbGtVHhq1Zsx4', crv: 'P-256', d: 'Gt4HoF5HM7nwE4EPGnPxOYjO8HuEVCOHeXl4-whgf74' },
    { kty: 'EC', x: 'WeiR4H_uD8gS8LcBQ3oH3oqibook7_ShJ1pbgX0X-D8', y: 'MetuUy3e10wxVofpsKBpc8K5lHk6bIKaZi1leutCQPA', crv: 'P-256', d: '6M_Uh8c86uy6L8XLtSqpsUgk99u7U5F_Tr2IEWpq1To' }],
  'P-384': [{ kty: 'EC', x: 'RaU4UBdJfYQfsBmZw-jcfnpRxoZhviSA79ERwdaZQXgbz_9lqj62l5qMdelfEUkL', y: 'k7FFSmv87QHiSxbhmD0V4C39NAicGqoHSd5nm2-sQTyhg0TyhcRJowjVrB1VdI74', crv: 'P-384', d: '0hSccKfQBZdgs2cLBc-7IL86lmJp9bOB_rhBEIb6fBiF6DHX5g6VBgkMK8mU_Usq' },
    { kty: 'EC', x: 'Di5KeTuXx-ZTVY1a4LpIU_6z4OFQ8Ze3cSW_8vPukuIaG1NpYbQb6cenGWeCvAiR', y: 'DbZaCONxQLK1kGKHn2DFaHG6kR2wXp-gCnCHi7pajch4NUtTUpVMg4lbZyQoGLg2', crv: 'P-384', d: 'zWRy7jsKSODp0rKdrLRsX30HMf8WApEy70nRtMeaWCwmpsowkI7ReSaQVcrjImZR' }],
};
const scalars = {
  prime256v1: Buffer.from(jwks['P-256'][0].d, 'base64url'),
  secp384r1: Buffer.from(jwks['P-384'][0].d, 'base64url'),
  secp256k1: c.createHash('sha256').update('a fixed secp256k1 key').digest(),
};
const peers = {
  prime256v1: Buffer.from(jwks['P-256'][1].d, 'base64url'),
  secp384r1: Buffer.from(jwks['P-384'][1].d, 'base64url'),
  secp256k1: c.createHash('sha256').update('another secp256k1 key').digest(),
};
for (const curve of ['prime256v1', 'secp384r1', 'secp256k1']) {
  const a = c.createECDH(curve).setPrivateKey(scalars[curve]);
  const b = c.createECDH(curve);
  b.setPrivateKey(peers[curve].toString('hex'), 'hex');
  console.log(curve, a.getPublicKey('hex'), a.getPublicKey('base64', 'compressed'), a.getPublicKey(null, 'hybrid').toString('hex'));
  console.log(' secret', a.computeSecret(b.getPublicKey()).toString('hex'), a.computeSecret(b.getPublicKey('hex', 'compressed'), 'hex', 'base64'),
    b.computeSecret(a.getPublicKey(null, 'hybrid')).equals(a.computeSecret(b.getPublicKey())));
  console.log(' private', a.getPrivateKey('hex') === scalars[curve].toString('hex'), a.getPrivateKey().length);
  console.log(' convert', c.ECDH.convertKey(a.getPublicKey(), curve, null, 'hex', 'compressed'),
    c.ECDH.convertKey(a.getPublicKey('hex', 'compressed'), curve, 'hex', 'hex', 'uncompressed') === a.getPublicKey('hex'));
  const g = c.createECDH(curve); const pub = g.generateKeys();
  const h = c.createECDH(curve); h.generateKeys();
  console.log(' generated', pub.length, g.generateKeys('hex', 'compressed').length, g.computeSecret(h.getPublicKey()).equals(h.computeSecret(g.getPublicKey())));
  show(' bad point', () => a.computeSecret(Buffer.alloc(a.getPublicKey().length, 1)));
  show(' short point', () => a.computeSecret(Buffer.alloc(10, 4)));
  show(' zero private', () => c.createECDH(curve).setPrivateKey(Buffer.alloc(scalars[curve].length)));
  show(' big private', () => c.createECDH(curve).setPrivateKey(Buffer.alloc(scalars[curve].length, 255)));
}
const fresh = c.createECDH('prime256v1');
show('nist name', () => c.createECDH('P-256'));
show('no public', () => fresh.getPublicKey());
show('no private', () => fresh.getPrivateKey());
show('bad format', () => c.createECDH('prime256v1').generateKeys('hex', 'sideways'));
show('bad curve', () => c.createECDH('nonsense'));
show('curve type', () => c.createECDH(5));
show('methods', () => Object.getOwnPropertyNames(c.ECDH.prototype).join(' '));
show('instance', () => c.createECDH('secp256k1') instanceof c.ECDH);
show('null encoding', () => c.createECDH('prime256v1').generateKeys(null).length);
show('curves', () => ['prime256v1', 'secp256k1', 'secp384r1'].every((name) => c.getCurves().includes(name)));
// diffieHellman over KeyObjects.
for (const crv of ['P-256', 'P-384']) {
  const [one, two] = jwks[crv].map((key) => c.createPrivateKey({ key, format: 'jwk' }));
  const s1 = c.diffieHellman({ privateKey: one, publicKey: c.createPublicKey(two) });
  const s2 = c.diffieHellman({ privateKey: two, publicKey: c.createPublicKey(one) });
  // A private key stands for its public half.
  const s3 = c.diffieHellman({ privateKey: one, publicKey: two });
  console.log('diffieHellman', crv, s1.toString('hex'), s1.equals(s2), s1.equals(s3));
}
const p256 = c.createPrivateKey({ key: jwks['P-256'][0], format: 'jwk' });
const p384 = c.createPublicKey({ key: jwks['P-384'][0], format: 'jwk' });
show('dh mismatch', () => c.diffieHellman({ privateKey: p256, publicKey: p384 }));
show('dh not a key', () => c.diffieHellman({ privateKey: 'x', publicKey: p384 }));
show('dh public as private', () => c.diffieHellman({ privateKey: p384, publicKey: p384 }));
show('dh rsa', () => c.diffieHellman({ privateKey, publicKey: p384 }));
// Secret keys.
show('hmac key', () => c.generateKeySync('hmac', { length: 72 }).symmetricKeySize);
show('aes key', () => c.generateKeySync('aes', { length: 192 }).export().length);
show('aes bad', () => c.generateKeySync('aes', { length: 100 }));
show('hmac bad', () => c.generateKeySync('hmac', { length: 7 }));
show('hmac missing', () => c.generateKeySync('hmac', {}));
show('bad type', () => c.generateKeySync('rsa', { length: 8 }));
c.generateKey('aes', { length: 128 }, (err, key) => console.log('async', err, key.type, key.symmetricKeySize));
"#;

const WEB_KEY_EXCHANGE: &str = r#"
const { subtle } = globalThis.crypto;
const fs = require('fs'); const path = require('path'); const nodeCrypto = require('crypto');
const hex = (b) => Buffer.from(b).toString('hex');
const show = async (label, f) => { try { const r = await f(); console.log(label, r instanceof ArrayBuffer ? hex(r) : r); } catch (e) { console.log(label, 'threw', e.name, e.message); } };
const jwks = {
  'P-256': [{ kty: 'EC', x: 'CzIdnCLHQzerDcfyjdBOMAg97XteonrWf086LZFYfpU', y: 'b4_1OPEfIDzMlw5E1BgDFKbvDVj0ItSbGtVHhq1Zsx4', crv: 'P-256', d: 'Gt4HoF5HM7nwE4EPGnPxOYjO8HuEVCOHeXl4-whgf74' },
    { kty: 'EC', x: 'WeiR4H_uD8gS8LcBQ3oH3oqibook7_ShJ1pbgX0X-D8', y: 'MetuUy3e10wxVofpsKBpc8K5lHk6bIKaZi1leutCQPA', crv: 'P-256', d: '6M_Uh8c86uy6L8XLtSqpsUgk99u7U5F_Tr2IEWpq1To' }],
  'P-384': [{ kty: 'EC', x: 'RaU4UBdJfYQfsBmZw-jcfnpRxoZhviSA79ERwdaZQXgbz_9lqj62l5qMdelfEUkL', y: 'k7FFSmv87QHiSxbhmD0V4C39NAicGqoHSd5nm2-sQTyhg0TyhcRJowjVrB1VdI74', crv: 'P-384', d: '0hSccKfQBZdgs2cLBc-7IL86lmJp9bOB_rhBEIb6fBiF6DHX5g6VBgkMK8mU_Usq' },
    { kty: 'EC', x: 'Di5KeTuXx-ZTVY1a4LpIU_6z4OFQ8Ze3cSW_8vPukuIaG1NpYbQb6cenGWeCvAiR', y: 'DbZaCONxQLK1kGKHn2DFaHG6kR2wXp-gCnCHi7pajch4NUtTUpVMg4lbZyQoGLg2', crv: 'P-384', d: 'zWRy7jsKSODp0rKdrLRsX30HMf8WApEy70nRtMeaWCwmpsowkI7ReSaQVcrjImZR' }],
};
(async () => {
  // RSA-OAEP over a fixed key, in each hash; what one side encrypts, node:crypto decrypts.
  const pem = fs.readFileSync(path.join(__dirname, 'rsa.key'), 'utf8');
  const pkcs8 = nodeCrypto.createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  const spki = nodeCrypto.createPublicKey(pem).export({ type: 'spki', format: 'der' });
  for (const hash of ['SHA-1', 'SHA-256', 'SHA-512']) {
    const priv = await subtle.importKey('pkcs8', pkcs8, { name: 'RSA-OAEP', hash }, true, ['decrypt', 'unwrapKey']);
    const pub = await subtle.importKey('spki', spki, { name: 'RSA-OAEP', hash }, true, ['encrypt']);
    console.log(hash, priv.algorithm.name, priv.algorithm.hash, priv.algorithm.modulusLength, priv.usages, pub.usages, pub.type);
    const ct = await subtle.encrypt({ name: 'RSA-OAEP', label: Buffer.from('l') }, pub, Buffer.from('web secret'));
    console.log(' round trip', Buffer.from(await subtle.decrypt({ name: 'RSA-OAEP', label: Buffer.from('l') }, priv, ct)).toString(), ct.byteLength);
    console.log(' node decrypts', nodeCrypto.privateDecrypt({ key: pem, oaepHash: hash.replace('-', '').toLowerCase(), oaepLabel: Buffer.from('l') }, Buffer.from(ct)).toString());
    const fromNode = nodeCrypto.publicEncrypt({ key: pem, oaepHash: hash.replace('-', '').toLowerCase() }, Buffer.from('from node:crypto'));
    console.log(' decrypts node', Buffer.from(await subtle.decrypt('RSA-OAEP', priv, fromNode)).toString());
    const jwk = await subtle.exportKey('jwk', pub);
    console.log(' jwk', Object.keys(jwk).join(' '), jwk.alg, jwk.key_ops, hex(await subtle.exportKey('spki', pub)) === spki.toString('hex'));
    const back = await subtle.importKey('jwk', await subtle.exportKey('jwk', priv), { name: 'RSA-OAEP', hash }, false, ['decrypt']);
    console.log(' jwk back', Buffer.from(await subtle.decrypt('RSA-OAEP', back, fromNode)).toString());
    await show(' wrong label', () => subtle.decrypt('RSA-OAEP', priv, ct));
    await show(' encrypt with private', () => subtle.encrypt('RSA-OAEP', priv, Buffer.from('x')));
    await show(' too long', () => subtle.encrypt('RSA-OAEP', pub, Buffer.alloc(250)));
    await show(' raw', () => subtle.exportKey('raw', pub));
  }
  const pairOaep = await subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['unwrapKey', 'encrypt', 'decrypt']);
  console.log('generated', pairOaep.publicKey.usages, pairOaep.privateKey.usages, pairOaep.privateKey.algorithm.modulusLength);
  await show('bad usage import', () => subtle.importKey('spki', spki, { name: 'RSA-OAEP', hash: 'SHA-1' }, false, ['decrypt']));
  await show('bad usage generate', () => subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign']));
  await show('empty private usages', () => subtle.importKey('pkcs8', pkcs8, { name: 'RSA-OAEP', hash: 'SHA-1' }, false, []));
  // ECDH with fixed keys: the shared bits are deterministic.
  for (const namedCurve of ['P-256', 'P-384']) {
    const [a, b] = jwks[namedCurve];
    const mine = await subtle.importKey('jwk', a, { name: 'ECDH', namedCurve }, true, ['deriveBits', 'deriveKey']);
    const theirs = await subtle.importKey('jwk', { kty: b.kty, crv: b.crv, x: b.x, y: b.y }, { name: 'ECDH', namedCurve }, true, []);
    console.log(namedCurve, mine.algorithm, mine.usages, theirs.type, theirs.usages);
    console.log(' bits', hex(await subtle.deriveBits({ name: 'ECDH', public: theirs }, mine, null)));
    console.log(' 128', hex(await subtle.deriveBits({ name: 'ECDH', public: theirs }, mine, 128)), hex(await subtle.deriveBits({ name: 'ECDH', public: theirs }, mine, 12)));
    const key = await subtle.deriveKey({ name: 'ECDH', public: theirs }, mine, { name: 'HMAC', hash: 'SHA-256', length: 256 }, true, ['sign']);
    console.log(' derived', key.algorithm, hex(await subtle.exportKey('raw', key)));
    const raw = await subtle.exportKey('raw', theirs);
    const viaRaw = await subtle.importKey('raw', raw, { name: 'ECDH', namedCurve }, true, []);
    console.log(' raw', hex(raw), hex(await subtle.deriveBits({ name: 'ECDH', public: viaRaw }, mine, 64)));
    console.log(' jwk', Object.keys(await subtle.exportKey('jwk', mine)).join(' '), (await subtle.exportKey('jwk', theirs)).key_ops);
    const spkiOf = await subtle.exportKey('spki', theirs);
    const pkcs8Of = await subtle.exportKey('pkcs8', mine);
    const again = await subtle.deriveBits({ name: 'ECDH', public: await subtle.importKey('spki', spkiOf, { name: 'ECDH', namedCurve }, false, []) },
      await subtle.importKey('pkcs8', pkcs8Of, { name: 'ECDH', namedCurve }, false, ['deriveBits']), 64);
    console.log(' spki pkcs8', hex(again));
    const node = nodeCrypto.diffieHellman({ privateKey: nodeCrypto.createPrivateKey({ key: a, format: 'jwk' }), publicKey: nodeCrypto.createPublicKey({ key: b, format: 'jwk' }) });
    console.log(' node:crypto agrees', node.toString('hex') === hex(await subtle.deriveBits({ name: 'ECDH', public: theirs }, mine, null)));
    await show(' too many bits', () => subtle.deriveBits({ name: 'ECDH', public: theirs }, mine, 1024));
    await show(' public usage', () => subtle.importKey('raw', raw, { name: 'ECDH', namedCurve }, true, ['deriveBits']));
    await show(' public as base', () => subtle.deriveBits({ name: 'ECDH', public: theirs }, theirs, 128));
  }
  const gen = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits', 'deriveKey']);
  const gen2 = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  console.log('generated', gen.publicKey.usages, gen.privateKey.usages, gen2.privateKey.extractable, gen.publicKey.algorithm);
  console.log('agree', hex(await subtle.deriveBits({ name: 'ECDH', public: gen.publicKey }, gen2.privateKey, 256)) === hex(await subtle.deriveBits({ name: 'ECDH', public: gen2.publicKey }, gen.privateKey, 256)));
  const p384 = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-384' }, true, ['deriveBits']);
  await show('curve mismatch', () => subtle.deriveBits({ name: 'ECDH', public: p384.publicKey }, gen.privateKey, 128));
  await show('no public', () => subtle.deriveBits({ name: 'ECDH' }, gen.privateKey, 128));
  const ecdsa = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  await show('ecdsa public', () => subtle.deriveBits({ name: 'ECDH', public: ecdsa.publicKey }, gen.privateKey, 128));
  await show('empty usages', () => subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, []));
  await show('bad usage', () => subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['sign']));
})();
"#;

/// RSA key generation takes seconds at 4096 bits; a stop reaches it between candidate primes,
/// so the CPU limit ends it at once and the worker goes on serving.
#[tokio::test]
async fn rsa_key_generation_stops_at_the_cpu_limit() {
    let (rt, v8) = support::runtime().await;
    let options = ExecOptions { cpu_time_limit_ms: Some(100), ..Default::default() };
    let started = std::time::Instant::now();
    let r = rt
        .exec_with(
            "for (;;) require('crypto').generateKeyPairSync('rsa', { modulusLength: 4096 })",
            options,
        )
        .await
        .unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::CpuTimeLimit), "{r:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "took {:?}", started.elapsed());
    let r = rt.exec("console.log('alive')").await.unwrap();
    assert_eq!(r.stdout, "alive\n");
    v8.dispose().await;
}

/// Signatures cross between Node and the guest: what one signs with a key the other made,
/// the other verifies.
#[tokio::test]
async fn signatures_made_by_node_verify_here_and_back() {
    crossing_node_and_the_guest(
        NODE_SIGNS,
        |from_node| format!("const fromNode = {from_node};\n{GUEST_CHECKS}"),
        "true true true true true true",
        |ours| format!("const ours = {ours};\n{NODE_CHECKS}"),
        "true true true true\n",
    )
    .await;
}

/// Runs `first` through Node; hands what it printed to the guest's code (`guest`), whose
/// first line must be `head` and whose second Node runs in its turn (`back`), printing
/// `back_expected`.
async fn crossing_node_and_the_guest(
    first: &str,
    guest: impl Fn(&str) -> String,
    head: &str,
    back: impl Fn(&str) -> String,
    back_expected: &str,
) {
    let made = std::process::Command::new("node")
        .args(["-e", first])
        .output()
        .expect("`node` is needed as the oracle for these tests (it is on CI)");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let from_node = String::from_utf8(made.stdout).unwrap();
    let (rt, v8) = support::runtime().await;
    let r = rt.exec(&guest(&from_node)).await.unwrap();
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    let (first_line, ours) = r.stdout.split_once("\n").unwrap();
    assert_eq!(first_line, head, "{}", r.stdout);
    let returned = std::process::Command::new("node").args(["-e", &back(ours)]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&returned.stdout),
        back_expected,
        "{}",
        String::from_utf8_lossy(&returned.stderr)
    );
    v8.dispose().await;
}

const NODE_SIGNS: &str = r#"
const c = require('crypto');
const out = {};
for (const [name, type, opts, alg, extra] of [
  ['rsa', 'rsa', { modulusLength: 2048 }, 'sha256', {}],
  ['pss', 'rsa', { modulusLength: 2048 }, 'sha256', { padding: c.constants.RSA_PKCS1_PSS_PADDING }],
  ['p256', 'ec', { namedCurve: 'P-256' }, 'sha256', {}],
  ['p384', 'ec', { namedCurve: 'P-384' }, 'sha384', { dsaEncoding: 'ieee-p1363' }],
  ['ed', 'ed25519', {}, null, {}],
]) {
  const { privateKey, publicKey } = c.generateKeyPairSync(type, opts);
  const sig = c.sign(alg, Buffer.from('signed by node'), { key: privateKey, ...extra });
  out[name] = { alg, extra, pub: publicKey.export({ type: 'spki', format: 'pem' }), sig: sig.toString('base64'),
    jwk: privateKey.export({ format: 'jwk' }) };
}
process.stdout.write(JSON.stringify(out));
"#;

const GUEST_CHECKS: &str = r#"
const c = require('crypto');
const results = [];
const ours = {};
for (const name of Object.keys(fromNode)) {
  const { alg, extra, pub, sig, jwk } = fromNode[name];
  results.push(c.verify(alg, Buffer.from('signed by node'), { key: pub, ...extra }, Buffer.from(sig, 'base64')));
  if (name === 'rsa') {
    // A key Node wrote as JWK signs here; Node verifies it below.
    const key = c.createPrivateKey({ key: jwk, format: 'jwk' });
    results.push(c.createPublicKey(key).export({ type: 'spki', format: 'pem' }) === pub);
  }
}
for (const [name, type, opts, alg, extra] of [
  ['rsa', 'rsa', { modulusLength: 2048 }, 'sha512', {}],
  ['pss', 'rsa', { modulusLength: 2048 }, 'sha256', { padding: c.constants.RSA_PKCS1_PSS_PADDING }],
  ['p256', 'ec', { namedCurve: 'P-256' }, 'sha256', {}],
  ['ed', 'ed25519', {}, null, {}],
]) {
  const { privateKey, publicKey } = c.generateKeyPairSync(type, opts);
  const sig = c.sign(alg, Buffer.from('signed in the guest'), { key: privateKey, ...extra });
  ours[name] = { alg, extra, pub: publicKey.export({ type: 'spki', format: 'pem' }), sig: sig.toString('base64') };
}
console.log(results.join(' '));
console.log(JSON.stringify(ours));
"#;

const NODE_CHECKS: &str = r#"
const c = require('crypto');
console.log(Object.values(ours).map(({ alg, extra, pub, sig }) =>
  c.verify(alg, Buffer.from('signed in the guest'), { key: pub, ...extra }, Buffer.from(sig, 'base64'))).join(' '));
"#;

const ASYMMETRIC: &str = r#"
const c = require('crypto');
const show = (label, f) => { try { console.log(label, f()); } catch (e) { console.log(label, 'threw', e.code, e.message); } };
for (const [type, opts] of [['rsa', { modulusLength: 1024 }], ['ec', { namedCurve: 'P-256' }], ['ec', { namedCurve: 'secp384r1' }], ['ed25519', {}]]) {
  const { privateKey, publicKey } = c.generateKeyPairSync(type, opts);
  console.log(type, privateKey.type, publicKey.type, privateKey.asymmetricKeyType, privateKey.asymmetricKeyDetails, publicKey.asymmetricKeyDetails);
  const alg = type === 'ed25519' ? null : 'sha256';
  const sig = c.sign(alg, Buffer.from('hello'), privateKey);
  console.log(' verify', c.verify(alg, Buffer.from('hello'), publicKey, sig), c.verify(alg, Buffer.from('hellO'), publicKey, sig), c.verify(alg, Buffer.from('hello'), privateKey, sig));
  const privPem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' });
  console.log(' pem', privPem.split('\n')[0], pubPem.split('\n')[0], c.createPrivateKey(privPem).equals(privateKey), c.createPublicKey(pubPem).equals(publicKey), c.createPublicKey(privPem).equals(publicKey));
  const jwk = privateKey.export({ format: 'jwk' });
  console.log(' jwk', Object.keys(jwk), Object.keys(publicKey.export({ format: 'jwk' })), c.createPrivateKey({ key: jwk, format: 'jwk' }).equals(privateKey), c.createPublicKey({ key: jwk, format: 'jwk' }).equals(publicKey));
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  console.log(' der', Buffer.isBuffer(der), c.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).equals(privateKey));
  if (type === 'rsa') {
    console.log(' pkcs1', privateKey.export({ type: 'pkcs1', format: 'pem' }).split('\n')[0], publicKey.export({ type: 'pkcs1', format: 'pem' }).split('\n')[0]);
    console.log(' pkcs1 back', c.createPrivateKey(privateKey.export({ type: 'pkcs1', format: 'pem' })).equals(privateKey), c.createPublicKey(publicKey.export({ type: 'pkcs1', format: 'pem' })).equals(publicKey));
    const pss = c.sign('sha256', Buffer.from('x'), { key: privateKey, padding: c.constants.RSA_PKCS1_PSS_PADDING });
    console.log(' pss', c.verify('sha256', Buffer.from('x'), { key: publicKey, padding: c.constants.RSA_PKCS1_PSS_PADDING }, pss),
      c.verify('sha256', Buffer.from('x'), { key: publicKey, padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss),
      c.verify('sha256', Buffer.from('x'), publicKey, pss));
    const pss32 = c.sign('sha384', Buffer.from('x'), { key: privateKey, padding: 6, saltLength: c.constants.RSA_PSS_SALTLEN_DIGEST });
    console.log(' pss digest', c.verify('sha384', Buffer.from('x'), { key: publicKey, padding: 6 }, pss32), c.verify('sha384', Buffer.from('x'), { key: publicKey, padding: 6, saltLength: 48 }, pss32));
    const s = c.createSign('RSA-SHA512'); s.update('ab'); s.write(Buffer.from('c')); const sg = s.sign(privateKey, 'base64');
    const v = c.createVerify('sha512'); v.update('abc'); console.log(' sign class', v.verify(pubPem, sg, 'base64'), c.sign('sha512', Buffer.from('abc'), privPem).toString('base64') === sg);
  }
  if (type === 'ec') {
    const p = c.sign('sha256', Buffer.from('x'), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    console.log(' p1363', p.length, c.verify('sha256', Buffer.from('x'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, p), c.verify('sha256', Buffer.from('x'), publicKey, p));
    console.log(' sec1', privateKey.export({ type: 'sec1', format: 'pem' }).split('\n')[0], c.createPrivateKey(privateKey.export({ type: 'sec1', format: 'pem' })).equals(privateKey));
  }
  show(' export none', () => privateKey.export());
  show(' export no type', () => privateKey.export({ format: 'pem' }));
  show(' sign with public', () => c.sign(alg, Buffer.from('x'), publicKey));
  show(' hmac with private', () => c.createHmac('sha256', privateKey));
}
show('garbage', () => c.createPrivateKey('garbage'));
show('bad digest', () => c.createSign('nope'));
show('no modulus', () => c.generateKeyPairSync('rsa', {}));
show('private from keyobject', () => c.createPrivateKey(c.createSecretKey(Buffer.from('k'))));
c.generateKeyPair('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }, (err, pub, priv) => {
  console.log('async', err, typeof pub, typeof priv, pub.split('\n')[0], c.verify(null, Buffer.from('m'), pub, c.sign(null, Buffer.from('m'), priv)));
  c.sign('sha256', Buffer.from('m'), priv, (e, sig) => console.log('sign cb', e, c.verify('sha256', Buffer.from('m'), pub, sig)));
});
console.log(Object.keys(c.constants).filter((k) => k.startsWith('RSA_')).length);
console.log(typeof c.createVerify('sha256').sign, typeof c.createSign('sha256').verify, typeof c.createSign('sha256').sign, typeof c.createVerify('sha256').verify);
{
  const { privateKey, publicKey } = c.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const s = c.createSign('sha256'); s.update('abc'); const sig = s.sign(privateKey);
  show('update after sign', () => s.update('x'));
  show('sign twice', () => s.sign(privateKey));
  const v = c.createVerify('sha256'); v.update('abc');
  console.log('verify once', v.verify(publicKey, sig));
  show('verify twice', () => v.verify(publicKey, sig));
  show('ed25519 sign class', () => c.createSign('sha256').update('a').sign(c.generateKeyPairSync('ed25519').privateKey));
  const sig224 = c.createSign('sha224').update('a').sign(privateKey);
  console.log('sha224', c.verify('sha224', Buffer.from('a'), publicKey, sig224), c.createHash('sha224').update('a').digest('hex'),
    c.createHmac('sha224', 'k').update('a').digest('hex'), c.pbkdf2Sync('p', 's', 2, 16, 'sha224').toString('hex'),
    c.getHashes().includes('sha224'));
  // A long stream, past the size at which a hash runs natively.
  const long = c.createSign('sha384'); const longVerify = c.createVerify('sha384');
  for (let i = 0; i < 40; i++) { const piece = Buffer.alloc(100000, i); long.update(piece); longVerify.update(piece); }
  console.log('long stream', longVerify.verify(publicKey, long.sign(privateKey)));
}
"#;

#[tokio::test]
async fn aes_ciphers_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", AES)], "main.js").await;
}

#[tokio::test]
async fn readline_over_files_streams_and_stdin_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", READLINE)], "main.js").await;
}

#[tokio::test]
async fn async_local_storage_follows_awaits_timers_ticks_and_host_calls_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", ASYNC_LOCAL_STORAGE)], "main.js").await;
}

const ASYNC_LOCAL_STORAGE: &str = r#"
const { AsyncLocalStorage, AsyncResource } = require('async_hooks');
const fs = require('fs');
const seen = {};
const note = (k, v) => { seen[k] = v; };
const als = new AsyncLocalStorage();
process.on('exit', () => { for (const k of Object.keys(seen).sort()) console.log(k, JSON.stringify(seen[k])); });
als.run({ id: 1 }, async () => {
  note('a sync', als.getStore());
  await null;
  note('b after await', als.getStore());
  setTimeout(() => note('c timeout', als.getStore()), 1);
  setImmediate(() => note('d immediate', als.getStore()));
  process.nextTick(() => note('e tick', als.getStore()));
  queueMicrotask(() => note('f microtask', als.getStore()));
  Promise.resolve().then(() => note('g then', als.getStore()));
  fs.readFile(__filename, () => note('h fs callback', als.getStore()));
  await fs.promises.stat(__filename);
  note('i fs promise', als.getStore());
  const interval = setInterval(() => { note('j interval', als.getStore()); clearInterval(interval); }, 1);
  als.run({ id: 2 }, () => setTimeout(() => note('k nested', als.getStore()), 2));
  note('l restored', als.getStore());
});
note('m outside', als.getStore() === undefined);
als.run(5, () => { als.exit(() => note('n exit', als.getStore() === undefined)); note('o inner', als.getStore()); });
const other = new AsyncLocalStorage();
other.enterWith('entered');
note('p enterWith', other.getStore());
setTimeout(() => note('q enterWith timer', other.getStore()), 1);
const snapshot = als.run('snap', () => AsyncLocalStorage.snapshot());
note('r snapshot', snapshot(() => als.getStore()));
const bound = als.run('bound', () => AsyncLocalStorage.bind(() => als.getStore()));
note('s bind', bound());
const resource = als.run('res', () => new AsyncResource('X'));
note('t resource', resource.runInAsyncScope(() => als.getStore()));
const gone = new AsyncLocalStorage();
gone.run('dis', () => { gone.disable(); note('u disabled', gone.getStore() === undefined); });
note('v two storages', (() => { const a = new AsyncLocalStorage(), b = new AsyncLocalStorage(); return a.run(1, () => b.run(2, () => [a.getStore(), b.getStore()])); })());
"#;

#[tokio::test]
async fn diagnostics_channel_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", DIAGNOSTICS_CHANNEL)], "main.js").await;
}

#[tokio::test]
async fn the_stream_module_and_the_standard_descriptors_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", STREAMS_AND_DESCRIPTORS)], "main.js").await;
}

#[tokio::test]
async fn require_resolve_with_paths_as_in_node() {
    let v8 = support::spawn().await;
    let files = [
        ("main.js", RESOLVE_WITH_PATHS),
        ("sub/node_modules/pkg/index.js", "module.exports = 'pkg';"),
        ("other/rel.js", "module.exports = 'rel';"),
    ];
    oracle::same_as_node(&v8, &files, "main.js").await;
}

const RESOLVE_WITH_PATHS: &str = r#"
const path = require('path');
const show = (p) => path.relative(__dirname, p);
console.log(show(require.resolve('pkg', { paths: [path.join(__dirname, 'sub')] })));
console.log(show(require.resolve('pkg', { paths: ['/nonexistent', path.join(__dirname, 'sub', 'deeper')] })));
console.log(show(require.resolve('./rel', { paths: [path.join(__dirname, 'other')] })));
try { require.resolve('pkg', { paths: [path.join(__dirname, 'other')] }); } catch (e) { console.log(e.code); }
try { require.resolve('pkg'); } catch (e) { console.log(e.code); }
console.log(require.resolve('fs', { paths: ['/x'] }));
"#;

#[tokio::test]
async fn stdout_and_stderr_are_writable_streams_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", STDOUT_STREAMS)], "main.js").await;
}

const STDOUT_STREAMS: &str = r#"
const { Readable, Writable, pipeline } = require('stream');
const fs = require('fs');
console.log(typeof process.stdout.on, typeof process.stdout.end, process.stdout.writable, process.stdout.isTTY, process.stderr.fd);
Readable.from(['piped a\n', 'piped b\n']).pipe(process.stdout);
process.stdout.write(Buffer.from('bytes\n'));
process.stdout.write(new Uint8Array([104, 105, 10]));
process.stdout.write('with callback\n', () => console.log('write callback'));
setTimeout(() => {
  fs.writeFileSync('f.txt', 'file through a pipe\n');
  // Last, once the file is through: a pipeline ends its destination, and Node's stdout on a
  // pipe prints nothing after that.
  fs.createReadStream('f.txt')
    .on('end', () => setTimeout(() => pipeline(Readable.from(['through pipeline\n']), process.stdout, () => {}), 1))
    .pipe(process.stdout);
}, 5);
"#;

#[tokio::test]
async fn message_channels_within_the_session_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", MESSAGING)], "main.js").await;
}

#[tokio::test]
async fn require_of_an_es_module_takes_its_module_exports_name_and_argv_starts_with_exec_path() {
    let v8 = support::spawn().await;
    let files = [
        (
            "main.js",
            "const make = require('./factory.mjs');\n\
             const ns = require('./plain.mjs');\n\
             console.log(typeof make, make(2), typeof ns, ns.value, ns.default);\n\
             console.log(process.argv[0] === process.execPath, require('path').basename(process.argv[1]));",
        ),
        (
            "factory.mjs",
            "const make = (n) => n * 21;\nexport default make;\nexport { make as 'module.exports' };",
        ),
        ("plain.mjs", "export const value = 1;\nexport default 'd';"),
    ];
    oracle::same_as_node(&v8, &files, "main.js").await;
}

const MESSAGING: &str = r#"
const out = (...a) => console.log(...a);
out(typeof MessageChannel, typeof MessagePort, typeof BroadcastChannel, typeof MessageEvent);
try { new MessagePort(); } catch (e) { out(e.name, e.code, e.message); }
const { port1, port2 } = new MessageChannel();
port2.onmessage = (event) => {
  out('port2 got', JSON.stringify(event.data), event instanceof MessageEvent, event.data.d instanceof Date);
  port2.postMessage('pong');
};
port1.on('message', (data) => {
  out('port1 got', data);
  port1.close();
});
port1.addEventListener('close', () => out('port1 closed'));
port2.addEventListener('close', () => out('port2 closed'));
port1.postMessage({ a: [1, 2], m: new Map([['k', 1]]), d: new Date(0) });
const a = new BroadcastChannel('news'), b = new BroadcastChannel('news'), c = new BroadcastChannel('other');
b.onmessage = (e) => { out('b got', e.data); a.close(); b.close(); c.close(); };
c.onmessage = () => out('c should not get it');
a.postMessage('hello');
const wt = require('worker_threads');
out(wt.MessageChannel === MessageChannel, wt.isMainThread);
"#;

const DIAGNOSTICS_CHANNEL: &str = r#"
const dc = require('diagnostics_channel');
const { AsyncLocalStorage } = require('async_hooks');
const out = (...a) => console.log(...a);
const ch = dc.channel('my-channel');
out(ch.name, ch.hasSubscribers, dc.hasSubscribers('my-channel'), ch instanceof dc.Channel, dc.channel('my-channel') === ch);
const seen = (msg, name) => out('got', JSON.stringify(msg), name);
dc.subscribe('my-channel', seen);
out(ch.hasSubscribers, dc.hasSubscribers('my-channel'));
ch.publish({ a: 1 });
out(dc.unsubscribe('my-channel', seen), dc.unsubscribe('my-channel', seen), ch.hasSubscribers);
ch.publish({ silent: true });
const als = new AsyncLocalStorage();
ch.bindStore(als, (data) => ({ wrapped: data }));
out(JSON.stringify(ch.runStores({ b: 2 }, (x) => [x, als.getStore()], null, 'arg')));
const tc = dc.tracingChannel('work');
const log = [];
tc.subscribe({ start: (c) => log.push('start'), end: (c) => log.push('end'), asyncStart: () => log.push('asyncStart'), asyncEnd: () => log.push('asyncEnd'), error: (c) => log.push('error ' + c.error.message) });
out(tc.hasSubscribers, tc.traceSync((a, b) => a + b, { n: 1 }, null, 2, 3), log.join());
try { tc.traceSync(() => { throw new Error('bad'); }); } catch (e) { out('threw', e.message, log.join()); }
log.length = 0;
tc.tracePromise(async (x) => x * 2, {}, null, 21).then((v) => {
  out('promise', v, log.join());
  log.length = 0;
  tc.traceCallback((cb) => setTimeout(() => cb(null, 'done'), 1), -1, {}, null, (err, res) => out('callback', err, res, log.join()));
});
"#;

const STREAMS_AND_DESCRIPTORS: &str = r#"
const fs = require('fs'), Stream = require('stream');
const out = (...a) => console.log(...a);
out(Stream === Stream.Readable, Stream.Stream === Stream, typeof Stream.promises.pipeline, require('stream/promises') === Stream.promises);
out(require('_stream_readable') === Stream.Readable, require('_stream_transform') === Stream.Transform);
// An older stream library calls Stream as its base constructor: its own state must survive.
function Legacy() { this._readableState = { mine: true }; Stream.call(this); }
Object.setPrototypeOf(Legacy.prototype, Stream.prototype);
const legacy = new Legacy();
out(legacy._readableState.mine, typeof legacy.pipe, legacy instanceof require('events'));
fs.writeSync(1, 'to stdout through fd 1\n');
fs.writeSync(process.stdout.fd, Buffer.from('bytes through fd ' + process.stdout.fd + '\n'));
out('read from stdin', fs.readSync(0, Buffer.alloc(8)));
out('before callbacks');
fs.write(1, 'async write\n', (err, n) => {
  out('write callback', err, n);
  fs.close(12345, (e) => out('close callback', e.code));
});
"#;

const READLINE: &str = r#"
const fs = require('fs'), readline = require('readline'), { PassThrough, Writable } = require('stream');
const out = (...a) => console.log(...a);
fs.writeFileSync('lines.txt', 'first\nsecond\r\nthird\rfourth\n\nlast without newline');
const fromStdin = readline.createInterface({ input: process.stdin });
fromStdin.on('line', (l) => out('stdin line', l)).on('close', () => out('stdin closed'));
const rl = readline.createInterface({ input: fs.createReadStream('lines.txt'), crlfDelay: Infinity });
const seen = [];
rl.on('line', (line) => seen.push(line));
rl.on('close', async () => {
  out('lines', JSON.stringify(seen));
  let n = 0;
  for await (const line of readline.createInterface({ input: fs.createReadStream('lines.txt') })) { out('iter', n++, JSON.stringify(line)); }
  const input = new PassThrough();
  const written = [];
  const output = new Writable({ write(c, e, cb) { written.push(c.toString()); cb(); } });
  const ask = readline.createInterface({ input, output });
  ask.question('name? ', (answer) => {
    out('answer', answer, JSON.stringify(written));
    ask.close();
  });
  ask.on('line', (l) => out('then line', l));
  ask.on('close', async () => {
    out('closed', ask.closed);
    try { ask.question('again?', () => {}); } catch (e) { out(e.code); }
    const p = require('readline/promises');
    const in2 = new PassThrough();
    const r2 = p.createInterface({ input: in2 });
    setTimeout(() => in2.end('forty two\n'), 1);
    out('promised', await r2.question(''));
    r2.close();
    const cap = []; const s = { write: (d) => { cap.push(d); return true; } };
    readline.cursorTo(s, 3); readline.cursorTo(s, 3, 4); readline.moveCursor(s, -2, 5); readline.moveCursor(s, 1, -1);
    readline.clearLine(s, -1); readline.clearLine(s, 1); readline.clearLine(s, 0); readline.clearScreenDown(s);
    out(JSON.stringify(cap), readline.promises === p);
  });
  input.write('Ada\nLovelace\n');
});
"#;

#[tokio::test]
async fn web_crypto_subtle_symmetric_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", SUBTLE)], "main.js").await;
}

/// Web Crypto's signature algorithms (RSASSA-PKCS1-v1_5, RSA-PSS, ECDSA, Ed25519): keys
/// generated and imported in every format, signatures that Node's and the guest's node:crypto
/// verify too, deterministic signatures from fixed keys, and the refusals; compared with Node.
#[tokio::test]
async fn web_crypto_signatures_as_in_node() {
    let v8 = support::spawn().await;
    let files =
        [("main.js", WEB_SIGNATURES), ("rsa.key", include_str!("../fixtures/certs/rsa.key"))];
    oracle::same_as_node(&v8, &files, "main.js").await;
}

/// What Web Crypto here does not offer is refused as a NotSupportedError naming it.
#[tokio::test]
async fn unsupported_web_crypto_is_refused_clearly() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec(
            "crypto.subtle.generateKey({ name: 'Ed448' }, true, ['sign'])
               .catch((e) => console.log(e.name, e.message))",
        )
        .await
        .unwrap();
    assert_eq!(r.stdout, "NotSupportedError Ed448 is not supported in secure-exec\n", "{r:?}");
}

const WEB_SIGNATURES: &str = r#"
const { subtle } = globalThis.crypto;
const nodeCrypto = require('crypto');
const fs = require('fs');
const path = require('path');
const hex = (b) => Buffer.from(b).toString('hex');
const digest = (b) => nodeCrypto.createHash('sha256').update(Buffer.from(b)).digest('hex').slice(0, 16);
const show = (key) => JSON.stringify([key.type, key.extractable, key.algorithm.name, key.algorithm.namedCurve,
  key.algorithm.modulusLength, key.algorithm.publicExponent && hex(key.algorithm.publicExponent),
  key.algorithm.hash, key.usages]);
(async () => {
  const data = new TextEncoder().encode('signed with web crypto');
  // Fixed keys (PEM fixtures) make deterministic signatures comparable with Node.
  const rsaPkcs8 = nodeCrypto.createPrivateKey(fs.readFileSync(path.join(__dirname, 'rsa.key'))).export({ type: 'pkcs8', format: 'der' });
  const rsa = await subtle.importKey('pkcs8', rsaPkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']);
  console.log('rsa', show(rsa), digest(await subtle.sign('RSASSA-PKCS1-v1_5', rsa, data)));
  const rsaJwk = await subtle.exportKey('jwk', rsa);
  console.log('rsa jwk', Object.keys(rsaJwk).join(','), rsaJwk.alg);
  const rsaPub = await subtle.importKey('jwk', { kty: 'RSA', n: rsaJwk.n, e: rsaJwk.e }, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
  console.log('rsa verify', await subtle.verify('RSASSA-PKCS1-v1_5', rsaPub, await subtle.sign('RSASSA-PKCS1-v1_5', rsa, data), data),
    digest(await subtle.exportKey('spki', rsaPub)));
  for (const [name, params, sigParams] of [
    ['ECDSA', { name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
    ['ECDSA', { name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }],
    ['Ed25519', { name: 'Ed25519' }, { name: 'Ed25519' }],
    ['RSA-PSS', { name: 'RSA-PSS', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, { name: 'RSA-PSS', saltLength: 32 }],
    ['RSASSA-PKCS1-v1_5', { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-512' }, { name: 'RSASSA-PKCS1-v1_5' }],
  ]) {
    const { publicKey, privateKey } = await subtle.generateKey(params, false, ['sign', 'verify']);
    console.log(name, show(publicKey), show(privateKey));
    const sig = await subtle.sign(sigParams, privateKey, data);
    console.log(' verify', await subtle.verify(sigParams, publicKey, sig, data), await subtle.verify(sigParams, publicKey, sig, new Uint8Array(3)),
      sig.byteLength === (name === 'ECDSA' ? (params.namedCurve === 'P-256' ? 64 : 96) : name === 'Ed25519' ? 64 : 128));
    const spki = await subtle.exportKey('spki', publicKey);
    const again = await subtle.importKey('spki', spki, params, true, ['verify']);
    console.log(' spki', show(again), await subtle.verify(sigParams, again, sig, data));
    const jwk = await subtle.exportKey('jwk', publicKey);
    console.log(' jwk', Object.keys(jwk).join(','), jwk.crv, jwk.alg);
    if (name !== 'RSA-PSS' && name !== 'RSASSA-PKCS1-v1_5') {
      const raw = await subtle.exportKey('raw', publicKey);
      const fromRaw = await subtle.importKey('raw', raw, params, true, ['verify']);
      console.log(' raw', raw.byteLength, await subtle.verify(sigParams, fromRaw, sig, data));
    }
    // The same keys in node:crypto: a KeyObject made from the exported SPKI verifies too.
    const keyObject = nodeCrypto.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const nodeAlg = name === 'Ed25519' ? null : name === 'ECDSA' ? sigParams.hash.replace('-', '').toLowerCase() : params.hash.replace('-', '').toLowerCase();
    const options = name === 'ECDSA' ? { dsaEncoding: 'ieee-p1363' } : name === 'RSA-PSS' ? { padding: 6, saltLength: 32 } : {};
    console.log(' node verifies', nodeCrypto.verify(nodeAlg, data, { key: keyObject, ...options }, Buffer.from(sig)));
    for (const attempt of [() => subtle.exportKey('pkcs8', privateKey), () => subtle.sign(sigParams, publicKey, data)]) {
      try { await attempt(); } catch (e) { console.log(' refused', e.name); }
    }
  }
  for (const attempt of [
    () => subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['encrypt']),
    () => subtle.importKey('spki', new Uint8Array(5), { name: 'Ed25519' }, true, ['verify']),
  ]) {
    try { await attempt(); console.log('accepted'); } catch (e) { console.log('refused', e.name); }
  }
})();
"#;

const SUBTLE: &str = r#"
const { subtle } = globalThis.crypto;
const enc = new TextEncoder();
const hex = (b) => Buffer.from(b).toString('hex');
const out = (...a) => console.log(...a);
const attempt = async (name, f) => { try { out(name, await f()); } catch (e) { out(name, 'rejected', e.name, e.message); } };
(async () => {
  const hmacKey = await subtle.importKey('raw', enc.encode('secret'), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign', 'verify']);
  out(hmacKey.type, hmacKey.extractable, JSON.stringify(hmacKey.algorithm), hmacKey.usages, hmacKey instanceof CryptoKey, Object.prototype.toString.call(hmacKey));
  const sig = await subtle.sign('HMAC', hmacKey, enc.encode('data'));
  out('hmac', hex(sig), await subtle.verify('HMAC', hmacKey, sig, enc.encode('data')), await subtle.verify('HMAC', hmacKey, sig, enc.encode('datA')));
  out('jwk', JSON.stringify(await subtle.exportKey('jwk', hmacKey)), hex(await subtle.exportKey('raw', hmacKey)));
  const fromJwk = await subtle.importKey('jwk', { kty: 'oct', k: 'c2VjcmV0', alg: 'HS512' }, { name: 'HMAC', hash: 'SHA-512' }, false, ['sign']);
  out('jwk hs512', hex(await subtle.sign({ name: 'HMAC' }, fromJwk, enc.encode('x'))));
  try { await subtle.exportKey('raw', fromJwk); } catch (e) { out('export non-extractable', e.message); }
  await attempt('wrong usage', () => subtle.verify('HMAC', fromJwk, new Uint8Array(64), enc.encode('x')));
  const aesRaw = new Uint8Array(32).map((_, i) => i);
  for (const name of ['AES-GCM', 'AES-CBC', 'AES-CTR']) {
    const key = await subtle.importKey('raw', aesRaw, name, true, ['encrypt', 'decrypt']);
    const params = name === 'AES-GCM' ? { name, iv: new Uint8Array(12).fill(1), additionalData: enc.encode('aad') }
      : name === 'AES-CBC' ? { name, iv: new Uint8Array(16).fill(2) } : { name, counter: new Uint8Array(16).fill(3), length: 64 };
    for (const text of ['', 'hello', 'a message that is longer than one block of sixteen bytes']) {
      const sealed = await subtle.encrypt(params, key, enc.encode(text));
      const opened = new TextDecoder().decode(await subtle.decrypt(params, key, sealed));
      out(name, text.length, hex(sealed), opened === text);
    }
    out(name, 'jwk', JSON.stringify(await subtle.exportKey('jwk', key)));
  }
  const gcmKey = await subtle.importKey('raw', aesRaw.slice(0, 16), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12), tagLength: 96 }, gcmKey, enc.encode('tag me')));
  out('gcm96', hex(sealed));
  sealed[0] ^= 1;
  await attempt('gcm tampered', () => subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12), tagLength: 96 }, gcmKey, sealed));
  const pbkdf2 = await subtle.importKey('raw', enc.encode('password'), 'PBKDF2', false, ['deriveBits', 'deriveKey']);
  out('pbkdf2', hex(await subtle.deriveBits({ name: 'PBKDF2', salt: enc.encode('salt'), iterations: 1000, hash: 'SHA-256' }, pbkdf2, 256)));
  const derived = await subtle.deriveKey({ name: 'PBKDF2', salt: enc.encode('salt'), iterations: 10, hash: 'SHA-1' }, pbkdf2, { name: 'AES-GCM', length: 128 }, true, ['encrypt']);
  out('deriveKey', JSON.stringify(derived.algorithm), hex(await subtle.exportKey('raw', derived)));
  const hkdf = await subtle.importKey('raw', enc.encode('ikm'), 'HKDF', false, ['deriveBits']);
  out('hkdf', hex(await subtle.deriveBits({ name: 'HKDF', salt: enc.encode('s'), info: enc.encode('i'), hash: 'SHA-384' }, hkdf, 160)));
  const generated = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-384' }, true, ['sign']);
  out('generated', JSON.stringify(generated.algorithm), (await subtle.exportKey('raw', generated)).byteLength);
  const aesGen = await subtle.generateKey({ name: 'AES-CBC', length: 192 }, false, ['encrypt']);
  out('aes generated', JSON.stringify(aesGen.algorithm));
  await attempt('bad aes length', () => subtle.importKey('raw', new Uint8Array(10), 'AES-GCM', false, ['encrypt']));
  await attempt('empty usages', () => subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, []));
  await attempt('bad usage', () => subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['sign']));
  await attempt('unknown', () => subtle.importKey('raw', new Uint8Array(16), 'FOO', false, ['sign']));
  await attempt('extractable pbkdf2', () => subtle.importKey('raw', new Uint8Array(16), 'PBKDF2', true, ['deriveBits']));
})();
"#;

const AES: &str = r#"
const crypto = require('crypto');
const out = (...a) => console.log(...a);
const key = (n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff));
const iv = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const texts = ['', 'a', 'exactly sixteen!', 'a longer message that spans several AES blocks, and then some more.', 'x'.repeat(1000)];
for (const bits of [128, 192, 256]) {
  for (const mode of ['cbc', 'ecb', 'ctr']) {
    const name = `aes-${bits}-${mode}`;
    const v = mode === 'ecb' ? null : iv;
    for (const text of texts) {
      const c = crypto.createCipheriv(name, key(bits / 8), v);
      const enc = Buffer.concat([c.update(text, 'utf8'), c.final()]);
      const d = crypto.createDecipheriv(name, key(bits / 8), v);
      const dec = d.update(enc, undefined, 'utf8') + d.final('utf8');
      out(name, text.length, enc.toString('hex').slice(0, 64), enc.length, dec === text);
    }
  }
}
// streaming in odd pieces equals one shot
for (const name of ['aes-256-cbc', 'aes-128-ctr', 'aes-256-gcm']) {
  const v = name.endsWith('gcm') ? iv.subarray(0, 12) : iv;
  const msg = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'.repeat(5));
  const c = crypto.createCipheriv(name, key(name.includes('128') ? 16 : 32), v);
  const parts = []; for (let i = 0; i < msg.length; i += 7) parts.push(c.update(msg.subarray(i, i + 7)));
  parts.push(c.final());
  out(name, 'pieces', parts.map((p) => p.length).join(','), Buffer.concat(parts).toString('base64').slice(0, 40));
  if (name.endsWith('gcm')) out('tag', c.getAuthTag().toString('hex'));
}
// gcm with aad, odd iv, short tag, and a tampered tag
for (const ivLen of [12, 16, 7]) {
  const c = crypto.createCipheriv('aes-128-gcm', key(16), Buffer.alloc(ivLen, 9), { authTagLength: 12 });
  c.setAAD(Buffer.from('header'));
  const enc = Buffer.concat([c.update('secret message'), c.final()]);
  const tag = c.getAuthTag();
  out('gcm iv', ivLen, enc.toString('hex'), tag.toString('hex'));
  const d = crypto.createDecipheriv('aes-128-gcm', key(16), Buffer.alloc(ivLen, 9), { authTagLength: 12 });
  d.setAAD(Buffer.from('header')); d.setAuthTag(tag);
  out(d.update(enc, undefined, 'utf8') + d.final('utf8'));
  const bad = crypto.createDecipheriv('aes-128-gcm', key(16), Buffer.alloc(ivLen, 9), { authTagLength: 12 });
  bad.setAAD(Buffer.from('headeR')); bad.setAuthTag(tag); bad.update(enc);
  try { bad.final(); } catch (e) { out('tampered', e.message); }
}
out(crypto.createCipheriv('aes256', key(32), iv).update('hi', 'utf8', 'hex'));
const t = (f) => { try { const r = f(); out('ok', r); } catch (e) { out(e.name, e.code, e.message); } };
t(() => crypto.createCipheriv('aes-256-cbc', Buffer.alloc(31), iv));
t(() => crypto.createCipheriv('aes-256-cbc', key(32), Buffer.alloc(15)));
t(() => { const d = crypto.createDecipheriv('aes-256-cbc', key(32), iv); d.update(Buffer.alloc(16)); return d.final(); });
t(() => { const d = crypto.createDecipheriv('aes-256-cbc', key(32), iv); d.update(Buffer.alloc(15)); return d.final(); });
t(() => { const c = crypto.createCipheriv('aes-256-cbc', key(32), iv); c.setAutoPadding(false); c.update(Buffer.alloc(15)); return c.final(); });
t(() => { const c = crypto.createCipheriv('aes-256-cbc', key(32), iv); c.setAutoPadding(false); return c.update(Buffer.alloc(32)).length + c.final().length; });
t(() => { const c = crypto.createCipheriv('aes-256-gcm', key(32), Buffer.alloc(12)); c.update('x'); c.final(); c.final(); });
t(() => crypto.createCipheriv('aes-256-gcm', key(32), Buffer.alloc(12)).getAuthTag());
t(() => crypto.createCipheriv('aes-256-gcm', key(32), Buffer.alloc(0)));
t(() => crypto.createDecipheriv('aes-256-gcm', key(32), Buffer.alloc(12)).setAuthTag(Buffer.alloc(5)));
out(crypto.getCiphers().includes('aes-256-gcm'), crypto.getCiphers().includes('aes128'));
"#;

#[tokio::test]
async fn scrypt_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", SCRYPT)], "main.js").await;
}

#[tokio::test]
async fn util_parse_args_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", PARSE_ARGS)], "main.js").await;
}

#[tokio::test]
async fn performance_marks_measures_and_observers_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", PERFORMANCE)], "main.js").await;
}

const PERFORMANCE: &str = r#"
const { performance, PerformanceObserver, PerformanceMark } = require('perf_hooks');
const out = (...a) => console.log(...a);
const observer = new PerformanceObserver((list, o) => {
  // Sorted: entries made within one clock step may tie on startTime.
  out('observed', list.getEntries().map((e) => e.entryType + ':' + e.name).sort().join(), list.getEntriesByType('measure').length);
  o.disconnect();
});
observer.observe({ entryTypes: ['mark', 'measure'] });
const m = performance.mark('a', { detail: { x: 1 } });
out(Object.keys(m), m.constructor.name, m.entryType, m.duration, m.detail, typeof m.startTime, JSON.stringify(Object.keys(m.toJSON())), m instanceof PerformanceMark);
performance.mark('b');
const me = performance.measure('a to b', 'a', 'b');
out(me.constructor.name, me.entryType, typeof me.duration, me.duration >= 0, me.detail);
const fixed = performance.measure('fixed', { start: 'a', duration: 15, detail: 'd' });
out(fixed.startTime === m.startTime, Math.round(fixed.duration), fixed.detail);
out(performance.getEntriesByName('a').length, performance.getEntriesByType('mark').length, performance.getEntries().length);
performance.clearMarks('a');
out(performance.getEntriesByType('mark').map((e) => e.name));
performance.clearMeasures();
out(performance.getEntriesByType('measure').length);
try { performance.measure('x', 'nope'); } catch (e) { out(e.name, e.code, e.message); }
out(typeof performance.timerify, performance.timerify((a, b) => a + b)(2, 3), PerformanceObserver.supportedEntryTypes.includes('mark'));
"#;

#[tokio::test]
async fn path_win32_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", PATH_WIN32)], "main.js").await;
}

/// A tick queued by a promise job (a stream resumed after an `await`) still runs before the
/// session ends, as in Node; fs streams close with a callback.
#[tokio::test]
async fn ticks_queued_by_promise_jobs_run_and_fs_streams_close_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", TICKS_AND_CLOSE)], "main.js").await;
}

const TICKS_AND_CLOSE: &str = r#"
const fs = require('fs');
(async () => {
  await null;
  process.nextTick(() => {
    console.log('tick queued by a promise job');
    Promise.resolve().then(() => process.nextTick(() => console.log('and the tick its job queued')));
  });
})();
process.on('exit', () => console.log('exit last'));
fs.writeFileSync('s.txt', 'stream me');
const rs = fs.createReadStream('s.txt');
rs.on('data', (d) => console.log('data', d.toString()));
rs.on('end', () => rs.close((err) => {
  console.log('read stream closed', err);
  fs.unlinkSync('s.txt');
  // After the read stream, so that the two streams' host calls cannot race.
  const ws = fs.createWriteStream('w.txt');
  ws.write('abc');
  ws.close(() => { console.log('write stream closed', fs.readFileSync('w.txt', 'utf8')); fs.unlinkSync('w.txt'); });
}));
"#;

/// Timers are Node's Timeout and Immediate objects: unref'd ones keep nothing alive, refresh
/// restarts the wait, and a timer is cleared by object, number or close().
#[tokio::test]
async fn timers_are_timeout_objects_with_ref_and_unref_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", TIMERS)], "main.js").await;
}

const TIMERS: &str = r#"
const out = (...a) => console.log(...a);
const t = setTimeout(() => out('never fires: unref and nothing else keeps the session'), 100000);
out(typeof t, typeof t.unref, t.hasRef(), t.unref() === t, t.hasRef(), t.ref().hasRef());
t.unref();
const i = setInterval(() => {}, 50).unref();
const im = setImmediate(() => out('immediate fires'));
out(typeof im, im.hasRef(), typeof im.unref);
// Wide gaps, so that a busy machine cannot reorder them.
const early = setTimeout(() => out('refreshed timer fires once'), 200);
setTimeout(() => early.refresh(), 50);
const cleared = setTimeout(() => out('cleared: never'), 5);
clearTimeout(+cleared === Number(cleared) ? cleared : cleared);
const byNumber = setTimeout(() => out('cleared by its number: never'), 5);
clearTimeout(Number(byNumber));
const closed = setTimeout(() => out('closed: never'), 5); closed.close();
const unrefFires = setTimeout(() => out('an unref timer fires while something else keeps the session'), 100);
unrefFires.unref();
setTimeout(() => out('last ref timer'), 450);
const signal = AbortSignal.timeout(100000);
out('signal', signal.aborted);
"#;

#[tokio::test]
async fn console_table_and_max_array_length_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", CONSOLE_TABLE)], "main.js").await;
}

const CONSOLE_TABLE: &str = r#"
console.table([{ a: 1, b: 'x' }, { a: 22 }]);
console.table({ r1: { c: 1 }, r2: { d: [1, 2] } });
console.table([1, 'two', { x: 3 }]);
console.table([{ a: 1, b: 2 }], ['b']);
console.table('not tabular');
console.table([]);
console.table(new Map([['k', { v: 1 }]]));
console.table(new Set(['s', 2]));
console.table([[1, 2], [3, 4, 5]]);
console.table([{ name: 'deep', obj: { p: 1, q: 2, r: 3 }, arr: [1, 2, 3, 4, 5] }]);
console.group('grouped');
console.table([{ a: 1 }]);
console.groupEnd();
const { Console } = require('console');
const lines = [];
new Console({ stdout: new (require('stream').Writable)({ write(c, e, cb) { lines.push(c.toString()); cb(); } }) }).table([{ z: true }]);
console.log(require('util').inspect([1, 2, 3, 4, 5, 6, 7, 8], { maxArrayLength: 2 }), require('util').inspect(new Set([1, 2, 3]), { maxArrayLength: 1 }));
setTimeout(() => process.stdout.write(lines.join('')), 1);
"#;

const PATH_WIN32: &str = r#"
const path = require('path');
const w = path.win32;
const cases = ['', '.', '..', 'C:', 'C:\\', 'C:/', 'c:\\foo\\bar.txt', 'C:\\foo\\..\\bar\\.\\baz\\', 'C:foo\\bar', '\\', '/', '//',
  '\\\\server\\share', '\\\\server\\share\\', '\\\\server\\share\\dir\\file.tar.gz', '//server/share/x', '\\\\server', 'foo/bar\\baz',
  'foo\\..\\..\\x', '.\\a\\.\\b\\..', 'a\\b\\', '.hidden', 'dir\\.hidden', 'file.', 'archive.tar.gz', 'C:\\path\\to\\..\\..\\..\\up', '/abs/unix/style.js', 'C:..\\x'];
for (const p of cases) {
  console.log(JSON.stringify([p, w.normalize(p), w.isAbsolute(p), w.dirname(p), w.basename(p), w.basename(p, '.gz'), w.extname(p), w.parse(p)]));
}
const joins = [['C:\\', 'foo', '..', 'bar'], ['\\\\server', 'share', 'x'], ['//server/share', 'x'], ['a', '', 'b\\', '/c'], ['', ''], ['\\', '\\\\x'], ['foo', '../../..']];
for (const args of joins) console.log(JSON.stringify([args, w.join(...args)]));
const absolute = [['C:\\a\\b', 'C:\\a\\c\\d'], ['C:\\a', 'D:\\b'], ['C:\\orandea\\test\\aaa', 'C:\\orandea\\impl\\bbb'], ['\\\\srv\\sh\\a', '\\\\srv\\sh\\a\\b'], ['C:\\A\\b', 'c:\\a\\B\\c']];
for (const [a, b] of absolute) console.log(JSON.stringify([a, b, w.relative(a, b), w.resolve(a, b), w.resolve(b, '..', 'x')]));
console.log(w.format({ root: 'C:\\', dir: 'C:\\path\\dir', base: 'file.txt' }), w.format({ root: 'C:\\', name: 'file', ext: 'txt' }), w.sep, w.delimiter);
console.log(w.toNamespacedPath('C:\\a\\b'), w.toNamespacedPath('\\\\srv\\sh\\x'), w.win32 === w, w.posix === path.posix, require('path/win32') === w, path.posix.win32 === w);
try { w.join(1); } catch (e) { console.log(e.code); }
"#;

const PARSE_ARGS: &str = r#"
const { parseArgs } = require('util');
const out = (v) => console.log(JSON.stringify(v));
const options = { verbose: { type: 'boolean', short: 'v' }, name: { type: 'string', short: 'n', default: 'anon' }, tag: { type: 'string', multiple: true } };
out(parseArgs({ args: ['-v', '--name', 'ada', '--tag', 'a', '--tag=b', 'file.txt'], options, allowPositionals: true }));
out(parseArgs({ args: ['-vn', 'x'], options }));
out(parseArgs({ args: ['--color', '--', '--literal'], options: { color: { type: 'boolean' } }, allowPositionals: true, tokens: true }).tokens);
out(parseArgs({ args: [], options }).values);
for (const args of [['--unknown'], ['--name'], ['pos']]) {
  try { parseArgs({ args, options }); } catch (e) { console.log(e.code, e.message); }
}
out(parseArgs({ args: ['--unknown', 'x'], strict: false }));
"#;

const SCRYPT: &str = r#"
const c = require('crypto');
const t = (n, f) => { try { const r = f(); console.log(n, Buffer.isBuffer(r) ? r.toString('hex') : r); } catch (e) { console.log(n, e.name, e.code, e.message); } };
t('default', () => c.scryptSync('password', 'salt', 16));
t('N1024', () => c.scryptSync('password', 'salt', 32, { N: 1024, r: 8, p: 16 }));
t('rfc 7914 vector 1', () => c.scryptSync('', '', 64, { N: 16, r: 1, p: 1 }));
t('rfc 7914 vector 2', () => c.scryptSync('password', 'NaCl', 64, { N: 1024, r: 8, p: 16 }));
t('cost alias', () => c.scryptSync('pw', 's', 8, { cost: 32, blockSize: 2, parallelization: 3 }));
t('zeros are defaults', () => c.scryptSync('p', 's', 8, { r: 0, p: 0, N: 0 }));
t('not pow2', () => c.scryptSync('p', 's', 8, { N: 1000 }));
t('N=1', () => c.scryptSync('p', 's', 8, { N: 1 }));
t('maxmem', () => c.scryptSync('p', 's', 8, { N: 32768, r: 8 }));
t('maxmem ok', () => c.scryptSync('p', 's', 8, { N: 32768, r: 8, maxmem: 64 * 1024 * 1024 }).length);
t('just under', () => c.scryptSync('p', 's', 8, { N: 16384, r: 8, p: 1, maxmem: 16 * 1024 * 1024 + 128 * 8 * 2 + 128 * 8 - 1 }));
t('both', () => c.scryptSync('p', 's', 8, { N: 16, cost: 16 }));
t('keylen', () => c.scryptSync('p', 's', -1));
const key = c.scryptSync('a password', 'salt', 32);
const cipher = c.createCipheriv('aes-256-cbc', key, Buffer.alloc(16, 0));
console.log('docs example', cipher.update('some clear text data', 'utf8', 'hex') + cipher.final('hex'));
c.scrypt('p', 's', 8, { N: 16 }, (e, k) => console.log('cb', e, k.toString('hex')));
c.scrypt('p', 's', 8, (e, k) => console.log('cb default', e, k.toString('hex')));
"#;

const KEY_DERIVATION: &str = r#"
const crypto = require('crypto');
const out = (...a) => console.log(...a);
out(crypto.pbkdf2Sync('secret', 'salt', 1000, 32, 'sha256').toString('hex'));
out(crypto.pbkdf2Sync(Buffer.from('pw'), Buffer.from('s'), 1, 70, 'sha512').toString('base64'));
out(crypto.pbkdf2Sync('p', 's', 2, 20, 'SHA1').toString('hex'), crypto.pbkdf2Sync('p', 's', 3, 16, 'md5').toString('hex'));
out(crypto.pbkdf2Sync('p', 's', 1, 0, 'sha256').length);
for (const args of [['p', 's', 0, 10, 'sha256'], ['p', 's', 1, -1, 'sha256'], ['p', 's', 1, 10, 'nope'], ['p', 's', 1, 10], ['p', 's', 1.5, 10, 'sha256']]) {
  try { crypto.pbkdf2Sync(...args); out('no error'); } catch (e) { out(e.name, e.code, e.message); }
}
out(Buffer.from(crypto.hkdfSync('sha256', 'key', 'salt', 'info', 42)).toString('hex'));
out(Buffer.from(crypto.hkdfSync('sha512', Buffer.alloc(0), '', '', 64)).toString('hex'));
try { crypto.hkdfSync('sha256', 'k', 's', 'i', 255 * 32 + 1); } catch (e) { out(e.name, e.code, e.message); }
try { crypto.hkdfSync('sha256', 'k', 's', Buffer.alloc(1025), 1); } catch (e) { out(e.name, e.code, e.message); }
out(crypto.hash('sha1', 'abc'), crypto.hash('md5', Buffer.from('abc'), 'base64'), crypto.hash('sha256', 'x', 'buffer').length);
// One after another: Node's thread pool may finish jobs started together in any order.
const buf = Buffer.alloc(8);
crypto.pbkdf2('a', 'b', 10, 8, 'sha256', (err, key) => {
  out('cb', err, key.toString('hex'));
  crypto.hkdf('sha256', 'a', 'b', 'c', 8, (err, key) => {
    out('hkdf cb', err, key instanceof ArrayBuffer, Buffer.from(key).toString('hex'));
    crypto.randomFill(buf, (err, b) => out('randomFill', err, b === buf, b.length));
  });
});
const k = crypto.createSecretKey('abc', 'utf8');
out(k.type, k.symmetricKeySize, k.export().toString(), JSON.stringify(k.export({ format: 'jwk' })), k.equals(crypto.createSecretKey(Buffer.from('abc'))), k instanceof crypto.KeyObject);
out(crypto.createHmac('sha256', k).update('x').digest('hex') === crypto.createHmac('sha256', 'abc').update('x').digest('hex'));
try { crypto.pbkdf2Sync(k, 'salt', 2, 8, 'sha1'); } catch (e) { out(e.code); }
out(Buffer.from(crypto.hkdfSync('sha256', k, 's', 'i', 8)).toString('hex'));
"#;

const PROCESS_AND_UTIL: &str = r#"
const fs = require('fs'), os = require('os'), util = require('util'), events = require('events');
const { Buffer } = require('buffer');
const out = (...a) => console.log(...a);
// Classes keep Node's names (the bundle they come from renamed some).
out(Buffer.name, Buffer.from('x').constructor.name, globalThis.Buffer.name, require('assert').AssertionError.name,
  require('assert/strict').AssertionError.name);
// process
out(typeof process.getuid(), process.getuid() === process.geteuid(), Array.isArray(process.getgroups()));
out(process.mainModule === module, typeof process.constrainedMemory(), typeof process.availableMemory());
out(Object.keys(process.resourceUsage()).join());
out(process.kill(process.pid, 0));
try { process.kill(424242, 0); } catch (e) { out(e.code, e.errno, e.syscall, e.message); }
out(process.getBuiltinModule('node:path') === require('path'), process.getBuiltinModule('nope'));
out(process.hasUncaughtExceptionCaptureCallback(), process.sourceMapsEnabled, process.allowedNodeEnvironmentFlags instanceof Set);
fs.writeFileSync('.env', 'A=1\nexport B="two\\nlines"\n# c\nC = spaced value # comment\nD=\'single #x\'\nE=`back`\nF="multi\nline"\nG=\nH\nI=a=b\n  J=  trimmed  \nA=override\n');
process.env.C = 'preset';
process.loadEnvFile('.env');
out(JSON.stringify([process.env.A, process.env.B, process.env.C, process.env.F, process.env.J]));
out(JSON.stringify(util.parseEnv(fs.readFileSync('.env', 'utf8'))));
try { process.loadEnvFile('missing.env'); } catch (e) { out(e.code, e.syscall); }
// os / constants
out(os.constants.signals.SIGTERM, os.constants.errno.ENOENT, os.constants.priority.PRIORITY_HIGH, Object.keys(os.constants).join());
const c = require('constants'); out(c.ENOENT, c.SIGINT, c.O_CREAT, c.RTLD_NOW);
out(fs.constants.S_IRWXU, fs.constants.O_DIRECTORY, Object.keys(fs.constants).length);
// util
out(util.getSystemErrorName(-2), util.getSystemErrorName(-13), util.getSystemErrorName(-9999));
out(util.getSystemErrorMap().get(-17), util.getSystemErrorMap().size);
try { util.getSystemErrorName(2); } catch (e) { out(e.code); }
out(util.formatWithOptions({ depth: 0 }, 'x %O', { a: { b: 1 } }), util.formatWithOptions({ depth: 0 }, { a: { b: 1 } }));
out(util.stripVTControlCharacters('\u001b[31mred\u001b[39m and \u001b]8;;http://x\u0007link\u001b]8;;\u0007'));
out(JSON.stringify(util.styleText('red', 'hi')), JSON.stringify(util.styleText(['bold', 'green'], 'ok', { validateStream: false })));
try { util.styleText('nocolor', 'x'); } catch (e) { out(e.code); }
out(util.toUSVString('a\ud800b'), typeof util.debug);
"#;

const LIBRARIES: &str = r#"
const fs = require('fs'), os = require('os'), util = require('util'), events = require('events');
const { Buffer } = require('buffer');
const out = (...a) => console.log(...a);
// events
const e = new events.EventEmitter();
e.on(events.errorMonitor, (err) => out('monitor', err.message));
e.on('error', (err) => out('error', err.message));
e.emit('error', new Error('boom'));
out(events.getEventListeners(e, 'error').length, events.captureRejectionSymbol.toString(), events.usingDomains);
const et = new EventTarget(); const fn = () => {}; et.addEventListener('x', fn);
out(events.getEventListeners(et, 'x')[0] === fn);
events.setMaxListeners(5, e); out(e.getMaxListeners(), events.getMaxListeners(e));
// buffer
const buffer = require('buffer');
out(buffer.atob('aGk='), buffer.btoa('hi'), buffer.kStringMaxLength, buffer.constants.MAX_STRING_LENGTH);
out(buffer.isUtf8(Buffer.from('h\u00e9')), buffer.isUtf8(Buffer.from([0xff])), buffer.isAscii(Buffer.from('abc')), buffer.isAscii(Buffer.from('\u00e9')));
out(buffer.transcode(Buffer.from('h\u00e9'), 'utf8', 'latin1'), typeof buffer.Blob, typeof buffer.File);
// stream
const stream = require('stream');
const r = new stream.Readable({ read() {} }); out(stream.isDestroyed(r)); r.destroy(); out(stream.isDestroyed(r));
out(stream.getDefaultHighWaterMark(false), stream.getDefaultHighWaterMark(true), stream.isWritable(new stream.PassThrough()));
// zlib
const zlib = require('zlib');
out(zlib.crc32('hello'), zlib.crc32('world', zlib.crc32('hello ')), zlib.codes.Z_DATA_ERROR, zlib.codes['-3']);
out(typeof zlib.Gzip, zlib.gunzipSync(zlib.gzipSync('zz')).toString());
// path, url, module
out(require('path').toNamespacedPath('/a/b'));
out(JSON.stringify(require('url').urlToHttpOptions(new URL('http://u:p@[::1]:8080/a?b=1#h'))));
const m = require('module'); out(JSON.stringify(m.globalPaths.slice(0, 0)), m.findSourceMap('/x'), typeof m.syncBuiltinESMExports);
// http2's protocol constants are there for clients that read them at their top
const h2 = require('http2'); out(h2.constants.HTTP2_HEADER_AUTHORITY, h2.constants.NGHTTP2_CANCEL, h2.constants.HTTP_STATUS_OK, typeof h2.sensitiveHeaders, Object.keys(h2.constants).length);
// console
const { Console } = require('console');
const lines = []; const sink = new (require('stream').Writable)({ write(chunk, enc, cb) { lines.push(chunk.toString()); cb(); } });
const con = new Console({ stdout: sink, stderr: sink });
con.log('a %d', 1); con.group('g'); con.error({ b: 2 }); con.groupEnd(); con.count(); con.count();
out(JSON.stringify(lines), console.Console === Console, typeof console.groupCollapsed);
"#;

const FS_AND_ASYNC: &str = r#"
const fs = require('fs'), os = require('os'), util = require('util'), events = require('events');
const { Buffer } = require('buffer');
const out = (...a) => console.log(...a);
// fs
const fd = fs.openSync('v.txt', 'w+');
out(fs.writevSync(fd, [Buffer.from('ab'), Buffer.from('cd')]));
fs.fsyncSync(fd); fs.fdatasyncSync(fd);
const a = Buffer.alloc(3), b = Buffer.alloc(3);
out(fs.readvSync(fd, [a, b], 0), a.toString(), b.toString('utf8', 0, 1));
fs.closeSync(fd);
try { fs.fsyncSync(fd); } catch (err) { out(err.code, err.syscall); }
for (const name of ['chmodSync', 'lchownSync', 'futimesSync', 'statfsSync']) out(name, typeof fs[name]);
const rs = fs.createReadStream('v.txt'); out(typeof fs.ReadStream, typeof fs.WriteStream); rs.destroy();
// async parts
(async () => {
  const em = new events.EventEmitter();
  setTimeout(() => { em.emit('tick', 1); em.emit('tick', 2); em.emit('error', new Error('stop')); }, 1);
  try { for await (const [v] of events.on(em, 'tick')) out('tick', v); } catch (err) { out('ended', err.message); }
  const { setInterval: every } = require('timers/promises');
  let n = 0; for await (const v of every(1, 'x')) { out('interval', v); if (++n === 3) break; }
  await new Promise((res) => fs.fsync(fs.openSync('v.txt', 'r'), (err) => { out('fsync cb', err); res(); }));
  const fh = await fs.promises.open('v.txt', 'r'); await fh.sync(); const got = await fh.readv([Buffer.alloc(2)], 2); out(got.bytesRead, got.buffers[0].toString()); await fh.close();
  const blob = await fs.openAsBlob('v.txt'); out(blob.size, await blob.text());
  const ac = new AbortController(); setTimeout(() => ac.abort(), 1); await util.aborted(ac.signal, {}); out('aborted');
  const disposable = events.addAbortListener(ac.signal, () => out('abort listener')); out(typeof disposable);
  await new Promise((res) => setTimeout(res, 5));
  process.setUncaughtExceptionCaptureCallback((err) => out('captured', err.message));
  setTimeout(() => { throw new Error('late'); }, 1);
})();
"#;

/// `v8.getHeapStatistics()` describes the session's own heap and its limit, with Node's keys.
#[tokio::test]
async fn v8_heap_statistics_describe_the_session() {
    let (rt, _v8) = support::runtime().await;
    let options = ExecOptions { memory_limit: Some(64), ..Default::default() };
    let r = rt
        .exec_with(
            "const s = require('v8').getHeapStatistics();
             console.log(s.heap_size_limit, s.used_heap_size > 0, s.used_heap_size <= s.total_heap_size,
               s.total_available_size > 0 && s.total_available_size < s.heap_size_limit, Object.keys(s).length);",
            options,
        )
        .await
        .unwrap();
    assert_eq!(r.stdout, format!("{} true true true 14\n", 64 * 1024 * 1024), "{r:?}");
}

const ASSERT_MESSAGES: &str = r#"const assert = require('assert');
const cases = [
  () => assert.strictEqual(1, 2),
  () => assert.strictEqual('a\nb', 'a\nc'),
  () => assert.strictEqual(2, 3, 'custom message'),
  () => assert.deepStrictEqual({ a: 1 }, { a: 2 }),
  () => assert.deepStrictEqual([1, 'x', null], [1, 'y', undefined]),
  () => assert.deepStrictEqual({ a: 1, b: { c: [1, 2, 3] }, d: 'long string here' }, { a: 1, b: { c: [1, 2, 4] }, d: 'long string here' }),
  () => assert.deepEqual({ a: 1 }, { a: '2' }),
  () => assert.equal(1, 2),
  () => assert.notStrictEqual(1, 1),
  () => assert.ok(0, 'zero'),
  () => assert.throws(() => {}),
  () => assert.match('abc', /x/),
  () => assert.strictEqual({ a: 1 }, { a: 1 }),
  () => assert.deepStrictEqual(new Map([[1, 2]]), new Map([[1, 3]])),
  () => assert.strictEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].join(','), 'x'),
  () => assert.deepStrictEqual(Array.from({ length: 30 }, (_, i) => i), Array.from({ length: 30 }, (_, i) => i === 15 ? -1 : i)),
  () => assert.notDeepStrictEqual({ a: 1 }, { a: 1 }),
  () => assert.fail(),
  () => assert.strictEqual(NaN, 0),
  () => assert.deepStrictEqual('x'.repeat(10), 'y'),
];
for (const c of cases) {
  try { c(); console.log('no throw'); } catch (e) { console.log(JSON.stringify([e.message, e.generatedMessage, e.operator])); }
}
"#;

const ASSERT_THROWS: &str = r#"const assert = require('assert');
const show = (f) => { try { f(); console.log('no throw'); } catch (e) { console.log(JSON.stringify([e.message, e.generatedMessage, e.operator, e.name, e.code])); } };
show(() => assert.throws(() => { throw new Error('x'); }, { message: 'y' }));
show(() => assert.throws(() => { throw new TypeError('x'); }, RangeError));
show(() => assert.throws(() => { throw new Error('abc'); }, /zzz/));
show(() => assert.doesNotThrow(() => { throw new Error('oops'); }));
show(() => assert.deepStrictEqual(new Error('a'), new Error('b')));
show(() => assert.deepStrictEqual('a'.repeat(100), 'a'.repeat(99) + 'b'));
show(() => assert.deepStrictEqual({ s: new Set([1, 2]) }, { s: new Set([1, 3]) }));
show(() => assert.deepStrictEqual([{ a: 1, b: 2 }, { c: 3 }], [{ a: 1, b: 2 }, { c: 4 }]));
show(() => assert.notEqual(1, 1));
show(() => assert.notDeepEqual({ a: 1 }, { a: 1 }));
show(() => assert.strictEqual(-0, 0));
show(() => assert.ifError(new Error('if error')));
show(() => assert.strict.equal(1, '1'));
show(() => assert.deepStrictEqual(Symbol('a'), Symbol('a')));
show(() => assert.strictEqual(undefined, null));
show(() => assert.deepStrictEqual(Buffer.from('ab'), Buffer.from('ac')));
show(() => assert.deepStrictEqual(new Date(0), new Date(1)));
try { assert.strictEqual(1, 2); } catch (e) { console.log(e.stack.split('\n')[0]); console.log(String(e)); console.log(require('util').inspect(e).split('\n').filter((l) => !l.includes(' at ')).join('|')); }
(async () => {
  try { await assert.rejects(Promise.resolve(1)); } catch (e) { console.log(JSON.stringify([e.message, e.operator])); }
  try { await assert.rejects(Promise.reject(new Error('r')), { message: 'q' }); } catch (e) { console.log(JSON.stringify([e.message, e.operator])); }
})();
"#;

const SUBCLASS_PREFIXES: &str = r#"const u = require('util');
class A extends Array {}
console.log(u.inspect(new A(1, 2)), u.inspect(Buffer.from('ab'), { customInspect: false }), u.inspect(Buffer.alloc(0), { customInspect: false }));
console.log(u.inspect(new (class X extends Uint8Array {})(2)), u.inspect(new (class M extends Map {})([[1, 2]])), u.inspect(new (class S extends Set {})([1])));
console.log(u.inspect({ a: new (class X extends Uint8Array {})(0) }, { depth: -1 }), u.inspect([new A()], { depth: 0 }));
"#;

const ASSERT_OK_QUOTES: &str = r#"const assert = require('assert');
function check(v) {
  try {
    assert(v &&
      v.length > 2, undefined);
  } catch (e) { console.log(JSON.stringify(e.message)); }
}
check([1]);
try { assert.equal(typeof 1, 'x') } catch (e) { console.log(JSON.stringify(e.message)) }
try { assert.ok("a(" === 'b)') } catch (e) { console.log(JSON.stringify(e.message)) }
try { [0].forEach((x) => assert(x)) } catch (e) { console.log(JSON.stringify(e.message)) }
"#;

const ASSERT_OK_CALLS: &str = r#"const assert = require('assert');
const show = (f) => { try { f(); } catch (e) { console.log(JSON.stringify(e.message), e.generatedMessage); } };
const obj = { a: { check: assert.ok }, list: [assert] };
show(() => assert(`a${1 + (2)}b` === 'x'));
show(() => assert(/\)/.test('a') /* ) */));
show(() => assert.ok('(' + ")" === "x", undefined));
show(() => obj.a.check(0));
show(() => obj.list[0](null));
show(() => assert.strict.ok(''));
show(() => assert(
  [1, 2, 3]
    .map((x) => x * 2)
    .includes(7)
));
show(() => assert?.ok(false));
show(() => assert(`${`nested ${'('}`}` === ')'));
show(() => assert.ok.call(null, false));
show(() => { const x = 0; assert(x, null); });
show(() => assert(1 / 2 > 3 && 4 / 5 > 6));
show(() => assert.ok(false, 'given'));
show(() => assert.ok());
"#;

const ASSERT_OK_MODULE: &str = r#"import assert from 'node:assert';
try { assert.ok(1 > 2); } catch (e) { console.log(JSON.stringify(e.message)); }
"#;

const PATH_MEMBERS: &str = r#"const p = require('path');
console.log(Object.keys(p).join());
console.log(Object.keys(p.win32).join());
console.log(p.posix === p, p.win32.posix === p, p.win32.win32 === p.win32, p._makeLong === p.toNamespacedPath, require('path/win32') === p.win32, require('path/posix') === p);
console.log(p.win32.matchesGlob('a\\b.js', 'a/*.js'), p.matchesGlob('a/b.js', 'a/*.js'), p.win32.join('a', 'b'), p.join('a', '..', 'b'));
"#;

const SMALLER_MEMBERS: &str = r#"const show = async (name, f) => {
  try { const v = await f(); console.log(name, typeof v === 'string' ? v : require('util').inspect(v)); }
  catch (e) { console.log(name, 'threw', e.name, e.code, e.message); }
};
(async () => {
  await show('URL.parse', () => [URL.parse('https://a.b/c?d').href, URL.parse('nope'), URL.parse('/x', 'https://h.example/').href].join(' '));
  await show('URL.parse none', () => URL.parse());
  await show('createObjectURL', async () => {
    const blob = new Blob(['hello blob'], { type: 'text/plain' });
    const url = URL.createObjectURL(blob);
    const { resolveObjectURL } = require('buffer');
    const back = resolveObjectURL(url);
    const text = await back.text();
    URL.revokeObjectURL(url);
    return [url.startsWith('blob:nodedata:'), url.length, text, back.type, resolveObjectURL(url), resolveObjectURL('blob:nodedata:nope'), resolveObjectURL('https://x')].join(' ');
  });
  await show('createObjectURL bad', () => URL.createObjectURL({}));
  await show('createObjectURL string', () => URL.createObjectURL('x'));
  await show('transferable', () => { const util = require('util'); const c = util.transferableAbortController(); return [c instanceof AbortController, util.transferableAbortSignal(c.signal) === c.signal].join(); });
  await show('transferable bad', () => require('util').transferableAbortSignal({}));
  await show('unescapeBuffer', () => [require('querystring').unescapeBuffer('a%20b+c%zz%4').toString(), require('querystring').unescapeBuffer('a+b', true).toString()].join('|'));
  await show('duplexPair', () => new Promise((resolve) => {
    const [a, b] = require('stream').duplexPair();
    const got = [];
    b.on('data', (d) => got.push('b:' + d));
    a.on('data', (d) => got.push('a:' + d));
    b.on('end', () => resolve(got.join(',')));
    a.write('one'); b.write('two'); a.end('three');
  }));
  await show('EventEmitterAsyncResource', () => {
    const { EventEmitterAsyncResource } = require('events');
    const { AsyncLocalStorage } = require('async_hooks');
    const als = new AsyncLocalStorage();
    const emitter = als.run('made here', () => new EventEmitterAsyncResource({ name: 'X' }));
    let seen;
    emitter.on('go', () => { seen = als.getStore(); });
    als.run('emitted here', () => emitter.emit('go'));
    return [seen, typeof emitter.asyncId, emitter.asyncResource.eventEmitter === emitter, emitter instanceof require('events')].join(' ');
  });
  await show('EventEmitterAsyncResource no name', () => new (require('events').EventEmitterAsyncResource)({}));
  await show('events keys', () => Object.keys(require('events')).includes('EventEmitterAsyncResource'));
})();
"#;

const MIME_AND_DNS: &str = r#"const { MIMEType, MIMEParams } = require('util');
const show = (name, f) => { try { console.log(name, f()); } catch (e) { console.log(name, 'threw', e.name, e.code, e.message); } };
const m = new MIMEType('Text/HTML; Charset="utf-8"; foo=bar;  q = "a\\"b" ; empty=;x="unterminated');
show('parse', () => [m.type, m.subtype, m.essence, String(m), JSON.stringify(m)].join(' | '));
show('params', () => [...m.params].map(([k, v]) => k + '=' + v).join(','));
show('get', () => [m.params.get('charset'), m.params.get('nope'), m.params.has('foo')].join(','));
m.params.set('NewKey', 'a value');
m.params.delete('foo');
m.type = 'APPLICATION';
m.subtype = 'json';
show('changed', () => String(m));
show('bad type', () => new MIMEType('/plain'));
show('bad subtype', () => new MIMEType('text/pl@in'));
show('bad set', () => m.params.set('bad name', 'x'));
show('bad value', () => m.params.set('ok', 'caf\u0100'));
show('bad type set', () => { m.type = ''; });
show('new params', () => { const p = new MIMEParams(); p.set('a', ''); return [String(p), [...p.keys()].join(), JSON.stringify({ p })].join(' '); });
show('inspect', () => require('util').inspect(new MIMEType('a/b;c=d')));
const dns = require('dns');
show('dns codes', () => [dns.NOTFOUND, dns.NODATA, dns.CANCELLED, dns.promises.TIMEOUT, dns.getDefaultResultOrder()].join());
dns.setDefaultResultOrder('ipv4first');
show('dns order', () => [dns.getDefaultResultOrder(), dns.promises.getDefaultResultOrder()].join());
show('dns bad order', () => dns.setDefaultResultOrder('nope'));
"#;

const ASSERT_OK_ESCAPES: &str = "const assert = require('assert');\ntry { assert.ok('\\b\\f\\v' === '\u{8}\u{c}\u{b}' && false) } catch (e) { console.log(JSON.stringify(e.message)) }\ntry { assert.ok(`\u{8}` === 'x') } catch (e) { console.log(JSON.stringify(e.message)) }\n";

const CRYPTO_STREAMS: &str = r#"const crypto = require('crypto');
const fs = require('fs');
const { pipeline } = require('stream/promises');
(async () => {
  // A hash written to and read as a stream, without the stream module required first.
  const h = crypto.createHash('sha256');
  h.write('hello ');
  h.end('world');
  h.setEncoding('hex');
  console.log('stream hash', h.read());
  // Piping a file through a hash.
  fs.writeFileSync('data.txt', 'x'.repeat(100000));
  const hash = crypto.createHash('md5');
  await pipeline(fs.createReadStream('data.txt'), hash);
  console.log('piped', hash.read().toString('hex'));
  const expected = crypto.createHash('md5').update('x'.repeat(100000)).digest('hex');
  console.log('same as update', hash instanceof require('stream').Transform, expected);
  // HMAC through 'data' events.
  const hmac = crypto.createHmac('sha1', 'key');
  hmac.on('data', (d) => console.log('hmac data', d.toString('hex')));
  hmac.end('message');
  await new Promise((r) => hmac.on('end', r));
  // Encrypt and decrypt through pipes.
  const key = Buffer.alloc(32, 7);
  const iv = Buffer.alloc(16, 3);
  const cipher = crypto.createCipheriv('aes-256-cbc', key, iv);
  const decipher = crypto.createDecipheriv('aes-256-cbc', key, iv);
  const chunks = [];
  cipher.pipe(decipher).on('data', (d) => chunks.push(d));
  cipher.write('secret ');
  cipher.end('message for the pipe');
  await new Promise((r) => decipher.on('end', r));
  console.log('round trip', Buffer.concat(chunks).toString());
  // A bad decrypt is the stream's error.
  const bad = crypto.createDecipheriv('aes-128-cbc', Buffer.alloc(16), Buffer.alloc(16));
  const failed = new Promise((r) => bad.on('error', (e) => { console.log('stream error', e.code); r(); }));
  bad.on('data', () => {});
  bad.end(Buffer.alloc(16, 1));
  await failed;
  // Plain use is unchanged, and the stream module is not loaded for it.
  console.log('plain', crypto.createHash('sha1').update('a').digest('hex'), typeof crypto.createHash('sha1').pipe);
  for await (const part of crypto.createHash('sha1').end('it')) console.log('iterated', part.toString('hex'));
  // Sign and Verify as Writable streams.
  const { privateKey, publicKey } = require('crypto').generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const sign = require('crypto').createSign('SHA256');
  await require('stream/promises').pipeline(fs.createReadStream('data.txt'), sign);
  const signature = sign.sign(privateKey);
  const verify = require('crypto').createVerify('SHA256');
  verify.write('x'.repeat(50000));
  verify.end('x'.repeat(50000));
  await new Promise((r) => verify.on('finish', r));
  console.log('signed stream verifies', verify.verify(publicKey, signature), sign instanceof require('stream').Writable);
  const direct = require('crypto').createSign('SHA256');
  direct.update('abc');
  console.log('direct', direct.sign(privateKey).length > 60);
})();
"#;

const CONSTANTS_AND_LISTENERS: &str = r#"const z = require('zlib');
console.log(JSON.stringify(z.constants));
console.log(z.Z_OK, z.Z_SYNC_FLUSH, z.DEFLATE, z.ZLIB_VERNUM, Object.getOwnPropertyDescriptor(z, 'Z_OK'), Object.keys(z).includes('Z_OK'));
const b = Buffer.from('hello');
console.log(b.utf8Slice(1, 3), b.hexSlice(), b.latin1Slice(0, 2), b.base64Slice(), typeof b.readBigUint64LE);
const w = Buffer.alloc(6); console.log(w.utf8Write('hi', 1), w.hexWrite('ffee', 3), w);
process.on('x', function a() {}); const once = () => {}; process.once('x', once); process.prependListener('x', function first() {}); process.prependOnceListener('y', () => {});
console.log(process.eventNames().filter((e) => e === 'x' || e === 'y'), process.listeners('x').map((f) => f.name), process.rawListeners('x').length, process.listenerCount('x'));
process.removeListener('x', once); console.log(process.listeners('x').map((f) => f.name));
const dup = function d() {}; process.on('z', dup); process.on('z', () => {}); process.on('z', dup); process.removeListener('z', dup); console.log(process.listeners('z').map((f) => f.name || 'anon'));
"#;

const HASH_COPY: &str = r#"const c = require('crypto');
const h = c.createHash('sha256').update('one');
const k = h.copy();
h.update('two');
console.log(h.digest('hex'), k.digest('hex'), c.createHash('sha256').update('one').digest('hex'));
try { h.copy(); } catch (e) { console.log(e.code, e.message); }
console.log(typeof c.createHmac('sha1', 'k').copy);
"#;

const BUFFER_ENCODINGS: &str = r#"
const encs = ['utf8', 'utf-8', 'latin1', 'binary', 'ascii', 'hex', 'base64', 'base64url', 'ucs2', 'utf16le', 'UTF8', 'Hex'];
const bytes = Buffer.from([0x00, 0x41, 0x7f, 0x80, 0xff, 0xe2, 0x82, 0xac, 0xe2, 0x82, 0x41, 0xf0, 0x9f, 0x98, 0x80, 0xf0, 0x9f, 0x98, 0xc3]);
for (const e of encs) {
  console.log(e, JSON.stringify(bytes.toString(e)), JSON.stringify(bytes.toString(e, 3, 11)), JSON.stringify(bytes.toString(e, 5)));
}
const strings = ['', 'hello', 'h\u00e9llo \u20ac', '\ud800x\udc00', '\ud83d\ude00 smile', 'aGVsbG8=', 'aGVs bG8', 'aGV$sbG8', 'a-_b', 'aGVsbG8=aGk=', '////', '__--', 'abz', 'zz12', 'a', '1g23', 'DEADbeef', 'x'.repeat(70000)];
for (const s of strings) {
  for (const e of encs) {
    const b = Buffer.from(s, e);
    console.log(JSON.stringify(s.slice(0, 20)), e, Buffer.byteLength(s, e), b.length, b.toString('hex').slice(0, 80));
  }
}
for (const [s, e, n] of [['ab\u20ac', 'utf8', 3], ['a\u20ac', 'utf8', 4], ['abc', 'ucs2', 3], ['abcd', 'hex', 1], ['aGVsbG8=', 'base64', 2], ['\ud83d\ude00', 'utf8', 3], ['\u00e9\u20ac', 'latin1', 1]]) {
  const b = Buffer.alloc(n);
  console.log(s, e, n, b.write(s, e), b);
  const c = Buffer.alloc(6);
  console.log(c.write(s, 1, e), c.write(s, 2, 2, e), c);
}
const big = Buffer.alloc(3 * 1024 * 1024 + 7);
for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 7)) & 0xff;
for (const e of ['utf8', 'latin1', 'ascii', 'hex', 'base64', 'base64url', 'utf16le']) {
  const s = big.toString(e);
  let h = 0;
  for (let i = 0; i < s.length; i += 997) h = (h * 31 + s.charCodeAt(i)) | 0;
  const back = Buffer.from(s, e);
  console.log('big', e, s.length, h, back.length, back.subarray(0, 8).toString('hex'), back.subarray(-8).toString('hex'));
}
const b = Buffer.alloc(10);
console.log(b.fill('ab'), b.fill('e282ac', 'hex'), Buffer.alloc(5, '\u20ac'), b.indexOf('ac', 0, 'hex'), b.includes('\u20ac'));
console.log(b.latin1Slice(0, 3), b.hexSlice(1, 4), b.utf8Write('zz', 2), b);
console.log(Buffer.from('\u00ff\u0100').toString('latin1'), Buffer.concat([Buffer.from('x'), Buffer.from('€')]).toString());
try { Buffer.from('x', 'nope'); } catch (e) { console.log(e.name, e.message); }
try { bytes.toString('nope'); } catch (e) { console.log(e.name, e.message); }
console.log(Buffer.from('\u0141\u0142', 'hex'), Buffer.from('\u014d\u014d\u014d\u014d', 'base64'), Buffer.from('ab\u20accd', 'base64'), Buffer.from('\u0101', 'hex'));
"#;

const BUFFER_SEARCH: &str = r#"
const b = Buffer.from('abcabcab\u00e9c');
const cases = [['a'], ['c', 3], ['bc', -4], ['', 0], ['', 3], ['', 50], ['', -2], [99], [99, 4], [0x163], ['x'], ['ab', 100], ['ab', -100], [Buffer.from('ca')], [new Uint8Array([98, 99])], ['\u00e9'], ['YWI=', 'base64'], ['6263', 0, 'hex'], ['b', NaN], ['b', '1'], ['b', null], ['b', {}], [Buffer.alloc(0), 2]];
for (const c of cases) {
  const show = JSON.stringify(c.map((x) => (x instanceof Uint8Array ? [...x] : x)));
  try { console.log(show, b.indexOf(...c), b.lastIndexOf(...c), b.includes(...c)); } catch (e) { console.log(show, e.name, e.code, e.message); }
}
const e = Buffer.alloc(0);
console.log(e.indexOf(''), e.indexOf('a'), e.lastIndexOf(''), e.includes(''), e.indexOf(0));
const u = Buffer.from('abcabc', 'utf16le');
console.log(u.indexOf('b', 0, 'utf16le'), u.lastIndexOf('ca', undefined, 'ucs2'), u.indexOf('c', 3, 'ucs2'));
const x = Buffer.from('abc'), y = Buffer.from('abd'), z = Buffer.from('ab');
console.log(Buffer.compare(x, y), Buffer.compare(y, x), Buffer.compare(x, z), Buffer.compare(z, x), Buffer.compare(x, Buffer.from('abc')), x.equals(Buffer.from('abc')), x.equals(y));
console.log(x.compare(y, 0, 2, 0, 2), x.compare(x, 1, 3, 0, 2), x.compare(y, 2), x.compare(z, 0, 2, 1), x.compare(new Uint8Array([97, 98, 99])), Buffer.compare(new Uint8Array([1]), new Uint8Array([2])));
try { x.compare(y, -1); } catch (e) { console.log(e.name, e.code, e.message); }
try { x.compare(y, 0, 9); } catch (e) { console.log(e.name, e.code, e.message); }
try { Buffer.compare(x, 'a'); } catch (e) { console.log(e.name, e.code, e.message); }
try { x.equals('a'); } catch (e) { console.log(e.name, e.code, e.message); }
const f = Buffer.alloc(11);
console.log(f.fill('ab'), f.fill('\u00e9', 1, 6), f.fill(0x1ff, 3, 5), f.fill(Buffer.from([1, 2, 3]), 2), f.fill('ZmZm', 'base64'), f.fill(''), f.fill(true, 1, 2));
try { f.fill('zz', 'hex'); } catch (e) { console.log(e.name, e.code, e.message); }
try { f.fill('a', -1); } catch (e) { console.log(e.name, e.code, e.message); }
const big = Buffer.alloc(3 << 20, 5); big[big.length - 3] = 9; big[100] = 9;
console.log(big.indexOf(9), big.lastIndexOf(9), big.indexOf(Buffer.from([5, 9, 5])), big.lastIndexOf(Buffer.from([5, 9])), big.fill('xyz').subarray(-4).toString(), Buffer.compare(big, Buffer.from(big)));
"#;

const BASE64_AND_DECODERS: &str = r#"
const show = (f) => { try { const v = f(); return typeof v === 'string' ? JSON.stringify(v) : String(v); } catch (e) { return e.name + ':' + e.code + ':' + e.message; } };
for (const s of ['', 'a', 'ab', 'abc', 'hello world', '\u00ff\u00fe', '\u0100', 'x\ud800', '\u00e9t\u00e9'.repeat(1000).slice(0, 30)]) console.log('btoa', show(() => btoa(s)));
for (const s of ['', 'YQ', 'YQ=', 'YQ==', 'YQ===', 'Y Q = =', ' aGVs\nbG8= ', 'aGVsbG8', 'a', 'ab=c', 'a===', '////', '-_', 'YWJj\u00e9', '\u0000', 'AAAA', '/w==']) console.log('atob', JSON.stringify(s), show(() => atob(s)));
console.log(show(() => btoa()), show(() => atob()), show(() => btoa(null)), show(() => atob(undefined)), show(() => btoa(12345)));
const big = 'ab\u00ffc'.repeat(300000);
console.log(atob(btoa(big)) === big, btoa(big).length);
const td = new TextDecoder(), tf = new TextDecoder('utf-8', { fatal: true });
for (const bytes of [[0x68, 0x69], [0xef, 0xbb, 0xbf, 0x41], [0xe2, 0x82], [0xe2, 0x82, 0xac], [0xff, 0x41, 0xc3], [0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0x80]]) {
  const u = new Uint8Array(bytes);
  console.log(JSON.stringify(td.decode(u)), show(() => tf.decode(u)), JSON.stringify(new TextDecoder('utf-8', { ignoreBOM: true }).decode(u)));
}
const sd = new TextDecoder();
console.log(JSON.stringify(sd.decode(new Uint8Array([0xe2, 0x82]), { stream: true }) + sd.decode(new Uint8Array([0xac, 0x21]), { stream: true }) + sd.decode()));
const large = new Uint8Array(3 << 20).map((_, i) => (i % 7 === 0 ? 0xc3 : i % 7 === 1 ? 0xa9 : 0x61 + (i % 5)));
const text = td.decode(large);
console.log(text.length, text.charCodeAt(1), text.slice(-5), show(() => tf.decode(large).length));
large[large.length - 1000] = 0xff;
console.log(show(() => tf.decode(large).length), td.decode(large).length);
const b = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
console.log(Buffer.from(b).swap16(), Buffer.from(b).swap32(), Buffer.from(b).swap64(), show(() => Buffer.alloc(3).swap16()), show(() => Buffer.alloc(6).swap32()), show(() => Buffer.alloc(12).swap64()));
const wide = Buffer.alloc(4096).map((_, i) => i & 255);
console.log(Buffer.from(wide).swap16().subarray(250, 260), Buffer.from(wide).swap32().subarray(250, 260), Buffer.from(wide).swap64().subarray(250, 260));
console.log(Buffer.from('hello').toString('base64url'), Buffer.from('aGk_-w', 'base64url'), Buffer.byteLength('aGk_-w', 'base64url'), Buffer.isEncoding('base64url'), Buffer.isEncoding('BASE64URL'), Buffer.from([0xfb, 0xff]).base64urlSlice(), Buffer.alloc(3).fill('_-8', 'base64url'));
const { StringDecoder } = require('string_decoder');
const dec = new StringDecoder('base64url');
console.log(dec.write(Buffer.from([0xfb, 0xff, 1, 2])), dec.end(Buffer.from([3])));
"#;

const BUFFER_POOL: &str = r#"
const a = Buffer.from('abc'), b = Buffer.allocUnsafe(10), c = Buffer.from([1, 2, 3]);
console.log(a.buffer.byteLength, a.buffer === b.buffer, b.byteOffset % 8, c.buffer === a.buffer, Buffer.poolSize);
console.log(Buffer.alloc(10).buffer.byteLength, Buffer.allocUnsafeSlow(10).buffer.byteLength, Buffer.from('x'.repeat(5000)).buffer.byteLength, Buffer.allocUnsafe(4096).buffer.byteLength, Buffer.allocUnsafe(4095).buffer.byteLength);
console.log(Object.getPrototypeOf(a) === Buffer.prototype, Buffer.prototype.constructor === Buffer, a instanceof Buffer, a instanceof Uint8Array, a.constructor.name, Buffer.isBuffer(a), Object.getPrototypeOf(Buffer.prototype) === Uint8Array.prototype);
const s = a.slice(1); s[0] = 0x7a; console.log(a.toString(), s.buffer === a.buffer, s.byteOffset - a.byteOffset, a.subarray(1, 2) instanceof Buffer, a.subarray(1).toString());
const cat = Buffer.concat([a, c]); console.log(cat, cat.buffer.byteLength, Buffer.concat([Buffer.alloc(5000), a]).buffer.byteLength);
console.log(require('util').inspect(a), String(a.map((x) => x + 1)), a.map((x) => x) instanceof Buffer, Buffer.from(a.buffer, a.byteOffset, 2).toString());
console.log(Buffer.from(new Uint16Array([1, 2])), Buffer.from(new ArrayBuffer(4), 1, 2).length, Buffer.allocUnsafe(0).length, Buffer.from('').buffer.byteLength >= 0);
const many = []; for (let i = 0; i < 3000; i++) many.push(Buffer.from('item' + i));
console.log(many[2999].toString(), new Set(many.map((x) => x.buffer)).size > 1);
console.log(Buffer.from(new Uint8Array([1,2])).buffer.byteLength, Buffer.from(new Uint16Array([1,2])).buffer.byteLength, Buffer.from(Buffer.from("ab")).buffer.byteLength, Buffer.from([1,2]).buffer.byteLength, Buffer.from({length: 2}).buffer.byteLength, Buffer.from(new Uint8Array(0)).length, Buffer.from(new Uint16Array([258, 3])))
console.log(Buffer.TYPED_ARRAY_SUPPORT, Buffer.prototype._isBuffer, Buffer.isBuffer(new Uint8Array(2)), Buffer.isBuffer(Buffer.alloc(1)), Buffer.isBuffer(null), Buffer.isBuffer(Buffer.prototype));
const sb = Buffer.from('hello world');
console.log(sb.subarray(-5).toString(), sb.subarray(2, -2).toString(), sb.subarray(NaN, 3).toString(), sb.subarray(4, 2).length, sb.slice(1.9, 3.2).toString(), sb.subarray(-100, 100).length, sb.subarray() instanceof Buffer, sb.subarray(1).buffer === sb.buffer);
console.log(Buffer.of(1, 2, 300), Buffer.of().length, Buffer.of(5).buffer.byteLength);
console.log(Buffer.copyBytesFrom(new Uint16Array([1, 2, 3]), 1, 1), Buffer.copyBytesFrom(new Float32Array([1.5])), Buffer.copyBytesFrom(new Uint8Array([1, 2, 3]), 5).length, Buffer.copyBytesFrom(new Uint8Array(0)).length);
for (const bad of [() => Buffer.copyBytesFrom([1]), () => Buffer.copyBytesFrom(new Uint8Array(2), -1), () => Buffer.copyBytesFrom(new Uint8Array(2), 0, 1.5), () => Buffer.copyBytesFrom(new DataView(new ArrayBuffer(1)))]) {
  try { bad(); } catch (e) { console.log(e.name, e.code, e.message); }
}
"#;

const RUNNING_HASHES: &str = r#"
const crypto = require('crypto');
const big = Buffer.alloc(1 << 20, 7);
for (const alg of ['md5', 'sha1', 'sha256', 'sha384', 'sha512']) {
  const h = crypto.createHash(alg), m = crypto.createHmac(alg, 'key');
  for (let i = 0; i < 24; i++) { h.update(big); m.update(big); }
  console.log(alg, h.digest('hex').slice(0, 32), m.digest('base64').slice(0, 24));
}
// A copy taken past the point where the hash runs natively goes on by itself.
const a = crypto.createHash('sha256'); a.update(Buffer.alloc(100000, 1));
const b = a.copy(); a.update('more'); b.update('other');
console.log(a.copy().digest('hex').slice(0, 16), a.digest('hex').slice(0, 16), b.digest('hex').slice(0, 16));
try { a.update('x'); } catch (e) { console.log(e.code, e.message); }
try { a.digest(); } catch (e) { console.log(e.code, e.message); }
// Small and boundary sizes, strings with encodings, and a stream piped through.
for (const n of [0, 1, 65536, 65537, 131072]) {
  const h = crypto.createHash('sha1'); h.update(Buffer.alloc(n, 3)); h.update('é', 'latin1'); h.update('ff', 'hex');
  console.log(n, h.digest('hex'));
}
const { Readable, pipeline } = require('stream');
const hasher = crypto.createHash('sha256');
pipeline(Readable.from((function* () { for (let i = 0; i < 50; i++) yield Buffer.alloc(65536, i); })()), hasher, (err) => {
  console.log('piped', err, hasher.read().toString('hex').slice(0, 16));
  const keyed = crypto.createHmac('sha512', Buffer.alloc(200, 9)); keyed.update(Buffer.alloc(70000, 2)); keyed.update(Buffer.alloc(5, 1));
  console.log('hmac long key', keyed.digest('hex').slice(0, 32));
});
"#;

const GCM_SPLITS: &str = r#"
const c = require('crypto');
const key = Buffer.alloc(32, 1), iv = Buffer.alloc(12, 2);
for (const sizes of [[0], [1], [15], [16], [17], [5, 11], [7, 7, 7, 7], [100, 3, 29, 1000], [65536 * 3 + 5]]) {
  for (const aad of [null, Buffer.from('header'), Buffer.alloc(33, 5)]) {
    const e = c.createCipheriv('aes-256-gcm', key, iv);
    if (aad) e.setAAD(aad);
    const parts = sizes.map((n, i) => e.update(Buffer.alloc(n, i + 3)));
    parts.push(e.final());
    const tag = e.getAuthTag();
    const ct = Buffer.concat(parts);
    const d = c.createDecipheriv('aes-256-gcm', key, iv);
    if (aad) d.setAAD(aad);
    d.setAuthTag(tag);
    const pt = Buffer.concat([d.update(ct.subarray(0, 3)), d.update(ct.subarray(3)), d.final()]);
    let bad; try { const x = c.createDecipheriv('aes-256-gcm', key, iv); x.setAuthTag(Buffer.from(tag).fill(0)); x.update(ct); x.final(); bad = 'accepted'; } catch (err) { bad = err.message; }
    console.log(sizes.join('+'), aad ? aad.length : '-', tag.toString('hex'), c.createHash('md5').update(ct).digest('hex').slice(0, 8), pt.length, bad);
  }
}
const e2 = c.createCipheriv('aes-128-gcm', Buffer.alloc(16), Buffer.alloc(7), { authTagLength: 8 });
const reused = Buffer.from('abcdefghijklmnopqrs');
const first = e2.update(reused); reused.fill(0); e2.update(reused); e2.final();
console.log(first.toString('hex'), e2.getAuthTag().toString('hex'));
"#;
