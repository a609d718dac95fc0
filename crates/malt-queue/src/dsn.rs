//! Delivery status notifications (RFC 3464) built as `multipart/report;
//! report-type=delivery-status` messages (RFC 6522), and the rules for when one is sent.
//!
//! A report has three parts (RFC 6522 §3): a human-readable `text/plain` explanation, the
//! `message/delivery-status` fields (per-message fields, then one block per recipient, RFC 3464
//! §2.2-2.3), and the original message (`message/rfc822`, for a failure whose sender asked
//! `RET=FULL`) or only its header (`text/rfc822-headers`, otherwise; RFC 3461 §4.3).
//!
//! Invariants:
//! - No DSN is ever generated for a message whose return path is null (RFC 3461 §6.2,
//!   RFC 5321 §4.5.5): [`wanted`] says no, whatever NOTIFY says.
//! - NOTIFY (RFC 3461 §4.1) is respected: `NEVER` → none; not given → failures and delays;
//!   otherwise exactly the listed kinds (`SUCCESS` covers `delivered` and `relayed`).
//! - The report comes from `MAILER-DAEMON@<hostname>`, is sent with the null reverse-path (the
//!   caller enqueues it so) and carries `Auto-Submitted: auto-replied` (RFC 3834 §5), so it can
//!   never cause another DSN or an auto-reply loop.
//! - Every header and field line is free of CR/LF and other controls taken from the original
//!   message or a remote reply, and folded below 998 octets (RFC 5322 §2.1.1).
//! - The MIME boundary does not occur in the returned content.
//! - A returned message is at most [`FULL_RETURN_MAX`] octets: a larger one is returned as its
//!   header only (as Postfix's `bounce_size_limit` does).
//!
//! The header-writing helpers (folding, cleaning, boundaries) are `malt_core::compose`'s, shared
//! with the reject notices and auto-replies of Sieve.

use std::fmt::Write as _;

use malt_core::compose::{
    ReportPart, clean, field, header_block, multipart_report, notice_header, typed_address,
};
use malt_core::delivery::rfc5322_date;
use malt_store::DsnNotify;

/// Largest original message returned whole (`RET=FULL`); larger ones are returned as header only.
pub const FULL_RETURN_MAX: usize = 1024 * 1024;

/// RFC 3464 §2.3.3 `Action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Could not be delivered (permanent failure or retry timeout).
    Failed,
    /// Not delivered yet, still being retried.
    Delayed,
    /// Delivered to the recipient's mailbox here.
    Delivered,
    /// Handed to a next hop that does not pass DSNs on.
    Relayed,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
            Action::Delivered => "delivered",
            Action::Relayed => "relayed",
        }
    }
}

/// Whether the sender of a message with `return_path` asked (or defaults) to be told about
/// `action` for a recipient with `notify` (RFC 3461 §4.1, §6.2).
pub fn wanted(return_path: &str, notify: Option<DsnNotify>, action: Action) -> bool {
    if return_path.is_empty() {
        return false;
    }
    match notify {
        None => matches!(action, Action::Failed | Action::Delayed),
        Some(n) if n.never => false,
        Some(n) => match action {
            Action::Failed => n.failure,
            Action::Delayed => n.delay,
            Action::Delivered | Action::Relayed => n.success,
        },
    }
}

/// One recipient's block of the report (RFC 3464 §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientReport {
    /// The address delivery was attempted to (`Final-Recipient: rfc822; …`).
    pub address: String,
    /// The RCPT `ORCPT` parameter as given (`rfc822;a@b`, xtext-encoded).
    pub orcpt: Option<String>,
    pub action: Action,
    /// RFC 3463 status code, e.g. `5.1.1`.
    pub status: String,
    /// The server that answered, when remote (`Remote-MTA: dns; …`).
    pub remote_mta: Option<String>,
    /// The SMTP reply, e.g. `550 5.1.1 no such user` (`Diagnostic-Code: smtp; …`).
    pub diagnostic: Option<String>,
    /// Unix seconds of the last attempt.
    pub last_attempt: i64,
    /// `delayed`: when the queue gives up (Unix seconds).
    pub will_retry_until: Option<i64>,
}

/// Everything a report says.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// This server's host name (`Reporting-MTA`, the `From` domain).
    pub hostname: &'a str,
    /// The original message's return path: the report's recipient.
    pub to: &'a str,
    /// RFC 3461 ENVID of the original message, as given (xtext).
    pub envid: Option<&'a str>,
    /// When the original message was queued (Unix seconds).
    pub arrival_date: i64,
    /// The report's own date (Unix seconds).
    pub date: i64,
    /// All of one kind of action (failed, delayed, …) or mixed.
    pub recipients: Vec<RecipientReport>,
    /// The original message as queued.
    pub original: &'a [u8],
    /// RET=FULL: return the whole message in a failure report.
    pub ret_full: bool,
}

/// Status code for a reply: its enhanced code (RFC 3463) when it has one that agrees with the
/// basic code's class, else `X.0.0` from the basic code, else `fallback`.
pub fn status_of(reply: &str, fallback: &str) -> String {
    let mut words = reply.split([' ', '-']).filter(|w| !w.is_empty());
    let basic = words.next().unwrap_or("");
    let class = basic.chars().next().filter(|c| matches!(c, '2' | '4' | '5'));
    let Some(class) = class.filter(|_| basic.len() == 3 && basic.bytes().all(|b| b.is_ascii_digit())) else {
        return fallback.to_owned();
    };
    if let Some(enhanced) = words.next() {
        let parts: Vec<&str> = enhanced.split('.').collect();
        let well_formed = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
        if well_formed && enhanced.starts_with(class) {
            return enhanced.to_owned();
        }
    }
    format!("{class}.0.0")
}

/// RFC 3461 §4 xtext decoding (`+XX` is the octet XX); undecodable sequences are kept as they
/// are, control characters become `?`.
pub fn xtext_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match hex.filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit())) {
            Some(h) if b == b'+' => {
                out.push(u8::from_str_radix(h, 16).unwrap_or(b'?'));
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    clean(&String::from_utf8_lossy(&out))
}

/// The ORCPT value as `type; address` (RFC 3464 §2.3.1: decoded from xtext).
fn original_recipient(orcpt: &str) -> String {
    let decoded = xtext_decode(orcpt);
    match decoded.split_once(';') {
        Some((kind, addr)) => format!("{}; {}", kind.trim(), addr.trim()),
        None => format!("rfc822; {}", decoded.trim()),
    }
}

fn subject(recipients: &[RecipientReport]) -> &'static str {
    let all = |a: Action| recipients.iter().all(|r| r.action == a);
    if all(Action::Delayed) {
        "Delayed Mail (still being retried)"
    } else if recipients
        .iter()
        .all(|r| matches!(r.action, Action::Delivered | Action::Relayed))
    {
        "Successful Mail Delivery Report"
    } else {
        "Undelivered Mail Returned to Sender"
    }
}

/// The human-readable part (RFC 6522 §3 first part).
fn explanation(r: &Report<'_>) -> String {
    let mut t = String::new();
    let _ = write!(
        t,
        "This is the mail system at host {}.\r\n\r\n",
        clean(r.hostname)
    );
    let has = |a: Action| r.recipients.iter().any(|x| x.action == a);
    if has(Action::Failed) {
        t.push_str("Your message could not be delivered to one or more recipients.\r\n");
        t.push_str("It is attached below (or its header, when it was not asked for in full).\r\n\r\n");
    }
    if has(Action::Delayed) {
        t.push_str("Your message could not be delivered yet to one or more recipients.\r\n");
        t.push_str("The mail system will keep trying; you do not need to send it again.\r\n\r\n");
    }
    if has(Action::Delivered) || has(Action::Relayed) {
        t.push_str("Your message was successfully delivered to the destination(s) listed\r\n");
        t.push_str("below, as you asked to be told.\r\n\r\n");
    }
    for rcpt in &r.recipients {
        let _ = write!(t, "<{}>: {}", clean(&rcpt.address), rcpt.action.as_str());
        if rcpt.action == Action::Failed && rcpt.status.starts_with("4.") {
            t.push_str(": retry timeout, the message was too old to retry");
        }
        if let Some(d) = &rcpt.diagnostic {
            let _ = write!(t, ": {}", clean(d));
        }
        if let Some(until) = rcpt.will_retry_until {
            let _ = write!(t, " (retried until {})", rfc5322_date(until));
        }
        t.push_str("\r\n");
    }
    t
}

/// The `message/delivery-status` body (RFC 3464 §2.1-2.3).
fn delivery_status(r: &Report<'_>) -> String {
    let mut s = String::new();
    field(&mut s, "Reporting-MTA", &format!("dns; {}", r.hostname));
    if let Some(envid) = r.envid {
        field(&mut s, "Original-Envelope-Id", &xtext_decode(envid));
    }
    field(&mut s, "Arrival-Date", &rfc5322_date(r.arrival_date));
    for rcpt in &r.recipients {
        s.push_str("\r\n");
        if let Some(orcpt) = &rcpt.orcpt {
            field(&mut s, "Original-Recipient", &original_recipient(orcpt));
        }
        field(&mut s, "Final-Recipient", &typed_address(&rcpt.address));
        field(&mut s, "Action", rcpt.action.as_str());
        field(&mut s, "Status", &rcpt.status);
        if let Some(mta) = &rcpt.remote_mta {
            field(&mut s, "Remote-MTA", &format!("dns; {mta}"));
        }
        if let Some(d) = &rcpt.diagnostic {
            field(&mut s, "Diagnostic-Code", &format!("smtp; {d}"));
        }
        field(&mut s, "Last-Attempt-Date", &rfc5322_date(rcpt.last_attempt));
        if let Some(until) = rcpt.will_retry_until {
            field(&mut s, "Will-Retry-Until", &rfc5322_date(until));
        }
    }
    s
}

/// Builds the report message (CRLF line ends throughout, except inside a returned original,
/// which is kept as it was).
pub fn build(r: &Report<'_>) -> Vec<u8> {
    let failed = r.recipients.iter().any(|x| x.action == Action::Failed);
    let full = failed && r.ret_full && r.original.len() <= FULL_RETURN_MAX;
    let returned: &[u8] = if full {
        r.original
    } else {
        header_block(r.original)
    };
    let text = explanation(r);
    let status = delivery_status(r);
    let utf8 = !status.is_ascii();

    let message_id = format!(
        "<dsn.{:016x}{:08x}@{}>",
        rand::random::<u64>(),
        r.date,
        r.hostname
    );
    let h = notice_header(
        r.hostname,
        r.to,
        subject(&r.recipients),
        r.date,
        &message_id,
        None,
    );
    multipart_report(
        &h,
        "delivery-status",
        "dsn",
        &[
            ReportPart {
                description: Some("Notification"),
                content_type: "text/plain; charset=utf-8",
                content: text.as_bytes(),
            },
            ReportPart {
                description: Some("Delivery report"),
                content_type: if utf8 {
                    "message/global-delivery-status"
                } else {
                    "message/delivery-status"
                },
                content: status.as_bytes(),
            },
            ReportPart {
                description: Some(if full {
                    "Undelivered Message"
                } else {
                    "Undelivered Message Headers"
                }),
                content_type: if full {
                    "message/rfc822"
                } else {
                    "text/rfc822-headers"
                },
                content: returned,
            },
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(success: bool, failure: bool, delay: bool, never: bool) -> Option<DsnNotify> {
        Some(DsnNotify {
            success,
            failure,
            delay,
            never,
        })
    }

    #[test]
    fn notify_rules() {
        use Action::*;
        for a in [Failed, Delayed, Delivered, Relayed] {
            assert!(!wanted("", None, a), "null sender never gets a DSN");
            assert!(!wanted("", n(true, true, true, false), a));
            assert!(!wanted("a@b", n(false, false, false, true), a), "NEVER");
        }
        assert!(wanted("a@b", None, Failed));
        assert!(wanted("a@b", None, Delayed));
        assert!(!wanted("a@b", None, Delivered));
        assert!(!wanted("a@b", None, Relayed));
        let success = n(true, false, false, false);
        assert!(wanted("a@b", success, Delivered) && wanted("a@b", success, Relayed));
        assert!(!wanted("a@b", success, Failed) && !wanted("a@b", success, Delayed));
        let failure = n(false, true, false, false);
        assert!(wanted("a@b", failure, Failed) && !wanted("a@b", failure, Delayed));
    }

    #[test]
    fn status_codes() {
        assert_eq!(status_of("550 5.1.1 no such user", "5.0.0"), "5.1.1");
        assert_eq!(status_of("550-5.7.1 first\r\n550 5.7.1 second", "5.0.0"), "5.7.1");
        assert_eq!(status_of("451 4.3.0 try later", "4.0.0"), "4.3.0");
        assert_eq!(status_of("554 transaction failed", "5.0.0"), "5.0.0");
        assert_eq!(status_of("421 service closing", "4.4.1"), "4.0.0");
        assert_eq!(status_of("550 4.1.1 inconsistent", "5.0.0"), "5.0.0");
        assert_eq!(status_of("connection refused", "4.4.1"), "4.4.1");
        assert_eq!(status_of("", "4.4.1"), "4.4.1");
        assert_eq!(status_of("5500 5.1.1", "5.0.0"), "5.0.0");
    }

    #[test]
    fn xtext() {
        assert_eq!(xtext_decode("rfc822;a+2Bb@x.org"), "rfc822;a+b@x.org");
        assert_eq!(xtext_decode("id+3D1"), "id=1");
        assert_eq!(xtext_decode("a+0D+0Ab"), "a  b");
        assert_eq!(xtext_decode("50+"), "50+");
        assert_eq!(xtext_decode("+zz"), "+zz");
        assert_eq!(original_recipient("rfc822;bob@x.org"), "rfc822; bob@x.org");
        assert_eq!(original_recipient("bob@x.org"), "rfc822; bob@x.org");
    }

    const ORIGINAL: &[u8] = b"From: Alice <alice@local.test>\r\nTo: bob@remote.test\r\nSubject: Hello\r\n\
        Message-ID: <m1@local.test>\r\n\r\nSecret body line\r\n--=_malt_dsn_fake\r\n";

    fn report(action: Action, ret_full: bool) -> Report<'static> {
        Report {
            hostname: "mail.local.test",
            to: "alice@local.test",
            envid: Some("QQ+2B123"),
            arrival_date: 1_795_931_412,
            date: 1_795_931_500,
            recipients: vec![RecipientReport {
                address: "bob@remote.test".into(),
                orcpt: Some("rfc822;Bob+2Bx@remote.test".into()),
                action,
                status: if action == Action::Failed {
                    "5.1.1".into()
                } else {
                    "4.3.0".into()
                },
                remote_mta: Some("mx.remote.test".into()),
                diagnostic: Some("550 5.1.1 <bob@remote.test>: no such user".into()),
                last_attempt: 1_795_931_499,
                will_retry_until: (action == Action::Delayed).then_some(1_796_363_412),
            }],
            original: ORIGINAL,
            ret_full,
        }
    }

    use mail_parser::MimeHeaders as _;

    fn parts(raw: &[u8]) -> (mail_parser::Message<'_>, Vec<String>) {
        let msg = mail_parser::MessageParser::default().parse(raw).unwrap();
        let types = msg
            .parts
            .iter()
            .filter_map(|p| p.content_type())
            .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")))
            .collect();
        (msg, types)
    }

    #[test]
    fn failure_report_with_headers_only() {
        let raw = build(&report(Action::Failed, false));
        let text = String::from_utf8(raw.clone()).unwrap();
        let (msg, types) = parts(&raw);
        assert_eq!(
            types,
            vec![
                "multipart/report",
                "text/plain",
                "message/delivery-status",
                "text/rfc822-headers"
            ]
        );
        let ct = msg.content_type().unwrap();
        assert_eq!(ct.attribute("report-type"), Some("delivery-status"));
        assert_eq!(
            msg.from().unwrap().first().unwrap().address(),
            Some("MAILER-DAEMON@mail.local.test")
        );
        assert_eq!(
            msg.to().unwrap().first().unwrap().address(),
            Some("alice@local.test")
        );
        assert_eq!(
            msg.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-replied")
        );
        assert_eq!(msg.subject(), Some("Undelivered Mail Returned to Sender"));
        assert!(msg.message_id().unwrap().ends_with("@mail.local.test"));

        let status = String::from_utf8_lossy(msg.parts[2].contents()).into_owned();
        for line in [
            "Reporting-MTA: dns; mail.local.test\r\n",
            "Original-Envelope-Id: QQ+123\r\n",
            "Arrival-Date: Sun, 29 Nov 2026 05:50:12 +0000\r\n",
            "\r\n\r\nOriginal-Recipient: rfc822; Bob+x@remote.test\r\n",
            "Final-Recipient: rfc822; bob@remote.test\r\n",
            "Action: failed\r\n",
            "Status: 5.1.1\r\n",
            "Remote-MTA: dns; mx.remote.test\r\n",
            "Diagnostic-Code: smtp; 550 5.1.1 <bob@remote.test>: no such user\r\n",
            "Last-Attempt-Date: Sun, 29 Nov 2026 05:51:39 +0000\r\n",
        ] {
            assert!(status.contains(line), "{line:?} not in:\n{status}");
        }
        assert!(!status.contains("Will-Retry-Until"));
        let headers = String::from_utf8_lossy(msg.parts[3].contents()).into_owned();
        assert!(headers.contains("Subject: Hello"), "{headers}");
        assert!(
            !text.contains("Secret body line"),
            "RET=HDRS must not return the body"
        );
        let human = msg.body_text(0).unwrap();
        assert!(human.contains("<bob@remote.test>: failed: 550 5.1.1"), "{human}");
    }

    #[test]
    fn failure_report_with_the_full_message() {
        let raw = build(&report(Action::Failed, true));
        let (msg, types) = parts(&raw);
        assert_eq!(types[3], "message/rfc822");
        let inner = msg.parts[3].message().unwrap();
        assert_eq!(inner.subject(), Some("Hello"));
        assert!(String::from_utf8_lossy(&raw).contains("Secret body line"));
    }

    #[test]
    fn delay_report_returns_headers_even_with_ret_full() {
        let raw = build(&report(Action::Delayed, true));
        let (msg, types) = parts(&raw);
        assert_eq!(types[3], "text/rfc822-headers");
        assert_eq!(msg.subject(), Some("Delayed Mail (still being retried)"));
        let status = String::from_utf8_lossy(msg.parts[2].contents()).into_owned();
        assert!(status.contains("Action: delayed\r\n"), "{status}");
        assert!(status.contains("Status: 4.3.0\r\n"));
        assert!(status.contains("Will-Retry-Until: "), "{status}");
    }

    #[test]
    fn oversized_original_is_returned_as_header() {
        let mut big = ORIGINAL.to_vec();
        big.extend(std::iter::repeat_n(b'x', FULL_RETURN_MAX));
        let mut r = report(Action::Failed, true);
        r.original = &big;
        let raw = build(&r);
        let (_, types) = parts(&raw);
        assert_eq!(types[3], "text/rfc822-headers");
        assert!(raw.len() < 10_000);
    }

    #[test]
    fn success_and_utf8_recipients() {
        let mut r = report(Action::Delivered, false);
        r.envid = None;
        r.recipients[0].address = "jörg@remote.test".into();
        r.recipients[0].orcpt = None;
        r.recipients[0].status = "2.0.0".into();
        let raw = build(&r);
        let (msg, types) = parts(&raw);
        assert_eq!(types[2], "message/global-delivery-status");
        assert_eq!(msg.subject(), Some("Successful Mail Delivery Report"));
        let status = String::from_utf8_lossy(msg.parts[2].contents()).into_owned();
        assert!(
            status.contains("Final-Recipient: utf-8; jörg@remote.test\r\n"),
            "{status}"
        );
        assert!(!status.contains("Original-Envelope-Id"));
        assert!(!status.contains("Original-Recipient"));
    }
}
