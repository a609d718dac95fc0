//! NOOP (RFC 5321 §4.1.1.9): `250 2.0.0`, no effect.

use malt_smtp_proto::Reply;

use crate::session::{Next, Session};

pub(crate) fn run(s: &mut Session) -> Next {
    s.reply(&Reply::new(250, (2, 0, 0), "OK"));
    Next::Continue
}
