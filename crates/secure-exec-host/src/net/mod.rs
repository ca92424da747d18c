//! The guest's network, on the host side: the policy ([`NetPolicy`]) and the requests the host
//! makes for a session (`fetch`, `node:http`, `dns.lookup` in the guest).
//!
//! The worker never opens a socket. A request is a few host calls on one handle the worker
//! names: UPLOAD (body pieces, when the body is larger than one call), FETCH (the reply is the
//! response's head), READ (the body, one piece per call, so the server is read no faster than
//! the guest consumes: that is the flow control), CLOSE. They run as tasks on the host's I/O
//! thread (sockets, not files: nothing here blocks). Every task of a session is cancelled, and
//! every connection closed, when the session ends for any reason.

mod fetch;
pub(crate) mod policy;

pub(crate) use fetch::{pem_certificates, tls_config};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::FutureExt;
use futures_util::stream::{BoxStream, StreamExt};
use reqwest::Method;
use reqwest::header::HeaderMap;
use secure_exec_proto::v1::{self, NetOp, RedirectMode};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use policy::{HostPattern, NetPolicy, NetRequest, NetRule, NetRuleError};

use fetch::{Outgoing, Redirect};
use policy::Denied;

/// The embedder's last word on a request: `false` refuses it. It can only narrow the policy:
/// it sees only requests the rules admitted.
pub type NetFilter = Arc<dyn Fn(&NetRequest<'_>) -> bool + Send + Sync>;

/// Why a network call failed: a stable code and a message naming the host.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: String,
    pub(crate) message: String,
}

impl Failure {
    fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into() }
    }

    fn denied(Denied(message): Denied) -> Self {
        Self::new("ERR_ACCESS_DENIED", message)
    }
}

/// What decides where a session's requests may go, and how they are made: the policy, the
/// embedder's filter, and TLS roots beyond Mozilla's if the embedder trusts more.
#[derive(Clone, Default)]
pub(crate) struct Reach {
    pub(crate) policy: Arc<NetPolicy>,
    pub(crate) filter: Option<NetFilter>,
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for Reach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reach")
            .field("policy", &self.policy)
            .field("filter", &self.filter.is_some())
            .field("extra_roots", &self.tls.is_some())
            .finish()
    }
}

/// One session's requests.
pub(crate) struct NetSession {
    reach: Reach,
    /// Cancelled when the session ends: every request of the session stops.
    ended: CancellationToken,
    state: Mutex<State>,
    received: AtomicU64,
    /// Clients kept for the session's hosts (connection reuse).
    clients: fetch::Clients,
}

impl std::fmt::Debug for NetSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetSession").field("reach", &self.reach).finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    requests: u32,
    handles: HashMap<u64, Request>,
}

/// One request, by the worker's handle.
struct Request {
    /// Cancelled by CLOSE (and with the session).
    stop: CancellationToken,
    stage: Stage,
    /// When the request must be over.
    deadline: Option<Instant>,
}

enum Stage {
    /// Body pieces so far.
    Uploading(Vec<u8>),
    /// Sent; the head has not arrived.
    Fetching,
    /// The body, read piece by piece.
    Open(Arc<OpenBody>),
}

/// A response body being read.
struct OpenBody {
    body: tokio::sync::Mutex<Body>,
    /// Where it comes from, for messages.
    host: String,
    port: u16,
}

struct Body {
    stream: BoxStream<'static, reqwest::Result<Bytes>>,
    /// What the last read took off the stream and could not carry.
    leftover: Bytes,
}

/// The most one READ reply carries (the frame's own cap may be lower).
const READ_PIECE: usize = 256 * 1024;

type Answer = Result<v1::HostReply, Failure>;

impl NetSession {
    pub(crate) fn new(reach: Reach) -> Self {
        Self {
            reach,
            ended: CancellationToken::new(),
            state: Mutex::new(State::default()),
            received: AtomicU64::new(0),
            clients: fetch::Clients::default(),
        }
    }

    /// The session is over: its requests stop and their connections close.
    pub(crate) fn end(&self) {
        self.ended.cancel();
        self.state().handles.clear();
        self.clients.clear();
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.reach.policy.request_timeout_ms.max(1))
    }

    /// Carries out one call; `data_cap` bounds the bytes a reply carries.
    pub(crate) async fn serve(&self, call: v1::NetCall, data_cap: usize) -> v1::HostReply {
        let op = NetOp::try_from(call.op).unwrap_or(NetOp::Unspecified);
        let answer = match op {
            NetOp::Upload => self.upload(call.handle, &call.body),
            NetOp::Fetch => self.fetch(call).await,
            NetOp::Read => self.read(call.handle, data_cap).await,
            NetOp::Close => {
                if let Some(request) = self.state().handles.remove(&call.handle) {
                    request.stop.cancel();
                }
                Ok(v1::HostReply::default())
            }
            NetOp::Lookup => self.lookup(&call.url).await,
            NetOp::Unspecified => {
                Err(Failure::new("ERR_INVALID_ARG_VALUE", "unknown network operation"))
            }
        };
        answer.unwrap_or_else(|failure| v1::HostReply {
            error_code: failure.code,
            error_message: failure.message,
            ..Default::default()
        })
    }

    /// A new handle, within the session's bounds.
    fn open(&self, state: &mut State, handle: u64, stage: Stage) -> Result<(), Failure> {
        if self.ended.is_cancelled() {
            return Err(Failure::new("ERR_NET_CLOSED", "the session has ended"));
        }
        if state.handles.contains_key(&handle) {
            return Err(Failure::new("ERR_INVALID_ARG_VALUE", "the request handle is in use"));
        }
        let limit = self.reach.policy.max_concurrent_requests;
        if state.handles.len() >= limit as usize {
            return Err(Failure::new(
                "ERR_NET_CONCURRENCY_LIMIT",
                format!("a session may have at most {limit} requests in flight"),
            ));
        }
        let stop = self.ended.child_token();
        state.handles.insert(handle, Request { stop, stage, deadline: None });
        Ok(())
    }

    fn upload(&self, handle: u64, body: &[u8]) -> Answer {
        let mut state = self.state();
        if !state.handles.contains_key(&handle) {
            self.open(&mut state, handle, Stage::Uploading(Vec::new()))?;
        }
        let limit = self.reach.policy.max_request_body_bytes;
        // Bodies not yet sent wait in the host's memory: all of a session's together are held
        // to one body's bound, so open uploads cannot multiply it.
        let waiting: usize = state
            .handles
            .values()
            .map(|r| if let Stage::Uploading(so_far) = &r.stage { so_far.len() } else { 0 })
            .sum();
        let too_large = match state.handles.get_mut(&handle).map(|r| &mut r.stage) {
            Some(Stage::Uploading(so_far)) => {
                let too_large = (waiting + body.len()) as u64 > limit;
                if !too_large {
                    so_far.extend_from_slice(body);
                }
                too_large
            }
            _ => {
                return Err(Failure::new("ERR_INVALID_ARG_VALUE", "the request was already sent"));
            }
        };
        if too_large {
            state.handles.remove(&handle);
            return Err(body_too_large(limit));
        }
        Ok(v1::HostReply::default())
    }

    async fn fetch(&self, call: v1::NetCall) -> Answer {
        let handle = call.handle;
        let (out, stop) = {
            let mut state = self.state();
            let uploaded = match state.handles.remove(&handle) {
                Some(Request { stage: Stage::Uploading(body), .. }) => body,
                Some(other) => {
                    state.handles.insert(handle, other);
                    return Err(Failure::new(
                        "ERR_INVALID_ARG_VALUE",
                        "the request was already sent",
                    ));
                }
                None => Vec::new(),
            };
            let limit = self.reach.policy.max_requests;
            if state.requests >= limit {
                return Err(Failure::new(
                    "ERR_NET_REQUEST_LIMIT",
                    format!("a session may make at most {limit} requests"),
                ));
            }
            let out = outgoing(call, uploaded, self.reach.policy.max_request_body_bytes)?;
            self.open(&mut state, handle, Stage::Fetching)?;
            state.requests += 1;
            let request = state.handles.get_mut(&handle).ok_or_else(closed)?;
            request.deadline = Some(Instant::now() + self.timeout());
            (out, request.stop.clone())
        };
        let target = match (out.url.host_str(), out.url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            _ => out.url.to_string(),
        };
        let sent = fetch::send(&self.reach, &self.clients, out, self.timeout());
        let arrived = tokio::select! {
            arrived = sent => arrived,
            () = stop.cancelled() => Err(closed()),
            () = tokio::time::sleep(self.timeout()) => Err(Failure::new(
                "ERR_NET_TIMEOUT",
                format!("the request to {target} took longer than {:?}", self.timeout()),
            )),
        };
        let mut state = self.state();
        let arrived = match arrived {
            Ok(arrived) => arrived,
            Err(failure) => {
                state.handles.remove(&handle);
                return Err(failure);
            }
        };
        let response = &arrived.response;
        let head = v1::NetResponse {
            status: u32::from(response.status().as_u16()),
            status_text: response.status().canonical_reason().unwrap_or("").to_owned(),
            headers: response
                .headers()
                .iter()
                .map(|(name, value)| v1::Header {
                    name: name.as_str().to_owned(),
                    value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                })
                .collect(),
            url: response.url().to_string(),
            redirected: arrived.redirected,
        };
        let host = response.url().host_str().unwrap_or_default().to_owned();
        let port = response.url().port_or_known_default().unwrap_or(0);
        let request = state.handles.get_mut(&handle).ok_or_else(closed)?;
        let body = Body { stream: arrived.response.bytes_stream().boxed(), leftover: Bytes::new() };
        request.stage =
            Stage::Open(Arc::new(OpenBody { body: tokio::sync::Mutex::new(body), host, port }));
        Ok(v1::HostReply { response: Some(head), ..Default::default() })
    }

    async fn read(&self, handle: u64, data_cap: usize) -> Answer {
        let (open, stop, deadline) = {
            let state = self.state();
            match state.handles.get(&handle) {
                Some(Request { stop, stage: Stage::Open(open), deadline }) => {
                    (Arc::clone(open), stop.clone(), deadline.unwrap_or_else(Instant::now))
                }
                Some(_) => {
                    return Err(Failure::new(
                        "ERR_INVALID_ARG_VALUE",
                        "the response has not arrived",
                    ));
                }
                None => return Err(closed()),
            }
        };
        let (host, port) = (open.host.as_str(), open.port);
        let want = data_cap.min(READ_PIECE);
        let read = async {
            let mut body = open.body.lock().await;
            let mut data = Vec::new();
            let mut piece = std::mem::take(&mut body.leftover);
            // Waits for the first bytes, then takes what else is already here, up to `want`.
            loop {
                if !piece.is_empty() {
                    let take = piece.len().min(want - data.len());
                    data.extend_from_slice(&piece.split_to(take));
                    if data.len() >= want {
                        body.leftover = piece;
                        return Ok((data, false));
                    }
                }
                let next = if data.is_empty() {
                    body.stream.next().await
                } else {
                    match body.stream.next().now_or_never() {
                        Some(next) => next,
                        None => return Ok((data, false)),
                    }
                };
                match next {
                    Some(Ok(next)) => piece = next,
                    Some(Err(err)) => return Err(fetch::failure(&err, host, port)),
                    None => return Ok((data, true)),
                }
            }
        };
        let read = tokio::select! {
            read = read => read,
            () = stop.cancelled() => Err(closed()),
            () = tokio::time::sleep_until(deadline) => Err(Failure::new(
                "ERR_NET_TIMEOUT",
                format!("the response from {host}:{port} took longer than {:?}", self.timeout()),
            )),
        };
        let (data, eof) = match read {
            Ok(read) => read,
            Err(failure) => {
                self.state().handles.remove(&handle);
                return Err(failure);
            }
        };
        let limit = self.reach.policy.max_response_bytes;
        let total =
            self.received.fetch_add(data.len() as u64, Ordering::Relaxed) + data.len() as u64;
        if total > limit {
            self.state().handles.remove(&handle);
            return Err(Failure::new(
                "ERR_NET_RESPONSE_LIMIT",
                format!(
                    "the response from {host}:{port} goes past the session's {limit} bytes of \
                     responses"
                ),
            ));
        }
        if eof {
            self.state().handles.remove(&handle);
        }
        Ok(v1::HostReply { data, eof, ..Default::default() })
    }

    async fn lookup(&self, host: &str) -> Answer {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        // Any port, scheme and method: `dns.lookup` says nothing of what follows.
        let request = NetRequest { method: "", scheme: "", host: &host, port: 0, path: "" };
        let policy = &*self.reach.policy;
        policy.check_url(&request).map_err(Failure::denied)?;
        let admitted = tokio::select! {
            admitted = fetch::addresses(policy, &request) => admitted?,
            () = self.ended.cancelled() => return Err(closed()),
            () = tokio::time::sleep(self.timeout()) => {
                return Err(Failure::new("ETIMEOUT", format!("queryA ETIMEOUT {host}")));
            }
        };
        let addresses = admitted.iter().map(|address| address.ip().to_string()).collect();
        Ok(v1::HostReply { addresses, ..Default::default() })
    }
}

fn closed() -> Failure {
    Failure::new("ABORT_ERR", "the request was closed")
}

fn body_too_large(limit: u64) -> Failure {
    Failure::new("ERR_NET_REQUEST_LIMIT", format!("a request body may have at most {limit} bytes"))
}

/// The request the call describes.
fn outgoing(call: v1::NetCall, mut body: Vec<u8>, body_limit: u64) -> Result<Outgoing, Failure> {
    let method = Method::from_bytes(call.method.as_bytes()).map_err(|_| {
        Failure::new("ERR_INVALID_ARG_VALUE", format!("{:?} is not a method", call.method))
    })?;
    let url = reqwest::Url::parse(&call.url)
        .map_err(|_| Failure::new("ERR_INVALID_URL", format!("Invalid URL: {}", call.url)))?;
    let mut headers = HeaderMap::new();
    for v1::Header { name, value } in &call.headers {
        let (name, value) = fetch::header(name, value).ok_or_else(|| {
            Failure::new("ERR_INVALID_HTTP_TOKEN", format!("invalid header {name:?}"))
        })?;
        headers.append(name, value);
    }
    body.extend_from_slice(&call.body);
    if body.len() as u64 > body_limit {
        return Err(body_too_large(body_limit));
    }
    let redirect = match RedirectMode::try_from(call.redirect) {
        Ok(RedirectMode::Manual) => Redirect::Manual,
        Ok(RedirectMode::Error) => Redirect::Error,
        _ => Redirect::Follow,
    };
    Ok(Outgoing { method, url, headers, body: Bytes::from(body), redirect, raw: call.raw })
}
