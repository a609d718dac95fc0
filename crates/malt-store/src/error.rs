//! Errors of the store. Each variant has one meaning that protocols map to their own replies.

/// What went wrong in a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named object (account, mailbox, message, domain, ...) does not exist.
    /// IMAP: `NO [NONEXISTENT]`; SMTP: 550 5.1.1 for a recipient.
    #[error("{0} not found")]
    NotFound(String),
    /// The object to create exists already. IMAP: `NO [ALREADYEXISTS]`.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The request is valid syntax but not allowed in the current state of the data
    /// (deleting INBOX, renaming onto a child of itself, deleting a domain with accounts).
    /// IMAP: `NO [CANNOT]`.
    #[error("{0}")]
    Conflict(String),
    /// The account's quota would be exceeded. IMAP: `NO [OVERQUOTA]`; SMTP: 552 5.2.2.
    #[error("quota exceeded: {used} of {limit} bytes used, {needed} more needed")]
    OverQuota { used: u64, limit: u64, needed: u64 },
    /// An argument is malformed (an invalid mailbox name, an empty address). IMAP: `BAD`/`NO`.
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
    /// A stored blob is missing or does not match its hash: damage, reported by `malt check`.
    #[error("blob {0} is missing or damaged")]
    BlobDamaged(String),
    /// The backend failed (I/O, database connection, serialisation). The server's own fault:
    /// logged with context, answered with a generic temporary failure.
    #[error("storage backend failure: {0}")]
    Backend(String),
}

impl StoreError {
    /// A backend failure from any displayable error.
    pub fn backend(e: impl std::fmt::Display) -> Self {
        StoreError::Backend(e.to_string())
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Backend(format!("i/o: {e}"))
    }
}

/// Result of a store operation.
pub type Result<T> = std::result::Result<T, StoreError>;
