//! Any bytes as a calendar object resource: parsed and checked (RFC 4791 §4.1); when accepted,
//! expanded, its span computed, a time-range query, `expand` and free-busy run over it. Never a
//! panic; the expansion stays within MAX_INSTANCES and every instance lies inside the span.
#![no_main]

use libfuzzer_sys::fuzz_target;
use malt_calendar::filter::{CompFilter, matches};
use malt_calendar::recur::MAX_INSTANCES;
use malt_calendar::{CalendarObject, TimeRange, Tz, expand, occurrence_span};

fuzz_target!(|data: &[u8]| {
    let Ok(object) = CalendarObject::parse(data) else {
        return;
    };
    let expansion = expand(&object, Tz::UTC, None);
    assert!(expansion.occurrences.len() <= MAX_INSTANCES);
    let span = occurrence_span(&object);
    for occurrence in &expansion.occurrences {
        if let Some(support) = occurrence.test.support() {
            let span = span.expect("an instance that can match has a span");
            assert!(span.start <= support.start);
        }
    }
    let range = TimeRange::new(1_700_000_000, 1_800_000_000);
    let query = CompFilter {
        name: "VCALENDAR".into(),
        comp_filters: vec![CompFilter {
            time_range: Some(range),
            ..CompFilter::named(object.kind().name())
        }],
        ..CompFilter::default()
    };
    let _ = matches(&object, &query, Tz::Tz(chrono_tz::Europe::Paris));
    let _ = malt_calendar::output::expand_instances(&object, &range, Tz::UTC).to_string();
    let _ = malt_calendar::output::limit_recurrence_set(&object, &range, Tz::UTC).to_string();
    let _ = malt_calendar::freebusy::busy_periods(&object, 1_700_000_000, 1_800_000_000, Tz::UTC);
});
