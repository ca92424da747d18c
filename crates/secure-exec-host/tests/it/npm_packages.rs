//! Real npm packages, installed from the committed lockfile (tests/fixtures/npm) with `npm ci`
//! into target/, loaded by the guest from a mounted node_modules and compared with Node.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use secure_exec_host::{
    ExecOptions, ExecResult, HostDir, NodeRuntime, NodeRuntimeOptions, SystemDriver,
};

use crate::oracle::{self, TempDir};
use crate::support;

/// Installs the fixture once per lockfile and returns the directory holding node_modules.
pub(crate) fn installed() -> PathBuf {
    static INSTALL: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut done = INSTALL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(dir) = done.as_ref() {
        return dir.clone();
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npm");
    let lock = std::fs::read_to_string(fixture.join("package-lock.json")).unwrap();
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/npm-fixture");
    std::fs::create_dir_all(&target).unwrap();
    let target = std::fs::canonicalize(target).unwrap();
    let stamp = target.join("installed-lock.json");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(lock.as_str()) {
        for name in ["package.json", "package-lock.json"] {
            std::fs::copy(fixture.join(name), target.join(name)).unwrap();
        }
        let status = std::process::Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&target)
            .status()
            .unwrap_or_else(|err| panic!("`npm` is needed to install the test packages: {err}"));
        assert!(status.success(), "npm ci failed: {status}");
        std::fs::write(&stamp, &lock).unwrap();
    }
    *done = Some(target.clone());
    target
}

/// A project of `files` next to the installed node_modules (linked in, read-only to tests).
fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new("npm").with_files(files);
    std::os::unix::fs::symlink(installed().join("node_modules"), dir.path().join("node_modules"))
        .unwrap();
    dir
}

const CJS: &str = r#"
const semver = require('semver');
console.log(semver.satisfies('1.2.3', '^1.0.0'), semver.inc('1.2.3', 'minor'), semver.sort(['1.10.0', '1.2.0', '1.9.9']).join(','), semver.valid('x'));
const _ = require('lodash');
console.log(_.chunk([1, 2, 3, 4, 5], 2), _.camelCase('Foo Bar'), _.uniq([1, 1, 2]), _.get({ a: { b: [1, { c: 3 }] } }, 'a.b[1].c'), _.template('hi <%= who %>')({ who: 'you' }));
const { z } = require('zod');
const schema = z.object({ a: z.number().int(), tags: z.array(z.string()).optional() });
console.log(schema.safeParse({ a: 1 }).success, schema.safeParse({ a: 'x' }).success, schema.safeParse({ a: 1.5 }).error.issues[0].code);
const { v4, validate, v5, version } = require('uuid');
console.log(validate(v4()), version(v4()), v5('hello', v5.URL));
import('nanoid').then(({ customAlphabet, nanoid }) => console.log(customAlphabet('a', 5)(), nanoid().length));
"#;

const ESM: &str = r#"
import { customAlphabet, nanoid } from 'nanoid';
import semver from 'semver';
import _ from 'lodash';
import { z } from 'zod';
import { v5, validate } from 'uuid';
console.log(customAlphabet('xy', 4)().length, nanoid(10).length, semver.gt('2.0.0', '1.9.9'), _.kebabCase('Foo Bar'), z.string().email().safeParse('a@b.co').success, validate(v5('x', v5.DNS)));
"#;

/// The project read-write at /app, the installed packages read-only at /app/node_modules
/// (the project's link to them leads out of its mount, so the guest could not follow it).
pub(crate) fn runtime(v8: &secure_exec_host::V8Runtime, project: &Path) -> NodeRuntime {
    runtime_on(v8, project, SystemDriver::default())
}

/// [`runtime`] with the world built on `base` (a network policy).
fn runtime_on(v8: &secure_exec_host::V8Runtime, project: &Path, base: SystemDriver) -> NodeRuntime {
    NodeRuntime::new(NodeRuntimeOptions {
        v8_runtime: Some(v8.clone()),
        system: base
            .mount(oracle::GUEST_DIR, HostDir::read_write(project))
            .mount("/app/node_modules", HostDir::read_only(installed().join("node_modules")))
            .with_cwd(oracle::GUEST_DIR),
        ..Default::default()
    })
}

async fn guest(
    v8: &secure_exec_host::V8Runtime,
    dir: &Path,
    entry: &str,
    code: &str,
) -> ExecResult {
    let options = ExecOptions { filename: Some(format!("/app/{entry}")), ..Default::default() };
    runtime(v8, dir).exec_with(code, options).await.unwrap()
}

async fn same_as_node_with_packages(entry: &str, code: &str) {
    let v8 = support::spawn().await;
    let dir = project(&[(entry, code)]);
    let (status, expected, stderr) = oracle::node_in(dir.path(), entry);
    assert_eq!(status, 0, "node failed: {stderr}");
    let r = guest(&v8, dir.path(), entry, code).await;
    assert_eq!(r.error_code, None, "{:?}\nstdout so far:\n{}", r.error_message, r.stdout);
    assert_eq!(r.stdout, expected);
}

#[tokio::test]
async fn semver_lodash_zod_uuid_and_an_esm_only_package_work_as_in_node_from_commonjs() {
    same_as_node_with_packages("main.js", CJS).await;
}

#[tokio::test]
async fn the_same_packages_work_as_in_node_from_an_es_module() {
    same_as_node_with_packages("main.mjs", ESM).await;
}

/// Common npm HTTP clients (axios over node:http with follow-redirects, node-fetch 2) against
/// a local server, admitted by the network policy, print what they print in Node; axios asks
/// for and decodes a Brotli body itself (through `zlib.createBrotliDecompress`).
#[tokio::test]
async fn npm_http_clients_work_as_in_node() {
    let server = crate::http_server::Server::start();
    let code = r#"
const axios = require('axios');
const fetch = require('node-fetch');
(async () => {
  const base = 'http://127.0.0.1:PORT';
  const r = await axios.get(base + '/json');
  console.log('axios', r.status, r.data, r.headers['content-type']);
  const posted = await axios.post(base + '/echo', { a: 1 });
  console.log('axios post', posted.data.method, posted.data.body, posted.data.contentType);
  const moved = await axios.get(base + '/redirect?to=/json');
  console.log('axios redirect', moved.status, moved.data.hello);
  try { await axios.get(base + '/missing'); } catch (e) { console.log('axios error', e.response.status, e.response.data); }
  const br = await axios.get(base + '/brotli');
  console.log('axios brotli', br.data.compressed, br.data.items.length, br.headers['content-encoding']);
  const n = await fetch(base + '/json');
  console.log('node-fetch', n.status, n.headers.get('x-test'), await n.json());
  const big = await fetch(base + '/big?n=300000');
  console.log('node-fetch body', (await big.buffer()).length);
})();
"#
    .replace("PORT", &server.port.to_string());
    let v8 = support::spawn().await;
    let dir = project(&[("main.js", code.as_str())]);
    let (status, expected, stderr) = oracle::node_in(dir.path(), "main.js");
    assert_eq!(status, 0, "node failed: {stderr}");
    let rule = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let rt = runtime_on(&v8, dir.path(), SystemDriver::default().allow_net(rule));
    let options = ExecOptions { filename: Some("/app/main.js".into()), ..Default::default() };
    let r = rt.exec_with(&code, options).await.unwrap();
    assert_eq!(r.error_code, None, "{:?}\nstdout so far:\n{}", r.error_message, r.stdout);
    assert_eq!(r.stdout, expected);
    v8.dispose().await;
}

/// jsonwebtoken signs and verifies through `crypto.createSecretKey`, `KeyObject` and HMAC,
/// and with RSA and EC keys (RS256, PS384, ES256, ES384), and rejects tampered, expired and
/// wrongly signed tokens with Node's errors.
#[tokio::test]
async fn jsonwebtoken_signs_and_verifies_as_in_node() {
    same_as_node_with_packages(
        "main.js",
        r#"
const jwt = require('jsonwebtoken');
const token = jwt.sign({ sub: 'ada', iat: 1700000000 }, 'secret', { algorithm: 'HS256' });
console.log(token);
console.log(jwt.verify(token, 'secret'));
console.log(jwt.sign({ n: 1, iat: 1700000000 }, Buffer.from('k'.repeat(64)), { algorithm: 'HS512' }));
const secret = require('crypto').createSecretKey(Buffer.from('shh'));
console.log(secret.type, secret.symmetricKeySize, jwt.verify(jwt.sign({ iat: 1700000000 }, secret), secret));
for (const [name, verify] of [
  ['wrong secret', () => jwt.verify(token, 'other')],
  ['tampered', () => jwt.verify(token.slice(0, -2) + 'xx', 'secret')],
  ['expired', () => jwt.verify(jwt.sign({ exp: 1 }, 'secret'), 'secret')],
  ['none', () => jwt.verify(jwt.sign({ a: 1 }, null, { algorithm: 'none' }), 'secret')],
]) {
  try { verify(); console.log(name, 'accepted'); } catch (e) { console.log(name, e.name, e.message); }
}
console.log(jwt.decode(token, { complete: true }).header);
// Asymmetric algorithms, with keys made on the spot (their signatures differ run to run).
const { generateKeyPairSync } = require('crypto');
for (const [alg, type, opts] of [['RS256', 'rsa', { modulusLength: 2048 }], ['PS384', 'rsa', { modulusLength: 2048 }],
  ['ES256', 'ec', { namedCurve: 'P-256' }], ['ES384', 'ec', { namedCurve: 'P-384' }]]) {
  const pair = generateKeyPairSync(type, opts);
  const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' });
  const signed = jwt.sign({ sub: 'ada', iat: 1700000000 }, pem, { algorithm: alg });
  const other = generateKeyPairSync(type, opts).publicKey;
  let rejected;
  try { jwt.verify(signed, other); } catch (e) { rejected = e.message; }
  console.log(alg, jwt.verify(signed, pair.publicKey), rejected, jwt.decode(signed, { complete: true }).header);
}
"#,
    )
    .await;
}

/// Loggers and caches that lean on less common built-ins (diagnostics_channel, older stream
/// libraries calling `Stream` as their base, `fs.writeSync` to a descriptor) work as in Node.
#[tokio::test]
async fn pino_winston_and_lru_cache_work_as_in_node() {
    same_as_node_with_packages(
        "main.js",
        r#"
const lines = [];
const sink = { write: (line) => { lines.push(line.trim()); } };
const pino = require('pino')({ base: null, timestamp: false }, sink);
pino.info({ a: 1 }, 'hello');
pino.child({ req: 7 }).warn('careful');
console.log(lines.join('\n'));
const winston = require('winston');
const { Writable } = require('stream');
const captured = [];
const logger = winston.createLogger({
  format: winston.format.combine(winston.format.label({ label: 'app' }), winston.format.json()),
  transports: [new winston.transports.Stream({ stream: new Writable({ write(chunk, enc, cb) { captured.push(chunk.toString().trim()); cb(); } }) })],
});
logger.info('hi', { a: 1 });
logger.error('bad', { code: 7 });
const { LRUCache } = require('lru-cache');
const cache = new LRUCache({ max: 2 });
cache.set('a', 1); cache.set('b', 2); cache.get('a'); cache.set('c', 3);
console.log([...cache.keys()], cache.has('b'), cache.size);
setTimeout(() => console.log(captured.join('\n')), 5);
"#,
    )
    .await;
}

/// Archivers that lean on zlib's internals (minizlib drives `_processChunk`), numeric open
/// flags, `chmod` and `utimes`, and `path.win32`: a gzipped tar and a zip made and unpacked.
#[tokio::test]
async fn tar_and_adm_zip_pack_and_unpack_as_in_node() {
    same_as_node_with_packages(
        "main.js",
        r#"
const fs = require('fs');
const tar = require('tar');
const AdmZip = require('adm-zip');
(async () => {
  fs.mkdirSync('src/inner', { recursive: true });
  fs.writeFileSync('src/a.txt', 'alpha\n');
  fs.writeFileSync('src/inner/b.txt', 'beta '.repeat(1000));
  await tar.c({ gzip: true, file: 'bundle.tgz', portable: true }, ['src']);
  const listed = [];
  await tar.t({ file: 'bundle.tgz', onReadEntry: (entry) => listed.push(entry.path + ' ' + entry.size) });
  console.log(listed.sort());
  fs.mkdirSync('out', { recursive: true });
  await tar.x({ file: 'bundle.tgz', cwd: 'out' });
  console.log(fs.readFileSync('out/src/a.txt', 'utf8').trim(), fs.readFileSync('out/src/inner/b.txt', 'utf8').length);
  const zip = new AdmZip();
  zip.addFile('notes/one.txt', Buffer.from('one'));
  zip.addLocalFolder('src', 'copied');
  zip.writeZip('bundle.zip');
  const back = new AdmZip('bundle.zip');
  console.log(back.getEntries().map((e) => e.entryName).sort(), back.readAsText('notes/one.txt'));
  back.extractAllTo('unzipped', true);
  console.log(fs.readFileSync('unzipped/copied/inner/b.txt', 'utf8').length);
})();
"#,
    )
    .await;
}
