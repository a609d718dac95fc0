//! QUIT (RFC 1939 §4, §6). In AUTHORIZATION: goodbye. In TRANSACTION: the UPDATE state, where the
//! messages marked by DELE get `\Deleted` and exactly those are expunged (messages another client expunged
//! meanwhile are simply absent); then `+OK` and close. On a store failure: `-ERR [SYS/TEMP]` (RFC 1939 §6:
//! "some deleted messages not removed").

use std::io;

use malt_store::{FlagOp, Flags, UidSet, flag};

use crate::proto::{self, RespCode};
use crate::session::{Io, Next, Session, send};
use crate::state::State;

pub(crate) async fn run(s: &mut Session, io: &mut Io) -> io::Result<Next> {
    let state = std::mem::replace(&mut s.state, State::Update);
    let answer = match state {
        State::Transaction { maildrop } => {
            let uids = maildrop.marked();
            let count = uids.len();
            let result = if uids.is_empty() {
                Ok(())
            } else {
                let set = UidSet::from_uids(uids);
                let (account, mailbox) = (maildrop.account.id, maildrop.mailbox_id);
                let deleted = Flags::new(flag::DELETED, []);
                match s
                    .core
                    .store_flags(account, mailbox, &set, FlagOp::Add, &deleted, None)
                    .await
                {
                    Ok(_) => s.core.expunge(account, mailbox, Some(&set)).await.map(|_| ()),
                    Err(e) => Err(e),
                }
            };
            match result {
                Ok(()) => proto::ok(&format!("Logging out, {count} messages deleted")),
                Err(e) => {
                    tracing::warn!(error = %e, "POP3 UPDATE failed");
                    proto::err(Some(RespCode::SysTemp), "Some deleted messages not removed")
                }
            }
        }
        _ => proto::ok("Logging out"),
    };
    send(io, &answer).await?;
    Ok(Next::Close)
}
