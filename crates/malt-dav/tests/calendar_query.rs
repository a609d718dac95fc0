//! `CALDAV:calendar-query` (RFC 4791 §7.8).
#![allow(clippy::unwrap_used)]

mod common;
use common::*;

fn query(filter: &str) -> String {
    format!(
        r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>
        <C:filter><C:comp-filter name="VCALENDAR">{filter}</C:comp-filter></C:filter></C:calendar-query>"#
    )
}

#[tokio::test]
async fn component_filters() {
    let env = start().await;
    let work = format!("{CAL_HOME}mixed/");
    env.dav("MKCALENDAR", &work, &[], "").await;
    let e = format!("{work}e.ics");
    let t = format!("{work}t.ics");
    env.put_event(&e, &event("e", "DTSTART:20260101T100000Z\r\n"))
        .await;
    assert_eq!(env.put(&t, "text/calendar", &todo("t", "task")).await.status, 201);

    let ms = env
        .report(&work, "1", &query(r#"<C:comp-filter name="VEVENT"/>"#))
        .await
        .multistatus();
    assert_eq!(hrefs(&ms), vec![e.clone()]);
    assert!(
        prop(&ms, &e, &caldav("calendar-data"))
            .unwrap()
            .text()
            .contains("UID:e")
    );
    let ms = env
        .report(&work, "1", &query(r#"<C:comp-filter name="VTODO"/>"#))
        .await
        .multistatus();
    assert_eq!(hrefs(&ms), vec![t.clone()]);
    let ms = env.report(&work, "1", &query("")).await.multistatus();
    assert_eq!(ms.responses.len(), 2);
    let ms = env
        .report(
            &work,
            "1",
            &query(r#"<C:comp-filter name="VTODO"><C:is-not-defined/></C:comp-filter>"#),
        )
        .await
        .multistatus();
    assert_eq!(hrefs(&ms), vec![e]);
    let r = env
        .report(
            &work,
            "1",
            r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"/>"#,
        )
        .await;
    assert_eq!(r.status, 400, "no filter");
}

fn range_query(start: &str, end: &str, data: &str) -> String {
    format!(
        r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>{data}</D:prop>
        <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#
    )
}

#[tokio::test]
async fn time_ranges_with_recurrences_and_expand() {
    let env = start().await;
    let weekly = format!("{CAL}weekly.ics");
    env.put_event(
        &weekly,
        &event(
            "weekly",
            "DTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Weekly\r\n",
        ),
    )
    .await;
    let single = format!("{CAL}single.ics");
    env.put_event(
        &single,
        &event("single", "DTSTART:20260107T120000Z\r\nDTEND:20260107T130000Z\r\n"),
    )
    .await;
    let found = |ms: &malt_dav_proto::response::Multistatus| {
        let mut h = hrefs(ms);
        h.sort();
        h
    };
    // The third Monday; the Wednesday; after the last instance; a range holding both.
    let ms = env
        .report(CAL, "1", &range_query("20260119T000000Z", "20260120T000000Z", ""))
        .await
        .multistatus();
    assert_eq!(found(&ms), vec![weekly.clone()]);
    let ms = env
        .report(CAL, "1", &range_query("20260107T000000Z", "20260108T000000Z", ""))
        .await
        .multistatus();
    assert_eq!(found(&ms), vec![single.clone()]);
    let ms = env
        .report(CAL, "1", &range_query("20260127T000000Z", "20260301T000000Z", ""))
        .await
        .multistatus();
    assert!(ms.responses.is_empty());
    let ms = env
        .report(CAL, "1", &range_query("20260101T000000Z", "20260201T000000Z", ""))
        .await
        .multistatus();
    assert_eq!(found(&ms), vec![single.clone(), weekly.clone()]);
    // An event ending exactly at the range's start does not overlap it (RFC 4791 §9.9).
    let ms = env
        .report(CAL, "1", &range_query("20260107T130000Z", "20260107T140000Z", ""))
        .await
        .multistatus();
    assert!(ms.responses.is_empty());

    // expand: the instances in the range as separate components with RECURRENCE-ID, in UTC.
    let expand =
        r#"<C:calendar-data><C:expand start="20260110T000000Z" end="20260125T000000Z"/></C:calendar-data>"#;
    let ms = env
        .report(
            CAL,
            "1",
            &range_query("20260110T000000Z", "20260125T000000Z", expand),
        )
        .await
        .multistatus();
    let data = prop(&ms, &weekly, &caldav("calendar-data")).unwrap().text();
    assert_eq!(data.matches("BEGIN:VEVENT").count(), 2, "{data}");
    assert!(
        data.contains("RECURRENCE-ID") && !data.contains("RRULE"),
        "{data}"
    );

    // A collation the server does not know.
    let q = r#"<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
        <C:prop-filter name="SUMMARY"><C:text-match collation="i;klingon">x</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#;
    env.report(CAL, "1", q)
        .await
        .assert_condition(403, caldav("supported-collation"));
    let q = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
        <C:prop-filter name="SUMMARY"><C:text-match>WEEK</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#;
    let ms = env.report(CAL, "1", q).await.multistatus();
    assert_eq!(found(&ms), vec![weekly]);
}

/// RFC 4791 §9.6.1 (example of §7.8.1): `comp` / `prop` selection, with `expand` applied first
/// (§9.6.5), `novalue`, and a VTIMEZONE asked for by an empty `comp` (the whole component).
#[tokio::test]
async fn partial_retrieval_with_expand() {
    let env = start().await;
    let path = format!("{CAL}partial.ics");
    let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
        BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
        BEGIN:VEVENT\r\nUID:partial\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260105T100000\r\nDURATION:PT1H\r\n\
        RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Weekly\r\nDESCRIPTION:Long text\r\nLOCATION:Room 1\r\n\
        BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nDESCRIPTION:Soon\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    assert_eq!(env.put(&path, "text/calendar", body).await.status, 201);
    let selection = r#"<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/>
        <C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/><C:prop name="DTSTART"/><C:prop name="RECURRENCE-ID"/><C:prop name="DESCRIPTION" novalue="yes"/></C:comp>
        <C:comp name="VTIMEZONE"/></C:comp></C:calendar-data>"#;
    let ms = env
        .report(
            CAL,
            "1",
            &range_query("20260101T000000Z", "20260201T000000Z", selection),
        )
        .await
        .multistatus();
    let data = prop(&ms, &path, &caldav("calendar-data")).unwrap().text();
    assert!(data.contains("VERSION:2.0") && !data.contains("PRODID"), "{data}");
    assert!(
        data.contains("SUMMARY:Weekly") && data.contains("UID:partial"),
        "{data}"
    );
    assert!(
        data.contains("DESCRIPTION\r\n") || data.contains("DESCRIPTION:\r\n"),
        "novalue: {data}"
    );
    assert!(
        !data.contains("Long text") && !data.contains("LOCATION") && !data.contains("DURATION"),
        "{data}"
    );
    assert!(!data.contains("VALARM"), "VALARM not asked for: {data}");
    assert!(data.contains("TZOFFSETTO:+0100"), "the whole VTIMEZONE: {data}");

    // With expand, the selection applies to the instances.
    let expanded = r#"<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="DTSTART"/><C:prop name="RECURRENCE-ID"/></C:comp></C:comp>
        <C:expand start="20260110T000000Z" end="20260125T000000Z"/></C:calendar-data>"#;
    let ms = env
        .report(
            CAL,
            "1",
            &range_query("20260110T000000Z", "20260125T000000Z", expanded),
        )
        .await
        .multistatus();
    let data = prop(&ms, &path, &caldav("calendar-data")).unwrap().text();
    assert_eq!(data.matches("BEGIN:VEVENT").count(), 2, "{data}");
    assert!(
        data.contains("DTSTART:20260112T090000Z") && data.contains("RECURRENCE-ID:20260119T090000Z"),
        "{data}"
    );
    assert!(
        !data.contains("SUMMARY") && !data.contains("VERSION") && !data.contains("RRULE"),
        "{data}"
    );

    // allcomp + allprop: the object as a whole.
    let all =
        r#"<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:allcomp/></C:comp></C:calendar-data>"#;
    let ms = env
        .report(
            CAL,
            "1",
            &range_query("20260101T000000Z", "20260201T000000Z", all),
        )
        .await
        .multistatus();
    let data = prop(&ms, &path, &caldav("calendar-data")).unwrap().text();
    for part in [
        "PRODID",
        "LOCATION:Room 1",
        "TRIGGER:-PT5M",
        "TZOFFSETFROM:+0200",
        "RRULE:FREQ=WEEKLY",
    ] {
        assert!(data.contains(part), "{part}: {data}");
    }
}

/// The old bug: a daily series since 1990 matched no range in 2026 (the expansion stopped
/// after 10,000 instances); now it is expanded near the range.
#[tokio::test]
async fn a_daily_series_since_1990_matches_in_2026() {
    let env = start().await;
    let path = format!("{CAL}old.ics");
    env.put_event(
        &path,
        &event(
            "old",
            "DTSTART:19900101T080000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=DAILY\r\nSUMMARY:Stand-up\r\n",
        ),
    )
    .await;
    let ms = env
        .report(CAL, "1", &range_query("20260302T000000Z", "20260303T000000Z", ""))
        .await
        .multistatus();
    assert_eq!(hrefs(&ms), vec![path.clone()]);
    // Between two instances: nothing.
    let ms = env
        .report(CAL, "1", &range_query("20260302T090000Z", "20260303T070000Z", ""))
        .await
        .multistatus();
    assert!(ms.responses.is_empty());
    let expand =
        r#"<C:calendar-data><C:expand start="20260302T000000Z" end="20260305T000000Z"/></C:calendar-data>"#;
    let ms = env
        .report(
            CAL,
            "1",
            &range_query("20260302T000000Z", "20260305T000000Z", expand),
        )
        .await
        .multistatus();
    let data = prop(&ms, &path, &caldav("calendar-data")).unwrap().text();
    assert_eq!(data.matches("BEGIN:VEVENT").count(), 3, "{data}");
    assert!(data.contains("RECURRENCE-ID:20260302T080000Z"), "{data}");
}

/// RFC 4791 §7.8 and §7.9, precondition `supported-calendar-data`: `calendar-data` asked in a
/// media type the server does not return (§9.6) is refused; the default and the explicit
/// `text/calendar` 2.0 are answered.
#[tokio::test]
async fn calendar_data_in_an_unsupported_media_type() {
    let env = start().await;
    let e = format!("{CAL}e.ics");
    env.put_event(&e, &event("e", "DTSTART:20260101T100000Z\r\n"))
        .await;
    let data = |attrs: &str| {
        format!(
            r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data {attrs}/></D:prop>
            <C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#
        )
    };
    for refused in [
        r#"content-type="application/calendar+json""#,
        r#"content-type="text/calendar" version="1.0""#,
        r#"version="3.0""#,
    ] {
        env.report(CAL, "1", &data(refused))
            .await
            .assert_condition(403, caldav("supported-calendar-data"));
    }
    let ms = env
        .report(CAL, "1", &data(r#"content-type="Text/Calendar" version="2.0""#))
        .await
        .multistatus();
    assert!(
        prop(&ms, &e, &caldav("calendar-data"))
            .unwrap()
            .text()
            .contains("UID:e")
    );
    let multiget = format!(
        r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data content-type="text/plain"/></D:prop><D:href>{e}</D:href></C:calendar-multiget>"#
    );
    env.report(CAL, "1", &multiget)
        .await
        .assert_condition(403, caldav("supported-calendar-data"));
}
