//! What the server reads in the resources clients store, through `malt-calendar` (iCalendar and
//! vCard over calcard): the checks of a PUT (RFC 4791 §4.1, §5.3.2.1; RFC 6352 §5.1,
//! §6.3.2.1), the UID, component and occurrence span the store keeps, report filters
//! (RFC 4791 §9.7, RFC 6352 §10.5), `expand` and `limit-recurrence-set` (RFC 4791 §9.6.5-6),
//! partial retrieval (`comp` / `prop` of `calendar-data`, RFC 4791 §9.6.1; `prop` of
//! `address-data`, RFC 6352 §10.4.2; `limit-freebusy-set`, §9.6.7), vCard versions on request
//! (RFC 6352 §10.4) and free-busy (RFC 4791 §7.10).
//!
//! Invariants: a filter is converted once per report, then evaluated per candidate; a
//! collation the server does not know is refused before any evaluation
//! (`supported-collation`, RFC 4791 §7.5.1, RFC 6352 §8.3); stored objects that no longer
//! parse (stored before a stricter check) never match a filter and are returned as stored.

use malt_calendar::filter::{CompFilter, ParamFilter, PropFilter};
use malt_calendar::freebusy::freebusy_calendar;
use malt_calendar::output::{expand_instances, limit_recurrence_set};
use malt_calendar::select;
use malt_calendar::text::{Collation, MatchType, TextMatch};
use malt_calendar::timerange::TimeRange;
use malt_calendar::vcard::{AddressbookFilter, CardPropFilter, Test, VCardObject, Version};
use malt_calendar::when::{zone_of_id, zone_of_vcalendar};
use malt_calendar::{CalendarObject, Precondition, Tz};
use malt_core::scheduling::{dav_component, dav_span};
use malt_dav_proto::request as q;
use malt_store::{DavCollection, DavComponent, DavObject, DavSpan};

/// What a PUT of a calendar object resource stores besides the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarInfo {
    pub uid: String,
    pub component: DavComponent,
    pub span: Option<DavSpan>,
}

/// Why a resource was refused: the precondition's element name (in the collection's namespace)
/// and a reason for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub condition: &'static str,
    pub reason: String,
}

impl From<malt_calendar::ObjectError> for Refusal {
    fn from(e: malt_calendar::ObjectError) -> Refusal {
        Refusal {
            condition: e.precondition.element_name(),
            reason: e.reason,
        }
    }
}

/// A collation named in a filter that the server does not support (`supported-collation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedCollation(pub String);

/// Checks a calendar object resource and reads what the store keeps: UID, component, and the
/// occurrence span (recurrences expanded, time zones resolved) for the time-range index.
pub fn calendar(bytes: &[u8]) -> Result<CalendarInfo, Refusal> {
    let object = CalendarObject::parse(bytes)?;
    let component = dav_component(object.kind()).ok_or_else(|| Refusal {
        condition: Precondition::SupportedCalendarComponent.element_name(),
        reason: format!("{} resources are not stored", object.kind().name()),
    })?;
    Ok(CalendarInfo {
        uid: object.uid().to_owned(),
        component,
        span: dav_span(&object),
    })
}

/// Checks a vCard and returns its UID, if any.
pub fn vcard(bytes: &[u8]) -> Result<Option<String>, Refusal> {
    let card = VCardObject::parse(bytes)?;
    Ok(Some(card.uid().to_owned()).filter(|u| !u.is_empty()))
}

/// The zone floating times are read in (RFC 4791 §9.8, RFC 7809 §5.2): the query's, else the
/// calendar's `calendar-timezone`, else UTC.
pub fn floating_zone(query: Option<&q::QueryTimezone>, c: &DavCollection) -> Tz {
    let of_query = match query {
        Some(q::QueryTimezone::Id(id)) => zone_of_id(id),
        Some(q::QueryTimezone::Calendar(text)) => zone_of_vcalendar(text),
        None => None,
    };
    of_query
        .or_else(|| c.props.timezone.as_deref().and_then(zone_of_vcalendar))
        .unwrap_or(Tz::UTC)
}

fn time_range(r: &q::TimeRange) -> TimeRange {
    TimeRange {
        start: r.start,
        end: r.end,
    }
}

fn text_match(m: &q::TextMatch) -> Result<TextMatch, UnsupportedCollation> {
    let collation = match &m.collation {
        q::Collation::AsciiCasemap => Collation::AsciiCasemap,
        q::Collation::Octet => Collation::Octet,
        q::Collation::UnicodeCasemap => Collation::UnicodeCasemap,
        q::Collation::Other(name) => return Err(UnsupportedCollation(name.clone())),
    };
    let match_type = match m.match_type {
        q::MatchType::Equals => MatchType::Equals,
        q::MatchType::Contains => MatchType::Contains,
        q::MatchType::StartsWith => MatchType::StartsWith,
        q::MatchType::EndsWith => MatchType::EndsWith,
    };
    Ok(TextMatch {
        value: m.text.clone(),
        collation,
        match_type,
        negate: m.negate,
    })
}

fn param_filter(p: &q::ParamFilter) -> Result<ParamFilter, UnsupportedCollation> {
    Ok(match &p.test {
        q::ParamTest::IsNotDefined => ParamFilter {
            name: p.name.clone(),
            is_not_defined: true,
            text_match: None,
        },
        q::ParamTest::Defined(m) => ParamFilter {
            name: p.name.clone(),
            is_not_defined: false,
            text_match: m.as_ref().map(text_match).transpose()?,
        },
    })
}

fn prop_filter(p: &q::PropFilter) -> Result<PropFilter, UnsupportedCollation> {
    Ok(match &p.test {
        q::PropTest::IsNotDefined => PropFilter {
            name: p.name.clone(),
            is_not_defined: true,
            ..PropFilter::default()
        },
        q::PropTest::Defined {
            time_range: r,
            text_match: m,
            params,
        } => PropFilter {
            name: p.name.clone(),
            is_not_defined: false,
            time_range: r.as_ref().map(time_range),
            text_match: m.as_ref().map(text_match).transpose()?,
            param_filters: params.iter().map(param_filter).collect::<Result<_, _>>()?,
        },
    })
}

/// A `calendar-query` filter in `malt-calendar`'s form.
pub fn calendar_filter(f: &q::CompFilter) -> Result<CompFilter, UnsupportedCollation> {
    Ok(match &f.test {
        q::CompTest::IsNotDefined => CompFilter {
            name: f.name.clone(),
            is_not_defined: true,
            ..CompFilter::default()
        },
        q::CompTest::Defined {
            time_range: r,
            props,
            comps,
        } => CompFilter {
            name: f.name.clone(),
            is_not_defined: false,
            time_range: r.as_ref().map(time_range),
            prop_filters: props.iter().map(prop_filter).collect::<Result<_, _>>()?,
            comp_filters: comps.iter().map(calendar_filter).collect::<Result<_, _>>()?,
        },
    })
}

/// Whether a stored calendar object matches `filter` (RFC 4791 §9.7).
pub fn calendar_matches(object: &DavObject, filter: &CompFilter, floating: Tz) -> bool {
    CalendarObject::parse(&object.content).is_ok_and(|o| malt_calendar::filter::matches(&o, filter, floating))
}

/// The `calendar-data` for `object` (RFC 4791 §9.6): `expand` or `limit-recurrence-set`
/// (§9.6.5-6) first, then `limit-freebusy-set` (§9.6.7), then the `comp` selection (§9.6.1) on
/// what they produced; `None`: the object as stored (nothing of that asked, or content that no
/// longer parses).
pub fn calendar_data(object: &DavObject, request: &q::CalendarDataRequest, floating: Tz) -> Option<String> {
    let ranged = request.expand.as_ref().or(request.limit_recurrence_set.as_ref());
    if ranged.is_none() && request.limit_freebusy_set.is_none() && request.comp.is_none() {
        return None;
    }
    let parsed = CalendarObject::parse(&object.content).ok()?;
    let mut out = match (&request.expand, &request.limit_recurrence_set) {
        (Some(range), _) => expand_instances(&parsed, &time_range(range), floating),
        (None, Some(range)) => limit_recurrence_set(&parsed, &time_range(range), floating),
        (None, None) => parsed.calendar().clone(),
    };
    if let Some(range) = &request.limit_freebusy_set {
        out = select::limit_freebusy_set(&out, &time_range(range), floating);
    }
    if let Some(comp) = &request.comp {
        out = select::select_calendar(&out, &comp_selection(comp));
    }
    Some(out.to_string())
}

fn comp_selection(c: &q::CompSelection) -> select::CompSelection {
    select::CompSelection {
        name: c.name.clone(),
        props: selection(&c.props, |p| select::PropSelection {
            name: p.name.clone(),
            novalue: p.novalue,
        }),
        comps: selection(&c.comps, comp_selection),
    }
}

fn selection<T, U>(s: &q::Selection<T>, each: impl Fn(&T) -> U) -> select::Selection<U> {
    match s {
        q::Selection::All => select::Selection::All,
        q::Selection::Only(items) => select::Selection::Only(items.iter().map(each).collect()),
    }
}

/// An `addressbook-query` filter in `malt-calendar`'s form.
pub fn card_filter(f: &q::CardFilter) -> Result<AddressbookFilter, UnsupportedCollation> {
    let test = |t: q::FilterTest| match t {
        q::FilterTest::AnyOf => Test::AnyOf,
        q::FilterTest::AllOf => Test::AllOf,
    };
    let prop = |p: &q::CardPropFilter| -> Result<CardPropFilter, UnsupportedCollation> {
        Ok(match &p.test {
            q::CardPropTest::IsNotDefined => CardPropFilter {
                name: p.name.clone(),
                is_not_defined: true,
                ..CardPropFilter::default()
            },
            q::CardPropTest::Defined {
                test: t,
                text_matches,
                params,
            } => CardPropFilter {
                name: p.name.clone(),
                is_not_defined: false,
                test: test(*t),
                text_matches: text_matches.iter().map(text_match).collect::<Result<_, _>>()?,
                param_filters: params.iter().map(param_filter).collect::<Result<_, _>>()?,
            },
        })
    };
    Ok(AddressbookFilter {
        test: test(f.test),
        prop_filters: f.props.iter().map(prop).collect::<Result<_, _>>()?,
    })
}

/// Whether a stored vCard matches `filter` (RFC 6352 §10.5).
pub fn card_matches(object: &DavObject, filter: &AddressbookFilter) -> bool {
    VCardObject::parse(&object.content).is_ok_and(|c| filter.matches(&c))
}

/// The `address-data` for `object` (RFC 6352 §10.4): only the properties asked for
/// (§10.4.2), in the vCard version asked for; `None`: as stored (all properties in the stored
/// version, an unknown version, or content that no longer parses).
pub fn address_data(object: &DavObject, request: &q::AddressDataRequest) -> Option<String> {
    let asked = request.version.as_deref().and_then(Version::from_name);
    let selects = matches!(request.props, q::Selection::Only(_));
    let card = VCardObject::parse(&object.content).ok()?;
    let version = asked.unwrap_or(card.version());
    if !selects && version == card.version() {
        return None;
    }
    let props = selection(&request.props, |p| select::PropSelection {
        name: p.name.clone(),
        novalue: p.novalue,
    });
    Some(select::select_card(card.card(), &props, version))
}

/// The VCALENDAR with one VFREEBUSY answering a free-busy query over `objects` for
/// `[start, end)` (RFC 4791 §7.10), stamped `now`.
pub fn free_busy(objects: &[DavObject], start: i64, end: i64, floating: Tz, now: i64) -> String {
    let periods = malt_core::scheduling::busy_of(objects, start, end, floating);
    freebusy_calendar(periods, start, end, now).to_string()
}
