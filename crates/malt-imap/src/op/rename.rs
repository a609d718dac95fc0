//! RENAME (RFC 9051 §6.3.6): through the core (INBOX moves its messages; parents are created).
//! RFC 4314 §4: `x` on the mailbox, `k` on the new parent in another account; a mailbox cannot be
//! renamed into another account (`[CANNOT]`).

use malt_core::acl::Rights;
use malt_imap_proto::ResponseCode;

use crate::access;
use crate::op::{mailbox_name, store_error};
use crate::session::{Outcome, Session};

pub(crate) async fn run(s: &mut Session, from: &str, to: &str) -> Outcome {
    let Some(account) = s.state.account().map(|a| a.id) else {
        return Outcome::bad("Not authenticated");
    };
    let (from, to) = match (mailbox_name(s, from), mailbox_name(s, to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    let _ = account;
    // RFC 4314 §4: RENAME needs `x` on the mailbox and `k` on the new parent; both names must be
    // in the same account.
    let source = match access::resolve(s, &from).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    if let Err(o) = source.need(Rights::DELETE_MAILBOX) {
        return o;
    }
    let dest = match access::resolve(s, &to).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    if dest.owner != source.owner || (!dest.own && access::parent(&to).is_none()) {
        return Outcome::no(
            Some(ResponseCode::Cannot),
            "Cannot rename a mailbox into another account",
        );
    }
    if dest.own
        && let Some(o) = access::reserved(&to, s.shared_account.is_some())
    {
        return o;
    }
    if !dest.own {
        let Some(parent) = access::parent(&to) else {
            return access::nonexistent();
        };
        let parent = match access::resolve(s, parent).await {
            Ok(t) => t,
            Err(o) => return o,
        };
        if let Err(o) = parent.need(Rights::CREATE) {
            return o;
        }
    }
    match s
        .core
        .rename_mailbox(source.owner, &source.name, &dest.name)
        .await
    {
        Ok(_) => Outcome::ok("RENAME completed"),
        Err(e) => store_error(&e),
    }
}
