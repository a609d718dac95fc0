//! UIDL (RFC 1939 §7): unique-id listings, Dovecot's default format (`%08Xu%08Xv`: UID then
//! UIDVALIDITY, hex), so they are stable across sessions and match the IMAP view.

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session};
use crate::state::State;

use super::{lookup_error, not_in_transaction, reply};

pub(crate) async fn run(s: &mut Session, io: &mut Io, n: Option<u32>) -> io::Result<Next> {
    let State::Transaction { maildrop } = &mut s.state else {
        return reply(io, &not_in_transaction()).await;
    };
    if let Some(n) = n {
        let answer = match maildrop.index(n).map(|i| maildrop.entries.get(i)) {
            Ok(Some(e)) => proto::ok(&format!("{n} {}", maildrop.uidl(e.uid))),
            Ok(None) => lookup_error(n, crate::state::Lookup::NoSuchMessage),
            Err(e) => lookup_error(n, e),
        };
        return reply(io, &answer).await;
    }
    let mut out = proto::ok("");
    for (i, e) in maildrop.entries.iter().enumerate() {
        if !e.deleted {
            proto::push_line(&mut out, format!("{} {}", i + 1, maildrop.uidl(e.uid)).as_bytes());
        }
    }
    out.extend_from_slice(proto::END);
    reply(io, &out).await
}
