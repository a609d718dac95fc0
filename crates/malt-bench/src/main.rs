//! `malt-bench`: load benchmarks for IMAP servers (Malt, or any other, e.g. Dovecot for comparison).
//!
//! - `malt-bench imap`: many concurrent clients looping a realistic session ([`load`]); prints a table of
//!   commands/s, sessions/s and latency percentiles per command, and the same as JSON.
//! - `malt-bench idle`: many sessions in IDLE, held until released ([`idle`]), for measuring a server's
//!   memory per idle client.
//!
//! Exit status: 0 when the run had no error, 2 when it had errors (the report is still printed and flagged),
//! 1 when it could not run (bad arguments, unreadable message directory).
//!
//! The client side raises its own open-file limit to the hard limit (each session is one socket).

mod client;
mod idle;
mod load;
mod messages;
mod response;
mod session;
mod stats;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::io::AsyncBufReadExt;

#[derive(Parser)]
#[command(name = "malt-bench", version, about = "Load benchmarks for IMAP servers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Concurrent clients looping a realistic session: LOGIN, SELECT INBOX, FETCH of the newest
    /// messages' headers, FETCH ENVELOPE+BODYSTRUCTURE and BODY.PEEK[] of random ones, STORE \Seen,
    /// APPEND, STORE \Deleted + UID EXPUNGE of the appended message, NOOP, LOGOUT.
    Imap(ImapArgs),
    /// Sessions that LOGIN, SELECT INBOX and IDLE, held until released, then DONE and LOGOUT.
    Idle(IdleArgs),
}

#[derive(Args)]
struct Target {
    /// The server's IMAP address (plain text, no TLS).
    #[arg(long)]
    addr: SocketAddr,
    /// Logins, comma-separated; client i uses the (i mod count)-th.
    #[arg(long, value_delimiter = ',', conflicts_with = "user_pattern")]
    users: Vec<String>,
    /// Login pattern where `{n}` is replaced by 1..=--user-count (e.g. `u{n}@example.test`).
    #[arg(long)]
    user_pattern: Option<String>,
    /// How many users --user-pattern names.
    #[arg(long, default_value_t = 10)]
    user_count: u32,
    /// The password of every user.
    #[arg(long, env = "MALT_BENCH_PASSWORD", hide_env_values = true)]
    password: String,
    /// Deadline of each exchange (e.g. `30s`, `500ms`).
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    timeout: Duration,
    /// Write the JSON report to this file instead of standard output.
    #[arg(long)]
    json_out: Option<PathBuf>,
}

impl Target {
    fn users(&self) -> Result<Vec<String>, String> {
        if !self.users.is_empty() {
            return Ok(self.users.clone());
        }
        let Some(pattern) = &self.user_pattern else {
            return Err("give --users or --user-pattern".into());
        };
        if !pattern.contains("{n}") {
            return Err("--user-pattern needs {n}".into());
        }
        if self.user_count == 0 {
            return Err("--user-count must be at least 1".into());
        }
        Ok((1..=self.user_count)
            .map(|n| pattern.replace("{n}", &n.to_string()))
            .collect())
    }
}

#[derive(Args)]
struct ImapArgs {
    #[command(flatten)]
    target: Target,
    /// Concurrent clients (each one connection at a time).
    #[arg(long, default_value_t = 50)]
    clients: usize,
    /// How long clients start new sessions (e.g. `30s`, `2m`).
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    duration: Duration,
    /// Seed of the random choices (messages picked, message to append).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory of message files to APPEND (one message per file); generated when absent.
    #[arg(long)]
    messages: Option<PathBuf>,
    /// Newest messages whose header fields each session fetches.
    #[arg(long, default_value_t = 50)]
    headers: u32,
    /// Random messages whose ENVELOPE and BODYSTRUCTURE each session fetches.
    #[arg(long, default_value_t = 20)]
    envelopes: u32,
    /// Random messages each session fetches whole (BODY.PEEK[]).
    #[arg(long, default_value_t = 3)]
    bodies: u32,
    /// Random messages each session marks \Seen.
    #[arg(long, default_value_t = 3)]
    seen: u32,
}

#[derive(Args)]
struct IdleArgs {
    #[command(flatten)]
    target: Target,
    /// Sessions to hold in IDLE.
    #[arg(long, default_value_t = 2000)]
    sessions: usize,
    /// Hold this long once all are idling; without it, until a line (or end of input) on standard
    /// input. SIGINT or SIGTERM release them too.
    #[arg(long, value_parser = parse_duration)]
    hold: Option<Duration>,
    /// Sessions being set up at once.
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
}

/// `30s`, `500ms`, `2m`, or a number of seconds (`1.5`).
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a duration: {s:?} (e.g. 30s, 500ms, 2m)"))?;
    if !value.is_finite() || value < 0.0 || value * unit > 1e7 {
        return Err(format!("duration out of range: {s:?}"));
    }
    Ok(Duration::from_secs_f64(value * unit))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("malt-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Imap(args) => imap(args).await,
            Command::Idle(args) => idle_cmd(args).await,
        }
    });
    // A release by standard input leaves a blocking read behind: do not wait for it.
    runtime.shutdown_background();
    code
}

/// Raises the soft open-file limit to the hard one; warns when it stays below `needed`.
fn raise_fd_limit(needed: u64) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < needed => eprintln!(
            "malt-bench: open-file limit is {limit}, below the {needed} this run needs (raise the hard limit: ulimit -Hn)"
        ),
        Ok(_) => {}
        Err(e) => eprintln!("malt-bench: cannot raise the open-file limit: {e}"),
    }
}

/// Prints `report` as JSON to `path` or standard output.
fn emit_json(report: &impl serde::Serialize, path: Option<&PathBuf>) -> Result<(), String> {
    let json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    match path {
        Some(p) => std::fs::write(p, json + "\n").map_err(|e| format!("{}: {e}", p.display())),
        None => {
            println!("{json}");
            Ok(())
        }
    }
}

fn finish(flagged: bool, errors: u64, samples: &[String]) -> ExitCode {
    if flagged {
        println!("FLAGGED: {errors} errors; the figures are not comparable. First errors:");
        for e in samples {
            println!("  {e}");
        }
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

async fn imap(args: ImapArgs) -> ExitCode {
    let users = match args.target.users() {
        Ok(u) => u,
        Err(e) => {
            eprintln!("malt-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let pool = match &args.messages {
        Some(dir) => match messages::from_dir(dir) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("malt-bench: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => messages::generate(&mut StdRng::seed_from_u64(args.seed), 200),
    };
    raise_fd_limit(args.clients as u64 + 64);
    let plan = load::LoadPlan {
        addr: args.target.addr,
        users,
        password: args.target.password.clone(),
        clients: args.clients.max(1),
        duration: args.duration,
        seed: args.seed,
        pool: Arc::new(pool),
        mix: load::Mix {
            headers: args.headers,
            envelopes: args.envelopes,
            bodies: args.bodies,
            seen: args.seen,
        },
        timeout: args.target.timeout,
    };
    let report = load::run(plan).await;
    let mut rows = report.per_command.clone();
    rows.push(report.overall.clone());
    println!(
        "{} clients, {} users, {:.1} s: {} sessions ({:.1}/s), {} commands ({:.1}/s), {} untagged responses, \
         {:.1} MiB received, {} errors, {} expunge races",
        report.clients,
        report.users,
        report.elapsed_s,
        report.sessions,
        report.sessions_per_s,
        report.commands,
        report.commands_per_s,
        report.untagged_responses,
        report.received_mib,
        report.errors,
        report.expunge_races
    );
    print!("{}", stats::table(&rows));
    if let Err(e) = emit_json(&report, args.target.json_out.as_ref()) {
        eprintln!("malt-bench: {e}");
        return ExitCode::FAILURE;
    }
    finish(report.flagged, report.errors, &report.error_samples)
}

async fn idle_cmd(args: IdleArgs) -> ExitCode {
    let users = match args.target.users() {
        Ok(u) => u,
        Err(e) => {
            eprintln!("malt-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    raise_fd_limit(args.sessions as u64 + 64);
    let plan = idle::IdlePlan {
        addr: args.target.addr,
        users,
        password: args.target.password.clone(),
        sessions: args.sessions,
        concurrency: args.concurrency,
        timeout: args.target.timeout,
    };
    let started = std::time::Instant::now();
    let on_idle = move |idling: usize, failed: usize| {
        println!(
            "idle: {idling} sessions idling, {failed} failed, set up in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        // The wrapper waits for that line before measuring: it must not sit in a buffer.
        let _ = std::io::stdout().flush();
    };
    let report = idle::run(plan, on_idle, released(args.hold)).await;
    print!("{}", stats::table(&report.per_command));
    println!(
        "{} of {} sessions idled, held {:.1} s, {} closed cleanly, {} errors",
        report.idling, report.sessions, report.held_s, report.closed_cleanly, report.errors
    );
    if let Err(e) = emit_json(&report, args.target.json_out.as_ref()) {
        eprintln!("malt-bench: {e}");
        return ExitCode::FAILURE;
    }
    finish(report.flagged, report.errors, &report.error_samples)
}

/// Resolves when the idle sessions should be released: after `hold`, or (without it) at a line or
/// the end of standard input; SIGINT and SIGTERM in both cases.
async fn released(hold: Option<Duration>) {
    let wait = async {
        match hold {
            Some(d) => tokio::time::sleep(d).await,
            None => {
                let mut line = String::new();
                let mut stdin = tokio::io::BufReader::new(tokio::io::stdin());
                // A read error releases the sessions like end of input does.
                let _ = stdin.read_line(&mut line).await;
            }
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = wait => {}
        () = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1e300").is_err());
    }

    #[test]
    fn user_lists() {
        let cli = Cli::try_parse_from([
            "malt-bench",
            "idle",
            "--addr",
            "127.0.0.1:143",
            "--user-pattern",
            "u{n}@example.test",
            "--user-count",
            "3",
            "--password",
            "p",
        ])
        .unwrap();
        let Command::Idle(args) = cli.command else {
            panic!("idle expected")
        };
        assert_eq!(
            args.target.users().unwrap(),
            vec!["u1@example.test", "u2@example.test", "u3@example.test"]
        );
        assert_eq!(args.sessions, 2000);
        assert!(
            Cli::try_parse_from([
                "malt-bench",
                "imap",
                "--addr",
                "127.0.0.1:143",
                "--users",
                "a",
                "--user-pattern",
                "u{n}",
                "--password",
                "p"
            ])
            .is_err()
        );
    }
}
