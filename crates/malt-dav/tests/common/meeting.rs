//! A meeting between two users of the test server, alice (the organiser, `USER`) and bob, for
//! the scheduling tests (RFC 6638), and readers of the iCalendar text they exchange.

use super::{Env, Reply, hrefs, start};

pub const BOB: &str = "bob@example.org";
pub const ALICE_COPY: &str = "/dav/calendars/alice@example.org/calendar/meet-1.ics";
pub const BOB_COPY: &str = "/dav/calendars/bob@example.org/calendar/meet-1.ics";
pub const BOB_INBOX: &str = "/dav/calendars/bob@example.org/inbox/";

/// Alice's meeting with bob, an address of this domain that names nobody, and someone elsewhere.
pub fn meeting(start: &str, end: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:meet-1\r\n\
         DTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Planning\r\n\
         ORGANIZER:mailto:alice@example.org\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.org\r\n\
         ATTENDEE;RSVP=TRUE:mailto:bob@example.org\r\nATTENDEE;RSVP=TRUE:mailto:nobody@example.org\r\n\
         ATTENDEE;RSVP=TRUE:mailto:carol@remote.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// A server with alice and bob, after alice PUT her meeting (the answer, checked to be 201).
pub async fn invited() -> (Env, Reply) {
    let env = start().await;
    env.add_user(BOB).await;
    let created = alice_invites(&env).await;
    (env, created)
}

/// Alice PUTs her meeting (the answer, checked to be 201).
pub async fn alice_invites(env: &Env) -> Reply {
    let created = env
        .put(
            ALICE_COPY,
            "text/calendar",
            &meeting("20260302T100000Z", "20260302T110000Z"),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    created
}

/// Bob's client PUTs `body` over his copy, guarded by the Schedule-Tag `tag` it read.
pub async fn bob_puts(env: &Env, body: &str, tag: &str) -> Reply {
    env.dav_as(
        BOB,
        "PUT",
        BOB_COPY,
        &[("content-type", "text/calendar"), ("if-schedule-tag-match", tag)],
        body,
    )
    .await
}

/// iCalendar text with its folded lines joined (RFC 5545 §3.1).
pub fn unfold(text: &str) -> String {
    text.replace("\r\n ", "").replace("\r\n\t", "")
}

/// The unfolded ATTENDEE line of `address`.
pub fn attendee(text: &str, address: &str) -> String {
    unfold(text)
        .lines()
        .find(|l| l.starts_with("ATTENDEE") && l.to_lowercase().contains(&format!("mailto:{address}")))
        .unwrap_or_else(|| panic!("no ATTENDEE {address} in {text}"))
        .to_owned()
}

/// The value of the first property `name` (unfolded).
pub fn property(text: &str, name: &str) -> Option<String> {
    unfold(text)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_owned))
}

/// The hrefs of the members of `user`'s collection at `collection` (PROPFIND, depth 1).
pub async fn member_hrefs(env: &Env, user: &str, collection: &str) -> Vec<String> {
    let r = env
        .dav_as(
            user,
            "PROPFIND",
            collection,
            &[("depth", "1")],
            r#"<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#,
        )
        .await;
    hrefs(&r.multistatus())
        .into_iter()
        .filter(|h| h != collection)
        .collect()
}
