//! Extended MKCOL (RFC 5689 §5.1) and MKCALENDAR (RFC 4791 §5.3.1, §9.1) bodies: the
//! properties to set on the new collection, among them `DAV:resourcetype` (what kind of
//! collection, RFC 5689 §3; RFC 6352 §6.3.1 for address books).

use crate::error::Result;
use crate::name::{CALDAV, DAV, Name};
use crate::reader::Limits;
use crate::tree::Element;

use super::{is_blank, props_in, root};

/// The properties of an extended MKCOL body (root `DAV:mkcol`); an empty body sets none.
pub fn parse_mkcol(body: &[u8], limits: &Limits) -> Result<Vec<Element>> {
    parse_set(body, limits, DAV, "mkcol", "MKCOL body")
}

/// The properties of a MKCALENDAR body (root `CALDAV:mkcalendar`); an empty body sets none.
pub fn parse_mkcalendar(body: &[u8], limits: &Limits) -> Result<Vec<Element>> {
    parse_set(body, limits, CALDAV, "mkcalendar", "MKCALENDAR body")
}

fn parse_set(
    body: &[u8],
    limits: &Limits,
    ns: &str,
    local: &str,
    what: &'static str,
) -> Result<Vec<Element>> {
    if is_blank(body) {
        return Ok(Vec::new());
    }
    let e = root(body, limits, ns, local, what)?;
    props_in(e.children_named(DAV, "set"), limits, |_, p| p.clone())
}

/// The resource types a `DAV:resourcetype` element lists (e.g. `DAV:collection`,
/// `CALDAV:calendar`, `CARDDAV:addressbook`).
pub fn resource_types(resourcetype: &Element) -> Vec<Name> {
    resourcetype.elements().map(|e| e.name.clone()).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::DavXmlError;
    use crate::name::CARDDAV;

    /// RFC 4791 §5.3.1.2: MKCALENDAR with a display name, a description in a language, a
    /// component set and a time zone in CDATA.
    #[test]
    fn rfc4791_mkcalendar() {
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\" ?>
   <C:mkcalendar xmlns:D=\"DAV:\"
                 xmlns:C=\"urn:ietf:params:xml:ns:caldav\">
     <D:set>
       <D:prop>
         <D:displayname>Lisa's Events</D:displayname>
         <C:calendar-description xml:lang=\"en\"
   >Calendar restricted to events.</C:calendar-description>
         <C:supported-calendar-component-set>
           <C:comp name=\"VEVENT\"/>
         </C:supported-calendar-component-set>
         <C:calendar-timezone><![CDATA[BEGIN:VCALENDAR
   PRODID:-//Example Corp.//CalDAV Client//EN
   VERSION:2.0
   BEGIN:VTIMEZONE
   TZID:US-Eastern
   END:VTIMEZONE
   END:VCALENDAR
   ]]></C:calendar-timezone>
       </D:prop>
     </D:set>
   </C:mkcalendar>";
        let props = parse_mkcalendar(body.as_bytes(), &Limits::default()).unwrap();
        let names: Vec<&str> = props.iter().map(|p| p.name.local.as_str()).collect();
        assert_eq!(
            names,
            [
                "displayname",
                "calendar-description",
                "supported-calendar-component-set",
                "calendar-timezone"
            ]
        );
        assert_eq!(props[0].text(), "Lisa's Events");
        assert_eq!(props[1].attrs[0].value, "en");
        assert_eq!(
            crate::request::component_set(&props[2]),
            vec!["VEVENT".to_owned()]
        );
        assert!(props[3].text().starts_with("BEGIN:VCALENDAR\n   PRODID"));
        assert!(parse_mkcalendar(b"", &Limits::default()).unwrap().is_empty());
    }

    /// RFC 5689 §5.2 style: an extended MKCOL creating an address book (RFC 6352 §6.3.1).
    #[test]
    fn rfc5689_mkcol_address_book() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <D:mkcol xmlns:D="DAV:"
                 xmlns:C="urn:ietf:params:xml:ns:carddav">
     <D:set>
       <D:prop>
         <D:resourcetype>
           <D:collection/>
           <C:addressbook/>
         </D:resourcetype>
         <D:displayname>Lisa's Contacts</D:displayname>
         <C:addressbook-description xml:lang="en"
   >My primary address book.</C:addressbook-description>
       </D:prop>
     </D:set>
   </D:mkcol>"#;
        let props = parse_mkcol(body.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(props.len(), 3);
        assert_eq!(
            resource_types(&props[0]),
            vec![Name::dav("collection"), Name::new(CARDDAV, "addressbook")]
        );
        assert!(matches!(
            parse_mkcol(b"<D:mkcalendar xmlns:D=\"DAV:\"/>", &Limits::default()),
            Err(DavXmlError::Invalid { .. })
        ));
    }
}
