//! Connection reuse: idle sessions kept per destination for the next message (RFC 5321 §3.3 allows many
//! transactions per session; it spares a TCP and TLS handshake per message).
//!
//! Invariants:
//! - A connection is put here only after a successful `RSET` (so it is alive and between transactions),
//!   and is handed out at most once (`take` removes it).
//! - The key is the destination as the caller chose it: host name, port, TLS policy and the AUTH user, so
//!   a session is never reused with weaker TLS or another identity than asked for.
//! - At most `max_idle` connections per key; the oldest goes first. A connection idle for `idle` or more is
//!   never handed out: a timer closes it (with QUIT) once its time is up, and `take` skips stale ones.
//! - A reused connection may still have been closed by the server meanwhile; the caller retries such a
//!   transaction once on a fresh connection (`deliver`).
//! - The lock is never held across an await; QUITs run in spawned tasks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::client::{Connection, TlsPolicy};

/// What a reusable connection was opened for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// The server's host name (lower case) as routed: the MX host or the relay host.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The TLS policy it was opened with.
    pub tls: TlsPolicy,
    /// The AUTH user, if it authenticated.
    pub user: Option<String>,
}

struct Idle {
    conn: Connection,
    since: Instant,
}

type Map = HashMap<PoolKey, Vec<Idle>>;

/// Idle connections by destination.
#[derive(Clone)]
pub struct Pool {
    map: Arc<Mutex<Map>>,
    idle: Duration,
    max_idle: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("idle", &self.idle)
            .field("max_idle", &self.max_idle)
            .finish()
    }
}

fn quit_all(conns: Vec<Connection>) {
    if conns.is_empty() {
        return;
    }
    tokio::spawn(async move {
        for c in conns {
            c.quit().await;
        }
    });
}

impl Pool {
    /// A pool keeping up to `max_idle` connections per destination for `idle`; `max_idle = 0` keeps none.
    pub fn new(idle: Duration, max_idle: usize) -> Pool {
        Pool {
            map: Arc::new(Mutex::new(HashMap::new())),
            idle,
            max_idle,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Map> {
        // A poisoned lock still holds a consistent map: every change is a single push or removal.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether connections are kept at all.
    pub fn enabled(&self) -> bool {
        self.max_idle > 0 && !self.idle.is_zero()
    }

    /// The most recently used idle connection for `key`, if one is still within its idle time.
    pub fn take(&self, key: &PoolKey) -> Option<Connection> {
        let mut stale = Vec::new();
        let found = {
            let mut map = self.lock();
            let mut found = None;
            if let Some(list) = map.get_mut(key) {
                while let Some(idle) = list.pop() {
                    if idle.since.elapsed() < self.idle {
                        found = Some(idle.conn);
                        break;
                    }
                    stale.push(idle.conn);
                }
                if list.is_empty() {
                    map.remove(key);
                }
            }
            found
        };
        quit_all(stale);
        found
    }

    /// Keeps `conn` (already `RSET`) for `key`; closes it instead when reuse is off.
    pub fn put(&self, key: PoolKey, conn: Connection) {
        if !self.enabled() {
            quit_all(vec![conn]);
            return;
        }
        let evicted = {
            let mut map = self.lock();
            let list = map.entry(key).or_default();
            list.push(Idle {
                conn,
                since: Instant::now(),
            });
            let excess = list.len().saturating_sub(self.max_idle);
            list.drain(..excess).map(|i| i.conn).collect()
        };
        quit_all(evicted);
        let pool = self.clone();
        let wait = self.idle;
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            pool.reap();
        });
    }

    /// Closes every connection whose idle time is up.
    fn reap(&self) {
        let stale = {
            let mut map = self.lock();
            let mut stale = Vec::new();
            for list in map.values_mut() {
                let (old, keep): (Vec<Idle>, Vec<Idle>) = std::mem::take(list)
                    .into_iter()
                    .partition(|i| i.since.elapsed() >= self.idle);
                *list = keep;
                stale.extend(old.into_iter().map(|i| i.conn));
            }
            map.retain(|_, list| !list.is_empty());
            stale
        };
        quit_all(stale);
    }

    /// How many idle connections are kept now.
    pub fn idle_count(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// Closes every idle connection (QUIT), waiting for them; for shutdown.
    pub async fn close_all(&self) {
        let all: Vec<Connection> = {
            let mut map = self.lock();
            map.drain()
                .flat_map(|(_, list)| list.into_iter().map(|i| i.conn))
                .collect()
        };
        for c in all {
            c.quit().await;
        }
    }
}
