//! REPORT (RFC 3253 §3.6): one file per report. A collection report is addressed to a calendar
//! or an address book, a principal report (expand-property and RFC 3744 §9.3–9.5) to a
//! principal or the principal collection (expand-property anywhere), `acl-principal-prop-set`
//! (RFC 3744 §9.2) to a calendar or address book whose ACL the user may read; one not supported where it is sent (or
//! any unknown report) is 403 `DAV:supported-report`. Collection reports need read access to
//! the collection, `free-busy-query` free-busy access ([`crate::access`]).
//!
//! What several reports share is here: the response for one object with its requested
//! properties and data (`calendar-data`, `address-data`), and the collections reports run on.

pub mod acl_principal_prop_set;
pub mod addressbook_query;
pub mod calendar_query;
pub mod expand_property;
pub mod free_busy;
pub mod multiget;
pub mod principal_match;
pub mod principal_property_search;
pub mod principal_search_property_set;
pub mod sync_collection;

use axum::response::Response;
use malt_dav_proto::name::{CALDAV, CARDDAV};
use malt_dav_proto::request::{PrincipalReport, PropRequest, ReportRequest, parse_report};
use malt_dav_proto::response::Response as DavResponse;
use malt_dav_proto::{Element, Name};
use malt_store::{DavAccess, DavCollection, DavCollectionKind, DavObject};

use crate::error::{DavError, DavResult};
use crate::path::DavPath;
use crate::props::{href, propstats};
use crate::resource::{Resource, Target, resolve};
use crate::{Ctx, DavRequest};

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let report = parse_report(&req.body, &ctx.settings().xml)?;
    supported_media(&report)?;
    let resource = resolve(ctx, &req.path).await?.existing()?;
    if let Resource::Collection(c) | Resource::Object(c, _) = &resource {
        let need = if matches!(report, ReportRequest::FreeBusyQuery(_)) {
            DavAccess::FreeBusy
        } else {
            DavAccess::Read
        };
        crate::access::require(ctx, c, need)?;
    }
    use DavCollectionKind::{AddressBook, Calendar, ScheduleInbox};
    match report {
        ReportRequest::SyncCollection(s) => {
            sync_collection::handle(ctx, req, collection(&resource, &[])?, &s).await
        }
        ReportRequest::CalendarMultiget(m) => {
            let c = collection(&resource, &[Calendar, ScheduleInbox])?;
            let floating = crate::content::floating_zone(None, c);
            let render = |o: &DavObject| {
                m.calendar_data
                    .as_ref()
                    .and_then(|d| crate::content::calendar_data(o, d, floating))
                    .unwrap_or_else(|| text(o))
            };
            let data = m.calendar_data.is_some().then(|| {
                (
                    Name::new(CALDAV, "calendar-data"),
                    &render as multiget::Render<'_>,
                )
            });
            multiget::handle(ctx, c, m.prop.as_ref(), data, &m.hrefs).await
        }
        ReportRequest::AddressbookMultiget(m) => {
            let render = |o: &DavObject| {
                m.address_data
                    .as_ref()
                    .and_then(|d| crate::content::address_data(o, d))
                    .unwrap_or_else(|| text(o))
            };
            let data = m.address_data.is_some().then(|| {
                (
                    Name::new(CARDDAV, "address-data"),
                    &render as multiget::Render<'_>,
                )
            });
            let c = collection(&resource, &[AddressBook])?;
            multiget::handle(ctx, c, m.prop.as_ref(), data, &m.hrefs).await
        }
        ReportRequest::CalendarQuery(q) => {
            calendar_query::handle(ctx, collection(&resource, &[Calendar, ScheduleInbox])?, &q).await
        }
        ReportRequest::FreeBusyQuery(range) => {
            free_busy::handle(ctx, collection(&resource, &[Calendar])?, &range).await
        }
        ReportRequest::AddressbookQuery(q) => {
            addressbook_query::handle(ctx, collection(&resource, &[AddressBook])?, &q).await
        }
        ReportRequest::Principal(p) => match p {
            PrincipalReport::ExpandProperty(props) => expand_property::handle(ctx, &resource, &props).await,
            PrincipalReport::AclPrincipalPropSet(prop) => {
                acl_principal_prop_set::handle(ctx, req, &resource, prop.as_ref()).await
            }
            PrincipalReport::PropertySearch(s) => principal_property_search::handle(ctx, &resource, &s).await,
            PrincipalReport::SearchPropertySet => principal_search_property_set::handle(&resource),
            PrincipalReport::Match(m) => principal_match::handle(ctx, req, &resource, &m).await,
        },
        ReportRequest::Other(_) => Err(unsupported()),
    }
}

/// The media type a report asks its data in must be one the server returns: RFC 4791 §7.8 and
/// §7.9 (precondition `CALDAV:supported-calendar-data`, for the `content-type` and `version` of
/// `calendar-data`, §9.6: `text/calendar` 2.0) and RFC 6352 §8.6 and §8.7
/// (`CARDDAV:supported-address-data`, for those of `address-data`, §10.4: `text/vcard` 3.0 or
/// 4.0). An attribute left out means the default, which is always supported.
fn supported_media(report: &ReportRequest) -> DavResult<()> {
    let (calendar, card) = match report {
        ReportRequest::CalendarQuery(q) => (q.calendar_data.as_ref(), None),
        ReportRequest::CalendarMultiget(m) => (m.calendar_data.as_ref(), None),
        ReportRequest::AddressbookQuery(q) => (None, q.address_data.as_ref()),
        ReportRequest::AddressbookMultiget(m) => (None, m.address_data.as_ref()),
        _ => (None, None),
    };
    let is = |given: Option<&String>, allowed: &[&str]| {
        given.is_none_or(|g| allowed.iter().any(|a| g.trim().eq_ignore_ascii_case(a)))
    };
    if let Some(d) = calendar
        && !(is(d.content_type.as_ref(), &["text/calendar"]) && is(d.version.as_ref(), &["2.0"]))
    {
        return Err(DavError::refused(
            Name::new(CALDAV, "supported-calendar-data"),
            "calendar-data is returned as text/calendar version 2.0 only",
        ));
    }
    if let Some(d) = card
        && !(is(d.content_type.as_ref(), &["text/vcard"]) && is(d.version.as_ref(), &["3.0", "4.0"]))
    {
        return Err(DavError::refused(
            Name::new(CARDDAV, "supported-address-data"),
            "address-data is returned as text/vcard version 3.0 or 4.0 only",
        ));
    }
    Ok(())
}

/// The response that ends a cut answer (RFC 6578 §3.6, RFC 6352 §8.6.1): 507 for `href` with
/// `DAV:number-of-matches-within-limits`.
fn cut(href: String) -> DavResponse {
    let mut cut = DavResponse::status(href, 507);
    cut.error
        .push(Element::new(Name::dav("number-of-matches-within-limits")));
    cut
}

/// What href `h` names for the requesting user (resolved as a request's path is), or the status
/// of its response when it names nothing the user may read (`404` for another user's data).
async fn resolve_href(ctx: &Ctx, h: &str) -> DavResult<Result<Resource, u16>> {
    let Some(path) = DavPath::parse_href(h) else {
        return Ok(Err(404));
    };
    match resolve(ctx, &path).await {
        Ok(Target::Existing(r)) => Ok(Ok(r)),
        Ok(_) => Ok(Err(404)),
        Err(DavError::Status(code, _) | DavError::Precondition(code, _)) => Ok(Err(code.as_u16())),
        Err(DavError::Store(e)) => Err(DavError::Store(e)),
        Err(_) => Ok(Err(403)),
    }
}

fn unsupported() -> DavError {
    DavError::precondition(Name::dav("supported-report"))
}

/// The collection a report runs on (of one of `kinds`, any when empty), or `supported-report`.
fn collection<'r>(resource: &'r Resource, kinds: &[DavCollectionKind]) -> DavResult<&'r DavCollection> {
    match resource {
        Resource::Collection(c) if kinds.is_empty() || kinds.contains(&c.kind) => Ok(c),
        _ => Err(unsupported()),
    }
}

/// The response for one object: the requested properties, the data property (when asked for)
/// holding `data`, or a bare 200 when the report asked for no property.
pub fn object_response(
    ctx: &Ctx,
    c: &DavCollection,
    object: &DavObject,
    prop: Option<&PropRequest>,
    data: Option<(&Name, String)>,
) -> DavResponse {
    let resource = Resource::Object(c.clone(), object.info());
    let href = href(ctx, &resource);
    let Some(prop) = prop else {
        return DavResponse::status(href, 200);
    };
    let lookup = |n: &Name| match &data {
        Some((name, text)) if *name == n => Some(Element::new(n.clone()).with_text(text.clone())),
        // RFC 6638 §3.3: the Schedule-Tag of a scheduling object, as its header has it.
        _ if c.kind == DavCollectionKind::Calendar && crate::schedule::is_schedule_tag(n) => {
            crate::schedule::schedule_tag_property(&object.content)
        }
        _ => None,
    };
    DavResponse::propstats(href, propstats(ctx, &resource, prop, &lookup))
}

/// An object's content as text (what `calendar-data` and `address-data` carry).
pub fn text(object: &DavObject) -> String {
    String::from_utf8_lossy(&object.content).into_owned()
}
