//! `expand`, `limit-recurrence-set` (RFC 4791 §9.6.5, §9.6.6) and free-busy (§7.10): the text
//! produced is parsed back and checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use malt_calendar::freebusy::{BusyPeriod, BusyType, busy_periods, freebusy_calendar, merge};
use malt_calendar::output::{expand_instances, limit_recurrence_set};
use malt_calendar::{CalendarObject, TimeRange, Tz};

fn recurring() -> CalendarObject {
    object(
        "BEGIN:VTIMEZONE\nTZID:America/New_York\nBEGIN:STANDARD\nDTSTART:19701101T020000\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nEND:STANDARD\nEND:VTIMEZONE\n\
         BEGIN:VEVENT\nUID:e\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=America/New_York:20240101T090000\nDTEND;TZID=America/New_York:20240101T100000\nRRULE:FREQ=DAILY;COUNT=5\nEXDATE;TZID=America/New_York:20240102T090000\nSUMMARY:Daily\n\
         BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER:-PT5M\nEND:VALARM\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:e\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID;TZID=America/New_York:20240104T090000\nDTSTART;TZID=America/New_York:20240104T110000\nDTEND;TZID=America/New_York:20240104T120000\nSUMMARY:Late\nSTATUS:TENTATIVE\nEND:VEVENT",
    )
}

#[test]
fn expand_gives_one_utc_component_per_instance_in_range() {
    let range = TimeRange::new(utc(2024, 1, 2, 0, 0), utc(2024, 1, 5, 0, 0));
    let text = expand_instances(&recurring(), &range, Tz::UTC).to_string();
    assert!(!text.contains("VTIMEZONE"), "{text}");
    assert!(
        !text.contains("RRULE") && !text.contains("EXDATE") && !text.contains("TZID"),
        "{text}"
    );
    // Jan 2 is excluded: Jan 3 and the moved Jan 4 remain.
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2, "{text}");
    assert!(text.contains("DTSTART:20240103T140000Z"), "{text}");
    assert!(text.contains("RECURRENCE-ID:20240103T140000Z"), "{text}");
    assert!(text.contains("DTSTART:20240104T160000Z"), "{text}");
    assert!(text.contains("RECURRENCE-ID:20240104T140000Z"), "{text}");
    assert!(text.contains("SUMMARY:Late"), "{text}");
    // The master's alarm travels with its instances.
    assert_eq!(text.matches("BEGIN:VALARM").count(), 1, "{text}");
    // What was written parses again as a calendar (not as a stored object: the instances
    // share a UID and all carry RECURRENCE-ID, which is what §9.6.5 asks for).
    let back = calcard::icalendar::ICalendar::parse(&text).unwrap();
    assert_eq!(back.components.len(), 4);
}

#[test]
fn expanded_all_day_instances_stay_dates() {
    let o = object(
        "BEGIN:VEVENT\nUID:b\nDTSTAMP:20240101T000000Z\nDTSTART;VALUE=DATE:20240301\nDTEND;VALUE=DATE:20240302\nRRULE:FREQ=YEARLY\nSUMMARY:Birthday\nEND:VEVENT",
    );
    let range = TimeRange::new(utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0));
    let text = expand_instances(&o, &range, Tz::UTC).to_string();
    assert!(text.contains("DTSTART;VALUE=DATE:20260301"), "{text}");
    assert!(text.contains("DTEND;VALUE=DATE:20260302"), "{text}");
    assert!(text.contains("RECURRENCE-ID;VALUE=DATE:20260301"), "{text}");
}

#[test]
fn limit_recurrence_set_drops_overrides_outside_the_range() {
    let early = TimeRange::new(utc(2024, 1, 1, 0, 0), utc(2024, 1, 2, 0, 0));
    let text = limit_recurrence_set(&recurring(), &early, Tz::UTC).to_string();
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 1, "{text}");
    assert!(text.contains("RRULE:FREQ=DAILY"), "{text}");
    assert!(text.contains("BEGIN:VTIMEZONE"), "{text}");
    let late = TimeRange::new(utc(2024, 1, 4, 0, 0), utc(2024, 1, 5, 0, 0));
    let text = limit_recurrence_set(&recurring(), &late, Tz::UTC).to_string();
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2, "{text}");
    assert!(text.contains("SUMMARY:Late"), "{text}");
}

#[test]
fn free_busy_counts_opaque_events_by_status() {
    let range = (utc(2024, 1, 1, 0, 0), utc(2024, 1, 6, 0, 0));
    let mut periods = busy_periods(&recurring(), range.0, range.1, Tz::UTC);
    let transparent = object(
        "BEGIN:VEVENT\nUID:t\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T000000Z\nDTEND:20240101T230000Z\nTRANSP:TRANSPARENT\nEND:VEVENT",
    );
    let cancelled = object(
        "BEGIN:VEVENT\nUID:c\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T000000Z\nDTEND:20240101T230000Z\nSTATUS:CANCELLED\nEND:VEVENT",
    );
    let overlapping = object(
        "BEGIN:VEVENT\nUID:o\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T143000Z\nDTEND:20240101T160000Z\nEND:VEVENT",
    );
    for o in [&transparent, &cancelled, &overlapping] {
        periods.extend(busy_periods(o, range.0, range.1, Tz::UTC));
    }
    let merged = merge(periods);
    assert_eq!(
        merged,
        vec![
            BusyPeriod {
                kind: BusyType::Busy,
                start: utc(2024, 1, 1, 14, 0),
                end: utc(2024, 1, 1, 16, 0)
            },
            BusyPeriod {
                kind: BusyType::Busy,
                start: utc(2024, 1, 3, 14, 0),
                end: utc(2024, 1, 3, 15, 0)
            },
            BusyPeriod {
                kind: BusyType::Busy,
                start: utc(2024, 1, 5, 14, 0),
                end: utc(2024, 1, 5, 15, 0)
            },
            BusyPeriod {
                kind: BusyType::BusyTentative,
                start: utc(2024, 1, 4, 16, 0),
                end: utc(2024, 1, 4, 17, 0)
            },
        ]
    );
    let text = freebusy_calendar(merged, range.0, range.1, utc(2024, 1, 1, 0, 0)).to_string();
    assert!(text.contains("BEGIN:VFREEBUSY"), "{text}");
    assert!(text.contains("DTSTART:20240101T000000Z"), "{text}");
    assert!(
        text.contains("FREEBUSY;FBTYPE=BUSY:20240101T140000Z/20240101T160000Z"),
        "{text}"
    );
    assert!(
        text.contains("FREEBUSY;FBTYPE=BUSY-TENTATIVE:20240104T160000Z/20240104T170000Z"),
        "{text}"
    );
}

#[test]
fn free_busy_periods_are_clipped_and_vfreebusy_objects_count() {
    let o = object(
        "BEGIN:VFREEBUSY\nUID:f\nDTSTAMP:20240101T000000Z\nFREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20240101T080000Z/PT4H\nFREEBUSY;FBTYPE=FREE:20240101T130000Z/PT1H\nEND:VFREEBUSY",
    );
    let periods = busy_periods(&o, utc(2024, 1, 1, 10, 0), utc(2024, 1, 2, 0, 0), Tz::UTC);
    assert_eq!(
        periods,
        vec![BusyPeriod {
            kind: BusyType::BusyUnavailable,
            start: utc(2024, 1, 1, 10, 0),
            end: utc(2024, 1, 1, 12, 0)
        }]
    );
}

#[test]
fn a_vtimezone_known_by_its_location_converts_to_utc() {
    // The TZID names no zone; X-LIC-LOCATION does (as Evolution and Thunderbird write it).
    let o = object(
        "BEGIN:VTIMEZONE\nTZID:Office time\nX-LIC-LOCATION:Europe/Berlin\nBEGIN:STANDARD\nDTSTART:19701025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE\n\
         BEGIN:VEVENT\nUID:z\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=Office time:20240701T090000\nDTEND;TZID=Office time:20240701T100000\nEND:VEVENT",
    );
    let range = TimeRange::new(utc(2024, 7, 1, 0, 0), utc(2024, 7, 2, 0, 0));
    let text = expand_instances(&o, &range, Tz::UTC).to_string();
    assert!(text.contains("DTSTART:20240701T070000Z"), "{text}");
    assert!(text.contains("DTEND:20240701T080000Z"), "{text}");
    assert!(!text.contains("RECURRENCE-ID"), "{text}");
}
