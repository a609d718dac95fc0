//! Malt's storage layer (layer 2 of `docs/architecture.md`).
//!
//! - [`Store`]: the domain API (accounts, directory, mailboxes, messages, quota, the change
//!   journal), implemented by `malt-store-sqlite` (embedded default) and `malt-store-postgres`
//!   (scale-out); both pass the one [`conformance`] suite (feature `conformance`).
//! - [`BlobStore`]: message bodies, content-addressed, compressed, immutable.
//! - [`ChangeFeed`]: committed journal entries, in commit order, to every subscriber.
//! - [`dav`]: calendars and address books (CalDAV/CardDAV collections and objects).
//! - [`dav_share`]: their sharing (grants to accounts and groups, each sharee's answer).
//!
//! Protocols never see SQL: they call the mail core in `malt-core`, which calls this API.

pub mod blob;
pub mod changes;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod dav;
pub mod dav_share;
pub mod error;
pub mod maintenance;
pub mod meta;
pub mod sieve;
pub mod store;
pub mod types;

use std::sync::Arc;
use std::time::Duration;

pub use blob::BlobStore;
pub use changes::ChangeFeed;
pub use dav::*;
pub use dav_share::*;
pub use error::{Result, StoreError};
pub use meta::*;
pub use sieve::*;
pub use store::Store;
pub use types::*;

/// An opened storage: metadata store, blob store and the commit signal that feeds [`ChangeFeed`].
#[derive(Clone)]
pub struct Storage {
    pub store: Arc<dyn Store>,
    pub blobs: BlobStore,
    /// Notified after every local commit and, on PostgreSQL, on every NOTIFY from other nodes.
    pub signal: Arc<tokio::sync::Notify>,
    /// How often the change feed polls the journal when not signalled.
    pub poll_interval: Duration,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("backend", &self.store.backend_name())
            .field("blobs", &self.blobs.root())
            .finish()
    }
}

impl Storage {
    /// Starts the change feed for this process (servers; the CLI does not need one).
    pub async fn change_feed(&self) -> Result<ChangeFeed> {
        ChangeFeed::start(self.store.clone(), self.signal.clone(), self.poll_interval).await
    }
}
