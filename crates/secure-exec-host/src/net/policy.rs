//! The network policy: which requests a session may make, deny by default.
//!
//! A request is checked twice. On its URL (scheme, host, port, method), before anything is
//! resolved, so a name no rule could admit is never even looked up; then on every address the
//! name resolves to, at connect time, so a name that resolves somewhere it should not (DNS
//! rebinding, a public name pointing at 169.254.169.254) gets nowhere. Redirects are checked
//! the same way, hop by hop. Addresses in special ranges (loopback, private, link-local,
//! CGNAT, unspecified, multicast, ...) are reachable only through a rule that names them: an
//! address rule (`127.0.0.1`, `10.0.0.0/8`) that contains them, or a `localhost` rule for the
//! loopback addresses of `localhost`. A host-name rule alone never reaches them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// Default bound on the requests one session may make: 1,000.
pub const DEFAULT_MAX_REQUESTS: u32 = 1_000;
/// Default bound on one session's requests in flight at once (from sending to the end of the
/// body): 32.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: u32 = 32;
/// Default bound on the response body bytes one session may receive, all requests together:
/// 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// Default bound on one request body: 16 MiB.
pub const DEFAULT_MAX_REQUEST_BODY_BYTES: u64 = 16 * 1024 * 1024;
/// Default bound on one request, from sending it to the end of its body: 30 s (the session's
/// own `timeout_ms` bounds it too).
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Redirects fetch follows before it fails, as the Fetch standard says: 20.
pub(crate) const MAX_REDIRECTS: u32 = 20;

/// What a session may reach over the network. The default admits nothing.
///
/// Serialisable, so that a service can keep it in its configuration:
///
/// ```
/// use secure_exec_host::NetPolicy;
///
/// let policy: NetPolicy = serde_json::from_str(r#"{
///     "allow": [
///         { "host": "api.example.com", "ports": [443], "methods": ["GET", "POST"] },
///         { "host": "*.cdn.example.com" },
///         { "host": "10.1.2.0/24", "schemes": ["http"] }
///     ],
///     "max_response_bytes": 1048576
/// }"#).unwrap();
/// assert_eq!(policy.allow.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetPolicy {
    /// The rules; a request goes through if one of them admits it.
    pub allow: Vec<NetRule>,
    /// Requests one session may make; one more fails with `ERR_NET_REQUEST_LIMIT`.
    pub max_requests: u32,
    /// Requests one session may have in flight; one more fails with
    /// `ERR_NET_CONCURRENCY_LIMIT`.
    pub max_concurrent_requests: u32,
    /// Response body bytes one session may receive; past them the read fails with
    /// `ERR_NET_RESPONSE_LIMIT`.
    pub max_response_bytes: u64,
    /// Bytes one request body may have; more fail with `ERR_NET_REQUEST_LIMIT`.
    pub max_request_body_bytes: u64,
    /// Milliseconds one request may take, to the end of its body; then `ERR_NET_TIMEOUT`.
    pub request_timeout_ms: u64,
}

impl Default for NetPolicy {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            max_requests: DEFAULT_MAX_REQUESTS,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_request_body_bytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
            request_timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS,
        }
    }
}

impl NetPolicy {
    /// The rules of a comma-separated list in the CLI's `--allow-net` form
    /// (`api.example.com,*.example.org:443,127.0.0.1:8080,10.0.0.0/8`).
    pub fn parse_list(list: &str) -> Result<Vec<NetRule>, NetRuleError> {
        list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::parse).collect()
    }
}

/// One allow rule: a host pattern, and optionally the ports, schemes and methods it is for
/// (empty: any port; `http` and `https`; any method).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetRule {
    /// Which hosts.
    pub host: HostPattern,
    /// Which ports; empty for any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<u16>,
    /// Which schemes (`http`, `https`); empty for both.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemes: Vec<String>,
    /// Which methods (`GET`, `POST`, ...; any case); empty for any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
}

impl NetRule {
    /// A rule for `host` on any port, scheme and method.
    pub fn host(host: HostPattern) -> Self {
        Self { host, ports: Vec::new(), schemes: Vec::new(), methods: Vec::new() }
    }

    /// The same rule for `port` only.
    pub fn port(mut self, port: u16) -> Self {
        self.ports.push(port);
        self
    }

    /// Whether the rule is for this port, scheme and method. A lookup (`dns.lookup`) has
    /// none of them (port 0, empty scheme and method) and matches any.
    fn admits_request(&self, request: &NetRequest<'_>) -> bool {
        (self.ports.is_empty() || request.port == 0 || self.ports.contains(&request.port))
            && (self.schemes.is_empty()
                || request.scheme.is_empty()
                || self.schemes.iter().any(|s| s.eq_ignore_ascii_case(request.scheme)))
            && (self.methods.is_empty()
                || request.method.is_empty()
                || self.methods.iter().any(|m| m.eq_ignore_ascii_case(request.method)))
    }
}

/// `HOST[:PORT]`, the CLI's form: `api.example.com`, `*.example.com:443`, `127.0.0.1:8080`,
/// `[::1]:8080`, `10.0.0.0/8`, `*` (any public host).
impl FromStr for NetRule {
    type Err = NetRuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| NetRuleError(format!("{text:?}: {why}"));
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (inner, after) = rest.split_once(']').ok_or_else(|| bad("missing ']'"))?;
            match after {
                "" => (inner, None),
                _ => (inner, Some(after.strip_prefix(':').ok_or_else(|| bad("junk after ']'"))?)),
            }
        } else if text.matches(':').count() > 1 {
            // A bare IPv6 address (or network) has no port.
            (text, None)
        } else {
            match text.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (text, None),
            }
        };
        let host: HostPattern = host.parse().map_err(|NetRuleError(why)| bad(&why))?;
        let mut rule = NetRule::host(host);
        if let Some(port) = port {
            rule.ports.push(port.parse().map_err(|_| bad("the port is not a number 0-65535"))?);
        }
        Ok(rule)
    }
}

/// Which hosts a rule is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// `*`: any host name, and any address outside the special ranges.
    Any,
    /// One host name (`api.example.com`); `localhost` also admits its loopback addresses.
    Name(String),
    /// `*.example.com`: every name under `example.com` (not `example.com` itself).
    Subdomains(String),
    /// An address or network (`127.0.0.1`, `::1`, `10.0.0.0/8`): the addresses in it, special
    /// ones included, whatever name led to them.
    Addresses(IpNet),
}

impl FromStr for HostPattern {
    type Err = NetRuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text == "*" {
            return Ok(Self::Any);
        }
        if let Ok(net) = text.parse::<IpNet>() {
            return Ok(Self::Addresses(net.trunc()));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Self::Addresses(IpNet::from(canonical(ip))));
        }
        let (wild, name) = match text.strip_prefix("*.") {
            Some(name) => (true, name),
            None => (false, text),
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let valid = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if !valid {
            return Err(NetRuleError(format!("{text:?} is not a host name, address or network")));
        }
        Ok(if wild { Self::Subdomains(name) } else { Self::Name(name) })
    }
}

impl HostPattern {
    /// Whether this name pattern matches the host name `host` (lower case). Address patterns
    /// match no name: they are checked on addresses.
    fn names(&self, host: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Name(name) => name == host,
            Self::Subdomains(parent) => host
                .strip_suffix(parent.as_str())
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            Self::Addresses(_) => false,
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Name(name) => f.write_str(name),
            Self::Subdomains(name) => write!(f, "*.{name}"),
            Self::Addresses(net) if net.prefix_len() == net.max_prefix_len() => {
                write!(f, "{}", net.addr())
            }
            Self::Addresses(net) => write!(f, "{net}"),
        }
    }
}

impl Serialize for HostPattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HostPattern {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A rule that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("network rule {0}")]
pub struct NetRuleError(String);

/// What the policy and the embedder's filter see of one request (or one redirect hop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetRequest<'a> {
    /// `GET`, `POST`, ... as the guest wrote it.
    pub method: &'a str,
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The host name, lower case, or the address as text (IPv6 without brackets).
    pub host: &'a str,
    /// The port, the scheme's default if the URL has none.
    pub port: u16,
    /// The path and query.
    pub path: &'a str,
}

/// The address as the rules see it: an IPv4-mapped IPv6 address is its IPv4 address.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Why an address is special (not reachable through a host-name rule), or `None` for a
/// public address.
pub(crate) fn special_range(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_loopback() => "a loopback address",
        _ if ip.is_private() => "a private address",
        _ if ip.is_link_local() => "a link-local address",
        (0, _, _) => "an unspecified address",
        (100, 64..=127, _) => "a shared (CGNAT) address",
        (192, 0, 0) => "an IETF protocol address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (198, 18..=19, _) => "a benchmarking address",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved address",
        _ => return None,
    })
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    Some(match segments[0] {
        _ if ip.is_loopback() => "a loopback address",
        _ if ip.is_unspecified() => "an unspecified address",
        0 if segments[1..6] == [0; 5] => "an IPv4-compatible address",
        0x64 if segments[1] == 0xff9b => "a NAT64 address",
        0x100 if segments[1..4] == [0; 3] => "a discard address",
        0x2001 if segments[1] == 0xdb8 => "a documentation address",
        0x2002 => "a 6to4 address",
        s if s & 0xfe00 == 0xfc00 => "a private (unique local) address",
        s if s & 0xffc0 == 0xfe80 => "a link-local address",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        _ => return None,
    })
}

/// A request the policy refused: the code is always `ERR_ACCESS_DENIED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Denied(pub(crate) String);

impl NetPolicy {
    /// The first check, on the URL alone: could any rule admit this request? An address in
    /// the URL is checked in full here.
    pub(crate) fn check_url(&self, request: &NetRequest<'_>) -> Result<(), Denied> {
        let target = target(request);
        if let Ok(ip) = request.host.parse::<IpAddr>() {
            return self.check_address(request, ip);
        }
        let named = self.allow.iter().any(|rule| {
            rule.admits_request(request)
                && match &rule.host {
                    // Decided on the addresses the name resolves to.
                    HostPattern::Addresses(_) => true,
                    names => names.names(request.host),
                }
        });
        if named {
            Ok(())
        } else {
            Err(Denied(format!("network access to {target} is denied: no rule allows it")))
        }
    }

    /// The second check, on one address the request would connect to.
    pub(crate) fn check_address(&self, request: &NetRequest<'_>, ip: IpAddr) -> Result<(), Denied> {
        let ip = canonical(ip);
        let special = special_range(ip);
        let is_ip_host = request.host.parse::<IpAddr>().is_ok();
        let admitted = self.allow.iter().any(|rule| {
            rule.admits_request(request)
                && match &rule.host {
                    HostPattern::Addresses(net) => net.contains(&ip),
                    HostPattern::Name(name) if special.is_some() => {
                        name == "localhost" && request.host == "localhost" && ip.is_loopback()
                    }
                    _ if special.is_some() => false,
                    HostPattern::Any => true,
                    _ if is_ip_host => false,
                    names => names.names(request.host),
                }
        });
        if admitted {
            return Ok(());
        }
        let target = target(request);
        Err(Denied(match special {
            Some(range) if is_ip_host => format!(
                "network access to {target} is denied: {ip} is {range}, and no rule names it"
            ),
            Some(range) => format!(
                "network access to {target} is denied: it resolves to {ip}, {range}, and no rule \
                 names it"
            ),
            None if is_ip_host => {
                format!("network access to {target} is denied: no rule allows it")
            }
            None => format!(
                "network access to {target} is denied: it resolves to {ip}, which no rule allows"
            ),
        }))
    }
}

fn target(request: &NetRequest<'_>) -> String {
    if request.host.contains(':') {
        format!("[{}]:{}", request.host, request.port)
    } else {
        format!("{}:{}", request.host, request.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(host: &'a str, port: u16) -> NetRequest<'a> {
        NetRequest { method: "GET", scheme: "http", host, port, path: "/" }
    }

    fn policy(rules: &str) -> NetPolicy {
        NetPolicy { allow: NetPolicy::parse_list(rules).unwrap(), ..NetPolicy::default() }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn nothing_is_allowed_by_default() {
        let policy = NetPolicy::default();
        assert!(policy.check_url(&request("example.com", 80)).is_err());
        assert!(policy.check_url(&request("93.184.216.34", 80)).is_err());
    }

    #[test]
    fn rules_parse_in_the_cli_form() {
        let rules = NetPolicy::parse_list(
            "a.example.com, *.b.example:443,127.0.0.1:8080,[::1]:9,::1,10.0.0.0/8,*",
        )
        .unwrap();
        let shown: Vec<String> =
            rules.iter().map(|r| format!("{} {:?}", r.host, r.ports)).collect();
        assert_eq!(
            shown,
            [
                "a.example.com []",
                "*.b.example [443]",
                "127.0.0.1 [8080]",
                "::1 [9]",
                "::1 []",
                "10.0.0.0/8 []",
                "* []",
            ]
        );
        for bad in ["exa mple.com", "a.com:99999", "[::1", "a..b", "", "http://x"] {
            assert!(bad.parse::<NetRule>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn any_public_host_still_refuses_special_addresses() {
        let policy = policy("*");
        assert!(policy.check_url(&request("example.com", 443)).is_ok());
        assert!(policy.check_address(&request("example.com", 443), ip("93.184.216.34")).is_ok());
        for (host, address) in [
            ("127.0.0.1", "127.0.0.1"),
            ("localhost", "127.0.0.1"),
            ("localhost", "::1"),
            ("metadata", "169.254.169.254"),
            ("x", "10.1.2.3"),
            ("x", "192.168.0.1"),
            ("x", "172.16.0.1"),
            ("x", "100.64.0.1"),
            ("x", "0.0.0.0"),
            ("x", "::"),
            ("x", "::ffff:127.0.0.1"),
            ("x", "::ffff:169.254.169.254"),
            ("x", "fe80::1"),
            ("x", "fd00::1"),
            ("x", "224.0.0.1"),
        ] {
            let denied = policy.check_address(&request(host, 80), ip(address));
            assert!(denied.is_err(), "{host} -> {address} admitted");
        }
        // An address in the URL is checked before any lookup.
        assert!(policy.check_url(&request("127.0.0.1", 80)).is_err());
        assert!(policy.check_url(&request("::ffff:7f00:1", 80)).is_err());
    }

    #[test]
    fn a_host_name_rule_does_not_reach_a_private_address() {
        let policy = policy("api.example.com");
        let req = request("api.example.com", 443);
        assert!(policy.check_url(&req).is_ok());
        let err = policy.check_address(&req, ip("169.254.169.254")).unwrap_err();
        assert!(err.0.contains("api.example.com:443") && err.0.contains("link-local"), "{}", err.0);
        assert!(policy.check_url(&request("other.example.com", 443)).is_err());
        assert!(policy.check_url(&request("example.com", 443)).is_err());
    }

    #[test]
    fn rules_that_name_special_addresses_admit_them() {
        let policy = policy("127.0.0.1:8080,localhost:3000,10.0.0.0/8");
        assert!(policy.check_url(&request("127.0.0.1", 8080)).is_ok());
        assert!(policy.check_url(&request("127.0.0.1", 8081)).is_err());
        let local = request("localhost", 3000);
        assert!(policy.check_address(&local, ip("127.0.0.1")).is_ok());
        assert!(policy.check_address(&local, ip("::1")).is_ok());
        assert!(policy.check_address(&local, ip("10.0.0.1")).is_ok());
        assert!(policy.check_address(&local, ip("192.168.1.1")).is_err());
        // A CIDR rule admits addresses whatever name led to them.
        let internal = request("db.internal", 5432);
        assert!(policy.check_url(&internal).is_ok());
        assert!(policy.check_address(&internal, ip("10.9.9.9")).is_ok());
        assert!(policy.check_address(&internal, ip("93.184.216.34")).is_err());
    }

    #[test]
    fn subdomain_rules_and_ports_schemes_methods() {
        let mut policy = policy("*.example.com:443");
        assert!(policy.check_url(&request("a.example.com", 443)).is_ok());
        assert!(policy.check_url(&request("a.b.example.com", 443)).is_ok());
        assert!(policy.check_url(&request("example.com", 443)).is_err());
        assert!(policy.check_url(&request("badexample.com", 443)).is_err());
        assert!(policy.check_url(&request("a.example.com", 80)).is_err());
        policy.allow[0].methods = vec!["get".into()];
        policy.allow[0].schemes = vec!["https".into()];
        let mut req = request("a.example.com", 443);
        assert!(policy.check_url(&req).is_err(), "scheme http admitted");
        req.scheme = "https";
        assert!(policy.check_url(&req).is_ok());
        req.method = "POST";
        assert!(policy.check_url(&req).is_err());
    }

    #[test]
    fn policies_round_trip_through_json() {
        let policy = policy("api.example.com:443,*.cdn.example,10.0.0.0/8,::1");
        let json = serde_json::to_string(&policy).unwrap();
        let back: NetPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, policy);
        assert!(serde_json::from_str::<NetPolicy>(r#"{"allow":[{"host":"a b"}]}"#).is_err());
        assert!(serde_json::from_str::<NetPolicy>(r#"{"alow":[]}"#).is_err());
    }
}
