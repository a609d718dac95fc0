//! What a message submission agent does to a message's header (RFC 6409 §8), and the header
//! addresses its sender check reads.
//!
//! - [`add_missing_fields`]: `Date:` (RFC 6409 §8.2) and `Message-ID: <random@hostname>`
//!   (RFC 6409 §8.3) when the message has none;
//! - [`replace_sender`]: every `Sender:` field removed, one `Sender: <address>` added (RFC 6409 §8.1,
//!   RFC 5322 §3.6.2: the mailbox of the agent responsible for the transmission);
//! - [`header_addresses`]: the addresses of the `From:` (or `Sender:`) fields, parsed by mail-parser
//!   (groups, comments, quoted local parts, encoded display names).
//!
//! Invariants: the message is kept exactly as sent except for the fields added or removed, which are
//! inserted textually at the end of the header block (before the blank line), with CRLF line ends;
//! a message whose header block is not terminated (no blank line, no body) gets its fields at the
//! end. The header block ends at the first empty line or at the first line that is neither a field
//! nor a continuation line (as `crate::ingest` reads it). Nothing here panics on any input.

use std::fmt::Write as _;

use mail_parser::{HeaderName, HeaderValue, MessageParser};

use crate::delivery::rfc5322_date;
use crate::header::scan;

/// `raw` with `lines` (complete header lines, each ending in CRLF) inserted at the end of its
/// header block, after removing the byte ranges in `remove` (sorted, not overlapping).
fn rebuild(raw: &[u8], remove: &[(usize, usize)], end: usize, lines: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + lines.len() + 2);
    let mut at = 0;
    for &(start, stop) in remove {
        out.extend_from_slice(raw.get(at..start).unwrap_or_default());
        at = stop;
    }
    out.extend_from_slice(raw.get(at..end).unwrap_or_default());
    // A header block that ends without a line end (the message is one unterminated line).
    if end > 0 && end == raw.len() && !raw.ends_with(b"\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(lines.as_bytes());
    out.extend_from_slice(raw.get(end..).unwrap_or_default());
    out
}

/// A new Message-ID (RFC 5322 §3.6.4): `<time.random@hostname>`.
pub fn new_message_id(hostname: &str, now: i64) -> String {
    format!(
        "<{now:x}.{:032x}@{hostname}>",
        rand::random::<u128>(),
        hostname = hostname.trim()
    )
}

/// RFC 6409 §8.2 and §8.3: adds `Date:` (`now`, Unix seconds) and `Message-ID:` (on `hostname`)
/// when the message has no such field; otherwise returns it unchanged.
pub fn add_missing_fields(raw: &[u8], hostname: &str, now: i64) -> Vec<u8> {
    let (fields, end) = scan(raw);
    let has = |n: &str| fields.iter().any(|f| f.name == n);
    let mut lines = String::new();
    if !has("date") {
        let _ = write!(lines, "Date: {}\r\n", rfc5322_date(now));
    }
    if !has("message-id") {
        let _ = write!(lines, "Message-ID: {}\r\n", new_message_id(hostname, now));
    }
    if lines.is_empty() {
        return raw.to_vec();
    }
    rebuild(raw, &[], end, &lines)
}

/// Removes every `Sender:` field and adds `Sender: <address>` (RFC 5322 §3.6.2).
pub fn replace_sender(raw: &[u8], address: &str) -> Vec<u8> {
    let (fields, end) = scan(raw);
    let remove: Vec<(usize, usize)> = fields
        .iter()
        .filter(|f| f.name == "sender")
        .map(|f| (f.start, f.end))
        .collect();
    let clean: String = address.chars().filter(|c| !c.is_control()).collect();
    rebuild(raw, &remove, end, &format!("Sender: <{clean}>\r\n"))
}

/// The addresses (`local@domain`, as written) of every `From:` field (`sender = false`) or
/// `Sender:` field (`sender = true`). `None` when there is no such field; an empty list when there
/// is one but no address could be read from it.
pub fn header_addresses(raw: &[u8], sender: bool) -> Option<Vec<String>> {
    let (fields, end) = scan(raw);
    let wanted = if sender { "sender" } else { "from" };
    if !fields.iter().any(|f| f.name == wanted) {
        return None;
    }
    // mail-parser wants the blank line that ends a header block.
    let mut block = raw.get(..end).unwrap_or_default().to_vec();
    if !block.is_empty() && !block.ends_with(b"\n") {
        block.extend_from_slice(b"\r\n");
    }
    block.extend_from_slice(b"\r\n");
    let name = if sender {
        HeaderName::Sender
    } else {
        HeaderName::From
    };
    let mut out = Vec::new();
    if let Some(message) = MessageParser::default().parse_headers(&block)
        && let Some(part) = message.parts.first()
    {
        for h in part.headers.iter().filter(|h| h.name == name) {
            if let HeaderValue::Address(a) = &h.value {
                out.extend(
                    a.iter()
                        .filter_map(|addr| addr.address.as_deref())
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned),
                );
            }
        }
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_931_412;

    #[test]
    fn adds_date_and_message_id_at_the_end_of_the_header() {
        let raw = b"From: a@x.org\r\nSubject: hi\r\n\r\nbody\r\n";
        let out = String::from_utf8(add_missing_fields(raw, "mail.test", NOW)).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert_eq!(body, "body\r\n");
        let lines: Vec<&str> = head.split("\r\n").collect();
        assert_eq!(lines[..2], ["From: a@x.org", "Subject: hi"]);
        assert_eq!(lines[2], "Date: Sun, 29 Nov 2026 05:50:12 +0000");
        let id = lines[3].strip_prefix("Message-ID: <").unwrap();
        assert!(id.ends_with("@mail.test>"), "{id}");
        assert_eq!(lines.len(), 4);
        // Two ids differ.
        assert_ne!(new_message_id("mail.test", NOW), new_message_id("mail.test", NOW));
    }

    #[test]
    fn keeps_present_fields_and_the_message_as_sent() {
        let raw = b"DATE: Tue, 1 Jan 2030 00:00:00 +0000\r\nmessage-id: <x@y>\r\nSubject: s\r\n\r\nb\r\n";
        assert_eq!(add_missing_fields(raw, "mail.test", NOW), raw.to_vec());
        // Only the Message-ID is missing; a folded field stays whole.
        let raw = b"Date: Tue, 1 Jan 2030 00:00:00 +0000\r\nSubject: a\r\n  folded\r\n\r\n.\r\n";
        let out = String::from_utf8(add_missing_fields(raw, "h", NOW)).unwrap();
        assert!(
            out.starts_with(
                "Date: Tue, 1 Jan 2030 00:00:00 +0000\r\nSubject: a\r\n  folded\r\nMessage-ID: <"
            )
        );
        assert!(out.ends_with("@h>\r\n\r\n.\r\n"), "{out}");
    }

    #[test]
    fn odd_header_blocks() {
        // No header at all: the fields start the message, the body follows after a blank line.
        let out = String::from_utf8(add_missing_fields(b"\r\njust a body\r\n", "h", NOW)).unwrap();
        assert!(out.starts_with("Date: "), "{out}");
        assert!(out.ends_with("@h>\r\n\r\njust a body\r\n"), "{out}");
        // A header without a body or final line end.
        let out = String::from_utf8(add_missing_fields(b"Subject: x", "h", NOW)).unwrap();
        assert!(out.starts_with("Subject: x\r\nDate: "), "{out}");
        // LF-only line ends: the blank line is found.
        let out = String::from_utf8(add_missing_fields(b"Subject: x\n\nbody\n", "h", NOW)).unwrap();
        assert!(out.starts_with("Subject: x\nDate: "), "{out}");
        assert!(out.ends_with(">\r\n\nbody\n"), "{out}");
        // A line that is not a field ends the header.
        let (fields, end) = scan(b"Subject: x\r\nnot a field\r\nTo: y\r\n");
        assert_eq!(fields.len(), 1);
        assert_eq!(end, 12);
        assert_eq!(scan(b"").1, 0);
    }

    #[test]
    fn sender_is_replaced() {
        let raw = b"From: boss@x.org\r\nSender: someone@else.org\r\n (comment)\r\nTo: t@y.org\r\nsender: again@else.org\r\n\r\nbody";
        let out = String::from_utf8(replace_sender(raw, "me@x.org")).unwrap();
        assert_eq!(
            out,
            "From: boss@x.org\r\nTo: t@y.org\r\nSender: <me@x.org>\r\n\r\nbody"
        );
        let out = String::from_utf8(replace_sender(b"From: a@b\r\n\r\n", "m\r\n@x")).unwrap();
        assert_eq!(out, "From: a@b\r\nSender: <m@x>\r\n\r\n");
    }

    #[test]
    fn from_addresses() {
        let raw = b"From: \"Boss, The\" <Boss@X.org>, other@y.org\r\nFrom: =?utf-8?q?J=C3=BCrgen?= <j@z.org>\r\nSender: s@x.org\r\n\r\nFrom: not@header.org\r\n";
        assert_eq!(
            header_addresses(raw, false).unwrap(),
            ["Boss@X.org", "other@y.org", "j@z.org"]
        );
        assert_eq!(header_addresses(raw, true).unwrap(), ["s@x.org"]);
        assert_eq!(header_addresses(b"Subject: x\r\n\r\n", false), None);
        let group = b"From: Team: a@x.org, b@x.org;\r\n\r\n";
        assert_eq!(header_addresses(group, false).unwrap(), ["a@x.org", "b@x.org"]);
        assert_eq!(
            header_addresses(b"From: nobody\r\n\r\n", false).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(header_addresses(b"From: <a@x.org>", false).unwrap(), ["a@x.org"]);
    }
}
