//! PROPFIND (RFC 4918 §9.1): discovery (RFC 5397, RFC 4791 §6, RFC 6352 §7), depth, allprop,
//! propname, the live properties of each kind of resource.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use malt_dav_proto::Name;

#[tokio::test]
async fn discovery_from_the_root() {
    let env = start().await;
    for root in ["/", "/dav/"] {
        let ms = env
            .propfind(
                root,
                "0",
                "<D:current-user-principal/><D:principal-collection-set/>",
            )
            .await;
        let cup = prop(&ms, "/dav/", &dav("current-user-principal")).unwrap();
        assert_eq!(cup.child("DAV:", "href").unwrap().text(), PRINCIPAL);
    }
    let ms = env
        .propfind(
            PRINCIPAL,
            "0",
            "<D:resourcetype/><D:displayname/><D:principal-URL/><C:calendar-home-set/><CR:addressbook-home-set/><C:calendar-user-address-set/><D:owner/>",
        )
        .await;
    let href = |n: Name| {
        prop(&ms, PRINCIPAL, &n)
            .unwrap()
            .child("DAV:", "href")
            .unwrap()
            .text()
    };
    assert_eq!(href(caldav("calendar-home-set")), CAL_HOME);
    assert_eq!(href(carddav("addressbook-home-set")), BOOK_HOME);
    assert_eq!(href(dav("principal-URL")), PRINCIPAL);
    assert_eq!(
        href(caldav("calendar-user-address-set")),
        format!("mailto:{USER}")
    );
    let rt = prop(&ms, PRINCIPAL, &dav("resourcetype")).unwrap();
    assert!(rt.child("DAV:", "principal").is_some());
    assert_eq!(prop(&ms, PRINCIPAL, &dav("displayname")).unwrap().text(), USER);
}

#[tokio::test]
async fn homes_list_the_default_collections() {
    let env = start().await;
    let ms = env
        .propfind(
            CAL_HOME,
            "1",
            "<D:resourcetype/><D:displayname/><C:supported-calendar-component-set/>",
        )
        .await;
    // Then the notification collection (caldav-notifications), served by the server.
    assert_eq!(
        hrefs(&ms),
        vec![
            CAL_HOME,
            CAL,
            INBOX,
            OUTBOX,
            TASKS,
            "/dav/calendars/alice@example.org/notifications/"
        ]
    );
    let comps = |href| {
        prop(&ms, href, &caldav("supported-calendar-component-set"))
            .unwrap()
            .elements()
            .map(|c| c.attr("name").unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(comps(CAL), vec!["VEVENT"]);
    assert_eq!(comps(TASKS), vec!["VTODO"]);
    assert!(
        prop(&ms, CAL, &dav("resourcetype"))
            .unwrap()
            .child(malt_dav_proto::name::CALDAV, "calendar")
            .is_some()
    );
    // The home has no component set: answered 404 for it.
    assert!(propstat(&ms, CAL_HOME, 404).is_some());

    let ms = env
        .propfind(BOOK_HOME, "1", "<D:resourcetype/><D:displayname/>")
        .await;
    // The global address book is listed after the user's own (tests/gal.rs).
    assert_eq!(
        hrefs(&ms),
        vec![BOOK_HOME, BOOK, "/dav/addressbooks/alice@example.org/directory/"]
    );
    assert_eq!(prop(&ms, BOOK, &dav("displayname")).unwrap().text(), "Contacts");
}

#[tokio::test]
async fn collection_properties() {
    let env = start().await;
    let ms = env
        .propfind(
            CAL,
            "0",
            "<CS:getctag/><D:sync-token/><D:supported-report-set/><D:current-user-privilege-set/><C:max-resource-size/><C:supported-calendar-data/><D:quota-used-bytes/><D:quota-available-bytes/><D:owner/>",
        )
        .await;
    let ctag = prop(
        &ms,
        CAL,
        &Name::new(malt_dav_proto::name::CALENDARSERVER, "getctag"),
    )
    .unwrap()
    .text();
    assert!(ctag.parse::<u64>().unwrap() > 0);
    assert!(
        prop(&ms, CAL, &dav("sync-token"))
            .unwrap()
            .text()
            .starts_with("urn:x-malt:sync:")
    );
    let reports: Vec<String> = prop(&ms, CAL, &dav("supported-report-set"))
        .unwrap()
        .elements()
        .map(|s| {
            s.child("DAV:", "report")
                .unwrap()
                .elements()
                .next()
                .unwrap()
                .name
                .local
                .clone()
        })
        .collect();
    assert_eq!(
        reports,
        [
            "calendar-multiget",
            "calendar-query",
            "free-busy-query",
            "sync-collection",
            "expand-property",
            "acl-principal-prop-set"
        ]
    );
    let privileges = prop(&ms, CAL, &dav("current-user-privilege-set")).unwrap();
    assert!(privileges.elements().any(|p| p.child("DAV:", "all").is_some()));
    assert_eq!(
        prop(&ms, CAL, &caldav("max-resource-size")).unwrap().text(),
        "1048576"
    );
    assert_eq!(prop(&ms, CAL, &dav("quota-used-bytes")).unwrap().text(), "0");
    // No quota: quota-available-bytes is not defined (RFC 4331 §3).
    assert!(
        propstat(&ms, CAL, 404)
            .unwrap()
            .props
            .iter()
            .any(|p| p.name == dav("quota-available-bytes"))
    );

    env.core
        .storage()
        .store
        .account_set_quota(env.account.id, Some(5000))
        .await
        .unwrap();
    env.put_event(
        &format!("{CAL}a.ics"),
        &event("a", "DTSTART:20260101T100000Z\r\n"),
    )
    .await;
    let ms = env
        .propfind(
            BOOK,
            "0",
            "<D:quota-available-bytes/><D:quota-used-bytes/><CR:supported-address-data/>",
        )
        .await;
    let used: u64 = prop(&ms, BOOK, &dav("quota-used-bytes"))
        .unwrap()
        .text()
        .parse()
        .unwrap();
    assert!(used > 0);
    assert_eq!(
        prop(&ms, BOOK, &dav("quota-available-bytes")).unwrap().text(),
        (5000 - used).to_string()
    );
    let versions: Vec<String> = prop(&ms, BOOK, &carddav("supported-address-data"))
        .unwrap()
        .elements()
        .map(|e| e.attr("version").unwrap().to_owned())
        .collect();
    assert_eq!(versions, ["3.0", "4.0"]);
}

#[tokio::test]
async fn objects_depth_one_allprop_and_propname() {
    let env = start().await;
    let tag = env
        .put_event(
            &format!("{CAL}e1.ics"),
            &event("e1", "DTSTART:20260101T100000Z\r\n"),
        )
        .await;
    let ms = env
        .propfind(
            CAL,
            "1",
            "<D:getetag/><D:getcontenttype/><D:getcontentlength/><D:getlastmodified/><D:resourcetype/>",
        )
        .await;
    let obj = format!("{CAL}e1.ics");
    assert_eq!(hrefs(&ms), vec![CAL.to_owned(), obj.clone()]);
    assert_eq!(prop(&ms, &obj, &dav("getetag")).unwrap().text(), tag);
    assert!(
        prop(&ms, &obj, &dav("getcontenttype"))
            .unwrap()
            .text()
            .starts_with("text/calendar")
    );
    assert!(
        prop(&ms, &obj, &dav("getlastmodified"))
            .unwrap()
            .text()
            .ends_with("GMT")
    );
    assert_eq!(
        prop(&ms, &obj, &dav("resourcetype")).unwrap().elements().count(),
        0
    );

    // allprop (an empty body): the RFC 4918 live properties, not the CalDAV ones.
    let r = env
        .dav("PROPFIND", &obj, &[("depth", "0")], "")
        .await
        .multistatus();
    let names: Vec<String> = propstat(&r, &obj, 200)
        .unwrap()
        .props
        .iter()
        .map(|p| p.name.local.clone())
        .collect();
    assert!(
        names.contains(&"getetag".to_owned()) && names.contains(&"getcontentlength".to_owned()),
        "{names:?}"
    );
    assert!(!names.contains(&"current-user-privilege-set".to_owned()));

    let body = r#"<propfind xmlns="DAV:"><propname/></propfind>"#;
    let r = env
        .dav("PROPFIND", CAL, &[("depth", "0")], body)
        .await
        .multistatus();
    let p = propstat(&r, CAL, 200).unwrap();
    assert!(
        p.props.iter().all(|e| e.children.is_empty()),
        "propname has no values"
    );
    for n in [
        "sync-token",
        "displayname",
        "supported-calendar-component-set",
        "getctag",
    ] {
        assert!(p.props.iter().any(|e| e.name.local == n), "{n}");
    }
}

#[tokio::test]
async fn depth_infinity_unknown_properties_and_bad_bodies() {
    let env = start().await;
    let r = env.dav("PROPFIND", CAL_HOME, &[("depth", "infinity")], "").await;
    r.assert_condition(403, dav("propfind-finite-depth"));
    let r = env.dav("PROPFIND", CAL_HOME, &[], "").await;
    r.assert_condition(403, dav("propfind-finite-depth"));

    let ms = env
        .propfind(CAL, "0", "<D:displayname/><X:nothing xmlns:X=\"urn:x\"/>")
        .await;
    let missing = propstat(&ms, CAL, 404).unwrap();
    assert_eq!(missing.props[0].name, Name::new("urn:x", "nothing"));

    let r = env
        .dav(
            "PROPFIND",
            CAL,
            &[("depth", "0")],
            "<propfind xmlns=\"DAV:\"><prop>",
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("malformed"), "{}", r.text());
    let r = env
        .dav(
            "PROPFIND",
            CAL,
            &[("depth", "0")],
            "<!DOCTYPE x [<!ENTITY a \"b\">]><propfind xmlns=\"DAV:\"/>",
        )
        .await;
    assert_eq!(r.status, 400);
    let r = env
        .dav(
            "PROPFIND",
            "/dav/calendars/alice@example.org/nope/",
            &[("depth", "0")],
            "",
        )
        .await;
    assert_eq!(r.status, 404);
}
