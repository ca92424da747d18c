//! `secure-exec-worker`: the V8 process.
//!
//! Started by a secure-exec host with one end of a socketpair as an inherited file descriptor
//! (`--fd N`). It initialises V8 once, then serves sessions from that connection until it
//! closes; each session is a fresh isolate on its own thread. See `docs/architecture.md`.

mod admission;
mod budget;
mod connection;
mod control;
#[cfg(feature = "fault-injection")]
mod faults;
mod guest;
mod output;
mod platform;
mod sandbox;
mod session;
mod signals;
mod state;
mod threads;
mod watchdog;

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use anyhow::Context as _;

use anyhow::bail;

/// Features compiled in that change what a guest can do; reported in the handshake.
pub(crate) const FEATURES: &[&str] = &[
    #[cfg(feature = "fault-injection")]
    "fault-injection",
];

fn main() {
    // A panic anywhere leaves the process in an unknown state (a half-finished session, a
    // poisoned lock): die at once so the host reports every session as crashed, rather than
    // keep serving with one session silently lost.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        std::process::abort();
    }));

    let code = match run() {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("secure-exec-worker: {err:#}");
            2
        }
    };
    exit_now(code)
}

/// Ends the process without running C++ static destructors: V8's platform threads may still
/// be running, and tearing V8 down under them is how exits turn into crashes.
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit never returns and touches no Rust state.
    unsafe { libc::_exit(code) }
}

fn run() -> anyhow::Result<()> {
    let args = parse_args(std::env::args().skip(1))?;
    // Nothing else may be open yet: descriptors inherited by accident are closed right here.
    sandbox::before_v8(args.fd, &args.sandbox)?;
    // SAFETY: the host passes a connected socket at `fd` and nothing else in this process owns
    // it; `fd_is_socket` checked it is an open socket before ownership is taken.
    let socket = unsafe { OwnedFd::from_raw_fd(args.fd) };
    set_cloexec(&socket)?;
    let socket = std::os::unix::net::UnixStream::from(socket);
    // Before any other thread exists, so that all of them inherit the blocked mask.
    signals::block_sigterm().context("cannot block SIGTERM")?;
    signals::watch_sigterm(&socket).context("cannot start the SIGTERM watcher")?;

    // Every session is a new thread, and glibc gives threads their own malloc arenas (up to
    // eight per core), each keeping freed memory: RSS would creep up with the number of
    // sessions served. Two arenas keep it flat at no measurable cost in speed.
    // SAFETY: mallopt only adjusts allocator parameters; called before any thread exists.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, 2) };
    platform::init();
    let watchdog = watchdog::Watchdog::start().context("cannot start the watchdog thread")?;
    sandbox::after_v8(&args.sandbox)?;
    connection::serve(socket, watchdog)
}

/// The command line the host passes.
struct Args {
    fd: RawFd,
    sandbox: sandbox::Options,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut fd = None;
    let mut sandbox = sandbox::Options { seccomp: true, ..Default::default() };
    let number = |flag: &str, value: Option<String>| -> anyhow::Result<u64> {
        let value = value.with_context(|| format!("{flag} needs a value"))?;
        value.parse::<u64>().with_context(|| format!("bad {flag} {value:?}"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fd" => {
                let value = number("--fd", args.next())?;
                fd = Some(RawFd::try_from(value).context("--fd out of range")?);
            }
            "--no-seccomp" => sandbox.seccomp = false,
            "--rlimit-as" => sandbox.address_space = Some(number("--rlimit-as", args.next())?),
            "--rlimit-cpu" => sandbox.cpu_seconds = Some(number("--rlimit-cpu", args.next())?),
            "--version" => {
                #[allow(clippy::print_stdout)]
                {
                    println!(
                        "secure-exec-worker {} (V8 {}, protocol {}{}{})",
                        env!("CARGO_PKG_VERSION"),
                        v8::V8::get_version(),
                        secure_exec_proto::version::CURRENT,
                        if FEATURES.is_empty() { "" } else { ", features: " },
                        FEATURES.join(",")
                    );
                }
                exit_now(0);
            }
            other => bail!(
                "unknown argument {other:?}; this program is started by a secure-exec host \
                 with --fd N, not by hand"
            ),
        }
    }
    let fd = fd.context("missing --fd N: the socket inherited from the host")?;
    if !fd_is_socket(fd) {
        bail!("file descriptor {fd} is not an open socket");
    }
    Ok(Args { fd, sandbox })
}

fn fd_is_socket(fd: RawFd) -> bool {
    // SAFETY: fstat only writes into the zeroed struct we own; an invalid fd yields an error.
    unsafe {
        let mut stat: libc::stat = std::mem::zeroed();
        libc::fstat(fd, &mut stat) == 0 && (stat.st_mode & libc::S_IFMT) == libc::S_IFSOCK
    }
}

fn set_cloexec(fd: &OwnedFd) -> anyhow::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: plain fcntl on a descriptor we own.
    let ok = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } == 0;
    if !ok {
        bail!("cannot set close-on-exec on the host socket: {}", std::io::Error::last_os_error());
    }
    Ok(())
}
