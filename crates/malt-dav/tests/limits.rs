//! Request limits: the body size (413) and the XML codec's limits (400 with the reason).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use malt_dav::DavSettings;

#[tokio::test]
async fn body_and_xml_limits() {
    let env = start_with(DavSettings {
        max_body: 10_000,
        ..DavSettings::default()
    })
    .await;
    let big = format!(
        "<propfind xmlns=\"DAV:\"><prop>{}</prop></propfind>",
        "<displayname/>".repeat(1000)
    );
    let r = env.dav("PROPFIND", CAL, &[("depth", "0")], &big).await;
    assert_eq!(r.status, 413, "{}", r.text());
    let deep = format!(
        "<propfind xmlns=\"DAV:\">{}{}</propfind>",
        "<a>".repeat(40),
        "</a>".repeat(40)
    );
    let r = env.dav("PROPFIND", CAL, &[("depth", "0")], &deep).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("deeper"), "{}", r.text());
    let r = env
        .report(CAL, "1", "<x:unknown-report xmlns:x=\"urn:x\"/>")
        .await;
    r.assert_condition(403, dav("supported-report"));
    let r = env.dav("LOCK", CAL, &[], "").await;
    assert_eq!(r.status, 501);
}
