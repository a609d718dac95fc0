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
