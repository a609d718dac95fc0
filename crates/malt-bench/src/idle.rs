//! `malt-bench idle`: N sessions that LOGIN, SELECT INBOX and IDLE (RFC 2177, RFC 9051 §6.3.13), held
//! until released, then DONE and LOGOUT — what a server's memory per idle client is measured with.
//!
//! Invariants:
//! - At most `concurrency` sessions are being set up at once (connect, LOGIN, SELECT, IDLE up to the
//!   server's `+` continuation request); a session counts as idling only after that `+`.
//! - [`run`] calls `on_idle` exactly once, when every session is either idling or has failed, and only
//!   then waits for `release`; every session then sends DONE, reads IDLE's tagged reply (and any
//!   untagged responses that arrived while idling), and logs out.
//! - Failures are counted per step with a bounded sample of messages ([`Recorder`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::client::Client;
use crate::session::{open_selected, timed_ok};
use crate::stats::{Op, OpStats, Recorder};

/// What to run.
#[derive(Debug, Clone)]
pub struct IdlePlan {
    pub addr: SocketAddr,
    /// Logins; session `i` uses `users[i % len]`.
    pub users: Vec<String>,
    pub password: String,
    pub sessions: usize,
    /// Sessions being set up at once.
    pub concurrency: usize,
    /// Deadline of each exchange.
    pub timeout: Duration,
}

/// What a run measured (the JSON the binary prints).
#[derive(Debug, Serialize)]
pub struct IdleReport {
    pub addr: String,
    pub sessions: usize,
    /// Sessions that reached IDLE's continuation request.
    pub idling: usize,
    /// Seconds until every session was idling or had failed.
    pub setup_s: f64,
    /// Seconds the sessions were held.
    pub held_s: f64,
    /// Sessions that ended with DONE → OK and LOGOUT → OK.
    pub closed_cleanly: usize,
    pub errors: u64,
    pub flagged: bool,
    pub per_command: Vec<OpStats>,
    pub error_samples: Vec<String>,
}

/// Opens the sessions, calls `on_idle(idling, failed)` once all are set up, waits for `release`, then
/// closes them.
pub async fn run(
    plan: IdlePlan,
    on_idle: impl FnOnce(usize, usize),
    release: impl Future<Output = ()>,
) -> IdleReport {
    let plan = Arc::new(plan);
    let start = Instant::now();
    let gate = Arc::new(Semaphore::new(plan.concurrency.max(1)));
    let (ready_tx, mut ready_rx) = mpsc::channel::<bool>(plan.sessions.max(1));
    let (release_tx, release_rx) = watch::channel(false);
    let mut tasks = Vec::with_capacity(plan.sessions);
    for i in 0..plan.sessions {
        let plan = plan.clone();
        let gate = gate.clone();
        let ready = ready_tx.clone();
        let release = release_rx.clone();
        tasks.push(tokio::spawn(async move {
            one_session(&plan, i, &gate, ready, release).await
        }));
    }
    drop(ready_tx);
    let mut idling = 0;
    let mut failed = 0;
    while idling + failed < plan.sessions {
        match ready_rx.recv().await {
            Some(true) => idling += 1,
            Some(false) => failed += 1,
            None => break,
        }
    }
    let setup = start.elapsed();
    on_idle(idling, failed);
    let held = Instant::now();
    release.await;
    let held = held.elapsed();
    // Every task is waiting on the watch (or has ended); a send error means none is left to tell.
    let _ = release_tx.send(true);
    let mut total = Recorder::default();
    for t in tasks {
        match t.await {
            Ok(rec) => total.merge(rec),
            Err(e) => total.error(Op::Connect, format!("session task failed: {e}")),
        }
    }
    let errors = total.errors();
    IdleReport {
        addr: plan.addr.to_string(),
        sessions: plan.sessions,
        idling,
        setup_s: setup.as_secs_f64(),
        held_s: held.as_secs_f64(),
        closed_cleanly: total.sessions as usize,
        errors,
        flagged: errors > 0,
        per_command: total.per_op(),
        error_samples: total.error_samples,
    }
}

async fn one_session(
    plan: &IdlePlan,
    i: usize,
    gate: &Semaphore,
    ready: mpsc::Sender<bool>,
    mut release: watch::Receiver<bool>,
) -> Recorder {
    let mut rec = Recorder::default();
    // The permit is held while the session is set up. The semaphore is never closed; if it were,
    // the session would count as failed.
    let client = match gate.acquire().await {
        Ok(_permit) => setup(plan, i, &mut rec).await,
        Err(_) => None,
    };
    // The receiver lives until every session reported; a send error only means the run is over.
    let _ = ready.send(client.is_some()).await;
    drop(ready);
    let Some(mut client) = client else {
        return rec;
    };
    // Sender dropped or value true: either way it is time to close.
    let _ = release.wait_for(|go| *go).await;
    if close(&mut client, &mut rec).await {
        rec.sessions += 1;
    }
    rec
}

/// Connect, LOGIN, SELECT INBOX, IDLE up to `+`; the idling client, or `None` (error recorded).
async fn setup(plan: &IdlePlan, i: usize, rec: &mut Recorder) -> Option<Client> {
    let user = plan.users.get(i % plan.users.len().max(1))?;
    let mut c = open_selected(plan.addr, plan.timeout, user, &plan.password, rec)
        .await
        .ok()?;
    let t = Instant::now();
    match c.idle().await {
        Ok(None) => {
            rec.ok(Op::Idle, t.elapsed());
            Some(c)
        }
        Ok(Some(reply)) => {
            rec.error(Op::Idle, reply.describe());
            None
        }
        Err(e) => {
            rec.error(Op::Idle, e.to_string());
            None
        }
    }
}

/// DONE and LOGOUT; whether both were OK.
async fn close(c: &mut Client, rec: &mut Recorder) -> bool {
    timed_ok(rec, Op::Done, c.done()).await.is_ok()
        && timed_ok(rec, Op::Logout, c.command("LOGOUT")).await.is_ok()
}
