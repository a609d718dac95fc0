//! `calendar-query` filters (RFC 4791 §9.7) and their evaluation against a calendar object.
//!
//! The types are plain data with public fields, so the WebDAV codec can build them from the
//! parsed XML. Semantics, per §9.7.1–§9.7.3:
//! - a comp-filter names a component type in the current scope (the object itself for the
//!   outermost `VCALENDAR`, then the children of the matched component); it matches when
//!   `is-not-defined` is given and no such component exists, or when some component of that type
//!   satisfies *all* of its time-range, prop-filters and comp-filters;
//! - a time-range on VEVENT, VTODO, VJOURNAL or VFREEBUSY matches when some instance that the
//!   component describes (after recurrence expansion, [`crate::recur`]) overlaps it by the
//!   §9.9 table; on a VALARM, when some trigger of some instance of the parent falls in it;
//!   on any other component it does not match;
//! - a prop-filter matches when `is-not-defined` is given and no such property exists, or when
//!   some property of that name satisfies its time-range (the value, a DATE read as its day),
//!   text-match (on the value as text) and every param-filter;
//! - a param-filter matches when `is-not-defined` is given and the property lacks that parameter,
//!   or when the parameter exists and its value satisfies the text-match (if any).
//!
//! Floating times are read in the zone the caller gives (the collection's
//! `calendar-timezone`, RFC 4791 §9.9). Invariant: evaluation recurses only as deep as the
//! filter, which the codec bounds, and the object's nesting is bounded by
//! [`crate::object::MAX_DEPTH`]; the object is expanded at most once per evaluation, from the
//! earliest start of the filter's time-ranges to their latest end (so a series that began long
//! before the range costs what its instances near the range cost).

use std::cell::OnceCell;

use calcard::common::timezone::Tz;
use calcard::icalendar::timezone::TzResolver;
use calcard::icalendar::{ICalendar, ICalendarComponent, ICalendarEntry, ICalendarValue};

use crate::object::CalendarObject;
use crate::recur::{Expansion, alarm_triggers, expand_window};
use crate::text::{TextMatch, written_value};
use crate::timerange::TimeRange;
use crate::when::{DAY, When};

/// A `CALDAV:comp-filter`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompFilter {
    /// The component type (`VCALENDAR`, `VEVENT`, ...), compared ignoring ASCII case.
    pub name: String,
    pub is_not_defined: bool,
    pub time_range: Option<TimeRange>,
    pub prop_filters: Vec<PropFilter>,
    pub comp_filters: Vec<CompFilter>,
}

/// A `CALDAV:prop-filter`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PropFilter {
    pub name: String,
    pub is_not_defined: bool,
    pub time_range: Option<TimeRange>,
    pub text_match: Option<TextMatch>,
    pub param_filters: Vec<ParamFilter>,
}

/// A `CALDAV:param-filter` (and `CARDDAV:param-filter`, which has the same form).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParamFilter {
    pub name: String,
    pub is_not_defined: bool,
    pub text_match: Option<TextMatch>,
}

impl ParamFilter {
    /// The filter against the values (as text, `None` when a value has none) of the parameters
    /// of its name on one property — CalDAV's and CardDAV's param-filter alike.
    pub(crate) fn matches_values<'a>(
        &self,
        mut values: impl Iterator<Item = Option<std::borrow::Cow<'a, str>>>,
    ) -> bool {
        if self.is_not_defined {
            return values.next().is_none();
        }
        values.any(|value| {
            self.text_match
                .as_ref()
                .is_none_or(|m| value.is_some_and(|text| m.matches(&text)))
        })
    }
}

impl CompFilter {
    /// A comp-filter that only names a component.
    pub fn named(name: &str) -> CompFilter {
        CompFilter {
            name: name.to_string(),
            ..CompFilter::default()
        }
    }

    /// The time-ranges of this filter and its nested comp-filters (not prop-filters'); `None`
    /// when one applies to VALARM (a trigger may lie anywhere around its instance).
    fn time_ranges(&self) -> Option<Vec<TimeRange>> {
        let mut ranges = Vec::new();
        let mut stack = vec![self];
        while let Some(filter) = stack.pop() {
            if let Some(range) = filter.time_range {
                if filter.name.eq_ignore_ascii_case("VALARM") {
                    return None;
                }
                ranges.push(range);
            }
            stack.extend(&filter.comp_filters);
        }
        Some(ranges)
    }

    /// How far an object must be expanded to evaluate this filter: the latest end of its
    /// comp-filters' time-ranges; `None` (expand fully) when one is open-ended or applies to
    /// VALARM.
    pub fn horizon(&self) -> Option<i64> {
        self.time_ranges()?
            .iter()
            .try_fold(i64::MIN, |latest, r| Some(latest.max(r.end?)))
    }

    /// Where an object's expansion may start for this filter (instances ending before it may be
    /// left out, [`crate::recur::expand_window`]): the earliest start of its comp-filters'
    /// time-ranges; `None` (from DTSTART) when one is open before or applies to VALARM.
    pub fn earliest(&self) -> Option<i64> {
        let ranges = self.time_ranges()?;
        let earliest = ranges
            .iter()
            .try_fold(i64::MAX, |earliest, r| Some(earliest.min(r.start?)))?;
        (!ranges.is_empty()).then_some(earliest)
    }
}

/// Does `object` match `filter` (the outermost comp-filter, normally `VCALENDAR`)?
pub fn matches(object: &CalendarObject, filter: &CompFilter, floating: Tz) -> bool {
    let evaluation = Evaluation {
        object,
        zones: object.calendar().build_tz_resolver(),
        floating,
        expansion: OnceCell::new(),
        from: filter.earliest(),
        until: filter.horizon(),
    };
    let root = object.calendar().components.first();
    match root {
        Some(root) if type_is(root, &filter.name) => {
            !filter.is_not_defined && evaluation.component_matches(0, None, filter)
        }
        _ => filter.is_not_defined,
    }
}

struct Evaluation<'a> {
    object: &'a CalendarObject,
    zones: TzResolver<&'a str>,
    floating: Tz,
    expansion: OnceCell<Expansion>,
    from: Option<i64>,
    until: Option<i64>,
}

impl Evaluation<'_> {
    fn ical(&self) -> &ICalendar {
        self.object.calendar()
    }

    fn expansion(&self) -> &Expansion {
        self.expansion
            .get_or_init(|| expand_window(self.object, self.floating, self.from, self.until))
    }

    /// Component `index` (whose parent is `parent`) against a comp-filter that named it.
    fn component_matches(&self, index: usize, parent: Option<usize>, filter: &CompFilter) -> bool {
        let Some(component) = self.ical().components.get(index) else {
            return false;
        };
        if let Some(range) = &filter.time_range
            && !self.overlaps(index, component, parent, range)
        {
            return false;
        }
        filter
            .prop_filters
            .iter()
            .all(|p| prop_filter_matches(component, p, &self.zones, self.floating))
            && filter
                .comp_filters
                .iter()
                .all(|c| self.child_filter_matches(index, component, c))
    }

    /// A comp-filter applied to the children of `component`.
    fn child_filter_matches(
        &self,
        index: usize,
        component: &ICalendarComponent,
        filter: &CompFilter,
    ) -> bool {
        let mut children = component
            .component_ids
            .iter()
            .map(|&id| id as usize)
            .filter(|&id| {
                self.ical()
                    .components
                    .get(id)
                    .is_some_and(|c| type_is(c, &filter.name))
            });
        if filter.is_not_defined {
            return children.next().is_none();
        }
        children.any(|child| self.component_matches(child, Some(index), filter))
    }

    /// Does component `index` overlap `range` (RFC 4791 §9.9)?
    fn overlaps(
        &self,
        index: usize,
        component: &ICalendarComponent,
        parent: Option<usize>,
        range: &TimeRange,
    ) -> bool {
        if self.object.members().contains(&index) {
            return self
                .expansion()
                .occurrences
                .iter()
                .any(|o| o.component == index && o.test.overlaps(range));
        }
        if component.component_type.is_alarm()
            && let Some(parent) = parent.filter(|p| self.object.members().contains(p))
        {
            return self
                .expansion()
                .occurrences
                .iter()
                .filter(|o| o.component == parent)
                .any(|o| {
                    alarm_triggers(component, o, self.floating)
                        .into_iter()
                        .any(|t| range.contains(t))
                });
        }
        false
    }
}

/// Is `component` of the type `name` (ASCII case-insensitive)?
fn type_is(component: &ICalendarComponent, name: &str) -> bool {
    component.component_type.as_str().eq_ignore_ascii_case(name)
}

fn prop_filter_matches(
    component: &ICalendarComponent,
    filter: &PropFilter,
    zones: &TzResolver<&str>,
    floating: Tz,
) -> bool {
    let mut properties = component
        .entries
        .iter()
        .filter(|e| e.name.as_str().eq_ignore_ascii_case(&filter.name));
    if filter.is_not_defined {
        return properties.next().is_none();
    }
    properties.any(|entry| {
        filter
            .time_range
            .is_none_or(|range| property_overlaps(entry, &range, zones, floating))
            && filter
                .text_match
                .as_ref()
                .is_none_or(|m| m.matches(&property_text(entry)))
            && filter
                .param_filters
                .iter()
                .all(|p| param_filter_matches(entry, p))
    })
}

fn param_filter_matches(entry: &ICalendarEntry, filter: &ParamFilter) -> bool {
    filter.matches_values(
        entry
            .params
            .iter()
            .filter(|p| p.name.as_str().eq_ignore_ascii_case(&filter.name))
            .map(|p| p.value.clone().into_text()),
    )
}

/// A date property against a time-range: a DATE-TIME is an instant, a DATE its whole day.
fn property_overlaps(
    entry: &ICalendarEntry,
    range: &TimeRange,
    zones: &TzResolver<&str>,
    floating: Tz,
) -> bool {
    entry
        .values
        .iter()
        .filter_map(ICalendarValue::as_partial_date_time)
        .filter_map(|v| When::of_value(v, entry, zones))
        .any(|w| {
            let at = w.instant(floating);
            if w.is_date {
                range.lo() < at.saturating_add(DAY) && range.hi() > at
            } else {
                range.contains(at)
            }
        })
}

/// The value of a property as text: text values joined by `,` unescaped, anything else as
/// iCalendar writes it.
pub(crate) fn property_text(entry: &ICalendarEntry) -> String {
    let texts: Vec<&str> = entry.values.iter().filter_map(|v| v.as_text()).collect();
    if texts.len() == entry.values.len() && !texts.is_empty() {
        return texts.join(",");
    }
    let bare = ICalendarEntry {
        name: entry.name.clone(),
        params: Vec::new(),
        values: entry.values.clone(),
    };
    let mut written = String::new();
    if bare.write_to(&mut written).is_err() {
        return String::new();
    }
    written_value(&written)
}
