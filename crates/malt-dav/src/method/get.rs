//! GET and HEAD (RFC 9110 §9.3.1, §9.3.2) of a calendar object or vCard: the content exactly as
//! stored, with its strong `ETag`, `Content-Type` and `Last-Modified`. `If-None-Match` with the
//! current tag (or `*`) answers `304 Not Modified` (RFC 9110 §13.1.2). Scheduling object
//! resources carry their `Schedule-Tag` (RFC 6638 §3.3). Collections have no content to get
//! (405).

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use malt_store::DavObject;

use crate::error::{DavError, DavResult};
use crate::path::DavPath;
use crate::props::{content_type, etag, http_date};
use crate::resource::object_with_content;
use crate::{Ctx, DavRequest, empty};

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    if !matches!(req.path, DavPath::Object(..)) {
        // Resolve first, so that a missing or hidden collection is 404 as for any method.
        if let crate::resource::Resource::Collection(c) =
            crate::resource::resolve(ctx, &req.path).await?.existing()?
        {
            crate::access::require(ctx, &c, malt_store::DavAccess::Read)?;
        }
        return Err(DavError::method_not_allowed("a collection has no content to GET"));
    }
    let (_, object) = object_with_content(ctx, &req.path).await?;
    let schedule_tag = crate::schedule::schedule_tag(&object.content);
    Ok(answer(req, object, schedule_tag))
}

/// The answer to a GET or HEAD of `object` (also the global address book's cards).
pub fn answer(req: &DavRequest, object: DavObject, schedule_tag: Option<String>) -> Response {
    let mut r = content(
        req,
        object.content,
        &object.etag,
        object.updated_at,
        content_type(object.component),
    );
    if let Some(v) = schedule_tag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        r.headers_mut()
            .insert(header::HeaderName::from_static("schedule-tag"), v);
    }
    r
}

/// The answer to a GET or HEAD of `body` with strong ETag `tag` (unquoted), modified at
/// `modified` (Unix seconds): `304` when `If-None-Match` names the tag or is `*` (RFC 9110
/// §13.1.2), no body for HEAD (also the notifications, [`crate::notifications`]).
pub fn content(req: &DavRequest, body: Vec<u8>, tag: &str, modified: i64, media_type: &str) -> Response {
    let tag = etag(tag);
    let not_modified = req
        .header("if-none-match")
        .is_some_and(|v| v == "*" || v.split(',').any(|t| t.trim() == tag));
    let length = body.len();
    let mut r = if not_modified {
        empty(StatusCode::NOT_MODIFIED)
    } else if req.method == Method::HEAD {
        empty(StatusCode::OK)
    } else {
        Response::new(Body::from(body))
    };
    let h = r.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(header::ETAG, tag);
    set(header::LAST_MODIFIED, http_date(modified));
    if !not_modified {
        set(header::CONTENT_TYPE, media_type.to_owned());
        set(header::CONTENT_LENGTH, length.to_string());
    }
    r
}
