//! Malt's ManageSieve server (RFC 5804): users upload, check, list, activate, download, rename
//! and delete their Sieve scripts (RFC 5228) on port 4190.
//!
//! - [`proto`]: the codec (framing with literals, the command grammar, responses), no I/O.
//! - [`state`]: the states and the one table of which command is allowed where.
//! - `session`: the loop; `op/`: one file per command.
//!
//! Behaviour worth knowing (invariants):
//! - Scripts are checked and stored through `malt_core::sieve_scripts`: nothing that does not
//!   compile is stored, quota (`[sieve] max_scripts`, `max_script_size`) is enforced by the store
//!   in the transaction that adds a script, at most one script is active.
//! - AUTHENTICATE offers PLAIN and LOGIN only where passwords may travel in the clear (TLS,
//!   loopback, or `auth.allow_plaintext_without_tls`); elsewhere the SASL capability is empty and
//!   AUTHENTICATE answers `NO (ENCRYPT-NEEDED)`, as RFC 5804 §1.7 allows while STARTTLS is offered.
//! - ManageSieve has no `BAD`: malformed commands are answered `NO` and counted; after
//!   `MAX_BAD_COMMANDS` the server says `BYE` and closes.
//! - Deviation: a synchronising literal `{n}` from a client is read like `{n+}` (RFC 5804 has no
//!   continuation request; Dovecot does the same).

mod op;
pub mod proto;
mod session;
pub mod state;

use async_trait::async_trait;
use malt_core::Authenticator;
use malt_core::sieve_scripts::SieveScripts;
use malt_server::{Connection, Handler, SessionContext};

pub use session::{MAX_BAD_COMMANDS, MAX_SKIP};

/// The ManageSieve protocol handler, registered for `Protocol::ManageSieve`.
#[derive(Debug, Clone)]
pub struct ManageSieveHandler {
    scripts: SieveScripts,
    auth: Authenticator,
}

impl ManageSieveHandler {
    pub fn new(scripts: SieveScripts, auth: Authenticator) -> Self {
        ManageSieveHandler { scripts, auth }
    }
}

#[async_trait]
impl Handler for ManageSieveHandler {
    async fn handle(&self, conn: Connection, ctx: SessionContext) {
        session::run(conn, ctx, self.scripts.clone(), self.auth.clone()).await;
    }
}
