//! CAPA (RFC 2449 §5): the capabilities for the current state and connection. USER and SASL only when
//! plaintext passwords are allowed here; STLS only on a STARTTLS listener before TLS; the authorization
//! capabilities only before login.

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session};
use crate::state::Phase;

use super::reply;

pub(crate) async fn run(s: &mut Session, io: &mut Io) -> io::Result<Next> {
    let mut out = proto::ok("Capability list follows");
    let mut caps: Vec<&str> = vec!["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
    if s.state.phase() == Phase::Authorization {
        if s.plaintext_ok {
            caps.push("USER");
            caps.push("SASL PLAIN LOGIN");
        }
        if s.ctx.starttls_available(s.tls) {
            caps.push("STLS");
        }
    }
    caps.extend(["EXPIRE NEVER", "LOGIN-DELAY 0", "IMPLEMENTATION Malt"]);
    for c in caps {
        proto::push_line(&mut out, c.as_bytes());
    }
    out.extend_from_slice(proto::END);
    reply(io, &out).await
}
