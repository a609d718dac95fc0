//! `CALDAV:free-busy-query` (RFC 4791 §7.10).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[tokio::test]
async fn answers_a_vfreebusy() {
    let env = start().await;
    env.put_event(
        &format!("{CAL}e.ics"),
        &event("e", "DTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\n"),
    )
    .await;
    let req = r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260105T000000Z" end="20260106T000000Z"/></C:free-busy-query>"#;
    let r = env.report(CAL, "1", req).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("content-type").unwrap().starts_with("text/calendar"));
    let text = r.text();
    assert!(
        text.contains("BEGIN:VFREEBUSY") && text.contains("DTSTART:20260105T000000Z"),
        "{text}"
    );
    let bad = r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="x"/></C:free-busy-query>"#;
    assert_eq!(env.report(CAL, "1", bad).await.status, 400);
}

#[tokio::test]
async fn busy_periods_of_recurrences() {
    let env = start().await;
    env.put_event(
        &format!("{CAL}w.ics"),
        &event(
            "w",
            "DTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\n",
        ),
    )
    .await;
    env.put_event(
        &format!("{CAL}free.ics"),
        &event(
            "free",
            "DTSTART:20260105T140000Z\r\nDTEND:20260105T150000Z\r\nTRANSP:TRANSPARENT\r\n",
        ),
    )
    .await;
    let req = r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260105T000000Z" end="20260107T000000Z"/></C:free-busy-query>"#;
    let text = env.report(CAL, "1", req).await.text();
    let busy: Vec<&str> = text.lines().filter(|l| l.starts_with("FREEBUSY")).collect();
    assert_eq!(
        busy.len(),
        2,
        "two days of the daily event, the transparent one not: {text}"
    );
    assert!(
        text.contains("20260105T100000Z/") && text.contains("20260106T100000Z/"),
        "{text}"
    );
}
