//! SIGTERM: an orderly end, like the host's `Shutdown` message.
//!
//! SIGTERM is blocked in every thread (the mask is set before the first thread starts, and
//! threads inherit it) and taken by one watcher thread with `sigwait`, so no handler ever runs
//! in the middle of V8. On SIGTERM the watcher shuts the reading half of the host socket: the
//! connection loop sees end-of-file and runs the same shutdown as when the host goes away —
//! every session is stopped and sends its result, then the worker exits.

use std::os::fd::{AsRawFd, RawFd};

/// Blocks SIGTERM in the calling thread and every thread it starts from now on.
pub(crate) fn block_sigterm() -> std::io::Result<()> {
    let set = sigterm_set();
    // SAFETY: pthread_sigmask reads the set we built and writes nothing (no old mask asked).
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(std::io::Error::from_raw_os_error(rc));
    }
    Ok(())
}

/// Starts the watcher for the connection on `socket`.
pub(crate) fn watch_sigterm(socket: &impl AsRawFd) -> std::io::Result<()> {
    let fd: RawFd = socket.as_raw_fd();
    std::thread::Builder::new().name("sigterm".into()).spawn(move || {
        let _live = crate::threads::enter();
        let set = sigterm_set();
        let mut signal = 0;
        // SAFETY: sigwait reads the set and writes the signal number into our integer.
        while unsafe { libc::sigwait(&set, &mut signal) } != 0 || signal != libc::SIGTERM {}
        // SAFETY: shutdown on the socket the connection owns for the life of the process; it
        // only ends reading, which the connection loop takes as the host going away.
        unsafe { libc::shutdown(fd, libc::SHUT_RD) };
    })?;
    Ok(())
}

fn sigterm_set() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the zeroed set; sigaddset adds a valid signal to it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    }
}
