//! The seam where user filters (Sieve, [`crate::sieve`]) plug into final delivery.
//!
//! For each account a message reaches, [`crate::MailCore::deliver_message`] asks the configured
//! [`DeliveryFilter`] (in [`crate::DeliveryOptions::filter`]) what to do with that account's copy, after
//! recipient resolution and duplicate suppression and before anything is stored. The answer, a
//! [`FilterDecision`], says:
//! - where to store the copy ([`FilterDecision::stores`]): INBOX for a keep (RFC 5228 §2.10.2), or
//!   mailboxes by name (RFC 5228 §4.1), EACH with its own flags (RFC 5232 §5), its own `:create`
//!   (RFC 5490 §3.2) and `:specialuse` (RFC 8579 §3). Empty: not stored (discard, RFC 5228 §4.4;
//!   a reject; a redirect without keep);
//! - the message's new header section after `addheader`/`deleteheader` (RFC 5293), stored and
//!   redirected instead of the original header;
//! - mail to send ([`Outgoing`]): redirects (RFC 5228 §4.2), which the pipeline builds (trace
//!   headers, SRS, loop check: [`crate::delivery`]), and automatic messages the filter built
//!   (vacation replies, notifications, reject notices: [`crate::autoreply`]);
//! - a refusal (RFC 5429 reject/ereject) with its reason;
//! - duplicate-tracking records (RFC 7352) to make once the message is delivered.
//!
//! Invariants: a filter never fails a delivery (an engine that cannot run a script answers
//! [`FilterDecision::keep`] and logs, RFC 5228 §2.10.6). It sees the message as received (this
//! account's trace headers are added on storage, after it), the envelope, the recipient address
//! as given and the MX's sender-authentication results (for tests such as spamtest, RFC 5235).
//! The pipeline applies a decision in this order, so that nothing is lost: copies first (a
//! failure there gives the sender a temporary failure, and nothing is sent); outgoing mail and
//! records only once every copy is durable.

use std::future::Future;
use std::pin::Pin;

use malt_store::{Account, Flags, SpecialUse};

use crate::delivery::Envelope;
use crate::sender_auth::AuthResults;

/// What a filter decided for one account's copy of a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterDecision {
    /// Where to store the copy, one entry per mailbox; empty: not stored.
    pub stores: Vec<StoreInto>,
    /// RFC 5293: the message's whole new header section (ending in the empty line), stored and
    /// redirected followed by the original body; `None`: the message as received.
    pub edited_header: Option<Vec<u8>>,
    /// Mail to send once every copy is durable.
    pub outgoing: Vec<Outgoing>,
    /// RFC 5429: refuse the message for this account, with this reason. Copies in `stores` are
    /// not made then.
    pub reject: Option<String>,
    /// RFC 7352: duplicate-tracking records to make once the message is delivered.
    pub duplicates: Vec<DuplicateRecord>,
}

impl FilterDecision {
    /// Into INBOX without flags: the implicit keep (RFC 5228 §2.10.2), and what happens without a
    /// filter.
    pub fn keep() -> Self {
        FilterDecision {
            stores: vec![StoreInto::inbox(Flags::default())],
            ..FilterDecision::default()
        }
    }

    /// Not stored, nothing sent (RFC 5228 §4.4).
    pub fn discard() -> Self {
        FilterDecision::default()
    }
}

/// One copy to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInto {
    /// The mailbox's name (`INBOX` for a keep).
    pub mailbox: String,
    /// The copy's flags (RFC 5232 §5: per action).
    pub flags: Flags,
    /// RFC 5490 §3.2 `:create`: create the mailbox when it does not exist (else the copy goes to
    /// INBOX, so nothing is lost).
    pub create: bool,
    /// RFC 8579 §3 `:specialuse`: store into the mailbox holding this special use when there is
    /// one; otherwise into `mailbox` (created with this use when `create`).
    pub special_use: Option<SpecialUse>,
}

impl StoreInto {
    /// INBOX with these flags.
    pub fn inbox(flags: Flags) -> Self {
        StoreInto {
            mailbox: "INBOX".to_owned(),
            flags,
            create: false,
            special_use: None,
        }
    }
}

/// Mail a filter wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// Send the message (as stored: with the edited header, if any) on to this address (RFC 5228
    /// §4.2). The pipeline adds this recipient's `Delivered-To` and `Received` trace, rewrites the
    /// envelope sender with SRS ([`crate::srs`]) for remote addresses, and refuses a loop (the
    /// message already carries this recipient's `Delivered-To`): the copy is kept in INBOX instead.
    Redirect { address: String },
    /// A message the filter built (RFC 3834 auto-reply rules already applied), sent with the null
    /// reverse-path.
    Auto(AutoMessage),
}

/// What an [`AutoMessage`] is, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoKind {
    /// RFC 5230 vacation reply.
    Vacation,
    /// RFC 5435/5436 notification by mail.
    Notification,
    /// RFC 5429 §2.1 reject notice (an RFC 3798 MDN).
    RejectNotice,
}

impl AutoKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoKind::Vacation => "vacation",
            AutoKind::Notification => "notification",
            AutoKind::RejectNotice => "reject notice",
        }
    }
}

/// An automatic message to send with the null reverse-path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoMessage {
    pub kind: AutoKind,
    /// The envelope recipient.
    pub to: String,
    /// The whole message.
    pub message: Vec<u8>,
    /// Send only when `(handle, to)` was not answered within `period_secs` (RFC 5230 §4.2, the
    /// vacation memory); the pipeline checks and records it just before sending.
    pub once: Option<OncePer>,
}

/// The vacation memory key of an [`AutoMessage`] (RFC 5230 §4.2, RFC 6131).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OncePer {
    pub handle: String,
    pub period_secs: u64,
}

/// A duplicate-tracking record (RFC 7352 §3): `key` seen, until `until` (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRecord {
    pub key: String,
    pub until: i64,
}

/// What a filter sees of one account's copy.
#[derive(Debug, Clone, Copy)]
pub struct FilterInput<'a> {
    pub account: &'a Account,
    pub envelope: &'a Envelope,
    /// The envelope recipient as given (`bob+lists@example.org`).
    pub recipient: &'a str,
    /// The plus-address tag that led to this account, if any (RFC 5233 subaddress).
    pub tag: Option<&'a str>,
    /// The message as received (without this server's trace headers).
    pub message: &'a [u8],
    /// The MX's SPF/DKIM/DMARC/ARC results, when it verified them.
    pub auth: Option<&'a AuthResults>,
}

/// A per-account filter run at final delivery (see the module docs).
pub trait DeliveryFilter: Send + Sync + std::fmt::Debug {
    fn decide<'a>(
        &'a self,
        input: FilterInput<'a>,
    ) -> Pin<Box<dyn Future<Output = FilterDecision> + Send + 'a>>;
}
