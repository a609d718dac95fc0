//! Time ranges and the overlap conditions of RFC 4791 §9.9.
//!
//! Each component instance carries a [`TimeTest`]: the row of the §9.9 table its properties
//! select (VEVENT by DTEND / DURATION / DATE, VTODO by DTSTART / DURATION / DUE / COMPLETED /
//! CREATED, VJOURNAL by DTSTART, VFREEBUSY by DTSTART+DTEND or FREEBUSY periods), with the
//! instants filled in. [`TimeTest::overlaps`] is the table's condition; [`TimeTest::support`] is
//! the span outside which no range can match, which is what the occurrence span of the store's
//! index is made of.
//!
//! Invariant: `overlaps(r)` implies `support().meets(r)` — `support.start < r.end` and
//! `support.end >= r.start` (a property test checks it).

/// A `CALDAV:time-range` (RFC 4791 §9.9): `[start, end)` in Unix seconds, either side open when
/// absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl TimeRange {
    /// `[start, end)`.
    pub fn new(start: i64, end: i64) -> TimeRange {
        TimeRange {
            start: Some(start),
            end: Some(end),
        }
    }

    /// The start, `i64::MIN` when open.
    pub fn lo(&self) -> i64 {
        self.start.unwrap_or(i64::MIN)
    }

    /// The end, `i64::MAX` when open.
    pub fn hi(&self) -> i64 {
        self.end.unwrap_or(i64::MAX)
    }

    /// Is `at` inside `[start, end)`?
    pub fn contains(&self, at: i64) -> bool {
        self.lo() <= at && at < self.hi()
    }
}

/// The §9.9 condition one instance is tested with; instants are Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeTest {
    /// `start < END AND end > START` (VEVENT with DTEND or a positive DURATION; all-day VEVENT
    /// and VJOURNAL with END = START + P1D; FREEBUSY periods).
    Overlap { start: i64, end: i64 },
    /// `start <= AT AND end > AT` (VEVENT with a DATE-TIME DTSTART and no length, VTODO with
    /// DTSTART only, VJOURNAL with a DATE-TIME DTSTART, alarm triggers).
    Instant { at: i64 },
    /// VFREEBUSY with DTSTART and DTEND: `start <= END AND end > START`.
    ClosedEnd { start: i64, end: i64 },
    /// VTODO with DTSTART and DURATION: `start <= START+DURATION AND (end > START OR end >=
    /// START+DURATION)`.
    TodoStartDuration { start: i64, end: i64 },
    /// VTODO with DTSTART and DUE: `(start < DUE OR start <= DTSTART) AND (end > DTSTART OR end
    /// >= DUE)`.
    TodoStartDue { start: i64, due: i64 },
    /// VTODO with DUE only: `start < DUE AND end >= DUE`.
    TodoDue { due: i64 },
    /// VTODO with COMPLETED and CREATED only: `(start <= CREATED OR start <= COMPLETED) AND (end
    /// >= CREATED OR end >= COMPLETED)`.
    TodoCreatedCompleted { created: i64, completed: i64 },
    /// VTODO with COMPLETED only: `start <= COMPLETED AND end >= COMPLETED`.
    TodoCompleted { completed: i64 },
    /// VTODO with CREATED only: `end > CREATED`.
    TodoCreated { created: i64 },
    /// VTODO without any of those dates: always true.
    Always,
    /// VJOURNAL without DTSTART, VFREEBUSY without dates: never true.
    Never,
}

/// The occurrence span of an instance or an object, Unix seconds: `end` `None` is unbounded
/// after, `start` `i64::MIN` unbounded before. Its contract is the store's index test
/// (`malt_store::DavSpan::is_candidate`, the same two fields): a range `[rs, re)` can match only
/// if `start < re` and `end >= rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: i64,
    pub end: Option<i64>,
}

impl Span {
    /// Is `range` a candidate: `start < range.end AND end >= range.start`?
    pub fn meets(&self, range: &TimeRange) -> bool {
        self.start < range.hi() && self.end.is_none_or(|end| end >= range.lo())
    }

    /// The smallest span holding both.
    pub fn union(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.zip(other.end).map(|(a, b)| a.max(b)),
        }
    }

    /// Widened by `by` seconds on both sides (saturating).
    pub fn widen(self, by: i64) -> Span {
        Span {
            start: self.start.saturating_sub(by),
            end: self.end.map(|e| e.saturating_add(by)),
        }
    }
}

impl TimeTest {
    /// Does the instance overlap `range` (RFC 4791 §9.9)?
    pub fn overlaps(&self, range: &TimeRange) -> bool {
        let (rs, re) = (range.lo(), range.hi());
        match *self {
            TimeTest::Overlap { start, end } => rs < end && re > start,
            TimeTest::Instant { at } => rs <= at && re > at,
            TimeTest::ClosedEnd { start, end } => rs <= end && re > start,
            TimeTest::TodoStartDuration { start, end } => rs <= end && (re > start || re >= end),
            TimeTest::TodoStartDue { start, due } => (rs < due || rs <= start) && (re > start || re >= due),
            TimeTest::TodoDue { due } => rs < due && re >= due,
            TimeTest::TodoCreatedCompleted { created, completed } => {
                (rs <= created || rs <= completed) && (re >= created || re >= completed)
            }
            TimeTest::TodoCompleted { completed } => rs <= completed && re >= completed,
            TimeTest::TodoCreated { created } => re > created,
            TimeTest::Always => true,
            TimeTest::Never => false,
        }
    }

    /// The span outside which [`TimeTest::overlaps`] is false (by [`Span::meets`]); `None` for
    /// [`TimeTest::Never`]. The VTODO rows that match a range ending exactly at a date
    /// (`end >= DUE`, ...) start one second before it, as `meets` compares starts strictly.
    pub fn support(&self) -> Option<Span> {
        let span = |a: i64, b: i64| Span {
            start: a.min(b),
            end: Some(a.max(b)),
        };
        let inclusive = |a: i64, b: i64| Span {
            start: a.min(b).saturating_sub(1),
            end: Some(a.max(b)),
        };
        Some(match *self {
            TimeTest::Overlap { start, end } | TimeTest::ClosedEnd { start, end } => span(start, end),
            TimeTest::Instant { at } => span(at, at),
            TimeTest::TodoStartDuration { start, end } => inclusive(start, end),
            TimeTest::TodoStartDue { start, due } => inclusive(start, due),
            TimeTest::TodoDue { due } => inclusive(due, due),
            TimeTest::TodoCreatedCompleted { created, completed } => inclusive(created, completed),
            TimeTest::TodoCompleted { completed } => inclusive(completed, completed),
            TimeTest::TodoCreated { created } => Span {
                start: created,
                end: None,
            },
            TimeTest::Always => Span {
                start: i64::MIN,
                end: None,
            },
            TimeTest::Never => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn test_strategy() -> impl Strategy<Value = TimeTest> {
        let t = -1000i64..1000;
        prop_oneof![
            (t.clone(), 0i64..500).prop_map(|(s, d)| TimeTest::Overlap { start: s, end: s + d }),
            t.clone().prop_map(|at| TimeTest::Instant { at }),
            (t.clone(), 0i64..500).prop_map(|(s, d)| TimeTest::ClosedEnd { start: s, end: s + d }),
            (t.clone(), 0i64..500).prop_map(|(s, d)| TimeTest::TodoStartDuration { start: s, end: s + d }),
            (t.clone(), t.clone()).prop_map(|(s, d)| TimeTest::TodoStartDue { start: s, due: d }),
            t.clone().prop_map(|due| TimeTest::TodoDue { due }),
            (t.clone(), t.clone()).prop_map(|(c, d)| TimeTest::TodoCreatedCompleted {
                created: c,
                completed: d
            }),
            t.clone()
                .prop_map(|completed| TimeTest::TodoCompleted { completed }),
            t.prop_map(|created| TimeTest::TodoCreated { created }),
            Just(TimeTest::Always),
            Just(TimeTest::Never),
        ]
    }

    proptest! {
        /// A range that overlaps an instance meets the instance's support.
        #[test]
        fn overlap_implies_support_meets(test in test_strategy(), a in -2000i64..2000, len in 0i64..2000) {
            let range = TimeRange::new(a, a + len);
            if test.overlaps(&range) {
                let support = test.support();
                prop_assert!(support.is_some_and(|s| s.meets(&range)));
            }
        }
    }

    #[test]
    fn zero_length_event_matches_a_range_starting_at_it() {
        let test = TimeTest::Instant { at: 100 };
        assert!(test.overlaps(&TimeRange::new(100, 101)));
        assert!(!test.overlaps(&TimeRange::new(90, 100)));
    }

    #[test]
    fn event_end_is_exclusive() {
        let test = TimeTest::Overlap { start: 100, end: 200 };
        assert!(!test.overlaps(&TimeRange::new(200, 300)));
        assert!(!test.overlaps(&TimeRange::new(0, 100)));
        assert!(test.overlaps(&TimeRange::new(199, 300)));
        assert!(test.overlaps(&TimeRange {
            start: None,
            end: Some(101)
        }));
    }
}
