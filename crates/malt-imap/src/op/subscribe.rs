//! SUBSCRIBE and UNSUBSCRIBE (RFC 9051 §6.3.7, §6.3.8). Subscribing to a name that does not exist is
//! allowed (RFC 9051 §6.3.7 lets the server refuse, Malt does not), except under `Other Users/` and
//! `Shared/` (RFC 2342), where the user must have some right on the mailbox (RFC 4314 §4).

use malt_core::mail::validate_mailbox_name;

use crate::access;
use crate::op::{mailbox_name, store_error};
use crate::session::{Outcome, Session};

pub(crate) async fn run(s: &mut Session, mailbox: &str, subscribe: bool) -> Outcome {
    let Some(account) = s.state.account().map(|a| a.id) else {
        return Outcome::bad("Not authenticated");
    };
    let name = match mailbox_name(s, mailbox).map(|n| validate_mailbox_name(&n)) {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => return store_error(&e),
        Err(o) => return o,
    };
    // Another account's mailbox is subscribed under its client name, only when the user can see
    // it (RFC 4314 §4: no right at all is `[NONEXISTENT]`); UNSUBSCRIBE is always allowed.
    if subscribe
        && !matches!(
            access::split(&name, s.shared_account.is_some()),
            access::Space::Personal(_)
        )
    {
        match access::resolve(s, &name).await {
            Ok(t) if t.mailbox.is_some() && !t.rights.is_empty() => {}
            Ok(_) => return access::nonexistent(),
            Err(o) => return o,
        }
    }
    match s
        .core
        .storage()
        .store
        .subscription_set(account, &name, subscribe)
        .await
    {
        Ok(()) => Outcome::ok(if subscribe {
            "SUBSCRIBE completed"
        } else {
            "UNSUBSCRIBE completed"
        }),
        Err(e) => store_error(&e),
    }
}
