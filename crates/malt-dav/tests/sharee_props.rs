//! A sharee's own name, colour and order of a collection shared with it: set by PROPPATCH at
//! either URL, shown only to that sharee (the owner and other sharees keep theirs), falling back
//! to the invite-reply's name and to the owner's values, checked all or none; everything else
//! stays the owner's to change.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use malt_dav_proto::Name;

const BOB: &str = "bob@example.org";
const CAROL: &str = "carol@example.org";
const BOB_CAL_HOME: &str = "/dav/calendars/bob@example.org/";
const ICAL: &str = "http://apple.com/ns/ical/";
const PROPS: &str = r#"<D:displayname/><I:calendar-color xmlns:I="http://apple.com/ns/ical/"/><I:calendar-order xmlns:I="http://apple.com/ns/ical/"/>"#;

fn ical(local: &str) -> Name {
    Name::new(ICAL, local)
}

fn patch(set: &str, remove: &str) -> String {
    let set = if set.is_empty() {
        String::new()
    } else {
        format!("<D:set><D:prop>{set}</D:prop></D:set>")
    };
    let remove = if remove.is_empty() {
        String::new()
    } else {
        format!("<D:remove><D:prop>{remove}</D:prop></D:remove>")
    };
    format!(
        r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:I="http://apple.com/ns/ical/">{set}{remove}</D:propertyupdate>"#
    )
}

async fn post(env: &Env, user: &str, path: &str, body: &str) {
    let r = env.dav_as(user, "POST", path, &[XML], body).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// (displayname, calendar-color, calendar-order) of `path` as `user` sees it.
async fn seen(env: &Env, user: &str, path: &str) -> (Option<String>, Option<String>, Option<String>) {
    let ms = propfind_as(env, user, path, "0", PROPS).await.multistatus();
    let get = |n: &Name| prop(&ms, path, n).map(|e| e.text());
    (
        get(&dav("displayname")),
        get(&ical("calendar-color")),
        get(&ical("calendar-order")),
    )
}

fn some(v: &str) -> Option<String> {
    Some(v.to_owned())
}

/// Alice's calendar (named "Work", red, first) shared read-only with Bob, who accepted it as
/// "Alice's", and read-write with Carol; returns Bob's mount.
async fn setup() -> (Env, String) {
    let env = start_sharing(malt_dav::DavSettings::default(), &[BOB, CAROL]).await;
    let r = env
        .dav(
            "PROPPATCH",
            CAL,
            &[],
            &patch("<D:displayname>Work</D:displayname><I:calendar-color>#FF0000FF</I:calendar-color><I:calendar-order>1</I:calendar-order>", ""),
        )
        .await;
    assert_eq!(r.status, 207, "{}", r.text());
    for (who, access) in [(BOB, "read"), (CAROL, "read-write")] {
        post(
            &env,
            USER,
            CAL,
            &format!(
                r#"<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>mailto:{who}</D:href><CS:{access}/></CS:set></CS:share>"#
            ),
        )
        .await;
    }
    post(
        &env,
        BOB,
        BOB_CAL_HOME,
        &format!(
            r#"<CS:invite-reply xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:href>mailto:{BOB}</D:href><CS:invite-accepted/><CS:hosturl><D:href>{CAL}</D:href></CS:hosturl><CS:summary>Alice's</CS:summary></CS:invite-reply>"#
        ),
    )
    .await;
    let mount = mounted(&env, BOB, BOB_CAL_HOME).await.pop().unwrap();
    (env, mount)
}

#[tokio::test]
async fn a_sharee_sets_its_own_name_colour_and_order() {
    let (env, mount) = setup().await;
    // Before: the invite-reply's name, the owner's colour and order.
    assert_eq!(
        seen(&env, BOB, &mount).await,
        (some("Alice's"), some("#FF0000FF"), some("1"))
    );

    let r = env
        .dav_as(
            BOB,
            "PROPPATCH",
            &mount,
            &[],
            &patch("<D:displayname>Team</D:displayname><I:calendar-color>#00FF00FF</I:calendar-color><I:calendar-order>5</I:calendar-order>", ""),
        )
        .await;
    assert_eq!(r.status, 207, "{}", r.text());
    let ms = r.multistatus();
    assert!(propstat(&ms, &mount, 200).is_some(), "{}", r.text());
    assert!(propstat(&ms, &mount, 403).is_none(), "{}", r.text());

    // Bob sees his values at both URLs, and in his home's listing.
    let mine = (some("Team"), some("#00FF00FF"), some("5"));
    assert_eq!(seen(&env, BOB, &mount).await, mine);
    assert_eq!(seen(&env, BOB, CAL).await, mine);
    let home = propfind_as(&env, BOB, BOB_CAL_HOME, "1", "<D:displayname/>")
        .await
        .multistatus();
    assert_eq!(prop(&home, &mount, &dav("displayname")).unwrap().text(), "Team");
    // Alice and Carol see Alice's.
    let alices = (some("Work"), some("#FF0000FF"), some("1"));
    assert_eq!(seen(&env, USER, CAL).await, alices);
    assert_eq!(seen(&env, CAROL, CAL).await, alices);

    // Removing his colour shows the owner's again; the rest stays.
    let r = env
        .dav_as(BOB, "PROPPATCH", CAL, &[], &patch("", "<I:calendar-color/>"))
        .await;
    assert_eq!(r.status, 207, "{}", r.text());
    assert_eq!(
        seen(&env, BOB, &mount).await,
        (some("Team"), some("#FF0000FF"), some("5"))
    );
    // Alice's later changes reach what Bob has not set himself.
    let r = env
        .dav(
            "PROPPATCH",
            CAL,
            &[],
            &patch("<I:calendar-color>#0000FFFF</I:calendar-color>", ""),
        )
        .await;
    assert_eq!(r.status, 207);
    assert_eq!(
        seen(&env, BOB, &mount).await,
        (some("Team"), some("#0000FFFF"), some("5"))
    );
}

#[tokio::test]
async fn everything_else_stays_the_owners() {
    let (env, mount) = setup().await;
    // A property only the owner changes, alone or with the sharee's own: refused, nothing set.
    for body in [
        patch("<C:calendar-description>Mine</C:calendar-description>", ""),
        patch(
            "<I:calendar-color>#00FF00FF</I:calendar-color><C:calendar-description>Mine</C:calendar-description>",
            "",
        ),
        patch(
            "<D:displayname>Team</D:displayname><X:mine xmlns:X=\"urn:example\">1</X:mine>",
            "",
        ),
    ] {
        for user in [BOB, CAROL] {
            let path = if user == BOB { mount.as_str() } else { CAL };
            assert_need_privileges(
                &env.dav_as(user, "PROPPATCH", path, &[], &body).await,
                &dav("write-acl"),
            );
        }
    }
    assert_eq!(
        seen(&env, BOB, &mount).await,
        (some("Alice's"), some("#FF0000FF"), some("1"))
    );
    // An order that is no integer: every property fails, nothing changes.
    let r = env
        .dav_as(
            BOB,
            "PROPPATCH",
            &mount,
            &[],
            &patch(
                "<I:calendar-color>#00FF00FF</I:calendar-color><I:calendar-order>first</I:calendar-order>",
                "",
            ),
        )
        .await;
    assert_eq!(r.status, 207, "{}", r.text());
    assert!(propstat(&r.multistatus(), &mount, 409).is_some(), "{}", r.text());
    assert_eq!(
        seen(&env, BOB, &mount).await,
        (some("Alice's"), some("#FF0000FF"), some("1"))
    );
    // A user the collection is not shared with: 404, as for every method.
    env.add_user("dave@example.org").await;
    let r = env
        .dav_as(
            "dave@example.org",
            "PROPPATCH",
            CAL,
            &[],
            &patch("<D:displayname>X</D:displayname>", ""),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn an_address_book_sharee_names_it() {
    let env = start_sharing(malt_dav::DavSettings::default(), &[BOB]).await;
    post(
        &env,
        USER,
        BOOK,
        &format!(
            r#"<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>mailto:{BOB}</D:href><CS:read/></CS:set></CS:share>"#
        ),
    )
    .await;
    let r = env
        .dav_as(
            BOB,
            "PROPPATCH",
            BOOK,
            &[],
            &patch("<D:displayname>Alice's contacts</D:displayname>", ""),
        )
        .await;
    assert_eq!(r.status, 207, "{}", r.text());
    let ms = propfind_as(&env, BOB, BOOK, "0", "<D:displayname/>")
        .await
        .multistatus();
    assert_eq!(
        prop(&ms, BOOK, &dav("displayname")).unwrap().text(),
        "Alice's contacts"
    );
    let ms = env.propfind(BOOK, "0", "<D:displayname/>").await;
    assert_ne!(
        prop(&ms, BOOK, &dav("displayname")).map(|e| e.text()),
        some("Alice's contacts")
    );
    // Colour and order are calendars': on an address book they are the owner's.
    let r = env
        .dav_as(
            BOB,
            "PROPPATCH",
            BOOK,
            &[],
            &patch("<I:calendar-color>#00FF00FF</I:calendar-color>", ""),
        )
        .await;
    assert_need_privileges(&r, &dav("write-acl"));
}
