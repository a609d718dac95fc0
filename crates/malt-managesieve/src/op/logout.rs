//! LOGOUT (RFC 5804 §2.3): `OK`, then the server closes the connection.

use std::io;

use crate::proto;
use crate::session::{Io, Next};

pub(crate) async fn run(io: &mut Io) -> io::Result<Next> {
    io.send(&proto::ok(None, "Logout completed.")).await?;
    Ok(Next::Close)
}
