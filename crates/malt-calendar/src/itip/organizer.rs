//! The organiser's side (RFC 6638 §3.2.1, RFC 5546 §3.2): what to store and what to send when
//! the organiser writes or deletes their object, and an attendee's REPLY applied to it.
//!
//! Each attendee gets a *view* of the object: the members they attend (an attendee invited to
//! some instances only gets those), the master with an EXDATE for each override they are not
//! in. Comparing their view before and after the change decides their
//! messages:
//! - nothing left for them: a CANCEL (of the whole event, or of the instances they had);
//! - instances they had and no longer have (an EXDATE, an override without them or cancelled):
//!   a CANCEL with those RECURRENCE-IDs (RFC 5546 §3.2.5);
//! - new to them, or the master changed (properties, the instances it gives them), or
//!   SCHEDULE-FORCE-SEND=REQUEST (RFC 6638 §7.2): a REQUEST with their whole view;
//! - otherwise, overrides added or changed: a REQUEST with those overrides only.
//!
//! What "changed" means: any property but DTSTAMP, LAST-MODIFIED, CREATED, SEQUENCE and
//! REQUEST-STATUS, with ATTENDEE and ORGANIZER compared without PARTSTAT, RSVP and the
//! SCHEDULE-* parameters (answers and bookkeeping are not news to send).
//!
//! The organiser's copy as stored: SCHEDULE-FORCE-SEND removed (RFC 6638 §7.2); SEQUENCE raised
//! above the previous version's when DTSTART, DTEND, DURATION, DUE, RRULE, RDATE, EXDATE or
//! STATUS changed and the client did not raise it (RFC 5545 §3.8.7.4); the attendees' PARTSTAT
//! back to NEEDS-ACTION when the time changed (they must answer again), and NEEDS-ACTION for
//! attendees new to the object.

use std::collections::{BTreeMap, BTreeSet};

use calcard::icalendar::{
    ICalendarComponent, ICalendarParameterName, ICalendarParameterValue, ICalendarParticipationStatus,
    ICalendarProperty, ICalendarScheduleForceSendValue, ICalendarStatus,
};

use super::parts::{
    CalendarBuilder, Key, Members, RESCHEDULE_PROPERTIES, add_overrides, attendee_mut, attendees, attends,
    content, derive_override, entries_named, exdates, is_cancelled, organizer, partstat, remove_param,
    sequence, sequence_property, server_schedules, set_dtstamp, set_partstat, set_sequence, set_status,
};
use super::{ItipError, ItipMessage, Method, object_attendees, object_organizer};
use crate::object::CalendarObject;

/// What the organiser's write means for scheduling.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizerChanges {
    /// The organiser's object to store instead of the one the client sent, when the server
    /// changed it (see the module doc); `None`: store it as sent.
    pub stored: Option<CalendarObject>,
    /// The messages to deliver, each to one attendee, in order (a CANCEL before a REQUEST to the
    /// same attendee).
    pub messages: Vec<ItipMessage>,
}

/// The organiser wrote `new` over `old` (`old` is `None` for a new object, `new` is `None` for a
/// DELETE): the copy to store and the messages to send, made at `now` (Unix seconds). The caller
/// has checked that the user is the organiser ([`super::scheduling_role`]). An organiser whose
/// SCHEDULE-AGENT is not SERVER schedules alone: nothing is changed or sent.
pub fn organizer_changes(
    old: Option<&CalendarObject>,
    new: Option<&CalendarObject>,
    now: i64,
) -> Result<OrganizerChanges, ItipError> {
    let nothing = OrganizerChanges {
        stored: None,
        messages: Vec::new(),
    };
    let Some(latest) = new.or(old) else {
        return Ok(nothing);
    };
    let organizer_address = object_organizer(latest)?;
    if let (Some(old), Some(_)) = (old, new)
        && object_organizer(old)? != organizer_address
    {
        // RFC 6638 §3.2.1: an event keeps its organiser.
        return Err(ItipError::OrganizerChange(
            "the ORGANIZER of an existing event cannot change".into(),
        ));
    }
    if !organizer_schedules(latest) {
        return Ok(nothing);
    }
    let (stored, forced) = match new {
        Some(new) => organizer_copy(old, new, &organizer_address)?,
        None => (None, BTreeSet::new()),
    };
    let current = stored.as_ref().or(new);
    let mut everyone = Vec::new();
    for object in [old, current].into_iter().flatten() {
        for address in object_attendees(object)? {
            if address != organizer_address && !everyone.contains(&address) {
                everyone.push(address);
            }
        }
    }
    if everyone.len() > super::MAX_ATTENDEES {
        return Err(ItipError::TooManyAttendees);
    }
    let cancel_sequence = match current {
        Some(current) => max_sequence(current).max(old.map_or(0, max_sequence)),
        None => max_sequence(latest).saturating_add(1),
    };
    let mut messages = Vec::new();
    for address in &everyone {
        let schedules = current
            .and_then(|c| attendee_schedules(c, address))
            .or_else(|| old.and_then(|o| attendee_schedules(o, address)))
            .unwrap_or(false);
        if !schedules {
            continue;
        }
        let plan = Plan::new(
            old.map(|o| View::of(o, address)),
            current.map(|c| View::of(c, address)),
            forced.contains(address),
        );
        messages.extend(plan.messages(old, current, address, cancel_sequence, now)?);
    }
    Ok(OrganizerChanges { stored, messages })
}

/// Does the server schedule for this object's organiser (SCHEDULE-AGENT on ORGANIZER, RFC 6638
/// §7.1, read on the first member)?
fn organizer_schedules(object: &CalendarObject) -> bool {
    first_member(object)
        .and_then(organizer)
        .is_none_or(server_schedules)
}

/// Whether the server schedules for `address` in `object` (`None` when not an attendee).
fn attendee_schedules(object: &CalendarObject, address: &str) -> Option<bool> {
    let ical = object.calendar();
    object
        .members()
        .iter()
        .filter_map(|&i| ical.components.get(i))
        .flat_map(attendees)
        .find(|(a, _)| a == address)
        .map(|(_, e)| server_schedules(e))
}

fn first_member(object: &CalendarObject) -> Option<&ICalendarComponent> {
    object
        .members()
        .first()
        .and_then(|&i| object.calendar().components.get(i))
}

fn max_sequence(object: &CalendarObject) -> i64 {
    let ical = object.calendar();
    object
        .members()
        .iter()
        .filter_map(|&i| ical.components.get(i))
        .map(sequence)
        .max()
        .unwrap_or(0)
}

/// The organiser's copy as to store (`None` when unchanged) and the attendees with
/// SCHEDULE-FORCE-SEND=REQUEST.
fn organizer_copy(
    old: Option<&CalendarObject>,
    new: &CalendarObject,
    organizer_address: &str,
) -> Result<(Option<CalendarObject>, BTreeSet<String>), ItipError> {
    let mut ical = new.calendar().clone();
    let old_members = old.map(Members::of).unwrap_or_default();
    let old_attendees: BTreeSet<String> = match old {
        Some(o) => object_attendees(o)?.into_iter().collect(),
        None => BTreeSet::new(),
    };
    let mut forced = BTreeSet::new();
    let mut changed = false;
    for (key, index) in Members::of(new).iter() {
        let old_component =
            old.and_then(|o| old_members.get(key).and_then(|i| o.calendar().components.get(i)));
        let Some(component) = ical.components.get_mut(index) else {
            continue;
        };
        changed |= take_force_send(component, &mut forced);
        if let Some(before) = old_component {
            let significant =
                entries_named(before, sequence_property) != entries_named(component, sequence_property);
            if significant && sequence(component) <= sequence(before) {
                set_sequence(component, sequence(before).saturating_add(1));
                changed = true;
            }
            let rescheduled = entries_named(before, |p| RESCHEDULE_PROPERTIES.contains(p))
                != entries_named(component, |p| RESCHEDULE_PROPERTIES.contains(p));
            if rescheduled {
                changed |= reset_partstats(component, organizer_address, |_| true);
            }
        }
        changed |= reset_partstats(component, organizer_address, |a| !old_attendees.contains(a));
    }
    let stored = if changed {
        Some(CalendarObject::from_calendar(ical)?)
    } else {
        None
    };
    Ok((stored, forced))
}

/// Removes SCHEDULE-FORCE-SEND from the participants of `component` (RFC 6638 §7.2: never
/// stored), noting the attendees it asked a REQUEST for. Returns whether it removed any.
fn take_force_send(component: &mut ICalendarComponent, forced: &mut BTreeSet<String>) -> bool {
    let mut changed = false;
    for entry in component
        .entries
        .iter_mut()
        .filter(|e| matches!(e.name, ICalendarProperty::Attendee | ICalendarProperty::Organizer))
    {
        let Some(value) = entry.parameter(&ICalendarParameterName::ScheduleForceSend) else {
            continue;
        };
        let request = matches!(
            value,
            ICalendarParameterValue::ScheduleForceSend(ICalendarScheduleForceSendValue::Request)
        );
        if request
            && entry.name == ICalendarProperty::Attendee
            && let Some(address) = super::parts::entry_address(entry)
        {
            forced.insert(address);
        }
        remove_param(entry, &ICalendarParameterName::ScheduleForceSend);
        changed = true;
    }
    changed
}

/// Sets PARTSTAT=NEEDS-ACTION on the attendees (not the organiser) that `which` selects and the
/// server schedules for. Returns whether any changed.
fn reset_partstats(
    component: &mut ICalendarComponent,
    organizer_address: &str,
    which: impl Fn(&str) -> bool,
) -> bool {
    let mut changed = false;
    for entry in component
        .entries
        .iter_mut()
        .filter(|e| e.name == ICalendarProperty::Attendee)
    {
        let Some(address) = super::parts::entry_address(entry) else {
            continue;
        };
        if address == organizer_address || !which(&address) || !server_schedules(entry) {
            continue;
        }
        if partstat(entry) != ICalendarParticipationStatus::NeedsAction {
            set_partstat(entry, ICalendarParticipationStatus::NeedsAction);
            changed = true;
        }
    }
    changed
}

/// What one attendee is invited to in an object.
#[derive(Debug, Default)]
struct View {
    /// The master, when they attend it.
    master: Option<usize>,
    /// The overrides they attend, by RECURRENCE-ID instant.
    overrides: BTreeMap<i64, usize>,
    /// Instants the master does not give them: its EXDATEs and the overrides they are not in.
    removed: BTreeSet<i64>,
}

impl View {
    fn of(object: &CalendarObject, address: &str) -> View {
        let ical = object.calendar();
        let members = Members::of(object);
        let component = |i: usize| ical.components.get(i);
        let master = members
            .master
            .filter(|&m| component(m).is_some_and(|c| attends(c, address)));
        let mut view = View {
            master,
            ..View::default()
        };
        if let Some(m) = master.and_then(component) {
            view.removed = exdates(m, &ical.build_tz_resolver());
        }
        for (&at, &index) in &members.overrides {
            if component(index).is_some_and(|c| attends(c, address)) {
                view.overrides.insert(at, index);
            } else if master.is_some() {
                view.removed.insert(at);
            }
        }
        view
    }

    fn is_empty(&self) -> bool {
        self.master.is_none() && self.overrides.is_empty()
    }
}

/// The messages one attendee gets, decided by comparing their views.
struct Plan {
    /// A CANCEL of the whole event (their master is gone).
    cancel_all: bool,
    /// A CANCEL of these instances.
    cancel: BTreeSet<i64>,
    /// A REQUEST with the whole new view.
    request_all: bool,
    /// Else, a REQUEST with these overrides.
    request: BTreeSet<i64>,
    /// The attendee had the event before.
    update: bool,
    /// What they had (for CANCEL) and what they now have (for REQUEST).
    before: View,
    after: View,
}

impl Plan {
    fn new(before: Option<View>, after: Option<View>, forced: bool) -> Plan {
        let before = before.unwrap_or_default();
        let after = after.unwrap_or_default();
        let mut plan = Plan {
            cancel_all: false,
            cancel: BTreeSet::new(),
            request_all: false,
            request: BTreeSet::new(),
            update: !before.is_empty(),
            before,
            after,
        };
        plan.decide(forced);
        plan
    }

    fn decide(&mut self, forced: bool) {
        let (b, a) = (&self.before, &self.after);
        if a.is_empty() {
            if b.master.is_some() {
                self.cancel_all = true;
            } else {
                self.cancel.extend(b.overrides.keys());
            }
            return;
        }
        if b.is_empty() {
            self.request_all = true;
            return;
        }
        self.request_all = forced;
        match (b.master, a.master) {
            (Some(_), None) => {
                // Off the master, still on some overrides: the whole event goes, then the
                // overrides they keep come again.
                self.cancel_all = true;
                self.request_all = true;
            }
            (None, Some(_)) => self.request_all = true,
            _ => {}
        }
        // Instances they had from the master and lost.
        if b.master.is_some() && a.master.is_some() {
            for &at in a.removed.difference(&b.removed) {
                if !a.overrides.contains_key(&at) && !b.overrides.contains_key(&at) {
                    self.cancel.insert(at);
                }
            }
            // Instances given back to them.
            if b.removed
                .difference(&a.removed)
                .any(|at| !a.overrides.contains_key(at))
            {
                self.request_all = true;
            }
        }
        // Overrides they had.
        for &at in b.overrides.keys() {
            if a.overrides.contains_key(&at) {
                continue;
            }
            if a.master.is_none() || a.removed.contains(&at) {
                self.cancel.insert(at);
            } else {
                // The instance follows the master again.
                self.request_all = true;
            }
        }
    }

    fn messages(
        mut self,
        old: Option<&CalendarObject>,
        current: Option<&CalendarObject>,
        address: &str,
        cancel_sequence: i64,
        now: i64,
    ) -> Result<Vec<ItipMessage>, ItipError> {
        if let (Some(old), Some(current)) = (old, current) {
            self.compare(old, current);
        }
        let mut out = Vec::new();
        if self.cancel_all
            && let Some(old) = old
        {
            out.push(cancel_message(
                old,
                current,
                address,
                &[None],
                cancel_sequence,
                now,
            )?);
        }
        if !self.cancel.is_empty()
            && let Some(source) = old.or(current)
        {
            let keys: Vec<Key> = self.cancel.iter().map(|&at| Some(at)).collect();
            out.push(cancel_message(
                source,
                current,
                address,
                &keys,
                cancel_sequence,
                now,
            )?);
        }
        if let Some(current) = current {
            let overrides: Vec<usize> = if self.request_all {
                self.after.overrides.values().copied().collect()
            } else {
                self.request
                    .iter()
                    .filter_map(|at| self.after.overrides.get(at).copied())
                    .collect()
            };
            let master = self.after.master.filter(|_| self.request_all);
            if master.is_some() || !overrides.is_empty() {
                out.push(request_message(
                    current,
                    &self.after,
                    master,
                    &overrides,
                    address,
                    self.update,
                    now,
                )?);
            }
        }
        Ok(out)
    }

    /// Compares the contents of the attendee's members before and after: `request_all` when the
    /// master changed, `request` for the overrides that changed, `cancel` for those newly
    /// cancelled (RFC 5546 §3.2.5).
    fn compare(&mut self, old: &CalendarObject, current: &CalendarObject) {
        let before = |i: usize| old.calendar().components.get(i);
        let after = |i: usize| current.calendar().components.get(i);
        if let (Some(b), Some(a)) = (self.before.master, self.after.master)
            && before(b).map(content) != after(a).map(content)
        {
            self.request_all = true;
        }
        for (&at, &index) in &self.after.overrides {
            // What they had for this instance: the override, or the master's instance.
            let had = match self.before.overrides.get(&at) {
                Some(&i) => before(i).cloned(),
                None if self.before.master.is_some() && !self.before.removed.contains(&at) => {
                    derive_override(old, at).map(|(c, _)| c)
                }
                None => None,
            };
            let now_cancelled = after(index).is_some_and(is_cancelled);
            if now_cancelled && !had.as_ref().is_some_and(is_cancelled) {
                self.cancel.insert(at);
                continue;
            }
            if had.as_ref().map(content) != after(index).map(content) {
                self.request.insert(at);
            }
        }
    }
}

/// A REQUEST to `address` with the master (when given) and `overrides` of `object`, as the view
/// shows them.
fn request_message(
    object: &CalendarObject,
    view: &View,
    master: Option<usize>,
    overrides: &[usize],
    address: &str,
    update: bool,
    now: i64,
) -> Result<ItipMessage, ItipError> {
    let source = object.calendar();
    let mut builder = CalendarBuilder::new(source);
    builder.timezones_from(source);
    if let Some(component) = master.and_then(|m| source.components.get(m)) {
        let mut component = outgoing(component, now);
        // The overrides they are not invited to are not instances for them.
        let members = Members::of(object);
        for (&at, &index) in &members.overrides {
            if view.removed.contains(&at)
                && let Some(rid) = source
                    .components
                    .get(index)
                    .and_then(|c| c.property(&ICalendarProperty::RecurrenceId))
            {
                component.entries.push(calcard::icalendar::ICalendarEntry {
                    name: ICalendarProperty::Exdate,
                    ..rid.clone()
                });
            }
        }
        builder.push(source, &component, false);
    }
    for component in overrides.iter().filter_map(|&i| source.components.get(i)) {
        builder.push(source, &outgoing(component, now), false);
    }
    let object = CalendarObject::from_calendar(builder.finish())?;
    let mut message = ItipMessage::new(Method::Request, object, update)?;
    message.recipients = vec![address.to_owned()];
    Ok(message)
}

/// A CANCEL to `address` of the whole event (`None` key) or of instances, built from the
/// members of `source` (the version they had), with STATUS:CANCELLED, `sequence`, and the
/// attendee alone among the ATTENDEEs (RFC 5546 §3.2.5).
fn cancel_message(
    source: &CalendarObject,
    current: Option<&CalendarObject>,
    address: &str,
    keys: &[Key],
    sequence_number: i64,
    now: i64,
) -> Result<ItipMessage, ItipError> {
    let ical = source.calendar();
    let members = Members::of(source);
    let mut builder = CalendarBuilder::new(ical);
    builder.timezones_from(ical);
    for &key in keys {
        let component = match key {
            None => members
                .master
                .or_else(|| source.members().first().copied())
                .and_then(|i| ical.components.get(i))
                .cloned(),
            Some(at) => members
                .get(key)
                .and_then(|i| ical.components.get(i))
                .cloned()
                .or_else(|| derive_override(source, at).map(|(c, _)| c))
                .or_else(|| current.and_then(|c| derive_override(c, at)).map(|(c, _)| c)),
        };
        let Some(component) = component else {
            continue;
        };
        let mut component = outgoing(&component, now);
        component.entries.retain(|e| {
            e.name != ICalendarProperty::Attendee
                || super::parts::entry_address(e).as_deref() == Some(address)
        });
        if key.is_some() {
            for name in [
                ICalendarProperty::Rrule,
                ICalendarProperty::Rdate,
                ICalendarProperty::Exdate,
            ] {
                component.entries.retain(|e| e.name != name);
            }
        }
        set_status(&mut component, ICalendarStatus::Cancelled);
        set_sequence(&mut component, sequence_number);
        builder.push(ical, &component, false);
    }
    let object = CalendarObject::from_calendar(builder.finish())?;
    let mut message = ItipMessage::new(Method::Cancel, object, true)?;
    message.recipients = vec![address.to_owned()];
    Ok(message)
}

/// A member as an iTIP message carries it: DTSTAMP now, no SCHEDULE-AGENT, SCHEDULE-STATUS or
/// SCHEDULE-FORCE-SEND (RFC 6638 §7), no children (alarms are the organiser's own).
pub(crate) fn outgoing(component: &ICalendarComponent, now: i64) -> ICalendarComponent {
    let mut out = ICalendarComponent {
        component_type: component.component_type.clone(),
        entries: component.entries.clone(),
        component_ids: Vec::new(),
    };
    for entry in out
        .entries
        .iter_mut()
        .filter(|e| matches!(e.name, ICalendarProperty::Attendee | ICalendarProperty::Organizer))
    {
        for name in [
            ICalendarParameterName::ScheduleAgent,
            ICalendarParameterName::ScheduleStatus,
            ICalendarParameterName::ScheduleForceSend,
        ] {
            remove_param(entry, &name);
        }
    }
    set_dtstamp(&mut out, now);
    out
}

/// What [`apply_reply`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyApplied {
    /// The organiser's copy with the attendee's answer, to store.
    Changed(CalendarObject),
    /// Nothing to change (the reason, for logs): an older SEQUENCE, an attendee the object does
    /// not have, the answer already recorded.
    Nothing(&'static str),
}

/// Applies an attendee's REPLY to the organiser's copy (RFC 6638 §3.2.2 seen from the
/// organiser, RFC 5546 §3.2.3): their PARTSTAT on each member the reply names — on an instance
/// the copy does not override, a new override made from the master — unless the reply's
/// SEQUENCE is below the member's (an answer to an older version, RFC 5546 §2.1.5). A reply from
/// someone who is not an attendee changes nothing (no "party crashers").
pub fn apply_reply(copy: &CalendarObject, reply: &ItipMessage) -> Result<ReplyApplied, ItipError> {
    if reply.method != Method::Reply {
        return Err(ItipError::WrongMethod {
            expected: Method::Reply,
            got: reply.method,
        });
    }
    if reply.uid() != copy.uid() {
        return Err(ItipError::UidMismatch);
    }
    if object_organizer(reply.object())? != object_organizer(copy)? {
        return Err(ItipError::OrganizerMismatch);
    }
    let address = reply.sender.as_str();
    let mut ical = copy.calendar().clone();
    let members = Members::of(copy);
    let reply_calendar = reply.object().calendar();
    let mut added = Vec::new();
    let mut changed = false;
    let mut outdated = false;
    for (key, index) in Members::of(reply.object()).iter() {
        let Some(answer) = reply_calendar
            .components
            .get(index)
            .and_then(|c| super::parts::attendee(c, address).map(|e| (partstat(e), sequence(c))))
        else {
            continue;
        };
        let (status, reply_sequence) = answer;
        match members.get(key) {
            Some(target) => {
                let Some(component) = ical.components.get_mut(target) else {
                    continue;
                };
                if reply_sequence < sequence(component) {
                    outdated = true;
                    continue;
                }
                changed |= set_answer(component, address, &status);
            }
            None => {
                let (Some(at), Some(master)) = (key, members.master) else {
                    continue;
                };
                if !copy
                    .calendar()
                    .components
                    .get(master)
                    .is_some_and(|m| attends(m, address))
                {
                    continue;
                }
                let Some((mut component, master)) = derive_override(copy, at) else {
                    continue;
                };
                if reply_sequence < sequence(&component) {
                    outdated = true;
                    continue;
                }
                if set_answer(&mut component, address, &status) {
                    added.push((component, master));
                    changed = true;
                }
            }
        }
    }
    if !changed {
        return Ok(ReplyApplied::Nothing(if outdated {
            "the REPLY answers an older SEQUENCE"
        } else {
            "the answer is recorded already, or the sender is not an attendee"
        }));
    }
    add_overrides(&mut ical, copy, added);
    Ok(ReplyApplied::Changed(CalendarObject::from_calendar(ical)?))
}

/// Sets the PARTSTAT of `address` in `component`; whether it changed.
fn set_answer(
    component: &mut ICalendarComponent,
    address: &str,
    status: &ICalendarParticipationStatus,
) -> bool {
    let mut changed = false;
    for entry in attendee_mut(component, address) {
        if partstat(entry) != *status {
            set_partstat(entry, status.clone());
            changed = true;
        }
    }
    changed
}
