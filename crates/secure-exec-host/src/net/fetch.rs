//! Making one request for the guest: the policy checked on the URL, the name resolved here and
//! every address checked, a client pinned to the admitted addresses, and redirects followed
//! by hand so that every hop goes through the same checks.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::policy::{MAX_REDIRECTS, NetPolicy, NetRequest};
use super::{Failure, Reach};

/// What the guest asked for, checked for form but not yet for policy.
pub(crate) struct Outgoing {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) redirect: Redirect,
    /// Leave the body as the server encoded it (`node:http`).
    pub(crate) raw: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Redirect {
    Follow,
    Manual,
    Error,
}

/// A response's head, and whether a redirect led to it.
pub(crate) struct Arrived {
    pub(crate) response: reqwest::Response,
    pub(crate) redirected: bool,
}

/// Makes the request, following redirects as `redirect` says.
pub(crate) async fn send(
    reach: &Reach,
    clients: &Clients,
    mut out: Outgoing,
    timeout: Duration,
) -> Result<Arrived, Failure> {
    let mut redirected = false;
    for _ in 0..=MAX_REDIRECTS {
        let response = hop(reach, clients, &out, timeout).await?;
        let status = response.status();
        let location = response.headers().get(header::LOCATION).cloned();
        let (true, Some(location)) = (status.is_redirection(), location) else {
            return Ok(Arrived { response, redirected });
        };
        match out.redirect {
            Redirect::Manual => return Ok(Arrived { response, redirected }),
            Redirect::Error => {
                return Err(Failure::new(
                    "ERR_NET_REDIRECT",
                    format!("{} redirected, and the request's redirect mode is \"error\"", out.url),
                ));
            }
            Redirect::Follow => {}
        }
        let next =
            location.to_str().ok().and_then(|location| out.url.join(location).ok()).ok_or_else(
                || Failure::new("ERR_NET_REDIRECT", "a redirect's Location is not a URL"),
            )?;
        follow(&mut out, status, next);
        redirected = true;
    }
    Err(Failure::new("ERR_NET_REDIRECT", format!("more than {MAX_REDIRECTS} redirects")))
}

/// The next hop's request, as the Fetch standard changes it.
fn follow(out: &mut Outgoing, status: StatusCode, next: Url) {
    let to_get = match status {
        StatusCode::SEE_OTHER => out.method != Method::HEAD,
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => out.method == Method::POST,
        _ => false,
    };
    if to_get {
        out.method = Method::GET;
        out.body = Bytes::new();
        for name in [
            header::CONTENT_ENCODING,
            header::CONTENT_LANGUAGE,
            header::CONTENT_LOCATION,
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
        ] {
            out.headers.remove(name);
        }
    }
    if next.origin() != out.url.origin() {
        // Credentials meant for one origin never travel to another.
        for name in [header::AUTHORIZATION, header::COOKIE, header::PROXY_AUTHORIZATION] {
            out.headers.remove(name);
        }
    }
    out.url = next;
}

/// One hop: checks, resolution, connection.
async fn hop(
    reach: &Reach,
    clients: &Clients,
    out: &Outgoing,
    timeout: Duration,
) -> Result<reqwest::Response, Failure> {
    let policy = &*reach.policy;
    let url = &out.url;
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(Failure::new(
            "ERR_INVALID_URL_SCHEME",
            format!("the URL scheme {scheme:?} is not supported; use http or https"),
        ));
    }
    let host = match url.host() {
        Some(url::Host::Domain(name)) => name.trim_end_matches('.').to_ascii_lowercase(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(Failure::new("ERR_INVALID_URL", format!("{url} has no host"))),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let request =
        NetRequest { method: out.method.as_str(), scheme, host: &host, port, path: &path };
    policy.check_url(&request).map_err(Failure::denied)?;
    if let Some(filter) = &reach.filter
        && !filter(&request)
    {
        return Err(Failure::denied(super::policy::Denied(format!(
            "network access to {host}:{port} is denied by the embedder's filter"
        ))));
    }
    let mut addresses = addresses(policy, &request).await?;
    addresses.sort_unstable();
    let key = ClientKey { host: host.clone(), addresses, raw: out.raw };
    let client = clients.get_or_build(key, |key| {
        let mut client = reqwest::Client::builder()
            .tls_backend_preconfigured(match &reach.tls {
                Some(tls) => ClientConfig::clone(tls),
                None => default_tls()?.clone(),
            })
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .referer(false)
            .pool_max_idle_per_host(POOLED_PER_CLIENT)
            .pool_idle_timeout(POOL_IDLE)
            .gzip(!key.raw)
            .deflate(!key.raw)
            .timeout(timeout)
            .dns_resolver(Arc::new(NoLookups));
        if url.domain().is_some() {
            client = client.resolve_to_addrs(&key.host, &key.addresses);
        }
        client.build().map_err(|err| {
            Failure::new("ERR_NET_FAILED", format!("cannot set up the request: {err}"))
        })
    })?;
    let mut request = client.request(out.method.clone(), url.clone()).headers(out.headers.clone());
    if !out.body.is_empty() {
        request = request.body(out.body.clone());
    }
    request.send().await.map_err(|err| failure(&err, &host, port))
}

/// Idle connections a session's client keeps, and for how long.
const POOLED_PER_CLIENT: usize = 4;
const POOL_IDLE: Duration = Duration::from_secs(10);
/// Clients one session keeps (each pinned to one host and its admitted addresses).
const MAX_CLIENTS: usize = 16;

/// What a client is pinned to: connections it keeps alive go only to these addresses, which
/// the policy admitted for this host, so reusing one is no way around a later check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    host: String,
    addresses: Vec<SocketAddr>,
    raw: bool,
}

/// A session's clients, so that its requests to one host reuse connections (and TLS
/// sessions). Every request is still checked and resolved first; only a client pinned to
/// exactly the addresses admitted this time is reused. Dropped, with their connections, when
/// the session ends.
#[derive(Debug, Default)]
pub(crate) struct Clients(std::sync::Mutex<std::collections::HashMap<ClientKey, reqwest::Client>>);

impl Clients {
    fn get_or_build(
        &self,
        key: ClientKey,
        build: impl FnOnce(&ClientKey) -> Result<reqwest::Client, Failure>,
    ) -> Result<reqwest::Client, Failure> {
        let mut clients = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = build(&key)?;
        if clients.len() >= MAX_CLIENTS {
            clients.clear();
        }
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// Drops every client, closing their idle connections.
    pub(crate) fn clear(&self) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }
}

/// The addresses a request may connect to: the URL's own address, or those the name resolves
/// to that the policy admits (at least one, or the request is denied).
pub(crate) async fn addresses(
    policy: &NetPolicy,
    request: &NetRequest<'_>,
) -> Result<Vec<SocketAddr>, Failure> {
    if let Ok(ip) = request.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, request.port)]);
    }
    let resolved = lookup(request.host, request.port).await?;
    let mut admitted = Vec::new();
    let mut first_denial = None;
    for address in resolved {
        match policy.check_address(request, address.ip()) {
            Ok(()) => admitted.push(address),
            Err(denied) => {
                first_denial.get_or_insert(denied);
            }
        }
    }
    match (admitted.is_empty(), first_denial) {
        (true, Some(denied)) => Err(Failure::denied(denied)),
        (true, None) => Err(not_found(request.host)),
        _ => Ok(admitted),
    }
}

/// What `host` resolves to, through the host's resolver (getaddrinfo, off the I/O thread).
pub(crate) async fn lookup(host: &str, port: u16) -> Result<Vec<SocketAddr>, Failure> {
    match tokio::net::lookup_host((host, port)).await {
        Ok(found) => Ok(found.collect()),
        Err(_) => Err(not_found(host)),
    }
}

fn not_found(host: &str) -> Failure {
    Failure::new("ENOTFOUND", format!("getaddrinfo ENOTFOUND {host}"))
}

/// Node's code for a failed request, from the I/O error under it where there is one.
pub(crate) fn failure(err: &reqwest::Error, host: &str, port: u16) -> Failure {
    if err.is_timeout() {
        return Failure::new("ERR_NET_TIMEOUT", format!("the request to {host}:{port} timed out"));
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            let code = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "ECONNREFUSED",
                std::io::ErrorKind::ConnectionReset => "ECONNRESET",
                std::io::ErrorKind::ConnectionAborted => "ECONNABORTED",
                std::io::ErrorKind::TimedOut => "ETIMEDOUT",
                std::io::ErrorKind::BrokenPipe => "EPIPE",
                std::io::ErrorKind::UnexpectedEof => "ECONNRESET",
                _ => "ERR_NET_FAILED",
            };
            return Failure::new(code, format!("{code}: {host}:{port}: {io}"));
        }
        source = current.source();
    }
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(current) = source {
        message.push_str(": ");
        message.push_str(&current.to_string());
        source = current.source();
    }
    let code = if err.is_connect() { "ECONNREFUSED" } else { "ERR_NET_FAILED" };
    Failure::new(code, format!("{host}:{port}: {message}"))
}

/// Every client is pinned to addresses the policy admitted; a lookup through reqwest would
/// bypass that, so there is none.
struct NoLookups;

impl reqwest::dns::Resolve for NoLookups {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_owned();
        Box::pin(async move {
            Err(format!("{name} was not resolved through the network policy").into())
        })
    }
}

/// TLS for requests: rustls with ring and Mozilla's root certificates (webpki-roots), plus
/// `extra` roots the embedder trusts.
pub(crate) fn tls_config(extra: &[CertificateDer<'static>]) -> Result<ClientConfig, String> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for cert in extra {
        roots
            .add(cert.clone())
            .map_err(|err| format!("a root certificate is not usable: {err}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
        .map_err(|err| err.to_string())
}

/// The certificates of a PEM file.
pub(crate) fn pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|err| format!("root certificates: {err}"))?;
    if certs.is_empty() {
        return Err("root certificates: no PEM certificate found".into());
    }
    Ok(certs)
}

/// [`tls_config`] with Mozilla's roots only, built once.
fn default_tls() -> Result<&'static ClientConfig, Failure> {
    static CONFIG: OnceLock<Result<ClientConfig, String>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| tls_config(&[]));
    config.as_ref().map_err(|err| Failure::new("ERR_NET_FAILED", format!("TLS set-up: {err}")))
}

/// A header from the guest, or `None` if it is not a valid one.
pub(crate) fn header(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    Some((HeaderName::from_bytes(name.as_bytes()).ok()?, HeaderValue::from_str(value).ok()?))
}
