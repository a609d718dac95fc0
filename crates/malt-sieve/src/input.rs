//! What a run is given: the envelope, the message bytes, and a [`Context`] for everything the
//! engine must ask of the world. The caller implements [`Context`] over its store; tests
//! implement it over maps.

use std::sync::Arc;

use crate::ir::{Script, ScriptLocation};

/// The SMTP envelope of the delivery (RFC 5228 §5.4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// MAIL FROM, without brackets; empty for the null reverse-path.
    pub from: String,
    /// The RCPT TO this copy is delivered for (`bob+lists@example.org`).
    pub to: String,
    /// The account's own address(es): vacation answers only mail addressed to one of these or
    /// to a `:addresses` entry (RFC 5230 §4.5).
    pub user_addresses: Vec<String>,
}

/// Values of the `environment` test (RFC 5183 §4) and of `vacation`/`notify` defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvironmentInfo {
    /// `domain`: the primary DNS domain of the server.
    pub domain: String,
    /// `host`: the server's host name.
    pub host: String,
    /// `location`: `"MDA"` at final delivery, `"MTA"`, `"MS"`, `"MUA"`.
    pub location: String,
    /// `phase`: `"during"` at delivery, `"post"` afterwards.
    pub phase: String,
    /// `remote-host` / `remote-ip`: the client that handed the message over.
    pub remote_host: String,
    pub remote_ip: String,
    /// `name` / `version`: the implementation.
    pub name: String,
    pub version: String,
}

/// Scores for `spamtest` / `virustest` (RFC 5235), fed by the pipeline. `None`: not tested
/// (the test then sees `"0"`, §3.2).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    /// 1 (certainly not spam) to 10 (certainly spam), RFC 5235 §3.2.
    pub spam: Option<u8>,
    /// 0-100 for `:percent` (spamtestplus).
    pub spam_percent: Option<u8>,
    /// 1 (clean) to 5 (infected, not cleaned), RFC 5235 §3.3.
    pub virus: Option<u8>,
}

/// What one run is given besides the script: the message as received, its envelope, the
/// environment and the pipeline's spam/virus scores.
#[derive(Debug, Clone, Copy)]
pub struct RunInput<'a> {
    /// The message, header and body, exactly as received.
    pub message: &'a [u8],
    pub envelope: &'a Envelope,
    pub environment: &'a EnvironmentInfo,
    pub scores: Scores,
}

/// Everything a run may ask of the world. All methods are cheap to call and never block for
/// long (the caller prefetches what it can).
pub trait Context {
    /// Does this mailbox exist for the user (RFC 5490 `mailboxexists`)?
    fn mailbox_exists(&self, name: &str) -> bool;
    /// The mailbox holding this special use (`\Junk`), if any (RFC 8579).
    fn special_use_mailbox(&self, special_use: &str) -> Option<String>;
    /// Was (`handle`, `id`) recorded by the `duplicate` test within its period (RFC 7352)?
    fn duplicate_seen(&self, handle: &str, id: &str) -> bool;
    /// A script to include (RFC 6609), compiled; `None` when it does not exist.
    fn include(&self, location: ScriptLocation, name: &str) -> Option<Arc<Script>>;
    /// Current time, Unix seconds, and the server's local UTC offset in minutes (RFC 5260
    /// `currentdate`).
    fn now(&self) -> (i64, i32);
}
