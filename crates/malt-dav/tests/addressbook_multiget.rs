//! `CARDDAV:addressbook-multiget` (RFC 6352 §8.7).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[tokio::test]
async fn returns_vcards() {
    let env = start().await;
    let a = format!("{BOOK}a.vcf");
    let card = vcard("a", "Ann");
    assert_eq!(env.put(&a, "text/vcard", &card).await.status, 201);
    let req = format!(
        r#"<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/></D:prop>
        <D:href>{a}</D:href><D:href>{BOOK}b.vcf</D:href></C:addressbook-multiget>"#
    );
    let ms = env.report(BOOK, "1", &req).await.multistatus();
    assert_eq!(prop(&ms, &a, &carddav("address-data")).unwrap().text(), card);
    assert_eq!(status_of(&ms, &format!("{BOOK}b.vcf")), Some(404));
    env.report(CAL, "1", &req)
        .await
        .assert_condition(403, dav("supported-report"));
}

/// RFC 6352 §10.4.2: `prop` selection (with `novalue`), after the version conversion.
#[tokio::test]
async fn selected_properties() {
    let env = start().await;
    let a = format!("{BOOK}a.vcf");
    assert_eq!(env.put(&a, "text/vcard", &vcard("a", "Ann")).await.status, 201);
    let req = |data: &str| {
        format!(
            r#"<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>{data}</D:prop>
            <D:href>{a}</D:href></C:addressbook-multiget>"#
        )
    };
    let ms = env
        .report(
            BOOK,
            "1",
            &req(r#"<C:address-data version="4.0"><C:prop name="VERSION"/><C:prop name="uid"/><C:prop name="FN"/><C:prop name="EMAIL" novalue="yes"/></C:address-data>"#),
        )
        .await
        .multistatus();
    let data = prop(&ms, &a, &carddav("address-data")).unwrap().text();
    assert!(data.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"), "{data}");
    assert!(data.contains("UID:a") && data.contains("FN:Ann"), "{data}");
    assert!(
        data.contains("EMAIL") && !data.contains("a@example.org"),
        "novalue: {data}"
    );
    assert!(!data.contains("\r\nN:"), "N not asked for: {data}");
    // allprop: the whole card, as stored.
    let ms = env
        .report(
            BOOK,
            "1",
            &req(r#"<C:address-data><C:allprop/></C:address-data>"#),
        )
        .await
        .multistatus();
    assert_eq!(
        prop(&ms, &a, &carddav("address-data")).unwrap().text(),
        vcard("a", "Ann")
    );
}
