//! NOOP (RFC 1939 §5).

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session};

use super::reply;

pub(crate) async fn run(_s: &mut Session, io: &mut Io) -> io::Result<Next> {
    reply(io, &proto::ok("")).await
}
