//! Who may do what with a collection, and how a collection of another account is addressed.
//!
//! Every collection a request reaches comes with the requesting user's [`DavAccess`]
//! (`malt_core::dav_sharing::access`: `Owner` for their own, else the highest access of the
//! shares that name them or one of their groups, else none). A method asks [`require`] for the
//! level it needs; the answer to too little is `403` with `DAV:need-privileges` naming the
//! resource and the privilege (RFC 3744 §7.1.1); no access at all is `404` at resolution
//! ([`crate::resource`]), so nobody learns that a collection exists.
//!
//! | needs | methods |
//! |---|---|
//! | `FreeBusy` | `CALDAV:free-busy-query` (RFC 4791 §7.10) |
//! | `Read` | PROPFIND, GET/HEAD, every other REPORT, the source of a COPY |
//! | `ReadWrite` | PUT and DELETE of objects, the source of a MOVE, a COPY/MOVE destination |
//! | `Owner` | PROPPATCH and DELETE of the collection, sharing it |
//!
//! A shared collection has two URLs: the owner's (`/dav/calendars/<owner>/<name>/`, the ACL
//! model) and the sharee's mount (`/dav/calendars/<sharee>/shared-<id>/`, the calendarserver
//! model: a child of the sharee's home). Invariants: resolution records in the request's
//! [`Views`] the URL a collection of another account was reached by, so every href of the
//! answer (members, multiget, sync) is under the URL the client asked for; a collection not in
//! `Views` is the user's own. Sync tokens carry the collection id only, so a token serves both
//! URLs. The scheduling inbox and outbox are never reachable by others.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::StatusCode;
use malt_dav_proto::name::{CALDAV, XML};
use malt_dav_proto::{Attribute, Element, Name};
use malt_store::{DavAccess, DavCollection, DavCollectionId, DavCollectionKind, DavShareStatus};

use crate::Ctx;
use crate::error::{DavError, DavResult};
use crate::path::{collection_href, encode_segment, home_of};

/// The prefix of a shared collection's name in a sharee's home: `shared-<collection id>`.
/// MKCOL refuses names of this form, so a mount never hides a collection of the user's own.
pub const MOUNT_PREFIX: &str = "shared-";

/// The name a shared collection has in the sharee's home.
pub fn mount_name(id: DavCollectionId) -> String {
    format!("{MOUNT_PREFIX}{id}")
}

/// The collection id a mount name stands for.
pub fn parse_mount(name: &str) -> Option<DavCollectionId> {
    let digits = name.strip_prefix(MOUNT_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// How a collection of another account is seen in this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The owner's address.
    pub owner: String,
    /// The collection's href as the client reached it.
    pub href: String,
    pub access: DavAccess,
    /// Reached through the sharee's home: the user's answer and name for it.
    pub mount: Option<(DavShareStatus, Option<String>)>,
}

/// What one request learnt about collections, by collection id: the views of others'
/// collections, and the sharees of the user's own ([`crate::sharing::preload`]).
#[derive(Debug, Default)]
pub struct Views {
    views: Mutex<HashMap<DavCollectionId, View>>,
    pub(crate) invites: Mutex<HashMap<DavCollectionId, Vec<crate::sharing::Invitee>>>,
    /// The user's own values of sharee properties, by collection ([`crate::sharee_props`]).
    pub(crate) sharee_props: Mutex<HashMap<DavCollectionId, Vec<(String, String)>>>,
}

impl Ctx {
    /// Records how collection `id` of another account is reached in this request.
    pub fn set_view(&self, id: DavCollectionId, view: View) {
        if let Ok(mut m) = self.views.views.lock() {
            m.insert(id, view);
        }
    }

    /// How `c` is seen: its recorded view, or the user's own.
    pub fn view(&self, c: &DavCollection) -> View {
        self.views
            .views
            .lock()
            .ok()
            .and_then(|m| m.get(&c.id).cloned())
            .unwrap_or_else(|| View {
                owner: self.account.address.clone(),
                href: collection_href(c.kind, &self.account.address, &c.name),
                access: DavAccess::Owner,
                mount: None,
            })
    }

    /// The user's access to `c` as resolved in this request.
    pub fn access(&self, c: &DavCollection) -> DavAccess {
        self.view(c).access
    }

    /// The href of `c` as reached in this request.
    pub fn collection_href(&self, c: &DavCollection) -> String {
        self.view(c).href
    }

    /// The href of object `name` of `c` as reached in this request.
    pub fn object_href(&self, c: &DavCollection, name: &str) -> String {
        format!("{}{}", self.collection_href(c), encode_segment(name))
    }
}

/// The privilege element RFC 3744 §3 (or RFC 4791 §6.1.1) names for what needs `access`.
fn privilege(access: DavAccess) -> Name {
    match access {
        DavAccess::FreeBusy => Name::new(CALDAV, "read-free-busy"),
        DavAccess::Read => Name::dav("read"),
        DavAccess::ReadWrite => Name::dav("write-content"),
        DavAccess::Owner => Name::dav("write-acl"),
    }
}

/// `403` with `DAV:need-privileges` (RFC 3744 §7.1.1) for `href` and the privilege `need`
/// stands for.
pub fn need_privileges(href: String, need: DavAccess) -> DavError {
    need_privilege(href, privilege(need))
}

/// `403` with `DAV:need-privileges` (RFC 3744 §7.1.1) for `href` and `privilege`.
pub fn need_privilege(href: String, privilege: Name) -> DavError {
    let resource = Element::new(Name::dav("resource"))
        .with_child(Element::href(href))
        .with_child(Element::new(Name::dav("privilege")).with_child(Element::new(privilege)));
    DavError::Precondition(
        StatusCode::FORBIDDEN,
        Element::new(Name::dav("need-privileges")).with_child(resource),
    )
}

/// Ok when the user's access to `c` is at least `need`, else `need-privileges` on `c`.
pub fn require(ctx: &Ctx, c: &DavCollection, need: DavAccess) -> DavResult<()> {
    if ctx.access(c) >= need {
        Ok(())
    } else {
        Err(need_privileges(ctx.collection_href(c), need))
    }
}

/// Whether collections of `kind` can be shared (calendars and address books; never the
/// scheduling inbox and outbox, RFC 6638 §2).
pub fn shareable(kind: DavCollectionKind) -> bool {
    matches!(kind, DavCollectionKind::Calendar | DavCollectionKind::AddressBook)
}

/// Whether `c` is a calendar or address book of a user — what shares, the sharing properties,
/// sharee properties and the ACL (RFC 3744 §5.5: `DAV:acl`, the `ACL` method, the ACL reports)
/// are about: of a [`shareable`] kind, and not the global address book (read-only, served from
/// the directory).
pub fn shareable_collection(c: &DavCollection) -> bool {
    shareable(c.kind) && c.id != crate::gal::GAL_ID
}

/// The collection `name` of the account `user` (not the requesting one) in `home`, if the
/// user may see it: recorded in the request's views with the owner's URL.
pub async fn foreign_collection(
    ctx: &Ctx,
    home: DavCollectionKind,
    user: &str,
    name: &str,
) -> DavResult<Option<DavCollection>> {
    let store = ctx.store();
    let Some(owner) = store.account_by_address(user).await? else {
        return Ok(None);
    };
    let Some(c) = store.dav_collection_get(owner.id, name).await? else {
        return Ok(None);
    };
    if home_of(c.kind) != home || !shareable(c.kind) {
        return Ok(None);
    }
    let identity = ctx.identity().await?;
    let Some(access) = malt_core::dav_sharing::access(store, identity, c.id).await? else {
        return Ok(None);
    };
    let href = collection_href(c.kind, &owner.address, &c.name);
    ctx.set_view(
        c.id,
        View {
            owner: owner.address,
            href,
            access,
            mount: None,
        },
    );
    Ok(Some(c))
}

/// The shared collections the user's `home` lists (invited or accepted, with read access or
/// more; declined and free-busy-only ones are not listed), each recorded in the request's views under its mount name.
pub async fn mounts(ctx: &Ctx, home: DavCollectionKind) -> DavResult<Vec<DavCollection>> {
    let identity = ctx.identity().await?;
    let shared = malt_core::dav_sharing::shared_with(ctx.store(), identity).await?;
    let mut out = Vec::new();
    for s in shared {
        if home_of(s.collection.kind) != home
            || !shareable(s.collection.kind)
            || s.status == DavShareStatus::Declined
            || !s.access.can_read()
        {
            continue;
        }
        let c = s.collection;
        ctx.set_view(
            c.id,
            View {
                owner: s.owner,
                href: collection_href(c.kind, &ctx.account.address, &mount_name(c.id)),
                access: s.access,
                mount: Some((s.status, s.display_name)),
            },
        );
        out.push(c);
    }
    Ok(out)
}

/// The mounted collection `name` in the user's `home`, if it is one.
pub async fn mount(ctx: &Ctx, home: DavCollectionKind, name: &str) -> DavResult<Option<DavCollection>> {
    let Some(id) = parse_mount(name) else {
        return Ok(None);
    };
    Ok(mounts(ctx, home).await?.into_iter().find(|c| c.id == id))
}

/// The privileges of `access` on a collection of `kind` (RFC 3744 §5.4
/// `current-user-privilege-set`).
pub fn privileges(access: DavAccess, kind: DavCollectionKind) -> Vec<Name> {
    let calendar = kind == DavCollectionKind::Calendar;
    let mut out = Vec::new();
    if access == DavAccess::Owner {
        out.extend(["all", "write-properties", "write-acl"].map(Name::dav));
    }
    if access >= DavAccess::ReadWrite {
        out.extend(["write", "write-content", "bind", "unbind"].map(Name::dav));
    }
    if access >= DavAccess::Read {
        out.extend(["read", "read-current-user-privilege-set"].map(Name::dav));
    }
    if calendar {
        out.push(Name::new(CALDAV, "read-free-busy"));
    }
    out
}

/// One `DAV:supported-privilege` (RFC 3744 §5.3): the privilege, its description, the
/// privileges it aggregates.
fn supported(privilege: Name, description: &str, aggregates: Vec<Element>) -> Element {
    let mut text = Element::new(Name::dav("description")).with_text(description);
    text.attrs.push(Attribute {
        name: Name::new(XML, "lang"),
        value: "en".to_owned(),
    });
    Element::new(Name::dav("supported-privilege"))
        .with_child(Element::new(Name::dav("privilege")).with_child(Element::new(privilege)))
        .with_child(text)
        .with_children(aggregates)
}

/// `DAV:supported-privilege-set` (RFC 3744 §5.3) of a calendar or address book: `all`
/// aggregating `read` (with `CALDAV:read-free-busy` on calendars, RFC 4791 §6.1.1, and
/// `read-current-user-privilege-set`), `write` (`write-properties`, `write-content`, `bind`,
/// `unbind`) and `write-acl`. No `read-acl` (only the owner reads the ACL) nor `unlock` (no
/// locking). What an ACL may grant a sharee is the subset [`crate::method::acl`] maps onto a
/// share.
pub fn supported_privilege_set(kind: DavCollectionKind) -> Element {
    let leaf = |p: Name, d: &str| supported(p, d, Vec::new());
    let mut read = vec![leaf(
        Name::dav("read-current-user-privilege-set"),
        "Read your own privileges",
    )];
    if kind == DavCollectionKind::Calendar {
        read.push(leaf(Name::new(CALDAV, "read-free-busy"), "Read free-busy time"));
    }
    let write = ["write-properties", "write-content", "bind", "unbind"]
        .map(|p| leaf(Name::dav(p), &format!("{p} (part of write)")))
        .to_vec();
    let all = supported(
        Name::dav("all"),
        "Everything (the owner's)",
        vec![
            supported(Name::dav("read"), "Read the collection and its objects", read),
            supported(Name::dav("write"), "Write objects", write),
            leaf(Name::dav("write-acl"), "Share (change the ACL)"),
        ],
    );
    Element::new(Name::dav("supported-privilege-set")).with_child(all)
}

/// `DAV:acl-restrictions` (RFC 3744 §5.6): grants only, no inverted principals.
pub fn acl_restrictions() -> Element {
    Element::new(Name::dav("acl-restrictions")).with_children([
        Element::new(Name::dav("grant-only")),
        Element::new(Name::dav("no-invert")),
    ])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mount_names() {
        assert_eq!(parse_mount(&mount_name(42)), Some(42));
        for bad in [
            "shared-",
            "shared-x",
            "shared--1",
            "calendar",
            "shared-1a",
            "shared-+1",
        ] {
            assert_eq!(parse_mount(bad), None, "{bad}");
        }
    }

    #[test]
    fn privileges_grow_with_access() {
        use DavAccess::*;
        let cal = DavCollectionKind::Calendar;
        assert_eq!(
            privileges(FreeBusy, cal),
            vec![Name::new(CALDAV, "read-free-busy")]
        );
        assert!(privileges(Read, cal).contains(&Name::dav("read")));
        assert!(!privileges(Read, cal).contains(&Name::dav("write")));
        assert!(privileges(ReadWrite, cal).contains(&Name::dav("write-content")));
        assert!(!privileges(ReadWrite, cal).contains(&Name::dav("all")));
        assert!(privileges(Owner, DavCollectionKind::AddressBook).contains(&Name::dav("all")));
        assert!(
            !privileges(Owner, DavCollectionKind::AddressBook).contains(&Name::new(CALDAV, "read-free-busy"))
        );
    }
}
