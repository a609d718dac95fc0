//! One SMTP-family session (LMTP, MX or submission, by [`Mode`]): the read-parse-check-dispatch loop.
//!
//! Invariants:
//! - Every read from the client goes through [`fill`] (or [`read_line`] built on it): under the idle
//!   timeout and interrupted by shutdown (both answered with `421` before closing). A command line holds
//!   at most [`MAX_AUTH_LINE`] octets in memory (longer ones are read to their end and discarded), and
//!   the codec refuses lines over [`malt_smtp_proto::MAX_COMMAND_LINE`] except AUTH's: `500 5.5.2`.
//! - Commands run one at a time in the order received. Replies are queued and flushed only when the
//!   client has sent nothing more (no buffered input) or before closing: with PIPELINING (RFC 2920 §3)
//!   the replies to a pipelined group leave together, and a reply is always sent before the session
//!   waits for input, so no client deadlocks (RFC 2920 §3.2: the 354 to DATA is flushed first).
//! - The state table ([`crate::state::allowed`]) is checked before dispatch (`503 5.5.1`); BDAT is the
//!   exception: its chunk is read (and discarded when refused) before the table is consulted, so the
//!   input stays in sync (RFC 3030 §2).
//! - Which greeting verb is legal depends on the mode: LHLO in LMTP, EHLO/HELO in SMTP (the other is
//!   `500 5.5.1`); AUTH exists only in SMTP modes (`502 5.5.1` in LMTP).
//! - STARTTLS (RFC 3207 §4.2): plaintext buffered after the command is never processed (the connection
//!   is closed if there is any); after the handshake the session starts over in `Connected`, without
//!   the greeting name or an authentication learnt before.
//! - After `smtp.max_errors` errors the session answers `421 4.7.0` and closes.
//! - Each command runs in a `command{name}` span at debug level; lines and message content are not logged.

use std::io;
use std::net::IpAddr;
use std::sync::Arc;

use malt_config::Cidr;
use malt_core::{Authenticator, MailCore};
use malt_server::{Connection, SessionContext, Wait, take_for_starttls};
use malt_smtp_proto::{MAX_AUTH_LINE, Reply, Request, parse_command};
use malt_store::Account;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tracing::Instrument;

use crate::Parts;
use crate::op;
use crate::rate::MessageRate;
use crate::state::{Mode, State, Verb, allowed};

/// The connection, buffered for reading.
pub(crate) type Io = BufReader<Connection>;

/// What the loop does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    Continue,
    /// Flush the queued replies and close.
    Close,
    /// `220` to STARTTLS is queued: flush it and start the handshake.
    StartTls,
}

/// Everything a session holds besides its connection.
pub(crate) struct Session {
    pub mode: Mode,
    pub core: MailCore,
    /// Checks AUTH credentials (SMTP modes only).
    pub auth: Option<Authenticator>,
    /// The per-client message rate (MX only).
    pub rate: Option<Arc<MessageRate>>,
    pub ctx: SessionContext,
    pub state: State,
    /// The account that authenticated with AUTH (RFC 4954), if any.
    pub user: Option<Account>,
    /// Greeted with EHLO (or LHLO) rather than HELO: RFC 3848's `ESMTP` rather than `SMTP`.
    pub esmtp: bool,
    /// The real client address (after any PROXY header).
    pub remote: IpAddr,
    pub tls: bool,
    pub errors: u32,
    /// Replies queued and not yet written.
    pub out: Vec<u8>,
    /// Largest message accepted (`limits.max_message_size`), announced with SIZE.
    pub max_size: usize,
    /// Transactions completed, for envelope ids.
    pub transactions: u64,
    /// `smtp.max_recipients`.
    pub max_recipients: usize,
    /// `smtp.max_errors`.
    pub max_errors: u32,
    /// `smtp.relay_networks`, parsed.
    pub relay_networks: Vec<Cidr>,
}

impl Session {
    /// Queues a reply.
    pub fn reply(&mut self, r: &Reply) {
        self.out.extend_from_slice(&r.to_bytes());
    }

    /// Queues an error reply and counts it; after `smtp.max_errors`, `421 4.7.0` and close.
    pub fn error(&mut self, r: &Reply) -> Next {
        self.errors += 1;
        self.reply(r);
        if self.errors >= self.max_errors {
            let host = self.ctx.config.hostname.clone();
            self.reply(&Reply::new(
                421,
                (4, 7, 0),
                &format!("{host} Too many errors, closing connection"),
            ));
            return Next::Close;
        }
        Next::Continue
    }

    /// The server's host name.
    pub fn hostname(&self) -> &str {
        &self.ctx.config.hostname
    }

    /// Whether this is one of the SMTP modes (MX or submission) rather than LMTP.
    pub fn is_smtp(&self) -> bool {
        self.mode != Mode::Lmtp
    }

    /// Whether AUTH is offered now: never in LMTP; on MX only over TLS; on submission where
    /// plaintext passwords are allowed (TLS, loopback, or `auth.allow_plaintext_without_tls`).
    pub fn auth_offered(&self) -> bool {
        match self.mode {
            Mode::Lmtp => false,
            Mode::Mx => self.tls,
            Mode::Submission => malt_server::plaintext_auth_allowed(
                self.tls,
                self.remote,
                self.ctx.config.auth.allow_plaintext_without_tls,
            ),
        }
    }

    /// The RFC 3848 `with` keyword of this session's trace header: `LMTP`/`LMTPS`, or `SMTP` after
    /// HELO, else `ESMTP` with `S` for TLS and `A` for an authenticated client.
    pub fn protocol(&self) -> String {
        match self.mode {
            Mode::Lmtp => if self.tls { "LMTPS" } else { "LMTP" }.to_owned(),
            Mode::Mx | Mode::Submission => {
                let (s, a) = (self.tls, self.user.is_some());
                if !self.esmtp && !s && !a {
                    return "SMTP".to_owned();
                }
                format!("ESMTP{}{}", if s { "S" } else { "" }, if a { "A" } else { "" })
            }
        }
    }

    /// Writes the queued replies.
    pub async fn flush(&mut self, io: &mut Io) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let conn = io.get_mut();
        conn.write_all(&self.out).await?;
        self.out.clear();
        conn.flush().await
    }
}

/// The outcome of waiting for input.
pub(crate) enum Fill {
    /// `io.buffer()` is not empty.
    Data,
    /// EOF or a read error.
    Closed,
    Idle,
    Shutdown,
}

/// Makes sure input is buffered: flushes queued replies first when nothing is buffered (the client may
/// be waiting for them), then reads under the idle timeout and shutdown.
pub(crate) async fn fill(s: &mut Session, io: &mut Io) -> Fill {
    if !io.buffer().is_empty() {
        return Fill::Data;
    }
    if s.flush(io).await.is_err() {
        return Fill::Closed;
    }
    match s.ctx.wait_input(io.fill_buf()).await {
        Wait::Ready(Ok(b)) if !b.is_empty() => Fill::Data,
        Wait::Ready(_) => Fill::Closed,
        Wait::Idle => Fill::Idle,
        Wait::Shutdown => Fill::Shutdown,
    }
}

/// One line from the client.
pub(crate) enum Input {
    /// A line, with its line end.
    Line(Vec<u8>),
    /// Longer than the limit; consumed and discarded.
    TooLong,
    End(Fill),
}

/// Reads one line; never holds more than `max` octets of it.
pub(crate) async fn read_line(s: &mut Session, io: &mut Io, max: usize) -> Input {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        match fill(s, io).await {
            Fill::Data => {}
            other => return Input::End(other),
        }
        let buf = io.buffer();
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (buf.get(..=i).unwrap_or(buf), true),
            None => (buf, false),
        };
        let used = chunk.len();
        if !too_long && line.len() + chunk.len() <= max {
            line.extend_from_slice(chunk);
        } else {
            too_long = true;
            line = Vec::new();
        }
        io.consume(used);
        if done {
            return if too_long {
                Input::TooLong
            } else {
                Input::Line(line)
            };
        }
    }
}

/// The `421` for an input that ended the session, if any is due.
pub(crate) fn goodbye(s: &mut Session, how: &Fill) {
    let host = s.hostname().to_owned();
    match how {
        Fill::Idle => s.reply(&Reply::new(
            421,
            (4, 4, 2),
            &format!("{host} Idle timeout, closing connection"),
        )),
        Fill::Shutdown => s.reply(&Reply::new(
            421,
            (4, 3, 2),
            &format!("{host} Server shutting down"),
        )),
        Fill::Data | Fill::Closed => {}
    }
}

/// Runs a session to its end.
pub(crate) async fn run(conn: Connection, ctx: SessionContext, parts: Parts) {
    let max_size = usize::try_from(ctx.config.limits.max_message_size)
        .unwrap_or(usize::MAX)
        .min(usize::try_from(parts.core.settings().max_message_size).unwrap_or(usize::MAX));
    let smtp = &ctx.config.smtp;
    let (max_recipients, max_errors, relay_networks) =
        (smtp.max_recipients, smtp.max_errors, smtp.relay_cidrs());
    let mut s = Session {
        mode: parts.mode,
        core: parts.core,
        auth: parts.auth,
        rate: parts.rate,
        remote: conn.remote.ip(),
        tls: conn.is_tls(),
        ctx,
        state: State::Connected,
        user: None,
        esmtp: false,
        errors: 0,
        out: Vec::new(),
        max_size,
        transactions: 0,
        max_recipients,
        max_errors,
        relay_networks,
    };
    let mut io = BufReader::new(conn);
    // RFC 2033 §4.1 / RFC 5321 §4.2: the 220 greeting.
    let service = if s.is_smtp() { "ESMTP" } else { "LMTP" };
    let greeting = Reply::plain(220, &format!("{} {service} Malt ready", s.hostname()));
    s.reply(&greeting);
    loop {
        let next = match read_line(&mut s, &mut io, MAX_AUTH_LINE).await {
            Input::Line(line) => step(&mut s, &mut io, &line).await,
            Input::TooLong => Ok(s.error(&malt_smtp_proto::ParseError::TooLong.reply())),
            Input::End(Fill::Closed) => return,
            Input::End(how) => {
                goodbye(&mut s, &how);
                Ok(Next::Close)
            }
        };
        match next {
            Ok(Next::Continue) => {}
            Ok(Next::Close) => {
                let _ = s.flush(&mut io).await;
                let _ = io.get_mut().shutdown().await;
                return;
            }
            Ok(Next::StartTls) => {
                if s.flush(&mut io).await.is_err() {
                    return;
                }
                let (conn, discarded) = take_for_starttls(io);
                let Some(conn) = s.ctx.upgrade(conn, discarded, "STARTTLS").await else {
                    return;
                };
                s.tls = conn.is_tls();
                s.remote = conn.remote.ip();
                // RFC 3207 §4.2: forget everything learnt before the handshake.
                s.state = State::Connected;
                s.user = None;
                s.esmtp = false;
                io = BufReader::new(conn);
            }
            Err(e) => {
                tracing::debug!("connection error: {e}");
                return;
            }
        }
    }
}

/// Parses, checks the state table, and dispatches one command line.
async fn step(s: &mut Session, io: &mut Io, line: &[u8]) -> io::Result<Next> {
    let cmd = match parse_command(line) {
        Ok(c) => c,
        Err(e) => return Ok(s.error(&e.reply())),
    };
    let verb = match (&cmd, s.mode) {
        (Request::Lhlo { .. }, Mode::Lmtp) => Verb::Hello,
        (Request::Lhlo { .. }, Mode::Mx | Mode::Submission) => {
            return Ok(s.error(&Reply::new(500, (5, 5, 1), "This is SMTP: use EHLO or HELO")));
        }
        // RFC 2033 §4.1: LMTP has LHLO instead of HELO and EHLO.
        (Request::Ehlo { .. } | Request::Helo { .. }, Mode::Lmtp) => {
            return Ok(s.error(&Reply::new(500, (5, 5, 1), "This is LMTP: use LHLO")));
        }
        (Request::Ehlo { .. } | Request::Helo { .. }, Mode::Mx | Mode::Submission) => Verb::Hello,
        (Request::Auth { .. }, Mode::Mx | Mode::Submission) => Verb::Auth,
        (Request::Mail { .. }, _) => Verb::Mail,
        (Request::Rcpt { .. }, _) => Verb::Rcpt,
        (Request::Data, _) => Verb::Data,
        (Request::Bdat { .. }, _) => Verb::Bdat,
        (Request::Rset, _) => Verb::Rset,
        (Request::Noop { .. }, _) => Verb::Noop,
        (Request::Quit, _) => Verb::Quit,
        (Request::Vrfy { .. }, _) => Verb::Vrfy,
        (Request::Help { .. }, _) => Verb::Help,
        (Request::StartTls, _) => Verb::StartTls,
        (
            Request::Auth { .. }
            | Request::Expn { .. }
            | Request::Etrn { .. }
            | Request::Atrn { .. }
            | Request::Burl { .. },
            _,
        ) => {
            let text = format!("{} not implemented", cmd.name());
            return Ok(s.error(&Reply::new(502, (5, 5, 1), &text)));
        }
    };
    let span = tracing::debug_span!("command", name = cmd.name());
    if verb != Verb::Bdat
        && let Err(reason) = allowed(s.mode, s.state.phase(), verb)
    {
        return Ok(s.error(&Reply::new(503, (5, 5, 1), reason)));
    }
    op::dispatch(s, io, cmd).instrument(span).await
}
