//! The ACL commands (RFC 4314 §3): SETACL, DELETEACL, GETACL, LISTRIGHTS and MYRIGHTS, on the
//! user's own mailboxes and on other accounts' mailboxes (names resolved by [`crate::access`]).
//!
//! - SETACL, DELETEACL, GETACL and LISTRIGHTS need the `a` right (§4), MYRIGHTS any right; a
//!   mailbox the user has no right on is `NO [NONEXISTENT]` like a missing one (§4, §6).
//! - SETACL rights: `+rights` adds, `-rights` removes, anything else replaces (§3.1); an empty
//!   result removes the entry. An unknown right letter is `BAD` (§3.1). The obsolete `c` and `d`
//!   stand for `kx` and `te` (§2.1.1).
//! - GETACL (§3.3) lists the owner first with every right (the owner cannot be locked out, see
//!   `malt_core::acl`), then the stored entries; GETACL and MYRIGHTS add the virtual `c`/`d`
//!   (§2.1.1) for RFC 2086 clients.
//! - LISTRIGHTS (§3.7): the owner is always granted everything; any other identifier nothing,
//!   and may be granted each right on its own.

use malt_core::acl::{self as core_acl, Rights, RightsChange};
use malt_store::AclEntry;

use crate::access::{self, Target};
use crate::op::{mailbox_name, store_error};
use crate::session::{Outcome, Session};

/// Resolves `mailbox` and checks `needed` (RFC 4314 §4).
async fn target(s: &Session, mailbox: &str, needed: Rights) -> Result<Target, Outcome> {
    let name = mailbox_name(s, mailbox)?;
    let target = access::resolve(s, &name).await?;
    target.need(needed)?;
    Ok(target)
}

/// An identifier that names nobody ACL matching could ever apply to (RFC 4314 §3.1 leaves the
/// syntax to the server): empty, or a lone `-`.
fn bad_identifier(identifier: &str) -> Option<Outcome> {
    let id = identifier.trim();
    (id.is_empty() || id == "-").then(|| Outcome::bad("Invalid identifier"))
}

/// SETACL (RFC 4314 §3.1).
pub(crate) async fn set(s: &mut Session, mailbox: &str, identifier: &str, rights: &str) -> Outcome {
    if let Err(e) = RightsChange::parse(rights) {
        return Outcome::bad(e.to_string());
    }
    if let Some(o) = bad_identifier(identifier) {
        return o;
    }
    let target = match target(s, mailbox, Rights::ADMIN).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    let Some(mb) = &target.mailbox else {
        return access::nonexistent();
    };
    let store = &s.core.storage().store;
    match core_acl::set_rights(store.as_ref(), target.owner, mb.id, identifier, rights).await {
        Ok(_) => Outcome::ok("SETACL completed"),
        Err(e) => store_error(&e),
    }
}

/// DELETEACL (RFC 4314 §3.2). Deleting an entry that does not exist succeeds.
pub(crate) async fn delete(s: &mut Session, mailbox: &str, identifier: &str) -> Outcome {
    if let Some(o) = bad_identifier(identifier) {
        return o;
    }
    let target = match target(s, mailbox, Rights::ADMIN).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    let Some(mb) = &target.mailbox else {
        return access::nonexistent();
    };
    let store = &s.core.storage().store;
    match store.acl_delete(target.owner, mb.id, identifier).await {
        Ok(_) => Outcome::ok("DELETEACL completed"),
        Err(e) => store_error(&e),
    }
}

/// GETACL (RFC 4314 §3.3): `* ACL mailbox identifier rights ...` (§3.6).
pub(crate) async fn get(s: &mut Session, mailbox: &str) -> Outcome {
    let target = match target(s, mailbox, Rights::ADMIN).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    let Some(mb) = &target.mailbox else {
        return access::nonexistent();
    };
    let acl = match s.core.storage().store.acl_list(mb.id).await {
        Ok(a) => a,
        Err(e) => return store_error(&e),
    };
    let mut entries: Vec<(String, String)> =
        vec![(target.owner_address.clone(), Rights::ALL.with_obsolete())];
    entries.extend(
        acl.into_iter()
            .filter(|e| e.identifier != target.owner_address)
            .map(|e: AclEntry| (e.identifier, Rights::parse_lenient(&e.rights).with_obsolete())),
    );
    let refs: Vec<(&str, &str)> = entries.iter().map(|(i, r)| (i.as_str(), r.as_str())).collect();
    s.out.acl(&target.display, &refs);
    Outcome::ok("GETACL completed")
}

/// LISTRIGHTS (RFC 4314 §3.4): `* LISTRIGHTS mailbox identifier required optional...` (§3.7).
pub(crate) async fn list_rights(s: &mut Session, mailbox: &str, identifier: &str) -> Outcome {
    if let Some(o) = bad_identifier(identifier) {
        return o;
    }
    let target = match target(s, mailbox, Rights::ADMIN).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    let lr = core_acl::list_rights(identifier, &target.owner_address);
    let required = lr.required.to_string();
    let optional: Vec<String> = lr.optional.iter().map(Rights::to_string).collect();
    let optional: Vec<&str> = optional.iter().map(String::as_str).collect();
    s.out
        .list_rights(&target.display, identifier, &required, &optional);
    Outcome::ok("LISTRIGHTS completed")
}

/// MYRIGHTS (RFC 4314 §3.5): `* MYRIGHTS mailbox rights` (§3.8); any right suffices.
pub(crate) async fn my_rights(s: &mut Session, mailbox: &str) -> Outcome {
    let target = match target(s, mailbox, Rights::NONE).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    s.out.my_rights(&target.display, &target.rights.with_obsolete());
    Outcome::ok("MYRIGHTS completed")
}
