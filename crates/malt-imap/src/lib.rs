//! Malt's IMAP server session: IMAP4rev2 (RFC 9051) and IMAP4rev1 (RFC 3501) over the listener layer
//! of `malt-server`, with the codec of `malt-imap-proto`.
//!
//! - [`state`]: the session states (an enum carrying its data) and the one table of what is allowed where.
//! - [`view`]: the per-session view of the selected mailbox (sequence numbers ↔ UIDs, known flags) and
//!   the queue of changes made by other sessions.
//! - `access`: mailbox names across the personal, other users' and shared namespaces (RFC 2342)
//!   and the user's rights on them (RFC 4314), used by every command naming a mailbox;
//! - `session`: the read-parse-run-write loop; `op/`: the commands; [`search`]: SEARCH evaluation;
//!   `deflate`: the COMPRESS=DEFLATE layer under the session (RFC 4978);
//!   [`sort`] and [`thread`]: the SORT order and THREAD algorithms (RFC 5256), pure;
//!   `notify`: what NOTIFY (RFC 5465) asked for and the delivery of its events.
//!
//! Invariants (see /work/shared/PITFALLS.md):
//! - Commands of one connection run strictly one after the other, in the order received: a command is
//!   parsed only after the previous one has been answered (pipelining is safe, RFC 9051 §5.5).
//! - Changes made by other sessions are never announced in the middle of a command. They are applied to
//!   the view only at sync points (with NOTIFY, also while no command is in progress, RFC 5465); `EXPUNGE` is never sent during or after FETCH/STORE/SEARCH (RFC 9051
//!   §7.5.1); `EXISTS` always precedes any response mentioning a new sequence number; an untagged `FLAGS`
//!   precedes any `FETCH` using a keyword the session has not announced yet.
//! - CONDSTORE/QRESYNC (RFC 7162): a `MODSEQ` sent is always the one of the flags the client was told;
//!   with QRESYNC enabled expunges are `VANISHED`, under the same deferral rules as `EXPUNGE`.

mod access;
mod binary;
mod deflate;
mod notify;
mod objectid;
mod op;
pub mod search;
mod session;
pub mod sort;
pub mod state;
pub mod thread;
pub mod view;

use async_trait::async_trait;
use malt_core::{Authenticator, MailCore};
use malt_server::{Connection, Handler, SessionContext};
use malt_store::ChangeFeed;

/// The IMAP protocol handler, registered for `Protocol::Imap`.
#[derive(Debug, Clone)]
pub struct Imap4Handler {
    core: MailCore,
    auth: Authenticator,
    feed: ChangeFeed,
    shared_account: Option<String>,
}

impl Imap4Handler {
    pub fn new(core: MailCore, auth: Authenticator, feed: ChangeFeed) -> Self {
        Imap4Handler {
            core,
            auth,
            feed,
            shared_account: None,
        }
    }

    /// The account (by address) whose mailboxes form the shared namespace `Shared/` (RFC 2342
    /// §5); `None` (the default): no shared namespace.
    pub fn with_shared_account(mut self, address: Option<String>) -> Self {
        self.shared_account = address.map(|a| a.trim().to_lowercase());
        self
    }
}

#[async_trait]
impl Handler for Imap4Handler {
    async fn handle(&self, conn: Connection, ctx: SessionContext) {
        let feed = self.feed.subscribe();
        session::run(
            conn,
            ctx,
            self.core.clone(),
            self.auth.clone(),
            feed,
            self.shared_account.clone(),
        )
        .await;
    }
}
