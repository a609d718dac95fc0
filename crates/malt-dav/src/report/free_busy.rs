//! `CALDAV:free-busy-query` (RFC 4791 §7.10): the busy time of a calendar in a range, as a
//! VFREEBUSY in a `text/calendar` answer (200, not a multistatus). Candidates come from the span
//! index.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use malt_dav_proto::request::TimeRange;
use malt_store::DavCollection;

use super::calendar_query::candidates;
use crate::error::DavResult;
use crate::{Ctx, content};

pub async fn handle(ctx: &Ctx, c: &DavCollection, range: &TimeRange) -> DavResult<Response> {
    let (start, end) = range.bounds();
    let objects = candidates(ctx, c, Some((start, end))).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let body = content::free_busy(&objects, start, end, content::floating_zone(None, c), now);
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok(r)
}
