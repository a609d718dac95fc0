//! CalDAV scheduling (RFC 6638) in the server: implicit scheduling around PUT and DELETE of
//! calendar objects, the Schedule-Tag, and free-busy requests POSTed to the outbox.
//!
//! A write of a **scheduling object resource** (an ORGANIZER and attendees, RFC 6638 §3.1) of
//! which the user is the organiser or an attendee, by one of their calendar user addresses
//! ([`crate::Ctx::addresses`]), goes through [`put`] / [`delete`]:
//! 1. `If-Schedule-Tag-Match` (RFC 6638 §3.2) and the `If-Match` / `If-None-Match` condition are
//!    checked against the stored object before anything is sent (412 when false);
//! 2. `malt_calendar::itip` computes the organiser's copy and messages (REQUEST / CANCEL per
//!    attendee), or the attendee's REPLY (none with `Schedule-Reply: F`, RFC 6638 §8.1);
//! 3. `malt_core::scheduling` delivers each message (local users' inbox and calendar, or iMIP
//!    through the queue) and answers a SCHEDULE-STATUS per recipient, written on the ATTENDEE
//!    (organiser) or ORGANIZER (attendee) properties of the copy (RFC 6638 §3.2.9);
//! 4. the copy is stored with the ETag it was read with. When the server changed what the
//!    client sent, the answer has no `ETag` (RFC 4791 §5.3.4): the client reads it back.
//!
//! Before anything is sent, what the write changes is checked against what the writer may
//! change (RFC 6638 §3.2.1, §3.2.2.1; `malt_calendar::itip::allowed`): an attendee only their
//! own part (403 `allowed-attendee-scheduling-object-change`), the organiser not an attendee's
//! answer (403 `allowed-organizer-scheduling-object-change`); an organiser's client writing over
//! its Schedule-Tag gets the answers stored since merged in (RFC 6638 §3.2.10). A new
//! scheduling object may not repeat the UID of one in another of the user's calendars (403
//! `unique-scheduling-object-resource`, RFC 6638 §3.2.4.1), which is also why a COPY of one is
//! refused ([`before_copy_move`]); a MOVE sends nothing.
//!
//! The Schedule-Tag ([`schedule_tag`], RFC 6638 §3.2.10) is a hash of the object without its
//! answers, alarms and stamps (`malt_calendar::itip::schedule_tag_basis`): the server's merge of
//! a REPLY into the organiser's copy and the attendee's own answer leave it, the organiser's
//! changes move it. It is sent on GET, PUT, COPY and MOVE of objects with an ORGANIZER, and is
//! the `CALDAV:schedule-tag` property ([`schedule_tag_property`], RFC 6638 §3.3) in PROPFIND and
//! reports.
//!
//! The inbox's `schedule-default-calendar-URL` (RFC 6638 §9.2) is the user's to choose
//! ([`default_calendar_patch`]); the chosen calendar is not deleted
//! ([`check_delete_calendar`], `default-calendar-needed`).
//!
//! Invariants: the scheduling inbox and outbox are written by the server only (PUT there is
//! 403); a message that cannot be delivered never fails the write (its status says so); a
//! refused object (iTIP rules) is 403 with the CalDAV precondition and sends nothing.

use std::collections::{BTreeMap, HashMap};

use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use malt_calendar::itip::{
    FreeBusyRequest, ItipError, ItipMessage, Role, ScheduleParty, attendee_reply, check_attendee_change,
    check_organizer_change, freebusy_reply, keep_answers, organizer_changes, schedule_tag_basis,
    scheduling_role, set_schedule_status,
};
use malt_calendar::{CalendarObject, ComponentKind};
use malt_core::mail::now;
use malt_core::scheduling::{
    CalendarUser, SCHEDULE_DEFAULT_CALENDAR, chosen_default_calendar, default_calendar_value, new_dav_object,
};
use malt_dav_proto::name::{CALDAV, DAV};
use malt_dav_proto::request::{PropPatchOp, PropRequest};
use malt_dav_proto::{Element, Name, document};
use malt_store::{
    DavCollection, DavCollectionKind, DavCollectionPatch, DavComponent, DavObject, EtagCondition,
    NewDavObject,
};

use crate::error::{DavError, DavResult, xml};
use crate::method::proppatch::PropFailure;
use crate::method::put::{stored, strip_etag};
use crate::method::strong_tag;
use crate::path::{DavPath, object_href};
use crate::resource::{Resource, resolve};
use crate::{Ctx, DavRequest};

/// Most attendees one free-busy request asks about (each is a read of their calendars).
pub const MAX_FREEBUSY_ATTENDEES: usize = 100;

/// The Schedule-Tag of a stored object (quoted, as the header carries it), if it is a
/// scheduling object resource (it names an ORGANIZER).
pub fn schedule_tag(content: &[u8]) -> Option<String> {
    memchr::memmem::find(content, b"ORGANIZER")?;
    let object = CalendarObject::parse(content).ok()?;
    Some(tag_of(&object))
}

fn tag_of(object: &CalendarObject) -> String {
    format!(
        "\"{}\"",
        malt_store::dav_etag(schedule_tag_basis(object).as_bytes())
    )
}

/// Whether `name` is `CALDAV:schedule-tag` (RFC 6638 §3.3), the property a calendar object
/// has when it has a Schedule-Tag.
pub fn is_schedule_tag(name: &Name) -> bool {
    name.is(CALDAV, "schedule-tag")
}

/// The `CALDAV:schedule-tag` property (RFC 6638 §3.3) of an object with `content`: the value
/// the `Schedule-Tag` header carries, for objects with an ORGANIZER only.
pub fn schedule_tag_property(content: &[u8]) -> Option<Element> {
    schedule_tag(content).map(|t| Element::new(Name::new(CALDAV, "schedule-tag")).with_text(t))
}

/// The `CALDAV:schedule-tag` of each calendar object among `resources` that has one, by
/// collection and name, when `request` names the property (it needs the content, which
/// listings do not read: one read per collection).
pub async fn schedule_tags(
    ctx: &Ctx,
    resources: &[Resource],
    request: &PropRequest,
) -> DavResult<HashMap<(i64, String), Element>> {
    let mut out = HashMap::new();
    let PropRequest::Prop(names) = request else {
        return Ok(out);
    };
    if !names.iter().any(is_schedule_tag) {
        return Ok(out);
    }
    let mut wanted: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for r in resources {
        if let Resource::Object(c, o) = r
            && c.kind == DavCollectionKind::Calendar
        {
            wanted.entry(c.id).or_default().push(o.name.clone());
        }
    }
    for (collection, names) in wanted {
        for o in ctx.store().dav_object_multiget(collection, &names).await? {
            if let Some(tag) = schedule_tag_property(&o.content) {
                out.insert((collection, o.name), tag);
            }
        }
    }
    Ok(out)
}

/// Whether `name` is `CALDAV:schedule-default-calendar-URL` (RFC 6638 §9.2).
pub fn is_default_calendar_url(name: &Name) -> bool {
    name.is(CALDAV, "schedule-default-calendar-URL")
}

/// A PROPPATCH instruction for `CALDAV:schedule-default-calendar-URL` on the inbox (RFC 6638
/// §9.2): set to the href of one of the user's calendars that holds events, kept as the
/// inbox's [`SCHEDULE_DEFAULT_CALENDAR`]; removed, or set without an href, the server chooses
/// again ([`malt_core::scheduling::default_calendar`]). Anything else is 403
/// `CALDAV:valid-schedule-default-calendar-URL`.
pub fn default_calendar_patch(
    ctx: &Ctx,
    collections: &[DavCollection],
    patch: &mut DavCollectionPatch,
    op: &PropPatchOp,
) -> Result<(), PropFailure> {
    let invalid = || {
        (
            403,
            Some(Element::new(Name::new(
                CALDAV,
                "valid-schedule-default-calendar-URL",
            ))),
        )
    };
    let href = match op {
        PropPatchOp::Set(e) => e.child(DAV, "href").map(Element::text),
        PropPatchOp::Remove(_) => None,
    };
    let Some(href) = href else {
        patch.dead.push((SCHEDULE_DEFAULT_CALENDAR.to_owned(), None));
        return Ok(());
    };
    let name = match DavPath::parse_href(href.trim()) {
        Some(DavPath::Collection(DavCollectionKind::Calendar, user, name))
            if user.eq_ignore_ascii_case(&ctx.account.address) =>
        {
            name
        }
        _ => return Err(invalid()),
    };
    let calendar = collections.iter().find(|c| {
        c.name == name
            && c.kind == DavCollectionKind::Calendar
            && c.props.components.contains(&DavComponent::Event)
    });
    match calendar {
        Some(c) => {
            patch.dead.push((
                SCHEDULE_DEFAULT_CALENDAR.to_owned(),
                Some(default_calendar_value(c.id)),
            ));
            Ok(())
        }
        None => Err(invalid()),
    }
}

/// RFC 6638 §9.2: the calendar the user chose for invitations is not deleted (403
/// `CALDAV:default-calendar-needed`) until they choose another or remove the choice. A calendar
/// the server chose by itself may go: the server chooses again.
pub fn check_delete_calendar(ctx: &Ctx, collections: &[DavCollection], c: &DavCollection) -> DavResult<()> {
    match chosen_default_calendar(collections) {
        Some(chosen) if chosen.id == c.id => {
            tracing::debug!(account = %ctx.account.address, calendar = %c.name, "default calendar kept");
            Err(DavError::refused(
                Name::new(CALDAV, "default-calendar-needed"),
                "this is the calendar chosen for invitations (schedule-default-calendar-URL): choose another first",
            ))
        }
        _ => Ok(()),
    }
}

/// `Schedule-Tag` on `response` when the object has one.
pub fn set_schedule_tag(response: &mut Response, tag: Option<String>) {
    if let Some(v) = tag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        response.headers_mut().insert("schedule-tag", v);
    }
}

/// The iTIP refusal as a CalDAV precondition (403), with the reason.
fn refused(e: &ItipError) -> DavError {
    tracing::debug!(error = %e, "scheduling refused the object");
    DavError::refused(Name::new(CALDAV, e.precondition().element_name()), e.to_string())
}

/// RFC 6638 §3.2: `If-Schedule-Tag-Match` holds for the stored object `old` (412 otherwise).
fn check_schedule_tag(req: &DavRequest, old: Option<&DavObject>) -> DavResult<()> {
    let Some(wanted) = req.header("if-schedule-tag-match") else {
        return Ok(());
    };
    let current = old.and_then(|o| schedule_tag(&o.content));
    let matches = current
        .as_deref()
        .and_then(strong_tag)
        .is_some_and(|c| Some(c) == strong_tag(wanted));
    if matches {
        Ok(())
    } else {
        Err(DavError::precondition_failed())
    }
}

/// The organiser changed their object (`new` is `None` for a DELETE): messages sent, and the
/// copy to store instead of `new` when the server changed it.
async fn organise(
    ctx: &Ctx,
    old: Option<&CalendarObject>,
    new: Option<&CalendarObject>,
) -> DavResult<Option<CalendarObject>> {
    let changes = organizer_changes(old, new, now()).map_err(|e| refused(&e))?;
    let mut statuses = Vec::new();
    for message in &changes.messages {
        statuses.extend(ctx.core().schedule_send(&ctx.account, message).await);
    }
    let Some(base) = changes.stored.as_ref().or(new) else {
        return Ok(None);
    };
    with_statuses(base, changes.stored.is_some(), ScheduleParty::Attendee, &statuses)
}

/// The attendee `address` changed their copy (`new` is `None` for a DELETE): their REPLY sent,
/// unless `Schedule-Reply: F`; the copy to store instead of `new` when the server changed it.
async fn answer(
    ctx: &Ctx,
    req: &DavRequest,
    old: Option<&CalendarObject>,
    new: Option<&CalendarObject>,
    address: &str,
) -> DavResult<Option<CalendarObject>> {
    if req
        .header("schedule-reply")
        .is_some_and(|v| v.eq_ignore_ascii_case("F"))
    {
        return Ok(None);
    }
    let Some(reply) = attendee_reply(old, new, address, now()).map_err(|e| refused(&e))? else {
        return Ok(None);
    };
    let statuses = ctx.core().schedule_send(&ctx.account, &reply).await;
    match new {
        Some(new) => with_statuses(new, false, ScheduleParty::Organizer, &statuses),
        None => Ok(None),
    }
}

/// `base` with each recipient's SCHEDULE-STATUS on its `party` property; `None` when that
/// changes nothing and `base` is what the client sent (`changed` false).
fn with_statuses(
    base: &CalendarObject,
    changed: bool,
    party: ScheduleParty,
    statuses: &[(String, &'static str)],
) -> DavResult<Option<CalendarObject>> {
    let mut ical = base.calendar().clone();
    let mut any = changed;
    for (address, status) in statuses {
        any |= set_schedule_status(&mut ical, party, address, status);
    }
    if !any {
        return Ok(None);
    }
    CalendarObject::from_calendar(ical)
        .map(Some)
        .map_err(|e| refused(&ItipError::Object(e)))
}

/// The user's role in a scheduling object: from the new version, else the old one (an
/// organiser who removes every attendee still cancels them).
async fn role(
    ctx: &Ctx,
    new: Option<&CalendarObject>,
    old: Option<&CalendarObject>,
) -> DavResult<Option<Role>> {
    let addresses = ctx.addresses().await?;
    Ok(new
        .and_then(|n| scheduling_role(n, addresses))
        .or_else(|| old.and_then(|o| scheduling_role(o, addresses))))
}

/// PUT of `object` into the calendar `c` with the client's `condition` (see the module doc).
pub async fn put(
    ctx: &Ctx,
    req: &DavRequest,
    c: &DavCollection,
    object: NewDavObject,
    condition: EtagCondition,
) -> DavResult<Response> {
    let old = ctx.store().dav_object_get(c.id, &object.name).await?;
    check_schedule_tag(req, old.as_ref())?;
    if !condition.holds(old.as_ref().map(|o| o.etag.as_str())) {
        return Err(DavError::precondition_failed());
    }
    let parsed = CalendarObject::parse(&object.content).map_err(|e| refused(&ItipError::Object(e)))?;
    let old_object = old.as_ref().and_then(|o| CalendarObject::parse(&o.content).ok());
    let role = role(ctx, Some(&parsed), old_object.as_ref()).await?;
    if role.is_some() && old.is_none() {
        unique_scheduling_object(ctx, c, parsed.uid()).await?;
    }
    let replaced = match role {
        None => None,
        Some(Role::Organizer(organizer)) => {
            // RFC 6638 §3.2.10: over its Schedule-Tag, the client's older answers give way
            // to the ones the server merged since.
            let merged = match (&old_object, req.header("if-schedule-tag-match")) {
                (Some(old), Some(_)) => keep_answers(old, &parsed, &organizer).map_err(|e| refused(&e))?,
                _ => None,
            };
            let sent = merged.as_ref().unwrap_or(&parsed);
            if let Some(old) = &old_object {
                check_organizer_change(old, sent, &organizer).map_err(|e| refused(&e))?;
            }
            let copy = organise(ctx, old_object.as_ref(), Some(sent)).await?;
            copy.or(merged)
        }
        Some(Role::Attendee(address)) => {
            if let Some(old) = &old_object {
                check_attendee_change(old, &parsed).map_err(|e| refused(&e))?;
            }
            answer(ctx, req, old_object.as_ref(), Some(&parsed), &address).await?
        }
    };
    let (object, tag) = match &replaced {
        Some(copy) => (
            new_dav_object(&object.name, copy).ok_or_else(|| DavError::forbidden("not storable"))?,
            tag_of(copy),
        ),
        None => (object, tag_of(&parsed)),
    };
    // Written over exactly what was read (the client's condition held for it).
    let write_condition = match &old {
        Some(o) => EtagCondition::Matches(o.etag.clone()),
        None => EtagCondition::Absent,
    };
    let outcome = ctx
        .store()
        .dav_object_put(ctx.account.id, c.id, object, write_condition)
        .await?;
    let mut response = stored(ctx, c, outcome)?;
    if replaced.is_some() {
        strip_etag(&mut response);
    }
    if memchr::memmem::find(&req.body, b"ORGANIZER").is_some() {
        set_schedule_tag(&mut response, Some(tag));
    }
    Ok(response)
}

/// `CALDAV:unique-scheduling-object-resource` (RFC 6638 §3.2.4.1), with the `DAV:href` of
/// `holder`: the event `holder` names is already a scheduling object resource of the user.
fn not_unique(ctx: &Ctx, c: &DavCollection, holder: &str) -> DavError {
    DavError::Precondition(
        StatusCode::FORBIDDEN,
        Element::new(Name::new(CALDAV, "unique-scheduling-object-resource")).with_child(Element::href(
            object_href(c.kind, &ctx.account.address, &c.name, holder),
        )),
    )
}

/// RFC 6638 §3.2.4.1: a new scheduling object resource in calendar `c` may not have the UID of
/// one in another of the user's calendars (one event, one copy per calendar user: deliveries
/// find it by UID). The calendar itself is the store's `no-uid-conflict`.
/// One read across the user's calendars; the holder's calendar is read only for the refusal.
async fn unique_scheduling_object(ctx: &Ctx, c: &DavCollection, uid: &str) -> DavResult<()> {
    let Some(holder) = ctx
        .store()
        .dav_object_by_uid_in_account(ctx.account.id, DavCollectionKind::Calendar, uid, Some(c.id))
        .await?
    else {
        return Ok(());
    };
    match ctx.store().dav_collection_by_id(holder.collection_id).await? {
        Some(other) => Err(not_unique(ctx, &other, &holder.name)),
        // Deleted with its objects since: the UID is free.
        None => Ok(()),
    }
}

/// Before a COPY or MOVE (`is_move`) of the object `name` of calendar `from` (RFC 6638
/// §3.2.10, §3.2.4.1): `If-Schedule-Tag-Match` holds for the source (412 otherwise); a COPY of
/// a scheduling object resource is refused with `unique-scheduling-object-resource` (the copy
/// would be a second meeting with the same UID); a MOVE sends nothing and keeps the
/// Schedule-Tag (the content moves unchanged). Returns the Schedule-Tag for the answer.
pub async fn before_copy_move(
    ctx: &Ctx,
    req: &DavRequest,
    from: &DavCollection,
    name: &str,
    is_move: bool,
) -> DavResult<Option<String>> {
    if from.kind != DavCollectionKind::Calendar {
        return Ok(None);
    }
    let Some(source) = ctx.store().dav_object_get(from.id, name).await? else {
        return Ok(None);
    };
    check_schedule_tag(req, Some(&source))?;
    if !is_move
        && let Ok(object) = CalendarObject::parse(&source.content)
        && role(ctx, Some(&object), None).await?.is_some()
    {
        return Err(not_unique(ctx, from, name));
    }
    Ok(schedule_tag(&source.content))
}

/// Before the DELETE of `object` (stored in calendar `c`) with the client's `condition`: the
/// CANCELs of an organiser, the DECLINED reply of an attendee (RFC 6638 §3.2.1.3, §3.2.2.3).
pub async fn delete(
    ctx: &Ctx,
    req: &DavRequest,
    c: &DavCollection,
    name: &str,
    condition: &EtagCondition,
) -> DavResult<()> {
    if c.kind != DavCollectionKind::Calendar {
        return Ok(());
    }
    let Some(old) = ctx.store().dav_object_get(c.id, name).await? else {
        return Ok(());
    };
    check_schedule_tag(req, Some(&old))?;
    if !condition.holds(Some(&old.etag)) {
        return Err(DavError::precondition_failed());
    }
    let Ok(old_object) = CalendarObject::parse(&old.content) else {
        return Ok(());
    };
    match role(ctx, None, Some(&old_object)).await? {
        None => {}
        Some(Role::Organizer(_)) => {
            organise(ctx, Some(&old_object), None).await?;
        }
        Some(Role::Attendee(address)) => {
            answer(ctx, req, Some(&old_object), None, &address).await?;
        }
    }
    Ok(())
}

/// POST to the scheduling outbox (RFC 6638 §5): a VFREEBUSY REQUEST from the user, answered
/// with a `CALDAV:schedule-response` holding each attendee's busy time (local users, over their
/// opaque calendars the asker may see, [`crate::sharing::visible_busy_time`]), `3.8` when
/// none is visible, or `3.7` for an address that is not one of this server's users.
pub async fn post(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let resource = resolve(ctx, &req.path).await?.existing()?;
    if !matches!(&resource, Resource::Collection(c) if c.kind == DavCollectionKind::ScheduleOutbox) {
        return Err(DavError::method_not_allowed(
            "POST is for free-busy requests to the scheduling outbox",
        ));
    }
    let media = req
        .header("content-type")
        .map(|t| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase());
    if media.is_some_and(|m| m != "text/calendar") {
        return Err(DavError::precondition(Name::new(
            CALDAV,
            "supported-calendar-data",
        )));
    }
    let message = ItipMessage::parse(&req.body).map_err(|e| refused(&e))?;
    if message.kind() != ComponentKind::FreeBusy {
        return Err(DavError::precondition(Name::new(
            CALDAV,
            "valid-scheduling-message",
        )));
    }
    let request = FreeBusyRequest::from_message(&message).map_err(|e| refused(&e))?;
    if !ctx.addresses().await?.contains(&request.organizer) {
        // RFC 6638 §5: the ORGANIZER must be the user asking.
        return Err(DavError::precondition(Name::new(CALDAV, "organizer-allowed")));
    }
    if request.attendees.len() > MAX_FREEBUSY_ATTENDEES {
        return Err(DavError::precondition(Name::new(CALDAV, "recipient-permissions")));
    }
    let mut responses = Vec::with_capacity(request.attendees.len());
    for attendee in &request.attendees {
        let answer = match ctx.core().calendar_user(attendee).await? {
            CalendarUser::Local(account) => {
                // Free-busy visibility: crate::sharing::visible_busy_time.
                match crate::sharing::visible_busy_time(ctx, &account, request.start, request.end).await? {
                    Some(periods) => {
                        let reply =
                            freebusy_reply(&request, attendee, periods, now()).map_err(|e| refused(&e))?;
                        Ok(reply.to_ical_string())
                    }
                    None => Err("3.8;No authority"),
                }
            }
            CalendarUser::Invalid | CalendarUser::Remote => Err("3.7;Invalid calendar user"),
        };
        responses.push(recipient_response(attendee, answer));
    }
    let root = Element::new(Name::new(CALDAV, "schedule-response")).with_children(responses);
    Ok(xml(StatusCode::OK, document(&root)))
}

/// One `CALDAV:response` of a schedule-response (RFC 6638 §10.2): the recipient, its
/// request-status, and its busy time when known (else the status, RFC 5545 §3.8.8.3: `3.7`
/// for no user of this server, `3.8` when their busy time is not visible to the asker).
fn recipient_response(attendee: &str, calendar: Result<String, &'static str>) -> Element {
    let recipient = Element::new(Name::new(CALDAV, "recipient"))
        .with_child(Element::new(Name::new(DAV, "href")).with_text(format!("mailto:{attendee}")));
    let status = match &calendar {
        Ok(_) => "2.0;Success",
        Err(status) => status,
    };
    let mut response = Element::new(Name::new(CALDAV, "response"))
        .with_child(recipient)
        .with_child(Element::new(Name::new(CALDAV, "request-status")).with_text(status));
    if let Ok(text) = calendar {
        response = response.with_child(Element::new(Name::new(CALDAV, "calendar-data")).with_text(text));
    }
    response
}
