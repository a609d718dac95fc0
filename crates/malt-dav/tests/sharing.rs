//! Sharing over HTTP: the calendarserver-sharing POSTs (`CS:share`, `CS:invite-reply`,
//! `DAV:share-resource`), the shared collection in the sharee's home and at the owner's URL,
//! access on every method (`DAV:need-privileges`, 404 without access), group shares, the
//! sharing properties, and free-busy visibility.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_dav_proto::Name;
use malt_dav_proto::name::CALENDARSERVER;
use malt_store::DavAccess;

const BOB: &str = "bob@example.org";
const CAROL: &str = "carol@example.org";
const BOB_CAL_HOME: &str = "/dav/calendars/bob@example.org/";

fn share_body(sharee: &str, access: &str) -> String {
    format!(
        r#"<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>mailto:{sharee}</D:href><CS:common-name>Them</CS:common-name><CS:summary>Our plans</CS:summary><CS:{access}/></CS:set></CS:share>"#
    )
}

fn unshare_body(sharee: &str) -> String {
    format!(
        r#"<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:remove><D:href>mailto:{sharee}</D:href></CS:remove></CS:share>"#
    )
}

fn reply_body(accept: bool, host: &str) -> String {
    let answer = if accept {
        "invite-accepted"
    } else {
        "invite-declined"
    };
    format!(
        r#"<CS:invite-reply xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:href>mailto:bob@example.org</D:href><CS:{answer}/><CS:hosturl><D:href>{host}</D:href></CS:hosturl><CS:summary>Alice's</CS:summary></CS:invite-reply>"#
    )
}

/// Alice with an event in her calendar, and Bob.
async fn setup() -> Env {
    setup_with(malt_dav::DavSettings::default()).await
}

async fn setup_with(settings: malt_dav::DavSettings) -> Env {
    start_sharing(settings, &[BOB]).await
}

async fn share(env: &Env, path: &str, sharee: &str, access: &str) {
    let r = env.dav("POST", path, &[XML], &share_body(sharee, access)).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

async fn sync(env: &Env, user: &str, path: &str, token: &str) -> Reply {
    let body = format!(
        r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    );
    env.dav_as(user, "REPORT", path, &[("depth", "0")], &body).await
}

#[tokio::test]
async fn read_share_reaches_the_sharee_at_both_urls() {
    let env = setup().await;
    share(&env, CAL, BOB, "read").await;

    // The owner sees the sharee, and the collection is now shared-owner.
    let ms = env
        .propfind(
            CAL,
            "0",
            "<D:resourcetype/><CS:invite/><CS:allowed-sharing-modes/><D:acl/><D:owner/>",
        )
        .await;
    let types = prop(&ms, CAL, &dav("resourcetype")).unwrap();
    assert!(types.child(CALENDARSERVER, "shared-owner").is_some());
    let invite = prop(&ms, CAL, &cs("invite")).unwrap();
    let user = invite.child(CALENDARSERVER, "user").unwrap();
    assert_eq!(
        user.child("DAV:", "href").unwrap().text(),
        "mailto:bob@example.org"
    );
    assert!(user.child(CALENDARSERVER, "invite-noresponse").is_some());
    assert!(
        user.child(CALENDARSERVER, "access")
            .unwrap()
            .child(CALENDARSERVER, "read")
            .is_some()
    );
    let modes = prop(&ms, CAL, &cs("allowed-sharing-modes")).unwrap();
    assert!(modes.child(CALENDARSERVER, "can-be-shared").is_some());
    let acl = prop(&ms, CAL, &dav("acl")).unwrap();
    let principals: Vec<String> = acl
        .children_named("DAV:", "ace")
        .map(|a| {
            a.child("DAV:", "principal")
                .unwrap()
                .child("DAV:", "href")
                .unwrap()
                .text()
        })
        .collect();
    assert_eq!(principals, [PRINCIPAL, "/dav/principals/bob@example.org/"]);

    // Bob's home lists it under a reserved name, with the owner's URL and read-only rights.
    let mounts = mounted(&env, BOB, BOB_CAL_HOME).await;
    assert_eq!(mounts.len(), 1, "{mounts:?}");
    let mount = &mounts[0];
    assert!(mount.starts_with(&format!("{BOB_CAL_HOME}shared-")), "{mount}");
    let ms = propfind_as(
        &env,
        BOB,
        mount,
        "0",
        "<CS:shared-url/><D:owner/><D:current-user-privilege-set/><D:displayname/>",
    )
    .await
    .multistatus();
    let url = prop(&ms, mount, &cs("shared-url")).unwrap();
    assert_eq!(url.child("DAV:", "href").unwrap().text(), CAL);
    let owner = prop(&ms, mount, &dav("owner")).unwrap();
    assert_eq!(owner.child("DAV:", "href").unwrap().text(), PRINCIPAL);
    let privileges = prop(&ms, mount, &dav("current-user-privilege-set")).unwrap();
    let names: Vec<Name> = privileges
        .children_named("DAV:", "privilege")
        .flat_map(|p| p.elements().map(|e| e.name.clone()).collect::<Vec<_>>())
        .collect();
    assert!(names.contains(&dav("read")), "{names:?}");
    assert!(!names.contains(&dav("write")), "{names:?}");
    assert!(!names.contains(&dav("write-content")), "{names:?}");

    // Bob reads the event at the mount and at the owner's URL.
    let at_mount = format!("{mount}e1.ics");
    let a = env.dav_as(BOB, "GET", &at_mount, &[], "").await;
    let b = env.dav_as(BOB, "GET", ALICE_EVENT, &[], "").await;
    assert_eq!((a.status, b.status), (200, 200), "{}", a.text());
    assert_eq!(a.body, b.body);
    assert!(a.text().contains("SUMMARY:Plan"));
    let listing = propfind_as(&env, BOB, mount, "1", "<D:getetag/>")
        .await
        .multistatus();
    assert!(hrefs(&listing).contains(&at_mount), "{:?}", hrefs(&listing));

    // Both URLs sync, with each other's tokens (the token names the collection).
    let first = sync(&env, BOB, mount, "").await.multistatus();
    assert!(hrefs(&first).contains(&at_mount), "{:?}", hrefs(&first));
    let token = first.sync_token.clone().unwrap();
    let again = sync(&env, BOB, CAL, &token).await.multistatus();
    assert!(again.responses.is_empty(), "{:?}", hrefs(&again));
    let initial = sync(&env, BOB, CAL, "").await.multistatus();
    assert!(hrefs(&initial).contains(&ALICE_EVENT.to_owned()));

    // Bob may not write, change or delete anything.
    let other = event("e2", "");
    for path in [format!("{mount}e2.ics"), format!("{CAL}e2.ics")] {
        let r = env
            .dav_as(BOB, "PUT", &path, &[("content-type", "text/calendar")], &other)
            .await;
        assert_need_privileges(&r, &dav("write-content"));
    }
    assert_need_privileges(
        &env.dav_as(BOB, "DELETE", ALICE_EVENT, &[], "").await,
        &dav("write-content"),
    );
    // (Its own name, colour and order of the calendar it may set: tests/sharee_props.rs.)
    let patch = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-description>Mine</C:calendar-description></D:prop></D:set></D:propertyupdate>"#;
    assert_need_privileges(
        &env.dav_as(BOB, "PROPPATCH", CAL, &[], patch).await,
        &dav("write-acl"),
    );
    assert_need_privileges(&env.dav_as(BOB, "DELETE", CAL, &[], "").await, &dav("write-acl"));
    let r = env
        .dav_as(BOB, "POST", CAL, &[XML], &share_body(CAROL, "read"))
        .await;
    assert_need_privileges(&r, &dav("write-acl"));

    // Other principals are readable; other homes stay closed.
    let ms = propfind_as(
        &env,
        BOB,
        PRINCIPAL,
        "0",
        "<D:displayname/><C:calendar-user-address-set/><D:principal-URL/><D:resourcetype/>",
    )
    .await
    .multistatus();
    let set = prop(&ms, PRINCIPAL, &caldav("calendar-user-address-set")).unwrap();
    assert_eq!(
        set.child("DAV:", "href").unwrap().text(),
        "mailto:alice@example.org"
    );
    assert!(prop(&ms, PRINCIPAL, &dav("principal-URL")).is_some());
    assert_eq!(
        env.dav_as(BOB, "PROPFIND", CAL_HOME, &[("depth", "1")], "")
            .await
            .status,
        404
    );
    assert_eq!(env.dav_as(BOB, "GET", TASKS, &[], "").await.status, 404);
}

#[tokio::test]
async fn nobody_else_sees_a_shared_collection() {
    let env = setup().await;
    env.add_user(CAROL).await;
    share(&env, CAL, BOB, "read").await;
    for (method, path) in [
        ("GET", ALICE_EVENT),
        ("PROPFIND", CAL),
        ("DELETE", CAL),
        ("PUT", "/dav/calendars/alice@example.org/calendar/x.ics"),
    ] {
        let r = env
            .dav_as(
                CAROL,
                method,
                path,
                &[("depth", "0"), ("content-type", "text/calendar")],
                "",
            )
            .await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text());
    }
    assert!(
        mounted(&env, CAROL, "/dav/calendars/carol@example.org/")
            .await
            .is_empty()
    );
    // A principal that does not exist is not found either.
    let r = env
        .dav_as(
            CAROL,
            "PROPFIND",
            "/dav/principals/nobody@example.org/",
            &[("depth", "0")],
            "",
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn read_write_share_and_the_invite_reply() {
    let env = setup().await;
    share(&env, CAL, BOB, "read-write").await;
    let mount = mounted(&env, BOB, BOB_CAL_HOME).await.pop().unwrap();

    // Bob writes through his mount; Alice sees it in her calendar.
    let body = event("bob-1", "SUMMARY:From Bob\r\n");
    let r = env
        .dav_as(
            BOB,
            "PUT",
            &format!("{mount}bob-1.ics"),
            &[("content-type", "text/calendar")],
            &body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = env.dav("GET", &format!("{CAL}bob-1.ics"), &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), body);
    // ... and deletes at the owner's URL.
    let r = env
        .dav_as(BOB, "DELETE", &format!("{CAL}bob-1.ics"), &[], "")
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        env.dav("GET", &format!("{CAL}bob-1.ics"), &[], "").await.status,
        404
    );

    // Accepting names where the collection is in Bob's home.
    let r = env
        .dav_as(BOB, "POST", BOB_CAL_HOME, &[XML], &reply_body(true, CAL))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let root = malt_dav_proto::parse_document(&r.body, &malt_dav_proto::Limits::trusted()).unwrap();
    assert!(root.name.is(CALENDARSERVER, "shared-as"));
    assert_eq!(root.child("DAV:", "href").unwrap().text(), mount);
    let ms = env.propfind(CAL, "0", "<CS:invite/>").await;
    let user = prop(&ms, CAL, &cs("invite"))
        .unwrap()
        .child(CALENDARSERVER, "user")
        .cloned()
        .unwrap();
    assert!(user.child(CALENDARSERVER, "invite-accepted").is_some());
    assert!(
        user.child(CALENDARSERVER, "access")
            .unwrap()
            .child(CALENDARSERVER, "read-write")
            .is_some()
    );
    // The sharee's name for it (its invite-reply's summary) shows in their home.
    let ms = propfind_as(&env, BOB, &mount, "0", "<D:displayname/>")
        .await
        .multistatus();
    assert_eq!(prop(&ms, &mount, &dav("displayname")).unwrap().text(), "Alice's");
}

#[tokio::test]
async fn a_group_share_reaches_its_members() {
    let env = setup().await;
    env.add_user(CAROL).await;
    let store = &env.core.storage().store;
    store.group_add("team@example.org", "Team").await.unwrap();
    store.group_member_add("team@example.org", BOB).await.unwrap();
    store.group_member_add("team@example.org", CAROL).await.unwrap();
    share(&env, CAL, "team@example.org", "read").await;
    let carol_home = "/dav/calendars/carol@example.org/";
    let mount = mounted(&env, CAROL, carol_home).await.pop().unwrap();
    let r = env.dav_as(CAROL, "GET", &format!("{mount}e1.ics"), &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(mounted(&env, BOB, BOB_CAL_HOME).await.len(), 1);
    // Leaving the group takes it away at once.
    store
        .group_member_remove("team@example.org", CAROL)
        .await
        .unwrap();
    assert_eq!(env.dav_as(CAROL, "GET", ALICE_EVENT, &[], "").await.status, 404);
    assert!(mounted(&env, CAROL, carol_home).await.is_empty());
}

#[tokio::test]
async fn unsharing_and_declining_remove_it_from_the_home() {
    let env = setup().await;
    share(&env, CAL, BOB, "read").await;
    let mount = mounted(&env, BOB, BOB_CAL_HOME).await.pop().unwrap();
    let r = env.dav("POST", CAL, &[XML], &unshare_body(BOB)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(mounted(&env, BOB, BOB_CAL_HOME).await.is_empty());
    assert_eq!(
        env.dav_as(BOB, "GET", &format!("{mount}e1.ics"), &[], "")
            .await
            .status,
        404
    );
    assert_eq!(env.dav_as(BOB, "GET", ALICE_EVENT, &[], "").await.status, 404);

    // Declined: hidden from the home (the owner's URL still reads: a grant stays a grant).
    share(&env, CAL, BOB, "read").await;
    let r = env
        .dav_as(BOB, "POST", BOB_CAL_HOME, &[XML], &reply_body(false, CAL))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(mounted(&env, BOB, BOB_CAL_HOME).await.is_empty());
    let ms = env.propfind(CAL, "0", "<CS:invite/>").await;
    let invite = prop(&ms, CAL, &cs("invite")).unwrap();
    assert!(
        invite
            .child(CALENDARSERVER, "user")
            .unwrap()
            .child(CALENDARSERVER, "invite-declined")
            .is_some()
    );

    // Shared again and accepted, then DELETEd from Bob's home: declined, Alice's data stays.
    let r = env
        .dav_as(BOB, "POST", BOB_CAL_HOME, &[XML], &reply_body(true, CAL))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let mount = mounted(&env, BOB, BOB_CAL_HOME).await.pop().unwrap();
    assert_eq!(env.dav_as(BOB, "DELETE", &mount, &[], "").await.status, 204);
    assert!(mounted(&env, BOB, BOB_CAL_HOME).await.is_empty());
    assert_eq!(env.dav("GET", ALICE_EVENT, &[], "").await.status, 200);
}

#[tokio::test]
async fn what_cannot_be_shared() {
    let env = setup().await;
    for path in [INBOX, OUTBOX] {
        let r = env.dav("POST", path, &[XML], &share_body(BOB, "read")).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text());
    }
    // Nobody else reaches the scheduling boxes, whatever is shared.
    share(&env, CAL, BOB, "read").await;
    assert_eq!(
        env.dav_as(BOB, "PROPFIND", INBOX, &[("depth", "0")], "")
            .await
            .status,
        404
    );
    // Unknown sharees and the owner are refused; nothing is written.
    for sharee in ["nobody@example.org", USER] {
        let r = env.dav("POST", TASKS, &[XML], &share_body(sharee, "read")).await;
        assert_eq!(r.status, 403, "{sharee}: {}", r.text());
    }
    let ms = env.propfind(TASKS, "0", "<D:resourcetype/>").await;
    let types = prop(&ms, TASKS, &dav("resourcetype")).unwrap();
    assert!(types.child(CALENDARSERVER, "shared-owner").is_none());
    // A mount's reserved name cannot be made.
    let r = env
        .dav("MKCALENDAR", &format!("{CAL_HOME}shared-9/"), &[], "")
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    // A malformed sharing body is the client's mistake.
    let r = env
        .dav(
            "POST",
            CAL,
            &[XML],
            r#"<CS:share xmlns:CS="http://calendarserver.org/ns/"><CS:set><CS:read/></CS:set></CS:share>"#,
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
}

#[tokio::test]
async fn address_books_share_with_share_resource() {
    let env = setup().await;
    env.put(&format!("{BOOK}c1.vcf"), "text/vcard", &vcard("c1", "Carl"))
        .await;
    let body = r#"<D:share-resource xmlns:D="DAV:"><D:sharee><D:href>/dav/principals/bob@example.org/</D:href><D:share-access><D:read-write/></D:share-access></D:sharee></D:share-resource>"#;
    let r = env
        .dav(
            "POST",
            BOOK,
            &[("content-type", "application/davsharing+xml")],
            body,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let book_home = "/dav/addressbooks/bob@example.org/";
    let mount = mounted(&env, BOB, book_home).await.pop().unwrap();
    let r = env.dav_as(BOB, "GET", &format!("{mount}c1.vcf"), &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = env
        .dav_as(
            BOB,
            "PUT",
            &format!("{mount}c2.vcf"),
            &[("content-type", "text/vcard")],
            &vcard("c2", "Dora"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        env.dav("GET", &format!("{BOOK}c2.vcf"), &[], "").await.status,
        200
    );
    // no-access removes.
    let body = body.replace("<D:read-write/>", "<D:no-access/>");
    let r = env
        .dav(
            "POST",
            BOOK,
            &[("content-type", "application/davsharing+xml")],
            &body,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(mounted(&env, BOB, book_home).await.is_empty());
}

/// A free-busy request from Bob about Alice: the request-status and calendar-data.
async fn bob_asks_free_busy(env: &Env) -> (String, String) {
    let request = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\n\
         UID:fb-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T000000Z\r\nDTEND:20260311T000000Z\r\n\
         ORGANIZER:mailto:bob@example.org\r\nATTENDEE:mailto:alice@example.org\r\n\
         END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
    let r = env
        .dav_as(
            BOB,
            "POST",
            "/dav/calendars/bob@example.org/outbox/",
            &[("content-type", "text/calendar")],
            request,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let root = malt_dav_proto::parse_document(&r.body, &malt_dav_proto::Limits::trusted()).unwrap();
    let resp = root.child(CALDAV_NS, "response").unwrap();
    let text = |n: &str| resp.child(CALDAV_NS, n).map(|e| e.text()).unwrap_or_default();
    (text("request-status"), text("calendar-data"))
}

const CALDAV_NS: &str = "urn:ietf:params:xml:ns:caldav";

#[tokio::test]
async fn free_busy_is_public_by_default() {
    let env = setup().await;
    let (status, data) = bob_asks_free_busy(&env).await;
    assert!(status.starts_with("2.0"), "{status}");
    assert!(data.contains("FREEBUSY"), "{data}");
    assert!(!data.contains("Plan"), "busy time, not events: {data}");
}

#[tokio::test]
async fn free_busy_follows_grants_when_not_public() {
    let env = setup_with(malt_dav::DavSettings {
        public_free_busy: false,
        ..malt_dav::DavSettings::default()
    })
    .await;
    let (status, data) = bob_asks_free_busy(&env).await;
    assert!(status.starts_with("3.8"), "{status}");
    assert!(data.is_empty(), "{data}");

    // A free-busy grant (Malt's extension of CS:share) shows the busy time, nothing more.
    let body = r#"<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/" xmlns:C="urn:ietf:params:xml:ns:caldav"><CS:set><D:href>mailto:bob@example.org</D:href><C:read-free-busy/></CS:set></CS:share>"#;
    let r = env.dav("POST", CAL, &[XML], body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (status, data) = bob_asks_free_busy(&env).await;
    assert!(status.starts_with("2.0"), "{status}");
    assert!(data.contains("20260310T100000Z/20260310T110000Z"), "{data}");

    let query = r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260310T000000Z" end="20260311T000000Z"/></C:free-busy-query>"#;
    let r = env.dav_as(BOB, "REPORT", CAL, &[("depth", "1")], query).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("FREEBUSY"), "{}", r.text());
    let r = env.dav_as(BOB, "GET", ALICE_EVENT, &[], "").await;
    assert_need_privileges(&r, &dav("read"));
    let q = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#;
    assert_need_privileges(
        &env.dav_as(BOB, "REPORT", CAL, &[("depth", "1")], q).await,
        &dav("read"),
    );
    // A free-busy-only share is not listed in the home.
    assert!(mounted(&env, BOB, BOB_CAL_HOME).await.is_empty());
    let store = &env.core.storage().store;
    let bob = store.account_by_address(BOB).await.unwrap().unwrap();
    let id = malt_core::acl::Identity::load(store.as_ref(), bob.id)
        .await
        .unwrap();
    let shared = malt_core::dav_sharing::shared_with(store.as_ref(), &id)
        .await
        .unwrap();
    assert_eq!(shared[0].access, DavAccess::FreeBusy);
}
