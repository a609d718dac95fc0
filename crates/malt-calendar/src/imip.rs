//! iMIP (RFC 6047): iTIP messages carried by email, for calendar users who are not on this
//! server. No I/O: [`compose`] gives the bytes to hand to the outbound queue, [`parse_incoming`]
//! reads a delivered message.
//!
//! An outgoing message is laid out as common clients (Google, Outlook, Apple) lay theirs:
//!
//! ```text
//! multipart/mixed
//!   multipart/alternative
//!     text/plain; charset=utf-8            a summary for people without a calendar client
//!     text/calendar; charset=utf-8; method=REQUEST
//!   application/ics; name=invite.ics       the same calendar, as an attachment
//! ```
//!
//! The `method` parameter equals the METHOD inside (RFC 6047 §2.4); the subject says what the
//! message is ("Invitation: ...", "Updated invitation: ...", "Cancelled: ...", "Accepted:
//! ..."). `Auto-Submitted` is not set: each message follows a user's action, and automatic
//! responders ignore mail marked so (RFC 3834 §2) while an invitation may need their answer; a
//! free-busy REPLY, which the server makes alone, is `auto-replied`.
//!
//! Reading (RFC 6047 §3): the first `text/calendar` part whose `method` parameter, if any,
//! matches its METHOD (else an `application/ics` part) is the iTIP message; the message's
//! sender (`From`, or `Sender`) must be the one who sends that method — the ORGANIZER for a
//! REQUEST or CANCEL, the answering ATTENDEE for a REPLY — or the SENT-BY of that property.
//! Whether the mail really comes from that address (SPF, DKIM, DMARC) is the delivery
//! pipeline's to say, before applying anything.
//!
//! Limits: messages over [`MAX_IMIP_BYTES`] are refused, at most [`MAX_PARTS`] parts are looked
//! at; the calendar itself has [`crate::CalendarObject::parse`]'s limits.

use std::fmt::Write as _;

use calcard::icalendar::{ICalendarComponent, ICalendarParameterName, ICalendarProperty};
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;
use mail_parser::{MessageParser, MimeHeaders};
use rand::Rng;

use crate::itip::parts::{entry_address, organizer};
use crate::itip::{ItipError, ItipMessage, Method, normalise_address};
use crate::object::{ComponentKind, text_property};
use crate::when::{When, tzid};

/// Largest email [`parse_incoming`] reads.
pub const MAX_IMIP_BYTES: usize = 16 * 1024 * 1024;
/// Most MIME parts looked at for the calendar.
pub const MAX_PARTS: usize = 64;

/// A name and an address for a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: Option<String>,
    pub address: String,
}

/// The headers of an outgoing iMIP message that the caller decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImipHeaders {
    pub from: Party,
    pub to: Party,
    /// Without angle brackets, e.g. from [`new_message_id`].
    pub message_id: String,
    /// Unix seconds.
    pub date: i64,
}

/// A fresh Message-ID (RFC 5322 §3.6.4) in `domain`, without angle brackets.
pub fn new_message_id(domain: &str) -> String {
    let random: u128 = rand::thread_rng().r#gen();
    format!("imip.{random:032x}@{domain}")
}

/// The email for `message` (see the module doc for its layout).
pub fn compose(message: &ItipMessage, headers: &ImipHeaders) -> Vec<u8> {
    let calendar = message.to_ical_string();
    let method = message.method.name();
    let text = summary_text(message);
    let party = |p: &Party| Address::new_address(p.name.clone(), p.address.clone());
    let alternative = MimePart::new(
        "multipart/alternative",
        vec![
            MimePart::new("text/plain", text),
            MimePart::new(
                ContentType::new("text/calendar")
                    .attribute("charset", "utf-8")
                    .attribute("method", method),
                calendar.clone(),
            ),
        ],
    );
    let attachment = MimePart::new(
        ContentType::new("application/ics").attribute("name", "invite.ics"),
        calendar.into_bytes(),
    )
    .attachment("invite.ics");
    let mut builder = MessageBuilder::new()
        .from(party(&headers.from))
        .to(party(&headers.to))
        .subject(subject(message))
        .message_id(headers.message_id.clone())
        .date(headers.date)
        .body(MimePart::new("multipart/mixed", vec![alternative, attachment]));
    if message.kind() == ComponentKind::FreeBusy && message.method == Method::Reply {
        builder = builder.header("Auto-Submitted", Raw::new("auto-replied"));
    }
    // Writing to a Vec cannot fail.
    builder.write_to_vec().unwrap_or_default()
}

/// The subject of the email for `message`.
pub fn subject(message: &ItipMessage) -> String {
    let title = message.summary().unwrap_or("(no title)");
    let prefix = match message.method {
        Method::Request if message.kind() == ComponentKind::FreeBusy => "Free/busy request",
        Method::Request if message.update => "Updated invitation",
        Method::Request => "Invitation",
        Method::Cancel => "Cancelled",
        Method::Reply if message.kind() == ComponentKind::FreeBusy => "Free/busy",
        Method::Reply => reply_word(message),
        Method::Counter => "New time proposed",
        Method::DeclineCounter => "Proposal declined",
        Method::Refresh => "Refresh requested",
        Method::Publish | Method::Add => "Event",
    };
    format!("{prefix}: {title}")
}

fn reply_word(message: &ItipMessage) -> &'static str {
    use calcard::icalendar::ICalendarParticipationStatus as P;
    match message.reply_partstat() {
        Some(P::Accepted) => "Accepted",
        Some(P::Declined) => "Declined",
        Some(P::Tentative) => "Tentatively accepted",
        Some(P::Delegated) => "Delegated",
        _ => "Reply",
    }
}

/// The text/plain part: who, what, when, where, and the description.
pub fn summary_text(message: &ItipMessage) -> String {
    let object = message.object();
    let ical = object.calendar();
    let first = object.members().first().and_then(|&i| ical.components.get(i));
    let title = message.summary().unwrap_or("(no title)");
    let mut out = String::new();
    let who = first
        .and_then(|c| display_name(c, &message.sender))
        .unwrap_or_else(|| message.sender.clone());
    let _ = match message.method {
        Method::Request if message.update => writeln!(out, "{who} has updated \"{title}\"."),
        Method::Request => writeln!(out, "{who} has invited you to \"{title}\"."),
        Method::Cancel => writeln!(out, "{who} has cancelled \"{title}\"."),
        Method::Reply => writeln!(out, "{who}: {} \"{title}\".", reply_word(message).to_lowercase()),
        other => writeln!(out, "{who} sent a calendar {} for \"{title}\".", other.name()),
    };
    if let Some(component) = first {
        out.push('\n');
        let zones = ical.build_tz_resolver();
        let when = |name: ICalendarProperty| component.property(&name).and_then(|e| describe_time(e, &zones));
        if let Some(start) = when(ICalendarProperty::Dtstart) {
            let _ = match when(ICalendarProperty::Dtend).or_else(|| when(ICalendarProperty::Due)) {
                Some(end) => writeln!(out, "When: {start} – {end}"),
                None => writeln!(out, "When: {start}"),
            };
        }
        if component.property(&ICalendarProperty::Rrule).is_some() {
            out.push_str("Repeats: yes\n");
        }
        if let Some(location) = text_property(component, &ICalendarProperty::Location) {
            let _ = writeln!(out, "Where: {location}");
        }
        if let Some(entry) = organizer(component)
            && let Some(address) = entry_address(entry)
        {
            let _ = writeln!(
                out,
                "Organizer: {}",
                display_name(component, &address).unwrap_or(address)
            );
        }
        if let Some(description) = text_property(component, &ICalendarProperty::Description) {
            let _ = writeln!(out, "\n{description}");
        }
    }
    out
}

/// The CN of the ATTENDEE or ORGANIZER with `address`, as "Name <address>".
fn display_name(component: &ICalendarComponent, address: &str) -> Option<String> {
    component
        .entries
        .iter()
        .filter(|e| matches!(e.name, ICalendarProperty::Attendee | ICalendarProperty::Organizer))
        .find(|e| entry_address(e).as_deref() == Some(address))
        .and_then(|e| e.parameter(&ICalendarParameterName::Cn))
        .and_then(|cn| cn.as_text())
        .map(|cn| format!("{cn} <{address}>"))
}

/// A date or time as people read it: "Mon 8 Jan 2024", "Mon 8 Jan 2024 10:00 (Europe/Paris)",
/// "Mon 8 Jan 2024 09:00 UTC".
fn describe_time(
    entry: &calcard::icalendar::ICalendarEntry,
    zones: &calcard::icalendar::timezone::TzResolver<&str>,
) -> Option<String> {
    let when = When::of_entry(entry, zones)?;
    let local = when.local;
    if when.is_date {
        return Some(local.format("%a %-d %b %Y").to_string());
    }
    let time = local.format("%a %-d %b %Y %H:%M");
    Some(match tzid(entry) {
        Some(zone) => format!("{time} ({zone})"),
        None if when.zone == crate::Tz::UTC => format!("{time} UTC"),
        None => time.to_string(),
    })
}

/// Why an incoming email is not an iMIP message to apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImipError {
    #[error("larger than {MAX_IMIP_BYTES} bytes")]
    TooLarge,
    #[error("not an email")]
    NotMail,
    #[error("no text/calendar part")]
    NoCalendar,
    /// The calendar part is not a valid iTIP message.
    #[error("{0}")]
    Itip(#[from] ItipError),
    /// The `method` parameter differs from the METHOD inside (RFC 6047 §2.4).
    #[error("Content-Type says method={declared}, the calendar says {actual}")]
    MethodMismatch { declared: String, actual: Method },
    /// The email's sender is not the calendar user who sends this method (RFC 6047 §3).
    #[error("sent by {from}, but the {method} is {expected}'s")]
    SenderMismatch {
        from: String,
        expected: String,
        method: Method,
    },
}

/// An iTIP message read from an email, its sender checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub message: ItipMessage,
    /// The email's sender address (From, or Sender when that one matched), normalised.
    pub from: String,
}

/// Reads an email as iMIP (see the module doc).
pub fn parse_incoming(raw: &[u8]) -> Result<Incoming, ImipError> {
    if raw.len() > MAX_IMIP_BYTES {
        return Err(ImipError::TooLarge);
    }
    let mail = MessageParser::default().parse(raw).ok_or(ImipError::NotMail)?;
    let mut fallback = None;
    let mut found = None;
    for part in mail.parts.iter().take(MAX_PARTS) {
        let Some(content_type) = part.content_type() else {
            continue;
        };
        let subtype = content_type.subtype().unwrap_or_default();
        let ctype = content_type.ctype();
        if ctype.eq_ignore_ascii_case("text") && subtype.eq_ignore_ascii_case("calendar") {
            found = Some((part, content_type.attribute("method").map(str::to_owned)));
            break;
        }
        if fallback.is_none()
            && ctype.eq_ignore_ascii_case("application")
            && subtype.eq_ignore_ascii_case("ics")
        {
            fallback = Some((part, None));
        }
    }
    let (part, declared) = found.or(fallback).ok_or(ImipError::NoCalendar)?;
    let message = ItipMessage::parse(part.contents())?;
    if let Some(declared) = declared
        && Method::from_name(&declared) != Some(message.method)
    {
        return Err(ImipError::MethodMismatch {
            declared,
            actual: message.method,
        });
    }
    let allowed = allowed_senders(&message);
    let candidates: Vec<String> = [mail.from(), mail.sender()]
        .into_iter()
        .flatten()
        .filter_map(|a| a.first().and_then(|a| a.address()))
        .map(normalise_address)
        .collect();
    match candidates.iter().find(|c| allowed.contains(c)) {
        Some(from) => Ok(Incoming {
            from: from.clone(),
            message,
        }),
        None => Err(ImipError::SenderMismatch {
            from: candidates.first().cloned().unwrap_or_default(),
            expected: message.sender.clone(),
            method: message.method,
        }),
    }
}

/// Who may send `message` by email: its iTIP sender and the SENT-BY of that sender's property
/// (RFC 5545 §3.2.18), in every member.
fn allowed_senders(message: &ItipMessage) -> Vec<String> {
    let property = if message.method.from_attendee() {
        ICalendarProperty::Attendee
    } else {
        ICalendarProperty::Organizer
    };
    let object = message.object();
    let ical = object.calendar();
    let mut allowed = vec![message.sender.clone()];
    for component in object.members().iter().filter_map(|&i| ical.components.get(i)) {
        for entry in component
            .properties(&property)
            .filter(|e| entry_address(e).as_deref() == Some(message.sender.as_str()))
        {
            if let Some(sent_by) = entry
                .parameter(&ICalendarParameterName::SentBy)
                .and_then(|v| v.as_text())
            {
                allowed.push(normalise_address(sent_by));
            }
        }
    }
    allowed
}
