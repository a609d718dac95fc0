//! MKCOL (RFC 4918 §9.3, extended RFC 5689) and MKCALENDAR (RFC 4791 §5.3.1).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[tokio::test]
async fn mkcalendar_with_properties() {
    let env = start().await;
    let body = r#"<?xml version="1.0" encoding="utf-8" ?>
   <C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
     <D:set><D:prop>
         <D:displayname>Lisa's Events</D:displayname>
         <C:calendar-description xml:lang="en">Calendar restricted to events.</C:calendar-description>
         <C:supported-calendar-component-set><C:comp name="VEVENT"/><C:comp name="VTODO"/></C:supported-calendar-component-set>
     </D:prop></D:set>
   </C:mkcalendar>"#;
    let path = format!("{CAL_HOME}events/");
    let r = env.dav("MKCALENDAR", &path, &[], body).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let ms = env
        .propfind(
            &path,
            "0",
            "<D:displayname/><C:calendar-description/><C:supported-calendar-component-set/><D:resourcetype/>",
        )
        .await;
    assert_eq!(
        prop(&ms, &path, &dav("displayname")).unwrap().text(),
        "Lisa's Events"
    );
    assert_eq!(
        prop(&ms, &path, &caldav("supported-calendar-component-set"))
            .unwrap()
            .elements()
            .count(),
        2
    );

    // Again: something exists there.
    assert_eq!(env.dav("MKCALENDAR", &path, &[], "").await.status, 405);
    // Without a body: every component type.
    let plain = format!("{CAL_HOME}plain/");
    assert_eq!(env.dav("MKCALENDAR", &plain, &[], "").await.status, 201);
    let ms = env
        .propfind(&plain, "0", "<C:supported-calendar-component-set/>")
        .await;
    assert_eq!(
        prop(&ms, &plain, &caldav("supported-calendar-component-set"))
            .unwrap()
            .elements()
            .count(),
        3
    );
    // Not in the address book home, not inside a calendar.
    assert_eq!(
        env.dav("MKCALENDAR", &format!("{BOOK_HOME}cal/"), &[], "")
            .await
            .status,
        403
    );
    assert_eq!(
        env.dav("MKCALENDAR", &format!("{CAL}inner/"), &[], "")
            .await
            .status,
        403
    );
    assert_eq!(
        env.dav("MKCALENDAR", "/dav/calendars/alice@example.org/x/y/z/", &[], "")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn unsupported_component_set_creates_nothing() {
    let env = start().await;
    let body = r#"<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
        <D:displayname>X</D:displayname>
        <C:supported-calendar-component-set><C:comp name="VCARD"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#;
    let path = format!("{CAL_HOME}bad/");
    let r = env.dav("MKCALENDAR", &path, &[], body).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("supported-calendar-component"), "{}", r.text());
    assert_eq!(
        env.dav("PROPFIND", &path, &[("depth", "0")], "").await.status,
        404
    );
}

#[tokio::test]
async fn extended_mkcol() {
    let env = start().await;
    let book = r#"<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>
        <D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>
        <D:displayname>Lisa's Contacts</D:displayname>
        <C:addressbook-description xml:lang="en">My primary address book.</C:addressbook-description>
      </D:prop></D:set></D:mkcol>"#;
    let path = format!("{BOOK_HOME}friends/");
    assert_eq!(env.dav("MKCOL", &path, &[], book).await.status, 201);
    let ms = env
        .propfind(&path, "0", "<D:resourcetype/><CR:addressbook-description/>")
        .await;
    assert!(
        prop(&ms, &path, &dav("resourcetype"))
            .unwrap()
            .child(malt_dav_proto::name::CARDDAV, "addressbook")
            .is_some()
    );
    assert_eq!(
        prop(&ms, &path, &carddav("addressbook-description"))
            .unwrap()
            .text(),
        "My primary address book."
    );

    // A calendar by extended MKCOL.
    let cal = r#"<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
        <D:resourcetype><D:collection/><C:calendar/></D:resourcetype></D:prop></D:set></D:mkcol>"#;
    assert_eq!(
        env.dav("MKCOL", &format!("{CAL_HOME}viamkcol/"), &[], cal)
            .await
            .status,
        201
    );
    // The wrong resource type for the home, or a plain collection: valid-resourcetype.
    env.dav("MKCOL", &format!("{BOOK_HOME}wrong/"), &[], cal)
        .await
        .assert_condition(403, dav("valid-resourcetype"));
    env.dav("MKCOL", &format!("{CAL_HOME}plain/"), &[], "")
        .await
        .assert_condition(403, dav("valid-resourcetype"));
    // A plain MKCOL in the address book home makes an address book.
    assert_eq!(
        env.dav("MKCOL", &format!("{BOOK_HOME}plain/"), &[], "")
            .await
            .status,
        201
    );
}
