//! Free-busy computation (RFC 4791 §7.10, FBTYPE of RFC 5545 §3.2.9).
//!
//! What counts, per instance in the range:
//! - a VEVENT instance of positive length, unless it is `TRANSP:TRANSPARENT` or
//!   `STATUS:CANCELLED` (both read from the component describing the instance, so an override
//!   can cancel one instance): `STATUS:TENTATIVE` gives BUSY-TENTATIVE, anything else BUSY;
//! - a FREEBUSY period of a VFREEBUSY, with its FBTYPE (BUSY when absent); FREE periods do not.
//!
//! Periods are clipped to the range, then those of one type are merged where they overlap or
//! touch. The answer is a VCALENDAR holding one VFREEBUSY with DTSTAMP, DTSTART and DTEND (the
//! range) and one FREEBUSY per period, all in UTC, periods in order of type then start.
//!
//! Invariant: the output holds at most as many periods as instances were expanded (bounded by
//! [`crate::recur::MAX_INSTANCES`] per object).

use calcard::common::timezone::Tz;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarFreeBusyType, ICalendarParameter,
    ICalendarParameterName, ICalendarParameterValue, ICalendarPeriod, ICalendarProperty, ICalendarStatus,
    ICalendarTransparency, ICalendarValue,
};

use crate::object::{CalendarObject, ComponentKind};
use crate::recur::{expand_window, period_bounds, rdates};
use crate::timerange::{TimeRange, TimeTest};
use crate::when::utc_value;

/// The busy types of RFC 5545 §3.2.9 (FREE is never reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BusyType {
    Busy,
    BusyTentative,
    BusyUnavailable,
}

impl BusyType {
    fn to_ical(self) -> ICalendarFreeBusyType {
        match self {
            BusyType::Busy => ICalendarFreeBusyType::Busy,
            BusyType::BusyTentative => ICalendarFreeBusyType::BusyTentative,
            BusyType::BusyUnavailable => ICalendarFreeBusyType::BusyUnavailable,
        }
    }

    fn of_ical(kind: &ICalendarFreeBusyType) -> Option<BusyType> {
        match kind {
            ICalendarFreeBusyType::Free => None,
            ICalendarFreeBusyType::Busy => Some(BusyType::Busy),
            ICalendarFreeBusyType::BusyTentative => Some(BusyType::BusyTentative),
            ICalendarFreeBusyType::BusyUnavailable => Some(BusyType::BusyUnavailable),
        }
    }
}

/// A busy period `[start, end)` in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BusyPeriod {
    pub kind: BusyType,
    pub start: i64,
    pub end: i64,
}

/// The busy periods `object` contributes to `[start, end)`, clipped to it.
pub fn busy_periods(object: &CalendarObject, start: i64, end: i64, floating: Tz) -> Vec<BusyPeriod> {
    let range = TimeRange::new(start, end);
    let source = object.calendar();
    match object.kind() {
        ComponentKind::Event => expand_window(object, floating, Some(start), Some(end))
            .occurrences
            .iter()
            .filter_map(|o| {
                let TimeTest::Overlap { start: s, end: e } = o.test else {
                    return None;
                };
                let kind = event_busy_type(source.components.get(o.component)?)?;
                clip(kind, s, e, &range)
            })
            .collect(),
        ComponentKind::FreeBusy => object
            .members()
            .iter()
            .filter_map(|&i| source.components.get(i))
            .flat_map(|c| c.properties(&ICalendarProperty::Freebusy))
            .flat_map(|entry| {
                let kind = match entry.parameter(&ICalendarParameterName::Fbtype) {
                    Some(ICalendarParameterValue::Fbtype(t)) => BusyType::of_ical(t),
                    _ => Some(BusyType::Busy),
                };
                let zones = source.build_tz_resolver();
                rdates(entry, &zones)
                    .iter()
                    .filter_map(|p| period_bounds(p, floating))
                    .filter_map(|(s, e)| clip(kind?, s, e, &range))
                    .collect::<Vec<_>>()
            })
            .collect(),
        ComponentKind::Todo | ComponentKind::Journal => Vec::new(),
    }
}

/// Sort by type and start, and merge periods of one type that overlap or touch.
pub fn merge(mut periods: Vec<BusyPeriod>) -> Vec<BusyPeriod> {
    periods.sort_unstable();
    let mut merged: Vec<BusyPeriod> = Vec::with_capacity(periods.len());
    for period in periods {
        match merged.last_mut() {
            Some(last) if last.kind == period.kind && period.start <= last.end => {
                last.end = last.end.max(period.end);
            }
            _ => merged.push(period),
        }
    }
    merged
}

/// The free-busy answer for `[start, end)`: a VCALENDAR with one VFREEBUSY (RFC 4791 §7.10),
/// `periods` merged first; `dtstamp` is the time of the answer.
pub fn freebusy_calendar(periods: Vec<BusyPeriod>, start: i64, end: i64, dtstamp: i64) -> ICalendar {
    let mut freebusy = ICalendarComponent::new(ICalendarComponentType::VFreebusy);
    freebusy.add_property(ICalendarProperty::Dtstamp, utc_value(dtstamp));
    freebusy.add_property(ICalendarProperty::Dtstart, utc_value(start));
    freebusy.add_property(ICalendarProperty::Dtend, utc_value(end));
    for period in merge(periods) {
        freebusy.add_property_with_params(
            ICalendarProperty::Freebusy,
            [ICalendarParameter {
                name: ICalendarParameterName::Fbtype,
                value: ICalendarParameterValue::Fbtype(period.kind.to_ical()),
            }],
            ICalendarValue::Period(ICalendarPeriod::Range {
                start: utc_value(period.start),
                end: utc_value(period.end),
            }),
        );
    }
    let mut root = ICalendarComponent::new(ICalendarComponentType::VCalendar);
    root.add_property(ICalendarProperty::Version, "2.0");
    root.add_property(ICalendarProperty::Prodid, "-//Malt//CalDAV//EN");
    root.component_ids.push(1);
    ICalendar {
        components: vec![root, freebusy],
    }
}

/// The busy type of an event instance, `None` when it does not block time.
fn event_busy_type(component: &ICalendarComponent) -> Option<BusyType> {
    if component.transparency() == Some(&ICalendarTransparency::Transparent) {
        return None;
    }
    match component.status() {
        Some(ICalendarStatus::Cancelled) => None,
        Some(ICalendarStatus::Tentative) => Some(BusyType::BusyTentative),
        _ => Some(BusyType::Busy),
    }
}

/// `[s, e)` clipped to the range, `None` when nothing is left.
fn clip(kind: BusyType, s: i64, e: i64, range: &TimeRange) -> Option<BusyPeriod> {
    let start = s.max(range.lo());
    let end = e.min(range.hi());
    (start < end).then_some(BusyPeriod { kind, start, end })
}
