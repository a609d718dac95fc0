//! The change feed: after commit, journal entries reach subscribers (IMAP IDLE, DAV, web UI) —
//! from this process, from other processes on the same SQLite file (the CLI), and from other
//! nodes on PostgreSQL (LISTEN/NOTIFY).
//!
//! One tailer task per process reads the journal in id order and broadcasts each entry, so every
//! subscriber sees changes in commit order, whoever made them. It wakes when the backend signals
//! a commit (in-process, or a PostgreSQL notification) and, as a safety net and for SQLite
//! writers in other processes, every `poll_interval`. It lives as long as the tokio runtime.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, broadcast};

use crate::store::Store;
use crate::types::JournalEntry;

/// Capacity of the broadcast channel; a subscriber that falls further behind receives
/// `RecvError::Lagged` and must resynchronise from the store (e.g. a full IMAP flag resync).
const CHANNEL_CAPACITY: usize = 4096;
/// Entries read per journal query.
const BATCH: u32 = 1000;

/// Subscribe to committed changes.
#[derive(Debug, Clone)]
pub struct ChangeFeed {
    tx: broadcast::Sender<JournalEntry>,
}

impl ChangeFeed {
    pub fn subscribe(&self) -> broadcast::Receiver<JournalEntry> {
        self.tx.subscribe()
    }

    /// Starts the tailer on the current tokio runtime, from the journal's current head.
    pub async fn start(
        store: Arc<dyn Store>,
        signal: Arc<Notify>,
        poll_interval: Duration,
    ) -> crate::Result<ChangeFeed> {
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        let mut cursor = store.journal_head().await?;
        let feed = ChangeFeed { tx: tx.clone() };
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = signal.notified() => {}
                    _ = tokio::time::sleep(poll_interval) => {}
                }
                loop {
                    match store.journal_after(cursor, BATCH).await {
                        Ok(entries) => {
                            let n = entries.len();
                            for e in entries {
                                cursor = cursor.max(e.id);
                                // No subscribers is fine.
                                let _ = tx.send(e);
                            }
                            if n < BATCH as usize {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "change feed: reading the journal failed");
                            break;
                        }
                    }
                }
            }
        });
        Ok(feed)
    }
}
