//! CREATE (RFC 9051 §6.3.4, CREATE-SPECIAL-USE RFC 6154 §3): missing parents are created too; a trailing
//! delimiter is dropped; an existing name is `[ALREADYEXISTS]`; an unknown special use is `[USEATTR]`.
//! RFC 4314 §4: in another account (`Other Users/`, `Shared/`) the parent needs `k`.
//! Success carries `[MAILBOXID (id)]` (OBJECTID, RFC 8474 §4.1).

use malt_core::acl::Rights;
use malt_imap_proto::ResponseCode;
use malt_store::{AccountId, HIERARCHY_SEPARATOR, SpecialUse};

use crate::access;

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
    // RFC 4314 §4: creating in another account needs `k` on the parent; the owner level of
    // `Other Users/` and the namespace roots themselves cannot be created.
    let owner = match creator(s, account, name).await {
        Ok(o) => o,
        Err(o) => return o,
    };
    let inner = match access::split(name, s.shared_account.is_some()) {
        access::Space::Personal(n) | access::Space::Shared(n) | access::Space::Other(_, n) => n,
    };
    match s.core.create_mailbox(owner, inner, role).await {
        // RFC 8474 §4.1: the new mailbox's MAILBOXID in the tagged OK.
        Ok(mb) => Outcome::ok("CREATE completed").code(ResponseCode::MailboxId(crate::objectid::mailbox_id(
            mb.uidvalidity,
        ))),
        Err(e) => store_error(&e),
    }
}

/// The account a new mailbox `name` belongs to: the user's for a personal name (the namespace
/// roots `Other Users` and `Shared` are refused, they would hide the namespaces), the owner's for
/// a name under `Other Users/<owner>/` or `Shared/` when the user has `k` on its parent (RFC 4314
/// §4). A parent the user has no right on answers `[NONEXISTENT]`, like a missing one.
async fn creator(s: &Session, account: AccountId, name: &str) -> Result<AccountId, Outcome> {
    let shared = s.shared_account.is_some();
    match access::split(name, shared) {
        access::Space::Personal(n) => match access::reserved(n, shared) {
            Some(o) => Err(o),
            None => Ok(account),
        },
        _ => {
            let Some(parent) = access::parent(name) else {
                return Err(access::nonexistent());
            };
            let target = access::resolve(s, parent).await?;
            if target.own {
                return Err(access::nonexistent());
            }
            target.need(Rights::CREATE)?;
            Ok(target.owner)
        }
    }
}
