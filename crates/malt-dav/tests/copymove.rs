//! COPY and MOVE (RFC 4918 §9.8, §9.9) of objects.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
use common::*;

#[tokio::test]
async fn move_renames_and_moves_between_calendars() {
    let env = start().await;
    let src = format!("{CAL}a.ics");
    let body = event("a", "");
    let tag = env.put_event(&src, &body).await;
    let dst = format!("{CAL}b.ics");
    let r = env
        .dav(
            "MOVE",
            &src,
            &[("destination", &format!("http://dav.test{dst}"))],
            "",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(env.dav("GET", &src, &[], "").await.status, 404);
    let got = env.dav("GET", &dst, &[], "").await;
    assert_eq!((got.text(), got.header("etag").unwrap()), (body.clone(), tag));

    let work = format!("{CAL_HOME}work/");
    env.dav("MKCALENDAR", &work, &[], "").await;
    let there = format!("{work}a.ics");
    assert_eq!(
        env.dav("MOVE", &dst, &[("destination", &there)], "").await.status,
        201
    );
    // Onto an existing object with Overwrite: F.
    env.put_event(&src, &event("other", "")).await;
    assert_eq!(
        env.dav("MOVE", &src, &[("destination", &there), ("overwrite", "F")], "")
            .await
            .status,
        412
    );
    assert_eq!(
        env.dav("MOVE", &src, &[("destination", &there)], "").await.status,
        204
    );
    // An event cannot go into the task list.
    env.put_event(&src, &event("third", "")).await;
    env.dav("MOVE", &src, &[("destination", &format!("{TASKS}x.ics"))], "")
        .await
        .assert_condition(403, caldav("supported-calendar-component"));
    // Nor to an address book, nor without a Destination, nor onto itself.
    assert_eq!(
        env.dav("MOVE", &src, &[("destination", &format!("{BOOK}x.vcf"))], "")
            .await
            .status,
        403
    );
    assert_eq!(env.dav("MOVE", &src, &[], "").await.status, 400);
    assert_eq!(
        env.dav("MOVE", &src, &[("destination", &src)], "").await.status,
        403
    );
    assert_eq!(
        env.dav("MOVE", CAL, &[("destination", &work)], "").await.status,
        403
    );
}

#[tokio::test]
async fn copy_keeps_the_source() {
    let env = start().await;
    let src = format!("{CAL}a.ics");
    env.put_event(&src, &event("a", "")).await;
    let work = format!("{CAL_HOME}work/");
    env.dav("MKCALENDAR", &work, &[], "").await;
    assert_eq!(
        env.dav("COPY", &src, &[("destination", &format!("{work}a.ics"))], "")
            .await
            .status,
        201
    );
    assert_eq!(env.dav("GET", &src, &[], "").await.status, 200);
    assert_eq!(env.dav("GET", &format!("{work}a.ics"), &[], "").await.status, 200);
    // Within the same calendar the UID is taken.
    env.dav("COPY", &src, &[("destination", &format!("{CAL}copy.ics"))], "")
        .await
        .assert_condition(403, caldav("no-uid-conflict"));
    assert_eq!(
        env.dav(
            "COPY",
            &src,
            &[("destination", &format!("{work}a.ics")), ("overwrite", "F")],
            ""
        )
        .await
        .status,
        412
    );
}

/// RFC 6638 §3.2.10, §3.2.4.1: a MOVE of a meeting between one's calendars sends nothing and
/// keeps its Schedule-Tag; a COPY (a second copy of the meeting) is refused, as is a new
/// object with its UID in another calendar.
#[tokio::test]
async fn scheduling_objects_move_but_are_not_copied() {
    use common::meeting::*;
    let (env, created) = invited().await;
    let tag = created.header("schedule-tag").unwrap();
    let work = format!("{CAL_HOME}work/");
    assert_eq!(env.dav("MKCALENDAR", &work, &[], "").await.status, 201);
    let there = format!("{work}meet-1.ics");
    let queued = env.core.storage().store.queue_list().await.unwrap().len();
    let inbox = member_hrefs(&env, BOB, BOB_INBOX).await.len();

    let r = env.dav("COPY", ALICE_COPY, &[("destination", &there)], "").await;
    r.assert_condition(403, caldav("unique-scheduling-object-resource"));
    assert_eq!(env.dav("GET", &there, &[], "").await.status, 404);
    let r = env
        .put(
            &there,
            "text/calendar",
            &meeting("20260302T100000Z", "20260302T110000Z"),
        )
        .await;
    r.assert_condition(403, caldav("unique-scheduling-object-resource"));
    assert!(r.text().contains(ALICE_COPY), "names the copy: {}", r.text());

    // If-Schedule-Tag-Match is the source's.
    let r = env
        .dav(
            "MOVE",
            ALICE_COPY,
            &[("destination", &there), ("if-schedule-tag-match", "\"other\"")],
            "",
        )
        .await;
    assert_eq!(r.status, 412, "{}", r.text());
    let r = env
        .dav(
            "MOVE",
            ALICE_COPY,
            &[("destination", &there), ("if-schedule-tag-match", &tag)],
            "",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("schedule-tag"), Some(tag.clone()));
    let moved = env.dav("GET", &there, &[], "").await;
    assert_eq!(moved.header("schedule-tag"), Some(tag));
    assert_eq!(env.dav("GET", ALICE_COPY, &[], "").await.status, 404);
    // Nothing was sent: no CANCEL for the source, no REQUEST for the destination.
    assert_eq!(member_hrefs(&env, BOB, BOB_INBOX).await.len(), inbox);
    assert_eq!(env.core.storage().store.queue_list().await.unwrap().len(), queued);
    let bob = env.dav_as(BOB, "GET", BOB_COPY, &[], "").await.text();
    assert!(!bob.contains("CANCELLED"), "{bob}");

    // Moved, the copy is found in its new calendar: a new one in the first is refused, naming it.
    let r = env
        .put(
            ALICE_COPY,
            "text/calendar",
            &meeting("20260302T100000Z", "20260302T110000Z"),
        )
        .await;
    r.assert_condition(403, caldav("unique-scheduling-object-resource"));
    assert!(r.text().contains(&there), "names the moved copy: {}", r.text());
    assert_eq!(env.dav("GET", ALICE_COPY, &[], "").await.status, 404);
}

/// MOVE of a collection renames it in its home: its objects, its sync token and its shares
/// follow; it replaces nothing, stays in its home, and the boxes, sharees and COPY are refused.
#[tokio::test]
async fn a_collection_moves_to_a_new_name_in_its_home() {
    let env = start().await;
    let work = format!("{CAL_HOME}work/");
    assert_eq!(env.dav("MKCALENDAR", &work, &[], "").await.status, 201);
    let event_path = format!("{work}a.ics");
    let body = event("a", "");
    env.put_event(&event_path, &body).await;
    let sync = r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
    let token = env
        .report(&work, "0", sync)
        .await
        .multistatus()
        .sync_token
        .unwrap();

    let projects = format!("{CAL_HOME}projects/");
    let r = env
        .dav(
            "MOVE",
            &work,
            &[("destination", &format!("http://dav.test{projects}"))],
            "",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        env.dav("PROPFIND", &work, &[("depth", "0")], "").await.status,
        404
    );
    assert_eq!(
        env.dav("GET", &format!("{projects}a.ics"), &[], "").await.text(),
        body
    );
    // The old token goes on at the new URL.
    let since = format!(
        r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    );
    let r = env.report(&projects, "0", &since).await;
    assert_eq!(r.status, 207, "{}", r.text());
    // The home lists it by its new name.
    let ms = env.propfind(CAL_HOME, "1", "<D:resourcetype/>").await;
    assert!(hrefs(&ms).contains(&projects) && !hrefs(&ms).contains(&work));

    // Onto an existing collection: 412 with Overwrite: F, else 403 (nothing is deleted).
    let dest = [("destination", CAL), ("overwrite", "F")];
    assert_eq!(env.dav("MOVE", &projects, &dest, "").await.status, 412);
    assert_eq!(
        env.dav("MOVE", &projects, &[("destination", CAL)], "")
            .await
            .status,
        403
    );
    assert_eq!(
        env.dav("GET", &format!("{projects}a.ics"), &[], "").await.status,
        200
    );
    // Not out of its home, not onto reserved names, not the boxes.
    for dest in [
        format!("{BOOK_HOME}projects/"),
        "/dav/calendars/bob@example.org/projects/".to_owned(),
        format!("{CAL_HOME}shared-7/"),
        format!("{CAL_HOME}notifications/"),
        format!("{projects}inner/"),
    ] {
        let r = env.dav("MOVE", &projects, &[("destination", &dest)], "").await;
        assert!(
            r.status == 403 || r.status == 409,
            "{dest}: {} {}",
            r.status,
            r.text()
        );
    }
    assert_eq!(
        env.dav("MOVE", INBOX, &[("destination", &format!("{CAL_HOME}in2/"))], "")
            .await
            .status,
        403
    );
    // No entity tag to match.
    let r = env
        .dav(
            "MOVE",
            &projects,
            &[("destination", &work), ("if-match", "\"x\"")],
            "",
        )
        .await;
    assert_eq!(r.status, 412);
    // An address book moves the same way; COPY of a collection is refused.
    let team = format!("{BOOK_HOME}team/");
    assert_eq!(
        env.dav("MOVE", BOOK, &[("destination", &team)], "").await.status,
        201
    );
    assert_eq!(
        env.dav("COPY", &team, &[("destination", BOOK)], "").await.status,
        403
    );
    assert_eq!(
        env.dav("PROPFIND", &team, &[("depth", "0")], "").await.status,
        207
    );
}

/// A sharee cannot move the owner's collection, at either URL.
#[tokio::test]
async fn a_sharee_does_not_move_a_shared_collection() {
    let env = start_sharing(malt_dav::DavSettings::default(), &["bob@example.org"]).await;
    let share = r#"<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>mailto:bob@example.org</D:href><CS:read-write/></CS:set></CS:share>"#;
    assert_eq!(env.dav("POST", CAL, &[XML], share).await.status, 200);
    let r = env
        .dav_as(
            "bob@example.org",
            "MOVE",
            CAL,
            &[("destination", "/dav/calendars/alice@example.org/stolen/")],
            "",
        )
        .await;
    assert_need_privileges(&r, &dav("write-acl"));
    let mount = mounted(&env, "bob@example.org", "/dav/calendars/bob@example.org/")
        .await
        .pop()
        .unwrap();
    let r = env
        .dav_as(
            "bob@example.org",
            "MOVE",
            &mount,
            &[("destination", "/dav/calendars/bob@example.org/mine/")],
            "",
        )
        .await;
    assert_need_privileges(&r, &dav("write-acl"));
}
