//! STARTTLS (RFC 3207 §4): `220 2.0.0` then the handshake (done by the session loop, which discards any
//! pipelined plaintext and starts over without a greeting). Only on a `tls = "starttls"` listener before
//! TLS is active: otherwise `503 5.5.1` (TLS already active) or `454 4.7.0` (not offered here).

use malt_smtp_proto::Reply;

use crate::session::{Next, Session};

pub(crate) fn run(s: &mut Session) -> Next {
    if s.tls {
        return s.error(&Reply::new(503, (5, 5, 1), "TLS already active"));
    }
    if !s.ctx.starttls_available(s.tls) {
        s.reply(&Reply::new(454, (4, 7, 0), "TLS not available"));
        return Next::Continue;
    }
    s.reply(&Reply::new(220, (2, 0, 0), "Ready to start TLS"));
    Next::StartTls
}
