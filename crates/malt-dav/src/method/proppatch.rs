//! PROPPATCH (RFC 4918 §9.2) of a calendar or address book: all instructions or none.
//!
//! Live properties a client sets: `displayname`, `calendar-description` /
//! `addressbook-description`, Apple's `calendar-color` and `calendar-order`,
//! `calendar-timezone` (calendars only), and `schedule-default-calendar-URL` on the scheduling
//! inbox (RFC 6638 §9.2, [`schedule::default_calendar_patch`]); every other live property is
//! protected (403
//! `cannot-modify-protected-property`, the others 424). Any other property is dead: stored as
//! the client sent it (RFC 4918 §4.2). The same rules apply to the properties of MKCOL and
//! MKCALENDAR ([`patch_entry`]). Only the owner changes a collection's properties (a sharee:
//! 403 `need-privileges`, [`crate::access`]), except the sharee's own name, colour and order
//! of it ([`crate::sharee_props`]).

use axum::response::Response;
use malt_core::scheduling::MALT_DEAD_NS;
use malt_dav_proto::name::{CALDAV, CARDDAV};
use malt_dav_proto::request::{PropPatchOp, parse_proppatch};
use malt_dav_proto::response::{Multistatus, PropStat, Response as DavResponse};
use malt_dav_proto::{Element, Name, element_to_xml};
use malt_store::{DavCollectionKind, DavCollectionPatch, StoreError};

use super::multistatus;
use crate::error::{DavError, DavResult};
use crate::props::{Settable, href, is_protected, settable};
use crate::resource::{Resource, resolve};
use crate::{Ctx, DavRequest, schedule};

/// Why one property could not be set: the status and the precondition, if any.
pub type PropFailure = (u16, Option<Element>);

/// Whether `settable` property `name` belongs to a collection of `kind` (a calendar's
/// description is `CALDAV:calendar-description`, an address book's the CardDAV one; colour,
/// order and time zone are calendars').
fn applies(kind: DavCollectionKind, name: &Name, s: Settable) -> bool {
    let calendar = kind == DavCollectionKind::Calendar;
    match s {
        Settable::DisplayName => true,
        Settable::Description => name.ns == if calendar { CALDAV } else { CARDDAV },
        Settable::Color | Settable::Order | Settable::Timezone => calendar,
    }
}

/// Adds one instruction to `patch`: a live property of the collection, or a dead one.
pub fn patch_entry(
    kind: DavCollectionKind,
    patch: &mut DavCollectionPatch,
    op: &PropPatchOp,
) -> Result<(), PropFailure> {
    let name = op.name();
    let value = match op {
        PropPatchOp::Set(e) => Some(e),
        PropPatchOp::Remove(_) => None,
    };
    match settable(name).filter(|s| applies(kind, name, *s)) {
        Some(s) => {
            let text = value.map(Element::text);
            match s {
                Settable::DisplayName => patch.display_name = Some(text),
                Settable::Description => patch.description = Some(text),
                Settable::Color => patch.color = Some(text),
                Settable::Timezone => patch.timezone = Some(text),
                Settable::Order => {
                    let order = match text {
                        None => None,
                        Some(t) => Some(t.trim().parse::<i64>().map_err(|_| (409, None))?),
                    };
                    patch.order = Some(order);
                }
            }
            Ok(())
        }
        // Malt's own dead properties are set by the server only.
        None if is_protected(name) || name.ns == MALT_DEAD_NS => Err((
            403,
            Some(Element::new(Name::dav("cannot-modify-protected-property"))),
        )),
        None => {
            patch.dead.push((name.clark(), value.map(element_to_xml)));
            Ok(())
        }
    }
}

/// The propstats of an all-or-nothing property update: the failures with their statuses, every
/// other property `424 Failed Dependency` (RFC 4918 §9.2.1); all `200` when nothing failed.
pub fn update_propstats(names: &[Name], failures: &[(Name, PropFailure)]) -> Vec<PropStat> {
    if failures.is_empty() {
        return vec![PropStat::new(
            200,
            names.iter().cloned().map(Element::new).collect(),
        )];
    }
    let mut out: Vec<PropStat> = Vec::new();
    for (name, (status, condition)) in failures {
        let mut p = PropStat::new(*status, vec![Element::new(name.clone())]);
        p.error.extend(condition.clone());
        out.push(p);
    }
    let rest: Vec<Element> = names
        .iter()
        .filter(|n| !failures.iter().any(|(f, _)| f == *n))
        .cloned()
        .map(Element::new)
        .collect();
    if !rest.is_empty() {
        out.push(PropStat::new(424, rest));
    }
    out
}

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let ops = parse_proppatch(&req.body, &ctx.settings().xml)?;
    let resource = resolve(ctx, &req.path).await?.existing()?;
    let names: Vec<Name> = ops.iter().map(|o| o.name().clone()).collect();
    let Resource::Collection(collection) = &resource else {
        let failures: Vec<(Name, PropFailure)> = names
            .iter()
            .map(|n| {
                (
                    n.clone(),
                    (
                        403,
                        Some(Element::new(Name::dav("cannot-modify-protected-property"))),
                    ),
                )
            })
            .collect();
        return Ok(answer(ctx, &resource, &names, &failures));
    };
    if let Some(r) = crate::sharee_props::proppatch(ctx, &resource, collection, &ops).await? {
        return Ok(r);
    }
    crate::access::require(ctx, collection, malt_store::DavAccess::Owner)?;
    let mut patch = DavCollectionPatch::default();
    let inbox = collection.kind == DavCollectionKind::ScheduleInbox;
    let collections = if inbox { ctx.collections().await? } else { &[] };
    let failures: Vec<(Name, PropFailure)> = ops
        .iter()
        .filter_map(|op| {
            if inbox && schedule::is_default_calendar_url(op.name()) {
                schedule::default_calendar_patch(ctx, collections, &mut patch, op)
            } else {
                patch_entry(collection.kind, &mut patch, op)
            }
            .err()
            .map(|f| (op.name().clone(), f))
        })
        .collect();
    if !failures.is_empty() {
        return Ok(answer(ctx, &resource, &names, &failures));
    }
    match ctx
        .store()
        .dav_collection_update(collection.account_id, collection.id, &patch)
        .await
    {
        Ok(_) => Ok(answer(ctx, &resource, &names, &[])),
        Err(StoreError::Invalid { reason, .. }) => {
            // A value over the store's limits: every property fails with it (nothing changed).
            let failures: Vec<(Name, PropFailure)> = names.iter().map(|n| (n.clone(), (409, None))).collect();
            let mut r = answer_body(ctx, &resource, &names, &failures);
            r.description = Some(reason);
            Ok(multistatus(&Multistatus {
                responses: vec![r],
                ..Multistatus::default()
            }))
        }
        Err(e) => Err(DavError::from(e)),
    }
}

fn answer_body(ctx: &Ctx, res: &Resource, names: &[Name], failures: &[(Name, PropFailure)]) -> DavResponse {
    DavResponse::propstats(href(ctx, res), update_propstats(names, failures))
}

fn answer(ctx: &Ctx, res: &Resource, names: &[Name], failures: &[(Name, PropFailure)]) -> Response {
    multistatus(&Multistatus {
        responses: vec![answer_body(ctx, res, names, failures)],
        ..Multistatus::default()
    })
}
