//! CardDAV report bodies (RFC 6352 §8.6 `addressbook-query`, §8.7 `addressbook-multiget`) with
//! `address-data` (§10.4) and filters (§10.5).

use crate::error::{DavXmlError, Result};
use crate::name::CARDDAV;
use crate::reader::Limits;
use crate::tree::Element;

use super::caldav::Selection;
use super::propfind::PropRequest;
use super::textmatch::{Dialect, ParamFilter, TextMatch, name_attr, param_filter, text_match};
use super::{multiget, nresults, prop_and_data};

/// A `CARDDAV:prop` of `address-data` (§10.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardPropSelection {
    pub name: String,
    /// `novalue="yes"`: the property without its value.
    pub novalue: bool,
}

/// The `address-data` element of a report's `DAV:prop` (§10.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressDataRequest {
    /// `text/vcard` unless given; the server converts between vCard versions on request.
    pub content_type: Option<String>,
    /// `3.0` or `4.0`.
    pub version: Option<String>,
    /// The properties to return; `address-data` without `prop` children (or with `allprop`)
    /// returns the whole vCard (§10.4).
    pub props: Selection<CardPropSelection>,
}

/// Parses an `address-data` element of a report's `DAV:prop`.
pub fn address_data_request(e: &Element) -> Result<AddressDataRequest> {
    let mut props = Vec::new();
    for p in e.children_named(CARDDAV, "prop") {
        props.push(CardPropSelection {
            name: name_attr(p, "prop")?,
            novalue: matches!(p.attr("novalue"), Some("yes")),
        });
    }
    let props = if props.is_empty() || e.child(CARDDAV, "allprop").is_some() {
        Selection::All
    } else {
        Selection::Only(props)
    };
    Ok(AddressDataRequest {
        content_type: e.attr("content-type").map(str::to_owned),
        version: e.attr("version").map(str::to_owned),
        props,
    })
}

/// `test="anyof"` (the default) or `test="allof"` (§10.5, §10.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterTest {
    AnyOf,
    AllOf,
}

fn filter_test(e: &Element) -> Result<FilterTest> {
    match e.attr("test") {
        None | Some("anyof") => Ok(FilterTest::AnyOf),
        Some("allof") => Ok(FilterTest::AllOf),
        Some(other) => Err(DavXmlError::invalid(
            "filter",
            format!("test=\"{other}\" is not anyof or allof"),
        )),
    }
}

/// A CardDAV `prop-filter` (§10.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardPropFilter {
    /// The vCard property name, as given (compared case-insensitively).
    pub name: String,
    pub test: CardPropTest,
}

/// What a CardDAV `prop-filter` asks of its property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardPropTest {
    IsNotDefined,
    /// The property exists and its text matches and parameter filters combine by `test`
    /// (none: the property exists).
    Defined {
        test: FilterTest,
        text_matches: Vec<TextMatch>,
        params: Vec<ParamFilter>,
    },
}

/// The `filter` of an `addressbook-query` (§10.5): its property filters combined by `test`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFilter {
    pub test: FilterTest,
    pub props: Vec<CardPropFilter>,
}

fn card_prop_filter(e: &Element) -> Result<CardPropFilter> {
    let name = name_attr(e, "prop-filter")?;
    let test = if e.child(CARDDAV, "is-not-defined").is_some() {
        CardPropTest::IsNotDefined
    } else {
        CardPropTest::Defined {
            test: filter_test(e)?,
            text_matches: e
                .children_named(CARDDAV, "text-match")
                .map(|t| text_match(t, Dialect::CardDav))
                .collect::<Result<_>>()?,
            params: e
                .children_named(CARDDAV, "param-filter")
                .map(|p| param_filter(p, CARDDAV, Dialect::CardDav))
                .collect::<Result<_>>()?,
        }
    };
    Ok(CardPropFilter { name, test })
}

/// An `addressbook-query` REPORT (§8.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressbookQuery {
    pub prop: Option<PropRequest>,
    pub address_data: Option<AddressDataRequest>,
    pub filter: CardFilter,
    /// `limit/nresults` (§8.6.1): at most this many results.
    pub limit: Option<u32>,
}

/// An `addressbook-multiget` REPORT (§8.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressbookMultiget {
    pub prop: Option<PropRequest>,
    pub address_data: Option<AddressDataRequest>,
    /// At least one.
    pub hrefs: Vec<String>,
}

pub(crate) fn addressbook_query(e: &Element, limits: &Limits) -> Result<AddressbookQuery> {
    let (prop, address_data) = prop_and_data(e, limits, (CARDDAV, "address-data"), address_data_request)?;
    let filter = e
        .child(CARDDAV, "filter")
        .ok_or_else(|| DavXmlError::invalid("addressbook-query", "no filter"))?;
    let limit = e
        .child(CARDDAV, "limit")
        .and_then(|l| l.child(CARDDAV, "nresults"))
        .map(|n| nresults(n, "addressbook-query limit"))
        .transpose()?;
    Ok(AddressbookQuery {
        prop,
        address_data,
        filter: CardFilter {
            test: filter_test(filter)?,
            props: filter
                .children_named(CARDDAV, "prop-filter")
                .map(card_prop_filter)
                .collect::<Result<_>>()?,
        },
        limit,
    })
}

pub(crate) fn addressbook_multiget(e: &Element, limits: &Limits) -> Result<AddressbookMultiget> {
    let (prop, address_data, hrefs) = multiget(
        e,
        limits,
        (CARDDAV, "address-data"),
        address_data_request,
        "addressbook-multiget",
    )?;
    Ok(AddressbookMultiget {
        prop,
        address_data,
        hrefs,
    })
}
