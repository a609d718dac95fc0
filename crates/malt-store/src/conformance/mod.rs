//! The conformance suite every backend must pass. Backend crates call [`run_all`] from their
//! tests with a freshly opened, empty storage; the same checks run against SQLite and PostgreSQL.
//!
//! Each check creates its own domain (`<check>.test`) and accounts, so checks do not see each
//! other's data except through global views (`domain_list`, `journal_after`, `referenced_blobs`),
//! which are only checked for containment and order. Failures panic with a message naming the
//! check and the contract (the doc comments of [`crate::Store`]) it breaks.
//!
//! Conventions the suite pins down for every backend:
//! - Orderings "by name"/"by address" are byte-wise (SQLite's BINARY, PostgreSQL `COLLATE "C"`).
//! - Deleting something that does not exist (domain, alias, group, app password) is `NotFound`.
//! - A STORE that changes nothing returns `modseq == 0`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod acl;
mod dav;
mod dav_share;
mod dedup;
mod delegation;
mod directory;
mod dkim;
mod mailboxes;
mod messages;
mod metadata;
mod queue;
mod sieve;
mod sieve_duplicate;

pub use queue::claim_race;

use crate::dav::*;
use crate::types::*;
use crate::{MessageMeta, SortFields, Storage, Store, StoreError};

/// Runs every conformance check against an empty storage.
pub async fn run_all(storage: &Storage) {
    directory::domains(storage).await;
    directory::accounts(storage).await;
    directory::aliases(storage).await;
    directory::groups(storage).await;
    directory::app_passwords(storage).await;
    mailboxes::mailboxes(storage).await;
    mailboxes::subscriptions(storage).await;
    messages::append_and_fetch(storage).await;
    messages::threads(storage).await;
    messages::quota_and_atomicity(storage).await;
    messages::flag_updates(storage).await;
    messages::copy_move(storage).await;
    messages::header_blocks(storage).await;
    messages::prefixes(storage).await;
    messages::expunge_and_changes(storage).await;
    messages::mailbox_delete_releases(storage).await;
    messages::journal(storage).await;
    messages::change_feed(storage).await;
    messages::concurrent_flags(storage).await;
    messages::account_delete_cascades(storage).await;
    metadata::metadata(storage).await;
    acl::acl(storage).await;
    acl::private_seen(storage).await;
    queue::enqueue_get_list(storage).await;
    queue::claim(storage).await;
    queue::update_results(storage).await;
    queue::retry_and_next_due(storage).await;
    queue::submitter_deleted(storage).await;
    queue::concurrent_claims(storage).await;
    delegation::delegations(storage).await;
    dkim::dkim_keys(storage).await;
    dedup::dedup(storage).await;
    sieve::scripts(storage).await;
    sieve::vacation(storage).await;
    sieve_duplicate::sieve_duplicates(storage).await;
    dav::collections(storage).await;
    dav::defaults(storage).await;
    dav::objects(storage).await;
    dav::by_uid_in_account(storage).await;
    dav::quota(storage).await;
    dav::spans(storage).await;
    dav::moves(storage).await;
    dav::renames(storage).await;
    dav::changes(storage).await;
    dav::journal_and_cascade(storage).await;
    dav::concurrent_puts(storage).await;
    dav_share::shares(storage).await;
    dav_share::notifications(storage).await;
    dav_share::sharee_props(storage).await;
    // Last: everything the checks above left behind must be consistent.
    messages::consistency(storage).await;
}

/// Creates a domain and an account `user@<domain>` and returns the account.
async fn account(store: &dyn Store, domain: &str, local: &str) -> Account {
    if store.domain_get(domain).await.unwrap().is_none() {
        store.domain_add(domain).await.unwrap();
    }
    store
        .account_create(NewAccount {
            address: format!("{local}@{domain}"),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            quota_bytes: None,
        })
        .await
        .unwrap()
}

async fn modseq_of(store: &dyn Store, id: AccountId) -> ModSeq {
    store.account_get(id).await.unwrap().unwrap().highest_modseq
}

async fn mailbox(store: &dyn Store, account: AccountId, name: &str) -> Mailbox {
    store
        .mailbox_get(account, name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("mailbox {name} of account {account} should exist"))
}

/// A message body with a unique Message-ID, stored in the blob store; returns the `NewMessage`.
fn new_message(storage: &Storage, mailbox_id: MailboxId, tag: &str, extra: &[u8]) -> NewMessage {
    new_message_threaded(storage, mailbox_id, tag, extra, None)
}

fn new_message_threaded(
    storage: &Storage,
    mailbox_id: MailboxId,
    tag: &str,
    extra: &[u8],
    reply_to: Option<&str>,
) -> NewMessage {
    let message_id = format!("<{tag}@conformance.test>");
    let mut raw = format!(
        "From: a@conformance.test\r\nTo: b@conformance.test\r\nSubject: {tag}\r\nMessage-ID: {message_id}\r\n"
    )
    .into_bytes();
    if let Some(parent) = reply_to {
        raw.extend_from_slice(format!("In-Reply-To: {parent}\r\nReferences: {parent}\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\nHello ");
    raw.extend_from_slice(tag.as_bytes());
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(extra);
    let blob_id = storage.blobs.put(&raw).unwrap();
    let mut meta = MessageMeta {
        sort: SortFields {
            subject: tag.to_owned(),
            base_subject: tag.to_owned(),
            from: "a@conformance.test".into(),
            message_id: Some(message_id.clone()),
            ..SortFields::default()
        },
        preview: format!("Hello {tag}"),
        ..MessageMeta::default()
    };
    meta.envelope.subject = Some(tag.to_owned());
    meta.envelope.message_id = Some(message_id);
    meta.envelope.from = vec![crate::Address {
        name: Some("Ä Sender".into()),
        mailbox: Some("a".into()),
        host: Some("conformance.test".into()),
        ..Default::default()
    }];
    meta.body.media_type = "text".into();
    meta.body.subtype = "plain".into();
    meta.body.params = vec![("charset".into(), "utf-8".into())];
    meta.body.encoding = "7BIT".into();
    if let Some(parent) = reply_to {
        meta.envelope.in_reply_to = Some(parent.to_owned());
        meta.sort.in_reply_to = vec![parent.to_owned()];
        meta.sort.references = vec![parent.to_owned()];
    }
    let header_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |i| i + 4);
    NewMessage {
        mailbox_id,
        size: raw.len() as u64,
        blob_id,
        flags: Flags::default(),
        internal_date: 1_700_000_000,
        meta,
        header: Some(raw[..header_end].to_vec()),
        prefix: None,
    }
}

fn is_not_found<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound(_)))
}

fn is_exists<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::AlreadyExists(_)))
}

fn is_invalid<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Invalid { .. }))
}

fn is_conflict<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Conflict(_)))
}

fn flags(system: u8, keywords: &[&str]) -> Flags {
    Flags::new(system, keywords.iter().map(|s| (*s).to_owned()))
}
