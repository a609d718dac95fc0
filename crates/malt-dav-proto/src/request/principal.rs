//! The principal reports' bodies: `DAV:expand-property` (RFC 3253 §3.8),
//! `DAV:acl-principal-prop-set` (RFC 3744 §9.2), `DAV:principal-property-search` (§9.4),
//! `DAV:principal-search-property-set` (§9.5) and `DAV:principal-match` (§9.3).
//!
//! Limits: an expand-property request nests at most [`MAX_EXPAND_DEPTH`] `DAV:property`
//! levels and names at most [`Limits::max_props`] properties in all; a property search holds
//! at most [`MAX_SEARCHES`] `DAV:property-search` elements, each naming at most
//! [`Limits::max_props`] properties and a match of at most [`MAX_MATCH_LEN`] octets.

use crate::error::{DavXmlError, Result};
use crate::name::{DAV, Name};
use crate::reader::Limits;
use crate::tree::Element;

use super::{PropRequest, prop_names};

/// How deep `DAV:property` elements of an expand-property request may nest (the top level is 1).
pub const MAX_EXPAND_DEPTH: usize = 3;
/// Most `DAV:property-search` elements in one principal-property-search.
pub const MAX_SEARCHES: usize = 8;
/// Longest `DAV:match` text, in octets.
pub const MAX_MATCH_LEN: usize = 256;

/// One `DAV:property` of an expand-property request (RFC 3253 §3.8): a property and, when it
/// holds hrefs, the properties of the resources they name (nested), to put in their place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandProp {
    pub name: Name,
    pub expand: Vec<ExpandProp>,
}

/// Parses the `DAV:property` children of `e` (an expand-property or a property), nesting at
/// depth `level`, counting the properties named in `count`.
fn expand_props(e: &Element, level: usize, count: &mut usize, limits: &Limits) -> Result<Vec<ExpandProp>> {
    let what = "expand-property";
    let mut out = Vec::new();
    for p in e.children_named(DAV, "property") {
        if level > MAX_EXPAND_DEPTH {
            return Err(DavXmlError::invalid(
                what,
                format!("properties nested deeper than {MAX_EXPAND_DEPTH}"),
            ));
        }
        *count += 1;
        if *count > limits.max_props {
            return Err(DavXmlError::TooManyProps(limits.max_props));
        }
        let local = p
            .attr("name")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| DavXmlError::invalid(what, "a property without a name"))?;
        // RFC 3253 §3.8: the namespace defaults to "DAV:".
        let ns = p.attr("namespace").unwrap_or(DAV);
        out.push(ExpandProp {
            name: Name::new(ns, local),
            expand: expand_props(p, level + 1, count, limits)?,
        });
    }
    Ok(out)
}

/// How a principal-property-search combines its searches (RFC 3744 §9.4 `test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchTest {
    /// Every `DAV:property-search` matches (the default).
    AllOf,
    /// One of them matches.
    AnyOf,
}

/// One `DAV:property-search`: does one of `props` hold `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertySearch {
    pub props: Vec<Name>,
    /// The `DAV:match` text as sent (trimmed); matched as a case-insensitive substring.
    pub text: String,
}

/// A `DAV:principal-property-search` (RFC 3744 §9.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalPropertySearch {
    pub test: SearchTest,
    pub searches: Vec<PropertySearch>,
    /// `DAV:apply-to-principal-collection-set`: search the principal collections, wherever the
    /// request was sent.
    pub apply_to_principal_collection_set: bool,
    /// The properties to answer for each principal found (none: only hrefs).
    pub prop: Option<PropRequest>,
}

fn principal_property_search(e: &Element, limits: &Limits) -> Result<PrincipalPropertySearch> {
    let what = "principal-property-search";
    let test = match e.attr("test").map(str::trim) {
        None | Some("allof") => SearchTest::AllOf,
        Some("anyof") => SearchTest::AnyOf,
        Some(t) => return Err(DavXmlError::invalid(what, format!("test `{t}`"))),
    };
    let mut searches = Vec::new();
    for s in e.children_named(DAV, "property-search") {
        if searches.len() >= MAX_SEARCHES {
            return Err(DavXmlError::invalid(
                what,
                format!("more than {MAX_SEARCHES} property-search elements"),
            ));
        }
        let props = match s.child(DAV, "prop") {
            Some(p) => prop_names(p, limits)?,
            None => Vec::new(),
        };
        if props.is_empty() {
            return Err(DavXmlError::invalid(what, "a property-search without properties"));
        }
        let text = s
            .child(DAV, "match")
            .ok_or_else(|| DavXmlError::invalid(what, "a property-search without match"))?
            .text()
            .trim()
            .to_owned();
        if text.len() > MAX_MATCH_LEN {
            return Err(DavXmlError::invalid(
                what,
                format!("a match longer than {MAX_MATCH_LEN} octets"),
            ));
        }
        searches.push(PropertySearch { props, text });
    }
    if searches.is_empty() {
        return Err(DavXmlError::invalid(what, "no property-search"));
    }
    Ok(PrincipalPropertySearch {
        test,
        searches,
        apply_to_principal_collection_set: e.child(DAV, "apply-to-principal-collection-set").is_some(),
        prop: PropRequest::from_parent(e, limits)?,
    })
}

/// What a principal-match looks for (RFC 3744 §9.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalMatchKind {
    /// `DAV:self`: the principals that are the current user.
    SelfPrincipal,
    /// `DAV:principal-property`: the members whose property names the current user.
    Property(Name),
}

/// A `DAV:principal-match` (RFC 3744 §9.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalMatch {
    pub kind: PrincipalMatchKind,
    pub prop: Option<PropRequest>,
}

fn principal_match(e: &Element, limits: &Limits) -> Result<PrincipalMatch> {
    let what = "principal-match";
    let kind = if e.child(DAV, "self").is_some() {
        PrincipalMatchKind::SelfPrincipal
    } else {
        let p = e
            .child(DAV, "principal-property")
            .and_then(|p| p.elements().next())
            .ok_or_else(|| DavXmlError::invalid(what, "neither self nor principal-property"))?;
        PrincipalMatchKind::Property(p.name.clone())
    };
    Ok(PrincipalMatch {
        kind,
        prop: PropRequest::from_parent(e, limits)?,
    })
}

/// The principal reports, parsed by [`super::parse_report`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalReport {
    ExpandProperty(Vec<ExpandProp>),
    /// RFC 3744 §9.2: the properties to answer for each principal of the resource's ACL
    /// (none: only hrefs).
    AclPrincipalPropSet(Option<PropRequest>),
    PropertySearch(PrincipalPropertySearch),
    SearchPropertySet,
    Match(PrincipalMatch),
}

/// The principal report `e` is, if it is one.
pub(crate) fn principal_report(e: &Element, limits: &Limits) -> Result<Option<PrincipalReport>> {
    Ok(Some(if e.is(DAV, "expand-property") {
        PrincipalReport::ExpandProperty(expand_props(e, 1, &mut 0, limits)?)
    } else if e.is(DAV, "acl-principal-prop-set") {
        PrincipalReport::AclPrincipalPropSet(PropRequest::from_parent(e, limits)?)
    } else if e.is(DAV, "principal-property-search") {
        PrincipalReport::PropertySearch(principal_property_search(e, limits)?)
    } else if e.is(DAV, "principal-search-property-set") {
        PrincipalReport::SearchPropertySet
    } else if e.is(DAV, "principal-match") {
        PrincipalReport::Match(principal_match(e, limits)?)
    } else {
        return Ok(None);
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{ReportRequest, parse_report};
    use super::*;

    fn parse(s: &str) -> Result<PrincipalReport> {
        match parse_report(s.as_bytes(), &Limits::default())? {
            ReportRequest::Principal(p) => Ok(p),
            other => panic!("not a principal report: {other:?}"),
        }
    }

    /// RFC 3253 §3.8.1 (example).
    #[test]
    fn expand_property() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
<D:expand-property xmlns:D="DAV:">
  <D:property name="version-history">
    <D:property name="version-set">
      <D:property name="creator-displayname"/>
      <D:property name="activity-set"/>
    </D:property>
  </D:property>
  <D:property name="calendar-user-address-set" namespace="urn:ietf:params:xml:ns:caldav"/>
</D:expand-property>"#;
        let leaf = |n: &str| ExpandProp {
            name: Name::dav(n),
            expand: vec![],
        };
        assert_eq!(
            parse(body).unwrap(),
            PrincipalReport::ExpandProperty(vec![
                ExpandProp {
                    name: Name::dav("version-history"),
                    expand: vec![ExpandProp {
                        name: Name::dav("version-set"),
                        expand: vec![leaf("creator-displayname"), leaf("activity-set")],
                    }],
                },
                ExpandProp {
                    name: Name::new("urn:ietf:params:xml:ns:caldav", "calendar-user-address-set"),
                    expand: vec![],
                },
            ])
        );
    }

    #[test]
    fn expand_property_limits() {
        let deep = r#"<D:expand-property xmlns:D="DAV:"><D:property name="a"><D:property name="b">
            <D:property name="c"><D:property name="d"/></D:property></D:property></D:property>
            </D:expand-property>"#;
        assert!(matches!(parse(deep), Err(DavXmlError::Invalid { .. })));
        let nameless = r#"<D:expand-property xmlns:D="DAV:"><D:property/></D:expand-property>"#;
        assert!(matches!(parse(nameless), Err(DavXmlError::Invalid { .. })));
        let limits = Limits {
            max_props: 2,
            ..Limits::default()
        };
        let many = r#"<D:expand-property xmlns:D="DAV:"><D:property name="a"><D:property name="b"/>
            </D:property><D:property name="c"/></D:expand-property>"#;
        assert_eq!(
            parse_report(many.as_bytes(), &limits),
            Err(DavXmlError::TooManyProps(2))
        );
    }

    /// RFC 3744 §9.4.1 (example, with a `test`).
    #[test]
    fn property_search() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
<D:principal-property-search xmlns:D="DAV:" test="anyof">
  <D:property-search>
    <D:prop><D:displayname/></D:prop>
    <D:match>doE</D:match>
  </D:property-search>
  <D:property-search>
    <D:prop xmlns:B="http://www.example.com/ns/"><B:title/></D:prop>
    <D:match>Sales</D:match>
  </D:property-search>
  <D:prop xmlns:B="http://www.example.com/ns/">
    <D:displayname/>
    <B:department/>
  </D:prop>
</D:principal-property-search>"#;
        let PrincipalReport::PropertySearch(s) = parse(body).unwrap() else {
            panic!("not a search");
        };
        assert_eq!(s.test, SearchTest::AnyOf);
        assert!(!s.apply_to_principal_collection_set);
        assert_eq!(s.searches.len(), 2);
        assert_eq!(s.searches[0].props, vec![Name::dav("displayname")]);
        assert_eq!(s.searches[0].text, "doE");
        assert_eq!(
            s.prop,
            Some(PropRequest::Prop(vec![
                Name::dav("displayname"),
                Name::new("http://www.example.com/ns/", "department")
            ]))
        );
    }

    #[test]
    fn property_search_refused() {
        for bad in [
            r#"<D:principal-property-search xmlns:D="DAV:"/>"#,
            r#"<D:principal-property-search xmlns:D="DAV:" test="some"><D:property-search>
               <D:prop><D:displayname/></D:prop><D:match>x</D:match></D:property-search>
               </D:principal-property-search>"#,
            r#"<D:principal-property-search xmlns:D="DAV:"><D:property-search>
               <D:prop/><D:match>x</D:match></D:property-search></D:principal-property-search>"#,
            r#"<D:principal-property-search xmlns:D="DAV:"><D:property-search>
               <D:prop><D:displayname/></D:prop></D:property-search></D:principal-property-search>"#,
        ] {
            assert!(matches!(parse(bad), Err(DavXmlError::Invalid { .. })), "{bad}");
        }
        let one =
            "<D:property-search><D:prop><D:displayname/></D:prop><D:match>x</D:match></D:property-search>";
        let many = format!(
            r#"<D:principal-property-search xmlns:D="DAV:">{}</D:principal-property-search>"#,
            one.repeat(MAX_SEARCHES + 1)
        );
        assert!(matches!(parse(&many), Err(DavXmlError::Invalid { .. })));
        let long = format!(
            r#"<D:principal-property-search xmlns:D="DAV:"><D:property-search><D:prop>
               <D:displayname/></D:prop><D:match>{}</D:match></D:property-search>
               </D:principal-property-search>"#,
            "x".repeat(MAX_MATCH_LEN + 1)
        );
        assert!(matches!(parse(&long), Err(DavXmlError::Invalid { .. })));
    }

    /// RFC 3744 §9.3.1 and §9.5.1 (examples).
    #[test]
    fn match_and_property_set() {
        let body = r#"<D:principal-match xmlns:D="DAV:"><D:principal-property><D:owner/>
            </D:principal-property></D:principal-match>"#;
        assert_eq!(
            parse(body).unwrap(),
            PrincipalReport::Match(PrincipalMatch {
                kind: PrincipalMatchKind::Property(Name::dav("owner")),
                prop: None,
            })
        );
        let body = r#"<D:principal-match xmlns:D="DAV:"><D:self/><D:prop><D:displayname/></D:prop>
            </D:principal-match>"#;
        assert_eq!(
            parse(body).unwrap(),
            PrincipalReport::Match(PrincipalMatch {
                kind: PrincipalMatchKind::SelfPrincipal,
                prop: Some(PropRequest::Prop(vec![Name::dav("displayname")])),
            })
        );
        let bad = r#"<D:principal-match xmlns:D="DAV:"/>"#;
        assert!(matches!(parse(bad), Err(DavXmlError::Invalid { .. })));
        let set = r#"<D:principal-search-property-set xmlns:D="DAV:"/>"#;
        assert_eq!(parse(set).unwrap(), PrincipalReport::SearchPropertySet);
    }

    /// RFC 3744 §9.2.1 (example).
    #[test]
    fn acl_principal_prop_set() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
       <D:acl-principal-prop-set xmlns:D="DAV:">
         <D:prop>
           <D:displayname/>
         </D:prop>
       </D:acl-principal-prop-set>"#;
        assert_eq!(
            parse(body).unwrap(),
            PrincipalReport::AclPrincipalPropSet(Some(PropRequest::Prop(vec![Name::dav("displayname")])))
        );
        let bare = r#"<D:acl-principal-prop-set xmlns:D="DAV:"/>"#;
        assert_eq!(parse(bare).unwrap(), PrincipalReport::AclPrincipalPropSet(None));
    }
}
