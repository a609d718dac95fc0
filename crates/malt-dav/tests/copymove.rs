//! COPY and MOVE (RFC 4918 §9.8, §9.9) of objects.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[tokio::test]
async fn move_renames_and_moves_between_calendars() {
    let env = start().await;
    let src = format!("{CAL}a.ics");
    let body = event("a", "");
    let tag = env.put_event(&src, &body).await;
    let dst = format!("{CAL}b.ics");
    let r = env
        .dav(
            "MOVE",
            &src,
            &[("destination", &format!("http://dav.test{dst}"))],
            "",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(env.dav("GET", &src, &[], "").await.status, 404);
    let got = env.dav("GET", &dst, &[], "").await;
    assert_eq!((got.text(), got.header("etag").unwrap()), (body.clone(), tag));

    let work = format!("{CAL_HOME}work/");
    env.dav("MKCALENDAR", &work, &[], "").await;
    let there = format!("{work}a.ics");
    assert_eq!(
        env.dav("MOVE", &dst, &[("destination", &there)], "").await.status,
        201
    );
    // Onto an existing object with Overwrite: F.
    env.put_event(&src, &event("other", "")).await;
    assert_eq!(
        env.dav("MOVE", &src, &[("destination", &there), ("overwrite", "F")], "")
            .await
            .status,
        412
    );
    assert_eq!(
        env.dav("MOVE", &src, &[("destination", &there)], "").await.status,
        204
    );
    // An event cannot go into the task list.
    env.put_event(&src, &event("third", "")).await;
    env.dav("MOVE", &src, &[("destination", &format!("{TASKS}x.ics"))], "")
        .await
        .assert_condition(403, caldav("supported-calendar-component"));
    // Nor to an address book, nor without a Destination, nor onto itself.
    assert_eq!(
        env.dav("MOVE", &src, &[("destination", &format!("{BOOK}x.vcf"))], "")
            .await
            .status,
        403
    );
    assert_eq!(env.dav("MOVE", &src, &[], "").await.status, 400);
    assert_eq!(
        env.dav("MOVE", &src, &[("destination", &src)], "").await.status,
        403
    );
    assert_eq!(
        env.dav("MOVE", CAL, &[("destination", &work)], "").await.status,
        403
    );
}

#[tokio::test]
async fn copy_keeps_the_source() {
    let env = start().await;
    let src = format!("{CAL}a.ics");
    env.put_event(&src, &event("a", "")).await;
    let work = format!("{CAL_HOME}work/");
    env.dav("MKCALENDAR", &work, &[], "").await;
    assert_eq!(
        env.dav("COPY", &src, &[("destination", &format!("{work}a.ics"))], "")
            .await
            .status,
        201
    );
    assert_eq!(env.dav("GET", &src, &[], "").await.status, 200);
    assert_eq!(env.dav("GET", &format!("{work}a.ics"), &[], "").await.status, 200);
    // Within the same calendar the UID is taken.
    env.dav("COPY", &src, &[("destination", &format!("{CAL}copy.ics"))], "")
        .await
        .assert_condition(403, caldav("no-uid-conflict"));
    assert_eq!(
        env.dav(
            "COPY",
            &src,
            &[("destination", &format!("{work}a.ics")), ("overwrite", "F")],
            ""
        )
        .await
        .status,
        412
    );
}
