//! GET and HEAD (RFC 9110 §9.3.1-2): the content as stored, ETag, conditional GET.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[tokio::test]
async fn get_head_and_not_modified() {
    let env = start().await;
    let path = format!("{CAL}e.ics");
    let body = event("e", "DTSTART:20260101T100000Z\r\nSUMMARY:Lunch ü\r\n");
    let tag = env.put_event(&path, &body).await;

    let r = env.dav("GET", &path, &[], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), body, "byte for byte");
    assert_eq!(r.header("etag").unwrap(), tag);
    assert_eq!(r.header("content-type").unwrap(), "text/calendar; charset=utf-8");
    assert!(r.header("last-modified").unwrap().ends_with("GMT"));

    let r = env.dav("HEAD", &path, &[], "").await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length").unwrap(), body.len().to_string());

    let r = env.dav("GET", &path, &[("if-none-match", &tag)], "").await;
    assert_eq!(r.status, 304);
    let r = env.dav("GET", &path, &[("if-none-match", "\"other\"")], "").await;
    assert_eq!(r.status, 200);

    assert_eq!(
        env.dav("GET", &format!("{CAL}missing.ics"), &[], "").await.status,
        404
    );
    assert_eq!(env.dav("GET", CAL, &[], "").await.status, 405);
    assert_eq!(
        env.dav("GET", "/dav/calendars/bob@example.org/calendar/e.ics", &[], "")
            .await
            .status,
        404
    );

    let card = vcard("c1", "Carl");
    env.put(&format!("{BOOK}c1.vcf"), "text/vcard", &card).await;
    let r = env.dav("GET", &format!("{BOOK}c1.vcf"), &[], "").await;
    assert_eq!(r.header("content-type").unwrap(), "text/vcard; charset=utf-8");
    assert_eq!(r.text(), card);
}
