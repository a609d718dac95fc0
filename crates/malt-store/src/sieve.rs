//! Domain types of per-account Sieve scripts (RFC 5228; managed over ManageSieve, RFC 5804) and of
//! the vacation responder's memory (RFC 5230 §4.2, RFC 6131).
//!
//! Invariants every backend keeps (checked by the conformance suite):
//! - Script names are unique per account, compared byte for byte (case-sensitive, as Pigeonhole),
//!   and valid as [`sieve_script_name`] says; sources are UTF-8 text stored as given.
//! - At most one script per account is active (a partial unique index); activating one
//!   deactivates the other in the same transaction.
//! - The active script cannot be deleted (RFC 5804 §2.10: `NO (ACTIVE)`), renaming keeps a
//!   script's active flag (RFC 5804 §2.11), replacing a script's source keeps it too.
//! - Scripts and vacation records go with their account (`ON DELETE CASCADE`).

/// Longest script name, in characters (RFC 5804 §1.6 asks servers to allow at least 128).
pub const SIEVE_NAME_MAX_CHARS: usize = 255;

/// Longest vacation `:handle` or sender address remembered, in octets.
pub const VACATION_KEY_MAX: usize = 998;

/// One script of a listing (RFC 5804 §2.7 LISTSCRIPTS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SieveScriptInfo {
    pub name: String,
    /// Octets of the source.
    pub size: u64,
    pub active: bool,
    /// Unix seconds of the last `sieve_put` (create or replace).
    pub updated_at: i64,
}

/// A script with its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SieveScript {
    pub name: String,
    pub source: String,
    pub active: bool,
    /// Unix seconds of the last `sieve_put`: with the name, a key for a cache of compiled
    /// scripts.
    pub updated_at: i64,
}

/// What [`crate::Store::sieve_put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SievePutOutcome {
    /// A new script.
    Created,
    /// An existing script's source was replaced (its active flag is kept).
    Replaced,
    /// Nothing stored: the name is new and the account already has `max_scripts` scripts
    /// (RFC 5804 §1.3 `QUOTA/MAXSCRIPTS`).
    TooManyScripts,
}

/// Checks a script name (RFC 5804 §1.6): not empty, at most [`SIEVE_NAME_MAX_CHARS`]
/// characters, none of them a control character (U+0000-U+001F, U+007F-U+009F) nor a line or
/// paragraph separator (U+2028, U+2029). `Invalid` otherwise, saying why.
pub fn sieve_script_name(name: &str) -> crate::Result<&str> {
    let reason = if name.is_empty() {
        "empty"
    } else if name.chars().count() > SIEVE_NAME_MAX_CHARS {
        "longer than 255 characters"
    } else if name
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        "contains a control character"
    } else {
        return Ok(name);
    };
    Err(crate::StoreError::Invalid {
        what: "script name",
        reason: reason.into(),
    })
}

/// The stored form of a vacation record's key: the `:handle` as given and the sender address
/// trimmed and lower-cased (RFC 5230 §4.1 compares addresses case-insensitively); `Invalid` when
/// the sender is empty or either is longer than [`VACATION_KEY_MAX`].
pub fn vacation_key(handle: &str, sender: &str) -> crate::Result<(String, String)> {
    let sender = sender.trim().to_lowercase();
    if sender.is_empty() || sender.len() > VACATION_KEY_MAX || handle.len() > VACATION_KEY_MAX {
        return Err(crate::StoreError::Invalid {
            what: "vacation record",
            reason: "empty sender, or handle or sender too long".into(),
        });
    }
    Ok((handle.to_owned(), sender))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn script_names() {
        assert_eq!(sieve_script_name("vacation").unwrap(), "vacation");
        assert!(sieve_script_name("with space and \"quote\" and ü").is_ok());
        assert!(sieve_script_name(&"é".repeat(SIEVE_NAME_MAX_CHARS)).is_ok());
        for bad in [
            "",
            "a\nb",
            "a\0b",
            "tab\t",
            "del\u{7f}",
            "c1\u{85}",
            "ls\u{2028}",
            "ps\u{2029}",
        ] {
            assert!(sieve_script_name(bad).is_err(), "{bad:?}");
        }
        assert!(sieve_script_name(&"a".repeat(SIEVE_NAME_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn vacation_keys() {
        assert_eq!(
            vacation_key("h", " Bob@Example.ORG ").unwrap(),
            ("h".to_owned(), "bob@example.org".to_owned())
        );
        assert!(vacation_key("", "a@b").is_ok(), "an empty handle is a handle");
        assert!(vacation_key("h", "  ").is_err());
        assert!(vacation_key(&"h".repeat(VACATION_KEY_MAX + 1), "a@b").is_err());
    }
}
