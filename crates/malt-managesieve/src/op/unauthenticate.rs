//! UNAUTHENTICATE (RFC 5804 §2.14): back to the non-authenticated state; the account is
//! forgotten and AUTHENTICATE may be used again.

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session};
use crate::state::State;

use super::reply;

pub(crate) async fn run(s: &mut Session, io: &mut Io) -> io::Result<Next> {
    s.state = State::NonAuthenticated;
    reply(io, &proto::ok(None, "Unauthenticate completed.")).await
}
