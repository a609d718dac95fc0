//! Live properties (computed from the store, never stored as given) and the answer to a
//! property selection (PROPFIND, and the `DAV:prop` of every report).
//!
//! Invariants:
//! - [`value`] is the one place a live property's value is made; [`LIVE`] lists every name it
//!   knows, so `propname` lists exactly what `value` answers for the resource.
//! - `allprop` returns the dead properties and the live ones RFC 4918 §15 defines (RFC 4918
//!   §9.1), plus those named in `DAV:include`; a property a resource does not have is answered
//!   in a 404 propstat when it was asked for by name, and left out otherwise.
//! - Dead properties come back as the client set them (the stored element, RFC 4918 §4.2);
//!   the server's own (namespace `urn:x-malt:caldav`) never do.

use malt_core::scheduling::{MALT_DEAD_NS, default_calendar};
use malt_dav_proto::name::{APPLE_ICAL, CALDAV, CALENDARSERVER, CARDDAV, DAV};
use malt_dav_proto::request::PropRequest;
use malt_dav_proto::response::{PropStat, Response};
use malt_dav_proto::{Element, Limits, Name, parse_document};
use malt_store::{DavCollection, DavCollectionKind, DavComponent, DavObjectInfo};

use crate::Ctx;
use crate::access::shareable_collection;
use crate::path::{INBOX, OUTBOX, PRINCIPALS, collection_href, home_href, principal_href};
use crate::report::sync_collection::sync_token;
use crate::resource::Resource;

/// Every live property [`value`] knows, by namespace and local name.
pub const LIVE: &[(&str, &str)] = &[
    (DAV, "resourcetype"),
    (DAV, "displayname"),
    (DAV, "getetag"),
    (DAV, "getcontenttype"),
    (DAV, "getcontentlength"),
    (DAV, "getlastmodified"),
    (DAV, "current-user-principal"),
    (DAV, "principal-URL"),
    (DAV, "principal-collection-set"),
    (DAV, "owner"),
    (DAV, "current-user-privilege-set"),
    (DAV, "acl"),
    (DAV, "supported-privilege-set"),
    (DAV, "acl-restrictions"),
    (DAV, "supported-report-set"),
    (DAV, "sync-token"),
    (DAV, "quota-available-bytes"),
    (DAV, "quota-used-bytes"),
    (CALDAV, "calendar-home-set"),
    (CALDAV, "calendar-user-address-set"),
    (CALDAV, "calendar-description"),
    (CALDAV, "calendar-timezone"),
    (CALDAV, "supported-calendar-component-set"),
    (CALDAV, "supported-calendar-data"),
    (CALDAV, "max-resource-size"),
    (CALDAV, "schedule-inbox-URL"),
    (CALDAV, "schedule-outbox-URL"),
    (CALDAV, "calendar-user-type"),
    (CALDAV, "schedule-default-calendar-URL"),
    (CARDDAV, "addressbook-home-set"),
    (CARDDAV, "addressbook-description"),
    (CARDDAV, "supported-address-data"),
    (CARDDAV, "max-resource-size"),
    (CALENDARSERVER, "getctag"),
    (CALENDARSERVER, "invite"),
    (CALENDARSERVER, "allowed-sharing-modes"),
    (CALENDARSERVER, "shared-url"),
    (CALENDARSERVER, "notification-URL"),
    (APPLE_ICAL, "calendar-color"),
    (APPLE_ICAL, "calendar-order"),
];

/// The live properties RFC 4918 defines, which `allprop` returns (§9.1).
pub const ALLPROP: &[&str] = &[
    "resourcetype",
    "displayname",
    "getetag",
    "getcontenttype",
    "getcontentlength",
    "getlastmodified",
];

/// Live properties a client may not set or remove (RFC 4918 §16 `cannot-modify-protected-property`):
/// every live one but those a PROPPATCH changes.
pub fn is_protected(name: &Name) -> bool {
    is_live(name) && settable(name).is_none()
}

/// Whether `name` is a live property.
pub fn is_live(name: &Name) -> bool {
    LIVE.iter().any(|(ns, local)| name.is(ns, local))
}

/// The collection properties a PROPPATCH (or MKCOL, MKCALENDAR) sets, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settable {
    DisplayName,
    Description,
    Color,
    Order,
    Timezone,
}

/// Which collection property `name` sets, if it is one of them.
pub fn settable(name: &Name) -> Option<Settable> {
    let n = name;
    if n.is(DAV, "displayname") {
        Some(Settable::DisplayName)
    } else if n.is(CALDAV, "calendar-description") || n.is(CARDDAV, "addressbook-description") {
        Some(Settable::Description)
    } else if n.is(APPLE_ICAL, "calendar-color") {
        Some(Settable::Color)
    } else if n.is(APPLE_ICAL, "calendar-order") {
        Some(Settable::Order)
    } else if n.is(CALDAV, "calendar-timezone") {
        Some(Settable::Timezone)
    } else {
        None
    }
}

fn el(ns: &str, local: &str) -> Element {
    Element::new(Name::new(ns, local))
}

fn href_prop(name: &Name, href: String) -> Element {
    Element::new(name.clone()).with_child(Element::href(href))
}

/// The media type of an object's content.
pub fn content_type(component: DavComponent) -> &'static str {
    match component {
        DavComponent::Card => "text/vcard; charset=utf-8",
        _ => "text/calendar; charset=utf-8",
    }
}

/// An HTTP date (RFC 9110 §5.6.7) of Unix seconds.
pub fn http_date(unix: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(unix).unwrap_or(0));
    httpdate::fmt_http_date(t)
}

/// A strong ETag as sent (quoted).
pub fn etag(etag: &str) -> String {
    format!("\"{etag}\"")
}

/// `current-user-privilege-set` of a collection of `kind` the user has `access` to: the
/// owner's full set below, a sharee's by [`crate::access::privileges`].
fn privileges_of(access: malt_store::DavAccess, kind: Option<DavCollectionKind>) -> Element {
    if access == malt_store::DavAccess::Owner {
        return privileges(kind);
    }
    let kind = kind.unwrap_or(DavCollectionKind::AddressBook);
    Element::new(Name::dav("current-user-privilege-set")).with_children(
        crate::access::privileges(access, kind)
            .into_iter()
            .map(|p| el(DAV, "privilege").with_child(Element::new(p))),
    )
}

fn privileges(kind: Option<DavCollectionKind>) -> Element {
    // The owner may do everything (RFC 3744 §3.12 `DAV:all`); the aggregated privileges are
    // listed too, for clients that look for `write` rather than `all`.
    let mut names = vec![
        el(DAV, "all"),
        el(DAV, "read"),
        el(DAV, "write"),
        el(DAV, "write-properties"),
        el(DAV, "write-content"),
        el(DAV, "bind"),
        el(DAV, "unbind"),
        el(DAV, "read-current-user-privilege-set"),
    ];
    match kind {
        Some(DavCollectionKind::Calendar) => names.push(el(CALDAV, "read-free-busy")),
        // RFC 6638 §6.1: what may be delivered to the inbox; §6.2: what the outbox may send.
        Some(DavCollectionKind::ScheduleInbox) => names.extend(
            [
                "schedule-deliver",
                "schedule-deliver-invite",
                "schedule-deliver-reply",
                "schedule-query-freebusy",
            ]
            .map(|p| el(CALDAV, p)),
        ),
        Some(DavCollectionKind::ScheduleOutbox) => names.extend(
            [
                "schedule-send",
                "schedule-send-invite",
                "schedule-send-reply",
                "schedule-send-freebusy",
            ]
            .map(|p| el(CALDAV, p)),
        ),
        _ => {}
    }
    Element::new(Name::dav("current-user-privilege-set"))
        .with_children(names.into_iter().map(|p| el(DAV, "privilege").with_child(p)))
}

fn supported_reports(reports: &[(&str, &str)]) -> Element {
    Element::new(Name::dav("supported-report-set")).with_children(reports.iter().map(|(ns, local)| {
        el(DAV, "supported-report").with_child(el(DAV, "report").with_child(el(ns, local)))
    }))
}

/// The reports a collection of `kind` answers (RFC 3253 §3.1.5); `expand-property` (RFC 3253
/// §3.8) is answered on every resource.
fn reports(kind: DavCollectionKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        DavCollectionKind::Calendar => &[
            (CALDAV, "calendar-multiget"),
            (CALDAV, "calendar-query"),
            (CALDAV, "free-busy-query"),
            (DAV, "sync-collection"),
            (DAV, "expand-property"),
            (DAV, "acl-principal-prop-set"),
        ],
        DavCollectionKind::AddressBook => &[
            (CARDDAV, "addressbook-multiget"),
            (CARDDAV, "addressbook-query"),
            (DAV, "sync-collection"),
            (DAV, "expand-property"),
            (DAV, "acl-principal-prop-set"),
        ],
        DavCollectionKind::ScheduleInbox => &[
            (CALDAV, "calendar-multiget"),
            (CALDAV, "calendar-query"),
            (DAV, "sync-collection"),
            (DAV, "expand-property"),
        ],
        DavCollectionKind::ScheduleOutbox => &[(DAV, "expand-property")],
    }
}

/// The href of a resource of the requesting user.
pub fn href(ctx: &Ctx, res: &Resource) -> String {
    let user = &ctx.account.address;
    match res {
        Resource::Root => crate::path::DAV_ROOT.to_owned(),
        Resource::Principals => PRINCIPALS.to_owned(),
        Resource::Principal => principal_href(user),
        Resource::OtherPrincipal(other, _) => principal_href(other),
        Resource::GroupPrincipal(g) => principal_href(&g.address),
        Resource::Home(kind) => home_href(*kind, user),
        Resource::Collection(c) => ctx.collection_href(c),
        Resource::Object(c, o) => ctx.object_href(c, &o.name),
    }
}

fn collection_value(ctx: &Ctx, c: &DavCollection, name: &Name) -> Option<Element> {
    let text = |v: &Option<String>| {
        v.as_ref()
            .map(|t| Element::new(name.clone()).with_text(t.clone()))
    };
    let calendar = c.kind == DavCollectionKind::Calendar;
    let book = c.kind == DavCollectionKind::AddressBook;
    let ns = name.ns.as_str();
    if let Some(v) = crate::sharing::collection_prop(ctx, c, name) {
        return Some(v);
    }
    if let Some(v) = crate::sharee_props::value(ctx, c, name) {
        return Some(v);
    }
    match name.local.as_str() {
        "displayname" if ns == DAV => text(&c.props.display_name),
        "calendar-description" if ns == CALDAV && calendar => text(&c.props.description),
        "addressbook-description" if ns == CARDDAV && book => text(&c.props.description),
        "calendar-timezone" if ns == CALDAV && calendar => text(&c.props.timezone),
        "calendar-color" if ns == APPLE_ICAL && calendar => text(&c.props.color),
        "calendar-order" if ns == APPLE_ICAL && calendar => c
            .props
            .order
            .map(|o| Element::new(name.clone()).with_text(o.to_string())),
        "supported-calendar-component-set" if ns == CALDAV && calendar => Some(
            Element::new(name.clone()).with_children(
                c.props
                    .components
                    .iter()
                    .map(|comp| el(CALDAV, "comp").with_attr("name", comp.name())),
            ),
        ),
        "supported-calendar-data" if ns == CALDAV && calendar => Some(
            Element::new(name.clone()).with_child(
                el(CALDAV, "calendar-data")
                    .with_attr("content-type", "text/calendar")
                    .with_attr("version", "2.0"),
            ),
        ),
        "supported-address-data" if ns == CARDDAV && book => {
            Some(Element::new(name.clone()).with_children(["3.0", "4.0"].map(|v| {
                el(CARDDAV, "address-data-type")
                    .with_attr("content-type", "text/vcard")
                    .with_attr("version", v)
            })))
        }
        "max-resource-size" if (ns == CALDAV && calendar) || (ns == CARDDAV && book) => {
            Some(Element::new(name.clone()).with_text(ctx.settings().max_resource_size.to_string()))
        }
        "getctag" if ns == CALENDARSERVER => {
            Some(Element::new(name.clone()).with_text(c.highest_modseq.to_string()))
        }
        "sync-token" if ns == DAV => Some(Element::new(name.clone()).with_text(sync_token(c))),
        "supported-report-set" if ns == DAV => {
            // The ACL report is answered where there is an ACL (not the global address book).
            let listed: Vec<_> = reports(c.kind)
                .iter()
                .copied()
                .filter(|r| shareable_collection(c) || r.1 != "acl-principal-prop-set")
                .collect();
            Some(supported_reports(&listed))
        }
        "supported-privilege-set" if ns == DAV && shareable_collection(c) => {
            Some(crate::access::supported_privilege_set(c.kind))
        }
        "acl-restrictions" if ns == DAV && shareable_collection(c) => Some(crate::access::acl_restrictions()),
        "resourcetype" if ns == DAV => Some(
            Element::new(name.clone())
                .with_children([
                    el(DAV, "collection"),
                    match c.kind {
                        DavCollectionKind::Calendar => el(CALDAV, "calendar"),
                        DavCollectionKind::AddressBook => el(CARDDAV, "addressbook"),
                        DavCollectionKind::ScheduleInbox => el(CALDAV, "schedule-inbox"),
                        DavCollectionKind::ScheduleOutbox => el(CALDAV, "schedule-outbox"),
                    },
                ])
                .with_children(crate::sharing::resource_types(ctx, c)),
        ),
        // RFC 6638 §9.1: opaque unless the user set it (then it is their dead property).
        "schedule-calendar-transp"
            if ns == CALDAV && calendar && !c.props.dead.contains_key(&name.clark()) =>
        {
            Some(Element::new(name.clone()).with_child(el(CALDAV, "opaque")))
        }
        "schedule-default-calendar-URL" if ns == CALDAV && c.kind == DavCollectionKind::ScheduleInbox => {
            let default = ctx
                .collections_read()
                .and_then(|all| default_calendar(all, DavComponent::Event))?;
            Some(href_prop(
                name,
                collection_href(default.kind, &ctx.account.address, &default.name),
            ))
        }
        _ => None,
    }
}

fn object_value(o: &DavObjectInfo, name: &Name) -> Option<Element> {
    if name.ns != DAV {
        return None;
    }
    let text = |t: String| Some(Element::new(name.clone()).with_text(t));
    match name.local.as_str() {
        "resourcetype" => Some(Element::new(name.clone())),
        "getetag" => text(etag(&o.etag)),
        "getcontenttype" => text(content_type(o.component).to_owned()),
        "getcontentlength" => text(o.size.to_string()),
        "getlastmodified" => text(http_date(o.updated_at)),
        _ => None,
    }
}

/// The value of live property `name` of `res`, as the element to put in a propstat; `None`
/// when the resource has no such property.
pub fn value(ctx: &Ctx, res: &Resource, name: &Name) -> Option<Element> {
    let user = &ctx.account.address;
    let common = |local: &str| name.is(DAV, local);
    // Properties every resource of the user has.
    if common("current-user-principal") {
        return Some(href_prop(name, principal_href(user)));
    }
    if common("current-user-privilege-set") {
        return Some(match res {
            Resource::Collection(c) | Resource::Object(c, _) => privileges_of(ctx.access(c), Some(c.kind)),
            Resource::OtherPrincipal(..) | Resource::GroupPrincipal(_) => {
                privileges_of(malt_store::DavAccess::Read, None)
            }
            _ => privileges(None),
        });
    }
    if common("principal-collection-set") {
        return Some(href_prop(name, PRINCIPALS.to_owned()));
    }
    if common("owner") {
        return match res {
            Resource::Root | Resource::Principals | Resource::GroupPrincipal(_) => None,
            Resource::Collection(c) | Resource::Object(c, _) => {
                Some(href_prop(name, principal_href(&ctx.view(c).owner)))
            }
            Resource::OtherPrincipal(other, _) => Some(href_prop(name, principal_href(other))),
            _ => Some(href_prop(name, principal_href(user))),
        };
    }
    let quota = match res {
        Resource::Home(_) => true,
        Resource::Collection(c) => ctx.access(c) == malt_store::DavAccess::Owner,
        _ => false,
    };
    if common("quota-used-bytes") && quota {
        return Some(Element::new(name.clone()).with_text(ctx.account.used_bytes.to_string()));
    }
    if common("quota-available-bytes") && quota {
        // RFC 4331 §3: without a quota the property is not defined.
        return ctx.account.quota_bytes.map(|q| {
            Element::new(name.clone()).with_text(q.saturating_sub(ctx.account.used_bytes).to_string())
        });
    }
    match res {
        Resource::Principals if common("supported-report-set") => Some(supported_reports(PRINCIPAL_REPORTS)),
        Resource::Root | Resource::Principals | Resource::Home(_) => {
            common("resourcetype").then(|| Element::new(name.clone()).with_child(el(DAV, "collection")))
        }
        Resource::Principal => principal_value(ctx, name),
        Resource::OtherPrincipal(other, addresses) => crate::sharing::principal_prop(other, addresses, name),
        Resource::GroupPrincipal(g) => g.prop(name),
        Resource::Collection(c) => collection_value(ctx, c, name),
        Resource::Object(_, o) => object_value(o, name),
    }
}

/// The reports a principal and the principal collection answer.
pub const PRINCIPAL_REPORTS: &[(&str, &str)] = &[
    (DAV, "expand-property"),
    (DAV, "principal-property-search"),
    (DAV, "principal-search-property-set"),
    (DAV, "principal-match"),
];

fn principal_value(ctx: &Ctx, name: &Name) -> Option<Element> {
    let user = ctx.account.address.as_str();
    let n = name;
    if let Some(v) = crate::sharing::principal_prop(user, &ctx.addresses_read(), n) {
        Some(v)
    } else if n.is(CALDAV, "calendar-home-set") {
        Some(href_prop(n, home_href(DavCollectionKind::Calendar, user)))
    } else if n.is(CARDDAV, "addressbook-home-set") {
        Some(href_prop(n, home_href(DavCollectionKind::AddressBook, user)))
    } else if n.is(CALDAV, "schedule-inbox-URL") {
        Some(href_prop(
            n,
            collection_href(DavCollectionKind::ScheduleInbox, user, INBOX),
        ))
    } else if n.is(CALDAV, "schedule-outbox-URL") {
        Some(href_prop(
            n,
            collection_href(DavCollectionKind::ScheduleOutbox, user, OUTBOX),
        ))
    } else if n.is(DAV, "supported-report-set") {
        Some(supported_reports(PRINCIPAL_REPORTS))
    } else if n.is(CALENDARSERVER, "notification-URL") {
        // caldav-notifications §4.1.1 (never in allprop: not in ALLPROP).
        crate::notifications::url(ctx).map(|url| href_prop(n, url))
    } else {
        None
    }
}

/// The dead properties of a resource, as the client set them.
pub fn dead(res: &Resource) -> Vec<Element> {
    let Resource::Collection(c) = res else {
        return Vec::new();
    };
    c.props
        .dead
        .iter()
        .filter(|(name, _)| !name.starts_with(&format!("{{{MALT_DEAD_NS}}}")))
        .filter_map(|(_, xml)| parse_document(xml.as_bytes(), &Limits::trusted()).ok())
        .collect()
}

/// The propstats answering `request` for `res`. `data` answers a report's data property
/// (`calendar-data`, `address-data`) before the live and dead ones are looked at.
pub fn propstats(
    ctx: &Ctx,
    res: &Resource,
    request: &PropRequest,
    data: &dyn Fn(&Name) -> Option<Element>,
) -> Vec<PropStat> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    let lookup = |name: &Name, dead: &[Element]| {
        data(name)
            .or_else(|| value(ctx, res, name))
            .or_else(|| dead.iter().find(|d| &d.name == name).cloned())
    };
    match request {
        PropRequest::Prop(names) => {
            let dead = dead(res);
            for n in names {
                match lookup(n, &dead) {
                    Some(e) => found.push(e),
                    None => missing.push(Element::new(n.clone())),
                }
            }
        }
        PropRequest::AllProp { include } => {
            found.extend(ALLPROP.iter().filter_map(|l| value(ctx, res, &Name::dav(l))));
            let dead = dead(res);
            for n in include {
                if !found.iter().any(|f| &f.name == n)
                    && let Some(e) = lookup(n, &dead)
                {
                    found.push(e);
                }
            }
            found.extend(dead);
        }
        PropRequest::PropName => {
            found.extend(
                LIVE.iter()
                    .map(|(ns, l)| Name::new(ns, l))
                    .filter(|n| value(ctx, res, n).is_some())
                    .map(Element::new),
            );
            found.extend(dead(res).into_iter().map(|d| Element::new(d.name)));
        }
    }
    by_status(found, missing)
}

/// The propstats of the properties `found` (200) and `missing` (404), each left out when empty.
pub fn by_status(found: Vec<Element>, missing: Vec<Element>) -> Vec<PropStat> {
    let mut out = Vec::new();
    if !found.is_empty() {
        out.push(PropStat::new(200, found));
    }
    if !missing.is_empty() {
        out.push(PropStat::new(404, missing));
    }
    out
}

/// One `DAV:response` for `res` answering `request`.
pub fn response(ctx: &Ctx, res: &Resource, request: &PropRequest) -> Response {
    Response::propstats(href(ctx, res), propstats(ctx, res, request, &|_| None))
}
