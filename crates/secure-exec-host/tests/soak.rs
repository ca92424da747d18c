//! The short soak: the same mix as `cargo xtask soak`, fewer sessions. A test binary of its
//! own, so that the host's descriptors and I/O tasks are this test's alone.

#[path = "support/soak.rs"]
#[allow(dead_code)]
mod soak;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_is_correct_and_leaks_nothing() {
    let report = soak::soak(600, 8).await;
    println!("{}", report.table());
    assert!(report.failures.is_empty(), "{:#?}", &report.failures[..report.failures.len().min(10)]);
    assert_eq!(report.kinds.iter().sum::<u64>(), 600);
    let leaks = report.leaks(24 * 1024 * 1024);
    assert!(leaks.is_empty(), "{leaks:?}\n{}", report.table());
}
