//! The web platform globals, checked against Node: the same script runs through `node` and
//! through the guest, and the outputs must be equal.

use crate::support;

/// Deterministic uses of every web global; prints only primitives, so that the comparison is
/// about behaviour, not about how objects are formatted.
const SCRIPT: &str = r#"
const log = (...args) => console.log(...args);
const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

// TextEncoder, TextDecoder
const enc = new TextEncoder();
log(enc.encoding, Array.from(enc.encode('héllo €😀')).join(','), enc.encode().length);
log(JSON.stringify(enc.encodeInto('héllo', new Uint8Array(3))), JSON.stringify(enc.encodeInto('a\uD800b', new Uint8Array(8))));
log(Array.from(enc.encode('lone \uD800 surrogate')).join(','));
const dec = new TextDecoder();
log(dec.encoding, dec.fatal, dec.ignoreBOM, dec.decode(new Uint8Array([0xEF, 0xBB, 0xBF, 0x68, 0x69])));
log(dec.decode(new Uint8Array([0x61, 0xF1, 0x80, 0x80, 0x62, 0xC0, 0xAF, 0xED, 0xA0, 0x80])));
log(dec.decode(new Uint8Array([0x68, 0x69]).buffer), dec.decode(new DataView(new Uint8Array([0x6F, 0x6B]).buffer)), JSON.stringify(dec.decode()));
const streamed = new TextDecoder();
const euro = enc.encode('€😀');
log(streamed.decode(euro.subarray(0, 1), { stream: true }) + '|' + streamed.decode(euro.subarray(1, 5), { stream: true }) + '|' + streamed.decode(euro.subarray(5)));
log(JSON.stringify(new TextDecoder().decode(new Uint8Array([0xE2, 0x82]))));
try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xFF])); } catch (e) { log(e.name, e.code); }
try { new TextDecoder('klingon'); } catch (e) { log(e.name, e.code); }
log(new TextDecoder('utf-16le').decode(new Uint8Array([0x68, 0, 0x69, 0, 0x3D, 0xD8, 0, 0xDE])), new TextDecoder(' UTF8 ').encoding);
log(new TextDecoder('utf8', { ignoreBOM: true }).decode(new Uint8Array([0xEF, 0xBB, 0xBF, 0x41])).length);

// atob, btoa
log(btoa('hello world'), btoa(''), btoa('\xff\xfe'), atob('aGVsbG8gd29ybGQ='), atob(' aG k= '), atob('YQ'));
for (const bad of ['a', 'a===', '*AAA', 'aGk=x']) {
  try { atob(bad); log('decoded', bad); } catch (e) { log(e.name, e.code, e instanceof DOMException, e instanceof Error); }
}
try { btoa('€'); } catch (e) { log(e.name); }

// URL, URLSearchParams
const u = new URL('https://user:pw@例え.jp:8080/a/../b/./c?x=1&y=2#frag');
log(u.href, u.origin, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash);
u.searchParams.append('z', 'a b&c');
log(u.href, u.search);
u.pathname = '/new path';
u.hash = '';
u.port = '443';
u.username = '';
u.password = '';
log(u.href);
u.search = '?q=1';
log(u.searchParams.get('q'), u.href);
u.href = 'http://example.com/x';
log(u.host, u.href);
try { u.href = 'not a url'; } catch (e) { log(e.name, e.code); }
u.protocol = 'ftp';
log(u.href);
log(new URL('../x?q', 'http://example.com/a/b/c').href, new URL('//h2/p', 'https://h1').href);
log(new URL('file:///tmp/a b').pathname, new URL('data:text/plain,hi').pathname, new URL('HTTP://EXAMPLE.COM:80/').href);
log(URL.canParse('nope'), URL.canParse('/p', 'http://h'), String(new URL('http://h/p')));
try { new URL('nope'); } catch (e) { log(e.name, e.code); }
try { new URL('/p', 'also nope'); } catch (e) { log(e.name, e.code); }
log(JSON.stringify({ u: new URL('http://h/p') }));
const sp = new URLSearchParams('?a=1&b=2&a=3&c=%20x+y&d');
log(sp.get('a'), sp.getAll('a').join(), sp.has('c'), sp.get('c'), JSON.stringify(sp.get('d')), sp.get('nope'), sp.size);
sp.set('a', 'z');
sp.delete('b');
sp.sort();
log(sp.toString(), [...sp.keys()].join(), [...sp.values()].join(), [...sp].length);
log(new URLSearchParams({ q: 'ü ö', n: 1 }).toString(), new URLSearchParams([['x', '1'], ['y', '~*']]).toString());
const seen = [];
new URLSearchParams('k=1&k=2').forEach((v, k) => seen.push(k + v));
log(seen.join(), new URLSearchParams('a=1&a=2').has('a', '2'), Object.prototype.toString.call(sp));

// structuredClone
const src = { d: new Date(0), r: /a+/gi, m: new Map([[1, { n: 2 }]]), s: new Set([1, 2]), arr: [1, , 3], buf: new Uint8Array([1, 2, 3]), err: new RangeError('bad'), big: 10n, boxed: new String('b'), nested: { deep: [true] } };
src.self = src;
src.shared = src.nested;
const c = structuredClone(src);
log(c !== src, c.self === c, c.shared === c.nested, c.d.toISOString(), c.r.source + c.r.flags, c.m.get(1).n, [...c.s].join(), c.arr.length, 1 in c.arr, Array.from(c.buf).join(), c.buf !== src.buf);
log(c.err instanceof RangeError, c.err.message, typeof c.big, typeof c.boxed, String(c.boxed), c.nested.deep[0]);
for (const bad of [() => 1, Symbol('s'), new WeakMap(), Promise.resolve()]) {
  try { structuredClone(bad); log('cloned'); } catch (e) { log(e.name, e.code); }
}
log(structuredClone(null), structuredClone(undefined), structuredClone('s'), structuredClone(3.5));

// Event, EventTarget, AbortController, DOMException
const et = new EventTarget();
let calls = 0;
et.addEventListener('ping', (e) => { calls++; log('got', e.type, e instanceof Event, e.target === et); }, { once: true });
et.dispatchEvent(new Event('ping'));
et.dispatchEvent(new Event('ping'));
log('calls', calls);
const handler = { handleEvent(e) { log('handled', e.type); } };
et.addEventListener('obj', handler);
et.dispatchEvent(new Event('obj'));
et.removeEventListener('obj', handler);
et.dispatchEvent(new Event('obj'));
const ac = new AbortController();
ac.signal.addEventListener('abort', () => log('aborted', ac.signal.reason.name, ac.signal.reason instanceof DOMException));
ac.abort();
ac.abort();
log(ac.signal.aborted);
try { AbortSignal.abort('why').throwIfAborted(); } catch (e) { log('threw', e); }
log(AbortSignal.any([new AbortController().signal, AbortSignal.abort('first')]).reason);
const ev = new Event('x', { cancelable: true });
ev.preventDefault();
const plain = new Event('y');
plain.preventDefault();
log(ev.defaultPrevented, plain.defaultPrevented, ev.cancelable, ev.bubbles, ev.isTrusted);
log(new DOMException('m', 'AbortError').code, new DOMException('m').name, new DOMException('m', 'DataCloneError').code, new DOMException('msg').message);
try { new AbortSignal(); } catch (e) { log(e.name); }

// crypto, performance
const r = crypto.getRandomValues(new Uint8Array(16));
log(r.length, crypto.getRandomValues(new Int32Array(4)).length);
log(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()));
try { crypto.getRandomValues(new Uint8Array(65537)); } catch (e) { log(e.name); }
try { crypto.getRandomValues(new Float64Array(2)); } catch (e) { log(e.name); }
const t0 = performance.now();
log(typeof t0, t0 >= 0, performance.now() >= t0, typeof performance.timeOrigin, Math.abs(performance.timeOrigin + performance.now() - Date.now()) < 1000);
log(Object.prototype.toString.call(new URL('http://a')), Object.prototype.toString.call(new TextEncoder()), Object.prototype.toString.call(new AbortController()));
(async () => {
  for (const name of ['SHA-1', 'SHA-256', 'sha-384', { name: 'SHA-512' }]) {
    log(typeof name === 'string' ? name : name.name, hex(await crypto.subtle.digest(name, enc.encode('abc'))));
  }
  log(hex(await crypto.subtle.digest('SHA-256', new ArrayBuffer(0))));
  try { await crypto.subtle.digest('MD5', enc.encode('abc')); } catch (e) { log(e.name); }
})();
"#;

fn node_output(script: &str) -> String {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("secure-exec-web-{}-{run}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("web.js");
    std::fs::write(&file, script).unwrap();
    let out = std::process::Command::new("node").arg(&file).output().unwrap_or_else(|err| {
        panic!("`node` is needed as the oracle for these tests (it is on CI): {err}")
    });
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "node failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `TextDecoder` in UTF-16BE and the legacy encodings (single-byte, GBK, gb18030, Big5, EUC-JP,
/// ISO-2022-JP, Shift_JIS, EUC-KR, KOI8-R): labels, names, refusals, malformed input, `fatal`,
/// the BOM, a byte at a time with `stream`, and large inputs; compared with Node. (Node 20
/// decodes windows-1252's 0x80-0x9F as ISO-8859-1 when not streaming; the guest decodes them
/// as the Encoding Standard and browsers do, so the comparison leaves those bytes out.)
#[tokio::test]
async fn text_decoder_legacy_encodings_as_in_node() {
    let v8 = support::spawn().await;
    crate::oracle::same_as_node(&v8, &[("main.js", LEGACY_ENCODINGS)], "main.js").await;
}

#[tokio::test]
async fn web_globals_behave_as_in_node() {
    let expected = node_output(SCRIPT);
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec(SCRIPT).await.unwrap();
    assert_eq!(r.error_code, None, "{:?}\nstdout so far:\n{}", r.error_message, r.stdout);
    let (got, want): (Vec<&str>, Vec<&str>) =
        (r.stdout.lines().collect(), expected.lines().collect());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "line {} differs from Node", i + 1);
    }
    assert_eq!(got.len(), want.len(), "guest:\n{}\nnode:\n{expected}", r.stdout);
}

/// CompressionStream / DecompressionStream in every format, read by node:zlib and reading
/// it, corrupt input, and CustomEvent; compared with Node.
#[tokio::test]
async fn compression_streams_and_custom_events_as_in_node() {
    let expected = node_output(COMPRESSION);
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec(COMPRESSION).await.unwrap();
    assert_eq!(r.error_code, None, "{:?}\nstdout so far:\n{}", r.error_message, r.stdout);
    assert_eq!(r.stdout, expected);
}

/// structuredClone's transfer list: ArrayBuffers move (the clone has their contents, views
/// over them included, and they are detached), and Node's refusals; AbortSignal.any and
/// timeout; compared with Node.
#[tokio::test]
async fn structured_clone_transfers_array_buffers_as_in_node() {
    let expected = node_output(TRANSFER);
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec(TRANSFER).await.unwrap();
    assert_eq!(r.error_code, None, "{:?}\nstdout so far:\n{}", r.error_message, r.stdout);
    assert_eq!(r.stdout, expected);
}

const TRANSFER: &str = r#"
const buf = new ArrayBuffer(8); new Uint8Array(buf)[0] = 7;
const out = structuredClone({ b: buf, v: new Uint8Array(buf, 2, 2) }, { transfer: [buf] });
console.log(buf.byteLength, out.b.byteLength, new Uint8Array(out.b)[0], out.v.buffer === out.b, out.v.byteOffset);
try { structuredClone(1, { transfer: [new Uint8Array(2)] }); } catch (e) { console.log(e.name, e.message); }
try { structuredClone(1, { transfer: 5 }); } catch (e) { console.log(e.name, e.message); }
const b2 = new ArrayBuffer(2); try { structuredClone(b2, { transfer: [b2, b2] }); } catch (e) { console.log(e.name, e.message); }
console.log(structuredClone(3, { transfer: [] }), structuredClone(3, {}), structuredClone(3, undefined));
console.log(typeof AbortSignal.any, typeof AbortSignal.timeout);
const s = AbortSignal.any([AbortSignal.abort('r1')]); console.log(s.aborted, s.reason);
const t = AbortSignal.timeout(5); t.addEventListener('abort', () => console.log('timeout abort', t.reason.name));
"#;

const COMPRESSION: &str = r#"
(async () => {
  const input = new TextEncoder().encode('hello '.repeat(100));
  for (const format of ['gzip', 'deflate', 'deflate-raw']) {
    const compressed = await new Response(new Blob([input]).stream().pipeThrough(new CompressionStream(format))).arrayBuffer();
    const back = await new Response(new Blob([compressed]).stream().pipeThrough(new DecompressionStream(format))).text();
    console.log(format, compressed.byteLength < input.byteLength, back.length, back.slice(0, 12));
  }
  // Node's own zlib reads what CompressionStream wrote, and back.
  const zlib = require('zlib');
  const gz = await new Response(new Blob(['interop']).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
  console.log(zlib.gunzipSync(Buffer.from(gz)).toString());
  const fromZlib = zlib.deflateRawSync('from zlib');
  console.log(await new Response(new Blob([fromZlib]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).text());
  try { new CompressionStream('brotli'); } catch (e) { console.log(e.name, e.code, e.message); }
  try {
    await new Response(new Blob([new Uint8Array([1, 2, 3, 4])]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
  } catch (e) { console.log('corrupt', e.name, e.code); }
  const cs = new CompressionStream('gzip');
  console.log(typeof cs.readable.getReader, typeof cs.writable.getWriter, Object.prototype.toString.call(cs), require('stream/web').CompressionStream === CompressionStream);
  const ev = new CustomEvent('ping', { detail: { n: 1 } });
  const target = new EventTarget(); target.addEventListener('ping', (e) => console.log('got', e.type, e.detail, e instanceof Event));
  target.dispatchEvent(ev); console.log(new CustomEvent('x').detail);
})();
"#;

/// `navigator`, as Node 22 (the version the guest reports) has it; CI's Node 20 has none to
/// compare with. Its values tell nothing of the host.
#[tokio::test]
async fn navigator_tells_what_node_22_tells_and_nothing_of_the_host() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec(
            "console.log(navigator.hardwareConcurrency, navigator.language, navigator.languages, \
             navigator.platform, navigator.userAgent, Object.prototype.toString.call(navigator), \
             navigator instanceof Navigator); try { new Navigator(); } catch (e) { console.log(e.name); }",
        )
        .await
        .unwrap();
    assert_eq!(
        r.stdout,
        "1 en-US [ 'en-US' ] Linux x86_64 Node.js/22 [object Navigator] true\nTypeError\n",
        "{r:?}"
    );
}

/// Node 22's `process.features` (no inspector) and module compile-cache calls, which tools
/// call when they find them: the cache stays off, as the worker caches compiled code itself.
#[tokio::test]
async fn node_22_features_and_compile_cache_calls_answer() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec(
            "const m = require('module'); const f = process.features; \
             console.log(f.inspector, f.tls, f.require_module, f.typescript, \
             JSON.stringify(m.enableCompileCache()), m.constants.compileCacheStatus.DISABLED, \
             m.getCompileCacheDir());",
        )
        .await
        .unwrap();
    assert_eq!(
        r.stdout,
        "false true true false {\"status\":3,\"message\":\"Disabled: secure-exec caches compiled code \
         in its worker\"} 3 undefined\n",
        "{r:?}"
    );
}

#[tokio::test]
async fn web_globals_are_fresh_in_every_session() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec("URL.prototype.evil = 1; TextEncoder.prototype.encode = () => 'tampered'; globalThis.crypto = null")
        .await
        .unwrap();
    assert_eq!(r.code, 0);
    let r = rt
        .exec("console.log(URL.prototype.evil, new TextEncoder().encode('a').length, typeof crypto.randomUUID)")
        .await
        .unwrap();
    assert_eq!(r.stdout, "undefined 1 function\n");
}

#[tokio::test]
async fn a_decoded_string_counts_against_the_memory_limit() {
    let (rt, _v8) = support::runtime().await;
    let options = || secure_exec_host::ExecOptions { memory_limit: Some(64), ..Default::default() };
    // 50 MB of malformed input decodes to 50 million U+FFFD: 100 MB as a V8 string.
    let r = rt
        .exec_with("new TextDecoder().decode(new Uint8Array(5e7).fill(0xC3))", options())
        .await
        .unwrap();
    assert_eq!(
        r.error_code,
        Some(secure_exec_host::ErrorCode::MemoryLimit),
        "{:?}",
        r.error_message
    );
    // 20 MB of ASCII is 20 MB as a string: well within 64 MB.
    let r = rt
        .exec_with(
            "console.log(new TextDecoder().decode(new Uint8Array(2e7).fill(0x41)).length)",
            options(),
        )
        .await
        .unwrap();
    assert_eq!(r.stdout, "20000000\n", "{:?}", r.error_message);
}

#[tokio::test]
async fn web_globals_load_on_first_use_and_can_be_replaced_before_it() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec(
            r#"
            const before = typeof Object.getOwnPropertyDescriptor(globalThis, 'URL').get;
            URL = 'mine';
            globalThis.atob = null;
            const encoded = new TextEncoder().encode('x').length;
            const after = typeof Object.getOwnPropertyDescriptor(globalThis, 'TextEncoder').value;
            console.log(before, URL, atob, encoded, after, typeof btoa, 'URL' in globalThis);
            "#,
        )
        .await
        .unwrap();
    assert_eq!(r.stdout, "function mine null 1 function function true\n", "{:?}", r.error_message);
}

/// How objects print: `util.inspect.custom`, and URL / URLSearchParams as Node shows them.
const INSPECT_SCRIPT: &str = r#"
console.log(new URL('http://a/b?c=1#h'));
console.log(new URLSearchParams('a=1&b=x%20y'));
console.log(new URLSearchParams(''));
console.log({ u: new URLSearchParams('k=v') });
console.log([new URL('http://x')]);
const o = { [Symbol.for('nodejs.util.inspect.custom')](depth, opts, inspect) { return 'CUSTOM ' + typeof depth + ' ' + typeof inspect; } };
console.log(o, { nested: o });
const p = { [Symbol.for('nodejs.util.inspect.custom')]() { return { replaced: true }; } };
console.log(p);
console.log(new URLSearchParams('aaaaaaaaaa=1111111111&bbbbbbbbbb=2222222222&cccccccccc=3333333333&d=4'));
"#;

#[tokio::test]
async fn printing_urls_and_custom_inspection_match_node() {
    let expected = node_output(INSPECT_SCRIPT);
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec(INSPECT_SCRIPT).await.unwrap();
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    assert_eq!(r.stdout, expected);
}

/// Crypto, SubtleCrypto and Performance as classes with their one instance, the streams'
/// controller classes and TextEncoderStream / TextDecoderStream as globals (multi-byte
/// characters split across chunks), and the crypto constants in `constants`; compared with
/// Node.
#[tokio::test]
async fn web_classes_and_text_streams_as_in_node() {
    let v8 = crate::support::spawn().await;
    crate::oracle::same_as_node(&v8, &[("main.js", WEB_CLASSES)], "main.js").await;
}

const WEB_CLASSES: &str = r#"const show = (name, f) => {
  try { const v = f(); console.log(name, typeof v === 'string' ? v : require('util').inspect(v)); }
  catch (e) { console.log(name, 'threw', e.name, e.code, e.message); }
};
show('crypto', () => [crypto instanceof Crypto, crypto.subtle instanceof SubtleCrypto, Object.prototype.toString.call(crypto),
  Object.prototype.toString.call(crypto.subtle), Object.keys(Crypto.prototype).join(), typeof SubtleCrypto.prototype.digest].join(' '));
show('crypto inspect', () => crypto);
show('subtle inspect', () => crypto.subtle);
show('new Crypto', () => new Crypto());
show('new SubtleCrypto', () => new SubtleCrypto());
show('unbound getRandomValues', () => { const { getRandomValues } = crypto; return getRandomValues(new Uint8Array(2)); });
show('bound', () => crypto.getRandomValues(new Uint8Array(4)).length);
show('performance', () => [performance instanceof Performance, performance instanceof EventTarget,
  Object.prototype.toString.call(performance), typeof performance.now(), typeof Performance.prototype.mark].join(' '));
show('new Performance', () => new Performance());
show('new PerformanceResourceTiming', () => new PerformanceResourceTiming());
show('perf_hooks', () => [require('perf_hooks').Performance === Performance, require('perf_hooks').constants.NODE_PERFORMANCE_GC_MAJOR].join(' '));
show('constants', () => [require('constants').RSA_PKCS1_OAEP_PADDING, require('constants').POINT_CONVERSION_HYBRID,
  require('crypto').constants.TLS1_3_VERSION, require('constants').O_RDONLY, require('constants').SIGINT].join(' '));
show('stream classes', () => ['ReadableStreamDefaultController', 'WritableStreamDefaultWriter', 'ReadableStreamBYOBReader',
  'TransformStreamDefaultController'].map((n) => typeof globalThis[n]).join());
show('stream/web', () => [require('stream/web').TextEncoderStream === TextEncoderStream, typeof require('stream/web').TextDecoderStream].join());
show('encoder stream', () => new TextEncoderStream().encoding);
show('decoder stream', () => { const d = new TextDecoderStream('utf-16le', { fatal: true }); return [d.encoding, d.fatal, d.ignoreBOM].join(); });
show('bad this', () => Object.getOwnPropertyDescriptor(TextEncoderStream.prototype, 'encoding').get.call({}));
(async () => {
  // Multi-byte characters split across chunks, through both streams.
  const euro = new TextEncoder().encode('price: 10\u20ac \ud83d\ude00 ok');
  const chunks = [euro.slice(0, 12), euro.slice(12, 16), euro.slice(16)];
  const decoded = new ReadableStream({ start(c) { for (const x of chunks) c.enqueue(x); c.close(); } })
    .pipeThrough(new TextDecoderStream());
  let text = '';
  for await (const part of decoded) text += '[' + part + ']';
  console.log('decoded', text);
  const encoded = new ReadableStream({ start(c) { c.enqueue('a\ud83d'); c.enqueue('\ude00b'); c.enqueue('\ud800'); c.close(); } })
    .pipeThrough(new TextEncoderStream());
  const bytes = [];
  for await (const part of encoded) bytes.push(Buffer.from(part).toString('hex'));
  console.log('encoded', bytes.join(' '));
  const res = new Response('hello \u00e9t\u00e9');
  let body = '';
  for await (const part of res.body.pipeThrough(new TextDecoderStream())) body += part;
  console.log('response', body);
})();
"#;

const LEGACY_ENCODINGS: &str = r#"
const labels = ['utf-16be', 'latin1', 'ascii', 'windows-1251', 'gbk', 'gb18030', 'big5', 'euc-jp', 'iso-2022-jp', 'shift_jis', 'euc-kr', 'koi8-r', 'macintosh', 'x-user-defined', 'iso-8859-2', 'replacement', 'iso-2022-kr', 'utf-16', ' UTF8 ', 'x-mac-cyrillic', 'ibm866', 'hz-gb-2312', 'nope', 'iso-8859-8-i', 'windows-874', 'cp1252', 'sjis'];
for (const l of labels) { try { const d = new TextDecoder(l); console.log(JSON.stringify(l), d.encoding, d.fatal, d.ignoreBOM); } catch (e) { console.log(JSON.stringify(l), e.name, e.code, e.message); } }
const samples = {
  'utf-16be': [0xfe, 0xff, 0x00, 0x41, 0xd8, 0x3d, 0xde, 0x00, 0x00, 0x42, 0xd8, 0x3d],
  'windows-1252': [0x41, 0xe9, 0xff, 0xa3],
  'windows-1251': [0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2],
  gbk: [0xc4, 0xe3, 0xba, 0xc3, 0x41, 0x80],
  gb18030: [0x81, 0x30, 0x81, 0x30, 0xc4, 0xe3],
  big5: [0xa4, 0xa4, 0xa4, 0xe5, 0x41],
  'euc-jp': [0xa4, 0xb3, 0xa4, 0xf3, 0x8e, 0xb1],
  'iso-2022-jp': [0x1b, 0x24, 0x42, 0x24, 0x33, 0x24, 0x73, 0x1b, 0x28, 0x42, 0x41],
  shift_jis: [0x82, 0xb1, 0x82, 0xf1, 0xb1, 0x41, 0x82],
  'euc-kr': [0xb0, 0xa1, 0xb0, 0xa2, 0x41],
  'koi8-r': [0xf0, 0xd2, 0xc9, 0xd7],
};
for (const [enc, arr] of Object.entries(samples)) {
  const bytes = new Uint8Array(arr);
  const whole = new TextDecoder(enc).decode(bytes);
  let fatal; try { fatal = new TextDecoder(enc, { fatal: true }).decode(bytes); } catch (e) { fatal = e.name + ':' + e.code; }
  const d = new TextDecoder(enc); let streamed = '';
  for (let i = 0; i < bytes.length; i++) streamed += d.decode(bytes.subarray(i, i + 1), { stream: true });
  streamed += d.decode();
  const keep = new TextDecoder(enc, { ignoreBOM: true }).decode(bytes);
  console.log(enc, JSON.stringify(whole), JSON.stringify(fatal), streamed === whole, JSON.stringify(keep));
}
const big = new Uint8Array(600000).map((_, i) => (i % 2 ? 0x41 + (i % 26) : 0));
console.log(new TextDecoder('utf-16be').decode(big).length, new TextDecoder('windows-1252').decode(new Uint8Array(700000).fill(0xe9)).slice(0, 3));
"#;
