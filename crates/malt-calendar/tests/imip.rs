//! iMIP (RFC 6047): composed emails read back with mail-parser (layout, headers, the calendar
//! inside), and incoming emails — composed here or written as clients write them — read with
//! their sender checked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use mail_parser::{MessageParser, MimeHeaders};
use malt_calendar::CalendarObject;
use malt_calendar::imip::{
    ImipError, ImipHeaders, MAX_IMIP_BYTES, Party, compose, new_message_id, parse_incoming, subject,
};
use malt_calendar::itip::{Delivered, ItipMessage, Method, attendee_reply, deliver, organizer_changes};

const NOW: i64 = 1_700_000_000;

fn event(organizer_params: &str) -> CalendarObject {
    object(&format!(
        "BEGIN:VEVENT\nUID:imip-1\nDTSTAMP:20240101T000000Z\nSEQUENCE:0\n\
         DTSTART;TZID=Europe/Paris:20240108T100000\nDTEND;TZID=Europe/Paris:20240108T110000\n\
         SUMMARY:Réunion budget\nLOCATION:Salle 4\nDESCRIPTION:Bring the numbers.\n\
         ORGANIZER;CN=Alice Martin{organizer_params}:mailto:alice@example.com\n\
         ATTENDEE;CN=Bob:mailto:bob@elsewhere.org\nEND:VEVENT"
    ))
}

fn headers(from: &str, to: &str) -> ImipHeaders {
    ImipHeaders {
        from: Party {
            name: Some("Alice Martin".into()),
            address: from.into(),
        },
        to: Party {
            name: None,
            address: to.into(),
        },
        message_id: new_message_id("example.com"),
        date: NOW,
    }
}

fn invitation() -> ItipMessage {
    organizer_changes(None, Some(&event("")), NOW)
        .unwrap()
        .messages
        .remove(0)
}

#[test]
fn an_invitation_is_laid_out_as_clients_expect() {
    let message = invitation();
    let h = headers("alice@example.com", "bob@elsewhere.org");
    let raw = compose(&message, &h);
    let mail = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(mail.subject(), Some("Invitation: Réunion budget"));
    assert_eq!(mail.message_id(), Some(h.message_id.as_str()));
    assert_eq!(
        mail.from().unwrap().first().unwrap().address(),
        Some("alice@example.com")
    );
    let to = mail.to().unwrap().first().unwrap();
    assert_eq!((to.name(), to.address()), (None, Some("bob@elsewhere.org")));
    assert_eq!(mail.date().unwrap().to_timestamp(), NOW);
    assert!(
        mail.header("Auto-Submitted").is_none(),
        "invitations are not automatic"
    );

    let root = mail.content_type().unwrap();
    assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("mixed")));
    let types: Vec<String> = mail
        .parts
        .iter()
        .map(|p| {
            let ct = p.content_type().unwrap();
            format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default())
        })
        .collect();
    assert_eq!(
        types,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/calendar",
            "application/ics"
        ]
    );
    let calendar_part = &mail.parts[3];
    let ct = calendar_part.content_type().unwrap();
    assert_eq!(ct.attribute("method"), Some("REQUEST"));
    assert_eq!(ct.attribute("charset"), Some("utf-8"));
    let calendar = calendar_part.text_contents().unwrap();
    assert!(calendar.contains("METHOD:REQUEST") && calendar.contains("SUMMARY:Réunion budget"));
    assert_eq!(mail.parts[4].attachment_name(), Some("invite.ics"));
    assert_eq!(mail.parts[4].contents(), calendar.as_bytes());

    let text = mail.parts[2].text_contents().unwrap();
    assert!(
        text.contains("Alice Martin <alice@example.com> has invited you to \"Réunion budget\""),
        "{text}"
    );
    assert!(
        text.contains("When: Mon 8 Jan 2024 10:00 (Europe/Paris) – Mon 8 Jan 2024 11:00 (Europe/Paris)"),
        "{text}"
    );
    assert!(
        text.contains("Where: Salle 4") && text.contains("Bring the numbers."),
        "{text}"
    );

    // What arrives is the message that was sent.
    let incoming = parse_incoming(&raw).unwrap();
    assert_eq!(incoming.from, "alice@example.com");
    assert_eq!(incoming.message.method, Method::Request);
    assert_eq!(incoming.message.uid(), "imip-1");
    let copy = deliver(&incoming.message, "bob@elsewhere.org", None).unwrap();
    assert!(matches!(copy, Delivered::Store { created: true, .. }));
}

#[test]
fn subjects_say_what_happened() {
    let original = event("");
    let moved = CalendarObject::parse(
        original
            .to_ical_string()
            .replace("20240108T100000", "20240108T140000")
            .as_bytes(),
    )
    .unwrap();
    let update = organizer_changes(Some(&original), Some(&moved), NOW)
        .unwrap()
        .messages
        .remove(0);
    assert_eq!(subject(&update), "Updated invitation: Réunion budget");
    let cancel = organizer_changes(Some(&original), None, NOW)
        .unwrap()
        .messages
        .remove(0);
    assert_eq!(subject(&cancel), "Cancelled: Réunion budget");

    let bobs = match deliver(&invitation(), "bob@elsewhere.org", None).unwrap() {
        Delivered::Store { object, .. } => object,
        other => panic!("{other:?}"),
    };
    for (status, word) in [
        ("ACCEPTED", "Accepted"),
        ("DECLINED", "Declined"),
        ("TENTATIVE", "Tentatively accepted"),
    ] {
        let answered = CalendarObject::parse(
            bobs.to_ical_string()
                .replace("PARTSTAT=NEEDS-ACTION", &format!("PARTSTAT={status}"))
                .as_bytes(),
        )
        .unwrap();
        let reply = attendee_reply(Some(&bobs), Some(&answered), "bob@elsewhere.org", NOW)
            .unwrap()
            .unwrap();
        assert_eq!(subject(&reply), format!("{word}: Réunion budget"));
    }
}

/// Bob's answer, composed as his server would and read back by Alice's.
fn bobs_reply_email(from: &str) -> Vec<u8> {
    let bobs = match deliver(&invitation(), "bob@elsewhere.org", None).unwrap() {
        Delivered::Store { object, .. } => object,
        other => panic!("{other:?}"),
    };
    let accepted = CalendarObject::parse(
        bobs.to_ical_string()
            .replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED")
            .as_bytes(),
    )
    .unwrap();
    let reply = attendee_reply(Some(&bobs), Some(&accepted), "bob@elsewhere.org", NOW)
        .unwrap()
        .unwrap();
    compose(&reply, &headers(from, "alice@example.com"))
}

#[test]
fn a_reply_from_the_attendee_is_accepted_and_applied() {
    let incoming = parse_incoming(&bobs_reply_email("Bob@Elsewhere.org")).unwrap();
    assert_eq!(incoming.from, "bob@elsewhere.org");
    assert_eq!(incoming.message.method, Method::Reply);
    let organizers = match deliver(&incoming.message, "alice@example.com", Some(&event(""))).unwrap() {
        Delivered::Store { object, .. } => object,
        other => panic!("{other:?}"),
    };
    assert!(organizers.to_ical_string().contains("PARTSTAT=ACCEPTED"));
}

#[test]
fn a_reply_from_someone_else_is_refused() {
    let err = parse_incoming(&bobs_reply_email("mallory@evil.example")).unwrap_err();
    assert_eq!(
        err,
        ImipError::SenderMismatch {
            from: "mallory@evil.example".into(),
            expected: "bob@elsewhere.org".into(),
            method: Method::Reply,
        }
    );
}

#[test]
fn sent_by_may_send_for_the_organizer() {
    let event = event(";SENT-BY=\"mailto:assistant@example.com\"");
    let request = organizer_changes(None, Some(&event), NOW)
        .unwrap()
        .messages
        .remove(0);
    let raw = compose(&request, &headers("assistant@example.com", "bob@elsewhere.org"));
    assert_eq!(parse_incoming(&raw).unwrap().from, "assistant@example.com");
    let raw = compose(&request, &headers("bob@elsewhere.org", "bob@elsewhere.org"));
    assert!(matches!(
        parse_incoming(&raw),
        Err(ImipError::SenderMismatch { .. })
    ));
}

/// An email as a client writes it by hand: `calendar` in a part of `content_type`.
fn client_email(from: &str, content_type: &str, calendar: &str) -> Vec<u8> {
    format!(
        "From: <{from}>\r\nTo: alice@example.com\r\nSubject: Accepted: x\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nBob has accepted.\r\n\
         --b1\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{calendar}\r\n--b1--\r\n"
    )
    .into_bytes()
}

fn reply_calendar() -> String {
    calendar_text(
        "METHOD:REPLY\nBEGIN:VEVENT\nUID:imip-1\nDTSTAMP:20240102T000000Z\nSEQUENCE:0\n\
         DTSTART;TZID=Europe/Paris:20240108T100000\nORGANIZER:mailto:alice@example.com\n\
         ATTENDEE;PARTSTAT=DECLINED:mailto:bob@elsewhere.org\nEND:VEVENT",
    )
}

#[test]
fn client_written_emails_are_read() {
    let raw = client_email(
        "bob@elsewhere.org",
        "text/calendar; charset=UTF-8; method=REPLY",
        &reply_calendar(),
    );
    let incoming = parse_incoming(&raw).unwrap();
    assert_eq!(incoming.message.method, Method::Reply);
    // An attachment only, without the method parameter.
    let raw = client_email(
        "bob@elsewhere.org",
        "application/ics; name=invite.ics",
        &reply_calendar(),
    );
    assert_eq!(parse_incoming(&raw).unwrap().message.method, Method::Reply);
}

#[test]
fn emails_that_are_not_imip_are_refused() {
    let raw = client_email(
        "bob@elsewhere.org",
        "text/calendar; method=REQUEST",
        &reply_calendar(),
    );
    assert!(matches!(
        parse_incoming(&raw),
        Err(ImipError::MethodMismatch {
            actual: Method::Reply,
            ..
        })
    ));
    let raw = client_email("bob@elsewhere.org", "text/html", "<p>hi</p>");
    assert_eq!(parse_incoming(&raw).unwrap_err(), ImipError::NoCalendar);
    let raw = client_email(
        "bob@elsewhere.org",
        "text/calendar",
        "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
    );
    assert!(matches!(parse_incoming(&raw), Err(ImipError::Itip(_))));
    assert_eq!(
        parse_incoming(&vec![b'a'; MAX_IMIP_BYTES + 1]).unwrap_err(),
        ImipError::TooLarge
    );
}

#[test]
fn message_ids_are_fresh() {
    let a = new_message_id("example.com");
    assert!(a.ends_with("@example.com") && a.starts_with("imip."));
    assert_ne!(a, new_message_id("example.com"));
}
