//! Recurrence expansion beyond the RFC's RRULE examples: overrides, RDATE/EXDATE, zones, all-day
//! and floating times, DTEND against DURATION, the VTODO rules, and the occurrence span.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono_tz::Europe::Paris;
use common::*;
use malt_calendar::recur::{MAX_INSTANCES, MAX_UTC_OFFSET};
use malt_calendar::{Span, TimeRange, TimeTest, Tz, expand, occurrence_span};

fn paris(y: i32, m: u32, d: u32, h: u32) -> i64 {
    local(Paris, y, m, d, h, 0)
}

const PARIS_TZ: &str = "BEGIN:VTIMEZONE\nTZID:Europe/Paris\nX-LIC-LOCATION:Europe/Paris\nBEGIN:DAYLIGHT\nDTSTART:19700329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nEND:DAYLIGHT\nBEGIN:STANDARD\nDTSTART:19701025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\nEND:VTIMEZONE";

#[test]
fn weekly_event_keeps_local_time_across_dst_and_overrides_apply() {
    let object = object(&format!(
        "{PARIS_TZ}\n\
         BEGIN:VEVENT\nUID:w\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=Europe/Paris:20240321T090000\nDTEND;TZID=Europe/Paris:20240321T100000\nRRULE:FREQ=WEEKLY;COUNT=4\nEXDATE;TZID=Europe/Paris:20240404T090000\nSUMMARY:Weekly\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:w\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID;TZID=Europe/Paris:20240328T090000\nDTSTART;TZID=Europe/Paris:20240328T140000\nDTEND;TZID=Europe/Paris:20240328T160000\nSUMMARY:Moved\nEND:VEVENT"
    ));
    let expansion = expand(&object, Tz::UTC, None);
    assert!(expansion.complete);
    let got: Vec<(i64, Option<i64>, i64, bool)> = expansion
        .occurrences
        .iter()
        .map(|o| (o.start.unwrap(), o.end, o.recurrence_id, o.overridden))
        .collect();
    assert_eq!(
        got,
        vec![
            // 09:00 CET (UTC+1) before the change...
            (
                paris(2024, 3, 21, 9),
                Some(paris(2024, 3, 21, 10)),
                paris(2024, 3, 21, 9),
                false
            ),
            // ...the override, moved to the afternoon and two hours long...
            (
                paris(2024, 3, 28, 14),
                Some(paris(2024, 3, 28, 16)),
                paris(2024, 3, 28, 9),
                true
            ),
            // ...April 4 excluded, and 09:00 CEST (UTC+2) after the change.
            (
                paris(2024, 4, 11, 9),
                Some(paris(2024, 4, 11, 10)),
                paris(2024, 4, 11, 9),
                false
            ),
        ]
    );
    assert_eq!(utc(2024, 3, 21, 8, 0), paris(2024, 3, 21, 9));
    assert_eq!(utc(2024, 4, 11, 7, 0), paris(2024, 4, 11, 9));
}

#[test]
fn this_and_future_moves_every_later_instance() {
    let object = object(
        "BEGIN:VEVENT\nUID:t\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T100000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=5\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:t\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID;RANGE=THISANDFUTURE:20240103T100000Z\nDTSTART:20240103T120000Z\nDURATION:PT30M\nSUMMARY:Later\nEND:VEVENT",
    );
    let expansion = expand(&object, Tz::UTC, None);
    let starts: Vec<(i64, i64)> = expansion
        .occurrences
        .iter()
        .map(|o| (o.start.unwrap(), o.end.unwrap() - o.start.unwrap()))
        .collect();
    assert_eq!(
        starts,
        vec![
            (utc(2024, 1, 1, 10, 0), 3600),
            (utc(2024, 1, 2, 10, 0), 3600),
            (utc(2024, 1, 3, 12, 0), 1800),
            (utc(2024, 1, 4, 12, 0), 1800),
            (utc(2024, 1, 5, 12, 0), 1800),
        ]
    );
    assert!(expansion.occurrences.iter().skip(2).all(|o| o.overridden));
}

#[test]
fn rdate_dates_and_periods_join_the_set() {
    let object = object(
        "BEGIN:VEVENT\nUID:r\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T100000Z\nDTEND:20240101T110000Z\nRDATE:20240110T100000Z,20240120T100000Z\nRDATE;VALUE=PERIOD:20240201T080000Z/PT4H\nEND:VEVENT",
    );
    let got: Vec<(i64, i64)> = expand(&object, Tz::UTC, None)
        .occurrences
        .iter()
        .map(|o| (o.start.unwrap(), o.end.unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            (utc(2024, 1, 1, 10, 0), utc(2024, 1, 1, 11, 0)),
            (utc(2024, 1, 10, 10, 0), utc(2024, 1, 10, 11, 0)),
            (utc(2024, 1, 20, 10, 0), utc(2024, 1, 20, 11, 0)),
            (utc(2024, 2, 1, 8, 0), utc(2024, 2, 1, 12, 0)),
        ]
    );
}

#[test]
fn all_day_and_floating_times_follow_the_floating_zone() {
    let object = object(
        "BEGIN:VEVENT\nUID:d\nDTSTAMP:20240101T000000Z\nDTSTART;VALUE=DATE:20240301\nRRULE:FREQ=YEARLY;COUNT=2\nEND:VEVENT",
    );
    let in_utc = expand(&object, Tz::UTC, None);
    let first = in_utc.occurrences.first().unwrap();
    assert!(first.all_day);
    assert_eq!(
        first.test,
        TimeTest::Overlap {
            start: utc(2024, 3, 1, 0, 0),
            end: utc(2024, 3, 2, 0, 0)
        }
    );
    let in_paris = expand(&object, Tz::Tz(Paris), None);
    assert_eq!(
        in_paris.occurrences.first().unwrap().start,
        Some(paris(2024, 3, 1, 0))
    );
    assert!(in_paris.has_floating);
    // The span is widened so that any collection zone stays inside it.
    let span = occurrence_span(&object).unwrap();
    assert_eq!(span.start, utc(2024, 3, 1, 0, 0) - MAX_UTC_OFFSET);
    assert_eq!(span.end, Some(utc(2025, 3, 2, 0, 0) + MAX_UTC_OFFSET));
}

#[test]
fn event_length_from_dtend_duration_or_nothing() {
    let test_of = |lines: &str| {
        let o = object(&format!(
            "BEGIN:VEVENT\nUID:l\nDTSTAMP:20240101T000000Z\n{lines}\nEND:VEVENT"
        ));
        expand(&o, Tz::UTC, None).occurrences.first().unwrap().test
    };
    let s = utc(2024, 5, 1, 9, 0);
    assert_eq!(
        test_of("DTSTART:20240501T090000Z\nDTEND:20240501T093000Z"),
        TimeTest::Overlap {
            start: s,
            end: s + 1800
        }
    );
    assert_eq!(
        test_of("DTSTART:20240501T090000Z\nDURATION:PT45M"),
        TimeTest::Overlap {
            start: s,
            end: s + 2700
        }
    );
    assert_eq!(
        test_of("DTSTART:20240501T090000Z\nDURATION:PT0S"),
        TimeTest::Instant { at: s }
    );
    assert_eq!(test_of("DTSTART:20240501T090000Z"), TimeTest::Instant { at: s });
    // P1D over a DST change is a calendar day, not 24 hours (RFC 5545 §3.3.6).
    let o = object(
        "BEGIN:VEVENT\nUID:l\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=Europe/Paris:20240330T120000\nDURATION:P1D\nEND:VEVENT",
    );
    let occ = expand(&o, Tz::UTC, None).occurrences.first().cloned().unwrap();
    assert_eq!(occ.end.unwrap() - occ.start.unwrap(), 23 * 3600);
}

#[test]
fn todo_tests_follow_rfc_4791_table() {
    let test_of = |lines: &str| {
        let o = object(&format!(
            "BEGIN:VTODO\nUID:t\nDTSTAMP:20240101T000000Z\n{lines}\nEND:VTODO"
        ));
        expand(&o, Tz::UTC, None).occurrences.first().unwrap().test
    };
    let s = utc(2024, 5, 1, 9, 0);
    let due = utc(2024, 5, 3, 9, 0);
    assert_eq!(
        test_of("DTSTART:20240501T090000Z\nDURATION:PT1H"),
        TimeTest::TodoStartDuration {
            start: s,
            end: s + 3600
        }
    );
    assert_eq!(
        test_of("DTSTART:20240501T090000Z\nDUE:20240503T090000Z"),
        TimeTest::TodoStartDue { start: s, due }
    );
    assert_eq!(test_of("DTSTART:20240501T090000Z"), TimeTest::Instant { at: s });
    assert_eq!(test_of("DUE:20240503T090000Z"), TimeTest::TodoDue { due });
    assert_eq!(
        test_of("CREATED:20240501T090000Z\nCOMPLETED:20240503T090000Z"),
        TimeTest::TodoCreatedCompleted {
            created: s,
            completed: due
        }
    );
    assert_eq!(
        test_of("COMPLETED:20240503T090000Z"),
        TimeTest::TodoCompleted { completed: due }
    );
    assert_eq!(
        test_of("CREATED:20240501T090000Z"),
        TimeTest::TodoCreated { created: s }
    );
    assert_eq!(test_of("SUMMARY:whenever"), TimeTest::Always);
    // A recurring task: DUE moves with each instance.
    let o = object(
        "BEGIN:VTODO\nUID:t\nDTSTAMP:20240101T000000Z\nDTSTART:20240501T090000Z\nDUE:20240501T170000Z\nRRULE:FREQ=WEEKLY;COUNT=2\nEND:VTODO",
    );
    let tests: Vec<TimeTest> = expand(&o, Tz::UTC, None)
        .occurrences
        .iter()
        .map(|o| o.test)
        .collect();
    let week = 7 * 86_400;
    assert_eq!(
        tests,
        vec![
            TimeTest::TodoStartDue {
                start: s,
                due: s + 8 * 3600
            },
            TimeTest::TodoStartDue {
                start: s + week,
                due: s + week + 8 * 3600
            },
        ]
    );
}

#[test]
fn unbounded_rules_are_capped_and_their_span_is_open() {
    let o = object(
        "BEGIN:VEVENT\nUID:u\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=HOURLY\nEND:VEVENT",
    );
    let expansion = expand(&o, Tz::UTC, None);
    assert_eq!(expansion.occurrences.len(), MAX_INSTANCES);
    assert!(!expansion.complete);
    assert_eq!(
        occurrence_span(&o),
        Some(Span {
            start: utc(2024, 1, 1, 9, 0),
            end: None
        })
    );
    // Asked only up to a date, the expansion stops there.
    let until = utc(2024, 1, 2, 9, 0);
    let short = expand(&o, Tz::UTC, Some(until));
    assert_eq!(short.occurrences.len(), 25);
    assert!(!short.complete);
}

#[test]
fn span_of_a_finite_rule_covers_first_start_to_last_end() {
    let o = object(
        "BEGIN:VEVENT\nUID:s\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T090000Z\nDTEND:20240101T100000Z\nRRULE:FREQ=DAILY;UNTIL=20240110T090000Z\nEND:VEVENT",
    );
    let span = occurrence_span(&o).unwrap();
    assert_eq!(
        span,
        Span {
            start: utc(2024, 1, 1, 9, 0),
            end: Some(utc(2024, 1, 10, 10, 0))
        }
    );
    assert!(span.meets(&TimeRange::new(utc(2024, 1, 10, 9, 30), utc(2024, 1, 11, 0, 0))));
    assert!(!span.meets(&TimeRange::new(utc(2024, 1, 10, 10, 1), utc(2024, 1, 11, 0, 0))));
    // A journal without DTSTART never matches a time range: no span.
    let j = object("BEGIN:VJOURNAL\nUID:j\nDTSTAMP:20240101T000000Z\nSUMMARY:note\nEND:VJOURNAL");
    assert_eq!(occurrence_span(&j), None);
}

#[test]
fn extreme_years_and_sizes_stay_bounded() {
    for lines in [
        "DTSTART:99991231T235959Z\nRRULE:FREQ=SECONDLY",
        "DTSTART:00010101T000000Z\nRRULE:FREQ=YEARLY;INTERVAL=65535",
        "DTSTART:20240101T000000Z\nDURATION:P4294967295W\nRRULE:FREQ=DAILY;COUNT=3",
        "DTSTART:20240101T000000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2",
        "DTSTART;TZID=Nowhere/Atlantis:20240101T000000\nRRULE:FREQ=WEEKLY;BYSETPOS=-366;BYDAY=MO",
    ] {
        let o = object(&format!(
            "BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\n{lines}\nEND:VEVENT"
        ));
        let expansion = expand(&o, Tz::UTC, None);
        assert!(expansion.occurrences.len() <= MAX_INSTANCES, "{lines}");
        assert!(
            !expansion.occurrences.is_empty(),
            "{lines}: DTSTART is always an instance"
        );
        let _ = occurrence_span(&o);
    }
}
