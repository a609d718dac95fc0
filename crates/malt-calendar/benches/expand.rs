//! Expansion speed (figures in docs/dav-calendar.md): a weekly event in a time zone over a year (52 instances, one override, one
//! EXDATE), the occurrence span of a daily event with no end (expanded to MAX_INSTANCES), and a
//! one-week time-range query on a daily event that began in 1990 (expanded near the range only).
//! `cargo bench -p malt-calendar --bench expand` prints the figures; no criterion, a timed loop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use malt_calendar::filter::{CompFilter, matches};
use malt_calendar::{CalendarObject, TimeRange, Tz, expand, occurrence_span};

const WEEKLY: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//malt//bench//EN\r\n\
BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20250101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20250106T093000\r\n\
DTEND;TZID=Europe/Berlin:20250106T100000\r\nRRULE:FREQ=WEEKLY;UNTIL=20251231T000000Z\r\n\
EXDATE;TZID=Europe/Berlin:20250421T093000\r\nSUMMARY:Team sync\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20250101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20250317T093000\r\n\
DTSTART;TZID=Europe/Berlin:20250317T140000\r\nDTEND;TZID=Europe/Berlin:20250317T143000\r\nSUMMARY:Team sync (moved)\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

const DAILY_FOREVER: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//malt//bench//EN\r\n\
BEGIN:VEVENT\r\nUID:daily\r\nDTSTAMP:20250101T000000Z\r\nDTSTART;TZID=America/New_York:20000101T080000\r\n\
DURATION:PT15M\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

const DAILY_SINCE_1990: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//malt//bench//EN\r\n\
BEGIN:VEVENT\r\nUID:old\r\nDTSTAMP:20250101T000000Z\r\nDTSTART;TZID=Europe/Berlin:19900101T080000\r\n\
DURATION:PT30M\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

/// Run `f` for about a second and print runs per second and time per run.
fn time(name: &str, mut f: impl FnMut()) {
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        f();
        runs += 1;
    }
    let per_run = start.elapsed() / u32::try_from(runs).unwrap_or(u32::MAX);
    println!(
        "{name}: {runs} runs in {:?} ({per_run:?} per run)",
        start.elapsed()
    );
}

fn main() {
    let weekly = CalendarObject::parse(WEEKLY.as_bytes()).unwrap();
    assert_eq!(expand(&weekly, Tz::UTC, None).occurrences.len(), 51);
    time("parse + expand weekly event over a year", || {
        let object = CalendarObject::parse(black_box(WEEKLY).as_bytes()).unwrap();
        black_box(expand(&object, Tz::UTC, None));
    });
    time("expand weekly event over a year (parsed once)", || {
        black_box(expand(black_box(&weekly), Tz::UTC, None));
    });
    let week = TimeRange::new(1_747_000_000, 1_747_000_000 + 7 * 86_400);
    let query = CompFilter {
        name: "VCALENDAR".into(),
        comp_filters: vec![CompFilter {
            time_range: Some(week),
            ..CompFilter::named("VEVENT")
        }],
        ..CompFilter::default()
    };
    time("time-range query for one week on the weekly event", || {
        black_box(matches(black_box(&weekly), &query, Tz::UTC));
    });
    let daily = CalendarObject::parse(DAILY_FOREVER.as_bytes()).unwrap();
    time(
        "occurrence span of an endless daily event (MAX_INSTANCES)",
        || {
            black_box(occurrence_span(black_box(&daily)));
        },
    );
    let old = CalendarObject::parse(DAILY_SINCE_1990.as_bytes()).unwrap();
    // 2026-03-02 to 2026-03-09 (UTC): 7 instances, 13,209 days after DTSTART.
    let recent = TimeRange::new(1_772_409_600, 1_772_409_600 + 7 * 86_400);
    let recent_query = CompFilter {
        name: "VCALENDAR".into(),
        comp_filters: vec![CompFilter {
            time_range: Some(recent),
            ..CompFilter::named("VEVENT")
        }],
        ..CompFilter::default()
    };
    println!(
        "daily event since 1990 matches a week of 2026: {}",
        matches(&old, &recent_query, Tz::UTC)
    );
    time(
        "time-range query for one week of 2026 on a daily event since 1990",
        || {
            black_box(matches(black_box(&old), &recent_query, Tz::UTC));
        },
    );
}
