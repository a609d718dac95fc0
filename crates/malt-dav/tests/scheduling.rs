//! CalDAV scheduling (RFC 6638) over HTTP between two users of the server, alice (the
//! organiser) and bob: the inbox and outbox and their properties, an invitation reaching bob's
//! inbox and calendar as NEEDS-ACTION, his acceptance reaching alice's copy, her move of the
//! event updating his copy with a new SEQUENCE, her cancellation, Schedule-Tag preconditions,
//! SCHEDULE-STATUS for local, unknown and external attendees (the latter queued as iMIP), and
//! a free-busy POST to the outbox; what an attendee and the organiser may change (RFC 6638
//! §3.2.1, §3.2.2.1), the `schedule-tag` property (§3.3), and the default calendar the user
//! chooses for invitations (§9.2).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::meeting::*;
use common::*;
use malt_calendar::itip::Method;
use malt_dav_proto::name::CALDAV;

/// The objects of a collection, by href, with their content.
async fn contents(env: &Env, user: &str, collection: &str) -> Vec<String> {
    let mut out = Vec::new();
    for href in member_hrefs(env, user, collection).await {
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
    let store = &env.core.storage().store;
    store.alias_add("ali@example.org", USER).await.unwrap();
    // Aliases in the server's other domains are her addresses too.
    store.domain_add("example.net").await.unwrap();
    store.alias_add("alice@example.net", USER).await.unwrap();
    store
        .alias_add("someone@example.net", "bob@example.org")
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
    assert_eq!(
        addresses,
        [
            "mailto:alice@example.org",
            "mailto:ali@example.org",
            "mailto:alice@example.net"
        ]
    );
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
    let r = bob_puts(&env, &accepted, &bob_tag).await;
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
    let stale = bob_puts(&env, &accepted, &bob_tag).await;
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

/// Bob's copy of the meeting and its Schedule-Tag.
async fn bobs_copy(env: &Env) -> (String, String) {
    let r = env.dav_as(BOB, "GET", BOB_COPY, &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    (unfold(&r.text()), r.header("schedule-tag").unwrap())
}

/// `text` with bob's PARTSTAT set to `partstat`.
fn bob_answers(text: &str, partstat: &str) -> String {
    let line = attendee(text, BOB);
    let (params, address) = line.split_once(":mailto:").unwrap();
    let kept: Vec<&str> = params
        .split(';')
        .filter(|p| !p.starts_with("PARTSTAT="))
        .collect();
    let answered = format!("{};PARTSTAT={partstat}:mailto:{address}", kept.join(";"));
    text.replace(&line, &answered)
}

#[tokio::test]
async fn an_attendee_changes_their_answer_and_their_own_things_only() {
    let (env, _) = invited().await;
    let (bob, tag) = bobs_copy(&env).await;
    // What the organiser decides (RFC 6638 §3.2.2.1): refused, and nothing is sent.
    let accepted = bob_answers(&bob, "ACCEPTED");
    for changed in [
        accepted.replace("SUMMARY:Planning", "SUMMARY:My planning"),
        accepted.replace("DTSTART:20260302T100000Z", "DTSTART:20260302T090000Z"),
        accepted.replace(
            "SUMMARY:Planning\r\n",
            "SUMMARY:Planning\r\nLOCATION:My office\r\n",
        ),
        accepted.replace(
            "SUMMARY:Planning\r\n",
            "SUMMARY:Planning\r\nATTENDEE:mailto:dave@example.org\r\n",
        ),
        accepted.replace(
            "SUMMARY:Planning\r\n",
            "SUMMARY:Planning\r\nRRULE:FREQ=DAILY;COUNT=3\r\n",
        ),
    ] {
        let r = bob_puts(&env, &changed, &tag).await;
        r.assert_condition(403, caldav("allowed-attendee-scheduling-object-change"));
        assert!(r.text().contains("organiser"), "no reason: {}", r.text());
    }
    let alice = env.dav("GET", ALICE_COPY, &[], "").await.text();
    assert!(!attendee(&alice, BOB).contains("PARTSTAT=ACCEPTED"), "{alice}");
    assert_eq!(bobs_copy(&env).await.0, bob);
    assert!(contents(&env, USER, INBOX).await.is_empty());

    // His answer with his own things: TRANSP, an alarm, a client's X- property.
    let own = accepted.replace(
        "SUMMARY:Planning\r\n",
        "SUMMARY:Planning\r\nTRANSP:TRANSPARENT\r\nX-MOZ-LASTACK:20260101T000000Z\r\n\
         BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Planning\r\nEND:VALARM\r\n",
    );
    let r = bob_puts(&env, &own, &tag).await;
    assert_eq!(r.status, 204, "{}", r.text());
    let alice = env.dav("GET", ALICE_COPY, &[], "").await.text();
    assert!(attendee(&alice, BOB).contains("PARTSTAT=ACCEPTED"), "{alice}");
    let bob = bobs_copy(&env).await.0;
    assert!(
        bob.contains("TRANSP:TRANSPARENT") && bob.contains("BEGIN:VALARM"),
        "{bob}"
    );
}

#[tokio::test]
async fn the_organiser_does_not_answer_for_attendees() {
    let (env, created) = invited().await;
    let tag = created.header("schedule-tag").unwrap();
    let got = env.dav("GET", ALICE_COPY, &[], "").await;
    let (before, etag) = (unfold(&got.text()), got.header("etag").unwrap());

    // RFC 6638 §3.2.1: bob's answer is his to give.
    let r = env
        .dav(
            "PUT",
            ALICE_COPY,
            &[("content-type", "text/calendar"), ("if-match", &etag)],
            &bob_answers(&before, "ACCEPTED"),
        )
        .await;
    r.assert_condition(403, caldav("allowed-organizer-scheduling-object-change"));
    assert_eq!(contents(&env, BOB, BOB_INBOX).await.len(), 1);

    // Bob accepts; alice's client, still holding her copy from before, changes the location
    // over its Schedule-Tag: the server keeps bob's answer (RFC 6638 §3.2.10).
    let (bob, bob_tag) = bobs_copy(&env).await;
    let r = bob_puts(&env, &bob_answers(&bob, "ACCEPTED"), &bob_tag).await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        env.dav("GET", ALICE_COPY, &[], "").await.header("schedule-tag"),
        Some(tag.clone()),
        "a merged answer is no change of the organiser's"
    );
    let r = env
        .dav(
            "PUT",
            ALICE_COPY,
            &[("content-type", "text/calendar"), ("if-schedule-tag-match", &tag)],
            &before.replace("SUMMARY:Planning\r\n", "SUMMARY:Planning\r\nLOCATION:Room 2\r\n"),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let new_tag = r.header("schedule-tag").unwrap();
    assert_ne!(new_tag, tag, "the organiser's change moves the tag");
    let got = env.dav("GET", ALICE_COPY, &[], "").await;
    let alice = got.text();
    assert_eq!(property(&alice, "LOCATION").as_deref(), Some("Room 2"));
    assert!(attendee(&alice, BOB).contains("PARTSTAT=ACCEPTED"), "{alice}");

    // Asking him again (NEEDS-ACTION) is hers (RFC 6638 §3.2.8); answers are not in the tag.
    let r = env
        .dav(
            "PUT",
            ALICE_COPY,
            &[
                ("content-type", "text/calendar"),
                ("if-match", &got.header("etag").unwrap()),
            ],
            &bob_answers(&unfold(&alice), "NEEDS-ACTION"),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(r.header("schedule-tag"), Some(new_tag));
    let alice = env.dav("GET", ALICE_COPY, &[], "").await.text();
    assert!(attendee(&alice, BOB).contains("PARTSTAT=NEEDS-ACTION"), "{alice}");
}

#[tokio::test]
async fn the_schedule_tag_property() {
    let (env, created) = invited().await;
    let tag = created.header("schedule-tag").unwrap();
    let plain = format!("{CAL}plain.ics");
    env.put_event(&plain, &event("plain", "SUMMARY:Alone\r\n")).await;

    // RFC 6638 §3.3: the header's value, on scheduling objects only.
    for depth in ["0", "1"] {
        let path = if depth == "0" { ALICE_COPY } else { CAL };
        let ms = env.propfind(path, depth, "<C:schedule-tag/><D:getetag/>").await;
        assert_eq!(
            prop(&ms, ALICE_COPY, &caldav("schedule-tag")).map(|e| e.text()),
            Some(tag.clone()),
            "depth {depth}"
        );
    }
    let ms = env.propfind(CAL, "1", "<C:schedule-tag/>").await;
    assert!(prop(&ms, &plain, &caldav("schedule-tag")).is_none());
    assert!(
        propstat(&ms, &plain, 404).is_some(),
        "asked for by name: a 404 propstat"
    );

    let multiget = format!(
        r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:schedule-tag/></D:prop><D:href>{ALICE_COPY}</D:href><D:href>{plain}</D:href></C:calendar-multiget>"#
    );
    let query = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:schedule-tag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>"#;
    for body in [multiget.as_str(), query] {
        let r = env.report(CAL, "1", body).await;
        assert_eq!(r.status, 207, "{}", r.text());
        let ms = r.multistatus();
        assert_eq!(
            prop(&ms, ALICE_COPY, &caldav("schedule-tag")).map(|e| e.text()),
            Some(tag.clone()),
            "{body}"
        );
        assert!(prop(&ms, &plain, &caldav("schedule-tag")).is_none());
    }
}

/// Bob's `schedule-default-calendar-URL`.
async fn bobs_default(env: &Env) -> Option<String> {
    let r = env
        .dav_as(
            BOB,
            "PROPFIND",
            BOB_INBOX,
            &[("depth", "0")],
            r#"<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:schedule-default-calendar-URL/></D:prop></D:propfind>"#,
        )
        .await;
    prop(
        &r.multistatus(),
        BOB_INBOX,
        &caldav("schedule-default-calendar-URL"),
    )
    .and_then(|p| p.child("DAV:", "href").map(|h| h.text()))
}

/// A PROPPATCH of bob's inbox setting `schedule-default-calendar-URL` to `href` (none: remove).
fn default_calendar_body(href: Option<&str>) -> String {
    match href {
        Some(h) => format!(
            r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:schedule-default-calendar-URL><D:href>{h}</D:href></C:schedule-default-calendar-URL></D:prop></D:set></D:propertyupdate>"#
        ),
        None => r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:remove><D:prop><C:schedule-default-calendar-URL/></D:prop></D:remove></D:propertyupdate>"#.to_owned(),
    }
}

#[tokio::test]
async fn the_default_calendar_for_invitations_is_the_users_choice() {
    let env = start().await;
    env.add_user(BOB).await;
    let home = "/dav/calendars/bob@example.org/";
    let work = format!("{home}work/");
    let bob_calendar = format!("{home}calendar/");
    assert_eq!(env.dav_as(BOB, "MKCALENDAR", &work, &[], "").await.status, 201);
    let todo_only = format!("{home}chores/");
    let mk = r#"<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#;
    assert_eq!(
        env.dav_as(BOB, "MKCALENDAR", &todo_only, &[], mk).await.status,
        201
    );

    let patch = |href: Option<String>| {
        let env = &env;
        async move {
            let r = env
                .dav_as(
                    BOB,
                    "PROPPATCH",
                    BOB_INBOX,
                    &[],
                    &default_calendar_body(href.as_deref()),
                )
                .await;
            assert_eq!(r.status, 207, "{}", r.text());
            r.multistatus()
        }
    };
    assert_eq!(bobs_default(&env).await.as_deref(), Some(bob_calendar.as_str()));

    // Not a calendar of his that holds events: 403 with the precondition, nothing changed.
    for wrong in [
        todo_only.clone(),
        BOB_INBOX.to_owned(),
        CAL.to_owned(),
        format!("{home}missing/"),
        "/dav/addressbooks/bob@example.org/contacts/".to_owned(),
    ] {
        let ms = patch(Some(wrong.clone())).await;
        let failed = propstat(&ms, BOB_INBOX, 403).unwrap_or_else(|| panic!("{wrong}: {ms:?}"));
        assert!(
            failed
                .error
                .iter()
                .any(|e| e.name == caldav("valid-schedule-default-calendar-URL")),
            "{wrong}"
        );
    }
    assert_eq!(bobs_default(&env).await.as_deref(), Some(bob_calendar.as_str()));

    // His choice: the property says it, invitations go there.
    let ms = patch(Some(format!("http://dav.test{work}"))).await;
    assert!(propstat(&ms, BOB_INBOX, 200).is_some(), "{ms:?}");
    assert_eq!(bobs_default(&env).await.as_deref(), Some(work.as_str()));
    alice_invites(&env).await;
    let there = env
        .dav_as(BOB, "GET", &format!("{work}meet-1.ics"), &[], "")
        .await;
    assert_eq!(there.status, 200, "{}", there.text());
    assert_eq!(env.dav_as(BOB, "GET", BOB_COPY, &[], "").await.status, 404);
    // The server's own record of it is no property of his.
    let all = env
        .dav_as(BOB, "PROPFIND", BOB_INBOX, &[("depth", "0")], "")
        .await
        .text();
    assert!(!all.contains("urn:x-malt"), "{all}");
    let sneak = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:M="urn:x-malt:caldav"><D:set><D:prop><M:schedule-default-calendar>1</M:schedule-default-calendar></D:prop></D:set></D:propertyupdate>"#;
    let r = env.dav_as(BOB, "PROPPATCH", BOB_INBOX, &[], sneak).await;
    assert!(
        propstat(&r.multistatus(), BOB_INBOX, 403).is_some(),
        "{}",
        r.text()
    );

    // RFC 6638 §9.2: the chosen calendar stays until he chooses another; the server's own
    // choice may go (it chooses again).
    let r = env.dav_as(BOB, "DELETE", &work, &[], "").await;
    r.assert_condition(403, caldav("default-calendar-needed"));
    let still = env.dav_as(BOB, "PROPFIND", &work, &[("depth", "0")], "").await;
    assert_eq!(still.status, 207);
    patch(None).await;
    assert_eq!(bobs_default(&env).await.as_deref(), Some(bob_calendar.as_str()));

    // An update reaches his copy where it is, not the default calendar (one copy per calendar
    // user, RFC 6638 §3.2.4.1).
    let moved = meeting("20260303T140000Z", "20260303T150000Z");
    assert_eq!(env.put(ALICE_COPY, "text/calendar", &moved).await.status, 204);
    let there = env
        .dav_as(BOB, "GET", &format!("{work}meet-1.ics"), &[], "")
        .await
        .text();
    assert_eq!(
        property(&there, "DTSTART").as_deref(),
        Some("20260303T140000Z"),
        "{there}"
    );
    assert_eq!(env.dav_as(BOB, "GET", BOB_COPY, &[], "").await.status, 404);

    assert_eq!(
        env.dav_as(BOB, "DELETE", &bob_calendar, &[], "").await.status,
        204
    );
    assert_eq!(bobs_default(&env).await.as_deref(), Some(work.as_str()));
    assert_eq!(env.dav_as(BOB, "DELETE", &work, &[], "").await.status, 204);
}
