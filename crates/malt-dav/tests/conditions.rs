//! Conditional writes (RFC 9110 §13.1.1 `If-Match`, §13.1.2 `If-None-Match`): lists of entity
//! tags and `If-None-Match` with tags on PUT, DELETE and MOVE, checked by the store in the
//! transaction of the write.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

const ICS: &str = "text/calendar";

#[tokio::test]
async fn lists_of_entity_tags_on_put_and_delete() {
    let env = start().await;
    let path = format!("{CAL}c.ics");
    let tag1 = env
        .put_event(&path, &event("c", "DTSTART:20260101T100000Z\r\nSUMMARY:v1\r\n"))
        .await;
    let v2 = event("c", "DTSTART:20260101T100000Z\r\nSUMMARY:v2\r\n");

    // If-Match with a list that lacks the current tag: 412, nothing changes.
    let put = |headers: Vec<(&'static str, String)>| {
        let (env, path, v2) = (&env, &path, &v2);
        async move {
            let mut h: Vec<(&str, &str)> = vec![("content-type", ICS)];
            h.extend(headers.iter().map(|(k, v)| (*k, v.as_str())));
            env.dav("PUT", path, &h, v2).await
        }
    };
    let r = put(vec![("if-match", "\"stale\", \"older\"".into())]).await;
    assert_eq!(r.status, 412);
    // If-None-Match listing the current tag: 412 on a write (not 304).
    let r = put(vec![("if-none-match", format!("\"stale\", {tag1}"))]).await;
    assert_eq!(r.status, 412);
    assert!(env.dav("GET", &path, &[], "").await.text().contains("SUMMARY:v1"));

    // A list holding the current tag matches.
    let r = put(vec![("if-match", format!("\"stale\", {tag1}, W/\"weak\""))]).await;
    assert_eq!(r.status, 204);
    let tag2 = r.header("etag").unwrap();
    assert!(env.dav("GET", &path, &[], "").await.text().contains("SUMMARY:v2"));
    // If-None-Match with tags that are not current holds.
    let r = put(vec![("if-none-match", format!("{tag1}, \"other\""))]).await;
    assert_eq!(r.status, 204);
    // ... and on a missing resource (a create).
    let r = env
        .dav(
            "PUT",
            &format!("{CAL}new.ics"),
            &[("content-type", ICS), ("if-none-match", &tag2)],
            &event("new", "DTSTART:20260101T100000Z\r\n"),
        )
        .await;
    assert_eq!(r.status, 201);
    // ... but If-Match with a list on a missing resource fails.
    let r = env
        .dav(
            "PUT",
            &format!("{CAL}newer.ics"),
            &[("content-type", ICS), ("if-match", &format!("{tag1}, {tag2}"))],
            &event("newer", "DTSTART:20260101T100000Z\r\n"),
        )
        .await;
    assert_eq!(r.status, 412);

    // DELETE with lists.
    let r = env
        .dav(
            "DELETE",
            &path,
            &[("if-none-match", &format!("\"x\", {tag2}"))],
            "",
        )
        .await;
    assert_eq!(r.status, 412);
    let r = env
        .dav("DELETE", &path, &[("if-match", &format!("\"x\", {tag2}"))], "")
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(env.dav("GET", &path, &[], "").await.status, 404);
}

#[tokio::test]
async fn too_many_tags_and_both_headers_are_refused() {
    let env = start().await;
    let path = format!("{CAL}d.ics");
    let tag = env
        .put_event(&path, &event("d", "DTSTART:20260101T100000Z\r\n"))
        .await;
    let many = vec!["\"t\""; 101].join(", ");
    let r = env.dav("DELETE", &path, &[("if-match", &many)], "").await;
    assert_eq!(r.status, 400);
    let r = env
        .dav(
            "DELETE",
            &path,
            &[("if-match", &tag), ("if-none-match", "\"x\"")],
            "",
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(env.dav("GET", &path, &[], "").await.status, 200);
}
