//! The global address book over CardDAV: listed in the address book home, its cards (a group
//! card with its members), GET, addressbook-query and -multiget, sync tokens, and writes
//! refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use malt_dav_proto::Name;

const GAL: &str = "/dav/addressbooks/alice@example.org/directory/";

/// Alice, Bob, and the group team@ with Bob and an outside address.
async fn setup() -> (Env, String, String) {
    let env = start().await;
    let bob = env.add_user("bob@example.org").await;
    let store = &env.core.storage().store;
    let team = store.group_add("team@example.org", "Team").await.unwrap();
    store
        .group_member_add("team@example.org", "bob@example.org")
        .await
        .unwrap();
    store
        .group_member_add("team@example.org", "partner@elsewhere.test")
        .await
        .unwrap();
    (
        env,
        format!("{GAL}account-{}.vcf", bob.id),
        format!("{GAL}group-{}.vcf", team.id),
    )
}

#[tokio::test]
async fn listed_and_read() {
    let (env, bob, team) = setup().await;
    let ms = env
        .propfind(BOOK_HOME, "1", "<D:resourcetype/><D:displayname/>")
        .await;
    let types = prop(&ms, GAL, &dav("resourcetype")).expect("the home lists the GAL");
    assert!(
        types
            .child("urn:ietf:params:xml:ns:carddav", "addressbook")
            .is_some()
    );

    let ms = env
        .propfind(
            GAL,
            "1",
            "<D:getetag/><D:current-user-privilege-set/><D:sync-token/><CS:getctag/>",
        )
        .await;
    let listed = hrefs(&ms);
    assert!(listed.contains(&bob) && listed.contains(&team), "{listed:?}");
    assert_eq!(listed.len(), 4, "the book, alice, bob, team: {listed:?}");
    let privileges = prop(&ms, GAL, &dav("current-user-privilege-set")).unwrap();
    let names: Vec<String> = privileges
        .children_named("DAV:", "privilege")
        .flat_map(|p| p.elements().map(|e| e.name.local.clone()).collect::<Vec<_>>())
        .collect();
    assert!(names.contains(&"read".to_owned()), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("write") || n == "all"),
        "{names:?}"
    );
    let token = prop(&ms, GAL, &dav("sync-token")).unwrap().text();
    assert_eq!(
        prop(&ms, GAL, &Name::new("http://calendarserver.org/ns/", "getctag"))
            .unwrap()
            .text(),
        token
    );

    let r = env.dav("GET", &team, &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let card = r.text();
    assert!(card.to_uppercase().contains("KIND:GROUP"), "{card}");
    assert!(card.contains("MEMBER:mailto:bob@example.org"), "{card}");
    assert!(card.contains("MEMBER:mailto:partner@elsewhere.test"), "{card}");
    let tag = r.header("etag").unwrap();
    assert_eq!(
        env.dav("GET", &team, &[("if-none-match", &tag)], "").await.status,
        304
    );
    assert_eq!(
        env.dav("GET", &format!("{GAL}nobody.vcf"), &[], "").await.status,
        404
    );
}

#[tokio::test]
async fn reports() {
    let (env, bob, team) = setup().await;
    let query = r#"<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data/></D:prop><CR:filter><CR:prop-filter name="EMAIL"><CR:text-match match-type="starts-with">bob@</CR:text-match></CR:prop-filter></CR:filter></CR:addressbook-query>"#;
    let ms = env.report(GAL, "1", query).await.multistatus();
    assert_eq!(hrefs(&ms), std::slice::from_ref(&bob));
    let data = prop(&ms, &bob, &carddav("address-data")).unwrap().text();
    assert!(data.contains("EMAIL:bob@example.org"), "{data}");

    let multiget = format!(
        r#"<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data content-type="text/vcard" version="3.0"/></D:prop><D:href>{team}</D:href><D:href>{GAL}none.vcf</D:href></CR:addressbook-multiget>"#
    );
    let ms = env.report(GAL, "0", &multiget).await.multistatus();
    let data = prop(&ms, &team, &carddav("address-data")).unwrap().text();
    assert!(data.contains("VERSION:3.0"), "{data}");
    assert_eq!(status_of(&ms, &format!("{GAL}none.vcf")), Some(404));
}

#[tokio::test]
async fn sync_tokens() {
    let (env, bob, _) = setup().await;
    let sync = |token: String| {
        format!(
            r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
        )
    };
    let first = env.report(GAL, "0", &sync(String::new())).await.multistatus();
    assert!(hrefs(&first).contains(&bob));
    let token = first.sync_token.clone().unwrap();
    let again = env.report(GAL, "0", &sync(token.clone())).await.multistatus();
    assert!(again.responses.is_empty());
    assert_eq!(again.sync_token.as_deref(), Some(token.as_str()));
    // The directory changes: the old token is refused, and the client syncs again.
    env.add_user("carol@example.org").await;
    env.report(GAL, "0", &sync(token))
        .await
        .assert_condition(403, dav("valid-sync-token"));
    let fresh = env.report(GAL, "0", &sync(String::new())).await.multistatus();
    assert_eq!(fresh.responses.len(), 4, "{:?}", hrefs(&fresh));
}

#[tokio::test]
async fn writes_are_refused() {
    let (env, bob, _) = setup().await;
    let r = env
        .put(&format!("{GAL}new.vcf"), "text/vcard", &vcard("new", "New"))
        .await;
    r.assert_condition(403, dav("need-privileges"));
    env.dav("DELETE", &bob, &[], "")
        .await
        .assert_condition(403, dav("need-privileges"));
    env.dav("DELETE", GAL, &[], "")
        .await
        .assert_condition(403, dav("need-privileges"));
    let patch = r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Mine</D:displayname></D:prop></D:set></D:propertyupdate>"#;
    env.dav("PROPPATCH", GAL, &[], patch)
        .await
        .assert_condition(403, dav("need-privileges"));
    assert_eq!(env.dav("MKCOL", GAL, &[], "").await.status, 405);
    assert_eq!(env.dav("GET", &bob, &[], "").await.status, 200);
}
