//! PostgreSQL backend of Malt's store (layer 2 of `docs/architecture.md`), for scale-out: many
//! Malt nodes share one database and one blob store.
//!
//! - [`PgStore`] implements [`malt_store::Store`] over a `deadpool-postgres` pool, with prepared
//!   statements cached per connection and batched statements (`unnest` arrays), so no operation
//!   makes one round trip per message.
//! - Writes to one account serialise on the account row: every mutating transaction starts with
//!   `UPDATE accounts SET modseq = modseq + 1 ... RETURNING modseq`, which takes the row lock
//!   until commit. READ COMMITTED is then enough: no lost updates, one modseq per operation.
//! - Journal rows are written while holding the account row lock, so journal ids are unique and
//!   increasing per account. There is no global journal lock (it would serialise every commit of
//!   every account and defeat group commit): ids of different accounts may become visible out of
//!   order, and ids of rolled-back transactions never appear; the change feed of `malt-store`
//!   tolerates both (a late lower id is still delivered, a missing id is skipped after a timeout).
//! - Hot operations (append, STORE, EXPUNGE, COPY/MOVE) pipeline independent statements on one
//!   connection: a handful of round trips per operation whatever the number of messages.
//! - Every mutating transaction runs `pg_notify('malt_changes', <journal id>)`; PostgreSQL
//!   delivers it at commit. A LISTEN task per store forwards notifications to the commit signal
//!   of [`malt_store::Storage`], so other nodes' change feeds wake at once.
//! - The schema is migrated at [`PgStore::open`] (see `schema.rs`).

mod listen;
mod schema;
mod store_impl;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use malt_store::{BlobStore, Result, Storage, StoreError};
use tokio::sync::Notify;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

pub use listen::LISTEN_APPLICATION_NAME;

/// Channel of the cross-node change notifications; the payload is the journal id.
pub const NOTIFY_CHANNEL: &str = "malt_changes";

/// How often the change feed polls the journal when no notification arrives (a safety net:
/// NOTIFY wakes it at once).
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// The PostgreSQL store. Cheap to share behind an `Arc`; dropping it stops its LISTEN task.
pub struct PgStore {
    pool: Pool,
    signal: Arc<Notify>,
    _listener: listen::ListenerGuard,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl PgStore {
    /// Connects to `url` (any libpq-style URL or key/value string `tokio_postgres` accepts, e.g.
    /// with `options=-csearch_path%3Dschema`), applies pending schema migrations and starts the
    /// LISTEN task that forwards other nodes' commits to `signal`.
    pub async fn open(url: &str, pool_size: usize, signal: Arc<Notify>) -> Result<PgStore> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .build()
            .map_err(|e| StoreError::Backend(format!("PostgreSQL pool: {e}")))?;
        let mut client = pool.get().await.map_err(pool_err)?;
        schema::migrate(&mut client).await?;
        drop(client);
        let listener = listen::spawn(config, signal.clone());
        Ok(PgStore {
            pool,
            signal,
            _listener: listener,
        })
    }

    /// The commit signal this store notifies (local commits and other nodes' NOTIFYs).
    pub fn signal(&self) -> Arc<Notify> {
        self.signal.clone()
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_err)
    }

    /// Wakes the change feed after a local commit.
    fn notify_local(&self) {
        wake(&self.signal);
    }
}

/// A read-only transaction on one snapshot (REPEATABLE READ): several reads that must agree with
/// each other (a mailbox's changes, the queue with its recipients, the consistency check).
async fn snapshot(client: &mut deadpool_postgres::Object) -> Result<deadpool_postgres::Transaction<'_>> {
    client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(|e| pg_err(e, "transaction"))
}

/// Opens a [`Storage`] on PostgreSQL with blobs under `blob_dir` (poll interval 2 s).
pub async fn open_storage(url: &str, pool_size: usize, blob_dir: impl Into<PathBuf>) -> Result<Storage> {
    let blobs = BlobStore::open(blob_dir)?;
    let signal = Arc::new(Notify::new());
    let store = PgStore::open(url, pool_size, signal.clone()).await?;
    Ok(Storage {
        store: Arc::new(store),
        blobs,
        signal,
        poll_interval: POLL_INTERVAL,
    })
}

/// Wakes every waiter, and leaves a permit for a tailer that is busy reading the journal right
/// now (it would otherwise miss this wake-up and wait for the next poll).
fn wake(signal: &Notify) {
    signal.notify_waiters();
    signal.notify_one();
}

fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Backend(format!("PostgreSQL pool: {e}"))
}

/// Maps a database error: unique violations become `AlreadyExists`, foreign-key violations
/// `NotFound` (of the thing referenced), everything else `Backend`.
fn pg_err(e: tokio_postgres::Error, what: &str) -> StoreError {
    match e.code() {
        Some(c) if *c == SqlState::UNIQUE_VIOLATION => StoreError::AlreadyExists(what.to_owned()),
        Some(c) if *c == SqlState::FOREIGN_KEY_VIOLATION => StoreError::NotFound(what.to_owned()),
        _ => match e.as_db_error() {
            // The plain Display of a server error is only "db error": keep its message.
            Some(db) => StoreError::Backend(format!(
                "PostgreSQL ({what}): {} ({})",
                db.message(),
                db.code().code()
            )),
            None => StoreError::Backend(format!("PostgreSQL ({what}): {e}")),
        },
    }
}
