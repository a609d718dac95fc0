//! Where mail for a domain goes: MX lookup with its RFC 5321 §5.1 rules, on hickory-resolver.
//!
//! Rules:
//! - MX records are sorted by preference, lowest first; hosts of equal preference are shuffled (RFC 5321
//!   §5.1, "SHOULD be randomized to spread the load"). Each host gets its A and AAAA addresses (IPv4
//!   first); a host without any address is left out. At most [`MAX_MX_HOSTS`] hosts are resolved.
//! - No MX record (NODATA) → the domain itself, preference 0, with its A/AAAA addresses ("implicit MX",
//!   RFC 5321 §5.1).
//! - A null MX (RFC 7505 §3: one MX whose exchange is the root, `.`) → permanent error "domain does not
//!   accept mail" (`556 5.1.10`, RFC 7505 §4.3). Null MX records among real ones are ignored.
//! - NXDOMAIN → permanent (`550 5.1.2`). SERVFAIL, REFUSED, timeouts, network errors → temporary
//!   (`451 4.4.3`, RFC 3463 "directory server failure"). A domain whose MX hosts all have no address is
//!   permanent if every host lookup was a definite "no such name/no address", temporary otherwise.
//! - An address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`, RFC 5321 §4.1.3) is its own single host; no
//!   DNS is asked.
//! - Names are asked fully qualified (a trailing dot), so resolv.conf search domains never apply; the
//!   hosts file is not read (mail routing is DNS, as other MTAs do by default). Internationalised domain
//!   names are asked in their A-label form.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData};
use malt_smtp_proto::Reply;
use rand::seq::SliceRandom;

/// Most MX hosts resolved and tried for one domain.
pub const MAX_MX_HOSTS: usize = 10;

/// One host to try, with its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxHost {
    /// The host name without the trailing dot (or the address literal as written, `[192.0.2.1]`).
    pub name: String,
    /// The MX preference (0 for an implicit MX or an address literal).
    pub preference: u16,
    /// Its addresses, IPv4 first; never empty.
    pub addrs: Vec<IpAddr>,
}

/// Why no host could be found. The `Display` text is meant for the operator and for bounces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// Mail cannot be delivered to this domain, now or later.
    #[error("{message}")]
    Permanent {
        /// What was found.
        message: String,
        /// The enhanced status code's subject and detail (class 5), e.g. `(1, 2)`.
        esc: (u16, u16),
    },
    /// The answer could not be had now; try again later.
    #[error("{0}")]
    Temporary(String),
}

impl ResolveError {
    /// Whether retrying later can help.
    pub fn is_permanent(&self) -> bool {
        matches!(self, ResolveError::Permanent { .. })
    }

    /// An SMTP-style reply for this error (for per-recipient results and bounces).
    pub fn reply(&self) -> Reply {
        match self {
            ResolveError::Permanent { message, esc } => {
                let code = if *esc == (1, 10) { 556 } else { 550 };
                Reply::new(code, (5, esc.0, esc.1), message)
            }
            ResolveError::Temporary(message) => Reply::new(451, (4, 4, 3), message),
        }
    }
}

/// The DNS resolver used for delivery.
#[derive(Clone)]
pub struct Resolver {
    inner: TokioResolver,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Resolver")
    }
}

/// What one name's lookup gave.
enum Answer<T> {
    Found(T),
    /// The name exists but has no record of this type (NODATA).
    NoData,
    /// The name does not exist.
    NxDomain,
    /// No answer now.
    Failed(String),
}

fn classify<T>(result: Result<T, NetError>) -> Answer<T> {
    match result {
        Ok(v) => Answer::Found(v),
        Err(NetError::Dns(DnsError::NoRecordsFound(nr))) => match nr.response_code {
            ResponseCode::NXDomain => Answer::NxDomain,
            ResponseCode::NoError => Answer::NoData,
            code => Answer::Failed(format!("DNS answered {code}")),
        },
        Err(NetError::Dns(DnsError::ResponseCode(ResponseCode::NXDomain))) => Answer::NxDomain,
        Err(e) => Answer::Failed(e.to_string()),
    }
}

impl Resolver {
    /// A resolver asking `servers` (UDP, then TCP for truncated answers); an empty list means the system's
    /// name servers from `/etc/resolv.conf`. `timeout` is per query attempt (two attempts per server).
    pub fn new(servers: &[SocketAddr], timeout: Duration) -> Result<Resolver, ResolveError> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = if servers.is_empty() {
            TokioResolver::builder(provider).map_err(|e| {
                ResolveError::Temporary(format!("reading the system's DNS configuration: {e}"))
            })?
        } else {
            let name_servers = servers
                .iter()
                .map(|s| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = s.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = s.port();
                    NameServerConfig::new(s.ip(), true, vec![udp, tcp])
                })
                .collect();
            TokioResolver::builder_with_config(ResolverConfig::from_name_servers(name_servers), provider)
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.use_hosts_file = ResolveHosts::Never;
        opts.timeout = timeout;
        let inner = builder
            .build()
            .map_err(|e| ResolveError::Temporary(format!("building the DNS resolver: {e}")))?;
        Ok(Resolver { inner })
    }

    /// The underlying hickory resolver, for other lookups (TXT, TLSA) sharing its cache.
    pub fn hickory(&self) -> &TokioResolver {
        &self.inner
    }

    /// The hosts to try for mail to `domain`, best first (see the module rules).
    pub async fn mx_hosts(&self, domain: &str) -> Result<Vec<MxHost>, ResolveError> {
        if domain.starts_with('[') {
            let ip = parse_address_literal(domain).ok_or_else(|| ResolveError::Permanent {
                message: format!("bad address literal {domain}"),
                esc: (1, 2),
            })?;
            return Ok(vec![MxHost {
                name: domain.to_owned(),
                preference: 0,
                addrs: vec![ip],
            }]);
        }
        let name = fqdn(domain)?;
        let records = match classify(self.inner.mx_lookup(name.clone()).await) {
            Answer::Found(lookup) => lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::MX(mx) => Some((mx.preference, mx.exchange.clone())),
                    _ => None,
                })
                .collect::<Vec<_>>(),
            Answer::NoData => Vec::new(),
            Answer::NxDomain => {
                return Err(ResolveError::Permanent {
                    message: format!("domain {domain} does not exist"),
                    esc: (1, 2),
                });
            }
            Answer::Failed(why) => {
                return Err(ResolveError::Temporary(format!("MX lookup for {domain}: {why}")));
            }
        };
        if records.is_empty() {
            // RFC 5321 §5.1: no MX, the domain is its own implicit MX.
            return match self.addresses(&name).await {
                Answer::Found(addrs) => Ok(vec![MxHost {
                    name: trim_dot(&name),
                    preference: 0,
                    addrs,
                }]),
                Answer::NoData | Answer::NxDomain => Err(ResolveError::Permanent {
                    message: format!("domain {domain} has no MX and no address record"),
                    esc: (1, 2),
                }),
                Answer::Failed(why) => Err(ResolveError::Temporary(format!(
                    "address lookup for {domain}: {why}"
                ))),
            };
        }
        let mut records: Vec<(u16, Name)> = records.into_iter().filter(|(_, n)| !n.is_root()).collect();
        if records.is_empty() {
            return Err(ResolveError::Permanent {
                message: format!("domain {domain} does not accept mail (null MX)"),
                esc: (1, 10),
            });
        }
        records.sort_by_key(|(pref, _)| *pref);
        {
            // Scoped: ThreadRng is not Send and must not live across an await, or the
            // future of `deliver` cannot be spawned on a multi-threaded runtime.
            let mut rng = rand::thread_rng();
            for group in records.chunk_by_mut(|a, b| a.0 == b.0) {
                group.shuffle(&mut rng);
            }
        }
        let mut seen = std::collections::HashSet::new();
        records.retain(|(_, n)| seen.insert(n.to_lowercase()));
        records.truncate(MAX_MX_HOSTS);

        let mut hosts = Vec::new();
        let mut failure = None;
        for (preference, exchange) in records {
            match self.addresses(&exchange).await {
                Answer::Found(addrs) => hosts.push(MxHost {
                    name: trim_dot(&exchange),
                    preference,
                    addrs,
                }),
                Answer::NoData | Answer::NxDomain => {
                    tracing::debug!(%domain, mx = %exchange, "MX host has no address");
                }
                Answer::Failed(why) => {
                    tracing::debug!(%domain, mx = %exchange, %why, "MX host address lookup failed");
                    failure = Some(format!(
                        "address lookup for MX host {}: {why}",
                        trim_dot(&exchange)
                    ));
                }
            }
        }
        if hosts.is_empty() {
            return Err(match failure {
                Some(why) => ResolveError::Temporary(why),
                None => ResolveError::Permanent {
                    message: format!("no MX host of {domain} has an address"),
                    esc: (4, 4),
                },
            });
        }
        Ok(hosts)
    }

    /// The addresses of `host` (a name, or an IP address as text), IPv4 first.
    pub async fn host_addrs(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return Ok(vec![ip]);
        }
        match self.addresses(&fqdn(host)?).await {
            Answer::Found(a) => Ok(a),
            Answer::NoData | Answer::NxDomain => Err(ResolveError::Permanent {
                message: format!("host {host} has no address"),
                esc: (4, 4),
            }),
            Answer::Failed(why) => Err(ResolveError::Temporary(format!(
                "address lookup for {host}: {why}"
            ))),
        }
    }

    /// A and AAAA of `name`, asked together.
    async fn addresses(&self, name: &Name) -> Answer<Vec<IpAddr>> {
        let (v4, v6) = tokio::join!(
            self.inner.ipv4_lookup(name.clone()),
            self.inner.ipv6_lookup(name.clone())
        );
        let ips = |l: hickory_resolver::lookup::Lookup| -> Vec<IpAddr> {
            l.answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                    _ => None,
                })
                .collect()
        };
        let (v4, v6) = (classify(v4.map(ips)), classify(v6.map(ips)));
        let mut addrs = Vec::new();
        let mut failed = None;
        let mut exists = false;
        for answer in [v4, v6] {
            match answer {
                Answer::Found(a) => {
                    exists = true;
                    addrs.extend(a);
                }
                Answer::NoData => exists = true,
                Answer::NxDomain => {}
                Answer::Failed(why) => failed = Some(why),
            }
        }
        match (addrs.is_empty(), failed, exists) {
            (false, _, _) => Answer::Found(addrs),
            (true, Some(why), _) => Answer::Failed(why),
            (true, None, true) => Answer::NoData,
            (true, None, false) => Answer::NxDomain,
        }
    }
}

/// `domain` as a fully qualified name (A-labels for an internationalised name).
fn fqdn(domain: &str) -> Result<Name, ResolveError> {
    let d = domain.trim_end_matches('.');
    Name::from_utf8(format!("{d}.")).map_err(|e| ResolveError::Permanent {
        message: format!("bad domain {domain}: {e}"),
        esc: (1, 2),
    })
}

fn trim_dot(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_owned()
}

/// `[192.0.2.1]` or `[IPv6:2001:db8::1]` (RFC 5321 §4.1.3).
pub fn parse_address_literal(literal: &str) -> Option<IpAddr> {
    let inner = literal.strip_prefix('[')?.strip_suffix(']')?;
    if let Some(v6) = inner
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("IPv6:"))
        .and(inner.get(5..))
    {
        return v6.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6);
    }
    inner.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn address_literals() {
        assert_eq!(
            parse_address_literal("[192.0.2.1]"),
            Some("192.0.2.1".parse().unwrap())
        );
        assert_eq!(
            parse_address_literal("[IPv6:2001:db8::1]"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(parse_address_literal("[2001:db8::1]"), None);
        assert_eq!(parse_address_literal("[300.1.1.1]"), None);
        assert_eq!(parse_address_literal("192.0.2.1"), None);
    }

    #[test]
    fn replies() {
        let null = ResolveError::Permanent {
            message: "x does not accept mail".into(),
            esc: (1, 10),
        };
        assert_eq!(null.reply().to_string(), "556 5.1.10 x does not accept mail\r\n");
        assert!(null.is_permanent());
        let t = ResolveError::Temporary("timeout".into());
        assert_eq!(t.reply().to_string(), "451 4.4.3 timeout\r\n");
    }
}
