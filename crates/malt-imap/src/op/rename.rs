//! RENAME (RFC 9051 §6.3.6): through the core (INBOX moves its messages; parents are created).

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
    match s.core.rename_mailbox(account, &from, &to).await {
        Ok(_) => Outcome::ok("RENAME completed"),
        Err(e) => store_error(&e),
    }
}
