//! What scheduling reads and writes in components: calendar user addresses, the ATTENDEE and
//! ORGANIZER parameters of RFC 5545 §3.2 and RFC 6638 §7, SEQUENCE and DTSTAMP, the key of each
//! member (master or RECURRENCE-ID instant), instances derived from the master, and the
//! calendars iTIP messages and stored copies are built into.
//!
//! Invariants: addresses compare in their [`normalise_address`] form; instants of
//! RECURRENCE-IDs and EXDATEs are read with floating values in UTC on both sides of every
//! comparison, so they match whatever zone a sender wrote them in; every calendar built here is
//! a tree whose component ids exist (as `output` builds them).

use std::collections::{BTreeMap, BTreeSet};

use calcard::common::PartialDateTime;
use calcard::common::timezone::Tz;
use calcard::icalendar::timezone::TzResolver;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarEntry, ICalendarParameter,
    ICalendarParameterName, ICalendarParameterValue, ICalendarParticipationStatus, ICalendarProperty,
    ICalendarScheduleAgentValue, ICalendarStatus, ICalendarValue, Uri,
};

use crate::object::CalendarObject;
use crate::output::push_tree;
use crate::recur::expand;
use crate::when::{When, date_value, instant_to_local, utc_value};

/// A member of a scheduling object: `None` for the master, `Some(instant)` for the override with
/// that RECURRENCE-ID.
pub(crate) type Key = Option<i64>;

/// A calendar user address as Malt compares it (RFC 5545 §3.3.3 CAL-ADDRESS): trimmed, without
/// a `mailto:` scheme (any case), lower-case. `MAILTO:Bob@Example.com` is `bob@example.com`.
pub fn normalise_address(value: &str) -> String {
    let value = value.trim();
    let bare = match value.split_once(':') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("mailto") => rest,
        _ => value,
    };
    bare.trim().to_lowercase()
}

/// The address an ATTENDEE or ORGANIZER property names, normalised; `None` when empty.
pub(crate) fn entry_address(entry: &ICalendarEntry) -> Option<String> {
    let raw = match entry.values.first()? {
        ICalendarValue::Uri(Uri::Location(text)) | ICalendarValue::Text(text) => text.as_str(),
        _ => return None,
    };
    let address = normalise_address(raw);
    (!address.is_empty()).then_some(address)
}

/// The ORGANIZER of a component.
pub(crate) fn organizer(component: &ICalendarComponent) -> Option<&ICalendarEntry> {
    component.property(&ICalendarProperty::Organizer)
}

/// The ORGANIZER's address of a component.
pub(crate) fn organizer_address(component: &ICalendarComponent) -> Option<String> {
    organizer(component).and_then(entry_address)
}

/// The ATTENDEE properties of a component with their addresses.
pub(crate) fn attendees(component: &ICalendarComponent) -> impl Iterator<Item = (String, &ICalendarEntry)> {
    component
        .properties(&ICalendarProperty::Attendee)
        .filter_map(|e| entry_address(e).map(|a| (a, e)))
}

/// The ATTENDEE property of `address` in a component.
pub(crate) fn attendee<'a>(component: &'a ICalendarComponent, address: &str) -> Option<&'a ICalendarEntry> {
    attendees(component).find(|(a, _)| a == address).map(|(_, e)| e)
}

/// The ATTENDEE properties of `address` in a component, for changing them.
pub(crate) fn attendee_mut<'a>(
    component: &'a mut ICalendarComponent,
    address: &'a str,
) -> impl Iterator<Item = &'a mut ICalendarEntry> {
    component.entries.iter_mut().filter(move |e| {
        e.name == ICalendarProperty::Attendee && entry_address(e).as_deref() == Some(address)
    })
}

/// Does `address` attend this component?
pub(crate) fn attends(component: &ICalendarComponent, address: &str) -> bool {
    attendee(component, address).is_some()
}

/// The PARTSTAT of an ATTENDEE (NEEDS-ACTION when absent, RFC 5545 §3.2.12).
pub fn partstat(entry: &ICalendarEntry) -> ICalendarParticipationStatus {
    match entry.parameter(&ICalendarParameterName::Partstat) {
        Some(ICalendarParameterValue::Partstat(p)) => p.clone(),
        _ => ICalendarParticipationStatus::NeedsAction,
    }
}

/// Is the server to schedule for this ATTENDEE or ORGANIZER? SCHEDULE-AGENT absent or SERVER
/// (RFC 6638 §7.1); CLIENT and NONE (and values this server does not know) leave it to others.
pub(crate) fn server_schedules(entry: &ICalendarEntry) -> bool {
    match entry.parameter(&ICalendarParameterName::ScheduleAgent) {
        None => true,
        Some(ICalendarParameterValue::ScheduleAgent(ICalendarScheduleAgentValue::Server)) => true,
        Some(_) => false,
    }
}

/// Replaces every `name` parameter of `entry` with one of `value`.
pub(crate) fn set_param(
    entry: &mut ICalendarEntry,
    name: ICalendarParameterName,
    value: ICalendarParameterValue,
) {
    entry.params.retain(|p| p.name != name);
    entry.params.push(ICalendarParameter { name, value });
}

/// Removes every `name` parameter of `entry`.
pub(crate) fn remove_param(entry: &mut ICalendarEntry, name: &ICalendarParameterName) {
    entry.params.retain(|p| &p.name != name);
}

/// Sets the PARTSTAT of an ATTENDEE.
pub(crate) fn set_partstat(entry: &mut ICalendarEntry, status: ICalendarParticipationStatus) {
    set_param(
        entry,
        ICalendarParameterName::Partstat,
        ICalendarParameterValue::Partstat(status),
    );
}

/// The SEQUENCE of a component (0 when absent, RFC 5545 §3.8.7.4).
pub(crate) fn sequence(component: &ICalendarComponent) -> i64 {
    component
        .property(&ICalendarProperty::Sequence)
        .and_then(|e| e.values.first())
        .and_then(ICalendarValue::as_integer)
        .unwrap_or(0)
}

/// Replaces every `name` property of a component with one holding `value`.
pub(crate) fn set_property(
    component: &mut ICalendarComponent,
    name: ICalendarProperty,
    value: ICalendarValue,
) {
    component.entries.retain(|e| e.name != name);
    component.entries.push(ICalendarEntry {
        name,
        params: Vec::new(),
        values: vec![value],
    });
}

pub(crate) fn set_sequence(component: &mut ICalendarComponent, value: i64) {
    set_property(
        component,
        ICalendarProperty::Sequence,
        ICalendarValue::Integer(value),
    );
}

/// DTSTAMP: when the iTIP message was created (RFC 5546 §2.1.5), in UTC.
pub(crate) fn set_dtstamp(component: &mut ICalendarComponent, now: i64) {
    set_property(
        component,
        ICalendarProperty::Dtstamp,
        ICalendarValue::PartialDateTime(Box::new(utc_value(now))),
    );
}

pub(crate) fn set_status(component: &mut ICalendarComponent, status: ICalendarStatus) {
    set_property(
        component,
        ICalendarProperty::Status,
        ICalendarValue::Status(status),
    );
}

pub(crate) fn is_cancelled(component: &ICalendarComponent) -> bool {
    component.status() == Some(&ICalendarStatus::Cancelled)
}

/// The instant of a component's RECURRENCE-ID, floating values read in UTC.
pub(crate) fn recurrence_instant(component: &ICalendarComponent, zones: &TzResolver<&str>) -> Option<i64> {
    component
        .property(&ICalendarProperty::RecurrenceId)
        .and_then(|e| When::of_entry(e, zones))
        .map(|w| w.instant(Tz::UTC))
}

/// The key of a component: master (`None`) or its RECURRENCE-ID instant; `Err(())` when it has a
/// RECURRENCE-ID that cannot be read (such a member takes part in no comparison).
pub(crate) fn key_of(component: &ICalendarComponent, zones: &TzResolver<&str>) -> Result<Key, ()> {
    if component.property(&ICalendarProperty::RecurrenceId).is_none() {
        return Ok(None);
    }
    recurrence_instant(component, zones).map(Some).ok_or(())
}

/// The members of a calendar object by key: index of the master, and of each override by the
/// instant of its RECURRENCE-ID.
#[derive(Debug, Clone, Default)]
pub(crate) struct Members {
    pub(crate) master: Option<usize>,
    pub(crate) overrides: BTreeMap<i64, usize>,
}

impl Members {
    pub(crate) fn of(object: &CalendarObject) -> Members {
        let ical = object.calendar();
        let zones = ical.build_tz_resolver();
        let mut members = Members::default();
        for &index in object.members() {
            let Some(component) = ical.components.get(index) else {
                continue;
            };
            match key_of(component, &zones) {
                Ok(None) => members.master = Some(index),
                Ok(Some(at)) => {
                    members.overrides.insert(at, index);
                }
                Err(()) => {}
            }
        }
        members
    }

    /// Index of the member with `key`.
    pub(crate) fn get(&self, key: Key) -> Option<usize> {
        match key {
            None => self.master,
            Some(at) => self.overrides.get(&at).copied(),
        }
    }

    /// Every member, master first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Key, usize)> + '_ {
        self.master
            .map(|m| (None, m))
            .into_iter()
            .chain(self.overrides.iter().map(|(&k, &i)| (Some(k), i)))
    }
}

/// The EXDATE instants of a component (floating values in UTC).
pub(crate) fn exdates(component: &ICalendarComponent, zones: &TzResolver<&str>) -> BTreeSet<i64> {
    component
        .properties(&ICalendarProperty::Exdate)
        .flat_map(|entry| {
            entry.values.iter().filter_map(move |v| match v {
                ICalendarValue::PartialDateTime(dt) => When::of_value(dt, entry, zones),
                _ => None,
            })
        })
        .map(|w| w.instant(Tz::UTC))
        .collect()
}

/// Properties whose change makes the organiser's new version one attendees must answer again
/// (a new time): RFC 5546 §2.1.4 lets the organiser decide; these are the date and recurrence
/// properties.
pub(crate) const RESCHEDULE_PROPERTIES: [ICalendarProperty; 6] = [
    ICalendarProperty::Dtstart,
    ICalendarProperty::Dtend,
    ICalendarProperty::Duration,
    ICalendarProperty::Due,
    ICalendarProperty::Rrule,
    ICalendarProperty::Rdate,
];

/// Properties whose change requires a higher SEQUENCE (RFC 5545 §3.8.7.4): the reschedule ones,
/// EXDATE and STATUS.
pub(crate) fn sequence_property(name: &ICalendarProperty) -> bool {
    RESCHEDULE_PROPERTIES.contains(name)
        || matches!(name, ICalendarProperty::Exdate | ICalendarProperty::Status)
}

/// Entries of `component` named by `wanted`, in a comparable (sorted) form.
pub(crate) fn entries_named(
    component: &ICalendarComponent,
    wanted: impl Fn(&ICalendarProperty) -> bool,
) -> Vec<ICalendarEntry> {
    let mut entries: Vec<ICalendarEntry> = component
        .entries
        .iter()
        .filter(|e| wanted(&e.name))
        .map(sorted_params)
        .collect();
    entries.sort();
    entries
}

/// Properties that change with every write or every message and say nothing about the event.
const VOLATILE_PROPERTIES: [ICalendarProperty; 5] = [
    ICalendarProperty::Dtstamp,
    ICalendarProperty::LastModified,
    ICalendarProperty::Created,
    ICalendarProperty::Sequence,
    ICalendarProperty::RequestStatus,
];

/// Parameters of ATTENDEE and ORGANIZER that are state, not content: the answer of each
/// attendee and the server's delivery bookkeeping (RFC 6638 §7).
const STATE_PARAMETERS: [ICalendarParameterName; 4] = [
    ICalendarParameterName::Partstat,
    ICalendarParameterName::Rsvp,
    ICalendarParameterName::ScheduleStatus,
    ICalendarParameterName::ScheduleForceSend,
];

/// What an attendee is told about a component, comparable: every entry but the volatile ones
/// (and EXDATE, compared as instants by the caller), participants without their state
/// parameters, parameters and entries sorted.
pub(crate) fn content(component: &ICalendarComponent) -> Vec<ICalendarEntry> {
    let mut entries: Vec<ICalendarEntry> = component
        .entries
        .iter()
        .filter(|e| !VOLATILE_PROPERTIES.contains(&e.name) && e.name != ICalendarProperty::Exdate)
        .map(|e| {
            let mut e = sorted_params(e);
            if matches!(e.name, ICalendarProperty::Attendee | ICalendarProperty::Organizer) {
                e.params.retain(|p| !STATE_PARAMETERS.contains(&p.name));
            }
            e
        })
        .collect();
    entries.sort();
    entries
}

fn sorted_params(entry: &ICalendarEntry) -> ICalendarEntry {
    let mut e = entry.clone();
    e.params.sort();
    e
}

/// A new override of `object`'s master for the instance whose RECURRENCE-ID is `instant`, as the
/// master describes it: the master's properties less the recurrence rules, DTSTART and the end
/// (DTEND or DUE) moved to the instance, written in the form (zone, DATE) of the master's, and a
/// RECURRENCE-ID in DTSTART's form (RFC 5545 §3.8.4.4). `None` when the master does not generate
/// that instance. Returns the component and the master's index (whose children the caller may
/// copy).
pub(crate) fn derive_override(object: &CalendarObject, instant: i64) -> Option<(ICalendarComponent, usize)> {
    let ical = object.calendar();
    let members = Members::of(object);
    let master_index = members.master?;
    let master = ical.components.get(master_index)?;
    let expansion = expand(object, Tz::UTC, Some(instant));
    let occurrence = expansion
        .occurrences
        .iter()
        .find(|o| o.recurrence_id == instant && !o.overridden && o.component == master_index)?;
    let zones = ical.build_tz_resolver();
    let mut entries = Vec::with_capacity(master.entries.len() + 1);
    let mut recurrence_id = None;
    for entry in &master.entries {
        match entry.name {
            ICalendarProperty::Rrule
            | ICalendarProperty::Rdate
            | ICalendarProperty::Exdate
            | ICalendarProperty::Exrule
            | ICalendarProperty::RecurrenceId => {}
            ICalendarProperty::Dtstart => {
                let moved = moved_entry(entry, occurrence.start.unwrap_or(instant), &zones);
                recurrence_id = Some(ICalendarEntry {
                    name: ICalendarProperty::RecurrenceId,
                    ..moved.clone()
                });
                entries.push(moved);
            }
            ICalendarProperty::Dtend | ICalendarProperty::Due => match occurrence.end {
                Some(end) => entries.push(moved_entry(entry, end, &zones)),
                None => entries.push(entry.clone()),
            },
            _ => entries.push(entry.clone()),
        }
    }
    entries.push(recurrence_id?);
    Some((
        ICalendarComponent {
            component_type: master.component_type.clone(),
            entries,
            component_ids: Vec::new(),
        },
        master_index,
    ))
}

/// Appends overrides made by [`derive_override`] to `ical` (a copy of `object`'s calendar),
/// each with the children (alarms) of the master it came from.
pub(crate) fn add_overrides(
    ical: &mut ICalendar,
    object: &CalendarObject,
    added: Vec<(ICalendarComponent, usize)>,
) {
    let source = object.calendar();
    for (component, master) in added {
        let children = source
            .components
            .get(master)
            .map(|m| m.component_ids.clone())
            .unwrap_or_default();
        let id = push_tree(ical, source, component, &children, &Clone::clone);
        if let Some(root) = ical.components.first_mut() {
            root.component_ids.push(id);
        }
    }
}

/// `entry` (a DATE or DATE-TIME property) with its value moved to `at`, in the same form: a DATE
/// stays a DATE, a UTC value stays UTC, a zoned or floating local time stays in its zone.
fn moved_entry(entry: &ICalendarEntry, at: i64, zones: &TzResolver<&str>) -> ICalendarEntry {
    let value = match When::of_entry(entry, zones) {
        Some(when) if when.is_date => instant_to_local(at, Tz::UTC).map(date_value),
        Some(when) if when.zone == Tz::UTC => Some(utc_value(at)),
        Some(when) => instant_to_local(at, when.effective_zone(Tz::UTC))
            .map(|local| PartialDateTime::from_naive_timestamp(local.and_utc().timestamp())),
        None => None,
    }
    .unwrap_or_else(|| utc_value(at));
    ICalendarEntry {
        name: entry.name.clone(),
        params: entry.params.clone(),
        values: vec![ICalendarValue::PartialDateTime(Box::new(value))],
    }
}

/// Builds a calendar: a VCALENDAR (the source's properties but METHOD: messages carry theirs
/// apart, see [`super::ItipMessage`]), the VTIMEZONEs of the sources, then components.
pub(crate) struct CalendarBuilder {
    calendar: ICalendar,
    tzids: BTreeSet<String>,
}

impl CalendarBuilder {
    /// A VCALENDAR with `source`'s properties (VERSION, PRODID, ...) less METHOD.
    pub(crate) fn new(source: &ICalendar) -> CalendarBuilder {
        let mut root = ICalendarComponent::new(ICalendarComponentType::VCalendar);
        if let Some(original) = source.components.first() {
            root.entries = original
                .entries
                .iter()
                .filter(|e| e.name != ICalendarProperty::Method)
                .cloned()
                .collect();
        }
        if !root.entries.iter().any(|e| e.name == ICalendarProperty::Version) {
            root.add_property(ICalendarProperty::Version, "2.0");
        }
        if !root.entries.iter().any(|e| e.name == ICalendarProperty::Prodid) {
            root.add_property(ICalendarProperty::Prodid, "-//Malt//CalDAV//EN");
        }
        CalendarBuilder {
            calendar: ICalendar {
                components: vec![root],
            },
            tzids: BTreeSet::new(),
        }
    }

    /// Copies the VTIMEZONEs of `source` whose TZID is not here yet.
    pub(crate) fn timezones_from(&mut self, source: &ICalendar) {
        let Some(root) = source.components.first() else {
            return;
        };
        for &id in &root.component_ids {
            let Some(zone) = source.components.get(id as usize) else {
                continue;
            };
            if zone.component_type != ICalendarComponentType::VTimezone {
                continue;
            }
            let tzid = zone
                .property(&ICalendarProperty::Tzid)
                .and_then(|e| e.values.first())
                .and_then(ICalendarValue::as_text)
                .unwrap_or_default()
                .to_owned();
            if self.tzids.insert(tzid) {
                self.push(source, zone, true);
            }
        }
    }

    /// Appends `component` (whose children are in `source`; copied when `with_children`).
    pub(crate) fn push(&mut self, source: &ICalendar, component: &ICalendarComponent, with_children: bool) {
        let children: &[u32] = if with_children {
            &component.component_ids
        } else {
            &[]
        };
        let bare = ICalendarComponent {
            component_type: component.component_type.clone(),
            entries: component.entries.clone(),
            component_ids: Vec::new(),
        };
        let id = push_tree(&mut self.calendar, source, bare, children, &Clone::clone);
        if let Some(root) = self.calendar.components.first_mut() {
            root.component_ids.push(id);
        }
    }

    pub(crate) fn finish(self) -> ICalendar {
        self.calendar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised() {
        assert_eq!(normalise_address(" MAILTO:Bob@Example.COM "), "bob@example.com");
        assert_eq!(normalise_address("mailto:a@b"), "a@b");
        assert_eq!(normalise_address("urn:uuid:ABC"), "urn:uuid:abc");
        assert_eq!(normalise_address("carol@x.org"), "carol@x.org");
    }
}
