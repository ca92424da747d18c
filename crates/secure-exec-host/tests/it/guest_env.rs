//! The guest environment: console formatting, process, require, Intl, isolation between
//! sessions.

use std::collections::BTreeMap;

use secure_exec_host::{ErrorCode, NodeRuntime, NodeRuntimeOptions};

use crate::support;

async fn stdout_of(code: &str) -> String {
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec(code).await.unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    r.stdout
}

#[tokio::test]
async fn objects_print_readably() {
    let (rt, _v8) = support::runtime().await;
    let cases = [
        ("console.log({ a: 1 })", "{ a: 1 }"),
        ("console.log([1, 'two', [3]])", "[ 1, 'two', [ 3 ] ]"),
        (
            "console.log({ s: 'it\\'s', n: null, u: undefined, b: true })",
            "{ s: \"it's\", n: null, u: undefined, b: true }",
        ),
        ("console.log({ a: { b: { c: { d: 1 } } } })", "{ a: { b: { c: [Object] } } }"),
        ("console.log({}, [], 'top level string', 5)", "{} [] top level string 5"),
        ("console.log({ 'key-with-dash': 1, valid_id: 2 })", "{ 'key-with-dash': 1, valid_id: 2 }"),
        (
            "console.log(new Map([['k', 1]]), new Set([1, 2]))",
            "Map(1) { 'k' => 1 } Set(2) { 1, 2 }",
        ),
        (
            "console.log(function named() {}, () => {}, class K {})",
            "[Function: named] [Function (anonymous)] [class K]",
        ),
        (
            "const o = { x: 1 }; o.self = o; console.log(o)",
            "<ref *1> { x: 1, self: [Circular *1] }",
        ),
        ("console.log(-0, 10n, Symbol('s'), null, undefined)", "-0 10n Symbol(s) null undefined"),
        ("console.log(new Uint8Array([1, 2]))", "Uint8Array(2) [ 1, 2 ]"),
        ("class P { constructor() { this.x = 1 } } console.log(new P())", "P { x: 1 }"),
        ("console.log('%s is %d years', 'Bob', 42)", "Bob is 42 years"),
        ("console.log(new Date(0))", "1970-01-01T00:00:00.000Z"),
        (
            "console.log([ 'x'.repeat(30), 'y'.repeat(30), 'z'.repeat(30) ])",
            "[\n  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',\n  'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy',\n  'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'\n]",
        ),
    ];
    for (code, expected) in cases {
        let r = rt.exec(code).await.unwrap();
        assert_eq!(r.stdout, format!("{expected}\n"), "for {code}");
    }
}

#[tokio::test]
async fn errors_print_with_their_stack() {
    let out = stdout_of("console.log(new Error('shown'))").await;
    assert!(out.starts_with("Error: shown\n    at "), "{out}");
}

#[tokio::test]
async fn a_missing_module_is_module_not_found_as_in_node() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec("require('left-pad')").await.unwrap();
    assert_eq!(r.code, 1);
    let message = r.error_message.unwrap();
    assert!(
        message.contains("Error: Cannot find module 'left-pad'\nRequire stack:\n- /index.js"),
        "{message}"
    );
    let out =
        stdout_of("try { require('./nope') } catch (e) { console.log(e.code, e.requireStack) }")
            .await;
    assert_eq!(out, "MODULE_NOT_FOUND [ '/index.js' ]\n");
}

#[tokio::test]
async fn process_env_is_empty_unless_given() {
    let out = stdout_of("console.log(JSON.stringify(process.env))").await;
    assert_eq!(out, "{}\n");

    let v8 = support::spawn().await;
    let rt = NodeRuntime::new(NodeRuntimeOptions {
        v8_runtime: Some(v8.clone()),
        env: BTreeMap::from([("GREETING".into(), "hi".into())]),
        argv: vec!["one".into()],
        ..Default::default()
    });
    let r = rt
        .exec("console.log(process.env.GREETING, process.argv.slice(1).join(' '))")
        .await
        .unwrap();
    assert_eq!(r.stdout, "hi /index.js one\n");
}

#[tokio::test]
async fn nothing_of_the_host_world_is_visible() {
    let out = stdout_of(
        "console.log(typeof process.binding, typeof process.dlopen, typeof XMLHttpRequest, typeof gc)",
    )
    .await;
    assert_eq!(out, "undefined undefined undefined undefined\n");
    // fetch is there, and reaches nothing without a network rule (tests/it/network.rs).
    let out = stdout_of(
        "fetch('https://example.com/').catch((e) => console.log(e.code, e.message.includes('example.com:443')))",
    )
    .await;
    assert_eq!(out, "ERR_ACCESS_DENIED true\n");
}

#[tokio::test]
async fn intl_and_dates_are_formatted_with_icu() {
    let out = stdout_of(
        "console.log(new Date(0).toLocaleString('en-US', { timeZone: 'UTC' }));
         console.log((1234567.891).toLocaleString());
         console.log(new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(1234.5));
         console.log(new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(0)));",
    )
    .await;
    assert_eq!(out, "1/1/1970, 12:00:00 AM\n1,234,567.891\n1.234,50\u{a0}€\n1 janvier 1970\n");
}

#[tokio::test]
async fn a_global_set_in_one_session_is_absent_in_the_next() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec("globalThis.leak = 'secret'; Array.prototype.polluted = 1; Object.prototype.evil = 2")
        .await
        .unwrap();
    assert_eq!(r.code, 0);
    let r = rt
        .exec("console.log(typeof leak, [].polluted, ({}).evil, typeof globalThis.leak)")
        .await
        .unwrap();
    assert_eq!(r.stdout, "undefined undefined undefined undefined\n");
}

#[tokio::test]
async fn tampering_with_builtins_only_hurts_the_tamperer() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec("Map.prototype.set = () => { throw new Error('no') }; JSON.stringify = null; setTimeout(() => console.log('timer ok'), 1)")
        .await
        .unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "timer ok\n"), "{r:?}");
    let r = rt
        .run("JSON.stringify = () => '\"hijacked\"'; module.exports = { real: 1 }")
        .await
        .unwrap();
    assert_eq!(r.exports, Some(serde_json::json!({"real": 1})));
}

#[tokio::test]
async fn the_default_shared_runtime_runs_code() {
    let rt = NodeRuntime::new(NodeRuntimeOptions::default());
    let r = rt.exec("console.log(6 * 7)").await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "42\n"));
    let again = NodeRuntime::new(NodeRuntimeOptions::default());
    let first = rt.v8_runtime().await.unwrap();
    let second = again.v8_runtime().await.unwrap();
    assert!(first.same_process(&second), "both default runtimes use the one shared process");
    assert_eq!(ErrorCode::V8ProcessCrash.as_str(), "ERR_V8_PROCESS_CRASH");
}

/// Where console.log breaks lines, how it groups long arrays into columns, how it marks
/// circular references (`<ref *1>` ... `[Circular *1]`), shows symbol keys and (with
/// `showHidden`, `%o`) hidden ones, as Node does.
#[tokio::test]
async fn console_breaks_lines_and_groups_arrays_as_node_does() {
    let v8 = support::spawn().await;
    let script = r#"console.log({ a: 'x'.repeat(60) }); console.log({ a: 'x'.repeat(62) }); console.log({ a: 'x'.repeat(63) }); console.log([ 'x'.repeat(63) ]); console.log({ b: { a: 'x'.repeat(50) } }); console.log({ b: { a: 'x'.repeat(56) } });
console.log({ method: 'POST', body: '{"a":1}', ct: 'application/json', ua: 'axios/1.21.1' });
console.log([1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]);
console.log({ list: ['alpha', 'beta', 'gamma', 'delta'], nested: { deep: { deeper: { deepest: 1 } } } });
console.log(new Map([['key-one', { value: 1 }], ['key-two', { value: 2 }], ['key-three', { value: 3 }]]));
console.log([1,2,3,4,5,6,7]);
console.log(['apple', 'banana', 'cherry', 'date', 'elderberry', 'fig', 'grape', 'honeydew']);
console.log(Array.from({ length: 120 }, (_, i) => i * 3));
console.log(new Uint8Array(20));
console.log({ rows: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14]] });
console.log([1.5, -2, 300, 4e21, 5, 6, 7, 8, NaN]);
console.log(['a', 1, 'b', 2, 'c', 3, 'd', 4]);
const arr = [1,2,3,4,5,6,7,8]; arr.extra = 'yes'; console.log(arr);
const b = { name: 'b' }; const c = { name: 'c', b }; b.c = c; b.me = b; console.log(b, [b]);
const cyc = [1, 2]; cyc.push(cyc); console.log(cyc);
const m = new Map(); m.set('m', m); console.log(m);
function f() {} f.self = f; console.log(f);
class K { constructor() { this.k = this; } } console.log(new K());
const long = { aaaaaaaaaaaaaa: 1, bbbbbbbbbbbbbbbbbbb: 2, cccccccccccccccc: 3, dddd: 4 }; long.e = long; console.log(long);
const x = {}; const y = { x }; x.y = y; console.log({ x, y });
const util = require('util');
console.log({ a: 1, [Symbol('tag')]: 2, [Symbol()]: 3, [Symbol.iterator]: 4 });
const o = { v: 1 }; Object.defineProperty(o, 'hidden', { value: 2 }); Object.defineProperty(o, Symbol('h'), { value: 3 });
console.log(o, util.inspect(o, { showHidden: true }));
console.log(util.format('%o / %O', [1, { b: 'x' }], [1]), util.format('%o', { f() {}, g: () => 1 }));
class C { m() {} } console.log(C.prototype, Object.create(C.prototype), util.inspect(C, { showHidden: true }));
"#;
    crate::oracle::same_as_node(&v8, &[("main.js", script)], "main.js").await;
    v8.dispose().await;
}
