//! What a calendar user may change in a scheduling object resource by writing it (RFC 6638
//! §3.2.1, §3.2.2.1), compared with the stored version.
//!
//! **An attendee** ([`check_attendee_change`], RFC 6638 §3.2.2.1) changes their own answer and
//! their own view of the event, never the organiser's event. Compared member by member (the
//! master, each override by its RECURRENCE-ID instant), their version may differ from the
//! stored one only in:
//! - the state parameters of the participants (PARTSTAT, RSVP, SCHEDULE-STATUS,
//!   SCHEDULE-FORCE-SEND): their own answer, and the others' answers as an older copy had them
//!   (RFC 6638 §3.2.10: inconsequential changes are not conflicts);
//! - TRANSP, PERCENT-COMPLETE, COMPLETED, CREATED, DTSTAMP, LAST-MODIFIED and REQUEST-STATUS;
//! - X- properties: beyond the RFC's list, because clients keep their own state in them
//!   (X-MOZ-*, X-APPLE-*);
//! - VALARMs (the members' children are not compared), the VTIMEZONEs and the VCALENDAR's own
//!   properties (CALSCALE, PRODID);
//! - EXDATEs added to the master (none removed); an override removed when its instance is now
//!   an EXDATE or when it differed from the master's instance only in what is allowed here;
//! - overrides added for instances the master has, differing from that instance only in what
//!   is allowed here (RFC 6638 §3.2.2.1 item 11).
//!
//! Nothing is checked when the ORGANIZER's SCHEDULE-AGENT is not SERVER (RFC 6638 §3.2.2.3:
//! the client schedules). Dates (DTSTART, DTEND, DUE, RECURRENCE-ID) compare as instants, so an override written with
//! another zone form of the same time is the same; everything else compares as entries with
//! sorted parameters. A refusal names the first property that differs.
//!
//! **The organiser** ([`check_organizer_change`], RFC 6638 §3.2.1) may not give an attendee
//! the server schedules for an answer: a PARTSTAT changed to anything but NEEDS-ACTION (which
//! asks them again, RFC 6638 §3.2.8) is refused. [`keep_answers`] is the merge RFC 6638
//! §3.2.10 asks for when the organiser's client writes with `If-Schedule-Tag-Match`: the
//! answers stored since (REPLYs merged by the server) stand over the client's older ones.

use std::collections::BTreeSet;

use calcard::common::timezone::Tz;
use calcard::icalendar::timezone::TzResolver;
use calcard::icalendar::{
    ICalendarComponent, ICalendarEntry, ICalendarParticipationStatus, ICalendarProperty,
};

use super::ItipError;
use super::parts::{
    Members, attendee, attendees, content, derive_override, entry_address, exdates, organizer, partstat,
    sequence, server_schedules, set_partstat,
};
use crate::object::CalendarObject;
use crate::when::When;

/// Properties an attendee may add, change or remove (RFC 6638 §3.2.2.1 items 2-4, 9).
const ATTENDEE_PROPERTIES: [ICalendarProperty; 3] = [
    ICalendarProperty::Transp,
    ICalendarProperty::PercentComplete,
    ICalendarProperty::Completed,
];

/// Date properties, compared as instants.
const DATE_PROPERTIES: [ICalendarProperty; 4] = [
    ICalendarProperty::Dtstart,
    ICalendarProperty::Dtend,
    ICalendarProperty::Due,
    ICalendarProperty::RecurrenceId,
];

fn attendee_change(reason: impl Into<String>) -> ItipError {
    ItipError::AttendeeChange(reason.into())
}

/// Whether an attendee may change a property of this name freely.
fn attendee_owned(name: &ICalendarProperty) -> bool {
    ATTENDEE_PROPERTIES.contains(name)
        || matches!(name, ICalendarProperty::Other(n) if n.len() > 2 && n.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("x-")))
}

/// The instants of the `name` properties of a component (unreadable values as `None`).
fn instants(
    component: &ICalendarComponent,
    name: &ICalendarProperty,
    zones: &TzResolver<&str>,
) -> Vec<Option<i64>> {
    component
        .properties(name)
        .map(|e| When::of_entry(e, zones).map(|w| w.instant(Tz::UTC)))
        .collect()
}

/// The entries of a component an attendee may not change, comparable.
fn organisers_part(component: &ICalendarComponent) -> Vec<ICalendarEntry> {
    content(component)
        .into_iter()
        .filter(|e| !attendee_owned(&e.name) && !DATE_PROPERTIES.contains(&e.name))
        .collect()
}

/// `after` differs from `before` only in what an attendee may change (see the module doc).
fn same_for_attendee(
    before: &ICalendarComponent,
    before_zones: &TzResolver<&str>,
    after: &ICalendarComponent,
    after_zones: &TzResolver<&str>,
) -> Result<(), ItipError> {
    let (b, a) = (organisers_part(before), organisers_part(after));
    if b != a {
        let differs = b
            .iter()
            .find(|e| !a.contains(e))
            .or_else(|| a.iter().find(|e| !b.contains(e)))
            .map_or("a property", |e| e.name.as_str());
        return Err(attendee_change(format!("{differs} is the organiser's to change")));
    }
    for name in &DATE_PROPERTIES {
        if instants(before, name, before_zones) != instants(after, name, after_zones) {
            return Err(attendee_change(format!(
                "{} is the organiser's to change",
                name.as_str()
            )));
        }
    }
    if sequence(before) != sequence(after) {
        return Err(attendee_change("SEQUENCE is the organiser's to change"));
    }
    Ok(())
}

/// RFC 6638 §3.2.2.1: an attendee's `new` version of the stored `old` changes only what an
/// attendee may change (see the module doc); otherwise [`ItipError::AttendeeChange`] with the
/// reason.
pub fn check_attendee_change(old: &CalendarObject, new: &CalendarObject) -> Result<(), ItipError> {
    // RFC 6638 §3.2.2.3: with SCHEDULE-AGENT other than SERVER on the ORGANIZER, the server
    // does no special processing: the client schedules.
    let server_schedules_for = |o: &CalendarObject| {
        o.members()
            .first()
            .and_then(|&i| o.calendar().components.get(i))
            .and_then(organizer)
            .is_none_or(server_schedules)
    };
    if !server_schedules_for(old) || !server_schedules_for(new) {
        return Ok(());
    }
    let (old_ical, new_ical) = (old.calendar(), new.calendar());
    let (old_zones, new_zones) = (old_ical.build_tz_resolver(), new_ical.build_tz_resolver());
    let (old_members, new_members) = (Members::of(old), Members::of(new));
    let component = |ical: &calcard::icalendar::ICalendar, i: usize| ical.components.get(i).cloned();
    let mut new_exdates = BTreeSet::new();
    match (old_members.master, new_members.master) {
        (None, None) => {}
        (Some(o), Some(n)) => {
            let (Some(before), Some(after)) = (component(old_ical, o), component(new_ical, n)) else {
                return Err(attendee_change("the master component cannot be read"));
            };
            same_for_attendee(&before, &old_zones, &after, &new_zones)?;
            new_exdates = exdates(&after, &new_zones);
            if !exdates(&before, &old_zones).is_subset(&new_exdates) {
                return Err(attendee_change(
                    "an EXDATE was removed: only the organiser adds instances",
                ));
            }
        }
        _ => return Err(attendee_change("the master component was added or removed")),
    }
    for (&at, &o) in &old_members.overrides {
        let Some(before) = component(old_ical, o) else {
            continue;
        };
        match new_members.overrides.get(&at) {
            Some(&n) => {
                let Some(after) = component(new_ical, n) else {
                    continue;
                };
                same_for_attendee(&before, &old_zones, &after, &new_zones)?;
            }
            None if new_exdates.contains(&at) => {}
            None => {
                // Removed without an EXDATE: the instance falls back to the master's, which must
                // be what the override said but for the attendee's own changes.
                let Some((instance, _)) = derive_override(new, at) else {
                    return Err(attendee_change("an override of the organiser was removed"));
                };
                same_for_attendee(&before, &old_zones, &instance, &new_zones)
                    .map_err(|_| attendee_change("an override of the organiser was removed"))?;
            }
        }
    }
    for (&at, &n) in &new_members.overrides {
        if old_members.overrides.contains_key(&at) {
            continue;
        }
        let Some(after) = component(new_ical, n) else {
            continue;
        };
        let Some((instance, _)) = derive_override(old, at) else {
            return Err(attendee_change(
                "an override of an instance the event does not have",
            ));
        };
        same_for_attendee(&instance, &old_zones, &after, &new_zones)?;
    }
    Ok(())
}

/// The members of `new` with the member of `old` they replace (the same key), by index.
fn common_members(old: &CalendarObject, new: &CalendarObject) -> Vec<(usize, usize)> {
    let old_members = Members::of(old);
    Members::of(new)
        .iter()
        .filter_map(|(key, n)| old_members.get(key).map(|o| (o, n)))
        .collect()
}

/// RFC 6638 §3.2.1: the organiser `organizer` (normalised) gives no attendee the server
/// schedules for an answer in `new` that they did not have in `old` (NEEDS-ACTION excepted);
/// otherwise [`ItipError::OrganizerChange`].
pub fn check_organizer_change(
    old: &CalendarObject,
    new: &CalendarObject,
    organizer: &str,
) -> Result<(), ItipError> {
    let (old_ical, new_ical) = (old.calendar(), new.calendar());
    for (o, n) in common_members(old, new) {
        let (Some(before), Some(after)) = (old_ical.components.get(o), new_ical.components.get(n)) else {
            continue;
        };
        for (address, entry) in attendees(after) {
            if address == organizer || !server_schedules(entry) {
                continue;
            }
            let now = partstat(entry);
            let had = attendee(before, &address).map(partstat);
            if now != ICalendarParticipationStatus::NeedsAction && had.is_some_and(|h| h != now) {
                return Err(ItipError::OrganizerChange(format!(
                    "the PARTSTAT of {address} is theirs to give"
                )));
            }
        }
    }
    Ok(())
}

/// RFC 6638 §3.2.10: `new` (the organiser's client's version, written over its Schedule-Tag)
/// with each attendee's PARTSTAT as stored in `old` where they differ: the server merged
/// those answers since the client read the object. `None` when nothing differs.
pub fn keep_answers(
    old: &CalendarObject,
    new: &CalendarObject,
    organizer: &str,
) -> Result<Option<CalendarObject>, ItipError> {
    let old_ical = old.calendar();
    let mut ical = new.calendar().clone();
    let mut changed = false;
    for (o, n) in common_members(old, new) {
        let (Some(before), Some(after)) = (old_ical.components.get(o), ical.components.get_mut(n)) else {
            continue;
        };
        for entry in after
            .entries
            .iter_mut()
            .filter(|e| e.name == ICalendarProperty::Attendee)
        {
            let Some(address) = entry_address(entry) else {
                continue;
            };
            if address == organizer {
                continue;
            }
            if let Some(stored) = attendee(before, &address).map(partstat)
                && stored != partstat(entry)
            {
                set_partstat(entry, stored);
                changed = true;
            }
        }
    }
    if !changed {
        return Ok(None);
    }
    Ok(Some(CalendarObject::from_calendar(ical)?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const MASTER: &str = "UID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\n\
        DTEND:20260105T110000Z\r\nRRULE:FREQ=DAILY;COUNT=5\r\nSUMMARY:Plan\r\n\
        ORGANIZER:mailto:a@x.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.test\r\n";

    fn object(members: &[&str]) -> CalendarObject {
        let body: String = members
            .iter()
            .map(|m| format!("BEGIN:VEVENT\r\n{m}END:VEVENT\r\n"))
            .collect();
        let text = format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n");
        CalendarObject::parse(text.as_bytes()).unwrap()
    }

    fn master(bob: &str, extra: &str) -> String {
        format!("{MASTER}ATTENDEE;PARTSTAT={bob}:mailto:b@x.test\r\n{extra}")
    }

    #[test]
    fn an_attendee_answers_and_keeps_their_own_things() {
        let old = object(&[&master("NEEDS-ACTION", "")]);
        for new in [
            master("ACCEPTED", ""),
            master(
                "ACCEPTED",
                "TRANSP:TRANSPARENT\r\nX-MOZ-GENERATION:3\r\nDTSTAMP:20260102T000000Z\r\n",
            ),
            master(
                "TENTATIVE",
                "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nDESCRIPTION:x\r\nEND:VALARM\r\n",
            ),
            master("DECLINED", "EXDATE:20260106T100000Z\r\n"),
        ] {
            check_attendee_change(&old, &object(&[&new])).unwrap();
        }
        // An override of one instance, with their answer for it.
        let instance = "UID:u1\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260107T100000Z\r\n\
            DTSTART:20260107T100000Z\r\nDTEND:20260107T110000Z\r\nSUMMARY:Plan\r\n\
            ORGANIZER:mailto:a@x.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.test\r\n\
            ATTENDEE;PARTSTAT=DECLINED:mailto:b@x.test\r\n";
        let with_override = object(&[&master("ACCEPTED", ""), instance]);
        check_attendee_change(&old, &with_override).unwrap();
        // ... and removing it again.
        check_attendee_change(&with_override, &object(&[&master("ACCEPTED", "")])).unwrap();
    }

    #[test]
    fn the_organisers_event_is_theirs() {
        let old = object(&[&master("NEEDS-ACTION", "EXDATE:20260108T100000Z\r\n")]);
        let changed = |from: &str, to: &str| {
            object(&[&master("ACCEPTED", "EXDATE:20260108T100000Z\r\n").replace(from, to)])
        };
        for (new, what) in [
            (changed("SUMMARY:Plan", "SUMMARY:Mine"), "SUMMARY"),
            (
                changed("DTSTART:20260105T100000Z", "DTSTART:20260105T090000Z"),
                "DTSTART",
            ),
            (changed("COUNT=5", "COUNT=9"), "RRULE"),
            (changed("EXDATE:20260108T100000Z\r\n", ""), "EXDATE"),
            (
                changed("SUMMARY:Plan\r\n", "SUMMARY:Plan\r\nLOCATION:Here\r\n"),
                "LOCATION",
            ),
            (
                changed("SUMMARY:Plan\r\n", "SUMMARY:Plan\r\nATTENDEE:mailto:c@x.test\r\n"),
                "ATTENDEE",
            ),
            (
                changed("SUMMARY:Plan\r\n", "SUMMARY:Plan\r\nSEQUENCE:4\r\n"),
                "SEQUENCE",
            ),
        ] {
            let e = check_attendee_change(&old, &new).unwrap_err();
            assert!(
                matches!(&e, ItipError::AttendeeChange(r) if r.contains(what)),
                "{what}: {e}"
            );
        }
        // An override that moves its instance.
        let moved = "UID:u1\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260107T100000Z\r\n\
            DTSTART:20260107T120000Z\r\nDTEND:20260107T130000Z\r\nSUMMARY:Plan\r\n\
            ORGANIZER:mailto:a@x.test\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.test\r\n\
            ATTENDEE;PARTSTAT=ACCEPTED:mailto:b@x.test\r\n";
        let old = object(&[&master("NEEDS-ACTION", "")]);
        assert!(check_attendee_change(&old, &object(&[&master("ACCEPTED", ""), moved])).is_err());
        // Unless the client schedules (SCHEDULE-AGENT=CLIENT on the ORGANIZER).
        let client = |m: String| object(&[&m.replace("ORGANIZER:", "ORGANIZER;SCHEDULE-AGENT=CLIENT:")]);
        check_attendee_change(
            &client(master("NEEDS-ACTION", "")),
            &client(master("ACCEPTED", "").replace("SUMMARY:Plan", "SUMMARY:Mine")),
        )
        .unwrap();
    }

    #[test]
    fn the_organiser_does_not_answer_for_attendees() {
        let old = object(&[&master("NEEDS-ACTION", "")]);
        let e = check_organizer_change(&old, &object(&[&master("ACCEPTED", "")]), "a@x.test").unwrap_err();
        assert!(matches!(e, ItipError::OrganizerChange(_)), "{e}");
        // Asking again is theirs (RFC 6638 §3.2.8).
        let answered = object(&[&master("ACCEPTED", "")]);
        check_organizer_change(&answered, &old, "a@x.test").unwrap();
        // Their own answer and other changes are the organiser's.
        check_organizer_change(
            &old,
            &object(&[&master("NEEDS-ACTION", "LOCATION:Here\r\n")]),
            "a@x.test",
        )
        .unwrap();
        // A client's older copy gets the stored answers back.
        let merged = keep_answers(&answered, &old, "a@x.test").unwrap().unwrap();
        check_organizer_change(&answered, &merged, "a@x.test").unwrap();
        assert!(
            merged
                .calendar()
                .to_string()
                .contains("PARTSTAT=ACCEPTED:mailto:b@x.test")
        );
        assert_eq!(keep_answers(&answered, &answered, "a@x.test").unwrap(), None);
    }
}
