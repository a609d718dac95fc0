//! Expansion near a range (`expand_window`): a series that began long before the range still
//! matches it (the old bug: expansion stopped after `MAX_INSTANCES` instances from DTSTART), and
//! on random rules, zones, EXDATEs, RDATEs and THISANDFUTURE overrides the instances that
//! overlap the range are exactly those of the full expansion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{object, utc};
use malt_calendar::filter::{CompFilter, matches};
use malt_calendar::freebusy::busy_periods;
use malt_calendar::output::expand_instances;
use malt_calendar::recur::MAX_INSTANCES;
use malt_calendar::{Occurrence, TimeRange, Tz, expand, expand_window};
use proptest::prelude::*;

fn query(range: TimeRange) -> CompFilter {
    CompFilter {
        name: "VCALENDAR".into(),
        comp_filters: vec![CompFilter {
            time_range: Some(range),
            ..CompFilter::named("VEVENT")
        }],
        ..CompFilter::default()
    }
}

#[test]
fn a_daily_series_since_1990_matches_a_week_of_2026() {
    let o = object(
        "BEGIN:VEVENT\nUID:old\nDTSTAMP:20250101T000000Z\nDTSTART;TZID=Europe/Berlin:19900101T080000\n\
         DURATION:PT30M\nRRULE:FREQ=DAILY\nEND:VEVENT",
    );
    let week = TimeRange::new(utc(2026, 3, 2, 0, 0), utc(2026, 3, 9, 0, 0));
    assert!(matches(&o, &query(week), Tz::UTC));
    let window = expand_window(&o, Tz::UTC, week.start, week.end);
    let inside: Vec<&Occurrence> = window
        .occurrences
        .iter()
        .filter(|o| o.test.overlaps(&week))
        .collect();
    assert_eq!(inside.len(), 7);
    // 08:00 in Berlin is 07:00 UTC in winter.
    assert_eq!(inside[0].start, Some(utc(2026, 3, 2, 7, 0)));
    assert_eq!(inside[0].recurrence_id, utc(2026, 3, 2, 7, 0));
    // The expansion is near the range, not 13,000 instances long.
    assert!(window.occurrences.len() < 20, "{}", window.occurrences.len());
    // expand and free-busy see the week too.
    let expanded = expand_instances(&o, &week, Tz::UTC).to_string();
    assert_eq!(expanded.matches("BEGIN:VEVENT").count(), 7, "{expanded}");
    assert!(expanded.contains("RECURRENCE-ID:20260302T070000Z"), "{expanded}");
    assert_eq!(busy_periods(&o, week.lo(), week.hi(), Tz::UTC).len(), 7);
}

#[test]
fn an_hourly_series_since_2020_matches_an_hour_of_2026() {
    let o = object(
        "BEGIN:VEVENT\nUID:hourly\nDTSTAMP:20250101T000000Z\nDTSTART:20200101T000500Z\n\
         DTEND:20200101T001000Z\nRRULE:FREQ=HOURLY;INTERVAL=3\nEXDATE:20260601T030500Z\nEND:VEVENT",
    );
    // 2026-06-01 00:05 is an instance (every 3 hours from midnight), 03:05 is excluded.
    let hit = TimeRange::new(utc(2026, 6, 1, 0, 0), utc(2026, 6, 1, 1, 0));
    let excluded = TimeRange::new(utc(2026, 6, 1, 3, 0), utc(2026, 6, 1, 4, 0));
    let between = TimeRange::new(utc(2026, 6, 1, 1, 0), utc(2026, 6, 1, 3, 0));
    assert!(matches(&o, &query(hit), Tz::UTC));
    assert!(!matches(&o, &query(excluded), Tz::UTC));
    assert!(!matches(&o, &query(between), Tz::UTC));
}

#[test]
fn a_thisandfuture_override_long_ago_still_shapes_recent_instances() {
    // From 2000-01-01 on, the 08:00 daily meeting is at 10:00 and lasts two hours.
    let o = object(
        "BEGIN:VEVENT\nUID:moved\nDTSTAMP:20250101T000000Z\nDTSTART:19900101T080000Z\n\
         DURATION:PT30M\nRRULE:FREQ=DAILY\nEND:VEVENT\n\
         BEGIN:VEVENT\nUID:moved\nDTSTAMP:20250101T000000Z\nRECURRENCE-ID;RANGE=THISANDFUTURE:20000101T080000Z\n\
         DTSTART:20000101T100000Z\nDURATION:PT2H\nEND:VEVENT",
    );
    assert!(matches(
        &o,
        &query(TimeRange::new(utc(2026, 3, 2, 11, 0), utc(2026, 3, 2, 11, 30))),
        Tz::UTC
    ));
    assert!(!matches(
        &o,
        &query(TimeRange::new(utc(2026, 3, 2, 8, 0), utc(2026, 3, 2, 9, 0))),
        Tz::UTC
    ));
}

const FREQS: [&str; 7] = [
    "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY",
];
const UNIT: [i64; 7] = [1, 60, 3600, 86_400, 7 * 86_400, 31 * 86_400, 366 * 86_400];
const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
const STARTS: [&str; 5] = [
    ":20240131T090000Z",
    ";TZID=Europe/Paris:20240229T233000",
    ";TZID=America/New_York:20240310T013000",
    ":20240115T090000",
    ";VALUE=DATE:20240131",
];

/// A random recurring event: DTSTART in UTC, a zone, floating or a DATE; a rule without COUNT
/// (BYDAY, BYMONTHDAY, BYHOUR, UNTIL); an EXDATE and an RDATE; a THISANDFUTURE override.
fn any_event() -> impl Strategy<Value = (String, usize)> {
    (
        0..FREQS.len(),
        1u32..4,
        prop::collection::vec(0..DAYS.len(), 0..3),
        prop::option::of(-3i32..29),
        prop::option::of(0u32..24),
        prop::option::of(1i64..2000),
        0..STARTS.len(),
        (1i64..3000, prop::option::of(1i64..400), prop::option::of(1i64..400)),
        prop::option::of((1i64..400, -3000i64..3000, 1i64..500)),
    )
        .prop_map(|(f, interval, days, monthday, hour, until, start, (minutes, exdate, rdate), moved)| {
            let mut rule = format!("FREQ={};INTERVAL={interval}", FREQS[f]);
            if let Some(steps) = until {
                let at = utc(2024, 1, 1, 0, 0) + steps * UNIT[f] * i64::from(interval);
                rule.push_str(&format!(";UNTIL={}", stamp(at.min(utc(2300, 1, 1, 0, 0)))));
            }
            if !days.is_empty() {
                let names: Vec<&str> = days.iter().map(|&d| DAYS[d]).collect();
                rule.push_str(&format!(";BYDAY={}", names.join(",")));
            }
            if let Some(m) = monthday.filter(|m| *m != 0) {
                rule.push_str(&format!(";BYMONTHDAY={m}"));
            }
            if let Some(h) = hour.filter(|_| (1..3).contains(&f)) {
                rule.push_str(&format!(";BYHOUR={h}"));
            }
            let dtstart = STARTS[start];
            let date = dtstart.starts_with(";VALUE=DATE");
            let mut text = format!(
                "BEGIN:VEVENT\nUID:w\nDTSTAMP:20240101T000000Z\nDTSTART{dtstart}\nDURATION:{}\nRRULE:{rule}\n",
                if date { format!("P{}D", minutes % 3 + 1) } else { format!("PT{minutes}M") }
            );
            let base = utc(2024, 1, 31, 9, 0);
            if let Some(k) = exdate.filter(|_| !date) {
                text.push_str(&format!("EXDATE:{}\n", stamp(base + k * UNIT[f])));
            }
            if let Some(k) = rdate.filter(|_| !date) {
                text.push_str(&format!("RDATE:{}\n", stamp(base + k * UNIT[f] + 1234)));
            }
            text.push_str("END:VEVENT\n");
            if let Some((k, shift_minutes, length)) = moved.filter(|_| !date) {
                let rid = base + k * UNIT[f];
                text.push_str(&format!(
                    "BEGIN:VEVENT\nUID:w\nDTSTAMP:20240101T000000Z\nRECURRENCE-ID;RANGE=THISANDFUTURE:{}\n\
                     DTSTART:{}\nDURATION:PT{length}M\nEND:VEVENT\n",
                    stamp(rid),
                    stamp(rid + shift_minutes * 60)
                ));
            }
            (text, f)
        })
}

fn stamp(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, max_global_rejects: 4096, ..ProptestConfig::default() })]

    #[test]
    fn window_agrees_with_full_expansion(
        (text, f) in any_event(),
        offset in 0i64..2_000,
        within in 0i64..1_000,
        length in 1i64..2_000,
        floating_paris in any::<bool>(),
    ) {
        let o = object(&text);
        let floating = if floating_paris { Tz::Tz(chrono_tz::Europe::Paris) } else { Tz::UTC };
        // Somewhere in the offset-th period, up to 20 periods long.
        let start = utc(2024, 1, 1, 0, 0) + offset * UNIT[f] + UNIT[f] * within / 1_000;
        let range = TimeRange::new(start, start + 1 + UNIT[f] * length / 100);
        let full = expand(&o, floating, range.end);
        // The oracle must be whole up to the range's end.
        prop_assume!(full.occurrences.len() < MAX_INSTANCES);
        let window = expand_window(&o, floating, range.start, range.end);
        let want: Vec<&Occurrence> = full.occurrences.iter().filter(|o| o.test.overlaps(&range)).collect();
        let got: Vec<&Occurrence> = window.occurrences.iter().filter(|o| o.test.overlaps(&range)).collect();
        prop_assert_eq!(&got, &want, "{}", text);
        // Nothing is made up: every windowed instance is one of the full expansion.
        for occurrence in &window.occurrences {
            prop_assert!(full.occurrences.contains(occurrence), "{:?}\n{}", occurrence, text);
        }
        prop_assert_eq!(matches(&o, &query(range), floating), !want.is_empty());
    }
}
