//! Distribution groups as group principals (RFC 3744 §2, §4.3; RFC 6638 §2.4.2): a group's
//! principal URL answers PROPFIND with its name, `GROUP` as calendar user type and its members'
//! principal URLs; principal searches find groups by name and address; a calendar shared with
//! the group's principal URL reaches its members; an address that is neither an account nor a
//! group is still 404.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

const TEAM: &str = "/dav/principals/team@example.org/";
const BOB: &str = "bob@example.org";

/// Alice, Bob, and the group team@example.org ("Core team") of Bob, a nested group and an
/// outside address.
async fn setup() -> Env {
    let env = start().await;
    env.add_user(BOB).await;
    let store = &env.core.storage().store;
    store.group_add("team@example.org", "Core team").await.unwrap();
    store.group_add("ops@example.org", "").await.unwrap();
    for member in [BOB, "ops@example.org", "partner@elsewhere.test"] {
        store.group_member_add("team@example.org", member).await.unwrap();
    }
    env
}

#[tokio::test]
async fn a_group_principal_answers_propfind() {
    let env = setup().await;
    let ms = env
        .propfind(
            TEAM,
            "0",
            "<D:resourcetype/><D:displayname/><D:principal-URL/><D:group-member-set/><C:calendar-user-type/><C:calendar-user-address-set/><D:current-user-privilege-set/><C:calendar-home-set/>",
        )
        .await;
    assert_eq!(hrefs(&ms), vec![TEAM.to_owned()]);
    let rt = prop(&ms, TEAM, &dav("resourcetype")).unwrap();
    assert!(rt.child("DAV:", "principal").is_some(), "{rt:?}");
    assert_eq!(prop(&ms, TEAM, &dav("displayname")).unwrap().text(), "Core team");
    assert_eq!(
        prop(&ms, TEAM, &dav("principal-URL"))
            .unwrap()
            .elements()
            .next()
            .unwrap()
            .text(),
        TEAM
    );
    let members: Vec<String> = prop(&ms, TEAM, &dav("group-member-set"))
        .unwrap()
        .elements()
        .map(|e| e.text())
        .collect();
    assert_eq!(
        members,
        [
            "/dav/principals/bob@example.org/",
            "/dav/principals/ops@example.org/"
        ],
        "the outside address has no principal"
    );
    assert_eq!(
        prop(&ms, TEAM, &caldav("calendar-user-type")).unwrap().text(),
        "GROUP"
    );
    let cuas: Vec<String> = prop(&ms, TEAM, &caldav("calendar-user-address-set"))
        .unwrap()
        .elements()
        .map(|e| e.text())
        .collect();
    assert_eq!(cuas, ["mailto:team@example.org"]);
    let privileges = prop(&ms, TEAM, &dav("current-user-privilege-set")).unwrap();
    assert!(privileges.elements().any(|p| p.child("DAV:", "read").is_some()));
    assert!(!privileges.elements().any(|p| p.child("DAV:", "write").is_some()));
    // A group has no home.
    assert!(prop(&ms, TEAM, &caldav("calendar-home-set")).is_none());
    assert!(propstat(&ms, TEAM, 404).is_some());

    // A member that is a group is a principal too (its address stands for its empty name).
    let ops = "/dav/principals/ops@example.org/";
    let ms = env.propfind(ops, "0", "<D:displayname/>").await;
    assert_eq!(
        prop(&ms, ops, &dav("displayname")).unwrap().text(),
        "ops@example.org"
    );
    // Neither account nor group: 404, as before.
    let r = env
        .dav(
            "PROPFIND",
            "/dav/principals/nobody@example.org/",
            &[("depth", "0")],
            "",
        )
        .await;
    assert_eq!(r.status, 404);
    // Nothing in it is writable.
    let r = env
        .dav(
            "PROPPATCH",
            TEAM,
            &[],
            r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>"#,
        )
        .await;
    assert_eq!(r.status, 207, "{}", r.text());
    assert!(propstat(&r.multistatus(), TEAM, 403).is_some(), "{}", r.text());
}

#[tokio::test]
async fn searches_find_groups_by_name_and_address() {
    let env = setup().await;
    let body = |prop: &str, text: &str| {
        format!(
            r#"<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:property-search><D:prop>{prop}</D:prop><D:match>{text}</D:match></D:property-search><D:prop><D:displayname/><C:calendar-user-type/></D:prop></D:principal-property-search>"#
        )
    };
    for (p, text) in [
        ("<D:displayname/>", "core TEAM"),
        ("<D:displayname/>", "team@"),
        ("<C:calendar-user-address-set/>", "mailto:team"),
    ] {
        let ms = env
            .report("/dav/principals/", "0", &body(p, text))
            .await
            .multistatus();
        assert_eq!(hrefs(&ms), vec![TEAM.to_owned()], "{p} {text}");
        assert_eq!(
            prop(&ms, TEAM, &caldav("calendar-user-type")).unwrap().text(),
            "GROUP"
        );
    }
    // A search of the domain lists accounts and groups, in address order.
    let ms = env
        .report("/dav/principals/", "0", &body("<D:displayname/>", "@example.org"))
        .await
        .multistatus();
    assert_eq!(
        hrefs(&ms),
        [
            PRINCIPAL,
            "/dav/principals/bob@example.org/",
            "/dav/principals/ops@example.org/",
            TEAM
        ]
    );
}

#[tokio::test]
async fn sharing_with_the_group_principal_reaches_its_members() {
    let env = setup().await;
    let event_path = format!("{CAL}e1.ics");
    env.put_event(&event_path, &event("e1", "DTSTART:20260310T100000Z\r\n"))
        .await;
    let share = format!(
        r#"<CS:share xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><CS:set><D:href>{TEAM}</D:href><CS:read/></CS:set></CS:share>"#
    );
    let r = env
        .dav("POST", CAL, &[("content-type", "application/xml")], &share)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = env.dav_as(BOB, "GET", &event_path, &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
}
