//! The mail transport sections: `[smtp]` (the SMTP sessions' policy and limits, relay networks as
//! [`Cidr`]s), `[mail_auth]` (sender authentication and DKIM signing), `[delivery]` (duplicate
//! suppression), `[queue]` and `[[queue.route]]` (the outbound queue runner and its routing), and
//! `[outbound]` (the SMTP client).

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[queue]`: the outbound queue runner (retries per RFC 5321 §4.5.4.1, bounces per RFC 3464).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// Seconds to wait after the 1st, 2nd, ... failed attempt; the last value repeats. Default
    /// `[300, 900, 1800, 3600, 7200, 14400]`.
    pub retry_schedule_secs: Vec<u64>,
    /// A recipient still undelivered this long after the message was queued fails ("retry
    /// timeout") and is bounced. Default 432000 (5 days).
    pub max_age_secs: u64,
    /// After this long undelivered, one delay notice goes to the sender (when NOTIFY allows).
    /// Default 14400 (4 hours); 0 disables delay notices.
    pub delay_warning_secs: u64,
    /// Deliveries in flight at once. Default 16.
    pub concurrency: usize,
    /// Deliveries in flight at once to one destination (a domain's MX, a relay host). Default 4.
    pub per_destination: usize,
    /// How long a claimed message stays leased to this node while it is being delivered; after
    /// that another node (or this one after a crash) may claim it. Default 600.
    pub lease_secs: u64,
    /// Postfix's `relayhost`: every non-local recipient not matched by a route goes through this
    /// smarthost (`"host"` or `"host:port"`, port 25 by default). Default none: MX delivery.
    pub relayhost: Option<String>,
    /// Routes (TOML `[[queue.route]]`), like Postfix's transport maps: the first that matches a
    /// recipient decides.
    #[serde(rename = "route")]
    pub routes: Vec<RouteConfig>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            retry_schedule_secs: vec![300, 900, 1800, 3600, 7200, 14400],
            max_age_secs: 432_000,
            delay_warning_secs: 14_400,
            concurrency: 16,
            per_destination: 4,
            lease_secs: 600,
            relayhost: None,
            routes: Vec::new(),
        }
    }
}

/// What a route does with the recipients it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteAction {
    /// Deliver to a local mailbox (the directory resolves the address).
    Local,
    /// Deliver to the MX hosts of the recipient's domain (or of `host`, when given).
    Mx,
    /// Hand to the smarthost `host`:`port`, optionally authenticating.
    Relay,
    /// Fail the recipient with `5.7.1`.
    Refuse,
}

/// `[[queue.route]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// `"user@example.com"` (one address), `"example.com"` (one domain), `".example.com"` (its
    /// subdomains) or `"*"` (every non-local recipient). Case-insensitive.
    #[serde(rename = "match")]
    pub pattern: String,
    /// What to do.
    pub action: RouteAction,
    /// `relay`: the smarthost (required). `mx`: deliver to this domain's MX instead.
    #[serde(default)]
    pub host: Option<String>,
    /// `relay`: the smarthost's port. Default 25.
    #[serde(default)]
    pub port: Option<u16>,
    /// `relay`: the user name for SMTP AUTH (RFC 4954).
    #[serde(default)]
    pub auth_user: Option<String>,
    /// `relay`: a file holding the AUTH password (its first line); never put the password here.
    #[serde(default)]
    pub auth_password_file: Option<PathBuf>,
    /// `relay`: refuse to deliver unless the smarthost offers STARTTLS with a valid certificate.
    #[serde(default)]
    pub require_tls: bool,
}

/// `[mail_auth]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailAuthConfig {
    /// Verify SPF, DKIM, DMARC and ARC on mail received by the SMTP MX and record the results in an
    /// `Authentication-Results` header (RFC 8601). Default true.
    pub verify: bool,
    /// Time budget for all the DNS work of one message's verification, in seconds; what is not
    /// finished by then is `temperror`. Default 10.
    pub verify_timeout_secs: u64,
    /// DKIM-sign outgoing (submitted) mail with the From domain's key, when it has one (`malt dkim
    /// generate`). Default true.
    pub dkim_sign: bool,
}

impl Default for MailAuthConfig {
    fn default() -> Self {
        MailAuthConfig {
            verify: true,
            verify_timeout_secs: 10,
            dkim_sign: true,
        }
    }
}

/// `[smtp]`: policy and limits of the SMTP sessions (MX and submission; `max_recipients` and
/// `max_errors` apply to LMTP too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// Client networks (CIDR, `"192.0.2.0/24"`, `"2001:db8::/32"`; a bare address is one host) that
    /// may relay through the MX listener without authenticating. Default empty: only authenticated
    /// clients relay (never an open relay).
    pub relay_networks: Vec<String>,
    /// Recipients accepted per transaction (RFC 5321 §4.5.3.1.8: at least 100 should be). Default 100.
    pub max_recipients: usize,
    /// Errors (syntax, bad sequence, refused commands) before the server says `421` and closes.
    /// Default 20.
    pub max_errors: u32,
    /// Transactions (MAIL commands) one client address (IPv6: its /64) may start per minute on the
    /// MX listener; 0: no limit. Default 60.
    pub max_messages_per_ip_per_minute: u32,
    /// Where mail to `<Postmaster>` (RFC 5321 §4.5.1) goes. Default none: `postmaster@` the host
    /// name's domain when it is a local domain, else the first local domain.
    pub postmaster: Option<String>,
    /// Submission saves a copy of each submitted message, as sent, in the user's Sent mailbox
    /// (RFC 6154 `\Sent`), for clients that do not save it themselves. Default false: clients
    /// save their own copy (over IMAP), and a second one would be a duplicate.
    pub save_sent: bool,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            relay_networks: Vec::new(),
            max_recipients: 100,
            max_errors: 20,
            max_messages_per_ip_per_minute: 60,
            postmaster: None,
            save_sent: false,
        }
    }
}

/// `[delivery]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// Duplicate suppression: a message whose Message-ID was already delivered to the same account
    /// within this many seconds is acknowledged but not stored again. 0 disables it. Default 86400.
    pub dedup_window_secs: u64,
    /// Rewrite the envelope sender of forwarded mail (Sieve `redirect`) with SRS, and forward
    /// bounces to rewritten addresses at the MX. Default true.
    pub srs: bool,
    /// The domain of SRS addresses; its SPF record must name this server and its MX must reach
    /// it. Default: `hostname`.
    pub srs_domain: Option<String>,
    /// How long an SRS address stays valid, in days (1..=1000). Default 21, as libsrs2.
    pub srs_max_age_days: u32,
    /// The file holding the SRS secret (64 hex digits), created on first use. Default
    /// `<data_dir>/srs.key`; several nodes forwarding for one domain need the same file.
    pub srs_secret_file: Option<std::path::PathBuf>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            dedup_window_secs: 86_400,
            srs: true,
            srs_domain: None,
            srs_max_age_days: 21,
            srs_secret_file: None,
        }
    }
}

impl SmtpConfig {
    /// `relay_networks`, parsed (entries that do not parse are skipped; [`Config::validate`]
    /// refuses them at load).
    pub fn relay_cidrs(&self) -> Vec<Cidr> {
        self.relay_networks
            .iter()
            .filter_map(|s| Cidr::parse(s))
            .collect()
    }
}

/// An IP network: an address and a prefix length (`192.0.2.0/24`). IPv4-mapped IPv6 clients are
/// matched as IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address (host bits may be set; they are ignored).
    pub address: IpAddr,
    /// The prefix length, at most 32 (IPv4) or 128 (IPv6).
    pub prefix: u8,
}

impl Cidr {
    /// Parses `address/prefix` or a bare address (a single host).
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let address: IpAddr = addr.parse().ok()?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(Cidr { address, prefix })
    }

    /// Whether `ip` is inside this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address.to_canonical(), ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// `[outbound]`: the SMTP client that delivers mail to other servers (RFC 5321). Name servers are `[dns]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundConfig {
    /// The name said in EHLO/HELO (RFC 5321 §4.1.1.1). Default none: the server's `hostname`.
    pub helo_name: Option<String>,
    /// The port of MX hosts. Default 25; tests point it at a local server.
    pub mx_port: u16,
    /// Seconds to wait for a TCP connection to be established. Default 30.
    pub connect_timeout_secs: u64,
    /// Seconds to wait for the greeting and each command's reply (RFC 5321 §4.5.3.2: 5 minutes). Default 300.
    pub command_timeout_secs: u64,
    /// Seconds to wait for the reply to the end of the message data (RFC 5321 §4.5.3.2.6: 10 minutes), and
    /// for sending the data. Default 600.
    pub data_timeout_secs: u64,
    /// Seconds an idle connection is kept for the next message to the same destination. Default 30.
    pub idle_connection_secs: u64,
    /// Idle connections kept per destination. Default 4; 0 disables connection reuse.
    pub max_idle_per_destination: usize,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            helo_name: None,
            mx_port: 25,
            connect_timeout_secs: 30,
            command_timeout_secs: 300,
            data_timeout_secs: 600,
            idle_connection_secs: 30,
            max_idle_per_destination: 4,
        }
    }
}

/// Splits `"host"` or `"host:port"` (`"[2001:db8::1]:587"` for an IPv6 literal); `None` when
/// malformed. The port defaults to 25.
pub fn split_host_port(s: &str) -> Option<(String, u16)> {
    let s = s.trim();
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => 25,
            p => p.strip_prefix(':')?.parse().ok().filter(|&p: &u16| p != 0)?,
        };
        return (!host.is_empty()).then(|| (format!("[{host}]"), port));
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !host.contains(':') => {
            Some((host.to_owned(), port.parse().ok().filter(|&p: &u16| p != 0)?))
        }
        Some(_) => None,
        None => Some((s.to_owned(), 25)),
    }
}
