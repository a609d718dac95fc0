//! DELETE (RFC 4918 §9.6) of an object (with `If-Match`, RFC 9110 §13.1.1) or of a whole
//! calendar or address book (its objects with it). Homes, principals and the root are not
//! deleted (403).

use axum::http::StatusCode;
use axum::response::Response;
use malt_store::{DavDeleteOutcome, StoreError};

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
        Resource::Object(c, o) => match store
            .dav_object_delete(ctx.account.id, c.id, &o.name, condition)
            .await
        {
            Ok(DavDeleteOutcome::Deleted { .. }) => Ok(empty(StatusCode::NO_CONTENT)),
            Ok(DavDeleteOutcome::PreconditionFailed) => Err(DavError::precondition_failed()),
            Err(StoreError::NotFound(_)) => Err(DavError::not_found()),
            Err(e) => Err(e.into()),
        },
        Resource::Collection(c) => {
            store.dav_collection_delete(ctx.account.id, c.id).await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        _ => Err(DavError::forbidden(
            "only calendars, address books and their objects can be deleted",
        )),
    }
}
