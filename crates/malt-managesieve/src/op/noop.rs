//! NOOP (RFC 5804 §2.13): `OK`, echoing the client's tag as `(TAG "...")`, which clients use to
//! resynchronise after STARTTLS.

use std::io;

use crate::proto::{self, Code};
use crate::session::{Io, Next};

use super::reply;

pub(crate) async fn run(io: &mut Io, tag: Option<String>) -> io::Result<Next> {
    let code = tag.map(Code::Tag);
    reply(io, &proto::ok(code.as_ref(), "Done")).await
}
