//! The body of the `ACL` method (RFC 3744 §8.1): a `DAV:acl` element holding `DAV:ace`s, each
//! a principal (§5.5.1: an href, `all`, `authenticated`, `unauthenticated`, `property` or
//! `self`, possibly inside `DAV:invert`), a `DAV:grant` or a `DAV:deny` of privileges (§5.5.2),
//! and the `DAV:protected` / `DAV:inherited` markers a client may send back unchanged.
//!
//! The parser keeps everything the body says, refusals included (a deny, an invert, a principal
//! the server does not allow): which of them the server refuses, and with which RFC 3744 §8.1.1
//! precondition, is the server's business. Only what is not an ACL at all is `Invalid` here.
//!
//! Invariants and limits: at most [`Limits::max_hrefs`] ACEs (`TooManyHrefs`: each names one
//! principal); each ACE has exactly one principal, exactly one of grant and deny, and between
//! one and [`MAX_PRIVILEGES`] privileges, each a `DAV:privilege` holding exactly one element.

use crate::error::{DavXmlError, Result};
use crate::name::{DAV, Name};
use crate::reader::Limits;
use crate::tree::Element;

use super::root;

/// Most privileges one `DAV:grant` or `DAV:deny` may name.
pub const MAX_PRIVILEGES: usize = 32;

/// Who an ACE is about (RFC 3744 §5.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcePrincipal {
    /// `DAV:href`: a principal URL (or any URI the client chose, e.g. `mailto:`), trimmed.
    Href(String),
    /// `DAV:all`: every user.
    All,
    /// `DAV:authenticated`.
    Authenticated,
    /// `DAV:unauthenticated`.
    Unauthenticated,
    /// `DAV:self`: the resource itself, when it is a principal.
    SelfPrincipal,
    /// `DAV:property`: the principal a property of the resource names (e.g. `DAV:owner`).
    Property(Name),
}

/// One `DAV:ace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ace {
    pub principal: AcePrincipal,
    /// The principal was inside `DAV:invert` (§5.5.1: everyone but it).
    pub invert: bool,
    /// `DAV:grant` (true) or `DAV:deny` (false).
    pub grant: bool,
    /// The privileges granted or denied, in order, each once.
    pub privileges: Vec<Name>,
    /// `DAV:protected` was present (§5.5).
    pub protected: bool,
    /// `DAV:inherited`'s href, if present (§5.5).
    pub inherited: Option<String>,
}

/// Parses an `ACL` request body (a body is required: RFC 3744 §8.1).
pub fn parse_acl(body: &[u8], limits: &Limits) -> Result<Vec<Ace>> {
    let e = root(body, limits, DAV, "acl", "ACL body")?;
    let mut out = Vec::new();
    for a in e.children_named(DAV, "ace") {
        if out.len() >= limits.max_hrefs {
            return Err(DavXmlError::TooManyHrefs(limits.max_hrefs));
        }
        out.push(ace(a)?);
    }
    Ok(out)
}

fn ace(a: &Element) -> Result<Ace> {
    let what = "DAV:ace";
    let (principal, invert) = match (a.child(DAV, "principal"), a.child(DAV, "invert")) {
        (Some(p), None) => (principal(p)?, false),
        (None, Some(i)) => {
            let p = i
                .child(DAV, "principal")
                .ok_or_else(|| DavXmlError::invalid(what, "DAV:invert without a DAV:principal"))?;
            (principal(p)?, true)
        }
        _ => {
            return Err(DavXmlError::invalid(
                what,
                "needs one DAV:principal or DAV:invert",
            ));
        }
    };
    let (list, grant) = match (a.child(DAV, "grant"), a.child(DAV, "deny")) {
        (Some(g), None) => (g, true),
        (None, Some(d)) => (d, false),
        _ => return Err(DavXmlError::invalid(what, "needs one of DAV:grant and DAV:deny")),
    };
    let mut privileges: Vec<Name> = Vec::new();
    for p in list.children_named(DAV, "privilege") {
        let mut inner = p.elements();
        let (Some(name), None) = (inner.next(), inner.next()) else {
            return Err(DavXmlError::invalid(
                "DAV:privilege",
                "needs exactly one privilege element",
            ));
        };
        if privileges.len() >= MAX_PRIVILEGES {
            return Err(DavXmlError::invalid(
                what,
                format!("more than {MAX_PRIVILEGES} privileges"),
            ));
        }
        if !privileges.contains(&name.name) {
            privileges.push(name.name.clone());
        }
    }
    if privileges.is_empty() {
        return Err(DavXmlError::invalid(what, "a grant or deny without a privilege"));
    }
    let inherited = match a.child(DAV, "inherited") {
        None => None,
        Some(i) => Some(
            i.child(DAV, "href")
                .map(|h| h.text().trim().to_owned())
                .filter(|h| !h.is_empty())
                .ok_or_else(|| DavXmlError::invalid(what, "DAV:inherited without a DAV:href"))?,
        ),
    };
    Ok(Ace {
        principal,
        invert,
        grant,
        privileges,
        protected: a.child(DAV, "protected").is_some(),
        inherited,
    })
}

/// The one principal of a `DAV:principal` element (§5.5.1).
fn principal(p: &Element) -> Result<AcePrincipal> {
    let what = "DAV:principal";
    let mut inner = p.elements();
    let (Some(e), None) = (inner.next(), inner.next()) else {
        return Err(DavXmlError::invalid(what, "needs exactly one element"));
    };
    Ok(if e.is(DAV, "href") {
        let href = e.text().trim().to_owned();
        if href.is_empty() {
            return Err(DavXmlError::invalid("href", "empty"));
        }
        AcePrincipal::Href(href)
    } else if e.is(DAV, "all") {
        AcePrincipal::All
    } else if e.is(DAV, "authenticated") {
        AcePrincipal::Authenticated
    } else if e.is(DAV, "unauthenticated") {
        AcePrincipal::Unauthenticated
    } else if e.is(DAV, "self") {
        AcePrincipal::SelfPrincipal
    } else if e.is(DAV, "property") {
        let mut props = e.elements();
        let (Some(prop), None) = (props.next(), props.next()) else {
            return Err(DavXmlError::invalid(
                what,
                "DAV:property needs exactly one property",
            ));
        };
        AcePrincipal::Property(prop.name.clone())
    } else {
        return Err(DavXmlError::invalid(
            what,
            format!("{} is not a principal", e.name),
        ));
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::name::CALDAV;

    fn parse(body: &str) -> Result<Vec<Ace>> {
        parse_acl(body.as_bytes(), &Limits::default())
    }

    /// RFC 3744 §8.1.2 (example): one grant to an href, one deny to `DAV:property`.
    #[test]
    fn rfc_example() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
       <D:acl xmlns:D="DAV:">
         <D:ace>
           <D:principal>
             <D:href>http://www.example.com/users/esedlar</D:href>
           </D:principal>
           <D:grant>
             <D:privilege><D:read/></D:privilege>
             <D:privilege><D:write/></D:privilege>
           </D:grant>
         </D:ace>
         <D:ace>
           <D:principal>
             <D:property><D:owner/></D:property>
           </D:principal>
           <D:deny><D:privilege><D:all/></D:privilege></D:deny>
         </D:ace>
       </D:acl>"#;
        assert_eq!(
            parse(body).unwrap(),
            vec![
                Ace {
                    principal: AcePrincipal::Href("http://www.example.com/users/esedlar".into()),
                    invert: false,
                    grant: true,
                    privileges: vec![Name::dav("read"), Name::dav("write")],
                    protected: false,
                    inherited: None,
                },
                Ace {
                    principal: AcePrincipal::Property(Name::dav("owner")),
                    invert: false,
                    grant: false,
                    privileges: vec![Name::dav("all")],
                    protected: false,
                    inherited: None,
                },
            ]
        );
    }

    /// What `DAV:acl` shows, sent back: the protected owner ACE, a CalDAV privilege, the other
    /// principal kinds, invert and inherited.
    #[test]
    fn round_trip_and_every_principal() {
        let body = r#"<D:acl xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
          <D:ace><D:principal><D:href>/dav/principals/a@x/</D:href></D:principal>
            <D:grant><D:privilege><D:all/></D:privilege></D:grant><D:protected/></D:ace>
          <D:ace><D:principal><D:href> mailto:b@x </D:href></D:principal>
            <D:grant><D:privilege><C:read-free-busy/></D:privilege>
            <D:privilege><C:read-free-busy/></D:privilege></D:grant></D:ace>
          <D:ace><D:invert><D:principal><D:self/></D:principal></D:invert>
            <D:deny><D:privilege><D:read/></D:privilege></D:deny></D:ace>
          <D:ace><D:principal><D:all/></D:principal>
            <D:grant><D:privilege><D:read/></D:privilege></D:grant>
            <D:inherited><D:href>/dav/calendars/a@x/</D:href></D:inherited></D:ace>
          <D:ace><D:principal><D:authenticated/></D:principal>
            <D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace>
          <D:ace><D:principal><D:unauthenticated/></D:principal>
            <D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace>
        </D:acl>"#;
        let aces = parse(body).unwrap();
        assert_eq!(aces.len(), 6);
        assert_eq!(
            aces[0].principal,
            AcePrincipal::Href("/dav/principals/a@x/".into())
        );
        assert!(aces[0].protected && aces[0].grant);
        assert_eq!(aces[1].principal, AcePrincipal::Href("mailto:b@x".into()));
        assert_eq!(aces[1].privileges, vec![Name::new(CALDAV, "read-free-busy")]);
        assert_eq!(aces[2].principal, AcePrincipal::SelfPrincipal);
        assert!(aces[2].invert && !aces[2].grant);
        assert_eq!(aces[3].principal, AcePrincipal::All);
        assert_eq!(aces[3].inherited.as_deref(), Some("/dav/calendars/a@x/"));
        assert_eq!(aces[4].principal, AcePrincipal::Authenticated);
        assert_eq!(aces[5].principal, AcePrincipal::Unauthenticated);
        // An empty ACL removes every grant: it is a valid body.
        assert_eq!(parse(r#"<D:acl xmlns:D="DAV:"/>"#).unwrap(), vec![]);
    }

    #[test]
    fn refusals() {
        let grant = "<D:grant><D:privilege><D:read/></D:privilege></D:grant>";
        let who = "<D:principal><D:href>/p/</D:href></D:principal>";
        for bad in [
            String::new(),
            r#"<D:propfind xmlns:D="DAV:"/>"#.to_owned(),
            format!(r#"<D:acl xmlns:D="DAV:"><D:ace>{grant}</D:ace></D:acl>"#),
            format!(r#"<D:acl xmlns:D="DAV:"><D:ace>{who}</D:ace></D:acl>"#),
            format!(
                r#"<D:acl xmlns:D="DAV:"><D:ace>{who}{grant}<D:deny><D:privilege><D:read/></D:privilege></D:deny></D:ace></D:acl>"#
            ),
            format!(r#"<D:acl xmlns:D="DAV:"><D:ace>{who}<D:grant/></D:ace></D:acl>"#),
            format!(r#"<D:acl xmlns:D="DAV:"><D:ace>{who}<D:grant><D:privilege/></D:grant></D:ace></D:acl>"#),
            format!(
                r#"<D:acl xmlns:D="DAV:"><D:ace>{who}<D:grant><D:privilege><D:read/><D:write/></D:privilege></D:grant></D:ace></D:acl>"#
            ),
            format!(
                r#"<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:href> </D:href></D:principal>{grant}</D:ace></D:acl>"#
            ),
            format!(
                r#"<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:all/><D:self/></D:principal>{grant}</D:ace></D:acl>"#
            ),
            format!(
                r#"<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:nobody/></D:principal>{grant}</D:ace></D:acl>"#
            ),
            format!(
                r#"<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:property/></D:principal>{grant}</D:ace></D:acl>"#
            ),
            format!(r#"<D:acl xmlns:D="DAV:"><D:ace><D:invert/>{grant}</D:ace></D:acl>"#),
            format!(r#"<D:acl xmlns:D="DAV:"><D:ace>{who}{grant}<D:inherited/></D:ace></D:acl>"#),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
        let many = format!(
            r#"<D:acl xmlns:D="DAV:"><D:ace>{who}<D:grant>{}</D:grant></D:ace></D:acl>"#,
            (0..=MAX_PRIVILEGES)
                .map(|i| format!("<D:privilege><D:p{i}/></D:privilege>"))
                .collect::<String>()
        );
        assert!(matches!(parse(&many), Err(DavXmlError::Invalid { .. })));
        let limits = Limits {
            max_hrefs: 2,
            ..Limits::default()
        };
        let aces = format!(
            r#"<D:acl xmlns:D="DAV:">{}</D:acl>"#,
            format!("<D:ace>{who}{grant}</D:ace>").repeat(3)
        );
        assert_eq!(
            parse_acl(aces.as_bytes(), &limits),
            Err(DavXmlError::TooManyHrefs(2))
        );
    }
}
