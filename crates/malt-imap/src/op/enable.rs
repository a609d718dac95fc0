//! ENABLE (RFC 5161, RFC 9051 §6.3.1): IMAP4rev2, UTF8=ACCEPT (RFC 6855), CONDSTORE (RFC 7162 §3.1) and
//! QRESYNC (RFC 7162 §3.2.3, which implies CONDSTORE). Unknown capabilities are ignored; `* ENABLED`
//! lists what this command newly enabled, as the client named it.
//!
//! [`enables_condstore`] is the list of CONDSTORE-enabling commands (RFC 7162 §3.1): the session turns
//! CONDSTORE on before running any of them, so their own FETCH responses already carry MODSEQ.

use malt_imap_proto::CommandKind;
use malt_imap_proto::command::{SearchKey, StatusItem};

use crate::session::{Outcome, Session};

pub(crate) fn run(s: &mut Session, capabilities: &[String]) -> Outcome {
    let mut enabled = Vec::new();
    for c in capabilities {
        match c.to_ascii_uppercase().as_str() {
            "IMAP4REV2" if !s.rev2 => {
                s.rev2 = true;
                enabled.push("IMAP4rev2");
            }
            "UTF8=ACCEPT" if !s.utf8 => {
                s.utf8 = true;
                s.out.utf8_accept = true;
                enabled.push("UTF8=ACCEPT");
            }
            "CONDSTORE" if !s.condstore => {
                s.condstore = true;
                enabled.push("CONDSTORE");
            }
            "QRESYNC" if !s.qresync => {
                // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE.
                s.qresync = true;
                s.condstore = true;
                enabled.push("QRESYNC");
            }
            _ => {}
        }
    }
    s.out.enabled(&enabled);
    Outcome::ok("ENABLE completed")
}

/// Whether `kind` is a CONDSTORE-enabling command (RFC 7162 §3.1): SELECT/EXAMINE (CONDSTORE), FETCH
/// with the MODSEQ item or CHANGEDSINCE, SEARCH with MODSEQ, STORE with UNCHANGEDSINCE, STATUS
/// HIGHESTMODSEQ. (SELECT/EXAMINE with QRESYNC requires ENABLE QRESYNC, which already enabled it.)
pub(crate) fn enables_condstore(kind: &CommandKind) -> bool {
    use CommandKind as C;
    match kind {
        C::Select(a) | C::Examine(a) => a.condstore,
        C::Fetch { args, .. } => {
            args.changed_since.is_some()
                || args
                    .items
                    .contains(&malt_imap_proto::command::FetchAttribute::ModSeq)
        }
        C::Search { args, .. } => mentions_modseq(&args.key),
        C::Store { args, .. } => args.unchanged_since.is_some(),
        C::Status { items, .. } => items.contains(&StatusItem::HighestModSeq),
        _ => false,
    }
}

/// Whether a search key uses MODSEQ anywhere (RFC 7162 §3.1.5).
fn mentions_modseq(key: &SearchKey) -> bool {
    match key {
        SearchKey::ModSeq { .. } => true,
        SearchKey::Not(k) => mentions_modseq(k),
        SearchKey::Or(a, b) => mentions_modseq(a) || mentions_modseq(b),
        SearchKey::And(v) => v.iter().any(mentions_modseq),
        _ => false,
    }
}
