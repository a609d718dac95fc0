//! HELP (RFC 5321 §4.1.1.8): `214 2.0.0` with the commands supported in this mode.

use malt_smtp_proto::Reply;

use crate::session::{Next, Session};

pub(crate) fn run(s: &mut Session) -> Next {
    let text = if s.is_smtp() {
        "Commands: EHLO HELO AUTH MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS"
    } else {
        "Commands: LHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS"
    };
    s.reply(&Reply::new(214, (2, 0, 0), text));
    Next::Continue
}
