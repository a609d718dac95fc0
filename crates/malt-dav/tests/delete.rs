//! DELETE (RFC 4918 §9.6) of objects and collections.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[tokio::test]
async fn objects_and_collections() {
    let env = start().await;
    let path = format!("{CAL}e.ics");
    let tag = env.put_event(&path, &event("e", "")).await;
    assert_eq!(
        env.dav("DELETE", &path, &[("if-match", "\"stale\"")], "")
            .await
            .status,
        412
    );
    assert_eq!(
        env.dav("DELETE", &path, &[("if-match", &tag)], "").await.status,
        204
    );
    assert_eq!(env.dav("GET", &path, &[], "").await.status, 404);
    assert_eq!(env.dav("DELETE", &path, &[], "").await.status, 404);
    assert_eq!(
        env.dav("DELETE", &path, &[("if-match", "*")], "").await.status,
        412
    );

    let work = format!("{CAL_HOME}work/");
    assert_eq!(env.dav("MKCALENDAR", &work, &[], "").await.status, 201);
    env.put_event(&format!("{work}w.ics"), &event("w", "")).await;
    assert_eq!(env.dav("DELETE", &work, &[], "").await.status, 204);
    assert_eq!(
        env.dav("PROPFIND", &work, &[("depth", "0")], "").await.status,
        404
    );
    // The UID is free again elsewhere; homes and principals stay.
    env.put_event(&format!("{CAL}w.ics"), &event("w", "")).await;
    assert_eq!(env.dav("DELETE", CAL_HOME, &[], "").await.status, 403);
    assert_eq!(env.dav("DELETE", PRINCIPAL, &[], "").await.status, 403);
}
