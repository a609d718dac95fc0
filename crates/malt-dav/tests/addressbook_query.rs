//! `CARDDAV:addressbook-query` (RFC 6352 §8.6) with a limit.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[tokio::test]
async fn limit_cuts_with_507() {
    let env = start().await;
    for i in 0..3 {
        assert_eq!(
            env.put(
                &format!("{BOOK}{i}.vcf"),
                "text/vcard",
                &vcard(&format!("u{i}"), "N")
            )
            .await
            .status,
            201
        );
    }
    let q = |limit: &str| {
        format!(
            r#"<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop>
            <C:filter><C:prop-filter name="FN"/></C:filter>{limit}</C:addressbook-query>"#
        )
    };
    let ms = env.report(BOOK, "1", &q("")).await.multistatus();
    assert_eq!(ms.responses.len(), 3);
    let ms = env
        .report(BOOK, "1", &q("<C:limit><C:nresults>2</C:nresults></C:limit>"))
        .await
        .multistatus();
    assert_eq!(ms.responses.len(), 3, "two results and the cut");
    assert_eq!(status_of(&ms, BOOK), Some(507));
    let cut = ms.responses.iter().find(|r| r.href == BOOK).unwrap();
    assert_eq!(cut.error[0].name, dav("number-of-matches-within-limits"));
}

#[tokio::test]
async fn text_matches_and_versions() {
    let env = start().await;
    for (uid, name) in [("ann", "Ann Archer"), ("bob", "Bob Baker"), ("cat", "Cat Archer")] {
        assert_eq!(
            env.put(&format!("{BOOK}{uid}.vcf"), "text/vcard", &vcard(uid, name))
                .await
                .status,
            201
        );
    }
    let q = |filter: &str, data: &str| {
        format!(
            r#"<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>{data}</D:prop>
            <C:filter>{filter}</C:filter></C:addressbook-query>"#
        )
    };
    let found = |ms: &malt_dav_proto::response::Multistatus| {
        let mut h = hrefs(ms);
        h.sort();
        h
    };
    let archers = q(
        r#"<C:prop-filter name="FN"><C:text-match match-type="ends-with">archer</C:text-match></C:prop-filter>"#,
        "",
    );
    let ms = env.report(BOOK, "1", &archers).await.multistatus();
    assert_eq!(
        found(&ms),
        vec![format!("{BOOK}ann.vcf"), format!("{BOOK}cat.vcf")]
    );
    let not_archers = q(
        r#"<C:prop-filter name="FN"><C:text-match negate-condition="yes">archer</C:text-match></C:prop-filter>"#,
        "",
    );
    let ms = env.report(BOOK, "1", &not_archers).await.multistatus();
    assert_eq!(found(&ms), vec![format!("{BOOK}bob.vcf")]);
    // address-data in vCard 4.0 for a card stored as 3.0 (RFC 6352 §10.4).
    let v4 = q(
        r#"<C:prop-filter name="UID"><C:text-match match-type="equals">bob</C:text-match></C:prop-filter>"#,
        r#"<C:address-data content-type="text/vcard" version="4.0"/>"#,
    );
    let ms = env.report(BOOK, "1", &v4).await.multistatus();
    let data = prop(&ms, &format!("{BOOK}bob.vcf"), &carddav("address-data"))
        .unwrap()
        .text();
    assert!(data.contains("VERSION:4.0"), "{data}");
    // Only the properties asked for (RFC 6352 §10.4.2), in the stored version.
    let some = q(
        r#"<C:prop-filter name="FN"><C:text-match match-type="ends-with">archer</C:text-match></C:prop-filter>"#,
        r#"<C:address-data><C:prop name="UID"/><C:prop name="FN"/></C:address-data>"#,
    );
    let ms = env.report(BOOK, "1", &some).await.multistatus();
    let data = prop(&ms, &format!("{BOOK}cat.vcf"), &carddav("address-data"))
        .unwrap()
        .text();
    assert_eq!(
        data,
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:cat\r\nFN:Cat Archer\r\nEND:VCARD\r\n"
    );
}
