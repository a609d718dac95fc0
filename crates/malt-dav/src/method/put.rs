//! PUT (RFC 9110 §9.3.4; RFC 4791 §5.3.2; RFC 6352 §6.3.2) of a calendar object or vCard into an
//! existing collection, stored exactly as sent.
//!
//! Checks, in order (each a 403 with its precondition unless said otherwise): the size
//! (`max-resource-size`), the media type (`supported-calendar-data` / `supported-address-data`),
//! the data (`valid-calendar-data` / `valid-address-data`), the component against the calendar's
//! set (`supported-calendar-component`); then the store writes it atomically with the
//! `If-Match` / `If-None-Match` condition (412 when it does not hold) and the UID check
//! (`no-uid-conflict` with the `DAV:href` of the object holding the UID). The answer carries the
//! new strong `ETag`: the content is stored unchanged, so the tag is the client's data's
//! (RFC 4791 §5.3.4) — unless implicit scheduling (RFC 6638, [`crate::schedule::put`]) changed
//! it, and then there is no `ETag`. The scheduling inbox and outbox take no PUT (403). A
//! sharee needs read-write access ([`crate::access`]); the object is stored in the owner's
//! collection, charged to the owner's quota, and schedules nothing (implicit scheduling is
//! the owner's).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use malt_dav_proto::name::{CALDAV, CARDDAV};
use malt_dav_proto::{Element, Name};
use malt_store::{
    DavCollection, DavCollectionKind, DavComponent, DavPutOutcome, EtagCondition, NewDavObject,
};

use super::condition;
use crate::error::{DavError, DavResult};
use crate::props::etag;
use crate::resource::{Resource, Target, resolve};
use crate::{Ctx, DavRequest, content, empty};

/// The namespace of a collection's preconditions.
pub fn precondition_ns(kind: DavCollectionKind) -> &'static str {
    match kind {
        DavCollectionKind::AddressBook => CARDDAV,
        _ => CALDAV,
    }
}

/// Removes the `ETag` of a write whose stored content is not what the client sent (RFC 4791
/// §5.3.4: the client must not take its data for the stored one).
pub fn strip_etag(response: &mut Response) {
    response.headers_mut().remove(header::ETAG);
}

/// Checks `content` for collection `c` and reads what the store keeps of it.
pub fn prepare(
    ctx: &Ctx,
    c: &DavCollection,
    name: &str,
    content: &[u8],
    media_type: Option<&str>,
) -> DavResult<NewDavObject> {
    let ns = precondition_ns(c.kind);
    if u64::try_from(content.len()).unwrap_or(u64::MAX) > ctx.settings().max_resource_size {
        return Err(DavError::precondition(Name::new(ns, "max-resource-size")));
    }
    let media = media_type.map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase());
    let (uid, component, span) = match c.kind {
        DavCollectionKind::ScheduleInbox | DavCollectionKind::ScheduleOutbox => {
            // RFC 6638 §2.1-2.2: the server delivers into the inbox; the outbox holds nothing.
            return Err(DavError::forbidden(
                "the scheduling inbox and outbox are written by the server",
            ));
        }
        DavCollectionKind::Calendar => {
            if media.as_deref().is_some_and(|m| m != "text/calendar") {
                return Err(DavError::precondition(Name::new(ns, "supported-calendar-data")));
            }
            let info = content::calendar(content).map_err(|e| refused(ns, &e))?;
            if !c.props.components.contains(&info.component) {
                return Err(DavError::precondition(Name::new(
                    ns,
                    "supported-calendar-component",
                )));
            }
            (Some(info.uid), info.component, info.span)
        }
        DavCollectionKind::AddressBook => {
            if media
                .as_deref()
                .is_some_and(|m| m != "text/vcard" && m != "text/x-vcard")
            {
                return Err(DavError::precondition(Name::new(ns, "supported-address-data")));
            }
            let uid = content::vcard(content).map_err(|e| refused(ns, &e))?;
            (uid, DavComponent::Card, None)
        }
    };
    Ok(NewDavObject {
        name: name.to_owned(),
        uid,
        component,
        span,
        content: content.to_vec(),
    })
}

fn refused(ns: &str, r: &content::Refusal) -> DavError {
    tracing::debug!(reason = %r.reason, "{}", r.condition);
    DavError::precondition(Name::new(ns, r.condition))
}

/// The answer to a store write: 201 or 204 with the ETag, 412, or `no-uid-conflict`.
pub fn stored(ctx: &Ctx, c: &DavCollection, outcome: DavPutOutcome) -> DavResult<Response> {
    match outcome {
        DavPutOutcome::Stored(s) => {
            let mut r = empty(if s.created {
                StatusCode::CREATED
            } else {
                StatusCode::NO_CONTENT
            });
            if let Ok(v) = HeaderValue::from_str(&etag(&s.etag)) {
                r.headers_mut().insert(header::ETAG, v);
            }
            Ok(r)
        }
        DavPutOutcome::PreconditionFailed => Err(DavError::precondition_failed()),
        DavPutOutcome::UidConflict { existing } => Err(DavError::Precondition(
            StatusCode::FORBIDDEN,
            Element::new(Name::new(precondition_ns(c.kind), "no-uid-conflict"))
                .with_child(Element::href(ctx.object_href(c, &existing))),
        )),
    }
}

/// Writes `object` into `c` if `condition` holds.
pub async fn write(
    ctx: &Ctx,
    c: &DavCollection,
    object: NewDavObject,
    condition: EtagCondition,
) -> DavResult<Response> {
    let outcome = ctx
        .store()
        .dav_object_put(c.account_id, c.id, object, condition)
        .await?;
    stored(ctx, c, outcome)
}

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let condition = condition(req)?;
    let (c, name) = match resolve(ctx, &req.path).await? {
        Target::NewObject(c, name) => (c, name),
        Target::Existing(Resource::Object(c, o)) => (c, o.name),
        Target::NoParent => return Err(DavError::conflict("no collection to put this in")),
        Target::Existing(_) | Target::NewCollection(..) => {
            return Err(DavError::method_not_allowed(
                "PUT makes objects inside a collection",
            ));
        }
    };
    crate::access::require(ctx, &c, malt_store::DavAccess::ReadWrite)?;
    let object = prepare(ctx, &c, &name, &req.body, req.header("content-type"))?;
    if c.kind == DavCollectionKind::Calendar && ctx.access(&c) == malt_store::DavAccess::Owner {
        return crate::schedule::put(ctx, req, &c, object, condition).await;
    }
    write(ctx, &c, object, condition).await
}
