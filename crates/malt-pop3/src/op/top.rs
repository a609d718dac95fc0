//! TOP (RFC 1939 §7): the header, the blank line, and the first `lines` body lines.

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session, send};

use super::{read_numbered, reply};

pub(crate) async fn run(s: &mut Session, io: &mut Io, n: u32, lines: u32) -> io::Result<Next> {
    let raw = match read_numbered(s, n).await {
        Ok(raw) => raw,
        Err(answer) => return reply(io, &answer).await,
    };
    let mut out = proto::ok("");
    out.extend_from_slice(&proto::multiline_top(&raw, lines));
    send(io, &out).await?;
    Ok(Next::Continue)
}
