//! Messages this server writes itself: auto-replies and notifications (RFC 3834: vacation, RFC
//! 5230 §5; notifications by mail, RFC 5436), reject notices (RFC 5429 §2.1, an RFC 8098 MDN,
//! formerly RFC 3798), and the header-writing helpers they share with the queue's delivery status
//! notifications (`malt-queue`'s `dsn`).
//!
//! Invariants:
//! - every header line is free of CR/LF and other controls taken from elsewhere (a script, the
//!   original message, a remote reply) and folded below 998 octets (RFC 5322 §2.1.1); non-ASCII
//!   header text is RFC 2047 encoded;
//! - every message carries `Auto-Submitted` (RFC 3834 §5: `auto-replied` for replies and reject
//!   notices, `auto-notified` for notifications, RFC 5436 §2.7), a fresh `Message-ID` and `Date`;
//!   replies carry `In-Reply-To` and `References` (RFC 3834 §3.1.5, RFC 5230 §5.8);
//! - a MIME boundary never occurs in the content it separates;
//! - line ends are CRLF throughout (a text from a script with bare LFs is converted), except
//!   inside a returned header block, which is kept as it was.
//!
//! Who sends them and to whom (the null reverse-path, never to the null sender, lists or
//! auto-submitted mail) is decided by the callers ([`crate::sieve`], [`crate::delivery`]).

use std::fmt::Write as _;

use base64::Engine as _;
use mail_parser::MessageParser;

use crate::delivery::rfc5322_date;
use crate::submission::new_message_id;

/// Largest header block returned in a report (`text/rfc822-headers`).
pub const HEADER_RETURN_MAX: usize = 64 * 1024;

/// Replaces control characters (CR, LF, TAB, …) with spaces, trims, and cuts to 900 octets.
pub fn clean(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned();
    if out.len() > 900 {
        let end = out.floor_char_boundary(900);
        out.truncate(end);
    }
    out
}

/// Writes `name: value` folded at spaces so that lines stay short (RFC 5322 §2.2.3); the value is
/// [`clean`]ed first.
pub fn field(out: &mut String, name: &str, value: &str) {
    let value = clean(value);
    let mut line_len = name.len() + 1;
    out.push_str(name);
    out.push(':');
    for word in value.split(' ').filter(|w| !w.is_empty()) {
        if line_len + 1 + word.len() > 78 && line_len > name.len() + 1 {
            out.push_str("\r\n");
            line_len = 0;
        }
        out.push(' ');
        out.push_str(word);
        line_len += 1 + word.len();
    }
    out.push_str("\r\n");
}

/// Unstructured header text (a subject) as is when it is ASCII, else as RFC 2047 `B` encoded
/// words of at most 45 octets of UTF-8 each (so each word stays under 75 characters, §2).
pub fn encode_text(text: &str) -> String {
    let text = clean(text);
    if text.is_ascii() {
        return text;
    }
    let mut words = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let mut cut = rest.floor_char_boundary(45.min(rest.len()));
        if cut == 0 {
            cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (chunk, tail) = rest.split_at_checked(cut).unwrap_or((rest, ""));
        words.push(format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(chunk)
        ));
        rest = tail;
    }
    words.join(" ")
}

/// `rfc822; a@b`, or `utf-8; a@b` for an address with non-ASCII characters (RFC 6533 §3).
pub fn typed_address(address: &str) -> String {
    if address.is_ascii() {
        format!("rfc822; {address}")
    } else {
        format!("utf-8; {address}")
    }
}

/// The header block of a message: up to and including the blank line (or all of it when there
/// is none), cut to [`HEADER_RETURN_MAX`] at a line end.
pub fn header_block(message: &[u8]) -> &[u8] {
    let end = memchr::memmem::find(message, b"\r\n\r\n")
        .map(|i| i + 4)
        .into_iter()
        .chain(memchr::memmem::find(message, b"\n\n").map(|i| i + 2))
        .min()
        .unwrap_or(message.len());
    let head = message.get(..end).unwrap_or(message);
    if head.len() <= HEADER_RETURN_MAX {
        return head;
    }
    let cut = head.get(..HEADER_RETURN_MAX).unwrap_or(head);
    match memchr::memrchr(b'\n', cut) {
        Some(i) => cut.get(..=i).unwrap_or(cut),
        None => cut,
    }
}

/// A MIME boundary `=_malt_<kind>_<random>` that occurs in none of `parts`.
fn boundary_for(kind: &str, parts: &[&[u8]]) -> String {
    loop {
        let b = format!(
            "=_malt_{kind}_{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        );
        if !parts
            .iter()
            .any(|p| memchr::memmem::find(p, b.as_bytes()).is_some())
        {
            return b;
        }
    }
}

/// `7bit` for ASCII content, else `8bit`.
pub fn transfer_encoding(content: &[u8]) -> &'static str {
    if content.is_ascii() { "7bit" } else { "8bit" }
}

/// The header of a notice from this server's mail system (a DSN, a reject notice), ending in
/// CRLF, without the content type: `From: Mail Delivery System <MAILER-DAEMON@hostname>`, `To:
/// <to>`, the subject (RFC 2047 encoded when needed), `Date`, `Message-ID`, `Auto-Submitted:
/// auto-replied` (RFC 3834 §5: nothing answers it automatically), `In-Reply-To` when given,
/// `MIME-Version`.
pub fn notice_header(
    hostname: &str,
    to: &str,
    subject: &str,
    date: i64,
    message_id: &str,
    in_reply_to: Option<&str>,
) -> String {
    let mut h = String::new();
    field(
        &mut h,
        "From",
        &format!("Mail Delivery System <MAILER-DAEMON@{hostname}>"),
    );
    field(&mut h, "To", &format!("<{to}>"));
    field(&mut h, "Subject", &encode_text(subject));
    field(&mut h, "Date", &rfc5322_date(date));
    field(&mut h, "Message-ID", message_id);
    field(&mut h, "Auto-Submitted", "auto-replied");
    if let Some(id) = in_reply_to {
        field(&mut h, "In-Reply-To", &bracketed(id));
    }
    field(&mut h, "MIME-Version", "1.0");
    h
}

/// One part of a [`multipart_report`].
#[derive(Debug, Clone, Copy)]
pub struct ReportPart<'a> {
    /// `Content-Description`, if any.
    pub description: Option<&'a str>,
    pub content_type: &'a str,
    pub content: &'a [u8],
}

/// A report (RFC 6522 `multipart/report`): `header` (complete fields ending in CRLF, without the
/// content type), then the parts in order, each with its `Content-Transfer-Encoding`, separated by
/// a boundary `=_malt_<kind>_…` that occurs in none of them. A part's content is kept as it is
/// (a line end is added when it has none at its end).
pub fn multipart_report(header: &str, report_type: &str, kind: &str, parts: &[ReportPart<'_>]) -> Vec<u8> {
    let contents: Vec<&[u8]> = parts.iter().map(|p| p.content).collect();
    let boundary = boundary_for(kind, &contents);
    let mut out = String::from(header);
    let _ = write!(
        out,
        "Content-Type: multipart/report; report-type={report_type};\r\n\tboundary=\"{boundary}\"\r\n\r\n\
         This is a MIME-encapsulated message.\r\n\r\n"
    );
    let mut out = out.into_bytes();
    for part in parts {
        let mut h = format!("--{boundary}\r\n");
        if let Some(d) = part.description {
            let _ = write!(h, "Content-Description: {d}\r\n");
        }
        let _ = write!(
            h,
            "Content-Type: {}\r\nContent-Transfer-Encoding: {}\r\n\r\n",
            part.content_type,
            transfer_encoding(part.content)
        );
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(part.content);
        if !part.content.ends_with(b"\n") {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// `text` with every line ending in CRLF (bare LF and bare CR become CRLF), ending in CRLF.
fn crlf_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
        out.push_str(line);
        out.push_str("\r\n");
    }
    if text.ends_with('\n') {
        // split() gave a last empty piece for the final line end.
        out.truncate(out.len() - 2);
    }
    out
}

/// `<id>` from a Message-ID given with or without its angle brackets.
fn bracketed(id: &str) -> String {
    let id = clean(id);
    let inner = id.trim_start_matches('<').trim_end_matches('>');
    format!("<{inner}>")
}

/// The Subject and Message-ID of a message, when it has them.
pub fn subject_and_id(message: &[u8]) -> (Option<String>, Option<String>) {
    match MessageParser::new().parse_headers(message) {
        Some(m) => (m.subject().map(str::to_owned), m.message_id().map(str::to_owned)),
        None => (None, None),
    }
}

/// The body of an [`AutoReply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyBody<'a> {
    /// Plain text (`text/plain; charset=utf-8`).
    Text(&'a str),
    /// A whole MIME entity, its own header fields first (RFC 5230 §4.8 `:mime`).
    Mime(&'a str),
}

/// An automatic reply or notification (RFC 3834).
#[derive(Debug, Clone, Copy)]
pub struct AutoReply<'a> {
    /// This server's host name (the Message-ID's domain).
    pub hostname: &'a str,
    /// Unix seconds (the Date).
    pub now: i64,
    /// `From:` as written: an address, or `Name <address>`.
    pub from: &'a str,
    /// `To:` addresses.
    pub to: &'a [String],
    pub subject: &'a str,
    /// `auto-replied` or `auto-notified` (RFC 3834 §5, RFC 5436 §2.7).
    pub auto_submitted: &'a str,
    /// The original message's Message-ID (for `In-Reply-To` and `References`).
    pub in_reply_to: Option<&'a str>,
    /// The original message's `References` field (RFC 3834 §3.1.5: kept before its Message-ID).
    pub references: Option<&'a str>,
    pub body: ReplyBody<'a>,
}

/// Builds an [`AutoReply`] (see the module docs).
pub fn auto_reply(r: &AutoReply<'_>) -> Vec<u8> {
    let mut h = String::new();
    field(&mut h, "From", r.from);
    field(&mut h, "To", &r.to.join(", "));
    field(&mut h, "Subject", &encode_text(r.subject));
    field(&mut h, "Date", &rfc5322_date(r.now));
    field(&mut h, "Message-ID", &new_message_id(r.hostname, r.now));
    field(&mut h, "Auto-Submitted", r.auto_submitted);
    if let Some(id) = r.in_reply_to {
        let id = bracketed(id);
        field(&mut h, "In-Reply-To", &id);
        let references = match r.references {
            Some(refs) if !refs.trim().is_empty() => format!("{} {id}", clean(refs)),
            _ => id,
        };
        field(&mut h, "References", &references);
    }
    field(&mut h, "MIME-Version", "1.0");
    match r.body {
        ReplyBody::Text(text) => {
            let text = crlf_lines(text);
            field(&mut h, "Content-Type", "text/plain; charset=utf-8");
            field(
                &mut h,
                "Content-Transfer-Encoding",
                transfer_encoding(text.as_bytes()),
            );
            h.push_str("\r\n");
            h.push_str(&text);
        }
        ReplyBody::Mime(entity) => {
            let entity = crlf_lines(entity);
            // The entity's own header fields follow ours; a missing blank line is its own.
            h.push_str(&entity);
        }
    }
    h.into_bytes()
}

/// A reject notice (RFC 5429 §2.1): what was refused, for whom and why.
#[derive(Debug, Clone, Copy)]
pub struct RejectNotice<'a> {
    pub hostname: &'a str,
    pub now: i64,
    /// The original envelope sender: the notice's recipient.
    pub to: &'a str,
    /// The recipient whose script refused the message.
    pub recipient: &'a str,
    /// The script's reason.
    pub reason: &'a str,
    /// The original message (its header block is returned).
    pub original: &'a [u8],
}

/// Builds a reject notice as an MDN (RFC 8098 §3, RFC 6522 `multipart/report;
/// report-type=disposition-notification`): a text part with the reason, the
/// `message/disposition-notification` part (`Disposition: automatic-action/MDN-sent-automatically;
/// deleted`, RFC 5429 §2.1), and the original header block (`text/rfc822-headers`; the body is
/// not returned: a reject notice may go to a forged sender, so it carries as little as possible).
pub fn reject_notice(n: &RejectNotice<'_>) -> Vec<u8> {
    let (subject, message_id) = subject_and_id(n.original);
    let returned = header_block(n.original);
    let reason = crlf_lines(n.reason);
    let mut text = String::new();
    let _ = write!(
        text,
        "Your message to <{}> was automatically rejected:\r\n\r\n{reason}",
        clean(n.recipient)
    );
    let mut report = String::new();
    field(&mut report, "Reporting-UA", &format!("{}; Malt", n.hostname));
    field(&mut report, "Final-Recipient", &typed_address(n.recipient));
    if let Some(id) = &message_id {
        field(&mut report, "Original-Message-ID", &bracketed(id));
    }
    field(
        &mut report,
        "Disposition",
        "automatic-action/MDN-sent-automatically; deleted",
    );
    let subject = format!("Rejected: {}", subject.as_deref().unwrap_or("your message"));
    let h = notice_header(
        n.hostname,
        n.to,
        &subject,
        n.now,
        &new_message_id(n.hostname, n.now),
        message_id.as_deref(),
    );
    let part = |content_type, content| ReportPart {
        description: None,
        content_type,
        content,
    };
    multipart_report(
        &h,
        "disposition-notification",
        "mdn",
        &[
            part("text/plain; charset=utf-8", text.as_bytes()),
            part("message/disposition-notification", report.as_bytes()),
            part("text/rfc822-headers", returned),
        ],
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn header_blocks() {
        assert_eq!(
            header_block(b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\n"),
            b"A: 1\r\nB: 2\r\n\r\n"
        );
        assert_eq!(header_block(b"A: 1\n\nbody"), b"A: 1\n\n");
        assert_eq!(header_block(b"A: 1\r\n"), b"A: 1\r\n");
        let big: Vec<u8> = b"X: 0123456789\r\n".repeat(10_000);
        let h = header_block(&big);
        assert!(h.len() <= HEADER_RETURN_MAX && h.ends_with(b"\r\n"));
    }

    #[test]
    fn fields_are_folded_and_clean() {
        let mut s = String::new();
        field(
            &mut s,
            "Diagnostic-Code",
            &format!("smtp; 550 {}\r\nInjected: yes", "word ".repeat(100)),
        );
        assert!(s.lines().all(|l| l.len() <= 80), "{s}");
        assert!(!s.contains("\r\nInjected"), "{s}");
        let mut s = String::new();
        field(&mut s, "X", &"a".repeat(5000));
        assert!(s.lines().all(|l| l.len() < 998));
    }

    #[test]
    fn encoded_words() {
        assert_eq!(encode_text("Auto: hello"), "Auto: hello");
        let e = encode_text("Auto: Grüße aus München, wie geht es euch allen heute Abend?");
        assert!(e.is_ascii() && e.starts_with("=?UTF-8?B?"), "{e}");
        assert!(e.split(' ').all(|w| w.len() <= 75), "{e}");
        let decoded: String = e
            .split(' ')
            .map(|w| {
                let b64 = w.trim_start_matches("=?UTF-8?B?").trim_end_matches("?=");
                let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
                String::from_utf8(bytes).unwrap()
            })
            .collect();
        assert_eq!(
            decoded,
            "Auto: Grüße aus München, wie geht es euch allen heute Abend?"
        );
    }

    #[test]
    fn an_auto_reply_has_the_rfc_3834_fields() {
        let to = vec!["alice@origin.example".to_owned()];
        let raw = auto_reply(&AutoReply {
            hostname: "mail.test",
            now: 0,
            from: "Bob <bob@mail.test>",
            to: &to,
            subject: "Auto: hi\r\nBcc: victim@x",
            auto_submitted: "auto-replied",
            in_reply_to: Some("m1@origin.example"),
            references: Some("<m0@origin.example>"),
            body: ReplyBody::Text("Away.\nBack on Monday.\n"),
        });
        let text = String::from_utf8(raw).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("From: Bob <bob@mail.test>\r\n"), "{head}");
        assert!(head.contains("To: alice@origin.example\r\n"));
        assert!(head.contains("Subject: Auto: hi Bcc: victim@x\r\n"), "{head}");
        assert!(!head.contains("\r\nBcc"));
        assert!(head.contains("Auto-Submitted: auto-replied\r\n"));
        assert!(head.contains("In-Reply-To: <m1@origin.example>\r\n"));
        assert!(head.contains("References: <m0@origin.example> <m1@origin.example>\r\n"));
        assert!(head.contains("Date: Thu, 1 Jan 1970 00:00:00 +0000\r\n"));
        assert!(head.contains("Message-ID: <0."), "{head}");
        assert!(head.contains("Content-Type: text/plain; charset=utf-8\r\n"));
        assert_eq!(body, "Away.\r\nBack on Monday.\r\n");

        let mime = auto_reply(&AutoReply {
            hostname: "mail.test",
            now: 0,
            from: "bob@mail.test",
            to: &to,
            subject: "Away",
            auto_submitted: "auto-notified",
            in_reply_to: None,
            references: None,
            body: ReplyBody::Mime("Content-Type: text/html\n\n<p>Away</p>"),
        });
        let text = String::from_utf8(mime).unwrap();
        assert!(
            text.contains("MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<p>Away</p>\r\n"),
            "{text}"
        );
        assert!(text.contains("Auto-Submitted: auto-notified\r\n"));
        assert!(!text.contains("In-Reply-To"));
    }

    #[test]
    fn a_reject_notice_is_an_mdn() {
        let original = b"From: a@origin.example\r\nSubject: Buy now\r\nMessage-ID: <m9@origin.example>\r\n\r\nSecret body\r\n";
        let raw = reject_notice(&RejectNotice {
            hostname: "mail.test",
            now: 0,
            to: "a@origin.example",
            recipient: "bob@mail.test",
            reason: "I don't want it.\nGo away.",
            original,
        });
        let text = String::from_utf8(raw).unwrap();
        assert!(text.contains("To: <a@origin.example>\r\n"));
        assert!(text.contains("Subject: Rejected: Buy now\r\n"));
        assert!(text.contains("Auto-Submitted: auto-replied\r\n"));
        assert!(text.contains("report-type=disposition-notification"));
        assert!(text.contains("I don't want it.\r\nGo away."), "{text}");
        assert!(text.contains("Final-Recipient: rfc822; bob@mail.test\r\n"));
        assert!(text.contains("Original-Message-ID: <m9@origin.example>\r\n"));
        assert!(text.contains("Disposition: automatic-action/MDN-sent-automatically; deleted\r\n"));
        assert!(text.contains("Content-Type: text/rfc822-headers\r\n"));
        assert!(text.contains("Subject: Buy now\r\nMessage-ID: <m9@origin.example>\r\n\r\n"));
        assert!(!text.contains("Secret body"), "the body is not returned");
        let boundary = text
            .split("boundary=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(text.matches(&format!("--{boundary}")).count(), 4);
        assert!(
            text.contains(&format!("Go away.\r\n\r\n--{boundary}\r\n")),
            "{text}"
        );
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
