//! `secure-exec`: run JavaScript from a file, `-e`, or stdin in an isolated V8 worker.
//!
//! Guest output streams to this process's stdout/stderr as it is produced, and the exit status
//! is the guest's exit code. With `--json`, nothing streams; the whole result is printed as one
//! JSON object instead.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use secure_exec_host::{
    ExecOptions, HostDir, NetPolicy, NodeRuntime, NodeRuntimeOptions, OutputStream, SystemDriver,
    V8Runtime, V8RuntimeOptions,
};

/// Exit status when the host could not run the code at all (no worker, bad options).
const EXIT_HOST_ERROR: u8 = 70;
/// Exit status when our stdout is closed by the reader (`| head`), as a shell reports a
/// process ended by SIGPIPE (128 + 13).
const EXIT_BROKEN_PIPE: i32 = 141;

#[derive(Parser)]
#[command(name = "secure-exec", version, about = "Run JavaScript in an isolated V8 worker process")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run code for its effects; exits with the guest's exit code.
    Exec(Source),
    /// Run code as a CommonJS module and print `module.exports` as JSON.
    Run(Source),
}

#[derive(Args)]
struct Source {
    /// File to run; `-` or nothing reads stdin.
    file: Option<PathBuf>,
    /// Run this code instead of a file.
    #[arg(short = 'e', long = "eval", value_name = "CODE", conflicts_with = "file")]
    eval: Option<String>,
    /// Print the whole result as one JSON object instead of streaming output.
    #[arg(long)]
    json: bool,
    /// Memory budget of the session in MB (V8 heap plus ArrayBuffers).
    #[arg(long, value_name = "MB")]
    memory_limit: Option<u64>,
    /// CPU time budget of the session in milliseconds.
    #[arg(long, value_name = "MS")]
    cpu_time_limit_ms: Option<u64>,
    /// Wall-clock bound of the session in milliseconds.
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
    /// Captured output per stream, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_output_bytes: Option<u64>,
    /// `process.env` entry for the guest (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    env: Vec<(String, String)>,
    /// Mount a host directory into the guest: `HOST:GUEST`, read-only unless `:rw` follows
    /// (repeatable). A FILE inside a volume runs at its guest path, so its relative requires
    /// and its node_modules work.
    #[arg(short = 'v', long = "volume", value_name = "HOST:GUEST[:rw]", value_parser = parse_volume)]
    volumes: Vec<Volume>,
    /// The guest's working directory (default: the guest path of this directory if a volume
    /// holds it, else `/`).
    #[arg(long, value_name = "GUEST_PATH")]
    cwd: Option<String>,
    /// Let the guest reach the network. Alone: any public host (loopback, private and
    /// link-local addresses stay denied unless listed); `--allow-net=HOST[:PORT],...`: only
    /// those (`api.example.com`, `*.example.com:443`, `127.0.0.1:8080`, `10.0.0.0/8`). The
    /// list only after `=`, so `--allow-net script.js` runs script.js. Repeatable.
    #[arg(
        long = "allow-net",
        value_name = "HOST[:PORT],...",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "*"
    )]
    allow_net: Vec<String>,
    /// The network policy as a JSON file (rules and per-session bounds); `--allow-net` rules
    /// are added to it.
    #[arg(long, value_name = "FILE")]
    net_policy: Option<PathBuf>,
    /// Root certificates (PEM) the guest's `https` requests trust besides Mozilla's
    /// (repeatable).
    #[arg(long, value_name = "FILE")]
    net_ca_file: Vec<PathBuf>,
    /// The worker executable (default: SECURE_EXEC_WORKER, beside this program, or PATH).
    #[arg(long, value_name = "PATH")]
    worker: Option<PathBuf>,
    /// Extra `process.argv` entries for the guest.
    #[arg(last = true)]
    args: Vec<String>,
}

#[derive(Clone, Debug)]
struct Volume {
    host: PathBuf,
    guest: String,
    writable: bool,
}

fn parse_volume(text: &str) -> Result<Volume, String> {
    let (rest, writable) = match text.strip_suffix(":rw") {
        Some(rest) => (rest, true),
        None => (text.strip_suffix(":ro").unwrap_or(text), false),
    };
    let Some((host, guest)) = rest.rsplit_once(':') else {
        return Err(format!("expected HOST:GUEST[:rw], got {text:?}"));
    };
    if host.is_empty() || !guest.starts_with('/') {
        return Err(format!("expected HOST:GUEST[:rw] with an absolute GUEST path, got {text:?}"));
    }
    let host = std::fs::canonicalize(host).map_err(|err| format!("volume {host}: {err}"))?;
    if !host.is_dir() {
        return Err(format!("volume {}: not a directory", host.display()));
    }
    Ok(Volume { host, guest: guest.trim_end_matches('/').to_owned(), writable })
}

/// The guest path of `host` (absolute, canonical) if a volume holds it.
fn guest_path(volumes: &[Volume], host: &std::path::Path) -> Option<String> {
    // The deepest volume wins, as the deepest mount serves a path.
    let mut best: Option<(&Volume, &std::path::Path)> = None;
    for volume in volumes {
        if let Ok(rest) = host.strip_prefix(&volume.host) {
            if best.is_none_or(|(b, _)| volume.host.as_os_str().len() > b.host.as_os_str().len()) {
                best = Some((volume, rest));
            }
        }
    }
    let (volume, rest) = best?;
    let rest = rest.to_str()?;
    let base = if volume.guest.is_empty() { "" } else { volume.guest.as_str() };
    Some(if rest.is_empty() {
        format!("{base}/").replace("//", "/")
    } else {
        format!("{base}/{rest}")
    })
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Diagnostics on stderr, off unless asked for: RUST_LOG=secure_exec_host=info (or debug).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("secure-exec: cannot start: {err}");
            return ExitCode::from(EXIT_HOST_ERROR);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("secure-exec: {err:#}");
            ExitCode::from(EXIT_HOST_ERROR)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    let (source, run_mode) = match cli.command {
        Command::Exec(source) => (source, false),
        Command::Run(source) => (source, true),
    };
    let (code, filename) = read_code(&source)?;
    let mut system = SystemDriver::default();
    for volume in &source.volumes {
        let dir = if volume.writable {
            HostDir::read_write(&volume.host)
        } else {
            HostDir::read_only(&volume.host)
        };
        let at = if volume.guest.is_empty() { "/" } else { volume.guest.as_str() };
        system = system.mount(at, dir);
    }
    if let Some(path) = &source.net_policy {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the network policy {}", path.display()))?;
        let policy: NetPolicy = serde_json::from_str(&text)
            .with_context(|| format!("network policy {}", path.display()))?;
        system = system.with_net_policy(policy);
    }
    for path in &source.net_ca_file {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read the certificates {}", path.display()))?;
        system = system.with_net_root_certificates(pem);
    }
    for list in &source.allow_net {
        for rule in NetPolicy::parse_list(list).context("--allow-net")? {
            system = system.allow_net(rule);
        }
    }
    let here = std::env::current_dir().ok().and_then(|dir| std::fs::canonicalize(dir).ok());
    let cwd = match (&source.cwd, here.and_then(|dir| guest_path(&source.volumes, &dir))) {
        (Some(cwd), _) => Some(cwd.clone()),
        (None, found) => found,
    };
    if let Some(cwd) = &cwd {
        system = system.with_cwd(cwd);
    }
    // A file inside a volume runs at its guest path.
    let filename = match &source.file {
        Some(path) if path.as_os_str() != "-" && source.eval.is_none() => {
            std::fs::canonicalize(path)
                .ok()
                .and_then(|host| guest_path(&source.volumes, &host))
                .unwrap_or(filename)
        }
        _ => filename,
    };
    let v8 = V8Runtime::spawn(V8RuntimeOptions {
        worker_path: source.worker.clone(),
        ..V8RuntimeOptions::default()
    })
    .await?;
    let rt = NodeRuntime::new(NodeRuntimeOptions {
        v8_runtime: Some(v8.clone()),
        memory_limit: source.memory_limit,
        cpu_time_limit_ms: source.cpu_time_limit_ms,
        timeout_ms: source.timeout_ms,
        max_output_bytes: source.max_output_bytes,
        env: source.env.iter().cloned().collect::<BTreeMap<_, _>>(),
        argv: source.args.clone(),
        system,
        ..NodeRuntimeOptions::default()
    });
    let on_output = (!source.json).then(|| {
        Arc::new(|stream: OutputStream, text: &str| match stream {
            OutputStream::Stdout => emit(&mut std::io::stdout().lock(), text),
            OutputStream::Stderr => {
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
        }) as secure_exec_host::OutputCallback
    });
    let options = ExecOptions { filename: Some(filename), on_output, ..ExecOptions::default() };

    let (code, error_message, json) = if run_mode {
        let result = rt.run_with(&code, options).await?;
        if !source.json {
            if let Some(exports) = &result.exports {
                emit(
                    &mut std::io::stdout().lock(),
                    &format!("{}\n", serde_json::to_string_pretty(exports)?),
                );
            }
        }
        (result.code, result.error_message.clone(), serde_json::to_value(&result)?)
    } else {
        let result = rt.exec_with(&code, options).await?;
        (result.code, result.error_message.clone(), serde_json::to_value(&result)?)
    };
    v8.dispose().await;

    if source.json {
        emit(&mut std::io::stdout().lock(), &format!("{}\n", serde_json::to_string_pretty(&json)?));
    } else if let Some(message) = error_message {
        eprintln!("{message}");
    }
    // Like a shell: the low 8 bits of the code, so `process.exit(256)` reads as 0.
    Ok((code & 0xff) as u8)
}

/// Writes `text` to stdout. If the reader has gone (`secure-exec ... | head`), there is nobody
/// left to run for: exit at once and quietly, as a program ended by SIGPIPE would (the worker
/// dies with us).
fn emit(stdout: &mut impl Write, text: &str) {
    let written = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
    if let Err(err) = written {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(EXIT_BROKEN_PIPE);
        }
        eprintln!("secure-exec: cannot write to stdout: {err}");
    }
}

fn read_code(source: &Source) -> anyhow::Result<(String, String)> {
    if let Some(code) = &source.eval {
        return Ok((code.clone(), "[eval]".to_owned()));
    }
    match &source.file {
        Some(path) if path.as_os_str() != "-" => {
            let code = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |name| name.to_string_lossy().into_owned(),
            );
            Ok((code, name))
        }
        _ => {
            let mut code = String::new();
            std::io::stdin().read_to_string(&mut code).context("cannot read stdin")?;
            if code.is_empty() {
                bail!("no code: give a FILE, -e CODE, or code on stdin");
            }
            Ok((code, "[stdin]".to_owned()))
        }
    }
}
