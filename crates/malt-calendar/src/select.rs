//! Partial retrieval: the parts of an object a `calendar-data` or `address-data` element asks
//! for (RFC 4791 §9.6.1 `comp` / `allcomp` / `prop` / `allprop` / `novalue`, §9.6.7
//! `limit-freebusy-set`; RFC 6352 §10.4.2 `prop` / `novalue`).
//!
//! - [`select_calendar`]: the VCALENDAR with, in each component, only the properties its `comp`
//!   selection lists (all with `allprop`) and only the child components of the types it lists,
//!   each by its own selection (all, whole, with `allcomp`). A listed property with `novalue`
//!   keeps its name and parameters and loses its value. The outermost selection applies to the
//!   VCALENDAR whatever it names (RFC 4791 requires it to name VCALENDAR; clients do). It runs
//!   after `expand` / `limit-recurrence-set` ([`crate::output`]), on what they produced (§9.6.5:
//!   the selection applies to the expanded instances).
//! - [`limit_freebusy_set`] (§9.6.7): in VFREEBUSY components, only the FREEBUSY periods that
//!   overlap the range (a property left with none is dropped).
//! - [`select_card`]: the vCard with only the listed properties (names compared ignoring ASCII
//!   case and any group), written in the version asked for (the writer always writes VERSION,
//!   which vCard requires).
//!
//! Invariants: selection only removes (properties, components, values); it never adds or
//! reorders what it keeps; `allcomp` with `allprop` at every level is the identity; the output
//! is a tree whose component ids all exist (calcard's writer relies on it), as deep as the
//! source.

use calcard::common::timezone::Tz;
use calcard::icalendar::{ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarProperty};
use calcard::vcard::VCard;

use crate::recur::{period_bounds, rdates};
use crate::timerange::TimeRange;
use crate::vcard::Version;

/// Everything, or only the listed items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection<T> {
    /// `allprop` / `allcomp`.
    All,
    /// The listed ones (none when the list is empty, RFC 4791 §9.6.1).
    Only(Vec<T>),
}

/// A property to return (`CALDAV:prop`, `CARDDAV:prop`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropSelection {
    /// The property name, compared ignoring ASCII case.
    pub name: String,
    /// `novalue="yes"`: the property without its value.
    pub novalue: bool,
}

/// A `CALDAV:comp`: a component type and what of it to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompSelection {
    pub name: String,
    pub props: Selection<PropSelection>,
    pub comps: Selection<CompSelection>,
}

impl CompSelection {
    /// `allprop` and `allcomp`: the whole component.
    pub fn all(name: &str) -> CompSelection {
        CompSelection {
            name: name.to_owned(),
            props: Selection::All,
            comps: Selection::All,
        }
    }
}

/// The `entries` (properties) that `props` selects, in their order; a `novalue` one passed
/// through `clear_value`.
fn selected<E: Clone>(
    entries: &[E],
    props: &Selection<PropSelection>,
    name: impl Fn(&E) -> &str,
    clear_value: impl Fn(&mut E),
) -> Vec<E> {
    let Selection::Only(props) = props else {
        return entries.to_vec();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let wanted = props.iter().find(|p| p.name.eq_ignore_ascii_case(name(entry)))?;
            let mut entry = entry.clone();
            if wanted.novalue {
                clear_value(&mut entry);
            }
            Some(entry)
        })
        .collect()
}

/// RFC 4791 §9.6.1: `ical` with only what `selection` (the outermost `comp`) asks for.
pub fn select_calendar(ical: &ICalendar, selection: &CompSelection) -> ICalendar {
    let mut out = ICalendar {
        components: Vec::with_capacity(ical.components.len()),
    };
    if let Some(root) = ical.components.first() {
        copy_selected(ical, root, selection, &mut out);
    }
    out
}

/// Append `component` as `selection` keeps it, and its selected children, to `out`; returns
/// its id there.
fn copy_selected(
    source: &ICalendar,
    component: &ICalendarComponent,
    selection: &CompSelection,
    out: &mut ICalendar,
) -> u32 {
    let entries = selected(
        &component.entries,
        &selection.props,
        |e| e.name.as_str(),
        |e| {
            e.values.clear();
        },
    );
    let id = u32::try_from(out.components.len()).unwrap_or(u32::MAX);
    out.components.push(ICalendarComponent {
        component_type: component.component_type.clone(),
        entries,
        component_ids: Vec::new(),
    });
    for &child_id in &component.component_ids {
        let Some(child) = source.components.get(child_id as usize) else {
            continue;
        };
        let whole;
        let child_selection = match &selection.comps {
            Selection::All => {
                whole = CompSelection::all(child.component_type.as_str());
                &whole
            }
            Selection::Only(comps) => {
                match comps
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(child.component_type.as_str()))
                {
                    Some(c) => c,
                    None => continue,
                }
            }
        };
        let new_child = copy_selected(source, child, child_selection, out);
        if let Some(parent) = out.components.get_mut(id as usize) {
            parent.component_ids.push(new_child);
        }
    }
    id
}

/// RFC 4791 §9.6.7: in each VFREEBUSY, only the FREEBUSY periods that overlap `range`
/// (`start < range end` and `end > range start`); FREEBUSY values are UTC (RFC 5545 §3.8.2.6),
/// `floating` reads any that are not.
pub fn limit_freebusy_set(ical: &ICalendar, range: &TimeRange, floating: Tz) -> ICalendar {
    let zones = ical.build_tz_resolver();
    let mut out = ical.clone();
    for component in &mut out.components {
        if component.component_type != ICalendarComponentType::VFreebusy {
            continue;
        }
        component.entries.retain_mut(|entry| {
            if entry.name != ICalendarProperty::Freebusy {
                return true;
            }
            let keep: Vec<bool> = entry
                .values
                .iter()
                .map(|value| {
                    let one = calcard::icalendar::ICalendarEntry {
                        name: entry.name.clone(),
                        params: entry.params.clone(),
                        values: vec![value.clone()],
                    };
                    rdates(&one, &zones)
                        .first()
                        .and_then(|p| period_bounds(p, floating))
                        .is_none_or(|(s, e)| s < range.hi() && e > range.lo())
                })
                .collect();
            let mut flags = keep.into_iter();
            entry.values.retain(|_| flags.next().unwrap_or(true));
            !entry.values.is_empty()
        });
    }
    out
}

/// RFC 6352 §10.4.2: `card` with only the properties `props` lists (all with
/// [`Selection::All`]), written as `version`.
pub fn select_card(card: &VCard, props: &Selection<PropSelection>, version: Version) -> String {
    let selected = VCard {
        entries: selected(&card.entries, props, |e| e.name.as_str(), |e| e.values.clear()),
    };
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = selected.write_to(&mut out, version.to_calcard());
    out
}
