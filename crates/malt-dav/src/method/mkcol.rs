//! MKCOL (RFC 4918 §9.3, extended by RFC 5689) and MKCALENDAR (RFC 4791 §5.3.1): a new
//! calendar or address book in the user's home, with the properties of the body set at once
//! (all or none: a property that cannot be set means no collection, 403 with the propstats).
//!
//! Only calendars and address books exist: in the calendar home a MKCOL must name
//! `CALDAV:calendar` in its `DAV:resourcetype` (or be a MKCALENDAR), in the address book home
//! `CARDDAV:addressbook` (a MKCOL without a body there makes an address book too); anything else
//! is 403 `DAV:valid-resourcetype` (RFC 5689 §3.3). A calendar made without
//! `supported-calendar-component-set` takes VEVENT, VTODO and VJOURNAL (RFC 4791 §5.2.3).
//! Reserved names are refused (403): `shared-<digits>` (shares mounted in a home,
//! [`crate::access::MOUNT_PREFIX`]) and, in the address book home, the global address book's
//! `directory` ([`crate::gal::GAL_NAME`]; 405, it exists).

use axum::http::StatusCode;
use axum::response::Response;
use malt_dav_proto::name::{CALDAV, CARDDAV, DAV};
use malt_dav_proto::request::{PropPatchOp, component_set, parse_mkcalendar, parse_mkcol, resource_types};
use malt_dav_proto::response::propstat_body;
use malt_dav_proto::{Element, Name};
use malt_store::{
    DavCollectionKind, DavCollectionPatch, DavCollectionProps, DavComponent, NewDavCollection, StoreError,
};

use super::proppatch::{PropFailure, patch_entry, update_propstats};
use crate::error::{DavError, DavResult, xml};
use crate::resource::{Target, resolve};
use crate::{Ctx, DavRequest, empty};

/// What a MKCOL/MKCALENDAR body asks for, before it is checked against the place.
struct Body {
    props: Vec<Element>,
    /// `DAV:resourcetype`, when the body sets it.
    resource_types: Option<Vec<Name>>,
}

fn read_body(ctx: &Ctx, req: &DavRequest, mkcalendar: bool) -> DavResult<Body> {
    let xml = &ctx.settings().xml;
    let props = if mkcalendar {
        parse_mkcalendar(&req.body, xml)?
    } else {
        parse_mkcol(&req.body, xml)?
    };
    let resource_types = props
        .iter()
        .find(|p| p.is(DAV, "resourcetype"))
        .map(resource_types);
    Ok(Body {
        props,
        resource_types,
    })
}

/// Whether the body's resource type makes a collection of `kind` (RFC 5689 §3).
fn type_fits(kind: DavCollectionKind, types: Option<&[Name]>, mkcalendar: bool) -> bool {
    let wanted = match kind {
        DavCollectionKind::Calendar => Name::new(CALDAV, "calendar"),
        DavCollectionKind::AddressBook => Name::new(CARDDAV, "addressbook"),
        // The scheduling inbox and outbox are the server's, made with the defaults.
        DavCollectionKind::ScheduleInbox | DavCollectionKind::ScheduleOutbox => return false,
    };
    match types {
        Some(t) => t.contains(&wanted) && t.iter().all(|n| n.is(DAV, "collection") || *n == wanted),
        None => mkcalendar || kind == DavCollectionKind::AddressBook,
    }
}

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let mkcalendar = req.method.as_str() == "MKCALENDAR";
    let (kind, name) = match resolve(ctx, &req.path).await? {
        Target::NewCollection(kind, name) => (kind, name),
        Target::Existing(_) => return Err(DavError::method_not_allowed("something exists here already")),
        Target::NoParent => return Err(DavError::conflict("no collection to make this in")),
        Target::NewObject(..) => return Err(DavError::forbidden("collections hold no collections")),
    };
    if crate::access::parse_mount(&name).is_some() {
        return Err(DavError::forbidden(
            "names shared-<number> are reserved for shared collections",
        ));
    }
    if mkcalendar && kind != DavCollectionKind::Calendar {
        return Err(DavError::forbidden("calendars are made in the calendar home"));
    }
    let body = read_body(ctx, req, mkcalendar)?;
    if !type_fits(kind, body.resource_types.as_deref(), mkcalendar) {
        return Err(DavError::precondition(Name::dav("valid-resourcetype")));
    }
    let props = match collection_props(kind, &body.props) {
        Ok(p) => p,
        Err(failures) => {
            let names: Vec<Name> = body.props.iter().map(|p| p.name.clone()).collect();
            let root = if mkcalendar {
                Name::new(CALDAV, "mkcalendar-response")
            } else {
                Name::dav("mkcol-response")
            };
            return Ok(xml(
                StatusCode::FORBIDDEN,
                propstat_body(root, &update_propstats(&names, &failures)),
            ));
        }
    };
    let new = NewDavCollection { kind, name, props };
    match ctx.store().dav_collection_create(ctx.account.id, new).await {
        Ok(_) => Ok(empty(StatusCode::CREATED)),
        Err(StoreError::AlreadyExists(_)) => {
            Err(DavError::method_not_allowed("a collection of this name exists"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The properties of the new collection, or the properties that cannot be set.
fn collection_props(
    kind: DavCollectionKind,
    props: &[Element],
) -> Result<DavCollectionProps, Vec<(Name, PropFailure)>> {
    let mut patch = DavCollectionPatch::default();
    let mut components = None;
    let mut failures = Vec::new();
    for p in props {
        if p.is(DAV, "resourcetype") {
            continue;
        }
        if p.is(CALDAV, "supported-calendar-component-set") && kind == DavCollectionKind::Calendar {
            match components_of(p) {
                Some(c) => components = Some(c),
                None => failures.push((
                    p.name.clone(),
                    (
                        403,
                        Some(Element::new(Name::new(CALDAV, "supported-calendar-component"))),
                    ),
                )),
            }
            continue;
        }
        if let Err(f) = patch_entry(kind, &mut patch, &PropPatchOp::Set(p.clone())) {
            failures.push((p.name.clone(), f));
        }
    }
    if !failures.is_empty() {
        return Err(failures);
    }
    let mut out = DavCollectionProps::default().patched(&patch);
    if kind == DavCollectionKind::Calendar {
        out.components = components
            .unwrap_or_else(|| vec![DavComponent::Event, DavComponent::Todo, DavComponent::Journal]);
    }
    Ok(out)
}

/// The components of a `supported-calendar-component-set`; `None` when it names one a calendar
/// cannot hold, or none.
fn components_of(e: &Element) -> Option<Vec<DavComponent>> {
    let names = component_set(e);
    let comps: Vec<DavComponent> = names.iter().filter_map(|n| DavComponent::parse(n)).collect();
    let ok = !comps.is_empty() && comps.len() == names.len() && !comps.contains(&DavComponent::Card);
    ok.then_some(comps)
}
