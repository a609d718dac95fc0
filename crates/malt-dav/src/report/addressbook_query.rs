//! `CARDDAV:addressbook-query` (RFC 6352 §8.6): the address book's vCards that match a filter,
//! at most `limit` of them; when more match, the answer ends with a 507 response for the
//! collection and `DAV:number-of-matches-within-limits` (§8.6.1).

use axum::response::Response;
use malt_dav_proto::Name;
use malt_dav_proto::name::CARDDAV;
use malt_dav_proto::request::AddressbookQuery;
use malt_dav_proto::response::{Multistatus, Response as DavResponse};
use malt_store::{DavCollection, DavObject};

use super::calendar_query::{candidates, unsupported_collation};
use super::{cut, object_response, text};
use crate::error::DavResult;
use crate::method::multistatus;
use crate::props::href;
use crate::resource::Resource;
use crate::{Ctx, content};

pub async fn handle(ctx: &Ctx, c: &DavCollection, q: &AddressbookQuery) -> DavResult<Response> {
    let objects = candidates(ctx, c, None).await?;
    Ok(multistatus(&Multistatus {
        responses: responses(ctx, c, &objects, q)?,
        ..Multistatus::default()
    }))
}

/// The responses of the query over `objects` (also the global address book's cards).
pub fn responses(
    ctx: &Ctx,
    c: &DavCollection,
    objects: &[DavObject],
    q: &AddressbookQuery,
) -> DavResult<Vec<DavResponse>> {
    let filter = content::card_filter(&q.filter).map_err(|e| unsupported_collation(CARDDAV, &e))?;
    let limit = q
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let data_name = Name::new(CARDDAV, "address-data");
    let mut matching = objects.iter().filter(|o| content::card_matches(o, &filter));
    let mut responses: Vec<DavResponse> = matching
        .by_ref()
        .take(limit)
        .map(|o| {
            let data = q
                .address_data
                .as_ref()
                .map(|d| (&data_name, content::address_data(o, d).unwrap_or_else(|| text(o))));
            object_response(ctx, c, o, q.prop.as_ref(), data)
        })
        .collect();
    if matching.next().is_some() {
        responses.push(cut(href(ctx, &Resource::Collection(c.clone()))));
    }
    Ok(responses)
}
