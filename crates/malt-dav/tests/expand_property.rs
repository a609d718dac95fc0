//! `DAV:expand-property` (RFC 3253 §3.8): a principal's hrefs expanded into the properties of
//! the resources they name, nested, another user's principal with its public properties only,
//! hrefs that name nothing (or another user's data) answered 404, bad bodies 400.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use malt_dav_proto::response::{Multistatus, parse_multistatus};
use malt_dav_proto::{Element, Limits, Name};

/// The `DAV:response` elements in a property value, read back as a multistatus.
fn nested(value: &Element) -> Multistatus {
    let ms = Element::new(dav("multistatus")).with_children(value.elements().cloned());
    parse_multistatus(malt_dav_proto::element_to_xml(&ms).as_bytes(), &Limits::trusted()).unwrap()
}

const NS: &str = r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav""#;

#[tokio::test]
async fn principal_homes_and_addresses() {
    let env = start().await;
    let body = format!(
        r#"<D:expand-property {NS}>
  <D:property name="calendar-home-set" namespace="urn:ietf:params:xml:ns:caldav">
    <D:property name="displayname"/><D:property name="resourcetype"/><D:property name="owner">
      <D:property name="displayname"/>
    </D:property>
  </D:property>
  <D:property name="calendar-user-address-set" namespace="urn:ietf:params:xml:ns:caldav"/>
  <D:property name="no-such-thing"/>
</D:expand-property>"#
    );
    let r = env.report(PRINCIPAL, "0", &body).await;
    assert_eq!(r.status, 207, "{}", r.text());
    let ms = r.multistatus();
    assert_eq!(hrefs(&ms), vec![PRINCIPAL.to_owned()]);
    // Not expanded: the plain value.
    let cuas = prop(&ms, PRINCIPAL, &caldav("calendar-user-address-set")).unwrap();
    assert_eq!(
        cuas.child("DAV:", "href").unwrap().text(),
        format!("mailto:{USER}")
    );
    assert!(propstat(&ms, PRINCIPAL, 404).unwrap().props[0].is("DAV:", "no-such-thing"));
    // Expanded: the home's response in place of its href, two levels deep.
    let home = prop(&ms, PRINCIPAL, &caldav("calendar-home-set")).unwrap();
    assert!(home.child("DAV:", "href").is_none());
    let inner = nested(&home);
    assert_eq!(hrefs(&inner), vec![CAL_HOME.to_owned()]);
    assert!(
        prop(&inner, CAL_HOME, &dav("resourcetype"))
            .unwrap()
            .child("DAV:", "collection")
            .is_some()
    );
    assert_eq!(status_of(&inner, CAL_HOME), None);
    assert!(propstat(&inner, CAL_HOME, 404).unwrap().props[0].is("DAV:", "displayname"));
    let owner = nested(&prop(&inner, CAL_HOME, &dav("owner")).unwrap());
    assert_eq!(prop(&owner, PRINCIPAL, &dav("displayname")).unwrap().text(), USER);
}

#[tokio::test]
async fn hrefs_of_others_and_of_nothing() {
    let env = start().await;
    env.add_user("bob@example.org").await;
    let bob = "/dav/principals/bob@example.org/";
    // A calendar's dead property holding hrefs: the user's own, bob's principal, bob's home
    // (404), a principal that does not exist (404).
    let set = format!(
        r#"<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x-test"><D:set><D:prop><X:people>
<D:href>{PRINCIPAL}</D:href><D:href>{bob}</D:href><D:href>/dav/calendars/bob@example.org/</D:href>
<D:href>/dav/principals/nobody@example.org/</D:href></X:people></D:prop></D:set></D:propertyupdate>"#
    );
    assert_eq!(env.dav("PROPPATCH", CAL, &[], &set).await.status, 207);
    let body = r#"<D:expand-property xmlns:D="DAV:"><D:property name="people" namespace="urn:x-test">
  <D:property name="displayname"/>
  <D:property name="calendar-home-set" namespace="urn:ietf:params:xml:ns:caldav"/>
</D:property></D:expand-property>"#;
    let ms = env.report(CAL, "0", body).await.multistatus();
    let people = nested(&prop(&ms, CAL, &Name::new("urn:x-test", "people")).unwrap());
    assert_eq!(
        hrefs(&people),
        vec![
            PRINCIPAL.to_owned(),
            bob.to_owned(),
            "/dav/calendars/bob@example.org/".to_owned(),
            "/dav/principals/nobody@example.org/".to_owned(),
        ]
    );
    // The user's own principal: everything; bob's: public properties only.
    assert!(prop(&people, PRINCIPAL, &caldav("calendar-home-set")).is_some());
    assert_eq!(
        prop(&people, bob, &dav("displayname")).unwrap().text(),
        "bob@example.org"
    );
    assert!(prop(&people, bob, &caldav("calendar-home-set")).is_none());
    let hidden = &propstat(&people, bob, 404).unwrap().props[0];
    assert!(hidden.is("urn:ietf:params:xml:ns:caldav", "calendar-home-set"));
    // Another user's data is 404, as a request for it is.
    assert_eq!(status_of(&people, "/dav/calendars/bob@example.org/"), Some(404));
    assert_eq!(
        status_of(&people, "/dav/principals/nobody@example.org/"),
        Some(404)
    );
}

#[tokio::test]
async fn bad_bodies() {
    let env = start().await;
    let deep = r#"<D:expand-property xmlns:D="DAV:"><D:property name="a"><D:property name="b">
<D:property name="c"><D:property name="d"/></D:property></D:property></D:property></D:expand-property>"#;
    assert_eq!(env.report(PRINCIPAL, "0", deep).await.status, 400);
    let nameless = r#"<D:expand-property xmlns:D="DAV:"><D:property/></D:expand-property>"#;
    assert_eq!(env.report(PRINCIPAL, "0", nameless).await.status, 400);
}
