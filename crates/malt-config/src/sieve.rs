//! `[sieve]`: users' Sieve scripts (RFC 5228) — how many and how large (ManageSieve quota, RFC
//! 5804 §1.3 `QUOTA/MAXSCRIPTS`, `QUOTA/MAXSIZE`), the engine's bounds, and the administrator's
//! global scripts.
//!
//! The engine limits mirror `malt_sieve::limits::Limits` field for field (this crate does not
//! depend on the engine; `malt-core` maps one onto the other, and a test there checks that the
//! defaults agree). `max_script_size` is both the storage quota per script and the engine's bound.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// `[sieve]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SieveConfig {
    /// Run each account's active script (and the global scripts) at delivery. Default true;
    /// false delivers everything to INBOX (scripts can still be managed).
    pub enabled: bool,
    /// Most scripts one account may store. Default 32.
    pub max_scripts: usize,
    /// Largest script, in bytes (upload quota and engine bound). Default 1 MiB.
    pub max_script_size: usize,
    /// Deepest nesting of blocks and tests. Default 32.
    pub max_nesting: usize,
    /// Longest string (and variable value), in bytes. Default 64 KiB.
    pub max_string_len: usize,
    /// Most elements in one string list. Default 1024.
    pub max_list_len: usize,
    /// Most commands and tests executed in one run. Default 100000.
    pub max_instructions: u64,
    /// Most actions one run may produce. Default 32.
    pub max_actions: usize,
    /// Most `redirect` actions one run may produce (ManageSieve `MAXREDIRECTS`). Default 4.
    pub max_redirects: usize,
    /// Most vacation responses one run may produce. Default 1.
    pub max_vacation_responses: usize,
    /// Most `notify` actions one run may produce. Default 4.
    pub max_notifications: usize,
    /// Deepest chain of `include` (RFC 6609). Default 10.
    pub max_include_depth: usize,
    /// Most distinct scripts included in one run. Default 32.
    pub max_includes: usize,
    /// Most variables one run may define (RFC 5229). Default 256.
    pub max_variables: usize,
    /// Deepest MIME nesting examined (RFC 5703). Default 16.
    pub max_mime_depth: usize,
    /// Largest message part a `body` or `mime` test decodes, in bytes. Default 1 MiB.
    pub max_body_scan: usize,
    /// Smallest vacation period accepted, in seconds; smaller ones are raised to it. Default 1.
    pub min_vacation_seconds: u64,
    /// Largest vacation period accepted, in seconds; larger ones are lowered to it. Default 90
    /// days.
    pub max_vacation_seconds: u64,
    /// Most header edits (RFC 5293) one run may make. Default 64.
    pub max_header_edits: usize,
    /// Global scripts run before the user's, in order (Pigeonhole's `sieve_before`). Default none.
    pub before: Vec<PathBuf>,
    /// Global scripts run after the user's, in order (Pigeonhole's `sieve_after`). Default none.
    pub after: Vec<PathBuf>,
    /// Directory of the scripts `include :global "name"` reads (RFC 6609 §3.2). Default none:
    /// `:global` includes fail.
    pub global_dir: Option<PathBuf>,
}

impl Default for SieveConfig {
    fn default() -> Self {
        SieveConfig {
            enabled: true,
            max_scripts: 32,
            max_script_size: 1 << 20,
            max_nesting: 32,
            max_string_len: 64 * 1024,
            max_list_len: 1024,
            max_instructions: 100_000,
            max_actions: 32,
            max_redirects: 4,
            max_vacation_responses: 1,
            max_notifications: 4,
            max_include_depth: 10,
            max_includes: 32,
            max_variables: 256,
            max_mime_depth: 16,
            max_body_scan: 1 << 20,
            min_vacation_seconds: 1,
            max_vacation_seconds: 90 * 86_400,
            max_header_edits: 64,
            before: Vec::new(),
            after: Vec::new(),
            global_dir: None,
        }
    }
}

impl SieveConfig {
    /// Checks what the types cannot; errors name the key (`sieve.max_scripts`).
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let at_least_one = [
            ("max_scripts", self.max_scripts),
            ("max_script_size", self.max_script_size),
            ("max_nesting", self.max_nesting),
            ("max_string_len", self.max_string_len),
            ("max_list_len", self.max_list_len),
            ("max_actions", self.max_actions),
            ("max_include_depth", self.max_include_depth),
            ("max_variables", self.max_variables),
            ("max_mime_depth", self.max_mime_depth),
        ];
        for (key, value) in at_least_one {
            if value == 0 {
                return Err(ConfigError::invalid(format!("sieve.{key}"), "must be at least 1"));
            }
        }
        if self.max_instructions == 0 {
            return Err(ConfigError::invalid(
                "sieve.max_instructions",
                "must be at least 1",
            ));
        }
        if self.min_vacation_seconds > self.max_vacation_seconds {
            return Err(ConfigError::invalid(
                "sieve.min_vacation_seconds",
                format!(
                    "{} is above sieve.max_vacation_seconds ({})",
                    self.min_vacation_seconds, self.max_vacation_seconds
                ),
            ));
        }
        for (list, paths) in [("before", &self.before), ("after", &self.after)] {
            for (i, p) in paths.iter().enumerate() {
                if p.as_os_str().is_empty() {
                    return Err(ConfigError::invalid(
                        format!("sieve.{list}[{i}]"),
                        "must not be empty",
                    ));
                }
            }
        }
        if self.global_dir.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            return Err(ConfigError::invalid("sieve.global_dir", "must not be empty"));
        }
        Ok(())
    }
}
