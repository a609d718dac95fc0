//! ACL (RFC 3744 §8.1) of a calendar or address book the user owns: another way to write its
//! shares, not a second permission model. The body replaces every ACE that is not protected
//! (§8.1: there are no inherited ones here); each principal it grants something becomes a share
//! (`malt_core::dav_sharing::share`), and every share it does not name is removed (`unshare`).
//! `DAV:acl` ([`crate::sharing`]) shows the result: the protected owner ACE and one ACE per
//! share, so what a client reads it can send back unchanged.
//!
//! Principals: a `DAV:href` naming a principal URL (`/dav/principals/<address>/`, also for a
//! group's address), or a `mailto:` (or bare) address, of an account or a group of this server.
//! ACEs naming the same principal add up (§5.5: the union of their grants).
//!
//! | privileges granted to a principal | share |
//! |---|---|
//! | `CALDAV:read-free-busy` alone (calendars only, RFC 4791 §6.1.1) | `FreeBusy` |
//! | `read` (with `read-current-user-privilege-set`, and `read-free-busy` on calendars) | `Read` |
//! | `read` + `write`, `all`, or `read` + `write-content` + `bind` + `unbind` (with `write-properties`) | `ReadWrite` |
//!
//! `all` is the most a sharee can have: read-write (the owner's `write-acl` is not shared).
//!
//! Refusals, each `403` with the RFC 3744 §8.1.1 precondition and a reason, nothing written (every
//! ACE is checked first, as the sharing POST does):
//!
//! | case | precondition |
//! |---|---|
//! | a `DAV:deny` ACE (`acl-restrictions`: §5.6.1) | `DAV:grant-only` |
//! | a `DAV:invert` principal (§5.6.2) | `DAV:no-invert` |
//! | an `DAV:inherited` ACE (nothing is inherited) | `DAV:no-inherited-ace-conflict` |
//! | `DAV:all`, `authenticated`, `unauthenticated`, `self`, `property` principals | `DAV:allowed-principal` |
//! | an href that names no account or group | `DAV:recognized-principal` |
//! | a privilege not supported, or privileges no share level stands for | `DAV:not-supported-privilege` |
//! | the owner's ACE with anything but `DAV:all` (it is protected) | `DAV:no-protected-ace-conflict` |
//!
//! The owner's ACE may be repeated unchanged or left out. A sharee's ACL is `403`
//! `DAV:need-privileges` (`write-acl`, RFC 3744 §7.1.1); a user without access gets `404`.
//! Answer: `200` with no body (§8.1).

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use malt_dav_proto::Name;
use malt_dav_proto::name::{CALDAV, DAV};
use malt_dav_proto::request::{Ace, AcePrincipal, parse_acl};
use malt_store::{DavAccess, DavCollectionKind, DavShareNote};

use crate::error::{DavError, DavResult};
use crate::sharing::{apply, is_sharee, owned_shareable, sharee_address};
use crate::{Ctx, DavRequest, empty};

/// The privileges an ACE may name on a collection of `kind` (what `supported-privilege-set`
/// lists, but `write-acl`: sharing is the owner's).
fn grantable(p: &Name, kind: DavCollectionKind) -> bool {
    const DAV_PRIVILEGES: &[&str] = &[
        "all",
        "read",
        "read-current-user-privilege-set",
        "write",
        "write-properties",
        "write-content",
        "bind",
        "unbind",
    ];
    (p.ns == DAV && DAV_PRIVILEGES.contains(&p.local.as_str()))
        || (kind == DavCollectionKind::Calendar && p.is(CALDAV, "read-free-busy"))
}

/// The share level `privileges` (one principal's, added up) stand for on a collection of
/// `kind` (the table of the module doc), or why there is none.
pub fn level(privileges: &[Name], kind: DavCollectionKind) -> Result<DavAccess, String> {
    if let Some(p) = privileges.iter().find(|p| !grantable(p, kind)) {
        return Err(format!("{p} cannot be granted on this collection"));
    }
    let has = |local: &str| privileges.iter().any(|p| p.is(DAV, local));
    let all = has("all");
    let read = all || has("read");
    let write = all || has("write") || ["write-content", "bind", "unbind"].iter().all(|l| has(l));
    if write {
        return if read {
            Ok(DavAccess::ReadWrite)
        } else {
            Err("write is granted together with read".to_owned())
        };
    }
    if ["write-properties", "write-content", "bind", "unbind"]
        .iter()
        .any(|l| has(l))
    {
        return Err("write-content, bind and unbind are granted together, with read".to_owned());
    }
    if read {
        return Ok(DavAccess::Read);
    }
    if has("read-current-user-privilege-set") {
        return Err("read-current-user-privilege-set is granted with read".to_owned());
    }
    // Only CALDAV:read-free-busy is left (privileges is never empty: the parser sees to it).
    Ok(DavAccess::FreeBusy)
}

fn refused(condition: &str, reason: impl Into<String>) -> DavError {
    DavError::refused(Name::dav(condition), reason)
}

/// The principal address of one ACE, after the checks that need no store (the table of the
/// module doc, in order).
fn principal_of(ace: &Ace) -> DavResult<String> {
    if !ace.grant {
        return Err(refused("grant-only", "only grants are supported (no deny)"));
    }
    if ace.invert {
        return Err(refused("no-invert", "inverted principals are not supported"));
    }
    if let Some(from) = &ace.inherited {
        return Err(refused(
            "no-inherited-ace-conflict",
            format!("no ACE is inherited here (not from {from})"),
        ));
    }
    let other = match &ace.principal {
        AcePrincipal::Href(href) => {
            return sharee_address(href)
                .map_err(|_| refused("recognized-principal", format!("{href} names no principal")));
        }
        AcePrincipal::All => "DAV:all",
        AcePrincipal::Authenticated => "DAV:authenticated",
        AcePrincipal::Unauthenticated => "DAV:unauthenticated",
        AcePrincipal::SelfPrincipal => "DAV:self",
        AcePrincipal::Property(_) => "DAV:property",
    };
    Err(refused(
        "allowed-principal",
        format!("{other} cannot be granted anything: name a user or a group"),
    ))
}

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let aces = parse_acl(&req.body, &ctx.settings().xml)?;
    let c = owned_shareable(ctx, req).await?;

    // Every ACE checked, and the grants of each principal added up, before anything is written.
    let mut grants: Vec<(String, Vec<Name>)> = Vec::new();
    for ace in &aces {
        let address = principal_of(ace)?;
        if address.eq_ignore_ascii_case(&ctx.account.address) {
            if ace.privileges != [Name::dav("all")] {
                return Err(refused(
                    "no-protected-ace-conflict",
                    "the owner's ACE (DAV:all) is protected",
                ));
            }
            continue;
        }
        match grants.iter_mut().find(|(a, _)| *a == address) {
            Some((_, privileges)) => privileges.extend(ace.privileges.iter().cloned()),
            None => {
                if !is_sharee(ctx, &address).await? {
                    return Err(refused(
                        "recognized-principal",
                        format!("{address} is no user or group of this server"),
                    ));
                }
                grants.push((address, ace.privileges.clone()));
            }
        }
    }
    let mut wanted = HashMap::with_capacity(grants.len());
    for (address, privileges) in grants {
        let access = level(&privileges, c.kind)
            .map_err(|why| refused("not-supported-privilege", format!("{address}: {why}")))?;
        wanted.insert(address, access);
    }

    // The shares named are set (unless unchanged: their answers stay), the others removed.
    let existing = ctx.store().dav_share_list(c.id).await?;
    let mut plan: Vec<(String, Option<(DavAccess, DavShareNote)>)> = existing
        .iter()
        .filter(|s| !wanted.contains_key(&s.sharee))
        .map(|s| (s.sharee.clone(), None))
        .collect();
    let mut set: Vec<(String, Option<(DavAccess, DavShareNote)>)> = wanted
        .into_iter()
        .filter(|(address, access)| {
            !existing
                .iter()
                .any(|s| s.sharee == *address && s.access == *access)
        })
        // No note: a share kept keeps the one its POST gave.
        .map(|(address, access)| (address, Some((access, DavShareNote::default()))))
        .collect();
    set.sort_by(|a, b| a.0.cmp(&b.0));
    plan.extend(set);
    apply(ctx, &c, plan).await?;
    Ok(empty(StatusCode::OK))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<Name> {
        list.iter()
            .map(|p| match p.strip_prefix("C:") {
                Some(local) => Name::new(CALDAV, local),
                None => Name::dav(p),
            })
            .collect()
    }

    #[test]
    fn levels() {
        use DavAccess::*;
        let cal = DavCollectionKind::Calendar;
        let book = DavCollectionKind::AddressBook;
        for (privileges, kind, want) in [
            (&["read"][..], cal, Read),
            (
                &["read", "read-current-user-privilege-set", "C:read-free-busy"],
                cal,
                Read,
            ),
            (&["read", "write"], cal, ReadWrite),
            (&["all"], book, ReadWrite),
            (&["read", "write-content", "bind", "unbind"], book, ReadWrite),
            (
                &["read", "write-content", "bind", "unbind", "write-properties"],
                cal,
                ReadWrite,
            ),
            (&["C:read-free-busy"], cal, FreeBusy),
        ] {
            assert_eq!(level(&names(privileges), kind), Ok(want), "{privileges:?}");
        }
        // What every ACL Malt shows lists, read back.
        for access in [FreeBusy, Read, ReadWrite] {
            assert_eq!(level(&crate::access::privileges(access, cal), cal), Ok(access));
        }
        for access in [Read, ReadWrite] {
            assert_eq!(level(&crate::access::privileges(access, book), book), Ok(access));
        }
        for (privileges, kind) in [
            (&["write"][..], cal),
            (&["read", "write-content"], cal),
            (&["read", "bind"], book),
            (&["write-properties"], book),
            (&["read-current-user-privilege-set"], cal),
            (&["read", "write-acl"], cal),
            (&["read-acl"], cal),
            (&["C:read-free-busy"], book),
            (&["C:schedule-deliver"], cal),
        ] {
            assert!(level(&names(privileges), kind).is_err(), "{privileges:?}");
        }
    }
}
