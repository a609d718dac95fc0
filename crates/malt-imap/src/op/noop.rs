//! NOOP (RFC 9051 §6.1.2) and CHECK (RFC 3501 §6.4.1, an alias of NOOP in IMAP4rev2). Both are sync
//! points: the session reads the selected mailbox's changes before the tagged OK, EXPUNGE included.

use crate::session::Outcome;

/// `check`: the command was CHECK, answered in its own name (RFC 3501 §6.4.1 example).
pub(crate) fn run(check: bool) -> Outcome {
    Outcome::ok(if check {
        "CHECK completed"
    } else {
        "NOOP completed"
    })
}
