//! exec / run basics: output, exit codes, exceptions and rejections, timers, exports.

use secure_exec_host::ErrorCode;
use serde_json::json;

use crate::support;

#[tokio::test]
async fn console_log_prints_to_stdout() {
    let (rt, v8) = support::runtime().await;
    let r = rt.exec("console.log(6 * 7)").await.unwrap();
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "42\n", ""));
    assert_eq!((r.error_code, r.error_message), (None, None));
    v8.dispose().await;
}

#[tokio::test]
async fn console_streams_split_between_stdout_and_stderr() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec("console.log('l'); console.info('i'); console.debug('d'); console.warn('w'); console.error('e')")
        .await
        .unwrap();
    assert_eq!(r.stdout, "l\ni\nd\n");
    assert_eq!(r.stderr, "w\ne\n");
}

#[tokio::test]
async fn process_exit_sets_the_code_and_stops_at_once() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec("console.log('before'); process.exit(3); console.log('after')").await.unwrap();
    assert_eq!((r.code, r.stdout.as_str(), r.error_code), (3, "before\n", None));

    let r = rt.exec("setTimeout(() => console.log('never'), 10); process.exit(0)").await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));

    let r = rt
        .exec("process.exitCode = 4; setTimeout(() => console.log('still runs'), 5)")
        .await
        .unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (4, "still runs\n"));
}

#[tokio::test]
async fn process_exit_cannot_be_caught() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec("try { process.exit(5) } catch (e) { console.log('caught') } finally { console.log('finally') }")
        .await
        .unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (5, ""));
}

#[tokio::test]
async fn uncaught_exception_gives_code_1_with_message_and_stack() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec("function f() { throw new Error('boom') }\nf()").await.unwrap();
    assert_eq!(r.code, 1);
    assert_eq!(r.error_code, Some(ErrorCode::GuestException));
    let message = r.error_message.unwrap();
    assert!(
        message.starts_with("ERR_GUEST_EXCEPTION: Error: boom\n    at f (/index.js:1:"),
        "{message}"
    );
    assert!(message.contains("/index.js:2:1"), "{message}");
}

#[tokio::test]
async fn thrown_non_errors_and_syntax_errors_are_reported() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec("throw 42").await.unwrap();
    assert_eq!(r.code, 1);
    assert_eq!(r.error_message.as_deref(), Some("ERR_GUEST_EXCEPTION: Uncaught 42"));

    let r = rt.exec("let x = ;").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::GuestException));
    assert!(r.error_message.unwrap().contains("SyntaxError: Unexpected token ';'"));
}

#[tokio::test]
async fn exception_in_a_timer_ends_the_session() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec("setTimeout(() => { throw new TypeError('late') }, 5); setTimeout(() => console.log('no'), 50)")
        .await
        .unwrap();
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(r.error_message.unwrap().starts_with("ERR_GUEST_EXCEPTION: TypeError: late"));
}

#[tokio::test]
async fn exception_in_queue_microtask_is_uncaught() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec("queueMicrotask(() => { throw new RangeError('micro') })").await.unwrap();
    assert_eq!(r.code, 1);
    assert!(r.error_message.unwrap().starts_with("ERR_GUEST_EXCEPTION: RangeError: micro"));
}

#[tokio::test]
async fn unhandled_rejection_gives_code_1() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec("Promise.reject(new Error('nope'))").await.unwrap();
    assert_eq!(r.code, 1);
    assert_eq!(r.error_code, Some(ErrorCode::GuestException));
    let message = r.error_message.unwrap();
    assert!(
        message.starts_with("ERR_GUEST_EXCEPTION: Uncaught (in promise) Error: nope"),
        "{message}"
    );

    let r = rt.exec("async function f() { throw 'plain' } f()").await.unwrap();
    assert_eq!(
        r.error_message.as_deref(),
        Some("ERR_GUEST_EXCEPTION: Uncaught (in promise) plain")
    );
}

#[tokio::test]
async fn rejection_handled_in_the_same_tick_is_fine() {
    let (rt, _v8) = support::runtime().await;
    let r = rt
        .exec("const p = Promise.reject(new Error('x')); p.catch(e => console.log('handled', e.message))")
        .await
        .unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "handled x\n"));
}

#[tokio::test]
async fn timers_and_promises_complete_before_the_result() {
    let (rt, _v8) = support::runtime().await;
    let code = r#"
        const order = [];
        setTimeout(() => order.push('timeout 20'), 20);
        setTimeout(() => order.push('timeout 0'), 0);
        const iv = setInterval(() => { order.push('interval'); if (order.filter(x => x === 'interval').length === 3) clearInterval(iv) }, 1);
        const cancelled = setTimeout(() => order.push('cancelled'), 5);
        clearTimeout(cancelled);
        Promise.resolve().then(() => order.push('promise'));
        queueMicrotask(() => order.push('microtask'));
        process.nextTick(() => order.push('tick'));
        (async () => { await new Promise(r => setTimeout(r, 30)); console.log(order.join(',')) })();
    "#;
    let r = rt.exec(code).await.unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    let order: Vec<&str> = r.stdout.trim().split(',').collect();
    // As in Node: process.nextTick callbacks run before promise jobs.
    assert_eq!(&order[..3], ["tick", "promise", "microtask"]);
    assert_eq!(order.iter().filter(|x| **x == "interval").count(), 3);
    assert!(order.contains(&"timeout 0") && order.contains(&"timeout 20"));
    assert!(!order.contains(&"cancelled"));
    assert!(
        order.iter().position(|x| *x == "timeout 0")
            < order.iter().position(|x| *x == "timeout 20")
    );
}

#[tokio::test]
async fn run_returns_exports_of_every_json_kind() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.run("module.exports = { a: 42 }").await.unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.exports, Some(json!({"a": 42})));

    let r = rt
        .run("module.exports = { n: 1.5, s: 'x\"y', list: [1, 'two', null, true], nested: { deep: { er: [ { x: -3 } ] } } }")
        .await
        .unwrap();
    assert_eq!(
        r.exports,
        Some(
            json!({"n": 1.5, "s": "x\"y", "list": [1, "two", null, true], "nested": {"deep": {"er": [{"x": -3}]}}})
        )
    );

    let r = rt.run("exports.viaShortcut = 'yes'").await.unwrap();
    assert_eq!(r.exports, Some(json!({"viaShortcut": "yes"})));
    let r = rt.run("module.exports = [1, 2, 3]").await.unwrap();
    assert_eq!(r.exports, Some(json!([1, 2, 3])));
    let r = rt.run("module.exports = 'text'").await.unwrap();
    assert_eq!(r.exports, Some(json!("text")));
    let r = rt.run("module.exports = undefined").await.unwrap();
    assert_eq!((r.code, r.exports), (0, None));
    let r = rt.run("setTimeout(() => { module.exports = { late: true } }, 5)").await.unwrap();
    assert_eq!(r.exports, Some(json!({"late": true})));
}

#[tokio::test]
async fn run_with_non_json_exports_gives_a_clear_error() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.run("module.exports = function f() {}").await.unwrap();
    assert_eq!(r.code, 1);
    assert_eq!(r.error_code, Some(ErrorCode::ExportsNotSerializable));
    assert_eq!(
        r.error_message.as_deref(),
        Some("ERR_EXPORTS_NOT_SERIALIZABLE: module.exports is a function, which has no JSON form")
    );
    assert_eq!(r.exports, None);

    let r = rt.run("const o = {}; o.self = o; module.exports = o").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::ExportsNotSerializable));
    assert!(r.error_message.unwrap().contains("circular"));

    let r = rt.run("module.exports = { big: 10n }").await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::ExportsNotSerializable));
    assert!(r.error_message.unwrap().contains("BigInt"));
}

#[tokio::test]
async fn exec_does_not_return_exports_and_run_keeps_output() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.run("console.log('side'); module.exports = 1").await.unwrap();
    assert_eq!((r.stdout.as_str(), r.exports), ("side\n", Some(json!(1))));
}

#[tokio::test]
async fn results_serialize_with_string_error_codes() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec("throw new Error('x')").await.unwrap();
    let value = serde_json::to_value(&r).unwrap();
    assert_eq!(value["error_code"], json!("ERR_GUEST_EXCEPTION"));
    assert_eq!(value["code"], json!(1));
    let r = rt.run("module.exports = {k: 1}").await.unwrap();
    let value = serde_json::to_value(&r).unwrap();
    assert_eq!(
        (value["exports"].clone(), value["error_code"].clone()),
        (json!({"k": 1}), json!(null))
    );
}
