//! `DAV:principal-search-property-set` (RFC 3744 §9.5): the properties a
//! `DAV:principal-property-search` may look in, each with a description (English). Addressed to
//! the principal collection only; elsewhere 403 `DAV:supported-report`. The answer is a `200`
//! with the `DAV:principal-search-property-set` element (§9.5.1), not a multistatus.

use axum::http::StatusCode;
use axum::response::Response;
use malt_dav_proto::name::XML;
use malt_dav_proto::{Attribute, Element, Name, document};

use super::principal_property_search::SEARCHABLE;
use super::unsupported;
use crate::error::{DavResult, xml};
use crate::resource::Resource;

pub fn handle(resource: &Resource) -> DavResult<Response> {
    if !matches!(resource, Resource::Principals) {
        return Err(unsupported());
    }
    let properties = SEARCHABLE.iter().map(|(ns, local, description)| {
        let mut d = Element::new(Name::dav("description")).with_text(*description);
        d.attrs.push(Attribute {
            name: Name::new(XML, "lang"),
            value: "en".to_owned(),
        });
        Element::new(Name::dav("principal-search-property"))
            .with_child(Element::new(Name::dav("prop")).with_child(Element::new(Name::new(ns, local))))
            .with_child(d)
    });
    let body = Element::new(Name::dav("principal-search-property-set")).with_children(properties);
    Ok(xml(StatusCode::OK, document(&body)))
}
