//! The delivery pipeline shared by LMTP, SMTP (MX) and `malt deliver`: one received message, its
//! envelope, and a per-recipient outcome.
//!
//! For each recipient address, in order:
//! 1. the address is resolved with [`crate::directory::resolve`] (accounts, aliases, groups, plus
//!    addressing, catch-all); nothing local gives [`Outcome::NoSuchUser`];
//! 2. for each account it reaches, trace headers are prepended to the message as received:
//!    `Return-Path: <reverse-path>` (RFC 5321 §4.4: added at final delivery), `Delivered-To: <address>`
//!    (the envelope recipient, as Postfix and Dovecot write it, so that loops are detectable) and a
//!    `Received:` line (RFC 5321 §4.4, `from HELO ([ip]) by host with PROTOCOL id ID for <rcpt>; date`);
//! 3. the message is appended to the account's INBOX through [`MailCore::append`]: size checked first,
//!    blob fsynced before the metadata commits, quota checked in the same transaction. When this returns
//!    `Delivered`, the message is durable for that recipient (RFC 2033 §4.2: the 250 may be sent).
//!
//! Invariants: every recipient gets its own outcome; one recipient's failure never affects another's.
//! An address that reaches several accounts (a group) is `Delivered` when at least one account got it
//! (failures of the others are logged), since a retry would duplicate it for those that did.
//! Because the `Delivered-To` header differs per recipient, each recipient's copy is its own blob.
//!
//! Seams for later slices: Sieve filtering, duplicate suppression and authentication results go between
//! steps 1 and 3.

use std::fmt::Write as _;
use std::net::IpAddr;

use malt_store::{Appended, Flags, StoreError};

use crate::directory;
use crate::mail::MailCore;

/// The envelope and connection facts the trace headers record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The MAIL FROM reverse-path, without brackets; empty for the null path `<>`.
    pub return_path: String,
    /// The client's LHLO/EHLO/HELO argument.
    pub helo: String,
    /// The client's address.
    pub remote: IpAddr,
    /// This server's host name.
    pub hostname: String,
    /// `LMTP`, `ESMTP`, `ESMTPS`, ... (RFC 3848 `with` keywords).
    pub protocol: String,
    /// An id for this transaction, for logs and the Received header.
    pub id: String,
    /// Unix seconds of receipt; used for the Received date.
    pub received_at: i64,
}

/// What happened for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Durable in every listed mailbox.
    Delivered(Vec<Appended>),
    /// The address resolves to no local account: `550 5.1.1`.
    NoSuchUser,
    /// Over quota. `permanent` when the message alone exceeds the quota (`552 5.2.2`), else `452 4.2.2`
    /// (RFC 3463 §3.3).
    OverQuota { permanent: bool },
    /// The message exceeds the server's size limit: `552 5.3.4`.
    TooBig,
    /// The server's own fault (logged): `451 4.3.0`.
    TempFail,
}

/// The trace headers for one recipient (each line ends in CRLF).
pub fn trace_headers(env: &Envelope, recipient: &str) -> String {
    let mut h = String::new();
    let _ = write!(h, "Return-Path: <{}>\r\n", header_safe(&env.return_path));
    let _ = write!(h, "Delivered-To: {}\r\n", header_safe(recipient));
    h.push_str(&received_header(env, Some(recipient)));
    h
}

/// The `Received:` line this server adds (RFC 5321 §4.4), ending in CRLF; the `for` clause only
/// when `recipient` is given (a message relayed to several recipients names none of them).
pub fn received_header(env: &Envelope, recipient: Option<&str>) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "Received: from {} ([{}])\r\n\tby {} with {} id {}",
        header_safe(&env.helo),
        env.remote,
        header_safe(&env.hostname),
        header_safe(&env.protocol),
        header_safe(&env.id),
    );
    if let Some(r) = recipient {
        let _ = write!(h, "\r\n\tfor <{}>", header_safe(r));
    }
    let _ = write!(h, "; {}\r\n", rfc5322_date(env.received_at));
    h
}

/// Replaces characters that could break a header line (CR, LF, other controls) by `?`.
fn header_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// `Sun, 29 Nov 2026 05:50:12 +0000` (RFC 5322 §3.3), in UTC.
pub fn rfc5322_date(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let wd = DAYS
        .get(usize::try_from(days.rem_euclid(7)).unwrap_or(0))
        .unwrap_or(&"Thu");
    let mon = MONTHS
        .get(usize::try_from(month - 1).unwrap_or(0))
        .unwrap_or(&"Jan");
    format!(
        "{wd}, {day} {mon} {year} {:02}:{:02}:{:02} +0000",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// What a RCPT-time check found for a local address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientCheck {
    /// It reaches at least one account with room left.
    Accept,
    /// It resolves to no local account: `550 5.1.1`.
    NoSuchUser,
    /// Every account it reaches is already at or over its quota: `452 4.2.2` (RFC 3463 §3.3).
    OverQuota,
}

impl MailCore {
    /// The RCPT-time check of SMTP: does `address` reach a local account, and has any of them
    /// room left (a quota not yet used up; the message's own size is checked at delivery)?
    pub async fn check_recipient(&self, address: &str) -> Result<RecipientCheck, StoreError> {
        let store = &self.storage().store;
        let resolved = directory::resolve(store.as_ref(), address).await?;
        if resolved.is_empty() {
            return Ok(RecipientCheck::NoSuchUser);
        }
        let full = |r: &directory::Resolved| r.account.quota_bytes.is_some_and(|q| r.account.used_bytes >= q);
        Ok(if resolved.iter().all(full) {
            RecipientCheck::OverQuota
        } else {
            RecipientCheck::Accept
        })
    }

    /// Whether `address` resolves to at least one local account (RCPT time check).
    pub async fn recipient_exists(&self, address: &str) -> Result<bool, StoreError> {
        let store = &self.storage().store;
        Ok(!directory::resolve(store.as_ref(), address).await?.is_empty())
    }

    /// Delivers `raw` (the message as received) to each of `recipients`, returning one [`Outcome`] per
    /// recipient in the same order. See the module docs.
    pub async fn deliver_message(&self, env: &Envelope, recipients: &[String], raw: &[u8]) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(recipients.len());
        for rcpt in recipients {
            out.push(self.deliver_one(env, rcpt, raw).await);
        }
        out
    }

    async fn deliver_one(&self, env: &Envelope, rcpt: &str, raw: &[u8]) -> Outcome {
        let store = self.storage().store.clone();
        let resolved = match directory::resolve(store.as_ref(), rcpt).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(rcpt, error = %e, "recipient lookup failed");
                return Outcome::TempFail;
            }
        };
        if resolved.is_empty() {
            return Outcome::NoSuchUser;
        }
        let headers = trace_headers(env, rcpt);
        let mut message = Vec::with_capacity(headers.len() + raw.len());
        message.extend_from_slice(headers.as_bytes());
        message.extend_from_slice(raw);
        let mut delivered = Vec::new();
        let mut failure = None;
        for r in resolved {
            let result = match store.mailbox_get(r.account.id, "INBOX").await {
                Ok(Some(inbox)) => {
                    self.append(
                        r.account.id,
                        inbox.id,
                        &message,
                        Flags::default(),
                        Some(env.received_at),
                    )
                    .await
                }
                Ok(None) => Err(StoreError::NotFound(format!("INBOX of {}", r.account.address))),
                Err(e) => Err(e),
            };
            match result {
                Ok(a) => {
                    metrics::counter!("malt_deliveries_total").increment(1);
                    delivered.push(a);
                }
                Err(e) => {
                    tracing::warn!(account = %r.account.address, id = %env.id, error = %e, "delivery failed");
                    failure = Some(match e {
                        StoreError::OverQuota { limit, needed, .. } => Outcome::OverQuota {
                            permanent: needed > limit,
                        },
                        StoreError::Invalid { what: "message", .. } => Outcome::TooBig,
                        _ => Outcome::TempFail,
                    });
                }
            }
        }
        match (delivered.is_empty(), failure) {
            (true, Some(f)) => f,
            (true, None) => Outcome::TempFail,
            (false, _) => Outcome::Delivered(delivered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc5322_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc5322_date(1_795_931_412), "Sun, 29 Nov 2026 05:50:12 +0000");
        assert_eq!(rfc5322_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn trace() {
        let env = Envelope {
            return_path: "a@b.org".into(),
            helo: "mx\r\nX: y".into(),
            remote: IpAddr::from([127, 0, 0, 1]),
            hostname: "mail.test".into(),
            protocol: "LMTP".into(),
            id: "ID1".into(),
            received_at: 0,
        };
        assert_eq!(
            trace_headers(&env, "bob@x.org"),
            "Return-Path: <a@b.org>\r\nDelivered-To: bob@x.org\r\nReceived: from mx??X: y ([127.0.0.1])\r\n\
             \tby mail.test with LMTP id ID1\r\n\tfor <bob@x.org>; Thu, 1 Jan 1970 00:00:00 +0000\r\n"
        );
        assert_eq!(
            received_header(&env, None),
            "Received: from mx??X: y ([127.0.0.1])\r\n\tby mail.test with LMTP id ID1; \
             Thu, 1 Jan 1970 00:00:00 +0000\r\n"
        );
    }
}
