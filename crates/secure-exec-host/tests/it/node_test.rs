//! `node:test`: tests, suites, hooks, subtests, plans and mocks run and reported in TAP as
//! Node runs and reports them, compared line by line with Node's own report (durations and
//! stack frames aside: they are the machine's and the runner's own).

use crate::{oracle, support};

/// A report with its timings and stack frames taken out.
fn comparable(report: &str) -> String {
    let mut out = Vec::new();
    let mut frames_deeper_than = None;
    for line in report.lines() {
        let depth = line.len() - line.trim_start().len();
        if let Some(stack) = frames_deeper_than {
            if depth > stack {
                continue;
            }
            frames_deeper_than = None;
        }
        if line.trim_start().starts_with("stack: |-") {
            frames_deeper_than = Some(depth);
            continue;
        }
        match line.find("duration_ms") {
            Some(at) => out.push(format!("{}duration_ms", &line[..at])),
            None => out.push(line.to_string()),
        }
    }
    out.join("\n")
}

/// Runs `script` through Node and the guest; their reports and exit codes must agree.
async fn reports_as_in_node(v8: &secure_exec_host::V8Runtime, script: &str) {
    let dir = oracle::TempDir::new("node-test").with_files(&[("main.js", script)]);
    let (node_code, node_stdout, node_stderr) = oracle::node_in(dir.path(), "main.js");
    let rt = oracle::runtime_in(v8, dir.path());
    let options = secure_exec_host::ExecOptions {
        filename: Some(format!("{}/main.js", oracle::GUEST_DIR)),
        ..Default::default()
    };
    let r = rt.exec_with(script, options).await.unwrap();
    assert_eq!(r.code, node_code, "{r:?}\nnode: {node_stderr}");
    let node_stdout = node_stdout.replace(&dir.path().display().to_string(), oracle::GUEST_DIR);
    let want = comparable(&node_stdout);
    let got = comparable(&r.stdout);
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "line {} differs from Node\nguest:\n{got}\nnode:\n{want}", i + 1);
    }
    assert_eq!(got.lines().count(), want.lines().count(), "guest:\n{got}\nnode:\n{want}");
}

#[tokio::test]
async fn node_test_runs_and_reports_as_in_node() {
    let v8 = support::spawn().await;
    reports_as_in_node(&v8, TESTS).await;
    // A failing top-level after hook has a line of its own.
    reports_as_in_node(&v8, AFTER_FAILS).await;
    // Mock counts refused as Node's validateInteger refuses them.
    oracle::same_as_node(&v8, &[("main.js", MOCK_COUNTS)], "main.js").await;
    // Only `node:test` is the runner: a bare `test` is an npm package, absent here.
    oracle::same_as_node(&v8, &[("main.js", BARE)], "main.js").await;
}

const TESTS: &str = r#"const { test, describe, it, before, after, beforeEach, afterEach, mock, suite } = require('node:test');
const assert = require('node:assert');
const log = [];
before(() => log.push('before all'));
console.log('# top level', typeof test, typeof require('node:test').run, require('module').isBuiltin('node:test'),
  require('module').builtinModules.includes('test'));
test('sync pass', () => { assert.strictEqual(1 + 1, 2); });
test('async pass', async () => { await new Promise((r) => setTimeout(r, 2)); });
test('callback pass', (t, done) => { setImmediate(done); });
test('fails with assertion', () => { assert.strictEqual(1, 2); });
test('fails with a diff', () => { assert.deepStrictEqual({ a: 1, list: [1, 2] }, { a: 2, list: [1, 3] }); });
test('fails with error', () => { throw new TypeError('bad thing'); });
test('fails with non-error', () => { throw 'a string'; });
test('fails with an object', () => { throw { code: 'E_OBJ', detail: [1, 2] }; });
test('rejects', async () => { throw new RangeError('async bad'); });
test('multi line message', () => { throw new Error('line one\nline two'); });
test('done with error', (t, done) => { done(new Error('via done')); });
test('callback and promise', async (t, done) => { done(); });
test('skip option', { skip: true }, () => {});
test('skip reason', { skip: 'not today' }, () => {});
test('todo option', { todo: 'later' }, () => {});
test('failing todo', { todo: true }, () => { throw new Error('not yet'); });
test.skip('test.skip', () => {});
test.todo('test.todo');
test('runtime skip', (t) => { t.skip('decided inside'); });
test('runtime todo', (t) => { t.todo(); });
test('escapes # and \\ in names', () => {});
test('diagnostic', (t) => { t.diagnostic('a note'); assert.ok(t.name === 'diagnostic'); });
test('subtests', async (t) => {
  await t.test('first', () => {});
  await t.test('second fails', () => { assert.fail('nope'); });
  await t.test('third', (t2) => { console.log('# full name', t2.fullName); });
});
test('t.test without await', (t) => {
  t.test('unawaited child', () => {});
});
test('test() inside a test', async () => {
  await test('nested through the module', () => {});
});
test('plan met', (t) => {
  t.plan(2);
  t.assert.ok(true);
  t.assert.strictEqual(1, 1);
});
test('plan missed', (t) => {
  t.plan(3);
  t.assert.ok(true);
});
test('hooks in a test', async (t) => {
  const seen = [];
  t.beforeEach(() => seen.push('each'));
  t.afterEach(() => seen.push('after each'));
  await t.test('one', () => seen.push('one'));
  await t.test('two', () => seen.push('two'));
  console.log('# seen', seen.join(', '));
});
describe('suite', () => {
  beforeEach(() => log.push('beforeEach'));
  afterEach(() => log.push('afterEach'));
  it('one', () => {});
  it('two', async () => {});
  describe('nested', () => {
    it('deep', () => {});
    it('deep fails', () => { throw new Error('deep'); });
  });
  it.skip('skipped it', () => {});
  it.todo('todo it');
});
describe.skip('skipped suite', () => {
  it('never', () => { throw new Error('ran'); });
});
suite('hook fails', () => {
  before(() => { throw new Error('before broke'); });
  it('a', () => {});
  it('b', () => {});
});
describe('each fails', () => {
  beforeEach(() => { throw new Error('each broke'); });
  it('c', () => {});
});
describe('async describe', async () => {
  await null;
  it('inside async', () => {});
});
describe('throwing describe', () => {
  it('declared', () => {});
  throw new Error('build broke');
});
test('timeout fires', { timeout: 20 }, () => new Promise((r) => setTimeout(r, 300)));
test('only outside --test-only', { only: true }, () => {});
test('mocks', () => {
  const fn = mock.fn((a, b) => a + b);
  fn(1, 2); fn(3, 4);
  assert.strictEqual(fn.mock.callCount(), 2);
  assert.deepStrictEqual(fn.mock.calls[1].arguments, [3, 4]);
  assert.strictEqual(fn.mock.calls[0].result, 3);
  fn.mock.mockImplementationOnce(() => 'once');
  assert.strictEqual(fn(1, 1), 'once');
  assert.strictEqual(fn(1, 1), 2);
  const obj = { get: () => 'real', get prop() { return 'p'; } };
  const m = mock.method(obj, 'get', () => 'mocked');
  assert.strictEqual(obj.get(), 'mocked');
  m.mock.restore();
  assert.strictEqual(obj.get(), 'real');
  mock.getter(obj, 'prop', () => 'mocked prop');
  assert.strictEqual(obj.prop, 'mocked prop');
  mock.restoreAll();
  assert.strictEqual(obj.prop, 'p');
  const limited = mock.fn(() => 'mock', { times: 1 });
  assert.strictEqual(limited(), 'mock');
  assert.strictEqual(limited(), undefined);
  class Point { constructor(x) { this.x = x; } }
  const P = mock.fn(Point);
  assert.strictEqual(new P(3).x, 3);
  assert.strictEqual(P.mock.calls[0].this.x, 3);
});
test('t.mock is restored after its test', (t) => {
  const obj = { f: () => 1 };
  t.mock.method(obj, 'f', () => 2);
  assert.strictEqual(obj.f(), 2);
  globalThis.restoredLater = obj;
});
test('after t.mock', () => { assert.strictEqual(globalThis.restoredLater.f(), 1); });
after(() => console.log('# log', log.join(', ')));
process.on('exit', (code) => console.log('# exit', code, process.exitCode));
"#;

const AFTER_FAILS: &str = "const { test, after } = require('node:test');
test('a', () => {});
after(() => { throw new Error('after broke'); });
";

const BARE: &str = r#"try { require('test'); } catch (e) { console.log(e.code); }
import('test').catch((e) => console.log(e.code));
import('node:test').then((m) => console.log(typeof m.default, typeof m.describe, typeof m.mock.fn));
"#;

const MOCK_COUNTS: &str = r#"const { mock } = require('node:test');
const show = (f) => { try { f(); console.log('ok'); } catch (e) { console.log(e.code, e.message); } };
show(() => mock.fn(() => 1, { times: 0 }));
show(() => mock.fn(() => 1, { times: 1.5 }));
show(() => mock.fn(() => 1, { times: '2' }));
show(() => mock.fn(() => 1, { times: Infinity }));
const f = mock.fn(() => 1); f();
show(() => f.mock.mockImplementationOnce(() => 2, 0));
show(() => f.mock.mockImplementationOnce(() => 2, 'x'));
show(() => f.mock.mockImplementationOnce(() => 2, 2.5));
show(() => f.mock.mockImplementationOnce(() => 2, 3));
"#;
