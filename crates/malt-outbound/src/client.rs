//! One SMTP client session to one server address (RFC 5321), on tokio.
//!
//! Order of a session: connect → greeting (`220`, else the server refuses, RFC 5321 §3.1) → `EHLO`
//! (`HELO` when EHLO gets a 5xx, RFC 5321 §3.2) → `STARTTLS` per [`TlsPolicy`] (RFC 3207), then `EHLO`
//! again (RFC 3207 §4.2: everything learnt before is forgotten) → optional `AUTH PLAIN`/`LOGIN` (RFC 4954,
//! RFC 4616) → transactions ([`Connection::send`]) separated by `RSET` → `QUIT`.
//!
//! Invariants:
//! - Every read of a reply and every write has a timeout (RFC 5321 §4.5.3.2: the greeting, MAIL, RCPT and
//!   other commands wait [`Timeouts::command`], 5 minutes by default; sending the data and waiting for the
//!   reply to its end wait [`Timeouts::data`], 10 minutes). Replies are bounded ([`crate::reply`]).
//! - A reply the client did not ask for never counts: after `STARTTLS`'s 220 any octet already received is
//!   an attack on the plaintext phase (as CVE-2011-0411 on the server side) and ends the session.
//! - Credentials are sent only after TLS unless [`Credentials::allow_plaintext`]; they never reach logs
//!   (AUTH lines are not traced, [`Credentials`]' `Debug` hides the password).
//! - Any `421` reply means the server is closing the channel (RFC 5321 §3.8): it ends the session as an
//!   error, whatever command it answered.
//! - [`Connection::send`] returns one [`Outcome`] per recipient, in the order given; an `Err` means the
//!   session failed and no recipient got a final answer from it (the caller may try another server).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use malt_smtp_proto::Reply;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::command::{self, DsnNotify, DsnRet, Extensions, MailParams};
use crate::deliver::Outcome;
use crate::reply::{ReplyError, parse_reply};
use crate::resolve::parse_address_literal;
use crate::tls::TlsConfigs;

/// How long each step may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP connection.
    pub connect: Duration,
    /// The greeting, and each command's write and reply (RFC 5321 §4.5.3.2.1-.4, .7: 5 minutes).
    pub command: Duration,
    /// Sending the message data and the reply to its end (RFC 5321 §4.5.3.2.5-.6: 10 minutes).
    pub data: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(30),
            command: Duration::from_secs(300),
            data: Duration::from_secs(600),
        }
    }
}

/// When to use TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsPolicy {
    /// STARTTLS when the server offers it, any certificate accepted (RFC 7435); plaintext when it is not
    /// offered, refused, or the handshake fails (then on a new connection).
    Opportunistic,
    /// STARTTLS must be offered and succeed with a certificate that a trusted root signed for the host
    /// name; otherwise the session fails (temporarily).
    Verified,
    /// Never STARTTLS.
    Disabled,
}

/// SMTP AUTH credentials (for relay hosts).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password; never logged.
    pub password: String,
    /// Send them without TLS too (only for a relay on a trusted network). Default in config: false.
    pub allow_plaintext: bool,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("allow_plaintext", &self.allow_plaintext)
            .finish()
    }
}

/// The step of a session, for errors and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// TCP connect.
    Connect,
    /// Waiting for the greeting.
    Greeting,
    /// EHLO/HELO.
    Ehlo,
    /// STARTTLS and the handshake.
    StartTls,
    /// AUTH.
    Auth,
    /// MAIL FROM (and, pipelined, the RCPTs written with it).
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA or BDAT, the message, and the reply to its end.
    Data,
    /// RSET.
    Rset,
    /// QUIT.
    Quit,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Connect => "connect",
            Stage::Greeting => "greeting",
            Stage::Ehlo => "EHLO",
            Stage::StartTls => "STARTTLS",
            Stage::Auth => "AUTH",
            Stage::Mail => "MAIL FROM",
            Stage::Rcpt => "RCPT TO",
            Stage::Data => "message data",
            Stage::Rset => "RSET",
            Stage::Quit => "QUIT",
        })
    }
}

/// The reply's text on one line (no CRLF), for messages.
pub(crate) fn one_line(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.to_bytes())
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Why a session failed. All of these are temporary for the message: another server, or later, may do.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The TCP connection could not be made.
    #[error("connect: {0}")]
    Connect(io::Error),
    /// The server did not answer (or take our data) in time.
    #[error("timeout during {0}")]
    Timeout(Stage),
    /// Reading or writing failed.
    #[error("{1} during {0}")]
    Io(Stage, io::Error),
    /// The server closed the connection.
    #[error("connection closed during {0}")]
    Closed(Stage),
    /// The server's reply was malformed or too large.
    #[error("bad reply during {0}: {1}")]
    BadReply(Stage, ReplyError),
    /// The server refused the session at this step (a non-220 greeting, EHLO and HELO refused, a required
    /// STARTTLS or AUTH refused) or said `421` (closing).
    #[error("{0} answered: {reply}", reply = one_line(.1))]
    Refused(Stage, Reply),
    /// TLS is required but the server does not offer STARTTLS.
    #[error("TLS is required but the server does not offer STARTTLS")]
    TlsNotOffered,
    /// The TLS handshake failed (or the certificate was refused).
    #[error("TLS handshake: {0}")]
    Tls(io::Error),
    /// The server sent data after its STARTTLS reply, before the handshake.
    #[error("data received after the STARTTLS reply (injected before TLS)")]
    StartTlsInjection,
    /// Credentials are configured, the server offers AUTH, but the session is not encrypted.
    #[error("refusing to send credentials without TLS")]
    AuthWithoutTls,
    /// The server offers AUTH, but neither PLAIN nor LOGIN.
    #[error("no supported AUTH mechanism among {0}")]
    AuthMechanism(String),
}

impl SessionError {
    /// The step at which the session failed.
    pub fn stage(&self) -> Stage {
        match self {
            SessionError::Connect(_) => Stage::Connect,
            SessionError::Timeout(s)
            | SessionError::Io(s, _)
            | SessionError::Closed(s)
            | SessionError::BadReply(s, _)
            | SessionError::Refused(s, _) => *s,
            SessionError::TlsNotOffered | SessionError::Tls(_) | SessionError::StartTlsInjection => {
                Stage::StartTls
            }
            SessionError::AuthWithoutTls | SessionError::AuthMechanism(_) => Stage::Auth,
        }
    }

    /// Whether the failure is a handshake failure, after which opportunistic TLS retries in plaintext.
    pub fn is_tls_handshake(&self) -> bool {
        matches!(self, SessionError::Tls(_))
    }

    /// A reply describing the failure, for per-recipient results: the server's own reply when it gave one,
    /// else a local `4xx` naming `host` (RFC 3463: 4.4.1 no answer, 4.4.2 bad connection, 4.7.x security).
    pub fn reply(&self, host: &str, addr: SocketAddr) -> Reply {
        let text = format!("{host}[{}]: {self}", addr.ip());
        match self {
            SessionError::Refused(_, reply) => reply.clone(),
            SessionError::Connect(_) => Reply::new(451, (4, 4, 1), &text),
            SessionError::Timeout(_) | SessionError::Io(..) | SessionError::Closed(_) => {
                Reply::new(451, (4, 4, 2), &text)
            }
            SessionError::BadReply(..) => Reply::new(451, (4, 5, 0), &text),
            SessionError::TlsNotOffered | SessionError::AuthWithoutTls => Reply::new(451, (4, 7, 10), &text),
            SessionError::Tls(_) | SessionError::StartTlsInjection => Reply::new(451, (4, 7, 5), &text),
            SessionError::AuthMechanism(_) => Reply::new(451, (4, 7, 8), &text),
        }
    }
}

/// The stream under the session: plaintext, or after STARTTLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Only while STARTTLS moves the socket into TLS (or after a failed handshake).
    Gone,
}

fn gone() -> io::Error {
    io::Error::from(io::ErrorKind::NotConnected)
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }
}

/// A message ready to send: paths checked and in wire form.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// The reverse-path, as [`command::check_path`] returned it (empty for `<>`).
    pub return_path: String,
    /// DSN `ENVID` (sent only if the server offers DSN).
    pub envid: Option<&'a str>,
    /// DSN `RET` (sent only if the server offers DSN).
    pub ret: Option<DsnRet>,
    /// The recipients: path, DSN `NOTIFY`, DSN `ORCPT` (the original address).
    pub recipients: Vec<(String, Option<DsnNotify>, Option<&'a str>)>,
    /// The message.
    pub body: &'a [u8],
    /// Whether the envelope has non-ASCII addresses (RFC 6531).
    pub smtputf8: bool,
}

/// What a transaction gave.
#[derive(Debug, Clone)]
pub struct Sent {
    /// One outcome per recipient of the envelope, in its order.
    pub outcomes: Vec<Outcome>,
    /// The body had 8-bit octets and the server did not offer 8BITMIME; it was sent anyway (most servers
    /// take it) and this records it.
    pub eight_bit_unannounced: bool,
}

/// Whom a session talks to, and how.
#[derive(Debug, Clone, Copy)]
pub struct Peer<'a> {
    /// The server's host name (for TLS: SNI, and the name a verified certificate must have); an address
    /// literal (`[192.0.2.1]`) for a server known by address.
    pub host: &'a str,
    /// The address to connect to.
    pub addr: SocketAddr,
    /// Our EHLO name.
    pub helo: &'a str,
    /// The TLS configurations.
    pub tls: &'a TlsConfigs,
    /// The timeouts.
    pub timeouts: Timeouts,
}

/// An open SMTP session to one server address, greeted (and in TLS, authenticated, when asked).
pub struct Connection {
    stream: Stream,
    buf: Vec<u8>,
    host: String,
    addr: SocketAddr,
    timeouts: Timeouts,
    ext: Extensions,
    esmtp: bool,
    tls: bool,
    authenticated: bool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .field("esmtp", &self.esmtp)
            .finish()
    }
}

impl Connection {
    /// Connects to `peer.addr` (the server `peer.host`, whose name TLS checks under
    /// [`TlsPolicy::Verified`]), reads the greeting, says EHLO, and starts TLS as `policy` says. Under
    /// [`TlsPolicy::Opportunistic`] a failed handshake is retried once in plaintext on a new connection
    /// (RFC 7435 §3: some security is better than no delivery).
    pub async fn open(peer: &Peer<'_>, policy: TlsPolicy) -> Result<Connection, SessionError> {
        match Self::open_once(peer, policy).await {
            Err(e) if e.is_tls_handshake() && policy == TlsPolicy::Opportunistic => {
                tracing::info!(host = %peer.host, addr = %peer.addr, error = %e, "TLS handshake failed; retrying without TLS");
                Self::open_once(peer, TlsPolicy::Disabled).await
            }
            other => other,
        }
    }

    async fn open_once(peer: &Peer<'_>, policy: TlsPolicy) -> Result<Connection, SessionError> {
        let Peer {
            host,
            addr,
            helo,
            tls,
            timeouts,
        } = *peer;
        let tcp = tokio::time::timeout(timeouts.connect, TcpStream::connect(addr))
            .await
            .map_err(|_| SessionError::Timeout(Stage::Connect))?
            .map_err(SessionError::Connect)?;
        let _ = tcp.set_nodelay(true);
        let mut c = Connection {
            stream: Stream::Plain(tcp),
            buf: Vec::new(),
            host: host.to_owned(),
            addr,
            timeouts,
            ext: Extensions::default(),
            esmtp: false,
            tls: false,
            authenticated: false,
        };
        let greeting = c.read_reply(Stage::Greeting, timeouts.command).await?;
        if greeting.code != 220 {
            // RFC 5321 §3.1: a 554 (or 421) greeting: the server will not talk; try another.
            return Err(SessionError::Refused(Stage::Greeting, greeting));
        }
        c.hello(helo).await?;
        let config = match policy {
            TlsPolicy::Disabled => None,
            TlsPolicy::Opportunistic => c.ext.starttls.then(|| tls.opportunistic.clone()),
            TlsPolicy::Verified if c.ext.starttls => Some(tls.verified.clone()),
            TlsPolicy::Verified => return Err(SessionError::TlsNotOffered),
        };
        if let Some(config) = config
            && c.starttls(config, policy == TlsPolicy::Verified).await?
        {
            c.hello(helo).await?;
        }
        Ok(c)
    }

    /// The server's extensions (after TLS, the ones it announced in TLS).
    pub fn extensions(&self) -> &Extensions {
        &self.ext
    }

    /// Whether the session is in TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The server's host name, as given to [`Connection::open`].
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    async fn write(&mut self, stage: Stage, bytes: &[u8], limit: Duration) -> Result<(), SessionError> {
        let stream = &mut self.stream;
        tokio::time::timeout(limit, async {
            stream.write_all(bytes).await?;
            stream.flush().await
        })
        .await
        .map_err(|_| SessionError::Timeout(stage))?
        .map_err(|e| SessionError::Io(stage, e))
    }

    /// Writes a command line (traced, except AUTH).
    async fn command(&mut self, stage: Stage, line: &str) -> Result<(), SessionError> {
        if stage != Stage::Auth {
            tracing::trace!(host = %self.host, "C: {}", line.trim_end());
        }
        self.write(stage, line.as_bytes(), self.timeouts.command).await
    }

    async fn read_reply(&mut self, stage: Stage, limit: Duration) -> Result<Reply, SessionError> {
        let (stream, buf) = (&mut self.stream, &mut self.buf);
        let reply = tokio::time::timeout(limit, async {
            let mut chunk = [0u8; 4096];
            loop {
                if let Some((reply, used)) = parse_reply(buf).map_err(|e| SessionError::BadReply(stage, e))? {
                    buf.drain(..used);
                    return Ok(reply);
                }
                let n = stream
                    .read(&mut chunk)
                    .await
                    .map_err(|e| SessionError::Io(stage, e))?;
                if n == 0 {
                    return Err(SessionError::Closed(stage));
                }
                buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            }
        })
        .await
        .map_err(|_| SessionError::Timeout(stage))??;
        tracing::trace!(host = %self.host, "S: {}", one_line(&reply));
        if reply.code == 421 {
            return Err(SessionError::Refused(stage, reply));
        }
        Ok(reply)
    }

    /// EHLO, or HELO when EHLO gets a 5xx (RFC 5321 §3.2, §4.1.4).
    async fn hello(&mut self, helo: &str) -> Result<(), SessionError> {
        self.command(Stage::Ehlo, &format!("EHLO {helo}\r\n")).await?;
        let reply = self.read_reply(Stage::Ehlo, self.timeouts.command).await?;
        if reply.code == 250 {
            self.ext = Extensions::from_ehlo(&reply);
            self.esmtp = true;
            return Ok(());
        }
        if !(500..600).contains(&reply.code) {
            return Err(SessionError::Refused(Stage::Ehlo, reply));
        }
        self.command(Stage::Ehlo, &format!("HELO {helo}\r\n")).await?;
        let reply = self.read_reply(Stage::Ehlo, self.timeouts.command).await?;
        if reply.code != 250 {
            return Err(SessionError::Refused(Stage::Ehlo, reply));
        }
        self.ext = Extensions::default();
        self.esmtp = false;
        Ok(())
    }

    /// STARTTLS and the handshake (RFC 3207 §4). `Ok(false)`: the server refused it and `required` is false,
    /// so the session goes on in plaintext (RFC 3207 §4: a 454 leaves the session as it was).
    async fn starttls(&mut self, config: Arc<ClientConfig>, required: bool) -> Result<bool, SessionError> {
        self.command(Stage::StartTls, "STARTTLS\r\n").await?;
        let reply = self.read_reply(Stage::StartTls, self.timeouts.command).await?;
        if reply.code != 220 {
            if required {
                return Err(SessionError::Refused(Stage::StartTls, reply));
            }
            tracing::info!(host = %self.host, reply = %one_line(&reply), "STARTTLS refused; going on without TLS");
            return Ok(false);
        }
        if !self.buf.is_empty() {
            return Err(SessionError::StartTlsInjection);
        }
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            return Err(SessionError::Tls(io::Error::other("not a plaintext session")));
        };
        let name = match parse_address_literal(&self.host) {
            Some(ip) => ServerName::IpAddress(ip.into()),
            None => ServerName::try_from(self.host.clone())
                .unwrap_or_else(|_| ServerName::IpAddress(self.addr.ip().into())),
        };
        let tls = tokio::time::timeout(
            self.timeouts.command,
            TlsConnector::from(config).connect(name, tcp),
        )
        .await
        .map_err(|_| SessionError::Timeout(Stage::StartTls))?
        .map_err(SessionError::Tls)?;
        self.stream = Stream::Tls(Box::new(tls));
        self.tls = true;
        self.ext = Extensions::default();
        Ok(true)
    }

    /// AUTH with `creds` (RFC 4954): PLAIN with an initial response (RFC 4616), else LOGIN. A server that
    /// offers no AUTH is used without it. Refused without TLS unless `creds.allow_plaintext`.
    pub async fn authenticate(&mut self, creds: &Credentials) -> Result<(), SessionError> {
        if self.authenticated {
            return Ok(());
        }
        if self.ext.auth.is_empty() {
            tracing::debug!(host = %self.host, "server offers no AUTH; sending unauthenticated");
            return Ok(());
        }
        if !self.tls && !creds.allow_plaintext {
            return Err(SessionError::AuthWithoutTls);
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let offered = |m: &str| self.ext.auth.iter().any(|a| a == m);
        if offered("PLAIN") {
            let token = b64.encode(format!("\0{}\0{}", creds.username, creds.password));
            self.command(Stage::Auth, &format!("AUTH PLAIN {token}\r\n"))
                .await?;
            let reply = self.read_reply(Stage::Auth, self.timeouts.command).await?;
            if reply.code != 235 {
                if reply.code == 334 {
                    // A server asking for more after a complete PLAIN response: cancel (RFC 4954 §4).
                    self.command(Stage::Auth, "*\r\n").await?;
                    let _ = self.read_reply(Stage::Auth, self.timeouts.command).await?;
                }
                return Err(SessionError::Refused(Stage::Auth, reply));
            }
        } else if offered("LOGIN") {
            self.command(Stage::Auth, "AUTH LOGIN\r\n").await?;
            for secret in [&creds.username, &creds.password] {
                let reply = self.read_reply(Stage::Auth, self.timeouts.command).await?;
                if reply.code != 334 {
                    return Err(SessionError::Refused(Stage::Auth, reply));
                }
                self.command(Stage::Auth, &format!("{}\r\n", b64.encode(secret)))
                    .await?;
            }
            let reply = self.read_reply(Stage::Auth, self.timeouts.command).await?;
            if reply.code != 235 {
                return Err(SessionError::Refused(Stage::Auth, reply));
            }
        } else {
            return Err(SessionError::AuthMechanism(self.ext.auth.join(" ")));
        }
        self.authenticated = true;
        Ok(())
    }

    /// One mail transaction (RFC 5321 §3.3). MAIL and every RCPT go in one write when the server offers
    /// PIPELINING (RFC 2920 §3.1), their replies read in order; the message goes with `BDAT n LAST` when it
    /// offers CHUNKING (RFC 3030 §2), else with DATA, dot-stuffed. Refused before anything is sent:
    /// a message over the server's SIZE (`552 5.3.4`, RFC 1870 §6.2), non-ASCII addresses to a server
    /// without SMTPUTF8 (`553 5.6.7`, RFC 6531 §3.2).
    pub async fn send(&mut self, env: &Envelope<'_>) -> Result<Sent, SessionError> {
        let n = env.recipients.len();
        let body = command::normalize_line_ends(env.body);
        let all = |reply: Reply| -> Sent {
            Sent {
                outcomes: vec![Outcome::from_reply(reply); n],
                eight_bit_unannounced: false,
            }
        };
        if let Some(max) = self.ext.size.filter(|&m| m > 0)
            && u64::try_from(body.len()).unwrap_or(u64::MAX) > max
        {
            return Ok(all(Reply::new(
                552,
                (5, 3, 4),
                &format!(
                    "message of {} octets exceeds {}'s limit of {max}",
                    body.len(),
                    self.host
                ),
            )));
        }
        if env.smtputf8 && !self.ext.smtputf8 {
            return Ok(all(Reply::new(
                553,
                (5, 6, 7),
                &format!("{} does not support SMTPUTF8 (non-ASCII addresses)", self.host),
            )));
        }
        let eight_bit = command::has_8bit(&body);
        let eight_bit_unannounced = eight_bit && !self.ext.eight_bit_mime;
        if eight_bit_unannounced {
            tracing::info!(host = %self.host, "8-bit message sent to a server without 8BITMIME");
        }
        let dsn = self.ext.dsn;
        let params = MailParams {
            size: self.ext.size.map(|_| body.len()),
            eight_bit: eight_bit && self.ext.eight_bit_mime,
            smtputf8: env.smtputf8,
            ret: env.ret.filter(|_| dsn),
            envid: env.envid.filter(|_| dsn),
        };
        let mail = command::mail_from(&env.return_path, &params);
        let rcpts: Vec<String> = env
            .recipients
            .iter()
            .map(|(path, notify, orcpt)| command::rcpt_to(path, *notify, *orcpt, dsn))
            .collect();

        let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
        let mail_reply = if self.ext.pipelining {
            let mut group = mail.clone();
            for r in &rcpts {
                group.push_str(r);
            }
            tracing::trace!(host = %self.host, "C: {} (+{} RCPT, pipelined)", mail.trim_end(), rcpts.len());
            self.write(Stage::Mail, group.as_bytes(), self.timeouts.command)
                .await?;
            let mail_reply = self.read_reply(Stage::Mail, self.timeouts.command).await?;
            for slot in outcomes.iter_mut() {
                let reply = self.read_reply(Stage::Rcpt, self.timeouts.command).await?;
                *slot = Some(Outcome::from_reply(reply));
            }
            mail_reply
        } else {
            self.command(Stage::Mail, &mail).await?;
            let mail_reply = self.read_reply(Stage::Mail, self.timeouts.command).await?;
            if mail_reply.is_positive() {
                for (slot, line) in outcomes.iter_mut().zip(&rcpts) {
                    self.command(Stage::Rcpt, line).await?;
                    let reply = self.read_reply(Stage::Rcpt, self.timeouts.command).await?;
                    *slot = Some(Outcome::from_reply(reply));
                }
            }
            mail_reply
        };
        if !mail_reply.is_positive() {
            // RFC 5321 §3.3: MAIL refused, no transaction; its reply is every recipient's.
            return Ok(Sent {
                outcomes: vec![Outcome::from_reply(mail_reply); n],
                eight_bit_unannounced: false,
            });
        }
        let accepted = |o: &Option<Outcome>| matches!(o, Some(Outcome::Delivered { .. }));
        if !outcomes.iter().any(accepted) {
            return Ok(Sent {
                outcomes: outcomes.into_iter().flatten().collect(),
                eight_bit_unannounced: false,
            });
        }

        let final_reply = if self.ext.chunking {
            let header = format!("BDAT {} LAST\r\n", body.len());
            tracing::trace!(host = %self.host, "C: {}", header.trim_end());
            let mut chunk = Vec::with_capacity(header.len() + body.len());
            chunk.extend_from_slice(header.as_bytes());
            chunk.extend_from_slice(&body);
            self.write(Stage::Data, &chunk, self.timeouts.data).await?;
            self.read_reply(Stage::Data, self.timeouts.data).await?
        } else {
            self.command(Stage::Data, "DATA\r\n").await?;
            let reply = self.read_reply(Stage::Data, self.timeouts.command).await?;
            if reply.code == 354 {
                let payload = command::data_payload(&body);
                self.write(Stage::Data, &payload, self.timeouts.data).await?;
                self.read_reply(Stage::Data, self.timeouts.data).await?
            } else {
                reply
            }
        };
        let outcome = Outcome::from_reply(final_reply);
        let outcomes = outcomes
            .into_iter()
            .map(|o| match o {
                Some(Outcome::Delivered { .. }) | None => outcome.clone(),
                Some(other) => other,
            })
            .collect();
        Ok(Sent {
            outcomes,
            eight_bit_unannounced,
        })
    }

    /// RSET (RFC 5321 §4.1.1.5): ends any transaction; a `250` shows the session is alive for reuse.
    pub async fn rset(&mut self) -> Result<(), SessionError> {
        self.command(Stage::Rset, "RSET\r\n").await?;
        let reply = self.read_reply(Stage::Rset, self.timeouts.command).await?;
        if reply.code == 250 {
            Ok(())
        } else {
            Err(SessionError::Refused(Stage::Rset, reply))
        }
    }

    /// QUIT (RFC 5321 §4.1.1.10) and close; errors do not matter any more. Waits at most 10 s.
    pub async fn quit(mut self) {
        let limit = self.timeouts.command.min(Duration::from_secs(10));
        let _ = tokio::time::timeout(limit, async {
            if self.command(Stage::Quit, "QUIT\r\n").await.is_ok() {
                let _ = self.read_reply(Stage::Quit, limit).await;
            }
            let _ = self.stream.shutdown().await;
        })
        .await;
    }
}
