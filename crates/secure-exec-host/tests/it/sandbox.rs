//! The worker's sandbox, as seen from outside through /proc.

use secure_exec_host::V8RuntimeOptions;

use crate::support;

fn proc_file(pid: u32, name: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/{name}")).unwrap()
}

fn status_field(pid: u32, field: &str) -> String {
    proc_file(pid, "status")
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")).map(|v| v.trim().to_owned()))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_live_worker_has_no_new_privs_and_a_seccomp_filter() {
    let v8 = support::spawn().await;
    let pid = v8.pid().unwrap();
    assert_eq!(status_field(pid, "NoNewPrivs"), "1");
    assert_eq!(status_field(pid, "Seccomp"), "2");
    let r = support::on(&v8).exec("console.log(new Date(0).toISOString())").await.unwrap();
    assert_eq!(r.stdout, "1970-01-01T00:00:00.000Z\n", "sessions run under the filter");
}

#[tokio::test]
async fn the_filter_can_be_turned_off_for_debugging() {
    let v8 = support::spawn_with(V8RuntimeOptions { seccomp: false, ..Default::default() }).await;
    let pid = v8.pid().unwrap();
    assert_eq!(status_field(pid, "Seccomp"), "0");
    assert_eq!(status_field(pid, "NoNewPrivs"), "1");
}

#[tokio::test]
async fn the_worker_gets_none_of_the_hosts_environment() {
    // The test process has an environment (PATH at least); the worker must see none of it.
    assert!(std::env::var_os("PATH").is_some());
    let v8 = support::spawn().await;
    let environ = std::fs::read(format!("/proc/{}/environ", v8.pid().unwrap())).unwrap();
    assert!(environ.is_empty(), "worker environment: {:?}", String::from_utf8_lossy(&environ));
}

#[tokio::test]
async fn the_worker_holds_only_its_socket_and_stdio() {
    // A descriptor the host leaks by accident (no close-on-exec) must not reach the worker.
    let leaked = std::fs::File::open("/dev/zero").unwrap();
    {
        use std::os::fd::AsRawFd;
        // SAFETY: clears close-on-exec on a descriptor this test owns.
        unsafe { libc::fcntl(leaked.as_raw_fd(), libc::F_SETFD, 0) };
    }
    let v8 = support::spawn().await;
    let pid = v8.pid().unwrap();
    // Sessions and spares are running: they open nothing either.
    let r = support::on(&v8).exec("console.log('x')").await.unwrap();
    assert_eq!(r.code, 0);
    let mut fds: Vec<(String, String)> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let target = std::fs::read_link(entry.path()).unwrap().display().to_string();
            (entry.file_name().to_string_lossy().into_owned(), target)
        })
        .collect();
    fds.sort();
    let names: Vec<&str> = fds.iter().map(|(fd, _)| fd.as_str()).collect();
    assert_eq!(names, ["0", "1", "2", "3"], "{fds:?}");
    assert_eq!(fds[0].1, "/dev/null");
    assert_eq!(fds[1].1, "/dev/null");
    assert!(fds[2].1.starts_with("pipe:"), "stderr goes to the host: {fds:?}");
    assert!(fds[3].1.starts_with("socket:"), "{fds:?}");
    drop(leaked);
}

#[tokio::test]
async fn the_worker_has_its_own_process_group_and_tight_limits() {
    let v8 = support::spawn_with(V8RuntimeOptions {
        address_space_limit_mb: Some(64 * 1024),
        cpu_seconds_limit: Some(3600),
        ..Default::default()
    })
    .await;
    let pid = v8.pid().unwrap();
    // SAFETY: getpgid on a live child.
    let group = unsafe { libc::getpgid(pid as libc::pid_t) };
    assert_eq!(group, pid as libc::pid_t, "the worker leads its own process group");
    let limits = proc_file(pid, "limits");
    let limit = |name: &str| {
        limits
            .lines()
            .find(|line| line.starts_with(name))
            .map(|line| line[name.len()..].split_whitespace().take(2).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert_eq!(limit("Max core file size"), "0 0");
    assert_eq!(limit("Max open files"), "32 32");
    assert_eq!(limit("Max address space"), format!("{} {}", 64u64 << 30, 64u64 << 30));
    assert_eq!(limit("Max cpu time"), "3600 3600");
    let r = support::on(&v8).exec("console.log(1)").await.unwrap();
    assert_eq!(r.stdout, "1\n", "V8 runs under the address-space cap");
}

#[tokio::test]
async fn stats_count_the_workers_threads() {
    let v8 = support::spawn().await;
    let rt = support::on(&v8);
    let running = tokio::spawn(async move { rt.exec("setTimeout(() => {}, 500)").await.unwrap() });
    support::wait_for_active_sessions(&v8, 1).await;
    let pid = v8.pid().unwrap();
    // Spares may still be starting: compare once the count is steady.
    let mut reported = 0;
    let mut actual = 0;
    for _ in 0..50 {
        reported = v8.stats().await.unwrap().threads as usize;
        actual = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap().count();
        if reported == actual {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let names: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .map(|t| std::fs::read_to_string(t.unwrap().path().join("comm")).unwrap().trim().to_owned())
        .collect();
    assert_eq!(reported, actual, "threads: {names:?}");
    assert_eq!(running.await.unwrap().code, 0);
}

/// A stopped and continued worker (a debugger, job control) resumes its interrupted sleeps
/// through `restart_syscall`, which the sandbox must allow: the sessions go on.
#[tokio::test]
async fn a_worker_stopped_and_continued_keeps_serving() {
    let v8 = support::spawn().await;
    let rt = support::on(&v8);
    let pid = v8.pid().unwrap();
    let (options, mut started) = support::signal_on_output("waiting");
    let sleeper = tokio::spawn({
        let rt = rt.clone();
        async move {
            rt.exec_with(
                "console.log('waiting'); setTimeout(() => console.log('woke'), 400)",
                options,
            )
            .await
            .unwrap()
        }
    });
    started.recv().await.expect("the session printed");
    for _ in 0..3 {
        support::kill(pid, libc::SIGSTOP);
        support::kill(pid, libc::SIGCONT);
    }
    let r = sleeper.await.unwrap();
    assert_eq!((r.code, r.stdout.as_str()), (0, "waiting\nwoke\n"), "{:?}", r.error_message);
    assert_eq!(v8.pid(), Some(pid));
    let after = rt.exec("console.log('still here')").await.unwrap();
    assert_eq!(after.stdout, "still here\n");
}
