//! Request bodies: each method's body parsed into a typed request. Parsers take the body as
//! received and the [`Limits`]; an empty body is what the method says it means (PROPFIND:
//! allprop, RFC 4918 §9.1; MKCOL: no properties) or an error where a body is required.
//!
//! Common rules (RFC 4918 §17): elements are matched by namespace and local name, whatever the
//! prefix; unknown child elements are ignored; unknown properties are kept as names.

pub mod acl;
pub mod caldav;
pub mod carddav;
pub mod mkcol;
pub mod principal;
pub mod propfind;
pub mod proppatch;
pub mod report;
pub mod sharing;
pub mod textmatch;

pub use acl::*;
pub use caldav::*;
pub use carddav::*;
pub use mkcol::*;
pub use principal::*;
pub use propfind::*;
pub use proppatch::*;
pub use report::*;
pub use sharing::*;
pub use textmatch::{Collation, MatchType, ParamFilter, ParamTest, TextMatch};

use crate::error::{DavXmlError, Result};
use crate::name::{DAV, Name};
use crate::reader::{Limits, parse_document};
use crate::tree::Element;

/// Parses `body` and checks that its root is `local` in `ns`.
pub(crate) fn root(
    body: &[u8],
    limits: &Limits,
    ns: &str,
    local: &str,
    what: &'static str,
) -> Result<Element> {
    let e = parse_document(body, limits)?;
    if !e.is(ns, local) {
        return Err(DavXmlError::invalid(
            what,
            format!("the root element is {}, not {{{ns}}}{local}", e.name),
        ));
    }
    Ok(e)
}

/// Whether a body is empty (or only whitespace): no XML at all.
pub(crate) fn is_blank(body: &[u8]) -> bool {
    body.iter().all(|b| b.is_ascii_whitespace())
}

/// The names of the children of a `DAV:prop` (or `DAV:include`) element, in order, at most
/// [`Limits::max_props`]. A name listed twice is kept once.
pub(crate) fn prop_names(prop: &Element, limits: &Limits) -> Result<Vec<Name>> {
    let mut names: Vec<Name> = Vec::new();
    for e in prop.elements() {
        if names.len() >= limits.max_props {
            return Err(DavXmlError::TooManyProps(limits.max_props));
        }
        if !names.contains(&e.name) {
            names.push(e.name.clone());
        }
    }
    Ok(names)
}

/// The property elements in the `DAV:prop` children of `containers` (`DAV:set`, `DAV:remove`),
/// in document order, each mapped by `f` (given its container), at most [`Limits::max_props`].
pub(crate) fn props_in<'a, T>(
    containers: impl Iterator<Item = &'a Element>,
    limits: &Limits,
    f: impl Fn(&'a Element, &'a Element) -> T,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for container in containers {
        for p in container.children_named(DAV, "prop").flat_map(Element::elements) {
            if out.len() >= limits.max_props {
                return Err(DavXmlError::TooManyProps(limits.max_props));
            }
            out.push(f(container, p));
        }
    }
    Ok(out)
}

/// What a multiget report (RFC 4791 §7.9, RFC 6352 §8.7) holds: the selection, the data
/// element of its `DAV:prop` parsed by `parse`, and at least one href.
pub(crate) fn multiget<T>(
    report: &Element,
    limits: &Limits,
    data: (&str, &str),
    parse: fn(&Element) -> Result<T>,
    what: &'static str,
) -> Result<(Option<PropRequest>, Option<T>, Vec<String>)> {
    let (prop, data) = prop_and_data(report, limits, data, parse)?;
    let hrefs = hrefs(report, limits)?;
    if hrefs.is_empty() {
        return Err(DavXmlError::invalid(what, "no href"));
    }
    Ok((prop, data, hrefs))
}

/// The selection of a report and, when its `DAV:prop` holds one, the data element `data`
/// (`calendar-data` or `address-data`) parsed by `parse`.
pub(crate) fn prop_and_data<T>(
    report: &Element,
    limits: &Limits,
    (data_ns, data_local): (&str, &str),
    parse: fn(&Element) -> Result<T>,
) -> Result<(Option<PropRequest>, Option<T>)> {
    let prop = PropRequest::from_parent(report, limits)?;
    let data = report
        .child(DAV, "prop")
        .and_then(|p| p.child(data_ns, data_local))
        .map(parse)
        .transpose()?;
    Ok((prop, data))
}

/// Every `DAV:href` child's text, in order, at most [`Limits::max_hrefs`]; `Invalid` when an
/// href is empty.
pub(crate) fn hrefs(parent: &Element, limits: &Limits) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for h in parent.children_named(DAV, "href") {
        if out.len() >= limits.max_hrefs {
            return Err(DavXmlError::TooManyHrefs(limits.max_hrefs));
        }
        let href = h.text().trim().to_owned();
        if href.is_empty() {
            return Err(DavXmlError::invalid("href", "empty"));
        }
        out.push(href);
    }
    Ok(out)
}

/// A positive decimal number (RFC 5323 §5.17 `nresults`, used by RFC 6578 §6.2 and RFC 6352
/// §8.6.1).
pub(crate) fn nresults(e: &Element, what: &'static str) -> Result<u32> {
    let text = e.text();
    match text.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(DavXmlError::invalid(
            what,
            format!("`{}` is not a positive number", text.trim()),
        )),
    }
}
