//! `DAV:principal-match` (RFC 3744 §9.3): `DAV:self` on the principal collection finds the
//! user's principal; `DAV:principal-property` finds the members whose property names it.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

const SELF: &str =
    r#"<D:principal-match xmlns:D="DAV:"><D:self/><D:prop><D:displayname/></D:prop></D:principal-match>"#;

#[tokio::test]
async fn self_on_the_principal_collection() {
    let env = start().await;
    env.add_user("bob@example.org").await;
    let r = env.report("/dav/principals/", "0", SELF).await;
    assert_eq!(r.status, 207, "{}", r.text());
    let ms = r.multistatus();
    assert_eq!(hrefs(&ms), vec![PRINCIPAL.to_owned()]);
    assert_eq!(prop(&ms, PRINCIPAL, &dav("displayname")).unwrap().text(), USER);
    // No principal among a calendar home's collections.
    let ms = env.report(CAL_HOME, "0", SELF).await.multistatus();
    assert!(ms.responses.is_empty());
    // Depth other than 0 is refused (§9.3).
    assert_eq!(env.report("/dav/principals/", "1", SELF).await.status, 400);
}

#[tokio::test]
async fn owner_on_a_calendar() {
    let env = start().await;
    let a = format!("{CAL}a.ics");
    env.put_event(&a, &event("a", "")).await;
    let body = r#"<D:principal-match xmlns:D="DAV:"><D:principal-property><D:owner/></D:principal-property></D:principal-match>"#;
    let ms = env.report(CAL, "0", body).await.multistatus();
    let mut got = hrefs(&ms);
    got.sort();
    assert_eq!(got, vec![CAL.to_owned(), a.clone()]);
    assert_eq!(status_of(&ms, &a), Some(200));
    // A property that names no principal matches nothing.
    let body = r#"<D:principal-match xmlns:D="DAV:"><D:principal-property><D:getetag/></D:principal-property></D:principal-match>"#;
    assert!(
        env.report(CAL, "0", body)
            .await
            .multistatus()
            .responses
            .is_empty()
    );
}
