//! What a Schedule-Tag (RFC 6638 §3.2.10) is computed from: a scheduling object resource
//! without the parts that answers and bookkeeping change.
//!
//! The tag must stay the same when the server merges an attendee's REPLY into the organiser's
//! copy (PARTSTAT, SCHEDULE-STATUS) and when an attendee changes only their answer or their
//! alarms, and must change when the organiser changes the event (times, SEQUENCE, summary,
//! attendees...). So the basis is the object with, on every ATTENDEE and ORGANIZER, the
//! PARTSTAT, RSVP and SCHEDULE-* parameters removed, without DTSTAMP, and without VALARMs.
//! Hashing it is the caller's (the store's ETag function).
//!
//! Invariant: equal objects give equal bases; the basis is a function of the content only, so
//! nothing needs to be stored beside the object.

use calcard::icalendar::{ICalendarComponentType, ICalendarParameterName, ICalendarProperty};

use super::parts::remove_param;
use crate::object::CalendarObject;

/// The parameters an answer or the server's bookkeeping changes.
const ANSWER_PARAMETERS: [ICalendarParameterName; 5] = [
    ICalendarParameterName::Partstat,
    ICalendarParameterName::Rsvp,
    ICalendarParameterName::ScheduleStatus,
    ICalendarParameterName::ScheduleForceSend,
    ICalendarParameterName::ScheduleAgent,
];

/// The text a Schedule-Tag of `object` is a hash of (see the module doc).
pub fn schedule_tag_basis(object: &CalendarObject) -> String {
    let mut ical = object.calendar().clone();
    let alarms: Vec<u32> = ical
        .components
        .iter()
        .enumerate()
        .filter(|(_, c)| c.component_type == ICalendarComponentType::VAlarm)
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect();
    for component in &mut ical.components {
        component.component_ids.retain(|id| !alarms.contains(id));
        component.entries.retain(|e| e.name != ICalendarProperty::Dtstamp);
        for entry in component
            .entries
            .iter_mut()
            .filter(|e| matches!(e.name, ICalendarProperty::Attendee | ICalendarProperty::Organizer))
        {
            for name in &ANSWER_PARAMETERS {
                remove_param(entry, name);
            }
        }
    }
    ical.to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn object(attendee: &str, extra: &str) -> CalendarObject {
        let text = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:u1\r\n\
             DTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nSUMMARY:Plan\r\n\
             ORGANIZER:mailto:a@x.test\r\n{attendee}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        CalendarObject::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn answers_alarms_and_stamps_do_not_count() {
        let base = schedule_tag_basis(&object(
            "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:b@x.test",
            "",
        ));
        let answered = object(
            "ATTENDEE;PARTSTAT=ACCEPTED;SCHEDULE-STATUS=2.0:mailto:b@x.test",
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nDESCRIPTION:x\r\nEND:VALARM\r\n",
        );
        assert_eq!(schedule_tag_basis(&answered), base);
        assert!(!base.contains("VALARM") && !base.contains("DTSTAMP"), "{base}");
    }

    #[test]
    fn the_organisers_changes_count() {
        let base = schedule_tag_basis(&object("ATTENDEE:mailto:b@x.test", ""));
        for (attendee, extra) in [
            ("ATTENDEE:mailto:c@x.test", ""),
            ("ATTENDEE:mailto:b@x.test", "SEQUENCE:1\r\n"),
            ("ATTENDEE:mailto:b@x.test", "LOCATION:Room 1\r\n"),
        ] {
            assert_ne!(
                schedule_tag_basis(&object(attendee, extra)),
                base,
                "{attendee} {extra}"
            );
        }
    }
}
