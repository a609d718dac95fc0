//! One file per ManageSieve command; [`dispatch`] routes a parsed command to its file. Helpers
//! shared by several commands (the account, the answer to a script error) live here.

mod authenticate;
pub(crate) mod capability;
mod checkscript;
mod deletescript;
mod getscript;
mod havespace;
mod listscripts;
mod logout;
mod noop;
mod putscript;
mod renamescript;
mod setactive;
mod starttls;
mod unauthenticate;

use std::io;

use malt_core::sieve_scripts::{Checked, ScriptError};
use malt_store::AccountId;

use crate::proto::{self, Code, Command};
use crate::session::{Io, Next, Session};
use crate::state::State;

/// Runs one command that the state table allows.
pub(crate) async fn dispatch(s: &mut Session, io: &mut Io, cmd: Command) -> io::Result<Next> {
    match cmd {
        Command::Authenticate {
            mechanism,
            initial_response,
        } => authenticate::run(s, io, &mechanism, initial_response).await,
        Command::StartTls => starttls::run(s, io).await,
        Command::Logout => logout::run(io).await,
        Command::Capability => capability::run(s, io).await,
        Command::CheckScript { script } => checkscript::run(s, io, &script).await,
        Command::Noop { tag } => noop::run(io, tag).await,
        Command::Unauthenticate => unauthenticate::run(s, io).await,
        script_command => match &s.state {
            State::Authenticated { account } => {
                let account = account.id;
                on_scripts(s, io, account, script_command).await
            }
            State::NonAuthenticated => reply(io, &proto::no(None, "Not authenticated.")).await,
        },
    }
}

/// The commands on the account's stored scripts.
async fn on_scripts(s: &mut Session, io: &mut Io, account: AccountId, cmd: Command) -> io::Result<Next> {
    match cmd {
        Command::HaveSpace { name, size } => havespace::run(s, io, account, &name, size).await,
        Command::PutScript { name, script } => putscript::run(s, io, account, &name, &script).await,
        Command::ListScripts => listscripts::run(s, io, account).await,
        Command::SetActive { name } => setactive::run(s, io, account, &name).await,
        Command::GetScript { name } => getscript::run(s, io, account, &name).await,
        Command::DeleteScript { name } => deletescript::run(s, io, account, &name).await,
        Command::RenameScript { from, to } => renamescript::run(s, io, account, &from, &to).await,
        other => {
            let text = format!("{} is not a script command.", other.kind().name());
            reply(io, &proto::no(None, &text)).await
        }
    }
}

/// Sends `reply` and continues.
pub(crate) async fn reply(io: &mut Io, reply: &[u8]) -> io::Result<Next> {
    io.send(reply).await?;
    Ok(Next::Continue)
}

/// The `NO` for a refused script operation, with its RFC 5804 §1.3 response code. Store failures
/// are the server's fault: logged, answered `NO (TRYLATER)`.
pub(crate) fn script_error(e: &ScriptError) -> Vec<u8> {
    let code = match e {
        ScriptError::InvalidName(_) | ScriptError::Invalid { .. } => None,
        ScriptError::TooLarge { .. } => Some(Code::QuotaMaxSize),
        ScriptError::TooManyScripts { .. } => Some(Code::QuotaMaxScripts),
        ScriptError::NotFound(_) => Some(Code::Nonexistent),
        ScriptError::Active(_) => Some(Code::Active),
        ScriptError::AlreadyExists(_) => Some(Code::AlreadyExists),
        ScriptError::Unavailable(why) => {
            tracing::warn!(error = %why, "script operation failed");
            return proto::no(
                Some(&Code::TryLater),
                "Temporary server failure, try again later.",
            );
        }
    };
    proto::no(code.as_ref(), &e.to_string())
}

/// `OK` after a script was checked (and stored): `OK (WARNINGS) "..."` when it has warnings
/// (RFC 5804 §2.6).
pub(crate) fn checked_ok(checked: &Checked, done: &str) -> Vec<u8> {
    if checked.warnings.is_empty() {
        proto::ok(None, done)
    } else {
        proto::ok(Some(&Code::Warnings), &checked.warnings.join("\n"))
    }
}
