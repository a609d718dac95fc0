//! PROPFIND bodies (RFC 4918 §9.1, §14.20) and the property selection that reports share.

use crate::error::{DavXmlError, Result};
use crate::name::{DAV, Name};
use crate::reader::Limits;
use crate::tree::Element;

use super::{is_blank, prop_names, root};

/// Which properties a PROPFIND (or a report's `DAV:prop`) asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropRequest {
    /// `DAV:prop`: these properties, unknown ones included (answered 404).
    Prop(Vec<Name>),
    /// `DAV:allprop` (an empty body too): the dead properties and the live ones RFC 4918
    /// defines, plus those named in `DAV:include` (RFC 4918 §9.1).
    AllProp { include: Vec<Name> },
    /// `DAV:propname`: the names of every property, no values.
    PropName,
}

impl PropRequest {
    /// The selection in `parent` (a `propfind` or a report element): its `DAV:propname`,
    /// `DAV:allprop` (with `DAV:include`) or `DAV:prop` child; `None` when it has none.
    pub(crate) fn from_parent(parent: &Element, limits: &Limits) -> Result<Option<PropRequest>> {
        if parent.child(DAV, "propname").is_some() {
            return Ok(Some(PropRequest::PropName));
        }
        if parent.child(DAV, "allprop").is_some() {
            let include = match parent.child(DAV, "include") {
                Some(i) => prop_names(i, limits)?,
                None => Vec::new(),
            };
            return Ok(Some(PropRequest::AllProp { include }));
        }
        match parent.child(DAV, "prop") {
            Some(p) => Ok(Some(PropRequest::Prop(prop_names(p, limits)?))),
            None => Ok(None),
        }
    }
}

/// Parses a PROPFIND body. An empty body is `allprop` (RFC 4918 §9.1).
pub fn parse_propfind(body: &[u8], limits: &Limits) -> Result<PropRequest> {
    if is_blank(body) {
        return Ok(PropRequest::AllProp { include: Vec::new() });
    }
    let e = root(body, limits, DAV, "propfind", "PROPFIND body")?;
    PropRequest::from_parent(&e, limits)?
        .ok_or_else(|| DavXmlError::invalid("PROPFIND body", "no prop, allprop or propname element"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<PropRequest> {
        parse_propfind(s.as_bytes(), &Limits::default())
    }

    /// RFC 4918 §9.1.3: retrieving named properties (unknown ones kept).
    #[test]
    fn rfc4918_named_properties() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <D:propfind xmlns:D="DAV:">
     <D:prop xmlns:R="http://ns.example.com/boxschema/">
       <R:bigbox/>
       <R:author/>
       <R:DingALing/>
       <R:Random/>
     </D:prop>
   </D:propfind>"#;
        let r = "http://ns.example.com/boxschema/";
        assert_eq!(
            parse(body).unwrap(),
            PropRequest::Prop(vec![
                Name::new(r, "bigbox"),
                Name::new(r, "author"),
                Name::new(r, "DingALing"),
                Name::new(r, "Random"),
            ])
        );
    }

    /// RFC 4918 §9.1.4 (propname, with a default namespace), §9.1.5 (allprop), §9.1.6
    /// (allprop with include), and an empty body.
    #[test]
    fn rfc4918_propname_allprop_include() {
        let propname = r#"<?xml version="1.0" encoding="utf-8" ?>
     <propfind xmlns="DAV:">
       <propname/>
     </propfind>"#;
        assert_eq!(parse(propname).unwrap(), PropRequest::PropName);
        let allprop = r#"<?xml version="1.0" encoding="utf-8" ?>
     <D:propfind xmlns:D="DAV:">
       <D:allprop/>
     </D:propfind>"#;
        assert_eq!(parse(allprop).unwrap(), PropRequest::AllProp { include: vec![] });
        let include = r#"<?xml version="1.0" encoding="utf-8" ?>
     <D:propfind xmlns:D="DAV:">
       <D:allprop/>
       <D:include>
         <D:supported-live-property-set/>
         <D:supported-report-set/>
       </D:include>
     </D:propfind>"#;
        assert_eq!(
            parse(include).unwrap(),
            PropRequest::AllProp {
                include: vec![
                    Name::dav("supported-live-property-set"),
                    Name::dav("supported-report-set")
                ]
            }
        );
        assert_eq!(parse(" \r\n").unwrap(), PropRequest::AllProp { include: vec![] });
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            parse(r#"<D:propfind xmlns:D="DAV:"/>"#),
            Err(DavXmlError::Invalid { .. })
        ));
        assert!(matches!(
            parse(r#"<D:propfindx xmlns:D="DAV:"><D:allprop/></D:propfindx>"#),
            Err(DavXmlError::Invalid { .. })
        ));
        let limits = Limits {
            max_props: 2,
            ..Limits::default()
        };
        let three = r#"<propfind xmlns="DAV:"><prop><a/><b/><c/></prop></propfind>"#;
        assert_eq!(
            parse_propfind(three.as_bytes(), &limits),
            Err(DavXmlError::TooManyProps(2))
        );
        let repeated = r#"<propfind xmlns="DAV:"><prop><a/><a/></prop></propfind>"#;
        assert_eq!(parse(repeated).unwrap(), PropRequest::Prop(vec![Name::dav("a")]));
    }
}
