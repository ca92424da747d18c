//! A small real HTTP/1.1 server on 127.0.0.1 for the network tests: real sockets, so the
//! tests see what a server sees (requests that arrive, connections the host closes).
//!
//! Routes: `/json`, `/echo` (the request back as JSON), `/big?n=BYTES`, `/redirect?to=URL`,
//! `/slow` (sends a little, then holds the connection open until the client closes it).
//! Also the bench's server for the network figures.

// A fixture: a failure to bind or accept is a failed test or bench run.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
pub(crate) struct Seen {
    /// Requests that reached the server.
    pub(crate) requests: AtomicUsize,
    /// `/slow` connections the client closed.
    pub(crate) slow_closed: AtomicUsize,
    /// Connections accepted.
    pub(crate) connections: AtomicUsize,
}

pub(crate) struct Server {
    pub(crate) port: u16,
    pub(crate) seen: Arc<Seen>,
}

impl Server {
    /// Starts a server on its own thread; it lives as long as the test process.
    pub(crate) fn start() -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let seen = Arc::new(Seen::default());
        let counters = Arc::clone(&seen);
        std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                loop {
                    let Ok((socket, _)) = listener.accept().await else { continue };
                    tokio::spawn(serve(socket, Arc::clone(&counters)));
                }
            });
        });
        Self { port, seen }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub(crate) fn requests(&self) -> usize {
        self.seen.requests.load(Ordering::SeqCst)
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn query(&self, key: &str) -> Option<String> {
        let (_, query) = self.path.split_once('?')?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == key).then(|| v.replace("%3A", ":").replace("%2F", "/"))
        })
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let mut body = buf[head_end + 4..].to_vec();
    let complete = |body: &[u8]| {
        if chunked { body.ends_with(b"0\r\n\r\n") } else { body.len() >= length }
    };
    while !complete(&body) {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    if chunked {
        body = dechunk(&body)?;
    }
    Some(Request { method, path, headers, body })
}

/// A chunked body's bytes (Node sends one when a request is written in pieces).
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).ok()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(body);
        }
        let start = line_end + 2;
        body.extend_from_slice(data.get(start..start + size)?);
        data = data.get(start + size + 2..)?;
    }
}

fn head(status: &str, headers: &[(&str, String)], length: usize, keep: bool) -> Vec<u8> {
    let connection = if keep { "keep-alive" } else { "close" };
    let mut text =
        format!("HTTP/1.1 {status}\r\nconnection: {connection}\r\ncontent-length: {length}\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// Serves requests on one connection, keeping it alive between them unless the client asks
/// not to (`/big` and `/slow` end it).
async fn serve(mut socket: TcpStream, seen: Arc<Seen>) {
    seen.connections.fetch_add(1, Ordering::SeqCst);
    loop {
        let Some(request) = read_request(&mut socket).await else { return };
        let keep = !request.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if !respond(&mut socket, &request, &seen, keep).await || !keep {
            let _ = socket.shutdown().await;
            return;
        }
    }
}

/// Answers one request; `false` if the connection must end.
/// `{"compressed":"brotli","items":["item-0", ... 50 of them]}` as Node's
/// `zlib.brotliCompressSync` writes it, in hex.
const BROTLI_JSON: &str = "1be201e88dc33816bc0b4d91eec1440e25a0c823fa0eb6314a7dfdc0af35ab064168c669f44201521ae0ee463c51186cc081641447347cc7427d7790e7d1f903b2626319e004a97a274f07";

async fn respond(socket: &mut TcpStream, request: &Request, seen: &Seen, keep: bool) -> bool {
    seen.requests.fetch_add(1, Ordering::SeqCst);
    let route = request.path.split('?').next().unwrap_or("").to_owned();
    let json = |value: serde_json::Value| value.to_string().into_bytes();
    let (status, headers, body): (&str, Vec<(&str, String)>, Vec<u8>) = match route.as_str() {
        "/json" => (
            "200 OK",
            vec![
                ("content-type", "application/json".into()),
                ("x-test", "a".into()),
                ("set-cookie", "one=1".into()),
                ("set-cookie", "two=2".into()),
            ],
            json(serde_json::json!({ "hello": "world", "method": request.method })),
        ),
        "/echo" => (
            "200 OK",
            vec![("content-type", "application/json".into())],
            json(serde_json::json!({
                "method": request.method,
                "body": String::from_utf8_lossy(&request.body[..request.body.len().min(100)]),
                "length": request.body.len(),
                "contentType": request.header("content-type"),
                "authorization": request.header("authorization"),
            })),
        ),
        "/big" => {
            let n: usize = request.query("n").and_then(|n| n.parse().ok()).unwrap_or(0);
            let _ = socket.write_all(&head("200 OK", &[], n, false)).await;
            let piece = vec![b'a'; 64 * 1024];
            let mut sent = 0;
            while sent < n {
                let take = piece.len().min(n - sent);
                if socket.write_all(&piece[..take]).await.is_err() {
                    return false;
                }
                sent += take;
            }
            return false;
        }
        "/brotli" => (
            "200 OK",
            vec![("content-type", "application/json".into()), ("content-encoding", "br".into())],
            BROTLI_JSON
                .as_bytes()
                .chunks(2)
                .filter_map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
                .collect(),
        ),
        "/redirect" => {
            let to = request.query("to").unwrap_or_default();
            ("302 Found", vec![("location", to)], Vec::new())
        }
        "/slow" => {
            let _ = socket.write_all(&head("200 OK", &[], 1_000_000, false)).await;
            let _ = socket.write_all(b"start").await;
            // Holds the connection until the client closes it.
            let mut sink = [0u8; 1024];
            loop {
                match socket.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            seen.slow_closed.fetch_add(1, Ordering::SeqCst);
            return false;
        }
        _ => ("404 Not Found", Vec::new(), b"nope".to_vec()),
    };
    // One write: a head and a body written apart would meet Nagle's algorithm and the client's
    // delayed ACK on a kept-alive connection (40 ms each).
    let mut response = head(status, &headers, body.len(), keep);
    response.extend_from_slice(&body);
    socket.write_all(&response).await.is_ok()
}
