//! The change feed: after commit, journal entries reach subscribers (IMAP IDLE, DAV, web UI) —
//! from this process, from other processes on the same SQLite file (the CLI), and from other
//! nodes on PostgreSQL (LISTEN/NOTIFY).
//!
//! One tailer task per process reads the journal by id and broadcasts each entry once, as soon as
//! it is visible, so subscribers see entries in commit order. It wakes when the backend signals a
//! commit (in-process, or a PostgreSQL notification) and, as a safety net and for SQLite writers
//! in other processes, every `poll_interval`. It lives as long as the tokio runtime.
//!
//! Invariants:
//! - Journal ids are unique and, per account, increase with the modseq (rows are written under
//!   the account's lock). Across accounts, on PostgreSQL, a lower id may become visible after a
//!   higher one (concurrent transactions commit in any order), and an id may never appear (a
//!   rolled-back transaction used it). The tailer therefore keeps a *cursor* below which every id
//!   has been delivered or given up, remembers the ids delivered above it, and gives up on a
//!   missing id after [`GAP_TIMEOUT`].
//! - Every visible entry is broadcast exactly once (unless it becomes visible more than
//!   [`GAP_TIMEOUT`] after a higher id: then subscribers, which re-read the store from their own
//!   modseq anyway, learn of the change with the next entry of that account).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, broadcast};

use crate::store::Store;
use crate::types::JournalEntry;

/// Capacity of the broadcast channel; a subscriber that falls further behind receives
/// `RecvError::Lagged` and must resynchronise from the store (e.g. a full IMAP flag resync).
const CHANNEL_CAPACITY: usize = 4096;
/// Entries read per journal query.
const BATCH: u32 = 1000;
/// How long a missing journal id is waited for before it is taken as rolled back.
pub const GAP_TIMEOUT: Duration = Duration::from_secs(10);

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
        let mut tail = Tail::new(store.journal_head().await?);
        let feed = ChangeFeed { tx: tx.clone() };
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = signal.notified() => {}
                    _ = tokio::time::sleep(poll_interval) => {}
                }
                if let Err(e) = tail.poll(&*store, &tx).await {
                    tracing::warn!(error = %e, "change feed: reading the journal failed");
                }
            }
        });
        Ok(feed)
    }
}

/// The tailer's bookkeeping: what has been delivered, and since when a gap has been open.
#[derive(Debug)]
struct Tail {
    /// Every id <= cursor has been delivered or given up.
    cursor: i64,
    /// Ids > cursor already delivered.
    delivered: BTreeSet<i64>,
    /// When the oldest open gap (cursor + 1 missing while higher ids are delivered) was noticed.
    gap_since: Option<Instant>,
}

impl Tail {
    fn new(head: i64) -> Self {
        Tail {
            cursor: head,
            delivered: BTreeSet::new(),
            gap_since: None,
        }
    }

    /// Highest id delivered so far.
    fn high(&self) -> i64 {
        self.delivered.last().copied().unwrap_or(self.cursor)
    }

    /// Reads what is new (and what has appeared inside gaps) and broadcasts it.
    async fn poll(&mut self, store: &dyn Store, tx: &broadcast::Sender<JournalEntry>) -> crate::Result<()> {
        if !self.delivered.is_empty() {
            // Late commits inside the gaps between cursor and the highest delivered id.
            let entries = store.journal_after(self.cursor, BATCH).await?;
            self.accept(entries, tx);
        }
        loop {
            let entries = store.journal_after(self.high(), BATCH).await?;
            let n = entries.len();
            self.accept(entries, tx);
            if n < BATCH as usize {
                break;
            }
        }
        self.advance(Instant::now());
        Ok(())
    }

    /// Broadcasts entries not delivered before.
    fn accept(&mut self, entries: Vec<JournalEntry>, tx: &broadcast::Sender<JournalEntry>) {
        for e in entries {
            if e.id > self.cursor && self.delivered.insert(e.id) {
                // No subscribers is fine.
                let _ = tx.send(e);
            }
        }
    }

    /// Moves the cursor over delivered ids, and over a gap open longer than [`GAP_TIMEOUT`].
    fn advance(&mut self, now: Instant) {
        loop {
            while self.delivered.first() == Some(&(self.cursor + 1)) {
                self.delivered.pop_first();
                self.cursor += 1;
            }
            if self.delivered.is_empty() {
                self.gap_since = None;
                return;
            }
            match self.gap_since {
                None => {
                    self.gap_since = Some(now);
                    return;
                }
                Some(since) if now.duration_since(since) >= GAP_TIMEOUT => {
                    // Give up on the ids missing below the next delivered one.
                    if let Some(&next) = self.delivered.first() {
                        self.cursor = next - 1;
                    }
                    self.gap_since = Some(now);
                }
                Some(_) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ChangeKind, UidSet};

    fn entry(id: i64) -> JournalEntry {
        JournalEntry {
            id,
            account_id: 1,
            modseq: id as u64,
            mailbox_id: None,
            kind: ChangeKind::FlagsChanged,
            uids: UidSet::default(),
            collection_id: None,
        }
    }

    #[test]
    fn gaps_are_waited_for_then_skipped_and_nothing_is_sent_twice() {
        let (tx, mut rx) = broadcast::channel(64);
        let mut t = Tail::new(10);
        let t0 = Instant::now();
        // 11 and 13 visible; 12 is still committing.
        t.accept(vec![entry(11), entry(13)], &tx);
        t.advance(t0);
        assert_eq!(t.cursor, 11);
        // The same rows read again (gap query) are not sent twice; 12 arrives late and is sent.
        t.accept(vec![entry(12), entry(13)], &tx);
        t.advance(t0);
        assert_eq!((t.cursor, t.delivered.len()), (13, 0));
        let got: Vec<i64> = std::iter::from_fn(|| rx.try_recv().ok()).map(|e| e.id).collect();
        assert_eq!(got, [11, 13, 12]);

        // 14 never appears (rolled back): skipped after the timeout, not before.
        t.accept(vec![entry(15), entry(16)], &tx);
        t.advance(t0);
        assert_eq!(t.cursor, 13);
        t.advance(t0 + GAP_TIMEOUT / 2);
        assert_eq!(t.cursor, 13);
        t.advance(t0 + GAP_TIMEOUT);
        assert_eq!((t.cursor, t.high()), (16, 16));
        // An entry at or below the cursor is never re-sent.
        t.accept(vec![entry(15)], &tx);
        let got: Vec<i64> = std::iter::from_fn(|| rx.try_recv().ok()).map(|e| e.id).collect();
        assert_eq!(got, [15, 16]);
    }
}
