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
    let tag = etag(&object.etag);
    let not_modified = req
        .header("if-none-match")
        .is_some_and(|v| v == "*" || v.split(',').any(|t| t.trim() == tag));
    let mut r = if not_modified {
        empty(StatusCode::NOT_MODIFIED)
    } else if req.method == Method::HEAD {
        empty(StatusCode::OK)
    } else {
        Response::new(Body::from(object.content))
    };
    let h = r.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(header::ETAG, tag);
    if let Some(schedule_tag) = schedule_tag {
        set(header::HeaderName::from_static("schedule-tag"), schedule_tag);
    }
    set(header::LAST_MODIFIED, http_date(object.updated_at));
    if !not_modified {
        set(header::CONTENT_TYPE, content_type(object.component).to_owned());
        set(header::CONTENT_LENGTH, object.size.to_string());
    }
    r
}
