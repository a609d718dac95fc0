//! Malt's core services (layer 3 of `docs/architecture.md`), shared by every protocol:
//!
//! - [`acl`]: access control (RFC 4314): rights, effective rights, shared mailboxes;
//! - [`ingest`]: parse a message once and compute its [`malt_store::MessageMeta`];
//! - [`auth`]: passwords (argon2id), app passwords, SASL (a codec, no I/O), rate limits, the
//!   auth cache and the [`auth::Authenticator`];
//! - [`compose`]: messages the server writes itself (auto-replies, notifications, reject notices)
//!   and the header helpers they share with DSNs;
//! - [`dedup`]: duplicate suppression by Message-ID per account;
//! - [`delivery`]: the delivery pipeline (trace headers, per-recipient outcomes) for LMTP/SMTP;
//! - [`dkim`]: DKIM key generation and signing of outgoing mail;
//! - [`filter`]: the seam where user filters (Sieve) decide each account's copy at delivery;
//! - [`header`]: reading a message's header block (fields, values, where the body starts);
//! - [`directory`]: recipient resolution (plus addressing, aliases, groups, catch-all);
//! - [`dav_sharing`]: sharing of calendars and address books with accounts and groups, and who
//!   may do what with a collection;
//! - [`gal`]: the global address book (accounts and distribution groups as vCards);
//! - [`mail`]: the mail core (mailbox name rules, create/rename/delete, append, delivery);
//! - [`queue`]: putting a message into the durable outbound queue;
//! - [`scheduling`]: calendar scheduling deliveries (RFC 6638, iMIP RFC 6047): iTIP messages
//!   to local users' inboxes and calendars or by mail, and iMIP mail applied at delivery;
//! - [`srs`]: the Sender Rewriting Scheme for forwarded mail;
//! - [`sender_auth`]: SPF, DKIM, DMARC and ARC verification of incoming mail (`Authentication-Results`);
//! - [`sending`]: who may send as which address (submission's sender rules);
//! - [`sieve`]: Sieve at final delivery (the [`filter::DeliveryFilter`] that runs users' scripts);
//! - [`sieve_scripts`]: users' Sieve scripts as ManageSieve and the CLI manage them (checks, quota);
//! - [`storage`]: opening the configured store backend and blob store;
//! - [`submission`]: the header fix-ups of message submission (RFC 6409 §8).
//!
//! Protocols call these, never SQL; this crate calls the [`malt_store::Store`] API.

pub mod acl;
pub mod auth;
pub mod compose;
pub mod dav_sharing;
pub mod dedup;
pub mod delivery;
pub mod directory;
pub mod dkim;
pub mod filter;
pub mod gal;
pub mod header;
pub mod ingest;
pub mod mail;
pub mod queue;
pub mod scheduling;
pub mod sender_auth;
pub mod sending;
pub mod sieve;
pub mod sieve_scripts;
pub mod srs;
pub mod storage;
pub mod submission;

pub use auth::{AuthResult, AuthSettings, Authenticator};
pub use directory::{Resolved, resolve};
pub use ingest::parse_message;
pub use mail::{AppendItem, DeliveryOptions, MailCore, MailSettings, StoredBlob, validate_mailbox_name};
pub use storage::{BackendChoice, open_storage};

#[cfg(test)]
pub(crate) mod test_support {
    //! Unit-test helpers: a real SQLite store in a temporary directory.
    #![allow(clippy::unwrap_used)]

    use crate::mail::{MailCore, MailSettings};
    use crate::storage::{BackendChoice, open_storage};

    /// A mail core over a fresh SQLite store and blob store in `dir`.
    pub(crate) async fn core(dir: &tempfile::TempDir, settings: MailSettings) -> MailCore {
        let storage = open_storage(
            BackendChoice::Sqlite {
                path: dir.path().join("malt.db"),
            },
            dir.path().join("blobs"),
        )
        .await
        .unwrap();
        MailCore::new(storage, settings)
    }

    /// Creates the account `address` (its domain must exist) and returns its id.
    pub(crate) async fn account(store: &dyn malt_store::Store, address: &str) -> malt_store::AccountId {
        store
            .account_create(malt_store::NewAccount {
                address: address.into(),
                password_hash: "x".into(),
                quota_bytes: None,
            })
            .await
            .unwrap()
            .id
    }
}
