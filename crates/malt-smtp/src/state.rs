//! The SMTP/LMTP session states and the one table of which command is allowed in which
//! (RFC 5321 §4.1.4 command order; RFC 2033 §4.1 for LHLO).
//!
//! Invariants:
//! - [`State::Connected`]: no LHLO yet; no envelope exists.
//! - [`State::Ready`]: greeted (holds the LHLO name), no transaction.
//! - [`State::Transaction`]: MAIL accepted; holds the sender and the recipients accepted so far (never
//!   more than [`crate::MAX_RECIPIENTS`]), and the BDAT chunks received so far once BDAT started. RSET,
//!   a completed DATA/BDAT LAST, and STARTTLS leave it.

use malt_smtp_proto::BdatReader;

/// An open mail transaction.
#[derive(Debug)]
pub struct Transaction {
    /// The reverse-path, empty for `<>`.
    pub from: String,
    /// Whether `SMTPUTF8` was given (RFC 6531 §3.4).
    pub smtputf8: bool,
    /// The accepted forward-paths, in RCPT order.
    pub rcpts: Vec<String>,
    /// The message so far when BDAT chunks have started (RFC 3030 §2).
    pub bdat: Option<BdatReader>,
}

/// The session state, carrying exactly what is valid in it.
#[derive(Debug)]
pub enum State {
    Connected,
    Ready { helo: String },
    Transaction { helo: String, tx: Transaction },
}

/// The phase of a [`State`], for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Connected,
    Ready,
    Transaction,
}

impl State {
    pub fn phase(&self) -> Phase {
        match self {
            State::Connected => Phase::Connected,
            State::Ready { .. } => Phase::Ready,
            State::Transaction { .. } => Phase::Transaction,
        }
    }

    /// The client's LHLO name, once greeted.
    pub fn helo(&self) -> Option<&str> {
        match self {
            State::Connected => None,
            State::Ready { helo } | State::Transaction { helo, .. } => Some(helo),
        }
    }
}

/// The verbs the table knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Lhlo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    StartTls,
}

/// Whether `verb` may run in `phase`; `Err` carries the reason for `503 5.5.1` (RFC 5321 §4.1.4).
pub fn allowed(phase: Phase, verb: Verb) -> Result<(), &'static str> {
    use Phase::*;
    use Verb::*;
    match (verb, phase) {
        (Rset | Noop | Quit | Vrfy | Help, _) => Ok(()),
        // RFC 5321 §4.1.4: a later EHLO (here LHLO) clears the transaction, like RSET.
        (Lhlo, _) => Ok(()),
        (StartTls, Connected | Ready) => Ok(()),
        (StartTls, Transaction) => Err("Mail transaction in progress, RSET first"),
        (Mail, Ready) => Ok(()),
        (Mail, Connected) => Err("Send LHLO first"),
        (Mail, Transaction) => Err("Nested MAIL command"),
        (Rcpt | Data | Bdat, Transaction) => Ok(()),
        (Rcpt | Data | Bdat, Connected | Ready) => Err("Send MAIL first"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        use Phase::*;
        use Verb::*;
        let verbs = [
            Lhlo, Mail, Rcpt, Data, Bdat, Rset, Noop, Quit, Vrfy, Help, StartTls,
        ];
        for v in verbs {
            for p in [Connected, Ready, Transaction] {
                let ok = allowed(p, v).is_ok();
                let expected = match v {
                    Rset | Noop | Quit | Vrfy | Help | Lhlo => true,
                    StartTls => p != Transaction,
                    Mail => p == Ready,
                    Rcpt | Data | Bdat => p == Transaction,
                };
                assert_eq!(ok, expected, "{v:?} in {p:?}");
            }
        }
    }
}
