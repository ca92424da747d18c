//! exec / run basics: output, exit codes, exceptions, timers, exports.

use secure_exec_host::ErrorCode;
use serde_json::json;

use crate::support;

#[tokio::test]
async fn console_log_prints_to_stdout() {
    let (rt, v8) = support::runtime().await;
    let r = rt.exec("console.log(6 * 7)").await.unwrap();
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "42\n", ""));
    assert_eq!(r.error_code, None);
    v8.dispose().await;
}

#[tokio::test]
async fn run_returns_exports() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.run("module.exports = { a: 42 }").await.unwrap();
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.exports, Some(json!({"a": 42})));
}

#[tokio::test]
async fn exception_gives_code_1() {
    let (rt, _v8) = support::runtime().await;
    let r = rt.exec("throw new Error('boom')").await.unwrap();
    assert_eq!(r.code, 1);
    assert_eq!(r.error_code, Some(ErrorCode::GuestException));
    let message = r.error_message.unwrap();
    assert!(message.starts_with("ERR_GUEST_EXCEPTION: Error: boom\n    at "), "{message}");
}
