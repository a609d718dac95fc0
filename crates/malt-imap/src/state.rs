//! The IMAP session states (RFC 9051 §3) and the one table saying which command is allowed in which.
//!
//! Invariants:
//! - [`State::NotAuthenticated`] carries no account: nothing can touch mail before login.
//! - [`State::Selected`] carries the [`MailboxView`]: no "selected mailbox" exists outside it.
//! - [`allowed`] is checked before any command runs; ops never see a command not allowed in the state.

use malt_imap_proto::{CommandKind, ResponseCode};
use malt_store::Account;

use crate::session::Outcome;
use crate::view::MailboxView;

/// The session state, carrying exactly what is valid in it.
#[derive(Debug)]
pub enum State {
    NotAuthenticated,
    Authenticated {
        account: Box<Account>,
    },
    Selected {
        account: Box<Account>,
        view: Box<MailboxView>,
        read_only: bool,
    },
    Logout,
}

/// The state without its data, for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    NotAuthenticated,
    Authenticated,
    Selected,
    Logout,
}

impl State {
    pub fn phase(&self) -> Phase {
        match self {
            State::NotAuthenticated => Phase::NotAuthenticated,
            State::Authenticated { .. } => Phase::Authenticated,
            State::Selected { .. } => Phase::Selected,
            State::Logout => Phase::Logout,
        }
    }

    /// The selected mailbox's account and view; for a command that changes the mailbox (`write`),
    /// `NO [READ-ONLY]` when it was opened with EXAMINE (RFC 9051 §6.3.3).
    pub(crate) fn selected(&mut self, write: bool) -> Result<(&Account, &mut MailboxView), Outcome> {
        let State::Selected {
            account,
            view,
            read_only,
        } = self
        else {
            return Err(Outcome::bad("No mailbox selected"));
        };
        if write && *read_only {
            return Err(Outcome::no(Some(ResponseCode::ReadOnly), "Mailbox is read-only"));
        }
        Ok((account, view))
    }

    /// The logged-in account, in the authenticated and selected states.
    pub fn account(&self) -> Option<&Account> {
        match self {
            State::Authenticated { account } | State::Selected { account, .. } => Some(account),
            _ => None,
        }
    }
}

/// Which commands the table knows, by group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// RFC 9051 §6.1: any state.
    Any,
    /// RFC 9051 §6.2: not authenticated only.
    NotAuthenticated,
    /// RFC 9051 §6.3: authenticated or selected.
    Authenticated,
    /// RFC 5161 §3.1: ENABLE only before a mailbox is selected.
    AuthenticatedOnly,
    /// RFC 9051 §6.4: selected only.
    Selected,
}

/// The group of a command.
pub fn group(kind: &CommandKind) -> Group {
    use CommandKind as C;
    match kind {
        C::Capability | C::Noop | C::Logout | C::Id(_) => Group::Any,
        C::StartTls | C::Authenticate { .. } | C::Login { .. } => Group::NotAuthenticated,
        C::Enable { .. } => Group::AuthenticatedOnly,
        C::Select(_)
        | C::Examine(_)
        | C::Create { .. }
        | C::Delete { .. }
        | C::Rename { .. }
        | C::Subscribe { .. }
        | C::Unsubscribe { .. }
        | C::List(_)
        | C::Lsub { .. }
        | C::Namespace
        | C::Status { .. }
        | C::Append { .. }
        | C::Compress { .. }
        | C::Idle
        | C::GetMetadata { .. }
        | C::SetMetadata { .. }
        | C::GetQuota { .. }
        | C::GetQuotaRoot { .. }
        | C::SetQuota { .. }
        | C::Notify(_)
        | C::SetAcl { .. }
        | C::DeleteAcl { .. }
        | C::GetAcl { .. }
        | C::ListRights { .. }
        | C::MyRights { .. } => Group::Authenticated,
        C::Check
        | C::Close
        | C::Unselect
        | C::Expunge
        | C::UidExpunge { .. }
        | C::Search { .. }
        | C::Sort { .. }
        | C::Thread { .. }
        | C::Fetch { .. }
        | C::Store { .. }
        | C::Copy { .. }
        | C::Move { .. } => Group::Selected,
    }
}

/// Whether `kind` may be issued in `phase` (RFC 9051 §6). Nothing is accepted after LOGOUT.
pub fn allowed(phase: Phase, kind: &CommandKind) -> bool {
    match (group(kind), phase) {
        (_, Phase::Logout) => false,
        (Group::Any, _) => true,
        (Group::NotAuthenticated, p) => p == Phase::NotAuthenticated,
        (Group::Authenticated, p) => matches!(p, Phase::Authenticated | Phase::Selected),
        (Group::AuthenticatedOnly, p) => p == Phase::Authenticated,
        (Group::Selected, p) => p == Phase::Selected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use malt_imap_proto::command::{SearchKey, SequenceSet, SortArgs, ThreadAlgorithm, ThreadArgs};

    #[test]
    fn state_table() {
        use CommandKind as C;
        let set = SequenceSet::Ranges(vec![]);
        let any = [C::Capability, C::Noop, C::Logout, C::Id(None)];
        let not_auth = [
            C::StartTls,
            C::Login {
                username: "a".into(),
                password: "b".into(),
            },
            C::Authenticate {
                mechanism: "PLAIN".into(),
                initial: None,
            },
        ];
        let authed = [
            C::Namespace,
            C::Idle,
            C::Compress {
                mechanism: "DEFLATE".into(),
            },
            C::GetQuota { root: "".into() },
            C::SetMetadata {
                mailbox: "".into(),
                entries: vec![],
            },
            C::Create {
                mailbox: "x".into(),
                special_use: vec![],
            },
            C::Notify(None),
            C::GetAcl { mailbox: "x".into() },
            C::MyRights { mailbox: "x".into() },
        ];
        let enable = C::Enable { capabilities: vec![] };
        assert!(allowed(Phase::Authenticated, &enable));
        for p in [Phase::NotAuthenticated, Phase::Selected, Phase::Logout] {
            assert!(!allowed(p, &enable));
        }
        let selected = [
            C::Check,
            C::Close,
            C::Unselect,
            C::Expunge,
            C::UidExpunge { set: set.clone() },
            C::Copy {
                uid: false,
                set,
                mailbox: "x".into(),
            },
            C::Sort {
                uid: true,
                args: SortArgs {
                    returns: None,
                    criteria: vec![],
                    charset: "UTF-8".into(),
                    key: SearchKey::All,
                },
            },
            C::Thread {
                uid: false,
                args: ThreadArgs {
                    algorithm: ThreadAlgorithm::References,
                    charset: "UTF-8".into(),
                    key: SearchKey::All,
                },
            },
        ];
        use Phase as P;
        for c in &any {
            assert!(
                allowed(P::NotAuthenticated, c) && allowed(P::Authenticated, c) && allowed(P::Selected, c)
            );
            assert!(!allowed(P::Logout, c));
        }
        for c in &not_auth {
            assert!(allowed(P::NotAuthenticated, c));
            assert!(!allowed(P::Authenticated, c) && !allowed(P::Selected, c) && !allowed(P::Logout, c));
        }
        for c in &authed {
            assert!(!allowed(P::NotAuthenticated, c));
            assert!(allowed(P::Authenticated, c) && allowed(P::Selected, c) && !allowed(P::Logout, c));
        }
        for c in &selected {
            assert!(!allowed(P::NotAuthenticated, c) && !allowed(P::Authenticated, c));
            assert!(allowed(P::Selected, c) && !allowed(P::Logout, c));
        }
    }
}
