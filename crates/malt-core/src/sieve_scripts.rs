//! Users' Sieve scripts as ManageSieve (RFC 5804) and `malt sieve` manage them: the one place that
//! decides whether a script may be stored — its name (RFC 5804 §1.6), its size and the account's
//! script count (`[sieve] max_script_size`, `max_scripts`: RFC 5804 §1.3 `QUOTA/MAXSIZE`,
//! `QUOTA/MAXSCRIPTS`), and whether it compiles with the engine (`malt_sieve::compile`, with the
//! configured limits; RFC 5804 §2.6: a script is checked before it is stored) — and that maps the
//! store's answers onto the errors the protocol reports.
//!
//! Invariants:
//! - Nothing is stored that does not compile with the configured engine limits; a failed check
//!   stores nothing and changes no active script.
//! - The script count is checked by the store in the transaction that adds the script, so
//!   concurrent uploads never exceed `max_scripts`; replacing an existing script is always allowed
//!   (RFC 5804 §2.6 counts only new names).
//! - Every [`ScriptError`] says what is wrong in words a user can act on; backend failures are
//!   the only ones that are the server's fault ([`ScriptError::Unavailable`]).

use std::sync::Arc;

use malt_config::SieveConfig;
use malt_sieve::CompileErrors;
use malt_sieve::ir::{Command, CommandKind, Position, Script};
use malt_sieve::limits::Limits;
use malt_store::{AccountId, SievePutOutcome, SieveScript, SieveScriptInfo, Store, StoreError};

/// The bounds a script must respect: the account's quota and the engine's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptPolicy {
    /// Most scripts per account.
    pub max_scripts: usize,
    /// The engine limits; `limits.max_script_size` is the largest script accepted.
    pub limits: Limits,
}

impl ScriptPolicy {
    /// The policy of `[sieve]`.
    pub fn from_config(config: &SieveConfig) -> ScriptPolicy {
        ScriptPolicy {
            max_scripts: config.max_scripts,
            limits: engine_limits(config),
        }
    }

    /// Largest script accepted, in bytes.
    pub fn max_script_size(&self) -> usize {
        self.limits.max_script_size
    }
}

/// `[sieve]`'s engine limits as the engine takes them (field for field).
pub fn engine_limits(c: &SieveConfig) -> Limits {
    Limits {
        max_script_size: c.max_script_size,
        max_nesting: c.max_nesting,
        max_string_len: c.max_string_len,
        max_list_len: c.max_list_len,
        max_instructions: c.max_instructions,
        max_actions: c.max_actions,
        max_redirects: c.max_redirects,
        max_vacation_responses: c.max_vacation_responses,
        max_notifications: c.max_notifications,
        max_include_depth: c.max_include_depth,
        max_includes: c.max_includes,
        max_variables: c.max_variables,
        max_mime_depth: c.max_mime_depth,
        max_body_scan: c.max_body_scan,
        min_vacation_seconds: c.min_vacation_seconds,
        max_vacation_seconds: c.max_vacation_seconds,
        max_header_edits: c.max_header_edits,
    }
}

/// Why a script operation was refused. Each variant maps to one ManageSieve response code.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The name is not a valid script name (RFC 5804 §1.6). ManageSieve: `NO`.
    #[error("invalid script name: {0}")]
    InvalidName(String),
    /// The script does not compile: one line per error, `line L, column C: error: ...`.
    /// ManageSieve: `NO "line 3, ..."` (RFC 5804 §2.6).
    #[error("{}", .errors.join("\n"))]
    Invalid { errors: Vec<String> },
    /// Larger than `max_script_size`. ManageSieve: `NO (QUOTA/MAXSIZE)`.
    #[error("the script is {size} bytes, more than the {max} bytes allowed")]
    TooLarge { size: usize, max: usize },
    /// A new script when the account has `max_scripts`. ManageSieve: `NO (QUOTA/MAXSCRIPTS)`.
    #[error("the account already has the {max} scripts allowed")]
    TooManyScripts { max: usize },
    /// No script of that name. ManageSieve: `NO (NONEXISTENT)`.
    #[error("there is no script {0:?}")]
    NotFound(String),
    /// The active script cannot be deleted (RFC 5804 §2.10). ManageSieve: `NO (ACTIVE)`.
    #[error("script {0:?} is active; deactivate it first")]
    Active(String),
    /// The new name is taken (RFC 5804 §2.11). ManageSieve: `NO (ALREADYEXISTS)`.
    #[error("a script {0:?} already exists")]
    AlreadyExists(String),
    /// The store (or the compile task) failed: the server's fault, logged. ManageSieve:
    /// `NO (TRYLATER)`.
    #[error("the server cannot do this now: {0}")]
    Unavailable(String),
}

impl ScriptError {
    /// The store's answer about script `name` as a script error.
    fn from_store(e: StoreError, name: &str) -> ScriptError {
        match e {
            StoreError::Invalid { reason, .. } => ScriptError::InvalidName(reason),
            StoreError::NotFound(_) => ScriptError::NotFound(name.to_owned()),
            StoreError::Conflict(_) => ScriptError::Active(name.to_owned()),
            StoreError::AlreadyExists(_) => ScriptError::AlreadyExists(name.to_owned()),
            other => ScriptError::Unavailable(other.to_string()),
        }
    }
}

/// What a successful check or upload reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Things that compile but may not do what the user expects (RFC 5804 §2.6 `WARNINGS`).
    pub warnings: Vec<String>,
}

/// An account's scripts: list, check, upload, activate, rename, delete. Cheap to clone.
#[derive(Clone)]
pub struct SieveScripts {
    store: Arc<dyn Store>,
    policy: Arc<ScriptPolicy>,
}

impl std::fmt::Debug for SieveScripts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SieveScripts")
            .field("store", &self.store.backend_name())
            .field("policy", &self.policy)
            .finish()
    }
}

impl SieveScripts {
    pub fn new(store: Arc<dyn Store>, policy: ScriptPolicy) -> SieveScripts {
        SieveScripts {
            store,
            policy: Arc::new(policy),
        }
    }

    pub fn policy(&self) -> &ScriptPolicy {
        &self.policy
    }

    /// The account's scripts, by name.
    pub async fn list(&self, account: AccountId) -> Result<Vec<SieveScriptInfo>, ScriptError> {
        self.store
            .sieve_list(account)
            .await
            .map_err(|e| ScriptError::Unavailable(e.to_string()))
    }

    /// One script with its source.
    pub async fn get(&self, account: AccountId, name: &str) -> Result<SieveScript, ScriptError> {
        self.store
            .sieve_get(account, name)
            .await
            .map_err(|e| ScriptError::from_store(e, name))?
            .ok_or_else(|| ScriptError::NotFound(name.to_owned()))
    }

    /// Whether `source` is a script this server would store: size, then compile (RFC 5804 §2.12
    /// CHECKSCRIPT). Compiling a large script takes milliseconds of CPU: it runs on the blocking
    /// pool, not on a session's runtime thread.
    pub async fn check(&self, name: &str, source: &str) -> Result<Checked, ScriptError> {
        self.check_size(source.len())?;
        let policy = self.policy.clone();
        let (name, source) = (name.to_owned(), source.to_owned());
        tokio::task::spawn_blocking(move || {
            let limits = &policy.limits;
            let script = malt_sieve::compile(&name, &source, limits).map_err(|e| ScriptError::Invalid {
                errors: compile_errors(&e),
            })?;
            Ok(Checked {
                warnings: redirect_warnings(&script, limits.max_redirects),
            })
        })
        .await
        .map_err(|e| ScriptError::Unavailable(format!("script check: {e}")))?
    }

    /// Checks and stores a script, creating or replacing it (RFC 5804 §2.6 PUTSCRIPT). An active
    /// script stays active with its new source.
    pub async fn put(
        &self,
        account: AccountId,
        name: &str,
        source: &str,
        now: i64,
    ) -> Result<(SievePutOutcome, Checked), ScriptError> {
        malt_store::sieve_script_name(name).map_err(|e| ScriptError::from_store(e, name))?;
        let checked = self.check(name, source).await?;
        let outcome = self
            .store
            .sieve_put(account, name, source, self.policy.max_scripts, now)
            .await
            .map_err(|e| ScriptError::from_store(e, name))?;
        match outcome {
            SievePutOutcome::TooManyScripts => Err(ScriptError::TooManyScripts {
                max: self.policy.max_scripts,
            }),
            stored => Ok((stored, checked)),
        }
    }

    /// Whether a script of `size` bytes named `name` would fit (RFC 5804 §2.5 HAVESPACE): the
    /// size limit, and the script count unless `name` replaces an existing script.
    pub async fn have_space(&self, account: AccountId, name: &str, size: u64) -> Result<(), ScriptError> {
        malt_store::sieve_script_name(name).map_err(|e| ScriptError::from_store(e, name))?;
        self.check_size(usize::try_from(size).unwrap_or(usize::MAX))?;
        let scripts = self.list(account).await?;
        if scripts.len() >= self.policy.max_scripts && !scripts.iter().any(|s| s.name == name) {
            return Err(ScriptError::TooManyScripts {
                max: self.policy.max_scripts,
            });
        }
        Ok(())
    }

    /// Makes `name` the active script, or deactivates all with `None` (RFC 5804 §2.8).
    pub async fn activate(&self, account: AccountId, name: Option<&str>) -> Result<(), ScriptError> {
        self.store
            .sieve_activate(account, name)
            .await
            .map_err(|e| ScriptError::from_store(e, name.unwrap_or_default()))
    }

    /// Deletes a script that is not active (RFC 5804 §2.10).
    pub async fn delete(&self, account: AccountId, name: &str) -> Result<(), ScriptError> {
        self.store
            .sieve_delete(account, name)
            .await
            .map_err(|e| ScriptError::from_store(e, name))
    }

    /// Renames a script, keeping it active if it is (RFC 5804 §2.11).
    pub async fn rename(&self, account: AccountId, from: &str, to: &str) -> Result<(), ScriptError> {
        self.store
            .sieve_rename(account, from, to)
            .await
            .map_err(|e| match e {
                StoreError::AlreadyExists(_) => ScriptError::AlreadyExists(to.to_owned()),
                other => ScriptError::from_store(other, from),
            })
    }

    fn check_size(&self, size: usize) -> Result<(), ScriptError> {
        let max = self.policy.max_script_size();
        if size > max {
            return Err(ScriptError::TooLarge { size, max });
        }
        Ok(())
    }
}

/// The Sieve extensions the engine supports, space-separated: ManageSieve's `SIEVE` capability
/// (RFC 5804 §1.7).
pub fn sieve_capabilities() -> String {
    malt_sieve::capabilities()
}

/// The engine's errors as users read them, one per line, without the script's name (which the
/// caller knows): `line 3, column 5: error: unknown command 'fileinfo'.`, as Pigeonhole's
/// `sievec` words them.
fn compile_errors(e: &CompileErrors) -> Vec<String> {
    let mut lines: Vec<String> = e
        .errors
        .iter()
        .map(|error| match error.line {
            0 => format!("error: {}.", error.message),
            line => format!("line {line}, column {}: error: {}.", error.column, error.message),
        })
        .collect();
    if e.truncated {
        lines.push(format!(
            "error: too many errors, only the first {} are shown.",
            e.errors.len()
        ));
    }
    lines
}

/// Most warnings reported for one script.
const MAX_WARNINGS: usize = 10;

/// RFC 5804 §2.6's example warning: each `redirect` past `max_redirects` in the script (in source
/// order, whichever branch it is in) may take a message over the limit, which fails the run at
/// delivery (the message is then kept, RFC 5228 §2.10.6).
fn redirect_warnings(script: &Script, max_redirects: usize) -> Vec<String> {
    let mut redirects = Vec::new();
    collect_redirects(&script.commands, &mut redirects);
    redirects
        .iter()
        .skip(max_redirects)
        .take(MAX_WARNINGS)
        .map(|pos| {
            format!(
                "line {}: the server's redirect limit is {max_redirects}, this redirect might not be \
                 carried out (the message would be kept instead).",
                pos.line
            )
        })
        .collect()
}

/// The positions of every `redirect` in `commands` and the blocks they hold (the compiler bounded
/// the nesting).
fn collect_redirects(commands: &[Command], out: &mut Vec<Position>) {
    for command in commands {
        match &command.kind {
            CommandKind::Redirect { .. } => out.push(command.pos),
            CommandKind::If { branches, otherwise } => {
                for (_, block) in branches {
                    collect_redirects(block, out);
                }
                if let Some(block) = otherwise {
                    collect_redirects(block, out);
                }
            }
            CommandKind::ForEveryPart { body, .. } => collect_redirects(body, out),
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_are_the_engine_defaults() {
        assert_eq!(engine_limits(&SieveConfig::default()), Limits::default());
    }
}
