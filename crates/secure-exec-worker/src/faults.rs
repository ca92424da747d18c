//! Test-only fault injection (`--features fault-injection`): real crashes on demand.
//!
//! `__secureExecFault(kind)` in guest code triggers one of: `segfault` (a write to an unmapped
//! address), `abort`, `panic` (a Rust panic, which the worker's hook turns into an abort),
//! `oom` (the session's next heap-limit hit is a fatal V8 out-of-memory), `hang` (the session
//! thread blocks in native code where termination cannot reach it), `freeze` (the whole
//! process stops itself with SIGSTOP), and `unlisted-syscall` / `x32-syscall` (a system call
//! the sandbox's allow-list does not hold, which stops the worker). `sleep` is no fault: the
//! session thread sleeps half a second, for a test that stops and continues the worker then. The feature is never part of a release build.
//!
//! `__secureExecSandboxSelfTest(processes)` attempts every call the sandbox forbids, from the
//! session thread after the sandbox is in place, and returns a JSON object mapping each attempt
//! to its outcome (`"EPERM"`, `"ENOSYS"`, or `"allowed"`), plus two calls that must stay allowed.
//! `processes: false` skips `fork` and `clone`: without the filter they really create a child of
//! a large multi-threaded process, which some hosting sandboxes handle slowly or not at all, and
//! the contrast run does not need them.

use crate::state::SessionState;

pub(crate) fn fault(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    _rv: v8::ReturnValue<'_>,
) {
    let kind = args.get(0).to_rust_string_lossy(scope);
    eprintln!("secure-exec-worker: injected fault {kind:?}");
    match kind.as_str() {
        "segfault" => {
            // SAFETY: deliberately not safe: the point is a real SIGSEGV from a bad write.
            unsafe { std::ptr::write_volatile(std::ptr::without_provenance_mut::<u64>(8), 1) };
        }
        "abort" => std::process::abort(),
        "panic" => panic!("injected panic"),
        "oom" => {
            if let Some(state) = scope.get_slot::<SessionState>() {
                state.budget.disable_headroom();
            }
        }
        "hang" => loop {
            std::thread::park();
        },
        "freeze" => {
            // SAFETY: raising a signal at ourselves.
            unsafe { libc::raise(libc::SIGSTOP) };
        }
        // Not a fault: half a second in a relative sleep (`clock_nanosleep`), during which a
        // test stops and continues the worker; the kernel resumes the sleep through
        // `restart_syscall`, which the sandbox must allow.
        "sleep" => std::thread::sleep(std::time::Duration::from_millis(500)),
        // A call on no list of the sandbox: the filter stops the worker and names it.
        // `vhangup` is inert without CAP_SYS_TTY_CONFIG, should the filter be off.
        "unlisted-syscall" => {
            // SAFETY: vhangup takes no arguments and needs a capability the worker lacks.
            unsafe { libc::syscall(libc::SYS_vhangup) };
        }
        // The x32 flavour of getpid: the same architecture, another system call table.
        "x32-syscall" => {
            // SAFETY: getpid has no arguments and no effect.
            unsafe { libc::syscall(0x4000_0000 | libc::SYS_getpid) };
        }
        other => {
            let message = format!("unknown fault {other:?}");
            if let Some(message) = v8::String::new(scope, &message) {
                let error = v8::Exception::type_error(scope, message);
                scope.throw_exception(error);
            }
        }
    }
}

/// Attempts each forbidden call and reports what happened. Every attempt is made with inert
/// arguments (a missing path, an invalid descriptor, a null pointer), so that if the filter
/// were missing the call would still fail harmlessly, and what could succeed (fork, socket,
/// open) is undone at once.
pub(crate) fn sandbox_self_test(
    scope: &mut v8::PinScope<'_, '_>,
    args: v8::FunctionCallbackArguments<'_>,
    mut rv: v8::ReturnValue<'_>,
) {
    let processes = args.length() == 0 || args.get(0).boolean_value(scope);
    let mut report = Vec::new();
    let mut record = |name: &str, rc: libc::c_long| {
        let outcome = if rc >= 0 {
            "allowed".to_owned()
        } else {
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EPERM) => "EPERM".to_owned(),
                Some(libc::ENOSYS) => "ENOSYS".to_owned(),
                Some(other) => format!("allowed (errno {other})"),
                None => "unknown".to_owned(),
            }
        };
        report.push(format!("\"{name}\":\"{outcome}\""));
    };
    let missing = c"/nonexistent/secure-exec-self-test";
    let argv = [missing.as_ptr(), std::ptr::null()];
    let null = std::ptr::null::<u8>();
    // SAFETY: inert arguments throughout (see above); a child that does get created exits at
    // once and is reaped, a descriptor that does get opened is closed.
    unsafe {
        let envp = std::ptr::null::<*const libc::c_char>();
        record("execve", libc::syscall(libc::SYS_execve, missing.as_ptr(), argv.as_ptr(), envp));
        if processes {
            record("fork", create_and_reap(|| libc::syscall(libc::SYS_fork)));
            record(
                "clone (process)",
                create_and_reap(|| {
                    libc::syscall(libc::SYS_clone, libc::SIGCHLD as libc::c_ulong, 0, 0, 0, 0)
                }),
            );
        }
        record("clone3", libc::syscall(libc::SYS_clone3, null, 0));
        let fd = libc::syscall(libc::SYS_socket, libc::AF_UNIX, libc::SOCK_STREAM, 0);
        if fd >= 0 {
            libc::close(fd as libc::c_int);
        }
        record("socket", fd);
        record("connect", libc::syscall(libc::SYS_connect, -1, null, 0));
        record("bind", libc::syscall(libc::SYS_bind, -1, null, 0));
        record("listen", libc::syscall(libc::SYS_listen, -1, 1));
        record("ptrace", libc::syscall(libc::SYS_ptrace, libc::PTRACE_PEEKDATA, 0, 0, 0));
        record("kill (other process)", libc::syscall(libc::SYS_kill, 1, 0));
        record("mount", libc::syscall(libc::SYS_mount, null, null, null, 0, null));
        record("unshare", libc::syscall(libc::SYS_unshare, 1));
        record("setns", libc::syscall(libc::SYS_setns, -1, 0));
        let fd =
            libc::syscall(libc::SYS_openat, libc::AT_FDCWD, c"/dev/null".as_ptr(), libc::O_RDONLY);
        if fd >= 0 {
            libc::close(fd as libc::c_int);
        }
        record("open", fd);
        record("io_uring_setup", libc::syscall(libc::SYS_io_uring_setup, 1, null));
        let path = missing.as_ptr();
        record("fchmodat2", libc::syscall(452, libc::AT_FDCWD, path, 0o777, 0));
        record("setxattr", libc::syscall(libc::SYS_setxattr, path, path, null, 0, 0));
        record("removexattr", libc::syscall(libc::SYS_removexattr, path, path));
        record("utimensat", libc::syscall(libc::SYS_utimensat, libc::AT_FDCWD, path, null, 0));
        record("mq_open", libc::syscall(libc::SYS_mq_open, path, 0, 0, null));
        record("shmget (System V IPC)", libc::syscall(libc::SYS_shmget, 0, 0, 0));
        record("inotify_add_watch", libc::syscall(libc::SYS_inotify_add_watch, -1, path, 0));
        record("ioctl", libc::syscall(libc::SYS_ioctl, -1, libc::TCGETS, null));
        // Another process: init. Read-only or invalid forms (a null new limit, an unknown
        // `which`, a null mask, an invalid priority): were the filter off they would change
        // nothing.
        let other: libc::c_long = 1;
        record(
            "prlimit64 (other process)",
            libc::syscall(libc::SYS_prlimit64, other, libc::RLIMIT_NOFILE, null, null),
        );
        record("setpriority (other process)", libc::syscall(libc::SYS_setpriority, 99, other, 0));
        record("sched_setaffinity", libc::syscall(libc::SYS_sched_setaffinity, other, 0, null));
        record("ioprio_set", libc::syscall(libc::SYS_ioprio_set, 1, other, -1));
        record(
            "prctl (PR_SET_PDEATHSIG)",
            // The value the host set, so that without the filter nothing changes.
            libc::syscall(libc::SYS_prctl, libc::PR_SET_PDEATHSIG, libc::SIGKILL),
        );
        record("fcntl (F_SETOWN)", libc::syscall(libc::SYS_fcntl, -1, libc::F_SETOWN, other));
        record("kill (self, signal 0)", libc::syscall(libc::SYS_kill, libc::getpid(), 0));
        record(
            "prlimit64 (self, read)",
            libc::syscall(libc::SYS_prlimit64, 0, libc::RLIMIT_NOFILE, null, null),
        );
    }
    let thread = std::thread::Builder::new().spawn(|| 7).map(|h| h.join().unwrap_or(0));
    record("thread", if matches!(thread, Ok(7)) { 0 } else { -1 });
    let json = format!("{{{}}}", report.join(","));
    if let Some(text) = v8::String::new(scope, &json) {
        rv.set(text.into());
    }
}

/// Makes a process-creating call and returns its result. A child that does get created (the
/// filter being off) exits at once; the parent waits at most two seconds for it before killing
/// it, and always reaps it.
fn create_and_reap(create: impl FnOnce() -> libc::c_long) -> libc::c_long {
    let rc = create();
    if rc == 0 {
        // SAFETY: in the child: leave without running anything of the parent's.
        unsafe { libc::_exit(0) };
    }
    let Ok(pid) = libc::pid_t::try_from(rc) else { return rc };
    if pid <= 0 {
        return rc;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    // SAFETY: plain waitpid/kill on a child this thread just created.
    unsafe {
        while libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) == 0 {
            if std::time::Instant::now() >= deadline {
                libc::kill(pid, libc::SIGKILL);
                // SIGKILL cannot be blocked, so this wait ends as soon as the kernel tears
                // the child down.
                libc::waitpid(pid, std::ptr::null_mut(), 0);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
    rc
}
