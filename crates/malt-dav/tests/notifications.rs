//! The notification collection over HTTP (Apple's caldav-notifications, with caldav-sharing's
//! `CS:invite-notification` and `CS:invite-reply`): found from the principal's
//! `CS:notification-URL`, listed with `CS:notificationtype`, each notification read as its XML
//! document; an answer turning the sharee's invite into the owner's reply; DELETE dismissing
//! either; group members each invited; nobody else reaching a user's notifications; the
//! share's summary in `CS:invite` on both sides.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_dav_proto::name::{CALDAV, CALENDARSERVER};
use malt_dav_proto::response::Multistatus;
use malt_dav_proto::{Element, Limits, parse_document};

const BOB: &str = "bob@example.org";
const CAROL: &str = "carol@example.org";
const BOB_PRINCIPAL: &str = "/dav/principals/bob@example.org/";
const BOB_NOTES: &str = "/dav/calendars/bob@example.org/notifications/";
const ALICE_NOTES: &str = "/dav/calendars/alice@example.org/notifications/";

fn share_body(sharee: &str, access: &str) -> String {
    format!(
        r#"<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>mailto:{sharee}</D:href><CS:common-name>Bobby</CS:common-name><CS:summary>Our plans</CS:summary><CS:{access}/></CS:set></CS:share>"#
    )
}

fn reply_body(accept: bool, host: &str, uid: &str) -> String {
    let answer = if accept {
        "invite-accepted"
    } else {
        "invite-declined"
    };
    format!(
        r#"<CS:invite-reply xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:href>mailto:bob@example.org</D:href><CS:{answer}/><CS:hosturl><D:href>{host}</D:href></CS:hosturl><CS:in-reply-to>{uid}</CS:in-reply-to><CS:summary>Alice's</CS:summary></CS:invite-reply>"#
    )
}

/// Bob answers the share of Alice's calendar (invite-reply POST to his home).
async fn answer(env: &Env, accept: bool, uid: &str) -> Reply {
    let home = "/dav/calendars/bob@example.org/";
    env.dav_as(BOB, "POST", home, &[XML], &reply_body(accept, CAL, uid))
        .await
}

/// Alice (the test user) and Bob; Alice's calendar shared with Bob read-write, with a summary.
async fn setup() -> Env {
    let env = start().await;
    env.add_user(BOB).await;
    let r = env.dav("POST", CAL, &[XML], &share_body(BOB, "read-write")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    env
}

/// `user`'s notification collection listed with `Depth: 1`: the multistatus, its CTag and the
/// notification hrefs.
async fn listing(env: &Env, user: &str, path: &str) -> (Multistatus, String, Vec<String>) {
    let r = propfind_as(
        env,
        user,
        path,
        "1",
        "<D:resourcetype/><D:displayname/><CS:getctag/><D:getetag/><D:getcontenttype/><CS:notificationtype/>",
    )
    .await;
    assert_eq!(r.status, 207, "{}", r.text());
    let ms = r.multistatus();
    let ctag = prop(&ms, path, &cs("getctag")).unwrap().text();
    let items = hrefs(&ms).into_iter().filter(|h| h != path).collect();
    (ms, ctag, items)
}

/// GET of a notification as `user`: the parsed document, and the reply.
async fn read(env: &Env, user: &str, href: &str) -> (Element, Reply) {
    let r = env.dav_as(user, "GET", href, &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let doc = parse_document(&r.body, &Limits::trusted()).unwrap();
    (doc, r)
}

fn href_of(e: &Element) -> String {
    e.child("DAV:", "href").unwrap().text()
}

#[tokio::test]
async fn the_principal_names_the_collection_which_lists_the_invite() {
    let env = setup().await;
    // CS:notification-URL on Bob's principal (caldav-notifications §4.1.1), not in allprop.
    let ms = propfind_as(&env, BOB, BOB_PRINCIPAL, "0", "<CS:notification-URL/>")
        .await
        .multistatus();
    let url = prop(&ms, BOB_PRINCIPAL, &cs("notification-URL")).unwrap();
    assert_eq!(href_of(&url), BOB_NOTES);
    let all = env
        .dav_as(BOB, "PROPFIND", BOB_PRINCIPAL, &[("depth", "0")], "")
        .await
        .text();
    assert!(!all.contains("notification-URL"), "{all}");

    // The collection: resourcetype collection + CS:notification, one invite.
    let (ms, _, items) = listing(&env, BOB, BOB_NOTES).await;
    let types = prop(&ms, BOB_NOTES, &dav("resourcetype")).unwrap();
    assert!(types.child("DAV:", "collection").is_some());
    assert!(types.child(CALENDARSERVER, "notification").is_some());
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert!(item.starts_with(BOB_NOTES) && item.ends_with(".xml"), "{item}");
    let kind = prop(&ms, item, &cs("notificationtype")).unwrap();
    let invite = kind.child(CALENDARSERVER, "invite-notification").unwrap();
    assert_eq!(invite.attr("shared-type"), Some("calendar"));
    assert!(invite.children.is_empty(), "the type element is empty");
    assert!(
        prop(&ms, item, &dav("getcontenttype"))
            .unwrap()
            .text()
            .starts_with("application/xml")
    );
    let etag = prop(&ms, item, &dav("getetag")).unwrap().text();

    // The document (caldav-sharing CS:invite-notification).
    let (doc, r) = read(&env, BOB, item).await;
    assert_eq!(r.header("etag").as_deref(), Some(etag.as_str()));
    assert!(r.header("content-type").unwrap().starts_with("application/xml"));
    assert!(doc.name.is(CALENDARSERVER, "notification"));
    let stamp = doc.child(CALENDARSERVER, "dtstamp").unwrap().text();
    assert!(
        stamp.len() == 20 && stamp.ends_with('Z') && stamp.contains('T'),
        "{stamp}"
    );
    let n = doc.child(CALENDARSERVER, "invite-notification").unwrap();
    assert_eq!(n.attr("shared-type"), Some("calendar"));
    assert!(!n.child(CALENDARSERVER, "uid").unwrap().text().is_empty());
    assert_eq!(href_of(n), "mailto:bob@example.org");
    assert!(n.child(CALENDARSERVER, "invite-noresponse").is_some());
    let access = n.child(CALENDARSERVER, "access").unwrap();
    assert!(access.child(CALENDARSERVER, "read-write").is_some());
    assert_eq!(href_of(n.child(CALENDARSERVER, "hosturl").unwrap()), CAL);
    let organizer = n.child(CALENDARSERVER, "organizer").unwrap();
    assert_eq!(href_of(organizer), "mailto:alice@example.org");
    assert_eq!(
        organizer.child(CALENDARSERVER, "common-name").unwrap().text(),
        "alice@example.org"
    );
    assert_eq!(n.child(CALENDARSERVER, "summary").unwrap().text(), "Our plans");
    let comps: Vec<String> = n
        .child(CALDAV, "supported-calendar-component-set")
        .unwrap()
        .children_named(CALDAV, "comp")
        .map(|c| c.attr("name").unwrap().to_owned())
        .collect();
    assert_eq!(comps, vec!["VEVENT".to_owned()]);

    // HEAD, and a conditional GET.
    let head = env.dav_as(BOB, "HEAD", item, &[], "").await;
    assert_eq!((head.status, head.body.len()), (200, 0));
    let same = env
        .dav_as(BOB, "GET", item, &[("if-none-match", etag.as_str())], "")
        .await;
    assert_eq!(same.status, 304);

    // The calendar home lists the collection; Alice has no notification.
    let home = propfind_as(
        &env,
        BOB,
        "/dav/calendars/bob@example.org/",
        "1",
        "<D:resourcetype/>",
    )
    .await
    .multistatus();
    assert!(hrefs(&home).contains(&BOB_NOTES.to_owned()));
    let (_, _, alice_items) = listing(&env, USER, ALICE_NOTES).await;
    assert!(alice_items.is_empty());

    // Unsharing makes the invite vanish.
    let unshare = r#"<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:remove><D:href>mailto:bob@example.org</D:href></CS:remove></CS:share>"#;
    assert_eq!(env.dav("POST", CAL, &[XML], unshare).await.status, 200);
    let (_, _, items) = listing(&env, BOB, BOB_NOTES).await;
    assert!(items.is_empty());
    assert_eq!(env.dav_as(BOB, "GET", item, &[], "").await.status, 404);
}

#[tokio::test]
async fn accepting_turns_the_invite_into_a_reply_for_the_owner() {
    let env = setup().await;
    let (_, bob_ctag0, items) = listing(&env, BOB, BOB_NOTES).await;
    let (invite, _) = read(&env, BOB, &items[0]).await;
    let uid = invite
        .child(CALENDARSERVER, "invite-notification")
        .unwrap()
        .child(CALENDARSERVER, "uid")
        .unwrap()
        .text();
    let (_, alice_ctag0, none) = listing(&env, USER, ALICE_NOTES).await;
    assert!(none.is_empty());

    let r = answer(&env, true, &uid).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // Bob's invite is gone.
    let (_, bob_ctag1, items) = listing(&env, BOB, BOB_NOTES).await;
    assert!(items.is_empty(), "{items:?}");
    assert_ne!(bob_ctag1, bob_ctag0);

    // Alice has Bob's reply.
    let (ms, alice_ctag1, items) = listing(&env, USER, ALICE_NOTES).await;
    assert_ne!(alice_ctag1, alice_ctag0);
    assert_eq!(items.len(), 1, "{items:?}");
    let item = items[0].clone();
    let kind = prop(&ms, &item, &cs("notificationtype")).unwrap();
    assert!(kind.child(CALENDARSERVER, "invite-reply").is_some());
    let (doc, _) = read(&env, USER, &item).await;
    let reply = doc.child(CALENDARSERVER, "invite-reply").unwrap();
    assert_eq!(href_of(reply), "mailto:bob@example.org");
    assert!(reply.child(CALENDARSERVER, "invite-accepted").is_some());
    assert_eq!(href_of(reply.child(CALENDARSERVER, "hosturl").unwrap()), CAL);
    assert_eq!(reply.child(CALENDARSERVER, "in-reply-to").unwrap().text(), uid);
    assert_eq!(reply.child(CALENDARSERVER, "summary").unwrap().text(), "Alice's");
    // Bob cannot see it.
    assert_eq!(env.dav_as(BOB, "GET", &item, &[], "").await.status, 404);

    // Alice dismisses it.
    assert_eq!(env.dav("DELETE", &item, &[], "").await.status, 204);
    let (_, alice_ctag2, items) = listing(&env, USER, ALICE_NOTES).await;
    assert!(items.is_empty());
    assert_ne!(alice_ctag2, alice_ctag1);
    assert_eq!(env.dav("GET", &item, &[], "").await.status, 404);
    assert_eq!(env.dav("DELETE", &item, &[], "").await.status, 404);

    // A later answer (Bob removes the calendar from his home: a decline) replaces it.
    let mount = mounted(&env, BOB, "/dav/calendars/bob@example.org/")
        .await
        .pop()
        .unwrap();
    assert_eq!(env.dav_as(BOB, "DELETE", &mount, &[], "").await.status, 204);
    let (_, alice_ctag3, items) = listing(&env, USER, ALICE_NOTES).await;
    assert_ne!(alice_ctag3, alice_ctag2);
    assert_eq!(items, vec![item.clone()], "one reply per sharee and collection");
    let (doc, _) = read(&env, USER, &item).await;
    let reply = doc.child(CALENDARSERVER, "invite-reply").unwrap();
    assert!(reply.child(CALENDARSERVER, "invite-declined").is_some());
    assert!(reply.child(CALENDARSERVER, "summary").is_none());
}

#[tokio::test]
async fn deleting_an_invite_dismisses_it_without_answering() {
    let env = setup().await;
    let (_, ctag0, items) = listing(&env, BOB, BOB_NOTES).await;
    let item = items[0].clone();
    // If-Match is honoured.
    let stale = env
        .dav_as(BOB, "DELETE", &item, &[("if-match", "\"nope\"")], "")
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(env.dav_as(BOB, "DELETE", &item, &[], "").await.status, 204);
    let (_, ctag1, items) = listing(&env, BOB, BOB_NOTES).await;
    assert!(items.is_empty());
    assert_ne!(ctag1, ctag0);
    assert_eq!(env.dav_as(BOB, "DELETE", &item, &[], "").await.status, 404);

    // As CalendarServer does: the share stays unanswered, and the owner hears nothing.
    let ms = env.propfind(CAL, "0", "<CS:invite/>").await;
    let user = prop(&ms, CAL, &cs("invite"))
        .unwrap()
        .child(CALENDARSERVER, "user")
        .cloned()
        .unwrap();
    assert!(user.child(CALENDARSERVER, "invite-noresponse").is_some());
    let (_, _, replies) = listing(&env, USER, ALICE_NOTES).await;
    assert!(replies.is_empty());

    // Bob can still answer; then Alice hears of it.
    let r = answer(&env, false, "whatever").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (_, _, replies) = listing(&env, USER, ALICE_NOTES).await;
    assert_eq!(replies.len(), 1);
    let ms = env.propfind(CAL, "0", "<CS:invite/>").await;
    let invite = prop(&ms, CAL, &cs("invite")).unwrap();
    assert!(
        invite
            .child(CALENDARSERVER, "user")
            .unwrap()
            .child(CALENDARSERVER, "invite-declined")
            .is_some()
    );
}

#[tokio::test]
async fn each_member_of_a_group_gets_an_invite() {
    let env = start().await;
    env.add_user(BOB).await;
    env.add_user(CAROL).await;
    let store = &env.core.storage().store;
    store.group_add("team@example.org", "Team").await.unwrap();
    store.group_member_add("team@example.org", BOB).await.unwrap();
    store.group_member_add("team@example.org", CAROL).await.unwrap();
    let r = env
        .dav("POST", BOOK, &[XML], &share_body("team@example.org", "read"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let mut uids = Vec::new();
    for (user, notes) in [
        (BOB, BOB_NOTES),
        (CAROL, "/dav/calendars/carol@example.org/notifications/"),
    ] {
        let (_, _, items) = listing(&env, user, notes).await;
        assert_eq!(items.len(), 1, "{user}: {items:?}");
        let (doc, _) = read(&env, user, &items[0]).await;
        let n = doc.child(CALENDARSERVER, "invite-notification").unwrap();
        assert_eq!(n.attr("shared-type"), Some("addressbook"));
        assert_eq!(href_of(n), format!("mailto:{user}"));
        assert_eq!(href_of(n.child(CALENDARSERVER, "hosturl").unwrap()), BOOK);
        assert!(n.child(CALDAV, "supported-calendar-component-set").is_none());
        uids.push(n.child(CALENDARSERVER, "uid").unwrap().text());
    }
    assert_ne!(uids[0], uids[1], "one invite per member");
}

#[tokio::test]
async fn nobody_else_reaches_a_users_notifications_and_nobody_adds_any() {
    let env = setup().await;
    env.add_user(CAROL).await;
    let (_, _, items) = listing(&env, BOB, BOB_NOTES).await;
    let item = items[0].clone();
    for (method, path) in [
        ("PROPFIND", BOB_NOTES),
        ("PROPFIND", item.as_str()),
        ("GET", item.as_str()),
        ("DELETE", item.as_str()),
    ] {
        let r = env.dav_as(CAROL, method, path, &[("depth", "0")], "").await;
        assert_eq!(r.status, 404, "Carol {method} {path}");
    }
    // Alice shared with Bob, yet his notifications are his.
    assert_eq!(env.dav("GET", &item, &[], "").await.status, 404);
    // Bob's invite is still there.
    let (_, _, items) = listing(&env, BOB, BOB_NOTES).await;
    assert_eq!(items.len(), 1);

    let put = env
        .dav_as(BOB, "PUT", &format!("{BOB_NOTES}mine.xml"), &[XML], "<x/>")
        .await;
    assert_eq!(put.status, 403, "{}", put.text());
    assert_eq!(env.dav_as(BOB, "MKCOL", BOB_NOTES, &[], "").await.status, 405);
    assert_eq!(env.dav_as(BOB, "DELETE", BOB_NOTES, &[], "").await.status, 403);
    let patch = r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>"#;
    assert_eq!(
        env.dav_as(BOB, "PROPPATCH", BOB_NOTES, &[XML], patch)
            .await
            .status,
        403
    );
    let sync = r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
    env.dav_as(BOB, "REPORT", BOB_NOTES, &[("depth", "0")], sync)
        .await
        .assert_condition(403, dav("supported-report"));
}

#[tokio::test]
async fn the_summary_shows_in_cs_invite_on_both_sides() {
    let env = setup().await;
    // The owner's view: the sharee's common name and the summary.
    let ms = env.propfind(CAL, "0", "<CS:invite/>").await;
    let user = prop(&ms, CAL, &cs("invite"))
        .unwrap()
        .child(CALENDARSERVER, "user")
        .cloned()
        .unwrap();
    assert_eq!(user.child(CALENDARSERVER, "common-name").unwrap().text(), "Bobby");
    assert_eq!(user.child(CALENDARSERVER, "summary").unwrap().text(), "Our plans");

    // The sharee's view, at either URL: the organizer and Bob's own entry.
    let mount = mounted(&env, BOB, "/dav/calendars/bob@example.org/")
        .await
        .pop()
        .unwrap();
    for path in [mount.as_str(), CAL] {
        let ms = propfind_as(&env, BOB, path, "0", "<CS:invite/>")
            .await
            .multistatus();
        let invite = prop(&ms, path, &cs("invite")).unwrap();
        let organizer = invite.child(CALENDARSERVER, "organizer").unwrap();
        assert_eq!(href_of(organizer), "mailto:alice@example.org");
        let users: Vec<&Element> = invite.children_named(CALENDARSERVER, "user").collect();
        assert_eq!(users.len(), 1, "{path}");
        assert_eq!(href_of(users[0]), "mailto:bob@example.org");
        assert!(users[0].child(CALENDARSERVER, "invite-noresponse").is_some());
        assert!(
            users[0]
                .child(CALENDARSERVER, "access")
                .unwrap()
                .child(CALENDARSERVER, "read-write")
                .is_some()
        );
        assert_eq!(
            users[0].child(CALENDARSERVER, "summary").unwrap().text(),
            "Our plans"
        );
    }
}
