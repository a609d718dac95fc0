//! Recurrence expansion: the instances of a calendar object (RFC 5545 §3.8.5, RFC 4791 §9.9).
//!
//! The recurrence set of the master is DTSTART, the instances of each RRULE and each RDATE
//! (dates or periods), less the EXDATEs (RFC 5545 §3.8.5.1–3). RRULEs are expanded by calcard in
//! the local time of DTSTART, then each local time is placed in DTSTART's zone (so a weekly 09:00
//! meeting stays at 09:00 across a DST change, RFC 5545 §3.3.10). An overridden instance (a
//! member with that RECURRENCE-ID) replaces the generated one; one with `RANGE=THISANDFUTURE`
//! also moves and resizes every later instance by its own shift and length (RFC 5545 §3.8.4.4).
//! An override whose RECURRENCE-ID the set does not generate is kept as an instance of its own.
//!
//! Each instance carries the §9.9 [`TimeTest`] its properties select and its own start and end.
//!
//! Bounds (constants, no configuration): at most [`MAX_INSTANCES`] instances per expansion, and
//! no instance more than [`HORIZON_DAYS`] after DTSTART (nor after [`LAST_INSTANT`]). An
//! expansion cut by either (or by the `until` the caller asked for) says so (`complete ==
//! false`): its span is then unbounded after, so the store's index never hides the object from a
//! later range.
//!
//! Expanding for a time range ([`expand_window`], with a `from`): the instances that cannot
//! reach `from` may be left out. An RRULE without COUNT then starts from a later DTSTART in the
//! same phase (a whole number of INTERVAL periods later: seconds to weeks in local time, months
//! and years keeping the day of the month), at least two periods before the first start that
//! can matter, and what it yields before that start is dropped; so the cost follows the
//! instances near the range, not the age of the series. What can still reach `from` is bounded
//! by the longest instance (the master's, or a THISANDFUTURE override's) plus the largest
//! forward shift of a THISANDFUTURE override plus two days (DST, DATE values). DTSTART, RDATEs
//! and overrides are always kept (they are written in the object); a rule with COUNT, with
//! RSCALE, or YEARLY with BYWEEKNO (whose weekday DTSTART implies) is expanded from DTSTART.
//!
//! Deviations, deliberate: a DTSTART that the RRULE does not generate is still the first
//! instance (RFC 5545 leaves this undefined; libical does the same), and COUNT then counts the
//! rule's own instances; an RRULE calcard refuses (e.g. BYWEEKNO with FREQ=MONTHLY) contributes
//! no instance, the rest of the set is kept.

use std::collections::HashMap;

use calcard::common::PartialDateTime;
use calcard::common::timezone::Tz;
use calcard::icalendar::timezone::TzResolver;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarDuration, ICalendarEntry,
    ICalendarParameterName, ICalendarPeriod, ICalendarProperty, ICalendarRecurrenceRule, ICalendarValue,
};
use chrono::{Duration, NaiveDateTime};

use crate::object::{CalendarObject, ComponentKind};
use crate::timerange::{Span, TimeTest};
use crate::when::{DAY, When, instant_to_local, local_to_instant};

/// Most instances one expansion yields.
pub const MAX_INSTANCES: usize = 10_000;
/// No instance is generated more than this many days (200 years) after DTSTART.
pub const HORIZON_DAYS: i64 = 73_050;
/// 9999-12-31T23:59:59Z: iCalendar years have four digits (RFC 5545 §3.3.4), and no instance
/// is generated after it.
pub const LAST_INSTANT: i64 = 253_402_300_799;
/// The largest UTC offset in use (UTC+14): a floating time is within this of its UTC reading in
/// any zone, so spans of objects with floating times are widened by it.
pub const MAX_UTC_OFFSET: i64 = 14 * 3600;
/// Most alarm repetitions (REPEAT) followed.
pub const MAX_ALARM_REPEAT: i64 = 1_000;

/// One instance of a calendar object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The RECURRENCE-ID this instance has (an override) or would have (a generated instance):
    /// its original start, Unix seconds.
    pub recurrence_id: i64,
    /// Index (into the calendar's components) of the component describing this instance: the
    /// master, or the override that replaced or moved it.
    pub component: usize,
    /// Does an override describe it?
    pub overridden: bool,
    /// Start (DTSTART) of this instance, if the component has one.
    pub start: Option<i64>,
    /// End of this instance: DTEND, DTSTART + DURATION, or DUE for a VTODO, when there is one.
    pub end: Option<i64>,
    /// Is DTSTART a DATE (an all-day instance)?
    pub all_day: bool,
    /// The RFC 4791 §9.9 condition for this instance.
    pub test: TimeTest,
}

/// The instances of an object, in order of start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    pub occurrences: Vec<Occurrence>,
    /// False when instances were left out: the set goes on past the caller's `until`,
    /// [`HORIZON_DAYS`] or [`MAX_INSTANCES`].
    pub complete: bool,
    /// Does any date of the object read in the floating zone (floating times, DATEs, unknown
    /// TZIDs)?
    pub has_floating: bool,
}

impl Expansion {
    /// The occurrence span for the store's index: from the earliest point any instance can
    /// match a time range to the latest (unbounded when the set is not complete); `None` when no
    /// time range can match (e.g. a VJOURNAL without DTSTART).
    pub fn span(&self) -> Option<Span> {
        let span = self
            .occurrences
            .iter()
            .filter_map(|o| o.test.support())
            .reduce(Span::union)?;
        Some(if self.complete {
            span
        } else {
            Span {
                start: span.start,
                end: None,
            }
        })
    }
}

/// Expand `object`, floating times read in `floating`; instances starting after `until` (when
/// given) are not generated.
pub fn expand(object: &CalendarObject, floating: Tz, until: Option<i64>) -> Expansion {
    expand_window(object, floating, None, until)
}

/// [`expand`] for a time range from `from`: every instance that overlaps `[from, ...)` (by its
/// [`TimeTest`]) is there as [`expand`] gives it, and instances that end before `from` may be
/// left out (see the module's notes), so the result's `span` is not the object's span.
pub fn expand_window(
    object: &CalendarObject,
    floating: Tz,
    from: Option<i64>,
    until: Option<i64>,
) -> Expansion {
    let ical = object.calendar();
    let zones = ical.build_tz_resolver();
    let kind = object.kind();
    let mut has_floating = false;
    let mut members: Vec<(usize, Times<'_>)> = object
        .members()
        .iter()
        .filter_map(|&i| ical.components.get(i).map(|c| (i, c)))
        .map(|(i, c)| {
            let times = Times::read(c, &zones);
            has_floating |= times.has_floating;
            (i, times)
        })
        .collect();
    let master = match members.first() {
        Some((_, t)) if t.recurrence_id.is_none() => Some(members.remove(0)),
        _ => None,
    };
    let mut expansion = match master {
        Some((index, times)) => {
            let window = Window { from, until };
            expand_master(index, &times, &members, kind, floating, window)
        }
        None => Expansion {
            occurrences: Vec::new(),
            complete: true,
            has_floating: false,
        },
    };
    if expansion.occurrences.is_empty() && !members.is_empty() {
        // No master (or one without dates): each override stands alone.
        for (index, times) in &members {
            expansion
                .occurrences
                .extend(times.own_occurrences(*index, kind, floating, true));
        }
    }
    expansion.has_floating = has_floating;
    expansion
        .occurrences
        .sort_by_key(|o| (o.start.unwrap_or(o.recurrence_id), o.recurrence_id));
    if expansion.occurrences.len() > MAX_INSTANCES {
        expansion.occurrences.truncate(MAX_INSTANCES);
        expansion.complete = false;
    }
    expansion
}

/// The occurrence span of `object` for the store's index, good whatever the floating zone of
/// the collection (spans with floating times are widened by [`MAX_UTC_OFFSET`]).
pub fn occurrence_span(object: &CalendarObject) -> Option<Span> {
    let expansion = expand(object, Tz::UTC, None);
    let span = expansion.span()?;
    Some(if expansion.has_floating {
        span.widen(MAX_UTC_OFFSET)
    } else {
        span
    })
}

/// The trigger instants of the alarms of `component` for one of its instances (RFC 5545
/// §3.8.6.3, RELATED=START or END, REPEAT and DURATION; RFC 4791 §9.9 for VALARM), in order.
pub fn alarm_triggers(alarm: &ICalendarComponent, occurrence: &Occurrence, floating: Tz) -> Vec<i64> {
    let Some(trigger) = alarm.property(&ICalendarProperty::Trigger) else {
        return Vec::new();
    };
    let first = match trigger.values.first() {
        Some(ICalendarValue::Duration(d)) => {
            let related_end = trigger
                .parameter(&ICalendarParameterName::Related)
                .and_then(|v| v.as_text())
                .is_some_and(|r| r.eq_ignore_ascii_case("END"));
            let anchor = if related_end {
                occurrence.end.or(occurrence.start)
            } else {
                occurrence.start.or(occurrence.end)
            };
            anchor.map(|a| a.saturating_add(exact_seconds(d)))
        }
        Some(ICalendarValue::PartialDateTime(value)) => {
            // Absolute triggers are UTC (RFC 5545 §3.8.6.3): no zone table needed.
            let no_zones = ICalendar::default();
            let zones = no_zones.build_tz_resolver();
            When::of_value(value, trigger, &zones).map(|w| w.instant(floating))
        }
        _ => None,
    };
    let Some(first) = first else {
        return Vec::new();
    };
    let repeat = alarm
        .property(&ICalendarProperty::Repeat)
        .and_then(|e| e.values.first())
        .and_then(ICalendarValue::as_integer)
        .unwrap_or(0)
        .clamp(0, MAX_ALARM_REPEAT);
    let every = alarm
        .property(&ICalendarProperty::Duration)
        .and_then(|e| match e.values.first() {
            Some(ICalendarValue::Duration(d)) => Some(exact_seconds(d)),
            _ => None,
        });
    let mut triggers = vec![first];
    if let Some(every) = every.filter(|&e| e > 0) {
        triggers.extend((1..=repeat).map(|k| first.saturating_add(every.saturating_mul(k))));
    }
    triggers
}

/// The VALARM children of component `index`.
pub fn alarms(ical: &ICalendar, index: usize) -> impl Iterator<Item = &ICalendarComponent> {
    ical.components
        .get(index)
        .into_iter()
        .flat_map(|c| c.component_ids.iter())
        .filter_map(|&id| ical.components.get(id as usize))
        .filter(|c| c.component_type == ICalendarComponentType::VAlarm)
}

/// A DURATION as exact seconds (days as 24 hours), for offsets that are not wall-clock.
fn exact_seconds(d: &ICalendarDuration) -> i64 {
    let seconds = i64::from(d.weeks) * 7 * DAY
        + i64::from(d.days) * DAY
        + i64::from(d.hours) * 3600
        + i64::from(d.minutes) * 60
        + i64::from(d.seconds);
    if d.neg { -seconds } else { seconds }
}

/// `start` plus a DURATION: days and weeks are nominal (the same local time that many days
/// later), the rest exact (RFC 5545 §3.3.6).
fn add_duration(start: &When, d: &ICalendarDuration, floating: Tz) -> i64 {
    let sign = if d.neg { -1 } else { 1 };
    let days = sign * (i64::from(d.weeks) * 7 + i64::from(d.days));
    let exact = sign * (i64::from(d.hours) * 3600 + i64::from(d.minutes) * 60 + i64::from(d.seconds));
    let zone = start.effective_zone(floating);
    let base = match start.local.checked_add_signed(Duration::days(days)) {
        Some(local) => local_to_instant(local, zone),
        None => start.instant(floating).saturating_add(days.saturating_mul(DAY)),
    };
    base.saturating_add(exact)
}

/// An RDATE: a start, or a period with its own end.
#[derive(Debug, Clone)]
pub(crate) enum RDate<'a> {
    At(When),
    Until(When, When),
    For(When, &'a ICalendarDuration),
}

/// The dates of one component, as written.
#[derive(Debug, Clone, Default)]
struct Times<'a> {
    dtstart: Option<When>,
    dtend: Option<When>,
    due: Option<When>,
    duration: Option<&'a ICalendarDuration>,
    completed: Option<When>,
    created: Option<When>,
    recurrence_id: Option<When>,
    this_and_future: bool,
    rrules: Vec<&'a ICalendarRecurrenceRule>,
    rdates: Vec<RDate<'a>>,
    exdates: Vec<When>,
    freebusy: Vec<RDate<'a>>,
    has_floating: bool,
    /// Seconds from DTSTART to DTEND and to DUE, in the expansion's floating zone.
    lengths: std::cell::OnceCell<[Option<i64>; 2]>,
}

impl<'a> Times<'a> {
    fn read(component: &'a ICalendarComponent, zones: &TzResolver<&str>) -> Times<'a> {
        let mut t = Times::default();
        for entry in &component.entries {
            let single = || When::of_entry(entry, zones);
            match &entry.name {
                ICalendarProperty::Dtstart => t.dtstart = single(),
                ICalendarProperty::Dtend => t.dtend = single(),
                ICalendarProperty::Due => t.due = single(),
                ICalendarProperty::Completed => t.completed = single(),
                ICalendarProperty::Created => t.created = single(),
                ICalendarProperty::Duration => {
                    if let Some(ICalendarValue::Duration(d)) = entry.values.first() {
                        t.duration = Some(d);
                    }
                }
                ICalendarProperty::RecurrenceId => {
                    t.recurrence_id = single();
                    // THISANDFUTURE is the only RANGE value (RFC 5545 §3.2.13).
                    t.this_and_future = entry
                        .params
                        .iter()
                        .any(|p| p.name == ICalendarParameterName::Range);
                }
                ICalendarProperty::Rrule => {
                    if let Some(ICalendarValue::RecurrenceRule(rule)) = entry.values.first() {
                        t.rrules.push(rule);
                    }
                }
                ICalendarProperty::Rdate => t.rdates.extend(rdates(entry, zones)),
                ICalendarProperty::Freebusy => t.freebusy.extend(rdates(entry, zones)),
                ICalendarProperty::Exdate => t.exdates.extend(
                    entry
                        .values
                        .iter()
                        .filter_map(|v| v.as_partial_date_time())
                        .filter_map(|v| When::of_value(v, entry, zones)),
                ),
                _ => {}
            }
        }
        let mut all = [t.dtstart, t.dtend, t.due, t.recurrence_id]
            .into_iter()
            .flatten()
            .chain(t.exdates.iter().copied());
        t.has_floating = all.any(|w| w.is_floating())
            || t.rdates.iter().chain(&t.freebusy).any(|r| match r {
                RDate::At(w) | RDate::Until(w, _) | RDate::For(w, _) => w.is_floating(),
            });
        t
    }

    /// Seconds from `dtstart` to `end` (DTEND or DUE), computed once per expansion.
    fn length_to(&self, end: &When, dtstart: &When, floating: Tz) -> i64 {
        let slot = if Some(*end) == self.due { 1 } else { 0 };
        let lengths = self.lengths.get_or_init(|| {
            let start = dtstart.instant(floating);
            [self.dtend, self.due].map(|e| e.map(|e| e.instant(floating).saturating_sub(start)))
        });
        lengths
            .get(slot)
            .copied()
            .flatten()
            .unwrap_or_else(|| end.instant(floating).saturating_sub(dtstart.instant(floating)))
    }

    /// The instance of this component that starts at `start` (DTSTART for the master, a
    /// generated start, or the shifted start of a THISANDFUTURE override). DTEND and DUE keep
    /// their distance from DTSTART: in days for DATE pairs, in seconds otherwise.
    fn instance(
        &self,
        start: Option<When>,
        kind: ComponentKind,
        floating: Tz,
    ) -> (Option<i64>, Option<i64>, TimeTest) {
        let s = start.map(|w| w.instant(floating));
        let shifted = |end: &When| -> i64 {
            match (start, self.dtstart) {
                (Some(st), Some(dt)) if st.is_date && end.is_date => {
                    let days = (end.local - dt.local).num_days();
                    add_days(&st, days, floating)
                }
                (Some(_), Some(dt)) => s.unwrap_or(0).saturating_add(self.length_to(end, &dt, floating)),
                _ => end.instant(floating),
            }
        };
        match kind {
            ComponentKind::Event => {
                let Some((st, s)) = start.zip(s) else {
                    return (None, None, TimeTest::Never);
                };
                if let Some(end) = &self.dtend {
                    let e = shifted(end);
                    (Some(s), Some(e), TimeTest::Overlap { start: s, end: e })
                } else if let Some(d) = self.duration {
                    let e = add_duration(&st, d, floating);
                    let test = if e > s {
                        TimeTest::Overlap { start: s, end: e }
                    } else {
                        TimeTest::Instant { at: s }
                    };
                    (Some(s), Some(e), test)
                } else if st.is_date {
                    let e = add_days(&st, 1, floating);
                    (Some(s), Some(e), TimeTest::Overlap { start: s, end: e })
                } else {
                    (Some(s), None, TimeTest::Instant { at: s })
                }
            }
            ComponentKind::Todo => {
                let due = self.due.as_ref().map(shifted);
                let completed = self.completed.map(|w| w.instant(floating));
                let created = self.created.map(|w| w.instant(floating));
                match (start.zip(s), self.duration, due) {
                    (Some((st, s)), Some(d), _) => {
                        let e = add_duration(&st, d, floating);
                        (Some(s), Some(e), TimeTest::TodoStartDuration { start: s, end: e })
                    }
                    (Some((_, s)), None, Some(due)) => {
                        (Some(s), Some(due), TimeTest::TodoStartDue { start: s, due })
                    }
                    (Some((_, s)), None, None) => (Some(s), None, TimeTest::Instant { at: s }),
                    (None, _, Some(due)) => (None, Some(due), TimeTest::TodoDue { due }),
                    (None, _, None) => {
                        let test = match (completed, created) {
                            (Some(completed), Some(created)) => {
                                TimeTest::TodoCreatedCompleted { created, completed }
                            }
                            (Some(completed), None) => TimeTest::TodoCompleted { completed },
                            (None, Some(created)) => TimeTest::TodoCreated { created },
                            (None, None) => TimeTest::Always,
                        };
                        (None, None, test)
                    }
                }
            }
            ComponentKind::Journal => match start.zip(s) {
                Some((st, s)) if st.is_date => {
                    let e = add_days(&st, 1, floating);
                    (Some(s), Some(e), TimeTest::Overlap { start: s, end: e })
                }
                Some((_, s)) => (Some(s), None, TimeTest::Instant { at: s }),
                None => (None, None, TimeTest::Never),
            },
            ComponentKind::FreeBusy => match (s, self.dtend) {
                (Some(s), Some(end)) => {
                    let e = end.instant(floating);
                    (Some(s), Some(e), TimeTest::ClosedEnd { start: s, end: e })
                }
                _ => (s, None, TimeTest::Never),
            },
        }
    }

    /// The component as one instance (no recurrence): itself, or for a VFREEBUSY without
    /// DTSTART and DTEND, one instance per FREEBUSY period (RFC 4791 §9.9).
    fn own_occurrences(
        &self,
        index: usize,
        kind: ComponentKind,
        floating: Tz,
        overridden: bool,
    ) -> Vec<Occurrence> {
        if kind == ComponentKind::FreeBusy
            && (self.dtstart.is_none() || self.dtend.is_none())
            && !self.freebusy.is_empty()
        {
            return self
                .freebusy
                .iter()
                .filter_map(|period| {
                    let (s, e) = period_bounds(period, floating)?;
                    Some(Occurrence {
                        recurrence_id: s,
                        component: index,
                        overridden,
                        start: Some(s),
                        end: Some(e),
                        all_day: false,
                        test: TimeTest::Overlap { start: s, end: e },
                    })
                })
                .collect();
        }
        let start = self.dtstart.or(self.recurrence_id);
        let (s, e, test) = self.instance(start, kind, floating);
        let recurrence_id = self
            .recurrence_id
            .map(|w| w.instant(floating))
            .or(s)
            .or(e)
            .unwrap_or(0);
        vec![Occurrence {
            recurrence_id,
            component: index,
            overridden,
            start: s,
            end: e,
            all_day: start.is_some_and(|w| w.is_date),
            test,
        }]
    }
}

/// Start and end of a FREEBUSY or RDATE period.
pub(crate) fn period_bounds(period: &RDate<'_>, floating: Tz) -> Option<(i64, i64)> {
    match period {
        RDate::Until(s, e) => Some((s.instant(floating), e.instant(floating))),
        RDate::For(s, d) => Some((s.instant(floating), add_duration(s, d, floating))),
        RDate::At(_) => None,
    }
}

/// `days` days after `start`, same local time.
fn add_days(start: &When, days: i64, floating: Tz) -> i64 {
    add_duration(
        start,
        &ICalendarDuration {
            neg: days < 0,
            days: u32::try_from(days.unsigned_abs()).unwrap_or(u32::MAX),
            ..Default::default()
        },
        floating,
    )
}

/// The values of an RDATE or FREEBUSY property (dates and periods).
pub(crate) fn rdates<'a>(entry: &'a ICalendarEntry, zones: &TzResolver<&str>) -> Vec<RDate<'a>> {
    entry
        .values
        .iter()
        .filter_map(|value| match value {
            ICalendarValue::PartialDateTime(v) => When::of_value(v, entry, zones).map(RDate::At),
            ICalendarValue::Period(ICalendarPeriod::Range { start, end }) => {
                let s = When::of_value(start, entry, zones)?;
                let e = When::of_value(end, entry, zones)?;
                Some(RDate::Until(s, e))
            }
            ICalendarValue::Period(ICalendarPeriod::Duration { start, duration }) => {
                When::of_value(start, entry, zones).map(|s| RDate::For(s, duration))
            }
            _ => None,
        })
        .collect()
}

/// One start of the master's recurrence set, before overrides.
struct Candidate {
    start: When,
    /// The end of an RDATE period.
    period_end: Option<i64>,
}

/// The part of the recurrence set asked for: instances that end before `from` may be left out,
/// those starting after `until` are.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Option<i64>,
    until: Option<i64>,
}

/// How long before `from` an instance may start and still reach it: the longest instance of
/// the master or a THISANDFUTURE override, plus the largest forward shift of such an override,
/// plus two days (a DST change makes a nominal day 25 hours; DATE values).
fn reach(master: &Times<'_>, overrides: &[(usize, Times<'_>)], kind: ComponentKind, floating: Tz) -> i64 {
    let length = |t: &Times<'_>| -> i64 {
        let (s, e, _) = t.instance(t.dtstart.or(t.recurrence_id), kind, floating);
        s.zip(e).map_or(0, |(s, e)| e.saturating_sub(s).max(0))
    };
    let ranged = overrides.iter().map(|(_, t)| t).filter(|t| t.this_and_future);
    let longest = ranged.clone().map(length).fold(length(master), i64::max);
    let shift = ranged
        .filter_map(|t| {
            Some(
                t.dtstart?
                    .instant(floating)
                    .saturating_sub(t.recurrence_id?.instant(floating)),
            )
        })
        .fold(0, i64::max);
    longest.saturating_add(shift).saturating_add(2 * DAY)
}

fn expand_master(
    index: usize,
    master: &Times<'_>,
    overrides: &[(usize, Times<'_>)],
    kind: ComponentKind,
    floating: Tz,
    window: Window,
) -> Expansion {
    let until = window.until;
    let Some(dtstart) = master.dtstart.filter(|_| kind != ComponentKind::FreeBusy) else {
        return Expansion {
            occurrences: master.own_occurrences(index, kind, floating, false),
            complete: true,
            has_floating: false,
        };
    };
    let first = dtstart.instant(floating);
    let horizon = first
        .saturating_add(HORIZON_DAYS.saturating_mul(DAY))
        .min(LAST_INSTANT);
    // A THISANDFUTURE override that moves instances earlier may bring later ones into range.
    let earliest_shift = overrides
        .iter()
        .filter(|(_, t)| t.this_and_future)
        .filter_map(|(_, t)| Some(t.dtstart?.instant(floating) - t.recurrence_id?.instant(floating)))
        .min()
        .unwrap_or(0)
        .min(0);
    let stop = until
        .map(|u| u.saturating_sub(earliest_shift))
        .map_or(horizon, |u| u.min(horizon));

    let skip_to = window
        .from
        .map(|f| f.saturating_sub(reach(master, overrides, kind, floating)))
        .filter(|&f| f > first)
        .and_then(|f| instant_to_local(f, dtstart.effective_zone(floating)));

    let mut complete = true;
    let mut candidates = vec![Candidate {
        start: dtstart,
        period_end: None,
    }];
    for rule in &master.rrules {
        // The total is capped once the set is sorted (in `expand`).
        let budget = MAX_INSTANCES;
        let starts = rule_starts(rule, &dtstart, floating, stop, budget, skip_to);
        complete &= starts.exhausted;
        candidates.extend(starts.locals.into_iter().map(|local| Candidate {
            start: When { local, ..dtstart },
            period_end: None,
        }));
    }
    for rdate in &master.rdates {
        let (start, period_end) = match rdate {
            RDate::At(w) => (*w, None),
            RDate::Until(w, _) | RDate::For(w, _) => (*w, period_bounds(rdate, floating).map(|p| p.1)),
        };
        if start.instant(floating) <= stop {
            candidates.push(Candidate { start, period_end });
        } else {
            complete = false;
        }
    }
    let excluded: Vec<i64> = master.exdates.iter().map(|w| w.instant(floating)).collect();
    let excluded_dates: Vec<chrono::NaiveDate> = master
        .exdates
        .iter()
        .filter(|w| w.is_date && !dtstart.is_date)
        .map(|w| w.local.date())
        .collect();

    let exact: HashMap<i64, usize> = overrides
        .iter()
        .enumerate()
        .filter_map(|(i, (_, t))| Some((t.recurrence_id?.instant(floating), i)))
        .collect();
    let mut ranged: Vec<(i64, usize)> = overrides
        .iter()
        .enumerate()
        .filter(|(_, (_, t))| t.this_and_future)
        .filter_map(|(i, (_, t))| Some((t.recurrence_id?.instant(floating), i)))
        .collect();
    ranged.sort_unstable();

    let mut occurrences = Vec::with_capacity(candidates.len());
    let mut seen = std::collections::HashSet::with_capacity(candidates.len());
    let mut used = vec![false; overrides.len()];
    for candidate in candidates {
        let rid = candidate.start.instant(floating);
        if !seen.insert(rid) {
            continue;
        }
        if let Some(&o) = exact.get(&rid) {
            if let (Some(slot), Some((oi, ot))) = (used.get_mut(o), overrides.get(o)) {
                *slot = true;
                occurrences.extend(ot.own_occurrences(*oi, kind, floating, true));
            }
            continue;
        }
        if excluded.contains(&rid) || excluded_dates.contains(&candidate.start.local.date()) {
            continue;
        }
        let governing = ranged
            .iter()
            .rev()
            .find(|(from, _)| *from <= rid)
            .and_then(|&(_, o)| overrides.get(o));
        let occurrence = match governing {
            Some((oi, ot)) => moved_instance(*oi, ot, rid, kind, floating),
            None => {
                let (s, e, test) = master.instance(Some(candidate.start), kind, floating);
                let (e, test) = match (candidate.period_end, s) {
                    (Some(pe), Some(s)) => (Some(pe), TimeTest::Overlap { start: s, end: pe }),
                    _ => (e, test),
                };
                Occurrence {
                    recurrence_id: rid,
                    component: index,
                    overridden: false,
                    start: s,
                    end: e,
                    all_day: candidate.start.is_date,
                    test,
                }
            }
        };
        occurrences.push(occurrence);
    }
    for (o, (oi, ot)) in overrides.iter().enumerate() {
        if !used.get(o).copied().unwrap_or(true) {
            occurrences.extend(ot.own_occurrences(*oi, kind, floating, true));
        }
    }
    Expansion {
        occurrences,
        complete,
        has_floating: false,
    }
}

/// An instance at original start `rid` moved by a THISANDFUTURE override (its own start minus
/// its RECURRENCE-ID), with the override's length.
fn moved_instance(index: usize, over: &Times<'_>, rid: i64, kind: ComponentKind, floating: Tz) -> Occurrence {
    let shift = match (over.dtstart, over.recurrence_id) {
        (Some(s), Some(r)) => s.instant(floating) - r.instant(floating),
        _ => 0,
    };
    let start = over.dtstart.or(over.recurrence_id).and_then(|w| {
        let zone = w.effective_zone(floating);
        instant_to_local(rid.saturating_add(shift), zone).map(|local| When { local, ..w })
    });
    let (s, e, test) = over.instance(start, kind, floating);
    Occurrence {
        recurrence_id: rid,
        component: index,
        overridden: true,
        start: s,
        end: e,
        all_day: start.is_some_and(|w| w.is_date),
        test,
    }
}

/// Local start times of one RRULE.
struct RuleStarts {
    locals: Vec<NaiveDateTime>,
    /// Did the rule end by itself (COUNT, UNTIL) within the bounds?
    exhausted: bool,
}

/// A DTSTART for `rule` a whole number of its periods after `start`, in the same phase, at
/// least two periods before `target` (local times); `None` when there is none or the rule's
/// instances depend on where it starts (COUNT, RSCALE, YEARLY with BYWEEKNO: see the module's
/// notes). From it the rule yields the same starts as from `start` after its first period.
pub(crate) fn jump(
    rule: &ICalendarRecurrenceRule,
    start: NaiveDateTime,
    target: NaiveDateTime,
) -> Option<NaiveDateTime> {
    use calcard::icalendar::ICalendarFrequency as F;
    use chrono::{Datelike, Months};
    if rule.count.is_some() || rule.rscale.is_some() || target <= start {
        return None;
    }
    let interval = i64::from(rule.interval.unwrap_or(1).max(1));
    let unit = match rule.freq {
        F::Secondly => Some(1),
        F::Minutely => Some(60),
        F::Hourly => Some(3600),
        F::Daily => Some(DAY),
        F::Weekly => Some(7 * DAY),
        F::Monthly | F::Yearly => None,
    };
    if let Some(unit) = unit {
        let step = interval.checked_mul(unit)?;
        let k = (target - start).num_seconds() / step - 2;
        return (k > 0)
            .then(|| start.checked_add_signed(Duration::seconds(k.checked_mul(step)?)))
            .flatten();
    }
    let months_per_step = match rule.freq {
        F::Yearly if !rule.byweekno.is_empty() => return None,
        F::Yearly => interval.checked_mul(12)?,
        _ => interval,
    };
    let month_index = |d: NaiveDateTime| i64::from(d.year()) * 12 + i64::from(d.month0());
    let k = (month_index(target) - month_index(start)) / months_per_step - 2;
    // The day of the month must exist in the month jumped to (the 31st, February 29th): a few
    // periods earlier always has it.
    (0..12).map(|back| k - back).take_while(|&k| k > 0).find_map(|k| {
        let months = u32::try_from(k.checked_mul(months_per_step)?).ok()?;
        let jumped = start.checked_add_months(Months::new(months))?;
        (jumped.day() == start.day()).then_some(jumped)
    })
}

/// The local starts an RRULE generates from `dtstart` up to `stop` (an instant), at most
/// `budget` of them, computed by calcard on a one-component calendar with floating times. With
/// `skip_to`, starts before it may be left out ([`jump`]).
fn rule_starts(
    rule: &ICalendarRecurrenceRule,
    dtstart: &When,
    floating: Tz,
    stop: i64,
    budget: usize,
    skip_to: Option<NaiveDateTime>,
) -> RuleStarts {
    let zone = dtstart.effective_zone(floating);
    let own_until = rule.until.as_ref().and_then(|u| until_local(u, dtstart, zone));
    // One day of margin: the stop is compared as an instant below.
    let stop_local = instant_to_local(stop.saturating_add(DAY), zone);
    let (limit, cut) = match (own_until, stop_local) {
        (Some(u), Some(s)) if u <= s => (u, false),
        (Some(u), None) => (u, false),
        (_, Some(s)) => (s, true),
        (None, None) => {
            return RuleStarts {
                locals: Vec::new(),
                exhausted: false,
            };
        }
    };
    if limit < dtstart.local || budget == 0 {
        return RuleStarts {
            locals: Vec::new(),
            exhausted: !cut && budget > 0,
        };
    }
    let mut synthetic = rule.clone();
    synthetic.until = Some(PartialDateTime::from_naive_timestamp(limit.and_utc().timestamp()));
    let jumped = skip_to.and_then(|target| jump(rule, dtstart.local, target));
    let first_local = jumped.unwrap_or(dtstart.local);
    let start_value = PartialDateTime::from_naive_timestamp(first_local.and_utc().timestamp());
    let mut component = ICalendarComponent::new(ICalendarComponentType::VEvent);
    component.add_property(ICalendarProperty::Dtstart, start_value);
    component.add_property(ICalendarProperty::Duration, ICalendarDuration::default());
    component.add_property(ICalendarProperty::Rrule, synthetic);
    let calendar = ICalendar {
        components: vec![component],
    };
    let expanded = calendar.expand_dates(Tz::Floating, budget.saturating_add(1));
    if !expanded.errors.is_empty() {
        return RuleStarts {
            locals: Vec::new(),
            exhausted: true,
        };
    }
    let mut locals: Vec<NaiveDateTime> = expanded.events.iter().map(|e| e.start.naive_local()).collect();
    let over_budget = locals.len() > budget;
    locals.truncate(budget);
    let counted_out = rule.count.is_some_and(|c| locals.len() >= c as usize);
    // Only the day of margin can hold starts after `stop`, at the end (starts are in order).
    let generated = locals.len();
    while locals.last().is_some_and(|l| local_to_instant(*l, zone) > stop) {
        locals.pop();
    }
    let dropped = locals.len() < generated;
    if let (Some(_), Some(skip)) = (jumped, skip_to) {
        // The jumped DTSTART and its first period are before `skip`: only starts from there on
        // are the rule's own.
        locals.retain(|l| *l >= skip);
    }
    RuleStarts {
        locals,
        exhausted: !over_budget && !dropped && (counted_out || !cut),
    }
}

/// UNTIL as a local time in DTSTART's zone (RFC 5545 §3.3.10: UTC when DTSTART has a zone,
/// floating when it is floating, a DATE for DATE starts — then the whole day counts).
fn until_local(until: &PartialDateTime, dtstart: &When, zone: Tz) -> Option<NaiveDateTime> {
    let parsed = until.to_date_time()?;
    if !until.has_time() {
        return if dtstart.is_date {
            Some(parsed.date_time)
        } else {
            parsed.date_time.date().and_hms_opt(23, 59, 59)
        };
    }
    match parsed.offset {
        Some(offset) => {
            let instant = parsed
                .date_time
                .and_utc()
                .timestamp()
                .saturating_sub(i64::from(offset.local_minus_utc()));
            instant_to_local(instant, zone)
        }
        None => Some(parsed.date_time),
    }
}
