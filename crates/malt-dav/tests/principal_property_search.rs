//! `DAV:principal-property-search` (RFC 3744 §9.4): substring search of the server's accounts
//! by name and calendar user address (aliases included), `allof`/`anyof`, public properties
//! only for other users, the result limit with its 507, and where the report may be sent.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use malt_dav_proto::Name;
use malt_dav_proto::response::Multistatus;

const PRINCIPALS: &str = "/dav/principals/";
const BOB: &str = "/dav/principals/bob@example.org/";
const CAROL: &str = "/dav/principals/carol@example.org/";

/// A search body: `searches` are (property element, match) pairs, `prop` the inner XML of the
/// answer's `DAV:prop` (none when empty).
fn search(test: &str, searches: &[(&str, &str)], prop: &str, extra: &str) -> String {
    let searches: String = searches
        .iter()
        .map(|(p, m)| {
            format!("<D:property-search><D:prop>{p}</D:prop><D:match>{m}</D:match></D:property-search>")
        })
        .collect();
    let prop = if prop.is_empty() {
        String::new()
    } else {
        format!("<D:prop>{prop}</D:prop>")
    };
    format!(
        r#"<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/" {test}>{searches}{extra}{prop}</D:principal-property-search>"#
    )
}

async fn env_with_users() -> Env {
    let env = start().await;
    env.add_user("bob@example.org").await;
    env.add_user("carol@example.org").await;
    let store = &env.core.storage().store;
    store
        .alias_add("robert@example.org", "bob@example.org")
        .await
        .unwrap();
    env
}

/// The answer to a search sent to the principal collection.
async fn ask(env: &Env, body: &str) -> Multistatus {
    env.report(PRINCIPALS, "0", body).await.multistatus()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn by_name_and_address() {
    let env = env_with_users().await;
    // Case-insensitive substring of the display name.
    let body = search(
        "",
        &[("<D:displayname/>", "BOB")],
        "<D:displayname/><C:calendar-user-address-set/>",
        "",
    );
    let r = env.report(PRINCIPALS, "0", &body).await;
    assert_eq!(r.status, 207, "{}", r.text());
    let ms = r.multistatus();
    assert_eq!(hrefs(&ms), vec![BOB.to_owned()]);
    assert_eq!(
        prop(&ms, BOB, &dav("displayname")).unwrap().text(),
        "bob@example.org"
    );
    let cuas: Vec<String> = prop(&ms, BOB, &caldav("calendar-user-address-set"))
        .unwrap()
        .elements()
        .map(|e| e.text())
        .collect();
    assert_eq!(cuas, vec!["mailto:bob@example.org", "mailto:robert@example.org"]);

    // An alias is a calendar user address, and an email address.
    for p in ["<C:calendar-user-address-set/>", "<CS:email-address-set/>"] {
        let body = search("", &[(p, "rober")], "", "");
        let ms = ask(&env, &body).await;
        assert_eq!(hrefs(&ms), vec![BOB.to_owned()], "{p}");
        assert_eq!(status_of(&ms, BOB), Some(200));
    }
    // A domain: every account in it, the requesting user's own principal included.
    let body = search(
        "",
        &[("<CS:email-address-set/>", "@EXAMPLE.org")],
        "<D:displayname/>",
        "",
    );
    let ms = ask(&env, &body).await;
    assert_eq!(
        sorted(hrefs(&ms)),
        vec![PRINCIPAL.to_owned(), BOB.to_owned(), CAROL.to_owned()]
    );
    // Nothing matches.
    let body = search("", &[("<D:displayname/>", "zed")], "", "");
    assert!(ask(&env, &body).await.responses.is_empty());
    // A property that is not searchable matches nothing.
    let body = search("", &[("<D:getetag/>", "")], "", "");
    assert!(ask(&env, &body).await.responses.is_empty());
}

#[tokio::test]
async fn allof_and_anyof() {
    let env = env_with_users().await;
    let both = [
        ("<D:displayname/>", "carol"),
        ("<C:calendar-user-address-set/>", "robert"),
    ];
    let ms = ask(&env, &search("", &both, "", "")).await;
    assert!(ms.responses.is_empty());
    let ms = ask(&env, &search(r#"test="allof""#, &both, "", "")).await;
    assert!(ms.responses.is_empty());
    let ms = ask(&env, &search(r#"test="anyof""#, &both, "", "")).await;
    assert_eq!(sorted(hrefs(&ms)), vec![BOB.to_owned(), CAROL.to_owned()]);
    // allof where both match one principal.
    let both = [
        ("<D:displayname/>", "bob"),
        ("<C:calendar-user-address-set/>", "robert"),
    ];
    let ms = ask(&env, &search("", &both, "", "")).await;
    assert_eq!(hrefs(&ms), vec![BOB.to_owned()]);
}

#[tokio::test]
async fn others_show_public_properties_only() {
    let env = env_with_users().await;
    let body = search(
        "",
        &[("<D:displayname/>", "example")],
        "<D:displayname/><C:calendar-home-set/><C:schedule-inbox-URL/>",
        "",
    );
    let ms = ask(&env, &body).await;
    assert_eq!(hrefs(&ms).len(), 3);
    for other in [BOB, CAROL] {
        let hidden: Vec<Name> = propstat(&ms, other, 404)
            .unwrap()
            .props
            .iter()
            .map(|p| p.name.clone())
            .collect();
        assert_eq!(
            hidden,
            vec![caldav("calendar-home-set"), caldav("schedule-inbox-URL")]
        );
    }
    // The user's own principal answers as PROPFIND would.
    assert_eq!(
        prop(&ms, PRINCIPAL, &caldav("calendar-home-set"))
            .unwrap()
            .child("DAV:", "href")
            .unwrap()
            .text(),
        CAL_HOME
    );
}

#[tokio::test]
async fn results_are_limited() {
    let env = start().await;
    for i in 0..55 {
        env.add_user(&format!("user{i:02}@example.org")).await;
    }
    let body = search("", &[("<D:displayname/>", "user")], "", "");
    let ms = ask(&env, &body).await;
    assert_eq!(ms.responses.len(), 51);
    let last = ms.responses.last().unwrap();
    assert_eq!(last.href, PRINCIPALS);
    assert_eq!(status_of(&ms, PRINCIPALS), Some(507));
    assert!(last.error[0].is("DAV:", "number-of-matches-within-limits"));
    assert_eq!(ms.responses[0].href, "/dav/principals/user00@example.org/");
}

#[tokio::test]
async fn where_it_may_be_sent() {
    let env = env_with_users().await;
    let body = search("", &[("<D:displayname/>", "bob")], "", "");
    env.report(PRINCIPAL, "0", &body)
        .await
        .assert_condition(403, dav("supported-report"));
    env.report(CAL, "0", &body)
        .await
        .assert_condition(403, dav("supported-report"));
    // RFC 3744 §9.4: with apply-to-principal-collection-set, from anywhere.
    let anywhere = search(
        "",
        &[("<D:displayname/>", "bob")],
        "",
        "<D:apply-to-principal-collection-set/>",
    );
    let ms = env.report(CAL, "0", &anywhere).await.multistatus();
    assert_eq!(hrefs(&ms), vec![BOB.to_owned()]);
    // Bad bodies.
    let r = env
        .report(
            PRINCIPALS,
            "0",
            r#"<D:principal-property-search xmlns:D="DAV:"/>"#,
        )
        .await;
    assert_eq!(r.status, 400);
    let r = env
        .report(
            PRINCIPALS,
            "0",
            &search(r#"test="some""#, &[("<D:displayname/>", "b")], "", ""),
        )
        .await;
    assert_eq!(r.status, 400);
}
