//! What a `calendar-data` element with `expand` or `limit-recurrence-set` returns
//! (RFC 4791 §9.6.5, §9.6.6).
//!
//! - [`expand_instances`]: one component per instance that overlaps the range, each with its
//!   RECURRENCE-ID (for a recurring object), no RRULE / RDATE / EXDATE / EXRULE, no VTIMEZONE,
//!   every DATE-TIME in UTC; DATE values (all-day instances) stay DATEs, as they have no zone.
//! - [`limit_recurrence_set`]: the object as stored, less the overridden components that neither
//!   start nor take effect in the range (a THISANDFUTURE override is kept when its RECURRENCE-ID
//!   is before the range's end: it shapes instances inside it).
//!
//! Invariant: the calendars built here are trees whose component ids all exist (calcard's writer
//! relies on it); their depth is the source's, bounded by [`crate::object::MAX_DEPTH`].

use calcard::common::timezone::Tz;
use calcard::icalendar::timezone::TzResolver;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarEntry, ICalendarParameterName, ICalendarProperty, ICalendarValue,
};

use crate::object::CalendarObject;
use crate::recur::{Occurrence, expand_window};
use crate::timerange::TimeRange;
use crate::when::{When, date_value, instant_to_local, utc_value};

/// Properties that describe a recurrence set, dropped from expanded instances.
const RECURRENCE_PROPERTIES: [ICalendarProperty; 4] = [
    ICalendarProperty::Rrule,
    ICalendarProperty::Rdate,
    ICalendarProperty::Exdate,
    ICalendarProperty::Exrule,
];

/// RFC 4791 §9.6.5: the instances of `object` overlapping `range`, one component each, in UTC.
pub fn expand_instances(object: &CalendarObject, range: &TimeRange, floating: Tz) -> ICalendar {
    let source = object.calendar();
    let zones = source.build_tz_resolver();
    let expansion = expand_window(object, floating, range.start, range.end);
    let recurring = expansion.occurrences.len() > 1
        || expansion.occurrences.iter().any(|o| o.overridden)
        || object
            .master()
            .is_some_and(|m| RECURRENCE_PROPERTIES.iter().any(|p| m.property(p).is_some()));
    let mut out = ICalendar {
        components: vec![empty_like(source.components.first())],
    };
    for occurrence in expansion.occurrences.iter().filter(|o| o.test.overlaps(range)) {
        let Some(component) = source.components.get(occurrence.component) else {
            continue;
        };
        let instance = instance_component(component, occurrence, recurring, &zones, floating);
        let id = push_tree(&mut out, source, instance, &component.component_ids, &|e| {
            in_utc(e, &zones, floating)
        });
        if let Some(root) = out.components.first_mut() {
            root.component_ids.push(id);
        }
    }
    out
}

/// RFC 4791 §9.6.6: the object with only the overridden components that matter to `range`.
pub fn limit_recurrence_set(object: &CalendarObject, range: &TimeRange, floating: Tz) -> ICalendar {
    let source = object.calendar();
    let expansion = expand_window(object, floating, range.start, range.end);
    let master = object.master().and(object.members().first().copied());
    let zones = source.build_tz_resolver();
    let keep = |index: usize| -> bool {
        if !object.members().contains(&index) || master == Some(index) {
            return true;
        }
        let Some(component) = source.components.get(index) else {
            return false;
        };
        let rid = component
            .property(&ICalendarProperty::RecurrenceId)
            .and_then(|e| {
                let when = When::of_entry(e, &zones)?;
                let this_and_future = e.params.iter().any(|p| p.name == ICalendarParameterName::Range);
                Some((when.instant(floating), this_and_future))
            });
        match rid {
            Some((rid, true)) if rid < range.hi() => true,
            Some((rid, _)) if range.contains(rid) => true,
            _ => expansion
                .occurrences
                .iter()
                .any(|o| o.component == index && o.test.overlaps(range)),
        }
    };
    let mut out = ICalendar {
        components: vec![empty_like(source.components.first())],
    };
    let children = source
        .components
        .first()
        .map(|root| root.component_ids.clone())
        .unwrap_or_default();
    for child in children.into_iter().map(|c| c as usize).filter(|&c| keep(c)) {
        let Some(component) = source.components.get(child) else {
            continue;
        };
        let copy = ICalendarComponent {
            component_ids: Vec::new(),
            ..component.clone()
        };
        let id = push_tree(&mut out, source, copy, &component.component_ids, &Clone::clone);
        if let Some(root) = out.components.first_mut() {
            root.component_ids.push(id);
        }
    }
    out
}

/// A component with the entries of `like` (the VCALENDAR's VERSION, PRODID, ...) and no children.
fn empty_like(like: Option<&ICalendarComponent>) -> ICalendarComponent {
    like.map(|c| ICalendarComponent {
        component_ids: Vec::new(),
        ..c.clone()
    })
    .unwrap_or_default()
}

/// `component` rewritten as the single instance `occurrence`.
fn instance_component(
    component: &ICalendarComponent,
    occurrence: &Occurrence,
    recurring: bool,
    zones: &TzResolver<&str>,
    floating: Tz,
) -> ICalendarComponent {
    let instant_value = |at: i64| -> ICalendarValue {
        let value = if occurrence.all_day {
            instant_to_local(at, floating).map_or_else(|| utc_value(at), date_value)
        } else {
            utc_value(at)
        };
        ICalendarValue::PartialDateTime(Box::new(value))
    };
    let mut entries = Vec::with_capacity(component.entries.len() + 1);
    for entry in &component.entries {
        if RECURRENCE_PROPERTIES.contains(&entry.name) || entry.name == ICalendarProperty::RecurrenceId {
            continue;
        }
        let replaced = match entry.name {
            ICalendarProperty::Dtstart => occurrence.start,
            ICalendarProperty::Dtend | ICalendarProperty::Due => occurrence.end,
            _ => None,
        };
        entries.push(match replaced {
            Some(at) => ICalendarEntry {
                name: entry.name.clone(),
                params: date_params(entry, occurrence.all_day),
                values: vec![instant_value(at)],
            },
            None => in_utc(entry, zones, floating),
        });
    }
    if recurring {
        entries.push(ICalendarEntry {
            name: ICalendarProperty::RecurrenceId,
            params: date_params(
                &ICalendarEntry::new(ICalendarProperty::RecurrenceId),
                occurrence.all_day,
            ),
            values: vec![instant_value(occurrence.recurrence_id)],
        });
    }
    ICalendarComponent {
        component_type: component.component_type.clone(),
        entries,
        component_ids: Vec::new(),
    }
}

/// The parameters of a rewritten date property: no TZID, VALUE=DATE kept for DATEs.
fn date_params(entry: &ICalendarEntry, all_day: bool) -> Vec<calcard::icalendar::ICalendarParameter> {
    let mut params: Vec<_> = entry
        .params
        .iter()
        .filter(|p| p.name != ICalendarParameterName::Tzid && p.name != ICalendarParameterName::Value)
        .cloned()
        .collect();
    if all_day {
        params.push(calcard::icalendar::ICalendarParameter {
            name: ICalendarParameterName::Value,
            value: calcard::icalendar::ICalendarParameterValue::Value(
                calcard::icalendar::ICalendarValueType::Date,
            ),
        });
    }
    params
}

/// `entry` with its zoned DATE-TIME values in UTC (and the TZID dropped); others unchanged.
fn in_utc(entry: &ICalendarEntry, zones: &TzResolver<&str>, floating: Tz) -> ICalendarEntry {
    let Some(_) = crate::when::tzid(entry) else {
        return entry.clone();
    };
    let values = entry
        .values
        .iter()
        .map(|v| match v {
            ICalendarValue::PartialDateTime(dt) if dt.has_time() => When::of_value(dt, entry, zones)
                .map_or_else(
                    || v.clone(),
                    |w| ICalendarValue::PartialDateTime(Box::new(utc_value(w.instant(floating)))),
                ),
            other => other.clone(),
        })
        .collect();
    ICalendarEntry {
        name: entry.name.clone(),
        params: entry
            .params
            .iter()
            .filter(|p| p.name != ICalendarParameterName::Tzid)
            .cloned()
            .collect(),
        values,
    }
}

/// Append `component` and copies of `source`'s components `children` (recursively, each entry
/// passed through `map_entry`) to `out`; returns the new component's id.
pub(crate) fn push_tree(
    out: &mut ICalendar,
    source: &ICalendar,
    component: ICalendarComponent,
    children: &[u32],
    map_entry: &dyn Fn(&ICalendarEntry) -> ICalendarEntry,
) -> u32 {
    let id = next_id(out);
    out.components.push(component);
    for &child in children {
        let Some(original) = source.components.get(child as usize) else {
            continue;
        };
        let copy = ICalendarComponent {
            component_type: original.component_type.clone(),
            entries: original.entries.iter().map(map_entry).collect(),
            component_ids: Vec::new(),
        };
        let child_id = push_tree(out, source, copy, &original.component_ids, map_entry);
        if let Some(parent) = out.components.get_mut(id as usize) {
            parent.component_ids.push(child_id);
        }
    }
    id
}

fn next_id(out: &ICalendar) -> u32 {
    u32::try_from(out.components.len()).unwrap_or(u32::MAX)
}
