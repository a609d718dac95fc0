//! Sharing bodies POSTed to a collection or a home: Apple's calendarserver sharing
//! (`CS:share`, `CS:invite-reply`; the "caldav-sharing" specification of
//! `http://calendarserver.org/ns/`) and the newer `DAV:share-resource` of
//! draft-pot-webdav-resource-sharing (§5.3, media type `application/davsharing+xml`).
//!
//! Invariants: a sharing body names at most [`Limits::max_hrefs`] sharees (`TooManyHrefs`);
//! every `set`/`sharee` has exactly one non-empty href; an access other than read or
//! read-write (or free-busy, [`ShareAccess::FreeBusy`]) is refused (`Invalid`), never guessed. What an href names (a `mailto:`, a
//! principal URL) is the server's business.

use crate::error::{DavXmlError, Result};
use crate::name::{CALDAV, CALENDARSERVER, DAV};
use crate::reader::{Limits, parse_document};
use crate::tree::Element;

use super::hrefs;

/// The access a share grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareAccess {
    /// Free-busy only: `CALDAV:read-free-busy` (RFC 4791 §6.1.1) in place of `read`, Malt's
    /// extension of both bodies.
    FreeBusy,
    Read,
    ReadWrite,
}

/// One sharee to add or change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareSet {
    /// `mailto:` address or principal URL, as sent.
    pub href: String,
    /// `CS:common-name` / `DAV:displayname` of the sharee, if given.
    pub common_name: Option<String>,
    /// `CS:summary` / `DAV:comment`: the invitation's text, if given.
    pub summary: Option<String>,
    pub access: ShareAccess,
}

/// One instruction of a share body, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareOp {
    Set(ShareSet),
    /// Stop sharing with this href.
    Remove(String),
}

/// A sharee's answer to an invitation (`CS:invite-reply`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteReply {
    /// The sharee's own href, if given (informative).
    pub href: Option<String>,
    pub accept: bool,
    /// `CS:hosturl`: the shared collection's URL in the owner's home.
    pub host_url: String,
    /// `CS:in-reply-to`: the invitation's id, if given.
    pub in_reply_to: Option<String>,
    /// `CS:summary`: the sharee's name for the collection, if given.
    pub summary: Option<String>,
}

/// A sharing POST body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharingRequest {
    /// `CS:share` or `DAV:share-resource`.
    Share(Vec<ShareOp>),
    /// `CS:invite-reply`.
    Reply(InviteReply),
}

/// Whether `body`'s root is a sharing element (so the server routes the POST here), without
/// checking the rest.
pub fn is_sharing_root(root: &Element) -> bool {
    root.is(CALENDARSERVER, "share")
        || root.is(CALENDARSERVER, "invite-reply")
        || root.is(DAV, "share-resource")
}

/// Parses a sharing POST body.
pub fn parse_sharing(body: &[u8], limits: &Limits) -> Result<SharingRequest> {
    let root = parse_document(body, limits)?;
    if root.is(CALENDARSERVER, "share") {
        cs_share(&root, limits).map(SharingRequest::Share)
    } else if root.is(DAV, "share-resource") {
        share_resource(&root, limits).map(SharingRequest::Share)
    } else if root.is(CALENDARSERVER, "invite-reply") {
        invite_reply(&root).map(SharingRequest::Reply)
    } else {
        Err(DavXmlError::invalid(
            "sharing body",
            format!(
                "the root element is {}, not CS:share, CS:invite-reply or DAV:share-resource",
                root.name
            ),
        ))
    }
}

/// The one href of a `set`, `remove` or `sharee` element.
fn one_href(e: &Element, limits: &Limits, what: &'static str) -> Result<String> {
    let mut all = hrefs(e, limits)?.into_iter();
    match (all.next(), all.next()) {
        (Some(h), None) => Ok(h),
        _ => Err(DavXmlError::invalid(what, "needs exactly one DAV:href")),
    }
}

fn text_of(e: &Element, ns: &str, local: &str) -> Option<String> {
    e.child(ns, local)
        .map(|c| c.text().trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn check_count(n: usize, limits: &Limits) -> Result<()> {
    if n >= limits.max_hrefs {
        return Err(DavXmlError::TooManyHrefs(limits.max_hrefs));
    }
    Ok(())
}

/// `CS:share`: `CS:set` (href, common-name, summary, `CS:read` or `CS:read-write`) and
/// `CS:remove` (href).
fn cs_share(root: &Element, limits: &Limits) -> Result<Vec<ShareOp>> {
    let mut out = Vec::new();
    for e in root.elements() {
        if e.is(CALENDARSERVER, "set") {
            check_count(out.len(), limits)?;
            let access = if e.child(CALENDARSERVER, "read-write").is_some() {
                ShareAccess::ReadWrite
            } else if e.child(CALENDARSERVER, "read").is_some() {
                ShareAccess::Read
            } else if e.child(CALDAV, "read-free-busy").is_some() {
                ShareAccess::FreeBusy
            } else {
                return Err(DavXmlError::invalid("CS:set", "needs CS:read or CS:read-write"));
            };
            out.push(ShareOp::Set(ShareSet {
                href: one_href(e, limits, "CS:set")?,
                common_name: text_of(e, CALENDARSERVER, "common-name"),
                summary: text_of(e, CALENDARSERVER, "summary"),
                access,
            }));
        } else if e.is(CALENDARSERVER, "remove") {
            check_count(out.len(), limits)?;
            out.push(ShareOp::Remove(one_href(e, limits, "CS:remove")?));
        }
    }
    Ok(out)
}

/// `DAV:share-resource` (draft-pot-webdav-resource-sharing §5.3): `DAV:sharee` elements with an
/// href, `DAV:share-access` (`read`, `read-write`, or `no-access` to remove), an optional
/// `DAV:prop/DAV:displayname` and `DAV:comment`.
fn share_resource(root: &Element, limits: &Limits) -> Result<Vec<ShareOp>> {
    let mut out = Vec::new();
    for e in root.children_named(DAV, "sharee") {
        check_count(out.len(), limits)?;
        let href = one_href(e, limits, "DAV:sharee")?;
        let access = e
            .child(DAV, "share-access")
            .and_then(|a| a.elements().next())
            .ok_or_else(|| DavXmlError::invalid("DAV:sharee", "needs a DAV:share-access"))?;
        let access = if access.is(DAV, "read-write") {
            ShareAccess::ReadWrite
        } else if access.is(DAV, "read") {
            ShareAccess::Read
        } else if access.is(CALDAV, "read-free-busy") {
            ShareAccess::FreeBusy
        } else if access.is(DAV, "no-access") {
            out.push(ShareOp::Remove(href));
            continue;
        } else {
            return Err(DavXmlError::invalid(
                "DAV:share-access",
                format!("{} is not read, read-write or no-access", access.name),
            ));
        };
        out.push(ShareOp::Set(ShareSet {
            href,
            common_name: e.child(DAV, "prop").and_then(|p| text_of(p, DAV, "displayname")),
            summary: text_of(e, DAV, "comment"),
            access,
        }));
    }
    Ok(out)
}

/// `CS:invite-reply`: `CS:invite-accepted` or `CS:invite-declined`, `CS:hosturl` (required),
/// optional href, `CS:in-reply-to` and `CS:summary`.
fn invite_reply(root: &Element) -> Result<InviteReply> {
    let accept = match (
        root.child(CALENDARSERVER, "invite-accepted").is_some(),
        root.child(CALENDARSERVER, "invite-declined").is_some(),
    ) {
        (true, false) => true,
        (false, true) => false,
        _ => {
            return Err(DavXmlError::invalid(
                "CS:invite-reply",
                "needs one of CS:invite-accepted and CS:invite-declined",
            ));
        }
    };
    let host_url = root
        .child(CALENDARSERVER, "hosturl")
        .and_then(|h| h.child(DAV, "href"))
        .map(|h| h.text().trim().to_owned())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| DavXmlError::invalid("CS:invite-reply", "needs CS:hosturl with a DAV:href"))?;
    Ok(InviteReply {
        href: text_of(root, DAV, "href"),
        accept,
        host_url,
        in_reply_to: text_of(root, CALENDARSERVER, "in-reply-to"),
        summary: text_of(root, CALENDARSERVER, "summary"),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<SharingRequest> {
        parse_sharing(body.as_bytes(), &Limits::default())
    }

    /// The caldav-sharing specification's example: one set, one remove.
    #[test]
    fn cs_share_set_and_remove() {
        let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
     <CS:set>
       <D:href>mailto:eric@example.com</D:href>
       <CS:common-name>Eric York</CS:common-name>
       <CS:summary>Shared workspace</CS:summary>
       <CS:read-write />
     </CS:set>
     <CS:remove>
       <D:href>mailto:foo@bar</D:href>
     </CS:remove>
   </CS:share>"#;
        assert_eq!(
            parse(body).unwrap(),
            SharingRequest::Share(vec![
                ShareOp::Set(ShareSet {
                    href: "mailto:eric@example.com".into(),
                    common_name: Some("Eric York".into()),
                    summary: Some("Shared workspace".into()),
                    access: ShareAccess::ReadWrite,
                }),
                ShareOp::Remove("mailto:foo@bar".into()),
            ])
        );
    }

    /// draft-pot-webdav-resource-sharing §5.3.2's shape, `no-access` removing.
    #[test]
    fn share_resource() {
        let body = r#"<D:share-resource xmlns:D="DAV:">
     <D:sharee><D:href>mailto:eric@example.com</D:href>
       <D:prop><D:displayname>Eric York</D:displayname></D:prop>
       <D:comment>Shared workspace</D:comment>
       <D:share-access><D:read /></D:share-access></D:sharee>
     <D:sharee><D:href>mailto:f@b</D:href><D:share-access><C:read-free-busy xmlns:C="urn:ietf:params:xml:ns:caldav"/></D:share-access></D:sharee>
     <D:sharee><D:href>/dav/principals/x@y/</D:href><D:share-access><D:no-access/></D:share-access></D:sharee>
   </D:share-resource>"#;
        assert_eq!(
            parse(body).unwrap(),
            SharingRequest::Share(vec![
                ShareOp::Set(ShareSet {
                    href: "mailto:eric@example.com".into(),
                    common_name: Some("Eric York".into()),
                    summary: Some("Shared workspace".into()),
                    access: ShareAccess::Read,
                }),
                ShareOp::Set(ShareSet {
                    href: "mailto:f@b".into(),
                    common_name: None,
                    summary: None,
                    access: ShareAccess::FreeBusy,
                }),
                ShareOp::Remove("/dav/principals/x@y/".into()),
            ])
        );
    }

    #[test]
    fn invite_reply() {
        let body = r#"<CS:invite-reply xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
     <D:href>mailto:bob@example.com</D:href><CS:invite-accepted/>
     <CS:hosturl><D:href>/dav/calendars/a@x/work/</D:href></CS:hosturl>
     <CS:in-reply-to>abc</CS:in-reply-to><CS:summary>Alice's work</CS:summary>
   </CS:invite-reply>"#;
        assert_eq!(
            parse(body).unwrap(),
            SharingRequest::Reply(InviteReply {
                href: Some("mailto:bob@example.com".into()),
                accept: true,
                host_url: "/dav/calendars/a@x/work/".into(),
                in_reply_to: Some("abc".into()),
                summary: Some("Alice's work".into()),
            })
        );
    }

    #[test]
    fn refusals() {
        let cs = r#"xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/""#;
        for bad in [
            format!("<CS:share {cs}><CS:set><D:href>mailto:a@b</D:href></CS:set></CS:share>"),
            format!("<CS:share {cs}><CS:set><CS:read/></CS:set></CS:share>"),
            format!(
                "<CS:share {cs}><CS:remove><D:href>a</D:href><D:href>b</D:href></CS:remove></CS:share>"
            ),
            format!("<CS:share {cs}><CS:remove><D:href> </D:href></CS:remove></CS:share>"),
            format!("<CS:invite-reply {cs}><CS:invite-accepted/></CS:invite-reply>"),
            format!(
                "<CS:invite-reply {cs}><CS:hosturl><D:href>/x/</D:href></CS:hosturl></CS:invite-reply>"
            ),
            "<D:share-resource xmlns:D=\"DAV:\"><D:sharee><D:href>a</D:href><D:share-access><D:all/></D:share-access></D:sharee></D:share-resource>".to_owned(),
            "<D:propfind xmlns:D=\"DAV:\"/>".to_owned(),
        ] {
            assert!(
                matches!(parse(&bad), Err(DavXmlError::Invalid { .. })),
                "{bad}: {:?}",
                parse(&bad)
            );
        }
        let limits = Limits {
            max_hrefs: 2,
            ..Limits::default()
        };
        let many = format!(
            "<CS:share {cs}>{}</CS:share>",
            "<CS:remove><D:href>mailto:a@b</D:href></CS:remove>".repeat(3)
        );
        assert_eq!(
            parse_sharing(many.as_bytes(), &limits),
            Err(DavXmlError::TooManyHrefs(2))
        );
    }
}
