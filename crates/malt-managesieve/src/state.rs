//! The ManageSieve session states (RFC 5804 §1.5, §2) and the one table saying which command is
//! allowed in which.
//!
//! Invariants:
//! - [`State::NonAuthenticated`] holds nothing: there is no account to misuse before
//!   AUTHENTICATE succeeds.
//! - [`State::Authenticated`] holds the account the scripts belong to; UNAUTHENTICATE (RFC 5804
//!   §2.14) returns to the non-authenticated state and forgets it.

use malt_store::Account;

use crate::proto::CommandKind;

/// The session state, carrying exactly what is valid in it.
#[derive(Debug)]
pub enum State {
    NonAuthenticated,
    Authenticated { account: Box<Account> },
}

/// The state without its data, for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    NonAuthenticated,
    Authenticated,
}

impl State {
    pub fn phase(&self) -> Phase {
        match self {
            State::NonAuthenticated => Phase::NonAuthenticated,
            State::Authenticated { .. } => Phase::Authenticated,
        }
    }
}

/// Whether `cmd` may be issued in `phase`. CAPABILITY, NOOP and LOGOUT anywhere (RFC 5804 §2.3,
/// §2.4, §2.13); STARTTLS and AUTHENTICATE before authentication (§2.1, §2.2); the script
/// commands and UNAUTHENTICATE after it (§2.5-§2.12, §2.14).
pub fn allowed(phase: Phase, cmd: CommandKind) -> bool {
    use CommandKind as C;
    match cmd {
        C::Capability | C::Noop | C::Logout => true,
        C::StartTls | C::Authenticate => phase == Phase::NonAuthenticated,
        C::HaveSpace
        | C::PutScript
        | C::ListScripts
        | C::SetActive
        | C::GetScript
        | C::DeleteScript
        | C::RenameScript
        | C::CheckScript
        | C::Unauthenticate => phase == Phase::Authenticated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_table() {
        use CommandKind as C;
        let anywhere = [C::Capability, C::Noop, C::Logout];
        let before = [C::StartTls, C::Authenticate];
        let after = [
            C::HaveSpace,
            C::PutScript,
            C::ListScripts,
            C::SetActive,
            C::GetScript,
            C::DeleteScript,
            C::RenameScript,
            C::CheckScript,
            C::Unauthenticate,
        ];
        assert_eq!(
            anywhere.len() + before.len() + after.len(),
            CommandKind::ALL.len()
        );
        for cmd in CommandKind::ALL {
            let n = allowed(Phase::NonAuthenticated, cmd);
            let a = allowed(Phase::Authenticated, cmd);
            if anywhere.contains(&cmd) {
                assert!(n && a, "{cmd:?}");
            } else if before.contains(&cmd) {
                assert!(n && !a, "{cmd:?}");
            } else {
                assert!(after.contains(&cmd), "{cmd:?}");
                assert!(!n && a, "{cmd:?}");
            }
        }
    }
}
