//! Any bytes as scheduling input: as an email (iMIP, RFC 6047), as an iTIP message delivered to
//! each of its recipients (with and without a copy), and as an organiser's object whose
//! messages are computed, read back and delivered. Never a panic; every message made parses
//! back with its method.
#![no_main]

use libfuzzer_sys::fuzz_target;
use malt_calendar::CalendarObject;
use malt_calendar::imip::parse_incoming;
use malt_calendar::itip::{ItipMessage, deliver, organizer_changes};

const NOW: i64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let _ = parse_incoming(data);
    if let Ok(message) = ItipMessage::parse(data) {
        for recipient in message.recipients.iter().take(8) {
            let _ = deliver(&message, recipient, None);
            let _ = deliver(&message, recipient, Some(message.object()));
        }
    }
    let Ok(object) = CalendarObject::parse(data) else {
        return;
    };
    let Ok(changes) = organizer_changes(None, Some(&object), NOW) else {
        return;
    };
    let stored = changes.stored.as_ref().unwrap_or(&object);
    let _ = organizer_changes(Some(stored), None, NOW);
    for message in changes.messages.iter().take(8) {
        let text = message.to_ical_string();
        let parsed = ItipMessage::parse(text.as_bytes()).expect("a message made here parses back");
        assert_eq!(parsed.method, message.method);
        for recipient in &message.recipients {
            let _ = deliver(&parsed, recipient, None);
        }
    }
});
