//! The admin CLI: one module per command group, named as the command is (`malt user` is
//! `cli/user.rs`). Every command takes `--data-dir` and `--config`, works while the server runs,
//! and exits non-zero with a message saying what was wrong.

mod acl;
mod alias;
mod app_password;
mod check;
mod delegate;
mod deliver;
mod dkim;
mod domain;
mod export;
mod gc;
mod group;
mod import;
mod mbox;
mod password_input;
mod queue;
mod sieve;
mod user;

use clap::{Parser, Subcommand};

use crate::context::GlobalOpts;

/// Malt: a mail and groupware server in one program.
///
/// `malt serve` runs the server; the other commands administer it, against the same data
/// directory or configuration, also while the server runs.
#[derive(Debug, Parser)]
#[command(name = "malt", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: every listener of the configuration (zero-config: 127.0.0.1, ports 2525,
    /// 2587, 2465, 2424, 2143, 2993, 2110, 2995, 4190, 8080, 8443).
    Serve,
    /// Manage the mail domains Malt serves.
    #[command(subcommand)]
    Domain(domain::DomainCmd),
    /// Manage user accounts.
    #[command(subcommand)]
    User(user::UserCmd),
    /// Manage aliases (`local@domain` or catch-all `@domain` to a target address).
    #[command(subcommand)]
    Alias(alias::AliasCmd),
    /// Manage groups (distribution lists that expand to their members).
    #[command(subcommand)]
    Group(group::GroupCmd),
    /// Share mailboxes: a mailbox's access control list (RFC 4314).
    #[command(subcommand)]
    Acl(acl::AclCmd),
    /// Manage app passwords: named, revocable passwords accepted in place of the main one.
    #[command(subcommand, name = "app-password")]
    AppPassword(app_password::AppPasswordCmd),
    /// Deliver one message from standard input to a local address, as dovecot-lda does.
    Deliver(deliver::DeliverArgs),
    /// Manage DKIM signing keys (RFC 6376) of outgoing mail.
    #[command(subcommand)]
    Dkim(dkim::DkimCmd),
    /// Manage sending delegations: send as / on behalf of another address.
    #[command(subcommand)]
    Delegate(delegate::DelegateCmd),
    /// Import messages from an mbox file or a Maildir.
    #[command(subcommand)]
    Import(import::ImportCmd),
    /// Export a mailbox.
    #[command(subcommand)]
    Export(export::ExportCmd),
    /// The outbound queue: list, show, flush, retry, hold, release, delete.
    #[command(subcommand)]
    Queue(queue::QueueCmd),
    /// Users' Sieve filters (RFC 5228): list, get, put, check, activate, rename, delete.
    #[command(subcommand)]
    Sieve(sieve::SieveCmd),
    /// Remove blobs no message references (and stale temporary files).
    Gc(gc::GcArgs),
    /// Check the store: every message's blob exists and matches its hash, counters agree.
    Check,
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let g = &cli.global;
    if !matches!(cli.command, Command::Serve) {
        // Commands print their results; logs only for problems.
        crate::logging::init(g.log_format.unwrap_or(crate::logging::LogFormat::Text), "warn");
    }
    match cli.command {
        Command::Serve => crate::serve::run(g).await,
        Command::Domain(c) => domain::run(g, c).await,
        Command::User(c) => user::run(g, c).await,
        Command::Alias(c) => alias::run(g, c).await,
        Command::Group(c) => group::run(g, c).await,
        Command::Acl(c) => acl::run(g, c).await,
        Command::AppPassword(c) => app_password::run(g, c).await,
        Command::Deliver(a) => deliver::run(g, a).await,
        Command::Dkim(c) => dkim::run(g, c).await,
        Command::Delegate(c) => delegate::run(g, c).await,
        Command::Import(c) => import::run(g, c).await,
        Command::Export(c) => export::run(g, c).await,
        Command::Queue(c) => queue::run(g, c).await,
        Command::Sieve(c) => sieve::run(g, c).await,
        Command::Gc(a) => gc::run(g, a).await,
        Command::Check => check::run(g).await,
    }
}

/// Parses a size like `500M`, `2G`, `1048576`, or `none` (no limit).
pub fn parse_quota(s: &str) -> anyhow::Result<Option<u64>> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("none") || t.eq_ignore_ascii_case("unlimited") {
        return Ok(None);
    }
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let mult: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => anyhow::bail!("invalid size {s:?}: unit must be K, M, G or T"),
            };
            (t.get(..i).unwrap_or(""), mult)
        }
        _ => (t, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("invalid size {s:?}: expected e.g. 500M, 2G or none"))?;
    n.checked_mul(mult)
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("size {s:?} is too large"))
}

/// Formats a byte count for people.
pub fn human_size(n: u64) -> String {
    const UNITS: [(&str, u64); 4] = [("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)];
    for (u, m) in UNITS {
        if n >= m {
            return format!("{:.1}{u}", n as f64 / m as f64);
        }
    }
    format!("{n}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_sizes() {
        assert_eq!(parse_quota("none").unwrap(), None);
        assert_eq!(parse_quota("10").unwrap(), Some(10));
        assert_eq!(parse_quota("2K").unwrap(), Some(2048));
        assert_eq!(parse_quota("500m").unwrap(), Some(500 << 20));
        assert!(parse_quota("5X").is_err());
        assert!(parse_quota("G").is_err());
        assert!(parse_quota("99999999999T").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
