//! DELETE (RFC 4918 §9.6) of an object (with `If-Match`, RFC 9110 §13.1.1) or of a whole
//! calendar or address book (its objects with it). Homes, principals, the root and the
//! scheduling inbox and outbox are not deleted (403). Deleting a scheduling object resource
//! cancels the event for its attendees, or declines it for an attendee
//! ([`crate::schedule::delete`], RFC 6638 §3.2). The calendar the user chose for invitations
//! is kept (403 `CALDAV:default-calendar-needed`, RFC 6638 §9.2,
//! [`crate::schedule::check_delete_calendar`]).
//! A sharee needs read-write access to delete
//! objects (nothing is scheduled then), and never deletes the collection: a DELETE of a share
//! mounted in their home declines it ([`crate::access`]); at the owner's URL it is 403.

use axum::http::StatusCode;
use axum::response::Response;
use malt_store::{
    DavAccess, DavCollection, DavCollectionKind, DavDeleteOutcome, DavShareStatus, EtagCondition, StoreError,
};

use super::condition;
use crate::error::{DavError, DavResult};
use crate::resource::{Resource, Target, resolve};
use crate::{Ctx, DavRequest, empty};

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let condition = condition(req)?;
    let store = ctx.store();
    let resource = match resolve(ctx, &req.path).await? {
        Target::Existing(r) => r,
        // RFC 9110 §13.1.1: If-Match on nothing fails.
        Target::NewObject(..) if !condition.holds(None) => return Err(DavError::precondition_failed()),
        _ => return Err(DavError::not_found()),
    };
    match resource {
        Resource::Object(c, o) => {
            crate::access::require(ctx, &c, DavAccess::ReadWrite)?;
            if ctx.access(&c) == DavAccess::Owner {
                crate::schedule::delete(ctx, req, &c, &o.name, &condition).await?;
            }
            delete_object(ctx, &c, &o.name, condition).await
        }
        Resource::Collection(c) if c.kind.in_calendar_home() && c.kind != DavCollectionKind::Calendar => Err(
            DavError::forbidden("the scheduling inbox and outbox cannot be deleted"),
        ),
        Resource::Collection(c) if ctx.view(&c).mount.is_some() => {
            // The sharee removes the share from their home: a decline, the owner's data stays.
            let identity = ctx.identity().await?;
            malt_core::dav_sharing::answer(store, identity, c.id, DavShareStatus::Declined, None).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        Resource::Collection(c) => {
            crate::access::require(ctx, &c, DavAccess::Owner)?;
            crate::schedule::check_delete_calendar(ctx, ctx.collections().await?, &c)?;
            store.dav_collection_delete(ctx.account.id, c.id).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        _ => Err(DavError::forbidden(
            "only calendars, address books and their objects can be deleted",
        )),
    }
}

async fn delete_object(
    ctx: &Ctx,
    c: &DavCollection,
    name: &str,
    condition: EtagCondition,
) -> DavResult<Response> {
    match ctx
        .store()
        .dav_object_delete(c.account_id, c.id, name, condition)
        .await
    {
        Ok(DavDeleteOutcome::Deleted { .. }) => Ok(empty(StatusCode::NO_CONTENT)),
        Ok(DavDeleteOutcome::PreconditionFailed) => Err(DavError::precondition_failed()),
        Err(StoreError::NotFound(_)) => Err(DavError::not_found()),
        Err(e) => Err(e.into()),
    }
}
