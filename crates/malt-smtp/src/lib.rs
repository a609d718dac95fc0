//! Malt's SMTP family of servers: LMTP (RFC 2033), SMTP for incoming mail (MX, RFC 5321) and
//! message submission (RFC 6409, RFC 8314), on the listener layer. One session, state table and set
//! of commands serve the three; the handler picks the [`Mode`].
//!
//! - `session`: the loop (bounded reads, idle timeout, shutdown, reply batching for PIPELINING);
//! - [`state`]: the modes, the states and the one table of which command is allowed in which;
//! - `op/`: one file per command; `finish`: the end of a transaction (delivery, queueing, replies);
//! - `policy`: relay networks, the postmaster address and the per-client message rate (`rate`);
//! - `submission`: the submission checks and fix-ups after the message content.
//!
//! Common behaviour (invariants):
//! - Extensions announced: PIPELINING (RFC 2920), ENHANCEDSTATUSCODES (RFC 2034), 8BITMIME (RFC 6152),
//!   SMTPUTF8 (RFC 6531), CHUNKING (RFC 3030), SIZE (RFC 1870), STARTTLS (RFC 3207, only on a listener
//!   with `tls = "starttls"` before TLS is active); in SMTP modes also DSN (RFC 3461) and, where it
//!   is offered, AUTH PLAIN LOGIN (RFC 4954). Parameters of extensions not announced get `555 5.5.4`.
//! - Limits: `smtp.max_recipients` per transaction (`452 4.5.3`), `limits.max_message_size` (SIZE,
//!   and `552 5.3.4` after the data), [`malt_smtp_proto::MAX_COMMAND_LINE`] per command line
//!   (`500 5.5.2`), `smtp.max_errors` errors before `421 4.7.0` and disconnect, and the listener
//!   layer's idle timeout (`421 4.4.2`) and connection caps.
//!
//! LMTP (invariants, unchanged by the SMTP modes):
//! - Greeting `220 host LMTP Malt ready`; `LHLO` is required before MAIL; `EHLO`/`HELO` get
//!   `500 5.5.1` (RFC 2033 §4.1). No DSN, no AUTH.
//! - RCPT checks the directory at once: unknown recipients get `550 5.1.1` (RFC 3463 §3.2).
//! - After DATA's final dot or `BDAT ... LAST`, one reply per accepted recipient, in RCPT order
//!   (RFC 2033 §4.2); a `250` is sent only once the message is durable in that recipient's mailbox
//!   (`malt_core::delivery`). Over quota: `452 4.2.2`, or `552 5.2.2` when the message can never fit.
//!
//! SMTP, both modes (invariants):
//! - Greeting `220 host ESMTP Malt ready`; `EHLO` and `HELO` (RFC 5321 §4.1.1.1); `LHLO` gets
//!   `500 5.5.1`.
//! - RCPT: a local domain is one the store knows. An unknown local recipient gets `550 5.1.1`, one
//!   whose every mailbox is already over quota `452 4.2.2`. `<Postmaster>` without a domain is always
//!   accepted (RFC 5321 §4.5.1) and delivered to `smtp.postmaster` or `postmaster@` a local domain
//!   (see `policy::postmaster`). Any other domain is relayed only for an authenticated client or one
//!   in `smtp.relay_networks`; otherwise `554 5.7.1 Relay access denied`: never an open relay.
//! - After DATA / BDAT LAST: ONE reply for the transaction (RFC 5321 §4.1.1.4), sent once the message
//!   is durable for every accepted recipient (§6.1): delivered to the local ones, and queued (the
//!   durable outbound queue) for remote ones and local ones whose delivery failed temporarily.
//! - DSN parameters (RET, ENVID, NOTIFY, ORCPT) are kept with each queued recipient.
//!
//! MX mode: AUTH is offered only over TLS; a client may start at most
//! `smtp.max_messages_per_ip_per_minute` transactions per minute (`451 4.7.1`). Trace header
//! `with ESMTP`/`ESMTPS`/`ESMTPA`/`ESMTPSA` (RFC 3848).
//!
//! Submission mode: AUTH before MAIL (`530 5.7.0`); the envelope sender and the `From:` addresses
//! must belong to the authenticated account (`malt_core::sending`); `Sender:`, `Date:` and
//! `Message-ID:` are fixed up (RFC 6409 §8); the message is DKIM-signed (`MailCore::dkim_signed`)
//! before delivery or queueing; no copy is saved to Sent by the server.

mod finish;
mod op;
mod policy;
mod rate;
mod session;
pub mod state;
mod submission;

use std::sync::Arc;

use async_trait::async_trait;
use malt_core::{Authenticator, MailCore};
use malt_server::{Connection, Handler, SessionContext};

pub use rate::MessageRate;
pub use state::Mode;

/// What a handler gives each of its sessions.
#[derive(Debug, Clone)]
pub(crate) struct Parts {
    pub mode: Mode,
    pub core: MailCore,
    /// `None` in LMTP (no AUTH).
    pub auth: Option<Authenticator>,
    /// The per-client message rate (MX only).
    pub rate: Option<Arc<MessageRate>>,
}

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
        let parts = Parts {
            mode: Mode::Lmtp,
            core: self.core.clone(),
            auth: None,
            rate: None,
        };
        session::run(conn, ctx, parts).await;
    }
}

/// The SMTP MX handler (incoming mail, RFC 5321), registered for `Protocol::Smtp`.
#[derive(Debug, Clone)]
pub struct SmtpHandler {
    core: MailCore,
    auth: Authenticator,
    rate: Arc<MessageRate>,
}

impl SmtpHandler {
    pub fn new(core: MailCore, auth: Authenticator) -> Self {
        SmtpHandler {
            core,
            auth,
            rate: Arc::new(MessageRate::new()),
        }
    }
}

#[async_trait]
impl Handler for SmtpHandler {
    async fn handle(&self, conn: Connection, ctx: SessionContext) {
        let parts = Parts {
            mode: Mode::Mx,
            core: self.core.clone(),
            auth: Some(self.auth.clone()),
            rate: Some(self.rate.clone()),
        };
        session::run(conn, ctx, parts).await;
    }
}

/// The message submission handler (RFC 6409; implicit TLS per RFC 8314), registered for
/// `Protocol::Submission`.
#[derive(Debug, Clone)]
pub struct SubmissionHandler {
    core: MailCore,
    auth: Authenticator,
}

impl SubmissionHandler {
    pub fn new(core: MailCore, auth: Authenticator) -> Self {
        SubmissionHandler { core, auth }
    }
}

#[async_trait]
impl Handler for SubmissionHandler {
    async fn handle(&self, conn: Connection, ctx: SessionContext) {
        let parts = Parts {
            mode: Mode::Submission,
            core: self.core.clone(),
            auth: Some(self.auth.clone()),
            rate: None,
        };
        session::run(conn, ctx, parts).await;
    }
}
