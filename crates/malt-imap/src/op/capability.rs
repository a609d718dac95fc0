//! CAPABILITY (RFC 9051 §6.1.1): only what this server implements. Before login: STARTTLS when it can be
//! used, and either the plaintext mechanisms or LOGINDISABLED (RFC 9051 §6.2.3, RFC 8314).

use crate::session::{Outcome, Session};
use crate::state::State;

/// Announced in every state.
const BASE: &[&str] = &[
    "IMAP4rev1",
    "IMAP4rev2",
    "LITERAL+",
    "SASL-IR",
    "ENABLE",
    "ID",
    "IDLE",
    "NAMESPACE",
    "UIDPLUS",
    "MOVE",
    "UNSELECT",
    "CHILDREN",
    "SPECIAL-USE",
    "LIST-EXTENDED",
    "LIST-STATUS",
    "STATUS=SIZE",
    "MULTIAPPEND",
    "UTF8=ACCEPT",
    // RFC 5464 (op/metadata.rs): mailbox and server entries.
    "METADATA",
    "METADATA-SERVER",
    // RFC 9208 (op/quota.rs): STORAGE only, Malt has no message-count limit.
    "QUOTA",
    "QUOTA=RES-STORAGE",
];

/// The capability list for the session's current state.
pub(crate) fn list(s: &Session) -> Vec<&'static str> {
    let mut caps: Vec<&'static str> = BASE.to_vec();
    if matches!(s.state, State::NotAuthenticated) {
        if s.ctx.starttls_available(s.tls) {
            caps.push("STARTTLS");
        }
        if s.plaintext_ok {
            caps.push("AUTH=PLAIN");
            caps.push("AUTH=LOGIN");
        } else {
            caps.push("LOGINDISABLED");
        }
    }
    caps
}

pub(crate) fn run(s: &mut Session) -> Outcome {
    let caps = list(s);
    s.out.capability(&caps);
    Outcome::ok("CAPABILITY completed")
}
