//! RETR (RFC 1939 §7): the whole message, CRLF-normalised and byte-stuffed. Flags are left alone
//! (no `\Seen`, as Dovecot's default): POP3 changes the IMAP state only by deleting.

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session, send};

use super::{read_numbered, reply};

pub(crate) async fn run(s: &mut Session, io: &mut Io, n: u32) -> io::Result<Next> {
    let raw = match read_numbered(s, n).await {
        Ok(raw) => raw,
        Err(answer) => return reply(io, &answer).await,
    };
    let mut out = proto::ok(&format!("{} octets", proto::pop3_size(&raw)));
    out.extend_from_slice(&proto::multiline_message(&raw));
    send(io, &out).await?;
    Ok(Next::Continue)
}
