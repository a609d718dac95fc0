//! SQLite backend of Malt's store: the embedded, zero-config default (one file, WAL).
//!
//! Concurrency design:
//! - ONE writer thread owns the write connection. Write jobs (closures over a
//!   [`rusqlite::Transaction`]) arrive on a channel; the writer takes every job queued at that
//!   moment and runs them in ONE `BEGIN IMMEDIATE` transaction, each inside its own SAVEPOINT so
//!   a failing job (over quota, a duplicate name) rolls back alone and reports its error. It
//!   commits once, then answers every job and signals the change feed (group commit). Writes of
//!   this process are therefore serialised: no update is ever lost, and every read-modify-write
//!   (flags, counters, quota) happens inside the writer's transaction.
//! - Other processes (the CLI) writing the same file are serialised by SQLite's write lock;
//!   `busy_timeout` makes each side wait for the other instead of failing.
//! - Reads run on a small pool of `query_only` connections via `spawn_blocking`, each in its own
//!   read transaction (one consistent WAL snapshot per call).
//! - Durability: `synchronous=FULL` in WAL mode fsyncs the WAL at every commit, so a write whose
//!   future has returned survives power loss.

mod acl;
mod dav;
mod dav_share;
mod ops;
mod queue;
mod schema;
mod sieve;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use malt_store::{BlobStore, Result, Storage, StoreError};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::{Notify, oneshot};

/// How long a connection waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Read connections kept open when idle (more are opened under load and closed afterwards).
const READ_POOL: usize = 4;
/// Most write jobs committed in one transaction.
const MAX_BATCH: usize = 512;
/// How often the change feed polls the journal when not signalled (catches CLI writes).
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// The SQLite [`malt_store::Store`]. Cheap to clone; all clones share one writer and one pool.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: mpsc::Sender<Box<dyn WriteJob>>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish()
    }
}

/// Opens `<path_db>` and `<blob_dir>` as a [`Storage`] (poll interval [`POLL_INTERVAL`]).
pub async fn open_storage(path_db: &Path, blob_dir: &Path) -> Result<Storage> {
    let signal = Arc::new(Notify::new());
    let store = SqliteStore::open(path_db, signal.clone()).await?;
    let blobs = BlobStore::open(blob_dir)?;
    Ok(Storage {
        store: Arc::new(store),
        blobs,
        signal,
        poll_interval: POLL_INTERVAL,
    })
}

impl SqliteStore {
    /// Opens (creating if needed, with parent directories) the database at `path`, applies
    /// migrations and starts the writer thread. `signal` is notified after every commit.
    pub async fn open(path: &Path, signal: Arc<Notify>) -> Result<SqliteStore> {
        let path = path.to_path_buf();
        let p = path.clone();
        let conn = tokio::task::spawn_blocking(move || -> Result<Connection> {
            if let Some(parent) = p.parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)?;
            }
            let mut conn = Connection::open(&p).map_err(|e| backend_err(&p, e))?;
            configure(&conn, false).map_err(|e| backend_err(&p, e))?;
            schema::migrate(&mut conn).map_err(|e| backend_err(&p, e))?;
            Ok(conn)
        })
        .await
        .map_err(StoreError::backend)??;
        let (tx, rx) = mpsc::channel::<Box<dyn WriteJob>>();
        std::thread::Builder::new()
            .name("malt-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, signal))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                writer: tx,
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in the writer's transaction (inside its own savepoint) and returns its result
    /// once the transaction has committed.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> R<T> + Send + 'static,
    {
        let started = std::time::Instant::now();
        let (reply, rx) = oneshot::channel();
        let job: Box<dyn WriteJob> = Box::new(Pending { f, reply });
        self.inner
            .writer
            .send(job)
            .map_err(|_| StoreError::Backend("sqlite writer thread has stopped".into()))?;
        let res = rx
            .await
            .map_err(|_| StoreError::Backend("sqlite writer dropped the request".into()))?;
        record_latency("write", started);
        res
    }

    /// Runs `f` in a read transaction on a pooled read-only connection.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> R<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        let started = std::time::Instant::now();
        let res = tokio::task::spawn_blocking(move || {
            let mut conn = inner.take_reader()?;
            let res = (|| -> R<T> {
                let tx = conn.transaction()?;
                let v = f(&tx)?;
                tx.finish()?;
                Ok(v)
            })();
            inner.put_reader(conn);
            res.map_err(|e| e.0)
        })
        .await
        .map_err(StoreError::backend)?;
        record_latency("read", started);
        res
    }
}

impl Inner {
    fn take_reader(&self) -> Result<Connection> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        if let Some(c) = pooled {
            return Ok(c);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(|e| backend_err(&self.path, e))?;
        configure(&conn, true).map_err(|e| backend_err(&self.path, e))?;
        Ok(conn)
    }

    fn put_reader(&self, conn: Connection) {
        let mut pool = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < READ_POOL && conn.is_autocommit() {
            pool.push(conn);
        }
    }
}

/// `malt_store_latency_seconds{backend="sqlite", op="read"|"write"}`: queueing included, since
/// that is what a session waits for.
fn record_latency(op: &'static str, started: std::time::Instant) {
    metrics::histogram!("malt_store_latency_seconds", "backend" => "sqlite", "op" => op)
        .record(started.elapsed().as_secs_f64());
}

fn backend_err(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("sqlite {}: {e}", path.display()))
}

/// Per-connection settings. WAL and `synchronous=FULL`: a returned commit is durable.
fn configure(conn: &Connection, read_only: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if !read_only {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "sqlite: WAL mode not available");
        }
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    if read_only {
        conn.execute_batch("PRAGMA query_only = ON;")?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

// ---- Errors inside transactions ------------------------------------------------------------

/// Error type of the closures run in transactions: a [`StoreError`] that `?` can produce from
/// rusqlite and serde errors (unique violations become `AlreadyExists`, missing rows `NotFound`).
#[derive(Debug)]
pub(crate) struct E(pub(crate) StoreError);

pub(crate) type R<T> = std::result::Result<T, E>;

impl From<StoreError> for E {
    fn from(e: StoreError) -> Self {
        E(e)
    }
}

impl From<serde_json::Error> for E {
    fn from(e: serde_json::Error) -> Self {
        E(StoreError::Backend(format!("metadata encoding: {e}")))
    }
}

impl From<rusqlite::Error> for E {
    fn from(e: rusqlite::Error) -> Self {
        if is_unique_violation(&e) {
            return E(StoreError::AlreadyExists(e.to_string()));
        }
        match e {
            rusqlite::Error::QueryReturnedNoRows => E(StoreError::NotFound("row".into())),
            other => E(StoreError::Backend(format!("sqlite: {other}"))),
        }
    }
}

/// Whether `e` is a UNIQUE or PRIMARY KEY constraint violation.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => {
            f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        }
        _ => false,
    }
}

// ---- The writer thread -------------------------------------------------------------------

/// A queued write: runs in the batch transaction, answers after the commit.
trait WriteJob: Send {
    /// Runs the job in its own savepoint. `None` when the savepoint could not be released or
    /// rolled back: the batch transaction is then in an unknown state and must be abandoned.
    fn run(self: Box<Self>, tx: &Transaction<'_>) -> (Box<dyn Done>, bool);
    /// The batch failed before the job ran.
    fn fail(self: Box<Self>, err: String);
}

/// A job that ran and waits for the batch's outcome.
trait Done {
    fn finish(self: Box<Self>, commit: std::result::Result<(), String>);
}

struct Pending<T, F> {
    f: F,
    reply: oneshot::Sender<Result<T>>,
}

struct Ran<T> {
    res: Result<T>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> WriteJob for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Transaction<'_>) -> R<T> + Send + 'static,
{
    fn run(self: Box<Self>, tx: &Transaction<'_>) -> (Box<dyn Done>, bool) {
        let Pending { f, reply } = *self;
        let (res, sound) = match tx.execute_batch("SAVEPOINT job") {
            Err(e) => (Err(E::from(e).0), false),
            Ok(()) => match f(tx) {
                Ok(v) => match tx.execute_batch("RELEASE job") {
                    Ok(()) => (Ok(v), true),
                    Err(e) => (Err(E::from(e).0), false),
                },
                Err(E(err)) => {
                    let sound = tx.execute_batch("ROLLBACK TO job; RELEASE job").is_ok();
                    (Err(err), sound)
                }
            },
        };
        (Box::new(Ran { res, reply }), sound)
    }

    fn fail(self: Box<Self>, err: String) {
        let _ = self.reply.send(Err(StoreError::Backend(err)));
    }
}

impl<T: Send + 'static> Done for Ran<T> {
    fn finish(self: Box<Self>, commit: std::result::Result<(), String>) {
        let out = match commit {
            Ok(()) => self.res,
            Err(e) => Err(StoreError::Backend(e)),
        };
        // The caller may have gone away (cancelled future): nothing to do.
        let _ = self.reply.send(out);
    }
}

fn writer_loop(mut conn: Connection, rx: mpsc::Receiver<Box<dyn WriteJob>>, signal: Arc<Notify>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                let msg = format!("sqlite: cannot begin a write transaction: {e}");
                tracing::error!("{msg}");
                for j in jobs {
                    j.fail(msg.clone());
                }
                continue;
            }
        };
        let mut done = Vec::with_capacity(jobs.len());
        let mut sound = true;
        for j in jobs {
            if sound {
                let (d, ok) = j.run(&tx);
                sound = ok;
                done.push(d);
            } else {
                j.fail("sqlite: write batch abandoned".into());
            }
        }
        let outcome = if sound {
            tx.commit().map_err(|e| format!("sqlite: commit failed: {e}"))
        } else {
            let _ = tx.rollback();
            Err("sqlite: write batch rolled back after a savepoint failure".to_owned())
        };
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "sqlite write batch failed");
        }
        let committed = outcome.is_ok();
        for d in done {
            d.finish(outcome.clone());
        }
        if committed {
            // Wake the change feed: waiters now, or the next wait if it is busy reading.
            signal.notify_waiters();
            signal.notify_one();
        }
    }
}
