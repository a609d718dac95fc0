//! Latency and error bookkeeping: one [`Recorder`] per client task (no locks while measuring), merged
//! at the end into per-command percentiles.
//!
//! Invariants:
//! - A latency is recorded only for a command that completed (tagged `OK`, or `NO [EXPUNGEISSUED]`,
//!   which is counted as a race too); `NO`, `BAD`, timeouts and disconnects are errors and carry no
//!   latency.
//! - Latencies are whole microseconds; percentiles use the nearest-rank method on all samples (no
//!   sampling, no histogram buckets).
//! - At most [`MAX_ERROR_SAMPLES`] error messages are kept, so a failing server cannot grow memory.

use std::time::Duration;

use serde::Serialize;

/// Error messages kept for the report.
pub const MAX_ERROR_SAMPLES: usize = 20;

/// The kinds of exchange that are timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// TCP connect and the greeting (not an IMAP command).
    Connect,
    Login,
    Select,
    /// `FETCH` of the newest messages' UID, size, flags and a few header fields.
    FetchHeaders,
    /// `FETCH (ENVELOPE BODYSTRUCTURE)` of random messages.
    FetchEnvelopes,
    /// `FETCH BODY.PEEK[]` of random messages.
    FetchBodies,
    /// `STORE +FLAGS (\Seen)` on random messages.
    StoreSeen,
    Append,
    /// `UID STORE +FLAGS (\Deleted)` on the appended message.
    StoreDeleted,
    UidExpunge,
    Noop,
    Logout,
    /// `IDLE` up to the continuation request.
    Idle,
    /// `DONE` up to IDLE's tagged reply.
    Done,
}

impl Op {
    pub const ALL: [Op; 14] = [
        Op::Connect,
        Op::Login,
        Op::Select,
        Op::FetchHeaders,
        Op::FetchEnvelopes,
        Op::FetchBodies,
        Op::StoreSeen,
        Op::Append,
        Op::StoreDeleted,
        Op::UidExpunge,
        Op::Noop,
        Op::Logout,
        Op::Idle,
        Op::Done,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::Connect => "connect+greeting",
            Op::Login => "LOGIN",
            Op::Select => "SELECT",
            Op::FetchHeaders => "FETCH headers",
            Op::FetchEnvelopes => "FETCH envelope+bodystructure",
            Op::FetchBodies => "FETCH BODY.PEEK[]",
            Op::StoreSeen => "STORE +FLAGS \\Seen",
            Op::Append => "APPEND",
            Op::StoreDeleted => "UID STORE +FLAGS \\Deleted",
            Op::UidExpunge => "UID EXPUNGE",
            Op::Noop => "NOOP",
            Op::Logout => "LOGOUT",
            Op::Idle => "IDLE",
            Op::Done => "DONE",
        }
    }

    /// Whether this is an IMAP command (counted in commands/s); connecting is not.
    pub fn is_command(self) -> bool {
        self != Op::Connect
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What one client task measured.
#[derive(Debug, Default)]
pub struct Recorder {
    latencies: [Vec<u32>; Op::ALL.len()],
    errors: [u64; Op::ALL.len()],
    pub races: u64,
    /// Untagged responses received before tagged replies.
    pub untagged: u64,
    pub sessions: u64,
    pub received: u64,
    pub error_samples: Vec<String>,
}

impl Recorder {
    /// A completed exchange and how long it took.
    pub fn ok(&mut self, op: Op, took: Duration) {
        let micros = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
        if let Some(v) = self.latencies.get_mut(op.index()) {
            v.push(micros);
        }
    }

    /// A failed exchange.
    pub fn error(&mut self, op: Op, what: String) {
        if let Some(n) = self.errors.get_mut(op.index()) {
            *n += 1;
        }
        if self.error_samples.len() < MAX_ERROR_SAMPLES {
            self.error_samples.push(format!("{}: {what}", op.name()));
        }
    }

    pub fn merge(&mut self, other: Recorder) {
        for (mine, theirs) in self.latencies.iter_mut().zip(other.latencies) {
            mine.extend(theirs);
        }
        for (mine, theirs) in self.errors.iter_mut().zip(other.errors) {
            *mine += theirs;
        }
        self.races += other.races;
        self.untagged += other.untagged;
        self.sessions += other.sessions;
        self.received += other.received;
        for e in other.error_samples {
            if self.error_samples.len() >= MAX_ERROR_SAMPLES {
                break;
            }
            self.error_samples.push(e);
        }
    }

    /// Completed IMAP commands.
    pub fn commands(&self) -> u64 {
        Op::ALL
            .iter()
            .filter(|op| op.is_command())
            .map(|op| self.count(*op))
            .sum()
    }

    pub fn count(&self, op: Op) -> u64 {
        self.latencies.get(op.index()).map_or(0, |v| v.len() as u64)
    }

    /// Errors of every kind.
    pub fn errors(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Per-op statistics for the ops that were attempted, in [`Op::ALL`] order.
    pub fn per_op(&self) -> Vec<OpStats> {
        Op::ALL
            .iter()
            .filter_map(|&op| {
                let lat = self.latencies.get(op.index())?;
                let errors = self.errors.get(op.index()).copied().unwrap_or(0);
                if lat.is_empty() && errors == 0 {
                    return None;
                }
                Some(OpStats::of(op.name(), lat.clone(), errors))
            })
            .collect()
    }

    /// Statistics over every IMAP command together.
    pub fn overall(&self) -> OpStats {
        let mut all = Vec::new();
        let mut errors = 0;
        for op in Op::ALL.iter().filter(|op| op.is_command()) {
            if let Some(v) = self.latencies.get(op.index()) {
                all.extend_from_slice(v);
            }
            errors += self.errors.get(op.index()).copied().unwrap_or(0);
        }
        OpStats::of("all commands", all, errors)
    }
}

/// Count, errors and latency percentiles of one kind of exchange, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct OpStats {
    pub op: &'static str,
    pub count: u64,
    pub errors: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl OpStats {
    fn of(op: &'static str, mut micros: Vec<u32>, errors: u64) -> OpStats {
        micros.sort_unstable();
        let sum: u64 = micros.iter().map(|&m| u64::from(m)).sum();
        let mean = if micros.is_empty() {
            0.0
        } else {
            sum as f64 / micros.len() as f64 / 1000.0
        };
        OpStats {
            op,
            count: micros.len() as u64,
            errors,
            mean_ms: mean,
            p50_ms: percentile(&micros, 50.0),
            p90_ms: percentile(&micros, 90.0),
            p99_ms: percentile(&micros, 99.0),
            max_ms: micros.last().map_or(0.0, |&m| f64::from(m) / 1000.0),
        }
    }
}

/// Nearest-rank percentile `p` of ascending `sorted` microseconds, in milliseconds (0 when empty).
pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let idx = rank.clamp(1, sorted.len()) - 1;
    sorted.get(idx).map_or(0.0, |&m| f64::from(m) / 1000.0)
}

/// A fixed-width table of `rows` (what the binary prints besides the JSON).
pub fn table(rows: &[OpStats]) -> String {
    let mut out = format!(
        "{:<30} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
        "command", "count", "errors", "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<30} {:>9} {:>7} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}\n",
            r.op, r.count, r.errors, r.mean_ms, r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms
        ));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 90.0), 90.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[7000], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn merge_counts_commands_not_connects() {
        let mut a = Recorder::default();
        a.ok(Op::Connect, Duration::from_millis(1));
        a.ok(Op::Login, Duration::from_millis(2));
        a.sessions = 1;
        let mut b = Recorder::default();
        b.ok(Op::Login, Duration::from_millis(4));
        b.ok(Op::Noop, Duration::from_micros(500));
        b.error(Op::Select, "NO nope".into());
        b.sessions = 2;
        a.merge(b);
        assert_eq!(a.commands(), 3);
        assert_eq!(a.errors(), 1);
        assert_eq!(a.sessions, 3);
        assert_eq!(a.error_samples, vec!["SELECT: NO nope".to_string()]);
        let ops = a.per_op();
        let names: Vec<_> = ops.iter().map(|o| o.op).collect();
        assert_eq!(names, vec!["connect+greeting", "LOGIN", "SELECT", "NOOP"]);
        assert_eq!(ops[1].count, 2);
        assert_eq!(ops[1].mean_ms, 3.0);
        assert_eq!(ops[2].errors, 1);
        let all = a.overall();
        assert_eq!((all.count, all.errors, all.max_ms), (3, 1, 4.0));
    }

    #[test]
    fn error_samples_are_bounded() {
        let mut r = Recorder::default();
        for i in 0..100 {
            r.error(Op::Noop, format!("e{i}"));
        }
        assert_eq!(r.errors(), 100);
        assert_eq!(r.error_samples.len(), MAX_ERROR_SAMPLES);
    }
}
