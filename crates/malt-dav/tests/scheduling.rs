//! CalDAV scheduling (RFC 6638) over HTTP between two users of the server, alice (the
//! organiser) and bob: the inbox and outbox and their properties, an invitation reaching bob's
//! inbox and calendar as NEEDS-ACTION, his acceptance reaching alice's copy, her move of the
//! event updating his copy with a new SEQUENCE, her cancellation, Schedule-Tag preconditions,
//! SCHEDULE-STATUS for local, unknown and external attendees (the latter queued as iMIP), and
//! a free-busy POST to the outbox.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_calendar::itip::Method;
use malt_dav_proto::name::CALDAV;

const BOB: &str = "bob@example.org";
const ALICE_COPY: &str = "/dav/calendars/alice@example.org/calendar/meet-1.ics";
const BOB_COPY: &str = "/dav/calendars/bob@example.org/calendar/meet-1.ics";
const BOB_INBOX: &str = "/dav/calendars/bob@example.org/inbox/";

/// Alice's meeting with bob, an address of this domain that names nobody, and someone elsewhere.
fn meeting(start: &str, end: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:meet-1\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Planning\r\n\
         ORGANIZER:mailto:alice@example.org\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.org\r\n\
         ATTENDEE;RSVP=TRUE:mailto:bob@example.org\r\nATTENDEE;RSVP=TRUE:mailto:nobody@example.org\r\n\
         ATTENDEE;RSVP=TRUE:mailto:carol@remote.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// A server with alice and bob, after alice PUT her meeting (the answer, checked to be 201).
async fn invited() -> (Env, Reply) {
    let env = start().await;
    env.add_user(BOB).await;
    let created = env
        .put(
            ALICE_COPY,
            "text/calendar",
            &meeting("20260302T100000Z", "20260302T110000Z"),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    (env, created)
}

/// iCalendar text with its folded lines joined (RFC 5545 §3.1).
fn unfold(text: &str) -> String {
    text.replace("\r\n ", "").replace("\r\n\t", "")
}

/// The unfolded ATTENDEE line of `address`.
fn attendee(text: &str, address: &str) -> String {
    unfold(text)
        .lines()
        .find(|l| l.starts_with("ATTENDEE") && l.to_lowercase().contains(&format!("mailto:{address}")))
        .unwrap_or_else(|| panic!("no ATTENDEE {address} in {text}"))
        .to_owned()
}

/// The value of the first property `name` (unfolded).
fn property(text: &str, name: &str) -> Option<String> {
    unfold(text)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_owned))
}

/// The objects of a collection, by href, with their content.
async fn contents(env: &Env, user: &str, collection: &str) -> Vec<String> {
    let r = env
        .dav_as(
            user,
            "PROPFIND",
            collection,
            &[("depth", "1")],
            r#"<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#,
        )
        .await;
    let mut out = Vec::new();
    for href in hrefs(&r.multistatus()).into_iter().filter(|h| h != collection) {
        let got = env.dav_as(user, "GET", &href, &[], "").await;
        assert_eq!(got.status, 200, "{href}");
        out.push(got.text());
    }
    out
}

/// The iMIP messages in the outbound queue: (recipients, raw message, its iTIP method).
async fn queued(env: &Env) -> Vec<(Vec<String>, String, Method)> {
    let mut out = Vec::new();
    for q in env.core.storage().store.queue_list().await.unwrap() {
        let raw = env.core.read_blob(&q.blob_id).await.unwrap();
        let method = malt_calendar::imip::parse_incoming(&raw).unwrap().message.method;
        let rcpts = q.recipients.iter().map(|r| r.address.clone()).collect();
        out.push((rcpts, String::from_utf8(raw).unwrap(), method));
    }
    out
}

#[tokio::test]
async fn inbox_outbox_and_principal_properties() {
    let env = start().await;
    env.core
        .storage()
        .store
        .alias_add("ali@example.org", USER)
        .await
        .unwrap();
    let ms = env
        .propfind(
            PRINCIPAL,
            "0",
            "<C:schedule-inbox-URL/><C:schedule-outbox-URL/><C:calendar-user-address-set/><C:calendar-user-type/>",
        )
        .await;
    let href = |n: &str| {
        prop(&ms, PRINCIPAL, &caldav(n))
            .unwrap()
            .child("DAV:", "href")
            .unwrap()
            .text()
    };
    assert_eq!(href("schedule-inbox-URL"), INBOX);
    assert_eq!(href("schedule-outbox-URL"), OUTBOX);
    let addresses: Vec<String> = prop(&ms, PRINCIPAL, &caldav("calendar-user-address-set"))
        .unwrap()
        .elements()
        .map(|e| e.text())
        .collect();
    assert_eq!(addresses, ["mailto:alice@example.org", "mailto:ali@example.org"]);
    assert_eq!(
        prop(&ms, PRINCIPAL, &caldav("calendar-user-type"))
            .unwrap()
            .text(),
        "INDIVIDUAL"
    );

    let ms = env
        .propfind(INBOX, "0", "<D:resourcetype/><C:schedule-default-calendar-URL/>")
        .await;
    let rt = prop(&ms, INBOX, &dav("resourcetype")).unwrap();
    assert!(rt.child(CALDAV, "schedule-inbox").is_some(), "{rt:?}");
    let default = prop(&ms, INBOX, &caldav("schedule-default-calendar-URL")).unwrap();
    assert_eq!(default.child("DAV:", "href").unwrap().text(), CAL);
    let ms = env.propfind(OUTBOX, "0", "<D:resourcetype/>").await;
    let rt = prop(&ms, OUTBOX, &dav("resourcetype")).unwrap();
    assert!(rt.child(CALDAV, "schedule-outbox").is_some(), "{rt:?}");

    // Calendars are opaque to free-busy until the user says otherwise (RFC 6638 §9.1).
    let ms = env.propfind(CAL, "0", "<C:schedule-calendar-transp/>").await;
    let transp = prop(&ms, CAL, &caldav("schedule-calendar-transp")).unwrap();
    assert!(transp.child(CALDAV, "opaque").is_some());

    let options = env.dav("OPTIONS", CAL, &[], "").await;
    assert!(options.header("dav").unwrap().contains("calendar-auto-schedule"));
    // The server writes the inbox; neither box can be deleted.
    let put = env
        .put(&format!("{INBOX}x.ics"), "text/calendar", &event("x", ""))
        .await;
    assert_eq!(put.status, 403, "{}", put.text());
    assert_eq!(env.dav("DELETE", INBOX, &[], "").await.status, 403);
    assert_eq!(env.dav("DELETE", OUTBOX, &[], "").await.status, 403);
}

#[tokio::test]
async fn invite_accept_move_and_cancel_between_two_users() {
    // Alice invites: the server stores her copy with a SCHEDULE-STATUS per attendee, so the
    // answer carries no ETag (RFC 4791 §5.3.4), and a Schedule-Tag.
    let (env, created) = invited().await;
    assert!(created.header("etag").is_none());
    let tag = created.header("schedule-tag").expect("a Schedule-Tag");
    let alice = env.dav("GET", ALICE_COPY, &[], "").await;
    assert_eq!(alice.header("schedule-tag").as_deref(), Some(tag.as_str()));
    let alice = alice.text();
    assert!(attendee(&alice, BOB).contains("SCHEDULE-STATUS=1.2"), "{alice}");
    assert!(attendee(&alice, "nobody@example.org").contains("SCHEDULE-STATUS=3.7"));
    assert!(attendee(&alice, "carol@remote.test").contains("SCHEDULE-STATUS=1.1"));

    // Carol's invitation is an iMIP mail in the queue.
    let mails = queued(&env).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].0, ["carol@remote.test"]);
    assert_eq!(mails[0].2, Method::Request);
    assert!(mails[0].1.contains("Subject: Invitation: Planning"));

    // Bob: the REQUEST in his inbox, the event in his calendar as NEEDS-ACTION.
    let inbox = contents(&env, BOB, BOB_INBOX).await;
    assert_eq!(inbox.len(), 1);
    assert_eq!(property(&inbox[0], "METHOD").as_deref(), Some("REQUEST"));
    let bob = env.dav_as(BOB, "GET", BOB_COPY, &[], "").await;
    assert_eq!(bob.status, 200, "{}", bob.text());
    let bob_tag = bob.header("schedule-tag").unwrap();
    let bob = bob.text();
    assert!(attendee(&bob, BOB).contains("PARTSTAT=NEEDS-ACTION"), "{bob}");
    assert_eq!(property(&bob, "SUMMARY").as_deref(), Some("Planning"));

    // Bob accepts (his client sends his copy back, guarded by its Schedule-Tag).
    let accepted = unfold(&bob).replace(
        &attendee(&bob, BOB),
        &attendee(&bob, BOB).replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED"),
    );
    let r = env
        .dav_as(
            BOB,
            "PUT",
            BOB_COPY,
            &[
                ("content-type", "text/calendar"),
                ("if-schedule-tag-match", &bob_tag),
            ],
            &accepted,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    // His answer leaves the Schedule-Tag (RFC 6638 §3.2.10).
    assert_eq!(r.header("schedule-tag").as_deref(), Some(bob_tag.as_str()));

    // Alice's copy has his answer; her inbox the REPLY; her Schedule-Tag did not move.
    let alice = env.dav("GET", ALICE_COPY, &[], "").await;
    assert_eq!(alice.header("schedule-tag").as_deref(), Some(tag.as_str()));
    assert!(
        attendee(&alice.text(), BOB).contains("PARTSTAT=ACCEPTED"),
        "{}",
        alice.text()
    );
    let replies = contents(&env, USER, INBOX).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(property(&replies[0], "METHOD").as_deref(), Some("REPLY"));

    // Alice moves the meeting, her client holding the tag from before bob's answer.
    let moved = unfold(&alice.text())
        .replace("DTSTART:20260302T100000Z", "DTSTART:20260303T140000Z")
        .replace("DTEND:20260302T110000Z", "DTEND:20260303T150000Z");
    let r = env
        .dav(
            "PUT",
            ALICE_COPY,
            &[("content-type", "text/calendar"), ("if-schedule-tag-match", &tag)],
            &moved,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_ne!(r.header("schedule-tag").unwrap(), tag);

    // Bob's copy follows, with the SEQUENCE the server raised, and asks him again.
    let bob = env.dav_as(BOB, "GET", BOB_COPY, &[], "").await.text();
    assert_eq!(
        property(&bob, "DTSTART").as_deref(),
        Some("20260303T140000Z"),
        "{bob}"
    );
    assert_eq!(property(&bob, "SEQUENCE").as_deref(), Some("1"));
    assert!(attendee(&bob, BOB).contains("PARTSTAT=NEEDS-ACTION"), "{bob}");
    assert_eq!(contents(&env, BOB, BOB_INBOX).await.len(), 2);
    // A write from his stale view is refused (RFC 6638 §3.2.10).
    let stale = env
        .dav_as(
            BOB,
            "PUT",
            BOB_COPY,
            &[
                ("content-type", "text/calendar"),
                ("if-schedule-tag-match", &bob_tag),
            ],
            &accepted,
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text());

    // Alice cancels: bob's copy stays, CANCELLED; carol is told by mail.
    assert_eq!(env.dav("DELETE", ALICE_COPY, &[], "").await.status, 204);
    let bob = env.dav_as(BOB, "GET", BOB_COPY, &[], "").await.text();
    assert_eq!(property(&bob, "STATUS").as_deref(), Some("CANCELLED"), "{bob}");
    let inbox = contents(&env, BOB, BOB_INBOX).await;
    assert!(
        inbox
            .iter()
            .any(|m| property(m, "METHOD").as_deref() == Some("CANCEL"))
    );
    let mails = queued(&env).await;
    assert!(
        mails
            .iter()
            .any(|(to, _, method)| to == &["carol@remote.test"] && *method == Method::Cancel),
        "{mails:?}"
    );
}

#[tokio::test]
async fn an_attendee_who_deletes_the_event_declines_it() {
    let (env, _) = invited().await;
    assert_eq!(env.dav_as(BOB, "DELETE", BOB_COPY, &[], "").await.status, 204);
    let alice = env.dav("GET", ALICE_COPY, &[], "").await.text();
    assert!(attendee(&alice, BOB).contains("PARTSTAT=DECLINED"), "{alice}");
}

#[tokio::test]
async fn free_busy_of_local_users_from_the_outbox() {
    let env = start().await;
    env.add_user(BOB).await;
    // Bob is busy 10:00-11:00 in his calendar; an event in a calendar he made transparent
    // does not count.
    let busy = event(
        "busy-1",
        "DTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:Busy\r\n",
    );
    let r = env
        .dav_as(
            BOB,
            "PUT",
            "/dav/calendars/bob@example.org/calendar/busy-1.ics",
            &[("content-type", "text/calendar")],
            &busy,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let holidays = "/dav/calendars/bob@example.org/holidays/";
    assert_eq!(env.dav_as(BOB, "MKCALENDAR", holidays, &[], "").await.status, 201);
    let transparent = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:schedule-calendar-transp><C:transparent/></C:schedule-calendar-transp></D:prop></D:set></D:propertyupdate>"#;
    assert_eq!(
        env.dav_as(BOB, "PROPPATCH", holidays, &[], transparent)
            .await
            .status,
        207
    );
    let free = event(
        "free-1",
        "DTSTART:20260310T140000Z\r\nDTEND:20260310T150000Z\r\nSUMMARY:Holiday\r\n",
    );
    let r = env
        .dav_as(
            BOB,
            "PUT",
            &format!("{holidays}free-1.ics"),
            &[("content-type", "text/calendar")],
            &free,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());

    let request = |organizer: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\n\
             UID:fb-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T000000Z\r\nDTEND:20260311T000000Z\r\n\
             ORGANIZER:mailto:{organizer}\r\nATTENDEE:mailto:bob@example.org\r\n\
             ATTENDEE:mailto:dave@remote.test\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
        )
    };
    let r = env
        .dav(
            "POST",
            OUTBOX,
            &[("content-type", "text/calendar")],
            &request(USER),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let root = malt_dav_proto::parse_document(&r.body, &malt_dav_proto::Limits::trusted()).unwrap();
    assert!(root.name.is(CALDAV, "schedule-response"));
    let answers: Vec<(String, String, String)> = root
        .children_named(CALDAV, "response")
        .map(|resp| {
            let text = |n: &str| resp.child(CALDAV, n).map(|e| e.text()).unwrap_or_default();
            let recipient = resp
                .child(CALDAV, "recipient")
                .unwrap()
                .child("DAV:", "href")
                .unwrap()
                .text();
            (recipient, text("request-status"), text("calendar-data"))
        })
        .collect();
    assert_eq!(answers.len(), 2);
    let (to, status, data) = &answers[0];
    assert_eq!(
        (to.as_str(), status.as_str()),
        ("mailto:bob@example.org", "2.0;Success")
    );
    let data = unfold(data);
    assert!(data.contains("METHOD:REPLY"), "{data}");
    assert!(data.contains("20260310T100000Z/20260310T110000Z"), "{data}");
    assert!(
        !data.contains("20260310T140000Z"),
        "the transparent calendar counted: {data}"
    );
    assert_eq!(
        (answers[1].0.as_str(), answers[1].1.as_str()),
        ("mailto:dave@remote.test", "3.7;Invalid calendar user")
    );

    // Only for oneself (RFC 6638 §5).
    let r = env
        .dav(
            "POST",
            OUTBOX,
            &[("content-type", "text/calendar")],
            &request(BOB),
        )
        .await;
    r.assert_condition(403, caldav("organizer-allowed"));
    // POST is for the outbox only.
    let r = env
        .dav("POST", CAL, &[("content-type", "text/calendar")], &request(USER))
        .await;
    assert_eq!(r.status, 405, "{}", r.text());
}
