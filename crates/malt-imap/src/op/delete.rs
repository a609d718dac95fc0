//! DELETE (RFC 9051 §6.3.5): INBOX and mailboxes with children are refused (`[CANNOT]`/`[HASCHILDREN]`),
//! a missing one is `[NONEXISTENT]`. RFC 4314 §4: another account's mailbox needs `x`. Deleting the
//! selected mailbox ends the session with `* BYE` (as when another session deletes it, RFC 9051 §7.1.5).

use malt_core::acl::Rights;
use malt_imap_proto::ResponseCode;
use malt_store::StoreError;

use crate::access;

use crate::op::{mailbox_name, store_error};
use crate::session::{Outcome, Session};

pub(crate) async fn run(s: &mut Session, mailbox: &str) -> Outcome {
    if s.state.account().is_none() {
        return Outcome::bad("Not authenticated");
    }
    let name = match mailbox_name(s, mailbox) {
        Ok(n) => n,
        Err(o) => return o,
    };
    let target = match access::resolve(s, &name).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    // RFC 4314 §4: DELETE needs `x`.
    if let Err(o) = target.need(Rights::DELETE_MAILBOX) {
        return o;
    }
    let deleted = target.mailbox.as_ref().map(|m| m.id);
    match s.core.delete_mailbox(target.owner, &target.name).await {
        Ok(()) => {
            // The selected mailbox itself: the session ends after the tagged OK (session.rs).
            if let crate::state::State::Selected { view, .. } = &s.state
                && deleted == Some(view.mailbox_id)
            {
                s.selected_deleted = true;
            }
            Outcome::ok("DELETE completed")
        }
        Err(StoreError::Conflict(why)) if why.contains("children") => {
            Outcome::no(Some(ResponseCode::HasChildren), why)
        }
        Err(e) => store_error(&e),
    }
}
