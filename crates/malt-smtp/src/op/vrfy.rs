//! VRFY (RFC 5321 §3.5.3): `252 2.5.0`; Malt never confirms addresses (no directory harvesting).

use malt_smtp_proto::Reply;

use crate::session::{Next, Session};

pub(crate) fn run(s: &mut Session) -> Next {
    s.reply(&Reply::new(
        252,
        (2, 5, 0),
        "Cannot VRFY user, but will accept message and attempt delivery",
    ));
    Next::Continue
}
