//! BDAT (RFC 3030 §2, CHUNKING): the chunk of exactly `size` octets that follows the command is always
//! read first — also when the command is refused — so the input stays in sync. Then: `503 5.5.1` outside
//! a transaction or without recipients; `552 5.3.4` when the message exceeds the limit (the transaction is
//! aborted; RFC 3030 §2: the client sends no further chunks); `250 2.0.0` for a chunk; after `LAST`, the
//! end of the transaction ([`crate::finish`]: one reply per recipient in LMTP, RFC 2033 §4.2; one in
//! SMTP).

use malt_smtp_proto::{BdatReader, Reply};
use tokio::io::AsyncBufReadExt;

use super::take_transaction;
use crate::finish::finish;
use crate::session::{Fill, Io, Next, Session, fill, goodbye};
use crate::state::{State, Verb, allowed};

pub(crate) async fn run(s: &mut Session, io: &mut Io, size: usize, last: bool) -> Next {
    let refusal = match (allowed(s.mode, s.state.phase(), Verb::Bdat), &s.state) {
        (Err(reason), _) => Some(reason),
        (Ok(()), State::Transaction { tx, .. }) if tx.rcpts.is_empty() => Some("No valid recipients"),
        _ => None,
    };
    // The message so far (refused: a reader that keeps nothing).
    let mut reader = match (&mut s.state, refusal) {
        (State::Transaction { tx, .. }, None) => {
            tx.bdat.take().unwrap_or_else(|| BdatReader::new(s.max_size))
        }
        _ => BdatReader::new(0),
    };
    reader.start_chunk(size);
    while reader.remaining() > 0 {
        match fill(s, io).await {
            Fill::Data => {}
            Fill::Closed => return Next::Close,
            how => {
                goodbye(s, &how);
                return Next::Close;
            }
        }
        let (n, _) = reader.ingest(io.buffer());
        io.consume(n);
    }
    if let Some(reason) = refusal {
        return s.error(&Reply::new(503, (5, 5, 1), reason));
    }
    if last {
        let Some(tx) = take_transaction(s) else {
            return Next::Continue;
        };
        let body = (!reader.too_large()).then(|| reader.into_body());
        finish(s, tx, body).await;
        return Next::Continue;
    }
    if reader.too_large() {
        let _ = take_transaction(s);
        s.reply(&Reply::new(
            552,
            (5, 3, 4),
            &format!(
                "Message size exceeds fixed maximum message size of {}",
                s.max_size
            ),
        ));
        return Next::Continue;
    }
    let received = reader.len();
    if let State::Transaction { tx, .. } = &mut s.state {
        tx.bdat = Some(reader);
    }
    s.reply(&Reply::new(
        250,
        (2, 0, 0),
        &format!("{size} octets received, {received} in total"),
    ));
    Next::Continue
}
