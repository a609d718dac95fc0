//! PROPPATCH (RFC 4918 §9.2): live collection properties, dead properties, protected ones, all
//! or nothing.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use malt_dav_proto::Name;
use malt_dav_proto::name::APPLE_ICAL;

const NS: &str = r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:I="http://apple.com/ns/ical/" xmlns:X="urn:example:x""#;

#[tokio::test]
async fn sets_and_removes_live_and_dead_properties() {
    let env = start().await;
    let before = env.propfind(CAL, "0", "<D:sync-token/>").await;
    let body = format!(
        r#"<D:propertyupdate {NS}><D:set><D:prop><D:displayname>Work</D:displayname><C:calendar-description>Meetings</C:calendar-description>
        <I:calendar-color>#FF0000FF</I:calendar-color><I:calendar-order>3</I:calendar-order>
        <X:flavour><X:sweet/>yes</X:flavour></D:prop></D:set></D:propertyupdate>"#
    );
    let ms = env.dav("PROPPATCH", CAL, &[], &body).await.multistatus();
    assert_eq!(propstat(&ms, CAL, 200).unwrap().props.len(), 5);

    let ms = env
        .propfind(CAL, "0", "<D:displayname/><C:calendar-description/><I:calendar-color/><I:calendar-order/><X:flavour xmlns:X=\"urn:example:x\"/><D:sync-token/>")
        .await;
    assert_eq!(prop(&ms, CAL, &dav("displayname")).unwrap().text(), "Work");
    assert_eq!(
        prop(&ms, CAL, &caldav("calendar-description")).unwrap().text(),
        "Meetings"
    );
    assert_eq!(
        prop(&ms, CAL, &Name::new(APPLE_ICAL, "calendar-color"))
            .unwrap()
            .text(),
        "#FF0000FF"
    );
    assert_eq!(
        prop(&ms, CAL, &Name::new(APPLE_ICAL, "calendar-order"))
            .unwrap()
            .text(),
        "3"
    );
    let dead = prop(&ms, CAL, &Name::new("urn:example:x", "flavour")).unwrap();
    assert!(
        dead.child("urn:example:x", "sweet").is_some() && dead.text() == "yes",
        "kept as sent"
    );
    // A property change moves the sync token (and the CTag).
    assert_ne!(
        prop(&ms, CAL, &dav("sync-token")),
        prop(&before, CAL, &dav("sync-token"))
    );

    let body = format!(
        r#"<D:propertyupdate {NS}><D:remove><D:prop><X:flavour/><I:calendar-color/></D:prop></D:remove></D:propertyupdate>"#
    );
    env.dav("PROPPATCH", CAL, &[], &body).await.multistatus();
    let ms = env
        .propfind(
            CAL,
            "0",
            "<I:calendar-color/><X:flavour xmlns:X=\"urn:example:x\"/>",
        )
        .await;
    assert_eq!(propstat(&ms, CAL, 404).unwrap().props.len(), 2);
}

#[tokio::test]
async fn protected_properties_fail_the_whole_update() {
    let env = start().await;
    let body = format!(
        r#"<D:propertyupdate {NS}><D:set><D:prop><D:displayname>New</D:displayname>
        <C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>
        <D:getetag>"x"</D:getetag></D:prop></D:set></D:propertyupdate>"#
    );
    let ms = env.dav("PROPPATCH", CAL, &[], &body).await.multistatus();
    let forbidden = propstat(&ms, CAL, 403).unwrap();
    assert_eq!(forbidden.props.len(), 1);
    assert_eq!(forbidden.error[0].name, dav("cannot-modify-protected-property"));
    let failed: Vec<String> = propstat(&ms, CAL, 424)
        .unwrap()
        .props
        .into_iter()
        .map(|p| p.name.local)
        .collect();
    assert!(failed.contains(&"displayname".to_owned()), "{failed:?}");
    let ms = env.propfind(CAL, "0", "<D:displayname/>").await;
    assert_eq!(
        prop(&ms, CAL, &dav("displayname")).unwrap().text(),
        "Calendar",
        "nothing changed"
    );

    // A bad calendar-order is a conflict; objects have no writable properties.
    let body = format!(
        r#"<D:propertyupdate {NS}><D:set><D:prop><I:calendar-order>high</I:calendar-order></D:prop></D:set></D:propertyupdate>"#
    );
    let ms = env.dav("PROPPATCH", CAL, &[], &body).await.multistatus();
    assert!(propstat(&ms, CAL, 409).is_some());
    let r = env
        .dav("PROPPATCH", CAL, &[], "<D:propertyupdate xmlns:D=\"DAV:\"/>")
        .await;
    assert_eq!(r.status, 400);
}
