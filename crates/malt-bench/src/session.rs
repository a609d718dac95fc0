//! What every benchmark session shares: timing one exchange into a [`Recorder`], and opening a session
//! up to a selected INBOX (connect and greeting, `LOGIN`, `SELECT INBOX`; RFC 9051 §6.2.3, §6.3.2).
//!
//! Invariants:
//! - Each exchange is recorded exactly once: a latency when it completed (`OK`, or `NO [EXPUNGEISSUED]`,
//!   then also a race), an error otherwise.
//! - [`Aborted`] means the connection is unusable or the session cannot go on; the error is already
//!   recorded.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::client::{Client, ClientError, Reply, quoted};
use crate::stats::{Op, Recorder};

/// The session ended early (the error is recorded).
pub struct Aborted;

/// Times `exchange`; records a latency, a race or an error. `Err` when the connection is unusable.
pub async fn timed(
    rec: &mut Recorder,
    op: Op,
    exchange: impl Future<Output = Result<Reply, ClientError>>,
) -> Result<Reply, Aborted> {
    let t = Instant::now();
    match exchange.await {
        Ok(reply) => {
            let took = t.elapsed();
            rec.untagged += u64::from(reply.untagged);
            if reply.is_ok() {
                rec.ok(op, took);
            } else if reply.is_expunge_race() {
                rec.races += 1;
                rec.ok(op, took);
            } else {
                rec.error(op, reply.describe());
            }
            Ok(reply)
        }
        Err(e) => {
            rec.error(op, e.to_string());
            Err(Aborted)
        }
    }
}

/// Like [`timed`], but only an `OK` goes on.
pub async fn timed_ok(
    rec: &mut Recorder,
    op: Op,
    exchange: impl Future<Output = Result<Reply, ClientError>>,
) -> Result<Reply, Aborted> {
    let reply = timed(rec, op, exchange).await?;
    if reply.is_ok() { Ok(reply) } else { Err(Aborted) }
}

/// Connects (timed as [`Op::Connect`]), logs in as `user` and selects INBOX.
pub async fn open_selected(
    addr: SocketAddr,
    timeout: Duration,
    user: &str,
    password: &str,
    rec: &mut Recorder,
) -> Result<Client, Aborted> {
    let (Some(user), Some(pass)) = (quoted(user), quoted(password)) else {
        rec.error(Op::Login, "user or password holds CR, LF or NUL".into());
        return Err(Aborted);
    };
    let t = Instant::now();
    let mut c = match Client::connect(addr, timeout).await {
        Ok(c) => c,
        Err(e) => {
            rec.error(Op::Connect, e.to_string());
            return Err(Aborted);
        }
    };
    rec.ok(Op::Connect, t.elapsed());
    timed_ok(rec, Op::Login, c.command(&format!("LOGIN {user} {pass}"))).await?;
    timed_ok(rec, Op::Select, c.command("SELECT INBOX")).await?;
    Ok(c)
}
