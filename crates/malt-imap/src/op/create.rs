//! CREATE (RFC 9051 §6.3.4, CREATE-SPECIAL-USE RFC 6154 §3): missing parents are created too; a trailing
//! delimiter is dropped; an existing name is `[ALREADYEXISTS]`; an unknown special use is `[USEATTR]`.
//! Success carries `[MAILBOXID (id)]` (OBJECTID, RFC 8474 §4.1).

use malt_imap_proto::ResponseCode;
use malt_store::{HIERARCHY_SEPARATOR, SpecialUse};

use crate::op::{mailbox_name, store_error};
use crate::session::{Outcome, Session};

pub(crate) async fn run(s: &mut Session, mailbox: &str, special_use: &[String]) -> Outcome {
    let Some(account) = s.state.account().map(|a| a.id) else {
        return Outcome::bad("Not authenticated");
    };
    let name = match mailbox_name(s, mailbox) {
        Ok(n) => n,
        Err(o) => return o,
    };
    let name = name.strip_suffix(HIERARCHY_SEPARATOR).unwrap_or(&name);
    let mut role = None;
    for u in special_use {
        match (SpecialUse::parse(u), role) {
            (Some(r), None) => role = Some(r),
            _ => {
                return Outcome::no(
                    Some(ResponseCode::UseAttr),
                    format!("Unsupported special use \\{u}"),
                );
            }
        }
    }
    match s.core.create_mailbox(account, name, role).await {
        // RFC 8474 §4.1: the new mailbox's MAILBOXID in the tagged OK.
        Ok(mb) => {
            Outcome::ok("CREATE completed").code(ResponseCode::MailboxId(crate::objectid::mailbox_id(mb.id)))
        }
        Err(e) => store_error(&e),
    }
}
