//! The SMTP/LMTP session modes and states, and the one table of which command is allowed in which
//! (RFC 5321 §4.1.4 command order; RFC 2033 §4.1 for LHLO; RFC 4954 §4 for AUTH).
//!
//! Invariants:
//! - [`State::Connected`]: no LHLO/EHLO/HELO yet; no envelope exists.
//! - [`State::Ready`]: greeted (holds the LHLO/EHLO/HELO name), no transaction.
//! - [`State::Transaction`]: MAIL accepted; holds the sender, its DSN parameters and the recipients
//!   accepted so far (never more than `smtp.max_recipients`), and the BDAT chunks received so far
//!   once BDAT started. RSET, a new greeting, a completed DATA/BDAT LAST, and STARTTLS leave it.
//! - Which greeting verb a mode takes (LHLO for LMTP, EHLO/HELO for SMTP) is checked before the
//!   table; the table answers the same for every mode, only the wording of "greet first" differs.

use malt_smtp_proto::BdatReader;
use malt_smtp_proto::command::Notify;

/// Which service a session provides; chosen by the protocol handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// LMTP (RFC 2033): final delivery for a trusted MTA, one reply per recipient.
    Lmtp,
    /// SMTP for incoming mail (RFC 5321): local domains, relay only for authenticated clients and
    /// `smtp.relay_networks`.
    Mx,
    /// Message submission (RFC 6409, RFC 8314): authentication required, sender rules, header
    /// fix-ups.
    Submission,
}

/// One accepted recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The forward-path as given in RCPT TO (`Postmaster` for the domain-less postmaster).
    pub address: String,
    /// The address delivered to: `address`, or the postmaster's address for `<Postmaster>`.
    pub target: String,
    /// Whether `target` is in a local domain (delivered here) or is relayed (queued).
    pub local: bool,
    /// RFC 3461 §4.1 NOTIFY; `None` when not given.
    pub notify: Option<Notify>,
    /// RFC 3461 §4.2 ORCPT, as `rfc822;address` (the address xtext-decoded).
    pub orcpt: Option<String>,
}

/// An open mail transaction.
#[derive(Debug)]
pub struct Transaction {
    /// The reverse-path, empty for `<>`.
    pub from: String,
    /// Whether `SMTPUTF8` was given (RFC 6531 §3.4).
    pub smtputf8: bool,
    /// RFC 3461 §4.3 `RET=FULL` (false for `RET=HDRS` or none).
    pub ret_full: bool,
    /// RFC 3461 §4.4 `ENVID`, xtext-decoded.
    pub envid: Option<String>,
    /// The accepted forward-paths, in RCPT order.
    pub rcpts: Vec<Recipient>,
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

    /// The client's LHLO/EHLO/HELO name, once greeted.
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
    /// LHLO (LMTP), EHLO or HELO (SMTP).
    Hello,
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
    Auth,
}

/// Whether `verb` may run in `phase`; `Err` carries the reason for `503 5.5.1` (RFC 5321 §4.1.4).
pub fn allowed(mode: Mode, phase: Phase, verb: Verb) -> Result<(), &'static str> {
    use Phase::*;
    use Verb::*;
    let greet_first = match mode {
        Mode::Lmtp => "Send LHLO first",
        Mode::Mx | Mode::Submission => "Send EHLO/HELO first",
    };
    match (verb, phase) {
        (Rset | Noop | Quit | Vrfy | Help, _) => Ok(()),
        // RFC 5321 §4.1.4: a later EHLO (or LHLO) clears the transaction, like RSET.
        (Hello, _) => Ok(()),
        (StartTls, Connected | Ready) => Ok(()),
        (StartTls, Transaction) => Err("Mail transaction in progress, RSET first"),
        // RFC 4954 §4: after EHLO, never inside a transaction.
        (Auth, Ready) => Ok(()),
        (Auth, Connected) => Err(greet_first),
        (Auth, Transaction) => Err("AUTH not allowed during a mail transaction"),
        (Mail, Ready) => Ok(()),
        (Mail, Connected) => Err(greet_first),
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
            Hello, Mail, Rcpt, Data, Bdat, Rset, Noop, Quit, Vrfy, Help, StartTls, Auth,
        ];
        for mode in [Mode::Lmtp, Mode::Mx, Mode::Submission] {
            for v in verbs {
                for p in [Connected, Ready, Transaction] {
                    let ok = allowed(mode, p, v).is_ok();
                    let expected = match v {
                        Rset | Noop | Quit | Vrfy | Help | Hello => true,
                        StartTls => p != Transaction,
                        Mail | Auth => p == Ready,
                        Rcpt | Data | Bdat => p == Transaction,
                    };
                    assert_eq!(ok, expected, "{v:?} in {p:?} ({mode:?})");
                }
            }
        }
        assert_eq!(allowed(Mode::Lmtp, Connected, Mail), Err("Send LHLO first"));
        assert_eq!(allowed(Mode::Mx, Connected, Mail), Err("Send EHLO/HELO first"));
    }
}
