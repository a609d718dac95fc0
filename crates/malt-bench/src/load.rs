//! `malt-bench imap`: C concurrent clients, each looping one realistic session until the duration is
//! over, every exchange timed.
//!
//! One session (the mix is fixed; the sizes are options, defaults in brackets):
//! 1. connect and read the greeting (timed, not counted as a command);
//! 2. `LOGIN` (RFC 9051 §6.2.3) and `SELECT INBOX` (§6.3.2);
//! 3. `FETCH lo:n (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)])` of
//!    the newest [50] messages by sequence number, as a client opening a folder without a cache does;
//! 4. `FETCH set (ENVELOPE BODYSTRUCTURE)` of [20] random messages;
//! 5. `FETCH set BODY.PEEK[]` of [3] random messages;
//! 6. `STORE set +FLAGS (\Seen)` on [3] random messages;
//! 7. `APPEND INBOX {n}` of one message from the pool (synchronizing literal);
//! 8. `UID STORE uid +FLAGS (\Deleted)` and `UID EXPUNGE uid` (RFC 4315 §2.1) on the appended message,
//!    its UID taken from `APPENDUID`, so the mailbox keeps its size;
//! 9. `NOOP`, `LOGOUT`.
//!
//! Invariants:
//! - Sequence numbers are picked in `1..=n` where `n` is the session's own view ([`Client::exists`]),
//!   which the server keeps valid (RFC 9051 §7.5.1: no EXPUNGE during FETCH or STORE).
//! - `NO [EXPUNGEISSUED]` (another client expunged a message this session still sees) is a race, counted
//!   apart; any other `NO`/`BAD`, a timeout or a disconnect is an error. A failed `LOGIN`, `SELECT` or
//!   broken connection ends the session; the client waits [`RETRY_PAUSE`] before the next.
//! - Once the duration is over, a client finishes the session it is in (so its appended message is
//!   expunged) and stops; rates are over the wall time until the last client stopped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::client::Client;
use crate::session::{Aborted, open_selected, timed, timed_ok};
use crate::stats::{Op, OpStats, Recorder};

/// Pause after a failed session before the client starts another.
pub const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// How many messages each step of a session touches.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Mix {
    /// Newest messages whose header fields are fetched.
    pub headers: u32,
    /// Random messages whose ENVELOPE and BODYSTRUCTURE are fetched.
    pub envelopes: u32,
    /// Random messages fetched whole.
    pub bodies: u32,
    /// Random messages marked `\Seen`.
    pub seen: u32,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            headers: 50,
            envelopes: 20,
            bodies: 3,
            seen: 3,
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub addr: SocketAddr,
    /// Logins; client `i` uses `users[i % len]`.
    pub users: Vec<String>,
    pub password: String,
    pub clients: usize,
    pub duration: Duration,
    pub seed: u64,
    pub pool: Arc<Vec<Vec<u8>>>,
    pub mix: Mix,
    /// Deadline of each exchange.
    pub timeout: Duration,
}

/// What a run measured (the JSON the binary prints).
#[derive(Debug, Serialize)]
pub struct LoadReport {
    pub addr: String,
    pub clients: usize,
    pub users: usize,
    pub seed: u64,
    pub mix: Mix,
    pub duration_s: f64,
    /// Wall time from start until the last client stopped.
    pub elapsed_s: f64,
    pub sessions: u64,
    pub sessions_per_s: f64,
    pub commands: u64,
    pub commands_per_s: f64,
    pub received_mib: f64,
    /// Untagged responses (FETCH data, EXISTS...) read before the tagged replies.
    pub untagged_responses: u64,
    pub errors: u64,
    pub expunge_races: u64,
    /// True when any error occurred: the figures are then not comparable.
    pub flagged: bool,
    pub overall: OpStats,
    pub per_command: Vec<OpStats>,
    pub error_samples: Vec<String>,
}

/// Runs the plan and merges what every client measured.
pub async fn run(plan: LoadPlan) -> LoadReport {
    let plan = Arc::new(plan);
    let start = Instant::now();
    let deadline = start + plan.duration;
    let mut tasks = Vec::with_capacity(plan.clients);
    for i in 0..plan.clients {
        let plan = plan.clone();
        tasks.push(tokio::spawn(async move { client_loop(&plan, i, deadline).await }));
    }
    let mut total = Recorder::default();
    for t in tasks {
        match t.await {
            Ok(rec) => total.merge(rec),
            Err(e) => total.error(Op::Connect, format!("client task failed: {e}")),
        }
    }
    let elapsed = start.elapsed().as_secs_f64().max(f64::EPSILON);
    let commands = total.commands();
    let errors = total.errors();
    LoadReport {
        addr: plan.addr.to_string(),
        clients: plan.clients,
        users: plan.users.len(),
        seed: plan.seed,
        mix: plan.mix,
        duration_s: plan.duration.as_secs_f64(),
        elapsed_s: elapsed,
        sessions: total.sessions,
        sessions_per_s: total.sessions as f64 / elapsed,
        commands,
        commands_per_s: commands as f64 / elapsed,
        received_mib: total.received as f64 / (1024.0 * 1024.0),
        untagged_responses: total.untagged,
        errors,
        expunge_races: total.races,
        flagged: errors > 0,
        overall: total.overall(),
        per_command: total.per_op(),
        error_samples: total.error_samples,
    }
}

/// One client: sessions back to back until `deadline`.
async fn client_loop(plan: &LoadPlan, i: usize, deadline: Instant) -> Recorder {
    let mut rec = Recorder::default();
    let mut rng = StdRng::seed_from_u64(plan.seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let user = plan
        .users
        .get(i % plan.users.len().max(1))
        .cloned()
        .unwrap_or_default();
    while Instant::now() < deadline {
        let mut received = 0;
        let done = session(plan, &user, &mut rng, &mut rec, &mut received).await;
        rec.received += received;
        match done {
            Ok(()) => rec.sessions += 1,
            Err(Aborted) => tokio::time::sleep(RETRY_PAUSE).await,
        }
    }
    rec
}

/// One session as described in the module documentation.
async fn session(
    plan: &LoadPlan,
    user: &str,
    rng: &mut StdRng,
    rec: &mut Recorder,
    received: &mut u64,
) -> Result<(), Aborted> {
    let mut c = open_selected(plan.addr, plan.timeout, user, &plan.password, rec).await?;
    let result = steps(plan, rng, rec, &mut c).await;
    *received = c.received();
    result
}

/// The session's commands after SELECT.
async fn steps(plan: &LoadPlan, rng: &mut StdRng, rec: &mut Recorder, c: &mut Client) -> Result<(), Aborted> {
    let mix = plan.mix;
    let n = c.exists;
    if n > 0 && mix.headers > 0 {
        let lo = n.saturating_sub(mix.headers - 1).max(1);
        let cmd = format!(
            "FETCH {lo}:{n} (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)])"
        );
        timed(rec, Op::FetchHeaders, c.command(&cmd)).await?;
    }
    if let Some(set) = random_set(rng, c.exists, mix.envelopes) {
        let cmd = format!("FETCH {set} (ENVELOPE BODYSTRUCTURE)");
        timed(rec, Op::FetchEnvelopes, c.command(&cmd)).await?;
    }
    if let Some(set) = random_set(rng, c.exists, mix.bodies) {
        let cmd = format!("FETCH {set} (BODY.PEEK[])");
        timed(rec, Op::FetchBodies, c.command(&cmd)).await?;
    }
    if let Some(set) = random_set(rng, c.exists, mix.seen) {
        let cmd = format!("STORE {set} +FLAGS (\\Seen)");
        timed(rec, Op::StoreSeen, c.command(&cmd)).await?;
    }
    if !plan.pool.is_empty() {
        let k = rng.gen_range(0..plan.pool.len());
        let msg = plan.pool.get(k).map(Vec::as_slice).unwrap_or_default();
        let appended = timed(rec, Op::Append, c.append("INBOX", msg)).await?;
        if appended.is_ok() {
            match appended.append_uid() {
                Some(uid) => {
                    let store = format!("UID STORE {uid} +FLAGS (\\Deleted)");
                    timed(rec, Op::StoreDeleted, c.command(&store)).await?;
                    let expunge = format!("UID EXPUNGE {uid}");
                    timed(rec, Op::UidExpunge, c.command(&expunge)).await?;
                }
                None => rec.error(
                    Op::Append,
                    "APPEND OK without APPENDUID (RFC 4315): cannot expunge the message".into(),
                ),
            }
        }
    }
    timed(rec, Op::Noop, c.command("NOOP")).await?;
    timed_ok(rec, Op::Logout, c.command("LOGOUT")).await?;
    Ok(())
}

/// `k` distinct random sequence numbers in `1..=n` as a sequence set (RFC 9051 §9 `sequence-set`),
/// ascending with runs collapsed; `None` when there is nothing to pick.
pub fn random_set(rng: &mut StdRng, n: u32, k: u32) -> Option<String> {
    if n == 0 || k == 0 {
        return None;
    }
    let k = k.min(n) as usize;
    let mut picked: Vec<u32> = rand::seq::index::sample(rng, n as usize, k)
        .into_iter()
        .map(|i| i as u32 + 1)
        .collect();
    picked.sort_unstable();
    Some(sequence_set(&picked))
}

/// Ascending distinct numbers as a sequence set: `1:3,7,9:10`.
pub fn sequence_set(sorted: &[u32]) -> String {
    let mut out = String::new();
    let mut iter = sorted.iter().copied().peekable();
    while let Some(first) = iter.next() {
        let mut last = first;
        while let Some(&next) = iter.peek() {
            if next != last + 1 {
                break;
            }
            last = next;
            iter.next();
        }
        if !out.is_empty() {
            out.push(',');
        }
        if last == first {
            out.push_str(&first.to_string());
        } else {
            out.push_str(&format!("{first}:{last}"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sequence_sets() {
        assert_eq!(sequence_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(sequence_set(&[5]), "5");
        assert_eq!(sequence_set(&[]), "");
    }

    #[test]
    fn random_sets_stay_in_range() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(random_set(&mut rng, 0, 5), None);
        assert_eq!(random_set(&mut rng, 5, 0), None);
        assert_eq!(random_set(&mut rng, 3, 20).unwrap(), "1:3");
        for _ in 0..100 {
            let set = random_set(&mut rng, 40, 20).unwrap();
            let mut count = 0;
            for part in set.split(',') {
                let (a, b) = part.split_once(':').unwrap_or((part, part));
                let (a, b): (u32, u32) = (a.parse().unwrap(), b.parse().unwrap());
                assert!(1 <= a && a <= b && b <= 40, "{set}");
                count += b - a + 1;
            }
            assert_eq!(count, 20, "{set}");
        }
    }
}
