//! Property tests of the expansion: it stays within its bound, every instance lies inside the
//! occurrence span, and for simple rules the instances, the span and time-range matching agree
//! with a brute-force computation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use chrono::{Duration, NaiveDate, TimeZone};
use common::object;
use malt_calendar::filter::{CompFilter, matches};
use malt_calendar::recur::MAX_INSTANCES;
use malt_calendar::{Span, TimeRange, Tz, expand, occurrence_span};
use proptest::prelude::*;

const FREQS: [&str; 7] = [
    "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY",
];
const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// Any rule: frequency, interval, an optional COUNT (possibly huge), optional BYDAY and
/// BYMONTHDAY, optional UNTIL.
fn any_rule() -> impl Strategy<Value = String> {
    (
        0..FREQS.len(),
        1u32..4,
        prop::option::of(1u32..30_000),
        prop::collection::vec(0..DAYS.len(), 0..3),
        prop::option::of(-3i32..29),
        prop::option::of(0i64..3000),
    )
        .prop_map(|(f, interval, count, days, monthday, until_days)| {
            let mut rule = format!("FREQ={};INTERVAL={interval}", FREQS[f]);
            if let Some(c) = count {
                rule.push_str(&format!(";COUNT={c}"));
            } else if let Some(d) = until_days {
                let until = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Duration::days(d);
                rule.push_str(&format!(";UNTIL={}T000000Z", until.format("%Y%m%d")));
            }
            if !days.is_empty() {
                let names: Vec<&str> = days.iter().map(|&d| DAYS[d]).collect();
                rule.push_str(&format!(";BYDAY={}", names.join(",")));
            }
            if let Some(m) = monthday.filter(|m| *m != 0) {
                rule.push_str(&format!(";BYMONTHDAY={m}"));
            }
            rule
        })
}

fn event(dtstart: &str, duration_minutes: u32, rule: &str) -> String {
    format!(
        "BEGIN:VEVENT\nUID:p\nDTSTAMP:20240101T000000Z\nDTSTART{dtstart}\nDURATION:PT{duration_minutes}M\nRRULE:{rule}\nEND:VEVENT"
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn expansion_is_bounded_and_inside_its_span(
        rule in any_rule(),
        zoned in any::<bool>(),
        minutes in 0u32..600,
    ) {
        let dtstart = if zoned { ";TZID=Europe/Paris:20240101T090000" } else { ":20240101T090000Z" };
        let o = object(&event(dtstart, minutes, &rule));
        let expansion = expand(&o, Tz::UTC, None);
        prop_assert!(expansion.occurrences.len() <= MAX_INSTANCES);
        let span = occurrence_span(&o);
        for occurrence in &expansion.occurrences {
            let support = occurrence.test.support().unwrap();
            let span = span.unwrap();
            prop_assert!(span.start <= support.start, "{rule}");
            prop_assert!(span.end.is_none_or(|e| support.end.is_some_and(|s| s <= e)), "{rule}");
        }
        // Starts are in order and distinct.
        let starts: Vec<i64> = expansion.occurrences.iter().map(|o| o.start.unwrap()).collect();
        prop_assert!(starts.windows(2).all(|w| w[0] < w[1]), "{rule}");
    }

    #[test]
    fn simple_rules_agree_with_brute_force(
        daily in any::<bool>(),
        interval in 1i64..5,
        count in 1usize..60,
        minutes in 1i64..300,
        zoned in any::<bool>(),
        range_start in 0i64..400 * 86_400,
        range_len in 1i64..20 * 86_400,
    ) {
        let freq = if daily { "DAILY" } else { "WEEKLY" };
        let step_days = interval * if daily { 1 } else { 7 };
        let (dtstart, zone) = if zoned {
            (";TZID=America/New_York:20240103T090000", chrono_tz::America::New_York)
        } else {
            (":20240103T090000Z", chrono_tz::UTC)
        };
        let o = object(&event(
            dtstart,
            u32::try_from(minutes).unwrap(),
            &format!("FREQ={freq};INTERVAL={interval};COUNT={count}"),
        ));
        // Brute force: the same local time every step_days days.
        let first_local = NaiveDate::from_ymd_opt(2024, 1, 3).unwrap().and_hms_opt(9, 0, 0).unwrap();
        let want: Vec<(i64, i64)> = (0..count as i64)
            .map(|k| {
                let local = first_local + Duration::days(k * step_days);
                let s = zone.from_local_datetime(&local).earliest().unwrap().timestamp();
                (s, s + minutes * 60)
            })
            .collect();
        let got: Vec<(i64, i64)> = expand(&o, Tz::UTC, None)
            .occurrences
            .iter()
            .map(|o| (o.start.unwrap(), o.end.unwrap()))
            .collect();
        prop_assert_eq!(&got, &want);
        let last_end = want.last().unwrap().1;
        prop_assert_eq!(occurrence_span(&o), Some(Span { start: want[0].0, end: Some(last_end) }));
        // Time-range matching agrees with the brute-force overlap.
        let base = want[0].0;
        let range = TimeRange::new(base + range_start, base + range_start + range_len);
        let expected = want.iter().any(|&(s, e)| range.lo() < e && range.hi() > s);
        let query = CompFilter {
            name: "VCALENDAR".into(),
            comp_filters: vec![CompFilter { time_range: Some(range), ..CompFilter::named("VEVENT") }],
            ..CompFilter::default()
        };
        prop_assert_eq!(matches(&o, &query, Tz::UTC), expected);
        // The span never hides a match.
        if expected {
            prop_assert!(occurrence_span(&o).unwrap().meets(&range));
        }
    }
}
