//! `CALDAV:calendar-multiget` (RFC 4791 §7.9) and `CARDDAV:addressbook-multiget`
//! (RFC 6352 §8.7): the objects the hrefs name, read in one store call. An href that names no
//! object of the collection the report is addressed to is answered 404 (RFC 4791 §7.9: each
//! href gets a response). The data property holds what the report's `calendar-data` /
//! `address-data` asks for (partial retrieval, `expand`, versions), as in the queries.

use axum::response::Response;
use malt_dav_proto::Name;
use malt_dav_proto::request::PropRequest;
use malt_dav_proto::response::{Multistatus, Response as DavResponse};
use malt_store::{DavCollection, DavObject};

use super::object_response;
use crate::Ctx;
use crate::error::DavResult;
use crate::method::multistatus;
use crate::path::DavPath;

/// The object name an href names in `c` (under the URL `c` was reached by in this request,
/// [`Ctx::collection_href`]), if it names one there.
pub fn name_in(ctx: &Ctx, c: &DavCollection, href: &str) -> Option<String> {
    let DavPath::Object(kind, user, coll, name) = DavPath::parse_href(href)? else {
        return None;
    };
    match DavPath::parse(&ctx.collection_href(c))? {
        DavPath::Collection(k, u, n) if k == kind && n == coll && u.eq_ignore_ascii_case(&user) => Some(name),
        _ => None,
    }
}

/// What the data property (`calendar-data`, `address-data`) of an object holds: the partial
/// retrieval and conversions the report asked for ([`crate::content`]).
pub type Render<'a> = &'a (dyn Fn(&DavObject) -> String + Sync);

pub async fn handle(
    ctx: &Ctx,
    c: &DavCollection,
    prop: Option<&PropRequest>,
    data: Option<(Name, Render<'_>)>,
    hrefs: &[String],
) -> DavResult<Response> {
    let names: Vec<String> = hrefs.iter().filter_map(|h| name_in(ctx, c, h)).collect();
    let objects = ctx.store().dav_object_multiget(c.id, &names).await?;
    let responses = hrefs
        .iter()
        .map(|h| {
            let found = name_in(ctx, c, h).and_then(|n| objects.iter().find(|o| o.name == n));
            match found {
                Some(o) => object_response(ctx, c, o, prop, data.as_ref().map(|(d, render)| (d, render(o)))),
                None => DavResponse::status(h.clone(), 404),
            }
        })
        .collect();
    Ok(multistatus(&Multistatus {
        responses,
        ..Multistatus::default()
    }))
}
