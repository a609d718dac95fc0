//! calendar-query filters (RFC 4791 §9.7) evaluated against objects, including the examples of
//! RFC 4791 §7.8 (time-range on events, alarms, text-match on ATTENDEE, is-not-defined).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use malt_calendar::filter::{CompFilter, ParamFilter, PropFilter, matches};
use malt_calendar::text::{Collation, TextMatch};
use malt_calendar::{CalendarObject, TimeRange, Tz};

/// `VCALENDAR > name` with the given time-range.
fn query(name: &str, range: Option<TimeRange>) -> CompFilter {
    CompFilter {
        name: "VCALENDAR".into(),
        comp_filters: vec![CompFilter {
            name: name.into(),
            time_range: range,
            ..CompFilter::default()
        }],
        ..CompFilter::default()
    }
}

fn weekly_meeting() -> CalendarObject {
    object(
        "BEGIN:VEVENT\nUID:m\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T090000Z\nDTEND:20240101T100000Z\nRRULE:FREQ=WEEKLY;COUNT=10\nSUMMARY:Planning Meeting\n\
         ATTENDEE;PARTSTAT=ACCEPTED;CN=Cyrus Daboo:mailto:cyrus@example.com\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:lisa@example.com\n\
         BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:soon\nTRIGGER:-PT15M\nEND:VALARM\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:m\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID:20240115T090000Z\nDTSTART:20240115T140000Z\nDTEND:20240115T150000Z\nSUMMARY:Planning Meeting (moved)\nEND:VEVENT",
    )
}

#[test]
fn time_range_matches_expanded_instances_only() {
    let o = weekly_meeting();
    // The third week's instance moved to 14:00: 09:00-10:00 that day no longer matches.
    let at = |h1, h2| TimeRange::new(utc(2024, 1, 15, h1, 0), utc(2024, 1, 15, h2, 0));
    assert!(!matches(&o, &query("VEVENT", Some(at(9, 10))), Tz::UTC));
    assert!(matches(&o, &query("VEVENT", Some(at(14, 15))), Tz::UTC));
    // The eighth week.
    let week8 = TimeRange::new(utc(2024, 2, 19, 0, 0), utc(2024, 2, 20, 0, 0));
    assert!(matches(&o, &query("VEVENT", Some(week8)), Tz::UTC));
    // After the tenth.
    let after = TimeRange::new(utc(2024, 3, 12, 0, 0), utc(2024, 12, 31, 0, 0));
    assert!(!matches(&o, &query("VEVENT", Some(after)), Tz::UTC));
    // Open-ended ranges.
    let from = TimeRange {
        start: Some(utc(2024, 3, 4, 9, 30)),
        end: None,
    };
    assert!(matches(&o, &query("VEVENT", Some(from)), Tz::UTC));
    assert!(!matches(&o, &query("VTODO", None), Tz::UTC));
    assert!(matches(&o, &query("VEVENT", None), Tz::UTC));
}

#[test]
fn is_not_defined_on_components_and_properties() {
    let o = weekly_meeting();
    let mut no_todo = query("VTODO", None);
    if let Some(f) = no_todo.comp_filters.first_mut() {
        f.is_not_defined = true;
    }
    assert!(matches(&o, &no_todo, Tz::UTC));
    let with_prop = |name: &str, not: bool| CompFilter {
        name: "VCALENDAR".into(),
        comp_filters: vec![CompFilter {
            name: "VEVENT".into(),
            prop_filters: vec![PropFilter {
                name: name.into(),
                is_not_defined: not,
                ..PropFilter::default()
            }],
            ..CompFilter::default()
        }],
        ..CompFilter::default()
    };
    assert!(matches(&o, &with_prop("ATTENDEE", false), Tz::UTC));
    // The override has no ATTENDEE: some VEVENT lacks it.
    assert!(matches(&o, &with_prop("ATTENDEE", true), Tz::UTC));
    assert!(!matches(&o, &with_prop("LOCATION", false), Tz::UTC));
}

#[test]
fn alarm_triggers_in_range() {
    // RFC 4791 §7.8.5-style query: events with an alarm firing in the range.
    let o = weekly_meeting();
    let alarm_query = |range| CompFilter {
        name: "VCALENDAR".into(),
        comp_filters: vec![CompFilter {
            name: "VEVENT".into(),
            comp_filters: vec![CompFilter {
                name: "VALARM".into(),
                time_range: Some(range),
                ..CompFilter::default()
            }],
            ..CompFilter::default()
        }],
        ..CompFilter::default()
    };
    // The alarm of the first instance fires at 08:45.
    let fires = TimeRange::new(utc(2024, 1, 1, 8, 40), utc(2024, 1, 1, 8, 50));
    assert!(matches(&o, &alarm_query(fires), Tz::UTC));
    let silent = TimeRange::new(utc(2024, 1, 1, 8, 50), utc(2024, 1, 1, 9, 30));
    assert!(!matches(&o, &alarm_query(silent), Tz::UTC));
    // The moved instance has no alarm of its own (the override carries none).
    let moved = TimeRange::new(utc(2024, 1, 15, 13, 40), utc(2024, 1, 15, 13, 50));
    assert!(!matches(&o, &alarm_query(moved), Tz::UTC));
}

#[test]
fn text_match_and_param_filter_on_attendees() {
    // RFC 4791 §7.8.6-style: events where an attendee has not answered.
    let o = weekly_meeting();
    let attendee = |text: &str, partstat: &str, negate: bool| CompFilter {
        name: "VCALENDAR".into(),
        comp_filters: vec![CompFilter {
            name: "VEVENT".into(),
            prop_filters: vec![PropFilter {
                name: "ATTENDEE".into(),
                text_match: Some(TextMatch {
                    negate,
                    ..TextMatch::contains(text, Collation::AsciiCasemap)
                }),
                param_filters: vec![ParamFilter {
                    name: "PARTSTAT".into(),
                    text_match: Some(TextMatch::contains(partstat, Collation::AsciiCasemap)),
                    ..ParamFilter::default()
                }],
                ..PropFilter::default()
            }],
            ..CompFilter::default()
        }],
        ..CompFilter::default()
    };
    assert!(matches(
        &o,
        &attendee("mailto:LISA@example.com", "NEEDS-ACTION", false),
        Tz::UTC
    ));
    assert!(!matches(
        &o,
        &attendee("mailto:lisa@example.com", "ACCEPTED", false),
        Tz::UTC
    ));
    assert!(matches(
        &o,
        &attendee("mailto:lisa@example.com", "ACCEPTED", true),
        Tz::UTC
    ));
    let summary = |text: &str, collation| CompFilter {
        name: "VCALENDAR".into(),
        comp_filters: vec![CompFilter {
            name: "VEVENT".into(),
            prop_filters: vec![PropFilter {
                name: "SUMMARY".into(),
                text_match: Some(TextMatch::contains(text, collation)),
                ..PropFilter::default()
            }],
            ..CompFilter::default()
        }],
        ..CompFilter::default()
    };
    assert!(matches(
        &o,
        &summary("planning", Collation::AsciiCasemap),
        Tz::UTC
    ));
    assert!(!matches(&o, &summary("planning", Collation::Octet), Tz::UTC));
    assert!(matches(&o, &summary("(moved)", Collation::Octet), Tz::UTC));
}

#[test]
fn property_time_range_and_floating_zone() {
    // A floating event at 09:00 is 08:00 UTC in Paris (winter), 09:00 UTC when read in UTC.
    let o = object(
        "BEGIN:VEVENT\nUID:f\nDTSTAMP:20240101T000000Z\nDTSTART:20240110T090000\nDURATION:PT30M\nEND:VEVENT",
    );
    let eight = TimeRange::new(utc(2024, 1, 10, 8, 0), utc(2024, 1, 10, 8, 30));
    assert!(!matches(&o, &query("VEVENT", Some(eight)), Tz::UTC));
    assert!(matches(
        &o,
        &query("VEVENT", Some(eight)),
        Tz::Tz(chrono_tz::Europe::Paris)
    ));
    let dtstamp = CompFilter {
        name: "VCALENDAR".into(),
        comp_filters: vec![CompFilter {
            name: "VEVENT".into(),
            prop_filters: vec![PropFilter {
                name: "DTSTAMP".into(),
                time_range: Some(TimeRange::new(utc(2024, 1, 1, 0, 0), utc(2024, 1, 1, 0, 1))),
                ..PropFilter::default()
            }],
            ..CompFilter::default()
        }],
        ..CompFilter::default()
    };
    assert!(matches(&o, &dtstamp, Tz::UTC));
}

#[test]
fn todo_queries_follow_the_todo_table() {
    // RFC 4791 §7.8.9-style: incomplete tasks.
    let open = object(
        "BEGIN:VTODO\nUID:a\nDTSTAMP:20240101T000000Z\nDUE:20240105T170000Z\nSTATUS:NEEDS-ACTION\nEND:VTODO",
    );
    let no_status = object("BEGIN:VTODO\nUID:c\nDTSTAMP:20240101T000000Z\nDUE:20240105T170000Z\nEND:VTODO");
    let done = object(
        "BEGIN:VTODO\nUID:b\nDTSTAMP:20240101T000000Z\nDUE:20240105T170000Z\nCOMPLETED:20240104T120000Z\nSTATUS:COMPLETED\nEND:VTODO",
    );
    let incomplete = CompFilter {
        name: "VCALENDAR".into(),
        comp_filters: vec![CompFilter {
            name: "VTODO".into(),
            prop_filters: vec![
                PropFilter {
                    name: "COMPLETED".into(),
                    is_not_defined: true,
                    ..PropFilter::default()
                },
                PropFilter {
                    name: "STATUS".into(),
                    text_match: Some(TextMatch {
                        negate: true,
                        ..TextMatch::contains("CANCELLED", Collation::AsciiCasemap)
                    }),
                    ..PropFilter::default()
                },
            ],
            ..CompFilter::default()
        }],
        ..CompFilter::default()
    };
    assert!(matches(&open, &incomplete, Tz::UTC));
    assert!(!matches(&done, &incomplete, Tz::UTC));
    // §9.7.2 read literally: a text-match needs the property, negated or not.
    assert!(!matches(&no_status, &incomplete, Tz::UTC));
    // DUE-only: start < DUE AND end >= DUE.
    let due = utc(2024, 1, 5, 17, 0);
    assert!(matches(
        &open,
        &query("VTODO", Some(TimeRange::new(due - 1, due))),
        Tz::UTC
    ));
    assert!(!matches(
        &open,
        &query("VTODO", Some(TimeRange::new(due, due + 10))),
        Tz::UTC
    ));
}

#[test]
fn journal_and_freebusy_time_ranges() {
    // VJOURNAL: a DATE is its whole day; no DTSTART never matches.
    let dated =
        object("BEGIN:VJOURNAL\nUID:j\nDTSTAMP:20240101T000000Z\nDTSTART;VALUE=DATE:20240110\nEND:VJOURNAL");
    let undated = object("BEGIN:VJOURNAL\nUID:k\nDTSTAMP:20240101T000000Z\nSUMMARY:x\nEND:VJOURNAL");
    let evening = TimeRange::new(utc(2024, 1, 10, 20, 0), utc(2024, 1, 10, 21, 0));
    assert!(matches(&dated, &query("VJOURNAL", Some(evening)), Tz::UTC));
    assert!(!matches(
        &dated,
        &query(
            "VJOURNAL",
            Some(TimeRange::new(utc(2024, 1, 11, 0, 0), utc(2024, 1, 12, 0, 0)))
        ),
        Tz::UTC
    ));
    assert!(!matches(&undated, &query("VJOURNAL", Some(evening)), Tz::UTC));
    assert!(matches(&undated, &query("VJOURNAL", None), Tz::UTC));
    // VFREEBUSY: DTSTART/DTEND with an inclusive end, else its FREEBUSY periods.
    let window = object(
        "BEGIN:VFREEBUSY\nUID:f\nDTSTAMP:20240101T000000Z\nDTSTART:20240110T080000Z\nDTEND:20240110T180000Z\nEND:VFREEBUSY",
    );
    let at_end = TimeRange::new(utc(2024, 1, 10, 18, 0), utc(2024, 1, 10, 19, 0));
    assert!(matches(&window, &query("VFREEBUSY", Some(at_end)), Tz::UTC));
    let periods = object(
        "BEGIN:VFREEBUSY\nUID:g\nDTSTAMP:20240101T000000Z\nFREEBUSY:20240110T080000Z/PT1H,20240110T150000Z/PT1H\nEND:VFREEBUSY",
    );
    let between = TimeRange::new(utc(2024, 1, 10, 10, 0), utc(2024, 1, 10, 14, 0));
    assert!(!matches(&periods, &query("VFREEBUSY", Some(between)), Tz::UTC));
    let second = TimeRange::new(utc(2024, 1, 10, 15, 30), utc(2024, 1, 10, 15, 45));
    assert!(matches(&periods, &query("VFREEBUSY", Some(second)), Tz::UTC));
}
