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

/// RFC 6352 §8.6 and §8.7, precondition `supported-address-data`: `address-data` asked in a
/// media type or vCard version the server does not return (§10.4) is refused.
#[tokio::test]
async fn address_data_in_an_unsupported_media_type() {
    let env = start().await;
    let a = format!("{BOOK}a.vcf");
    assert_eq!(env.put(&a, "text/vcard", &vcard("a", "Ann")).await.status, 201);
    let multiget = |attrs: &str| {
        format!(
            r#"<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><C:address-data {attrs}/></D:prop>
            <D:href>{a}</D:href></C:addressbook-multiget>"#
        )
    };
    for refused in [r#"version="2.1""#, r#"content-type="application/vcard+json""#] {
        env.report(BOOK, "1", &multiget(refused))
            .await
            .assert_condition(403, carddav("supported-address-data"));
    }
    let query = r#"<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><C:address-data version="5.0"/></D:prop><C:filter/></C:addressbook-query>"#;
    env.report(BOOK, "1", query)
        .await
        .assert_condition(403, carddav("supported-address-data"));
    let ms = env
        .report(BOOK, "1", &multiget(r#"content-type="text/vcard" version="4.0""#))
        .await
        .multistatus();
    let data = prop(&ms, &a, &carddav("address-data")).unwrap().text();
    assert!(data.contains("VERSION:4.0"), "{data}");
}
