//! RSET (RFC 1939 §5): unmarks every message marked deleted in this session.

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session};
use crate::state::State;

use super::{not_in_transaction, reply};

pub(crate) async fn run(s: &mut Session, io: &mut Io) -> io::Result<Next> {
    let State::Transaction { maildrop } = &mut s.state else {
        return reply(io, &not_in_transaction()).await;
    };
    for e in &mut maildrop.entries {
        e.deleted = false;
    }
    let n = maildrop.entries.len();
    reply(io, &proto::ok(&format!("Maildrop has {n} messages"))).await
}
