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
