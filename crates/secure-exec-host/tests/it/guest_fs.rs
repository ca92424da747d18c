//! The guest's `fs` against Node's: the same script in a project directory, run by `node` and
//! by the guest with the directory mounted read-write; outputs must be equal.

use crate::oracle::{self, TempDir};
use crate::support;

const FS_SCRIPT: &str = r#"
const fs = require('fs');
const fsp = require('node:fs/promises');
const log = (...a) => console.log(...a);
const code = (f) => {
  try { const v = f(); return 'ok ' + (v === undefined ? '' : JSON.stringify(v)); }
  catch (e) { return [e.code, e.syscall, e.errno, e.message].join(' | '); }
};

log(fs.mkdirSync('data/a/b', { recursive: true }), fs.mkdirSync('data/a/b', { recursive: true }));
fs.mkdirSync('data/c/d', { recursive: true });
fs.writeFileSync('data/a/one.txt', 'héllo');
fs.writeFileSync('data/a/bytes.bin', Buffer.from([0, 1, 2, 255]));
fs.appendFileSync('data/a/one.txt', ' world');
log(fs.readFileSync('data/a/one.txt', 'utf8'), fs.readFileSync('data/a/one.txt').length, fs.readFileSync('data/a/bytes.bin'));
log(fs.readFileSync('data/a/one.txt', { encoding: 'base64' }), fs.readFileSync('data/a/one.txt', 'hex'));
log(fs.readdirSync('data').sort(), fs.readdirSync('data', { withFileTypes: true }).map(d => d.name + ':' + d.isDirectory()).sort());
log(fs.readdirSync('data', { recursive: true }).sort());
const st = fs.statSync('data/a/one.txt');
log(st.isFile(), st.isDirectory(), st.isSymbolicLink(), st.size, typeof st.mtimeMs, st.mtime instanceof Date, (st.mode & 0o170000).toString(8));
log(fs.statSync('data').isDirectory(), fs.lstatSync('data/a').isDirectory(), fs.statSync('nope', { throwIfNoEntry: false }));
log(fs.existsSync('data/a/one.txt'), fs.existsSync('data/zzz'), fs.existsSync(''));
log(code(() => fs.accessSync('data/a/one.txt')), code(() => fs.accessSync('data/a/one.txt', fs.constants.W_OK)));

for (const [name, f] of [
  ['read missing', () => fs.readFileSync('data/missing.txt')],
  ['read dir', () => fs.readFileSync('data')],
  ['mkdir exists', () => fs.mkdirSync('data/a')],
  ['mkdir no parent', () => fs.mkdirSync('data/x/y/z')],
  ['mkdir under file', () => fs.mkdirSync('data/a/one.txt/sub', { recursive: true })],
  ['readdir file', () => fs.readdirSync('data/a/one.txt')],
  ['readdir missing', () => fs.readdirSync('data/none')],
  ['rmdir not empty', () => fs.rmdirSync('data/a')],
  ['rmdir file', () => fs.rmdirSync('data/a/one.txt')],
  ['unlink dir', () => fs.unlinkSync('data/a')],
  ['unlink missing', () => fs.unlinkSync('data/none')],
  ['rename missing', () => fs.renameSync('data/none', 'data/other')],
  ['rm dir', () => fs.rmSync('data/a')],
  ['rm missing force', () => fs.rmSync('data/none', { force: true })],
  ['write into missing dir', () => fs.writeFileSync('data/none/f.txt', 'x')],
  ['write dir', () => fs.writeFileSync('data/a', 'x')],
  ['wx exists', () => fs.writeFileSync('data/a/one.txt', 'x', { flag: 'wx' })],
  ['copy exclusive', () => fs.copyFileSync('data/a/one.txt', 'data/a/bytes.bin', fs.constants.COPYFILE_EXCL)],
  ['open missing', () => fs.openSync('data/none', 'r')],
  ['stat missing', () => fs.statSync('data/none')],
  ['lstat missing', () => fs.lstatSync('data/none')],
  ['realpath missing', () => fs.realpathSync('data/none')],
  ['access missing', () => fs.accessSync('data/none')],
  ['null byte', () => fs.readFileSync('data/a\u0000b')],
  ['bad path type', () => fs.readFileSync(42)],
]) log(name, code(f));

const fd = fs.openSync('data/a/one.txt', 'r+');
const buf = Buffer.alloc(5);
log(fs.readSync(fd, buf, 0, 5, 1), buf.toString());
log(fs.writeSync(fd, 'HE', 0), fs.writeSync(fd, Buffer.from('LL'), 0, 2, 2), fs.fstatSync(fd).size);
fs.closeSync(fd);
log(code(() => fs.closeSync(fd)), fs.readFileSync('data/a/one.txt', 'utf8'));
const w = fs.openSync('data/log.txt', 'w'); fs.writeSync(w, 'abc'); fs.writeSync(w, 'def'); fs.closeSync(w);
const a = fs.openSync('data/log.txt', 'a'); fs.writeSync(a, 'ghi'); fs.closeSync(a);
log(fs.readFileSync('data/log.txt', 'utf8'));
const r = fs.openSync('data/log.txt'); const b2 = Buffer.alloc(4);
log(fs.readSync(r, b2), b2.toString(), fs.readSync(r, b2), b2.toString(), fs.readSync(r, b2, 0, 4, null), fs.readSync(r, b2));
fs.closeSync(r);
fs.copyFileSync('data/log.txt', 'data/copy.txt'); fs.renameSync('data/copy.txt', 'data/c/moved.txt');
log(fs.readFileSync('data/c/moved.txt', 'utf8'), fs.existsSync('data/copy.txt'));
fs.truncateSync('data/c/moved.txt', 4); log(fs.readFileSync('data/c/moved.txt', 'utf8'));
log(fs.realpathSync('data/a/../c/./d'));
fs.rmSync('data/c', { recursive: true }); log(fs.existsSync('data/c'));
fs.unlinkSync('data/log.txt');
const big = Buffer.alloc(3 * 1024 * 1024 + 17, 'x'); big[big.length - 1] = 0x79;
fs.writeFileSync('data/big.bin', big); const back = fs.readFileSync('data/big.bin');
log(back.length, back[back.length - 1], back.equals(big), fs.readFileSync('data/big.bin', 'latin1').length);

(async () => {
  await fsp.writeFile('data/p.txt', 'promised');
  await fsp.appendFile('data/p.txt', '!');
  log(await fsp.readFile('data/p.txt', 'utf8'), (await fsp.stat('data/p.txt')).size, (await fsp.readdir('data')).sort());
  try { await fsp.readFile('data/none'); } catch (e) { log(e.code, e.syscall, e.message); }
  try { await fsp.mkdir('data/a'); } catch (e) { log(e.code, e.syscall, e.message); }
  const h = await fsp.open('data/p.txt', 'r');
  const { bytesRead, buffer } = await h.read(Buffer.alloc(3), 0, 3, 0);
  log(bytesRead, buffer.toString(), (await h.stat()).size);
  await h.close();
  await new Promise((res) => fs.readFile('data/p.txt', 'utf8', (err, t) => { log('cb', err, t); res(); }));
  await new Promise((res) => fs.stat('data/none', (err) => { log('cb', err.code, err.message); res(); }));
  await new Promise((res) => fs.exists('data/p.txt', (yes) => { log('exists', yes); res(); }));
  await new Promise((res) => fs.mkdir('data/q/r', { recursive: true }, (err, first) => { log('mkdir', err, first); res(); }));
  await fsp.rm('data', { recursive: true });
  log(fs.existsSync('data'));
})();
"#;

const STREAM_SCRIPT: &str = r#"
const fs = require('fs');
const { pipeline } = require('stream');
const w = fs.createWriteStream('out.txt');
w.write('hello ');
w.write(Buffer.from('stream '));
w.end('world\n', () => {
  console.log('finished', w.bytesWritten, fs.readFileSync('out.txt', 'utf8').trim());
  const r = fs.createReadStream('out.txt', { encoding: 'utf8', highWaterMark: 4 });
  const chunks = [];
  r.on('data', (c) => chunks.push(c));
  r.on('end', () => {
    console.log('read', chunks.length, chunks.join('|'), r.bytesRead);
    fs.createReadStream('missing.txt').on('error', (e) => {
      console.log('error', e.code, e.syscall, e.message);
      pipeline(fs.createReadStream('out.txt', { start: 6, end: 11 }), fs.createWriteStream('part.txt'), (err) => {
        console.log('pipeline', err, fs.readFileSync('part.txt', 'utf8'));
        const a = fs.createWriteStream('out.txt', { flags: 'a' });
        a.end('more\n', () => console.log(JSON.stringify(fs.readFileSync('out.txt', 'utf8'))));
      });
    });
  });
});
w.on('close', () => console.log('write closed'));
"#;

#[tokio::test]
async fn fs_streams_behave_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", STREAM_SCRIPT)], "main.js").await;
}

#[tokio::test]
async fn fs_behaves_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", FS_SCRIPT)], "main.js").await;
}

/// More file operations at once than a session may have in flight (they wait their turn, as
/// in Node's thread pool, instead of failing), and long backlogs through readline's and
/// `events.on`'s async iterators and a directory handle; compared with Node.
#[tokio::test]
async fn many_calls_at_once_and_long_backlogs_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", MANY_AT_ONCE)], "main.js").await;
}

/// Files of every size around the host's 1 MiB read piece, whole and from a descriptor's
/// position, compared with Node; and a 40 MiB file read twice (once as text) in a 128 MB
/// session, which needs the file read into one buffer, as Node reads it, not gathered in
/// pieces and then joined.
#[tokio::test]
async fn large_files_are_read_into_one_buffer() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", READ_SIZES)], "main.js").await;
    let rt = support::on(&v8);
    let code = "const fs = require('fs'); fs.writeFileSync('/big', Buffer.alloc(40 << 20, 1)); \
        const b = fs.readFileSync('/big'); const s = fs.readFileSync('/big', 'latin1'); \
        console.log(b.length, s.length, b[b.length - 1], s.charCodeAt(s.length - 1))";
    let options = ExecOptions { memory_limit: Some(128), ..Default::default() };
    let r = rt.exec_with(code, options).await.unwrap();
    assert_eq!((r.code, r.stdout.trim()), (0, "41943040 41943040 1 1"), "{:?}", r.error_message);
}

const READ_SIZES: &str = r#"
const fs = require('fs'), path = require('path'), os = require('os');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rf-'));
const f = path.join(dir, 'f');
for (const n of [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 5]) {
  fs.writeFileSync(f, Buffer.alloc(n, 0x61).fill(0x62, n >> 1));
  const b = fs.readFileSync(f);
  const fd = fs.openSync(f, 'r'); fs.readSync(fd, Buffer.alloc(10), 0, 10, null); const rest = fs.readFileSync(fd); fs.closeSync(fd);
  console.log(n, b.length, b.buffer.byteLength >= b.length, b[0], b[n - 1], rest.length, fs.readFileSync(f, 'latin1').length, require('crypto').createHash('md5').update(b).digest('hex'));
}
fs.rmSync(dir, { recursive: true });
"#;

const MANY_AT_ONCE: &str = r#"
const fs = require('fs'), path = require('path'), os = require('os'), stream = require('stream'), events = require('events');
(async () => {
  // 300 file operations at once: more than a session may have in flight, queued as Node's pool queues them.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'many-'));
  await Promise.all(Array.from({ length: 300 }, (_, i) => fs.promises.writeFile(path.join(dir, 'f' + i), 'data ' + i)));
  const texts = await Promise.all(Array.from({ length: 300 }, (_, i) => fs.promises.readFile(path.join(dir, 'f' + i), 'utf8')));
  console.log(texts.length, texts[0], texts[299], fs.readdirSync(dir).length);
  let done = 0, sizes = 0;
  await new Promise((resolve) => {
    for (let i = 0; i < 150; i++) fs.stat(path.join(dir, 'f' + i), (err, st) => { sizes += err ? 0 : st.size; if (++done === 150) resolve(); });
  });
  console.log('callbacks', done, sizes);
  const d = await fs.promises.opendir(dir);
  let entries = 0;
  for await (const e of d) entries++;
  console.log('dir entries', entries);
  await fs.promises.rm(dir, { recursive: true });
  // A backlog of 60,000 lines through readline's async iterator, and of events through events.on.
  const rl = require('readline').createInterface({ input: stream.Readable.from(['line\n'.repeat(60000) + 'last']) });
  let lines = 0, last;
  for await (const l of rl) { lines++; last = l; }
  console.log('lines', lines, last);
  const ee = new events.EventEmitter();
  const it = events.on(ee, 'tick');
  for (let i = 0; i < 60000; i++) ee.emit('tick', i);
  let sum = 0, n = 0;
  for await (const [v] of it) { sum += v; if (++n === 60000) break; }
  console.log('events', n, sum);
})();
"#;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use secure_exec_host::{
    ErrorCode, ExecOptions, FileSystem, HostDir, MemFs, SystemDriver, WriteMode,
};

#[tokio::test]
async fn a_read_only_mount_refuses_every_change_with_erofs_and_the_host_is_untouched() {
    let v8 = support::spawn().await;
    let dir = TempDir::new("ro").with_files(&[("keep.txt", "original"), ("sub/x.txt", "x")]);
    let rt = support::with_system(
        &v8,
        SystemDriver::default().mount("/ro", HostDir::read_only(dir.path())),
    );
    let r = rt
        .exec(
            r#"
            const fs = require('fs');
            console.log(fs.readFileSync('/ro/keep.txt', 'utf8'), fs.readdirSync('/ro').sort());
            for (const f of [
              () => fs.writeFileSync('/ro/keep.txt', 'changed'),
              () => fs.writeFileSync('/ro/new.txt', 'new'),
              () => fs.appendFileSync('/ro/keep.txt', 'more'),
              () => fs.unlinkSync('/ro/keep.txt'),
              () => fs.mkdirSync('/ro/dir'),
              () => fs.rmSync('/ro/sub', { recursive: true }),
              () => fs.renameSync('/ro/keep.txt', '/ro/moved.txt'),
              () => fs.copyFileSync('/ro/keep.txt', '/ro/copy.txt'),
              () => fs.truncateSync('/ro/keep.txt', 0),
              () => fs.openSync('/ro/keep.txt', 'w'),
              () => fs.accessSync('/ro/keep.txt', fs.constants.W_OK),
            ]) { try { f(); console.log('CHANGED'); } catch (e) { console.log(e.code); } }
            fs.copyFileSync('/ro/keep.txt', '/copy.txt');
            console.log(fs.readFileSync('/copy.txt', 'utf8'));
            "#,
        )
        .await
        .unwrap();
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    let expected = format!("original [ 'keep.txt', 'sub' ]\n{}original\n", "EROFS\n".repeat(11));
    assert_eq!(r.stdout, expected);
    assert_eq!(std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(), "original");
    assert!(dir.path().join("sub/x.txt").exists());
    assert!(!dir.path().join("new.txt").exists());
}

/// A frozen mount reads as a read-only one (and refuses writes the same way), and what its
/// sessions learn of it is kept: a change made behind its back is not seen, as documented,
/// where a read-only mount of the same directory sees it at once.
#[tokio::test]
async fn a_frozen_mount_is_read_only_and_keeps_what_sessions_learn_of_it() {
    let v8 = support::spawn().await;
    let pad = "p".repeat(3000);
    let dir = TempDir::new("frozen").with_files(&[
        ("node_modules/dep/package.json", r#"{ "name": "dep", "main": "lib/main.js" }"#),
        ("node_modules/dep/lib/main.js", &format!("// {pad}\nexports.version = require('./v');")),
        ("node_modules/dep/lib/v.js", "module.exports = 'one';"),
        ("data.txt", "0123456789"),
    ]);
    let frozen = HostDir::frozen(dir.path());
    assert!(frozen.is_frozen() && !HostDir::read_only(dir.path()).is_frozen());
    let frozen_rt =
        support::with_system(&v8, SystemDriver::default().mount("/app", frozen.clone()));
    let read_only_rt = support::with_system(
        &v8,
        SystemDriver::default().mount("/app", HostDir::read_only(dir.path())),
    );
    let code = r#"
        const fs = require('fs');
        const fd = fs.openSync('/app/data.txt', 'r');
        const part = Buffer.alloc(4);
        fs.readSync(fd, part, 0, 4, 3);
        console.log(require('/app/node_modules/dep').version, fs.readFileSync('/app/data.txt', 'utf8'),
          part.toString(), fs.existsSync('/app/missing.js'), fs.readdirSync('/app').sort().join());
        try { fs.writeFileSync('/app/data.txt', 'x'); } catch (e) { console.log(e.code); }
    "#;
    let before = "one 0123456789 3456 false data.txt,node_modules\nEROFS\n";
    for rt in [&frozen_rt, &frozen_rt, &read_only_rt] {
        let r = rt.exec(code).await.unwrap();
        assert_eq!((r.error_code, r.stdout.as_str()), (None, before), "{:?}", r.error_message);
    }
    std::fs::write(dir.path().join("node_modules/dep/lib/v.js"), "module.exports = 'two';")
        .unwrap();
    std::fs::write(dir.path().join("data.txt"), "abcdefghij").unwrap();
    std::fs::write(dir.path().join("missing.js"), "").unwrap();
    let r = frozen_rt.exec(code).await.unwrap();
    assert_eq!(r.stdout, before, "a frozen mount keeps what it learnt: {:?}", r.error_message);
    let r = read_only_rt.exec(code).await.unwrap();
    assert_eq!(r.stdout, "two abcdefghij defg true data.txt,missing.js,node_modules\nEROFS\n");
    // A new frozen value of the directory starts afresh.
    let fresh = support::with_system(
        &v8,
        SystemDriver::default().mount("/app", HostDir::frozen(dir.path())),
    );
    assert_eq!(fresh.exec(code).await.unwrap().stdout, r.stdout);
    assert_eq!(std::fs::read_to_string(dir.path().join("data.txt")).unwrap(), "abcdefghij");
    v8.dispose().await;
}

/// `/app` under a mount at `/app/node_modules` is a directory the guest may fill, as it would
/// be on Linux: files and directories made there land in the root, beside the mount.
#[tokio::test]
async fn a_directory_above_a_mount_takes_new_files() {
    let v8 = support::spawn().await;
    let dir = TempDir::new("above").with_files(&[(
        "dep/index.js",
        "module.exports = require('fs').readFileSync('/app/out.json', 'utf8');",
    )]);
    let rt = support::with_system(
        &v8,
        SystemDriver::default().mount("/app/node_modules", HostDir::frozen(dir.path())),
    );
    let code = r#"
        const fs = require('fs');
        fs.writeFileSync('/app/out.json', '{"n": 1}');
        fs.mkdirSync('/app/deep/er', { recursive: true });
        fs.writeFileSync('/app/deep/er/x.txt', 'x');
        console.log(fs.readdirSync('/app').sort().join(), require('/app/out.json').n,
          fs.readFileSync('/app/deep/er/x.txt', 'utf8'), require('/app/node_modules/dep'));
        try { fs.mkdirSync('/app'); } catch (e) { console.log(e.code); }
        try { fs.writeFileSync('/app/node_modules/y', ''); } catch (e) { console.log(e.code); }
    "#;
    let r = rt.exec(code).await.unwrap();
    assert_eq!(r.stdout, "deep,node_modules,out.json 1 x {\"n\": 1}\nEEXIST\nEROFS\n", "{r:?}");
    // Nothing of it reached the host directory, and the next session starts afresh.
    assert!(!dir.path().join("out.json").exists());
    let r = rt.exec("console.log(require('fs').readdirSync('/app').join())").await.unwrap();
    assert_eq!(r.stdout, "node_modules\n");
    v8.dispose().await;
}

#[tokio::test]
async fn the_default_root_is_fresh_for_every_session_and_has_a_quota() {
    let v8 = support::spawn().await;
    let rt = support::with_system(&v8, SystemDriver::default().with_root_quota(1024 * 1024));
    let r = rt
        .exec("require('fs').writeFileSync('/left.txt', 'x'); console.log(require('fs').readdirSync('/'))")
        .await
        .unwrap();
    assert_eq!(r.stdout, "[ 'left.txt', 'tmp' ]\n", "{:?}", r.error_message);
    let r = rt.exec("console.log(require('fs').readdirSync('/'))").await.unwrap();
    assert_eq!(r.stdout, "[ 'tmp' ]\n", "nothing passes between sessions: {:?}", r.error_message);
    let r = rt
        .exec(
            r#"
            const fs = require('fs');
            fs.writeFileSync('/a.bin', Buffer.alloc(600 * 1024));
            try { fs.writeFileSync('/b.bin', Buffer.alloc(600 * 1024)); } catch (e) { console.log(e.code, e.message); }
            fs.unlinkSync('/a.bin');
            fs.writeFileSync('/b.bin', Buffer.alloc(600 * 1024));
            let n = 0;
            try { for (;;) { fs.writeFileSync('/f' + n, ''); n++; } } catch (e) { console.log(e.code, n > 100); }
            "#,
        )
        .await
        .unwrap();
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("ENOSPC ENOSPC: no space left on device"), "{}", r.stdout);
    assert_eq!(lines[1], "ENOSPC true", "empty files count against the quota too");
}

#[tokio::test]
async fn a_shared_memfs_is_one_workspace_for_every_runtime_given_it() {
    let v8 = support::spawn().await;
    let workspace = MemFs::new();
    let writer = support::with_system(&v8, SystemDriver::default().mount("/ws", workspace.clone()));
    let reader =
        support::with_system(&v8, SystemDriver::default().mount("/shared", workspace.clone()));
    let r = writer.exec("require('fs').writeFileSync('/ws/note.txt', 'kept')").await.unwrap();
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    let r = reader
        .exec("console.log(require('fs').readFileSync('/shared/note.txt', 'utf8'))")
        .await
        .unwrap();
    assert_eq!(r.stdout, "kept\n", "{:?}", r.error_message);
    assert!(workspace.used_bytes() > 0);
}

#[tokio::test]
async fn the_io_bounds_of_a_session_give_err_io_limit() {
    let v8 = support::spawn().await;
    let rt = support::with_system(
        &v8,
        SystemDriver::default().with_io_limits(2 * 1024 * 1024, 1024 * 1024),
    );
    let r = rt
        .exec(
            r#"
            const fs = require('fs');
            fs.writeFileSync('/a', Buffer.alloc(700 * 1024));
            try { fs.writeFileSync('/b', Buffer.alloc(700 * 1024)); } catch (e) { console.log(e.code); }
            fs.readFileSync('/a'); fs.readFileSync('/a');
            try { fs.readFileSync('/a'); } catch (e) { console.log(e.code, e.message); }
            "#,
        )
        .await
        .unwrap();
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    assert_eq!(
        r.stdout,
        "ERR_IO_LIMIT\nERR_IO_LIMIT ERR_IO_LIMIT: the session may read at most 2097152 bytes through the host\n"
    );
}

#[tokio::test]
async fn a_bad_mount_is_invalid_options_not_a_silent_empty_directory() {
    let v8 = support::spawn().await;
    let rt = support::with_system(
        &v8,
        SystemDriver::default().mount("/x", HostDir::read_only("/no/such/dir")),
    );
    let err = rt.exec("1").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidOptions);
    assert!(err.to_string().contains("/no/such/dir"), "{err}");
    let rt = support::with_system(&v8, SystemDriver::default().mount("relative", MemFs::new()));
    assert_eq!(rt.exec("1").await.unwrap_err().code(), ErrorCode::InvalidOptions);
}

/// An embedder's own backend: a MemFs whose reads wait, counting calls in flight.
struct SlowFs {
    fs: support::HookedFs,
    most: Arc<AtomicUsize>,
}

fn slow(delay: Duration) -> SlowFs {
    let inner = MemFs::new();
    inner.write(Path::new("f.txt"), b"slow bytes", WriteMode::default()).unwrap();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&most);
    let fs = support::HookedFs::new(inner, move |op, _| {
        if op == "read" {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            seen.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(delay);
            in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    });
    SlowFs { fs, most }
}

#[tokio::test]
async fn a_session_blocked_on_the_host_still_stops_at_once_for_its_timeout_and_cancel() {
    let v8 = support::spawn().await;
    let rt = support::with_system(
        &v8,
        SystemDriver::default().mount("/slow", slow(Duration::from_secs(5)).fs),
    );
    let started = Instant::now();
    let options = ExecOptions { timeout_ms: Some(300), ..Default::default() };
    let r = rt.exec_with("require('fs').readFileSync('/slow/f.txt')", options).await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::Timeout), "{:?}", r.error_message);
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());

    // A promise-based read keeps the session alive until it settles, and a cancel ends it.
    let running = tokio::spawn({
        let rt = rt.clone();
        async move {
            rt.exec(
                "require('fs').promises.readFile('/slow/f.txt').then(() => console.log('read'))",
            )
            .await
        }
    });
    support::wait_for_active_sessions(&v8, 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    running.abort();
    support::wait_for_idle(&v8).await;
    let r = rt.exec("console.log('alive')").await.unwrap();
    assert_eq!(r.stdout, "alive\n");
}

#[tokio::test]
async fn time_blocked_on_the_host_counts_toward_the_timeout_but_not_cpu_time() {
    let v8 = support::spawn().await;
    let rt = support::with_system(
        &v8,
        SystemDriver::default().mount("/slow", slow(Duration::from_millis(600)).fs),
    );
    let code = "const fs = require('fs'); console.log(fs.readFileSync('/slow/f.txt', 'utf8'), fs.readFileSync('/slow/f.txt').length)";
    // A first session compiles the module loader and the built-ins; the worker keeps their
    // code, so the measured session's own CPU time is small even on a slow machine.
    let warm = rt.exec(code).await.unwrap();
    assert_eq!(warm.error_code, None, "{:?}", warm.error_message);
    let options = ExecOptions { cpu_time_limit_ms: Some(300), ..Default::default() };
    let r = rt.exec_with(code, options).await.unwrap();
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    assert_eq!(r.stdout, "slow bytes 10\n");
    // 1.2 s spent waiting on the host is wall time, none of it CPU time.
    assert!(r.metrics.wall_time >= Duration::from_millis(1200), "{:?}", r.metrics);
    assert!(r.metrics.cpu_time < Duration::from_millis(300), "{:?}", r.metrics);
}

#[tokio::test]
async fn a_disposed_worker_ends_a_session_blocked_on_the_host() {
    let v8 = support::spawn().await;
    let rt = support::with_system(
        &v8,
        SystemDriver::default().mount("/slow", slow(Duration::from_secs(5)).fs),
    );
    let running = tokio::spawn({
        let rt = rt.clone();
        async move { rt.exec("require('fs').readFileSync('/slow/f.txt')").await }
    });
    support::wait_for_active_sessions(&v8, 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    v8.dispose().await;
    let r = running.await.unwrap().unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::V8ProcessCrash), "{:?}", r.error_message);
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn sixteen_sessions_make_host_calls_at_once_and_each_gets_its_own_answers() {
    let v8 = support::spawn().await;
    let SlowFs { fs, most } = slow(Duration::from_millis(20));
    let rt = support::with_system(&v8, SystemDriver::default().mount("/slow", fs));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let rt = rt.clone();
        tasks.push(tokio::spawn(async move {
            let code = format!(
                r#"
                const fs = require('fs');
                fs.writeFileSync('/mine.txt', 'session {i}');
                Promise.all(Array.from({{ length: 8 }}, () => fs.promises.readFile('/slow/f.txt', 'utf8')))
                  .then((all) => console.log(fs.readFileSync('/mine.txt', 'utf8'), all.length, new Set(all).size));
                "#
            );
            rt.exec(&code).await.unwrap()
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let r = task.await.unwrap();
        assert_eq!(r.stdout, format!("session {i} 8 1\n"), "{:?}", r.error_message);
    }
    assert!(most.load(Ordering::SeqCst) > 1, "calls ran concurrently on the blocking pool");
}

#[tokio::test]
async fn mkdtemp_cp_and_opendir_match_node() {
    let v8 = support::spawn().await;
    let script = r#"const fs = require('fs');
const path = require('path');
const base = fs.mkdtempSync(path.join(process.cwd(), 'tmp-'));
console.log(path.basename(base).length, path.basename(base).startsWith('tmp-'));
fs.mkdirSync(base + '/src/sub', { recursive: true });
fs.writeFileSync(base + '/src/a.txt', 'A');
fs.writeFileSync(base + '/src/sub/b.txt', 'B');
try { fs.cpSync(base + '/src', base + '/dst'); } catch (e) { console.log(e.code, e.errno, e.syscall, e.message.split(base).join('BASE')); }
fs.cpSync(base + '/src', base + '/dst', { recursive: true });
console.log(fs.readdirSync(base + '/dst', { recursive: true }).sort(), fs.readFileSync(base + '/dst/sub/b.txt', 'utf8'));
fs.cpSync(base + '/src/a.txt', base + '/one.txt');
console.log(fs.readFileSync(base + '/one.txt', 'utf8'));
const dir = fs.opendirSync(base + '/src');
const names = [];
let entry;
while ((entry = dir.readSync()) !== null) names.push(entry.name + ':' + entry.isDirectory());
dir.closeSync();
console.log(names.sort());
(async () => {
  const d = await fs.promises.opendir(base + '/dst');
  const seen = [];
  for await (const e of d) seen.push(e.name);
  console.log(seen.sort());
  const t = await fs.promises.mkdtemp(base + '/p-');
  console.log(fs.statSync(t).isDirectory());
  fs.mkdtemp(base + '/c-', (err, p) => { console.log(err, fs.existsSync(p)); fs.rmSync(base, { recursive: true }); });
})();
"#;
    oracle::same_as_node(&v8, &[("main.js", script)], "main.js").await;
    v8.dispose().await;
}

/// Links in the in-memory root: made, read, followed, listed, renamed, removed and copied as
/// in Node (on the real filesystem), loops and dangling ones included.
#[tokio::test]
async fn symlinks_match_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", SYMLINKS)], "main.js").await;
    v8.dispose().await;
}

/// Links cannot make a path walk without end: a target longer than `PATH_MAX`, more than 40
/// links on one path, and links that expand a short path past `PATH_MAX` each fail with
/// Linux's code, at once.
#[tokio::test]
async fn links_are_bounded_as_on_linux() {
    let v8 = support::spawn().await;
    let rt = support::with_system(&v8, SystemDriver::default());
    let r = rt
        .exec(
            r#"
            const fs = require('fs');
            const code = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };
            console.log(code(() => fs.symlinkSync('x'.repeat(4097), '/tmp/long')));
            fs.writeFileSync('/tmp/end', 'end');
            fs.symlinkSync('end', '/tmp/l40');
            for (let i = 39; i >= 0; i--) fs.symlinkSync('l' + (i + 1), '/tmp/l' + i);
            console.log(code(() => fs.readFileSync('/tmp/l1')), code(() => fs.readFileSync('/tmp/l0')));
            fs.mkdirSync('/tmp/d');
            fs.symlinkSync('/tmp/d/' + './'.repeat(2000), '/tmp/d/wide');
            let p = '/tmp/d/wide';
            for (let i = 1; i < 30; i++) { fs.symlinkSync(p.slice(7) + '/wide', '/tmp/d/w' + i); p = '/tmp/d/w' + i; }
            console.log(code(() => fs.statSync(p)), code(() => fs.lstatSync(p)));
            "#,
        )
        .await
        .unwrap();
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    assert_eq!(
        r.stdout,
        "ENAMETOOLONG
ok ELOOP
ENAMETOOLONG ok
"
    );
}

/// A store of packages linked into `node_modules` (as pnpm lays them out): a module's
/// filename is its real path, and its own requires resolve from there.
#[tokio::test]
async fn modules_resolve_through_links_as_in_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", LINKED_PACKAGES)], "main.js").await;
    v8.dispose().await;
}

const SYMLINKS: &str = r#"const fs = require('fs'), path = require('path');
const out = [];
const log = (...a) => out.push(a.map(String).join(' '));
const tryy = (name, f) => { try { log(name, JSON.stringify(f())); } catch (e) { log(name, 'THREW', e.code, e.message.split(base).join('<B>'), e.syscall, e.path && path.basename(e.path), e.dest && path.basename(e.dest)); } };
const base = fs.mkdtempSync('/tmp/sl-');
const P = (p) => path.join(base, p);
fs.mkdirSync(P('d/sub'), { recursive: true });
fs.writeFileSync(P('d/sub/f.txt'), 'hello');
fs.symlinkSync('d/sub/f.txt', P('rel-file'));
fs.symlinkSync(path.join(base, 'd'), P('abs-dir'));
fs.symlinkSync('sub', P('d/sublink'));
fs.symlinkSync('nowhere', P('dangling'));
fs.symlinkSync('loop2', P('loop1')); fs.symlinkSync('loop1', P('loop2'));
tryy('read rel', () => fs.readFileSync(P('rel-file'), 'utf8'));
tryy('read via abs dir', () => fs.readFileSync(P('abs-dir/sub/f.txt'), 'utf8'));
tryy('read via sublink', () => fs.readFileSync(P('d/sublink/f.txt'), 'utf8'));
tryy('readlink', () => [fs.readlinkSync(P('rel-file')), fs.readlinkSync(P('d/sublink')), path.relative(base, fs.readlinkSync(P('abs-dir')))]);
tryy('readlink file', () => fs.readlinkSync(P('d/sub/f.txt')));
tryy('lstat', () => ['rel-file', 'abs-dir', 'dangling', 'd/sub/f.txt'].map((p) => [fs.lstatSync(P(p)).isSymbolicLink(), fs.lstatSync(P(p)).isFile(), fs.lstatSync(P(p)).isDirectory()]));
tryy('stat', () => ['rel-file', 'abs-dir'].map((p) => [fs.statSync(P(p)).isSymbolicLink(), fs.statSync(P(p)).isFile(), fs.statSync(P(p)).isDirectory()]));
tryy('stat dangling', () => fs.statSync(P('dangling')));
tryy('exists dangling', () => fs.existsSync(P('dangling')));
tryy('read loop', () => fs.readFileSync(P('loop1')));
tryy('realpath', () => [fs.realpathSync(P('rel-file')), fs.realpathSync(P('d/sublink/f.txt')), fs.realpathSync(P('abs-dir'))].map((p) => path.relative(base, p)));
tryy('realpath dangling', () => fs.realpathSync(P('dangling')));
tryy('readdir types', () => fs.readdirSync(P('.'), { withFileTypes: true }).map((e) => [e.name, e.isSymbolicLink(), e.isFile(), e.isDirectory()]));
tryy('symlink exists', () => fs.symlinkSync('x', P('rel-file')));
tryy('symlink no parent', () => fs.symlinkSync('x', P('nope/link')));
tryy('write through dangling', () => { fs.writeFileSync(P('dangling'), 'made'); return [fs.readFileSync(P('nowhere'), 'utf8'), fs.lstatSync(P('dangling')).isSymbolicLink()]; });
tryy('wx on link', () => fs.writeFileSync(P('rel-file'), 'x', { flag: 'wx' }));
tryy('append through link', () => { fs.appendFileSync(P('rel-file'), '!'); return fs.readFileSync(P('d/sub/f.txt'), 'utf8'); });
tryy('mkdir on link', () => fs.mkdirSync(P('abs-dir')));
tryy('mkdir -p through link', () => { fs.mkdirSync(P('abs-dir/sub/new'), { recursive: true }); return fs.existsSync(P('d/sub/new')); });
tryy('rename link', () => { fs.renameSync(P('rel-file'), P('moved')); return [fs.readlinkSync(P('moved')), fs.existsSync(P('rel-file'))]; });
tryy('unlink link', () => { fs.unlinkSync(P('moved')); return [fs.existsSync(P('moved')), fs.existsSync(P('d/sub/f.txt'))]; });
tryy('rmdir link', () => fs.rmdirSync(P('abs-dir')));
tryy('rm -r keeps target', () => { fs.mkdirSync(P('tree')); fs.symlinkSync(path.join(base, 'd'), P('tree/in')); fs.rmSync(P('tree'), { recursive: true }); return [fs.existsSync(P('tree')), fs.existsSync(P('d/sub/f.txt'))]; });
tryy('cp link', () => { fs.cpSync(P('d'), P('copy'), { recursive: true }); return [fs.lstatSync(P('copy/sublink')).isSymbolicLink(), path.relative(base, fs.readlinkSync(P('copy/sublink')))]; });
tryy('symlink async', () => 'queued');
fs.symlink('d', P('cb-link'), (err) => {
  log('cb', err, fs.readlinkSync(P('cb-link')));
  fs.promises.symlink('d', P('p-link')).then(() => { log('promise', fs.readlinkSync(P('p-link'))); console.log(out.join('\n')); });
});
"#;

const LINKED_PACKAGES: &str = r#"const fs = require('fs'), path = require('path');
const base = fs.mkdtempSync('/tmp/mod-');
const store = path.join(base, '.store/pkg@1.0.0/node_modules/pkg');
fs.mkdirSync(store, { recursive: true });
fs.mkdirSync(path.join(base, '.store/dep@2.0.0/node_modules/dep'), { recursive: true });
fs.writeFileSync(path.join(base, '.store/dep@2.0.0/node_modules/dep/index.js'), 'module.exports = "dep@2";');
fs.symlinkSync('../../dep@2.0.0/node_modules/dep', path.join(base, '.store/pkg@1.0.0/node_modules/dep'));
fs.writeFileSync(path.join(store, 'package.json'), JSON.stringify({ name: 'pkg', main: 'main.js' }));
fs.writeFileSync(path.join(store, 'main.js'), 'module.exports = { file: __filename, dep: require("dep") };');
fs.mkdirSync(path.join(base, 'node_modules'));
fs.symlinkSync('../.store/pkg@1.0.0/node_modules/pkg', path.join(base, 'node_modules/pkg'));
fs.writeFileSync(path.join(base, 'entry.js'), 'const p = require("pkg"); console.log(p.file.slice(' + base.length + '), p.dep);');
require(path.join(base, 'entry.js'));
import(path.join(base, 'node_modules/pkg/main.js')).then((m) => console.log('esm', m.default.dep, m.default.file.slice(base.length)));
"#;

#[tokio::test]
async fn the_default_root_has_the_temp_dir_programs_expect() {
    let v8 = support::spawn().await;
    let rt = support::with_system(&v8, SystemDriver::default());
    let r = rt
        .exec(
            r#"
            const fs = require('fs'), os = require('os'), path = require('path');
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'work-'));
            fs.writeFileSync(path.join(dir, 'a.txt'), 'scratch');
            console.log(os.tmpdir(), fs.statSync(os.tmpdir()).isDirectory(), dir.startsWith('/tmp/work-'),
              fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'));
            "#,
        )
        .await
        .unwrap();
    assert_eq!(r.stdout, "/tmp true true scratch\n", "{r:?}");
}

const MODES_AND_TIMES: &str = r#"
const fs = require('fs');
const out = (...a) => console.log(...a);
fs.writeFileSync('m.txt', 'x');
fs.chmodSync('m.txt', 0o600); out((fs.statSync('m.txt').mode & 0o777).toString(8));
fs.chmodSync('m.txt', '755'); out((fs.statSync('m.txt').mode & 0o777).toString(8));
fs.mkdirSync('d', { recursive: true }); fs.chmodSync('d', 0o700); out((fs.statSync('d').mode & 0o777).toString(8), fs.statSync('d').isDirectory());
try { fs.chmodSync('missing.txt', 0o600); } catch (e) { out(e.code, e.syscall, e.message); }
try { fs.chmodSync('m.txt', 'rwx'); } catch (e) { out(e.code); }
fs.utimesSync('m.txt', 1000, new Date(2000000)); const st = fs.statSync('m.txt'); out(st.atimeMs, st.mtimeMs, st.mtime.toISOString());
fs.utimesSync('m.txt', '1500.5', 2500.25); out(fs.statSync('m.txt').atimeMs, fs.statSync('m.txt').mtimeMs);
try { fs.utimesSync('missing.txt', 1, 1); } catch (e) { out(e.code, e.syscall, e.message); }
fs.chownSync('m.txt', process.getuid(), process.getgid());
const fd = fs.openSync('m.txt', 'r+'); fs.fchmodSync(fd, 0o640); fs.futimesSync(fd, 3, 4); fs.closeSync(fd);
out((fs.statSync('m.txt').mode & 0o777).toString(8), fs.statSync('m.txt').mtimeMs);
(async () => {
  await fs.promises.chmod('m.txt', 0o604); await fs.promises.utimes('m.txt', 5, 6);
  const h = await fs.promises.open('m.txt', 'r'); await h.chmod(0o644); await h.close();
  out((fs.statSync('m.txt').mode & 0o777).toString(8), fs.statSync('m.txt').mtimeMs);
  fs.chmod('m.txt', 0o600, (err) => { out('cb', err); fs.rmSync('d', { recursive: true }); fs.unlinkSync('m.txt'); });
})();
"#;

/// chmod, utimes and chown (and their descriptor and promise forms) on a read-write host
/// directory, as Node does them; the same script in the in-memory root prints the same.
#[tokio::test]
async fn modes_and_times_match_node_on_a_host_directory_and_in_memory() {
    let v8 = support::spawn().await;
    let expected = oracle::same_as_node(&v8, &[("main.js", MODES_AND_TIMES)], "main.js").await;
    let rt = support::with_system(&v8, SystemDriver::default().with_cwd("/tmp"));
    let r = rt.exec(MODES_AND_TIMES).await.unwrap();
    assert_eq!(r.stdout, expected, "{r:?}");
}

/// Modes and times change nothing a mount forbids; a host file never becomes set-user-ID; no
/// file can be given to another owner.
#[tokio::test]
async fn modes_times_and_owners_stay_within_what_a_mount_allows() {
    let v8 = support::spawn().await;
    let dir = TempDir::new("modes").with_files(&[("f.txt", "x")]);
    let before = std::fs::metadata(dir.path().join("f.txt")).unwrap();
    for host in [HostDir::read_only(dir.path()), HostDir::frozen(dir.path())] {
        let rt = support::with_system(&v8, SystemDriver::default().mount("/app", host));
        let r = rt
            .exec(
                "const fs = require('fs');
                 for (const f of [() => fs.chmodSync('/app/f.txt', 0o777), () => fs.utimesSync('/app/f.txt', 1, 1),
                                  () => fs.chownSync('/app/f.txt', 0, 0)]) {
                   try { f(); console.log('changed'); } catch (e) { console.log(e.code); }
                 }",
            )
            .await
            .unwrap();
        assert_eq!(r.stdout, "EROFS\nEROFS\nEROFS\n", "{r:?}");
    }
    let after = std::fs::metadata(dir.path().join("f.txt")).unwrap();
    assert_eq!(
        (before.permissions(), before.modified().unwrap()),
        (after.permissions(), after.modified().unwrap())
    );
    let rt = support::with_system(
        &v8,
        SystemDriver::default().mount("/app", HostDir::read_write(dir.path())),
    );
    let r = rt
        .exec(
            "const fs = require('fs');
             fs.chmodSync('/app/f.txt', 0o6755);
             console.log((fs.statSync('/app/f.txt').mode & 0o7777).toString(8));
             try { fs.chownSync('/app/f.txt', 1000, 1000); } catch (e) { console.log(e.code); }
             fs.writeFileSync('/mem.txt', 'm'); fs.chmodSync('/mem.txt', 0o4750);
             console.log((fs.statSync('/mem.txt').mode & 0o7777).toString(8));",
        )
        .await
        .unwrap();
    // The host file keeps only its rwx bits; the in-memory one, which runs nothing, keeps all.
    assert_eq!(r.stdout, "755\nEPERM\n4750\n", "{r:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("f.txt")).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o755);
}

/// `fs.open` with open(2)'s numeric flags (as tar and other archivers pass them), as Node.
#[tokio::test]
async fn numeric_open_flags_match_node() {
    let v8 = support::spawn().await;
    oracle::same_as_node(&v8, &[("main.js", NUMERIC_FLAGS)], "main.js").await;
}

const NUMERIC_FLAGS: &str = r#"
const fs = require('fs');
const { O_WRONLY, O_RDWR, O_RDONLY, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_NOFOLLOW } = fs.constants;
const out = (...a) => console.log(...a);
const tryOpen = (name, path, flags) => {
  try { const fd = fs.openSync(path, flags); out(name, 'ok'); return fd; } catch (e) { out(name, e.code, e.syscall); return undefined; }
};
let fd = tryOpen('create', 'n.txt', O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW);
fs.writeSync(fd, 'hello world'); fs.closeSync(fd);
fd = tryOpen('keep', 'n.txt', O_RDWR | O_CREAT);
fs.writeSync(fd, 'J'); fs.closeSync(fd); out(fs.readFileSync('n.txt', 'utf8'));
fd = tryOpen('append', 'n.txt', O_WRONLY | O_APPEND);
fs.writeSync(fd, '!'); fs.closeSync(fd); out(fs.readFileSync('n.txt', 'utf8'));
fd = tryOpen('truncate', 'n.txt', O_WRONLY | O_TRUNC);
fs.writeSync(fd, 'cut'); fs.closeSync(fd); out(fs.readFileSync('n.txt', 'utf8'));
tryOpen('exclusive', 'n.txt', O_WRONLY | O_CREAT | O_EXCL);
tryOpen('missing', 'missing.txt', O_RDONLY);
tryOpen('missing write', 'missing.txt', O_WRONLY);
fd = tryOpen('read only', 'n.txt', O_RDONLY);
try { fs.writeSync(fd, 'x'); } catch (e) { out('write to read-only fd', e.code); }
const buf = Buffer.alloc(3); fs.readSync(fd, buf, 0, 3, 0); fs.closeSync(fd); out(buf.toString());
fs.mkdirSync('dir', { recursive: true });
tryOpen('directory for writing', 'dir', O_WRONLY | O_CREAT);
fs.unlinkSync('n.txt'); fs.rmdirSync('dir');
"#;
