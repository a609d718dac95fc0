//! PUT (RFC 4791 §5.3.2, RFC 6352 §6.3.2): create, replace, conditions, and every precondition.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use malt_dav::DavSettings;

#[tokio::test]
async fn create_replace_and_conditions() {
    let env = start().await;
    let path = format!("{CAL}e.ics");
    let v1 = event("e", "DTSTART:20260101T100000Z\r\nSUMMARY:v1\r\n");
    let r = env
        .dav(
            "PUT",
            &path,
            &[("content-type", "text/calendar"), ("if-none-match", "*")],
            &v1,
        )
        .await;
    assert_eq!(r.status, 201);
    let tag1 = r.header("etag").unwrap();
    assert!(tag1.starts_with('"') && tag1.ends_with('"'));

    // Create-only again: 412.
    let r = env
        .dav(
            "PUT",
            &path,
            &[("content-type", "text/calendar"), ("if-none-match", "*")],
            &v1,
        )
        .await;
    assert_eq!(r.status, 412);
    let v2 = event("e", "DTSTART:20260101T100000Z\r\nSUMMARY:v2\r\n");
    let r = env
        .dav(
            "PUT",
            &path,
            &[("content-type", "text/calendar"), ("if-match", "\"stale\"")],
            &v2,
        )
        .await;
    assert_eq!(r.status, 412);
    let r = env
        .dav(
            "PUT",
            &path,
            &[("content-type", "text/calendar"), ("if-match", &tag1)],
            &v2,
        )
        .await;
    assert_eq!(r.status, 204);
    let tag2 = r.header("etag").unwrap();
    assert_ne!(tag1, tag2);
    assert_eq!(env.dav("GET", &path, &[], "").await.text(), v2);
    // If-Match on nothing fails.
    let r = env
        .dav(
            "PUT",
            &format!("{CAL}new.ics"),
            &[("if-match", "*")],
            &event("n", ""),
        )
        .await;
    assert_eq!(r.status, 412);
}

#[tokio::test]
async fn caldav_preconditions() {
    let env = start().await;
    let auth = basic(USER, PASS);
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "text/calendar"),
    ];
    let not_utf8 = b"BEGIN:VCALENDAR\r\nX:\xff\r\nEND:VCALENDAR\r\n";
    let r = send(
        env.http,
        None,
        "PUT",
        &format!("{CAL}bad.ics"),
        &headers,
        not_utf8,
    )
    .await;
    r.assert_condition(403, caldav("valid-calendar-data"));
    // Well-formed iCalendar that is not one calendar object resource (two UIDs, RFC 4791 §4.1).
    let two_uids = event("one", "").replace(
        "END:VCALENDAR",
        "BEGIN:VEVENT\r\nUID:two\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR",
    );
    let r = env
        .put(&format!("{CAL}two.ics"), "text/calendar", &two_uids)
        .await;
    r.assert_condition(403, caldav("valid-calendar-object-resource"));
    let r = env
        .put(&format!("{CAL}t.ics"), "text/calendar", &todo("t", "a task"))
        .await;
    r.assert_condition(403, caldav("supported-calendar-component"));
    let r = env
        .put(&format!("{CAL}x.ics"), "application/json", &event("x", ""))
        .await;
    r.assert_condition(403, caldav("supported-calendar-data"));
    assert_eq!(
        env.put(&format!("{TASKS}t.ics"), "text/calendar", &todo("t", "a task"))
            .await
            .status,
        201
    );

    env.put_event(&format!("{CAL}one.ics"), &event("same", "")).await;
    let r = env
        .put(&format!("{CAL}two.ics"), "text/calendar", &event("same", ""))
        .await;
    r.assert_condition(403, caldav("no-uid-conflict"));
    let err =
        malt_dav_proto::response::parse_error_body(&r.body, &malt_dav_proto::Limits::default()).unwrap();
    assert_eq!(
        err[0].child("DAV:", "href").unwrap().text(),
        format!("{CAL}one.ics")
    );

    let r = env
        .put(&format!("{CAL_HOME}none/x.ics"), "text/calendar", &event("y", ""))
        .await;
    assert_eq!(r.status, 409, "no parent collection");
    assert_eq!(env.put(CAL, "text/calendar", &event("z", "")).await.status, 405);
}

#[tokio::test]
async fn size_limit_and_quota() {
    let env = start_with(DavSettings {
        max_resource_size: 300,
        ..DavSettings::default()
    })
    .await;
    let big = event("big", &format!("DESCRIPTION:{}\r\n", "x".repeat(400)));
    env.put(&format!("{CAL}big.ics"), "text/calendar", &big)
        .await
        .assert_condition(403, caldav("max-resource-size"));
    env.put(
        &format!("{BOOK}big.vcf"),
        "text/vcard",
        &format!(
            "{}NOTE:{}\r\nEND:VCARD\r\n",
            vcard("b", "B").trim_end_matches("END:VCARD\r\n"),
            "x".repeat(400)
        ),
    )
    .await
    .assert_condition(403, carddav("max-resource-size"));

    env.core
        .storage()
        .store
        .account_set_quota(env.account.id, Some(250))
        .await
        .unwrap();
    let r = env
        .put(
            &format!("{CAL}q.ics"),
            "text/calendar",
            &event("q", &format!("SUMMARY:{}\r\n", "y".repeat(120))),
        )
        .await;
    r.assert_condition(507, dav("quota-not-exceeded"));
}

#[tokio::test]
async fn carddav_preconditions() {
    let env = start().await;
    assert_eq!(
        env.put(
            &format!("{BOOK}a.vcf"),
            "text/vcard; charset=utf-8",
            &vcard("a", "Ann")
        )
        .await
        .status,
        201
    );
    env.put(&format!("{BOOK}b.vcf"), "text/vcard", &vcard("a", "Ann again"))
        .await
        .assert_condition(403, carddav("no-uid-conflict"));
    env.put(
        &format!("{BOOK}c.vcf"),
        "text/vcard",
        "BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n",
    )
    .await
    .assert_condition(403, carddav("valid-address-data"));
    env.put(&format!("{BOOK}d.vcf"), "text/calendar", &vcard("d", "D"))
        .await
        .assert_condition(403, carddav("supported-address-data"));
}
