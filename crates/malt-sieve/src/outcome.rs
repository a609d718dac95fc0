//! What one run of a script decided: the actions the caller applies. The engine has already
//! resolved the implicit keep (RFC 5228 §2.10.2), `:copy` (RFC 3894), the duplicate rules of
//! RFC 5228 §2.10.3 (one `fileinto` per mailbox, one `keep`, merged flags) and the limits of
//! [`crate::limits::Limits`]; the caller only carries them out.

/// The result of a successful run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// Actions in the order the script took them (RFC 5228 §2.10.1: order is unspecified for
    /// the caller, but kept for logs and tests).
    pub actions: Vec<Action>,
    /// After `addheader`/`deleteheader` (RFC 5293): the message's whole new header section
    /// (ending in the empty line); the caller stores and sends it followed by the original body.
    /// `None`: the message as received. (One edited message serves every action of the run; a
    /// simplification of RFC 5293 §2 that Pigeonhole shares for actions taken before an edit.)
    pub edited_header: Option<Vec<u8>>,
    /// Duplicate-tracking entries to record once delivery succeeded (RFC 7352 §3: "only if the
    /// message is delivered").
    pub duplicates: Vec<DuplicateMark>,
}

/// One action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Store into INBOX (explicit `keep` or the implicit keep) with these flags (RFC 5232).
    Keep { flags: Vec<String> },
    /// Store into this mailbox (RFC 5228 §4.1), creating it first when `create` (RFC 5490);
    /// with `special_use`, the mailbox holding that special use is preferred (RFC 8579 §3).
    FileInto {
        mailbox: String,
        flags: Vec<String>,
        create: bool,
        special_use: Option<String>,
    },
    /// Send the message on to this address (RFC 5228 §4.2).
    Redirect { address: String },
    /// Refuse the message (RFC 5429): at the protocol level when `extended` and possible,
    /// else by a rejection notice to the envelope sender.
    Reject { reason: String, extended: bool },
    /// Send an auto-reply (RFC 5230), if the vacation memory allows: the caller checks and
    /// records (`handle`, sender) for `period_seconds`.
    Vacation(VacationResponse),
    /// Send a notification (RFC 5435), `mailto:` only (RFC 5436).
    Notify(Notification),
    /// Explicit `discard` (RFC 5228 §4.4); present only when nothing else stores the message, to
    /// make logs say why it was not kept.
    Discard,
}

/// A vacation response to send (RFC 5230 §4-§5), already checked against the rules that need
/// only the message (no reply to the null sender, lists, auto-submitted mail, or a message
/// that is not addressed to the user, §4.5-§4.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacationResponse {
    /// The envelope sender the reply goes to.
    pub to: String,
    /// `From:` of the reply (`:from`, else the recipient).
    pub from: String,
    pub subject: String,
    /// The reason: text, or a MIME entity when `mime` (RFC 5230 §4.8).
    pub body: String,
    pub mime: bool,
    /// The tracking handle (RFC 5230 §4.2): `:handle`, else derived from the arguments.
    pub handle: String,
    /// How long to remember (sender, handle), in seconds.
    pub period_seconds: u64,
    /// `In-Reply-To` / `References` of the reply: the original Message-ID, if any.
    pub in_reply_to: Option<String>,
}

/// A notification to send (RFC 5435 §3, RFC 5436 for `mailto:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The notification URI (`mailto:alice@example.org?subject=...`).
    pub method: String,
    pub from: Option<String>,
    /// `1` high, `2` normal (default), `3` low.
    pub importance: u8,
    pub options: Vec<String>,
    /// The message text (`:message`, else the default of RFC 5435 §3.6).
    pub message: String,
}

/// A duplicate-tracking record (RFC 7352).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateMark {
    /// Handle and unique id, hashed by the caller as it likes.
    pub handle: String,
    pub id: String,
    pub seconds: u64,
}

/// A run-time error: the script could not complete. The caller keeps the message (RFC 5228
/// §2.10.6) and logs this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{script}:{line}:{column}: {message}")]
pub struct RuntimeError {
    pub script: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}
