//! STARTTLS (RFC 5804 §2.2): only on a STARTTLS listener without TLS yet, before authentication.
//! The session loop performs the handshake after the `OK` and sends the capabilities again (see
//! `session.rs`).

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session};

use super::reply;

pub(crate) async fn run(s: &mut Session, io: &mut Io) -> io::Result<Next> {
    if s.tls {
        return reply(io, &proto::no(None, "TLS is already active.")).await;
    }
    if !s.ctx.starttls_available(s.tls) {
        return reply(io, &proto::no(None, "STARTTLS is not available on this port.")).await;
    }
    io.send(&proto::ok(None, "Begin TLS negotiation now.")).await?;
    Ok(Next::StartTls)
}
