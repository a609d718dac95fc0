//! QUIT (RFC 5321 §4.1.1.10): `221 2.0.0`, then the server closes.

use malt_smtp_proto::Reply;

use crate::session::{Next, Session};

pub(crate) fn run(s: &mut Session) -> Next {
    let text = format!("{} closing connection", s.hostname());
    s.reply(&Reply::new(221, (2, 0, 0), &text));
    Next::Close
}
