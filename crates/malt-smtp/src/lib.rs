//! Malt's SMTP family of servers. This slice implements LMTP (RFC 2033) on the listener layer; the
//! session, state table and commands are written for the SMTP MX and submission sessions to reuse
//! (they differ in the greeting verb, relay and authentication policy, and in giving one reply after
//! DATA instead of one per recipient).
//!
//! - `session`: the loop (bounded reads, idle timeout, shutdown, reply batching for PIPELINING);
//! - [`state`]: the states and the one table of which command is allowed in which;
//! - `op/`: one file per command.
//!
//! LMTP behaviour (invariants):
//! - Greeting `220`; `LHLO` is required before MAIL; `EHLO`/`HELO` get `500 5.5.1` (RFC 2033 §4.1).
//! - Extensions announced: PIPELINING (RFC 2920), ENHANCEDSTATUSCODES (RFC 2034), 8BITMIME (RFC 6152),
//!   SMTPUTF8 (RFC 6531), CHUNKING (RFC 3030), SIZE (RFC 1870), STARTTLS (RFC 3207, only on a listener
//!   with `tls = "starttls"` before TLS is active). No DSN, no AUTH: their parameters get `555 5.5.4`.
//! - RCPT checks the directory at once: unknown recipients get `550 5.1.1` (RFC 3463 §3.2).
//! - After DATA's final dot or `BDAT ... LAST`, one reply per accepted recipient, in RCPT order
//!   (RFC 2033 §4.2); a `250` is sent only once the message is durable in that recipient's mailbox
//!   (`malt_core::delivery`). Over quota: `452 4.2.2`, or `552 5.2.2` when the message can never fit.
//! - Limits: [`MAX_RECIPIENTS`] per transaction (`452 4.5.3`), `limits.max_message_size` (SIZE, and
//!   `552 5.3.4` after the data), [`malt_smtp_proto::MAX_COMMAND_LINE`] per command line (`500 5.5.2`),
//!   [`MAX_ERRORS`] errors before `421 4.7.0` and disconnect, and the listener layer's idle timeout
//!   (`421 4.4.2`).

mod op;
mod session;
pub mod state;

use async_trait::async_trait;
use malt_core::MailCore;
use malt_server::{Connection, Handler, SessionContext};

/// Recipients accepted per transaction (RFC 5321 §4.5.3.1.8: at least 100).
pub const MAX_RECIPIENTS: usize = 100;
/// Errors (syntax, bad sequence, refused recipients) tolerated before the connection is closed.
pub const MAX_ERRORS: u32 = 20;

/// The LMTP protocol handler, registered for `Protocol::Lmtp`.
#[derive(Debug, Clone)]
pub struct LmtpHandler {
    core: MailCore,
}

impl LmtpHandler {
    pub fn new(core: MailCore) -> Self {
        LmtpHandler { core }
    }
}

#[async_trait]
impl Handler for LmtpHandler {
    async fn handle(&self, conn: Connection, ctx: SessionContext) {
        session::run(conn, ctx, self.core.clone()).await;
    }
}
