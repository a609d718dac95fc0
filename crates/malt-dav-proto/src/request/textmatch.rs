//! What CalDAV and CardDAV filters share: `text-match` (RFC 4791 §9.7.5, RFC 6352 §10.5.4)
//! and `param-filter` (RFC 4791 §9.7.3, RFC 6352 §10.5.2).

use crate::error::{DavXmlError, Result};
use crate::tree::Element;

/// A collation (RFC 4790) a `text-match` names. Servers must support `i;ascii-casemap` and
/// `i;octet` (RFC 4791 §7.5.1) and, for CardDAV, `i;unicode-casemap` (RFC 6352 §8.3); any other
/// is answered with the `supported-collation` precondition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collation {
    AsciiCasemap,
    Octet,
    UnicodeCasemap,
    Other(String),
}

impl Collation {
    pub fn parse(s: &str) -> Collation {
        match s {
            "i;ascii-casemap" => Collation::AsciiCasemap,
            "i;octet" => Collation::Octet,
            "i;unicode-casemap" => Collation::UnicodeCasemap,
            other => Collation::Other(other.to_owned()),
        }
    }
}

/// How the text is compared (RFC 6352 §10.5.4 `match-type`; CalDAV always `contains`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
}

/// A `text-match`: the text, how to compare, and whether the result is negated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMatch {
    pub text: String,
    pub collation: Collation,
    pub match_type: MatchType,
    /// `negate-condition="yes"`.
    pub negate: bool,
}

/// Which filter dialect a `text-match` comes from: its default collation and whether it may
/// have a `match-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// RFC 4791: default `i;ascii-casemap`, always `contains`.
    CalDav,
    /// RFC 6352: default `i;unicode-casemap`, `match-type` allowed (default `contains`).
    CardDav,
}

fn yes_no(e: &Element, attr: &str, what: &'static str) -> Result<bool> {
    match e.attr(attr) {
        None | Some("no") => Ok(false),
        Some("yes") => Ok(true),
        Some(other) => Err(DavXmlError::invalid(
            what,
            format!("{attr}=\"{other}\" is not yes or no"),
        )),
    }
}

pub(crate) fn text_match(e: &Element, dialect: Dialect) -> Result<TextMatch> {
    let default_collation = match dialect {
        Dialect::CalDav => "i;ascii-casemap",
        Dialect::CardDav => "i;unicode-casemap",
    };
    let match_type = match (dialect, e.attr("match-type")) {
        (Dialect::CalDav, _) | (Dialect::CardDav, None | Some("contains")) => MatchType::Contains,
        (Dialect::CardDav, Some("equals")) => MatchType::Equals,
        (Dialect::CardDav, Some("starts-with")) => MatchType::StartsWith,
        (Dialect::CardDav, Some("ends-with")) => MatchType::EndsWith,
        (Dialect::CardDav, Some(other)) => {
            return Err(DavXmlError::invalid(
                "text-match",
                format!("unknown match-type `{other}`"),
            ));
        }
    };
    Ok(TextMatch {
        text: e.text(),
        collation: Collation::parse(e.attr("collation").unwrap_or(default_collation)),
        match_type,
        negate: yes_no(e, "negate-condition", "text-match")?,
    })
}

/// A `param-filter`: a property parameter by name, and what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFilter {
    /// The parameter name, as given (compared case-insensitively, RFC 5545 §3.2).
    pub name: String,
    pub test: ParamTest,
}

/// What a `param-filter` asks of its parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamTest {
    /// `is-not-defined`: the parameter must be absent.
    IsNotDefined,
    /// The parameter must be present, and match the text when there is one.
    Defined(Option<TextMatch>),
}

/// The `name` attribute every filter element has; `Invalid` when missing or empty.
pub(crate) fn name_attr(e: &Element, what: &'static str) -> Result<String> {
    match e.attr("name") {
        Some(n) if !n.is_empty() => Ok(n.to_owned()),
        _ => Err(DavXmlError::invalid(what, "no name attribute")),
    }
}

pub(crate) fn param_filter(e: &Element, ns: &str, dialect: Dialect) -> Result<ParamFilter> {
    let name = name_attr(e, "param-filter")?;
    let test = if e.child(ns, "is-not-defined").is_some() {
        ParamTest::IsNotDefined
    } else {
        ParamTest::Defined(
            e.child(ns, "text-match")
                .map(|t| text_match(t, dialect))
                .transpose()?,
        )
    };
    Ok(ParamFilter { name, test })
}
