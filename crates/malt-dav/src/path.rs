//! The URL space (what each path names) and the hrefs the server writes.
//!
//! ```text
//! /  and  /dav/                                  the service root (discovery: current-user-principal)
//! /dav/principals/                               the principal collection
//! /dav/principals/<user>/                        a user's principal (RFC 3744 §2)
//! /dav/calendars/<user>/                         calendar home (RFC 4791 §6.2.1)
//! /dav/calendars/<user>/<calendar>/              a calendar collection
//! /dav/calendars/<user>/<calendar>/<object>      a calendar object resource (`<uid>.ics` by habit)
//! /dav/addressbooks/<user>/...                   the same for address books (RFC 6352 §7.1.1)
//! ```
//!
//! Invariants: segments are percent-decoded once when parsed and encoded once when written
//! ([`encode_segment`]), so `DavPath::parse(&p.href()) == Some(p)` for every path (a unit test
//! checks names with spaces, `%`, `@` and non-ASCII). Empty segments (`//`, a trailing `/`) are
//! ignored, so a collection is found with or without its trailing slash; hrefs of collections
//! always end with `/` (RFC 4918 §5.2). A segment that does not decode to UTF-8, or is `.` or
//! `..`, makes the path unknown (404).

use malt_store::DavCollectionKind;
use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

/// The prefix of everything the DAV service serves.
pub const DAV_ROOT: &str = "/dav/";
/// The principal collection (`DAV:principal-collection-set`).
pub const PRINCIPALS: &str = "/dav/principals/";

/// What one path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DavPath {
    /// `/` or `/dav/`: where discovery starts (RFC 6764 §6, RFC 5397).
    Root,
    /// `/dav/principals/`.
    Principals,
    /// `/dav/principals/<user>/`.
    Principal(String),
    /// `/dav/calendars/<user>/` or `/dav/addressbooks/<user>/`.
    Home(DavCollectionKind, String),
    /// A collection in a home.
    Collection(DavCollectionKind, String, String),
    /// A resource in a collection.
    Object(DavCollectionKind, String, String, String),
}

/// Characters percent-encoded in a written segment: controls, space, and what RFC 3986 §3.3 does
/// not allow in a `pchar` (`@` and `:` are allowed, and kept readable).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// One path segment, percent-encoded for an href.
pub fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

fn home_segment(kind: DavCollectionKind) -> &'static str {
    match kind {
        DavCollectionKind::Calendar => "calendars",
        DavCollectionKind::AddressBook => "addressbooks",
    }
}

impl DavPath {
    /// What `path` (the path of a request URI, or of an href) names; `None`: nothing here.
    pub fn parse(path: &str) -> Option<DavPath> {
        let mut segments = Vec::new();
        for raw in path.split('/').filter(|s| !s.is_empty()) {
            let s = percent_decode_str(raw).decode_utf8().ok()?;
            if s == "." || s == ".." {
                return None;
            }
            segments.push(s.into_owned());
        }
        let mut it = segments.into_iter();
        let Some(first) = it.next() else {
            return Some(DavPath::Root);
        };
        if first != "dav" {
            return None;
        }
        let space = it.next();
        let rest: Vec<String> = it.collect();
        let kind = match space.as_deref() {
            None => return rest.is_empty().then_some(DavPath::Root),
            Some("principals") => {
                let mut rest = rest.into_iter();
                return match (rest.next(), rest.next()) {
                    (None, _) => Some(DavPath::Principals),
                    (Some(user), None) => Some(DavPath::Principal(user)),
                    _ => None,
                };
            }
            Some("calendars") => DavCollectionKind::Calendar,
            Some("addressbooks") => DavCollectionKind::AddressBook,
            Some(_) => return None,
        };
        let mut rest = rest.into_iter();
        match (rest.next(), rest.next(), rest.next(), rest.next()) {
            (Some(user), None, _, _) => Some(DavPath::Home(kind, user)),
            (Some(user), Some(c), None, _) => Some(DavPath::Collection(kind, user, c)),
            (Some(user), Some(c), Some(o), None) => Some(DavPath::Object(kind, user, c, o)),
            _ => None,
        }
    }

    /// What an href names: an absolute URI (`https://host/dav/...`, scheme and authority
    /// dropped, RFC 4918 §8.3) or an absolute path.
    pub fn parse_href(href: &str) -> Option<DavPath> {
        let path = match href.split_once("://") {
            Some((scheme, rest)) if !scheme.contains('/') => rest.find('/').and_then(|i| rest.get(i..))?,
            _ => href,
        };
        let path = path.split(['?', '#']).next().unwrap_or(path);
        DavPath::parse(path)
    }

    /// The user a path belongs to, if any.
    pub fn user(&self) -> Option<&str> {
        match self {
            DavPath::Root | DavPath::Principals => None,
            DavPath::Principal(u)
            | DavPath::Home(_, u)
            | DavPath::Collection(_, u, _)
            | DavPath::Object(_, u, _, _) => Some(u),
        }
    }

    /// The canonical href: segments encoded, collections with a trailing `/`.
    pub fn href(&self) -> String {
        match self {
            DavPath::Root => DAV_ROOT.to_owned(),
            DavPath::Principals => PRINCIPALS.to_owned(),
            DavPath::Principal(u) => principal_href(u),
            DavPath::Home(k, u) => home_href(*k, u),
            DavPath::Collection(k, u, c) => collection_href(*k, u, c),
            DavPath::Object(k, u, c, o) => format!("{}{}", collection_href(*k, u, c), encode_segment(o)),
        }
    }
}

/// `/dav/principals/<user>/`.
pub fn principal_href(user: &str) -> String {
    format!("{PRINCIPALS}{}/", encode_segment(user))
}

/// `/dav/calendars/<user>/` or `/dav/addressbooks/<user>/`.
pub fn home_href(kind: DavCollectionKind, user: &str) -> String {
    format!("{DAV_ROOT}{}/{}/", home_segment(kind), encode_segment(user))
}

/// A collection's href.
pub fn collection_href(kind: DavCollectionKind, user: &str, collection: &str) -> String {
    format!("{}{}/", home_href(kind, user), encode_segment(collection))
}

/// An object's href.
pub fn object_href(kind: DavCollectionKind, user: &str, collection: &str, object: &str) -> String {
    format!(
        "{}{}",
        collection_href(kind, user, collection),
        encode_segment(object)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use DavCollectionKind::*;

    #[test]
    fn round_trip() {
        let u = "alice@example.org".to_owned();
        for p in [
            DavPath::Root,
            DavPath::Principals,
            DavPath::Principal(u.clone()),
            DavPath::Home(Calendar, u.clone()),
            DavPath::Home(AddressBook, u.clone()),
            DavPath::Collection(Calendar, u.clone(), "Work cal %1 ü".into()),
            DavPath::Object(AddressBook, u.clone(), "contacts".into(), "a b?#[x].vcf".into()),
        ] {
            assert_eq!(DavPath::parse(&p.href()), Some(p.clone()), "{}", p.href());
            assert_eq!(
                DavPath::parse_href(&format!("https://h:8443{}", p.href())),
                Some(p)
            );
        }
    }

    #[test]
    fn parsing() {
        assert_eq!(DavPath::parse("/"), Some(DavPath::Root));
        assert_eq!(DavPath::parse("/dav"), Some(DavPath::Root));
        assert_eq!(
            DavPath::parse("/dav/calendars/alice%40example.org/calendar"),
            Some(DavPath::Collection(
                Calendar,
                "alice@example.org".into(),
                "calendar".into()
            ))
        );
        assert_eq!(
            DavPath::parse("//dav//principals/bob/"),
            Some(DavPath::Principal("bob".into()))
        );
        for bad in [
            "/other",
            "/dav/x/",
            "/dav/calendars/a/b/c/d",
            "/dav/calendars/a/%FF/",
            "/dav/calendars/a/../",
        ] {
            assert_eq!(DavPath::parse(bad), None, "{bad}");
        }
        assert_eq!(
            DavPath::parse_href("/dav/principals/?x=1"),
            Some(DavPath::Principals)
        );
    }
}
