//! CalDAV report bodies (RFC 4791 §7.8 `calendar-query`, §7.9 `calendar-multiget`, §7.10
//! `free-busy-query`) with their parts: `calendar-data` (§9.6), filters (§9.7), `time-range`
//! (§9.9), and the query time zone (§9.8, RFC 7809 §5.2 `timezone-id`).
//!
//! The parser checks the grammar and the values it can check alone (dates, ranges with an end
//! after their start, yes/no attributes); what needs the calendar (a filter's component names,
//! supported collations) is the server's (`valid-filter`, `supported-collation`, RFC 4791
//! §7.7).

use crate::error::{DavXmlError, Result};
use crate::name::CALDAV;
use crate::reader::Limits;
use crate::time::parse_utc;
use crate::tree::Element;

use super::propfind::PropRequest;
use super::textmatch::{Dialect, ParamFilter, TextMatch, name_attr, param_filter, text_match};
use super::{multiget, prop_and_data};

/// A `time-range` (RFC 4791 §9.9): Unix seconds; at least one bound, the end after the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl TimeRange {
    /// The range as `[start, end)` with open bounds made infinite.
    pub fn bounds(&self) -> (i64, i64) {
        (self.start.unwrap_or(i64::MIN), self.end.unwrap_or(i64::MAX))
    }
}

fn utc_attr(e: &Element, attr: &str) -> Result<Option<i64>> {
    e.attr(attr)
        .map(|v| {
            parse_utc(v.trim()).ok_or_else(|| {
                DavXmlError::invalid("time-range", format!("{attr}=\"{v}\" is not a UTC date-time"))
            })
        })
        .transpose()
}

/// A `time-range`-like element: `start` and `end` attributes, at least one (both when
/// `both_required`: `expand`, `limit-recurrence-set`, `limit-freebusy-set`, §9.6.5-§9.6.7).
fn time_range(e: &Element, both_required: bool) -> Result<TimeRange> {
    let r = TimeRange {
        start: utc_attr(e, "start")?,
        end: utc_attr(e, "end")?,
    };
    let what = "time-range";
    match (r.start, r.end) {
        (None, None) => Err(DavXmlError::invalid(what, "neither start nor end")),
        (None, Some(_)) | (Some(_), None) if both_required => Err(DavXmlError::invalid(
            what,
            format!("{} needs both start and end", e.name.local),
        )),
        (Some(s), Some(end)) if end <= s => Err(DavXmlError::invalid(what, "the end is not after the start")),
        _ => Ok(r),
    }
}

/// Which properties or components a `comp` of `calendar-data` keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection<T> {
    /// `allprop` / `allcomp`.
    All,
    /// The listed ones (none when the list is empty).
    Only(Vec<T>),
}

/// A `CALDAV:prop` of `calendar-data` (§9.6.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalPropSelection {
    pub name: String,
    /// `novalue="yes"`: the property without its value.
    pub novalue: bool,
}

/// A `CALDAV:comp` of `calendar-data` (§9.6.1): a component and what of it to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompSelection {
    pub name: String,
    pub props: Selection<CalPropSelection>,
    pub comps: Selection<CompSelection>,
}

/// The `calendar-data` element of a report's `DAV:prop` (§9.6): the media type asked for, the
/// parts to return, and recurrence handling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDataRequest {
    pub content_type: Option<String>,
    pub version: Option<String>,
    /// `None`: the whole object.
    pub comp: Option<CompSelection>,
    /// §9.6.5: recurrences expanded to instances in this range, in UTC.
    pub expand: Option<TimeRange>,
    /// §9.6.6: only the overridden instances in this range (with the master).
    pub limit_recurrence_set: Option<TimeRange>,
    /// §9.6.7: only the FREEBUSY periods in this range.
    pub limit_freebusy_set: Option<TimeRange>,
}

/// A `comp` element. One with no `prop`, `allprop`, `comp` or `allcomp` child is the whole
/// component, as the example of RFC 4791 §7.8.1 answers `<C:comp name="VTIMEZONE"/>`; otherwise
/// an absent list selects nothing of its kind (§9.6.1).
fn comp_selection(e: &Element) -> Result<CompSelection> {
    let name = name_attr(e, "comp")?;
    let says_nothing = ["prop", "allprop", "comp", "allcomp"]
        .iter()
        .all(|local| e.child(CALDAV, local).is_none());
    if says_nothing {
        return Ok(CompSelection {
            name,
            props: Selection::All,
            comps: Selection::All,
        });
    }
    let props = if e.child(CALDAV, "allprop").is_some() {
        Selection::All
    } else {
        let mut props = Vec::new();
        for p in e.children_named(CALDAV, "prop") {
            props.push(CalPropSelection {
                name: name_attr(p, "prop")?,
                novalue: matches!(p.attr("novalue"), Some("yes")),
            });
        }
        Selection::Only(props)
    };
    let comps = if e.child(CALDAV, "allcomp").is_some() {
        Selection::All
    } else {
        Selection::Only(
            e.children_named(CALDAV, "comp")
                .map(comp_selection)
                .collect::<Result<_>>()?,
        )
    };
    Ok(CompSelection { name, props, comps })
}

/// Parses a `calendar-data` element of a report's `DAV:prop`.
pub fn calendar_data_request(e: &Element) -> Result<CalendarDataRequest> {
    let range = |local: &str| e.child(CALDAV, local).map(|r| time_range(r, true)).transpose();
    Ok(CalendarDataRequest {
        content_type: e.attr("content-type").map(str::to_owned),
        version: e.attr("version").map(str::to_owned),
        comp: e.child(CALDAV, "comp").map(comp_selection).transpose()?,
        expand: range("expand")?,
        limit_recurrence_set: range("limit-recurrence-set")?,
        limit_freebusy_set: range("limit-freebusy-set")?,
    })
}

/// A `comp-filter` (§9.7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompFilter {
    /// The component name, as given (`VCALENDAR`, `VEVENT`, ...).
    pub name: String,
    pub test: CompTest,
}

/// What a `comp-filter` asks of its component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompTest {
    /// `is-not-defined`: no such component.
    IsNotDefined,
    /// Such a component exists and matches all of these.
    Defined {
        time_range: Option<TimeRange>,
        props: Vec<PropFilter>,
        comps: Vec<CompFilter>,
    },
}

/// A CalDAV `prop-filter` (§9.7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropFilter {
    pub name: String,
    pub test: PropTest,
}

/// What a CalDAV `prop-filter` asks of its property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropTest {
    IsNotDefined,
    /// The property exists and matches all of these (`time-range` and `text-match` exclude
    /// each other, §9.7.2).
    Defined {
        time_range: Option<TimeRange>,
        text_match: Option<TextMatch>,
        params: Vec<ParamFilter>,
    },
}

fn prop_filter(e: &Element) -> Result<PropFilter> {
    let name = name_attr(e, "prop-filter")?;
    if e.child(CALDAV, "is-not-defined").is_some() {
        return Ok(PropFilter {
            name,
            test: PropTest::IsNotDefined,
        });
    }
    let time_range = e
        .child(CALDAV, "time-range")
        .map(|t| time_range(t, false))
        .transpose()?;
    let text_match = e
        .child(CALDAV, "text-match")
        .map(|t| text_match(t, Dialect::CalDav))
        .transpose()?;
    if time_range.is_some() && text_match.is_some() {
        return Err(DavXmlError::invalid(
            "prop-filter",
            "both time-range and text-match",
        ));
    }
    let params = e
        .children_named(CALDAV, "param-filter")
        .map(|p| param_filter(p, CALDAV, Dialect::CalDav))
        .collect::<Result<_>>()?;
    Ok(PropFilter {
        name,
        test: PropTest::Defined {
            time_range,
            text_match,
            params,
        },
    })
}

fn comp_filter(e: &Element) -> Result<CompFilter> {
    let name = name_attr(e, "comp-filter")?;
    if e.child(CALDAV, "is-not-defined").is_some() {
        return Ok(CompFilter {
            name,
            test: CompTest::IsNotDefined,
        });
    }
    Ok(CompFilter {
        name,
        test: CompTest::Defined {
            time_range: e
                .child(CALDAV, "time-range")
                .map(|t| time_range(t, false))
                .transpose()?,
            props: e
                .children_named(CALDAV, "prop-filter")
                .map(prop_filter)
                .collect::<Result<_>>()?,
            comps: e
                .children_named(CALDAV, "comp-filter")
                .map(comp_filter)
                .collect::<Result<_>>()?,
        },
    })
}

/// The time zone a query's floating times are read in (§9.8, RFC 7809 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryTimezone {
    /// `CALDAV:timezone`: a VCALENDAR text with one VTIMEZONE.
    Calendar(String),
    /// `CALDAV:timezone-id`: an IANA time zone name.
    Id(String),
}

/// A `calendar-query` REPORT (§7.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarQuery {
    /// `None`: no property asked for.
    pub prop: Option<PropRequest>,
    /// The `calendar-data` of `prop`, when asked for.
    pub calendar_data: Option<CalendarDataRequest>,
    /// The filter's one `comp-filter` (for `VCALENDAR`).
    pub filter: CompFilter,
    pub timezone: Option<QueryTimezone>,
}

/// A `calendar-multiget` REPORT (§7.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarMultiget {
    pub prop: Option<PropRequest>,
    pub calendar_data: Option<CalendarDataRequest>,
    /// At least one.
    pub hrefs: Vec<String>,
}

pub(crate) fn calendar_query(e: &Element, limits: &Limits) -> Result<CalendarQuery> {
    let (prop, calendar_data) = prop_and_data(e, limits, (CALDAV, "calendar-data"), calendar_data_request)?;
    let filter = e
        .child(CALDAV, "filter")
        .ok_or_else(|| DavXmlError::invalid("calendar-query", "no filter"))?;
    let mut comps = filter.children_named(CALDAV, "comp-filter");
    let first = comps
        .next()
        .ok_or_else(|| DavXmlError::invalid("calendar-query", "the filter has no comp-filter"))?;
    if comps.next().is_some() {
        return Err(DavXmlError::invalid(
            "calendar-query",
            "the filter has more than one comp-filter",
        ));
    }
    let timezone = match (e.child(CALDAV, "timezone"), e.child(CALDAV, "timezone-id")) {
        (Some(_), Some(_)) => {
            return Err(DavXmlError::invalid(
                "calendar-query",
                "both timezone and timezone-id",
            ));
        }
        (Some(t), None) => Some(QueryTimezone::Calendar(t.text())),
        (None, Some(t)) => Some(QueryTimezone::Id(t.text().trim().to_owned())),
        (None, None) => None,
    };
    Ok(CalendarQuery {
        prop,
        calendar_data,
        filter: comp_filter(first)?,
        timezone,
    })
}

pub(crate) fn calendar_multiget(e: &Element, limits: &Limits) -> Result<CalendarMultiget> {
    let (prop, calendar_data, hrefs) = multiget(
        e,
        limits,
        (CALDAV, "calendar-data"),
        calendar_data_request,
        "calendar-multiget",
    )?;
    Ok(CalendarMultiget {
        prop,
        calendar_data,
        hrefs,
    })
}

pub(crate) fn free_busy_query(e: &Element) -> Result<TimeRange> {
    let range = e
        .child(CALDAV, "time-range")
        .ok_or_else(|| DavXmlError::invalid("free-busy-query", "no time-range"))?;
    time_range(range, false)
}

/// The component names of a `supported-calendar-component-set` (RFC 4791 §5.2.3), as given.
pub fn component_set(e: &Element) -> Vec<String> {
    e.children_named(CALDAV, "comp")
        .filter_map(|c| c.attr("name"))
        .map(str::to_owned)
        .collect()
}
