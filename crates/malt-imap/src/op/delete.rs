//! DELETE (RFC 9051 §6.3.5): INBOX and mailboxes with children are refused (`[CANNOT]`/`[HASCHILDREN]`),
//! a missing one is `[NONEXISTENT]`. Deleting the selected mailbox ends the session with `* BYE`
//! (as when another session deletes it, RFC 9051 §7.1.5).

use malt_imap_proto::ResponseCode;
use malt_store::StoreError;

use crate::op::{mailbox_name, store_error};
use crate::session::{Outcome, Session};

pub(crate) async fn run(s: &mut Session, mailbox: &str) -> Outcome {
    let Some(account) = s.state.account().map(|a| a.id) else {
        return Outcome::bad("Not authenticated");
    };
    let name = match mailbox_name(s, mailbox) {
        Ok(n) => n,
        Err(o) => return o,
    };
    match s.core.delete_mailbox(account, &name).await {
        Ok(()) => {
            // The selected mailbox itself: the session ends after the tagged OK (session.rs).
            if let crate::state::State::Selected { view, .. } = &s.state
                && view.name == name
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
