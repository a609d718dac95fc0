//! LHLO (RFC 2033 §4.1): greets and lists the service extensions (RFC 5321 §4.1.1.1 EHLO reply format).
//! Like EHLO (RFC 5321 §4.1.4) it clears any transaction.

use malt_smtp_proto::Reply;

use crate::session::{Next, Session};
use crate::state::State;

pub(crate) fn run(s: &mut Session, host: String) -> Next {
    s.state = State::Ready { helo: host };
    let mut lines = vec![
        s.hostname().to_owned(),
        "PIPELINING".to_owned(),
        "ENHANCEDSTATUSCODES".to_owned(),
        "8BITMIME".to_owned(),
        "SMTPUTF8".to_owned(),
        "CHUNKING".to_owned(),
        format!("SIZE {}", s.max_size),
    ];
    if s.ctx.starttls_available(s.tls) {
        lines.push("STARTTLS".to_owned());
    }
    s.reply(&Reply::multiline(250, lines));
    Next::Continue
}

/// The extensions whose MAIL/RCPT parameters are accepted (those announced above).
pub(crate) fn extensions() -> malt_smtp_proto::command::Extensions {
    malt_smtp_proto::command::Extensions {
        size: true,
        eight_bit_mime: true,
        smtputf8: true,
        dsn: false,
        auth: false,
    }
}
