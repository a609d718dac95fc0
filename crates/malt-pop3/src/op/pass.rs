//! PASS (RFC 1939 §7): the password for the name given by USER. A failed PASS clears the name, so the
//! client starts again with USER. The password is never logged.

use std::io;

use crate::proto::{self, RespCode};
use crate::session::{Io, Next, Session};
use crate::state::State;

use super::{login, reply};

pub(crate) async fn run(s: &mut Session, io: &mut Io, password: String) -> io::Result<Next> {
    if !s.plaintext_ok {
        s.state = State::Authorization { user: None };
        let text = "Plaintext authentication disallowed on non-secure connections";
        return reply(io, &proto::err(Some(RespCode::Auth), text)).await;
    }
    let user = match &mut s.state {
        State::Authorization { user } => user.take(),
        _ => None,
    };
    let Some(user) = user else {
        return reply(io, &proto::err(None, "No username given, send USER first")).await;
    };
    let answer = login(s, &user, &password).await;
    reply(io, &answer).await
}
