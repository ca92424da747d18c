//! Many sessions in a row on one worker, from pre-created isolates and the cached prelude,
//! WebAssembly included: every one correct, nothing carried over.

use secure_exec_host::ErrorCode;

use crate::support;

/// `(func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)`
const WASM_ADD: &str = "new Uint8Array([0x00,0x61,0x73,0x6d,0x01,0x00,0x00,0x00,0x01,0x07,0x01,0x60,0x02,0x7f,0x7f,0x01,0x7f,0x03,0x02,0x01,0x00,0x07,0x07,0x01,0x03,0x61,0x64,0x64,0x00,0x00,0x0a,0x09,0x01,0x07,0x00,0x20,0x00,0x20,0x01,0x6a,0x0b])";

#[tokio::test]
async fn hundreds_of_sessions_churn_correctly_with_webassembly() {
    let (rt, v8) = support::runtime().await;
    let pid = v8.pid();
    for i in 0..300u32 {
        match i % 4 {
            0 => {
                let code = format!(
                    "const m = new WebAssembly.Module({WASM_ADD}); const inst = new WebAssembly.Instance(m); console.log(inst.exports.add({i}, 1))"
                );
                let r = rt.exec(&code).await.unwrap();
                assert_eq!(
                    (r.code, r.stdout.clone()),
                    (0, format!("{}\n", i + 1)),
                    "session {i}: {r:?}"
                );
            }
            1 => {
                let code = format!(
                    "WebAssembly.instantiate({WASM_ADD}).then(({{ instance }}) => {{ module.exports = {{ sum: instance.exports.add({i}, 2) }} }})"
                );
                let r = rt.run(&code).await.unwrap();
                assert_eq!(
                    r.exports,
                    Some(serde_json::json!({ "sum": i + 2 })),
                    "session {i}: {r:?}"
                );
            }
            2 => {
                let r = rt.exec(&format!("if (typeof seen !== 'undefined') throw new Error('leak'); globalThis.seen = {i}; throw new Error('expected {i}')")).await.unwrap();
                assert_eq!(r.error_code, Some(ErrorCode::GuestException));
                assert!(r.error_message.unwrap().contains(&format!("expected {i}")), "session {i}");
            }
            _ => {
                let r = rt
                    .exec("console.log(typeof seen, [1, 2, 3].map(x => x * x).join())")
                    .await
                    .unwrap();
                assert_eq!(r.stdout, "undefined 1,4,9\n", "session {i}");
            }
        }
    }
    assert_eq!(v8.pid(), pid, "one worker served them all");
    let stats = support::wait_for_idle(&v8).await;
    assert_eq!(stats.total_sessions, 300);
}

#[tokio::test]
async fn sessions_with_other_memory_limits_than_the_spares_work() {
    let (rt, _v8) = support::runtime().await;
    for limit in [16, 32, 16, 256, 16] {
        let r = rt
            .exec_with(
                "console.log('ok')",
                secure_exec_host::ExecOptions { memory_limit: Some(limit), ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!(r.stdout, "ok\n", "limit {limit}");
    }
}

/// A quiet worker retires its spare isolates (their threads end) and makes them again when
/// work comes back; sessions on either side of the quiet period run normally.
#[tokio::test]
async fn spares_retire_when_the_worker_is_quiet_and_come_back_with_work() {
    let (rt, v8) = support::runtime().await;
    assert_eq!(rt.exec("console.log(1)").await.unwrap().stdout, "1\n");
    let pid = v8.pid().unwrap();
    let threads = || std::fs::read_dir(format!("/proc/{pid}/task")).unwrap().count();
    // Spares are made right behind a session: let them finish starting.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let busy = threads();
    // Spares retire after 3 s unused.
    support::wait_until(std::time::Duration::from_secs(10), || threads() <= busy - 2).await;
    for _ in 0..3 {
        assert_eq!(rt.exec("console.log(2)").await.unwrap().stdout, "2\n");
    }
    support::wait_until(std::time::Duration::from_secs(10), || threads() >= busy).await;
}
