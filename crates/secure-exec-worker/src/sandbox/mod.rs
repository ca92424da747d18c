//! The worker's sandbox, applied before any guest code runs.
//!
//! In order: every inherited file descriptor but stdio and the host socket is closed; resource
//! limits are set (no core dumps, few open files, optional address-space and CPU-seconds caps);
//! `no_new_privs` is set. Then, once V8 is initialised (it reads CPU counts and the like at
//! start-up), a seccomp filter is installed on every thread. It is an allow-list
//! ([`allowed`]): a system call not on it stops the worker with `SIGSYS`, after a line on stderr
//! that names the call (the host reports it as the crash reason). Calls a V8 or C library code
//! path may probe and cope with being refused (opening files, sockets, process creation, calls
//! aimed at other processes, prctl options the worker does not use) fail with `EPERM` instead
//! ([`refused`]), so that path degrades rather than crashes; `clone3` fails with `ENOSYS`, so
//! the C library falls back to `clone`, whose flags the filter can read. The filter accepts
//! x86_64 system calls only: another architecture is killed by the filter's first check, and
//! x32 calls (same architecture, numbers with bit 30 set) are on no list and stop the worker.
//! docs/security.md lists every entry and why it is there.
//!
//! The parent-death signal and the process group are set by the host between fork and exec.

mod syscalls;

use std::collections::BTreeMap;
use std::os::fd::RawFd;

use anyhow::{Context, bail};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule,
};

/// Open files the worker may hold: stdio, the socket, and headroom for V8 internals.
const MAX_OPEN_FILES: u64 = 32;

/// What the host asked for on the command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    pub(crate) seccomp: bool,
    pub(crate) address_space: Option<u64>,
    pub(crate) cpu_seconds: Option<u64>,
}

/// Closes inherited descriptors, sets resource limits and `no_new_privs`.
pub(crate) fn before_v8(socket: RawFd, options: &Options) -> anyhow::Result<()> {
    close_other_fds(socket)?;
    set_limit(libc::RLIMIT_CORE, 0).context("RLIMIT_CORE")?;
    set_limit(libc::RLIMIT_NOFILE, MAX_OPEN_FILES).context("RLIMIT_NOFILE")?;
    if let Some(bytes) = options.address_space {
        set_limit(libc::RLIMIT_AS, bytes).context("RLIMIT_AS")?;
    }
    if let Some(seconds) = options.cpu_seconds {
        set_limit(libc::RLIMIT_CPU, seconds).context("RLIMIT_CPU")?;
    }
    // SAFETY: prctl with integer arguments only.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        bail!("cannot set no_new_privs: {}", std::io::Error::last_os_error());
    }
    Ok(())
}

/// Installs the seccomp filters on every thread of the process.
pub(crate) fn after_v8(options: &Options) -> anyhow::Result<()> {
    if !options.seccomp {
        return Ok(());
    }
    let arch = std::env::consts::ARCH
        .try_into()
        .map_err(|err| anyhow::anyhow!("seccomp does not support this architecture: {err:?}"))?;
    install_sigsys_reporter()?;
    // `clone3` passes its flags in memory the filter cannot read: make it unavailable, and the
    // C library uses `clone`, whose flags are checked below.
    let no_clone3: BpfProgram = SeccompFilter::new(
        BTreeMap::from([(libc::SYS_clone3, vec![])]),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        arch,
    )?
    .try_into()?;
    let allow_list: BpfProgram =
        SeccompFilter::new(allowed(), SeccompAction::Trap, SeccompAction::Allow, arch)?
            .try_into()?;
    let refusals: BpfProgram = SeccompFilter::new(
        refused(),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )?
    .try_into()?;
    // The kernel runs every filter and keeps the strictest answer (trap over errno over
    // allow). The refusals go last: they refuse `seccomp` itself, which installing needs.
    seccompiler::apply_filter_all_threads(&no_clone3)
        .context("cannot install the clone3 filter")?;
    seccompiler::apply_filter_all_threads(&allow_list)
        .context("cannot install the seccomp allow-list")?;
    seccompiler::apply_filter_all_threads(&refusals)
        .context("cannot install the seccomp refusals")?;
    Ok(())
}

/// System calls the worker makes once the sandbox is in place, each for a reason given in
/// docs/security.md. Every refused call is on this list too (its refusal is decided by
/// [`refused`]); a call on neither list stops the worker.
fn allowed() -> BTreeMap<i64, Vec<SeccompRule>> {
    let needed = [
        // Memory: V8's heaps, code space (made executable by mprotect), glibc malloc.
        libc::SYS_mmap,
        libc::SYS_munmap,
        libc::SYS_mprotect,
        libc::SYS_mremap,
        libc::SYS_madvise,
        libc::SYS_brk,
        libc::SYS_pkey_alloc,
        libc::SYS_pkey_free,
        libc::SYS_pkey_mprotect,
        // Threads: session threads, V8's platform workers; their start-up and exit.
        libc::SYS_clone,
        libc::SYS_clone3,
        libc::SYS_set_robust_list,
        libc::SYS_rseq,
        libc::SYS_set_tid_address,
        libc::SYS_exit,
        libc::SYS_exit_group,
        libc::SYS_gettid,
        libc::SYS_getpid,
        libc::SYS_futex,
        libc::SYS_sched_yield,
        libc::SYS_sched_getaffinity,
        libc::SYS_sched_getscheduler,
        libc::SYS_sched_getparam,
        libc::SYS_prctl,
        // Signals: V8's WebAssembly trap handler (SIGSEGV), abort() on a fatal error, the
        // SIGTERM watcher, this filter's SIGSYS reporter.
        libc::SYS_rt_sigaction,
        libc::SYS_rt_sigprocmask,
        libc::SYS_rt_sigreturn,
        libc::SYS_rt_sigtimedwait,
        libc::SYS_sigaltstack,
        libc::SYS_kill,
        libc::SYS_tgkill,
        libc::SYS_rt_tgsigqueueinfo,
        // Time: the event loop, timers, the CPU-time watchdog (thread CPU clocks).
        libc::SYS_clock_gettime,
        libc::SYS_clock_getres,
        libc::SYS_clock_nanosleep,
        libc::SYS_nanosleep,
        libc::SYS_gettimeofday,
        // The kernel resumes a sleep interrupted by a stop and continue (job control, a
        // debugger) through this call.
        libc::SYS_restart_syscall,
        // The host socket and stdio (the only descriptors the worker holds).
        libc::SYS_read,
        libc::SYS_write,
        libc::SYS_readv,
        libc::SYS_writev,
        libc::SYS_recvfrom,
        libc::SYS_sendto,
        libc::SYS_recvmsg,
        libc::SYS_sendmsg,
        libc::SYS_setsockopt,
        libc::SYS_getsockopt,
        libc::SYS_shutdown,
        libc::SYS_close,
        libc::SYS_fstat,
        libc::SYS_fcntl,
        libc::SYS_poll,
        libc::SYS_ppoll,
        // Randomness (Math.random and hash seeds), resource limits of this process, the
        // kernel's name, ICU's time-zone lookup (a symlink read: /etc/localtime).
        libc::SYS_getrandom,
        libc::SYS_prlimit64,
        libc::SYS_getrlimit,
        libc::SYS_getrusage,
        libc::SYS_uname,
        libc::SYS_readlink,
        // Installing the later filters of this sandbox (refused from then on).
        libc::SYS_seccomp,
    ];
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
        needed.into_iter().map(|call| (call, Vec::new())).collect();
    for call in refused().into_keys() {
        rules.entry(call).or_default();
    }
    rules
}

/// Calls refused with `EPERM`: an empty rule list means "always", otherwise any matching rule
/// refuses.
fn refused() -> BTreeMap<i64, Vec<SeccompRule>> {
    let always = [
        // Running programs and creating processes.
        libc::SYS_execve,
        libc::SYS_execveat,
        libc::SYS_fork,
        libc::SYS_vfork,
        // Networking.
        libc::SYS_socket,
        libc::SYS_socketpair,
        libc::SYS_connect,
        libc::SYS_bind,
        libc::SYS_listen,
        libc::SYS_accept,
        libc::SYS_accept4,
        // Other processes.
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_tkill,
        libc::SYS_rt_sigqueueinfo,
        libc::SYS_pidfd_open,
        libc::SYS_pidfd_getfd,
        libc::SYS_pidfd_send_signal,
        libc::SYS_kcmp,
        // Scheduling and I/O priority changes (of anyone: the worker makes none).
        libc::SYS_setpriority,
        libc::SYS_sched_setaffinity,
        libc::SYS_sched_setscheduler,
        libc::SYS_sched_setparam,
        libc::SYS_ioprio_set,
        // Mounts and namespaces.
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        libc::SYS_unshare,
        libc::SYS_setns,
        libc::SYS_open_tree,
        libc::SYS_move_mount,
        libc::SYS_fsopen,
        libc::SYS_fsmount,
        // Files: opening, creating, changing or watching anything by path.
        libc::SYS_open,
        libc::SYS_openat,
        libc::SYS_openat2,
        libc::SYS_creat,
        libc::SYS_open_by_handle_at,
        libc::SYS_name_to_handle_at,
        libc::SYS_stat,
        libc::SYS_lstat,
        libc::SYS_newfstatat,
        libc::SYS_statx,
        libc::SYS_access,
        libc::SYS_faccessat,
        libc::SYS_faccessat2,
        libc::SYS_mknod,
        libc::SYS_mknodat,
        libc::SYS_link,
        libc::SYS_linkat,
        libc::SYS_symlink,
        libc::SYS_symlinkat,
        libc::SYS_unlink,
        libc::SYS_unlinkat,
        libc::SYS_rename,
        libc::SYS_renameat,
        libc::SYS_renameat2,
        libc::SYS_mkdir,
        libc::SYS_mkdirat,
        libc::SYS_rmdir,
        libc::SYS_truncate,
        libc::SYS_chmod,
        libc::SYS_fchmod,
        libc::SYS_fchmodat,
        FCHMODAT2,
        libc::SYS_chown,
        libc::SYS_fchown,
        libc::SYS_lchown,
        libc::SYS_fchownat,
        libc::SYS_utimensat,
        libc::SYS_utime,
        libc::SYS_utimes,
        libc::SYS_futimesat,
        libc::SYS_setxattr,
        libc::SYS_lsetxattr,
        libc::SYS_fsetxattr,
        libc::SYS_removexattr,
        libc::SYS_lremovexattr,
        libc::SYS_fremovexattr,
        libc::SYS_inotify_init,
        libc::SYS_inotify_init1,
        libc::SYS_inotify_add_watch,
        libc::SYS_fanotify_init,
        libc::SYS_ioctl,
        // Inter-process communication outside the host socket.
        libc::SYS_mq_open,
        libc::SYS_mq_unlink,
        libc::SYS_shmget,
        libc::SYS_shmat,
        libc::SYS_shmctl,
        libc::SYS_semget,
        libc::SYS_semop,
        libc::SYS_semctl,
        libc::SYS_msgget,
        libc::SYS_msgsnd,
        libc::SYS_msgrcv,
        libc::SYS_msgctl,
        // Ways around this filter or into the kernel.
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_delete_module,
        libc::SYS_kexec_load,
        libc::SYS_kexec_file_load,
        libc::SYS_reboot,
        libc::SYS_swapon,
        libc::SYS_swapoff,
        libc::SYS_acct,
        libc::SYS_settimeofday,
        libc::SYS_clock_settime,
        libc::SYS_seccomp,
    ];
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
        always.into_iter().map(|call| (call, Vec::new())).collect();
    let rule = |conditions| SeccompRule::new(conditions).map_or_else(|_| Vec::new(), |r| vec![r]);
    let condition = |arg, op, value| SeccompCondition::new(arg, SeccompCmpArgLen::Qword, op, value);
    let dword = |arg, op, value| SeccompCondition::new(arg, SeccompCmpArgLen::Dword, op, value);
    // A rule matching when argument `arg` is none of `allowed`.
    let none_of = |arg, allowed: &[libc::c_int]| -> Vec<SeccompRule> {
        let others: Result<Vec<_>, _> =
            allowed.iter().map(|&value| dword(arg, SeccompCmpOp::Ne, value as u64)).collect();
        others.map_or_else(|_| Vec::new(), rule)
    };
    // clone: only threads (CLONE_THREAD set) may be created.
    if let Ok(no_thread) = condition(0, SeccompCmpOp::MaskedEq(libc::CLONE_THREAD as u64), 0) {
        rules.insert(libc::SYS_clone, rule(vec![no_thread]));
    }
    // Signals only to this process (abort() uses tgkill on itself).
    let own_pid = u64::from(std::process::id());
    for call in [libc::SYS_kill, libc::SYS_tgkill, libc::SYS_rt_tgsigqueueinfo] {
        if let Ok(other) = dword(0, SeccompCmpOp::Ne, own_pid) {
            rules.insert(call, rule(vec![other]));
        }
    }
    // Resource limits: of this process only (pid 0 or its own), so that a compromised worker
    // cannot lower the host's limits.
    if let (Ok(not_zero), Ok(not_self)) =
        (dword(0, SeccompCmpOp::Ne, 0), dword(0, SeccompCmpOp::Ne, own_pid))
    {
        rules.insert(libc::SYS_prlimit64, rule(vec![not_zero, not_self]));
    }
    // prctl: naming threads and memory regions, and no_new_privs (which only ever takes
    // privileges away); PR_SET_PDEATHSIG above all stays out of reach.
    let options = [
        libc::PR_SET_NAME,
        libc::PR_GET_NAME,
        libc::PR_SET_VMA,
        libc::PR_SET_NO_NEW_PRIVS,
        libc::PR_GET_NO_NEW_PRIVS,
    ];
    rules.insert(libc::SYS_prctl, none_of(0, &options));
    // fcntl: descriptor and status flags only; F_SETOWN and friends would direct signals at
    // another process.
    let commands = [libc::F_GETFD, libc::F_SETFD, libc::F_GETFL, libc::F_SETFL];
    rules.insert(libc::SYS_fcntl, none_of(1, &commands));
    rules
}

/// `fchmodat2` (Linux 6.6), not yet named by the libc crate.
const FCHMODAT2: i64 = 452;

/// Exit status of a worker stopped by the filter, as if killed by SIGSYS (128 + 31).
const SIGSYS_EXIT: i32 = 128 + libc::SIGSYS;

/// Makes a trapped system call end the worker with a line on stderr naming the call.
fn install_sigsys_reporter() -> anyhow::Result<()> {
    // SAFETY: a zeroed sigaction is a valid starting point; the handler only makes
    // async-signal-safe calls (write, _exit) and touches no Rust state.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = report_sigsys as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGSYS, &action, std::ptr::null_mut()) != 0 {
            bail!("cannot install the SIGSYS handler: {}", std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The SIGSYS handler: "secure-exec-worker: the sandbox stopped system call 58 (vfork)".
extern "C" fn report_sigsys(
    _signal: libc::c_int,
    info: *mut libc::siginfo_t,
    _: *mut libc::c_void,
) {
    // The kernel's siginfo for SIGSYS: after signo, errno and code (and padding), the calling
    // address (8 bytes) and then the system call number.
    const SYSCALL_OFFSET: usize = 24;
    let number = if info.is_null() {
        -1
    } else {
        // SAFETY: the kernel passes a valid siginfo_t; the field lies inside it.
        unsafe { std::ptr::read_unaligned(info.cast::<u8>().add(SYSCALL_OFFSET).cast::<i32>()) }
    };
    let mut line = [0u8; 160];
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        for &byte in bytes {
            if len < line.len() {
                line[len] = byte;
                len += 1;
            }
        }
    };
    put(b"secure-exec-worker: the sandbox stopped ");
    const X32_BIT: i32 = 0x4000_0000;
    if number >= 0 && number & X32_BIT != 0 {
        put(b"x32 ");
    }
    put(b"system call ");
    let mut digits = [0u8; 12];
    let mut n = number.unsigned_abs();
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if number < 0 {
        put(b"-");
    }
    put(&digits[at..]);
    let name = usize::try_from(number & !X32_BIT).ok().and_then(|n| syscalls::NAMES.get(n));
    if let Some(name) = name.filter(|name| !name.is_empty()) {
        put(b" (");
        put(name.as_bytes());
        put(b")");
    }
    put(b"\n");
    // SAFETY: write and _exit are async-signal-safe; the buffer is ours.
    unsafe {
        libc::write(2, line.as_ptr().cast(), len);
        libc::_exit(SIGSYS_EXIT);
    }
}

fn close_other_fds(keep: RawFd) -> anyhow::Result<()> {
    let keep = u32::try_from(keep).context("negative socket descriptor")?;
    let ranges = [(3, keep.checked_sub(1)), (keep + 1, Some(u32::MAX))];
    for (first, last) in ranges {
        let Some(last) = last.filter(|last| *last >= first) else { continue };
        // SAFETY: close_range closes descriptors this process owns and nothing else uses yet.
        let rc = unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) };
        if rc != 0 {
            bail!("close_range({first}, {last}): {}", std::io::Error::last_os_error());
        }
    }
    Ok(())
}

fn set_limit(resource: libc::__rlimit_resource_t, value: u64) -> std::io::Result<()> {
    let limit = libc::rlimit { rlim_cur: value, rlim_max: value };
    // SAFETY: setrlimit reads the struct we own.
    if unsafe { libc::setrlimit(resource, &limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
