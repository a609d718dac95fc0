//! DELE (RFC 1939 §5): marks a message deleted, in this session only; the store changes at QUIT.

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session};
use crate::state::State;

use super::{lookup_error, not_in_transaction, reply};

pub(crate) async fn run(s: &mut Session, io: &mut Io, n: u32) -> io::Result<Next> {
    let State::Transaction { maildrop } = &mut s.state else {
        return reply(io, &not_in_transaction()).await;
    };
    let answer = match maildrop.index(n) {
        Ok(i) => match maildrop.entries.get_mut(i) {
            Some(e) => {
                e.deleted = true;
                proto::ok(&format!("Message {n} deleted"))
            }
            None => lookup_error(n, crate::state::Lookup::NoSuchMessage),
        },
        Err(e) => lookup_error(n, e),
    };
    reply(io, &answer).await
}
