//! DATA (RFC 5321 §4.1.1.4, RFC 2033 §4.2): `354`, then the message up to `CRLF.CRLF`, unstuffed and
//! size-limited by [`DataReader`]; then the end of the transaction ([`crate::finish`]: one reply per
//! recipient in LMTP, one for all in SMTP). Refused with `503 5.5.1` when no recipient was accepted
//! (RFC 2033 §4.2, RFC 5321 §3.3) or after BDAT (RFC 3030 §2).

use malt_smtp_proto::{DataReader, DataStatus, Reply};
use tokio::io::AsyncBufReadExt;

use super::take_transaction;
use crate::finish::finish;
use crate::session::{Fill, Io, Next, Session, fill, goodbye};
use crate::state::State;

pub(crate) async fn run(s: &mut Session, io: &mut Io) -> Next {
    let refusal = match &s.state {
        State::Transaction { tx, .. } if tx.bdat.is_some() => Some("DATA not allowed after BDAT"),
        State::Transaction { tx, .. } if tx.rcpts.is_empty() => Some("No valid recipients"),
        State::Transaction { .. } => None,
        _ => Some("Send MAIL first"),
    };
    if let Some(reason) = refusal {
        return s.error(&Reply::new(503, (5, 5, 1), reason));
    }
    s.reply(&Reply::plain(354, "Start mail input; end with <CRLF>.<CRLF>"));
    let mut reader = DataReader::new(s.max_size);
    let status = loop {
        match fill(s, io).await {
            Fill::Data => {}
            Fill::Closed => return Next::Close,
            how => {
                goodbye(s, &how);
                return Next::Close;
            }
        }
        let (n, st) = reader.ingest(io.buffer());
        io.consume(n);
        if st != DataStatus::NeedMore {
            break st;
        }
    };
    let Some(tx) = take_transaction(s) else {
        return Next::Continue;
    };
    let body = (status == DataStatus::Done).then(|| reader.into_body());
    finish(s, tx, body).await;
    Next::Continue
}
