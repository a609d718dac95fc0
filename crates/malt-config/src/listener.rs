//! `[[listener]]`: what a listener speaks and where it listens (a TCP address and port, or a Unix
//! domain socket), and how [`ListenerConfig::endpoint`] tells the two apart.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The protocol a listener speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// SMTP for incoming mail (MX), RFC 5321.
    Smtp,
    /// Message submission, RFC 6409 (587 with STARTTLS, 465 implicit TLS per RFC 8314).
    Submission,
    /// LMTP, RFC 2033.
    Lmtp,
    /// IMAP4rev2, RFC 9051.
    Imap,
    /// POP3, RFC 1939.
    Pop3,
    /// ManageSieve, RFC 5804.
    ManageSieve,
    /// HTTP (health, metrics, and later DAV and the web UI).
    Http,
}

impl Protocol {
    /// Every protocol, in a fixed order.
    pub const ALL: [Protocol; 7] = [
        Protocol::Smtp,
        Protocol::Submission,
        Protocol::Lmtp,
        Protocol::Imap,
        Protocol::Pop3,
        Protocol::ManageSieve,
        Protocol::Http,
    ];

    /// The config spelling, also used as a metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Smtp => "smtp",
            Protocol::Submission => "submission",
            Protocol::Lmtp => "lmtp",
            Protocol::Imap => "imap",
            Protocol::Pop3 => "pop3",
            Protocol::ManageSieve => "managesieve",
            Protocol::Http => "http",
        }
    }

    /// Whether the protocol has a STARTTLS-style upgrade command.
    pub fn supports_starttls(self) -> bool {
        !matches!(self, Protocol::Http)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How TLS is used on a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text only.
    #[default]
    None,
    /// Plain text, upgraded by the protocol's STARTTLS/STLS command.
    StartTls,
    /// TLS from the first byte (RFC 8314 "implicit TLS").
    Implicit,
}

impl TlsMode {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::StartTls => "starttls",
            TlsMode::Implicit => "implicit",
        }
    }
}

/// Whether a listener expects a HAProxy PROXY protocol header before the client's first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyProtocol {
    /// No header expected (the default).
    #[default]
    Off,
    /// Text header (version 1) required.
    V1,
    /// Binary header (version 2) required.
    V2,
    /// Either version required.
    Any,
}

/// One `[[listener]]`: a TCP socket (`address`, `port`) or a Unix domain socket (`path`, `mode`),
/// exactly one of the two ([`ListenerConfig::endpoint`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerConfig {
    /// A unique name, used in logs and to find the listener (`Server::local_addr`).
    pub name: String,
    /// The protocol spoken.
    pub protocol: Protocol,
    /// TCP: the address to bind. Default `0.0.0.0`. Not with `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    /// TCP: the port to bind (0 lets the system pick one). Required unless `path` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// A Unix domain socket to listen on instead of `address`/`port` (e.g. `/run/malt/lmtp.sock`, for
    /// Postfix's `lmtp:unix:` transport). At most [`UNIX_PATH_MAX`] bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// `path` only: the socket file's permission bits; TOML: an octal string. Default `"0660"`
    /// ([`DEFAULT_SOCKET_MODE`]).
    #[serde(default, with = "octal_mode", skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// `none` (default), `starttls` or `implicit`. Only `none` with `path`.
    #[serde(default)]
    pub tls: TlsMode,
    /// `off` (default), `v1`, `v2` or `any`. Only `off` with `path`.
    #[serde(default)]
    pub proxy_protocol: ProxyProtocol,
    /// Peers allowed to send a PROXY header; empty means any peer. Connections from other peers are closed.
    #[serde(default)]
    pub trusted_proxies: Vec<IpAddr>,
}

/// The permission bits of a Unix socket listener's file when `mode` is not set: owner and group may
/// connect (connecting needs write permission on the socket file).
pub const DEFAULT_SOCKET_MODE: u32 = 0o660;

/// The longest Unix socket path, in bytes: Linux's `sun_path` holds 108 bytes including the final NUL.
pub const UNIX_PATH_MAX: usize = 107;

/// Where a listener accepts connections: what [`ListenerConfig::endpoint`] makes of its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A TCP socket (`address`, default `0.0.0.0`, and `port`).
    Tcp(SocketAddr),
    /// A Unix domain socket at `path`, its file given the permission bits `mode`.
    Unix {
        /// The socket file.
        path: PathBuf,
        /// Its permission bits (`mode`, default [`DEFAULT_SOCKET_MODE`]).
        mode: u32,
    },
}

/// Why a listener's keys name no endpoint: a TCP and a Unix key mixed, or neither form given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Neither `port` nor `path`.
    #[error("required (or `path` for a Unix socket listener)")]
    NoPort,
    /// `path` together with `address`.
    #[error("not used by a Unix socket listener (`path`)")]
    AddressWithPath,
    /// `path` together with `port`.
    #[error("not used by a Unix socket listener (`path`); set either `port` or `path`")]
    PortWithPath,
    /// `mode` without `path`.
    #[error("only for a Unix socket listener (`path`)")]
    ModeWithoutPath,
}

impl EndpointError {
    /// The listener key the error is about (`port`, `address` or `mode`).
    pub fn key(self) -> &'static str {
        match self {
            EndpointError::NoPort | EndpointError::PortWithPath => "port",
            EndpointError::AddressWithPath => "address",
            EndpointError::ModeWithoutPath => "mode",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp(a) => write!(f, "{a}"),
            Endpoint::Unix { path, .. } => write!(f, "unix:{}", path.display()),
        }
    }
}

fn default_listen_address() -> IpAddr {
    IpAddr::V4(Ipv4Addr::UNSPECIFIED)
}

impl ListenerConfig {
    /// A TCP listener with no PROXY protocol.
    pub fn new(name: &str, protocol: Protocol, address: IpAddr, port: u16, tls: TlsMode) -> Self {
        ListenerConfig {
            name: name.to_string(),
            protocol,
            address: Some(address),
            port: Some(port),
            path: None,
            mode: None,
            tls,
            proxy_protocol: ProxyProtocol::Off,
            trusted_proxies: Vec::new(),
        }
    }

    /// A Unix domain socket listener at `path` (mode [`DEFAULT_SOCKET_MODE`], no TLS).
    pub fn unix(name: &str, protocol: Protocol, path: impl Into<PathBuf>) -> Self {
        ListenerConfig {
            name: name.to_string(),
            protocol,
            address: None,
            port: None,
            path: Some(path.into()),
            mode: None,
            tls: TlsMode::None,
            proxy_protocol: ProxyProtocol::Off,
            trusted_proxies: Vec::new(),
        }
    }

    /// Where the listener accepts connections: `path` (with `mode`) for a Unix socket, else `address`
    /// (default `0.0.0.0`) and `port`. Mixing the two forms, or giving neither, is an error
    /// ([`Config::validate`] reports it under the key [`EndpointError::key`] names).
    pub fn endpoint(&self) -> Result<Endpoint, EndpointError> {
        match &self.path {
            Some(path) => {
                if self.address.is_some() {
                    return Err(EndpointError::AddressWithPath);
                }
                if self.port.is_some() {
                    return Err(EndpointError::PortWithPath);
                }
                Ok(Endpoint::Unix {
                    path: path.clone(),
                    mode: self.mode.unwrap_or(DEFAULT_SOCKET_MODE),
                })
            }
            None => {
                if self.mode.is_some() {
                    return Err(EndpointError::ModeWithoutPath);
                }
                let port = self.port.ok_or(EndpointError::NoPort)?;
                Ok(Endpoint::Tcp(SocketAddr::new(
                    self.address.unwrap_or_else(default_listen_address),
                    port,
                )))
            }
        }
    }
}

/// `mode = "0660"`: permission bits as an octal string of 3 or 4 digits (a TOML integer would be read
/// as decimal, so it is refused). The range (at most `0777`) is checked by [`Config::validate`].
mod octal_mode {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(mode: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match mode {
            Some(m) => s.serialize_str(&format!("{m:04o}")),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        struct Octal;
        impl Visitor<'_> for Octal {
            type Value = Option<u32>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an octal mode string like \"0660\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if !(3..=4).contains(&v.len()) || !v.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                    return Err(E::custom(format!(
                        "{v:?} is not an octal mode: give 3 or 4 octal digits, like \"0660\""
                    )));
                }
                u32::from_str_radix(v, 8).map(Some).map_err(E::custom)
            }
        }
        d.deserialize_str(Octal)
    }
}
