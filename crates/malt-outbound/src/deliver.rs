//! Delivering one message to one destination: the API the queue runner calls.
//!
//! [`Outbound::deliver`] takes a [`Destination`] (a domain's MX hosts, or a relay host) and an
//! [`OutboundMessage`] whose recipients all go there, and returns one [`RecipientResult`] per recipient, in
//! the order given. It never fails as a whole: every problem becomes a recipient's `TempFail` or `PermFail`
//! with a reply that says why (the server's own reply, or a local one with an RFC 3463 code).
//!
//! Rules:
//! - Addresses are checked first ([`crate::command::check_path`]): a bad recipient is `PermFail` (`501
//!   5.1.3`) alone; a bad return path fails every recipient (`501 5.1.7`).
//! - MX: hosts in preference order ([`crate::resolve`]), each host's addresses in turn, until one server
//!   takes the session; its answers are final for this attempt (a `4xx` to RCPT is that recipient's
//!   `TempFail`, not a reason to try another MX). A failed session (connect refused, timeout, a greeting
//!   other than 220, a `421`, TLS required but unavailable...) moves to the next address or host; when
//!   none is left, every recipient is `TempFail` with the last failure. DNS: NXDOMAIN and null MX are
//!   `PermFail`, a DNS failure `TempFail`.
//! - Mail loops (RFC 5321 §5.1): an MX host named as this server (`helo_name`) or with one of its
//!   addresses (`local_addrs`) is this server; it and every host of equal or lower preference are dropped.
//!   If no host is left: `TempFail` `451 4.4.6 mail for DOMAIN loops back to myself`.
//! - Relay: the host's addresses in turn (an IP address is used as is), on the given port; a relay host
//!   that does not resolve is `TempFail` (a configuration problem, not the recipient's); `require_tls`
//!   means STARTTLS with a verified certificate ([`TlsPolicy::Verified`]), otherwise opportunistic. With
//!   credentials, AUTH after TLS (never in plaintext unless [`Credentials::allow_plaintext`]).
//! - Connection reuse ([`crate::pool`]): after a transaction, RSET and keep the session for the same
//!   destination. A kept session that fails before the server answered MAIL (the server closed it while
//!   idle) is dropped and the message tried once more on a fresh connection.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use malt_config::{Config, Endpoint, Protocol};
use malt_smtp_proto::Reply;
use rustls::pki_types::CertificateDer;

use crate::client::{Connection, Credentials, Envelope, Peer, SessionError, Stage, Timeouts, TlsPolicy};
use crate::command::{DsnNotify, DsnRet, check_path};
use crate::pool::{Pool, PoolKey};
use crate::resolve::{MxHost, ResolveError, Resolver};
use crate::tls::TlsConfigs;

/// A message to deliver, with the recipients that go to one destination.
#[derive(Debug, Clone)]
pub struct OutboundMessage<'a> {
    /// The reverse-path (RFC 5321 §4.1.1.2), unquoted; empty for the null sender `<>` (bounces).
    pub return_path: &'a str,
    /// DSN envelope identifier (RFC 3461 §4.4), passed on when the server offers DSN.
    pub envid: Option<&'a str>,
    /// DSN `RET` (RFC 3461 §4.3), passed on when the server offers DSN.
    pub ret: Option<DsnRet>,
    /// The recipients.
    pub recipients: Vec<OutboundRecipient<'a>>,
    /// The message (header and body), as stored; line ends are normalised to CRLF when sent.
    pub body: &'a [u8],
}

/// One recipient of an [`OutboundMessage`].
#[derive(Debug, Clone)]
pub struct OutboundRecipient<'a> {
    /// The address, unquoted (`john doe@example.net` is sent as `"john doe"@example.net`).
    pub address: &'a str,
    /// DSN `NOTIFY` (RFC 3461 §4.1), passed on when the server offers DSN.
    pub notify: Option<DsnNotify>,
    /// DSN `ORCPT`: the original recipient address (without its `rfc822;` type), passed on when the
    /// server offers DSN (RFC 3461 §4.2).
    pub orcpt: Option<&'a str>,
}

/// Where the recipients' mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The domain's MX hosts (or an address literal such as `[192.0.2.1]`), on `mx_port`.
    Mx {
        /// The recipients' domain.
        domain: String,
    },
    /// A relay host ("smarthost"), whatever the recipients' domain.
    Relay {
        /// Its name or IP address.
        host: String,
        /// Its port (25, 587...).
        port: u16,
        /// Credentials for AUTH, if it wants them.
        auth: Option<Credentials>,
        /// STARTTLS with a verified certificate is required.
        require_tls: bool,
    },
}

impl Destination {
    /// The MX destination of `address`'s domain (lower case), or `None` without a domain part.
    pub fn mx_for(address: &str) -> Option<Destination> {
        let (_, domain) = address.rsplit_once('@')?;
        if domain.is_empty() {
            return None;
        }
        Some(Destination::Mx {
            domain: domain.to_lowercase(),
        })
    }
}

/// What became of one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server took responsibility for the message (RFC 5321 §6.1): a `2xx` to the end of data.
    Delivered {
        /// The server's reply.
        reply: Reply,
    },
    /// Not delivered now; try again later (`4xx`, or a local temporary failure).
    TempFail {
        /// The reply that says why.
        reply: Reply,
    },
    /// Not deliverable: bounce (`5xx`, or a local permanent failure).
    PermFail {
        /// The reply that says why.
        reply: Reply,
    },
}

impl Outcome {
    /// The outcome a reply means: 2xx delivered, 5xx permanent, anything else temporary.
    pub fn from_reply(reply: Reply) -> Outcome {
        match reply.code {
            200..=299 => Outcome::Delivered { reply },
            500..=599 => Outcome::PermFail { reply },
            _ => Outcome::TempFail { reply },
        }
    }

    /// The reply.
    pub fn reply(&self) -> &Reply {
        match self {
            Outcome::Delivered { reply } | Outcome::TempFail { reply } | Outcome::PermFail { reply } => reply,
        }
    }

    /// Whether this is final (delivered or bounced), i.e. not to be retried.
    pub fn is_final(&self) -> bool {
        !matches!(self, Outcome::TempFail { .. })
    }
}

/// The server that gave a recipient's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// Its host name (the MX or relay host; an address literal as written).
    pub host: String,
    /// The address connected to.
    pub addr: SocketAddr,
    /// Whether the session was in TLS.
    pub tls: bool,
    /// The body had 8-bit octets and the server did not announce 8BITMIME (sent anyway).
    pub eight_bit_unannounced: bool,
    /// The server announced DSN, so it was given NOTIFY/ORCPT/RET/ENVID and reports delivery
    /// itself (RFC 3461 §6.2.3.2: no `relayed` notification is due then).
    pub dsn: bool,
}

/// The result for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientResult {
    /// The recipient's address, as given.
    pub address: String,
    /// What became of it.
    pub outcome: Outcome,
    /// The server whose reply (or failure) this is; `None` when no server was reached for a reason of our
    /// own (bad address, DNS, mail loop).
    pub remote: Option<Remote>,
}

/// Settings of the outbound client; [`Settings::from_config`] reads them from `[outbound]` and `[dns]`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The EHLO name.
    pub helo_name: String,
    /// The port of MX hosts (25).
    pub mx_port: u16,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// How long an idle session is kept.
    pub idle_connection: Duration,
    /// Idle sessions kept per destination (0: no reuse).
    pub max_idle_per_destination: usize,
    /// Name servers (empty: the system's).
    pub dns_servers: Vec<SocketAddr>,
    /// This server's own addresses: an MX host with one of them is this server (mail loop).
    pub local_addrs: Vec<IpAddr>,
    /// Roots trusted for verified TLS besides the system's (e.g. a private CA of a relay).
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl Settings {
    /// From the configuration: `[outbound]`, `[dns] servers`, and as `local_addrs` the addresses of SMTP
    /// listeners on `mx_port` that are bound to a specific address (a listener on `0.0.0.0`/`::` says
    /// nothing about which addresses are ours: the caller adds the machine's addresses then).
    pub fn from_config(config: &Config) -> Settings {
        let out = &config.outbound;
        let local_addrs = config
            .listeners
            .iter()
            .filter(|l| l.protocol == Protocol::Smtp)
            .filter_map(|l| match l.endpoint() {
                Ok(Endpoint::Tcp(a)) if a.port() == out.mx_port && !a.ip().is_unspecified() => Some(a.ip()),
                _ => None,
            })
            .collect();
        Settings {
            helo_name: config.helo_name().to_owned(),
            mx_port: out.mx_port,
            timeouts: Timeouts {
                connect: Duration::from_secs(out.connect_timeout_secs),
                command: Duration::from_secs(out.command_timeout_secs),
                data: Duration::from_secs(out.data_timeout_secs),
            },
            idle_connection: Duration::from_secs(out.idle_connection_secs),
            max_idle_per_destination: out.max_idle_per_destination,
            dns_servers: config.dns.servers.clone(),
            local_addrs,
            extra_roots: Vec::new(),
        }
    }
}

/// Why the outbound client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The DNS resolver could not be set up.
    #[error("DNS: {0}")]
    Dns(#[from] ResolveError),
    /// The TLS configuration could not be built.
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
}

/// The outbound SMTP client: resolver, TLS configurations and the connection pool. Share it (`Arc`) among
/// the queue runner's workers.
#[derive(Debug)]
pub struct Outbound {
    settings: Settings,
    resolver: Resolver,
    tls: TlsConfigs,
    pool: Pool,
}

/// One server to try: host name and addresses.
struct Target {
    host: String,
    addrs: Vec<SocketAddr>,
}

/// How to talk to the targets.
struct Route<'a> {
    targets: Vec<Target>,
    port: u16,
    tls: TlsPolicy,
    auth: Option<&'a Credentials>,
}

fn result(address: &str, outcome: Outcome, remote: Option<Remote>) -> RecipientResult {
    RecipientResult {
        address: address.to_owned(),
        outcome,
        remote,
    }
}

impl Outbound {
    /// Builds the client (reads the system's DNS configuration and trusted roots).
    pub fn new(settings: Settings) -> Result<Outbound, OutboundError> {
        let resolver = Resolver::new(
            &settings.dns_servers,
            settings.timeouts.connect.min(Duration::from_secs(5)),
        )?;
        let tls = TlsConfigs::new(&settings.extra_roots)?;
        let pool = Pool::new(settings.idle_connection, settings.max_idle_per_destination);
        Ok(Outbound {
            settings,
            resolver,
            tls,
            pool,
        })
    }

    /// The resolver (for the runner's own lookups).
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Idle connections kept now.
    pub fn idle_connections(&self) -> usize {
        self.pool.idle_count()
    }

    /// Closes every idle connection with QUIT; for shutdown.
    pub async fn close_idle(&self) {
        self.pool.close_all().await;
    }

    /// Delivers `msg` to its recipients at `dest`: one result per recipient, in order (module docs).
    pub async fn deliver(&self, dest: &Destination, msg: &OutboundMessage<'_>) -> Vec<RecipientResult> {
        let all = |outcome: Outcome, remote: Option<Remote>| -> Vec<RecipientResult> {
            msg.recipients
                .iter()
                .map(|r| result(r.address, outcome.clone(), remote.clone()))
                .collect()
        };
        let return_path = match check_path(msg.return_path, true) {
            Ok(p) => p,
            Err(e) => {
                let reply = Reply::new(
                    501,
                    (5, 1, 7),
                    &format!("bad return path {:?}: {e}", msg.return_path),
                );
                return all(Outcome::PermFail { reply }, None);
            }
        };
        let mut results: Vec<Option<RecipientResult>> = vec![None; msg.recipients.len()];
        let mut sending = Vec::new();
        let mut recipients = Vec::new();
        for (i, r) in msg.recipients.iter().enumerate() {
            match check_path(r.address, false) {
                Ok(path) => {
                    sending.push(i);
                    recipients.push((path, r.notify, r.orcpt));
                }
                Err(e) => {
                    let reply = Reply::new(
                        501,
                        (5, 1, 3),
                        &format!("bad recipient address {:?}: {e}", r.address),
                    );
                    if let Some(slot) = results.get_mut(i) {
                        *slot = Some(result(r.address, Outcome::PermFail { reply }, None));
                    }
                }
            }
        }
        if !sending.is_empty() {
            let envelope = Envelope {
                smtputf8: !msg.return_path.is_ascii() || recipients.iter().any(|(p, _, _)| !p.is_ascii()),
                return_path,
                envid: msg.envid,
                ret: msg.ret,
                recipients,
                body: msg.body,
            };
            let (outcomes, remote) = match self.route(dest).await {
                Ok(route) => self.send_via(&route, &envelope).await,
                Err(reply) => (vec![Outcome::from_reply(reply); sending.len()], None),
            };
            for (i, outcome) in sending.into_iter().zip(outcomes) {
                if let (Some(slot), Some(r)) = (results.get_mut(i), msg.recipients.get(i)) {
                    *slot = Some(result(r.address, outcome, remote.clone()));
                }
            }
        }
        // Every slot is filled above; a missing one (impossible) is a temporary failure, never a loss.
        results
            .into_iter()
            .zip(&msg.recipients)
            .map(|(r, rcpt)| {
                r.unwrap_or_else(|| {
                    let reply = Reply::new(451, (4, 3, 0), "internal error: no result");
                    result(rcpt.address, Outcome::TempFail { reply }, None)
                })
            })
            .collect()
    }

    /// The servers to try for `dest`, or the reply that fails every recipient.
    async fn route<'d>(&self, dest: &'d Destination) -> Result<Route<'d>, Reply> {
        match dest {
            Destination::Mx { domain } => {
                let hosts = self.resolver.mx_hosts(domain).await.map_err(|e| {
                    tracing::info!(%domain, error = %e, "no MX hosts");
                    e.reply()
                })?;
                let hosts = self.without_self(domain, hosts)?;
                let port = self.settings.mx_port;
                Ok(Route {
                    targets: hosts
                        .into_iter()
                        .map(|h| Target {
                            addrs: h.addrs.iter().map(|ip| SocketAddr::new(*ip, port)).collect(),
                            host: h.name,
                        })
                        .collect(),
                    port,
                    tls: TlsPolicy::Opportunistic,
                    auth: None,
                })
            }
            Destination::Relay {
                host,
                port,
                auth,
                require_tls,
            } => {
                let addrs = self
                    .resolver
                    .host_addrs(host)
                    .await
                    .map_err(|e| ResolveError::Temporary(format!("relay host: {e}")).reply())?;
                Ok(Route {
                    targets: vec![Target {
                        host: host.clone(),
                        addrs: addrs.into_iter().map(|ip| SocketAddr::new(ip, *port)).collect(),
                    }],
                    port: *port,
                    tls: if *require_tls {
                        TlsPolicy::Verified
                    } else {
                        TlsPolicy::Opportunistic
                    },
                    auth: auth.as_ref(),
                })
            }
        }
    }

    /// RFC 5321 §5.1: drops this server and every MX host not preferred to it.
    fn without_self(&self, domain: &str, hosts: Vec<MxHost>) -> Result<Vec<MxHost>, Reply> {
        let me = &self.settings;
        let is_self = |h: &MxHost| {
            h.name.eq_ignore_ascii_case(me.helo_name.trim_end_matches('.'))
                || h.addrs.iter().any(|a| me.local_addrs.contains(a))
        };
        let Some(own) = hosts.iter().filter(|h| is_self(h)).map(|h| h.preference).min() else {
            return Ok(hosts);
        };
        let better: Vec<MxHost> = hosts.into_iter().filter(|h| h.preference < own).collect();
        if better.is_empty() {
            tracing::warn!(%domain, "mail loops back to myself");
            return Err(Reply::new(
                451,
                (4, 4, 6),
                &format!("mail for {domain} loops back to myself"),
            ));
        }
        Ok(better)
    }

    /// Tries the route's servers in order until one takes the session.
    async fn send_via(&self, route: &Route<'_>, env: &Envelope<'_>) -> (Vec<Outcome>, Option<Remote>) {
        let mut last: Option<(Reply, Remote)> = None;
        for target in &route.targets {
            let key = PoolKey {
                host: target.host.to_ascii_lowercase(),
                port: route.port,
                tls: route.tls,
                user: route.auth.map(|c| c.username.clone()),
            };
            if let Some(conn) = self.pool.take(&key) {
                match self.transaction(conn, &key, env).await {
                    Ok(done) => return done,
                    Err((e, remote)) if e.stage() == Stage::Mail => {
                        tracing::debug!(host = %target.host, error = %e, "reused connection failed; retrying on a new one");
                        last = Some((e.reply(&remote.host, remote.addr), remote));
                    }
                    Err((e, remote)) => {
                        last = Some((e.reply(&remote.host, remote.addr), remote));
                        continue;
                    }
                }
            }
            for addr in &target.addrs {
                let remote = Remote {
                    host: target.host.clone(),
                    addr: *addr,
                    tls: false,
                    eight_bit_unannounced: false,
                    dsn: false,
                };
                let conn = match self.open(&target.host, *addr, route).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::info!(host = %target.host, %addr, error = %e, "session failed");
                        last = Some((e.reply(&target.host, *addr), remote));
                        continue;
                    }
                };
                match self.transaction(conn, &key, env).await {
                    Ok(done) => return done,
                    Err((e, remote)) => {
                        tracing::info!(host = %target.host, %addr, error = %e, "session failed");
                        last = Some((e.reply(&remote.host, remote.addr), remote));
                    }
                }
            }
        }
        let n = env.recipients.len();
        match last {
            Some((reply, remote)) => {
                // A session failure is never final, whatever code the server gave (RFC 5321 §5.1: try
                // later); keep its reply for the record.
                (vec![Outcome::TempFail { reply }; n], Some(remote))
            }
            None => {
                let reply = Reply::new(451, (4, 4, 4), "no address to connect to");
                (vec![Outcome::TempFail { reply }; n], None)
            }
        }
    }

    async fn open(
        &self,
        host: &str,
        addr: SocketAddr,
        route: &Route<'_>,
    ) -> Result<Connection, SessionError> {
        let s = &self.settings;
        let peer = Peer {
            host,
            addr,
            helo: &s.helo_name,
            tls: &self.tls,
            timeouts: s.timeouts,
        };
        let mut conn = Connection::open(&peer, route.tls).await?;
        if let Some(creds) = route.auth
            && let Err(e) = conn.authenticate(creds).await
        {
            conn.quit().await;
            return Err(e);
        }
        Ok(conn)
    }

    /// One transaction on `conn`; on success the connection goes back to the pool (after RSET).
    async fn transaction(
        &self,
        mut conn: Connection,
        key: &PoolKey,
        env: &Envelope<'_>,
    ) -> Result<(Vec<Outcome>, Option<Remote>), (SessionError, Remote)> {
        let mut remote = Remote {
            host: conn.host().to_owned(),
            addr: conn.addr(),
            tls: conn.is_tls(),
            eight_bit_unannounced: false,
            dsn: conn.extensions().dsn,
        };
        match conn.send(env).await {
            Ok(sent) => {
                remote.eight_bit_unannounced = sent.eight_bit_unannounced;
                tracing::info!(
                    host = %remote.host,
                    addr = %remote.addr,
                    tls = remote.tls,
                    delivered = sent.outcomes.iter().filter(|o| matches!(o, Outcome::Delivered { .. })).count(),
                    failed = sent.outcomes.iter().filter(|o| !matches!(o, Outcome::Delivered { .. })).count(),
                    "transaction done"
                );
                self.release(key.clone(), conn).await;
                Ok((sent.outcomes, Some(remote)))
            }
            Err(e) => Err((e, remote)),
        }
    }

    async fn release(&self, key: PoolKey, mut conn: Connection) {
        if !self.pool.enabled() {
            conn.quit().await;
            return;
        }
        match conn.rset().await {
            Ok(()) => self.pool.put(key, conn),
            Err(e) => tracing::debug!(host = %conn.host(), error = %e, "RSET failed; not reusing"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mx_destination_of_an_address() {
        let mx = |d: &str| Some(Destination::Mx { domain: d.to_owned() });
        assert_eq!(Destination::mx_for("Bob@Example.NET"), mx("example.net"));
        assert_eq!(Destination::mx_for("\"a@b\"@x.test"), mx("x.test"));
        assert_eq!(Destination::mx_for("u@[192.0.2.1]"), mx("[192.0.2.1]"));
        assert_eq!(Destination::mx_for("nodomain"), None);
        assert_eq!(Destination::mx_for("a@"), None);
    }

    #[test]
    fn outcomes_of_replies() {
        let r = |code| Reply::new(code, (2, 0, 0), "x");
        assert!(matches!(Outcome::from_reply(r(250)), Outcome::Delivered { .. }));
        assert!(matches!(Outcome::from_reply(r(451)), Outcome::TempFail { .. }));
        assert!(matches!(Outcome::from_reply(r(550)), Outcome::PermFail { .. }));
        assert!(matches!(Outcome::from_reply(r(354)), Outcome::TempFail { .. }));
        assert!(Outcome::from_reply(r(550)).is_final() && !Outcome::from_reply(r(421)).is_final());
    }

    #[test]
    fn local_addrs_are_smtp_listeners_on_the_mx_port_with_a_specific_address() {
        use malt_config::{ListenerConfig, TlsMode};
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let tcp = |name, protocol, addr: &str, port| {
            ListenerConfig::new(name, protocol, ip(addr), port, TlsMode::None)
        };
        let config = Config {
            listeners: vec![
                tcp("mx", Protocol::Smtp, "192.0.2.25", 25),
                tcp("any", Protocol::Smtp, "0.0.0.0", 25),
                tcp("other-port", Protocol::Smtp, "192.0.2.26", 2525),
                tcp("imap", Protocol::Imap, "192.0.2.27", 25),
                // A Unix socket listener has no address to loop to.
                ListenerConfig::unix("local", Protocol::Smtp, "/run/malt/smtp.sock"),
            ],
            ..Config::default()
        };
        assert_eq!(Settings::from_config(&config).local_addrs, vec![ip("192.0.2.25")]);
    }
}
