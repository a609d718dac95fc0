//! One file per POP3 command; [`dispatch`] routes a parsed command to its file. Helpers shared by several
//! commands (login, message lookup, sizes) live here.

mod auth;
mod capa;
mod dele;
mod list;
mod noop;
mod pass;
mod quit;
mod retr;
mod rset;
mod stat;
mod stls;
mod top;
mod uidl;
mod user;

use std::io;

use malt_core::AuthResult;
use malt_store::{MailboxId, StoreError, Uid, UidSet};

use crate::proto::{self, Command, RespCode};
use crate::session::{Io, Next, Session, send};
use crate::state::{Entry, Lookup, Maildrop, State};

/// Runs one command that the state table allows.
pub(crate) async fn dispatch(s: &mut Session, io: &mut Io, cmd: Command) -> io::Result<Next> {
    match cmd {
        Command::User(name) => user::run(s, io, name).await,
        Command::Pass(password) => pass::run(s, io, password).await,
        Command::Auth {
            mechanism,
            initial_response,
        } => auth::run(s, io, mechanism, initial_response).await,
        Command::Stls => stls::run(s, io).await,
        Command::Capa => capa::run(s, io).await,
        Command::Stat => stat::run(s, io).await,
        Command::List(n) => list::run(s, io, n).await,
        Command::Retr(n) => retr::run(s, io, n).await,
        Command::Dele(n) => dele::run(s, io, n).await,
        Command::Rset => rset::run(s, io).await,
        Command::Top(n, lines) => top::run(s, io, n, lines).await,
        Command::Uidl(n) => uidl::run(s, io, n).await,
        Command::Noop => noop::run(s, io).await,
        Command::Quit => quit::run(s, io).await,
    }
}

/// Sends `reply` and continues.
pub(crate) async fn reply(io: &mut Io, reply: &[u8]) -> io::Result<Next> {
    send(io, reply).await?;
    Ok(Next::Continue)
}

/// The answer to a command that needs the transaction state when the session is not in it. The state
/// table makes this unreachable; answering keeps the session alive regardless.
pub(crate) fn not_in_transaction() -> Vec<u8> {
    proto::err(None, "Not logged in")
}

/// The `-ERR` for a message number that cannot be used.
pub(crate) fn lookup_error(n: u32, e: Lookup) -> Vec<u8> {
    match e {
        Lookup::NoSuchMessage => proto::err(None, &format!("There's no message {n}")),
        Lookup::Deleted => proto::err(None, &format!("Message {n} is deleted")),
    }
}

/// The `-ERR` for a message another client expunged during this session.
pub(crate) fn gone_error(n: u32) -> Vec<u8> {
    proto::err(None, &format!("message {n} no longer exists"))
}

/// The server's own fault (store or blob I/O): logged, answered with `[SYS/TEMP]`.
pub(crate) fn store_failure(what: &str, e: &StoreError) -> Vec<u8> {
    tracing::warn!(error = %e, "{what} failed");
    proto::err(
        Some(RespCode::SysTemp),
        &format!("{what} failed, try again later"),
    )
}

/// Checks credentials and, when they are right, opens the maildrop and enters TRANSACTION. Returns the
/// response to send. RFC 1939 §7 (PASS), RFC 5034 §4 (AUTH), RFC 3206 (`[AUTH]`, `[SYS/TEMP]`).
pub(crate) async fn login(s: &mut Session, username: &str, password: &str) -> Vec<u8> {
    let account = match s.auth.authenticate(username, password, s.remote).await {
        AuthResult::Ok { account, .. } => account,
        AuthResult::Failed => {
            tracing::info!(user = username, "POP3 login failed");
            s.state = State::Authorization { user: None };
            return proto::err(Some(RespCode::Auth), "Authentication failed");
        }
        AuthResult::TemporaryFailure => {
            s.state = State::Authorization { user: None };
            return proto::err(
                Some(RespCode::SysTemp),
                "Temporary authentication failure, try again later",
            );
        }
    };
    match open_maildrop(s, account).await {
        Ok(maildrop) => {
            let n = maildrop.entries.len();
            tracing::info!(user = %maildrop.account.address, messages = n, "POP3 login");
            s.state = State::Transaction {
                maildrop: Box::new(maildrop),
            };
            proto::ok(&format!("Logged in, {n} messages"))
        }
        Err(e) => {
            s.state = State::Authorization { user: None };
            store_failure("Opening the mailbox", &e)
        }
    }
}

/// UIDs whose metadata is read per store query when the maildrop is opened, so a big INBOX is
/// never one huge result.
const SNAPSHOT_CHUNK: usize = 1000;

/// The INBOX snapshot: every message by ascending UID (RFC 1939 §5: numbered 1..n for the session).
/// Sizes come from the metadata computed at ingest (`MessageMeta::wire_size`), so opening the
/// maildrop and STAT/LIST/UIDL read no blob; only rows stored before that field existed
/// (`wire_size == 0` for a non-empty message) fall back to reading the message, lazily, in [`pop3_size`].
async fn open_maildrop(s: &Session, account: malt_store::Account) -> Result<Maildrop, StoreError> {
    let inbox = s.core.mailbox_required(account.id, "INBOX").await?;
    let store = &s.core.storage().store;
    let mut uids: Vec<malt_store::Uid> = store
        .message_summaries(inbox.id)
        .await?
        .into_iter()
        .map(|m| m.uid)
        .collect();
    uids.sort_unstable();
    let mut entries: Vec<Entry> = Vec::with_capacity(uids.len());
    for chunk in uids.chunks(SNAPSHOT_CHUNK) {
        let (Some(&first), Some(&last)) = (chunk.first(), chunk.last()) else {
            continue;
        };
        // UIDs only grow, so the range holds no message appended after the summaries were read;
        // one expunged meanwhile is simply absent.
        let messages = store
            .messages(inbox.id, &UidSet::from_ranges([(first, last)]))
            .await?;
        entries.extend(messages.into_iter().map(|m| Entry {
            uid: m.uid,
            pop3_size: known_wire_size(m.size, m.meta.wire_size),
            stored_size: m.size,
            deleted: false,
            gone: false,
        }));
    }
    entries.sort_by_key(|e| e.uid);
    Ok(Maildrop {
        account,
        mailbox_id: inbox.id,
        uidvalidity: inbox.uidvalidity,
        entries,
    })
}

/// The wire size recorded at ingest, when it is known: `0` for a non-empty message means "not
/// computed" (stored before `wire_size` existed).
fn known_wire_size(stored_size: u64, wire_size: u64) -> Option<u64> {
    (wire_size != 0 || stored_size == 0).then_some(wire_size)
}

/// The POP3 size of `entry` (CRLF line ends): the one recorded at ingest, else computed once from the
/// message (prefix and blob) and cached. If it cannot be read (a message expunged and collected
/// meanwhile), the stored size stands in.
pub(crate) async fn pop3_size(core: &malt_core::MailCore, mailbox: MailboxId, entry: &mut Entry) -> u64 {
    if let Some(n) = entry.pop3_size {
        return n;
    }
    let n = match read_entry(core, mailbox, entry.uid).await {
        Ok(Some(raw)) => proto::pop3_size(&raw),
        Ok(None) => entry.stored_size,
        Err(e) => {
            tracing::debug!(uid = entry.uid, error = %e, "message unreadable, using the stored size");
            entry.stored_size
        }
    };
    entry.pop3_size = Some(n);
    n
}

/// Message `n` of the maildrop read from the store (RETR, TOP), or the `-ERR` to answer: not
/// logged in, no such message, deleted in this session, expunged by another client during this
/// session (RFC 1939 numbering stays fixed: the number remains, the content is gone), or a store
/// failure.
pub(crate) async fn read_numbered(s: &mut Session, n: u32) -> Result<Vec<u8>, Vec<u8>> {
    let State::Transaction { maildrop } = &mut s.state else {
        return Err(not_in_transaction());
    };
    let i = maildrop.index(n).map_err(|e| lookup_error(n, e))?;
    let mailbox = maildrop.mailbox_id;
    let Some(entry) = maildrop.entries.get_mut(i) else {
        return Err(gone_error(n));
    };
    if entry.gone {
        return Err(gone_error(n));
    }
    let failed = |e: StoreError| store_failure("Reading the message", &e);
    let Some(raw) = read_entry(&s.core, mailbox, entry.uid).await.map_err(failed)? else {
        entry.gone = true;
        return Err(gone_error(n));
    };
    entry.pop3_size = Some(proto::pop3_size(&raw));
    Ok(raw)
}

/// The octets of message `uid` (its prefix and blob), or `None` when it is no longer in the
/// mailbox.
async fn read_entry(
    core: &malt_core::MailCore,
    mailbox: MailboxId,
    uid: Uid,
) -> Result<Option<Vec<u8>>, StoreError> {
    let found = core
        .storage()
        .store
        .messages(mailbox, &UidSet::from_uids([uid]))
        .await?;
    match found.first() {
        Some(m) => core.read_message(m).await.map(Some),
        None => Ok(None),
    }
}
