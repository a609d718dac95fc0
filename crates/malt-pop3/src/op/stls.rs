//! STLS (RFC 2595 §4): only on a STARTTLS listener without TLS yet, in AUTHORIZATION. The session loop
//! performs the handshake after the `+OK` (see `session.rs`).

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session, send};

use super::reply;

pub(crate) async fn run(s: &mut Session, io: &mut Io) -> io::Result<Next> {
    if s.tls {
        return reply(io, &proto::err(None, "TLS is already active")).await;
    }
    if !s.ctx.starttls_available(s.tls) {
        return reply(io, &proto::err(None, "STLS is not available on this port")).await;
    }
    send(io, &proto::ok("Begin TLS negotiation now")).await?;
    Ok(Next::StartTls)
}
