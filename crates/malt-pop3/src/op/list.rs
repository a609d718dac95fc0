//! LIST (RFC 1939 §5): one scan listing, or all of them (messages marked deleted are left out).

use std::io;

use crate::proto;
use crate::session::{Io, Next, Session};
use crate::state::State;

use super::{lookup_error, not_in_transaction, pop3_size, reply};

pub(crate) async fn run(s: &mut Session, io: &mut Io, n: Option<u32>) -> io::Result<Next> {
    let State::Transaction { maildrop } = &mut s.state else {
        return reply(io, &not_in_transaction()).await;
    };
    let mailbox = maildrop.mailbox_id;
    if let Some(n) = n {
        let answer = match maildrop.index(n) {
            Ok(i) => match maildrop.entries.get_mut(i) {
                Some(e) => proto::ok(&format!("{n} {}", pop3_size(&s.core, mailbox, e).await)),
                None => lookup_error(n, crate::state::Lookup::NoSuchMessage),
            },
            Err(e) => lookup_error(n, e),
        };
        return reply(io, &answer).await;
    }
    let mut body = Vec::new();
    let (mut count, mut total) = (0u64, 0u64);
    for (i, e) in maildrop.entries.iter_mut().enumerate() {
        if e.deleted {
            continue;
        }
        let size = pop3_size(&s.core, mailbox, e).await;
        count += 1;
        total += size;
        proto::push_line(&mut body, format!("{} {size}", i + 1).as_bytes());
    }
    let mut out = proto::ok(&format!("{count} messages ({total} octets)"));
    out.extend_from_slice(&body);
    out.extend_from_slice(proto::END);
    reply(io, &out).await
}
