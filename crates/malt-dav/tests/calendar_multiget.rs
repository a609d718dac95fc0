//! `CALDAV:calendar-multiget` (RFC 4791 §7.9).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[tokio::test]
async fn returns_data_and_404s() {
    let env = start().await;
    let a = format!("{CAL}a.ics");
    let body_a = event("a", "SUMMARY:A\r\n");
    let tag = env.put_event(&a, &body_a).await;
    let missing = format!("{CAL}missing.ics");
    let elsewhere = format!("{TASKS}t.ics");
    let req = format!(
        r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>
        <D:href>{a}</D:href><D:href>http://dav.test{missing}</D:href><D:href>{elsewhere}</D:href></C:calendar-multiget>"#
    );
    let ms = env.report(CAL, "1", &req).await.multistatus();
    assert_eq!(ms.responses.len(), 3);
    assert_eq!(prop(&ms, &a, &dav("getetag")).unwrap().text(), tag);
    assert_eq!(
        prop(&ms, &a, &caldav("calendar-data")).unwrap().text(),
        body_a,
        "CRLF kept"
    );
    assert_eq!(status_of(&ms, &format!("http://dav.test{missing}")), Some(404));
    assert_eq!(status_of(&ms, &elsewhere), Some(404));

    // Not a calendar report on an address book.
    env.report(BOOK, "1", &req)
        .await
        .assert_condition(403, dav("supported-report"));
    let r = env.report(CAL, "1", r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop/></C:calendar-multiget>"#).await;
    assert_eq!(r.status, 400, "no href");
}

/// Partial retrieval and `expand` in a multiget (RFC 4791 §9.6.1, §9.6.5): the data property
/// holds what `calendar-data` asks for, as in calendar-query.
#[tokio::test]
async fn partial_retrieval_and_expand() {
    let env = start().await;
    let a = format!("{CAL}a.ics");
    env.put_event(
        &a,
        &event("a", "SUMMARY:A\r\nLOCATION:Here\r\nDESCRIPTION:Secret\r\n"),
    )
    .await;
    let w = format!("{CAL}w.ics");
    env.put_event(
        &w,
        &event(
            "w",
            "DTSTART:20260105T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=5\r\n",
        ),
    )
    .await;
    let req = |data: &str| {
        format!(
            r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>{data}</D:prop>
            <D:href>{a}</D:href><D:href>{w}</D:href></C:calendar-multiget>"#
        )
    };
    let selection = r#"<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:comp name="VEVENT"><C:prop name="UID"/><C:prop name="SUMMARY"/></C:comp></C:comp></C:calendar-data>"#;
    let ms = env.report(CAL, "1", &req(selection)).await.multistatus();
    let data = prop(&ms, &a, &caldav("calendar-data")).unwrap().text();
    assert!(data.contains("PRODID") && data.contains("SUMMARY:A"), "{data}");
    assert!(
        !data.contains("LOCATION") && !data.contains("Secret") && !data.contains("DTSTART"),
        "{data}"
    );

    let expand =
        r#"<C:calendar-data><C:expand start="20260106T000000Z" end="20260108T000000Z"/></C:calendar-data>"#;
    let ms = env.report(CAL, "1", &req(expand)).await.multistatus();
    let data = prop(&ms, &w, &caldav("calendar-data")).unwrap().text();
    assert_eq!(data.matches("BEGIN:VEVENT").count(), 2, "{data}");
    assert!(
        data.contains("RECURRENCE-ID:20260106T100000Z") && !data.contains("RRULE"),
        "{data}"
    );
}
