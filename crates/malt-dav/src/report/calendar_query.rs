//! `CALDAV:calendar-query` (RFC 4791 §7.8): the calendar's objects that match a filter.
//!
//! Candidates come from the store's span index when the filter's component has a
//! `time-range` (RFC 4791 §9.9; never a scan of every object), otherwise every object; each
//! candidate is then tested against the whole filter ([`content::calendar_matches`]).

use axum::response::Response;
use malt_dav_proto::Name;
use malt_dav_proto::name::CALDAV;
use malt_dav_proto::request::{CalendarQuery, CompTest};
use malt_dav_proto::response::Multistatus;
use malt_store::{DavCollection, DavObject};

use super::{object_response, text};
use crate::error::{DavError, DavResult};
use crate::method::multistatus;
use crate::{Ctx, content};

/// The time range of the filter's first-level component (`VCALENDAR` > `VEVENT` ...), which
/// bounds every match.
fn candidate_range(q: &CalendarQuery) -> Option<(i64, i64)> {
    let CompTest::Defined { comps, .. } = &q.filter.test else {
        return None;
    };
    let mut ranges = comps.iter().map(|c| match &c.test {
        CompTest::Defined {
            time_range: Some(r), ..
        } => Some(r.bounds()),
        _ => None,
    });
    // With several component filters, all must match: any one's range bounds the result.
    ranges.find_map(|r| r)
}

/// The objects that may match: through the span index when there is a range.
pub async fn candidates(
    ctx: &Ctx,
    c: &DavCollection,
    range: Option<(i64, i64)>,
) -> DavResult<Vec<DavObject>> {
    let store = ctx.store();
    Ok(match range {
        Some((start, end)) => store.dav_objects_in_span(c.id, start, end).await?,
        None => {
            let names: Vec<String> = store
                .dav_object_list(c.id)
                .await?
                .into_iter()
                .map(|o| o.name)
                .collect();
            store.dav_object_multiget(c.id, &names).await?
        }
    })
}

/// `supported-collation` (RFC 4791 §7.5.1, RFC 6352 §8.3) for a collation the server does not
/// know.
pub fn unsupported_collation(ns: &str, c: &content::UnsupportedCollation) -> DavError {
    tracing::debug!(collation = %c.0, "unsupported collation");
    DavError::precondition(Name::new(ns, "supported-collation"))
}

pub async fn handle(ctx: &Ctx, c: &DavCollection, q: &CalendarQuery) -> DavResult<Response> {
    let filter = content::calendar_filter(&q.filter).map_err(|e| unsupported_collation(CALDAV, &e))?;
    let floating = content::floating_zone(q.timezone.as_ref(), c);
    let objects = candidates(ctx, c, candidate_range(q)).await?;
    let data_name = Name::new(CALDAV, "calendar-data");
    let responses = objects
        .iter()
        .filter(|o| content::calendar_matches(o, &filter, floating))
        .map(|o| {
            let data = q.calendar_data.as_ref().map(|d| {
                (
                    &data_name,
                    content::calendar_data(o, d, floating).unwrap_or_else(|| text(o)),
                )
            });
            object_response(ctx, c, o, q.prop.as_ref(), data)
        })
        .collect();
    Ok(multistatus(&Multistatus {
        responses,
        ..Multistatus::default()
    }))
}
