//! A sharee's own properties of a collection shared with it: its name, and Apple's colour and
//! order (`malt_store::DAV_SHAREE_PROPS`). Apple Calendar sets a colour and an order on every
//! calendar it shows, shared ones included, and a sharee names a shared calendar as it likes;
//! none of that may change the owner's calendar (Apple's CalendarServer keeps such per-user
//! properties apart in the same way).
//!
//! - PROPPATCH by a sharee (read access or more, at either URL of the collection,
//!   [`crate::access`]) whose instructions all name sharee properties (calendars: all three;
//!   address books: the name) sets or removes the user's own values, all or none (RFC 4918
//!   §9.2). Anything else a sharee sends is the owner's to change: 403 `DAV:need-privileges`
//!   as before.
//! - PROPFIND of a collection in a sharee's view answers those properties with the user's own
//!   values ([`value`]); a name not set falls back to the one given with the invite-reply
//!   (`CS:summary`), then to the owner's; colour and order fall back to the owner's. The
//!   values are read once per request, when a sharee's view is among the resources
//!   ([`preload`]).

use axum::response::Response;
use malt_dav_proto::name::{APPLE_ICAL, DAV};
use malt_dav_proto::request::PropPatchOp;
use malt_dav_proto::response::{Multistatus, Response as DavResponse};
use malt_dav_proto::{Element, Name};
use malt_store::{DavAccess, DavCollection, DavCollectionKind, StoreError};

use crate::Ctx;
use crate::error::DavResult;
use crate::method::multistatus;
use crate::method::proppatch::update_propstats;
use crate::props::href;
use crate::resource::Resource;

/// The stored name of sharee property `name` of a collection of `kind`, if a sharee sets it.
pub fn sharee_settable(kind: DavCollectionKind, name: &Name) -> Option<&'static str> {
    if name.is(DAV, "displayname") {
        Some("displayname")
    } else if kind == DavCollectionKind::Calendar && name.is(APPLE_ICAL, "calendar-color") {
        Some("calendar-color")
    } else if kind == DavCollectionKind::Calendar && name.is(APPLE_ICAL, "calendar-order") {
        Some("calendar-order")
    } else {
        None
    }
}

/// Whether `c` is seen by a sharee in this request (not the owner, not the global address
/// book).
fn is_sharee_view(ctx: &Ctx, c: &DavCollection) -> bool {
    crate::access::shareable_collection(c) && ctx.access(c) != DavAccess::Owner
}

/// Reads the user's sharee properties once when a collection among `resources` is seen as a
/// sharee.
pub async fn preload(ctx: &Ctx, resources: &[Resource]) -> DavResult<()> {
    let any = resources
        .iter()
        .any(|r| matches!(r, Resource::Collection(c) if is_sharee_view(ctx, c)));
    if !any {
        return Ok(());
    }
    let props = ctx.store().dav_sharee_props(ctx.account.id).await?;
    if let Ok(mut m) = ctx.views.sharee_props.lock() {
        for p in props {
            m.entry(p.collection_id).or_default().push((p.name, p.value));
        }
    }
    Ok(())
}

/// Property `name` of `c` as the sharee sees it: its own value, or for the name the one of its
/// invite-reply; `None` for the owner's view, for other properties, or when the sharee set none.
pub fn value(ctx: &Ctx, c: &DavCollection, name: &Name) -> Option<Element> {
    if !is_sharee_view(ctx, c) {
        return None;
    }
    let stored = sharee_settable(c.kind, name)?;
    let own = ctx.views.sharee_props.lock().ok().and_then(|m| {
        m.get(&c.id)?
            .iter()
            .find(|(n, _)| n == stored)
            .map(|(_, v)| v.clone())
    });
    let text = own.or_else(|| match stored {
        "displayname" => ctx.view(c).mount.and_then(|(_, name)| name),
        _ => None,
    })?;
    Some(Element::new(name.clone()).with_text(text))
}

/// PROPPATCH of `c` by a sharee when every instruction names a sharee property: the user's own
/// values set or removed, all or none; `None` when some instruction names anything else (the
/// caller answers it as the owner's).
pub async fn proppatch(
    ctx: &Ctx,
    resource: &Resource,
    c: &DavCollection,
    ops: &[PropPatchOp],
) -> DavResult<Option<Response>> {
    if !is_sharee_view(ctx, c) || !ctx.access(c).can_read() {
        return Ok(None);
    }
    let mut props = Vec::with_capacity(ops.len());
    for op in ops {
        let Some(stored) = sharee_settable(c.kind, op.name()) else {
            return Ok(None);
        };
        let value = match op {
            PropPatchOp::Set(e) => Some(e.text()),
            PropPatchOp::Remove(_) => None,
        };
        props.push((stored.to_owned(), value));
    }
    let names: Vec<Name> = ops.iter().map(|o| o.name().clone()).collect();
    let identity = ctx.identity().await?;
    let result = ctx
        .store()
        .dav_sharee_props_set(ctx.account.id, &identity.identifiers(), c.id, &props)
        .await;
    let (failures, description) = match result {
        Ok(()) => (Vec::new(), None),
        // A value over the limits or not an integer: every property fails (nothing changed).
        Err(StoreError::Invalid { reason, .. }) => (
            names.iter().map(|n| (n.clone(), (409, None))).collect(),
            Some(reason),
        ),
        Err(e) => return Err(e.into()),
    };
    let mut r = DavResponse::propstats(href(ctx, resource), update_propstats(&names, &failures));
    r.description = description;
    Ok(Some(multistatus(&Multistatus {
        responses: vec![r],
        ..Multistatus::default()
    })))
}
