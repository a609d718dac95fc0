//! The notification collection (Apple's "CalDAV: Server Notifications", caldav-notifications,
//! and the two notifications of calendarserver sharing, caldav-sharing `CS:invite-notification`
//! and `CS:invite-reply`): `/dav/calendars/<user>/notifications/`, named by the principal's
//! `CS:notification-URL` (caldav-notifications §4.1.1; not in `allprop`).
//!
//! - Nothing is stored for it: its members are derived at each request from the shares and
//!   answers (`malt_store::dav_share`). A user has an invite for each collection of another
//!   user shared with them (directly or through a group) with read access or more that they
//!   have not answered nor dismissed (`invite-<collection id>.xml`); an owner has a reply for
//!   each answer to their shares they have not dismissed (`reply-<collection id>-<account
//!   id>.xml`). An answer (invite-reply POST, DELETE of the mounted collection) makes the invite
//!   vanish and the reply appear; a later answer replaces the reply; a removed share takes both.
//! - The invite's `CS:uid` is stable (`urn:x-malt:share:<collection id>:<account id>`), and is
//!   the reply's `CS:in-reply-to`. The `CS:in-reply-to` a client sends with its invite-reply is
//!   not checked: the `CS:hosturl` names the share.
//! - Each notification is an XML document (`CS:notification` with `CS:dtstamp`, RFC 3339 UTC,
//!   §4.3.2-4.3.3), `application/xml; charset=utf-8`, with a strong ETag (a hash of the
//!   document); its `CS:notificationtype` (§4.2.1) is the empty element with the document's
//!   attributes. The collection's `CS:getctag` is a hash of every (name, ETag), so it changes
//!   exactly when the contents do. No `sync-collection` on it (optional; clients watch the CTag).
//! - PROPFIND (depth 0 and 1), GET/HEAD (`If-None-Match` gives 304) and DELETE (`If-Match`
//!   honoured) of a notification. DELETE removes it from the collection, as Apple's
//!   CalendarServer does (its `StoreNotificationObjectFile.storeRemove` only removes the
//!   notification): a deleted invite leaves the share unanswered (`invite-noresponse` in the
//!   owner's `CS:invite`, nothing sent to the owner); a deleted reply is gone until the sharee
//!   answers again. Clients add nothing (§4: "Servers MUST prevent clients from adding
//!   resources"): PUT, PROPPATCH, COPY, MOVE, POST are 403, MKCOL 405, REPORT 403
//!   `DAV:supported-report`.
//! - Only the user reaches their notification collection; another user's is 404 (it is not a
//!   collection anyone can share). The name is reserved in the calendar home, but a collection
//!   of the user's own of that name (made before it was reserved) keeps it: it is served there
//!   instead, and the principal has no `CS:notification-URL` (§4.1.1: the user is then "not
//!   enabled for notification messages").
//! - The DAV header announces nothing for this: Apple's server announces no notification
//!   token (only `calendarserver-sharing`, which Malt already sends).

use axum::http::StatusCode;
use axum::response::Response;
use malt_dav_proto::name::{CALDAV, CALENDARSERVER, DAV};
use malt_dav_proto::request::{PropRequest, parse_propfind};
use malt_dav_proto::response::{Multistatus, Response as DavResponse};
use malt_dav_proto::{Element, Name, document};
use malt_store::{
    AccountId, DavCollection, DavCollectionId, DavCollectionKind, DavShareReply, DavShareStatus,
    DavSharedCollection, StoreError, dav_etag,
};

use crate::access::shareable;
use crate::error::{DavError, DavResult};
use crate::method::{Depth, condition, depth, multistatus};
use crate::path::{DavPath, PRINCIPALS, collection_href, encode_segment, principal_href};
use crate::props::{ALLPROP, by_status, etag, http_date};
use crate::resource::{collection, is_self};
use crate::sharing::{cs_access, organizer};
use crate::{Ctx, DavRequest, empty};

/// The notification collection's name in every calendar home.
pub const NOTIFICATIONS: &str = "notifications";

/// The media type of a notification.
const CONTENT_TYPE: &str = "application/xml; charset=utf-8";

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The user is invited to `collection` of another user.
    Invite(DavCollectionId),
    /// `account` answered the share of the user's `collection`.
    Reply(DavCollectionId, AccountId),
}

/// One notification, its document made.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Its resource name in the collection.
    pub name: String,
    kind: Kind,
    /// `CS:notificationtype`'s child: the document's type element without its children.
    type_element: Element,
    /// Unix seconds.
    pub dtstamp: i64,
    /// The XML document.
    pub body: Vec<u8>,
    /// Strong ETag, without quotes.
    pub etag: String,
}

/// The href of the user's notification collection, unless a collection of their own holds the
/// name (known only when their collections were read in this request; otherwise assumed free).
pub fn url(ctx: &Ctx) -> Option<String> {
    let taken = ctx.collections_read().is_some_and(|all| {
        all.iter()
            .any(|c| c.kind.in_calendar_home() && c.name == NOTIFICATIONS)
    });
    (!taken).then(|| collection_href(DavCollectionKind::Calendar, &ctx.account.address, NOTIFICATIONS))
}

/// Whether `path` names the user's notification collection or one of its notifications.
pub async fn is_notification_path(ctx: &Ctx, path: &DavPath) -> DavResult<bool> {
    let (DavPath::Collection(DavCollectionKind::Calendar, user, name)
    | DavPath::Object(DavCollectionKind::Calendar, user, name, _)) = path
    else {
        return Ok(false);
    };
    if name != NOTIFICATIONS || !is_self(ctx, user) {
        return Ok(false);
    }
    Ok(collection(ctx, DavCollectionKind::Calendar, NOTIFICATIONS)
        .await?
        .is_none())
}

/// The stable identifier of the invite of `account` to `collection` (`CS:uid`, and the
/// `CS:in-reply-to` of its reply).
pub fn invite_uid(collection: DavCollectionId, account: AccountId) -> String {
    format!("urn:x-malt:share:{collection}:{account}")
}

/// RFC 3339 UTC of Unix seconds (caldav-notifications §4.3.3).
fn rfc3339(t: i64) -> String {
    let compact = malt_dav_proto::time::format_utc(t).unwrap_or_else(|| "19700101T000000Z".to_owned());
    let part = |from: usize, to: usize| compact.get(from..to).unwrap_or("00");
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        part(0, 4),
        part(4, 6),
        part(6, 8),
        part(9, 11),
        part(11, 13),
        part(13, 15)
    )
}

fn el(ns: &str, local: &str) -> Element {
    Element::new(Name::new(ns, local))
}

fn shared_type(kind: DavCollectionKind) -> &'static str {
    if kind == DavCollectionKind::AddressBook {
        "addressbook"
    } else {
        "calendar"
    }
}

fn status_element(status: DavShareStatus) -> Element {
    el(
        CALENDARSERVER,
        match status {
            DavShareStatus::Invited => "invite-noresponse",
            DavShareStatus::Accepted => "invite-accepted",
            DavShareStatus::Declined => "invite-declined",
        },
    )
}

fn make(name: String, kind: Kind, dtstamp: i64, content: Element) -> Notification {
    let mut type_element = Element::new(content.name.clone());
    type_element.attrs = content.attrs.clone();
    let root = el(CALENDARSERVER, "notification")
        .with_child(el(CALENDARSERVER, "dtstamp").with_text(rfc3339(dtstamp)))
        .with_child(content);
    let body = document(&root);
    Notification {
        name,
        kind,
        type_element,
        dtstamp,
        etag: dav_etag(&body),
        body,
    }
}

/// The name a collection goes by in notifications: the owner's summary, else its display name,
/// else its name.
fn title(c: &DavCollection, summary: Option<&str>) -> String {
    summary
        .or(c.props.display_name.as_deref())
        .unwrap_or(&c.name)
        .to_owned()
}

/// caldav-sharing `CS:invite-notification`: (uid, DAV:href, status, access, hosturl, organizer,
/// summary?, CALDAV:supported-calendar-component-set?).
fn invite(ctx: &Ctx, s: &DavSharedCollection) -> Notification {
    let c = &s.collection;
    let mut content = el(CALENDARSERVER, "invite-notification")
        .with_attr("shared-type", shared_type(c.kind))
        .with_child(el(CALENDARSERVER, "uid").with_text(invite_uid(c.id, ctx.account.id)))
        .with_child(Element::href(format!(
            "mailto:{}",
            ctx.account.address.to_lowercase()
        )))
        .with_child(status_element(s.status))
        .with_child(cs_access(s.access))
        .with_child(
            el(CALENDARSERVER, "hosturl")
                .with_child(Element::href(collection_href(c.kind, &s.owner, &c.name))),
        )
        .with_child(organizer(&s.owner))
        .with_child(el(CALENDARSERVER, "summary").with_text(title(c, s.summary.as_deref())));
    if c.kind == DavCollectionKind::Calendar {
        content = content.with_child(
            el(CALDAV, "supported-calendar-component-set").with_children(
                c.props
                    .components
                    .iter()
                    .map(|comp| el(CALDAV, "comp").with_attr("name", comp.name())),
            ),
        );
    }
    make(
        format!("invite-{}.xml", c.id),
        Kind::Invite(c.id),
        s.shared_at,
        content,
    )
}

/// caldav-sharing `CS:invite-reply`: (DAV:href, accepted | declined, hosturl, in-reply-to,
/// summary?).
fn reply(ctx: &Ctx, r: &DavShareReply) -> Notification {
    let c = &r.collection;
    let content = el(CALENDARSERVER, "invite-reply")
        .with_child(Element::href(format!("mailto:{}", r.sharee)))
        .with_child(status_element(r.status))
        .with_child(
            el(CALENDARSERVER, "hosturl").with_child(Element::href(collection_href(
                c.kind,
                &ctx.account.address,
                &c.name,
            ))),
        )
        .with_child(el(CALENDARSERVER, "in-reply-to").with_text(invite_uid(c.id, r.account_id)))
        .with_children(
            r.summary
                .as_ref()
                .map(|t| el(CALENDARSERVER, "summary").with_text(t.clone())),
        );
    make(
        format!("reply-{}-{}.xml", c.id, r.account_id),
        Kind::Reply(c.id, r.account_id),
        r.answered_at,
        content,
    )
}

/// The user's notifications: their invites (by owner, then collection name), then the replies
/// to their shares (by collection, then sharee). Two store reads.
pub async fn list(ctx: &Ctx) -> DavResult<Vec<Notification>> {
    let identity = ctx.identity().await?;
    let mut out: Vec<Notification> = malt_core::dav_sharing::shared_with(ctx.store(), identity)
        .await?
        .iter()
        .filter(|s| {
            s.status == DavShareStatus::Invited
                && !s.invite_dismissed
                && shareable(s.collection.kind)
                && s.access.can_read()
        })
        .map(|s| invite(ctx, s))
        .collect();
    out.extend(
        ctx.store()
            .dav_share_replies(ctx.account.id)
            .await?
            .iter()
            .filter(|r| shareable(r.collection.kind))
            .map(|r| reply(ctx, r)),
    );
    Ok(out)
}

/// The collection's CTag: a hash of every (name, ETag).
fn token(all: &[Notification]) -> String {
    let mut text = String::new();
    for n in all {
        text.push_str(&n.name);
        text.push(' ');
        text.push_str(&n.etag);
        text.push('\n');
    }
    dav_etag(text.as_bytes())
}

fn href(ctx: &Ctx) -> String {
    collection_href(DavCollectionKind::Calendar, &ctx.account.address, NOTIFICATIONS)
}

fn item_href(ctx: &Ctx, n: &Notification) -> String {
    format!("{}{}", href(ctx), encode_segment(&n.name))
}

/// Live properties of both the collection and its notifications.
const COMMON: &[(&str, &str)] = &[
    (DAV, "resourcetype"),
    (DAV, "current-user-principal"),
    (DAV, "principal-collection-set"),
    (DAV, "owner"),
    (DAV, "current-user-privilege-set"),
];
const COLLECTION: &[(&str, &str)] = &[
    (DAV, "displayname"),
    (DAV, "supported-report-set"),
    (CALENDARSERVER, "getctag"),
];
const ITEM: &[(&str, &str)] = &[
    (DAV, "getetag"),
    (DAV, "getcontenttype"),
    (DAV, "getcontentlength"),
    (DAV, "getlastmodified"),
    (CALENDARSERVER, "notificationtype"),
];

/// A property of the collection (`item` `None`) or of notification `item`.
fn value(ctx: &Ctx, item: Option<&Notification>, ctag: &str, name: &Name) -> Option<Element> {
    let e = || Element::new(name.clone());
    let text = |t: String| Some(e().with_text(t));
    if name.ns == DAV {
        match name.local.as_str() {
            "resourcetype" => {
                return Some(match item {
                    None => e().with_children([el(DAV, "collection"), el(CALENDARSERVER, "notification")]),
                    Some(_) => e(),
                });
            }
            "current-user-principal" | "owner" => {
                return Some(e().with_child(Element::href(principal_href(&ctx.account.address))));
            }
            "principal-collection-set" => return Some(e().with_child(Element::href(PRINCIPALS.to_owned()))),
            // Read them, and delete them (RFC 3744 §3.9 unbind); never add (§4).
            "current-user-privilege-set" => {
                return Some(
                    e().with_children(
                        ["read", "read-current-user-privilege-set", "unbind"]
                            .map(|p| el(DAV, "privilege").with_child(el(DAV, p))),
                    ),
                );
            }
            _ => {}
        }
    }
    match item {
        None => {
            if name.is(DAV, "displayname") {
                text("Notifications".to_owned())
            } else if name.is(DAV, "supported-report-set") {
                Some(e())
            } else if name.is(CALENDARSERVER, "getctag") {
                text(ctag.to_owned())
            } else {
                None
            }
        }
        Some(n) => {
            if name.is(DAV, "getetag") {
                text(etag(&n.etag))
            } else if name.is(DAV, "getcontenttype") {
                text(CONTENT_TYPE.to_owned())
            } else if name.is(DAV, "getcontentlength") {
                text(n.body.len().to_string())
            } else if name.is(DAV, "getlastmodified") {
                text(http_date(n.dtstamp))
            } else if name.is(CALENDARSERVER, "notificationtype") {
                Some(e().with_child(n.type_element.clone()))
            } else {
                None
            }
        }
    }
}

/// The propstats of `request` for the collection or a notification.
fn propstats(
    ctx: &Ctx,
    item: Option<&Notification>,
    ctag: &str,
    request: &PropRequest,
) -> Vec<malt_dav_proto::response::PropStat> {
    let value = |n: &Name| value(ctx, item, ctag, n);
    let mut found = Vec::new();
    let mut missing = Vec::new();
    match request {
        PropRequest::Prop(names) => {
            for n in names {
                match value(n) {
                    Some(v) => found.push(v),
                    None => missing.push(Element::new(n.clone())),
                }
            }
        }
        PropRequest::AllProp { include } => {
            // RFC 4918 §9.1; not `CS:notificationtype` (caldav-notifications §4.2.1).
            found.extend(ALLPROP.iter().filter_map(|l| value(&Name::dav(l))));
            for n in include {
                if !found.iter().any(|f| &f.name == n)
                    && let Some(v) = value(n)
                {
                    found.push(v);
                }
            }
        }
        PropRequest::PropName => {
            let own = if item.is_some() { ITEM } else { COLLECTION };
            found.extend(
                COMMON
                    .iter()
                    .chain(own)
                    .map(|(ns, l)| Name::new(ns, l))
                    .filter(|n| value(n).is_some())
                    .map(Element::new),
            );
        }
    }
    by_status(found, missing)
}

/// Whether `request` asks for the CTag (the home listing reads the notifications only then).
fn wants_ctag(request: &PropRequest) -> bool {
    match request {
        PropRequest::Prop(names) | PropRequest::AllProp { include: names } => {
            names.iter().any(|n| n.is(CALENDARSERVER, "getctag"))
        }
        PropRequest::PropName => false,
    }
}

/// The collection's response in a `Depth: 1` listing of the calendar home.
pub async fn home_member(ctx: &Ctx, request: &PropRequest) -> DavResult<DavResponse> {
    let ctag = if wants_ctag(request) {
        token(&list(ctx).await?)
    } else {
        String::new()
    };
    Ok(DavResponse::propstats(
        href(ctx),
        propstats(ctx, None, &ctag, request),
    ))
}

pub async fn handle(ctx: &Ctx, req: &DavRequest) -> DavResult<Response> {
    let item = match &req.path {
        DavPath::Object(_, _, _, name) => Some(name.as_str()),
        _ => None,
    };
    match req.method.as_str() {
        "PROPFIND" => propfind(ctx, req, item).await,
        "GET" | "HEAD" => get(ctx, req, item).await,
        "DELETE" => delete(ctx, req, item).await,
        "MKCOL" | "MKCALENDAR" if item.is_none() => Err(DavError::method_not_allowed(
            "the notification collection exists already",
        )),
        "REPORT" => Err(DavError::precondition(Name::dav("supported-report"))),
        _ => Err(DavError::forbidden(
            "notifications are written by the server: PROPFIND, GET and DELETE only \
             (caldav-notifications §4)",
        )),
    }
}

async fn find(ctx: &Ctx, name: &str) -> DavResult<(Vec<Notification>, Notification)> {
    let all = list(ctx).await?;
    let n = all
        .iter()
        .find(|n| n.name == name)
        .cloned()
        .ok_or_else(DavError::not_found)?;
    Ok((all, n))
}

async fn propfind(ctx: &Ctx, req: &DavRequest, item: Option<&str>) -> DavResult<Response> {
    let depth = depth(req, Depth::Infinity)?;
    if depth == Depth::Infinity {
        return Err(DavError::precondition(Name::dav("propfind-finite-depth")));
    }
    let request = parse_propfind(&req.body, &ctx.settings().xml)?;
    let responses = match item {
        Some(name) => {
            let (all, n) = find(ctx, name).await?;
            vec![DavResponse::propstats(
                item_href(ctx, &n),
                propstats(ctx, Some(&n), &token(&all), &request),
            )]
        }
        None => {
            let all = list(ctx).await?;
            let ctag = token(&all);
            let mut out = vec![DavResponse::propstats(
                href(ctx),
                propstats(ctx, None, &ctag, &request),
            )];
            if depth == Depth::One {
                out.extend(all.iter().map(|n| {
                    DavResponse::propstats(item_href(ctx, n), propstats(ctx, Some(n), &ctag, &request))
                }));
            }
            out
        }
    };
    Ok(multistatus(&Multistatus {
        responses,
        ..Multistatus::default()
    }))
}

async fn get(ctx: &Ctx, req: &DavRequest, item: Option<&str>) -> DavResult<Response> {
    let Some(name) = item else {
        return Err(DavError::method_not_allowed("a collection has no content to GET"));
    };
    let (_, n) = find(ctx, name).await?;
    Ok(crate::method::get::content(
        req,
        n.body,
        &n.etag,
        n.dtstamp,
        CONTENT_TYPE,
    ))
}

async fn delete(ctx: &Ctx, req: &DavRequest, item: Option<&str>) -> DavResult<Response> {
    let Some(name) = item else {
        return Err(DavError::forbidden(
            "the notification collection cannot be deleted (its notifications can)",
        ));
    };
    let condition = condition(req)?;
    let (_, n) = find(ctx, name).await?;
    if !condition.holds(Some(n.etag.as_str())) {
        return Err(DavError::precondition_failed());
    }
    let store = ctx.store();
    let done = match n.kind {
        Kind::Invite(collection) => {
            let identity = ctx.identity().await?;
            malt_core::dav_sharing::dismiss_invite(store, identity, collection).await
        }
        Kind::Reply(collection, account) => {
            store
                .dav_share_reply_dismiss(ctx.account.id, collection, account)
                .await
        }
    };
    match done {
        Ok(_) => Ok(empty(StatusCode::NO_CONTENT)),
        // Answered or dismissed by another request in between.
        Err(StoreError::NotFound(_)) => Err(DavError::not_found()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dtstamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_773_136_800), "2026-03-10T10:00:00Z");
    }
}
