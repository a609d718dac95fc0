//! CAPABILITY (RFC 5804 §2.4) and the capability listing sent in the greeting and after STARTTLS
//! (§1.7): IMPLEMENTATION, SASL (PLAIN and LOGIN only where passwords may travel in the clear on
//! this connection; empty otherwise, which §1.7 allows while STARTTLS is offered), SIEVE (the
//! engine's extensions), STARTTLS (on a STARTTLS listener before TLS), NOTIFY, MAXREDIRECTS,
//! UNAUTHENTICATE (§2.14.1), VERSION, and OWNER once authenticated.

use std::io;

use malt_core::auth::sasl::Mechanism;
use malt_core::sieve_scripts::sieve_capabilities;

use crate::proto;
use crate::session::{Io, Next, Session};
use crate::state::State;

use super::reply;

/// The capability lines, without the closing `OK`.
pub(crate) fn listing(s: &Session) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    proto::capability(&mut out, "IMPLEMENTATION", Some("Malt ManageSieve"));
    let sasl = if s.plaintext_ok {
        Mechanism::ALL.map(Mechanism::name).join(" ")
    } else {
        String::new()
    };
    proto::capability(&mut out, "SASL", Some(&sasl));
    proto::capability(&mut out, "SIEVE", Some(&sieve_capabilities()));
    if s.ctx.starttls_available(s.tls) && matches!(s.state, State::NonAuthenticated) {
        proto::capability(&mut out, "STARTTLS", None);
    }
    proto::capability(&mut out, "NOTIFY", Some("mailto"));
    let max_redirects = s.scripts.policy().limits.max_redirects.to_string();
    proto::capability(&mut out, "MAXREDIRECTS", Some(&max_redirects));
    proto::capability(&mut out, "UNAUTHENTICATE", None);
    if let State::Authenticated { account } = &s.state {
        proto::capability(&mut out, "OWNER", Some(&account.address));
    }
    proto::capability(&mut out, "VERSION", Some("1.0"));
    out
}

pub(crate) async fn run(s: &mut Session, io: &mut Io) -> io::Result<Next> {
    let mut out = listing(s);
    out.extend_from_slice(&proto::ok(None, "Capability completed."));
    reply(io, &out).await
}
