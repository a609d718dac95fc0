//! Qualified XML names (namespace URI and local name) and the namespaces WebDAV, CalDAV and
//! CardDAV use. Names compare by namespace URI, never by prefix (RFC 4918 §17: `D:prop` and
//! `x:prop` with `x` bound to `DAV:` are the same element).

use std::fmt;

/// `DAV:` (RFC 4918).
pub const DAV: &str = "DAV:";
/// CalDAV (RFC 4791 §4).
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
/// CardDAV (RFC 6352 §4).
pub const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
/// Apple's calendar server extensions (`getctag`, sharing).
pub const CALENDARSERVER: &str = "http://calendarserver.org/ns/";
/// Apple's iCal properties (`calendar-color`, `calendar-order`).
pub const APPLE_ICAL: &str = "http://apple.com/ns/ical/";
/// The `xml:` prefix's namespace (`xml:lang`), bound in every document.
pub const XML: &str = "http://www.w3.org/XML/1998/namespace";

/// The namespaces the writer declares once on the root element, with their prefixes. Elements
/// of other namespaces (dead properties) declare theirs where they appear.
pub(crate) const ROOT_PREFIXES: &[(&str, &str)] = &[
    ("D", DAV),
    ("C", CALDAV),
    ("CR", CARDDAV),
    ("CS", CALENDARSERVER),
    ("ICAL", APPLE_ICAL),
];

/// An element or attribute name: namespace URI (empty: no namespace) and local name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name {
    pub ns: String,
    pub local: String,
}

impl Name {
    pub fn new(ns: &str, local: &str) -> Name {
        Name {
            ns: ns.to_owned(),
            local: local.to_owned(),
        }
    }

    /// A name in `DAV:`.
    pub fn dav(local: &str) -> Name {
        Name::new(DAV, local)
    }

    /// A name in the CalDAV namespace.
    pub fn caldav(local: &str) -> Name {
        Name::new(CALDAV, local)
    }

    /// A name in the CardDAV namespace.
    pub fn carddav(local: &str) -> Name {
        Name::new(CARDDAV, local)
    }

    /// Whether this is `local` in namespace `ns` (no allocation).
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }

    /// Clark notation, `{namespace}local` (how the store keys dead properties).
    pub fn clark(&self) -> String {
        format!("{{{}}}{}", self.ns, self.local)
    }

    /// Inverse of [`Name::clark`]; `None` unless `{namespace}local` with a local name (which
    /// cannot hold `}`, an XML name character it is not).
    pub fn from_clark(s: &str) -> Option<Name> {
        let (ns, local) = s.strip_prefix('{')?.rsplit_once('}')?;
        (!local.is_empty()).then(|| Name::new(ns, local))
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}{}", self.ns, self.local)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn clark_round_trip() {
        for n in [
            Name::dav("getetag"),
            Name::new("", "plain"),
            Name::new("urn:x:{y}", "z"),
        ] {
            assert_eq!(Name::from_clark(&n.clark()), Some(n.clone()), "{n}");
        }
        assert_eq!(Name::from_clark("noname"), None);
        assert_eq!(Name::from_clark("{DAV:}"), None);
    }
}
