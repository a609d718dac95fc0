//! The delivery pipeline shared by LMTP, SMTP (MX) and `malt deliver`: one received message, its
//! envelope, and a per-recipient outcome.
//!
//! For each recipient address, in order:
//! 1. the address is resolved with [`crate::directory::resolve`] (accounts, aliases, groups, plus
//!    addressing, catch-all); nothing local gives [`Outcome::NoSuchUser`];
//! 2. for each account it reaches, trace headers are put before the message as received:
//!    `Return-Path: <reverse-path>` (RFC 5321 §4.4: added at final delivery), `Delivered-To: <address>`
//!    (the envelope recipient, as Postfix and Dovecot write it, so that loops are detectable) and a
//!    `Received:` line (RFC 5321 §4.4, `from HELO ([ip]) by host with PROTOCOL id ID for <rcpt>; date`);
//! 3. the message is appended to the account's INBOX through [`MailCore::append_prefixed`]: size
//!    checked first, blob fsynced before the metadata commits, quota checked in the same transaction.
//!    When this returns `Delivered`, the message is durable for that recipient (RFC 2033 §4.2: the
//!    250 may be sent).
//!
//! Invariants: every recipient gets its own outcome; one recipient's failure never affects another's.
//! An address that reaches several accounts (a group) is `Delivered` when at least one account got it
//! (failures of the others are logged), since a retry would duplicate it for those that did.
//!
//! Stored once: the message as received is written to the blob store ONCE per delivery (when the
//! first copy needs it: a delivery that reaches nobody writes nothing) and parsed once; each copy is
//! `prefix ++ blob`, its trace headers being its prefix ([`malt_store::NewMessage::prefix`]), kept
//! beside the copy's metadata. Clients see the whole (size, quota, FETCH, POP3 RETR, export), and
//! the metadata and header block describe the whole ([`crate::ingest::parse_prefixed`]: the blob's
//! metadata, shifted by the prefix's length).
//!
//! Sender authentication (RFC 8601): when the envelope asks for it ([`Envelope::verify_sender`]: the
//! SMTP MX does, LMTP, submission and `malt deliver` do not) and the core has a
//! [`crate::sender_auth::SenderAuthenticator`], SPF, DKIM, DMARC and ARC are verified ONCE per message,
//! before the recipient loop; `Authentication-Results` fields of the incoming message that claim our
//! host name are removed (RFC 8601 §5), and our header goes into every copy between `Delivered-To`
//! and `Received`: above the Received field this server adds, so it is the topmost field with
//! our authserv-id (RFC 8601 §5 requires prepending; `Return-Path` and `Delivered-To` are only
//! ever added at final delivery, above everything). Verification never refuses or fails a delivery.
//!
//! Duplicate suppression ([`crate::dedup`]): with `[delivery] dedup_window_secs` > 0, a message whose
//! (Resent-)Message-ID was delivered to the same account within the window is not stored again for
//! that account; it still counts as delivered (the sender must not retry). The check is per account,
//! so an address and its alias, or a group containing a member also named directly, store one copy.
//!
//! User filters ([`crate::filter`], the Sieve issue's seam): per account, after duplicate
//! suppression, the configured [`crate::filter::DeliveryFilter`] decides the copy's mailboxes and
//! flags, or discards it; without one, or when it keeps, the copy goes to INBOX. It sees the
//! message as received, the envelope and the MX's sender-authentication results.

use std::fmt::Write as _;
use std::net::IpAddr;

use malt_store::{Appended, Flags, StoreError};

use crate::filter::{FilterDecision, FilterInput};
use crate::mail::{MailCore, StoredBlob};
use crate::sender_auth::{self, AuthInput, AuthResults};
use crate::{dedup, directory};

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
    /// Verify the sender (SPF, DKIM, DMARC, ARC) and add `Authentication-Results`: true for mail
    /// received by the SMTP MX from the outside, false for LMTP, submission and `malt deliver`.
    pub verify_sender: bool,
}

/// What happened for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Durable in every listed mailbox. Empty when every account the address reaches already had
    /// the message (duplicate suppression): the sender must not retry.
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
    trace_headers_with(env, recipient, None)
}

/// The trace headers for one recipient, with the `Authentication-Results` header (complete, ending
/// in CRLF) between `Delivered-To` and `Received`.
pub fn trace_headers_with(env: &Envelope, recipient: &str, authentication_results: Option<&str>) -> String {
    let mut h = String::new();
    let _ = write!(h, "Return-Path: <{}>\r\n", header_safe(&env.return_path));
    let _ = write!(h, "Delivered-To: {}\r\n", header_safe(recipient));
    if let Some(ar) = authentication_results {
        h.push_str(ar);
    }
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

/// The raw message of one delivery: stored in the blob store (and parsed) the first time a copy
/// needs it, then shared by every copy.
struct SharedBlob<'a> {
    raw: &'a [u8],
    stored: Option<StoredBlob>,
}

impl SharedBlob<'_> {
    async fn get(&mut self, core: &MailCore) -> Result<&StoredBlob, StoreError> {
        if self.stored.is_none() {
            self.stored = Some(core.store_blob(self.raw).await?);
        }
        self.stored
            .as_ref()
            .ok_or_else(|| StoreError::Backend("blob not stored".to_owned()))
    }
}

/// Mailbox names without repeats, in order (a filter may name one twice; RFC 5228 §4.1: once).
fn dedup_targets(targets: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(targets.len());
    for t in targets {
        let same =
            |o: &String| *o == t || (o.eq_ignore_ascii_case("INBOX") && t.eq_ignore_ascii_case("INBOX"));
        if !out.iter().any(same) {
            out.push(t);
        }
    }
    out
}

impl MailCore {
    /// Appends one account's copy to the mailbox `name`, or to INBOX when `name` does not exist
    /// (a filter naming a missing mailbox loses nothing), storing the shared blob on first use.
    async fn deliver_into(
        &self,
        account: &malt_store::Account,
        name: &str,
        blob: &mut SharedBlob<'_>,
        prefix: &[u8],
        flags: &Flags,
        received_at: i64,
    ) -> Result<Appended, StoreError> {
        let store = &self.storage().store;
        let mailbox = match store.mailbox_get(account.id, name).await? {
            Some(m) => m,
            None => store
                .mailbox_get(account.id, "INBOX")
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("INBOX of {}", account.address)))?,
        };
        let stored = blob.get(self).await?;
        self.append_prefixed(
            account.id,
            mailbox.id,
            stored,
            prefix,
            flags.clone(),
            Some(received_at),
        )
        .await
    }
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

    /// Verifies the sender of `raw` when `env` asks for it and the core has a verifier (see the
    /// module docs); `None` otherwise. Never fails: DNS trouble is `temperror` in the results.
    pub async fn authenticate_sender(&self, env: &Envelope, raw: &[u8]) -> Option<AuthResults> {
        if !env.verify_sender {
            return None;
        }
        let Some(verifier) = &self.delivery_options().sender_auth else {
            tracing::debug!(id = %env.id, "sender authentication not configured");
            return None;
        };
        let results = verifier
            .verify(&AuthInput {
                raw,
                remote: env.remote,
                helo: &env.helo,
                mail_from: &env.return_path,
                hostname: &env.hostname,
            })
            .await;
        tracing::info!(
            id = %env.id,
            spf = %results.spf,
            dkim = %results.dkim.iter().map(|d| d.result.as_str()).collect::<Vec<_>>().join(","),
            dmarc = %results.dmarc,
            arc = %results.arc,
            "sender authentication"
        );
        Some(results)
    }

    /// Delivers `raw` (the message as received) to each of `recipients`, returning one [`Outcome`] per
    /// recipient in the same order. See the module docs.
    pub async fn deliver_message(&self, env: &Envelope, recipients: &[String], raw: &[u8]) -> Vec<Outcome> {
        let auth = self.authenticate_sender(env, raw).await;
        // RFC 8601 §5: results claiming our authserv-id that we did not write are forged.
        let stripped = auth
            .as_ref()
            .and_then(|_| sender_auth::strip_own_results(raw, &env.hostname));
        let raw = stripped.as_deref().unwrap_or(raw);
        let dedup_key = if self.delivery_options().dedup_window_secs > 0 {
            dedup::message_key(raw)
        } else {
            None
        };
        let mut blob = SharedBlob { raw, stored: None };
        let mut out = Vec::with_capacity(recipients.len());
        for rcpt in recipients {
            out.push(
                self.deliver_one(env, rcpt, &mut blob, auth.as_ref(), dedup_key.as_deref())
                    .await,
            );
        }
        out
    }

    async fn deliver_one(
        &self,
        env: &Envelope,
        rcpt: &str,
        blob: &mut SharedBlob<'_>,
        auth: Option<&AuthResults>,
        dedup_key: Option<&str>,
    ) -> Outcome {
        let ar = auth.map(|a| a.header.as_str());
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
        let headers = trace_headers_with(env, rcpt, ar);
        let mut delivered = Vec::new();
        let mut failure = None;
        let mut not_stored = 0usize;
        let window = self.delivery_options().dedup_window_secs;
        for r in resolved {
            if let Some(key) = dedup_key
                && dedup::is_duplicate(store.as_ref(), r.account.id, key, env.received_at, window).await
            {
                tracing::info!(account = %r.account.address, id = %env.id, message_id = key, "duplicate suppressed");
                metrics::counter!("malt_deliveries_duplicate_total").increment(1);
                not_stored += 1;
                continue;
            }
            // The seam for user filters (crate::filter): INBOX unless a filter files or discards.
            let decision = match &self.delivery_options().filter {
                Some(f) => {
                    let raw = blob.raw;
                    f.decide(FilterInput {
                        account: &r.account,
                        envelope: env,
                        recipient: rcpt,
                        tag: r.tag.as_deref(),
                        message: raw,
                        auth,
                    })
                    .await
                }
                None => FilterDecision::Keep,
            };
            let (targets, flags) = match decision {
                FilterDecision::Keep => (vec!["INBOX".to_owned()], Flags::default()),
                FilterDecision::FileInto { mailboxes, flags } => (mailboxes, flags),
                FilterDecision::Discard => {
                    tracing::info!(account = %r.account.address, id = %env.id, "discarded by filter");
                    not_stored += 1;
                    continue;
                }
            };
            let mut result = Ok(Vec::new());
            for target in dedup_targets(targets) {
                let appended = self
                    .deliver_into(
                        &r.account,
                        &target,
                        blob,
                        headers.as_bytes(),
                        &flags,
                        env.received_at,
                    )
                    .await;
                match (appended, &mut result) {
                    (Ok(a), Ok(list)) => list.push(a),
                    (Err(e), Ok(_)) => result = Err(e),
                    (_, Err(_)) => {}
                }
            }
            match result {
                Ok(mut a) => {
                    metrics::counter!("malt_deliveries_total").increment(1);
                    delivered.append(&mut a);
                }
                Err(e) => {
                    if let Some(key) = dedup_key {
                        dedup::forget(store.as_ref(), r.account.id, key).await;
                    }
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
            (true, None) if not_stored > 0 => Outcome::Delivered(delivered),
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
            verify_sender: false,
        };
        assert_eq!(
            trace_headers(&env, "bob@x.org"),
            "Return-Path: <a@b.org>\r\nDelivered-To: bob@x.org\r\nReceived: from mx??X: y ([127.0.0.1])\r\n\
             \tby mail.test with LMTP id ID1\r\n\tfor <bob@x.org>; Thu, 1 Jan 1970 00:00:00 +0000\r\n"
        );
        let with = trace_headers_with(
            &env,
            "bob@x.org",
            Some("Authentication-Results: mail.test; spf=none\r\n"),
        );
        assert!(
            with.starts_with(
                "Return-Path: <a@b.org>\r\nDelivered-To: bob@x.org\r\n\
                 Authentication-Results: mail.test; spf=none\r\nReceived: from "
            ),
            "{with}"
        );
        assert_eq!(
            received_header(&env, None),
            "Received: from mx??X: y ([127.0.0.1])\r\n\tby mail.test with LMTP id ID1; \
             Thu, 1 Jan 1970 00:00:00 +0000\r\n"
        );
    }
}
