//! One ManageSieve session: the read-frame-parse-check-dispatch loop.
//!
//! Invariants:
//! - Every read from the client goes through [`Io::next_frame`]: bounded by [`proto::Limits`]
//!   (a line, a literal), under the idle timeout, and interrupted by shutdown, which is answered
//!   `BYE (TRYLATER)` before closing. An oversized literal is skipped as it arrives, never
//!   buffered, and answered `NO (QUOTA/MAXSIZE)` (up to [`MAX_SKIP`] octets; beyond, `BYE`).
//! - Commands run one at a time in the order received, so pipelined commands behave as if sent
//!   one by one: a response is written before the next command is parsed.
//! - The state table ([`crate::state::allowed`]) is checked before dispatch; ops never see a
//!   command that is not allowed in the current state.
//! - After [`MAX_BAD_COMMANDS`] bad commands (syntax errors, unknown commands, commands in the
//!   wrong state, oversized literals) the session says `BYE` and closes.
//! - STARTTLS (RFC 5804 §2.2): plaintext buffered after the command is never processed; if there
//!   is any the connection is closed. After the handshake the capabilities are sent again, then
//!   `OK`, and the session continues non-authenticated.
//! - Each command runs in a `command{name}` span at debug level; commands are never logged whole
//!   (passwords, scripts).

use std::io;
use std::net::IpAddr;

use malt_core::Authenticator;
use malt_core::sieve_scripts::SieveScripts;
use malt_server::{Connection, SessionContext, Wait};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::Instrument;

use crate::op;
use crate::proto::{self, Code, Frame, FrameError, parse_command};
use crate::state::{State, allowed};

/// Bad commands tolerated before the connection is closed.
pub const MAX_BAD_COMMANDS: u32 = 10;

/// Octets of an oversized literal skipped to keep the session; a larger one closes it.
pub const MAX_SKIP: u64 = 64 << 20;

/// Octets asked of the socket per read.
const READ_CHUNK: usize = 16 * 1024;

/// What the loop does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    Continue,
    /// The response was sent; close the connection.
    Close,
    /// `OK` to STARTTLS was sent; start the TLS handshake.
    StartTls,
}

/// One read from the client.
pub(crate) enum Input {
    /// A whole command (or SASL response), line ends and literals included.
    Frame(Vec<u8>),
    /// A literal larger than the limit was announced; its octets and the rest of its line were
    /// skipped.
    LiteralTooBig,
    /// A line longer than the limit, or an oversized literal beyond [`MAX_SKIP`]: close.
    Unframeable,
    /// EOF or a read error.
    Closed,
    Idle,
    Shutdown,
}

/// The connection and its receive buffer.
pub(crate) struct Io {
    conn: Connection,
    buf: Vec<u8>,
}

impl Io {
    fn new(conn: Connection) -> Io {
        Io {
            conn,
            buf: Vec::with_capacity(READ_CHUNK),
        }
    }

    /// Writes a response and flushes it (TLS records included).
    pub(crate) async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.conn.write_all(bytes).await?;
        self.conn.flush().await
    }

    /// Reads at least one more octet into the buffer; `Err` on EOF, idle timeout or shutdown.
    async fn fill(&mut self, ctx: &SessionContext, want: usize) -> Result<(), Input> {
        self.buf.reserve(want.max(READ_CHUNK));
        match ctx.wait_input(self.conn.read_buf(&mut self.buf)).await {
            Wait::Ready(Ok(0) | Err(_)) => Err(Input::Closed),
            Wait::Ready(Ok(_)) => Ok(()),
            Wait::Idle => Err(Input::Idle),
            Wait::Shutdown => Err(Input::Shutdown),
        }
    }

    /// The next command, framed as [`proto::frame`] says.
    pub(crate) async fn next_frame(&mut self, ctx: &SessionContext, limits: &proto::Limits) -> Input {
        loop {
            match proto::frame(&self.buf, limits) {
                Ok(Frame::Complete(n)) => {
                    let rest = self.buf.split_off(n.min(self.buf.len()));
                    return Input::Frame(std::mem::replace(&mut self.buf, rest));
                }
                Ok(Frame::Incomplete { need }) => {
                    while self.buf.len() < need {
                        if let Err(end) = self.fill(ctx, need - self.buf.len()).await {
                            return end;
                        }
                    }
                }
                Err(FrameError::LineTooLong) => return Input::Unframeable,
                Err(FrameError::LiteralTooBig { size, header_end }) => {
                    if size > MAX_SKIP {
                        return Input::Unframeable;
                    }
                    self.buf.drain(..header_end.min(self.buf.len()));
                    return match self.skip(ctx, size, limits.max_line).await {
                        Ok(()) => Input::LiteralTooBig,
                        Err(end) => end,
                    };
                }
            }
        }
    }

    /// Drops `size` octets of a literal as they arrive, then the rest of its line.
    async fn skip(&mut self, ctx: &SessionContext, size: u64, max_line: usize) -> Result<(), Input> {
        let mut left = size;
        loop {
            let take = usize::try_from(left).unwrap_or(usize::MAX).min(self.buf.len());
            self.buf.drain(..take);
            left -= take as u64;
            if left == 0 {
                break;
            }
            self.fill(ctx, READ_CHUNK).await?;
        }
        loop {
            if let Some(lf) = self.buf.iter().position(|&b| b == b'\n') {
                self.buf.drain(..=lf);
                return Ok(());
            }
            if self.buf.len() >= max_line {
                return Err(Input::Unframeable);
            }
            self.fill(ctx, 1).await?;
        }
    }

    /// The connection for STARTTLS, with how many plaintext octets were buffered after the
    /// command (which must be none).
    fn take_for_starttls(self) -> (Connection, usize) {
        (self.conn, self.buf.len())
    }
}

/// Everything a session holds besides its connection.
pub(crate) struct Session {
    pub scripts: SieveScripts,
    pub auth: Authenticator,
    pub ctx: SessionContext,
    pub state: State,
    /// The real client address (after any PROXY header).
    pub remote: IpAddr,
    pub tls: bool,
    /// Whether PLAIN and LOGIN (passwords in the clear) may be used on this connection now.
    pub plaintext_ok: bool,
    pub limits: proto::Limits,
    pub bad_commands: u32,
}

impl Session {
    fn refresh(&mut self, conn: &Connection) {
        self.remote = conn.remote.ip();
        self.tls = conn.is_tls();
        self.plaintext_ok = self.ctx.plaintext_auth_allowed(conn);
    }
}

/// Counts a bad command and answers it; closes after [`MAX_BAD_COMMANDS`].
async fn bad_command(s: &mut Session, io: &mut Io, reply: Vec<u8>) -> io::Result<Next> {
    s.bad_commands += 1;
    if s.bad_commands >= MAX_BAD_COMMANDS {
        io.send(&proto::bye(None, "Too many invalid commands.")).await?;
        return Ok(Next::Close);
    }
    io.send(&reply).await?;
    Ok(Next::Continue)
}

/// The answer to a read that ended the session (idle, shutdown, unframeable input); `None` when
/// the client is gone.
pub(crate) fn farewell(input: &Input) -> Option<Vec<u8>> {
    match input {
        Input::Idle => Some(proto::bye(None, "Disconnected for inactivity.")),
        Input::Shutdown => Some(proto::bye(Some(&Code::TryLater), "Server shutting down.")),
        Input::Unframeable => Some(proto::bye(None, "Line or literal too long.")),
        Input::Frame(_) | Input::LiteralTooBig | Input::Closed => None,
    }
}

/// Runs a session to its end.
pub(crate) async fn run(conn: Connection, ctx: SessionContext, scripts: SieveScripts, auth: Authenticator) {
    let limits = proto::Limits {
        max_literal: scripts.policy().max_script_size(),
        ..proto::Limits::default()
    };
    let mut s = Session {
        scripts,
        auth,
        remote: conn.remote.ip(),
        tls: conn.is_tls(),
        plaintext_ok: ctx.plaintext_auth_allowed(&conn),
        ctx,
        state: State::NonAuthenticated,
        limits,
        bad_commands: 0,
    };
    let mut io = Io::new(conn);
    // RFC 5804 §1.7: the capabilities, then OK.
    let mut greeting = op::capability::listing(&s);
    greeting.extend_from_slice(&proto::ok(None, "Malt ManageSieve ready."));
    if io.send(&greeting).await.is_err() {
        return;
    }
    loop {
        let input = io.next_frame(&s.ctx, &s.limits).await;
        let next = match input {
            Input::Frame(command) => step(&mut s, &mut io, &command).await,
            Input::LiteralTooBig => {
                let max = s.limits.max_literal;
                let text = format!("Literal too large: at most {max} octets (the largest script).");
                bad_command(&mut s, &mut io, proto::no(Some(&Code::QuotaMaxSize), &text)).await
            }
            Input::Closed => return,
            ended => {
                if let Some(bye) = farewell(&ended) {
                    let _ = io.send(&bye).await;
                }
                Ok(Next::Close)
            }
        };
        match next {
            Ok(Next::Continue) => {}
            Ok(Next::Close) => {
                let _ = io.conn.shutdown().await;
                return;
            }
            Ok(Next::StartTls) => {
                let (conn, pending) = io.take_for_starttls();
                let Some(conn) = s.ctx.upgrade(conn, pending, "STARTTLS").await else {
                    return;
                };
                s.refresh(&conn);
                io = Io::new(conn);
                // RFC 5804 §2.2: the capabilities again, unasked, then OK.
                let mut again = op::capability::listing(&s);
                again.extend_from_slice(&proto::ok(None, "TLS negotiation successful."));
                if io.send(&again).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::debug!("connection error: {e}");
                return;
            }
        }
    }
}

/// Parses, checks the state table, and dispatches one command.
async fn step(s: &mut Session, io: &mut Io, command: &[u8]) -> io::Result<Next> {
    let cmd = match parse_command(command, &s.limits) {
        Ok(c) => c,
        Err(e) => {
            let text = match e {
                proto::ParseError::Unknown => "Unknown command.".to_owned(),
                other => format!("Error in command: {other}."),
            };
            return bad_command(s, io, proto::no(None, &text)).await;
        }
    };
    let kind = cmd.kind();
    if !allowed(s.state.phase(), kind) {
        let text = match s.state {
            State::NonAuthenticated => format!("{} needs authentication first.", kind.name()),
            State::Authenticated { .. } => format!("{} is not allowed after authentication.", kind.name()),
        };
        return bad_command(s, io, proto::no(None, &text)).await;
    }
    let span = tracing::debug_span!("command", name = kind.name());
    op::dispatch(s, io, cmd).instrument(span).await
}
