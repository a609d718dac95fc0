//! Malt's core services (layer 3 of `docs/architecture.md`), shared by every protocol:
//!
//! - [`acl`]: access control (RFC 4314): rights, effective rights, shared mailboxes;
//! - [`ingest`]: parse a message once and compute its [`malt_store::MessageMeta`];
//! - [`auth`]: passwords (argon2id), app passwords, SASL (a codec, no I/O), rate limits, the
//!   auth cache and the [`auth::Authenticator`];
//! - [`dedup`]: duplicate suppression by Message-ID per account;
//! - [`delivery`]: the delivery pipeline (trace headers, per-recipient outcomes) for LMTP/SMTP;
//! - [`dkim`]: DKIM key generation and signing of outgoing mail;
//! - [`directory`]: recipient resolution (plus addressing, aliases, groups, catch-all);
//! - [`mail`]: the mail core (mailbox name rules, create/rename/delete, append, delivery);
//! - [`sender_auth`]: SPF, DKIM, DMARC and ARC verification of incoming mail (`Authentication-Results`);
//! - [`storage`]: opening the configured store backend and blob store.
//!
//! Protocols call these, never SQL; this crate calls the [`malt_store::Store`] API.

pub mod acl;
pub mod auth;
pub mod dedup;
pub mod delivery;
pub mod directory;
pub mod dkim;
pub mod ingest;
pub mod mail;
pub mod sender_auth;
pub mod storage;

pub use auth::{AuthResult, AuthSettings, Authenticator};
pub use directory::{Resolved, resolve};
pub use ingest::parse_message;
pub use mail::{AppendItem, DeliveryOptions, MailCore, MailSettings, validate_mailbox_name};
pub use storage::{BackendChoice, open_storage};
