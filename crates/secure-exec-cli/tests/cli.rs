//! The `secure-exec` command against a real worker.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn cli(args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_secure-exec"));
    command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.env_remove("RUST_LOG");
    let mut child = command.spawn().expect("the CLI starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    input.write_all(stdin.unwrap_or("").as_bytes()).expect("stdin accepts the code");
    drop(input);
    child.wait_with_output().expect("the CLI finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn exec_streams_output_and_exits_with_the_guest_code() {
    let out =
        cli(&["exec", "-e", "console.log('out'); console.error('err'); process.exit(3)"], None);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "out\n");
    assert_eq!(text(&out.stderr), "err\n");
}

#[test]
fn exec_reads_a_file_or_stdin() {
    let dir = std::env::temp_dir().join(format!("secure-exec-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("script.js");
    std::fs::write(&file, "console.log(6 * 7)").unwrap();
    let out = cli(&["exec", file.to_str().unwrap()], None);
    assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), "42\n".to_owned()));
    let out = cli(&["exec"], Some("console.log('from stdin')"));
    assert_eq!(text(&out.stdout), "from stdin\n");
    let out = cli(&["exec", "-"], Some("console.log('dash')"));
    assert_eq!(text(&out.stdout), "dash\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_prints_exports_as_json() {
    let out = cli(&["run", "-e", "module.exports = { a: 42, list: [1, 'x'] }"], None);
    assert_eq!(out.status.code(), Some(0));
    let exports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(exports, serde_json::json!({ "a": 42, "list": [1, "x"] }));
}

#[test]
fn json_prints_the_whole_result() {
    let out = cli(&["exec", "--json", "-e", "console.log('hi'); throw new Error('boom')"], None);
    assert_eq!(out.status.code(), Some(1));
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["code"], 1);
    assert_eq!(result["stdout"], "hi\n");
    assert_eq!(result["error_code"], "ERR_GUEST_EXCEPTION");
    assert!(result["error_message"].as_str().unwrap().contains("Error: boom"));
}

#[test]
fn limits_pass_through() {
    let out = cli(
        &[
            "exec",
            "--json",
            "--memory-limit",
            "8",
            "-e",
            "const a = []; while (true) a.push(new Array(1e6))",
        ],
        None,
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["error_code"], "ERR_MEMORY_LIMIT");
    let out = cli(&["exec", "--cpu-time-limit-ms", "50", "-e", "while (true) {}"], None);
    assert_eq!(out.status.code(), Some(124));
    assert!(text(&out.stderr).contains("ERR_CPU_TIME_LIMIT"));
    let out = cli(&["exec", "--timeout-ms", "100", "-e", "setInterval(() => {}, 1000)"], None);
    assert_eq!(out.status.code(), Some(124));
    assert!(text(&out.stderr).contains("ERR_TIMEOUT"));
}

#[test]
fn invalid_options_and_missing_workers_are_host_errors() {
    let out = cli(&["exec", "--memory-limit", "0", "-e", "1"], None);
    assert_eq!(out.status.code(), Some(70));
    assert!(text(&out.stderr).contains("ERR_INVALID_OPTIONS"), "{}", text(&out.stderr));
    let out = cli(&["exec", "--worker", "/nonexistent/secure-exec-worker", "-e", "1"], None);
    assert_eq!(out.status.code(), Some(70));
    assert!(text(&out.stderr).contains("ERR_WORKER_NOT_FOUND"), "{}", text(&out.stderr));
}

#[test]
fn a_closed_stdout_ends_the_cli_quietly() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_secure-exec"))
        .args(["exec", "-e", "for (let i = 0; i < 50; i++) console.log('y'.repeat(1 << 16))"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut head = [0u8; 10];
    stdout.read_exact(&mut head).expect("the first bytes arrive");
    assert_eq!(&head, b"yyyyyyyyyy");
    // The reader goes away, as `| head -c 10` does.
    drop(stdout);
    let out = child.wait_with_output().expect("the CLI finishes");
    assert_eq!(out.status.code(), Some(141), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
}

#[test]
fn rust_log_turns_on_the_hosts_diagnostics() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_secure-exec"));
    command.args(["exec", "-e", "1"]).env("RUST_LOG", "secure_exec_host=info");
    let out = command.output().expect("the CLI runs");
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("worker ready"), "{stderr}");
    let quiet = cli(&["exec", "-e", "1"], None);
    assert_eq!(text(&quiet.stderr), "", "no diagnostics unless asked for");
}

#[test]
fn volumes_mount_host_directories_and_a_file_inside_one_runs_at_its_guest_path() {
    let root = std::env::temp_dir().join(format!("secure-exec-cli-volumes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let proj = root.join("proj");
    let out_dir = root.join("out");
    std::fs::create_dir_all(proj.join("node_modules/greet")).unwrap();
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(proj.join("node_modules/greet/index.js"), "module.exports = (n) => 'hi ' + n;")
        .unwrap();
    std::fs::write(proj.join("lib.js"), "exports.name = 'lib';").unwrap();
    std::fs::write(
        proj.join("main.js"),
        "const fs = require('fs');\n\
         console.log(require('greet')(require('./lib').name), __filename, process.cwd());\n\
         fs.writeFileSync('/out/result.txt', 'written');\n\
         try { fs.writeFileSync('/app/nope.txt', 'x'); } catch (e) { console.log(e.code); }\n",
    )
    .unwrap();
    let proj_arg = format!("{}:/app", proj.display());
    let out_arg = format!("{}:/out:rw", out_dir.display());
    let main = proj.join("main.js");
    let out = cli(
        &["exec", "-v", &proj_arg, "-v", &out_arg, "--cwd", "/app", main.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hi lib /app/main.js /app\nEROFS\n");
    assert_eq!(std::fs::read_to_string(out_dir.join("result.txt")).unwrap(), "written");
    assert!(!proj.join("nope.txt").exists());
    // Without a volume nothing of the host is there: an in-memory root with its /tmp.
    let out = cli(&["exec", "-e", "console.log(require('fs').readdirSync('/'))"], None);
    assert_eq!(text(&out.stdout), "[ 'tmp' ]\n");
    let out = cli(&["exec", "-v", "relative-guest:app", "-e", "1"], None);
    assert_eq!(out.status.code(), Some(2), "a bad volume is a usage error");
    std::fs::remove_dir_all(&root).unwrap();
}

/// A one-route HTTP server on 127.0.0.1 (std only): answers every request with `hello`.
fn hello_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match std::io::Read::read(&mut stream, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
            );
        }
    });
    port
}

#[test]
fn allow_net_takes_its_list_only_after_equals() {
    let port = hello_server();
    let dir = std::env::temp_dir().join(format!("secure-exec-cli-net-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("fetch.mjs");
    std::fs::write(
        &script,
        format!(
            "try {{ console.log(await (await fetch('http://127.0.0.1:{port}/')).text()); }} \
             catch (e) {{ console.log(e.code, e.message); }}"
        ),
    )
    .unwrap();
    let script = script.to_str().unwrap();
    // Alone, `--allow-net` admits public hosts only: the script runs, and loopback is refused.
    let out = cli(&["exec", "--allow-net", script], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("ERR_ACCESS_DENIED "), "{stdout}");
    assert!(stdout.contains(&format!("127.0.0.1:{port}")), "{stdout}");
    // Named, it is reachable.
    let out = cli(&["exec", &format!("--allow-net=127.0.0.1:{port}"), script], None);
    assert_eq!(text(&out.stdout), "hello\n", "{}", text(&out.stderr));
    // A policy file works the same way.
    let policy = dir.join("policy.json");
    std::fs::write(&policy, format!(r#"{{"allow":[{{"host":"127.0.0.1","ports":[{port}]}}]}}"#))
        .unwrap();
    let out = cli(&["exec", "--net-policy", policy.to_str().unwrap(), script], None);
    assert_eq!(text(&out.stdout), "hello\n", "{}", text(&out.stderr));
    // A bad rule is a usage error before anything runs.
    let out = cli(&["exec", "--allow-net=exa mple.com", "-e", "1"], None);
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("exa mple.com"), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}
