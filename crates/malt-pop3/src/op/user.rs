//! USER (RFC 1939 §7): names the mailbox for the following PASS. Refused with `[AUTH]` when plaintext
//! passwords are not allowed on this connection (RFC 2595 §4, RFC 8314 §3; `plaintext_auth_allowed`).

use std::io;

use crate::proto::{self, RespCode};
use crate::session::{Io, Next, Session};
use crate::state::State;

use super::reply;

pub(crate) async fn run(s: &mut Session, io: &mut Io, name: String) -> io::Result<Next> {
    if !s.plaintext_ok {
        s.state = State::Authorization { user: None };
        let text = "Plaintext authentication disallowed on non-secure connections";
        return reply(io, &proto::err(Some(RespCode::Auth), text)).await;
    }
    s.state = State::Authorization { user: Some(name) };
    reply(io, &proto::ok("")).await
}
