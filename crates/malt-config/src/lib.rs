//! Malt's one typed configuration.
//!
//! Invariants:
//! - Every table is `#[serde(deny_unknown_fields)]`, so a mistyped key fails at start with toml's error, which
//!   names the key, its line and column; [`Config::load`] prefixes it with `config FILE:`.
//! - Every key has a default (`#[serde(default)]`), except the identity of a listener (`name`, `protocol`,
//!   and `port` or, for a Unix domain socket, `path`), which has no sensible default.
//! - A listener is either TCP (`address`, `port`) or a Unix domain socket (`path`, `mode`), never both
//!   ([`ListenerConfig::endpoint`]); a Unix socket listener has no TLS and no PROXY protocol.
//! - [`Config::validate`] checks what the types cannot, and each error names the key path, e.g.
//!   `listener[2].port: 0.0.0.0:143 is bound by another listener`.
//! - A file without any `[[listener]]` table has no listeners; only [`Config::zero_config`] adds the
//!   development listeners on 127.0.0.1.
//! - Relative paths (`data_dir`, `store.sqlite_file`, ...) are used as given, i.e. relative to the working
//!   directory of the process, not to the config file.
//!
//! `docs/config.md` documents every key; `malt.example.toml` is a working example (parsed by a unit test).
//!
//! Layout: `listener.rs` holds `[[listener]]`; `smtp.rs` the mail transport sections (`[smtp]`,
//! `[mail_auth]`, `[delivery]`, `[queue]`, `[outbound]`); `sieve.rs` `[sieve]`; this file the rest,
//! loading and validation.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod listener;
mod sieve;
mod smtp;

pub use listener::*;
pub use sieve::*;
pub use smtp::*;

/// Why a configuration could not be loaded. The `Display` text is meant for the operator, as is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed, or a key is unknown or has the wrong type (toml's message names it).
    #[error("config{}: {message}", origin_suffix(.origin))]
    Parse {
        /// The file name, if the text came from a file.
        origin: Option<PathBuf>,
        /// toml's message, with line and column.
        message: String,
    },
    /// A value is well-typed but not acceptable; `key` is the key path (`listener[2].port`).
    #[error("config{}: {key}: {message}", origin_suffix(.origin))]
    Invalid {
        /// The file name, if known.
        origin: Option<PathBuf>,
        /// The key path, e.g. `store.url` or `listener[2].port`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

fn origin_suffix(origin: &Option<PathBuf>) -> String {
    match origin {
        Some(p) => format!(" {}", p.display()),
        None => String::new(),
    }
}

impl ConfigError {
    fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            origin: None,
            key: key.into(),
            message: message.into(),
        }
    }

    fn with_origin(self, path: &Path) -> Self {
        match self {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                origin: Some(path.to_path_buf()),
                message,
            },
            ConfigError::Invalid { key, message, .. } => ConfigError::Invalid {
                origin: Some(path.to_path_buf()),
                key,
                message,
            },
            other => other,
        }
    }
}

/// The whole configuration, shared as `Arc<Config>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The server's host name, used in greetings and the self-signed certificate. Default: the machine's.
    pub hostname: String,
    /// Where Malt keeps its state (database, blobs, generated certificate). Default `/var/lib/malt`.
    pub data_dir: PathBuf,
    /// The store backend.
    pub store: StoreConfig,
    /// Certificate and key for TLS; none means a self-signed certificate in `<data_dir>/tls/`.
    pub tls: TlsConfig,
    /// The listening sockets (TOML: `[[listener]]`).
    #[serde(rename = "listener")]
    pub listeners: Vec<ListenerConfig>,
    /// Connection and size limits.
    pub limits: Limits,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Authentication policy.
    pub auth: AuthConfig,
    /// The outbound queue: retries, bounces, routing (`[queue]`, `[[queue.route]]`).
    pub queue: QueueConfig,
    /// Logging.
    pub log: LogConfig,
    /// Background maintenance (blob garbage collection).
    pub maintenance: MaintenanceConfig,
    /// IMAP settings.
    pub imap: ImapConfig,
    /// CalDAV/CardDAV limits.
    pub dav: DavConfig,
    /// DNS resolution for outbound delivery (MX) and sender authentication (SPF, DKIM, DMARC).
    pub dns: DnsConfig,
    /// Sender authentication of incoming mail (SPF, DKIM, DMARC, ARC) and DKIM signing.
    pub mail_auth: MailAuthConfig,
    /// Local delivery (duplicate suppression).
    pub delivery: DeliveryConfig,
    /// SMTP (MX and submission) policy and limits.
    pub smtp: SmtpConfig,
    /// Outbound SMTP delivery (the SMTP client).
    pub outbound: OutboundConfig,
    /// Users' Sieve scripts: quota, engine limits, global scripts.
    pub sieve: SieveConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hostname: machine_hostname(),
            data_dir: PathBuf::from("/var/lib/malt"),
            store: StoreConfig::default(),
            tls: TlsConfig::default(),
            listeners: Vec::new(),
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            auth: AuthConfig::default(),
            queue: QueueConfig::default(),
            log: LogConfig::default(),
            maintenance: MaintenanceConfig::default(),
            imap: ImapConfig::default(),
            dav: DavConfig::default(),
            dns: DnsConfig::default(),
            mail_auth: MailAuthConfig::default(),
            delivery: DeliveryConfig::default(),
            smtp: SmtpConfig::default(),
            outbound: OutboundConfig::default(),
            sieve: SieveConfig::default(),
        }
    }
}

/// The machine's host name: `/proc/sys/kernel/hostname`, then `/etc/hostname`, else `localhost`.
pub fn machine_hostname() -> String {
    for file in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
        if let Ok(s) = std::fs::read_to_string(file) {
            let name = s.trim();
            if !name.is_empty() {
                return name.to_string();
            }
        }
    }
    "localhost".to_string()
}

/// Which store backend holds metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    /// Embedded SQLite in `store.sqlite_file` (the default).
    #[default]
    Sqlite,
    /// PostgreSQL at `store.url`.
    Postgres,
}

/// `[store]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `sqlite` (default) or `postgres`.
    pub backend: StoreBackend,
    /// PostgreSQL connection URL (`postgres://user:pass@host/db`); required for, and only for, `postgres`.
    pub url: Option<String>,
    /// Connection pool size (PostgreSQL) / reader connections (SQLite). Default 16.
    pub pool_size: usize,
    /// The SQLite database file. Default `<data_dir>/malt.db`.
    pub sqlite_file: Option<PathBuf>,
    /// The blob directory. Default `<data_dir>/blobs`.
    pub blob_dir: Option<PathBuf>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            backend: StoreBackend::Sqlite,
            url: None,
            pool_size: 16,
            sqlite_file: None,
            blob_dir: None,
        }
    }
}

/// `[tls]`: both set, or neither (then a self-signed certificate is generated in `<data_dir>/tls/`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain, leaf first.
    pub cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
}

/// `[limits]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Open connections over all listeners. Default 4096.
    pub max_connections: usize,
    /// Open connections from one client address (IPv6: one /64). Default 64.
    pub max_connections_per_ip: usize,
    /// Largest message accepted, in bytes. Default 50 MiB.
    pub max_message_size: u64,
    /// Longest protocol line, in bytes. Default 64 KiB.
    pub max_line_length: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            max_connections_per_ip: 64,
            max_message_size: 50 * 1024 * 1024,
            max_line_length: 64 * 1024,
        }
    }
}

/// `[timeouts]`, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    /// A session with no client input for this long is closed. Default 1800 (IMAP's 30-minute autologout
    /// minimum, RFC 9051 §5.4).
    pub idle_secs: u64,
    /// Limit for the PROXY header and the TLS handshake. Default 30.
    pub handshake_secs: u64,
    /// On shutdown, how long sessions get to finish before they are aborted. Default 30.
    pub shutdown_grace_secs: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            idle_secs: 1800,
            handshake_secs: 30,
            shutdown_grace_secs: 30,
        }
    }
}

/// `[auth]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Allow plaintext passwords on unencrypted non-loopback connections. Default false.
    pub allow_plaintext_without_tls: bool,
    /// How long a successful authentication is cached, in seconds. Default 60.
    pub cache_ttl_secs: u64,
    /// Failed logins from one address within the window before further attempts are refused. Default 10.
    pub max_failures_per_ip: u32,
    /// Failed logins for one account within the window before further attempts are refused. Default 10.
    pub max_failures_per_account: u32,
    /// The failure counting window, in seconds. Default 300.
    pub failure_window_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            allow_plaintext_without_tls: false,
            cache_ttl_secs: 60,
            max_failures_per_ip: 10,
            max_failures_per_account: 10,
            failure_window_secs: 300,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` (default) or `json`.
    pub format: LogFormat,
    /// A tracing filter: a level (`info`, the default) or directives like `info,malt_server=debug`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Text,
            level: "info".to_string(),
        }
    }
}

/// `[imap]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImapConfig {
    /// The account (address) whose mailboxes form the IMAP shared namespace `Shared/` (RFC 2342
    /// §5; who sees what is the mailboxes' ACLs, RFC 4314). Default none: no shared namespace.
    pub shared_account: Option<String>,
}

/// `[dav]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DavConfig {
    /// Largest calendar object or vCard a PUT stores, in bytes (`max-resource-size`, RFC 4791
    /// §5.2.5, RFC 6352 §6.2.3). Default 1 MiB.
    pub max_resource_size: u64,
    /// Largest request body read, in bytes (413 beyond). Default 2 MiB; at least
    /// `max_resource_size`.
    pub max_request_size: u64,
    /// Whether every user may see every other user's busy time (over their opaque calendars)
    /// in a free-busy request, like Exchange's and Open-Xchange's default "free/busy" permission.
    /// When false, only over the calendars shared with the asker (free-busy access or more); a
    /// user who shared nothing with the asker answers request-status 3.8. Default true.
    pub public_free_busy: bool,
}

impl Default for DavConfig {
    fn default() -> Self {
        DavConfig {
            max_resource_size: 1024 * 1024,
            max_request_size: 2 * 1024 * 1024,
            public_free_busy: true,
        }
    }
}

/// `[dns]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DnsConfig {
    /// Name servers to ask (`"127.0.0.1:53"`), over UDP with TCP fallback. Default empty: the
    /// system's, from `/etc/resolv.conf`. Tests point this at a DNS server serving a test zone.
    pub servers: Vec<std::net::SocketAddr>,
}

/// `[maintenance]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MaintenanceConfig {
    /// Seconds between blob garbage collection runs. Default 3600.
    pub gc_interval_secs: u64,
    /// Unreferenced blobs younger than this are kept (in-flight appends). Default 3600.
    pub gc_grace_secs: u64,
}

impl Default for MaintenanceConfig {
    fn default() -> Self {
        MaintenanceConfig {
            gc_interval_secs: 3600,
            gc_grace_secs: 3600,
        }
    }
}

impl Config {
    /// Reads, parses and validates the file at `path`. Errors start with `config PATH:`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_toml_str(&text).map_err(|e| e.with_origin(path))
    }

    /// Parses and validates TOML text.
    pub fn from_toml_str(s: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(s).map_err(|e| ConfigError::Parse {
            origin: None,
            message: e.to_string().trim_end().to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// The configuration used when no file is given: defaults, `data_dir`, and the development listeners
    /// on 127.0.0.1 (ports 2525, 2587, 2465, 2424, 2143, 2993, 2110, 2995, 4190, 8080, 8443).
    pub fn zero_config(data_dir: PathBuf) -> Config {
        let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let l = |name: &str, protocol, port, tls| ListenerConfig::new(name, protocol, lo, port, tls);
        Config {
            data_dir,
            listeners: vec![
                l("smtp", Protocol::Smtp, 2525, TlsMode::StartTls),
                l("submission", Protocol::Submission, 2587, TlsMode::StartTls),
                l("submissions", Protocol::Submission, 2465, TlsMode::Implicit),
                l("lmtp", Protocol::Lmtp, 2424, TlsMode::None),
                l("imap", Protocol::Imap, 2143, TlsMode::StartTls),
                l("imaps", Protocol::Imap, 2993, TlsMode::Implicit),
                l("pop3", Protocol::Pop3, 2110, TlsMode::StartTls),
                l("pop3s", Protocol::Pop3, 2995, TlsMode::Implicit),
                l("managesieve", Protocol::ManageSieve, 4190, TlsMode::StartTls),
                l("http", Protocol::Http, 8080, TlsMode::None),
                l("https", Protocol::Http, 8443, TlsMode::Implicit),
            ],
            ..Config::default()
        }
    }

    /// The SQLite database file: `store.sqlite_file`, or `<data_dir>/malt.db`.
    pub fn sqlite_file(&self) -> PathBuf {
        self.store
            .sqlite_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("malt.db"))
    }

    /// The blob directory: `store.blob_dir`, or `<data_dir>/blobs`.
    pub fn blob_dir(&self) -> PathBuf {
        self.store
            .blob_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("blobs"))
    }

    /// The name outbound SMTP says in EHLO: `outbound.helo_name`, or `hostname`.
    pub fn helo_name(&self) -> &str {
        self.outbound.helo_name.as_deref().unwrap_or(&self.hostname)
    }

    /// Where the self-signed certificate lives when `[tls]` is empty: `<data_dir>/tls`.
    pub fn tls_dir(&self) -> PathBuf {
        self.data_dir.join("tls")
    }

    /// Checks what the types cannot. The first problem found is returned, naming its key path.
    pub fn validate(&self) -> Result<(), ConfigError> {
        fn bad(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
            ConfigError::invalid(key, message)
        }
        if self.hostname.is_empty() {
            return Err(bad("hostname", "must not be empty"));
        }
        if self.hostname.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(
                "hostname",
                format!("{:?} contains whitespace", self.hostname),
            ));
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(bad("data_dir", "must not be empty"));
        }

        // [store]
        match (self.store.backend, &self.store.url) {
            (StoreBackend::Postgres, None) => {
                return Err(bad("store.url", "required when store.backend = \"postgres\""));
            }
            (StoreBackend::Postgres, Some(url)) => {
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(bad("store.url", "must start with postgres:// or postgresql://"));
                }
            }
            (StoreBackend::Sqlite, Some(_)) => {
                return Err(bad("store.url", "only used with store.backend = \"postgres\""));
            }
            (StoreBackend::Sqlite, None) => {}
        }
        if self.store.pool_size == 0 {
            return Err(bad("store.pool_size", "must be at least 1"));
        }
        for (key, p) in [
            ("store.sqlite_file", &self.store.sqlite_file),
            ("store.blob_dir", &self.store.blob_dir),
        ] {
            if p.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
                return Err(bad(key, "must not be empty"));
            }
        }

        // [tls]
        match (&self.tls.cert, &self.tls.key) {
            (Some(_), None) => return Err(bad("tls.cert", "set but tls.key is not")),
            (None, Some(_)) => return Err(bad("tls.key", "set but tls.cert is not")),
            _ => {}
        }

        // [[listener]]
        let mut names = HashSet::new();
        let mut binds = HashSet::new();
        let mut paths = HashSet::new();
        for (i, l) in self.listeners.iter().enumerate() {
            let key = |field: &str| format!("listener[{i}].{field}");
            if l.name.is_empty() {
                return Err(bad(key("name"), "must not be empty"));
            }
            if !names.insert(l.name.as_str()) {
                return Err(bad(
                    key("name"),
                    format!("{:?} is used by another listener", l.name),
                ));
            }
            match l.endpoint() {
                Err(e) => return Err(bad(key(e.key()), e.to_string())),
                // Port 0 asks the system for a free port (tests, ad-hoc runs); never two on one.
                Ok(Endpoint::Tcp(addr)) => {
                    if addr.port() != 0 && !binds.insert(addr) {
                        return Err(bad(key("port"), format!("{addr} is bound by another listener")));
                    }
                }
                Ok(Endpoint::Unix { path, mode }) => {
                    let len = path.as_os_str().len();
                    if len == 0 {
                        return Err(bad(key("path"), "must not be empty"));
                    }
                    if len > UNIX_PATH_MAX {
                        return Err(bad(
                            key("path"),
                            format!("{len} bytes long; a Unix socket path has at most {UNIX_PATH_MAX}"),
                        ));
                    }
                    if !paths.insert(path.clone()) {
                        return Err(bad(
                            key("path"),
                            format!("{} is used by another listener", path.display()),
                        ));
                    }
                    if mode > 0o777 {
                        return Err(bad(
                            key("mode"),
                            format!("{mode:04o} is not a permission mode (0000-0777)"),
                        ));
                    }
                    // A Unix socket never leaves the host: TLS would protect nothing, and there is no
                    // proxy in front whose client address a PROXY header could carry.
                    if l.tls != TlsMode::None {
                        return Err(bad(
                            key("tls"),
                            "a Unix socket listener (`path`) takes only \"none\"",
                        ));
                    }
                    if l.proxy_protocol != ProxyProtocol::Off {
                        return Err(bad(
                            key("proxy_protocol"),
                            "a Unix socket listener (`path`) takes only \"off\"",
                        ));
                    }
                }
            }
            if l.tls == TlsMode::StartTls && !l.protocol.supports_starttls() {
                return Err(bad(
                    key("tls"),
                    format!("{} has no STARTTLS; use \"none\" or \"implicit\"", l.protocol),
                ));
            }
            if l.proxy_protocol == ProxyProtocol::Off && !l.trusted_proxies.is_empty() {
                return Err(bad(key("trusted_proxies"), "set but proxy_protocol is \"off\""));
            }
        }

        // [limits]
        let lim = &self.limits;
        if lim.max_connections == 0 {
            return Err(bad("limits.max_connections", "must be at least 1"));
        }
        if lim.max_connections_per_ip == 0 {
            return Err(bad("limits.max_connections_per_ip", "must be at least 1"));
        }
        if lim.max_message_size == 0 {
            return Err(bad("limits.max_message_size", "must be at least 1"));
        }
        // RFC 5321 §4.5.3.1.4-6: SMTP lines are up to 1000 octets, and IMAP commands are longer still.
        if lim.max_line_length < 1024 {
            return Err(bad(
                "limits.max_line_length",
                format!("{} is below the minimum of 1024", lim.max_line_length),
            ));
        }

        // [timeouts]
        if self.timeouts.idle_secs == 0 {
            return Err(bad("timeouts.idle_secs", "must be at least 1"));
        }
        if self.timeouts.handshake_secs == 0 {
            return Err(bad("timeouts.handshake_secs", "must be at least 1"));
        }

        // [delivery]
        let d = &self.delivery;
        if d.srs_max_age_days == 0 || d.srs_max_age_days > 1000 {
            return Err(bad(
                "delivery.srs_max_age_days",
                format!(
                    "{} is not within 1..=1000 (the timestamp wraps after 1024 days)",
                    d.srs_max_age_days
                ),
            ));
        }
        if let Some(domain) = &d.srs_domain
            && (domain.is_empty()
                || !domain.contains('.')
                || domain
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '@'))
        {
            return Err(bad(
                "delivery.srs_domain",
                format!("{domain:?} is not a domain name"),
            ));
        }
        if d.srs_secret_file
            .as_ref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            return Err(bad("delivery.srs_secret_file", "must not be empty"));
        }

        // [outbound]
        let out = &self.outbound;
        if let Some(helo) = &out.helo_name
            && (helo.is_empty() || helo.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(bad(
                "outbound.helo_name",
                format!("{helo:?} is empty or contains whitespace"),
            ));
        }
        if out.mx_port == 0 {
            return Err(bad("outbound.mx_port", "must not be 0"));
        }
        for (key, secs) in [
            ("outbound.connect_timeout_secs", out.connect_timeout_secs),
            ("outbound.command_timeout_secs", out.command_timeout_secs),
            ("outbound.data_timeout_secs", out.data_timeout_secs),
        ] {
            if secs == 0 {
                return Err(bad(key, "must be at least 1"));
            }
        }

        // [auth]
        if self.auth.failure_window_secs == 0 {
            return Err(bad("auth.failure_window_secs", "must be at least 1"));
        }

        // [queue]
        self.validate_queue()?;

        // [log]
        if self.log.level.trim().is_empty() {
            return Err(bad("log.level", "must not be empty"));
        }

        // [maintenance]
        if self.maintenance.gc_interval_secs == 0 {
            return Err(bad("maintenance.gc_interval_secs", "must be at least 1"));
        }

        // [mail_auth]
        if self.mail_auth.verify_timeout_secs == 0 {
            return Err(bad("mail_auth.verify_timeout_secs", "must be at least 1"));
        }

        // [imap]
        if let Some(a) = &self.imap.shared_account
            && !a.trim().contains('@')
        {
            return Err(bad("imap.shared_account", "must be an account address"));
        }

        // [dav]
        if self.dav.max_resource_size == 0 {
            return Err(bad("dav.max_resource_size", "must be at least 1"));
        }
        if self.dav.max_request_size < self.dav.max_resource_size {
            return Err(bad(
                "dav.max_request_size",
                "must be at least dav.max_resource_size",
            ));
        }

        // [smtp]
        for (i, n) in self.smtp.relay_networks.iter().enumerate() {
            if Cidr::parse(n).is_none() {
                return Err(bad(
                    format!("smtp.relay_networks[{i}]"),
                    format!("{n:?} is not an address or a network (\"192.0.2.0/24\")"),
                ));
            }
        }
        if self.smtp.max_recipients == 0 {
            return Err(bad("smtp.max_recipients", "must be at least 1"));
        }
        if self.smtp.max_errors == 0 {
            return Err(bad("smtp.max_errors", "must be at least 1"));
        }
        if let Some(a) = &self.smtp.postmaster
            && !a.trim().contains('@')
        {
            return Err(bad("smtp.postmaster", "must be an address"));
        }

        // [sieve]
        self.sieve.validate()?;
        Ok(())
    }
}

impl Config {
    fn validate_queue(&self) -> Result<(), ConfigError> {
        fn bad(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
            ConfigError::invalid(key, message)
        }
        let q = &self.queue;
        if q.retry_schedule_secs.is_empty() {
            return Err(bad(
                "queue.retry_schedule_secs",
                "must list at least one interval",
            ));
        }
        if q.retry_schedule_secs.contains(&0) {
            return Err(bad("queue.retry_schedule_secs", "intervals must be at least 1"));
        }
        if q.max_age_secs == 0 {
            return Err(bad("queue.max_age_secs", "must be at least 1"));
        }
        if q.concurrency == 0 {
            return Err(bad("queue.concurrency", "must be at least 1"));
        }
        if q.per_destination == 0 {
            return Err(bad("queue.per_destination", "must be at least 1"));
        }
        if q.lease_secs == 0 {
            return Err(bad("queue.lease_secs", "must be at least 1"));
        }
        if let Some(h) = &q.relayhost
            && split_host_port(h).is_none()
        {
            return Err(bad("queue.relayhost", format!("{h:?} is not host or host:port")));
        }
        for (i, r) in q.routes.iter().enumerate() {
            let key = |field: &str| format!("queue.route[{i}].{field}");
            let p = r.pattern.trim();
            let valid = p == "*"
                || (!p.is_empty()
                    && !p.chars().any(|c| c.is_whitespace() || c.is_control())
                    && p.rsplit_once('@')
                        .is_none_or(|(l, d)| !l.is_empty() && !d.is_empty()));
            if !valid {
                return Err(bad(
                    key("match"),
                    format!("{:?} is not an address, a domain, .domain or *", r.pattern),
                ));
            }
            let relay = r.action == RouteAction::Relay;
            match (&r.host, r.action) {
                (None, RouteAction::Relay) => return Err(bad(key("host"), "required for action \"relay\"")),
                (Some(h), RouteAction::Relay | RouteAction::Mx) if h.trim().is_empty() => {
                    return Err(bad(key("host"), "must not be empty"));
                }
                (Some(_), RouteAction::Local | RouteAction::Refuse) => {
                    return Err(bad(key("host"), "only used with action \"relay\" or \"mx\""));
                }
                _ => {}
            }
            if !relay {
                for (field, set) in [
                    ("port", r.port.is_some()),
                    ("auth_user", r.auth_user.is_some()),
                    ("auth_password_file", r.auth_password_file.is_some()),
                    ("require_tls", r.require_tls),
                ] {
                    if set {
                        return Err(bad(key(field), "only used with action \"relay\""));
                    }
                }
            }
            if r.port == Some(0) {
                return Err(bad(key("port"), "must not be 0"));
            }
            if r.auth_user.is_some() != r.auth_password_file.is_some() {
                return Err(bad(
                    key("auth_user"),
                    "auth_user and auth_password_file go together",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn err(s: &str) -> String {
        Config::from_toml_str(s).unwrap_err().to_string()
    }

    #[test]
    fn defaults() {
        let c = Config::from_toml_str("").unwrap();
        assert!(!c.hostname.is_empty());
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/malt"));
        assert_eq!(c.store.backend, StoreBackend::Sqlite);
        assert_eq!(c.store.pool_size, 16);
        assert_eq!(c.sqlite_file(), PathBuf::from("/var/lib/malt/malt.db"));
        assert_eq!(c.blob_dir(), PathBuf::from("/var/lib/malt/blobs"));
        assert_eq!(c.tls_dir(), PathBuf::from("/var/lib/malt/tls"));
        assert!(
            c.listeners.is_empty(),
            "a file without [[listener]] has no listeners"
        );
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.limits.max_connections, 4096);
        assert_eq!(c.limits.max_connections_per_ip, 64);
        assert_eq!(c.limits.max_message_size, 50 * 1024 * 1024);
        assert_eq!(c.limits.max_line_length, 65536);
        assert_eq!(
            (
                c.timeouts.idle_secs,
                c.timeouts.handshake_secs,
                c.timeouts.shutdown_grace_secs
            ),
            (1800, 30, 30)
        );
        assert!(!c.auth.allow_plaintext_without_tls);
        assert_eq!(c.auth.cache_ttl_secs, 60);
        assert_eq!(
            (c.auth.max_failures_per_ip, c.auth.max_failures_per_account),
            (10, 10)
        );
        assert_eq!(c.auth.failure_window_secs, 300);
        assert_eq!(c.log.format, LogFormat::Text);
        assert_eq!(c.log.level, "info");
        assert_eq!(c.imap.shared_account, None);
        assert!(c.mail_auth.verify && c.mail_auth.dkim_sign);
        assert_eq!(c.mail_auth.verify_timeout_secs, 10);
        assert_eq!(c.delivery.dedup_window_secs, 86_400);
        assert!(c.delivery.srs && c.delivery.srs_domain.is_none() && c.delivery.srs_secret_file.is_none());
        assert_eq!(c.delivery.srs_max_age_days, 21);
        assert_eq!(c.outbound, OutboundConfig::default());
        assert_eq!(
            (
                c.outbound.mx_port,
                c.outbound.command_timeout_secs,
                c.outbound.data_timeout_secs
            ),
            (25, 300, 600)
        );
        assert_eq!(c.helo_name(), c.hostname);
        assert_eq!(
            c.maintenance,
            MaintenanceConfig {
                gc_interval_secs: 3600,
                gc_grace_secs: 3600
            }
        );
    }

    #[test]
    fn zero_config_listeners() {
        let c = Config::zero_config(PathBuf::from("/tmp/x"));
        c.validate().unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        let got: Vec<(&str, Protocol, u16, TlsMode)> = c
            .listeners
            .iter()
            .map(|l| (l.name.as_str(), l.protocol, l.port.unwrap(), l.tls))
            .collect();
        use Protocol::*;
        use TlsMode::*;
        assert_eq!(
            got,
            vec![
                ("smtp", Smtp, 2525, StartTls),
                ("submission", Submission, 2587, StartTls),
                ("submissions", Submission, 2465, Implicit),
                ("lmtp", Lmtp, 2424, TlsMode::None),
                ("imap", Imap, 2143, StartTls),
                ("imaps", Imap, 2993, Implicit),
                ("pop3", Pop3, 2110, StartTls),
                ("pop3s", Pop3, 2995, Implicit),
                ("managesieve", ManageSieve, 4190, StartTls),
                ("http", Http, 8080, TlsMode::None),
                ("https", Http, 8443, Implicit),
            ]
        );
        assert!(
            c.listeners
                .iter()
                .all(|l| l.address == Some(IpAddr::V4(Ipv4Addr::LOCALHOST)))
        );
        // No Unix socket by default.
        assert!(c.listeners.iter().all(|l| l.path.is_none()));
    }

    #[test]
    fn unknown_key_is_named() {
        let e = err("hostnme = \"x\"\n");
        assert!(e.contains("unknown field `hostnme`"), "{e}");
        let e = err("[[listener]]\nname = \"a\"\nprot = \"imap\"\nport = 1\n");
        assert!(e.contains("unknown field `prot`"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        let e = err("[store]\nbackend = \"mysql\"\n");
        assert!(e.contains("mysql"), "{e}");
        let e = err("[limits]\nmax_connections = \"many\"\n");
        assert!(e.contains("max_connections") || e.contains("line 2"), "{e}");
        let e = err("[[listener]]\nname = \"a\"\nport = 1\n");
        assert!(e.contains("missing field `protocol`"), "{e}");
    }

    #[test]
    fn load_prefixes_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("malt.toml");
        std::fs::write(&p, "bogus = 1\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.starts_with(&format!("config {}: ", p.display())), "{e}");
        assert!(e.contains("unknown field `bogus`"), "{e}");

        std::fs::write(&p, "[tls]\ncert = \"/c.pem\"\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert_eq!(
            e,
            format!("config {}: tls.cert: set but tls.key is not", p.display())
        );

        let e = Config::load(&dir.path().join("missing.toml")).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }));

        std::fs::write(&p, "data_dir = \"rel/dir\"\n").unwrap();
        assert_eq!(Config::load(&p).unwrap().data_dir, PathBuf::from("rel/dir"));
    }

    #[test]
    fn validation_rules() {
        let l = |extra: &str| format!("[[listener]]\nname = \"a\"\nprotocol = \"imap\"\nport = 143\n{extra}");
        let cases: Vec<(String, &str)> = vec![
            ("hostname = \"\"".into(), "hostname: must not be empty"),
            (
                "hostname = \"a b\"".into(),
                "hostname: \"a b\" contains whitespace",
            ),
            ("data_dir = \"\"".into(), "data_dir: must not be empty"),
            (
                "[store]\nbackend = \"postgres\"".into(),
                "store.url: required when store.backend = \"postgres\"",
            ),
            (
                "[store]\nbackend = \"postgres\"\nurl = \"mysql://x\"".into(),
                "store.url: must start with postgres://",
            ),
            (
                "[store]\nurl = \"postgres://x\"".into(),
                "store.url: only used with store.backend = \"postgres\"",
            ),
            (
                "[store]\npool_size = 0".into(),
                "store.pool_size: must be at least 1",
            ),
            (
                "[store]\nblob_dir = \"\"".into(),
                "store.blob_dir: must not be empty",
            ),
            (
                "[delivery]\nsrs_max_age_days = 0".into(),
                "delivery.srs_max_age_days: 0 is not within 1..=1000",
            ),
            (
                "[delivery]\nsrs_domain = \"a b.example\"".into(),
                "delivery.srs_domain: \"a b.example\" is not a domain name",
            ),
            ("[tls]\ncert = \"/c\"".into(), "tls.cert: set but tls.key is not"),
            ("[tls]\nkey = \"/k\"".into(), "tls.key: set but tls.cert is not"),
            (
                l("").replace("name = \"a\"", "name = \"\""),
                "listener[0].name: must not be empty",
            ),
            (
                format!("{}{}", l(""), l("port = 2\n").replace("port = 143\n", "")),
                "listener[1].name: \"a\" is used",
            ),
            (
                format!("{}{}", l(""), l("").replace("\"a\"", "\"b\"")),
                "listener[1].port: 0.0.0.0:143 is bound by another listener",
            ),
            (
                l("tls = \"starttls\"").replace("imap", "http"),
                "listener[0].tls: http has no STARTTLS; use \"none\" or \"implicit\"",
            ),
            (
                l("trusted_proxies = [\"10.0.0.1\"]"),
                "listener[0].trusted_proxies: set but proxy_protocol is \"off\"",
            ),
            (
                "[limits]\nmax_connections = 0".into(),
                "limits.max_connections: must be at least 1",
            ),
            (
                "[limits]\nmax_connections_per_ip = 0".into(),
                "limits.max_connections_per_ip: must be at least 1",
            ),
            (
                "[limits]\nmax_message_size = 0".into(),
                "limits.max_message_size: must be at least 1",
            ),
            (
                "[limits]\nmax_line_length = 100".into(),
                "limits.max_line_length: 100 is below the minimum of 1024",
            ),
            (
                "[timeouts]\nidle_secs = 0".into(),
                "timeouts.idle_secs: must be at least 1",
            ),
            (
                "[timeouts]\nhandshake_secs = 0".into(),
                "timeouts.handshake_secs: must be at least 1",
            ),
            (
                "[auth]\nfailure_window_secs = 0".into(),
                "auth.failure_window_secs: must be at least 1",
            ),
            ("[log]\nlevel = \" \"".into(), "log.level: must not be empty"),
            (
                "[mail_auth]\nverify_timeout_secs = 0".into(),
                "mail_auth.verify_timeout_secs: must be at least 1",
            ),
            (
                "[maintenance]\ngc_interval_secs = 0".into(),
                "maintenance.gc_interval_secs: must be at least 1",
            ),
            (
                "[imap]\nshared_account = \"shared\"".into(),
                "imap.shared_account: must be an account address",
            ),
            (
                "[dav]\nmax_resource_size = 0".into(),
                "dav.max_resource_size: must be at least 1",
            ),
            (
                "[dav]\nmax_resource_size = 100\nmax_request_size = 99".into(),
                "dav.max_request_size: must be at least dav.max_resource_size",
            ),
            (
                "[smtp]\nrelay_networks = [\"10.0.0.0/8\", \"10.0.0.0/33\"]".into(),
                "smtp.relay_networks[1]: \"10.0.0.0/33\" is not an address or a network",
            ),
            (
                "[smtp]\nrelay_networks = [\"example.org\"]".into(),
                "smtp.relay_networks[0]: \"example.org\" is not",
            ),
            (
                "[smtp]\nmax_recipients = 0".into(),
                "smtp.max_recipients: must be at least 1",
            ),
            (
                "[smtp]\nmax_errors = 0".into(),
                "smtp.max_errors: must be at least 1",
            ),
            (
                "[smtp]\npostmaster = \"root\"".into(),
                "smtp.postmaster: must be an address",
            ),
        ];
        for (toml, want) in cases {
            let e = err(&toml);
            assert!(
                e.starts_with(&format!("config: {want}")),
                "for {toml:?}: got {e:?}, want {want:?}"
            );
        }
        // The same listener with PROXY protocol and trusted proxies is fine.
        let ok = l("proxy_protocol = \"any\"\ntrusted_proxies = [\"10.0.0.1\", \"::1\"]");
        let c = Config::from_toml_str(&ok).unwrap();
        assert_eq!(c.listeners[0].proxy_protocol, ProxyProtocol::Any);
        assert_eq!(c.listeners[0].address, None);
        assert_eq!(
            c.listeners[0].endpoint(),
            Ok(Endpoint::Tcp(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                143
            )))
        );
    }

    #[test]
    fn example_file_parses() {
        let c = Config::from_toml_str(include_str!("../../../malt.example.toml")).unwrap();
        assert_eq!(c.hostname, "mail.example.com");
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/malt"));
        assert_eq!(c.store.backend, StoreBackend::Sqlite);
        assert!(c.dav.public_free_busy);
        let ports: Vec<u16> = c.listeners.iter().filter_map(|l| l.port).collect();
        assert_eq!(ports, vec![25, 587, 465, 24, 143, 993, 110, 995, 4190, 80, 443]);
        // Public services on every interface; LMTP (no authentication) on loopback only.
        for l in &c.listeners {
            let expected = if l.protocol == Protocol::Lmtp {
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            } else {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            };
            assert_eq!(l.address, Some(expected), "{}", l.name);
        }
    }

    /// The commented-out Unix socket listener of the example file is valid once uncommented.
    #[test]
    fn example_unix_listener_parses() {
        let example = include_str!("../../../malt.example.toml");
        let start = example.find("# [[listener]]\n# name = \"lmtp-unix\"").unwrap();
        let block: String = example[start..]
            .lines()
            .map_while(|l| l.strip_prefix("# "))
            .map(|l| format!("{l}\n"))
            .collect();
        let c = Config::from_toml_str(&format!("{example}\n{block}")).unwrap();
        let l = c.listeners.last().unwrap();
        assert_eq!((l.name.as_str(), l.protocol), ("lmtp-unix", Protocol::Lmtp));
        assert_eq!(
            l.endpoint(),
            Ok(Endpoint::Unix {
                path: PathBuf::from("/run/malt/lmtp.sock"),
                mode: 0o660
            })
        );
    }

    #[test]
    fn unix_listeners() {
        let u = |extra: &str| {
            format!(
                "[[listener]]\nname = \"u\"\nprotocol = \"lmtp\"\npath = \"/run/malt/lmtp.sock\"\n{extra}"
            )
        };
        let c = Config::from_toml_str(&u("")).unwrap();
        let l = &c.listeners[0];
        assert_eq!((l.address, l.port, l.mode), (None, None, None));
        assert_eq!(
            l.endpoint(),
            Ok(Endpoint::Unix {
                path: PathBuf::from("/run/malt/lmtp.sock"),
                mode: DEFAULT_SOCKET_MODE
            })
        );
        assert_eq!(l.endpoint().unwrap().to_string(), "unix:/run/malt/lmtp.sock");
        assert_eq!(
            *l,
            ListenerConfig::unix("u", Protocol::Lmtp, "/run/malt/lmtp.sock")
        );
        for (mode, bits) in [("0600", 0o600), ("666", 0o666), ("0000", 0), ("0777", 0o777)] {
            let c = Config::from_toml_str(&u(&format!("mode = \"{mode}\"\n"))).unwrap();
            assert_eq!(c.listeners[0].mode, Some(bits), "{mode}");
        }
        // Every protocol may listen on a Unix socket (LMTP from the MTA; IMAP, HTTP... behind a local proxy).
        for p in Protocol::ALL {
            Config::from_toml_str(&u("").replace("\"lmtp\"", &format!("\"{p}\""))).unwrap();
        }
        // A TCP listener with only a port still binds 0.0.0.0.
        let c =
            Config::from_toml_str("[[listener]]\nname = \"t\"\nprotocol = \"imap\"\nport = 143\n").unwrap();
        assert_eq!(
            c.listeners[0].endpoint(),
            Ok(Endpoint::Tcp("0.0.0.0:143".parse().unwrap()))
        );
        // The example's serialised form reads back the same.
        let l = ListenerConfig {
            mode: Some(0o640),
            ..ListenerConfig::unix("u", Protocol::Lmtp, "/run/x.sock")
        };
        let text = toml::to_string(&Config {
            listeners: vec![l.clone()],
            ..Config::default()
        })
        .unwrap();
        assert!(text.contains("mode = \"0640\""), "{text}");
        assert_eq!(Config::from_toml_str(&text).unwrap().listeners, vec![l]);

        let long = format!("/run/{}", "x".repeat(UNIX_PATH_MAX));
        let cases: Vec<(String, String)> = vec![
            (
                u("address = \"127.0.0.1\"\n"),
                "listener[0].address: not used by a Unix socket listener (`path`)".into(),
            ),
            (
                u("port = 24\n"),
                "listener[0].port: not used by a Unix socket listener (`path`); set either `port` or `path`"
                    .into(),
            ),
            (
                u("").replace("path = \"/run/malt/lmtp.sock\"\n", ""),
                "listener[0].port: required (or `path` for a Unix socket listener)".into(),
            ),
            (
                "[[listener]]\nname = \"t\"\nprotocol = \"lmtp\"\nport = 24\nmode = \"0660\"\n".into(),
                "listener[0].mode: only for a Unix socket listener (`path`)".into(),
            ),
            (
                u("").replace("/run/malt/lmtp.sock", ""),
                "listener[0].path: must not be empty".into(),
            ),
            (
                u("").replace("/run/malt/lmtp.sock", &long),
                format!(
                    "listener[0].path: {} bytes long; a Unix socket path has at most 107",
                    long.len()
                ),
            ),
            (
                format!("{}{}", u(""), u("").replace("\"u\"", "\"v\"")),
                "listener[1].path: /run/malt/lmtp.sock is used by another listener".into(),
            ),
            (
                u("tls = \"starttls\"\n"),
                "listener[0].tls: a Unix socket listener (`path`) takes only \"none\"".into(),
            ),
            (
                u("tls = \"implicit\"\n"),
                "listener[0].tls: a Unix socket listener (`path`) takes only \"none\"".into(),
            ),
            (
                u("proxy_protocol = \"v2\"\n"),
                "listener[0].proxy_protocol: a Unix socket listener (`path`) takes only \"off\"".into(),
            ),
            (
                u("trusted_proxies = [\"10.0.0.1\"]\n"),
                "listener[0].trusted_proxies: set but proxy_protocol is \"off\"".into(),
            ),
        ];
        for (toml, want) in cases {
            let e = err(&toml);
            assert!(
                e.starts_with(&format!("config: {want}")),
                "for {toml:?}: got {e:?}, want {want:?}"
            );
        }
        // A mode out of range set in code is refused by validate().
        let c = Config {
            listeners: vec![ListenerConfig {
                mode: Some(0o4755),
                ..ListenerConfig::unix("u", Protocol::Lmtp, "/run/x.sock")
            }],
            ..Config::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "config: listener[0].mode: 4755 is not a permission mode (0000-0777)"
        );
        // Malformed modes are TOML errors pointing at the value.
        for bad in ["\"660x\"", "\"0o660\"", "\"06600\"", "\"66\"", "\"0890\"", "432"] {
            let e = err(&u(&format!("mode = {bad}\n")));
            assert!(e.contains("line 5"), "{bad}: {e}");
            assert!(e.contains("octal mode"), "{bad}: {e}");
        }
    }

    #[test]
    fn smtp_section() {
        let c = Config::from_toml_str("").unwrap();
        assert_eq!(c.smtp, SmtpConfig::default());
        assert!(c.smtp.relay_networks.is_empty());
        assert_eq!(
            (
                c.smtp.max_recipients,
                c.smtp.max_errors,
                c.smtp.max_messages_per_ip_per_minute
            ),
            (100, 20, 60)
        );
        let c = Config::from_toml_str(
            "[smtp]\nrelay_networks = [\"192.0.2.0/24\", \"2001:db8::/32\", \"198.51.100.7\"]\n\
             max_recipients = 5\npostmaster = \"admin@example.org\"\n",
        )
        .unwrap();
        let nets = c.smtp.relay_cidrs();
        assert_eq!(nets.len(), 3);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(nets[0].contains(ip("192.0.2.200")));
        assert!(nets[0].contains(ip("::ffff:192.0.2.1")));
        assert!(!nets[0].contains(ip("192.0.3.1")));
        assert!(nets[1].contains(ip("2001:db8:ffff::1")));
        assert!(!nets[1].contains(ip("2001:db9::1")));
        assert!(!nets[1].contains(ip("192.0.2.1")));
        assert!(nets[2].contains(ip("198.51.100.7")));
        assert!(!nets[2].contains(ip("198.51.100.8")));
        assert_eq!(nets[2].to_string(), "198.51.100.7/32");
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.9")));
        assert!(Cidr::parse("::/0").unwrap().contains(ip("2001:db8::1")));
        for bad in ["", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "::/129", "host/8"] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn protocol_names_round_trip() {
        for p in Protocol::ALL {
            let s = format!("[[listener]]\nname = \"x\"\nprotocol = \"{p}\"\nport = 1\n");
            assert_eq!(Config::from_toml_str(&s).unwrap().listeners[0].protocol, p);
        }
    }

    #[test]
    fn queue_section() {
        let c = Config::from_toml_str("").unwrap();
        assert_eq!(c.queue, QueueConfig::default());
        assert_eq!(
            c.queue.retry_schedule_secs,
            vec![300, 900, 1800, 3600, 7200, 14400]
        );
        assert_eq!(
            (c.queue.max_age_secs, c.queue.delay_warning_secs),
            (432_000, 14_400)
        );
        assert_eq!(
            (c.queue.concurrency, c.queue.per_destination, c.queue.lease_secs),
            (16, 4, 600)
        );

        let c = Config::from_toml_str(
            "[queue]\nretry_schedule_secs = [1, 2]\nrelayhost = \"smart.example.net:587\"\n\
             [[queue.route]]\nmatch = \"example.org\"\naction = \"relay\"\nhost = \"10.0.0.1\"\nport = 2525\n\
             auth_user = \"u\"\nauth_password_file = \"/etc/malt/pw\"\nrequire_tls = true\n\
             [[queue.route]]\nmatch = \"spam@example.net\"\naction = \"refuse\"\n",
        )
        .unwrap();
        assert_eq!(c.queue.retry_schedule_secs, vec![1, 2]);
        assert_eq!(c.queue.routes.len(), 2);
        assert_eq!(c.queue.routes[0].action, RouteAction::Relay);
        assert_eq!(c.queue.routes[0].port, Some(2525));
        assert!(c.queue.routes[0].require_tls);
        assert_eq!(c.queue.routes[1].pattern, "spam@example.net");

        for (toml, key) in [
            ("[queue]\nretry_schedule_secs = []\n", "queue.retry_schedule_secs"),
            (
                "[queue]\nretry_schedule_secs = [0]\n",
                "queue.retry_schedule_secs",
            ),
            ("[queue]\nconcurrency = 0\n", "queue.concurrency"),
            ("[queue]\nper_destination = 0\n", "queue.per_destination"),
            ("[queue]\nmax_age_secs = 0\n", "queue.max_age_secs"),
            ("[queue]\nlease_secs = 0\n", "queue.lease_secs"),
            ("[queue]\nrelayhost = \"a:b\"\n", "queue.relayhost"),
            (
                "[[queue.route]]\nmatch = \"a b\"\naction = \"mx\"\n",
                "queue.route[0].match",
            ),
            (
                "[[queue.route]]\nmatch = \"@x\"\naction = \"mx\"\n",
                "queue.route[0].match",
            ),
            (
                "[[queue.route]]\nmatch = \"x\"\naction = \"relay\"\n",
                "queue.route[0].host",
            ),
            (
                "[[queue.route]]\nmatch = \"x\"\naction = \"local\"\nhost = \"h\"\n",
                "queue.route[0].host",
            ),
            (
                "[[queue.route]]\nmatch = \"x\"\naction = \"mx\"\nport = 25\n",
                "queue.route[0].port",
            ),
            (
                "[[queue.route]]\nmatch = \"x\"\naction = \"relay\"\nhost = \"h\"\nauth_user = \"u\"\n",
                "queue.route[0].auth_user",
            ),
        ] {
            assert!(err(toml).contains(key), "{toml}: {}", err(toml));
        }
        assert!(err("[[queue.route]]\nmatch = \"x\"\naction = \"bounce\"\n").contains("action"));
        assert!(
            err("[[queue.route]]\nmatch = \"x\"\naction = \"mx\"\nauth_password = \"p\"\n")
                .contains("auth_password")
        );
    }

    #[test]
    fn host_and_port() {
        assert_eq!(
            split_host_port("smtp.example.net"),
            Some(("smtp.example.net".into(), 25))
        );
        assert_eq!(
            split_host_port("smtp.example.net:587"),
            Some(("smtp.example.net".into(), 587))
        );
        assert_eq!(
            split_host_port("[2001:db8::1]:465"),
            Some(("[2001:db8::1]".into(), 465))
        );
        assert_eq!(split_host_port("[192.0.2.1]"), Some(("[192.0.2.1]".into(), 25)));
        for bad in [
            "",
            "a:",
            ":25",
            "a:0",
            "a:x",
            "2001:db8::1",
            "[]:25",
            "[a]x",
            "a b",
        ] {
            assert_eq!(split_host_port(bad), None, "{bad}");
        }
    }

    #[test]
    fn outbound_section() {
        let c = Config::from_toml_str(
            "hostname = \"mail.example.org\"\n[outbound]\nhelo_name = \"out.example.org\"\nmx_port = 2525\n\
             idle_connection_secs = 5\nmax_idle_per_destination = 0\n",
        )
        .unwrap();
        assert_eq!(c.helo_name(), "out.example.org");
        assert_eq!(c.outbound.mx_port, 2525);
        assert_eq!(c.outbound.max_idle_per_destination, 0);
        assert!(err("[outbound]\nmx_port = 0\n").contains("outbound.mx_port"));
        assert!(err("[outbound]\ndata_timeout_secs = 0\n").contains("outbound.data_timeout_secs"));
        assert!(err("[outbound]\nhelo_name = \"a b\"\n").contains("outbound.helo_name"));
        assert!(err("[outbound]\ndns_servers = []\n").contains("dns_servers"));
    }

    #[test]
    fn sieve_section() {
        let c = Config::from_toml_str("").unwrap();
        assert_eq!(c.sieve, SieveConfig::default());
        assert_eq!(
            (
                c.sieve.max_scripts,
                c.sieve.max_script_size,
                c.sieve.max_redirects
            ),
            (32, 1 << 20, 4)
        );
        assert!(c.sieve.enabled, "Sieve runs at delivery by default");
        let c = Config::from_toml_str(
            "[sieve]\nenabled = false\nmax_scripts = 5\nmax_script_size = 4096\nmax_redirects = 2\n\
             before = [\"/etc/malt/sieve/spam.sieve\"]\nafter = [\"/a.sieve\", \"/b.sieve\"]\n\
             global_dir = \"/etc/malt/sieve/global\"\n",
        )
        .unwrap();
        assert_eq!((c.sieve.max_scripts, c.sieve.max_script_size), (5, 4096));
        assert!(!c.sieve.enabled);
        assert_eq!(c.sieve.before, vec![PathBuf::from("/etc/malt/sieve/spam.sieve")]);
        assert_eq!(c.sieve.after.len(), 2);
        assert_eq!(c.sieve.global_dir, Some(PathBuf::from("/etc/malt/sieve/global")));
        assert_eq!(
            err("[sieve]\nmax_scripts = 0\n"),
            "config: sieve.max_scripts: must be at least 1"
        );
        assert!(err("[sieve]\nmax_instructions = 0\n").contains("sieve.max_instructions"));
        assert!(
            err("[sieve]\nmin_vacation_seconds = 10\nmax_vacation_seconds = 5\n")
                .contains("sieve.min_vacation_seconds: 10 is above")
        );
        assert!(err("[sieve]\nafter = [\"/a\", \"\"]\n").contains("sieve.after[1]"));
        assert!(err("[sieve]\nglobal_dir = \"\"\n").contains("sieve.global_dir"));
        assert!(err("[sieve]\nmax_scrips = 1\n").contains("unknown field `max_scrips`"));
    }
}
