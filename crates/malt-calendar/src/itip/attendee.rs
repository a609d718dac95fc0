//! The attendee's side (RFC 6638 §3.2.2, RFC 5546 §3.2): a REQUEST or CANCEL applied to their
//! copy, and the REPLY their own change of PARTSTAT sends.
//!
//! Rules:
//! - A copy follows one organiser: a message from another ORGANIZER for the same UID is refused
//!   ([`ItipError::OrganizerMismatch`]).
//! - A member of a message with a lower SEQUENCE than the copy's is out of date and ignored
//!   (RFC 5546 §2.1.5).
//! - A REQUEST with a master replaces the copy's members (overrides it does not carry are
//!   gone); one with overrides only replaces or adds those. Where the SEQUENCE did not move, the
//!   attendee's PARTSTAT is kept from the copy (the organiser changed something that does not
//!   call for a new answer); where it moved, the organiser's is taken (NEEDS-ACTION, as the
//!   organiser's server resets it). The attendee's own alarms stay on the members they were on.
//! - An attendee who adds an EXDATE declines that instance: a DECLINED REPLY for it (RFC 6638
//!   §3.2.2.3), as for a PARTSTAT they change.
//! - A CANCEL of the whole event marks every member STATUS:CANCELLED; of instances, marks those
//!   overrides, making one from the master where the copy has none (the copy is kept, so the
//!   user sees what was cancelled).

use std::collections::BTreeSet;

use calcard::icalendar::{
    ICalendarComponent, ICalendarParticipationStatus, ICalendarProperty, ICalendarStatus,
};

use super::organizer::outgoing;
use super::parts::{
    CalendarBuilder, Key, Members, add_overrides, attendee, attendee_mut, attends, derive_override, exdates,
    is_cancelled, organizer, partstat, sequence, server_schedules, set_partstat, set_sequence, set_status,
};
use super::{ItipError, ItipMessage, Method, object_attendees, object_organizer};
use crate::object::CalendarObject;

/// What applying a message to an attendee's copy did.
#[derive(Debug, Clone, PartialEq)]
pub enum AttendeeApplied {
    /// The copy to store (new or changed).
    Changed(CalendarObject),
    /// Nothing to change (the reason, for logs).
    Nothing(&'static str),
}

/// Common checks: the method, one UID, one organiser.
fn check(
    existing: Option<&CalendarObject>,
    message: &ItipMessage,
    expected: Method,
) -> Result<(), ItipError> {
    if message.method != expected {
        return Err(ItipError::WrongMethod {
            expected,
            got: message.method,
        });
    }
    if let Some(copy) = existing {
        if copy.uid() != message.uid() {
            return Err(ItipError::UidMismatch);
        }
        if object_organizer(copy)? != object_organizer(message.object())? {
            return Err(ItipError::OrganizerMismatch);
        }
    }
    Ok(())
}

/// Applies a REQUEST to `address`'s copy (`None`: a new invitation, stored with their PARTSTAT
/// NEEDS-ACTION unless the organiser gave one). See the module doc for the rules.
pub fn apply_request(
    existing: Option<&CalendarObject>,
    request: &ItipMessage,
    address: &str,
) -> Result<AttendeeApplied, ItipError> {
    check(existing, request, Method::Request)?;
    if !object_attendees(request.object())?.iter().any(|a| a == address) {
        return Err(ItipError::NotAnAttendee(address.to_owned()));
    }
    let incoming = request.object();
    let incoming_members = Members::of(incoming);
    let Some(copy) = existing else {
        return Ok(AttendeeApplied::Changed(invitation(incoming, address)?));
    };
    let copy_members = Members::of(copy);
    let copy_ical = copy.calendar();
    let incoming_ical = incoming.calendar();
    if let (Some(theirs), Some(mine)) = (incoming_members.master, copy_members.master)
        && let (Some(theirs), Some(mine)) = (
            incoming_ical.components.get(theirs),
            copy_ical.components.get(mine),
        )
        && sequence(theirs) < sequence(mine)
    {
        return Ok(AttendeeApplied::Nothing(
            "the REQUEST is older than the copy (SEQUENCE)",
        ));
    }
    // The members of the result, by key: from the copy or from the request.
    let mut result: Vec<(Key, Member)> = Vec::new();
    if incoming_members.master.is_none() {
        result.extend(copy_members.iter().map(|(k, i)| (k, Member::Kept(i))));
    }
    for (key, index) in incoming_members.iter() {
        let Some(theirs) = incoming_ical.components.get(index) else {
            continue;
        };
        let mine = copy_members
            .get(key)
            .and_then(|i| copy_ical.components.get(i).map(|c| (i, c)));
        let member = match mine {
            Some((i, c)) if sequence(c) > sequence(theirs) => Member::Kept(i),
            _ => {
                // The answer stands when the version did not move.
                let answer_from = mine
                    .map(|(_, c)| c)
                    .or_else(|| copy_members.master.and_then(|m| copy_ical.components.get(m)));
                let mut component = theirs.clone();
                if let Some(before) = answer_from.filter(|b| sequence(b) == sequence(theirs))
                    && let Some(answer) = attendee(before, address).map(partstat)
                {
                    for entry in attendee_mut(&mut component, address) {
                        set_partstat(entry, answer.clone());
                    }
                }
                component.component_ids = mine.map(|(_, c)| c.component_ids.clone()).unwrap_or_default();
                Member::New(component)
            }
        };
        match result.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = member,
            None => result.push((key, member)),
        }
    }
    let object = assemble(copy, incoming, result)?;
    if object.calendar() == copy.calendar() {
        return Ok(AttendeeApplied::Nothing("the copy is up to date"));
    }
    Ok(AttendeeApplied::Changed(object))
}

/// A member of a copy being rebuilt.
enum Member {
    /// The copy's member at this index, unchanged.
    Kept(usize),
    /// A new component (children are ids in the copy).
    New(ICalendarComponent),
}

/// The copy rebuilt from `members`: its VCALENDAR, the time zones of both, master first.
fn assemble(
    copy: &CalendarObject,
    incoming: &CalendarObject,
    mut members: Vec<(Key, Member)>,
) -> Result<CalendarObject, ItipError> {
    members.sort_by_key(|(k, _)| *k);
    let source = copy.calendar();
    let mut builder = CalendarBuilder::new(source);
    builder.timezones_from(source);
    builder.timezones_from(incoming.calendar());
    for (_, member) in members {
        match member {
            Member::Kept(i) => {
                if let Some(c) = source.components.get(i) {
                    builder.push(source, c, true);
                }
            }
            Member::New(c) => builder.push(source, &c, true),
        }
    }
    Ok(CalendarObject::from_calendar(builder.finish())?)
}

/// A new attendee copy from an invitation: the message's members and time zones, their
/// PARTSTAT NEEDS-ACTION where the organiser gave none.
fn invitation(incoming: &CalendarObject, address: &str) -> Result<CalendarObject, ItipError> {
    let source = incoming.calendar();
    let mut builder = CalendarBuilder::new(source);
    builder.timezones_from(source);
    for (_, index) in Members::of(incoming).iter() {
        let Some(component) = source.components.get(index) else {
            continue;
        };
        let mut component = component.clone();
        for entry in attendee_mut(&mut component, address) {
            if entry
                .parameter(&calcard::icalendar::ICalendarParameterName::Partstat)
                .is_none()
            {
                set_partstat(entry, ICalendarParticipationStatus::NeedsAction);
            }
        }
        builder.push(source, &component, true);
    }
    Ok(CalendarObject::from_calendar(builder.finish())?)
}

/// Applies a CANCEL to `address`'s copy. A CANCEL naming attendees of whom `address` is not one
/// removes others, not them: nothing changes.
pub fn apply_cancel(
    copy: &CalendarObject,
    cancel: &ItipMessage,
    address: &str,
) -> Result<AttendeeApplied, ItipError> {
    check(Some(copy), cancel, Method::Cancel)?;
    let named = object_attendees(cancel.object())?;
    if !named.is_empty() && !named.iter().any(|a| a == address) {
        return Ok(AttendeeApplied::Nothing("the CANCEL is for other attendees"));
    }
    let incoming_ical = cancel.object().calendar();
    let incoming = Members::of(cancel.object());
    let copy_members = Members::of(copy);
    let mut ical = copy.calendar().clone();
    let mut changed = false;
    let mut added = Vec::new();
    if let Some(whole) = incoming.master.and_then(|m| incoming_ical.components.get(m)) {
        let cancel_sequence = sequence(whole);
        let newest = copy_members
            .master
            .and_then(|m| ical.components.get(m))
            .map_or(0, sequence);
        if cancel_sequence < newest {
            return Ok(AttendeeApplied::Nothing(
                "the CANCEL is older than the copy (SEQUENCE)",
            ));
        }
        for (_, index) in copy_members.iter() {
            if let Some(component) = ical.components.get_mut(index) {
                changed |= mark_cancelled(component, cancel_sequence);
            }
        }
    }
    for (&at, &index) in &incoming.overrides {
        let Some(cancel_sequence) = incoming_ical.components.get(index).map(sequence) else {
            continue;
        };
        match copy_members.get(Some(at)) {
            Some(target) => {
                if let Some(component) = ical.components.get_mut(target)
                    && sequence(component) <= cancel_sequence
                {
                    changed |= mark_cancelled(component, cancel_sequence);
                }
            }
            None => {
                if let Some((mut component, master)) = derive_override(copy, at) {
                    mark_cancelled(&mut component, cancel_sequence);
                    added.push((component, master));
                    changed = true;
                }
            }
        }
    }
    if !changed {
        return Ok(AttendeeApplied::Nothing("nothing left to cancel"));
    }
    add_overrides(&mut ical, copy, added);
    Ok(AttendeeApplied::Changed(CalendarObject::from_calendar(ical)?))
}

/// STATUS:CANCELLED and the CANCEL's SEQUENCE (when higher); whether anything changed.
fn mark_cancelled(component: &mut ICalendarComponent, cancel_sequence: i64) -> bool {
    let mut changed = false;
    if !is_cancelled(component) {
        set_status(component, ICalendarStatus::Cancelled);
        changed = true;
    }
    if sequence(component) < cancel_sequence {
        set_sequence(component, cancel_sequence);
        changed = true;
    }
    changed
}

/// The attendee `address` wrote `new` over `old` (`new` is `None` for a DELETE): the REPLY to
/// send the organiser, if their answer changed on some member (RFC 6638 §3.2.2): a PARTSTAT
/// different from before (an instance they override for the first time compares with the
/// master's), or DECLINED when they delete a copy they had not declined and that is not
/// cancelled (the HTTP layer does not call this for a DELETE with `Schedule-Reply: F`, RFC 6638
/// §8.1). Nothing when the ORGANIZER's
/// SCHEDULE-AGENT is not SERVER (RFC 6638 §7.1: the client replies itself).
pub fn attendee_reply(
    old: Option<&CalendarObject>,
    new: Option<&CalendarObject>,
    address: &str,
    now: i64,
) -> Result<Option<ItipMessage>, ItipError> {
    let Some(latest) = new.or(old) else {
        return Ok(None);
    };
    let organizer_schedules = latest
        .members()
        .first()
        .and_then(|&i| latest.calendar().components.get(i))
        .and_then(organizer)
        .is_none_or(server_schedules);
    if !organizer_schedules {
        return Ok(None);
    }
    let answers = match new {
        Some(new) => changed_answers(old, new, address),
        None => declined_on_delete(latest, address),
    };
    if answers.is_empty() {
        return Ok(None);
    }
    let source = latest.calendar();
    let mut builder = CalendarBuilder::new(source);
    builder.timezones_from(source);
    for (component, status) in answers {
        builder.push(source, &reply_component(&component, address, status, now), false);
    }
    let object = CalendarObject::from_calendar(builder.finish())?;
    Ok(Some(ItipMessage::new(Method::Reply, object, false)?))
}

/// The members whose answer changed between `old` and `new`, with the new answer.
fn changed_answers(
    old: Option<&CalendarObject>,
    new: &CalendarObject,
    address: &str,
) -> Vec<(ICalendarComponent, ICalendarParticipationStatus)> {
    let new_members = Members::of(new);
    let old_members = old.map(Members::of).unwrap_or_default();
    let old_component = |key: Key| -> Option<&ICalendarComponent> {
        let old = old?;
        old_members
            .get(key)
            .and_then(|i| old.calendar().components.get(i))
    };
    let answer_in = |c: &ICalendarComponent| attendee(c, address).map(partstat);
    let mut out = Vec::new();
    for (key, index) in new_members.iter() {
        let Some(component) = new.calendar().components.get(index) else {
            continue;
        };
        let Some(now_answer) = answer_in(component) else {
            continue;
        };
        let before = old_component(key)
            .or_else(|| key.and(old_component(None)))
            .and_then(answer_in)
            .unwrap_or(ICalendarParticipationStatus::NeedsAction);
        if before != now_answer {
            out.push((component.clone(), now_answer));
        }
    }
    // EXDATEs the attendee added: they decline those instances (RFC 6638 §3.2.2.3).
    let new_master = new_members.master.and_then(|m| new.calendar().components.get(m));
    let old_master = old.and_then(|o| old_members.master.and_then(|m| o.calendar().components.get(m)));
    let mut excluded = BTreeSet::new();
    if let (Some(old), Some(before), Some(after)) = (old, old_master, new_master) {
        let had = exdates(before, &old.calendar().build_tz_resolver());
        for at in exdates(after, &new.calendar().build_tz_resolver()).difference(&had) {
            excluded.insert(*at);
            let instance = match old_members.overrides.get(at) {
                Some(&i) => old.calendar().components.get(i).cloned(),
                None => derive_override(old, *at).map(|(c, _)| c),
            };
            if let Some(component) = instance.filter(|c| attends(c, address) && !is_cancelled(c))
                && answer_in(&component) != Some(ICalendarParticipationStatus::Declined)
            {
                out.push((component, ICalendarParticipationStatus::Declined));
            }
        }
    }
    // Overrides the attendee removed: the instance follows the master's answer again.
    let master_answer = new_master.and_then(answer_in);
    if let (Some(old), Some(master_answer)) = (old, master_answer) {
        for (&at, &index) in &old_members.overrides {
            if new_members.overrides.contains_key(&at) || excluded.contains(&at) {
                continue;
            }
            let had = old.calendar().components.get(index).and_then(answer_in);
            if had.is_some_and(|h| h != master_answer)
                && let Some((component, _)) = derive_override(new, at)
            {
                out.push((component, master_answer.clone()));
            }
        }
    }
    out
}

/// On delete: DECLINED for the master (or each override when there is none), unless already
/// declined or cancelled.
fn declined_on_delete(
    old: &CalendarObject,
    address: &str,
) -> Vec<(ICalendarComponent, ICalendarParticipationStatus)> {
    let ical = old.calendar();
    let members = Members::of(old);
    let wanted: Vec<usize> = match members.master {
        Some(m) => vec![m],
        None => members.overrides.values().copied().collect(),
    };
    wanted
        .into_iter()
        .filter_map(|i| ical.components.get(i))
        .filter(|c| !is_cancelled(c) && attends(c, address))
        .filter(|c| attendee(c, address).map(partstat) != Some(ICalendarParticipationStatus::Declined))
        .map(|c| (c.clone(), ICalendarParticipationStatus::Declined))
        .collect()
}

/// Properties a REPLY carries besides the answering ATTENDEE (RFC 5546 §3.2.3 for VEVENT,
/// §3.4.3 for VTODO): what identifies the member, and what a reader of the answer wants to see.
const REPLY_PROPERTIES: [ICalendarProperty; 9] = [
    ICalendarProperty::Uid,
    ICalendarProperty::RecurrenceId,
    ICalendarProperty::Sequence,
    ICalendarProperty::Organizer,
    ICalendarProperty::Dtstart,
    ICalendarProperty::Dtend,
    ICalendarProperty::Duration,
    ICalendarProperty::Due,
    ICalendarProperty::Summary,
];

/// One member of a REPLY: [`REPLY_PROPERTIES`], the attendee's ATTENDEE with `status`, DTSTAMP.
fn reply_component(
    component: &ICalendarComponent,
    address: &str,
    status: ICalendarParticipationStatus,
    now: i64,
) -> ICalendarComponent {
    let mut out = outgoing(component, now);
    out.entries.retain(|e| {
        REPLY_PROPERTIES.contains(&e.name)
            || e.name == ICalendarProperty::Dtstamp
            || (e.name == ICalendarProperty::Attendee
                && super::parts::entry_address(e).as_deref() == Some(address))
    });
    for entry in attendee_mut(&mut out, address) {
        set_partstat(entry, status.clone());
        super::parts::remove_param(entry, &calcard::icalendar::ICalendarParameterName::Rsvp);
    }
    out
}
