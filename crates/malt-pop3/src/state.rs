//! The POP3 session states (RFC 1939 §3) and the one table saying which command is allowed in which.
//!
//! Invariants:
//! - [`State::Authorization`] holds only the name given by `USER` (cleared by a failed `PASS` and by
//!   `STLS`); there is no account to misuse before login.
//! - [`State::Transaction`] holds the [`Maildrop`]: the INBOX snapshot taken at login. Its numbering
//!   (1..n by ascending UID) never changes during the session (RFC 1939 §3), even when IMAP expunges a
//!   message meanwhile; `DELE` only marks, in memory.
//! - [`State::Update`] is entered by `QUIT` in the transaction state only; the marked messages are then
//!   flagged `\Deleted` and expunged, and the session ends. A dropped connection never gets there.

use malt_store::{Account, MailboxId, Uid};

use crate::proto::CommandKind;

/// One message of the maildrop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub uid: Uid,
    /// The size as stored (octets as received).
    pub stored_size: u64,
    /// The size as POP3 sends it (CRLF line ends): from the ingest metadata (`MessageMeta::wire_size`)
    /// when recorded, else once computed from the blob.
    pub pop3_size: Option<u64>,
    /// Marked by `DELE`.
    pub deleted: bool,
    /// Found expunged (by another client) during this session.
    pub gone: bool,
}

/// The INBOX snapshot of a logged-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maildrop {
    pub account: Account,
    pub mailbox_id: MailboxId,
    pub uidvalidity: u32,
    /// Message `n` is `entries[n - 1]`; ascending UID.
    pub entries: Vec<Entry>,
}

/// Why a message number cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    NoSuchMessage,
    Deleted,
}

impl Maildrop {
    /// The 0-based index of message `n`, if it exists and is not marked deleted (RFC 1939 §5: a deleted
    /// message may not be referred to).
    pub fn index(&self, n: u32) -> Result<usize, Lookup> {
        let i = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .ok_or(Lookup::NoSuchMessage)?;
        match self.entries.get(i) {
            None => Err(Lookup::NoSuchMessage),
            Some(e) if e.deleted => Err(Lookup::Deleted),
            Some(_) => Ok(i),
        }
    }

    /// Dovecot's default `pop3_uidl_format = %08Xu%08Xv`: stable across sessions while UIDVALIDITY is.
    pub fn uidl(&self, uid: Uid) -> String {
        format!("{:08X}{:08X}", uid, self.uidvalidity)
    }

    /// The UIDs marked deleted, ascending.
    pub fn marked(&self) -> Vec<Uid> {
        self.entries.iter().filter(|e| e.deleted).map(|e| e.uid).collect()
    }
}

/// The session state, carrying exactly what is valid in it.
#[derive(Debug)]
pub enum State {
    /// RFC 1939 §4. `user`: the name from an accepted `USER`, waiting for `PASS`.
    Authorization { user: Option<String> },
    /// RFC 1939 §5.
    Transaction { maildrop: Box<Maildrop> },
    /// RFC 1939 §6: after `QUIT` in the transaction state.
    Update,
}

/// The state without its data, for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Authorization,
    Transaction,
    Update,
}

impl State {
    pub fn phase(&self) -> Phase {
        match self {
            State::Authorization { .. } => Phase::Authorization,
            State::Transaction { .. } => Phase::Transaction,
            State::Update => Phase::Update,
        }
    }
}

/// Whether `cmd` may be issued in `phase`. RFC 1939 §4-6, RFC 2449 §5 (CAPA in both states), RFC 2595 §4
/// (STLS only before login), RFC 5034 §4 (AUTH only before login). Nothing is accepted in UPDATE: the
/// session ends there.
pub fn allowed(phase: Phase, cmd: CommandKind) -> bool {
    use CommandKind as C;
    match phase {
        Phase::Authorization => matches!(cmd, C::User | C::Pass | C::Auth | C::Stls | C::Capa | C::Quit),
        Phase::Transaction => matches!(
            cmd,
            C::Capa | C::Stat | C::List | C::Retr | C::Dele | C::Rset | C::Top | C::Uidl | C::Noop | C::Quit
        ),
        Phase::Update => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_table() {
        use CommandKind as C;
        let auth_only = [C::User, C::Pass, C::Auth, C::Stls];
        let both = [C::Capa, C::Quit];
        let trans_only = [
            C::Stat,
            C::List,
            C::Retr,
            C::Dele,
            C::Rset,
            C::Top,
            C::Uidl,
            C::Noop,
        ];
        assert_eq!(
            auth_only.len() + both.len() + trans_only.len(),
            CommandKind::ALL.len()
        );
        for cmd in CommandKind::ALL {
            let a = allowed(Phase::Authorization, cmd);
            let t = allowed(Phase::Transaction, cmd);
            assert!(!allowed(Phase::Update, cmd), "{cmd:?} in UPDATE");
            if auth_only.contains(&cmd) {
                assert!(a && !t, "{cmd:?}");
            } else if both.contains(&cmd) {
                assert!(a && t, "{cmd:?}");
            } else {
                assert!(trans_only.contains(&cmd));
                assert!(!a && t, "{cmd:?}");
            }
        }
    }

    fn entry(uid: Uid, deleted: bool) -> Entry {
        Entry {
            uid,
            stored_size: 10,
            pop3_size: None,
            deleted,
            gone: false,
        }
    }

    #[test]
    fn maildrop_lookup_and_uidl() {
        let md = Maildrop {
            account: Account {
                id: 1,
                address: "a@b".into(),
                password_hash: String::new(),
                quota_bytes: None,
                used_bytes: 0,
                message_count: 0,
                highest_modseq: 0,
                created_at: 0,
            },
            mailbox_id: 1,
            uidvalidity: 0x1234,
            entries: vec![entry(3, false), entry(7, true), entry(9, false)],
        };
        assert_eq!(md.index(0), Err(Lookup::NoSuchMessage));
        assert_eq!(md.index(1), Ok(0));
        assert_eq!(md.index(2), Err(Lookup::Deleted));
        assert_eq!(md.index(3), Ok(2));
        assert_eq!(md.index(4), Err(Lookup::NoSuchMessage));
        assert_eq!(md.uidl(7), "0000000700001234");
        assert_eq!(md.marked(), vec![7]);
    }
}
