//! RETR (RFC 1939 §7): the whole message, CRLF-normalised and byte-stuffed. Flags are left alone
//! (no `\Seen`, as Dovecot's default): POP3 changes the IMAP state only by deleting.

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session, send};
use crate::state::State;

use super::{fetch, gone_error, lookup_error, not_in_transaction, reply, store_failure};

pub(crate) async fn run(s: &mut Session, io: &mut Io, n: u32) -> io::Result<Next> {
    let State::Transaction { maildrop } = &mut s.state else {
        return reply(io, &not_in_transaction()).await;
    };
    let i = match maildrop.index(n) {
        Ok(i) => i,
        Err(e) => return reply(io, &lookup_error(n, e)).await,
    };
    let raw = match fetch(&s.core, maildrop, i).await {
        Ok(Some(raw)) => raw,
        Ok(None) => return reply(io, &gone_error(n)).await,
        Err(e) => return reply(io, &store_failure("Reading the message", &e)).await,
    };
    let mut out = proto::ok(&format!("{} octets", proto::pop3_size(&raw)));
    out.extend_from_slice(&proto::multiline_message(&raw));
    send(io, &out).await?;
    Ok(Next::Continue)
}
