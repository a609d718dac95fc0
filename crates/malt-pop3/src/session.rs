//! One POP3 session: the read-parse-check-dispatch loop.
//!
//! Invariants:
//! - Every read from the client goes through [`next_line`]: bounded to a line limit (excess is read and
//!   discarded up to the line end, never buffered), under the idle timeout (RFC 1939 §3: at least ten
//!   minutes; `timeouts.idle_secs`), and interrupted by shutdown, which is answered with
//!   `-ERR [SYS/TEMP] server shutting down` before closing.
//! - Commands run one at a time in the order received, so pipelining (RFC 2449 §6.6) is safe: a command's
//!   response is written before the next command is read.
//! - The state table ([`crate::state::allowed`]) is checked before dispatch; ops never see a command that
//!   is not allowed in the current state.
//! - After [`MAX_BAD_COMMANDS`] bad commands (syntax errors, unknown commands, commands in the wrong state,
//!   over-long lines) the session says `-ERR` and closes.
//! - STLS (RFC 2595 §4): plaintext buffered after the STLS line is never processed; if there is any the
//!   connection is closed. After the handshake the session restarts in AUTHORIZATION with no user.
//! - A connection that ends without QUIT deletes nothing (RFC 1939 §6).
//! - Each command runs in a `command{name}` span at debug level; lines are never logged (passwords).

use std::io;
use std::net::IpAddr;

use malt_core::{Authenticator, MailCore};
use malt_server::{Connection, SessionContext, Wait, take_for_starttls};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tracing::Instrument;

use crate::op;
use crate::proto::{self, MAX_LINE, RespCode, parse_command};
use crate::state::{State, allowed};

/// Bad commands tolerated before the connection is closed.
pub const MAX_BAD_COMMANDS: u32 = 10;

/// The connection, buffered for reading.
pub(crate) type Io = BufReader<Connection>;

/// What the loop does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    Continue,
    /// The response was sent; close the connection.
    Close,
    /// `+OK` to STLS was sent; start the TLS handshake.
    StartTls,
}

/// Everything a session holds besides its connection.
pub(crate) struct Session {
    pub core: MailCore,
    pub auth: Authenticator,
    pub ctx: SessionContext,
    pub state: State,
    /// The real client address (after any PROXY header).
    pub remote: IpAddr,
    pub tls: bool,
    /// Whether USER/PASS and the PLAIN/LOGIN mechanisms may be used on this connection now.
    pub plaintext_ok: bool,
    pub bad_commands: u32,
}

impl Session {
    fn refresh(&mut self, conn: &Connection) {
        self.remote = conn.remote.ip();
        self.tls = conn.is_tls();
        self.plaintext_ok = self.ctx.plaintext_auth_allowed(conn);
    }
}

/// One read from the client.
pub(crate) enum Input {
    /// A line, with its line end.
    Line(Vec<u8>),
    /// The line was longer than the limit; it was consumed and discarded.
    TooLong,
    /// EOF or a read error.
    Closed,
    Idle,
    Shutdown,
}

/// Reads one line of at most `limit` octets (line end included) under the idle timeout and shutdown.
pub(crate) async fn next_line(ctx: &SessionContext, io: &mut Io, limit: usize) -> Input {
    match ctx.wait_input(read_bounded(io, limit)).await {
        Wait::Ready(Ok(Some(line))) => line,
        Wait::Ready(Ok(None) | Err(_)) => Input::Closed,
        Wait::Idle => Input::Idle,
        Wait::Shutdown => Input::Shutdown,
    }
}

/// `Ok(None)` on EOF (a partial last line is dropped). Never holds more than `limit` octets.
async fn read_bounded(io: &mut Io, limit: usize) -> io::Result<Option<Input>> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buf = io.fill_buf().await?;
        if buf.is_empty() {
            return Ok(None);
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (buf.get(..=i).unwrap_or(buf), true),
            None => (buf, false),
        };
        let used = chunk.len();
        if !too_long && line.len() + chunk.len() <= limit {
            line.extend_from_slice(chunk);
        } else {
            too_long = true;
            line = Vec::new();
        }
        io.consume(used);
        if done {
            return Ok(Some(if too_long {
                Input::TooLong
            } else {
                Input::Line(line)
            }));
        }
    }
}

/// Writes a response and flushes it (TLS records included).
pub(crate) async fn send(io: &mut Io, bytes: &[u8]) -> io::Result<()> {
    let conn = io.get_mut();
    conn.write_all(bytes).await?;
    conn.flush().await
}

/// Counts a bad command and answers it; closes after [`MAX_BAD_COMMANDS`].
async fn bad_command(s: &mut Session, io: &mut Io, reply: Vec<u8>) -> io::Result<Next> {
    s.bad_commands += 1;
    if s.bad_commands >= MAX_BAD_COMMANDS {
        send(io, &proto::err(None, "Too many bad commands, closing connection")).await?;
        return Ok(Next::Close);
    }
    send(io, &reply).await?;
    Ok(Next::Continue)
}

/// Runs a session to its end.
pub(crate) async fn run(conn: Connection, ctx: SessionContext, core: MailCore, auth: Authenticator) {
    let mut s = Session {
        core,
        auth,
        remote: conn.remote.ip(),
        tls: conn.is_tls(),
        plaintext_ok: ctx.plaintext_auth_allowed(&conn),
        ctx,
        state: State::Authorization { user: None },
        bad_commands: 0,
    };
    let mut io = BufReader::new(conn);
    // RFC 1939 §4; no APOP timestamp: APOP is not offered.
    let greeting = proto::ok(&format!("{} Malt POP3 ready", s.ctx.config.hostname));
    if send(&mut io, &greeting).await.is_err() {
        return;
    }
    loop {
        let next = match next_line(&s.ctx, &mut io, MAX_LINE).await {
            Input::Line(line) => step(&mut s, &mut io, &line).await,
            Input::TooLong => bad_command(&mut s, &mut io, proto::err(None, "Line too long")).await,
            Input::Closed => return,
            Input::Idle => {
                let _ = send(&mut io, &proto::err(None, "Autologout; idle for too long")).await;
                Ok(Next::Close)
            }
            Input::Shutdown => {
                let reply = proto::err(Some(RespCode::SysTemp), "server shutting down");
                let _ = send(&mut io, &reply).await;
                Ok(Next::Close)
            }
        };
        match next {
            Ok(Next::Continue) => {}
            Ok(Next::Close) => {
                let _ = io.get_mut().shutdown().await;
                return;
            }
            Ok(Next::StartTls) => {
                let (conn, discarded) = take_for_starttls(io);
                let Some(conn) = s.ctx.upgrade(conn, discarded, "STLS").await else {
                    return;
                };
                s.refresh(&conn);
                s.state = State::Authorization { user: None };
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
        Err(e) => {
            let text = match e {
                proto::ParseError::Unknown => "Unknown command".to_owned(),
                other => other.to_string(),
            };
            return bad_command(s, io, proto::err(None, &text)).await;
        }
    };
    let kind = cmd.kind();
    if !allowed(s.state.phase(), kind) {
        let text = format!("{} not allowed in this state", kind.name());
        return bad_command(s, io, proto::err(None, &text)).await;
    }
    let span = tracing::debug_span!("command", name = kind.name());
    op::dispatch(s, io, cmd).instrument(span).await
}
