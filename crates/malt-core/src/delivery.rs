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
//! User filters ([`crate::filter`], Sieve): per account, after duplicate suppression, the
//! configured [`crate::filter::DeliveryFilter`] decides; without one, the copy goes to INBOX. Its
//! decision is applied in an order that loses nothing:
//! 1. a refusal (RFC 5429) stores nothing and makes the account [`Outcome::Rejected`] when every
//!    account the address reaches refused (the protocol says it: LMTP `550 5.7.1`, SMTP `550` when
//!    every recipient refused); when others accepted, a reject notice goes to the sender instead
//!    ([`MailCore::send_reject_notice`], RFC 5429 §2.1);
//! 2. the copies: one per mailbox, each with its flags, into a special-use mailbox or one created
//!    on request, else INBOX (a name never loses a copy); the message as received is one blob
//!    for every account, an edited one (RFC 5293) one blob for that account's copies;
//! 3. only once every copy is durable: redirects (RFC 5228 §4.2) are queued, with this
//!    recipient's `Delivered-To` and `Received` on top and the sender rewritten with SRS
//!    ([`crate::srs`]) for remote addresses; a message that already carries this recipient's
//!    `Delivered-To` is a loop and is kept in INBOX instead of being redirected (logged);
//! 4. then automatic messages (vacation, notifications) with the null reverse-path, each only when
//!    the vacation memory allows it, and the duplicate-tracking records (RFC 7352).
//!
//! A failure in 2 or 3 gives the sender a temporary failure (the copies already stored may then
//! arrive twice: preferred to a loss); a failure in 4 is only logged.

use std::fmt::Write as _;
use std::net::IpAddr;

use malt_store::{Account, Appended, FlagOp, Flags, Mailbox, StoreError};

use crate::filter::{
    AutoMessage, DuplicateRecord, FilterDecision, FilterInput, OncePer, Outgoing, StoreInto,
};
use crate::mail::{MailCore, StoredBlob, now, validate_mailbox_name};
use crate::queue::QueueEnvelope;
use crate::sender_auth::{self, AuthInput, AuthResults};
use crate::{compose, dedup, directory, header};

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
    /// Refused by the recipient's filter (RFC 5429 reject/ereject), with its reason: LMTP answers
    /// `550 5.7.1 <reason>` (RFC 5429 §2.1.1); see the module docs for SMTP.
    Rejected(String),
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
    h.push_str(&forward_trace(env, recipient, authentication_results));
    h
}

/// The trace of a message this server sends on for `recipient` (a redirect): the final-delivery
/// trace without `Return-Path` (RFC 5321 §4.4: only at final delivery), so the `Delivered-To`
/// shows a loop when the message comes back.
pub fn forward_trace(env: &Envelope, recipient: &str, authentication_results: Option<&str>) -> String {
    let mut h = String::new();
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

/// A message content of one delivery: stored in the blob store (and parsed) the first time a copy
/// needs it, then shared by every copy (the message as received is shared by every account; an
/// account's edited message, RFC 5293, by that account's copies).
struct SharedBlob<'a> {
    raw: std::borrow::Cow<'a, [u8]>,
    stored: Option<StoredBlob>,
}

impl<'a> SharedBlob<'a> {
    fn new(raw: impl Into<std::borrow::Cow<'a, [u8]>>) -> Self {
        SharedBlob {
            raw: raw.into(),
            stored: None,
        }
    }

    async fn get(&mut self, core: &MailCore) -> Result<&StoredBlob, StoreError> {
        if self.stored.is_none() {
            self.stored = Some(core.store_blob(&self.raw).await?);
        }
        self.stored
            .as_ref()
            .ok_or_else(|| StoreError::Backend("blob not stored".to_owned()))
    }
}

/// What one delivery (one recipient address) shares between the accounts it reaches.
struct Delivery<'a> {
    env: &'a Envelope,
    /// The envelope recipient as given.
    rcpt: &'a str,
    auth: Option<&'a AuthResults>,
    dedup_key: Option<&'a str>,
    /// Put the trace headers before each copy (`malt deliver` does not).
    trace: bool,
    /// Where a keep stores the copy instead of INBOX (`malt deliver --mailbox`, as dovecot-lda's
    /// `-m`); INBOX when that mailbox does not exist.
    keep_into: Option<&'a str>,
}

impl Delivery<'_> {
    /// The `Authentication-Results` header of the copies, if the sender was verified.
    fn authentication_results(&self) -> Option<&str> {
        self.auth.map(|a| a.header.as_str())
    }
}

/// What happened for one account.
enum AccountOutcome {
    /// Accepted: stored in these mailboxes (none when a filter discarded or only redirected the
    /// copy, or the account already had it).
    Accepted(Vec<Appended>),
    /// Refused by the account's filter (RFC 5429), with the reason.
    Rejected(String),
    /// Not durable: the sender must be told (temporary failure, quota, size).
    Failed(StoreError),
}

/// The outcome of a failed copy.
fn failure_outcome(e: &StoreError) -> Outcome {
    match e {
        StoreError::OverQuota { limit, needed, .. } => Outcome::OverQuota {
            permanent: needed > limit,
        },
        StoreError::Invalid { what: "message", .. } => Outcome::TooBig,
        _ => Outcome::TempFail,
    }
}

/// `header` (a new header section, ending in its empty line) followed by the body of `raw`.
fn with_header(header: &[u8], raw: &[u8]) -> Vec<u8> {
    let body = raw.get(header::body_offset(raw)..).unwrap_or_default();
    [header, body].concat()
}

/// Whether `raw` already went through `address` here: it carries a `Delivered-To` naming it
/// (RFC 5321 §6.3 loop detection, as Postfix and Dovecot do with this field).
fn delivered_to(raw: &[u8], address: &str) -> bool {
    header::field_values(raw, "Delivered-To")
        .iter()
        .any(|v| v.trim_matches(['<', '>']).eq_ignore_ascii_case(address))
}

impl MailCore {
    /// The mailbox one copy goes into (see [`StoreInto`]): the special-use mailbox when asked and
    /// present (RFC 8579 §3), else the named one, created when asked (RFC 5490 §3.2), else
    /// INBOX, so that a copy is never lost for a name.
    async fn target_mailbox(&self, account: &Account, into: &StoreInto) -> Result<Mailbox, StoreError> {
        let store = &self.storage().store;
        if let Some(use_) = into.special_use
            && let Some(m) = store
                .mailbox_list(account.id)
                .await?
                .into_iter()
                .find(|m| m.role == Some(use_))
        {
            return Ok(m);
        }
        if let Ok(name) = validate_mailbox_name(&into.mailbox) {
            if let Some(m) = store.mailbox_get(account.id, &name).await? {
                return Ok(m);
            }
            if into.create {
                match self.create_mailbox(account.id, &name, into.special_use).await {
                    Ok(m) => return Ok(m),
                    Err(StoreError::AlreadyExists(_)) => {
                        if let Some(m) = store.mailbox_get(account.id, &name).await? {
                            return Ok(m);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(account = %account.address, mailbox = %name, error = %e,
                            "cannot create the mailbox a filter asked for; using INBOX");
                    }
                }
            }
        }
        store
            .mailbox_get(account.id, "INBOX")
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("INBOX of {}", account.address)))
    }

    /// Stores one account's copies: one per mailbox (two actions that land in one mailbox give
    /// one copy with the union of their flags, RFC 5228 §2.10.3), all of one blob.
    async fn store_copies(
        &self,
        account: &Account,
        stores: &[StoreInto],
        blob: &mut SharedBlob<'_>,
        prefix: &[u8],
        received_at: i64,
    ) -> Result<Vec<Appended>, StoreError> {
        let mut targets: Vec<(Mailbox, Flags)> = Vec::with_capacity(stores.len());
        for into in stores {
            let mailbox = self.target_mailbox(account, into).await?;
            match targets.iter_mut().find(|(m, _)| m.id == mailbox.id) {
                Some((_, flags)) => *flags = flags.apply(FlagOp::Add, &into.flags),
                None => targets.push((mailbox, into.flags.clone())),
            }
        }
        let mut appended = Vec::with_capacity(targets.len());
        for (mailbox, flags) in targets {
            let stored = blob.get(self).await?;
            appended.push(
                self.append_prefixed(account.id, mailbox.id, stored, prefix, flags, Some(received_at))
                    .await?,
            );
        }
        Ok(appended)
    }

    /// Queues a redirect of `message` to `address` (RFC 5228 §4.2): with this recipient's
    /// `Delivered-To` and `Received` on top (so a loop is seen), from the original envelope
    /// sender, rewritten with SRS when the address is not local (so SPF passes at the next hop;
    /// the null sender stays null).
    async fn send_redirect(&self, d: &Delivery<'_>, address: &str, message: &[u8]) -> Result<(), StoreError> {
        let local = match address.rsplit_once('@') {
            Some((_, domain)) => self.is_local_domain(domain).await?,
            None => false,
        };
        let return_path = match &self.delivery_options().srs {
            Some(srs) if !local => srs.forward(&d.env.return_path),
            _ => d.env.return_path.clone(),
        };
        let mut raw = forward_trace(d.env, d.rcpt, d.authentication_results()).into_bytes();
        raw.extend_from_slice(message);
        let env = QueueEnvelope {
            return_path,
            ..QueueEnvelope::default()
        };
        let id = self
            .enqueue(&env, &[(address.to_owned(), None, None)], &raw)
            .await?;
        metrics::counter!("malt_deliveries_redirected_total").increment(1);
        tracing::info!(id = %d.env.id, rcpt = d.rcpt, to = address, queue_id = id, "redirected");
        Ok(())
    }

    /// Queues the automatic messages of a filter (vacation replies, notifications) with the null
    /// reverse-path (RFC 3834 §3.3, RFC 5230 §5.1). Never to the null address; a message with
    /// a memory key only when the vacation memory allows it, and it is recorded then (RFC 5230
    /// §4.2). A failure is logged: an auto-reply is never a reason to fail a delivery.
    async fn send_auto(&self, d: &Delivery<'_>, account: &Account, messages: Vec<AutoMessage>) {
        for m in messages {
            if m.to.is_empty() {
                continue;
            }
            if let Some(once) = &m.once
                && !self.first_in_period(account, once, &m.to).await
            {
                tracing::info!(id = %d.env.id, account = %account.address, kind = m.kind.as_str(),
                    "auto-reply already sent within its period");
                continue;
            }
            match self
                .enqueue(
                    &QueueEnvelope::default(),
                    &[(m.to.clone(), None, None)],
                    &m.message,
                )
                .await
            {
                Ok(queue_id) => {
                    metrics::counter!("malt_deliveries_auto_messages_total", "kind" => m.kind.as_str())
                        .increment(1);
                    tracing::info!(id = %d.env.id, account = %account.address, kind = m.kind.as_str(),
                        queue_id, "automatic message queued");
                }
                Err(e) => tracing::warn!(id = %d.env.id, account = %account.address,
                    kind = m.kind.as_str(), error = %e, "cannot queue an automatic message"),
            }
        }
    }

    /// The vacation memory (RFC 5230 §4.2): whether `to` was not yet answered for `once.handle`
    /// within its period, recording the answer when not (one atomic store operation). A store
    /// error answers no: better one reply missing than a flood.
    async fn first_in_period(&self, account: &Account, once: &OncePer, to: &str) -> bool {
        let now = now();
        let until = now.saturating_add(i64::try_from(once.period_secs).unwrap_or(i64::MAX));
        match self
            .storage()
            .store
            .vacation_check_and_record(account.id, &once.handle, to, until, now)
            .await
        {
            Ok(first) => first,
            Err(e) => {
                tracing::warn!(account = %account.address, error = %e, "vacation memory unavailable; no reply");
                false
            }
        }
    }

    /// Records the duplicate-tracking entries of a delivered message (RFC 7352 §3: only once it
    /// is delivered, so a failed delivery's retry is not taken for a duplicate).
    async fn record_duplicates(&self, account: &Account, records: &[DuplicateRecord]) {
        for r in records {
            if let Err(e) = self
                .storage()
                .store
                .sieve_duplicate_record(account.id, &r.key, r.until)
                .await
            {
                tracing::warn!(account = %account.address, error = %e, "cannot record a duplicate-tracking entry");
            }
        }
    }

    /// Queues a reject notice (RFC 5429 §2.1, [`compose::reject_notice`]) to the envelope sender
    /// of a message that `recipient` refused: for refusals that cannot be said at the protocol
    /// level (an SMTP transaction that others accepted). Nothing for the null sender.
    pub async fn send_reject_notice(
        &self,
        env: &Envelope,
        recipient: &str,
        reason: &str,
        message: &[u8],
    ) -> Result<(), StoreError> {
        if env.return_path.is_empty() {
            return Ok(());
        }
        let notice = compose::reject_notice(&compose::RejectNotice {
            hostname: &env.hostname,
            now: now(),
            to: &env.return_path,
            recipient,
            reason,
            original: message,
        });
        let to = [(env.return_path.clone(), None, None)];
        let queue_id = self.enqueue(&QueueEnvelope::default(), &to, &notice).await?;
        tracing::info!(id = %env.id, rcpt = recipient, queue_id, "reject notice queued");
        Ok(())
    }

    /// Applies a filter's decision for one account (see [`crate::filter`] for the order).
    async fn apply(
        &self,
        d: &Delivery<'_>,
        account: &Account,
        decision: FilterDecision,
        shared: &mut SharedBlob<'_>,
    ) -> AccountOutcome {
        let FilterDecision {
            mut stores,
            edited_header,
            outgoing,
            reject,
            duplicates,
        } = decision;
        let mut redirects = Vec::new();
        let mut autos = Vec::new();
        for o in outgoing {
            match o {
                Outgoing::Redirect { address } => redirects.push(address),
                Outgoing::Auto(m) => autos.push(m),
            }
        }
        if let Some(reason) = reject {
            if !redirects.is_empty() {
                tracing::warn!(id = %d.env.id, account = %account.address, "redirect of a rejected message not sent");
            }
            self.send_auto(d, account, autos).await;
            return AccountOutcome::Rejected(reason);
        }
        // A loop: the message already went through this recipient here; keep it instead.
        let looping = delivered_to(&shared.raw, d.rcpt) || delivered_to(&shared.raw, &account.address);
        if looping && !redirects.is_empty() {
            tracing::warn!(id = %d.env.id, account = %account.address, rcpt = d.rcpt,
                "mail loop: not redirecting a message that already went through this recipient; kept in INBOX");
            redirects.clear();
            if !stores.iter().any(|s| s.mailbox.eq_ignore_ascii_case("INBOX")) {
                stores.push(StoreInto::inbox(Flags::default()));
            }
        }
        if let Some(mailbox) = d.keep_into {
            for s in stores.iter_mut().filter(|s| s.mailbox == "INBOX") {
                s.mailbox = mailbox.to_owned();
            }
        }
        let mut edited = edited_header.map(|h| SharedBlob::new(with_header(&h, &shared.raw)));
        let blob = edited.as_mut().unwrap_or(shared);
        let prefix = if d.trace {
            trace_headers_with(d.env, d.rcpt, d.authentication_results())
        } else {
            String::new()
        };
        let appended = match self
            .store_copies(account, &stores, blob, prefix.as_bytes(), d.env.received_at)
            .await
        {
            Ok(a) => a,
            Err(e) => return AccountOutcome::Failed(e),
        };
        for address in &redirects {
            if let Err(e) = self.send_redirect(d, address, &blob.raw).await {
                return AccountOutcome::Failed(e);
            }
        }
        self.send_auto(d, account, autos).await;
        self.record_duplicates(account, &duplicates).await;
        if stores.is_empty() && redirects.is_empty() {
            tracing::info!(account = %account.address, id = %d.env.id, "discarded by filter");
        }
        AccountOutcome::Accepted(appended)
    }

    /// One account's copy: duplicate suppression, the filter, then its decision applied.
    async fn deliver_to_account(
        &self,
        d: &Delivery<'_>,
        r: &directory::Resolved,
        shared: &mut SharedBlob<'_>,
    ) -> AccountOutcome {
        let store = &self.storage().store;
        let window = self.delivery_options().dedup_window_secs;
        if let Some(key) = d.dedup_key
            && dedup::is_duplicate(store.as_ref(), r.account.id, key, d.env.received_at, window).await
        {
            tracing::info!(account = %r.account.address, id = %d.env.id, message_id = key, "duplicate suppressed");
            metrics::counter!("malt_deliveries_duplicate_total").increment(1);
            return AccountOutcome::Accepted(Vec::new());
        }
        let decision = match &self.delivery_options().filter {
            Some(f) => {
                f.decide(FilterInput {
                    account: &r.account,
                    envelope: d.env,
                    recipient: d.rcpt,
                    tag: r.tag.as_deref(),
                    message: &shared.raw,
                    auth: d.auth,
                })
                .await
            }
            None => FilterDecision::keep(),
        };
        let outcome = self.apply(d, &r.account, decision, shared).await;
        if let (AccountOutcome::Failed(_), Some(key)) = (&outcome, d.dedup_key) {
            dedup::forget(store.as_ref(), r.account.id, key).await;
        }
        outcome
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

    /// Whether `domain` is one of this server's (the store knows it), in any case.
    pub async fn is_local_domain(&self, domain: &str) -> Result<bool, StoreError> {
        let domain = domain.trim().to_lowercase();
        if domain.is_empty() {
            return Ok(false);
        }
        Ok(self.storage().store.domain_get(&domain).await?.is_some())
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
        let mut blob = SharedBlob::new(raw);
        let mut out = Vec::with_capacity(recipients.len());
        for rcpt in recipients {
            let d = Delivery {
                env,
                rcpt,
                auth: auth.as_ref(),
                dedup_key: dedup_key.as_deref(),
                trace: true,
                keep_into: None,
            };
            out.push(self.deliver_one(&d, &mut blob).await);
        }
        out
    }

    /// Local delivery of `raw` to `address` as `malt deliver` does it (dovecot-lda's role): the
    /// same pipeline, filters included, without trace headers (the message is stored as given)
    /// and without duplicate suppression; a keep goes into `keep_into` when given and present.
    pub async fn deliver(
        &self,
        env: &Envelope,
        address: &str,
        raw: &[u8],
        keep_into: Option<&str>,
    ) -> Outcome {
        if self.check_size(raw.len()).is_err() {
            return Outcome::TooBig;
        }
        let d = Delivery {
            env,
            rcpt: address,
            auth: None,
            dedup_key: None,
            trace: false,
            keep_into,
        };
        self.deliver_one(&d, &mut SharedBlob::new(raw)).await
    }

    async fn deliver_one(&self, d: &Delivery<'_>, blob: &mut SharedBlob<'_>) -> Outcome {
        let store = self.storage().store.clone();
        let resolved = match directory::resolve(store.as_ref(), d.rcpt).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(rcpt = d.rcpt, error = %e, "recipient lookup failed");
                return Outcome::TempFail;
            }
        };
        if resolved.is_empty() {
            return Outcome::NoSuchUser;
        }
        let mut delivered = Vec::new();
        let mut accepted = 0usize;
        let mut rejected: Vec<String> = Vec::new();
        let mut failure = None;
        for r in &resolved {
            match self.deliver_to_account(d, r, blob).await {
                AccountOutcome::Accepted(mut a) => {
                    accepted += 1;
                    if !a.is_empty() {
                        metrics::counter!("malt_deliveries_total").increment(1);
                    }
                    delivered.append(&mut a);
                }
                AccountOutcome::Rejected(reason) => {
                    tracing::info!(account = %r.account.address, id = %d.env.id, reason, "rejected by filter");
                    rejected.push(reason);
                }
                AccountOutcome::Failed(e) => {
                    tracing::warn!(account = %r.account.address, id = %d.env.id, error = %e, "delivery failed");
                    failure = Some(failure_outcome(&e));
                }
            }
        }
        let outcome = match (delivered.is_empty(), failure) {
            (false, _) => Outcome::Delivered(delivered),
            (true, Some(f)) => f,
            (true, None) if accepted > 0 => Outcome::Delivered(delivered),
            (true, None) => match rejected.first() {
                Some(reason) => return Outcome::Rejected(reason.clone()),
                None => Outcome::TempFail,
            },
        };
        // Others took it: the refusals of some accounts (a group) are told by notice.
        if matches!(outcome, Outcome::Delivered(_)) {
            for reason in &rejected {
                if let Err(e) = self.send_reject_notice(d.env, d.rcpt, reason, &blob.raw).await {
                    tracing::warn!(id = %d.env.id, error = %e, "cannot queue a reject notice");
                }
            }
        }
        outcome
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
