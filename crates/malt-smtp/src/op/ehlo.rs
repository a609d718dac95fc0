//! EHLO and HELO (RFC 5321 §4.1.1.1), in the SMTP modes (LMTP refuses them before dispatch). EHLO
//! answers with the service extensions, one keyword per line (the list LHLO shares); HELO with a
//! single `250` line and no extensions. Both clear any transaction (RFC 5321 §4.1.4) and keep an
//! authentication already done.
//!
//! The keywords, by mode: PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME, SMTPUTF8, CHUNKING, then DSN
//! (SMTP modes only, RFC 3461 §4), SIZE with the limit (RFC 1870), `AUTH PLAIN LOGIN` where
//! [`Session::auth_offered`] (RFC 4954 §3), and STARTTLS where it is available (RFC 3207).

use malt_core::auth::sasl::Mechanism;
use malt_smtp_proto::Reply;
use malt_smtp_proto::command::Extensions;

use crate::session::{Next, Session};
use crate::state::State;

pub(crate) fn run(s: &mut Session, host: String, extended: bool) -> Next {
    if extended {
        return greet(s, host);
    }
    s.state = State::Ready { helo: host };
    s.esmtp = false;
    let text = s.hostname().to_owned();
    s.reply(&Reply::plain(250, &text));
    Next::Continue
}

/// EHLO / LHLO: enters `Ready` and lists the extensions.
pub(crate) fn greet(s: &mut Session, host: String) -> Next {
    s.state = State::Ready { helo: host };
    s.esmtp = true;
    let lines = keywords(s);
    s.reply(&Reply::multiline(250, lines));
    Next::Continue
}

/// The EHLO/LHLO reply lines: the host name, then one extension keyword per line.
fn keywords(s: &Session) -> Vec<String> {
    let mut lines = vec![
        s.hostname().to_owned(),
        "PIPELINING".to_owned(),
        "ENHANCEDSTATUSCODES".to_owned(),
        "8BITMIME".to_owned(),
        "SMTPUTF8".to_owned(),
        "CHUNKING".to_owned(),
    ];
    if s.is_smtp() {
        lines.push("DSN".to_owned());
    }
    lines.push(format!("SIZE {}", s.max_size));
    if s.auth_offered() {
        let names: Vec<&str> = Mechanism::ALL.iter().map(|m| m.name()).collect();
        lines.push(format!("AUTH {}", names.join(" ")));
    }
    if s.ctx.starttls_available(s.tls) {
        lines.push("STARTTLS".to_owned());
    }
    lines
}

/// The extensions whose MAIL/RCPT parameters are accepted (those announced above; `AUTH=` in the
/// SMTP modes always, RFC 4954 §5 lets a server accept it and it is only informative here).
pub(crate) fn params(s: &Session) -> Extensions {
    Extensions {
        size: true,
        eight_bit_mime: true,
        smtputf8: true,
        dsn: s.is_smtp(),
        auth: s.is_smtp(),
    }
}
