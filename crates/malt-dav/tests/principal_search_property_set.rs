//! `DAV:principal-search-property-set` (RFC 3744 §9.5): the searchable properties, each with a
//! description, on the principal collection; elsewhere `DAV:supported-report`.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use malt_dav_proto::{Limits, Name, parse_document};

const BODY: &str = r#"<D:principal-search-property-set xmlns:D="DAV:"/>"#;

#[tokio::test]
async fn lists_searchable_properties() {
    let env = start().await;
    let r = env.report("/dav/principals/", "0", BODY).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let e = parse_document(&r.body, &Limits::default()).unwrap();
    assert!(e.is("DAV:", "principal-search-property-set"));
    let names: Vec<Name> = e
        .children_named("DAV:", "principal-search-property")
        .map(|p| {
            assert!(!p.child("DAV:", "description").unwrap().text().is_empty());
            p.child("DAV:", "prop")
                .unwrap()
                .elements()
                .next()
                .unwrap()
                .name
                .clone()
        })
        .collect();
    assert_eq!(
        names,
        vec![
            dav("displayname"),
            caldav("calendar-user-address-set"),
            Name::new("http://calendarserver.org/ns/", "email-address-set"),
        ]
    );
    // Listed as a report of the principal collection and of a principal.
    for path in ["/dav/principals/", PRINCIPAL] {
        let ms = env.propfind(path, "0", "<D:supported-report-set/>").await;
        let set = prop(&ms, path, &dav("supported-report-set")).unwrap();
        let reports: Vec<Name> = set
            .elements()
            .filter_map(|s| {
                s.child("DAV:", "report")?
                    .elements()
                    .next()
                    .map(|r| r.name.clone())
            })
            .collect();
        assert!(reports.contains(&dav("principal-search-property-set")), "{path}");
        assert!(reports.contains(&dav("expand-property")), "{path}");
    }
}

#[tokio::test]
async fn only_on_the_principal_collection() {
    let env = start().await;
    for path in [PRINCIPAL, CAL] {
        env.report(path, "0", BODY)
            .await
            .assert_condition(403, dav("supported-report"));
    }
}
