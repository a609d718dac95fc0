//! IDLE (RFC 2177, RFC 9051 §6.3.13): `+ idling`, then changes of the selected mailbox are announced as
//! they happen (EXPUNGE included: IDLE is a sync point) until the client sends `DONE`. Any other line
//! ends IDLE with BAD. Idle timeout and shutdown end the session with `* BYE`.

use std::io;

use malt_imap_proto::{Status, is_idle_done};
use malt_server::Wait;
use tokio::sync::broadcast::error::RecvError;

use crate::session::{Io, Outcome, Session, concerns_selected, sync};
use crate::state::State;

enum Event {
    Read(io::Result<usize>),
    Feed(Result<malt_store::JournalEntry, RecvError>),
}

pub(crate) async fn run(s: &mut Session, io: &mut Io) -> io::Result<Outcome> {
    s.out.continuation("idling");
    sync(s, true, true).await;
    io.send(&s.out.take()).await?;
    let mut feed_open = true;
    loop {
        if let Some(i) = io.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = io.buf.drain(..=i).collect();
            return Ok(if is_idle_done(&line) {
                Outcome::ok("IDLE terminated")
            } else {
                Outcome::bad("Expected DONE")
            });
        }
        if io.buf.len() > 1024 {
            return Ok(Outcome::bad("Expected DONE"));
        }
        let ctx = &s.ctx;
        let feed = &mut s.feed;
        let wait = ctx
            .wait_input(async {
                tokio::select! {
                    r = io.read_more() => Event::Read(r),
                    e = feed.recv(), if feed_open => Event::Feed(e),
                }
            })
            .await;
        match wait {
            Wait::Ready(Event::Read(Ok(0) | Err(_))) => return Ok(Outcome::drop_connection()),
            Wait::Ready(Event::Read(Ok(_))) => {}
            Wait::Ready(Event::Feed(e)) => {
                let relevant = match (&e, &mut s.state) {
                    // The selected mailbox may be another account's: its owner's entries count.
                    (Ok(entry), State::Selected { .. }) => concerns_selected(s, entry),
                    (Err(RecvError::Lagged(_)), State::Selected { view, .. }) => {
                        view.mark_dirty();
                        true
                    }
                    (Err(RecvError::Closed), _) => {
                        feed_open = false;
                        false
                    }
                    _ => false,
                };
                if relevant {
                    sync(s, true, false).await;
                    io.send(&s.out.take()).await?;
                }
            }
            Wait::Idle => {
                s.out.untagged(Status::Bye, None, "Autologout; idle for too long");
                io.send(&s.out.take()).await?;
                return Ok(Outcome::drop_connection());
            }
            Wait::Shutdown => {
                s.out.untagged(Status::Bye, None, "Server shutting down");
                io.send(&s.out.take()).await?;
                return Ok(Outcome::drop_connection());
            }
        }
    }
}
