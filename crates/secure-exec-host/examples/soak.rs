//! `cargo xtask soak [--sessions N] [--concurrency C]`: mixed sessions on one worker (normal
//! runs, exceptions, memory- and CPU-limit hits, timeouts, exports), every result checked,
//! worker and host resources compared before and after. Exits non-zero on any wrong result or
//! leak. Default: 10,000 sessions from 8 callers.

#[path = "../tests/support/soak.rs"]
mod soak;

/// Allowed growth of the worker's RSS over the whole soak.
const RSS_BOUND: u64 = 32 * 1024 * 1024;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut sessions = 10_000;
    let mut concurrency = 8;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse().ok());
        match (arg.as_str(), value) {
            ("--sessions", Some(n)) => sessions = n,
            ("--concurrency", Some(n)) => concurrency = n,
            _ => {
                eprintln!("usage: soak [--sessions N] [--concurrency C]");
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    let report = soak::soak(sessions, concurrency).await;
    print!("{}", report.table());
    let leaks = report.leaks(RSS_BOUND);
    for problem in report.failures.iter().take(20).chain(&leaks) {
        eprintln!("FAILED {problem}");
    }
    if report.failures.is_empty() && leaks.is_empty() {
        println!(
            "no wrong results; no growth in threads or descriptors; RSS within {} MB",
            RSS_BOUND >> 20
        );
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
