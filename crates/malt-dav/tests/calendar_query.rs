//! `CALDAV:calendar-query` (RFC 4791 §7.8).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

fn query(filter: &str) -> String {
    format!(
        r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>
        <C:filter><C:comp-filter name="VCALENDAR">{filter}</C:comp-filter></C:filter></C:calendar-query>"#
    )
}

#[tokio::test]
async fn component_filters() {
    let env = start().await;
    let work = format!("{CAL_HOME}mixed/");
    env.dav("MKCALENDAR", &work, &[], "").await;
    let e = format!("{work}e.ics");
    let t = format!("{work}t.ics");
    env.put_event(&e, &event("e", "DTSTART:20260101T100000Z\r\n"))
        .await;
    assert_eq!(env.put(&t, "text/calendar", &todo("t", "task")).await.status, 201);

    let ms = env
        .report(&work, "1", &query(r#"<C:comp-filter name="VEVENT"/>"#))
        .await
        .multistatus();
    assert_eq!(hrefs(&ms), vec![e.clone()]);
    assert!(
        prop(&ms, &e, &caldav("calendar-data"))
            .unwrap()
            .text()
            .contains("UID:e")
    );
    let ms = env
        .report(&work, "1", &query(r#"<C:comp-filter name="VTODO"/>"#))
        .await
        .multistatus();
    assert_eq!(hrefs(&ms), vec![t.clone()]);
    let ms = env.report(&work, "1", &query("")).await.multistatus();
    assert_eq!(ms.responses.len(), 2);
    let ms = env
        .report(
            &work,
            "1",
            &query(r#"<C:comp-filter name="VTODO"><C:is-not-defined/></C:comp-filter>"#),
        )
        .await
        .multistatus();
    assert_eq!(hrefs(&ms), vec![e]);
    let r = env
        .report(
            &work,
            "1",
            r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"/>"#,
        )
        .await;
    assert_eq!(r.status, 400, "no filter");
}
