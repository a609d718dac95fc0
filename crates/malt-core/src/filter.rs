//! The seam where user filters (the Sieve issue's engine, RFC 5228) plug into final delivery.
//!
//! For each account a message reaches, [`crate::MailCore::deliver_message`] asks the configured
//! [`DeliveryFilter`] (in [`crate::DeliveryOptions::filter`]) what to do with that account's copy, after
//! recipient resolution and duplicate suppression and before anything is stored:
//! - [`FilterDecision::Keep`]: into INBOX (RFC 5228 §2.10.2 implicit keep); also what happens without
//!   a filter;
//! - [`FilterDecision::FileInto`]: into each named mailbox of the account (RFC 5228 §4.1; a name that
//!   does not exist falls back to INBOX, so nothing is lost), with the given flags (RFC 5232); the
//!   blob is stored once for all of them;
//! - [`FilterDecision::Discard`]: not stored (RFC 5228 §4.4), and still `Delivered` for the sender.
//!
//! Invariants: a filter never fails a delivery (an engine that cannot run a script answers `Keep` and
//! logs, RFC 5228 §2.10.6). It sees the message as received (this account's trace headers are added
//! on storage, after it), the envelope, the recipient address as given and the MX's
//! sender-authentication results (for tests such as spamtest, RFC 5235). Actions that send
//! mail (redirect, vacation, reject) belong to the engine, through the queue.

use std::future::Future;
use std::pin::Pin;

use malt_store::{Account, Flags};

use crate::delivery::Envelope;
use crate::sender_auth::AuthResults;

/// What a filter decided for one account's copy of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterDecision {
    /// Into INBOX.
    Keep,
    /// Into these mailboxes (by name), with these flags.
    FileInto { mailboxes: Vec<String>, flags: Flags },
    /// Not stored.
    Discard,
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
