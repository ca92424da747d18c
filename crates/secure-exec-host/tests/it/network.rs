//! The guest's network: fetch, `node:http` and `dns.lookup` through the host, against a real
//! local server, under the deny-by-default policy.

use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::Duration;

use secure_exec_host::{
    ErrorCode, ExecOptions, ExecResult, HostPattern, NetPolicy, NetRule, NodeRuntime,
    NodeRuntimeOptions, SystemDriver, V8Runtime,
};

use crate::http_server::Server;
use crate::oracle::same_as_node_with;
use crate::support::{spawn, wait_until};

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(Server::start)
}

/// A driver that admits the test server's address and port, and `localhost` on that port.
fn allow_server() -> SystemDriver {
    let port = server().port;
    SystemDriver::default()
        .allow_net(format!("127.0.0.1:{port}").parse().unwrap())
        .allow_net(format!("localhost:{port}").parse().unwrap())
}

/// A policy that admits the test server's address and port, with default bounds.
fn server_policy() -> NetPolicy {
    NetPolicy {
        allow: NetPolicy::parse_list(&format!("127.0.0.1:{}", server().port)).unwrap(),
        ..NetPolicy::default()
    }
}

fn on(v8: &V8Runtime, system: SystemDriver) -> NodeRuntime {
    NodeRuntime::new(NodeRuntimeOptions {
        v8_runtime: Some(v8.clone()),
        system,
        ..Default::default()
    })
}

async fn module(rt: &NodeRuntime, code: &str) -> ExecResult {
    module_on(rt, code, server()).await
}

/// Runs `code` as an ES module with `PORT` replaced by `server`'s port. Tests that count the
/// requests a server sees use one of their own: tests run in parallel.
async fn module_on(rt: &NodeRuntime, code: &str, server: &Server) -> ExecResult {
    let options = ExecOptions { filename: Some("/main.mjs".into()), ..Default::default() };
    rt.exec_with(&code.replace("PORT", &server.port.to_string()), options).await.unwrap()
}

/// Prints what a failed fetch says: `code` and whether the message names the target.
const REPORT: &str = "
async function attempt(url, init) {
  try {
    const r = await fetch(url, init);
    console.log('ok', r.status, await r.text());
  } catch (e) {
    console.log(e.name, e.code, e.message);
  }
}
";

#[tokio::test]
async fn fetch_and_http_against_an_allowed_host_match_node() {
    let v8 = spawn().await;
    let script = r#"
const base = 'http://127.0.0.1:PORT';
const r = await fetch(base + '/json');
console.log(r.status, r.ok, r.statusText, r.url, r.redirected, r.type);
console.log(r.headers.get('content-type'), r.headers.get('x-test'), r.headers.getSetCookie());
console.log(await r.json());
const post = await fetch(base + '/echo', { method: 'POST', body: JSON.stringify({ a: 1 }),
  headers: { 'content-type': 'application/json' } });
console.log(await post.json());
const form = new URLSearchParams({ q: 'x y', n: '1' });
console.log((await (await fetch(base + '/echo', { method: 'PUT', body: form })).json()));
const bytes = new Uint8Array(3 * 1024 * 1024).fill(7);
console.log((await (await fetch(base + '/echo', { method: 'POST', body: bytes })).json()).length);
const big = await fetch(base + '/big?n=5000000');
let n = 0, pieces = 0;
for await (const piece of big.body) { n += piece.length; pieces++; }
console.log('streamed', n, pieces > 1);
const moved = await fetch(base + '/redirect?to=/json');
console.log(moved.status, moved.redirected, moved.url.endsWith('/json'), (await moved.json()).hello);
const manual = await fetch(base + '/redirect?to=/json', { redirect: 'manual' });
console.log(manual.status, manual.headers.get('location'));
const missing = await fetch(base + '/nothing');
console.log(missing.status, missing.ok, await missing.text());
const clone = (await fetch(base + '/json')).clone();
console.log(await clone.text());

const http = await import('node:http');
await new Promise((resolve, reject) => {
  http.get(base + '/json', (res) => {
    console.log(res.statusCode, res.statusMessage, res.headers['content-type'], res.headers['set-cookie']);
    res.setEncoding('utf8');
    let body = '';
    res.on('data', (c) => { body += c; });
    res.on('end', () => { console.log('http body', body); resolve(); });
  }).on('error', reject);
});
await new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port: PORT, path: '/echo', method: 'POST',
    headers: { 'content-type': 'text/plain' }, auth: 'user:pass' }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => { console.log('http echo', Buffer.concat(chunks).toString()); resolve(); });
  });
  req.on('error', reject);
  req.write('hello ');
  req.end('world');
});
const dns = await import('node:dns');
console.log(await dns.promises.lookup('localhost', { family: 4 }));
const data = await fetch('data:,Hello%2C%20World%21');
console.log(data.status, data.headers.get('content-type'), await data.text());
console.log(await (await fetch('data:application/json;base64,eyJhIjoxfQ==')).json());
const parts = new FormData();
parts.append('a', '1');
parts.append('f', new Blob(['hello'], { type: 'text/plain' }), 'x.txt');
const encoded = new Response(parts);
const type = encoded.headers.get('content-type');
const boundary = type.split('boundary=')[1];
console.log(type.split(';')[0], JSON.stringify((await encoded.text()).split(boundary).join('B')));
const blob = new Blob(['ab', new Uint8Array([99])], { type: 'Text/Plain' });
console.log(blob.size, blob.type, await blob.text(), await blob.slice(1).text());
const fromBlob = new Uint8Array(await new Response(blob).arrayBuffer());
fromBlob[0] = 120;
console.log(await blob.text());
"#
    .replace("PORT", &server().port.to_string());
    let out =
        same_as_node_with(&v8, &[("main.mjs", script.as_str())], "main.mjs", allow_server()).await;
    assert!(out.contains("streamed 5000000 true"), "{out}");
    v8.dispose().await;
}

#[tokio::test]
async fn nothing_is_reachable_without_a_rule() {
    let v8 = spawn().await;
    let rt = on(&v8, SystemDriver::default());
    let own = Server::start();
    let r = module_on(
        &rt,
        &format!(
            "{REPORT}
await attempt('http://127.0.0.1:PORT/json');
const http = await import('node:http');
http.get('http://127.0.0.1:PORT/json').on('error', (e) => console.log('http', e.code, e.message));
const dns = await import('node:dns');
dns.lookup('localhost', (e) => console.log('dns', e.code));
"
        ),
        &own,
    )
    .await;
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    let port = own.port;
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "TypeError ERR_ACCESS_DENIED fetch failed: network access to 127.0.0.1:{port} is denied: \
         127.0.0.1 is a loopback address, and no rule names it"
        )
    );
    assert!(
        lines[1].starts_with(&format!("http ERR_ACCESS_DENIED network access to 127.0.0.1:{port}")),
        "{}",
        r.stdout
    );
    assert_eq!(lines[2], "dns ERR_ACCESS_DENIED");
    assert_eq!(own.requests(), 0, "a denied request reached the server");
    v8.dispose().await;
}

#[tokio::test]
async fn any_public_host_still_refuses_loopback_and_private_addresses() {
    let v8 = spawn().await;
    let rt = on(&v8, SystemDriver::default().allow_net(NetRule::host(HostPattern::Any)));
    let own = Server::start();
    let r = module_on(
        &rt,
        &format!(
            "{REPORT}
await attempt('http://127.0.0.1:PORT/json');
await attempt('http://localhost:PORT/json');
await attempt('http://[::ffff:127.0.0.1]:PORT/json');
await attempt('http://2130706433:PORT/json');
await attempt('http://169.254.169.254/latest/meta-data/');
await attempt('http://10.0.0.1/');
await attempt('file:///etc/passwd');
"
        ),
        &own,
    )
    .await;
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{}", r.stdout);
    for line in &lines[..6] {
        assert!(
            line.starts_with("TypeError ERR_ACCESS_DENIED fetch failed: network access to "),
            "{line}"
        );
    }
    assert!(lines[1].contains("localhost") && lines[1].contains("resolves to"), "{}", lines[1]);
    assert!(
        lines[4].contains("169.254.169.254:80") && lines[4].contains("link-local"),
        "{}",
        lines[4]
    );
    assert!(lines[6].starts_with("TypeError ERR_INVALID_URL_SCHEME"), "{}", lines[6]);
    assert_eq!(own.requests(), 0, "a denied request reached the server");
    v8.dispose().await;
}

#[tokio::test]
async fn every_redirect_hop_is_checked() {
    let v8 = spawn().await;
    let port = server().port;
    let rt =
        on(&v8, SystemDriver::default().allow_net(format!("127.0.0.1:{port}").parse().unwrap()));
    let r = module(
        &rt,
        &format!(
            "{REPORT}
await attempt('http://127.0.0.1:PORT/redirect?to=http://127.0.0.1:1/json');
await attempt('http://127.0.0.1:PORT/redirect?to=http://[::1]:PORT/json');
await attempt('http://127.0.0.1:PORT/redirect?to=http://10.1.1.1/json');
await attempt('http://127.0.0.1:PORT/redirect?to=/json');
await attempt('http://127.0.0.1:PORT/redirect?to=/json', {{ redirect: 'error' }});
"
        ),
    )
    .await;
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].contains("ERR_ACCESS_DENIED") && lines[0].contains("127.0.0.1:1 "),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("ERR_ACCESS_DENIED") && lines[1].contains("[::1]"), "{}", lines[1]);
    assert!(
        lines[2].contains("ERR_ACCESS_DENIED") && lines[2].contains("10.1.1.1:80"),
        "{}",
        lines[2]
    );
    assert_eq!(lines[3], r#"ok 200 {"hello":"world","method":"GET"}"#);
    assert!(lines[4].contains("ERR_NET_REDIRECT"), "{}", lines[4]);
    v8.dispose().await;
}

#[tokio::test]
async fn a_policy_loads_from_json_and_bounds_the_session() {
    let v8 = spawn().await;
    let port = server().port;
    let policy: NetPolicy = serde_json::from_str(&format!(
        r#"{{ "allow": [{{ "host": "127.0.0.1", "ports": [{port}], "methods": ["GET"] }}],
             "max_requests": 3, "max_response_bytes": 1048576 }}"#
    ))
    .unwrap();
    let rt = on(&v8, SystemDriver::default().with_net_policy(policy));
    let r = module(
        &rt,
        &format!(
            "{REPORT}
await attempt('http://127.0.0.1:PORT/echo', {{ method: 'POST', body: 'x' }});
await attempt('http://127.0.0.1:PORT/json');
try {{ await (await fetch('http://127.0.0.1:PORT/big?n=3000000')).arrayBuffer(); }}
catch (e) {{ console.log(e.name, e.code, e.message); }}
await attempt('http://127.0.0.1:PORT/json');
"
        ),
    )
    .await;
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].contains("ERR_ACCESS_DENIED"), "POST admitted: {}", lines[0]);
    assert!(lines[1].starts_with("ok 200"), "{}", lines[1]);
    assert!(lines[2].starts_with("Error ERR_NET_RESPONSE_LIMIT"), "{}", lines[2]);
    assert!(lines[3].contains("ERR_NET_REQUEST_LIMIT"), "{}", lines[3]);
    v8.dispose().await;
}

#[tokio::test]
async fn an_embedder_filter_narrows_the_policy() {
    let v8 = spawn().await;
    let rt = on(&v8, allow_server().with_net_filter(|request| request.path != "/json"));
    let r = module(
        &rt,
        &format!(
            "{REPORT}
await attempt('http://127.0.0.1:PORT/json');
await attempt('http://127.0.0.1:PORT/nothing');
"
        ),
    )
    .await;
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].contains("ERR_ACCESS_DENIED") && lines[0].contains("filter"), "{}", lines[0]);
    assert_eq!(lines[1], "ok 404 nope");
    v8.dispose().await;
}

#[tokio::test]
async fn an_abort_and_a_session_timeout_close_the_hosts_connection() {
    let v8 = spawn().await;
    let rt = on(&v8, allow_server());
    let closed = &server().seen.slow_closed;

    let before = closed.load(Ordering::SeqCst);
    let r = module(
        &rt,
        "
const controller = new AbortController();
const response = await fetch('http://127.0.0.1:PORT/slow', { signal: controller.signal });
const reader = response.body.getReader();
console.log(new TextDecoder().decode((await reader.read()).value));
controller.abort();
try { await reader.read(); } catch (e) { console.log(e.name); }
try { await fetch('http://127.0.0.1:PORT/json', { signal: AbortSignal.abort() }); }
catch (e) { console.log(e.name); }
",
    )
    .await;
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    assert_eq!(r.stdout, "start\nAbortError\nAbortError\n");
    wait_until(Duration::from_secs(10), || closed.load(Ordering::SeqCst) > before).await;

    // The same while the body is read whole (straight from the host, no stream).
    let before = closed.load(Ordering::SeqCst);
    let r = module(
        &rt,
        "
const controller = new AbortController();
const response = await fetch('http://127.0.0.1:PORT/slow', { signal: controller.signal });
setTimeout(() => controller.abort(), 50);
try { await response.text(); } catch (e) { console.log(e.name); }
",
    )
    .await;
    assert_eq!(r.stdout, "AbortError\n", "{:?}", r.error_message);
    wait_until(Duration::from_secs(10), || closed.load(Ordering::SeqCst) > before).await;

    let before = closed.load(Ordering::SeqCst);
    let options = ExecOptions {
        timeout_ms: Some(1_000),
        filename: Some("/t.mjs".into()),
        ..Default::default()
    };
    let code = format!("const r = await fetch('{}'); await r.text();", server().url("/slow"));
    let r = rt.exec_with(&code, options).await.unwrap();
    assert_eq!(r.error_code, Some(ErrorCode::Timeout), "{:?}", r.error_message);
    wait_until(Duration::from_secs(10), || closed.load(Ordering::SeqCst) > before).await;

    // The worker is fine afterwards.
    let r = module(
        &rt,
        "console.log((await (await fetch('http://127.0.0.1:PORT/json')).json()).hello)",
    )
    .await;
    assert_eq!(r.stdout, "world\n");
    v8.dispose().await;
}

#[tokio::test]
async fn concurrent_requests_are_bounded() {
    let v8 = spawn().await;
    let policy = NetPolicy { max_concurrent_requests: 2, ..server_policy() };
    let rt = on(&v8, SystemDriver::default().with_net_policy(policy));
    let r = module(
        &rt,
        "
const held = [await fetch('http://127.0.0.1:PORT/slow'), await fetch('http://127.0.0.1:PORT/slow')];
try { await fetch('http://127.0.0.1:PORT/json'); } catch (e) { console.log(e.code); }
await held[0].body.cancel();
const r = await fetch('http://127.0.0.1:PORT/json');
console.log(r.status);
await held[1].body.cancel();
",
    )
    .await;
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    assert_eq!(r.stdout, "ERR_NET_CONCURRENCY_LIMIT\n200\n");
    v8.dispose().await;
}

#[tokio::test]
async fn request_bodies_travel_in_pieces_and_are_bounded() {
    let v8 = spawn().await;
    let policy = NetPolicy { max_request_body_bytes: 2 * 1024 * 1024, ..server_policy() };
    let rt = on(&v8, SystemDriver::default().with_net_policy(policy));
    let r = module(
        &rt,
        "
const post = (n) => fetch('http://127.0.0.1:PORT/echo', { method: 'POST', body: new Uint8Array(n) });
console.log((await (await post(1536 * 1024)).json()).length);
try { await post(3 * 1024 * 1024); } catch (e) { console.log(e.code); }
console.log((await (await post(10)).json()).length);
",
    )
    .await;
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    assert_eq!(r.stdout, "1572864\nERR_NET_REQUEST_LIMIT\n10\n");
    v8.dispose().await;
}

#[tokio::test]
async fn unusable_root_certificates_are_invalid_options() {
    let v8 = spawn().await;
    let rt = on(&v8, SystemDriver::default().with_net_root_certificates("not a certificate"));
    let err = rt.exec("1").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidOptions, "{err}");
    assert!(err.to_string().contains("root certificates"), "{err}");
    v8.dispose().await;
}

#[tokio::test]
async fn a_sessions_requests_to_one_host_reuse_its_connection_and_sessions_share_none() {
    let v8 = spawn().await;
    let own = Server::start();
    let rule = format!("127.0.0.1:{}", own.port).parse().unwrap();
    let rt = on(&v8, SystemDriver::default().allow_net(rule));
    let code = "for (let i = 0; i < 5; i++) await (await fetch('http://127.0.0.1:PORT/json')).text();
const http = await import('node:http');
await new Promise((done) => http.get('http://127.0.0.1:PORT/json', (res) => res.resume().on('end', done)));";
    let r = module_on(&rt, code, &own).await;
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    assert_eq!(own.requests(), 6);
    // fetch's requests shared one connection; node:http (bodies left encoded) has its own.
    assert_eq!(own.seen.connections.load(Ordering::SeqCst), 2);
    let r = module_on(&rt, code, &own).await;
    assert_eq!(r.error_code, None, "{:?}", r.error_message);
    assert_eq!(own.seen.connections.load(Ordering::SeqCst), 4, "a session reused another's");
    v8.dispose().await;
}
