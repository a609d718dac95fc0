//! STAT (RFC 1939 §5): the number of messages not marked deleted and their total POP3 size.

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session};
use crate::state::State;

use super::{not_in_transaction, pop3_size, reply};

pub(crate) async fn run(s: &mut Session, io: &mut Io) -> io::Result<Next> {
    let State::Transaction { maildrop } = &mut s.state else {
        return reply(io, &not_in_transaction()).await;
    };
    let mailbox = maildrop.mailbox_id;
    let (mut count, mut total) = (0u64, 0u64);
    for e in maildrop.entries.iter_mut().filter(|e| !e.deleted) {
        count += 1;
        total += pop3_size(&s.core, mailbox, e).await;
    }
    reply(io, &proto::ok(&format!("{count} {total}"))).await
}
