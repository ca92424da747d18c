//! Ending worker processes: signals, bounded waits, reaping, and describing how they ended.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Duration;

use tokio::process::Child;

/// How long to wait for a process after SIGKILL before handing it to a background reaper.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// Waits up to `patience` for the child to exit by itself, then kills it, and reaps it.
/// Returns its exit status, or `None` if it could not be collected in time (it is then reaped
/// in the background, so it never lingers as a zombie).
pub(crate) async fn reap(child: &mut Child, patience: Duration) -> Option<ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    if !patience.is_zero() {
        if let Ok(Ok(status)) = tokio::time::timeout(patience, child.wait()).await {
            return Some(status);
        }
    }
    let _ = child.start_kill();
    match tokio::time::timeout(KILL_WAIT, child.wait()).await {
        Ok(Ok(status)) => Some(status),
        _ => None,
    }
}

/// SIGTERM, then up to `grace` for the process to exit, then SIGKILL; always reaps.
pub(crate) async fn terminate(child: &mut Child, grace: Duration) -> Option<ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    if let Some(pid) = child.id().and_then(|pid| libc::pid_t::try_from(pid).ok()) {
        // SAFETY: the child is not reaped yet, so its pid cannot have been reused.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    reap(child, grace).await
}

/// "exited with code 3", "was killed by signal 9 (SIGKILL)".
pub(crate) fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with code {code}");
    }
    match status.signal() {
        Some(signal) => format!("was killed by signal {signal} ({})", signal_name(signal)),
        None => format!("ended with status {status}"),
    }
}

/// The conventional name of a signal number.
pub(crate) fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGSYS => "SIGSYS",
        _ => "signal",
    }
}
