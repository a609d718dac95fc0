//! CAPABILITY (RFC 9051 §6.1.1): only what this server implements. Before login: STARTTLS when it can be
//! used, and either the plaintext mechanisms or LOGINDISABLED (RFC 9051 §6.2.3, RFC 8314). After login:
//! COMPRESS=DEFLATE while compression is not active yet (RFC 4978 §3 allows it only after
//! authentication). `APPENDLIMIT=n` is the core's maximum message size (RFC 7889 §2).

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
    "CREATE-SPECIAL-USE",
    "LIST-EXTENDED",
    "LIST-STATUS",
    "STATUS=SIZE",
    "MULTIAPPEND",
    "UTF8=ACCEPT",
    "CONDSTORE",
    "QRESYNC",
    "BINARY",
    "OBJECTID",
    "PREVIEW",
    "SAVEDATE",
    "ESEARCH",
    "SEARCHRES",
    "SORT",
    "SORT=DISPLAY",
    "ESORT",
    "THREAD=ORDEREDSUBJECT",
    "THREAD=REFERENCES",
    // RFC 5464 (op/metadata.rs): mailbox and server entries.
    "METADATA",
    "METADATA-SERVER",
    // RFC 9208 (op/quota.rs): STORAGE only, Malt has no message-count limit.
    "QUOTA",
    "QUOTA=RES-STORAGE",
    // RFC 5465 (op/notify.rs, notify.rs): all events but AnnotationChange.
    "NOTIFY",
    // RFC 4314 (op/acl.rs, access.rs): ACL commands, rights enforced on every command; the
    // new-style rights `t e x k` (§2.1.1).
    "ACL",
    "RIGHTS=texk",
];

/// The capability list for the session's current state.
pub(crate) fn list(s: &Session) -> Vec<String> {
    let mut caps: Vec<String> = BASE.iter().map(|c| (*c).to_owned()).collect();
    caps.push(format!("APPENDLIMIT={}", s.core.settings().max_message_size));
    let authenticated = matches!(s.state, State::Authenticated { .. } | State::Selected { .. });
    if authenticated && !s.compressed {
        caps.push("COMPRESS=DEFLATE".to_owned());
    }
    if matches!(s.state, State::NotAuthenticated) {
        if s.ctx.starttls_available(s.tls) {
            caps.push("STARTTLS".to_owned());
        }
        if s.plaintext_ok {
            caps.push("AUTH=PLAIN".to_owned());
            caps.push("AUTH=LOGIN".to_owned());
        } else {
            caps.push("LOGINDISABLED".to_owned());
        }
    }
    caps
}

pub(crate) fn run(s: &mut Session) -> Outcome {
    let caps = list(s);
    let caps: Vec<&str> = caps.iter().map(String::as_str).collect();
    s.out.capability(&caps);
    Outcome::ok("CAPABILITY completed")
}
