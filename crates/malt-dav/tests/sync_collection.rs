//! `DAV:sync-collection` (RFC 6578): initial sync, changes and deletions since a token, tokens
//! of another collection, limits and continuation.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

fn body(token: &str, limit: Option<u32>) -> String {
    let limit = limit
        .map(|n| format!("<D:limit><D:nresults>{n}</D:nresults></D:limit>"))
        .unwrap_or_default();
    format!(
        r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>{limit}<D:prop><D:getetag/></D:prop></D:sync-collection>"#
    )
}

#[tokio::test]
async fn initial_then_incremental() {
    let env = start().await;
    let a = format!("{CAL}a.ics");
    let b = format!("{CAL}b.ics");
    let tag_a = env.put_event(&a, &event("a", "")).await;
    env.put_event(&b, &event("b", "")).await;

    let ms = env.report(CAL, "0", &body("", None)).await.multistatus();
    let mut got = hrefs(&ms);
    got.sort();
    assert_eq!(got, vec![a.clone(), b.clone()]);
    assert_eq!(prop(&ms, &a, &dav("getetag")).unwrap().text(), tag_a);
    let token = ms.sync_token.clone().unwrap();
    // The token is the collection's current DAV:sync-token.
    let pf = env.propfind(CAL, "0", "<D:sync-token/>").await;
    assert_eq!(prop(&pf, CAL, &dav("sync-token")).unwrap().text(), token);

    // Nothing changed: nothing reported, same token.
    let ms = env.report(CAL, "0", &body(&token, None)).await.multistatus();
    assert!(ms.responses.is_empty());
    assert_eq!(ms.sync_token.as_deref(), Some(token.as_str()));

    // A change, a deletion and a creation.
    let tag_a2 = env
        .put(&a, "text/calendar", &event("a", "SUMMARY:changed\r\n"))
        .await
        .header("etag")
        .unwrap();
    assert_eq!(env.dav("DELETE", &b, &[], "").await.status, 204);
    let c = format!("{CAL}c.ics");
    env.put_event(&c, &event("c", "")).await;
    let ms = env.report(CAL, "0", &body(&token, None)).await.multistatus();
    assert_eq!(prop(&ms, &a, &dav("getetag")).unwrap().text(), tag_a2);
    assert!(prop(&ms, &c, &dav("getetag")).is_some());
    assert_eq!(status_of(&ms, &b), Some(404));
    assert_ne!(ms.sync_token.as_deref(), Some(token.as_str()));
}

#[tokio::test]
async fn invalid_tokens() {
    let env = start().await;
    let tasks_token = env
        .report(TASKS, "0", &body("", None))
        .await
        .multistatus()
        .sync_token
        .unwrap();
    for bad in [
        tasks_token.as_str(),
        "urn:x-malt:sync:1:999999",
        "http://example.com/sync/1",
        "garbage",
    ] {
        env.report(CAL, "0", &body(bad, None))
            .await
            .assert_condition(403, dav("valid-sync-token"));
    }
    assert_eq!(
        env.report(CAL, "1", &body("", None)).await.status,
        400,
        "Depth: 0 only"
    );
    // Not on a home.
    env.report(CAL_HOME, "0", &body("", None))
        .await
        .assert_condition(403, dav("supported-report"));
}

#[tokio::test]
async fn limits_cut_pages_that_continue() {
    let env = start().await;
    for i in 0..5 {
        let r = env
            .put(
                &format!("{BOOK}{i}.vcf"),
                "text/vcard",
                &vcard(&format!("u{i}"), "N"),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let mut token = String::new();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let ms = env.report(BOOK, "0", &body(&token, Some(2))).await.multistatus();
        pages += 1;
        token = ms.sync_token.clone().unwrap();
        let truncated = status_of(&ms, BOOK) == Some(507);
        if truncated {
            let cut = ms.responses.iter().find(|r| r.href == BOOK).unwrap();
            assert_eq!(cut.error[0].name, dav("number-of-matches-within-limits"));
        }
        seen.extend(hrefs(&ms).into_iter().filter(|h| h != BOOK));
        if !truncated {
            break;
        }
        assert!(pages < 10);
    }
    seen.sort();
    assert_eq!(seen, (0..5).map(|i| format!("{BOOK}{i}.vcf")).collect::<Vec<_>>());
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn data_in_the_report() {
    let env = start().await;
    let a = format!("{CAL}a.ics");
    let body_a = event("a", "");
    env.put_event(&a, &body_a).await;
    let req = r#"<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/><D:prop><D:getetag/><C:calendar-data/></D:prop></D:sync-collection>"#;
    let ms = env.report(CAL, "0", req).await.multistatus();
    assert_eq!(prop(&ms, &a, &caldav("calendar-data")).unwrap().text(), body_a);
    assert!(prop(&ms, &a, &dav("getetag")).is_some());
}
