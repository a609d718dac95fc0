//! COPY and MOVE (RFC 4918 §9.8, §9.9) of an object to another name or another collection of the
//! same kind of the same user. `Destination` is an absolute URI or path; `Overwrite: F` makes an
//! existing destination a 412. The destination's checks are a PUT's (component set, UID
//! conflict); a MOVE is one store transaction (a tombstone at the source, the object with its
//! ETag at the destination), a COPY reads the source and writes it as a PUT would. The source
//! needs read access (COPY) or read-write (MOVE), the
//! destination read-write ([`crate::access`]); a MOVE between collections of different owners
//! is refused (403): the store moves within one account.
//!
//! Scheduling object resources (RFC 6638, [`crate::schedule::before_copy_move`]):
//! `If-Schedule-Tag-Match` applies to the source; a MOVE between the user's calendars sends
//! nothing and keeps the Schedule-Tag (the content is unchanged); a COPY is refused with
//! `CALDAV:unique-scheduling-object-resource` (RFC 6638 §3.2.4.1: it would be a second copy of
//! the meeting). The answer carries the `Schedule-Tag` of what was copied or moved
//! (RFC 6638 §3.2.10).
//!
//! Collections ([`move_collection`]): a MOVE of a calendar or address book the user owns to a
//! new name in the same home renames it (`201`; same id, so its objects, sync tokens, shares
//! and the user's choice of default calendar stay). It does not replace an existing collection
//! (`Overwrite: F`: 412; otherwise 403: DELETE it first, no data goes implicitly), leave the
//! home, or move the scheduling inbox and outbox, a sharee's view or the global address book
//! (403). A collection has no entity tag: `If-Match` with tags and `If-None-Match: *` are 412.
//! COPY of a collection is 403: clients copy objects, and a calendar's copy would hold a second
//! copy of each meeting (RFC 6638 §3.2.4.1).

use axum::http::StatusCode;
use axum::response::Response;
use malt_dav_proto::Name;
use malt_store::{DavAccess, DavCollection, DavObjectInfo, EtagCondition, StoreError};

use super::condition;
use super::put::{precondition_ns, prepare, stored, write};
use crate::error::{DavError, DavResult};
use crate::path::{DavPath, home_of};
use crate::resource::{Resource, Target, is_self, object_with_content, resolve};
use crate::schedule::set_schedule_tag;
use crate::{Ctx, DavRequest};

/// Where the request says to copy or move to.
fn destination(req: &DavRequest) -> DavResult<DavPath> {
    let d = req
        .header("destination")
        .ok_or_else(|| DavError::bad_request("no Destination header"))?;
    DavPath::parse_href(d)
        .ok_or_else(|| DavError::status(StatusCode::BAD_GATEWAY, "the Destination is not on this server"))
}

/// `Overwrite` (RFC 4918 §10.6): `T` unless `F`.
fn overwrite(req: &DavRequest) -> DavResult<bool> {
    match req.header("overwrite") {
        None | Some("T" | "t") => Ok(true),
        Some("F" | "f") => Ok(false),
        Some(o) => Err(DavError::bad_request(format!("Overwrite: {o} is not T or F"))),
    }
}

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let is_move = req.method.as_str() == "MOVE";
    let source_condition = condition(req)?;
    let (from, object) = match resolve(ctx, &req.path).await?.existing()? {
        Resource::Object(c, o) => (c, o),
        Resource::Collection(c) if is_move => return move_collection(ctx, req, &c, &source_condition).await,
        Resource::Collection(_) => {
            return Err(DavError::forbidden(
                "a collection is not copied (its meetings would be copied twice): copy its objects",
            ));
        }
        _ => return Err(DavError::forbidden("only objects and collections can be moved")),
    };
    crate::access::require(
        ctx,
        &from,
        if is_move {
            DavAccess::ReadWrite
        } else {
            DavAccess::Read
        },
    )?;
    let dest_path = destination(req)?;
    let overwrite = overwrite(req)?;
    let (to, new_name) = match resolve(ctx, &dest_path).await? {
        Target::NewObject(c, name) => (c, name),
        Target::Existing(Resource::Object(c, o)) => (c, o.name),
        Target::NoParent => return Err(DavError::conflict("no collection at the Destination")),
        _ => {
            return Err(DavError::forbidden(
                "the Destination is not an object in a collection",
            ));
        }
    };
    crate::access::require(ctx, &to, DavAccess::ReadWrite)?;
    if to.kind != from.kind {
        return Err(DavError::forbidden(
            "the Destination is another kind of collection",
        ));
    }
    if to.id == from.id && new_name == object.name {
        return Err(DavError::forbidden("the Destination is the source"));
    }
    if is_move && to.account_id != from.account_id {
        return Err(DavError::forbidden(
            "a MOVE stays within one owner's collections: COPY, then DELETE",
        ));
    }
    let tag = crate::schedule::before_copy_move(ctx, req, &from, &object.name, is_move).await?;
    let mut response = if is_move {
        move_object(
            ctx,
            (&from, &object),
            (&to, &new_name),
            source_condition,
            overwrite,
        )
        .await?
    } else {
        copy(ctx, req, &to, &new_name, source_condition, overwrite).await?
    };
    set_schedule_tag(&mut response, tag);
    Ok(response)
}

/// MOVE of collection `c` to a new name in its home (see the module doc).
async fn move_collection(
    ctx: &Ctx,
    req: &DavRequest,
    c: &DavCollection,
    condition: &EtagCondition,
) -> DavResult<Response> {
    crate::access::require(ctx, c, DavAccess::Owner)?;
    if !crate::access::shareable_collection(c) {
        return Err(DavError::forbidden(
            "the scheduling inbox and outbox stay where they are",
        ));
    }
    if !matches!(
        condition,
        EtagCondition::Any | EtagCondition::Exists | EtagCondition::MatchesNoneOf(_)
    ) {
        return Err(DavError::precondition_failed());
    }
    let overwrite = overwrite(req)?;
    let name = match destination(req)? {
        DavPath::Collection(kind, user, name) if is_self(ctx, &user) && kind == home_of(c.kind) => name,
        _ => {
            return Err(DavError::forbidden(
                "a collection moves to a new name in its own home",
            ));
        }
    };
    if crate::access::parse_mount(&name).is_some() {
        return Err(DavError::forbidden(
            "names shared-<number> are reserved for shared collections",
        ));
    }
    let dest = DavPath::Collection(home_of(c.kind), ctx.account.address.clone(), name.clone());
    // The global address book's and the notification collection's names are taken.
    if crate::gal::is_gal_path(ctx, &dest).await?
        || crate::notifications::is_notification_path(ctx, &dest).await?
    {
        return Err(DavError::forbidden(format!("{name} is reserved in this home")));
    }
    match resolve(ctx, &dest).await? {
        Target::NewCollection(..) => {}
        Target::Existing(Resource::Collection(d)) if d.id == c.id => {
            return Err(DavError::forbidden("the Destination is the source"));
        }
        _ if !overwrite => return Err(DavError::precondition_failed()),
        _ => {
            return Err(DavError::forbidden(
                "a MOVE does not replace an existing collection: DELETE it first",
            ));
        }
    }
    ctx.store()
        .dav_collection_rename(ctx.account.id, c.id, &name)
        .await?;
    Ok(crate::empty(StatusCode::CREATED))
}

/// MOVE: one store transaction (a tombstone at the source, the object at the destination).
async fn move_object(
    ctx: &Ctx,
    (from, object): (&DavCollection, &DavObjectInfo),
    (to, new_name): (&DavCollection, &str),
    source_condition: EtagCondition,
    overwrite: bool,
) -> DavResult<Response> {
    if !to.props.components.is_empty() && !to.props.components.contains(&object.component) {
        return Err(DavError::precondition(Name::new(
            precondition_ns(to.kind),
            "supported-calendar-component",
        )));
    }
    let outcome = ctx
        .store()
        .dav_object_move(
            from.account_id,
            from.id,
            &object.name,
            to.id,
            new_name,
            source_condition,
            overwrite,
        )
        .await;
    match outcome {
        Ok(o) => stored(ctx, to, o),
        Err(StoreError::NotFound(_)) => Err(DavError::not_found()),
        Err(e) => Err(e.into()),
    }
}

async fn copy(
    ctx: &Ctx,
    req: &DavRequest,
    to: &DavCollection,
    new_name: &str,
    source_condition: EtagCondition,
    overwrite: bool,
) -> DavResult<Response> {
    let (_, source) = object_with_content(ctx, &req.path).await?;
    if !source_condition.holds(Some(&source.etag)) {
        return Err(DavError::precondition_failed());
    }
    let object = prepare(ctx, to, new_name, &source.content, None)?;
    let condition = if overwrite {
        EtagCondition::Any
    } else {
        EtagCondition::Absent
    };
    write(ctx, to, object, condition).await
}
