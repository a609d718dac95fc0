//! Sharing over HTTP: the sharing POSTs (Apple's calendarserver sharing, "caldav-sharing",
//! and draft-pot-webdav-resource-sharing's `DAV:share-resource`), the sharing properties, the
//! properties of other users' principals, and free-busy visibility.
//!
//! - `POST` of `CS:share` / `DAV:share-resource` to a calendar or address book the user owns
//!   sets and removes shares (`malt_core::dav_sharing::share`, `unshare`); every sharee is
//!   checked (an account or a group of this server) before anything is written. The scheduling
//!   inbox and outbox are never shared (403). Answer: `200`, no body.
//! - `POST` of `CS:invite-reply` to the user's home answers the share of the collection its
//!   `CS:hosturl` names (`dav_sharing::answer`); an acceptance is answered with `CS:shared-as`
//!   (the collection's href in the user's home, [`crate::access::mount_name`]).
//! - Any other POST is a scheduling one ([`crate::schedule::post`]).
//! - Properties: `CS:invite` (the sharees, their access and answer, and the owner's note:
//!   `CS:common-name`, `CS:summary`) and `DAV:acl` (RFC 3744 §5.5: the owner and each grant;
//!   the `ACL` method, [`crate::method::acl`], writes the same shares through
//!   [`owned_shareable`], [`is_sharee`] and [`apply`]) on the owner's view, read from the store
//!   by [`preload`] before the properties are computed; on a sharee's view `CS:invite` has the
//!   owner as `CS:organizer` and the user's own entry only (caldav-sharing: "servers SHOULD
//!   include a CS:organizer"; other sharees are not shown to sharees); `CS:allowed-sharing-modes`
//!   (`can-be-shared`) on collections the user owns and may share; resourcetype
//!   `CS:shared-owner` when shared, `CS:shared` on a sharee's view; `CS:shared-url` (the
//!   owner's URL) on a sharee's view.
//! - Free-busy ([`visible_busy_time`]): a user's busy time is shown over the calendars the
//!   asker has at least free-busy access to, and over all their opaque calendars when
//!   `public_free_busy` is set.

use axum::http::StatusCode;
use axum::response::Response;
use malt_calendar::freebusy::BusyPeriod;
use malt_core::scheduling::{busy_of, is_opaque};
use malt_dav_proto::name::{CALDAV, CALENDARSERVER, DAV};
use malt_dav_proto::request::{
    InviteReply, PropRequest, ShareAccess, ShareOp, SharingRequest, is_sharing_root, parse_sharing,
};
use malt_dav_proto::{Element, Name, document, parse_document};
use malt_store::{
    Account, DavAccess, DavCollection, DavCollectionKind, DavShareNote, DavShareStatus, StoreError,
};

use crate::access::{View, mount_name, require, shareable, shareable_collection};
use crate::error::{DavError, DavResult, xml};
use crate::path::{DavPath, collection_href, principal_href};
use crate::resource::{Resource, Target, is_self, resolve};
use crate::{Ctx, DavRequest, content, empty};

/// One sharee of a collection the user owns, as `CS:invite` and `DAV:acl` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    /// Lower-case address of an account or a group.
    pub sharee: String,
    pub access: DavAccess,
    /// The account's answer; `None` for a group (each member answers) or when not read.
    pub status: Option<DavShareStatus>,
    /// The owner's note with the share.
    pub note: DavShareNote,
}

/// POST: a sharing body, or else a scheduling request (see the module doc).
pub async fn post(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let media = req
        .header("content-type")
        .map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase());
    let xml_body = media.as_deref().is_none_or(|m| m.ends_with("xml"))
        && parse_document(&req.body, &ctx.settings().xml).is_ok_and(|root| is_sharing_root(&root));
    if !xml_body {
        return crate::schedule::post(ctx, req).await;
    }
    match parse_sharing(&req.body, &ctx.settings().xml)? {
        SharingRequest::Share(ops) => share(ctx, req, &ops).await,
        SharingRequest::Reply(reply) => invite_reply(ctx, req, &reply).await,
    }
}

/// The address a sharee href names: `mailto:`, a principal URL, or a bare address.
pub(crate) fn sharee_address(href: &str) -> DavResult<String> {
    let bad = || DavError::forbidden(format!("{href} names no user or group"));
    if let Some(rest) = href.get(..7).filter(|p| p.eq_ignore_ascii_case("mailto:")) {
        let address = href.get(rest.len()..).unwrap_or_default().trim();
        return if address.contains('@') {
            Ok(address.to_lowercase())
        } else {
            Err(bad())
        };
    }
    match DavPath::parse_href(href) {
        Some(DavPath::Principal(user)) => Ok(user.to_lowercase()),
        _ if href.contains('@') && !href.contains('/') => Ok(href.trim().to_lowercase()),
        _ => Err(bad()),
    }
}

/// The calendar or address book `req` names, if the user owns it: only the owner changes who
/// it is shared with (a sharee: 403 `need-privileges` `write-acl`; no access: 404 at resolution).
pub(crate) async fn owned_shareable(ctx: &Ctx, req: &DavRequest) -> DavResult<DavCollection> {
    let c = match resolve(ctx, &req.path).await?.existing()? {
        Resource::Collection(c) => c,
        _ => return Err(DavError::forbidden("only calendars and address books are shared")),
    };
    if !shareable(c.kind) {
        return Err(DavError::forbidden(
            "the scheduling inbox and outbox are never shared",
        ));
    }
    require(ctx, &c, DavAccess::Owner)?;
    Ok(c)
}

/// Whether `address` is an account or a group of this server, so that a share can name it.
pub(crate) async fn is_sharee(ctx: &Ctx, address: &str) -> DavResult<bool> {
    match malt_core::dav_sharing::sharee_accounts(ctx.store(), address).await {
        Ok(_) => Ok(true),
        Err(StoreError::NotFound(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Writes `plan` on `c`, once every sharee in it is checked: each sharee's new access and the
/// owner's note (a part not given keeps the stored one), or `None` to remove their share
/// (removing what is not shared changes nothing).
pub(crate) async fn apply(
    ctx: &Ctx,
    c: &DavCollection,
    plan: Vec<(String, Option<(DavAccess, DavShareNote)>)>,
) -> DavResult<()> {
    let store = ctx.store();
    for (address, access) in plan {
        match access {
            Some((access, note)) => {
                malt_core::dav_sharing::share(store, ctx.account.id, c.id, &address, access, &note).await?;
            }
            None => match malt_core::dav_sharing::unshare(store, ctx.account.id, c.id, &address).await {
                Ok(_) | Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            },
        }
    }
    Ok(())
}

/// `CS:share` / `DAV:share-resource` on a collection the user owns.
async fn share(ctx: &Ctx, req: &DavRequest, ops: &[ShareOp]) -> DavResult<Response> {
    let c = owned_shareable(ctx, req).await?;
    // Every sharee checked before anything is written.
    let mut plan: Vec<(String, Option<(DavAccess, DavShareNote)>)> = Vec::with_capacity(ops.len());
    for op in ops {
        match op {
            ShareOp::Set(set) => {
                let address = sharee_address(&set.href)?;
                let access = match set.access {
                    ShareAccess::FreeBusy => DavAccess::FreeBusy,
                    ShareAccess::Read => DavAccess::Read,
                    ShareAccess::ReadWrite => DavAccess::ReadWrite,
                };
                if access == DavAccess::FreeBusy && c.kind != DavCollectionKind::Calendar {
                    return Err(DavError::forbidden("free-busy is shared for calendars only"));
                }
                if !is_sharee(ctx, &address).await? {
                    return Err(DavError::forbidden(format!(
                        "{address} is no user or group of this server"
                    )));
                }
                let note = DavShareNote {
                    summary: set.summary.clone(),
                    common_name: set.common_name.clone(),
                };
                plan.push((address, Some((access, note))));
            }
            ShareOp::Remove(href) => plan.push((sharee_address(href)?, None)),
        }
    }
    apply(ctx, &c, plan).await?;
    Ok(empty(StatusCode::OK))
}

/// `CS:invite-reply` to the user's home.
async fn invite_reply(ctx: &Ctx, req: &DavRequest, reply: &InviteReply) -> DavResult<Response> {
    if !matches!(
        resolve(ctx, &req.path).await?,
        Target::Existing(Resource::Home(_))
    ) {
        return Err(DavError::forbidden("an invite-reply is POSTed to your home"));
    }
    let Some(DavPath::Collection(kind, owner, name)) = DavPath::parse_href(&reply.host_url) else {
        return Err(DavError::forbidden(
            "CS:hosturl names no calendar or address book",
        ));
    };
    if is_self(ctx, &owner) {
        return Err(DavError::forbidden(
            "your own collections are not shared with you",
        ));
    }
    let store = ctx.store();
    let not_shared = || DavError::forbidden("no share of that collection reaches you");
    let owner = store.account_by_address(&owner).await?.ok_or_else(not_shared)?;
    let c = store
        .dav_collection_get(owner.id, &name)
        .await?
        .filter(|c| crate::path::home_of(c.kind) == kind && shareable(c.kind))
        .ok_or_else(not_shared)?;
    let status = if reply.accept {
        DavShareStatus::Accepted
    } else {
        DavShareStatus::Declined
    };
    let identity = ctx.identity().await?;
    match malt_core::dav_sharing::answer(store, identity, c.id, status, reply.summary.as_deref()).await {
        Ok(_) => {}
        Err(StoreError::NotFound(_)) => return Err(not_shared()),
        Err(e) => return Err(e.into()),
    }
    if !reply.accept {
        return Ok(empty(StatusCode::OK));
    }
    let href = collection_href(c.kind, &ctx.account.address, &mount_name(c.id));
    let root = Element::new(Name::new(CALENDARSERVER, "shared-as")).with_child(Element::href(href));
    Ok(xml(StatusCode::OK, document(&root)))
}

/// A sharee's view of a collection is not the owner's.
fn is_sharee_view(view: &View) -> bool {
    view.access != DavAccess::Owner
}

/// Reads the sharees of the collections among `resources` the user owns, for `CS:invite`,
/// `DAV:acl` and `CS:shared-owner`; their answers too when `request` names `CS:invite`, and
/// then for a sharee's view the user's own entry (one read for all of them).
pub async fn preload(ctx: &Ctx, resources: &[Resource], request: &PropRequest) -> DavResult<()> {
    let with_status = matches!(request, PropRequest::Prop(names)
        if names.iter().any(|n| n.is(CALENDARSERVER, "invite")));
    let store = ctx.store();
    let mut mine = None;
    for r in resources {
        let Resource::Collection(c) = r else {
            continue;
        };
        if !shareable_collection(c) {
            continue;
        }
        let view = ctx.view(c);
        if is_sharee_view(&view) {
            if !with_status {
                continue;
            }
            if mine.is_none() {
                let identity = ctx.identity().await?;
                mine = Some(malt_core::dav_sharing::shared_with(store, identity).await?);
            }
            let own = mine
                .iter()
                .flatten()
                .find(|s| s.collection.id == c.id)
                .map(|s| Invitee {
                    sharee: ctx.account.address.to_lowercase(),
                    access: view.access,
                    status: Some(s.status),
                    note: DavShareNote {
                        summary: s.summary.clone(),
                        common_name: None,
                    },
                });
            if let Ok(mut m) = ctx.views.invites.lock() {
                m.insert(c.id, own.into_iter().collect());
            }
            continue;
        }
        let mut invitees = Vec::new();
        for s in store.dav_share_list(c.id).await? {
            let mut status = None;
            if with_status && let Some(a) = store.account_by_address(&s.sharee).await? {
                status = store
                    .dav_shared_with(a.id, std::slice::from_ref(&s.sharee))
                    .await?
                    .into_iter()
                    .find(|x| x.collection.id == c.id)
                    .map(|x| x.status);
            }
            invitees.push(Invitee {
                sharee: s.sharee,
                access: s.access,
                status,
                note: s.note,
            });
        }
        if let Ok(mut m) = ctx.views.invites.lock() {
            m.insert(c.id, invitees);
        }
    }
    Ok(())
}

fn invitees(ctx: &Ctx, c: &DavCollection) -> Option<Vec<Invitee>> {
    ctx.views.invites.lock().ok()?.get(&c.id).cloned()
}

fn el(ns: &str, local: &str) -> Element {
    Element::new(Name::new(ns, local))
}

/// The resource types sharing adds to a collection's `DAV:resourcetype`.
pub fn resource_types(ctx: &Ctx, c: &DavCollection) -> Vec<Element> {
    if c.id == crate::gal::GAL_ID {
        return Vec::new();
    }
    let view = ctx.view(c);
    if is_sharee_view(&view) {
        return vec![el(CALENDARSERVER, "shared")];
    }
    match invitees(ctx, c) {
        Some(i) if !i.is_empty() => vec![el(CALENDARSERVER, "shared-owner")],
        _ => Vec::new(),
    }
}

/// `CS:access` of an invitee (read or read-write; free-busy is Malt's extension).
pub(crate) fn cs_access(access: DavAccess) -> Element {
    let inner = match access {
        DavAccess::FreeBusy => el(CALDAV, "read-free-busy"),
        DavAccess::Read => el(CALENDARSERVER, "read"),
        DavAccess::ReadWrite | DavAccess::Owner => el(CALENDARSERVER, "read-write"),
    };
    el(CALENDARSERVER, "access").with_child(inner)
}

/// A sharing property of collection `c`, if `name` is one and `c` has it.
pub fn collection_prop(ctx: &Ctx, c: &DavCollection, name: &Name) -> Option<Element> {
    if !shareable_collection(c) {
        return None;
    }
    let view = ctx.view(c);
    let sharee = is_sharee_view(&view);
    if name.is(CALENDARSERVER, "allowed-sharing-modes") && !sharee {
        return Some(Element::new(name.clone()).with_child(el(CALENDARSERVER, "can-be-shared")));
    }
    if name.is(CALENDARSERVER, "shared-url") && sharee {
        return Some(
            Element::new(name.clone()).with_child(Element::href(collection_href(
                c.kind,
                &view.owner,
                &c.name,
            ))),
        );
    }
    if name.is(CALENDARSERVER, "invite") {
        // caldav-sharing `CS:user`: (DAV:href, common-name?, status, access, summary?).
        let users = invitees(ctx, c)?.into_iter().map(|i| {
            let status = match i.status {
                Some(DavShareStatus::Accepted) => "invite-accepted",
                Some(DavShareStatus::Declined) => "invite-declined",
                _ => "invite-noresponse",
            };
            let text = |local: &str, t: Option<String>| t.map(|t| el(CALENDARSERVER, local).with_text(t));
            el(CALENDARSERVER, "user")
                .with_child(Element::href(format!("mailto:{}", i.sharee)))
                .with_children(text("common-name", i.note.common_name))
                .with_child(el(CALENDARSERVER, status))
                .with_child(cs_access(i.access))
                .with_children(text("summary", i.note.summary))
        });
        let owner = sharee.then(|| organizer(&view.owner));
        return Some(
            Element::new(name.clone())
                .with_children(owner)
                .with_children(users),
        );
    }
    if name.is(DAV, "acl") && !sharee {
        let ace = |who: &str, privileges: Vec<Name>| {
            el(DAV, "ace")
                .with_child(el(DAV, "principal").with_child(Element::href(principal_href(who))))
                .with_child(
                    el(DAV, "grant").with_children(
                        privileges
                            .into_iter()
                            .map(|p| el(DAV, "privilege").with_child(Element::new(p))),
                    ),
                )
        };
        let mut aces = vec![ace(&view.owner, vec![Name::dav("all")]).with_child(el(DAV, "protected"))];
        aces.extend(
            invitees(ctx, c)?
                .into_iter()
                .map(|i| ace(&i.sharee, crate::access::privileges(i.access, c.kind))),
        );
        return Some(Element::new(name.clone()).with_children(aces));
    }
    None
}

/// `CS:organizer` (caldav-sharing): the owner's `mailto:` and, the directory having no display
/// names, their address as `CS:common-name`.
pub(crate) fn organizer(owner: &str) -> Element {
    el(CALENDARSERVER, "organizer")
        .with_child(Element::href(format!("mailto:{owner}")))
        .with_child(el(CALENDARSERVER, "common-name").with_text(owner))
}

/// A property every principal shows to every user (clients show sharees and owners by them);
/// the user's own principal adds its homes and scheduling URLs ([`crate::props`]).
pub fn principal_prop(user: &str, addresses: &[String], name: &Name) -> Option<Element> {
    let n = name;
    if n.is(DAV, "resourcetype") {
        Some(Element::new(n.clone()).with_children([el(DAV, "collection"), el(DAV, "principal")]))
    } else if n.is(DAV, "displayname") {
        Some(Element::new(n.clone()).with_text(user))
    } else if n.is(DAV, "principal-URL") {
        Some(Element::new(n.clone()).with_child(Element::href(principal_href(user))))
    } else if n.is(CALDAV, "calendar-user-address-set") {
        Some(
            Element::new(n.clone())
                .with_children(addresses.iter().map(|a| Element::href(format!("mailto:{a}")))),
        )
    } else if n.is(CALDAV, "calendar-user-type") {
        Some(Element::new(n.clone()).with_text("INDIVIDUAL"))
    } else {
        None
    }
}

/// The busy time of `target` in `[start, end)` the user may see (RFC 6638 §5 free-busy
/// requests): over every opaque calendar when it is the user, or `public_free_busy` is set;
/// else over the opaque calendars of `target` shared with the user at free-busy or more, and
/// `None` when none is (the request-status is then 3.8, no authority).
pub async fn visible_busy_time(
    ctx: &Ctx,
    target: &Account,
    start: i64,
    end: i64,
) -> DavResult<Option<Vec<BusyPeriod>>> {
    if target.id == ctx.account.id || ctx.settings().public_free_busy {
        return Ok(Some(ctx.core().busy_time(target, start, end).await?));
    }
    let store = ctx.store();
    let identity = ctx.identity().await?;
    let granted: Vec<DavCollection> = malt_core::dav_sharing::shared_with(store, identity)
        .await?
        .into_iter()
        .filter(|s| s.collection.account_id == target.id && s.collection.kind == DavCollectionKind::Calendar)
        .map(|s| s.collection)
        .collect();
    if granted.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for c in granted.iter().filter(|c| is_opaque(c)) {
        let objects = store.dav_objects_in_span(c.id, start, end).await?;
        out.extend(busy_of(&objects, start, end, content::floating_zone(None, c)));
    }
    Ok(Some(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sharee_hrefs() {
        assert_eq!(sharee_address("mailto:Bob@X.org").unwrap(), "bob@x.org");
        assert_eq!(sharee_address("MAILTO:bob@x.org").unwrap(), "bob@x.org");
        assert_eq!(
            sharee_address("https://h/dav/principals/bob%40x.org/").unwrap(),
            "bob@x.org"
        );
        assert_eq!(sharee_address("bob@x.org").unwrap(), "bob@x.org");
        for bad in ["mailto:bob", "/dav/calendars/bob@x.org/", "urn:x", "mailto:"] {
            assert!(sharee_address(bad).is_err(), "{bad}");
        }
    }
}
