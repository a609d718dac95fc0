//! Malt's POP3 server: RFC 1939, with CAPA and extended response codes (RFC 2449), STLS (RFC 2595),
//! SASL AUTH (RFC 5034) and the `[AUTH]`/`[SYS/*]` codes (RFC 3206). No APOP.
//!
//! - [`proto`]: the codec (command parser, responses, byte-stuffing), no I/O.
//! - [`state`]: the states and the one table of which command is allowed where.
//! - `session`: the loop; `op/`: one file per command.
//!
//! Behaviour worth knowing (invariants):
//! - The maildrop is INBOX, snapshot at login: messages numbered 1..n by ascending UID for the session.
//! - POP3 never changes flags except at QUIT, where the messages marked by DELE get `\Deleted` and exactly
//!   those are expunged. RETR/TOP do not set `\Seen`. A connection lost without QUIT deletes nothing.
//! - UIDL is `%08X%08X` of UID and UIDVALIDITY (Dovecot's default), stable across sessions.
//! - Sizes are of the message with CRLF line ends, as sent (stored bare-LF messages are normalised).
//! - USER/PASS and AUTH PLAIN/LOGIN are refused with `[AUTH]` unless TLS is active, the client is on
//!   loopback, or `auth.allow_plaintext_without_tls` is set.

mod op;
pub mod proto;
mod session;
pub mod state;

use async_trait::async_trait;
use malt_core::{Authenticator, MailCore};
use malt_server::{Connection, Handler, SessionContext};

pub use session::MAX_BAD_COMMANDS;

/// The POP3 protocol handler, registered for `Protocol::Pop3`.
#[derive(Debug, Clone)]
pub struct Pop3Handler {
    core: MailCore,
    auth: Authenticator,
}

impl Pop3Handler {
    pub fn new(core: MailCore, auth: Authenticator) -> Self {
        Pop3Handler { core, auth }
    }
}

#[async_trait]
impl Handler for Pop3Handler {
    async fn handle(&self, conn: Connection, ctx: SessionContext) {
        session::run(conn, ctx, self.core.clone(), self.auth.clone()).await;
    }
}
