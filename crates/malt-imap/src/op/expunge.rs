//! EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): removes `\Deleted` messages (only those in
//! the UID set for UID EXPUNGE) and announces each with `* n EXPUNGE`, numbered as of when it is sent.
//! Refused with `[READ-ONLY]` in an EXAMINEd mailbox, with `[NOPERM]` without the `e` right (RFC 4314 §4);
//! in another account's mailbox it runs as the owner. With QRESYNC enabled the removed messages are
//! announced by one `* VANISHED uids` instead (RFC 7162 §3.2.10).

use malt_imap_proto::command::SequenceSet;
use malt_store::UidSet;

use malt_core::acl::Rights;

use crate::access;
use crate::op::store_error;
use crate::session::{Outcome, Session, announce_removed};

pub(crate) async fn run(s: &mut Session, set: Option<&SequenceSet>) -> Outcome {
    let access = match access::selected(s) {
        Ok(a) => a,
        Err(o) => return o,
    };
    let (_, view) = match s.state.selected(true) {
        Ok(sel) => sel,
        Err(o) => return o,
    };
    // RFC 4314 §4: EXPUNGE needs `e`.
    if let Err(o) = access.need(Rights::EXPUNGE) {
        return o;
    }
    let uids = match set {
        None => None,
        Some(set) => match view.resolve(set, true) {
            Ok(t) if t.is_empty() => return Outcome::ok("EXPUNGE completed"),
            Ok(t) => Some(UidSet::from_uids(t.into_iter().map(|(_, u)| u))),
            Err(e) => return Outcome::bad(e.0),
        },
    };
    match s.core.expunge(access.owner, view.mailbox_id, uids.as_ref()).await {
        Ok(gone) => {
            announce_removed(&mut s.out, view, &gone);
            Outcome::ok("EXPUNGE completed")
        }
        Err(e) => store_error(&e),
    }
}
