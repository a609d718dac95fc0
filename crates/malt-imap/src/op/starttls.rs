//! STARTTLS (RFC 9051 §6.2.1): only on a STARTTLS listener without TLS yet. The handshake starts after the
//! tagged OK; the session then restarts unauthenticated with no buffered plaintext.

use crate::session::{Next, Outcome, Session};

pub(crate) fn run(s: &mut Session) -> Outcome {
    if !s.ctx.starttls_available(s.tls) {
        return Outcome::bad("STARTTLS not available");
    }
    Outcome::ok("Begin TLS negotiation now").next(Next::StartTls)
}
