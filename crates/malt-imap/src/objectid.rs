//! Object identifiers (RFC 8474): how Malt names mailboxes, messages and threads to clients.
//!
//! Every id is an `objectid` (RFC 8474 §7: 1*255 of ALPHA / DIGIT / "_" / "-"), stable across sessions
//! and backends because it is derived from stored, immutable values only.
//!
//! - MAILBOXID (§4): `F` + the mailbox's UIDVALIDITY. Every mailbox creation takes a UIDVALIDITY from
//!   one server-wide counter that only grows (both backends), so no two mailboxes ever share one, not
//!   even a mailbox deleted and created again (a row id would be reused by SQLite); RENAME keeps it.
//! - EMAILID (§5.1): `M` + the first 32 hex digits of the hash naming the message's content
//!   ([`Message::content_id`]: the blob's BLAKE3 for a message without a prefix, else a hash of the
//!   prefix and the blob id). MOVE keeps it (MUST); COPY keeps it too, as §5.1 allows ("copies ...
//!   MAY share"), since a copy is the same immutable content. Two deliveries of byte-identical
//!   messages share an EMAILID, which §5.1 also allows: an EMAILID always names one immutable
//!   content. The recipients of one delivery share a blob but not their trace headers (the prefix),
//!   so their copies have different EMAILIDs, also two copies delivered to one account (an address
//!   and its alias).
//! - THREADID (§5.2): `T` + the account's thread number, shared by a conversation.

use malt_store::Message;

/// MAILBOXID of the mailbox with this UIDVALIDITY (RFC 8474 §4).
pub(crate) fn mailbox_id(uidvalidity: u32) -> String {
    format!("F{uidvalidity}")
}

/// EMAILID of a message (RFC 8474 §5.1).
pub(crate) fn email_id(m: &Message) -> String {
    let hash: String = m
        .content_id()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect();
    format!("M{hash}")
}

/// THREADID of a message (RFC 8474 §5.2).
pub(crate) fn thread_id(m: &Message) -> String {
    format!("T{}", m.thread_id)
}
