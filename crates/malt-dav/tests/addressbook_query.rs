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
