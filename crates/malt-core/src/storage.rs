//! Opening storage: the chosen metadata backend plus the filesystem blob store, as one
//! [`Storage`]. The binary maps its config onto [`BackendChoice`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use malt_store::{BlobStore, Result, Storage};
use malt_store_postgres::PgStore;
use malt_store_sqlite::SqliteStore;

/// How often the change feed polls the journal on SQLite (so that writes from other processes,
/// such as the CLI, reach a running server quickly).
pub const SQLITE_POLL_INTERVAL: Duration = Duration::from_millis(250);
/// On PostgreSQL, LISTEN/NOTIFY wakes the feed; polling is only a safety net.
pub const POSTGRES_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Which metadata backend to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendChoice {
    /// The embedded default: one SQLite file.
    Sqlite { path: PathBuf },
    /// PostgreSQL, for scale-out.
    Postgres { url: String, pool_size: usize },
}

/// Opens the metadata store and the blob store rooted at `data_dir_blobs` (created if
/// missing).
pub async fn open_storage(backend: BackendChoice, data_dir_blobs: PathBuf) -> Result<Storage> {
    let signal = Arc::new(tokio::sync::Notify::new());
    let blobs = tokio::task::spawn_blocking(move || BlobStore::open(data_dir_blobs))
        .await
        .map_err(malt_store::StoreError::backend)??;
    let (store, poll_interval): (Arc<dyn malt_store::Store>, Duration) = match backend {
        BackendChoice::Sqlite { path } => (
            Arc::new(SqliteStore::open(&path, signal.clone()).await?),
            SQLITE_POLL_INTERVAL,
        ),
        BackendChoice::Postgres { url, pool_size } => (
            Arc::new(PgStore::open(&url, pool_size, signal.clone()).await?),
            POSTGRES_POLL_INTERVAL,
        ),
    };
    Ok(Storage {
        store,
        blobs,
        signal,
        poll_interval,
    })
}
