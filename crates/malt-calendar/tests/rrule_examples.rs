//! The RRULE examples of RFC 5545 §3.8.5.3, expanded and compared with the instances the RFC
//! lists (in America/New_York, so several cross a DST change).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono_tz::America::New_York;
use common::*;
use malt_calendar::{Tz, expand};

/// The starts of an event with `rule` (and extra lines) from `dtstart` in New York, up to `until`.
fn starts(dtstart: &str, rule_lines: &str, until: i64) -> Vec<i64> {
    let body = format!(
        "BEGIN:VEVENT\nUID:rfc\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=America/New_York:{dtstart}\nDURATION:PT1H\n{rule_lines}\nEND:VEVENT"
    );
    let expansion = expand(&object(&body), Tz::UTC, Some(until));
    expansion
        .occurrences
        .iter()
        .map(|o| o.start.unwrap())
        .filter(|&s| s <= until)
        .collect()
}

fn ny(y: i32, m: u32, d: u32) -> i64 {
    local(New_York, y, m, d, 9, 0)
}

#[test]
fn daily_for_10_occurrences() {
    let got = starts(
        "19970902T090000",
        "RRULE:FREQ=DAILY;COUNT=10",
        utc(2000, 1, 1, 0, 0),
    );
    let want: Vec<i64> = (2..=11).map(|d| ny(1997, 9, d)).collect();
    assert_eq!(got, want);
}

#[test]
fn every_other_week_on_monday_wednesday_friday_across_dst() {
    let got = starts(
        "19970901T090000",
        "RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
        utc(2000, 1, 1, 0, 0),
    );
    let mut want = Vec::new();
    for d in [1, 3, 5, 15, 17, 19, 29] {
        want.push(ny(1997, 9, d));
    }
    for d in [1, 3, 13, 15, 17, 27, 29, 31] {
        want.push(ny(1997, 10, d));
    }
    for d in [10, 12, 14, 24, 26, 28] {
        want.push(ny(1997, 11, d));
    }
    for d in [8, 10, 12, 22] {
        want.push(ny(1997, 12, d));
    }
    assert_eq!(got.len(), 25);
    assert_eq!(got, want);
    // 09:00 local on both sides of the change: 13:00 UTC in EDT, 14:00 UTC in EST.
    assert_eq!(got.first(), Some(&utc(1997, 9, 1, 13, 0)));
    assert_eq!(got.last(), Some(&utc(1997, 12, 22, 14, 0)));
}

#[test]
fn last_work_day_of_the_month() {
    let got = starts(
        "19970930T090000",
        "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        ny(1998, 6, 30),
    );
    let want = vec![
        ny(1997, 9, 30),
        ny(1997, 10, 31),
        ny(1997, 11, 28),
        ny(1997, 12, 31),
        ny(1998, 1, 30),
        ny(1998, 2, 27),
        ny(1998, 3, 31),
        ny(1998, 4, 30),
        ny(1998, 5, 29),
        ny(1998, 6, 30),
    ];
    assert_eq!(got, want);
}

#[test]
fn monthly_on_the_first_friday_for_10_occurrences() {
    let got = starts(
        "19970905T090000",
        "RRULE:FREQ=MONTHLY;COUNT=10;BYDAY=1FR",
        utc(2000, 1, 1, 0, 0),
    );
    let want = vec![
        ny(1997, 9, 5),
        ny(1997, 10, 3),
        ny(1997, 11, 7),
        ny(1997, 12, 5),
        ny(1998, 1, 2),
        ny(1998, 2, 6),
        ny(1998, 3, 6),
        ny(1998, 4, 3),
        ny(1998, 5, 1),
        ny(1998, 6, 5),
    ];
    assert_eq!(got, want);
}

#[test]
fn yearly_in_june_and_july_for_10_occurrences() {
    let got = starts(
        "19970610T090000",
        "RRULE:FREQ=YEARLY;COUNT=10;BYMONTH=6,7",
        utc(2010, 1, 1, 0, 0),
    );
    let want: Vec<i64> = (1997..=2001).flat_map(|y| [ny(y, 6, 10), ny(y, 7, 10)]).collect();
    assert_eq!(got, want);
}

#[test]
fn every_friday_the_13th_with_dtstart_excluded() {
    let got = starts(
        "19970902T090000",
        "EXDATE;TZID=America/New_York:19970902T090000\nRRULE:FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
        ny(2000, 10, 13),
    );
    let want = vec![
        ny(1998, 2, 13),
        ny(1998, 3, 13),
        ny(1998, 11, 13),
        ny(1999, 8, 13),
        ny(2000, 10, 13),
    ];
    assert_eq!(got, want);
}

#[test]
fn every_tuesday_every_other_month() {
    let got = starts(
        "19970902T090000",
        "RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=TU",
        ny(1998, 3, 31),
    );
    let want = vec![
        ny(1997, 9, 2),
        ny(1997, 9, 9),
        ny(1997, 9, 16),
        ny(1997, 9, 23),
        ny(1997, 9, 30),
        ny(1997, 11, 4),
        ny(1997, 11, 11),
        ny(1997, 11, 18),
        ny(1997, 11, 25),
        ny(1998, 1, 6),
        ny(1998, 1, 13),
        ny(1998, 1, 20),
        ny(1998, 1, 27),
        ny(1998, 3, 3),
        ny(1998, 3, 10),
        ny(1998, 3, 17),
        ny(1998, 3, 24),
        ny(1998, 3, 31),
    ];
    assert_eq!(got, want);
}
