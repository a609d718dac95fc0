//! iMIP (RFC 6047) as the scheduling deliveries need it until `malt_calendar::imip` lands: an
//! iTIP message as an email, and the iTIP message of an incoming email, its sender checked.
//!
//! Writing: one `text/calendar; method=...; charset=utf-8` body (RFC 6047 §2.4: the `method`
//! parameter equals the METHOD inside), base64 so that any line length and UTF-8 pass any
//! relay; From is the iTIP sender (RFC 6047 §3: the organiser for REQUEST and CANCEL, the
//! attendee for REPLY), the subject says what it is.
//!
//! Reading: the first `text/calendar` part among at most [`MAX_PARTS`] of a message of at most
//! [`MAX_IMIP_BYTES`]; refused when its `method` parameter differs from its METHOD, or when the
//! email's From is not the iTIP sender (RFC 6047 §3). Whether the From is genuine is the
//! delivery pipeline's word (DMARC).

use base64::Engine as _;
use mail_parser::{MessageParser, MimeHeaders};
use malt_calendar::itip::{ItipMessage, Method, normalise_address};

use crate::compose::{encode_text, field};
use crate::delivery::rfc5322_date;
use crate::submission::new_message_id;

/// Largest email read for a calendar.
pub const MAX_IMIP_BYTES: usize = 16 * 1024 * 1024;
/// Most MIME parts looked at for the calendar.
pub const MAX_PARTS: usize = 64;

/// The subject of the email for `message`.
pub fn subject(message: &ItipMessage) -> String {
    let title = message.summary().unwrap_or("(no title)");
    let what = match message.method {
        Method::Request if message.update => "Updated invitation",
        Method::Request => "Invitation",
        Method::Cancel => "Cancelled",
        Method::Reply => match message.reply_partstat() {
            Some(calcard::icalendar::ICalendarParticipationStatus::Accepted) => "Accepted",
            Some(calcard::icalendar::ICalendarParticipationStatus::Declined) => "Declined",
            Some(calcard::icalendar::ICalendarParticipationStatus::Tentative) => "Tentative",
            _ => "Reply",
        },
        other => other.name(),
    };
    format!("{what}: {title}")
}

/// The email carrying `message` from `from` to `to`, dated `now` (see the module doc).
pub fn compose(message: &ItipMessage, from: &str, to: &str, now: i64) -> Vec<u8> {
    let domain = from.rsplit_once('@').map_or("localhost", |(_, d)| d);
    let mut out = String::new();
    field(&mut out, "From", &format!("<{from}>"));
    field(&mut out, "To", &format!("<{to}>"));
    field(&mut out, "Subject", &encode_text(&subject(message)));
    field(&mut out, "Date", &rfc5322_date(now));
    field(&mut out, "Message-ID", &new_message_id(domain, now));
    out.push_str("MIME-Version: 1.0\r\n");
    field(
        &mut out,
        "Content-Type",
        &format!("text/calendar; method={}; charset=utf-8", message.method.name()),
    );
    out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    let encoded = base64::engine::general_purpose::STANDARD.encode(message.to_ical_string());
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// A cheap first look: whether `raw` names `text/calendar` anywhere (in any case).
pub fn may_carry_calendar(raw: &[u8]) -> bool {
    raw.len() <= MAX_IMIP_BYTES && raw.windows(13).any(|w| w.eq_ignore_ascii_case(b"text/calendar"))
}

/// Why an email is not an iMIP message to apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImipError {
    #[error("larger than {MAX_IMIP_BYTES} bytes")]
    TooLarge,
    #[error("not an email")]
    NotMail,
    #[error("no text/calendar part")]
    NoCalendar,
    #[error("{0}")]
    Itip(#[from] malt_calendar::itip::ItipError),
    /// RFC 6047 §2.4: the `method` parameter must be the METHOD inside.
    #[error("Content-Type says method={declared}, the calendar says {actual}")]
    MethodMismatch { declared: String, actual: Method },
    /// RFC 6047 §3: the email comes from the calendar user who sends this method.
    #[error("sent by {from}, but the {method} is {expected}'s")]
    SenderMismatch {
        from: String,
        expected: String,
        method: Method,
    },
}

/// The iTIP message of the email `raw` (see the module doc).
pub fn parse_incoming(raw: &[u8]) -> Result<ItipMessage, ImipError> {
    if raw.len() > MAX_IMIP_BYTES {
        return Err(ImipError::TooLarge);
    }
    let mail = MessageParser::default().parse(raw).ok_or(ImipError::NotMail)?;
    let (part, declared) = mail
        .parts
        .iter()
        .take(MAX_PARTS)
        .find_map(|part| {
            let ct = part.content_type()?;
            let calendar = ct.ctype().eq_ignore_ascii_case("text")
                && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("calendar"));
            calendar.then(|| (part, ct.attribute("method").map(str::to_owned)))
        })
        .ok_or(ImipError::NoCalendar)?;
    let message = ItipMessage::parse(part.contents())?;
    if let Some(declared) = declared
        && Method::from_name(&declared) != Some(message.method)
    {
        return Err(ImipError::MethodMismatch {
            declared,
            actual: message.method,
        });
    }
    let from = mail
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(normalise_address)
        .unwrap_or_default();
    if from != message.sender {
        return Err(ImipError::SenderMismatch {
            from,
            expected: message.sender.clone(),
            method: message.method,
        });
    }
    Ok(message)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const REPLY: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REPLY\r\n\
        BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\n\
        SUMMARY:Plan ü\r\nORGANIZER:mailto:alice@x.test\r\n\
        ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@remote.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn composed_mail_reads_back() {
        let message = ItipMessage::parse(REPLY.as_bytes()).unwrap();
        let raw = compose(&message, "bob@remote.test", "alice@x.test", 0);
        let text = String::from_utf8(raw.clone()).unwrap();
        assert!(text.contains("method=REPLY"), "{text}");
        assert!(
            text.contains("Subject: =?UTF-8?B?"),
            "non-ASCII subject encoded: {text}"
        );
        assert!(may_carry_calendar(&raw));
        let back = parse_incoming(&raw).unwrap();
        assert_eq!((back.method, back.uid()), (Method::Reply, "u1"));
        assert_eq!(subject(&back), "Accepted: Plan ü");
    }

    #[test]
    fn refusals() {
        let message = ItipMessage::parse(REPLY.as_bytes()).unwrap();
        let forged = compose(&message, "mallory@remote.test", "alice@x.test", 0);
        assert!(matches!(
            parse_incoming(&forged),
            Err(ImipError::SenderMismatch { .. })
        ));
        let mismatched = String::from_utf8(compose(&message, "bob@remote.test", "alice@x.test", 0))
            .unwrap()
            .replace("method=REPLY", "method=REQUEST");
        assert!(matches!(
            parse_incoming(mismatched.as_bytes()),
            Err(ImipError::MethodMismatch { .. })
        ));
        let plain = b"From: bob@remote.test\r\nSubject: hi\r\n\r\nno calendar\r\n";
        assert!(!may_carry_calendar(plain));
        assert_eq!(parse_incoming(plain), Err(ImipError::NoCalendar));
    }
}
