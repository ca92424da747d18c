//! The worker's sandbox, applied before any guest code runs.
//!
//! In order: every inherited file descriptor but stdio and the host socket is closed; resource
//! limits are set (no core dumps, few open files, optional address-space and CPU-seconds caps);
//! `no_new_privs` is set. Then, once V8 is initialised (it reads CPU counts and the like at
//! start-up), a seccomp filter is installed on every thread, denying what V8 never needs again:
//! running programs, creating processes (threads stay allowed), sockets, tracing, signals to
//! other processes, mounts and namespaces, opening files, io_uring (which would bypass the
//! filter), kernel keyrings, BPF and perf events. A denied call fails with `EPERM` (`clone3`
//! with `ENOSYS`, so that the C library falls back to `clone`, whose flags the filter can
//! check); nothing is killed, so a V8 code path that probes a call degrades instead of crashing.
//!
//! The parent-death signal and the process group are set by the host between fork and exec.

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

/// Installs the seccomp filter on every thread of the process.
pub(crate) fn after_v8(options: &Options) -> anyhow::Result<()> {
    if !options.seccomp {
        return Ok(());
    }
    let arch = std::env::consts::ARCH
        .try_into()
        .map_err(|err| anyhow::anyhow!("seccomp does not support this architecture: {err:?}"))?;
    // `clone3` passes its flags in memory the filter cannot read: make it unavailable, and the
    // C library uses `clone`, whose flags are checked below.
    let no_clone3: BpfProgram = SeccompFilter::new(
        BTreeMap::from([(libc::SYS_clone3, vec![])]),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        arch,
    )?
    .try_into()?;
    let deny: BpfProgram = SeccompFilter::new(
        denied(),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )?
    .try_into()?;
    seccompiler::apply_filter_all_threads(&no_clone3)
        .context("cannot install the clone3 filter")?;
    seccompiler::apply_filter_all_threads(&deny).context("cannot install the seccomp filter")?;
    Ok(())
}

/// The denied calls; an empty rule list means "always", otherwise any matching rule denies.
fn denied() -> BTreeMap<i64, Vec<SeccompRule>> {
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
        // Files.
        libc::SYS_open,
        libc::SYS_openat,
        libc::SYS_openat2,
        libc::SYS_creat,
        libc::SYS_open_by_handle_at,
        libc::SYS_name_to_handle_at,
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
        libc::SYS_fchmodat,
        libc::SYS_chown,
        libc::SYS_lchown,
        libc::SYS_fchownat,
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
    let condition = |arg, len, op, value| SeccompCondition::new(arg, len, op, value);
    // clone: only threads (CLONE_THREAD set) may be created.
    if let Ok(no_thread) =
        condition(0, SeccompCmpArgLen::Qword, SeccompCmpOp::MaskedEq(libc::CLONE_THREAD as u64), 0)
    {
        rules.insert(libc::SYS_clone, rule(vec![no_thread]));
    }
    // Signals only to this process (abort() uses tgkill on itself).
    let own_pid = u64::from(std::process::id());
    for call in [libc::SYS_kill, libc::SYS_tgkill, libc::SYS_rt_tgsigqueueinfo] {
        if let Ok(other) = condition(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, own_pid) {
            rules.insert(call, rule(vec![other]));
        }
    }
    rules
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
